//! Storage of cases, on SQLite and PostgreSQL: triage against the edition in force, samples and
//! results, and transitions guarded by the rules and kept with their reasons.

mod common;

use common::*;
use fangkong::cases::store::{self, NewSample, Triage};
use fangkong::cases::{CaseStatus, LabOutcome, LabTest, SampleKind, Severity};
use fangkong::db::Db;
use fangkong::error::AppError;
use fangkong::people::PersonInput;
use fangkong_rules::Scope;
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2020 - 02 - 04);
const HOUR: i64 = 3_600_000_000;

async fn person(db: &Db, id_number: &str) -> i64 {
    let input = PersonInput { name: "孙七".into(), id_number: id_number.into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    fangkong::people::store::create(db, &actor(), &Scope::everything(), &input.validate(TODAY).unwrap()).await.unwrap().id
}

fn triage(person_id: i64) -> Triage {
    Triage { person_id, onset_date: Some(date!(2020 - 02 - 02)), history: vec![EpiItem::AffectedAreaTravel], clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts] }
}

#[tokio::test]
async fn triage_opens_a_suspected_case_only_when_the_definition_is_met() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let id = person(&db, "43048119900101123X").await;
        let short = Triage { clinical: vec![ClinicalItem::FeverOrRespiratory], ..triage(id) };
        let refused = store::open_suspected(&db, &actor(), &county, &short, TODAY).await;
        assert!(matches!(refused, Err(AppError::Invalid(ref f)) if f[0].code == "not_suspected" && f[0].message.contains("临床表现 1 条")), "{refused:?}");
        let case = store::open_suspected(&db, &actor(), &county, &triage(id), TODAY).await.unwrap();
        assert_eq!((case.status.as_str(), case.history.as_str(), case.clinical.as_str()), ("suspected", "affected_area_travel", "fever_or_respiratory,low_cell_counts"));
        assert!(matches!(store::open_suspected(&db, &actor(), &county, &triage(id), TODAY).await, Err(AppError::Conflict { .. })), "one open case per person");
        let hengnan = Scope::of(&code("430422"));
        assert!(store::open_suspected(&db, &actor(), &hengnan, &triage(id), TODAY).await.is_err(), "another county's person is unknown");
        assert!(store::get(&db, &hengnan, case.id).await.unwrap().is_none());
        let timeline = store::transitions(&db, case.id).await.unwrap();
        assert_eq!((timeline[0].from_status.as_deref(), timeline[0].to_status.as_str()), (None, "suspected"));
        assert!(timeline[0].reason.contains("符合疑似病例定义"));
    }
}

#[tokio::test]
async fn a_suspected_case_is_excluded_only_after_two_negatives_a_day_apart() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let case = store::open_suspected(&db, &actor(), &county, &triage(person(&db, "43048119900101123X").await), TODAY).await.unwrap();
        let t0 = fangkong::clock::micros_at(TODAY, 9);
        let worker = actor();
        let sample = async |at: i64| {
            let new = NewSample { case_id: case.id, kind: SampleKind::ThroatSwab, taken_at: at, received_at: Some(at + HOUR), lab: Some("耒阳市疾控中心") };
            store::add_sample(&db, &worker, &county, &new).await
        };
        let first = sample(t0).await.unwrap();
        store::add_result(&db, &actor(), &county, first, LabTest::NucleicAcid, LabOutcome::Negative, t0 + 5 * HOUR).await.unwrap();

        let once = store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Excluded, TODAY).await;
        assert!(matches!(once, Err(AppError::Invalid(ref f)) if f[0].message.contains("只有一次核酸阴性结果")), "{once:?}");
        let soon = sample(t0 + 20 * HOUR).await.unwrap();
        store::add_result(&db, &actor(), &county, soon, LabTest::NucleicAcid, LabOutcome::Negative, t0 + 25 * HOUR).await.unwrap();
        let too_soon = store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Excluded, TODAY).await;
        assert!(matches!(too_soon, Err(AppError::Invalid(ref f)) if f[0].message.contains("不足 24 小时")), "{too_soon:?}");
        let confirm = store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Confirmed, TODAY).await;
        assert!(matches!(confirm, Err(AppError::Invalid(ref f)) if f[0].message.contains("确诊须有核酸检测阳性")));
        assert_eq!(store::get(&db, &county, case.id).await.unwrap().unwrap().status, "suspected", "refusals change nothing");

        let next_day = sample(t0 + 24 * HOUR).await.unwrap();
        store::add_result(&db, &actor(), &county, next_day, LabTest::NucleicAcid, LabOutcome::Negative, t0 + 30 * HOUR).await.unwrap();
        let excluded = store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Excluded, TODAY).await.unwrap();
        assert_eq!(excluded.status, "excluded");
        let last = store::transitions(&db, case.id).await.unwrap().pop().unwrap();
        assert_eq!((last.from_status.as_deref(), last.to_status.as_str(), last.rule_set_id), (Some("suspected"), "excluded", case.rule_set_id));
        assert!(last.reason.contains("防控方案第三版"), "the edition is named: {}", last.reason);
        assert!(matches!(store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Confirmed, TODAY).await, Err(AppError::Conflict { .. })));
        assert!(store::add_result(&db, &actor(), &county, first, LabTest::NucleicAcid, LabOutcome::Negative, t0 - HOUR).await.is_err(), "a result before its sample");
    }
}

#[tokio::test]
async fn a_positive_confirms_and_the_seventh_edition_wants_antibodies_to_exclude() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let case = store::open_suspected(&db, &actor(), &county, &triage(person(&db, "43048119900101123X").await), TODAY).await.unwrap();
        let at = fangkong::clock::micros_at(TODAY, 9);
        let s = store::add_sample(&db, &actor(), &county, &NewSample { case_id: case.id, kind: SampleKind::Sputum, taken_at: at, received_at: None, lab: None }).await.unwrap();
        store::add_result(&db, &actor(), &county, s, LabTest::NucleicAcid, LabOutcome::Positive, at + 6 * HOUR).await.unwrap();
        let confirmed = store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Confirmed, TODAY).await.unwrap();
        assert_eq!(confirmed.status, "confirmed");
        let now = fangkong::db::now_micros();
        store::assess_severity(&db, &actor(), &county, case.id, Severity::Common, now).await.unwrap();
        store::assess_severity(&db, &actor(), &county, case.id, Severity::Severe, now + 1).await.unwrap();
        let history = store::severities(&db, case.id).await.unwrap();
        assert_eq!(history.iter().map(|s| s.severity.as_str()).collect::<Vec<_>>(), ["common", "severe"], "the classification's history is kept");
        let future = store::assess_severity(&db, &actor(), &county, case.id, Severity::Critical, now + 3_600_000_000).await;
        assert!(matches!(future, Err(AppError::Invalid(ref f)) if f[0].code == "time_out_of_range"));

        let march = date!(2020 - 03 - 10);
        let other = person(&db, "430422198502150022").await;
        let case = store::open_suspected(&db, &actor(), &county, &Triage { onset_date: Some(date!(2020 - 03 - 06)), ..triage(other) }, march).await.unwrap();
        for hours in [0, 26] {
            let at = fangkong::clock::micros_at(march, 9) + hours * HOUR;
            let s = store::add_sample(&db, &actor(), &county, &NewSample { case_id: case.id, kind: SampleKind::ThroatSwab, taken_at: at, received_at: None, lab: None }).await.unwrap();
            store::add_result(&db, &actor(), &county, s, LabTest::NucleicAcid, LabOutcome::Negative, at + HOUR).await.unwrap();
        }
        let suspected = store::assess_severity(&db, &actor(), &county, case.id, Severity::Mild, fangkong::db::now_micros()).await;
        assert!(matches!(suspected, Err(AppError::Invalid(ref f)) if f[0].code == "not_confirmed"), "only a confirmed case is classified");
        let refused = store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Excluded, march + time::Duration::days(2)).await;
        assert!(matches!(refused, Err(AppError::Invalid(ref f)) if f[0].message.contains("IgM 和 IgG")), "{refused:?}");
    }
}

#[tokio::test]
async fn clocks_run_from_diagnosis_and_receipt_and_stop_when_done() {
    use fangkong::cases::{clocks, rules};
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let case = store::open_suspected(&db, &actor(), &county, &triage(person(&db, "43048119900101123X").await), TODAY).await.unwrap();
        let received = case.diagnosed_at - HOUR;
        let new = NewSample { case_id: case.id, kind: SampleKind::ThroatSwab, taken_at: received - HOUR, received_at: Some(received), lab: None };
        let rules = rules::by_id(&db, case.rule_set_id).await.unwrap();
        let at = |hours: i64| case.diagnosed_at + hours * HOUR;
        let overdue = |c: &[clocks::Clock]| c.iter().filter(|c| c.overdue).map(|c| c.kind.clone()).collect::<Vec<_>>();
        assert_eq!(overdue(&clocks::of_case(&case, &rules, &[], at(7)))[0], "sampling", "not sampled 6 h after suspicion: late");
        let sample = store::add_sample(&db, &actor(), &county, &new).await.unwrap();
        let case = store::get(&db, &county, case.id).await.unwrap().unwrap();
        assert_eq!(case.first_sample_at, Some(received - HOUR));

        let samples = store::samples(&db, case.id).await.unwrap();
        assert!(overdue(&clocks::of_case(&case, &rules, &samples, at(1))).is_empty(), "an hour after diagnosis nothing is late");
        assert_eq!(overdue(&clocks::of_case(&case, &rules, &samples, at(3))), ["report"], "the 2-hour report clock ran out");
        assert_eq!(overdue(&clocks::of_case(&case, &rules, &samples, at(25))), ["report", "investigation", "lab_result"]);

        let listed = store::list(&db, &county, Some(CaseStatus::Suspected), None, 10).await.unwrap();
        assert_eq!((listed.len(), listed[0].waiting_since, listed[0].name.as_str()), (1, Some(received), "孙*"));
        assert_eq!(overdue(&clocks::of_line(&listed[0], &rules, at(13))), ["report", "lab_result"], "the list shows the waiting sample's clock too");
        let reported = store::record_milestone(&db, &actor(), &county, case.id, store::Milestone::Reported, at(0) + 90 * 60_000_000).await;
        assert!(reported.is_err(), "a time in the future is refused");
        let reported = store::record_milestone(&db, &actor(), &county, case.id, store::Milestone::Reported, case.diagnosed_at).await.unwrap();
        store::add_result(&db, &actor(), &county, sample, LabTest::NucleicAcid, LabOutcome::Negative, received + 13 * HOUR).await.unwrap();
        let samples = store::samples(&db, case.id).await.unwrap();
        assert_eq!(overdue(&clocks::of_case(&reported, &rules, &samples, at(25))), ["investigation", "lab_result"], "reported in time; the result came an hour late");
        let again = store::record_milestone(&db, &actor(), &county, case.id, store::Milestone::Reported, case.diagnosed_at).await;
        assert!(matches!(again, Err(AppError::Conflict { .. })));
        let early = store::record_milestone(&db, &actor(), &county, case.id, store::Milestone::Investigated, case.diagnosed_at - 61_000_000).await;
        assert!(matches!(early, Err(AppError::Invalid(ref f)) if f[0].code == "before_diagnosis"));
    }
}
