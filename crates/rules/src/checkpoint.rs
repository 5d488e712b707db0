//! What a screening point decides for one person (RULES.md §4): by temperature and symptoms only,
//! never by where they come from. A first reading at or above the fever threshold asks for a
//! second (复测) a few minutes later; a fever that the second reading confirms, or a red-flag
//! symptom (cough, shortness of breath), hands the person to a fever clinic (转运/移交).

use crate::observation::{Symptom, Temperature};

/// The symptoms a checkpoint asks about (none is the empty list).
pub const ASKED: [Symptom; 3] = [Symptom::Cough, Symptom::ShortnessOfBreath, Symptom::Other];

/// The result for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// 通行.
    Pass,
    /// 待复测: the first reading was a fever, the second is not taken yet.
    Retest,
    /// 移交发热门诊.
    Referred,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Pass, Outcome::Retest, Outcome::Referred];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Retest => "retest",
            Outcome::Referred => "referred",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Outcome::Pass => "通行",
            Outcome::Retest => "待复测",
            Outcome::Referred => "移交发热门诊",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Outcome::Pass => "Passed",
            Outcome::Retest => "To re-test",
            Outcome::Referred => "Referred to a fever clinic",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }
}

/// The outcome of a first reading, a second one when taken, and the symptoms seen, against the
/// fever threshold of the rules in force.
pub fn decide(first: Temperature, retest: Option<Temperature>, symptoms: &[Symptom], threshold: Temperature) -> Outcome {
    if symptoms.iter().any(|s| s.is_red_flag()) {
        return Outcome::Referred;
    }
    if !first.is_fever(threshold) {
        return Outcome::Pass;
    }
    match retest {
        None => Outcome::Retest,
        Some(second) if second.is_fever(threshold) => Outcome::Referred,
        Some(_) => Outcome::Pass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tenths: i32) -> Temperature {
        Temperature::from_tenths(tenths)
    }

    #[test]
    fn temperature_and_symptoms_decide_and_nothing_else() {
        let threshold = t(373);
        assert_eq!(decide(t(365), None, &[], threshold), Outcome::Pass);
        assert_eq!(decide(t(365), None, &[Symptom::Other], threshold), Outcome::Pass, "other symptoms are noted, not a referral");
        assert_eq!(decide(t(373), None, &[], threshold), Outcome::Retest, "the threshold itself is a fever: measure again");
        assert_eq!(decide(t(381), Some(t(368)), &[], threshold), Outcome::Pass, "a second normal reading lets them through");
        assert_eq!(decide(t(381), Some(t(379)), &[], threshold), Outcome::Referred);
        assert_eq!(decide(t(366), None, &[Symptom::Cough], threshold), Outcome::Referred, "a red-flag symptom refers whatever the thermometer says");
        assert_eq!(decide(t(366), None, &[Symptom::ShortnessOfBreath], threshold), Outcome::Referred);
    }

    #[test]
    fn outcomes_round_trip_through_their_codes() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("turned_away"), None);
    }
}
