//! Appeals (申诉) against a deduction: the district sees its workers' inspections the same day and
//! may dispute some of the items found missing, within the edition's hours (48) of the inspection,
//! with a reason and a photo as evidence; one appeal per inspection. The centre — whose scope
//! covers every district of the scheme — accepts it (the items' points are given back, kept with
//! who and why) or rejects it. An appeal left undecided past the edition's days (3) is escalated:
//! it is on the city's list of overdue appeals. No appeal is filed or decided in a closed month.

use super::editions::StoredEdition;
use super::months;
use super::photos::{self, Photo};
use crate::audit::{Actor, AuditEvent};
use crate::counts::Tally;
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::sanitation::PpeItem;

/// An appeal as the district files it.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub inspection_id: i64,
    /// The items disputed, among those found missing.
    pub items: Vec<PpeItem>,
    pub reason: String,
    pub photo: Option<Photo>,
}

/// The inspection an appeal is about, as far as appealing it goes.
#[derive(sqlx::FromRow)]
struct Appealed {
    org_code: String,
    district_code: String,
    month: String,
    edition_id: i64,
    /// When it was recorded: the window to appeal opens then (a backdated inspection has one too).
    created_at: i64,
    missing: String,
    counted: bool,
}

/// The centre's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
}

const REASON_MAX: usize = 500;

fn edition_of(all: &[StoredEdition], id: i64) -> AppResult<&StoredEdition> {
    all.iter().find(|e| e.id == id).ok_or_else(|| AppError::Internal(anyhow::anyhow!("inspection of unknown edition {id}")))
}

fn reason_checked(field: &str, text: &str, what: &str) -> AppResult<String> {
    let text = text.trim();
    if text.chars().count() < 2 || text.chars().count() > REASON_MAX {
        return Err(AppError::invalid(field, "reason_length", format!("请填写{what}(2 至 500 字)")));
    }
    Ok(text.to_string())
}

/// Files an appeal against an inspection in `scope`; returns its id (and whether the same appeal
/// was on file already, for a retried post).
pub async fn file(db: &Db, actor: &Actor, scope: &Scope, all: &[StoredEdition], new: &NewAppeal) -> AppResult<(i64, bool)> {
    let (low, high) = scope.bounds();
    let found: Option<Appealed> = on_db!(db, pool => sqlx::query_as::<DB, Appealed>(
        "select org_code, district_code, month, edition_id, created_at, missing, counted from sanitation_inspections where id = $1 and org_code >= $2 and org_code < $3")
        .bind(new.inspection_id).bind(&low).bind(&high).fetch_optional(pool).await)?;
    let inspection = found.ok_or(AppError::NotFound)?;
    let edition = edition_of(all, inspection.edition_id)?;
    let reason = reason_checked("reason", &new.reason, "申诉理由")?;
    let mut items = new.items.clone();
    items.sort();
    items.dedup();
    let codes = items.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(",");
    if let Some((id, same)) = on_file(db, new.inspection_id, actor, &codes, &reason).await? {
        return if same { Ok((id, true)) } else { Err(AppError::Conflict { message: "该检查已经申诉过,每次检查只能申诉一次".into(), existing_id: Some(id) }) };
    }
    months::refuse_closed(db, &inspection.month, "inspection_id").await?;
    if !within_window(inspection.created_at, edition) {
        return Err(AppError::invalid("inspection_id", "appeal_late", format!("已超过申诉期限:检查记录后 {} 小时内可以申诉", edition.appeal_hours)));
    }
    if !inspection.counted {
        return Err(AppError::invalid("inspection_id", "appeal_uncounted", "这是同日复查,不计入月度考核,无需申诉"));
    }
    if items.is_empty() {
        return Err(AppError::invalid("items", "items_required", "请勾选要申诉的扣分项"));
    }
    let missing: Vec<&str> = inspection.missing.split(',').collect();
    if let Some(extra) = items.iter().find(|i| !missing.contains(&i.as_str())) {
        return Err(AppError::invalid("items", "item_not_deducted", format!("“{}”没有被扣分,不能申诉", extra.zh())));
    }
    let points = i64::from(edition.rule.points_per_item) * items.len() as i64;
    let now = now_micros();
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let written: sqlx::Result<Option<i64>> = on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin).await?;
        if months::hold(&mut *tx, &inspection.month).await? {
            return Ok(None);
        }
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into sanitation_appeals (inspection_id, district_code, org_code, month, items, points, reason, filed_by_id, filed_by, filed_at, status) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open') returning id")
            .bind(new.inspection_id).bind(&inspection.district_code).bind(&inspection.org_code).bind(&inspection.month).bind(&codes).bind(points)
            .bind(&reason).bind(actor.user_id).bind(&actor.username).bind(now)
            .fetch_one(&mut *tx).await?;
        if let Some(photo) = &new.photo {
            photos::insert(&mut *tx, photos::Of::Appeal(id), photo).await?;
        }
        crate::counts::add(&mut *tx, &inspection.org_code, crate::counts::SANITATION_APPEALS_OPEN, "", 1).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "sanitation.appeal", record_type: "sanitation_appeal", record_id: Some(id.to_string()), org_code: inspection.org_code.clone(),
            detail: Some(format!("inspection={} points={points}", new.inspection_id)),
        }).await?;
        tx.commit().await?;
        Ok(Some(id))
    }.await);
    match written {
        Ok(Some(id)) => Ok((id, false)),
        Ok(None) => Err(months::closed_error(&inspection.month, "inspection_id")),
        // Filed meanwhile by another post: the same appeal is a retry, another a conflict.
        Err(e) if is_unique_violation(&e) => match on_file(db, new.inspection_id, actor, &codes, &reason).await? {
            Some((id, true)) => Ok((id, true)),
            _ => Err(AppError::Conflict { message: "该检查已经申诉过,每次检查只能申诉一次".into(), existing_id: None }),
        },
        Err(e) => Err(e.into()),
    }
}

/// Whether an inspection recorded at `created_at` (epoch µs) may still be appealed under `edition`.
pub fn within_window(created_at: i64, edition: &StoredEdition) -> bool {
    now_micros() - created_at <= edition.appeal_hours * 3_600_000_000
}

/// The appeal on file for an inspection, and whether it is the one `actor` is filing again.
async fn on_file(db: &Db, inspection_id: i64, actor: &Actor, items: &str, reason: &str) -> sqlx::Result<Option<(i64, bool)>> {
    let found: Option<(i64, Option<i64>, String, String)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, Option<i64>, String, String)>(
        "select id, filed_by_id, items, reason from sanitation_appeals where inspection_id = $1")
        .bind(inspection_id).fetch_optional(pool).await)?;
    Ok(found.map(|(id, by, on_file_items, on_file_reason)| (id, by == actor.user_id && on_file_items == items && on_file_reason == reason)))
}

/// Decides an open appeal: only the centre may, and only while the month is open. Accepting gives
/// the appeal's points back to the district (on the inspection's day).
pub async fn decide(db: &Db, actor: &Actor, scope: &Scope, all: &[StoredEdition], appeal_id: i64, decision: Decision, note: &str) -> AppResult<()> {
    let (low, high) = scope.bounds();
    let found: Option<(i64, String, String, i64, String)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, String, String, i64, String)>(
        "select a.inspection_id, a.org_code, a.month, a.points, a.status from sanitation_appeals a where a.id = $1 and a.org_code >= $2 and a.org_code < $3")
        .bind(appeal_id).bind(&low).bind(&high).fetch_optional(pool).await)?;
    let (inspection_id, org_code, month, points, status) = found.ok_or(AppError::NotFound)?;
    let today = crate::clock::today();
    let (_, _, _, edition) = months::parse(all, &month, today)?;
    if !months::is_centre(scope, edition) {
        return Err(AppError::Forbidden);
    }
    if status != "open" {
        return Err(AppError::Conflict { message: "该申诉已经裁定".into(), existing_id: Some(appeal_id) });
    }
    let note = reason_checked("note", note, "裁定理由")?;
    months::refuse_closed(db, &month, "note").await?;
    let (status, restored) = match decision {
        Decision::Accept => ("accepted", points),
        Decision::Reject => ("rejected", 0),
    };
    let now = now_micros();
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let decided: sqlx::Result<Option<bool>> = on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin).await?;
        if months::hold(&mut *tx, &month).await? {
            return Ok(None);
        }
        let changed = sqlx::query::<DB>("update sanitation_appeals set status = $1, decided_by_id = $2, decided_by = $3, decided_at = $4, decision_note = $5 where id = $6 and status = 'open'")
            .bind(status).bind(actor.user_id).bind(&actor.username).bind(now).bind(&note).bind(appeal_id)
            .execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Ok(Some(false));
        }
        let day: time::Date = sqlx::query_scalar::<DB, time::Date>("update sanitation_inspections set restored = $1 where id = $2 returning inspected_on")
            .bind(restored).bind(inspection_id).fetch_one(&mut *tx).await?;
        let mut tally = Tally::default();
        tally.add(&org_code, crate::counts::SANITATION_APPEALS_OPEN, "", -1);
        tally.add(&org_code, crate::counts::SANITATION_RESTORED, &day.to_string(), restored);
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "sanitation.appeal_decide", record_type: "sanitation_appeal", record_id: Some(appeal_id.to_string()), org_code: org_code.clone(),
            detail: Some(format!("decision={status} restored={restored}")),
        }).await?;
        tx.commit().await?;
        Ok(Some(true))
    }.await);
    match decided? {
        Some(true) => Ok(()),
        None => Err(months::closed_error(&month, "note")),
        Some(false) => Err(AppError::Conflict { message: "该申诉已经裁定".into(), existing_id: Some(appeal_id) }),
    }
}

/// An appeal as lists show it, with what it is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AppealLine {
    pub id: i64,
    pub inspection_id: i64,
    pub district_code: String,
    pub org_code: String,
    pub month: String,
    /// Comma-separated `PpeItem` codes disputed.
    pub items: String,
    pub points: i64,
    pub reason: String,
    pub filed_by: String,
    /// Epoch µs.
    pub filed_at: i64,
    /// `open`, `accepted` or `rejected`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub worker_name: Option<String>,
    pub worker_role: String,
    pub place: String,
    /// Open past the edition's decision days: escalated to the city.
    #[sqlx(skip)]
    pub overdue: bool,
}

const APPEAL_COLUMNS: &str = "a.id, a.inspection_id, a.district_code, a.org_code, a.month, a.items, a.points, a.reason, a.filed_by, a.filed_at, a.status, \
     a.decided_by, a.decided_at, a.decision_note, i.worker_name, i.worker_role, i.place";

/// The appeals in `scope`, newest first: the open ones only when asked (oldest first then, as
/// they wait), or those of one inspection.
pub async fn list(db: &Db, scope: &Scope, all: &[StoredEdition], filter: Filter, limit: i64) -> sqlx::Result<Vec<AppealLine>> {
    let (low, high) = scope.bounds();
    let (open_only, inspection, order) = match filter {
        Filter::Open => (1, None, "a.filed_at"),
        Filter::All => (0, None, "a.id desc"),
        Filter::Inspection(id) => (0, Some(id), "a.id"),
    };
    let sql = format!(
        "select {APPEAL_COLUMNS} from sanitation_appeals a join sanitation_inspections i on i.id = a.inspection_id \
         where a.org_code >= $1 and a.org_code < $2 and ($3 = 0 or a.status = 'open') and ($4 is null or a.inspection_id = $4) order by {order} limit $5"
    );
    let mut lines: Vec<AppealLine> = on_db!(db, pool => sqlx::query_as::<DB, AppealLine>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(open_only).bind(inspection).bind(limit).fetch_all(pool).await)?;
    let now = now_micros();
    for line in &mut lines {
        let days = months::days_of(&line.month).and_then(|(_, last)| super::editions::on(all, last)).map_or(3, |e| e.appeal_decision_days);
        line.overdue = line.status == "open" && now - line.filed_at > days * 86_400_000_000;
    }
    Ok(lines)
}

/// Which appeals a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Filter {
    Open,
    All,
    Inspection(i64),
}

/// Appeals in `scope` waiting past `days` since filed: escalated to the city.
pub async fn overdue(db: &Db, scope: &Scope, days: i64) -> sqlx::Result<i64> {
    let (low, high) = scope.bounds();
    let cutoff = now_micros() - days * 86_400_000_000;
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
        "select count(*) from sanitation_appeals where status = 'open' and filed_at < $1 and org_code >= $2 and org_code < $3")
        .bind(cutoff).bind(low).bind(high).fetch_one(pool).await)
}
