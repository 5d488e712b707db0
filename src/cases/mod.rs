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
pub mod triage_person;
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
        Suspected = "suspected", "疑似病例", "Suspected case";
        Confirmed = "confirmed", "确诊病例", "Confirmed case";
        Asymptomatic = "asymptomatic", "无症状感染者", "Asymptomatic infection";
        Excluded = "excluded", "已排除", "Excluded";
        Discharged = "discharged", "治愈出院", "Cured and discharged";
        Deceased = "deceased", "死亡", "Deceased";
    }
}

labelled_enum! {
    /// Clinical classification of a confirmed case.
    Severity {
        Mild = "mild", "轻型", "Mild";
        Common = "common", "普通型", "Common";
        Severe = "severe", "重型", "Severe";
        Critical = "critical", "危重型", "Critical";
    }
}

labelled_enum! {
    SampleKind {
        ThroatSwab = "throat_swab", "咽拭子", "Throat swab";
        NasalSwab = "nasal_swab", "鼻拭子", "Nasal swab";
        Sputum = "sputum", "痰液", "Sputum";
        Blood = "blood", "血液", "Blood";
        Other = "other", "其他", "Other";
    }
}

labelled_enum! {
    LabTest {
        NucleicAcid = "nucleic_acid", "核酸检测", "Nucleic acid test";
        IgM = "igm", "特异性抗体 IgM", "Specific antibody IgM";
        IgG = "igg", "特异性抗体 IgG", "Specific antibody IgG";
    }
}

labelled_enum! {
    LabOutcome {
        Positive = "positive", "阳性", "Positive";
        Negative = "negative", "阴性", "Negative";
        Inconclusive = "inconclusive", "不确定", "Inconclusive";
    }
}

labelled_enum! {
    /// The kinds of bed a designated hospital counts.
    BedKind {
        General = "general", "普通病床", "General beds";
        Isolation = "isolation", "隔离病床", "Isolation beds";
        Icu = "icu", "重症监护病床", "Intensive care beds";
    }
}

labelled_enum! {
    TransferStatus {
        Requested = "requested", "已申请", "Requested";
        Accepted = "accepted", "已接收(留床)", "Accepted (bed held)";
        Admitted = "admitted", "已入院", "Admitted";
        Ended = "ended", "已出院/结束", "Discharged / ended";
        Cancelled = "cancelled", "已取消", "Cancelled";
    }
}

labelled_enum! {
    /// How a close contact was exposed (RULES §1.7).
    Exposure {
        Household = "household", "共同居住", "Living together";
        Work = "work", "共同工作或学习", "Working or studying together";
        Medical = "medical", "诊疗、护理、探视", "Treatment, nursing or visiting";
        Transport = "transport", "同乘交通工具", "Same vehicle";
        Social = "social", "聚餐、聚会等近距离接触", "Meals, gatherings and other close contact";
        Other = "other", "其他(现场调查判定)", "Other (judged by the field investigation)";
    }
}

labelled_enum! {
    ContactStatus {
        Observing = "observing", "医学观察中", "Under medical observation";
        Released = "released", "已解除(指示病例排除)", "Released (index case excluded)";
    }
}
