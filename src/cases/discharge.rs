//! The end of treatment: discharge (出院) checked against the edition's criteria, which hands the
//! person back to the county and community of their address — a post-discharge observation episode
//! in the home grid (at home, or at the site the county set), follow-up visits due in weeks 2 and 4, open care requests carried over — and
//! death. Both end the hospital stay in the same transaction (RULES §1.9, §8).

use super::rules::{self, CaseRuleSet};
use super::store::{self, Case};
use super::writes;
use super::{CaseStatus, require_status};
use crate::audit::Actor;
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::observation::episodes::{self, NewEpisode};
use crate::observation::needs::{self, NeedKind, Requester};
use crate::on_db;
use fangkong_rules::Scope;
use time::{Date, Duration};

/// What the treating doctor attests at discharge; the nucleic-acid criterion is read from the results.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checklist {
    /// Temperature normal for longer than the edition's days.
    pub afebrile: bool,
    pub respiratory_improved: bool,
    pub imaging_improved: bool,
}

/// The criteria a case fails, in Chinese; empty when it may be discharged. An asymptomatic
/// infection is released on the nucleic-acid criterion alone.
fn unmet(case: &Case, rules: &CaseRuleSet, checklist: Checklist, found: &[store::Found]) -> Vec<String> {
    let mut unmet = Vec::new();
    if case.status == CaseStatus::Confirmed.as_str() {
        if !checklist.afebrile {
            unmet.push(format!("体温恢复正常 {} 天以上", rules.discharge_afebrile_days));
        }
        if !checklist.respiratory_improved {
            unmet.push("呼吸道症状明显好转".to_string());
        }
        if !checklist.imaging_improved {
            unmet.push("肺部影像学显示急性渗出性病变明显改善".to_string());
        }
    }
    let now = store::instant(now_micros());
    if let Err(why) = rules.discharge_negatives().check(&store::nucleic_acid(found), &[], None, now) {
        unmet.push(why.replace("排除疑似病例", "出院"));
    }
    unmet
}

/// What a discharge handed on.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Handover {
    pub case_id: i64,
    /// The post-discharge observation episode in the home grid.
    pub episode_id: i64,
    /// Due dates of the follow-up visits.
    #[schema(value_type = Vec<String>)]
    pub follow_ups_due: Vec<String>,
}

/// A discharge as asked for.
#[derive(Debug, Clone, Copy)]
pub struct Discharge {
    pub case_id: i64,
    pub checklist: Checklist,
    /// Ask the home community for psychological counselling.
    pub counselling: bool,
    /// The day of discharge.
    pub day: Date,
}

/// Discharges a confirmed case (or releases an asymptomatic infection) in scope, if the criteria
/// are met; otherwise says which are not and changes nothing.
pub async fn discharge(db: &Db, actor: &Actor, scope: &Scope, asked: Discharge, today: Date) -> AppResult<Handover> {
    let Discharge { case_id, checklist, counselling, day } = asked;
    let case = store::get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    require_status(&case, &[CaseStatus::Confirmed, CaseStatus::Asymptomatic], "出院")?;
    if day > today {
        return Err(AppError::invalid("day", "date_future", "出院日期不能晚于今天"));
    }
    let rules = rules::in_force(db, day).await?;
    let unmet = unmet(&case, &rules, checklist, &store::results(db, case.id).await?);
    if !unmet.is_empty() {
        return Err(AppError::invalid("criteria", "criteria_unmet", format!("尚不符合出院标准:{}", unmet.join(";"))));
    }
    // The hand-off crosses into the home county, whoever discharges: the episode is placed by the
    // person's own unit, not the discharging user's scope.
    let episode = home_episode(db, actor, case.id, case.person_id, day, today).await?;
    let due: Vec<(i64, Date)> = rules.follow_up_days().into_iter().map(|d| (week_of(d), day + Duration::days(d))).collect();
    let criteria = if case.status == CaseStatus::Confirmed.as_str() { "afebrile,respiratory,imaging,nucleic_negative" } else { "nucleic_negative" };
    let reason = format!("符合出院标准({}),转居住地社区医学观察 {} 天,依据:{}", criteria_zh(&case), rules.post_discharge_days, rules.name);
    let from = CaseStatus::parse(&case.status).unwrap_or(CaseStatus::Confirmed);
    let at = now_micros();
    let moved = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let moved = writes::change_status(&mut *tx, actor, &writes::Transition::of(&case, from, CaseStatus::Discharged, &reason, rules.id, at), "case.discharged").await?;
        if moved {
            writes::end_stay(&mut *tx, case.id, at).await?;
            sqlx::query::<DB>("insert into discharges (case_id, discharged_at, criteria, episode_id, created_by, created_at) values ($1, $2, $3, $4, $5, $2)")
                .bind(case.id).bind(at).bind(criteria).bind(episode.id).bind(actor.user_id).execute(&mut *tx).await?;
            let mut tally = crate::counts::Tally::default();
            for (week, due_date) in &due {
                sqlx::query::<DB>("insert into follow_ups (case_id, person_id, org_code, week, due_date, created_at) values ($1, $2, $3, $4, $5, $6)")
                    .bind(case.id).bind(case.person_id).bind(&episode.org_code).bind(*week).bind(*due_date).bind(at).execute(&mut *tx).await?;
                tally.add(&episode.org_code, crate::counts::FOLLOW_UPS_DUE, &due_date.to_string(), 1);
            }
            // Care requests still open follow the person to the home episode (and their counts with them).
            let carried: Vec<String> = sqlx::query_scalar::<DB, String>("select org_code from life_needs where person_id = $1 and status <> 'done'")
                .bind(case.person_id).fetch_all(&mut *tx).await?;
            for from in &carried {
                tally.add(from, crate::counts::NEEDS_OPEN, "", -1);
                tally.add(&episode.org_code, crate::counts::NEEDS_OPEN, "", 1);
            }
            sqlx::query::<DB>("update life_needs set episode_id = $1, org_code = $2 where person_id = $3 and status <> 'done'")
                .bind(episode.id).bind(&episode.org_code).bind(case.person_id).execute(&mut *tx).await?;
            crate::counts::write(&mut *tx, &tally).await?;
            tx.commit().await?;
        }
        Ok::<bool, sqlx::Error>(moved)
    }.await)?;
    if !moved {
        return Err(super::changed_meanwhile());
    }
    if counselling {
        let asked = needs::Asked { kind: NeedKind::Counselling, detail: Some("出院患者心理疏导"), idempotency_key: None };
        needs::request(db, &episode, asked, Requester::Worker(actor)).await?;
    }
    Ok(Handover { case_id: case.id, episode_id: episode.id, follow_ups_due: due.iter().map(|(_, d)| d.to_string()).collect() })
}

fn criteria_zh(case: &Case) -> &'static str {
    if case.status == CaseStatus::Confirmed.as_str() { "体温正常、症状好转、影像改善、连续两次核酸阴性" } else { "连续两次核酸阴性" }
}

/// Week 2 for day 14, week 4 for day 28.
fn week_of(day: i64) -> i64 {
    (day + 6) / 7
}

/// The person's post-discharge observation from `day` — at home, or at the site their county set
/// for discharged patients — or the one already running.
async fn home_episode(db: &Db, actor: &Actor, case_id: i64, person_id: i64, day: Date, today: Date) -> AppResult<episodes::Episode> {
    let everywhere = Scope::everything();
    let person = crate::people::store::get(db, &everywhere, person_id).await?.ok_or(AppError::NotFound)?;
    let county = person.org_code.get(..6).unwrap_or_default();
    let new = match crate::observation::sites::post_discharge_site(db, county).await? {
        Some(site) => NewEpisode { person_id, kind: crate::observation::Kind::Centralized, site_id: Some(site), start_date: day, closing_case: Some(case_id) },
        None => NewEpisode { person_id, kind: crate::observation::Kind::Home, site_id: None, start_date: day, closing_case: Some(case_id) },
    };
    match episodes::start(db, actor, &everywhere, &new, today).await {
        Err(AppError::Conflict { existing_id: Some(id), .. }) => episodes::get(db, &everywhere, id).await?.ok_or(AppError::NotFound),
        other => other,
    }
}

/// Records the death of a confirmed case in scope, at `at` (epoch µs), with its cause.
pub async fn record_death(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, at: i64, cause: &str, today: Date) -> AppResult<Case> {
    let case = store::get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    require_status(&case, &[CaseStatus::Confirmed], "登记死亡(仅适用于确诊病例)")?;
    let cause = cause.trim();
    if cause.is_empty() || cause.chars().count() > 500 {
        return Err(AppError::invalid("cause", "cause_required", "请填写死亡原因(不超过 500 字)"));
    }
    if !case.since_diagnosis(at) {
        return Err(AppError::invalid("at", "time_out_of_range", "死亡时间应在诊断之后、现在之前"));
    }
    let rules = rules::in_force(db, today).await?;
    let moved = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let moved = writes::change_status(&mut *tx, actor, &writes::Transition::of(&case, CaseStatus::Confirmed, CaseStatus::Deceased, cause, rules.id, at), "case.deceased").await?;
        if moved {
            writes::end_stay(&mut *tx, case.id, at).await?;
            tx.commit().await?;
        }
        Ok::<bool, sqlx::Error>(moved)
    }.await)?;
    if !moved {
        return Err(super::changed_meanwhile());
    }
    store::get(db, scope, case.id).await?.ok_or(AppError::NotFound)
}
