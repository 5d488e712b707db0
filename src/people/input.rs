//! What a person record must satisfy before it is stored: the registry's validation rules, shared by
//! the API, the web form and (later) ledger imports.

use crate::clock::parse_date;
use crate::error::FieldError;
use fangkong_rules::{OrgCode, Phone, ResidentId, Sex, ethnicity};
use serde::Deserialize;
use time::Date;

/// Identity document types (证件类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdType {
    /// 居民身份证
    ResidentId,
    /// 护照
    Passport,
    /// 港澳居民来往内地通行证
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
    Other,
}

impl IdType {
    pub const ALL: [IdType; 5] = [IdType::ResidentId, IdType::Passport, IdType::HkMacaoPermit, IdType::TaiwanPermit, IdType::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::Passport => "passport",
            IdType::HkMacaoPermit => "hk_macao_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<IdType> {
        IdType::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
    pub fn zh(self) -> &'static str {
        match self {
            IdType::ResidentId => "居民身份证",
            IdType::Passport => "护照",
            IdType::HkMacaoPermit => "港澳居民来往内地通行证",
            IdType::TaiwanPermit => "台湾居民来往大陆通行证",
            IdType::Other => "其他证件",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            IdType::ResidentId => "Resident ID card",
            IdType::Passport => "Passport",
            IdType::HkMacaoPermit => "Hong Kong/Macao permit",
            IdType::TaiwanPermit => "Taiwan permit",
            IdType::Other => "Other document",
        }
    }
}

/// A person as submitted, before validation. Unknown JSON fields are refused.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    /// `resident_id` (default), `passport`, `hk_macao_permit`, `taiwan_permit`, `other`.
    #[serde(default)]
    pub id_type: Option<String>,
    pub id_number: String,
    /// `male` / `female` (or 男 / 女); derived from a resident ID when omitted.
    #[serde(default)]
    pub sex: Option<String>,
    /// `YYYY-MM-DD`; derived from a resident ID when omitted.
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub ethnicity: Option<String>,
    /// The owning unit: a grid, village/community or higher unit in the caller's jurisdiction.
    pub org_code: String,
    #[serde(default)]
    pub household_id: Option<i64>,
    #[serde(default)]
    pub current_address: Option<String>,
    /// Household-registration place (户籍地), a 6-digit division code.
    #[serde(default)]
    pub hukou_code: Option<String>,
    #[serde(default)]
    pub work_unit: Option<String>,
}

/// A person that passed every rule.
#[derive(Debug, Clone)]
pub struct ValidPerson {
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    /// The de-duplication key: the 18-digit form of a resident ID, the upper-cased number otherwise.
    pub id_key: String,
    pub id_legacy: bool,
    pub sex: Option<Sex>,
    pub birth_date: Option<Date>,
    pub phone: Option<String>,
    pub ethnicity: Option<&'static str>,
    pub org_code: OrgCode,
    pub household_id: Option<i64>,
    pub current_address: Option<String>,
    pub hukou_code: Option<String>,
    pub work_unit: Option<String>,
    /// Accepted but worth a second look (legacy number, unknown area code).
    pub warnings: Vec<String>,
}

fn optional(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

fn limited(errors: &mut Vec<FieldError>, field: &str, value: Option<String>, max: usize, label: &str) -> Option<String> {
    match value {
        Some(v) if v.chars().count() > max => {
            errors.push(FieldError::new(field, "too_long", format!("{label}不能超过 {max} 个字")));
            None
        }
        v => v,
    }
}

impl PersonInput {
    /// Applies the registry's rules; `today` bounds birth dates. Returns every field error at once.
    pub fn validate(&self, today: Date) -> Result<ValidPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();

        let name: String = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            errors.push(FieldError::new("name", "required", "请填写姓名"));
        } else if name.chars().count() > 50 {
            errors.push(FieldError::new("name", "too_long", "姓名不能超过 50 个字"));
        } else if name.chars().any(|c| c.is_ascii_digit() || c.is_control()) {
            errors.push(FieldError::new("name", "name_characters", "姓名不能包含数字或控制字符"));
        }

        let id_type = match optional(&self.id_type) {
            None => IdType::ResidentId,
            Some(t) => IdType::parse(&t).unwrap_or_else(|| {
                errors.push(FieldError::new("id_type", "id_type_unknown", "证件类型无效"));
                IdType::Other
            }),
        };

        let typed_sex = optional(&self.sex).map(|s| Sex::parse(&s).ok_or_else(|| errors.push(FieldError::new("sex", "sex_invalid", "性别应为男或女"))));
        let typed_birth = optional(&self.birth_date).and_then(|s| {
            let error = match parse_date(&s) {
                Some(d) if d <= today => return Some(d),
                Some(_) => FieldError::new("birth_date", "birth_future", "出生日期不能晚于今天"),
                None => FieldError::new("birth_date", "date_invalid", crate::clock::date_problem(&s)),
            };
            errors.push(error);
            None
        });
        let typed_sex = typed_sex.and_then(Result::ok);

        let (mut id_number, mut id_key, mut id_legacy, mut sex, mut birth_date) = (String::new(), String::new(), false, typed_sex, typed_birth);
        if id_type == IdType::ResidentId {
            match ResidentId::parse(&self.id_number, today) {
                Ok(id) => {
                    if typed_sex.is_some_and(|s| s != id.sex()) {
                        errors.push(FieldError::new("sex", "sex_mismatch", format!("性别与身份证号不符(身份证号显示为{})", id.sex().zh())));
                    }
                    if typed_birth.is_some_and(|d| d != id.birth_date()) {
                        errors.push(FieldError::new("birth_date", "birth_mismatch", format!("出生日期与身份证号不符(身份证号显示为 {})", id.birth_date())));
                    }
                    if id.is_legacy15() {
                        warnings.push("这是 15 位旧身份证号,已按升位后的 18 位号码查重;请尽量核对新证号码".to_string());
                    }
                    if !id.province_known() {
                        warnings.push(format!("身份证号地区码 {} 不在已知省份中,请核对", id.area_code()));
                    } else if id.area_code().starts_with("4304") && !crate::org::reference::is_known_county(id.area_code()) {
                        warnings.push(format!("身份证号地区码 {} 不是衡阳现行县级区划(可能是已撤销的旧区划),请核对", id.area_code()));
                    }
                    (id_number, id_key, id_legacy, sex, birth_date) = (id.number().to_string(), id.canonical().to_string(), id.is_legacy15(), Some(id.sex()), Some(id.birth_date()));
                }
                Err(e) => errors.push(FieldError::new("id_number", e.code(), e.zh())),
            }
        } else {
            let n = fangkong_rules::normalize_width(&self.id_number).to_ascii_uppercase();
            if n.is_empty() {
                errors.push(FieldError::new("id_number", "required", "请填写证件号码"));
            } else if !(4..=30).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'(' || b == b')') {
                errors.push(FieldError::new("id_number", "id_characters", "证件号码应为 4–30 位字母或数字"));
            } else {
                id_key = n.clone();
                id_number = n;
            }
        }

        let phone = optional(&self.phone).and_then(|p| match Phone::parse(&p) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(e) => {
                errors.push(FieldError::new("phone", e.code(), e.zh()));
                None
            }
        });
        let ethnicity = optional(&self.ethnicity).and_then(|e| {
            let found = ethnicity::parse(&e);
            if found.is_none() {
                errors.push(FieldError::new("ethnicity", "ethnicity_unknown", "民族应为 56 个民族之一(或“其他”)"));
            }
            found
        });
        let org_code = match OrgCode::parse(&self.org_code) {
            Ok(c) => Some(c),
            Err(m) => {
                errors.push(FieldError::new("org_code", "org_invalid", m));
                None
            }
        };
        let hukou_code = optional(&self.hukou_code).and_then(|h| {
            let h = fangkong_rules::normalize_width(&h);
            if h.len() == 6 && h.bytes().all(|b| b.is_ascii_digit()) && !h.starts_with("00") {
                Some(h)
            } else {
                errors.push(FieldError::new("hukou_code", "division_invalid", "户籍地应为 6 位行政区划代码,如 430481"));
                None
            }
        });
        let current_address = limited(&mut errors, "current_address", optional(&self.current_address), 200, "现住址");
        let work_unit = limited(&mut errors, "work_unit", optional(&self.work_unit), 100, "工作单位");
        if birth_date.is_some_and(|d| d.year() < 1880) {
            errors.push(FieldError::new("birth_date", "date_invalid", "出生日期不合理"));
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidPerson {
            name,
            id_type,
            id_number,
            id_key,
            id_legacy,
            sex,
            birth_date,
            phone,
            ethnicity,
            org_code: org_code.expect("no errors means a code"),
            household_id: self.household_id,
            current_address,
            hukou_code,
            work_unit,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2020 - 02 - 04);

    fn input(id: &str) -> PersonInput {
        PersonInput { name: "张三".into(), id_number: id.into(), org_code: "430481001001001".into(), ..Default::default() }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn sex_and_birth_date_are_filled_from_the_resident_id() {
        let p = input("43048119900101123X").validate(TODAY).unwrap();
        assert_eq!(p.sex, Some(Sex::Male));
        assert_eq!(p.birth_date, Some(date!(1990 - 01 - 01)));
        assert_eq!(p.id_key, "43048119900101123X");
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn a_typed_sex_that_contradicts_the_id_is_a_field_error() {
        let mut i = input("43048119900101123X");
        i.sex = Some("女".into());
        i.birth_date = Some("1990-01-02".into());
        let errs = fields(i.validate(TODAY).unwrap_err());
        assert_eq!(errs, [("sex".into(), "sex_mismatch".into()), ("birth_date".into(), "birth_mismatch".into())]);
    }

    #[test]
    fn a_bad_checksum_names_the_id_field() {
        assert_eq!(fields(input("430481199001011231").validate(TODAY).unwrap_err()), [("id_number".into(), "id_checksum".into())]);
    }

    #[test]
    fn a_legacy_number_is_accepted_with_a_warning() {
        let p = input("430481900101123").validate(TODAY).unwrap();
        assert!(p.id_legacy);
        assert_eq!(p.id_key, "43048119900101123X");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn a_phone_with_country_code_is_stored_bare_and_a_landline_is_refused() {
        let mut i = input("43048119900101123X");
        i.phone = Some("+86 138 0000 1111".into());
        assert_eq!(i.validate(TODAY).unwrap().phone.as_deref(), Some("13800001111"));
        i.phone = Some("0734-8888888".into());
        assert_eq!(fields(i.validate(TODAY).unwrap_err()), [("phone".into(), "phone_invalid".into())]);
    }

    #[test]
    fn a_passport_number_is_upper_cased_and_needs_no_checksum() {
        let mut i = input("e1234567");
        i.id_type = Some("passport".into());
        let p = i.validate(TODAY).unwrap();
        assert_eq!((p.id_number.as_str(), p.sex), ("E1234567", None));
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let i = PersonInput { name: "".into(), id_number: "4.30481E+17".into(), org_code: "12".into(), ethnicity: Some("火星".into()), ..Default::default() };
        let errs = fields(i.validate(TODAY).unwrap_err());
        let names: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["name", "id_number", "ethnicity", "org_code"]);
        assert!(errs.contains(&("id_number".into(), "id_excel_mangled".into())));
    }
}
