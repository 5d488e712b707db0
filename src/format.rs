//! How values are written out, the same way by every feature: codes and dates as strings in JSON
//! (serde helpers for `serialize_with`), and spreadsheet cells that cannot run as formulas.

use serde::Serializer;

/// Serialises any `Display` value as a string (org codes in JSON).
pub fn as_str<T: std::fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Serialises an optional date as `YYYY-MM-DD` (time's own serde format is a tuple).
pub fn opt_date<S: Serializer>(value: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// A spreadsheet cell's text that a spreadsheet could run as a formula (`= + - @`, tab, CR at the
/// start) gets a leading apostrophe.
pub fn neutralise(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formula_starters_are_neutralised() {
        for (input, out) in [("=1+1", "'=1+1"), ("+86", "'+86"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("张三", "张三")] {
            assert_eq!(super::neutralise(input), out);
        }
    }
}
