//! Life-needs requests (生活需求与关怀): food and daily goods, medicine, a medical visit, counselling,
//! rubbish collection — requested by the resident or the worker, assigned, done, overdue marked.

use super::episodes::Episode;
use super::rules;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, Known};
use crate::labels::labelled_enum;
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::mask::mask_name;
use serde::Serialize;

labelled_enum! {
    NeedKind {
        Food = "food", "食品和日用品", "Food and daily necessities";
        Medicine = "medicine", "药品", "Medicine";
        MedicalVisit = "medical_visit", "就医", "Medical visit";
        Counselling = "counselling", "心理疏导", "Counselling";
        Rubbish = "rubbish", "垃圾清运", "Rubbish collection";
        Other = "other", "其他", "Other";
    }
}

labelled_enum! {
    NeedStatus {
        Open = "open", "待处理", "Open";
        Assigned = "assigned", "已指派", "Assigned";
        Done = "done", "已完成", "Done";
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Need {
    pub id: i64,
    pub org_code: String,
    pub person_id: i64,
    pub episode_id: Option<i64>,
    pub kind: String,
    pub detail: Option<String>,
    pub status: String,
    /// `resident` or `worker`.
    pub requested_by: String,
    pub requested_at: i64,
    pub due_at: i64,
    pub assignee: Option<String>,
    pub assigned_at: Option<i64>,
    pub done_at: Option<i64>,
    pub done_note: Option<String>,
    /// Masked.
    pub name: String,
    #[sqlx(default)]
    pub overdue: bool,
}

impl Need {
    pub fn kind_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        NeedKind::parse(&self.kind).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn status_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        NeedStatus::parse(&self.status).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn requested(&self) -> String {
        crate::clock::format_micros(self.requested_at)
    }
}

/// Who asks: the resident through their link, or a worker.
pub enum Requester<'a> {
    Resident,
    Worker(&'a Actor),
}

/// A request as asked for.
pub struct Asked<'a> {
    pub kind: NeedKind,
    pub detail: Option<&'a str>,
    /// A client-generated key: asking again with it records nothing new (see [`crate::idempotency`]).
    pub idempotency_key: Option<&'a str>,
}

/// A request recorded, or found under its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requested {
    pub id: i64,
    /// The key had already been used for this request: nothing new was written.
    pub duplicate: bool,
}

/// Records a request for a person under observation (the episode fixes the person and unit).
pub async fn request(db: &Db, episode: &Episode, asked: Asked<'_>, by: Requester<'_>) -> AppResult<Requested> {
    let detail = asked.detail.map(str::trim).filter(|d| !d.is_empty());
    if detail.is_some_and(|d| d.chars().count() > 500) {
        return Err(AppError::invalid("detail", "too_long", "说明不能超过 500 字"));
    }
    let key = asked.idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > idempotency::MAX_KEY) {
        return Err(AppError::invalid("idempotency_key", "too_long", "idempotency_key 过长"));
    }
    let submitter = idempotency::submitter(match by {
        Requester::Worker(a) => Some(a),
        Requester::Resident => None,
    });
    let (who, actor) = match by {
        Requester::Worker(a) => ("worker", a.clone()),
        Requester::Resident => ("resident", Actor { user_id: None, username: format!("resident:observation#{}", episode.id), org_code: episode.org_code.clone(), client_addr: None }),
    };
    let fingerprint = idempotency::fingerprint(&[asked.kind.as_str(), detail.unwrap_or("")]);
    let replay = |known: Known| known.replay(&submitter, &fingerprint).map(|id| Requested { id, duplicate: true });
    if let Some(known) = known_key(db, episode.id, key).await? {
        return replay(known);
    }
    let rules = rules::by_id(db, episode.rule_set_id).await?;
    let now = now_micros();
    let written: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into life_needs (org_code, person_id, episode_id, kind, detail, status, requested_by, requested_at, due_at) \
             values ($1, $2, $3, $4, $5, 'open', $6, $7, $8) returning id")
            .bind(&episode.org_code).bind(episode.person_id).bind(episode.id).bind(asked.kind.as_str()).bind(detail).bind(who)
            .bind(now).bind(now + rules.request_overdue_hours * 3_600_000_000).fetch_one(&mut *tx).await?;
        if let Some(key) = key {
            sqlx::query::<DB>("insert into submission_keys (idempotency_key, kind, owner, submitter, fingerprint, record_id, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
                .bind(key).bind(idempotency::NEED).bind(episode.id).bind(&submitter).bind(&fingerprint).bind(id).bind(now).execute(&mut *tx).await?;
        }
        crate::counts::add(&mut *tx, &episode.org_code, crate::counts::NEEDS_OPEN, "", 1).await?;
        crate::audit::store::insert(&mut *tx, &actor, AuditEvent {
            action: "need.create", record_type: "life_need", record_id: Some(id.to_string()), org_code: episode.org_code.clone(),
            detail: Some(format!("kind={} by={who}", asked.kind.as_str())),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match written {
        Ok(id) => Ok(Requested { id, duplicate: false }),
        // The same key kept by a request committed meanwhile: this one wrote nothing.
        Err(e) if is_unique_violation(&e) => replay(known_key(db, episode.id, key).await?.ok_or(e)?),
        Err(e) => Err(e.into()),
    }
}

/// The request already kept under `key` for this episode.
async fn known_key(db: &Db, episode_id: i64, key: Option<&str>) -> sqlx::Result<Option<Known>> {
    let Some(key) = key else { return Ok(None) };
    let sql = format!("{} where idempotency_key = $1 and kind = $2 and owner = $3", idempotency::SELECT_KNOWN);
    on_db!(db, pool => sqlx::query_as::<DB, Known>(sqlx::AssertSqlSafe(&*sql)).bind(key).bind(idempotency::NEED).bind(episode_id).fetch_optional(pool).await)
}

/// Requests in scope: undone ones (overdue first), or those with `status`.
pub async fn board(db: &Db, scope: &Scope, status: Option<NeedStatus>, limit: i64) -> sqlx::Result<Vec<Need>> {
    let (low, high) = scope.bounds();
    let now = now_micros();
    // The page of requests is chosen on the index alone (undone ones have their own, with the due
    // time in it), and only those are joined to their persons.
    let wanted = if status.is_some() { "status = $3" } else { "status <> 'done' and $3 is null" };
    let sql = format!(
        "select n.id, n.org_code, n.person_id, n.episode_id, n.kind, n.detail, n.status, n.requested_by, n.requested_at, n.due_at, \
         n.assignee, n.assigned_at, n.done_at, n.done_note, p.name from life_needs n join persons p on p.id = n.person_id \
         where n.id in (select id from life_needs where org_code >= $1 and org_code < $2 and {wanted} order by due_at limit $4) order by n.due_at"
    );
    let rows: Vec<Need> = on_db!(db, pool => sqlx::query_as::<DB, Need>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(status.map(|s| s.as_str())).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|mut n| {
            n.overdue = n.status != "done" && n.due_at < now;
            n.name = mask_name(&n.name);
            n
        })
        .collect())
}

/// Moves a request in scope forward: assign it to someone, or mark it done (which also closes its
/// "overdue" alert).
pub async fn advance(db: &Db, actor: &Actor, scope: &Scope, id: i64, to: NeedStatus, text: &str) -> AppResult<()> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        let msg = if to == NeedStatus::Assigned { "请填写负责人" } else { "请填写办理情况" };
        return Err(AppError::invalid(if to == NeedStatus::Assigned { "assignee" } else { "note" }, "required", msg));
    }
    let (low, high) = scope.bounds();
    let current: Option<(String, String)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String)>(
        "select org_code, status from life_needs where id = $1 and org_code >= $2 and org_code < $3")
        .bind(id).bind(&low).bind(&high).fetch_optional(pool).await)?;
    let (org, status) = current.ok_or(AppError::NotFound)?;
    if status == "done" || to == NeedStatus::Open {
        return Err(AppError::Conflict { message: "该需求已办结".into(), existing_id: None });
    }
    let now = now_micros();
    let sql = if to == NeedStatus::Assigned {
        "update life_needs set status = 'assigned', assignee = $1, assigned_at = $2 where id = $3 and status <> 'done'"
    } else {
        "update life_needs set status = 'done', done_note = $1, done_at = $2 where id = $3 and status <> 'done'"
    };
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query::<DB>(sql).bind(text).bind(now).bind(id).execute(&mut *tx).await?.rows_affected();
        if to == NeedStatus::Done && changed == 1 {
            crate::counts::add(&mut *tx, &org, crate::counts::NEEDS_OPEN, "", -1).await?;
            crate::counts::alerts_counted(sqlx::query_as::<DB, (String, String)>(
                "update alerts set handled_at = $1, handled_by = $2, handling_note = '需求已办结' where need_id = $3 and handled_at is null returning org_code, kind")
                .bind(now).bind(actor.user_id).bind(id).fetch_all(&mut *tx).await?, -1, &mut *tx).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: if to == NeedStatus::Assigned { "need.assign" } else { "need.done" }, record_type: "life_need",
            record_id: Some(id.to_string()), org_code: org.clone(), detail: None,
        }).await?;
        tx.commit().await
    })?;
    Ok(())
}
