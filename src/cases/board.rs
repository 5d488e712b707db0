//! The case board (病例看板) of a county or the city: cases by status, patients in hospital by
//! clinical classification, contacts in their observation period, follow-ups due, free beds, and
//! the clocks that are overdue — each overdue clock shows on its county's board and rolls up to the
//! city's, with a breakdown by child unit. The figures are read from the unit's roll-up counts
//! (`crate::counts`); the overdue clocks from an index range of the caller's jurisdiction, the
//! listed ones bounded.

use super::clocks::ClockKind;
use super::{CaseStatus, Severity};
use crate::db::Db;
use crate::on_db;
use crate::org::OrgUnit;
use fangkong_rules::mask::mask_name;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, Duration};

const HOUR: i64 = 3_600_000_000;
/// Overdue clocks listed by name; the rest are counted.
pub const OVERDUE_LISTED: usize = 50;

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub code: String,
    pub label: String,
    pub label_en: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OverdueClock {
    pub case_id: i64,
    pub org_code: String,
    /// `report`, `investigation` or `lab_result`.
    pub kind: String,
    pub due_at: i64,
    /// The case's person, masked (filled for the listed ones only).
    #[sqlx(default)]
    pub name: String,
}

impl OverdueClock {
    pub fn label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        ClockKind::parse(&self.kind).map_or("", |k| k.label(lang))
    }
}

/// A child unit's line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseUnitLine {
    pub org_code: String,
    pub name: String,
    pub suspected: i64,
    pub confirmed: i64,
    pub asymptomatic: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Board {
    /// Cases by status (every status, zero included).
    pub cases: Vec<Count>,
    /// Patients holding a bed (reserved or admitted) by their latest classification;
    /// `unassessed` when none was recorded.
    pub in_hospital: Vec<Count>,
    /// Close contacts living in scope whose 14 days from the last exposure are not over.
    pub contacts_in_period: i64,
    pub follow_ups_due: i64,
    pub follow_ups_overdue: i64,
    /// Free beds by kind over every designated hospital.
    pub free_beds: Vec<Count>,
    pub overdue_total: i64,
    /// The oldest overdue clocks, at most [`OVERDUE_LISTED`].
    pub overdue: Vec<OverdueClock>,
    pub units: Vec<CaseUnitLine>,
}

/// The board of `home` — the caller's own unit or one below it in `jurisdiction` — as of `now`
/// (epoch µs) on `today`; `None` for a unit outside the jurisdiction.
pub async fn board(db: &Db, jurisdiction: &Scope, home: &OrgCode, today: Date, now: i64) -> sqlx::Result<Option<Board>> {
    if !jurisdiction.allows(home.as_str()) {
        return Ok(None);
    }
    let scope = Scope::of(home);
    let (low, high) = scope.bounds();
    let here = crate::counts::gauges(db, home.as_str()).await?;
    let mut overdue = overdue_clocks(db, &low, &high, now).await?;
    overdue.sort_by_key(|c| (c.due_at, c.case_id));
    let period_start = (today - Duration::days(13)).to_string();
    let contacts_in_period = crate::counts::sum_since(db, home.as_str(), crate::counts::CONTACTS_OBSERVING, &period_start).await?;
    let (follow_ups_due, follow_ups_overdue) = tokio::try_join!(open_follow_ups(db, home, today), open_follow_ups(db, home, today - Duration::days(1)))?;
    let beds = super::hospitals::city_beds(db, home).await?;
    let names = masked_names(db, &overdue[..overdue.len().min(OVERDUE_LISTED)]).await?;
    let units = crate::org::store::children(db, &scope, home).await?;
    let below = crate::counts::gauges_of(db, &units.iter().map(|u| u.code.clone()).collect::<Vec<_>>()).await?;
    Ok(Some(Board {
        cases: CaseStatus::ALL.iter().map(|s| count(s.as_str(), (s.zh(), s.en()), here.get(&crate::counts::case_metric(s.as_str())).copied().unwrap_or(0))).collect(),
        in_hospital: Severity::ALL
            .iter()
            .map(|s| (s.as_str(), (s.zh(), s.en())))
            .chain([("unassessed", ("未分型", "Not yet classified"))])
            .map(|(code, label)| count(code, label, here.get(&crate::counts::in_hospital_metric(Some(code))).copied().unwrap_or(0)))
            .collect(),
        contacts_in_period,
        follow_ups_due,
        follow_ups_overdue,
        free_beds: beds.into_iter().map(|(kind, total, taken)| count(kind.as_str(), (kind.zh(), kind.en()), (total - taken).max(0))).collect(),
        overdue_total: overdue.len() as i64,
        units: unit_lines(units, &below, &overdue),
        overdue: overdue
            .into_iter()
            .take(OVERDUE_LISTED)
            .map(|mut c| {
                c.name = names.get(&c.case_id).cloned().unwrap_or_default();
                c
            })
            .collect(),
    }))
}

/// Follow-ups of `home` due by `day` and not done, from the roll-up counts (both are counted by
/// due day).
async fn open_follow_ups(db: &Db, home: &OrgCode, day: Date) -> sqlx::Result<i64> {
    use crate::counts::{FOLLOW_UPS_DONE, FOLLOW_UPS_DUE};
    let sums = crate::counts::sums_up_to(db, home.as_str(), &[FOLLOW_UPS_DUE, FOLLOW_UPS_DONE], &day.to_string()).await?;
    let sum = |metric: &str| sums.get(metric).copied().unwrap_or(0);
    Ok(sum(FOLLOW_UPS_DUE) - sum(FOLLOW_UPS_DONE))
}

fn count(code: &str, (label, label_en): (&str, &str), count: i64) -> Count {
    Count { code: code.into(), label: label.into(), label_en: label_en.into(), count }
}

/// Every clock of the cases in `[low, high)` that is open past its due time: no sample taken yet,
/// the online report and the investigation not yet recorded, and samples received that still wait
/// for a result. Open
/// clocks are few, so each part is driven from its partial index (`org_code || ''` keeps SQLite
/// from scanning the jurisdiction's cases instead).
pub(crate) async fn overdue_clocks(db: &Db, low: &str, high: &str, now: i64) -> sqlx::Result<Vec<OverdueClock>> {
    on_db!(db, pool => sqlx::query_as::<DB, OverdueClock>(
        "select c.id as case_id, c.org_code, 'sampling' as kind, c.diagnosed_at + r.sampling_hours * $4 as due_at \
           from cases c join case_rule_sets r on r.id = c.rule_set_id \
          where c.first_sample_at is null and (c.org_code || '') >= $1 and (c.org_code || '') < $2 and c.diagnosed_at + r.sampling_hours * $4 < $3 \
         union all \
         select c.id, c.org_code, 'report', c.diagnosed_at + r.report_hours * $4 \
           from cases c join case_rule_sets r on r.id = c.rule_set_id \
          where c.reported_at is null and (c.org_code || '') >= $1 and (c.org_code || '') < $2 and c.diagnosed_at + r.report_hours * $4 < $3 \
         union all \
         select c.id, c.org_code, 'investigation', c.diagnosed_at + r.investigation_hours * $4 \
           from cases c join case_rule_sets r on r.id = c.rule_set_id \
          where c.investigated_at is null and (c.org_code || '') >= $1 and (c.org_code || '') < $2 and c.diagnosed_at + r.investigation_hours * $4 < $3 \
         union all \
         select c.id, c.org_code, 'lab_result', s.received_at + r.lab_hours * $4 \
           from samples s join cases c on c.id = s.case_id join case_rule_sets r on r.id = c.rule_set_id \
          where s.first_result_at is null and s.received_at is not null and (c.org_code || '') >= $1 and (c.org_code || '') < $2 and s.received_at + r.lab_hours * $4 < $3")
        .bind(low).bind(high).bind(now).bind(HOUR).fetch_all(pool).await)
}

/// The masked names of the listed clocks' cases, by case id.
async fn masked_names(db: &Db, listed: &[OverdueClock]) -> sqlx::Result<BTreeMap<i64, String>> {
    let mut ids: Vec<i64> = listed.iter().map(|c| c.case_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let places = crate::db::placeholders(ids.len());
    let sql = format!("select c.id, p.name from cases c join persons p on p.id = c.person_id where c.id in ({places})");
    let rows: Vec<(i64, String)> = on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (i64, String)>(sqlx::AssertSqlSafe(&*sql));
        for id in &ids {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(|(id, name)| (id, mask_name(&name))).collect())
}

fn unit_lines(units: Vec<OrgUnit>, below: &BTreeMap<String, BTreeMap<String, i64>>, overdue: &[OverdueClock]) -> Vec<CaseUnitLine> {
    units
        .into_iter()
        .map(|u| {
            let prefix = OrgCode::parse(&u.code).map(|c| c.prefix().to_string()).unwrap_or_else(|_| u.code.clone());
            let gauges = below.get(&u.code);
            let of = |status: CaseStatus| gauges.and_then(|g| g.get(&crate::counts::case_metric(status.as_str()))).copied().unwrap_or(0);
            CaseUnitLine {
                suspected: of(CaseStatus::Suspected),
                confirmed: of(CaseStatus::Confirmed),
                asymptomatic: of(CaseStatus::Asymptomatic),
                overdue: overdue.iter().filter(|c| c.org_code.starts_with(&prefix)).count() as i64,
                org_code: u.code,
                name: u.name,
            }
        })
        .collect()
}
