//! Org unit codes (GB/T 2260 and the statistics bureau's codes, plus our own grid suffix) and the
//! jurisdiction scope they imply. A code's descendants are exactly the codes that start with its
//! prefix: city `430400` → prefix `4304`; county `430481`; township `430481001`; village or community
//! `430481001001`; grid `430481001001001`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrgLevel {
    Province,
    City,
    County,
    Township,
    Village,
    Grid,
}

impl OrgLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgLevel::Province => "province",
            OrgLevel::City => "city",
            OrgLevel::County => "county",
            OrgLevel::Township => "township",
            OrgLevel::Village => "village",
            OrgLevel::Grid => "grid",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            OrgLevel::Province => "省",
            OrgLevel::City => "市",
            OrgLevel::County => "县(市、区)",
            OrgLevel::Township => "乡镇(街道)",
            OrgLevel::Village => "村(社区)",
            OrgLevel::Grid => "网格",
        }
    }
    /// The level whose units sit directly below this one.
    pub fn child(self) -> Option<OrgLevel> {
        match self {
            OrgLevel::Province => Some(OrgLevel::City),
            OrgLevel::City => Some(OrgLevel::County),
            OrgLevel::County => Some(OrgLevel::Township),
            OrgLevel::Township => Some(OrgLevel::Village),
            OrgLevel::Village => Some(OrgLevel::Grid),
            OrgLevel::Grid => None,
        }
    }
}

/// A syntactically valid org code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(input: &str) -> Result<OrgCode, &'static str> {
        let s = crate::text::normalize_width(input);
        if !s.bytes().all(|b| b.is_ascii_digit()) || ![6, 9, 12, 15].contains(&s.len()) {
            return Err("单位代码应为 6、9、12 或 15 位数字");
        }
        if s.starts_with("00") || (s.len() == 6 && s.ends_with("0000") && s[..2] == *"00") {
            return Err("单位代码无效");
        }
        if s.len() > 6 && s[s.len() - 3..] == *"000" {
            return Err("单位代码最后三位不能为 000");
        }
        Ok(OrgCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> OrgLevel {
        match self.0.len() {
            6 if self.0.ends_with("0000") => OrgLevel::Province,
            6 if self.0.ends_with("00") => OrgLevel::City,
            6 => OrgLevel::County,
            9 => OrgLevel::Township,
            12 => OrgLevel::Village,
            _ => OrgLevel::Grid,
        }
    }

    /// The prefix shared by this unit and all its descendants.
    pub fn prefix(&self) -> &str {
        match self.level() {
            OrgLevel::Province => &self.0[..2],
            OrgLevel::City => &self.0[..4],
            _ => &self.0,
        }
    }

    /// The unit directly above (`None` for a province). A county's parent is its city code
    /// (`430481` → `430400`).
    pub fn parent(&self) -> Option<OrgCode> {
        match self.level() {
            OrgLevel::Province => None,
            OrgLevel::City => Some(OrgCode(format!("{}0000", &self.0[..2]))),
            OrgLevel::County => Some(OrgCode(format!("{}00", &self.0[..4]))),
            _ => Some(OrgCode(self.0[..self.0.len() - 3].to_string())),
        }
    }

    /// Whether this is a department of the city (市直部门, such as the environmental sanitation
    /// centre): a 9-digit code under a city code (`430400901`). It owns no records; its staff
    /// work across the city, within what their role may see.
    pub fn is_city_department(&self) -> bool {
        self.0.len() == 9 && self.0[4..6] == *"00"
    }

    /// Whether `other` is this unit or one of its descendants.
    pub fn contains(&self, other: &OrgCode) -> bool {
        other.0.starts_with(self.prefix())
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a caller may see: every record whose owning `org_code` starts with the scope's prefix.
/// Storage functions take a `Scope` argument, so no query over personal data can forget it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    prefix: String,
}

impl Scope {
    /// The jurisdiction of a user whose home unit is `home`; a city department's is its city.
    pub fn of(home: &OrgCode) -> Scope {
        match home.parent().filter(|_| home.is_city_department()) {
            Some(city) => Scope::of(&city),
            None => Scope { prefix: home.prefix().to_string() },
        }
    }

    /// Everything: for the command line run by the machine's operator and for the demo loader.
    pub fn everything() -> Scope {
        Scope { prefix: String::new() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The unit whose jurisdiction this is (`4304` → `430400`); `None` for everything.
    pub fn unit(&self) -> Option<OrgCode> {
        if self.prefix.is_empty() {
            return None;
        }
        OrgCode::parse(&format!("{:0<6}", self.prefix)).ok()
    }

    /// The half-open range `[low, high)` of codes in scope, so that a plain index serves the test
    /// `org_code >= low and org_code < high` on both databases (unlike `like 'prefix%'`).
    pub fn bounds(&self) -> (String, String) {
        if self.prefix.is_empty() {
            return (String::new(), "~".to_string());
        }
        let mut high = self.prefix.clone().into_bytes();
        // Codes are digits, so raising the last byte never overflows past '9' + 1 = ':'.
        *high.last_mut().expect("non-empty") += 1;
        (self.prefix.clone(), String::from_utf8(high).expect("ascii"))
    }

    pub fn allows(&self, code: &str) -> bool {
        code.starts_with(&self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_names_its_unit() {
        for code in ["430400", "430481", "430481001", "430481001001", "430481001001001"] {
            assert_eq!(Scope::of(&OrgCode::parse(code).unwrap()).unit().unwrap().as_str(), code);
        }
        assert_eq!(Scope::everything().unit(), None);
    }

    fn code(s: &str) -> OrgCode {
        OrgCode::parse(s).unwrap()
    }

    #[test]
    fn levels_follow_the_code_length_and_zero_suffixes() {
        assert_eq!(code("430000").level(), OrgLevel::Province);
        assert_eq!(code("430400").level(), OrgLevel::City);
        assert_eq!(code("430481").level(), OrgLevel::County);
        assert_eq!(code("430481001").level(), OrgLevel::Township);
        assert_eq!(code("430481001001").level(), OrgLevel::Village);
        assert_eq!(code("430481001001001").level(), OrgLevel::Grid);
    }

    #[test]
    fn parents_walk_up_to_the_province() {
        let mut c = code("430481001001001");
        let mut chain = vec![c.to_string()];
        while let Some(p) = c.parent() {
            chain.push(p.to_string());
            c = p;
        }
        assert_eq!(chain, ["430481001001001", "430481001001", "430481001", "430481", "430400", "430000"]);
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in ["", "4304", "43048a", "4304810010", "000000", "430481000", "43048100100100"] {
            assert!(OrgCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_city_scope_contains_its_counties_but_not_another_city() {
        let city = Scope::of(&code("430400"));
        assert!(city.allows("430481001001001"));
        assert!(city.allows("430400"));
        assert!(!city.allows("430502"));
        assert_eq!(city.bounds(), ("4304".to_string(), "4305".to_string()));
    }

    #[test]
    fn a_county_scope_excludes_its_neighbour() {
        let leiyang = Scope::of(&code("430481"));
        assert!(leiyang.allows("430481001001001"));
        assert!(!leiyang.allows("430482001001001"));
        let (low, high) = leiyang.bounds();
        assert!("430481999999999" < high.as_str() && "430482" >= high.as_str() && "430481" >= low.as_str());
    }

    #[test]
    fn a_city_department_works_across_its_city_and_a_street_does_not() {
        let centre = code("430400901");
        assert!(centre.is_city_department() && !code("430407001").is_city_department() && !code("430400").is_city_department());
        assert_eq!(centre.parent(), Some(code("430400")));
        assert_eq!(Scope::of(&centre), Scope::of(&code("430400")));
        assert_eq!(Scope::of(&code("430407001")).prefix(), "430407001");
    }

    #[test]
    fn containment_matches_the_scope_test() {
        assert!(code("430400").contains(&code("430481001")));
        assert!(code("430481").contains(&code("430481")));
        assert!(!code("430481001").contains(&code("430481002001")));
    }
}
