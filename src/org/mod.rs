//! The org tree (组织架构): city → county → township → village/community → grid, and households (户).

pub mod api;
pub mod names;
pub mod pages;
pub mod picker;
pub mod reference;
pub mod store;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}

use fangkong_rules::OrgCode;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrgUnit {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    /// `city`, `county`, `township`, `village` or `grid`.
    pub level: String,
    /// Finer kind: `district`, `county`, `street`, `town`, `township`, `farm_or_park`, `community`, `village`, `grid`…
    pub kind: Option<String>,
    pub population: Option<i64>,
}

impl OrgUnit {
    pub fn code(&self) -> OrgCode {
        OrgCode::parse(&self.code).expect("stored org codes are valid")
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Household {
    pub id: i64,
    pub org_code: String,
    pub address: String,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

impl Household {
    /// As roles that see persons masked see it: the address masked, building, unit and room left out.
    pub fn masked(self) -> Household {
        Household { address: fangkong_rules::mask::mask_address(&self.address), building: None, unit: None, room: None, ..self }
    }

    /// `南城一品 3栋 2单元 501室` (in English `南城一品 bldg 3 unit 2 room 501`): the address with
    /// building, unit and room when known; a part that is not a bare number is shown as written.
    pub fn label(&self, lang: &crate::web::i18n::Lang) -> String {
        let mut s = self.address.clone();
        let words = [(&self.building, "栋", "bldg"), (&self.unit, "单元", "unit"), (&self.room, "室", "room")];
        for (part, zh, en) in words {
            if let Some(p) = part.as_deref().filter(|p| !p.is_empty()) {
                let number = p.chars().all(|c| c.is_ascii_digit());
                match (number, lang) {
                    (true, crate::web::i18n::Lang::En) => s.push_str(&format!(" {en} {p}")),
                    (true, crate::web::i18n::Lang::Zh) => s.push_str(&format!(" {p}{zh}")),
                    (false, _) => s.push_str(&format!(" {p}")),
                }
            }
        }
        s
    }
}

/// An address as two are compared, typed or pasted: without spaces, full-width characters folded
/// ("测试路１号 1栋" is "测试路1号1栋").
pub fn folded_address(address: &str) -> String {
    fangkong_rules::normalize_width(address).chars().filter(|c| !c.is_whitespace()).collect()
}
