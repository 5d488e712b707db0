//! Directives (指令): a command centre issues one to its child units; each addressed unit
//! acknowledges it (签收) and either reports back (反馈) or passes it down to its own children with
//! its own instructions — a new directive whose parent is the one received. Progress rolls up: the
//! issuer sees, for each unit addressed, whether it acknowledged and reported back, and — when it
//! passed the directive down — how many of its units did. An acknowledgement or feedback past its
//! deadline is overdue and shows to the issuer and every level above it.
//!
//! A unit acts on what is addressed to it (the target's unit is the caller's own unit); who may see
//! a directive: anyone whose jurisdiction holds its issuer, and every unit it reached down the chain.

use crate::audit::{Actor, AuditEvent};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;

/// Attachments: at most this many per directive, each at most [`MAX_ATTACHMENT`] bytes.
pub const MAX_ATTACHMENTS: usize = 5;
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub struct NewDirective {
    pub title: String,
    pub body: String,
    pub ack_due_at: i64,
    pub feedback_due_at: i64,
    pub attachments: Vec<NewAttachment>,
}

impl NewDirective {
    /// Refuses a directive people could not act on, in Chinese, before anything is written.
    fn check(&self, now: i64) -> AppResult<()> {
        let chars = |s: &str| s.trim().chars().count();
        if !(1..=100).contains(&chars(&self.title)) {
            return Err(AppError::invalid("title", "title_length", "请填写标题(不超过 100 字)"));
        }
        if !(1..=5000).contains(&chars(&self.body)) {
            return Err(AppError::invalid("body", "body_length", "请填写指令内容(不超过 5000 字)"));
        }
        if self.ack_due_at <= now {
            return Err(AppError::invalid("ack_due_at", "ack_due_past", "签收时限应晚于现在"));
        }
        if self.feedback_due_at < self.ack_due_at {
            return Err(AppError::invalid("feedback_due_at", "feedback_before_ack", "反馈时限不能早于签收时限"));
        }
        if self.attachments.len() > MAX_ATTACHMENTS || self.attachments.iter().any(|a| a.data.len() > MAX_ATTACHMENT || a.filename.trim().is_empty()) {
            return Err(AppError::invalid("attachments", "attachments_too_large", "附件最多 5 个,每个不超过 10 MB"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Directive {
    pub id: i64,
    pub root_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub org_code: String,
    /// The issuing unit's name.
    pub org_name: String,
    pub title: String,
    pub body: String,
    pub ack_due_at: i64,
    pub feedback_due_at: i64,
    pub created_by_name: String,
    pub created_at: i64,
}

impl Directive {
    pub fn root(&self) -> i64 {
        self.root_id.unwrap_or(self.id)
    }
}

/// How the units a directive reached are doing with it.
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Progress {
    pub total: i64,
    pub acknowledged: i64,
    pub completed: i64,
    /// Units past a deadline: not acknowledged in time, or not reported back in time.
    pub overdue: i64,
}

/// One unit a directive is addressed to.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Target {
    pub id: i64,
    pub directive_id: i64,
    pub org_code: String,
    pub org_name: String,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    /// The directive this unit passed it down as.
    pub forwarded_id: Option<i64>,
    pub completed_at: Option<i64>,
    pub completed_by: Option<String>,
    pub feedback: Option<String>,
    /// When the issuing unit last reminded this unit to acknowledge (催办), and who.
    pub reminded_at: Option<i64>,
    pub reminded_by: Option<String>,
    /// Past the acknowledgement deadline without acknowledging (now).
    #[sqlx(default)]
    pub ack_overdue: bool,
    /// Past the feedback deadline without reporting back (now).
    #[sqlx(default)]
    pub feedback_overdue: bool,
    /// When passed down: how its units are doing.
    #[sqlx(skip)]
    pub below: Option<Progress>,
}

/// A directive with everything its page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DirectiveView {
    pub directive: Directive,
    /// The directives it passes down, the original first (empty for an original).
    pub chain: Vec<Directive>,
    pub attachments: Vec<AttachmentLine>,
    pub targets: Vec<Target>,
    pub progress: Progress,
    /// The viewer's own unit's line, when the directive is addressed to it.
    pub mine: Option<Target>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AttachmentLine {
    pub id: i64,
    pub directive_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// A directive addressed to the caller's unit, with what the unit did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Received {
    pub directive: Directive,
    pub target: Target,
}

/// A directive the unit issued or passed down, with its progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Issued {
    pub directive: Directive,
    pub progress: Progress,
}

/// An overdue acknowledgement or feedback somewhere below the viewer.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Overdue {
    pub directive_id: i64,
    pub title: String,
    pub issuer_name: String,
    pub org_code: String,
    pub org_name: String,
    /// `acknowledgement` or `feedback`.
    pub kind: String,
    pub due_at: i64,
}

const DIRECTIVE_SQL: &str = "select d.id, d.root_id, d.parent_id, d.org_code, coalesce(u.name, d.org_code) as org_name, d.title, d.body, \
     d.ack_due_at, d.feedback_due_at, d.created_by_name, d.created_at from directives d left join org_units u on u.code = d.org_code";

/// `$1` is now.
const TARGET_SQL: &str = "select t.id, t.directive_id, t.org_code, coalesce(u.name, t.org_code) as org_name, t.acknowledged_at, t.acknowledged_by, \
     t.forwarded_id, t.completed_at, t.completed_by, t.feedback, t.reminded_at, t.reminded_by, \
     (t.acknowledged_at is null and d.ack_due_at < $1) as ack_overdue, (t.completed_at is null and d.feedback_due_at < $1) as feedback_overdue \
     from directive_targets t join directives d on d.id = t.directive_id left join org_units u on u.code = t.org_code";

/// `$1` is now.
const PROGRESS_SQL: &str = "select count(*) as total, count(t.acknowledged_at) as acknowledged, count(t.completed_at) as completed, \
     cast(coalesce(sum(case when (t.acknowledged_at is null and d.ack_due_at < $1) or (t.completed_at is null and d.feedback_due_at < $1) then 1 else 0 end), 0) as bigint) as overdue \
     from directive_targets t join directives d on d.id = t.directive_id";

/// Issues a directive from `issuer` (in the caller's jurisdiction) to each of its child units.
pub async fn issue(db: &Db, actor: &Actor, scope: &Scope, issuer: &OrgCode, new: NewDirective, now: i64) -> AppResult<i64> {
    if !scope.allows(issuer.as_str()) {
        return Err(AppError::NotFound);
    }
    new.check(now)?;
    create(db, actor, issuer, None, new, now).await
}

/// Passes the directive addressed to `unit` (target `target_id`) down to the unit's children, with
/// the unit's own instructions; it counts as acknowledged. Deadlines cannot be later than the
/// ones the unit was given.
pub async fn forward(db: &Db, actor: &Actor, unit: &OrgCode, target_id: i64, new: NewDirective, now: i64) -> AppResult<i64> {
    let (target, received) = own_target(db, unit, target_id, now).await?;
    if target.forwarded_id.is_some() {
        return Err(AppError::Conflict { message: "已向下级转发".into(), existing_id: target.forwarded_id });
    }
    if target.completed_at.is_some() {
        return Err(AppError::Conflict { message: "已反馈办结,不能再转发".into(), existing_id: None });
    }
    new.check(now)?;
    if new.feedback_due_at > received.feedback_due_at {
        let due = crate::clock::format_micros(received.feedback_due_at);
        return Err(AppError::invalid("feedback_due_at", "later_than_received", format!("反馈时限不能晚于上级要求的 {due}")));
    }
    create(db, actor, unit, Some((received.id, received.root(), target.id)), new, now).await
}

/// Writes a directive, its targets (the issuer's children) and attachments; for a forwarded one,
/// marks the received target passed down (and acknowledged) in the same transaction.
async fn create(db: &Db, actor: &Actor, issuer: &OrgCode, parent: Option<(i64, i64, i64)>, new: NewDirective, now: i64) -> AppResult<i64> {
    let children = crate::org::store::children(db, &Scope::of(issuer), issuer).await?;
    if children.is_empty() {
        return Err(AppError::invalid("org_code", "no_children", "本单位没有下级单位,无法下达或转发指令"));
    }
    let forwarded = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into directives (root_id, parent_id, org_code, title, body, ack_due_at, feedback_due_at, created_by, created_by_name, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id")
            .bind(parent.map(|p| p.1)).bind(parent.map(|p| p.0)).bind(issuer.as_str()).bind(new.title.trim()).bind(new.body.trim())
            .bind(new.ack_due_at).bind(new.feedback_due_at).bind(actor.user_id).bind(&actor.username).bind(now)
            .fetch_one(&mut *tx).await?;
        let mut targets = sqlx::QueryBuilder::<DB>::new("insert into directive_targets (directive_id, org_code) ");
        targets.push_values(&children, |mut row, unit| {
            row.push_bind(id).push_bind(&unit.code);
        });
        targets.build().execute(&mut *tx).await?;
        for a in &new.attachments {
            sqlx::query::<DB>("insert into directive_attachments (directive_id, filename, content_type, size, data, created_at) values ($1, $2, $3, $4, $5, $6)")
                .bind(id).bind(a.filename.trim()).bind(&a.content_type).bind(a.data.len() as i64).bind(&a.data).bind(now).execute(&mut *tx).await?;
        }
        if let Some((_, _, target_id)) = parent {
            let marked = sqlx::query::<DB>(
                "update directive_targets set forwarded_id = $1, acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = coalesce(acknowledged_by, $3) \
                 where id = $4 and forwarded_id is null and completed_at is null")
                .bind(id).bind(now).bind(&actor.username).bind(target_id).execute(&mut *tx).await?.rows_affected();
            if marked == 0 {
                return Ok(None);
            }
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: if parent.is_some() { "directive.forward" } else { "directive.issue" }, record_type: "directive",
            record_id: Some(id.to_string()), org_code: issuer.to_string(), detail: Some(format!("targets={}", children.len())),
        }).await?;
        tx.commit().await?;
        Ok::<Option<i64>, sqlx::Error>(Some(id))
    }.await)?;
    forwarded.ok_or_else(|| AppError::Conflict { message: "已向下级转发或已反馈".into(), existing_id: None })
}

/// The issuing unit reminds (催办) every unit that has not acknowledged its directive `id`; the
/// directive goes to the top of their lists. Returns how many units were reminded.
pub async fn remind(db: &Db, actor: &Actor, unit: &OrgCode, id: i64, now: i64) -> AppResult<u64> {
    directive(db, id).await?.filter(|d| d.org_code == unit.as_str()).ok_or(AppError::NotFound)?;
    let reminded = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let reminded = sqlx::query::<DB>("update directive_targets set reminded_at = $1, reminded_by = $2 where directive_id = $3 and acknowledged_at is null")
            .bind(now).bind(&actor.username).bind(id).execute(&mut *tx).await?.rows_affected();
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "directive.remind", record_type: "directive", record_id: Some(id.to_string()), org_code: unit.to_string(), detail: Some(format!("reminded={reminded}")),
        }).await?;
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(reminded)
    }.await)?;
    if reminded == 0 {
        return Err(AppError::Conflict { message: "各单位均已签收,无需催办".into(), existing_id: None });
    }
    Ok(reminded)
}

/// Acknowledges the directive addressed to `unit`; acknowledging twice changes nothing.
pub async fn acknowledge(db: &Db, actor: &Actor, unit: &OrgCode, target_id: i64, now: i64) -> AppResult<()> {
    own_target(db, unit, target_id, now).await?;
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query::<DB>("update directive_targets set acknowledged_at = $1, acknowledged_by = $2 where id = $3 and acknowledged_at is null")
            .bind(now).bind(&actor.username).bind(target_id).execute(&mut *tx).await?.rows_affected();
        if done == 1 {
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "directive.acknowledge", record_type: "directive_target", record_id: Some(target_id.to_string()), org_code: unit.to_string(), detail: None,
            }).await?;
        }
        tx.commit().await
    }.await)?;
    Ok(())
}

/// Reports back on the directive addressed to `unit` (it counts as acknowledged).
pub async fn complete(db: &Db, actor: &Actor, unit: &OrgCode, target_id: i64, feedback: &str, now: i64) -> AppResult<()> {
    let feedback = feedback.trim();
    if !(1..=2000).contains(&feedback.chars().count()) {
        return Err(AppError::invalid("feedback", "feedback_length", "请填写办理情况(不超过 2000 字)"));
    }
    own_target(db, unit, target_id, now).await?;
    let done = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query::<DB>(
            "update directive_targets set completed_at = $1, completed_by = $2, feedback = $3, acknowledged_at = coalesce(acknowledged_at, $1), \
             acknowledged_by = coalesce(acknowledged_by, $2) where id = $4 and completed_at is null")
            .bind(now).bind(&actor.username).bind(feedback).bind(target_id).execute(&mut *tx).await?.rows_affected();
        if done == 1 {
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "directive.complete", record_type: "directive_target", record_id: Some(target_id.to_string()), org_code: unit.to_string(), detail: None,
            }).await?;
        }
        tx.commit().await?;
        Ok::<bool, sqlx::Error>(done == 1)
    }.await)?;
    if done { Ok(()) } else { Err(AppError::Conflict { message: "已反馈办结".into(), existing_id: None }) }
}

/// The target `target_id` when it is addressed to `unit`, with its directive.
async fn own_target(db: &Db, unit: &OrgCode, target_id: i64, now: i64) -> AppResult<(Target, Directive)> {
    let sql = format!("{TARGET_SQL} where t.id = $2 and t.org_code = $3");
    let target = on_db!(db, pool => sqlx::query_as::<DB, Target>(sqlx::AssertSqlSafe(&*sql)).bind(now).bind(target_id).bind(unit.as_str()).fetch_optional(pool).await)?.ok_or(AppError::NotFound)?;
    let directive = directive(db, target.directive_id).await?.ok_or(AppError::NotFound)?;
    Ok((target, directive))
}

async fn directive(db: &Db, id: i64) -> sqlx::Result<Option<Directive>> {
    let sql = format!("{DIRECTIVE_SQL} where d.id = $1");
    on_db!(db, pool => sqlx::query_as::<DB, Directive>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_optional(pool).await)
}

/// Whether a viewer (jurisdiction `scope`, own unit `unit`) may see directive `d`: its issuer is
/// in the jurisdiction, or the viewer's unit is below its issuer and the directive's tree reached it
/// (a township reads the city's original; a neighbouring county does not read this county's).
async fn may_see(db: &Db, scope: &Scope, unit: &OrgCode, d: &Directive) -> sqlx::Result<bool> {
    if scope.allows(&d.org_code) {
        return Ok(true);
    }
    let below_issuer = OrgCode::parse(&d.org_code).is_ok_and(|issuer| Scope::of(&issuer).allows(unit.as_str()));
    if !below_issuer {
        return Ok(false);
    }
    let reached: Option<i64> = on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
        "select t.id from directive_targets t join directives x on x.id = t.directive_id where t.org_code = $1 and (x.id = $2 or x.root_id = $2) limit 1")
        .bind(unit.as_str()).bind(d.root()).fetch_optional(pool).await)?;
    Ok(reached.is_some())
}

/// A directive with its chain, attachments, units and their progress, as the viewer may see it.
pub async fn view(db: &Db, scope: &Scope, unit: &OrgCode, id: i64, now: i64) -> sqlx::Result<Option<DirectiveView>> {
    let Some(directive) = directive(db, id).await? else { return Ok(None) };
    if !may_see(db, scope, unit, &directive).await? {
        return Ok(None);
    }
    let mut chain = Vec::new();
    let mut up = directive.parent_id;
    while let Some(parent) = up {
        let Some(d) = self::directive(db, parent).await? else { break };
        up = d.parent_id;
        chain.insert(0, d);
    }
    let ids: Vec<i64> = chain.iter().map(|d| d.id).chain([directive.id]).collect();
    let attachments = attachments_of(db, &ids).await?;
    let sql = format!("{TARGET_SQL} where t.directive_id = $2 order by t.org_code");
    let mut targets: Vec<Target> = on_db!(db, pool => sqlx::query_as::<DB, Target>(sqlx::AssertSqlSafe(&*sql)).bind(now).bind(id).fetch_all(pool).await)?;
    for t in &mut targets {
        if let Some(below) = t.forwarded_id {
            t.below = Some(progress(db, below, now).await?);
        }
    }
    let mine = targets.iter().find(|t| t.org_code == unit.as_str()).cloned();
    Ok(Some(DirectiveView { progress: progress(db, id, now).await?, directive, chain, attachments, targets, mine }))
}

async fn progress(db: &Db, id: i64, now: i64) -> sqlx::Result<Progress> {
    let sql = format!("{PROGRESS_SQL} where t.directive_id = $2");
    on_db!(db, pool => sqlx::query_as::<DB, Progress>(sqlx::AssertSqlSafe(&*sql)).bind(now).bind(id).fetch_one(pool).await)
}

async fn attachments_of(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<AttachmentLine>> {
    let places = crate::db::placeholders(ids.len());
    let sql = format!("select id, directive_id, filename, content_type, size from directive_attachments where directive_id in ({places}) order by id");
    on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, AttachmentLine>(sqlx::AssertSqlSafe(&*sql));
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })
}

/// An attachment's file, for a viewer who may see a directive of the chain it belongs to.
pub async fn attachment(db: &Db, scope: &Scope, unit: &OrgCode, directive_id: i64, attachment_id: i64, now: i64) -> sqlx::Result<Option<(String, String, Vec<u8>)>> {
    let Some(view) = view(db, scope, unit, directive_id, now).await? else { return Ok(None) };
    if !view.attachments.iter().any(|a| a.id == attachment_id) {
        return Ok(None);
    }
    on_db!(db, pool => sqlx::query_as::<DB, (String, String, Vec<u8>)>("select filename, content_type, data from directive_attachments where id = $1")
        .bind(attachment_id).fetch_optional(pool).await)
}

/// Directives addressed to `unit`, newest first.
pub async fn received(db: &Db, unit: &OrgCode, now: i64, limit: i64) -> sqlx::Result<Vec<Received>> {
    // A reminder not yet answered by acknowledging puts its directive first.
    let sql = format!("{TARGET_SQL} where t.org_code = $2 order by (t.reminded_at is not null and t.acknowledged_at is null) desc, t.directive_id desc limit $3");
    let targets: Vec<Target> = on_db!(db, pool => sqlx::query_as::<DB, Target>(sqlx::AssertSqlSafe(&*sql)).bind(now).bind(unit.as_str()).bind(limit).fetch_all(pool).await)?;
    let mut lines = Vec::with_capacity(targets.len());
    for target in targets {
        if let Some(directive) = directive(db, target.directive_id).await? {
            lines.push(Received { directive, target });
        }
    }
    Ok(lines)
}

/// Directives `unit` issued or passed down, newest first, with their progress.
pub async fn issued(db: &Db, unit: &OrgCode, now: i64, limit: i64) -> sqlx::Result<Vec<Issued>> {
    let sql = format!("{DIRECTIVE_SQL} where d.org_code = $1 order by d.id desc limit $2");
    let directives: Vec<Directive> = on_db!(db, pool => sqlx::query_as::<DB, Directive>(sqlx::AssertSqlSafe(&*sql)).bind(unit.as_str()).bind(limit).fetch_all(pool).await)?;
    let mut lines = Vec::with_capacity(directives.len());
    for directive in directives {
        lines.push(Issued { progress: progress(db, directive.id, now).await?, directive });
    }
    Ok(lines)
}

/// Overdue acknowledgements and feedback of directives issued anywhere in the jurisdiction, oldest
/// deadline first: each escalates to its issuer and every level above.
pub async fn overdue_below(db: &Db, scope: &Scope, now: i64, limit: i64) -> sqlx::Result<Vec<Overdue>> {
    let (low, high) = scope.bounds();
    on_db!(db, pool => sqlx::query_as::<DB, Overdue>(
        "select d.id as directive_id, d.title, coalesce(iu.name, d.org_code) as issuer_name, t.org_code, coalesce(u.name, t.org_code) as org_name, \
                case when t.acknowledged_at is null and d.ack_due_at < $3 then 'acknowledgement' else 'feedback' end as kind, \
                case when t.acknowledged_at is null and d.ack_due_at < $3 then d.ack_due_at else d.feedback_due_at end as due_at \
         from directive_targets t join directives d on d.id = t.directive_id \
         left join org_units u on u.code = t.org_code left join org_units iu on iu.code = d.org_code \
         where d.org_code >= $1 and d.org_code < $2 and t.completed_at is null \
           and ((t.acknowledged_at is null and d.ack_due_at < $3) or d.feedback_due_at < $3) \
         order by due_at limit $4")
        .bind(low).bind(high).bind(now).bind(limit).fetch_all(pool).await)
}

/// The directive of target `target_id` when the target is addressed to `unit`.
pub async fn received_target(db: &Db, unit: &OrgCode, target_id: i64) -> sqlx::Result<Option<i64>> {
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select directive_id from directive_targets where id = $1 and org_code = $2")
        .bind(target_id).bind(unit.as_str()).fetch_optional(pool).await)
}
