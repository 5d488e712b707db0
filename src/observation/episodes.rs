//! Observation episodes: start (counted from the last exposure or arrival), restart on a new
//! exposure, end (healthy only when the period is complete and no fever is open).

use super::{Kind, Status, rules};
use crate::audit::{Actor, AuditEvent};
use crate::counts::Tally;
use crate::db::{Conn, Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::observation::{last_day, observation_day, period_complete};
use serde::Serialize;
use time::Date;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Episode {
    pub id: i64,
    pub person_id: i64,
    pub org_code: String,
    pub kind: String,
    pub site_id: Option<i64>,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub start_date: Date,
    pub period_days: i64,
    pub rule_set_id: i64,
    pub status: String,
    /// The resident's self-report capability; shown only to staff who manage the episode.
    #[serde(skip)]
    pub report_token: String,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub end_date: Option<Date>,
    pub end_note: Option<String>,
    /// Who ended it (account name) and when (epoch µs).
    pub ended_by: Option<String>,
    pub ended_at: Option<i64>,
    /// The case whose opening ended it (`became_case`).
    pub ended_by_case: Option<i64>,
    pub created_at: i64,
}

impl Episode {
    pub fn day(&self, today: Date) -> i64 {
        observation_day(self.start_date, today)
    }
    pub fn last_day(&self) -> Date {
        last_day(self.start_date, self.period_days)
    }
    pub fn is_active(&self) -> bool {
        self.status == Status::Active.as_str()
    }
    pub fn kind_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        Kind::parse(&self.kind).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn status_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        Status::parse(&self.status).map(|v| v.label(lang)).unwrap_or("")
    }
}

pub(super) const COLUMNS: &str =
    "id, person_id, org_code, kind, site_id, start_date, period_days, rule_set_id, status, report_token, end_date, end_note, ended_by, ended_at, ended_by_case, created_at";

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Episode>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from observation_episodes where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, Episode>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

pub async fn for_person(db: &Db, scope: &Scope, person_id: i64) -> sqlx::Result<Vec<Episode>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from observation_episodes where person_id = $1 and org_code >= $2 and org_code < $3 order by id desc");
    on_db!(db, pool => sqlx::query_as::<DB, Episode>(sqlx::AssertSqlSafe(&*sql)).bind(person_id).bind(low).bind(high).fetch_all(pool).await)
}

/// The episode behind a self-report link, whatever its status (an ended one explains why the link
/// died). The link is the only credential, so the look-up is not scoped.
pub async fn by_report_token(db: &Db, token: &str) -> sqlx::Result<Option<Episode>> {
    let sql = format!("select {COLUMNS} from observation_episodes where report_token = $1");
    on_db!(db, pool => sqlx::query_as::<DB, Episode>(sqlx::AssertSqlSafe(&*sql)).bind(token).fetch_optional(pool).await)
}

pub struct NewEpisode {
    pub person_id: i64,
    pub kind: Kind,
    pub site_id: Option<i64>,
    /// The last exposure or the arrival day.
    pub start_date: Date,
    /// The case a discharge is closing in the same step: its being open does not refuse the start.
    pub closing_case: Option<i64>,
}

/// Puts a person in scope under observation. One active episode per person.
pub async fn start(db: &Db, actor: &Actor, scope: &Scope, new: &NewEpisode, today: Date) -> AppResult<Episode> {
    let person = crate::people::store::get(db, scope, new.person_id).await?.ok_or_else(|| AppError::invalid("person_id", "person_unknown", "人员不存在或不在您的管辖范围内"))?;
    if new.start_date > today {
        return Err(AppError::invalid("start_date", "date_future", "观察起始日(末次暴露或抵达日)不能晚于今天"));
    }
    if !on_db!(db, pool => super::case_link::with_open_case(&mut *pool.acquire().await?, &[person.id], new.closing_case).await)?.is_empty() {
        return Err(AppError::invalid("person_id", "open_case", "此人为病例(疑似、确诊或无症状感染者),由定点医疗机构隔离治疗,不再进行医学观察"));
    }
    let rules = rules::in_force(db, new.start_date).await?;
    if period_complete(new.start_date, rules.observation_days, today) {
        return Err(AppError::invalid("start_date", "period_already_complete", format!("从该日起算的 {} 天观察期已满,无需再观察", rules.observation_days)));
    }
    match (new.kind, new.site_id) {
        (Kind::Centralized, None) => return Err(AppError::invalid("site_id", "site_required", "集中医学观察须选择隔离点")),
        (Kind::Home, Some(_)) => return Err(AppError::invalid("site_id", "site_for_home", "居家医学观察不选隔离点")),
        (Kind::Centralized, Some(site)) => super::sites::check_room(db, scope, site).await?,
        (Kind::Home, None) => {}
    }
    let row =
        NewRow { person_id: new.person_id, org_code: &person.org_code, kind: new.kind, site_id: new.site_id, start_date: new.start_date, period_days: rules.observation_days, rule_set_id: rules.id };
    let started: Option<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let mut tally = Tally::default();
        let Some(id) = insert_many(&mut *tx, actor.user_id, now_micros(), &[row], &mut tally).await?.pop().map(|(id, _)| id) else {
            return Ok(None);
        };
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "observation.start", record_type: "observation", record_id: Some(id.to_string()),
            org_code: person.org_code.clone(), detail: Some(format!("kind={} rules={}", new.kind.as_str(), rules.id)),
        }).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Some(id))
    }.await)?;
    match started {
        Some(id) => get(db, scope, id).await?.ok_or(AppError::NotFound),
        None => {
            let existing = for_person(db, scope, new.person_id).await?.into_iter().find(Episode::is_active).map(|e| e.id);
            Err(AppError::Conflict { message: "此人已在医学观察中".into(), existing_id: existing })
        }
    }
}

/// An observation to start: whose, the unit it is counted under, how, from when, for how long
/// and under which rule set.
pub struct NewRow<'a> {
    pub person_id: i64,
    pub org_code: &'a str,
    pub kind: Kind,
    pub site_id: Option<i64>,
    pub start_date: Date,
    pub period_days: i64,
    pub rule_set_id: i64,
}

/// Starts observations, many rows per statement, on `conn` (inside the caller's transaction), each
/// with its own self-report link, and counts them by start day in `tally`; the caller audits. A
/// person already under observation keeps that one and is not returned. Returns `(episode id,
/// person id)` of those started. The one place observations are started: a form and a ledger
/// import both come here.
pub async fn insert_many<'a>(conn: impl Into<Conn<'a>>, by: Option<i64>, now: i64, rows: &[NewRow<'_>], tally: &mut Tally) -> sqlx::Result<Vec<(i64, i64)>> {
    let mut conn = conn.into();
    let mut started = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(crate::db::MAX_BINDS / 13) {
        let made: Vec<(i64, i64, String, Date)> = crate::on_conn!(conn.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::<DB>::new(
                "insert into observation_episodes (person_id, org_code, kind, site_id, start_date, reported_through, period_days, rule_set_id, status, report_token, created_by, created_at, updated_at) ");
            insert.push_values(chunk, |mut row, r| {
                // Nothing reported yet: reported through the day before the first day.
                row.push_bind(r.person_id).push_bind(r.org_code).push_bind(r.kind.as_str()).push_bind(r.site_id).push_bind(r.start_date).push_bind(r.start_date - time::Duration::DAY).push_bind(r.period_days)
                    .push_bind(r.rule_set_id).push_bind("active").push_bind(crate::auth::sessions::random_token()[..32].to_string()).push_bind(by).push_bind(now).push_bind(now);
            });
            insert.push(" on conflict (person_id) where status = 'active' do nothing returning id, person_id, org_code, start_date");
            insert.build_query_as::<(i64, i64, String, Date)>().fetch_all(c).await?
        });
        for (id, person_id, org_code, start) in made {
            tally.add(&org_code, crate::counts::OBSERVATION_STARTED, &start.to_string(), 1);
            started.push((id, person_id));
        }
    }
    Ok(started)
}

async fn active(db: &Db, scope: &Scope, id: i64) -> AppResult<Episode> {
    let episode = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    if !episode.is_active() {
        return Err(AppError::Conflict { message: "该医学观察已结束".into(), existing_id: None });
    }
    Ok(episode)
}

/// A new exposure restarts the clock from `new_start`.
pub async fn restart(db: &Db, actor: &Actor, scope: &Scope, id: i64, new_start: Date, today: Date) -> AppResult<Episode> {
    let episode = active(db, scope, id).await?;
    if new_start <= episode.start_date || new_start > today {
        return Err(AppError::invalid("start_date", "restart_date", "新的暴露日期应晚于原起始日,且不晚于今天"));
    }
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        // Guarded by the start read above: of two restarts at once, the second changes nothing.
        let moved = sqlx::query::<DB>("update observation_episodes set start_date = $1, updated_at = $2 where id = $3 and start_date = $4 and status = 'active'")
            .bind(new_start).bind(now_micros()).bind(id).bind(episode.start_date).execute(&mut *tx).await?.rows_affected();
        if moved == 1 {
            crate::counts::add(&mut *tx, &episode.org_code, crate::counts::OBSERVATION_STARTED, &episode.start_date.to_string(), -1).await?;
            crate::counts::add(&mut *tx, &episode.org_code, crate::counts::OBSERVATION_STARTED, &new_start.to_string(), 1).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "observation.restart", record_type: "observation", record_id: Some(id.to_string()),
            org_code: episode.org_code.clone(), detail: Some(format!("previous_start={}", episode.start_date)),
        }).await?;
        tx.commit().await
    })?;
    get(db, scope, id).await?.ok_or(AppError::NotFound)
}

/// Ends an episode. Ending healthy requires the whole period to have passed and no fever or
/// red-flag alert left open.
pub async fn end(db: &Db, actor: &Actor, scope: &Scope, id: i64, outcome: Status, note: Option<&str>, today: Date) -> AppResult<Episode> {
    let episode = active(db, scope, id).await?;
    // Early release belongs to the index case's exclusion (contacts::release), not to this form.
    if matches!(outcome, Status::Active | Status::Released | Status::BecameCase) {
        return Err(AppError::invalid("outcome", "outcome_invalid", "请选择结束方式"));
    }
    if outcome == Status::EndedHealthy {
        if !period_complete(episode.start_date, episode.period_days, today) {
            return Err(AppError::invalid("outcome", "period_incomplete", format!("观察期未满:今天是第 {} 天,{} 之后方可解除", episode.day(today), episode.last_day())));
        }
        let open: i64 = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from alerts where episode_id = $1 and kind in ('fever', 'red_flag') and handled_at is null")
            .bind(id).fetch_one(pool).await)?;
        if open > 0 {
            return Err(AppError::invalid("outcome", "fever_open", "还有未处置的发热或可疑症状预警,不能解除观察"));
        }
    }
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let now = now_micros();
        let ended = sqlx::query::<DB>("update observation_episodes set status = $1, end_date = $2, end_note = $3, updated_at = $4, ended_at = $4, ended_by = $5 where id = $6 and status = 'active'")
            .bind(outcome.as_str()).bind(today).bind(note).bind(now).bind(&actor.username).bind(id).execute(&mut *tx).await?.rows_affected();
        if ended == 1 {
            crate::counts::add(&mut *tx, &episode.org_code, crate::counts::OBSERVATION_ENDED, &today.to_string(), 1).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "observation.end", record_type: "observation", record_id: Some(id.to_string()),
            org_code: episode.org_code.clone(), detail: Some(format!("outcome={}", outcome.as_str())),
        }).await?;
        tx.commit().await
    })?;
    get(db, scope, id).await?.ok_or(AppError::NotFound)
}
