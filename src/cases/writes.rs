//! Writes the case pipeline's stores share inside their transactions (each takes `&mut *tx`): a
//! change of status with its transition, counts and audit; the beds a patient holds; a sample's
//! first result; a hospital's lock and beds taken.

use super::CaseStatus;
use super::store::Case;
use crate::audit::{Actor, AuditEvent};
use crate::counts::{self, Tally};
use crate::db::Conn;
use crate::on_conn;

/// A case's change of state, as a transition row keeps it.
pub(super) struct Transition<'r> {
    pub case_id: i64,
    pub org_code: &'r str,
    /// `None` when the case is opened.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub reason: &'r str,
    pub rule_set_id: i64,
    pub at: i64,
}

impl<'r> Transition<'r> {
    /// `case` moving from `from` to `to`.
    pub fn of(case: &'r Case, from: CaseStatus, to: CaseStatus, reason: &'r str, rule_set_id: i64, at: i64) -> Transition<'r> {
        Transition { case_id: case.id, org_code: &case.org_code, from: Some(from), to, reason, rule_set_id, at }
    }
}

/// Writes a case's change of state with the counts it moves: the case leaves its old status and
/// enters the new one (gauges), and the day's new cases of that status (dated by `at`) gain one.
pub(super) async fn insert_transition<'a>(conn: impl Into<Conn<'a>>, actor: &Actor, t: &Transition<'_>) -> sqlx::Result<()> {
    on_conn!(conn, c => {
        sqlx::query::<DB>("insert into case_transitions (case_id, from_status, to_status, at, actor_id, actor, reason, rule_set_id) values ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(t.case_id)
            .bind(t.from.map(CaseStatus::as_str))
            .bind(t.to.as_str())
            .bind(t.at)
            .bind(actor.user_id)
            .bind(&actor.username)
            .bind(t.reason)
            .bind(t.rule_set_id)
            .execute(&mut *c)
            .await?;
        let mut tally = Tally::default();
        if let Some(from) = t.from {
            tally.add(t.org_code, &counts::case_metric(from.as_str()), "", -1);
        }
        tally.add(t.org_code, &counts::case_metric(t.to.as_str()), "", 1);
        tally.add(t.org_code, &counts::case_new_metric(t.to.as_str()), &crate::clock::day_of_micros(t.at).to_string(), 1);
        counts::write(&mut *c, &tally).await
    })
}

/// Moves the case from `t.from` to `t.to` if nobody changed it since it was read, keeping the
/// transition, the counts by status and an audit record (`action`). Says whether it moved.
pub(super) async fn change_status<'a>(conn: impl Into<Conn<'a>>, actor: &Actor, t: &Transition<'_>, action: &'static str) -> sqlx::Result<bool> {
    let from = t.from.unwrap_or(CaseStatus::Suspected);
    on_conn!(conn, c => {
        let moved = sqlx::query::<DB>("update cases set status = $1, updated_at = $2 where id = $3 and status = $4")
            .bind(t.to.as_str())
            .bind(crate::db::now_micros())
            .bind(t.case_id)
            .bind(from.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected()
            == 1;
        if moved {
            insert_transition(&mut *c, actor, t).await?;
            let event = AuditEvent { action, record_type: "case", record_id: Some(t.case_id.to_string()), org_code: t.org_code.to_string(), detail: Some(format!("rules={}", t.rule_set_id)) };
            crate::audit::store::insert(&mut *c, actor, event).await?;
        }
        Ok(moved)
    })
}

/// Adds `delta` to the patients holding a bed, under the case's unit and current classification
/// (read here). Called around a change of classification of a patient holding one.
pub(super) async fn bed_count<'a>(conn: impl Into<Conn<'a>>, case_id: i64, delta: i64) -> sqlx::Result<()> {
    on_conn!(conn, c => {
        let (org_code, severity) = sqlx::query_as::<DB, (String, Option<String>)>("select org_code, severity from cases where id = $1").bind(case_id).fetch_one(&mut *c).await?;
        counts::add(&mut *c, &org_code, &counts::in_hospital_metric(severity.as_deref()), "", delta).await
    })
}

/// When the transfer `transfer_id` takes a bed (`delta` 1) or gives it back (-1): adds `delta` to
/// the patients holding a bed — under the case's unit and current classification — and to the beds
/// taken of the transfer's kind under the hospital's unit.
pub(super) async fn bed_taken<'a>(conn: impl Into<Conn<'a>>, transfer_id: i64, delta: i64) -> sqlx::Result<()> {
    on_conn!(conn, c => {
        let (case_org, severity, hospital_org, kind) = sqlx::query_as::<DB, (String, Option<String>, String, String)>(
            "select c.org_code, c.severity, h.org_code, t.bed_kind from transfers t join cases c on c.id = t.case_id \
             join hospitals h on h.id = t.hospital_id where t.id = $1",
        )
        .bind(transfer_id)
        .fetch_one(&mut *c)
        .await?;
        let mut tally = Tally::default();
        tally.add(&case_org, &counts::in_hospital_metric(severity.as_deref()), "", delta);
        tally.add(&hospital_org, &counts::beds_taken_metric(&kind), "", delta);
        counts::write(&mut *c, &tally).await
    })
}

/// The transfer holding the case's bed (accepted or admitted), if any.
pub(super) async fn holds_bed<'a>(conn: impl Into<Conn<'a>>, case_id: i64) -> sqlx::Result<Option<i64>> {
    on_conn!(conn, c => sqlx::query_scalar::<DB, i64>("select id from transfers where case_id = $1 and status in ('accepted', 'admitted')").bind(case_id).fetch_optional(c).await)
}

/// Keeps a sample's earliest result time with the sample (the lab clock stops at the first result).
pub(super) async fn first_result<'a>(conn: impl Into<Conn<'a>>, sample_id: i64, at: i64) -> sqlx::Result<()> {
    on_conn!(conn, c => sqlx::query::<DB>("update samples set first_result_at = $1 where id = $2 and (first_result_at is null or first_result_at > $1)")
        .bind(at).bind(sample_id).execute(c).await.map(|_| ()))
}

/// Ends the case's open hospital stay, if any, freeing its bed.
pub(super) async fn end_stay<'a>(conn: impl Into<Conn<'a>>, case_id: i64, at: i64) -> sqlx::Result<()> {
    on_conn!(conn, c => {
        if let Some(transfer) = holds_bed(&mut *c, case_id).await? {
            bed_taken(&mut *c, transfer, -1).await?;
        }
        sqlx::query::<DB>("update transfers set status = case when status = 'admitted' then 'ended' else 'cancelled' end, ended_at = $1 \
                           where case_id = $2 and status in ('requested', 'accepted', 'admitted')")
            .bind(at).bind(case_id).execute(&mut *c).await?;
        Ok(())
    })
}

/// Takes the hospital's row lock (PostgreSQL) or the write lock (SQLite), then counts its beds
/// taken by kind as `(bed_kind, count)` rows.
pub(super) async fn lock_and_count_taken<'a>(conn: impl Into<Conn<'a>>, hospital_id: i64) -> sqlx::Result<Vec<(String, i64)>> {
    on_conn!(conn, c => {
        sqlx::query::<DB>("update hospitals set updated_at = updated_at where id = $1").bind(hospital_id).execute(&mut *c).await?;
        sqlx::query_as::<DB, (String, i64)>("select bed_kind, count(*) from transfers where hospital_id = $1 and status in ('accepted', 'admitted') group by bed_kind")
            .bind(hospital_id)
            .fetch_all(&mut *c)
            .await
    })
}
