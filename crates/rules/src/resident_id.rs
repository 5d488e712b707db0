//! Resident identity card numbers (居民身份证号码, GB 11643-1999): 6-digit address code, 8-digit birth date,
//! 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character. Legacy 15-digit numbers
//! (GB 11643-1989) are accepted, flagged, and widened to their 18-digit form for de-duplication.

use crate::text::normalize_width;
use time::{Date, Month};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Province-level codes of GB/T 2260 (the first two digits of an address code).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "male" | "m" | "M" | "男" | "1" => Some(Sex::Male),
            "female" | "f" | "F" | "女" | "2" => Some(Sex::Female),
            _ => None,
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Sex::Male => "Male",
            Sex::Female => "Female",
        }
    }
}

/// A resident ID number that passed every check; hold one and it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId {
    /// The number as it is written on the card, normalised (ASCII, upper-case `X`).
    number: String,
    /// The 18-digit form: equal to `number`, or a legacy 15-digit number widened per GB 11643-1999.
    canonical: String,
    legacy15: bool,
    birth_date: Date,
    sex: Sex,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty,
    /// Excel turned the number into `4.30481E+17`: the last digits are gone.
    ScientificNotation,
    BadCharacters,
    BadLength(usize),
    BadBirthDate,
    FutureBirthDate,
    BadChecksum {
        expected: char,
    },
}

impl IdError {
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Empty => "required",
            IdError::ScientificNotation => "id_excel_mangled",
            IdError::BadCharacters => "id_characters",
            IdError::BadLength(_) => "id_length",
            IdError::BadBirthDate => "id_birth_date",
            IdError::FutureBirthDate => "id_future_birth_date",
            IdError::BadChecksum { .. } => "id_checksum",
        }
    }

    pub fn zh(&self) -> String {
        match self {
            IdError::Empty => "请填写身份证号".into(),
            IdError::ScientificNotation => "身份证号被 Excel 转成了科学计数法(如 4.30481E+17),后几位数字已经丢失。请把该列设为“文本”格式后重新录入完整的 18 位号码".into(),
            IdError::BadCharacters => "身份证号只能包含数字,最后一位可以是 X".into(),
            IdError::BadLength(n) => format!("身份证号应为 18 位(旧证 15 位),现在是 {n} 位"),
            IdError::BadBirthDate => "身份证号中的出生日期(第 7–14 位)不是有效日期".into(),
            IdError::FutureBirthDate => "身份证号中的出生日期晚于今天".into(),
            IdError::BadChecksum { .. } => "身份证号校验位不对,请逐位核对(常见原因:抄错一位或两位顺序颠倒)".into(),
        }
    }

    pub fn en(&self) -> String {
        match self {
            IdError::Empty => "ID number is required".into(),
            IdError::ScientificNotation => {
                "Excel turned this ID number into scientific notation (e.g. 4.30481E+17) and its last digits are lost; format the column as text and enter the full 18 digits".into()
            }
            IdError::BadCharacters => "An ID number holds digits only, the last may be X".into(),
            IdError::BadLength(n) => format!("An ID number has 18 digits (15 on old cards), this one has {n}"),
            IdError::BadBirthDate => "The birth date inside the ID number (digits 7–14) is not a real date".into(),
            IdError::FutureBirthDate => "The birth date inside the ID number is in the future".into(),
            IdError::BadChecksum { .. } => "The check digit does not match; compare the number digit by digit".into(),
        }
    }
}

/// `4.30481E+17`, `4.30481199001011E17`, `430481e17`: what Excel shows for a long number in a general cell.
fn looks_like_scientific_notation(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else { return false };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.') && !exponent.is_empty() && exponent.chars().all(|c| c.is_ascii_digit())
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK_CHARS[(sum % 11) as usize] as char
}

fn parse_date(digits: &str) -> Option<Date> {
    let year: i32 = digits[0..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    let day: u8 = digits[6..8].parse().ok()?;
    if year < 1880 {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

impl ResidentId {
    /// Parses what a person typed or a spreadsheet held, judged against `today` (birth dates in the
    /// future are rejected).
    pub fn parse(input: &str, today: Date) -> Result<ResidentId, IdError> {
        let s = normalize_width(input).replace('-', "");
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if looks_like_scientific_notation(&s) {
            return Err(IdError::ScientificNotation);
        }
        let s = s.to_ascii_uppercase();
        let (canonical, legacy15) = match s.len() {
            18 => {
                let b = s.as_bytes();
                if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
                    return Err(IdError::BadCharacters);
                }
                (s.clone(), false)
            }
            15 => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdError::BadCharacters);
                }
                let first17 = format!("{}19{}", &s[..6], &s[6..]);
                let check = check_char(first17.as_bytes());
                (format!("{first17}{check}"), true)
            }
            n => {
                if !s.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
                    return Err(IdError::BadCharacters);
                }
                return Err(IdError::BadLength(n));
            }
        };
        let birth_date = parse_date(&canonical[6..14]).ok_or(IdError::BadBirthDate)?;
        if birth_date > today {
            return Err(IdError::FutureBirthDate);
        }
        let expected = check_char(&canonical.as_bytes()[..17]);
        if !legacy15 && canonical.as_bytes()[17] as char != expected {
            return Err(IdError::BadChecksum { expected });
        }
        let sex = if (canonical.as_bytes()[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female };
        Ok(ResidentId { number: s, canonical, legacy15, birth_date, sex })
    }

    pub fn number(&self) -> &str {
        &self.number
    }
    /// The 18-digit form used as the de-duplication key.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
    pub fn is_legacy15(&self) -> bool {
        self.legacy15
    }
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// The 6-digit address code of the place of first registration.
    pub fn area_code(&self) -> &str {
        &self.canonical[..6]
    }
    /// Whether the address code's province exists in GB/T 2260. Unknown counties are normal (codes of
    /// abolished counties stay valid on old cards), so callers warn rather than reject.
    pub fn province_known(&self) -> bool {
        PROVINCES.contains(&&self.canonical[..2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2020 - 02 - 04);

    #[test]
    fn the_published_test_vectors_are_valid() {
        for n in ["43048119900101123X", "430422198502150022", "430405197006305557", "34052419800101001X"] {
            ResidentId::parse(n, TODAY).unwrap_or_else(|e| panic!("{n}: {e:?}"));
        }
    }

    #[test]
    fn sex_and_birth_date_are_derived_from_the_number() {
        let id = ResidentId::parse("43048119900101123X", TODAY).unwrap();
        assert_eq!(id.birth_date(), date!(1990 - 01 - 01));
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.area_code(), "430481");
        let id = ResidentId::parse("430422198502150022", TODAY).unwrap();
        assert_eq!(id.sex(), Sex::Female);
    }

    #[test]
    fn lower_case_x_and_full_width_digits_are_normalised() {
        let id = ResidentId::parse("４３０４８１１９９００１０１１２３ｘ", TODAY).unwrap();
        assert_eq!(id.number(), "43048119900101123X");
        let id = ResidentId::parse(" 43048119900101123x ", TODAY).unwrap();
        assert_eq!(id.number(), "43048119900101123X");
    }

    #[test]
    fn a_wrong_check_digit_is_rejected_with_the_reason() {
        let err = ResidentId::parse("430481199001011231", TODAY).unwrap_err();
        assert_eq!(err, IdError::BadChecksum { expected: 'X' });
        assert!(err.zh().contains("校验位"));
    }

    #[test]
    fn excel_scientific_notation_is_rejected_saying_why() {
        for n in ["4.30481E+17", "4.30481199001011E17", "430481e17"] {
            let err = ResidentId::parse(n, TODAY).unwrap_err();
            assert_eq!(err, IdError::ScientificNotation, "{n}");
            assert!(err.zh().contains("科学计数法"));
        }
    }

    #[test]
    fn legacy_15_digit_numbers_are_accepted_flagged_and_widened() {
        let id = ResidentId::parse("430481900101123", TODAY).unwrap();
        assert!(id.is_legacy15());
        assert_eq!(id.canonical(), "43048119900101123X");
        assert_eq!(id.birth_date(), date!(1990 - 01 - 01));
    }

    #[test]
    fn impossible_and_future_birth_dates_are_rejected() {
        let mut n = String::from("43048119900230123");
        n.push(check_char(n.as_bytes()));
        assert_eq!(ResidentId::parse(&n, TODAY).unwrap_err(), IdError::BadBirthDate);
        let mut n = String::from("43048120250101123");
        n.push(check_char(n.as_bytes()));
        assert_eq!(ResidentId::parse(&n, TODAY).unwrap_err(), IdError::FutureBirthDate);
    }

    #[test]
    fn wrong_lengths_and_letters_are_rejected() {
        assert_eq!(ResidentId::parse("4304811990", TODAY).unwrap_err(), IdError::BadLength(10));
        assert_eq!(ResidentId::parse("43048119900101A23X", TODAY).unwrap_err(), IdError::BadCharacters);
        assert_eq!(ResidentId::parse("", TODAY).unwrap_err(), IdError::Empty);
    }

    #[test]
    fn an_unknown_province_is_detected_for_a_warning() {
        let mut n = String::from("99048119900101123");
        n.push(check_char(n.as_bytes()));
        let id = ResidentId::parse(&n, TODAY).unwrap();
        assert!(!id.province_known());
        assert!(ResidentId::parse("43048119900101123X", TODAY).unwrap().province_known());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_number_with_a_computed_check_char_parses(area in 110000u32..660000, days in 0i64..40000, seq in 0u32..1000) {
                let birth = date!(1900 - 01 - 01) + time::Duration::days(days);
                prop_assume!(birth <= TODAY);
                let first17 = format!("{area:06}{:04}{:02}{:02}{seq:03}", birth.year(), birth.month() as u8, birth.day());
                let number = format!("{first17}{}", check_char(first17.as_bytes()));
                let id = ResidentId::parse(&number, TODAY).unwrap();
                prop_assert_eq!(id.birth_date(), birth);
                prop_assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
            }

            #[test]
            fn changing_one_digit_is_always_caught(pos in 0usize..17, delta in 1u8..10) {
                let good = b"43048119900101123X".to_vec();
                let mut bad = good.clone();
                bad[pos] = b'0' + (bad[pos] - b'0' + delta) % 10;
                let s = String::from_utf8(bad).unwrap();
                prop_assert!(ResidentId::parse(&s, TODAY).is_err());
            }

            #[test]
            fn arbitrary_text_never_panics(s in "\\PC{0,30}") {
                let _ = ResidentId::parse(&s, TODAY);
            }
        }
    }
}
