//! The suspected-case definition and the exclusion rule of the 2020 protocols (RULES §1.2, §1.4), as
//! data an edition fills in, and the evaluations the triage form and the case record run on them.
//!
//! Suspected: any epidemiological-history item and at least `clinical_with_history` clinical items, or
//! no history and at least `clinical_without_history` items. Excluded: two consecutive negative
//! nucleic-acid results sampled at least `min_hours_between_negatives` apart and, from the 7th diagnosis
//! edition, negative IgM and IgG at least `antibody_days_after_onset` days after onset.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Epidemiological history within 14 days before onset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpiItem {
    /// Travel to or residence in Wuhan and surroundings, or a community with reported cases.
    AffectedAreaTravel,
    /// Contact with an infected person (nucleic-acid positive).
    InfectedContact,
    /// Contact with a febrile or respiratory patient from an affected area.
    FebrileContactFromArea,
    /// Two or more people with fever or respiratory symptoms in a small setting (family, office, class).
    Cluster,
}

impl EpiItem {
    pub const ALL: [EpiItem; 4] = [EpiItem::AffectedAreaTravel, EpiItem::InfectedContact, EpiItem::FebrileContactFromArea, EpiItem::Cluster];
    pub fn as_str(self) -> &'static str {
        match self {
            EpiItem::AffectedAreaTravel => "affected_area_travel",
            EpiItem::InfectedContact => "infected_contact",
            EpiItem::FebrileContactFromArea => "febrile_contact_from_area",
            EpiItem::Cluster => "cluster",
        }
    }
    pub fn parse(code: &str) -> Option<EpiItem> {
        Self::ALL.into_iter().find(|i| i.as_str() == code)
    }
    pub fn zh(self) -> &'static str {
        match self {
            EpiItem::AffectedAreaTravel => "发病前 14 天内有武汉市及周边地区,或其他有病例报告社区的旅行史或居住史",
            EpiItem::InfectedContact => "发病前 14 天内与新型冠状病毒感染者(核酸检测阳性者)有接触史",
            EpiItem::FebrileContactFromArea => "发病前 14 天内曾接触过来自武汉市及周边地区,或有病例报告社区的发热或有呼吸道症状的患者",
            EpiItem::Cluster => "聚集性发病(14 天内在小范围如家庭、办公室、学校班级等场所,出现 2 例及以上发热和/或呼吸道症状的病例)",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            EpiItem::AffectedAreaTravel => "In the 14 days before onset, travel to or residence in Wuhan and its surroundings, or in another community with reported cases",
            EpiItem::InfectedContact => "In the 14 days before onset, contact with a person infected with the novel coronavirus (nucleic-acid positive)",
            EpiItem::FebrileContactFromArea => {
                "In the 14 days before onset, contact with patients with fever or respiratory symptoms from Wuhan and its surroundings, or from a community with reported cases"
            }
            EpiItem::Cluster => "Clustered onset (2 or more cases with fever and/or respiratory symptoms within 14 days in a small setting such as a home, office or school class)",
        }
    }
}

/// Clinical manifestations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalItem {
    /// Fever (and, in later editions, or respiratory symptoms).
    FeverOrRespiratory,
    /// The imaging features of COVID-19 pneumonia on CT.
    ImagingFeatures,
    /// Early in the illness, white-cell count normal or low, or lymphocyte count normal or low.
    LowCellCounts,
}

impl ClinicalItem {
    pub const ALL: [ClinicalItem; 3] = [ClinicalItem::FeverOrRespiratory, ClinicalItem::ImagingFeatures, ClinicalItem::LowCellCounts];
    pub fn as_str(self) -> &'static str {
        match self {
            ClinicalItem::FeverOrRespiratory => "fever_or_respiratory",
            ClinicalItem::ImagingFeatures => "imaging_features",
            ClinicalItem::LowCellCounts => "low_cell_counts",
        }
    }
    pub fn parse(code: &str) -> Option<ClinicalItem> {
        Self::ALL.into_iter().find(|i| i.as_str() == code)
    }
    pub fn zh(self) -> &'static str {
        match self {
            ClinicalItem::FeverOrRespiratory => "发热和/或呼吸道症状",
            ClinicalItem::ImagingFeatures => "具有新型冠状病毒肺炎影像学特征",
            ClinicalItem::LowCellCounts => "发病早期白细胞总数正常或降低,或淋巴细胞计数正常或减少",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            ClinicalItem::FeverOrRespiratory => "Fever and/or respiratory symptoms",
            ClinicalItem::ImagingFeatures => "Imaging features of novel coronavirus pneumonia",
            ClinicalItem::LowCellCounts => "Early in the illness, a normal or low white-cell count, or a normal or low lymphocyte count",
        }
    }
}

/// One edition's suspected-case definition: numbers an edition may change without code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspectedDefinition {
    pub clinical_with_history: usize,
    pub clinical_without_history: usize,
}

impl Default for SuspectedDefinition {
    /// The 2020 editions: one history item and two clinical items, or all three clinical items.
    fn default() -> Self {
        SuspectedDefinition { clinical_with_history: 2, clinical_without_history: 3 }
    }
}

/// What the evaluation found, for the triage form to show item by item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub suspected: bool,
    pub history: Vec<EpiItem>,
    pub clinical: Vec<ClinicalItem>,
    /// Which way the definition was met or missed, in Chinese.
    pub reason: String,
}

impl SuspectedDefinition {
    pub fn assess(&self, history: &[EpiItem], clinical: &[ClinicalItem]) -> Assessment {
        let h: Vec<EpiItem> = EpiItem::ALL.into_iter().filter(|i| history.contains(i)).collect();
        let c: Vec<ClinicalItem> = ClinicalItem::ALL.into_iter().filter(|i| clinical.contains(i)).collect();
        let (suspected, reason) = if !h.is_empty() {
            let met = c.len() >= self.clinical_with_history;
            (met, format!("有流行病学史 {} 条,临床表现 {} 条(有流行病学史时需 {} 条):{}", h.len(), c.len(), self.clinical_with_history, if met { "符合疑似病例定义" } else { "不符合疑似病例定义" }))
        } else {
            let met = c.len() >= self.clinical_without_history;
            (met, format!("无明确流行病学史,临床表现 {} 条(需 {} 条):{}", c.len(), self.clinical_without_history, if met { "符合疑似病例定义" } else { "不符合疑似病例定义" }))
        };
        Assessment { suspected, history: h, clinical: c, reason }
    }
}

/// Why a decision is refused while a result is dated after now.
pub const FUTURE_RESULT: &str = "有检测结果的采样或出结果时间晚于现在,请先核对更正后再判定";

/// A nucleic-acid result with the times its sample was taken and it was resulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NucleicAcid {
    pub sampled_at: OffsetDateTime,
    pub resulted_at: OffsetDateTime,
    pub negative: bool,
}

/// Antibody results of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Antibodies {
    pub sampled_on: Date,
    pub igm_negative: bool,
    pub igg_negative: bool,
}

/// One edition's exclusion rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionRule {
    /// 24 in every 2020 edition (earlier wording: "at least one day").
    pub min_hours_between_negatives: i64,
    /// From the 7th diagnosis edition: IgM and IgG negative this many days after onset.
    pub antibody_days_after_onset: Option<i64>,
}

impl Default for ExclusionRule {
    fn default() -> Self {
        ExclusionRule { min_hours_between_negatives: 24, antibody_days_after_onset: None }
    }
}

impl ExclusionRule {
    /// Whether a suspected case may be excluded on these results at `now`; if not, why, in Chinese.
    /// Only the latest results count as consecutive: a positive after two negatives blocks
    /// exclusion. A result dated after `now` (beyond [`crate::CLOCK_SKEW`]) is a mistake to correct,
    /// never a reason to decide: it refuses the decision.
    pub fn check(&self, results: &[NucleicAcid], antibodies: &[Antibodies], onset: Option<Date>, now: OffsetDateTime) -> Result<(), String> {
        let latest = now + crate::CLOCK_SKEW;
        if results.iter().any(|r| r.sampled_at > latest || r.resulted_at > latest) || antibodies.iter().any(|a| a.sampled_on > latest.date()) {
            return Err(FUTURE_RESULT.into());
        }
        let mut sorted: Vec<&NucleicAcid> = results.iter().collect();
        sorted.sort_by_key(|r| r.sampled_at);
        let trailing: Vec<&&NucleicAcid> = sorted.iter().rev().take_while(|r| r.negative).collect();
        let hours = self.min_hours_between_negatives;
        match trailing.as_slice() {
            [] => return Err(format!("尚无核酸阴性结果:排除疑似病例需要连续两次核酸检测阴性(采样时间至少间隔 {hours} 小时)")),
            [_] => return Err(format!("只有一次核酸阴性结果:排除疑似病例需要连续两次核酸检测阴性(采样时间至少间隔 {hours} 小时)")),
            [last, .., first] => {
                // Any two of the trailing negatives far enough apart qualify; the first and last are the farthest.
                if (last.sampled_at - first.sampled_at).whole_hours() < hours {
                    return Err(format!("两次核酸阴性的采样时间间隔不足 {hours} 小时,请按规定间隔再次采样"));
                }
            }
        }
        if let Some(days) = self.antibody_days_after_onset {
            let Some(onset) = onset else {
                return Err(format!("本版诊疗方案要求发病 {days} 天后特异性抗体 IgM 和 IgG 仍为阴性:请先填写发病日期"));
            };
            let qualifying = antibodies.iter().any(|a| a.igm_negative && a.igg_negative && (a.sampled_on - onset).whole_days() >= days);
            if !qualifying {
                return Err(format!("本版诊疗方案要求发病 {days} 天后特异性抗体 IgM 和 IgG 仍为阴性,尚无符合条件的抗体结果"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn one_history_item_and_two_clinical_items_make_a_suspected_case() {
        let d = SuspectedDefinition::default();
        let a = d.assess(&[EpiItem::AffectedAreaTravel], &[ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts]);
        assert!(a.suspected, "{}", a.reason);
        assert_eq!(a.clinical, [ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts]);
        let a = d.assess(&[EpiItem::AffectedAreaTravel, EpiItem::AffectedAreaTravel], &[ClinicalItem::FeverOrRespiratory]);
        assert!(!a.suspected && a.history.len() == 1, "{}", a.reason);
        assert!(a.reason.contains("不符合"));
        assert!(EpiItem::ALL.into_iter().all(|i| EpiItem::parse(i.as_str()) == Some(i)));
        assert!(ClinicalItem::ALL.into_iter().all(|i| ClinicalItem::parse(i.as_str()) == Some(i)));
    }

    #[test]
    fn without_history_all_three_clinical_items_are_needed() {
        let d = SuspectedDefinition::default();
        assert!(!d.assess(&[], &[ClinicalItem::FeverOrRespiratory, ClinicalItem::ImagingFeatures]).suspected);
        let a = d.assess(&[], &ClinicalItem::ALL);
        assert!(a.suspected && a.reason.contains("无明确流行病学史"));
    }

    fn na(at: OffsetDateTime, negative: bool) -> NucleicAcid {
        NucleicAcid { sampled_at: at, resulted_at: at + time::Duration::hours(6), negative }
    }

    const NOW: OffsetDateTime = datetime!(2020-04-01 00:00 +8);

    #[test]
    fn a_result_dated_after_now_refuses_the_decision() {
        let rule = ExclusionRule::default();
        let now = datetime!(2020-02-05 12:00 +8);
        let first = na(datetime!(2020-02-04 09:00 +8), true);
        let tomorrow = na(datetime!(2020-02-06 09:00 +8), true);
        assert!(rule.check(&[first, tomorrow], &[], None, now).unwrap_err().contains("晚于现在"));
        let resulted_later = NucleicAcid { resulted_at: datetime!(2020-02-05 13:00 +8), ..na(datetime!(2020-02-05 09:30 +8), true) };
        assert!(rule.check(&[first, resulted_later], &[], None, now).is_err(), "a result not yet out cannot count");
        let in_time = na(datetime!(2020-02-05 09:30 +8), true);
        let in_time = NucleicAcid { resulted_at: datetime!(2020-02-05 12:03 +8), ..in_time };
        assert_eq!(rule.check(&[first, in_time], &[], None, now), Ok(()), "a few minutes ahead is a phone's clock");
    }

    #[test]
    fn exclusion_needs_two_consecutive_negatives_at_least_24_hours_apart() {
        let rule = ExclusionRule::default();
        let first = na(datetime!(2020-02-04 09:00 +8), true);
        assert!(rule.check(&[first], &[], None, NOW).unwrap_err().contains("只有一次"));
        let too_soon = na(datetime!(2020-02-05 08:59 +8), true);
        assert!(rule.check(&[first, too_soon], &[], None, NOW).unwrap_err().contains("不足 24 小时"));
        let next_day = na(datetime!(2020-02-05 09:00 +8), true);
        assert_eq!(rule.check(&[next_day, first], &[], None, NOW), Ok(()), "order of entry does not matter");
        let positive_after = na(datetime!(2020-02-06 09:00 +8), false);
        assert!(rule.check(&[first, next_day, positive_after], &[], None, NOW).is_err(), "a later positive breaks the run");
        let positive_before = na(datetime!(2020-02-03 09:00 +8), false);
        assert_eq!(rule.check(&[positive_before, first, next_day], &[], None, NOW), Ok(()));
        assert!(rule.check(&[], &[], None, NOW).unwrap_err().contains("尚无"));
    }

    #[test]
    fn the_seventh_edition_also_wants_negative_antibodies_a_week_after_onset() {
        let rule = ExclusionRule { min_hours_between_negatives: 24, antibody_days_after_onset: Some(7) };
        let tests = [na(datetime!(2020-03-10 09:00 +8), true), na(datetime!(2020-03-11 10:00 +8), true)];
        assert!(rule.check(&tests, &[], None, NOW).unwrap_err().contains("发病日期"));
        let early = Antibodies { sampled_on: date!(2020 - 03 - 08), igm_negative: true, igg_negative: true };
        assert!(rule.check(&tests, &[early], Some(date!(2020 - 03 - 02)), NOW).is_err(), "six days after onset is too early");
        let week = Antibodies { sampled_on: date!(2020 - 03 - 09), ..early };
        assert_eq!(rule.check(&tests, &[week], Some(date!(2020 - 03 - 02)), NOW), Ok(()));
        let igg_positive = Antibodies { igg_negative: false, ..week };
        assert!(rule.check(&tests, &[igg_positive], Some(date!(2020 - 03 - 02)), NOW).is_err());
    }
}
