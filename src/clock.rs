//! China runs on one fixed offset, UTC+8, with no daylight saving: "today" for every rule is the
//! calendar date there.

use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("valid offset"),
};

pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(CHINA).date()
}

/// Formats epoch microseconds as Beijing time, `2020-02-04 14:30`.
pub fn format_micros(micros: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) else { return String::new() };
    let t = t.to_offset(CHINA);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
}

/// The hour of the day in Beijing, 0–23.
pub fn hour() -> u8 {
    OffsetDateTime::now_utc().to_offset(CHINA).hour()
}

/// Epoch microseconds of the hour `hour` (0–24) of `day` in Beijing.
pub fn micros_at(day: Date, hour: i64) -> i64 {
    let midnight = day.midnight().assume_offset(CHINA).unix_timestamp();
    (midnight + hour * 3600) * 1_000_000
}

/// Parses a date as people type it: `2020-02-04`, `2020/2/4`, `2020.02.04`, full-width digits too.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = fangkong_rules::normalize_width(s).replace(['/', '.'], "-");
    Date::parse(&s, time::macros::format_description!("[year]-[month]-[day]")).or_else(|_| Date::parse(&s, time::macros::format_description!("[year]-[month padding:none]-[day padding:none]"))).ok()
}

/// Why `s` is not a date, in words for the field: a date that does not exist (`2026-13-01`,
/// `2020-02-30`) is "日期无效", anything else a format to follow.
pub fn date_problem(s: &str) -> &'static str {
    let s = fangkong_rules::normalize_width(s).replace(['/', '.'], "-");
    let parts: Vec<&str> = s.trim().split('-').collect();
    let shaped = parts.len() == 3 && parts[0].len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    if shaped { "日期无效:没有这一天(月份为 1–12,日不超过当月天数)" } else { "日期格式应为 YYYY-MM-DD" }
}

/// Parses a Beijing time as people type it, `2020-02-04 14:30` (or with `T`), into epoch microseconds.
pub fn parse_local(s: &str) -> Option<i64> {
    let s = s.trim().replace('T', " ");
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let at = PrimitiveDateTime::parse(&s, format).ok()?.assume_offset(CHINA);
    i64::try_from(at.unix_timestamp_nanos() / 1000).ok()
}

/// The Beijing date of an instant in epoch microseconds (the day a count files it under).
pub fn day_of_micros(micros: i64) -> Date {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).map_or(Date::MIN, |t| t.to_offset(CHINA).date())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_date_that_does_not_exist_is_told_apart_from_a_badly_typed_one() {
        for impossible in ["2026-13-01", "2020-02-30", "2020/2/31", "２０２０-１３-０１"] {
            assert!(super::date_problem(impossible).starts_with("日期无效"), "{impossible}");
        }
        for garbled in ["tomorrow", "2020-02", "20-02-03", "2020-02-03x"] {
            assert_eq!(super::date_problem(garbled), "日期格式应为 YYYY-MM-DD", "{garbled}");
        }
    }
}
