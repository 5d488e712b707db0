//! Medical observation (医学观察) rules: temperatures, symptoms, and the day count of an episode.
//! Day N counts from the start (last exposure or arrival), not from when the record was made.

use time::Date;

/// A body temperature in tenths of a degree Celsius (37.3 °C = 373), within what a thermometer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Temperature(i32);

impl Temperature {
    pub const MIN: i32 = 340;
    pub const MAX: i32 = 430;

    /// Parses `37.8`, `37,8`, `３７.８` or `37.8℃`; one decimal place is kept.
    pub fn parse(input: &str) -> Result<Temperature, &'static str> {
        let s = crate::text::normalize_width(input).replace(',', ".");
        let s = s.trim_end_matches(['℃', 'C', 'c', '°']).trim();
        if s.is_empty() {
            return Err("请填写体温");
        }
        let value: f64 = s.parse().map_err(|_| "体温应为数字,如 36.8")?;
        let tenths = (value * 10.0).round() as i32;
        if !(Self::MIN..=Self::MAX).contains(&tenths) {
            return Err("体温应在 34.0–43.0 ℃ 之间,请复测");
        }
        Ok(Temperature(tenths))
    }

    pub fn from_tenths(tenths: i32) -> Temperature {
        Temperature(tenths)
    }

    pub fn tenths(self) -> i32 {
        self.0
    }

    pub fn is_fever(self, threshold: Temperature) -> bool {
        self >= threshold
    }
}

impl std::fmt::Display for Temperature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// Symptoms asked about at every check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symptom {
    Fever,
    Cough,
    SoreThroat,
    ShortnessOfBreath,
    Fatigue,
    Diarrhoea,
    LossOfTasteOrSmell,
    Other,
}

impl Symptom {
    pub const ALL: [Symptom; 8] = [Symptom::Fever, Symptom::Cough, Symptom::SoreThroat, Symptom::ShortnessOfBreath, Symptom::Fatigue, Symptom::Diarrhoea, Symptom::LossOfTasteOrSmell, Symptom::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::Fever => "fever",
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore_throat",
            Symptom::ShortnessOfBreath => "shortness_of_breath",
            Symptom::Fatigue => "fatigue",
            Symptom::Diarrhoea => "diarrhoea",
            Symptom::LossOfTasteOrSmell => "loss_of_taste_smell",
            Symptom::Other => "other",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Symptom::Fever => "发热",
            Symptom::Cough => "咳嗽",
            Symptom::SoreThroat => "咽痛",
            Symptom::ShortnessOfBreath => "气促",
            Symptom::Fatigue => "乏力",
            Symptom::Diarrhoea => "腹泻",
            Symptom::LossOfTasteOrSmell => "嗅觉味觉减退",
            Symptom::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Symptom::Fever => "Fever",
            Symptom::Cough => "Cough",
            Symptom::SoreThroat => "Sore throat",
            Symptom::ShortnessOfBreath => "Shortness of breath",
            Symptom::Fatigue => "Fatigue",
            Symptom::Diarrhoea => "Diarrhoea",
            Symptom::LossOfTasteOrSmell => "Loss of taste or smell",
            Symptom::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<Symptom> {
        Symptom::ALL.into_iter().find(|x| x.as_str() == s.trim() || x.zh() == s.trim())
    }

    /// Red-flag symptoms send a person to a fever clinic whatever the thermometer says
    /// (fever, cough, shortness of breath: RULES §1.7).
    pub fn is_red_flag(self) -> bool {
        matches!(self, Symptom::Fever | Symptom::Cough | Symptom::ShortnessOfBreath)
    }
}

/// Day N of an observation that started on `start` (the start day is day 1).
pub fn observation_day(start: Date, today: Date) -> i64 {
    (today - start).whole_days() + 1
}

/// The last day of an observation of `period_days` days starting on `start`.
pub fn last_day(start: Date, period_days: i64) -> Date {
    start + time::Duration::days(period_days - 1)
}

/// Whether the period is complete on `today`: every day of it has passed (14 full days), so release
/// is on day 15 at the earliest.
pub fn period_complete(start: Date, period_days: i64, today: Date) -> bool {
    today > last_day(start, period_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn temperatures_parse_in_the_forms_people_type() {
        for (input, tenths) in [("37.8", 378), ("37,8", 378), ("３７.８", 378), ("37.8℃", 378), ("36", 360), ("36.75", 368)] {
            assert_eq!(Temperature::parse(input).unwrap().tenths(), tenths, "{input}");
        }
        assert!(Temperature::parse("378").is_err());
        assert!(Temperature::parse("hot").is_err());
        assert_eq!(Temperature::from_tenths(373).to_string(), "37.3");
    }

    #[test]
    fn the_threshold_itself_is_a_fever() {
        let threshold = Temperature::from_tenths(373);
        assert!(Temperature::from_tenths(373).is_fever(threshold));
        assert!(!Temperature::from_tenths(372).is_fever(threshold));
    }

    #[test]
    fn day_n_counts_from_the_start_not_from_the_record() {
        let start = date!(2020 - 01 - 25);
        assert_eq!(observation_day(start, date!(2020 - 01 - 25)), 1);
        assert_eq!(observation_day(start, date!(2020 - 02 - 04)), 11);
        assert_eq!(last_day(start, 14), date!(2020 - 02 - 07));
        assert!(!period_complete(start, 14, date!(2020 - 02 - 07)));
        assert!(period_complete(start, 14, date!(2020 - 02 - 08)));
    }

    #[test]
    fn fever_cough_and_breathlessness_are_red_flags() {
        assert!(Symptom::ShortnessOfBreath.is_red_flag());
        assert!(!Symptom::Fatigue.is_red_flag());
        assert_eq!(Symptom::parse("咳嗽"), Some(Symptom::Cough));
    }
}
