//! Validation of ledger entries, shared by the API, the web form and imports.

use super::{Category, ResponsibleRole, Transport};
use crate::clock::parse_date;
use crate::error::FieldError;
use fangkong_rules::Phone;
use serde::Deserialize;
use time::Date;
use time::macros::date;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponsibleInput {
    /// `grid_worker`, `cadre`, `party_member`, `doctor`, `auxiliary_police`, `group_leader`, `relative`.
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A key person's "十清楚" facts as submitted.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPersonInput {
    pub person_id: i64,
    /// `wuhan_returnee`, `hubei_returnee`, `high_risk_returnee`, `floating`, `close_contact`,
    /// `suspicious_exposure`, `discharged_patient`, `other` (or the Chinese label).
    pub category: String,
    /// Where they came from: a 6-digit division code (e.g. 420100 武汉市).
    #[serde(default)]
    pub origin_code: Option<String>,
    #[serde(default)]
    pub origin_place: Option<String>,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub departure_date: Option<String>,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub arrival_date: Option<String>,
    #[serde(default)]
    pub transport: Option<String>,
    /// Train, flight or plate number.
    #[serde(default)]
    pub transport_no: Option<String>,
    #[serde(default)]
    pub companions: Option<String>,
    /// Contact with confirmed or suspected cases.
    #[serde(default)]
    pub case_contact: Option<String>,
    /// Symptoms at registration.
    #[serde(default)]
    pub symptoms: Option<String>,
    /// Measures taken (home isolation, centralized, health monitoring…).
    #[serde(default)]
    pub measures: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The named responsible people; at least the grid worker.
    #[serde(default)]
    pub responsibles: Vec<ResponsibleInput>,
}

#[derive(Debug, Clone)]
pub struct ValidResponsible {
    pub role: ResponsibleRole,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ValidKeyPerson {
    pub person_id: i64,
    pub category: Category,
    pub origin_code: Option<String>,
    pub origin_place: Option<String>,
    pub departure_date: Option<Date>,
    pub arrival_date: Option<Date>,
    pub transport: Option<Transport>,
    pub transport_no: Option<String>,
    pub companions: Option<String>,
    pub case_contact: Option<String>,
    pub symptoms: Option<String>,
    pub measures: Option<String>,
    pub note: Option<String>,
    pub responsibles: Vec<ValidResponsible>,
}

impl ValidKeyPerson {
    /// An entry known only by its category, every other fact left to be filled in (the benchmark
    /// city's and the tests' ledgers; a form always goes through validation).
    pub fn of_category(category: Category) -> ValidKeyPerson {
        ValidKeyPerson {
            person_id: 0,
            category,
            origin_code: None,
            origin_place: None,
            departure_date: None,
            arrival_date: None,
            transport: None,
            transport_no: None,
            companions: None,
            case_contact: None,
            symptoms: None,
            measures: None,
            note: None,
            responsibles: Vec::new(),
        }
    }
}

/// The outbreak's first reports: no travel date before it belongs on this ledger.
const EARLIEST: Date = date!(2019 - 12 - 01);

fn text(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>, max: usize) -> Option<String> {
    let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError::new(field, "too_long", format!("不能超过 {max} 个字")));
        return None;
    }
    Some(v.to_string())
}

fn travel_date(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>, today: Date) -> Option<Date> {
    let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    match parse_date(v) {
        Some(d) if d > today => errors.push(FieldError::new(field, "date_future", "日期不能晚于今天")),
        Some(d) if d < EARLIEST => errors.push(FieldError::new(field, "date_too_early", "日期不能早于 2019-12-01")),
        Some(d) => return Some(d),
        None => errors.push(FieldError::new(field, "date_invalid", crate::clock::date_problem(v))),
    }
    None
}

impl KeyPersonInput {
    pub fn validate(&self, today: Date) -> Result<ValidKeyPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let category = Category::parse(&self.category);
        if category.is_none() {
            errors.push(FieldError::new("category", "category_unknown", "请选择人员类别"));
        }
        let origin_code = text(&mut errors, "origin_code", &self.origin_code, 6).and_then(|c| {
            let c = fangkong_rules::normalize_width(&c);
            let ok = c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) && !c.starts_with("00");
            if !ok {
                errors.push(FieldError::new("origin_code", "division_invalid", "来源地应为 6 位行政区划代码,如 420100"));
            }
            ok.then_some(c)
        });
        let departure_date = travel_date(&mut errors, "departure_date", &self.departure_date, today);
        let arrival_date = travel_date(&mut errors, "arrival_date", &self.arrival_date, today);
        if let (Some(d), Some(a)) = (departure_date, arrival_date)
            && a < d
        {
            errors.push(FieldError::new("arrival_date", "arrival_before_departure", "抵达日期不能早于离开日期"));
        }
        let transport = text(&mut errors, "transport", &self.transport, 20).and_then(|t| {
            let parsed = Transport::parse(&t);
            if parsed.is_none() {
                errors.push(FieldError::new("transport", "transport_unknown", "交通方式应为火车、飞机、长途客车、自驾、轮船或其他"));
            }
            parsed
        });
        let mut responsibles = Vec::new();
        for (i, r) in self.responsibles.iter().enumerate() {
            if r.name.trim().is_empty() && r.phone.as_deref().unwrap_or("").trim().is_empty() {
                continue;
            }
            let field = format!("responsibles[{i}]");
            let Some(role) = ResponsibleRole::parse(&r.role) else {
                errors.push(FieldError::new(&field, "role_unknown", "责任人角色无效"));
                continue;
            };
            let name = r.name.trim();
            if name.is_empty() || name.chars().count() > 50 {
                errors.push(FieldError::new(&field, "name_required", format!("请填写{}姓名", role.zh())));
                continue;
            }
            let phone = match r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => None,
                Some(p) => match Phone::parse(p) {
                    Ok(p) => Some(p.as_str().to_string()),
                    Err(e) => {
                        errors.push(FieldError::new(&field, e.code(), format!("{}:{}", role.zh(), e.zh())));
                        continue;
                    }
                },
            };
            responsibles.push(ValidResponsible { role, name: name.to_string(), phone });
        }
        if !responsibles.iter().any(|r| r.role == ResponsibleRole::GridWorker) && !errors.iter().any(|e| e.field.starts_with("responsibles")) {
            errors.push(FieldError::new("responsibles", "grid_worker_required", "至少要有一名责任网格员"));
        }
        let mut t = |field: &str, value: &Option<String>, max: usize| text(&mut errors, field, value, max);
        let valid = ValidKeyPerson {
            person_id: self.person_id,
            category: category.unwrap_or(Category::Other),
            origin_code,
            origin_place: t("origin_place", &self.origin_place, 100),
            departure_date,
            arrival_date,
            transport,
            transport_no: t("transport_no", &self.transport_no, 30).map(|n| fangkong_rules::normalize_width(&n).to_uppercase()),
            companions: t("companions", &self.companions, 200),
            case_contact: t("case_contact", &self.case_contact, 200),
            symptoms: t("symptoms", &self.symptoms, 200),
            measures: t("measures", &self.measures, 200),
            note: t("note", &self.note, 500),
            responsibles,
        };
        if errors.is_empty() { Ok(valid) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> KeyPersonInput {
        KeyPersonInput {
            person_id: 1,
            category: "武汉返乡人员".into(),
            departure_date: Some("2020-01-20".into()),
            arrival_date: Some("2020-01-21".into()),
            transport: Some("火车".into()),
            transport_no: Some("g1234".into()),
            responsibles: vec![ResponsibleInput { role: "grid_worker".into(), name: "李网格".into(), phone: Some("13800001111".into()) }],
            ..Default::default()
        }
    }

    #[test]
    fn a_returnee_with_a_grid_worker_is_valid() {
        let v = input().validate(date!(2020 - 02 - 04)).unwrap();
        assert_eq!(v.category, Category::WuhanReturnee);
        assert_eq!(v.transport_no.as_deref(), Some("G1234"));
        assert_eq!(v.responsibles[0].role, ResponsibleRole::GridWorker);
    }

    #[test]
    fn a_grid_worker_must_be_named() {
        let mut i = input();
        i.responsibles[0].role = "doctor".into();
        let errors = i.validate(date!(2020 - 02 - 04)).unwrap_err();
        assert_eq!(errors[0].code, "grid_worker_required");
    }

    #[test]
    fn arrival_before_departure_and_future_dates_are_refused() {
        let mut i = input();
        i.arrival_date = Some("2020-01-19".into());
        i.departure_date = Some("2020-03-01".into());
        let codes: Vec<String> = i.validate(date!(2020 - 02 - 04)).unwrap_err().into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["date_future"]);
        let mut i = input();
        i.arrival_date = Some("2020-01-19".into());
        let codes: Vec<String> = i.validate(date!(2020 - 02 - 04)).unwrap_err().into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["arrival_before_departure"]);
    }
}
