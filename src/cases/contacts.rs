//! Close contacts (密切接触者) of a case: registered from the case (an existing person, or a new one
//! placed in their own unit — anywhere in the city), observed in their own grid from the last
//! exposure, and released early when the index suspected case is excluded (RULES §1.7).
//!
//! The contact belongs to the contact's unit: that county sees and observes the contact, and sees
//! which case they are a contact of only by its number and county, not the case's person.

use super::store::{self as cases, Case};
use super::{CaseStatus, ContactStatus, Exposure, require_status};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::observation::episodes::{self, Episode, NewEpisode};
use crate::on_db;
use crate::people::ValidPerson;
use fangkong_rules::Scope;
use fangkong_rules::mask::mask_name;
use fangkong_rules::observation::period_complete;
use serde::Serialize;
use time::Date;

/// Who the contact is.
pub enum Who {
    /// A person the registrant can see.
    Existing(i64),
    /// A person as typed; linked to the record already holding the document, wherever it is.
    New(Box<ValidPerson>),
}

pub struct NewContact {
    pub case_id: i64,
    pub who: Who,
    pub exposure: Exposure,
    pub last_exposure: Date,
}

/// Registers a close contact of a case in scope and puts them under observation in their own grid
/// from the last exposure (or moves their running observation's start to it).
pub async fn register(db: &Db, actor: &Actor, scope: &Scope, new: NewContact, today: Date) -> AppResult<i64> {
    let case = cases::get(db, scope, new.case_id).await?.ok_or(AppError::NotFound)?;
    require_status(&case, &[CaseStatus::Suspected, CaseStatus::Confirmed, CaseStatus::Asymptomatic], "登记密切接触者")?;
    if new.last_exposure > today {
        return Err(AppError::invalid("last_exposure_date", "date_future", "末次接触日期不能晚于今天"));
    }
    let rules = crate::observation::rules::in_force(db, new.last_exposure).await?;
    if period_complete(new.last_exposure, rules.observation_days, today) {
        return Err(AppError::invalid("last_exposure_date", "period_complete", format!("末次接触至今已满 {} 天,无需医学观察", rules.observation_days)));
    }
    let person_id = person_of(db, actor, scope, new.who).await?;
    if person_id == case.person_id {
        return Err(AppError::invalid("person_id", "contact_is_case", "密切接触者不能是病例本人"));
    }
    let already: Option<i64> = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select id from contacts where case_id = $1 and person_id = $2")
        .bind(case.id).bind(person_id).fetch_optional(pool).await)?;
    if let Some(id) = already {
        return Err(AppError::Conflict { message: "此人已登记为该病例的密切接触者".into(), existing_id: Some(id) });
    }
    let (episode, started) = observe(db, actor, person_id, new.last_exposure, today).await?;
    let now = now_micros();
    let inserted: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into contacts (case_id, person_id, org_code, exposure, last_exposure_date, episode_id, started_episode, status, created_by, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, 'observing', $8, $9) returning id")
            .bind(case.id).bind(person_id).bind(&episode.org_code).bind(new.exposure.as_str()).bind(new.last_exposure)
            .bind(episode.id).bind(i64::from(started)).bind(actor.user_id).bind(now).fetch_one(&mut *tx).await?;
        let mut tally = crate::counts::Tally::default();
        tally.add(&episode.org_code, crate::counts::CONTACTS_OBSERVING, &new.last_exposure.to_string(), 1);
        tally.add(&episode.org_code, crate::counts::CONTACTS_NEW, &crate::clock::day_of_micros(now).to_string(), 1);
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "contact.register", record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(),
            detail: Some(format!("contact={id} unit={}", episode.org_code)),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match inserted {
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "此人已登记为该病例的密切接触者".into(), existing_id: None }),
        other => Ok(other?),
    }
}

/// The contact's person: one in scope, the holder of the typed document wherever registered, or a
/// new record in the unit given (which may be outside the registrant's own area). A document
/// registered by someone else at the same moment is looked up again, never answered with that
/// record's number.
async fn person_of(db: &Db, actor: &Actor, scope: &Scope, who: Who) -> AppResult<i64> {
    match person_once(db, actor, scope, &who).await {
        Err(AppError::Conflict { .. }) => person_once(db, actor, scope, &who).await,
        other => other,
    }
}

async fn person_once(db: &Db, actor: &Actor, scope: &Scope, who: &Who) -> AppResult<i64> {
    match who {
        Who::Existing(id) => Ok(crate::people::store::get(db, scope, *id).await?.ok_or_else(|| AppError::invalid("person_id", "person_unknown", "人员不存在或不在您的管辖范围内"))?.id),
        Who::New(person) => match crate::people::store::id_by_document(db, person.id_type.as_str(), &person.id_key).await? {
            // Held in another jurisdiction: linked only when the name typed is the name registered,
            // so that typing a number cannot find out, or start an observation on, whoever holds it.
            Some((id, org)) if !scope.allows(&org) => {
                let held = crate::people::store::get(db, &Scope::everything(), id).await?.ok_or(AppError::NotFound)?;
                if held.name != person.name {
                    return Err(AppError::invalid("person.name", "name_mismatch", "该证件号码已在其他辖区登记,但姓名与登记的不一致:请核对姓名和证件号码,或联系对方辖区"));
                }
                Ok(id)
            }
            Some((id, _)) => Ok(id),
            None => Ok(crate::people::store::create(db, actor, &Scope::everything(), person).await?.id),
        },
    }
}

/// The contact's observation from the last exposure: a new home episode in their own unit, or the
/// running one with its start moved to a later exposure. Says whether it started one.
async fn observe(db: &Db, actor: &Actor, person_id: i64, last_exposure: Date, today: Date) -> AppResult<(Episode, bool)> {
    let everywhere = Scope::everything();
    let new = NewEpisode { person_id, kind: crate::observation::Kind::Home, site_id: None, start_date: last_exposure, closing_case: None };
    match episodes::start(db, actor, &everywhere, &new, today).await {
        Ok(episode) => Ok((episode, true)),
        Err(AppError::Conflict { existing_id: Some(id), .. }) => {
            let running = episodes::get(db, &everywhere, id).await?.ok_or(AppError::NotFound)?;
            if running.start_date < last_exposure {
                return Ok((episodes::restart(db, actor, &everywhere, id, last_exposure, today).await?, false));
            }
            Ok((running, false))
        }
        Err(e) => Err(e),
    }
}

/// A contact as listed: the contact's masked name, and the index case by number and unit only.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContactLine {
    pub id: i64,
    pub case_id: i64,
    /// The index case's county (no personal details of the case, not even its grid).
    pub case_county_code: String,
    /// The contact's person; absent for a viewer outside the contact's jurisdiction.
    pub person_id: Option<i64>,
    /// Masked; empty for a viewer outside the contact's jurisdiction.
    pub name: String,
    /// The contact's own unit; only its county for a viewer outside the contact's jurisdiction.
    pub org_code: String,
    /// `household`, `work`, `medical`, `transport`, `social` or `other`.
    pub exposure: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub last_exposure_date: Date,
    /// The observation; absent for a viewer outside the contact's jurisdiction.
    pub episode_id: Option<i64>,
    /// `observing` or `released`.
    pub status: String,
    /// The observation episode's status (`active`, `ended_healthy`, `transferred`, …).
    pub episode_status: Option<String>,
}

impl ContactLine {
    pub fn exposure_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        Exposure::parse(&self.exposure).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn status_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        match (ContactStatus::parse(&self.status), self.episode_status.as_deref()) {
            (Some(ContactStatus::Observing), Some(s)) if s != "active" => crate::observation::Status::parse(s).map(|v| v.label(lang)).unwrap_or(""),
            (status, _) => status.map(|v| v.label(lang)).unwrap_or(""),
        }
    }
}

const SELECT: &str = "select k.id, k.case_id, substr(c.org_code, 1, 6) as case_county_code, k.person_id, p.name, k.org_code, k.exposure, k.last_exposure_date, \
    k.episode_id, k.status, e.status as episode_status \
    from contacts k join cases c on c.id = k.case_id join persons p on p.id = k.person_id left join observation_episodes e on e.id = k.episode_id";

fn masked(rows: Vec<ContactLine>) -> Vec<ContactLine> {
    rows.into_iter()
        .map(|mut c| {
            c.name = mask_name(&c.name);
            c
        })
        .collect()
}

/// The contacts of a case (the case is already known to be in the viewer's scope). A contact who
/// lives outside `scope` (registered from here, observed in their own county) is shown with their
/// county and status only — no name, grid, person or episode: the record stays with the county
/// that owns it.
pub async fn of_case(db: &Db, scope: &Scope, case_id: i64) -> sqlx::Result<Vec<ContactLine>> {
    let sql = format!("{SELECT} where k.case_id = $1 order by k.id");
    let rows = masked(on_db!(db, pool => sqlx::query_as::<DB, ContactLine>(sqlx::AssertSqlSafe(&*sql)).bind(case_id).fetch_all(pool).await)?);
    Ok(rows
        .into_iter()
        .map(|c| match scope.allows(&c.org_code) {
            true => c,
            false => ContactLine { name: String::new(), org_code: c.org_code.chars().take(6).collect(), person_id: None, episode_id: None, ..c },
        })
        .collect())
}

/// Contacts living in scope, whatever county their case is in, newest first; `before` pages by id.
pub async fn in_scope(db: &Db, scope: &Scope, status: Option<ContactStatus>, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<ContactLine>> {
    let (low, high) = scope.bounds();
    let sql =
        format!("{SELECT} where k.id in (select id from contacts where org_code >= $1 and org_code < $2 and ($3 is null or status = $3) and id < $4 order by id desc limit $5) order by k.id desc");
    Ok(masked(on_db!(db, pool => sqlx::query_as::<DB, ContactLine>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(status.map(ContactStatus::as_str)).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(pool).await)?))
}

/// Releases the contacts still observed of an excluded suspected case in scope; ends the
/// observation each registration started, unless another case's contact keeps it running.
/// Returns how many contacts were released.
pub async fn release(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, today: Date) -> AppResult<u64> {
    let case: Case = cases::get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    require_status(&case, &[CaseStatus::Excluded], "解除其密切接触者的观察(指示病例须已排除)")?;
    let now = now_micros();
    let released = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let ended: Vec<String> = sqlx::query_scalar::<DB, String>(
            "update observation_episodes set status = 'released', end_date = $1, end_note = '指示病例已排除', updated_at = $2, ended_at = $2, ended_by = $4 \
             where status = 'active' and id in (select k.episode_id from contacts k where k.case_id = $3 and k.status = 'observing' and k.started_episode = 1) \
             and not exists (select 1 from contacts o join cases oc on oc.id = o.case_id \
                             where o.episode_id = observation_episodes.id and o.case_id <> $3 and o.status = 'observing' and oc.status <> 'excluded') \
             returning org_code")
            .bind(today).bind(now).bind(case.id).bind(&actor.username).fetch_all(&mut *tx).await?;
        let mut tally = crate::counts::Tally::default();
        for org_code in &ended {
            tally.add(org_code, crate::counts::OBSERVATION_ENDED, &today.to_string(), 1);
        }
        let leaving = sqlx::query_as::<DB, (String, Date, i64)>(
            "select org_code, last_exposure_date, count(*) from contacts where case_id = $1 and status = 'observing' group by org_code, last_exposure_date")
            .bind(case.id).fetch_all(&mut *tx).await?;
        let released = sqlx::query::<DB>("update contacts set status = 'released', released_at = $1 where case_id = $2 and status = 'observing'")
            .bind(now).bind(case.id).execute(&mut *tx).await?.rows_affected();
        for (org_code, day, n) in &leaving {
            tally.add(org_code, crate::counts::CONTACTS_OBSERVING, &day.to_string(), -n);
        }
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "contact.release", record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(),
            detail: Some(format!("released={released}")),
        }).await?;
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(released)
    }.await)?;
    Ok(released)
}
