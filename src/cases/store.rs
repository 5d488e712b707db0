//! Cases, their state changes, samples and results. A transition is guarded by the edition in force
//! on the day it is made (no exclusion without two qualifying negatives, no confirmation without a
//! positive), and kept with who, when, why and that edition.

use super::rules::{self, CaseRuleSet};
use super::writes;
use super::{CaseStatus, LabOutcome, LabTest, SampleKind, Severity};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::case_definition::{Antibodies, ClinicalItem, EpiItem, NucleicAcid};
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    pub person_id: i64,
    pub org_code: String,
    /// `suspected`, `confirmed`, `asymptomatic`, `excluded`, `discharged` or `deceased`.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub onset_date: Option<Date>,
    /// Epidemiological-history item codes found at triage, comma-separated.
    pub history: String,
    /// Clinical item codes found at triage, comma-separated.
    pub clinical: String,
    pub rule_set_id: i64,
    pub diagnosed_at: i64,
    /// The online direct report (网络直报), when made.
    pub reported_at: Option<i64>,
    /// The epidemiological investigation, when completed.
    pub investigated_at: Option<i64>,
    /// The first sample taken, when it was.
    pub first_sample_at: Option<i64>,
}

impl Case {
    /// Whether a typed time (to the minute) lies between the diagnosis and now: the minute of the
    /// diagnosis itself counts.
    pub fn since_diagnosis(&self, at: i64) -> bool {
        within_minutes(self.diagnosed_at, at)
    }
}

/// Whether `at`, typed to the minute, lies between the minute of `from` and now.
pub(super) fn within_minutes(from: i64, at: i64) -> bool {
    at >= from - from.rem_euclid(60_000_000) && at <= now_micros()
}

const COLUMNS: &str = "id, person_id, org_code, status, onset_date, history, clinical, rule_set_id, diagnosed_at, reported_at, investigated_at, first_sample_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transition {
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: i64,
    pub actor: String,
    pub reason: String,
    /// The protocol edition the decision was made under.
    pub rule_set_id: i64,
}

/// What triage found for a person.
pub struct Triage {
    pub person_id: i64,
    pub onset_date: Option<Date>,
    pub history: Vec<EpiItem>,
    pub clinical: Vec<ClinicalItem>,
}

fn codes<T: Copy>(items: &[T], code: fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

/// Opens a suspected case when the triage findings meet the definition of the edition in force;
/// otherwise says which way they fall short, and writes nothing.
pub async fn open_suspected(db: &Db, actor: &Actor, scope: &Scope, triage: &Triage, today: Date) -> AppResult<Case> {
    let person = crate::people::store::get(db, scope, triage.person_id).await?.ok_or_else(|| AppError::invalid("person_id", "person_unknown", "人员不存在或不在您的管辖范围内"))?;
    if triage.onset_date.is_some_and(|d| d > today) {
        return Err(AppError::invalid("onset_date", "date_future", "发病日期不能晚于今天"));
    }
    let rules = rules::in_force(db, today).await?;
    let assessment = rules.suspected().assess(&triage.history, &triage.clinical);
    if !assessment.suspected {
        return Err(AppError::invalid("clinical", "not_suspected", assessment.reason));
    }
    let now = now_micros();
    let opened: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into cases (person_id, org_code, status, onset_date, history, clinical, rule_set_id, diagnosed_at, created_by, created_at, updated_at) \
             values ($1, $2, 'suspected', $3, $4, $5, $6, $7, $8, $7, $7) returning id")
            .bind(person.id).bind(&person.org_code).bind(triage.onset_date).bind(codes(&assessment.history, EpiItem::as_str))
            .bind(codes(&assessment.clinical, ClinicalItem::as_str)).bind(rules.id).bind(now).bind(actor.user_id)
            .fetch_one(&mut *tx).await?;
        writes::insert_transition(&mut *tx, actor, &writes::Transition { case_id: id, org_code: &person.org_code, from: None, to: CaseStatus::Suspected, reason: &assessment.reason, rule_set_id: rules.id, at: now }).await?;
        crate::observation::case_link::end_for_case(&mut *tx, actor, person.id, id, today).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "case.suspected", record_type: "case", record_id: Some(id.to_string()), org_code: person.org_code.clone(), detail: Some(format!("rules={}", rules.id)),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match opened {
        Ok(id) => get(db, scope, id).await?.ok_or(AppError::NotFound),
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "此人已有未结案的病例".into(), existing_id: None }),
        Err(e) => Err(e.into()),
    }
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Case>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from cases where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, Case>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// The person's latest case in scope, if any.
pub async fn latest_of_person(db: &Db, scope: &Scope, person_id: i64) -> sqlx::Result<Option<Case>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from cases where person_id = $1 and org_code >= $2 and org_code < $3 order by id desc limit 1");
    on_db!(db, pool => sqlx::query_as::<DB, Case>(sqlx::AssertSqlSafe(&*sql)).bind(person_id).bind(low).bind(high).fetch_optional(pool).await)
}

/// A case's changes of state, oldest first.
pub async fn transitions(db: &Db, case_id: i64) -> sqlx::Result<Vec<Transition>> {
    on_db!(db, pool => sqlx::query_as::<DB, Transition>(
        "select from_status, to_status, at, actor, reason, rule_set_id from case_transitions where case_id = $1 order by id")
        .bind(case_id).fetch_all(pool).await)
}

/// A step of the case's clocks that is done once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// The online direct report (网络直报).
    Reported,
    /// The epidemiological investigation.
    Investigated,
}

/// Records when a milestone of a case in scope was reached (not before the diagnosis, once).
pub async fn record_milestone(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, milestone: Milestone, at: i64) -> AppResult<Case> {
    let case = get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    if at > now_micros() {
        return Err(AppError::invalid("at", "in_future", "时间不能晚于现在"));
    }
    if !case.since_diagnosis(at) {
        return Err(AppError::invalid("at", "before_diagnosis", "时间不能早于诊断(登记疑似)时间"));
    }
    let (sql, action) = match milestone {
        Milestone::Reported => ("update cases set reported_at = $1, updated_at = $2 where id = $3 and reported_at is null", "case.reported"),
        Milestone::Investigated => ("update cases set investigated_at = $1, updated_at = $2 where id = $3 and investigated_at is null", "case.investigated"),
    };
    let changed = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query::<DB>(sql).bind(at).bind(now_micros()).bind(case.id).execute(&mut *tx).await?.rows_affected() == 1;
        if changed {
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action, record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(), detail: None,
            }).await?;
            tx.commit().await?;
        }
        Ok::<bool, sqlx::Error>(changed)
    }.await)?;
    if !changed {
        return Err(AppError::Conflict { message: "该时间已登记过".into(), existing_id: None });
    }
    get(db, scope, case.id).await?.ok_or(AppError::NotFound)
}

/// A sample taken from a case; times in epoch µs.
pub struct NewSample<'a> {
    pub case_id: i64,
    pub kind: SampleKind,
    pub taken_at: i64,
    pub received_at: Option<i64>,
    pub lab: Option<&'a str>,
}

/// Records a sample taken from a case in scope.
pub async fn add_sample(db: &Db, actor: &Actor, scope: &Scope, sample: &NewSample<'_>) -> AppResult<i64> {
    let case = get(db, scope, sample.case_id).await?.ok_or(AppError::NotFound)?;
    if sample.received_at.is_some_and(|r| r < sample.taken_at) {
        return Err(AppError::invalid("received_at", "received_before_taken", "送达实验室的时间不能早于采样时间"));
    }
    let id = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>("insert into samples (case_id, kind, taken_at, received_at, lab, created_at) values ($1, $2, $3, $4, $5, $6) returning id")
            .bind(case.id).bind(sample.kind.as_str()).bind(sample.taken_at).bind(sample.received_at).bind(sample.lab).bind(now_micros()).fetch_one(&mut *tx).await?;
        sqlx::query::<DB>("update cases set first_sample_at = $1 where id = $2 and (first_sample_at is null or first_sample_at > $1)")
            .bind(sample.taken_at).bind(case.id).execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "case.sample", record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(), detail: Some(format!("sample={id}")),
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    }.await)?;
    Ok(id)
}

/// Records a laboratory result for a sample of a case in scope.
pub async fn add_result(db: &Db, actor: &Actor, scope: &Scope, sample_id: i64, test: LabTest, outcome: LabOutcome, resulted_at: i64) -> AppResult<i64> {
    let (low, high) = scope.bounds();
    let found: Option<(i64, String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, String, i64)>(
        "select c.id, c.org_code, s.taken_at from samples s join cases c on c.id = s.case_id where s.id = $1 and c.org_code >= $2 and c.org_code < $3")
        .bind(sample_id).bind(low).bind(high).fetch_optional(pool).await)?;
    let (case_id, org_code, taken_at) = found.ok_or(AppError::NotFound)?;
    if resulted_at < taken_at {
        return Err(AppError::invalid("resulted_at", "result_before_sample", "检测结果时间不能早于采样时间"));
    }
    let id = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into lab_results (sample_id, case_id, test, result, resulted_at, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning id")
            .bind(sample_id).bind(case_id).bind(test.as_str()).bind(outcome.as_str()).bind(resulted_at).bind(actor.user_id).bind(now_micros())
            .fetch_one(&mut *tx).await?;
        writes::first_result(&mut *tx, sample_id, resulted_at).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "case.result", record_type: "case", record_id: Some(case_id.to_string()), org_code,
            detail: Some(format!("test={} result={}", test.as_str(), outcome.as_str())),
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    }.await)?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SampleLine {
    pub id: i64,
    pub kind: String,
    pub taken_at: i64,
    pub received_at: Option<i64>,
    pub lab: Option<String>,
    #[sqlx(skip)]
    pub results: Vec<ResultLine>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ResultLine {
    pub id: i64,
    pub sample_id: i64,
    /// `nucleic_acid`, `igm` or `igg`.
    pub test: String,
    /// `positive`, `negative` or `inconclusive`.
    pub result: String,
    pub resulted_at: i64,
}

/// A case's samples with their results, oldest first.
pub async fn samples(db: &Db, case_id: i64) -> sqlx::Result<Vec<SampleLine>> {
    let (mut samples, results) = on_db!(db, pool => async {
        let samples = sqlx::query_as::<DB, SampleLine>("select id, kind, taken_at, received_at, lab from samples where case_id = $1 order by taken_at, id")
            .bind(case_id).fetch_all(pool).await?;
        let results = sqlx::query_as::<DB, ResultLine>("select id, sample_id, test, result, resulted_at from lab_results where case_id = $1 order by id")
            .bind(case_id).fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((samples, results))
    }.await)?;
    for r in results {
        if let Some(s) = samples.iter_mut().find(|s| s.id == r.sample_id) {
            s.results.push(r);
        }
    }
    Ok(samples)
}

/// A result as a decision reads it: its test and outcome, when its sample was taken and when it was resulted (µs).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct Found {
    taken_at: i64,
    resulted_at: i64,
    test: String,
    result: String,
}

impl Found {
    fn is(&self, test: LabTest, outcome: LabOutcome) -> bool {
        self.test == test.as_str() && self.result == outcome.as_str()
    }
}

/// A case's results with their samples' times.
pub(super) async fn results(db: &Db, case_id: i64) -> sqlx::Result<Vec<Found>> {
    on_db!(db, pool => sqlx::query_as::<DB, Found>(
        "select s.taken_at, r.resulted_at, r.test, r.result from lab_results r join samples s on s.id = r.sample_id where r.case_id = $1")
        .bind(case_id).fetch_all(pool).await)
}

/// The conclusive nucleic-acid results, for the exclusion and discharge rules.
pub(super) fn nucleic_acid(found: &[Found]) -> Vec<NucleicAcid> {
    found
        .iter()
        .filter(|r| r.test == LabTest::NucleicAcid.as_str() && r.result != LabOutcome::Inconclusive.as_str())
        .map(|r| NucleicAcid { sampled_at: instant(r.taken_at), resulted_at: instant(r.resulted_at), negative: r.result == LabOutcome::Negative.as_str() })
        .collect()
}

pub(super) fn instant(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(crate::clock::CHINA)
}

/// Why a suspected case may leave that state at `now`, or why not, under `rules`.
fn decide(case: &Case, to: CaseStatus, rules: &CaseRuleSet, found: &[Found], now: OffsetDateTime) -> Result<String, String> {
    match to {
        CaseStatus::Excluded => {
            let mut antibodies: Vec<Antibodies> = Vec::new();
            for igm in found.iter().filter(|r| r.is(LabTest::IgM, LabOutcome::Negative)) {
                if found.iter().any(|igg| igg.is(LabTest::IgG, LabOutcome::Negative) && igg.taken_at == igm.taken_at) {
                    antibodies.push(Antibodies { sampled_on: instant(igm.taken_at).date(), igm_negative: true, igg_negative: true });
                }
            }
            rules.exclusion().check(&nucleic_acid(found), &antibodies, case.onset_date, now)?;
            Ok(format!("连续两次核酸阴性(采样间隔 ≥ {} 小时),依据:{}", rules.exclusion_min_hours, rules.name))
        }
        CaseStatus::Confirmed => {
            let latest = now + fangkong_rules::CLOCK_SKEW;
            if found.iter().any(|r| instant(r.taken_at) > latest || instant(r.resulted_at) > latest) {
                return Err(fangkong_rules::case_definition::FUTURE_RESULT.into());
            }
            let nucleic = found.iter().any(|r| r.is(LabTest::NucleicAcid, LabOutcome::Positive));
            let serology = found.iter().any(|r| r.is(LabTest::IgM, LabOutcome::Positive)) && found.iter().any(|r| r.is(LabTest::IgG, LabOutcome::Positive));
            match (nucleic, serology) {
                (true, _) => Ok(format!("核酸检测阳性,依据:{}", rules.name)),
                (false, true) => Ok(format!("特异性抗体 IgM 和 IgG 均阳性,依据:{}", rules.name)),
                _ => Err("确诊须有核酸检测阳性,或特异性抗体 IgM 和 IgG 均阳性的结果".into()),
            }
        }
        _ => Err("疑似病例只能确诊或排除".into()),
    }
}

/// Confirms or excludes a suspected case in scope, if the results allow it under the edition in
/// force today; otherwise says why and changes nothing.
pub async fn decide_suspected(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, to: CaseStatus, today: Date) -> AppResult<Case> {
    let case = get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    super::require_status(&case, &[CaseStatus::Suspected], "确诊或排除(仅适用于疑似病例)")?;
    let rules = rules::in_force(db, today).await?;
    let reason = decide(&case, to, &rules, &results(db, case.id).await?, instant(now_micros())).map_err(|why| AppError::invalid("status", "transition_refused", why))?;
    let action = if to == CaseStatus::Excluded { "case.excluded" } else { "case.confirmed" };
    let moved = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let moved = writes::change_status(&mut *tx, actor, &writes::Transition::of(&case, CaseStatus::Suspected, to, &reason, rules.id, now_micros()), action).await?;
        if moved && to == CaseStatus::Excluded {
            crate::observation::case_link::resume_after_exclusion(&mut *tx, actor, case.id, today).await?;
        }
        tx.commit().await?;
        Ok::<bool, sqlx::Error>(moved)
    }.await)?;
    if !moved {
        return Err(super::changed_meanwhile());
    }
    get(db, scope, case.id).await?.ok_or(AppError::NotFound)
}

/// A case on a list: the person's masked name, and since when its oldest received sample has waited
/// for a result.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseLine {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub case: Case,
    /// Masked.
    pub name: String,
    pub waiting_since: Option<i64>,
}

/// Cases in scope, newest first, optionally of one status; `before` pages by id.
pub async fn list(db: &Db, scope: &Scope, status: Option<CaseStatus>, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<CaseLine>> {
    let (low, high) = scope.bounds();
    let columns = COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ");
    // The page is chosen on the index, then joined to persons and samples.
    let sql = format!(
        "select {columns}, p.name, \
           (select min(s.received_at) from samples s where s.case_id = c.id and s.received_at is not null and s.first_result_at is null) as waiting_since \
         from cases c join persons p on p.id = c.person_id \
         where c.id in (select id from cases where org_code >= $1 and org_code < $2 and ($3 is null or status = $3) and id < $4 order by id desc limit $5) \
         order by c.id desc"
    );
    let rows: Vec<CaseLine> = on_db!(db, pool => sqlx::query_as::<DB, CaseLine>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(status.map(CaseStatus::as_str)).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|mut line| {
            line.name = fangkong_rules::mask::mask_name(&line.name);
            line
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SeverityLine {
    /// `mild`, `common`, `severe` or `critical`.
    pub severity: String,
    pub assessed_at: i64,
    pub actor: String,
}

/// Records a clinical classification of a confirmed case in scope, as assessed at `at`.
pub async fn assess_severity(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, severity: Severity, at: i64) -> AppResult<()> {
    let case = get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    if case.status != CaseStatus::Confirmed.as_str() {
        return Err(AppError::invalid("severity", "not_confirmed", "临床分型只适用于确诊病例"));
    }
    if !case.since_diagnosis(at) {
        return Err(AppError::invalid("at", "time_out_of_range", "评估时间应在诊断之后、现在之前"));
    }
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("insert into case_severities (case_id, severity, assessed_at, actor_id, actor, created_at) values ($1, $2, $3, $4, $5, $6)")
            .bind(case.id).bind(severity.as_str()).bind(at).bind(actor.user_id).bind(&actor.username).bind(now_micros()).execute(&mut *tx).await?;
        // The case keeps the latest assessment (by assessment time) as its current classification;
        // a patient holding a bed moves between the counts by classification.
        let in_bed = writes::holds_bed(&mut *tx, case.id).await?.is_some();
        if in_bed {
            writes::bed_count(&mut *tx, case.id, -1).await?;
        }
        sqlx::query::<DB>("update cases set severity = (select s.severity from case_severities s where s.case_id = $1 order by s.assessed_at desc, s.id desc limit 1) where id = $1")
            .bind(case.id).execute(&mut *tx).await?;
        if in_bed {
            writes::bed_count(&mut *tx, case.id, 1).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "case.severity", record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(),
            detail: Some(format!("severity={}", severity.as_str())),
        }).await?;
        tx.commit().await
    }.await)?;
    Ok(())
}

/// A case's classifications, in the order they were assessed; the last is the current one.
pub async fn severities(db: &Db, case_id: i64) -> sqlx::Result<Vec<SeverityLine>> {
    on_db!(db, pool => sqlx::query_as::<DB, SeverityLine>(
        "select severity, assessed_at, actor from case_severities where case_id = $1 order by assessed_at, id")
        .bind(case_id).fetch_all(pool).await)
}
