//! How a stored person is shown: masked in lists, searches and exports; in full only in the audited
//! detail view of roles that need it.

use super::IdType;
use fangkong_rules::mask::{mask_id_number, mask_name, mask_phone};
use serde::Serialize;
use time::Date;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub org_code: String,
    pub household_id: Option<i64>,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub id_legacy: bool,
    pub sex: Option<String>,
    pub birth_date: Option<Date>,
    pub phone: Option<String>,
    pub ethnicity: Option<String>,
    pub current_address: Option<String>,
    pub hukou_code: Option<String>,
    pub work_unit: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when this record was merged into another (the kept record's id).
    pub merged_into: Option<i64>,
}

pub const COLUMNS: &str = "id, org_code, household_id, name, id_type, id_number, id_legacy, sex, birth_date, phone, \
     ethnicity, current_address, hukou_code, work_unit, created_at, updated_at, merged_into";

/// A person as the API and pages show it. When `masked`, name, ID and phone are masked and the birth
/// date and address are left out (the ID mask hides the birth date on purpose).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub masked: bool,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    /// A 15-digit legacy resident ID (GB 11643-1989).
    pub id_legacy: bool,
    pub sex: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub birth_date: Option<Date>,
    /// Age in whole years today; kept in the masked view (without the birth date) so that two
    /// "李**" of one unit can be told apart.
    pub age: Option<i64>,
    pub phone: Option<String>,
    pub ethnicity: Option<String>,
    pub org_code: String,
    pub household_id: Option<i64>,
    pub current_address: Option<String>,
    pub hukou_code: Option<String>,
    pub work_unit: Option<String>,
    /// Epoch microseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// The record this duplicate was merged into.
    pub merged_into: Option<i64>,
}

impl PersonRow {
    pub fn full(self) -> PersonView {
        PersonView {
            id: self.id,
            masked: false,
            name: self.name,
            id_type: self.id_type,
            id_number: self.id_number,
            id_legacy: self.id_legacy,
            sex: self.sex,
            age: self.birth_date.map(|born| age_on(born, crate::clock::today())),
            birth_date: self.birth_date,
            phone: self.phone,
            ethnicity: self.ethnicity,
            org_code: self.org_code,
            household_id: self.household_id,
            current_address: self.current_address,
            hukou_code: self.hukou_code,
            work_unit: self.work_unit,
            created_at: self.created_at,
            updated_at: self.updated_at,
            merged_into: self.merged_into,
        }
    }

    pub fn masked(self) -> PersonView {
        let mut view = self.full();
        view.masked = true;
        view.name = mask_name(&view.name);
        view.id_number = mask_id_number(&view.id_number);
        view.phone = view.phone.as_deref().map(mask_phone);
        view.birth_date = None;
        view.current_address = None;
        view
    }
}

/// Whole years from `born` to `today`.
fn age_on(born: Date, today: Date) -> i64 {
    let years = i64::from(today.year() - born.year());
    if (today.month() as u8, today.day()) < (born.month() as u8, born.day()) { years - 1 } else { years }
}

impl PersonView {
    pub fn id_type_label(&self, lang: crate::web::i18n::Lang) -> &'static str {
        let t = IdType::parse(&self.id_type).unwrap_or(IdType::Other);
        lang.pick(t.zh(), t.en())
    }

    pub fn sex_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        self.sex.as_deref().and_then(fangkong_rules::resident_id::Sex::parse).map_or("", |s| lang.pick(s.zh(), s.en()))
    }
}
