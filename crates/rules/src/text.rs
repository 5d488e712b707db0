/// Folds full-width ASCII (as typed by Chinese input methods: `４３０４`, `Ｘ`, `＋`) to half-width and
/// drops spaces, so that every parser sees the same characters.
pub fn normalize_width(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
            '\u{3000}' | ' ' | '\t' | '\u{A0}' => None,
            _ => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_become_ascii() {
        assert_eq!(normalize_width("４３０４８１ｘ"), "430481x");
        assert_eq!(normalize_width("＋86 138 0000　0000"), "+8613800000000");
    }
}
