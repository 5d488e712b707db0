//! Daily PPE inspections (`sanitation_inspections`): an inspector finds a worker at a place, ticks
//! what they wear, and the inspection is assessed under the edition in force on its day — the
//! required items missing and the points they cost the district. A retry under the same
//! idempotency key records nothing new; the key reused for another inspection is a conflict.

use super::editions::{self, StoredEdition};
use super::photos::{self, Photo};
use super::{months, workforce};
use crate::audit::{Actor, AuditEvent};
use crate::counts::Tally;
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, Known};
use crate::on_db;
use fangkong_rules::sanitation::{Assessment, PpeItem, WorkerRole, Worn};
use fangkong_rules::{OrgCode, Scope};
use time::Date;

/// Who was inspected: a worker on the register, or one who is not (by role, and name if given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspected {
    Registered(i64),
    Unnamed { role: WorkerRole, name: Option<String> },
}

#[derive(Debug, Clone)]
pub struct NewInspection {
    /// Where: the district or a street of it.
    pub org_code: OrgCode,
    pub place: String,
    pub worker: Inspected,
    pub worn: Vec<Worn>,
    /// Epoch µs; never later than now.
    pub inspected_at: i64,
    pub note: Option<String>,
    /// Taken at the inspection (checked to be an image within the limit).
    pub photo: Option<Photo>,
    pub idempotency_key: Option<String>,
}

/// What was recorded (or found recorded under the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub points: u32,
    pub missing: Vec<PpeItem>,
    /// The earlier inspection of the same worker that day, when this is a second one.
    pub repeat_of: Option<i64>,
    /// The key was known: nothing new was written.
    pub duplicate: bool,
}

/// What an inspection's idempotency key is kept under.
const KEY_KIND: &str = "sanitation_inspection";

/// A place is a street corner or a transfer station, written in a few words.
const PLACE_MAX: usize = 100;

/// An inspection checked and assessed, with everything it writes.
#[derive(Debug, Clone)]
pub struct Prepared {
    actor: Actor,
    edition_id: i64,
    count_repeats: bool,
    district: String,
    org_code: String,
    place: String,
    worker_id: Option<i64>,
    worker_name: Option<String>,
    role: WorkerRole,
    day: Date,
    month: String,
    inspected_at: i64,
    worn_codes: String,
    missing_codes: String,
    found: Assessment,
    note: Option<String>,
    photo: Option<Photo>,
    key: Option<String>,
    owner: i64,
    submitter: String,
    fingerprint: String,
}

/// What one inspection's write gave: its id and the inspection of that worker that day it repeats,
/// or nothing when the month was found closed at the write.
type Written = sqlx::Result<Option<(i64, Option<i64>)>>;

/// What checking an inspection found: one to write, or one its key recorded already.
#[derive(Debug, Clone)]
pub enum Checked {
    Ready(Box<Prepared>),
    Known(Recorded),
}

/// Checks an inspection in `scope` and assesses it under the edition of its day among `all`:
/// everything that can refuse it is decided here, before it waits to be written.
pub async fn prepare(db: &Db, actor: &Actor, scope: &Scope, all: &[StoredEdition], new: &NewInspection) -> AppResult<Checked> {
    let now = now_micros();
    if new.inspected_at > now + fangkong_rules::CLOCK_SKEW.whole_microseconds() as i64 {
        return Err(AppError::invalid("inspected_at", "time_future", "检查时间不能晚于现在"));
    }
    let day = crate::clock::day_of_micros(new.inspected_at);
    let Some(edition) = editions::on(all, day) else {
        return Err(AppError::invalid("inspected_at", "before_edition", "检查日期早于环卫作业人员防护规定施行之日"));
    };
    if !scope.allows(new.org_code.as_str()) {
        return Err(AppError::invalid("org_code", "org_unknown", "单位不存在或不在您的管辖范围内"));
    }
    let district = workforce::district_in_scheme(edition, &new.org_code, "org_code")?;
    let place = new.place.trim();
    if place.is_empty() || place.chars().count() > PLACE_MAX {
        return Err(AppError::invalid("place", "place_length", "请填写检查地点(不超过 100 字)"));
    }
    workforce::one_line("place", place)?;
    let note = new.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::invalid("note", "too_long", "备注不能超过 500 字"));
    }
    let month = months::of_day(day);
    months::refuse_closed(db, &month, "inspected_at").await?;
    let (worker_id, worker_name, role) = who(db, scope, &new.worker, &district, day).await?;
    let mut worn = new.worn.clone();
    worn.sort();
    worn.dedup();
    let found =
        edition.rule.assess(role, &worn).map_err(|extra| AppError::invalid("worn", "item_not_required", format!("{}人员不需要检查“{}”,请只勾选该岗位要求的防护用品", role.zh(), extra.zh())))?;

    let key = new.idempotency_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > idempotency::MAX_KEY) {
        return Err(AppError::invalid("idempotency_key", "too_long", "idempotency_key 过长"));
    }
    let codes = |items: &mut dyn Iterator<Item = &'static str>| items.collect::<Vec<_>>().join(",");
    let worn_codes = codes(&mut worn.iter().map(|w| w.as_str()));
    let worker_text = match &new.worker {
        Inspected::Registered(id) => id.to_string(),
        Inspected::Unnamed { role, name } => format!("{}:{}", role.as_str(), name.as_deref().unwrap_or("")),
    };
    // The time is left out: a retry sent without one is stamped anew by the server.
    let photo_digest = new.photo.as_ref().map(Photo::digest).unwrap_or_default();
    let prepared = Prepared {
        actor: actor.clone(),
        edition_id: edition.id,
        count_repeats: edition.count_repeat_inspections,
        district,
        org_code: new.org_code.to_string(),
        place: place.to_string(),
        worker_id,
        worker_name,
        role,
        day,
        month,
        inspected_at: new.inspected_at,
        missing_codes: codes(&mut found.missing.iter().map(|m| m.as_str())),
        fingerprint: idempotency::fingerprint(&[new.org_code.as_str(), place, &worker_text, &worn_codes, note.unwrap_or(""), &photo_digest]),
        worn_codes,
        found,
        note: note.map(str::to_string),
        photo: new.photo.clone(),
        key: key.map(str::to_string),
        owner: actor.user_id.unwrap_or(0),
        submitter: idempotency::submitter(Some(actor)),
    };
    match known_key(db, prepared.owner, prepared.key.as_deref()).await? {
        Some(known) => Ok(Checked::Known(prepared.replay(known)?)),
        None => Ok(Checked::Ready(Box::new(prepared))),
    }
}

impl Prepared {
    /// The audit row of this inspection, written as `id`.
    fn audit(&self, id: i64) -> (&Actor, AuditEvent) {
        let event = AuditEvent {
            action: "sanitation.inspect",
            record_type: "sanitation_inspection",
            record_id: Some(id.to_string()),
            org_code: self.org_code.clone(),
            detail: Some(format!("role={} points={}", self.role.as_str(), self.found.points)),
        };
        (&self.actor, event)
    }

    /// The answer for a key already kept: the same inspection (nothing new), or a conflict.
    fn replay(&self, known: Known) -> AppResult<Recorded> {
        let id = known.replay(&self.submitter, &self.fingerprint)?;
        Ok(Recorded { id, points: self.found.points, missing: self.found.missing.clone(), repeat_of: None, duplicate: true })
    }

    /// What the write came to: recorded, or — when the key was kept meanwhile by another
    /// inspection — that one's answer.
    async fn finish(&self, db: &Db, written: Written) -> AppResult<Recorded> {
        match written {
            Ok(Some((id, repeat_of))) => Ok(Recorded { id, points: self.found.points, missing: self.found.missing.clone(), repeat_of, duplicate: false }),
            Ok(None) => Err(months::closed_error(&self.month, "inspected_at")),
            Err(e) if is_unique_violation(&e) => self.replay(known_key(db, self.owner, self.key.as_deref()).await?.ok_or(e)?),
            Err(e) => Err(e.into()),
        }
    }
}

/// Records an inspection in its own transaction (the command line's, the demo's, the tests').
pub async fn record(db: &Db, actor: &Actor, scope: &Scope, all: &[StoredEdition], new: &NewInspection) -> AppResult<Recorded> {
    let prepared = match prepare(db, actor, scope, all, new).await? {
        Checked::Known(recorded) => return Ok(recorded),
        Checked::Ready(prepared) => prepared,
    };
    let now = now_micros();
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let written: Written = on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin).await?;
        if months::hold(&mut *tx, &prepared.month).await? {
            return Ok(None);
        }
        let mut tally = Tally::default();
        let (id, repeat_of) = write(&mut *tx, &prepared, now, &mut tally).await?;
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert_many(&mut *tx, now, &[prepared.audit(id)]).await?;
        tx.commit().await?;
        Ok(Some((id, repeat_of)))
    }.await);
    prepared.finish(db, written).await
}

/// The server's writer of inspections: one task (every inspection adds to its district's and the
/// city's count rows, so writers would only queue for them), up to [`MAX_BATCH`] at a time.
pub type InspectionWriter = crate::db::group_commit::GroupCommit<Prepared, Recorded>;

/// Inspections written per transaction at most.
pub const MAX_BATCH: usize = 128;

/// Starts the inspection writer on the current Tokio runtime.
pub fn writer(db: Db) -> InspectionWriter {
    crate::db::group_commit::GroupCommit::spawn(db, 1, MAX_BATCH, |db: Db, batch| async move { write_batch(&db, batch).await })
}

/// Checks an inspection and writes it through the server's group commit.
pub async fn submit(db: &Db, writer: &InspectionWriter, actor: &Actor, scope: &Scope, all: &[StoredEdition], new: &NewInspection) -> AppResult<Recorded> {
    match prepare(db, actor, scope, all, new).await? {
        Checked::Known(recorded) => Ok(recorded),
        Checked::Ready(prepared) => writer.submit(*prepared).await,
    }
}

/// Writes inspections waiting together in one transaction (the server's group commit), each in a
/// savepoint of its own, so that the database refusing one fails that one alone.
pub async fn write_batch(db: &Db, batch: Vec<Prepared>) -> Vec<AppResult<Recorded>> {
    use sqlx::Acquire;
    let now = now_micros();
    // SQLite: take the write lock first, so that what is read inside cannot change before the writes.
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let written: sqlx::Result<Vec<Written>> = on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin).await?;
        // Each month of the batch once, in order, before any inspection is written.
        let mut closed = std::collections::BTreeMap::new();
        for prepared in &batch {
            closed.entry(prepared.month.clone()).or_insert(false);
        }
        for (month, is_closed) in closed.iter_mut() {
            *is_closed = months::hold(&mut *tx, month).await?;
        }
        let mut each = Vec::with_capacity(batch.len());
        let (mut tally, mut audits) = (Tally::default(), Vec::new());
        for prepared in &batch {
            if closed[&prepared.month] {
                each.push(Ok(None));
                continue;
            }
            let mut one = (&mut tx).begin().await?;
            let mut counted = Tally::default();
            match write(&mut *one, prepared, now, &mut counted).await {
                Ok((id, repeat_of)) => {
                    one.commit().await?;
                    tally.merge(counted);
                    audits.push(prepared.audit(id));
                    each.push(Ok(Some((id, repeat_of))));
                }
                Err(e) => {
                    one.rollback().await?;
                    each.push(Err(e));
                }
            }
        }
        // The counts and audit rows of every inspection written, in one statement each.
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert_many(&mut *tx, now, &audits).await?;
        tx.commit().await?;
        Ok(each)
    }.await);
    match written {
        Ok(each) => {
            let mut results = Vec::with_capacity(batch.len());
            for (prepared, written) in batch.iter().zip(each) {
                results.push(prepared.finish(db, written).await);
            }
            results
        }
        Err(e) => {
            tracing::error!(error = %e, count = batch.len(), "sanitation inspection batch failed");
            batch.iter().map(|_| Err(AppError::Internal(anyhow::anyhow!("inspection batch failed")))).collect()
        }
    }
}

/// The one write of an inspection, on `conn` inside the caller's transaction, once the caller
/// holds the month's turn and found it open ([`months::hold`]): the worker's row (two inspections
/// of one worker take their turn, so only one is the first of its day and month), the inspection,
/// its photo and key; what it adds to the counts goes into `tally`, and its audit row is
/// [`Prepared::audit`] — both written by the caller in the same transaction (a batch writes them
/// once for all its inspections).
async fn write<'a>(conn: impl Into<crate::db::Conn<'a>>, p: &Prepared, now: i64, tally: &mut Tally) -> sqlx::Result<(i64, Option<i64>)> {
    let mut conn = conn.into();
    let (id, repeat_of, first_in_month, counted) = crate::on_conn!(conn.reborrow(), c => {
        let (repeat_of, first_in_month) = match p.worker_id {
            Some(id) => {
                sqlx::query::<DB>("update sanitation_workers set last_inspected_on = case when last_inspected_on is null or last_inspected_on < $2 then $2 else last_inspected_on end where id = $1")
                    .bind(id).bind(p.day).execute(&mut *c).await?;
                let repeat_of = sqlx::query_scalar::<DB, Option<i64>>("select min(id) from sanitation_inspections where worker_id = $1 and inspected_on = $2")
                    .bind(id).bind(p.day).fetch_one(&mut *c).await?;
                let earlier = sqlx::query_scalar::<DB, i64>("select count(*) from sanitation_inspections where worker_id = $1 and month = $2")
                    .bind(id).bind(&p.month).fetch_one(&mut *c).await?;
                (repeat_of, earlier == 0)
            }
            None => (None, true),
        };
        let counted = repeat_of.is_none() || p.count_repeats;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into sanitation_inspections (edition_id, district_code, org_code, place, worker_id, worker_name, worker_role, inspected_on, inspected_at, \
             worn, missing, items_checked, items_missing, points, repeat_of, note, inspector_id, inspector, created_at, month, counted) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) returning id")
            .bind(p.edition_id).bind(&p.district).bind(&p.org_code).bind(&p.place).bind(p.worker_id).bind(&p.worker_name).bind(p.role.as_str())
            .bind(p.day).bind(p.inspected_at).bind(&p.worn_codes).bind(&p.missing_codes).bind(i64::from(p.found.checked)).bind(p.found.missing.len() as i64)
            .bind(i64::from(p.found.points)).bind(repeat_of).bind(&p.note).bind(p.actor.user_id).bind(&p.actor.username).bind(now).bind(&p.month).bind(counted)
            .fetch_one(&mut *c).await?;
        if let Some(key) = &p.key {
            sqlx::query::<DB>("insert into submission_keys (idempotency_key, kind, owner, submitter, fingerprint, record_id, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
                .bind(key).bind(KEY_KIND).bind(p.owner).bind(&p.submitter).bind(&p.fingerprint).bind(id).bind(now).execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>((id, repeat_of, first_in_month, counted))
    })?;
    if let Some(photo) = &p.photo {
        photos::insert(conn.reborrow(), photos::Of::Inspection(id), photo).await?;
    }
    tally_inspection(tally, &p.org_code, p.day, p.role, &p.found, Scored { first_in_month, counted });
    Ok((id, repeat_of))
}

/// How an inspection stands in its month's score.
#[derive(Debug, Clone, Copy)]
struct Scored {
    /// The first of its worker that month (an unnamed worker's always is): a worker inspected.
    first_in_month: bool,
    /// It counts in the score (a repeat counts only when its edition says so).
    counted: bool,
}

/// The counts an inspection adds on its day at its unit: one inspection, the items checked and
/// missing (each item and the role's too), the points they cost (before any appeal), the points
/// that do not count in the score, and a worker inspected when it is their first of the month.
fn tally_inspection(tally: &mut Tally, org: &str, day: Date, role: WorkerRole, found: &Assessment, scored: Scored) {
    use crate::counts::{SANITATION_CHECKED, SANITATION_INSPECTIONS, SANITATION_MISSING, SANITATION_POINTS, SANITATION_UNCOUNTED, SANITATION_WORKERS};
    let day = day.to_string();
    let missing = found.missing.len() as i64;
    tally.add(org, SANITATION_INSPECTIONS, &day, 1);
    tally.add(org, SANITATION_CHECKED, &day, i64::from(found.checked));
    tally.add(org, SANITATION_MISSING, &day, missing);
    tally.add(org, SANITATION_POINTS, &day, i64::from(found.points));
    tally.add(org, SANITATION_WORKERS, &day, i64::from(scored.first_in_month));
    tally.add(org, SANITATION_UNCOUNTED, &day, if scored.counted { 0 } else { i64::from(found.points) });
    tally.add(org, &crate::counts::sanitation_role_missing_metric(role.as_str()), &day, missing);
    for item in &found.missing {
        tally.add(org, &crate::counts::sanitation_missed_metric(item.as_str()), &day, 1);
    }
}

/// The registered worker (in scope, of the district, on the register that day), or the unnamed
/// one's name and role.
async fn who(db: &Db, scope: &Scope, worker: &Inspected, district: &str, day: Date) -> AppResult<(Option<i64>, Option<String>, WorkerRole)> {
    match worker {
        Inspected::Registered(id) => {
            let found = workforce::get(db, scope, *id).await?.filter(|w| w.district_code == district);
            let found = found.ok_or_else(|| AppError::invalid("worker_id", "worker_unknown", "本区作业人员名册中没有该人员,可按“未登记人员”检查"))?;
            if !found.working_on(day) {
                return Err(AppError::invalid("worker_id", "worker_not_working", "该作业人员检查当天不在岗(未上岗或已离岗)"));
            }
            let role = found.role().ok_or_else(|| AppError::Internal(anyhow::anyhow!("worker {id} has an unknown role {}", found.role)))?;
            Ok((Some(found.id), Some(found.name), role))
        }
        Inspected::Unnamed { role, name } => {
            let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            if name.is_some_and(|n| n.chars().count() > 50) {
                return Err(AppError::invalid("worker_name", "too_long", "姓名不能超过 50 个字"));
            }
            workforce::one_line("worker_name", name.unwrap_or(""))?;
            Ok((None, name.map(str::to_string), *role))
        }
    }
}

async fn known_key(db: &Db, owner: i64, key: Option<&str>) -> sqlx::Result<Option<Known>> {
    let Some(key) = key else { return Ok(None) };
    let sql = format!("{} where idempotency_key = $1 and kind = $2 and owner = $3", idempotency::SELECT_KNOWN);
    on_db!(db, pool => sqlx::query_as::<DB, Known>(sqlx::AssertSqlSafe(&*sql)).bind(key).bind(KEY_KIND).bind(owner).fetch_optional(pool).await)
}

/// An inspection as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InspectionLine {
    pub id: i64,
    pub district_code: String,
    pub org_code: String,
    pub place: String,
    pub worker_id: Option<i64>,
    pub worker_name: Option<String>,
    pub worker_role: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub inspected_on: Date,
    /// Epoch µs.
    pub inspected_at: i64,
    /// Comma-separated `Worn` codes.
    pub worn: String,
    /// Comma-separated `PpeItem` codes of the required items missing.
    pub missing: String,
    pub items_checked: i64,
    pub points: i64,
    pub repeat_of: Option<i64>,
    pub inspector: String,
    pub note: Option<String>,
    /// Counts in the month's score (a repeat only when its edition says so).
    pub counted: bool,
    /// Points given back by an accepted appeal.
    pub restored: i64,
    /// When it was recorded (epoch µs): the appeal window opens then.
    pub created_at: i64,
}

const LINE_COLUMNS: &str = "id, district_code, org_code, place, worker_id, worker_name, worker_role, inspected_on, inspected_at, worn, missing, items_checked, points, \
     repeat_of, inspector, note, counted, restored, created_at";

/// One inspection in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<InspectionLine>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {LINE_COLUMNS} from sanitation_inspections where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, InspectionLine>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// The inspections in `scope`, newest first, of one day when asked, older than `before` when paging.
/// A day's are read by day and unit (`sanitation_inspections_day_org`); all of them, in a wide
/// scope by walking from the newest (`+org_code`: no index serves it), in a narrow one by unit —
/// chosen from the counts, as the ledger's list is (`counts::newest_first_walk`). SQLite is told
/// the index: with the bounds bound as parameters its planner cannot tell a unit's range from all.
pub async fn list(db: &Db, scope: &Scope, day: Option<Date>, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<InspectionLine>> {
    let (low, high) = scope.bounds();
    let sqlite = matches!(db, Db::Sqlite(_));
    let (from, unit) = match day {
        Some(_) => (if sqlite { "sanitation_inspections indexed by sanitation_inspections_day_org" } else { "sanitation_inspections" }, "inspected_on = $3 and org_code >= $1 and org_code < $2"),
        None if crate::counts::newest_first_walk(db, scope, crate::counts::SANITATION_INSPECTIONS, crate::counts::TOTAL, limit).await? => {
            ("sanitation_inspections", "+org_code >= $1 and +org_code < $2 and $3 is null")
        }
        None => (if sqlite { "sanitation_inspections indexed by sanitation_inspections_org" } else { "sanitation_inspections" }, "org_code >= $1 and org_code < $2 and $3 is null"),
    };
    let sql = format!("select {LINE_COLUMNS} from {from} where {unit} and ($4 is null or id < $4) order by id desc limit $5");
    on_db!(db, pool => sqlx::query_as::<DB, InspectionLine>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(day).bind(before).bind(limit).fetch_all(pool).await)
}

/// The inspections in `scope` recorded since `since` (epoch µs), newest first: a day's work as the
/// district sees it the same day, those dated back into an open month included.
pub async fn recorded_since(db: &Db, scope: &Scope, since: i64, limit: i64) -> sqlx::Result<Vec<InspectionLine>> {
    let (low, high) = scope.bounds();
    // Ordered by the time of recording, which the index serves from the newest down to `since`:
    // ordered by id, both planners walked the whole table from the newest id (none recorded today
    // read every row — 150 ms on SQLite, 50 ms on PostgreSQL at a million inspections). SQLite is
    // told the index: with the bounds bound as parameters it prefers the unit's.
    let from = if matches!(db, Db::Sqlite(_)) { "sanitation_inspections indexed by sanitation_inspections_created" } else { "sanitation_inspections" };
    let sql = format!("select {LINE_COLUMNS} from {from} where created_at >= $1 and org_code >= $2 and org_code < $3 order by created_at desc, id desc limit $4");
    on_db!(db, pool => sqlx::query_as::<DB, InspectionLine>(sqlx::AssertSqlSafe(&*sql)).bind(since).bind(low).bind(high).bind(limit).fetch_all(pool).await)
}
