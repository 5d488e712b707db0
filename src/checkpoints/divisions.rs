//! Where a traveller comes from and goes to: GB/T 2260 division codes, embedded from
//! `data/divisions.csv` — every province, Hubei's prefecture-level divisions (and its
//! province-administered county cities), Wenzhou, and Hunan's 14 prefectures with their 122
//! counties (2019 edition, in force in February 2020). A destination inside the city is a unit of
//! the org tree instead, down to the community or grid it goes to.

use crate::error::FieldError;
use std::sync::OnceLock;

const CSV: &str = include_str!("../../data/divisions.csv");

/// A division of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub name: String,
    /// The province or prefecture above it ("" for a province).
    pub parent_code: String,
    /// `province`, `prefecture` or `county`.
    pub level: String,
}

/// Every division on the list, in the file's order (provinces first).
pub fn all() -> &'static [Division] {
    static ALL: OnceLock<Vec<Division>> = OnceLock::new();
    ALL.get_or_init(|| {
        CSV.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                Division { code: f[0].into(), name: f[1].into(), parent_code: f[2].into(), level: f[3].into() }
            })
            .collect()
    })
}

pub fn find(code: &str) -> Option<&'static Division> {
    all().iter().find(|d| d.code == code)
}

/// "湖北省武汉市": a division with the names above it, as a list shows it.
pub fn full_name(code: &str) -> Option<String> {
    let division = find(code)?;
    let mut names = vec![division.name.as_str()];
    let mut parent = division.parent_code.as_str();
    while let Some(above) = find(parent) {
        names.push(&above.name);
        parent = &above.parent_code;
    }
    names.reverse();
    Some(names.concat())
}

/// "湖北省武汉市 420100": an option of the searchable list.
pub fn shown(code: &str) -> String {
    full_name(code).map_or_else(|| code.to_string(), |name| format!("{name} {code}"))
}

/// Every division as the list offers it.
pub fn options() -> Vec<String> {
    all().iter().map(|d| shown(&d.code)).collect()
}

/// The division a field names: the code at the end of a chosen option, a code typed alone, or a
/// name typed in full ("武汉市", "湖北省武汉市") when only one division has it. The field's error
/// otherwise.
pub fn chosen(field: &str, text: &str) -> Result<&'static Division, FieldError> {
    let text = fangkong_rules::normalize_width(text.trim());
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "required", "请从列表中选择地区"));
    }
    let tail: String = text.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    if tail.len() == 6 {
        return find(&tail).ok_or_else(|| unknown(field));
    }
    let named: Vec<&Division> = all().iter().filter(|d| d.name == text || full_name(&d.code).as_deref() == Some(text)).collect();
    match named.as_slice() {
        [one] => Ok(one),
        _ => Err(unknown(field)),
    }
}

fn unknown(field: &str) -> FieldError {
    FieldError::new(field, "division_unknown", "不是列表中的行政区划,请从列表中选择(省、湖北各市或湖南各县市区)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_every_province_and_hunans_counties() {
        assert_eq!(all().iter().filter(|d| d.level == "province").count(), 34);
        assert_eq!(all().iter().filter(|d| d.parent_code.starts_with("43") && d.level == "prefecture").count(), 14);
        assert_eq!(all().iter().filter(|d| d.code.starts_with("43") && d.level == "county").count(), 122);
        assert!(all().iter().all(|d| d.parent_code.is_empty() || find(&d.parent_code).is_some()), "every parent is on the list");
    }

    #[test]
    fn a_division_is_chosen_by_option_code_or_unique_name() {
        assert_eq!(shown("420100"), "湖北省武汉市 420100");
        assert_eq!(chosen("origin", "湖北省武汉市 420100").unwrap().code, "420100");
        assert_eq!(chosen("origin", "４２０１００").unwrap().code, "420100");
        assert_eq!(chosen("origin", "武汉市").unwrap().code, "420100");
        assert_eq!(full_name("430481").as_deref(), Some("湖南省衡阳市耒阳市"));
        for bad in ["", "420199", "火星", "4201"] {
            assert!(chosen("origin", bad).is_err(), "{bad:?}");
        }
    }
}
