//! Vehicle plates (GA 36) as a checkpoint writes them down: normalised (full-width folded, upper
//! case, spaces, dots and dashes dropped: `湘 d·12345` is `湘D12345`) and checked against the
//! civilian formats — a province abbreviation, the issuing authority's letter, then five characters
//! of digits and letters other than I and O, or six for a new-energy plate (D or F first for a
//! small car, last for a large vehicle), or four and a suffix (挂 trailer, 学 driving school, 警
//! police, 港/澳 cross-border). Military and embassy plates are other formats and are refused; an
//! unplated or temporary vehicle is recorded as such, not as a plate. A plate says where a
//! vehicle is registered, not where its people come from: nothing is decided by it.

use crate::text::normalize_width;

/// The province (and municipality, autonomous region) abbreviations that open a plate.
pub const PROVINCES: [char; 31] =
    ['京', '津', '沪', '渝', '冀', '豫', '云', '辽', '黑', '湘', '皖', '鲁', '新', '苏', '浙', '赣', '鄂', '桂', '甘', '晋', '蒙', '陕', '吉', '闽', '贵', '粤', '青', '藏', '川', '宁', '琼'];

/// The kind of plate, read from its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateKind {
    Ordinary,
    NewEnergy,
    Trailer,
    DrivingSchool,
    Police,
    HongKong,
    Macau,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plate {
    text: String,
    kind: PlateKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateError {
    Empty,
    Province,
    Authority,
    Form,
}

impl PlateError {
    pub fn code(&self) -> &'static str {
        match self {
            PlateError::Empty => "required",
            PlateError::Province => "plate_province",
            PlateError::Authority => "plate_authority",
            PlateError::Form => "plate_invalid",
        }
    }
    pub fn zh(&self) -> &'static str {
        match self {
            PlateError::Empty => "请填写车牌号;无牌或临时牌照的车辆请选择“无牌/临时牌”",
            PlateError::Province => "车牌第一个字应为省、自治区、直辖市简称,如 湘、鄂",
            PlateError::Authority => "车牌第二位应为发牌机关字母(A–Z),如 湘D",
            PlateError::Form => "车牌号格式不对:简称和字母之后应为 5 位字母数字(新能源 6 位,字母不含 I、O),如 湘D12345",
        }
    }
    pub fn en(&self) -> &'static str {
        match self {
            PlateError::Empty => "Write the plate; for an unplated or temporary vehicle choose that option",
            PlateError::Province => "A plate starts with a province's abbreviation, e.g. 湘 or 鄂",
            PlateError::Authority => "The second character is the issuing authority's letter (A–Z), e.g. 湘D",
            PlateError::Form => "After the abbreviation and letter come 5 letters or digits (6 for new energy; no I or O), e.g. 湘D12345",
        }
    }
}

/// A digit or a letter a plate may hold (I and O would be read as 1 and 0).
fn plate_char(c: char) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && c != 'I' && c != 'O')
}

impl Plate {
    pub fn parse(input: &str) -> Result<Plate, PlateError> {
        let text: String = normalize_width(input).chars().filter(|c| !matches!(c, ' ' | '·' | '.' | '-' | '•' | '\u{3000}')).flat_map(char::to_uppercase).collect();
        let mut chars = text.chars();
        let Some(province) = chars.next() else { return Err(PlateError::Empty) };
        if !PROVINCES.contains(&province) {
            return Err(PlateError::Province);
        }
        if !chars.next().is_some_and(|c| c.is_ascii_uppercase()) {
            return Err(PlateError::Authority);
        }
        let rest: Vec<char> = chars.collect();
        let kind = match rest.as_slice() {
            [a, b, c, d, e] if [a, b, c, d, e].iter().all(|c| plate_char(**c)) => PlateKind::Ordinary,
            [a, b, c, d, suffix] if [a, b, c, d].iter().all(|c| plate_char(**c)) => match suffix {
                '挂' => PlateKind::Trailer,
                '学' => PlateKind::DrivingSchool,
                '警' => PlateKind::Police,
                '港' => PlateKind::HongKong,
                '澳' => PlateKind::Macau,
                _ => return Err(PlateError::Form),
            },
            // A small car's: D or F, a letter or digit, four digits; a large vehicle's: five digits, D or F.
            [first, second, tail @ ..] if matches!(first, 'D' | 'F') && plate_char(*second) && tail.iter().all(char::is_ascii_digit) && tail.len() == 4 => PlateKind::NewEnergy,
            [digits @ .., last] if matches!(last, 'D' | 'F') && digits.len() == 5 && digits.iter().all(char::is_ascii_digit) => PlateKind::NewEnergy,
            _ => return Err(PlateError::Form),
        };
        Ok(Plate { text, kind })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> PlateKind {
        self.kind
    }

    /// The province abbreviation it opens with (where the vehicle is registered).
    pub fn province(&self) -> char {
        self.text.chars().next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_civilian_forms_are_read_and_normalised() {
        let read = |s: &str| Plate::parse(s).map(|p| (p.as_str().to_string(), p.kind()));
        assert_eq!(read("湘D12345"), Ok(("湘D12345".into(), PlateKind::Ordinary)), "Hengyang");
        assert_eq!(read(" 鄂a·1b2c3 "), Ok(("鄂A1B2C3".into(), PlateKind::Ordinary)), "Wuhan, lower case, a dot and spaces");
        assert_eq!(read("湘ＤＤ１２３４５"), Ok(("湘DD12345".into(), PlateKind::NewEnergy)), "full-width, a small new-energy car");
        assert_eq!(read("湘A12345F"), Ok(("湘A12345F".into(), PlateKind::NewEnergy)), "a large new-energy vehicle");
        assert_eq!(read("湘D1234挂").map(|p| p.1), Ok(PlateKind::Trailer));
        assert_eq!(read("粤Z1234港").map(|p| p.1), Ok(PlateKind::HongKong));
        assert_eq!(read("湘D0123警").map(|p| p.1), Ok(PlateKind::Police));
        assert_eq!(Plate::parse("湘D12345").unwrap().province(), '湘');
    }

    #[test]
    fn other_text_is_refused_saying_which_part_is_wrong() {
        assert_eq!(Plate::parse(" "), Err(PlateError::Empty));
        assert_eq!(Plate::parse("台A12345"), Err(PlateError::Province));
        assert_eq!(Plate::parse("湘112345"), Err(PlateError::Authority));
        for bad in ["湘D1234", "湘D123456", "湘D1234O", "湘DI2345", "湘D1234甲", "湘AD1234F", "WJ湘12345"] {
            assert!(Plate::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_ordinary_plate_round_trips_however_it_is_typed(p in 0usize..31, a in "[A-Z]", rest in "[0-9A-HJ-NP-Z]{5}", spaced in any::<bool>()) {
            let plate = format!("{}{a}{rest}", PROVINCES[p]);
            let typed = if spaced { format!(" {} {}·{} ", PROVINCES[p], a.to_lowercase(), rest.to_lowercase()) } else { plate.clone() };
            let parsed = Plate::parse(&typed).unwrap();
            prop_assert_eq!(parsed.as_str(), plate.as_str());
            prop_assert_eq!(parsed.kind(), PlateKind::Ordinary);
        }
    }
}
