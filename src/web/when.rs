//! Times and dates as typed into forms and JSON, in Beijing time. Two kinds, one parser each:
//! when something happened (a sample taken, a result, an admission, a death, an onset, an exposure,
//! a visit, a discharge) is never later than now — beyond [`fangkong_rules::CLOCK_SKEW`] for a
//! phone whose clock runs fast — so a fact dated in the future is refused at its field and can never
//! drive a decision; a deadline or the day of a report may lie ahead.

use crate::clock;
use crate::db::now_micros;
use crate::error::{AppError, AppResult};
use time::Date;

const TIME_FORMAT: &str = "时间格式应为 YYYY-MM-DD HH:MM(北京时间)";

/// Any Beijing time typed into `field` (a deadline), in epoch µs.
pub fn deadline(field: &str, value: &str) -> AppResult<i64> {
    clock::parse_local(value).ok_or_else(|| AppError::invalid(field, "time_invalid", TIME_FORMAT))
}

/// Any date typed into `field` (a report's day, a fix's deadline).
pub fn date(field: &str, value: &str) -> AppResult<Date> {
    crate::clock::parse_date(value.trim()).ok_or_else(|| AppError::invalid(field, "date_invalid", crate::clock::date_problem(value)))
}

/// The time something happened, typed into `field`: not later than now.
pub fn happened_at(field: &str, value: &str) -> AppResult<i64> {
    let at = deadline(field, value)?;
    let now = now_micros();
    if at > now + fangkong_rules::CLOCK_SKEW.whole_microseconds() as i64 {
        let message = format!("时间不能晚于现在(北京时间 {}),请核对", clock::format_micros(now));
        return Err(AppError::invalid(field, "time_future", message));
    }
    Ok(at)
}

/// [`happened_at`], or `None` when the field was left blank.
pub fn happened_at_opt(field: &str, value: Option<&str>) -> AppResult<Option<i64>> {
    value.filter(|v| !v.trim().is_empty()).map(|v| happened_at(field, v)).transpose()
}

/// The day something happened, typed into `field`: not later than today.
pub fn happened_on(field: &str, value: &str) -> AppResult<Date> {
    let day = date(field, value)?;
    let today = clock::today();
    if day > today {
        return Err(AppError::invalid(field, "date_future", format!("日期不能晚于今天({today}),请核对")));
    }
    Ok(day)
}

/// [`happened_on`], or `None` when the field was left blank.
pub fn happened_on_opt(field: &str, value: Option<&str>) -> AppResult<Option<Date>> {
    value.filter(|v| !v.trim().is_empty()).map(|v| happened_on(field, v)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: AppResult<impl std::fmt::Debug>) -> String {
        match result {
            Err(AppError::Invalid(e)) => e[0].code.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_fact_in_the_future_is_refused_but_a_deadline_is_not() {
        let tomorrow = clock::format_micros(now_micros() + 86_400_000_000);
        let soon = clock::format_micros(now_micros() + 60_000_000);
        assert_eq!(code(happened_at("taken_at", &tomorrow)), "time_future");
        assert!(happened_at("taken_at", &soon).is_ok(), "a phone a minute fast is not refused");
        assert!(deadline("ack_due_at", &tomorrow).is_ok());
        assert_eq!(code(happened_at("taken_at", "tomorrow")), "time_invalid");
        let next_day = (clock::today() + time::Duration::days(1)).to_string();
        assert_eq!(code(happened_on("onset_date", &next_day)), "date_future");
        assert!(happened_on("onset_date", &clock::today().to_string()).is_ok());
        assert_eq!(happened_on_opt("date", Some(" ")).unwrap(), None);
    }
}
