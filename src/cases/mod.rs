//! The case pipeline (病例): a person assessed against the suspected-case definition of the edition in
//! force becomes a suspected case; samples and laboratory results decide whether it is confirmed or
//! excluded. Every change of state is kept with who, when, why and the edition it was made under
//! (RULES §1, §8).

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
mod writes;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router().merge(care_api::router())
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router().merge(care_pages::router()).merge(hospital_pages::router())
}

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
