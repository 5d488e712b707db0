//! The case pipeline (病例): a person assessed against the suspected-case definition of the edition in
//! force becomes a suspected case; samples and laboratory results decide whether it is confirmed or
//! excluded. Every change of state is kept with who, when, why and the edition it was made under
//! (RULES §1, §8).

pub mod api;
pub mod clocks;
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
