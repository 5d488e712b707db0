//! Asymptomatic infections (无症状感染者, RULES §1.5): a positive nucleic-acid test without symptoms,
//! found by testing contacts and people from affected areas. Registered with the positive result in
//! one step; corrected (订正) to a confirmed case when symptoms appear.

use super::store::{self, Case};
use super::writes;
use super::{CaseStatus, LabOutcome, LabTest, SampleKind, require_status, rules};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use time::Date;

/// The positive test that makes an asymptomatic infection; times in epoch µs.
pub struct PositiveTest<'a> {
    pub person_id: i64,
    pub kind: SampleKind,
    pub taken_at: i64,
    pub received_at: Option<i64>,
    pub lab: Option<&'a str>,
    pub resulted_at: i64,
}

/// Registers an asymptomatic infection of a person in scope with its positive nucleic-acid result.
pub async fn register(db: &Db, actor: &Actor, scope: &Scope, test: &PositiveTest<'_>, today: Date) -> AppResult<Case> {
    let person = crate::people::store::get(db, scope, test.person_id).await?.ok_or_else(|| AppError::invalid("person_id", "person_unknown", "人员不存在或不在您的管辖范围内"))?;
    let now = now_micros();
    if test.received_at.is_some_and(|r| r < test.taken_at) || test.resulted_at < test.taken_at || test.resulted_at > now {
        return Err(AppError::invalid("resulted_at", "times_out_of_order", "时间顺序应为采样、送达实验室、出结果,且不晚于现在"));
    }
    let rules = rules::in_force(db, today).await?;
    let reason = format!("核酸检测阳性,无自觉症状和临床体征,依据:{}", rules.name);
    let opened: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into cases (person_id, org_code, status, history, clinical, rule_set_id, diagnosed_at, first_sample_at, created_by, created_at, updated_at) \
             values ($1, $2, 'asymptomatic', '', '', $3, $4, $5, $6, $4, $4) returning id")
            .bind(person.id).bind(&person.org_code).bind(rules.id).bind(now).bind(test.taken_at).bind(actor.user_id).fetch_one(&mut *tx).await?;
        let sample = sqlx::query_scalar::<DB, i64>("insert into samples (case_id, kind, taken_at, received_at, lab, created_at) values ($1, $2, $3, $4, $5, $6) returning id")
            .bind(id).bind(test.kind.as_str()).bind(test.taken_at).bind(test.received_at).bind(test.lab).bind(now).fetch_one(&mut *tx).await?;
        sqlx::query::<DB>("insert into lab_results (sample_id, case_id, test, result, resulted_at, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
            .bind(sample).bind(id).bind(LabTest::NucleicAcid.as_str()).bind(LabOutcome::Positive.as_str()).bind(test.resulted_at).bind(actor.user_id).bind(now)
            .execute(&mut *tx).await?;
        writes::first_result(&mut *tx, sample, test.resulted_at).await?;
        writes::insert_transition(&mut *tx, actor, &writes::Transition { case_id: id, org_code: &person.org_code, from: None, to: CaseStatus::Asymptomatic, reason: &reason, rule_set_id: rules.id, at: now }).await?;
        crate::observation::case_link::end_for_case(&mut *tx, actor, person.id, id, today).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "case.asymptomatic", record_type: "case", record_id: Some(id.to_string()), org_code: person.org_code.clone(), detail: Some(format!("rules={}", rules.id)),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match opened {
        Ok(id) => store::get(db, scope, id).await?.ok_or(AppError::NotFound),
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "此人已有未结案的病例".into(), existing_id: None }),
        Err(e) => Err(e.into()),
    }
}

/// Corrects (订正) an asymptomatic infection in scope to a confirmed case: symptoms appeared on
/// `onset`; `findings` says what was found.
pub async fn correct_to_confirmed(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, onset: Date, findings: &str, today: Date) -> AppResult<Case> {
    let case = store::get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    require_status(&case, &[CaseStatus::Asymptomatic], "订正为确诊病例(仅适用于无症状感染者)")?;
    let findings = findings.trim();
    if findings.is_empty() || findings.chars().count() > 500 {
        return Err(AppError::invalid("findings", "findings_required", "请填写出现的症状或体征(不超过 500 字)"));
    }
    if onset > today {
        return Err(AppError::invalid("onset_date", "date_future", "发病日期不能晚于今天"));
    }
    let rules = rules::in_force(db, today).await?;
    let reason = format!("订正为确诊病例:{findings}");
    let moved = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let moved = writes::change_status(&mut *tx, actor, &writes::Transition::of(&case, CaseStatus::Asymptomatic, CaseStatus::Confirmed, &reason, rules.id, now_micros()), "case.corrected").await?;
        if moved {
            sqlx::query::<DB>("update cases set onset_date = $1 where id = $2").bind(onset).bind(case.id).execute(&mut *tx).await?;
            tx.commit().await?;
        }
        Ok::<bool, sqlx::Error>(moved)
    }.await)?;
    if !moved {
        return Err(super::changed_meanwhile());
    }
    store::get(db, scope, case.id).await?.ok_or(AppError::NotFound)
}
