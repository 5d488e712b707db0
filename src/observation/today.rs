//! Alerts and the grid worker's bounded "today" list: who to visit, who has not reported, open alerts.
//! Escalation needs no timer: an alert unhandled past the rule set's limit shows on the township's list.

use super::{AlertKind, Slot, rules};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::mask::mask_name;
use serde::Serialize;
use time::Date;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AlertLine {
    pub id: i64,
    pub org_code: String,
    /// Empty for an alert about a household (an overdue revisit).
    pub person_id: Option<i64>,
    pub episode_id: Option<i64>,
    pub household_id: Option<i64>,
    pub need_id: Option<i64>,
    /// `fever`, `red_flag`, `missed_am`, `missed_pm`, `visit_overdue` or `need_overdue`.
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub day: Date,
    pub detail: String,
    pub raised_at: i64,
    pub handled_at: Option<i64>,
    pub handling_note: Option<String>,
    /// The person's name, masked; for a household, its address.
    pub name: String,
    /// Unhandled past the escalation limit: it is on the township's list too.
    #[sqlx(default)]
    pub escalated: bool,
    /// The household an overdue revisit is about, for pages to show its address in their language.
    #[sqlx(skip)]
    #[serde(skip)]
    pub household: Option<crate::org::Household>,
}

impl AlertLine {
    /// As roles that see persons masked see it: a household's address masked (names always are).
    pub fn masked(self) -> AlertLine {
        match self.household_id {
            Some(_) => AlertLine { name: fangkong_rules::mask::mask_address(&self.name), household: self.household.map(crate::org::Household::masked), ..self },
            None => self,
        }
    }
    pub fn kind_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        AlertKind::parse(&self.kind).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn raised(&self) -> String {
        crate::clock::format_micros(self.raised_at)
    }
    /// Whom the alert is about as pages show it: the person's masked name or the household's address.
    pub fn who(&self, lang: &crate::web::i18n::Lang) -> String {
        self.household.as_ref().map_or_else(|| self.name.clone(), |h| h.label(lang))
    }
    pub fn detail_in(&self, lang: &crate::web::i18n::Lang) -> String {
        super::alert_detail::in_language(&self.kind, &self.detail, *lang)
    }
}

/// Open alerts in scope, oldest first; `escalated_only` keeps those past the escalation limit.
pub async fn open_alerts(db: &Db, scope: &Scope, escalated_only: bool, today: Date, limit: i64) -> sqlx::Result<Vec<AlertLine>> {
    let rules = rules::in_force(db, today).await?;
    let cutoff = now_micros() - rules.escalation_minutes * 60_000_000;
    let (low, high) = scope.bounds();
    let rows: Vec<AlertRow> = on_db!(db, pool => sqlx::query_as::<DB, AlertRow>(
        "select a.id, a.org_code, a.person_id, a.episode_id, a.household_id, a.need_id, a.kind, a.day, a.detail, a.raised_at, a.handled_at, a.handling_note, \
                coalesce(p.name, '') as name, h.address, h.building, h.unit, h.room \
         from alerts a left join persons p on p.id = a.person_id left join households h on h.id = a.household_id \
         where a.id in (select id from alerts where org_code >= $1 and org_code < $2 and handled_at is null and ($3 = 0 or raised_at < $4) \
                        order by raised_at limit $5) \
         order by a.raised_at")
        .bind(low).bind(high).bind(i64::from(escalated_only)).bind(cutoff).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut a = row.line;
            a.escalated = a.raised_at < cutoff;
            match (row.address, a.household_id) {
                (Some(address), Some(id)) => {
                    let household = crate::org::Household { id, org_code: a.org_code.clone(), address, building: row.building, unit: row.unit, room: row.room };
                    a.name = household.label(&crate::web::i18n::Lang::Zh);
                    a.household = Some(household);
                }
                _ => a.name = mask_name(&a.name),
            }
            a
        })
        .collect())
}

/// An alert with its household's address parts, when it is about a household.
#[derive(sqlx::FromRow)]
struct AlertRow {
    #[sqlx(flatten)]
    line: AlertLine,
    address: Option<String>,
    building: Option<String>,
    unit: Option<String>,
    room: Option<String>,
}

/// Marks an alert in scope handled, with what was done.
pub async fn handle_alert(db: &Db, actor: &Actor, scope: &Scope, id: i64, note: &str) -> AppResult<()> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::invalid("note", "note_required", "请填写处置情况(不超过 500 字)"));
    }
    let (low, high) = scope.bounds();
    let org: Option<String> = on_db!(db, pool => sqlx::query_scalar::<DB, String>(
        "select org_code from alerts where id = $1 and org_code >= $2 and org_code < $3")
        .bind(id).bind(&low).bind(&high).fetch_optional(pool).await)?;
    let org = org.ok_or(AppError::NotFound)?;
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        crate::counts::alerts_counted(sqlx::query_as::<DB, (String, String)>(
            "update alerts set handled_at = $1, handled_by = $2, handling_note = $3 where id = $4 and handled_at is null returning org_code, kind")
            .bind(now_micros()).bind(actor.user_id).bind(note).bind(id).fetch_all(&mut *tx).await?, -1, &mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "alert.handle", record_type: "alert", record_id: Some(id.to_string()), org_code: org.clone(), detail: None,
        }).await?;
        tx.commit().await
    })?;
    Ok(())
}

/// A person under observation who has not reported for the half-day that is due.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MissingReport {
    pub episode_id: i64,
    pub person_id: i64,
    /// Masked.
    pub name: String,
    pub org_code: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub start_date: Date,
}

pub async fn missing_reports(db: &Db, scope: &Scope, today: Date, slot: Slot, limit: i64) -> sqlx::Result<Vec<MissingReport>> {
    let (low, high) = scope.bounds();
    let rows: Vec<MissingReport> = on_db!(db, pool => sqlx::query_as::<DB, MissingReport>(
        "select e.id as episode_id, e.person_id, p.name, e.org_code, e.start_date from observation_episodes e join persons p on p.id = e.person_id \
         where e.org_code >= $1 and e.org_code < $2 and e.status = 'active' \
         and not exists (select 1 from check_ins c where c.day = $3 and c.episode_id = e.id and c.slot = $4) \
         order by e.org_code, e.id limit $5")
        .bind(low).bind(high).bind(today).bind(slot.as_str()).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|mut m| {
            m.name = mask_name(&m.name);
            m
        })
        .collect())
}

/// Each section of the today list is bounded, so the page stays fast at city scale.
pub const SECTION_LIMIT: i64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Today {
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub date: Date,
    /// `am` or `pm`: the half-day whose reports are counted.
    pub slot: String,
    /// Whether the cut-off for that half-day has passed.
    pub past_cutoff: bool,
    pub alerts: Vec<AlertLine>,
    pub not_reported: Vec<MissingReport>,
    pub households_to_visit: Vec<crate::org::Household>,
    /// Life-needs requests not yet done, overdue first.
    pub needs: Vec<super::needs::Need>,
    /// Post-discharge follow-ups not yet done, earliest due first.
    pub follow_ups: Vec<crate::cases::follow_ups::FollowUp>,
    /// Observations that ended today or yesterday because the person became a case.
    pub became_cases: Vec<super::case_link::BecameCase>,
}

impl Today {
    /// As roles that see persons masked see it: households' addresses masked.
    pub fn masked(self) -> Today {
        Today { alerts: self.alerts.into_iter().map(AlertLine::masked).collect(), households_to_visit: self.households_to_visit.into_iter().map(crate::org::Household::masked).collect(), ..self }
    }
}

/// The caller's worklist. Below township level it holds every open alert of the area; at township
/// level and above, only those escalated past the time limit.
pub async fn today(db: &Db, scope: &Scope, level: fangkong_rules::OrgLevel, today: Date, hour: u8) -> sqlx::Result<Today> {
    let rules = rules::in_force(db, today).await?;
    let slot = if hour < 12 { Slot::Morning } else { Slot::Evening };
    let cutoff = if slot == Slot::Morning { rules.morning_cutoff_hour } else { rules.evening_cutoff_hour };
    let escalated_only = level <= fangkong_rules::OrgLevel::Township;
    Ok(Today {
        date: today,
        slot: slot.as_str().into(),
        past_cutoff: i64::from(hour) >= cutoff,
        alerts: open_alerts(db, scope, escalated_only, today, SECTION_LIMIT).await?,
        not_reported: missing_reports(db, scope, today, slot, SECTION_LIMIT).await?,
        households_to_visit: crate::screening::store::households_to_visit(db, scope, SECTION_LIMIT).await?,
        needs: super::needs::board(db, scope, None, SECTION_LIMIT).await?,
        follow_ups: crate::cases::follow_ups::open(db, scope, today, SECTION_LIMIT).await?,
        became_cases: super::case_link::recent(db, scope, today, SECTION_LIMIT).await?,
    })
}
