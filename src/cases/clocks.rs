//! The clocks a case keeps (RULES §1.8): the first sample within the edition's `sampling_hours` of
//! suspicion ("tested in the shortest time"), the online direct report within `report_hours` of diagnosis,
//! the epidemiological investigation within `investigation_hours`, and each sample's result within
//! `lab_hours` of the laboratory receiving it. Computed from the record, never stored, so a clock
//! cannot drift from what happened.

use super::rules::CaseRuleSet;
use super::store::{Case, CaseLine, SampleLine};
use crate::labels::labelled_enum;
use serde::Serialize;

labelled_enum! {
    ClockKind {
        Report = "report", "网络直报", "Online direct report";
        Investigation = "investigation", "流行病学调查", "Epidemiological investigation";
        LabResult = "lab_result", "实验室检测结果", "Laboratory result";
        Sampling = "sampling", "采样送检", "Sampling and dispatch";
    }
}

const HOUR: i64 = 3_600_000_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Clock {
    /// `report`, `investigation` or `lab_result`.
    pub kind: String,
    pub label: String,
    /// For a lab result, the sample it waits on.
    pub sample_id: Option<i64>,
    pub due_at: i64,
    pub done_at: Option<i64>,
    /// Done late, or still open past its due time.
    pub overdue: bool,
}

impl Clock {
    /// The clock's name in the reader's language.
    pub fn label_in(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        ClockKind::parse(&self.kind).map_or("", |k| k.label(lang))
    }
}

fn clock(kind: ClockKind, sample_id: Option<i64>, due_at: i64, done_at: Option<i64>, now: i64) -> Clock {
    let overdue = done_at.map_or(now > due_at, |done| done > due_at);
    Clock { kind: kind.as_str().into(), label: kind.zh().into(), sample_id, due_at, done_at, overdue }
}

/// Every clock of a case at `now` (epoch µs).
pub fn of_case(case: &Case, rules: &CaseRuleSet, samples: &[SampleLine], now: i64) -> Vec<Clock> {
    let mut clocks = vec![
        clock(ClockKind::Sampling, None, case.diagnosed_at + rules.sampling_hours * HOUR, case.first_sample_at, now),
        clock(ClockKind::Report, None, case.diagnosed_at + rules.report_hours * HOUR, case.reported_at, now),
        clock(ClockKind::Investigation, None, case.diagnosed_at + rules.investigation_hours * HOUR, case.investigated_at, now),
    ];
    for s in samples {
        if let Some(received) = s.received_at {
            let first_result = s.results.iter().map(|r| r.resulted_at).min();
            clocks.push(clock(ClockKind::LabResult, Some(s.id), received + rules.lab_hours * HOUR, first_result, now));
        }
    }
    clocks
}

/// The clocks of a case on a list: report, investigation, and the oldest sample still waiting for
/// its result.
pub fn of_line(line: &CaseLine, rules: &CaseRuleSet, now: i64) -> Vec<Clock> {
    let mut clocks = of_case(&line.case, rules, &[], now);
    if let Some(received) = line.waiting_since {
        clocks.push(clock(ClockKind::LabResult, None, received + rules.lab_hours * HOUR, None, now));
    }
    clocks
}
