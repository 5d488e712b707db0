//! The case pipeline (病例): a person assessed against the suspected-case definition of the edition in
//! force becomes a suspected case; samples and laboratory results decide whether it is confirmed or
//! excluded. Every change of state is kept with who, when, why and the edition it was made under
//! (RULES §1, §8).

/// Writes a case's change of state inside an `on_db!` transaction (whose `DB` is in scope), with
/// the counts it moves: the case leaves its old status and enters the new one (gauges), and the
/// day's new cases of that status (dated by `$at`) gain one.
macro_rules! insert_transition {
    ($tx:expr, $actor:expr, $case_id:expr, $org_code:expr, $from:expr, $to:expr, $reason:expr, $rule_set_id:expr, $at:expr) => {
        async {
            let from: Option<$crate::cases::CaseStatus> = $from;
            sqlx::query::<DB>("insert into case_transitions (case_id, from_status, to_status, at, actor_id, actor, reason, rule_set_id) values ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind($case_id)
                .bind(from.map($crate::cases::CaseStatus::as_str))
                .bind($to.as_str())
                .bind($at)
                .bind($actor.user_id)
                .bind(&$actor.username)
                .bind($reason)
                .bind($rule_set_id)
                .execute(&mut *$tx)
                .await?;
            let mut tally = $crate::counts::Tally::default();
            if let Some(from) = from {
                tally.add($org_code, &$crate::counts::case_metric(from.as_str()), "", -1);
            }
            tally.add($org_code, &$crate::counts::case_metric($to.as_str()), "", 1);
            tally.add($org_code, &$crate::counts::case_new_metric($to.as_str()), &$crate::clock::day_of_micros($at).to_string(), 1);
            $crate::counts::write(&mut *$tx, &tally).await
        }
    };
}

/// Inside an `on_db!` transaction: adds `$delta` to the patients holding a bed, under the case's
/// unit and current classification (read in the transaction). Called around a change of
/// classification of a patient holding one.
macro_rules! bed_count {
    ($tx:expr, $case_id:expr, $delta:expr) => {
        async {
            let (org_code, severity) = sqlx::query_as::<DB, (String, Option<String>)>("select org_code, severity from cases where id = $1").bind($case_id).fetch_one(&mut *$tx).await?;
            $crate::counts::add(&mut *$tx, &org_code, &$crate::counts::in_hospital_metric(severity.as_deref()), "", $delta).await
        }
    };
}

/// Inside an `on_db!` transaction: when the transfer `$transfer_id` takes a bed (`$delta` 1) or
/// gives it back (-1), adds `$delta` to the patients holding a bed — under the case's unit and
/// current classification — and to the beds taken of the transfer's kind under the hospital's unit.
macro_rules! bed_taken {
    ($tx:expr, $transfer_id:expr, $delta:expr) => {
        async {
            let (case_org, severity, hospital_org, kind) = sqlx::query_as::<DB, (String, Option<String>, String, String)>(
                "select c.org_code, c.severity, h.org_code, t.bed_kind from transfers t join cases c on c.id = t.case_id \
                 join hospitals h on h.id = t.hospital_id where t.id = $1",
            )
            .bind($transfer_id)
            .fetch_one(&mut *$tx)
            .await?;
            let mut tally = $crate::counts::Tally::default();
            tally.add(&case_org, &$crate::counts::in_hospital_metric(severity.as_deref()), "", $delta);
            tally.add(&hospital_org, &$crate::counts::beds_taken_metric(&kind), "", $delta);
            $crate::counts::write(&mut *$tx, &tally).await
        }
    };
}

/// Inside an `on_db!` transaction: the transfer holding the case's bed (accepted or admitted), if any.
macro_rules! holds_bed {
    ($tx:expr, $case_id:expr) => {
        sqlx::query_scalar::<DB, i64>("select id from transfers where case_id = $1 and status in ('accepted', 'admitted')").bind($case_id).fetch_optional(&mut *$tx)
    };
}

/// Inside an `on_db!` transaction: moves `$case` from `$from` to `$to` if nobody changed it since it
/// was read, keeping the transition, the counts by status and an audit record. Evaluates to whether
/// it moved.
macro_rules! change_status {
    ($tx:expr, $actor:expr, $case:expr, $from:expr, $to:expr, $reason:expr, $rule_set_id:expr, $at:expr, $action:expr) => {
        async {
            let moved = sqlx::query::<DB>("update cases set status = $1, updated_at = $2 where id = $3 and status = $4")
                .bind($to.as_str())
                .bind($crate::db::now_micros())
                .bind($case.id)
                .bind($from.as_str())
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                == 1;
            if moved {
                insert_transition!($tx, $actor, $case.id, &$case.org_code, Some($from), $to, $reason, $rule_set_id, $at).await?;
                $crate::audit::store::insert(
                    &mut *$tx,
                    $actor,
                    $crate::audit::AuditEvent {
                        action: $action,
                        record_type: "case",
                        record_id: Some($case.id.to_string()),
                        org_code: $case.org_code.clone(),
                        detail: Some(format!("rules={}", $rule_set_id)),
                    },
                )
                .await?;
            }
            Ok::<bool, sqlx::Error>(moved)
        }
    };
}

/// Inside an `on_db!` transaction: keeps a sample's earliest result time with the sample (the lab
/// clock stops at the first result).
macro_rules! first_result {
    ($tx:expr, $sample_id:expr, $at:expr) => {
        sqlx::query::<DB>("update samples set first_result_at = $1 where id = $2 and (first_result_at is null or first_result_at > $1)").bind($at).bind($sample_id).execute(&mut *$tx)
    };
}

/// The conflict when a case changed under the user's feet.
fn changed_meanwhile() -> crate::error::AppError {
    crate::error::AppError::Conflict { message: "该病例已被他人更新,请刷新后再试".into(), existing_id: None }
}

/// A conflict unless the case is in one of `allowed`; `doing` names the refused action.
fn require_status(case: &store::Case, allowed: &[CaseStatus], doing: &str) -> crate::error::AppResult<()> {
    if allowed.iter().any(|s| s.as_str() == case.status) {
        return Ok(());
    }
    let now = CaseStatus::parse(&case.status).map(CaseStatus::zh).unwrap_or("");
    Err(crate::error::AppError::Conflict { message: format!("该病例当前为{now},不能{doing}"), existing_id: None })
}

pub mod api;
pub mod asymptomatic;
pub mod board;
pub mod care_api;
pub mod care_pages;
pub mod chain;
pub mod chain_page;
pub mod clocks;
pub mod contacts;
pub mod discharge;
pub mod follow_ups;
pub mod hospital_pages;
pub mod hospitals;
pub mod pages;
pub mod rules;
pub mod store;

use crate::labels::labelled_enum;

labelled_enum! {
    CaseStatus {
        Suspected = "suspected", "疑似病例";
        Confirmed = "confirmed", "确诊病例";
        Asymptomatic = "asymptomatic", "无症状感染者";
        Excluded = "excluded", "已排除";
        Discharged = "discharged", "治愈出院";
        Deceased = "deceased", "死亡";
    }
}

labelled_enum! {
    /// Clinical classification of a confirmed case.
    Severity {
        Mild = "mild", "轻型";
        Common = "common", "普通型";
        Severe = "severe", "重型";
        Critical = "critical", "危重型";
    }
}

labelled_enum! {
    SampleKind {
        ThroatSwab = "throat_swab", "咽拭子";
        NasalSwab = "nasal_swab", "鼻拭子";
        Sputum = "sputum", "痰液";
        Blood = "blood", "血液";
        Other = "other", "其他";
    }
}

labelled_enum! {
    LabTest {
        NucleicAcid = "nucleic_acid", "核酸检测";
        IgM = "igm", "特异性抗体 IgM";
        IgG = "igg", "特异性抗体 IgG";
    }
}

labelled_enum! {
    LabOutcome {
        Positive = "positive", "阳性";
        Negative = "negative", "阴性";
        Inconclusive = "inconclusive", "不确定";
    }
}

labelled_enum! {
    /// The kinds of bed a designated hospital counts.
    BedKind {
        General = "general", "普通病床";
        Isolation = "isolation", "隔离病床";
        Icu = "icu", "重症监护病床";
    }
}

labelled_enum! {
    TransferStatus {
        Requested = "requested", "已申请";
        Accepted = "accepted", "已接收(留床)";
        Admitted = "admitted", "已入院";
        Ended = "ended", "已出院/结束";
        Cancelled = "cancelled", "已取消";
    }
}

labelled_enum! {
    /// How a close contact was exposed (RULES §1.7).
    Exposure {
        Household = "household", "共同居住";
        Work = "work", "共同工作或学习";
        Medical = "medical", "诊疗、护理、探视";
        Transport = "transport", "同乘交通工具";
        Social = "social", "聚餐、聚会等近距离接触";
        Other = "other", "其他(现场调查判定)";
    }
}

labelled_enum! {
    ContactStatus {
        Observing = "observing", "医学观察中";
        Released = "released", "已解除(指示病例排除)";
    }
}
