//! Mainland mobile numbers: 11 digits, `1` then `3`–`9` (the loose rule; operator segment lists go stale).
//! `+86`, `0086` and `86` prefixes, spaces, dashes and full-width digits are stripped.

use crate::text::normalize_width;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    Invalid,
}

impl PhoneError {
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "required",
            PhoneError::Invalid => "phone_invalid",
        }
    }
    pub fn zh(&self) -> &'static str {
        match self {
            PhoneError::Empty => "请填写手机号",
            PhoneError::Invalid => "手机号应为 11 位、以 1 开头,第二位为 3–9(可带 +86)",
        }
    }
    pub fn en(&self) -> &'static str {
        match self {
            PhoneError::Empty => "Phone number is required",
            PhoneError::Invalid => "A mainland mobile number has 11 digits starting with 1 and 3–9",
        }
    }
}

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let s: String = normalize_width(input).chars().filter(|c| !matches!(c, '-' | '(' | ')')).collect();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let digits = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")).or_else(|| if s.len() == 13 { s.strip_prefix("86") } else { None }).unwrap_or(&s);
        let b = digits.as_bytes();
        let valid = b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        if valid { Ok(Phone(digits.to_string())) } else { Err(PhoneError::Invalid) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn country_prefixes_and_separators_are_stripped() {
        for input in ["13800001111", "+86 138-0000-1111", "0086 13800001111", "8613800001111", "１３８００００１１１１"] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), "13800001111", "{input}");
        }
    }

    #[test]
    fn landlines_short_numbers_and_bad_second_digits_are_rejected() {
        for input in ["07348888888", "1380000111", "12800001111", "138000011112", "abc"] {
            assert_eq!(Phone::parse(input), Err(PhoneError::Invalid), "{input}");
        }
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
    }

    proptest! {
        #[test]
        fn every_valid_mobile_round_trips(second in 3u8..10, rest in 0u64..1_000_000_000) {
            let n = format!("1{second}{rest:09}");
            let parsed = Phone::parse(&format!("+86{n}")).unwrap();
            prop_assert_eq!(parsed.as_str(), n.as_str());
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,20}") {
            let _ = Phone::parse(&s);
        }
    }
}
