//! Observation and the case pipeline. A person who becomes a case (suspected, confirmed,
//! asymptomatic) is isolated and treated, not observed at home: the running observation ends as
//! `became_case` in the transaction that opens the case, and no observation starts while the case
//! is open. A suspected case excluded before the observation's period is over resumes it
//! (docs/architecture.md, "Transitions across modules").

use super::Status;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Conn, Db, now_micros};
use crate::{on_conn, on_db};
use fangkong_rules::Scope;
use fangkong_rules::mask::mask_name;
use fangkong_rules::observation::period_complete;
use serde::Serialize;
use time::{Date, Duration};

/// The case statuses of a person who is isolated and treated, never observed.
const OPEN_CASE: &str = "status in ('suspected', 'confirmed', 'asymptomatic')";

/// Of `person_ids`, those with an open case (other than `except`, a case being closed in the same
/// step). Read on `conn` so a caller's transaction sees its own changes.
pub async fn with_open_case<'a>(conn: impl Into<Conn<'a>>, person_ids: &[i64], except: Option<i64>) -> sqlx::Result<Vec<i64>> {
    let mut conn = conn.into();
    let mut found = Vec::new();
    for chunk in person_ids.chunks(crate::db::MAX_BINDS - 1) {
        let rows: Vec<i64> = on_conn!(conn.reborrow(), c => {
            let mut q = sqlx::QueryBuilder::<DB>::new(format!("select person_id from cases where {OPEN_CASE} and id <> "));
            q.push_bind(except.unwrap_or(0)).push(" and person_id in (");
            let mut ids = q.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            q.push(")");
            q.build_query_scalar::<i64>().fetch_all(c).await?
        });
        found.extend(rows);
    }
    Ok(found)
}

/// Ends the person's running observation, if any, because case `case_id` opened today: outcome
/// `became_case`, who and when, counted as ended today, audited. On `conn`, inside the
/// transaction that opens the case. Returns the episode ended.
pub async fn end_for_case<'a>(conn: impl Into<Conn<'a>>, actor: &Actor, person_id: i64, case_id: i64, today: Date) -> sqlx::Result<Option<i64>> {
    on_conn!(conn, c => {
        let ended = sqlx::query_as::<DB, (i64, String)>(
            "update observation_episodes set status = $1, end_date = $2, end_note = $3, updated_at = $4, ended_at = $4, ended_by = $5, ended_by_case = $6 \
             where person_id = $7 and status = 'active' returning id, org_code")
            .bind(Status::BecameCase.as_str()).bind(today).bind(Status::BecameCase.zh()).bind(now_micros()).bind(&actor.username).bind(case_id).bind(person_id)
            .fetch_optional(&mut *c).await?;
        let Some((id, org_code)) = ended else { return Ok(None) };
        crate::counts::add(&mut *c, &org_code, crate::counts::OBSERVATION_ENDED, &today.to_string(), 1).await?;
        crate::audit::store::insert(&mut *c, actor, AuditEvent {
            action: "observation.end", record_type: "observation", record_id: Some(id.to_string()), org_code,
            detail: Some(format!("outcome={} case={case_id}", Status::BecameCase.as_str())),
        }).await?;
        Ok(Some(id))
    })
}

/// Resumes the observation that the opening of suspected case `case_id` ended, now that it is
/// excluded, if its period is not over and no other observation of the person runs: the same
/// episode, link and check-ins, no longer counted as ended. On `conn`, inside the exclusion's
/// transaction. Returns the episode resumed.
pub async fn resume_after_exclusion<'a>(conn: impl Into<Conn<'a>>, actor: &Actor, case_id: i64, today: Date) -> sqlx::Result<Option<i64>> {
    on_conn!(conn, c => {
        let ended = sqlx::query_as::<DB, (i64, String, Date, i64, Date)>(
            "select id, org_code, start_date, period_days, end_date from observation_episodes where ended_by_case = $1 and status = $2")
            .bind(case_id).bind(Status::BecameCase.as_str()).fetch_optional(&mut *c).await?;
        let Some((id, org_code, start, period_days, end_date)) = ended else { return Ok(None) };
        if period_complete(start, period_days, today) {
            return Ok(None);
        }
        let resumed = sqlx::query::<DB>(
            "update observation_episodes set status = 'active', end_date = null, end_note = null, ended_at = null, ended_by = null, ended_by_case = null, updated_at = $1 \
             where id = $2 and status = $3 \
             and not exists (select 1 from observation_episodes o where o.person_id = observation_episodes.person_id and o.status = 'active')")
            .bind(now_micros()).bind(id).bind(Status::BecameCase.as_str()).execute(&mut *c).await?.rows_affected() == 1;
        if !resumed {
            return Ok(None);
        }
        crate::counts::add(&mut *c, &org_code, crate::counts::OBSERVATION_ENDED, &end_date.to_string(), -1).await?;
        crate::audit::store::insert(&mut *c, actor, AuditEvent {
            action: "observation.resume", record_type: "observation", record_id: Some(id.to_string()), org_code, detail: Some(format!("excluded_case={case_id}")),
        }).await?;
        Ok(Some(id))
    })
}

/// A person whose observation ended because they became a case: the grid worker's today list names
/// them for two days, so nobody keeps calling for a temperature.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BecameCase {
    pub episode_id: i64,
    pub person_id: i64,
    /// Masked.
    pub name: String,
    pub org_code: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub end_date: Date,
    pub case_id: Option<i64>,
    /// The case's status now (`suspected`, `confirmed`, …).
    pub case_status: Option<String>,
}

impl BecameCase {
    pub fn case_status_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        self.case_status.as_deref().and_then(crate::cases::CaseStatus::parse).map(|v| v.label(lang)).unwrap_or("")
    }
}

/// Observations in scope that ended as `became_case` today or yesterday, newest first, read from
/// their partial index.
pub async fn recent(db: &Db, scope: &Scope, today: Date, limit: i64) -> sqlx::Result<Vec<BecameCase>> {
    let (low, high) = scope.bounds();
    let rows: Vec<BecameCase> = on_db!(db, pool => sqlx::query_as::<DB, BecameCase>(
        "select e.id as episode_id, e.person_id, p.name, e.org_code, e.end_date, e.ended_by_case as case_id, c.status as case_status \
         from observation_episodes e join persons p on p.id = e.person_id left join cases c on c.id = e.ended_by_case \
         where e.status = 'became_case' and e.org_code >= $1 and e.org_code < $2 and e.end_date >= $3 \
         order by e.end_date desc, e.id desc limit $4")
        .bind(low).bind(high).bind(today - Duration::DAY).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|r| BecameCase { name: mask_name(&r.name), ..r }).collect())
}
