//! Storage of treatment and after, on SQLite and PostgreSQL: designated hospitals and their beds,
//! transfers refused when full, discharge guarded by its criteria and handed back to the home grid
//! with follow-ups, death, asymptomatic infections corrected to confirmed, and close contacts
//! observed in their own county and released when the index case is excluded.

mod common;

use common::*;
use fangkong::cases::asymptomatic::{self, PositiveTest};
use fangkong::cases::contacts::{self, NewContact, Who};
use fangkong::cases::discharge::{self, Checklist, Discharge};
use fangkong::cases::hospitals::{self, NewHospital, Step};
use fangkong::cases::store::{self, NewSample, Triage};
use fangkong::cases::{BedKind, CaseStatus, Exposure, LabOutcome, LabTest, SampleKind, follow_ups};
use fangkong::db::Db;
use fangkong::error::AppError;
use fangkong::people::PersonInput;
use fangkong_rules::Scope;
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use time::macros::date;
use time::{Date, Duration};

const DIAGNOSED: Date = date!(2020 - 02 - 04);
const HOUR: i64 = 3_600_000_000;

fn leiyang() -> Scope {
    Scope::of(&code("430481"))
}

async fn person_in(db: &Db, name: &str, id_number: &str, org: &str) -> i64 {
    let input = PersonInput { name: name.into(), id_number: id_number.into(), org_code: org.into(), ..Default::default() };
    fangkong::people::store::create(db, &actor(), &Scope::everything(), &input.validate(DIAGNOSED).unwrap()).await.unwrap().id
}

/// A sample taken at `at` with its nucleic-acid result five hours later.
async fn tested(db: &Db, case_id: i64, at: i64, outcome: LabOutcome) {
    let sample = NewSample { case_id, kind: SampleKind::ThroatSwab, taken_at: at, received_at: Some(at + HOUR), lab: Some("衡阳市疾控中心") };
    let id = store::add_sample(db, &actor(), &leiyang(), &sample).await.unwrap();
    store::add_result(db, &actor(), &leiyang(), id, LabTest::NucleicAcid, outcome, at + 5 * HOUR).await.unwrap();
}

/// A confirmed case of a Leiyang resident.
async fn confirmed_case(db: &Db, id_number: &str) -> i64 {
    let person = person_in(db, "孙七", id_number, LEIYANG_GRID).await;
    let triage = Triage {
        person_id: person,
        onset_date: Some(date!(2020 - 02 - 02)),
        history: vec![EpiItem::AffectedAreaTravel],
        clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts],
    };
    let case = store::open_suspected(db, &actor(), &leiyang(), &triage, DIAGNOSED).await.unwrap();
    tested(db, case.id, fangkong::clock::micros_at(DIAGNOSED, 10), LabOutcome::Positive).await;
    store::decide_suspected(db, &actor(), &leiyang(), case.id, CaseStatus::Confirmed, DIAGNOSED).await.unwrap();
    case.id
}

async fn hospital(db: &Db, isolation_beds: i64) -> i64 {
    let new = NewHospital { org_code: code("430400"), name: "衡阳市第三人民医院".into(), general_beds: 10, isolation_beds, icu_beds: 2 };
    hospitals::create(db, &actor(), &Scope::everything(), &new).await.unwrap()
}

#[tokio::test]
async fn a_full_hospital_refuses_a_transfer_and_a_discharge_frees_the_bed() {
    for db in backends().await {
        seed_area(&db).await;
        let hospital = hospital(&db, 1).await;
        let first = confirmed_case(&db, "43048119900101123X").await;
        let second = confirmed_case(&db, &resident_id("430481", 2)).await;
        let city = Scope::of(&code("430400"));

        let transfer = hospitals::request(&db, &actor(), &leiyang(), first, hospital, BedKind::Isolation, Some("发热 38.5 ℃")).await.unwrap();
        let waiting = hospitals::request(&db, &actor(), &leiyang(), second, hospital, BedKind::Isolation, None).await.unwrap();
        let now = fangkong::db::now_micros();
        hospitals::advance(&db, &actor(), &city, transfer, Step::Accept, now).await.unwrap();
        let board = hospitals::beds_of(&db, hospital).await.unwrap().unwrap();
        assert_eq!((board.isolation_taken, board.free(BedKind::Isolation), board.requested), (1, 0, 1));

        let refused = hospitals::advance(&db, &actor(), &city, waiting, Step::Accept, now).await;
        assert!(matches!(refused, Err(AppError::Invalid(ref f)) if f[0].code == "hospital_full" && f[0].message.contains("隔离病床已满(共 1 张,已占用 1 张)")), "{refused:?}");
        let third = confirmed_case(&db, &resident_id("430481", 3)).await;
        let full = hospitals::request(&db, &actor(), &leiyang(), third, hospital, BedKind::Isolation, None).await;
        assert!(matches!(full, Err(AppError::Invalid(ref f)) if f[0].code == "hospital_full"), "{full:?}");
        assert!(hospitals::request(&db, &actor(), &leiyang(), third, hospital, BedKind::General, None).await.is_ok(), "another kind of bed is free");
        let twice = hospitals::request(&db, &actor(), &leiyang(), first, hospital, BedKind::General, None).await;
        assert!(matches!(twice, Err(AppError::Conflict { .. })), "one open transfer per case");

        let admitted = hospitals::advance(&db, &actor(), &city, transfer, Step::Admit, now).await.unwrap();
        assert_eq!(admitted.status, "admitted");
        let hengnan = Scope::of(&code("430422"));
        assert!(matches!(hospitals::advance(&db, &actor(), &hengnan, waiting, Step::Cancel, now).await, Err(AppError::NotFound)), "another county's case");
        let patients = hospitals::patients(&db, &city, hospital).await.unwrap();
        assert_eq!(patients.len(), 3);
        assert!(patients.iter().all(|p| p.name == "孙*"), "names masked");

        // Death of the admitted patient frees the bed; the waiting request can now be accepted.
        discharge::record_death(&db, &actor(), &leiyang(), first, now, "呼吸衰竭", DIAGNOSED).await.unwrap();
        assert_eq!(hospitals::beds_of(&db, hospital).await.unwrap().unwrap().isolation_taken, 0);
        assert_eq!(hospitals::for_case(&db, first).await.unwrap()[0].status, "ended");
        hospitals::advance(&db, &actor(), &city, waiting, Step::Accept, now).await.unwrap();
        let last = store::transitions(&db, first).await.unwrap().pop().unwrap();
        assert_eq!((last.to_status.as_str(), last.reason.as_str()), ("deceased", "呼吸衰竭"));

        // The city sets the beds, never below those taken (one isolation bed is, by the waiting case).
        let below = hospitals::set_beds(&db, &actor(), &city, hospital, 2, 0, 0).await;
        assert!(matches!(below, Err(AppError::Invalid(ref f)) if f[0].code == "beds_below_taken"), "{below:?}");
        assert!(matches!(hospitals::set_beds(&db, &actor(), &hengnan, hospital, 3, 3, 3).await, Err(AppError::NotFound)), "a hospital outside the scope");
        hospitals::set_beds(&db, &actor(), &city, hospital, 4, 2, 1).await.unwrap();
        let board = hospitals::beds_of(&db, hospital).await.unwrap().unwrap();
        assert_eq!((board.free(BedKind::General), board.free(BedKind::Isolation), board.free(BedKind::Icu)), (4, 1, 1), "a request takes no bed until accepted: {board:?}");
    }
}

#[tokio::test]
async fn discharge_needs_its_criteria_and_hands_the_patient_to_the_home_grid_with_follow_ups() {
    for db in backends().await {
        seed_area(&db).await;
        let case_id = confirmed_case(&db, "43048119900101123X").await;
        let hospital = hospital(&db, 5).await;
        let transfer = hospitals::request(&db, &actor(), &leiyang(), case_id, hospital, BedKind::Isolation, None).await.unwrap();
        for step in [Step::Accept, Step::Admit] {
            hospitals::advance(&db, &actor(), &Scope::everything(), transfer, step, fangkong::db::now_micros()).await.unwrap();
        }
        let day = date!(2020 - 02 - 20);
        let all = Checklist { afebrile: true, respiratory_improved: true, imaging_improved: true };
        let t = fangkong::clock::micros_at(date!(2020 - 02 - 17), 9);
        tested(&db, case_id, t, LabOutcome::Negative).await;

        let early = discharge::discharge(&db, &actor(), &leiyang(), Discharge { case_id, checklist: Checklist { imaging_improved: false, ..all }, counselling: false, day }, day).await;
        assert!(matches!(early, Err(AppError::Invalid(ref f)) if f[0].message.contains("肺部影像学") && f[0].message.contains("只有一次核酸阴性结果")), "{early:?}");
        tested(&db, case_id, t + 25 * HOUR, LabOutcome::Negative).await;
        let handover = discharge::discharge(&db, &actor(), &leiyang(), Discharge { case_id, checklist: all, counselling: true, day }, day).await.unwrap();
        assert_eq!(handover.follow_ups_due, ["2020-03-05", "2020-03-19"], "day 14 and day 28 after discharge");

        // The home grid worker sees the follow-ups and the post-discharge observation.
        let grid = Scope::of(&code(LEIYANG_GRID));
        let due = follow_ups::open(&db, &grid, day, 50).await.unwrap();
        assert_eq!(due.iter().map(|f| (f.week, f.due_date, f.case_id)).collect::<Vec<_>>(), [(2, day + Duration::days(14), case_id), (4, day + Duration::days(28), case_id)]);
        assert!(!due[0].overdue);
        assert!(follow_ups::open(&db, &grid, date!(2020 - 03 - 06), 50).await.unwrap()[0].overdue, "overdue the day after it was due");
        assert!(!follow_ups::open(&db, &grid, date!(2020 - 03 - 05), 50).await.unwrap()[0].overdue);
        let episode = fangkong::observation::episodes::get(&db, &grid, handover.episode_id).await.unwrap().unwrap();
        assert_eq!((episode.kind.as_str(), episode.start_date, episode.status.as_str(), episode.org_code.as_str()), ("home", day, "active", LEIYANG_GRID));
        let needs = fangkong::observation::needs::board(&db, &grid, None, 10).await.unwrap();
        assert_eq!(needs.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), ["counselling"]);
        assert!(follow_ups::open(&db, &Scope::of(&code("430422")), day, 50).await.unwrap().is_empty(), "not on another county's list");

        assert_eq!(hospitals::beds_of(&db, hospital).await.unwrap().unwrap().isolation_taken, 0, "the bed is free again");
        assert_eq!(store::get(&db, &leiyang(), case_id).await.unwrap().unwrap().status, "discharged");
        follow_ups::complete(&db, &actor(), &grid, due[0].id, "体温正常,无不适").await.unwrap();
        assert_eq!(follow_ups::open(&db, &grid, day, 50).await.unwrap().len(), 1);
        assert!(matches!(follow_ups::complete(&db, &actor(), &grid, due[0].id, "再次").await, Err(AppError::Conflict { .. })));
        let again = discharge::discharge(&db, &actor(), &leiyang(), Discharge { case_id, checklist: all, counselling: false, day }, day).await;
        assert!(matches!(again, Err(AppError::Conflict { .. })), "discharged once");
    }
}

#[tokio::test]
async fn an_asymptomatic_infection_is_released_on_negatives_or_corrected_to_confirmed() {
    for db in backends().await {
        seed_area(&db).await;
        let person = person_in(&db, "周八", "43048119900101123X", LEIYANG_GRID).await;
        let t = fangkong::clock::micros_at(DIAGNOSED, 8);
        let test = PositiveTest { person_id: person, kind: SampleKind::ThroatSwab, taken_at: t, received_at: Some(t + HOUR), lab: None, resulted_at: t + 6 * HOUR };
        let case = asymptomatic::register(&db, &actor(), &leiyang(), &test, DIAGNOSED).await.unwrap();
        assert_eq!(case.status, "asymptomatic");
        assert_eq!(store::samples(&db, case.id).await.unwrap()[0].results[0].result, "positive");
        let refused = asymptomatic::correct_to_confirmed(&db, &actor(), &leiyang(), case.id, date!(2020 - 02 - 06), " ", DIAGNOSED).await;
        assert!(matches!(refused, Err(AppError::Invalid(_))));
        let corrected = asymptomatic::correct_to_confirmed(&db, &actor(), &leiyang(), case.id, date!(2020 - 02 - 04), "出现发热 37.8 ℃、干咳", DIAGNOSED).await.unwrap();
        assert_eq!((corrected.status.as_str(), corrected.onset_date), ("confirmed", Some(date!(2020 - 02 - 04))));
        let last = store::transitions(&db, case.id).await.unwrap().pop().unwrap();
        assert_eq!((last.from_status.as_deref(), last.reason.as_str()), (Some("asymptomatic"), "订正为确诊病例:出现发热 37.8 ℃、干咳"));

        // Another asymptomatic infection is released on two negatives alone.
        let other = person_in(&db, "吴九", &resident_id("430481", 5), LEIYANG_GRID).await;
        let case = asymptomatic::register(&db, &actor(), &leiyang(), &PositiveTest { person_id: other, ..test }, DIAGNOSED).await.unwrap();
        tested(&db, case.id, t + 48 * HOUR, LabOutcome::Negative).await;
        tested(&db, case.id, t + 72 * HOUR, LabOutcome::Negative).await;
        let day = date!(2020 - 02 - 18);
        discharge::discharge(&db, &actor(), &leiyang(), Discharge { case_id: case.id, checklist: Checklist::default(), counselling: false, day }, day).await.unwrap();
        assert_eq!(store::get(&db, &leiyang(), case.id).await.unwrap().unwrap().status, "discharged");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the roll-up counts follow every change of status");
    }
}

#[tokio::test]
async fn contacts_are_observed_in_their_own_county_and_released_when_the_index_case_is_excluded() {
    for db in backends().await {
        seed_area(&db).await;
        let index = person_in(&db, "孙七", "43048119900101123X", LEIYANG_GRID).await;
        let triage = Triage {
            person_id: index,
            onset_date: Some(date!(2020 - 02 - 02)),
            history: vec![EpiItem::AffectedAreaTravel],
            clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts],
        };
        let case = store::open_suspected(&db, &actor(), &leiyang(), &triage, DIAGNOSED).await.unwrap();

        // A colleague living in Hengnan, registered from Leiyang as a new person.
        let colleague = PersonInput { name: "郑十".into(), id_number: resident_id("430422", 7), org_code: HENGNAN_GRID.into(), ..Default::default() };
        let new = NewContact { case_id: case.id, who: Who::New(Box::new(colleague.validate(DIAGNOSED).unwrap())), exposure: Exposure::Work, last_exposure: date!(2020 - 02 - 03) };
        contacts::register(&db, &actor(), &leiyang(), new, DIAGNOSED).await.unwrap();
        // A family member already registered in Leiyang.
        let family = person_in(&db, "孙小七", &resident_id("430481", 8), LEIYANG_GRID).await;
        let new = NewContact { case_id: case.id, who: Who::Existing(family), exposure: Exposure::Household, last_exposure: date!(2020 - 02 - 04) };
        contacts::register(&db, &actor(), &leiyang(), new, DIAGNOSED).await.unwrap();
        let new = NewContact { case_id: case.id, who: Who::Existing(family), exposure: Exposure::Household, last_exposure: date!(2020 - 02 - 04) };
        assert!(matches!(contacts::register(&db, &actor(), &leiyang(), new, DIAGNOSED).await, Err(AppError::Conflict { .. })));
        let late = NewContact { case_id: case.id, who: Who::Existing(index), exposure: Exposure::Household, last_exposure: date!(2020 - 02 - 04) };
        assert!(matches!(contacts::register(&db, &actor(), &leiyang(), late, DIAGNOSED).await, Err(AppError::Invalid(ref f)) if f[0].code == "contact_is_case"));

        // Hengnan sees its contact and the observation in the contact's grid, not the Leiyang case.
        let hengnan = Scope::of(&code("430422"));
        let theirs = contacts::in_scope(&db, &hengnan, None, None, 50).await.unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!((theirs[0].name.as_str(), theirs[0].org_code.as_str(), theirs[0].case_id, theirs[0].case_county_code.as_str()), ("郑*", HENGNAN_GRID, case.id, "430481"));
        assert!(store::get(&db, &hengnan, case.id).await.unwrap().is_none(), "the case itself stays out of sight");
        let episode = fangkong::observation::episodes::get(&db, &Scope::of(&code(HENGNAN_GRID)), theirs[0].episode_id.unwrap()).await.unwrap().unwrap();
        assert_eq!((episode.start_date, episode.status.as_str()), (date!(2020 - 02 - 03), "active"));
        let seen_here = contacts::of_case(&db, &leiyang(), case.id).await.unwrap();
        assert_eq!(seen_here.len(), 2);
        let elsewhere = seen_here.iter().find(|c| c.org_code.starts_with("430422")).unwrap();
        assert_eq!((elsewhere.org_code.as_str(), elsewhere.person_id, elsewhere.episode_id), ("430422", None, None), "the registering county sees the contact's county only");
        assert!(seen_here.iter().any(|c| c.org_code.starts_with("430481") && c.person_id.is_some()), "its own contact in full");

        assert!(matches!(contacts::release(&db, &actor(), &leiyang(), case.id, DIAGNOSED).await, Err(AppError::Conflict { .. })), "not before exclusion");
        tested(&db, case.id, fangkong::clock::micros_at(DIAGNOSED, 9), LabOutcome::Negative).await;
        tested(&db, case.id, fangkong::clock::micros_at(DIAGNOSED, 9) + 24 * HOUR, LabOutcome::Negative).await;
        store::decide_suspected(&db, &actor(), &leiyang(), case.id, CaseStatus::Excluded, DIAGNOSED).await.unwrap();
        assert_eq!(contacts::release(&db, &actor(), &leiyang(), case.id, date!(2020 - 02 - 06)).await.unwrap(), 2);
        let released = fangkong::observation::episodes::get(&db, &hengnan, episode.id).await.unwrap().unwrap();
        assert_eq!((released.status.as_str(), released.end_date), ("released", Some(date!(2020 - 02 - 06))));
        assert_eq!(contacts::in_scope(&db, &hengnan, None, None, 50).await.unwrap()[0].status, "released");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the roll-up counts follow the contacts");
    }
}

#[tokio::test]
async fn overdue_clocks_show_on_the_county_board_and_roll_up_to_the_city() {
    use fangkong::cases::board::board;
    for db in backends().await {
        seed_area(&db).await;
        let case_id = confirmed_case(&db, "43048119900101123X").await;
        let waiting = NewSample { case_id, kind: SampleKind::Sputum, taken_at: fangkong::clock::micros_at(DIAGNOSED, 14), received_at: Some(fangkong::clock::micros_at(DIAGNOSED, 15)), lab: None };
        store::add_sample(&db, &actor(), &leiyang(), &waiting).await.unwrap();
        let three_hours_on = fangkong::db::now_micros() + 3 * HOUR;

        let county = board(&db, &Scope::of(&code("430481")), &code("430481"), DIAGNOSED, three_hours_on).await.unwrap().unwrap();
        let kinds: Vec<&str> = county.overdue.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["lab_result", "report"], "the sample waits since Feb 4th; the report is 3 h after diagnosis, past its 2 h");
        assert_eq!((county.overdue_total, county.overdue[1].name.as_str()), (2, "孙*"));
        assert_eq!(county.cases.iter().find(|c| c.code == "confirmed").unwrap().count, 1);
        let city = board(&db, &Scope::of(&code("430400")), &code("430400"), DIAGNOSED, three_hours_on).await.unwrap().unwrap();
        let line = |code: &str| city.units.iter().find(|u| u.org_code == code).cloned().unwrap();
        assert_eq!((line("430481").confirmed, line("430481").overdue, line("430422").overdue), (1, 2, 0), "escalated to the city by county");
        assert_eq!(board(&db, &Scope::of(&code("430422")), &code("430422"), DIAGNOSED, three_hours_on).await.unwrap().unwrap().overdue_total, 0);
        assert!(board(&db, &leiyang(), &code("430422"), DIAGNOSED, three_hours_on).await.unwrap().is_none(), "another county's board is out of Leiyang's jurisdiction");

        store::record_milestone(&db, &actor(), &leiyang(), case_id, store::Milestone::Reported, fangkong::db::now_micros()).await.unwrap();
        let after = board(&db, &Scope::of(&code("430481")), &code("430481"), DIAGNOSED, three_hours_on).await.unwrap().unwrap();
        assert_eq!(after.overdue.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(), ["lab_result"], "a recorded report stops its clock");
        let next_day = board(&db, &Scope::of(&code("430481")), &code("430481"), DIAGNOSED, fangkong::db::now_micros() + 25 * HOUR).await.unwrap().unwrap();
        assert_eq!(next_day.overdue_total, 2, "the investigation is overdue after 24 h");

        // The roll-up counts agree with the cases; a drift injected is found and repaired.
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
        let on_db = |sql: &'static str| {
            let db = db.clone();
            async move {
                match &db {
                    Db::Sqlite(p) => {
                        sqlx::query(sql).execute(p).await.unwrap();
                    }
                    Db::Postgres(p) => {
                        sqlx::query(sql).execute(p).await.unwrap();
                    }
                }
            }
        };
        on_db("update unit_counts set n = n + 5 where org_code = '430481' and metric = 'case.confirmed'").await;
        let drift = fangkong::counts::verify(&db).await.unwrap();
        assert_eq!(drift.iter().map(|d| (d.org_code.as_str(), d.metric.as_str(), d.stored, d.expected)).collect::<Vec<_>>(), [("430481", "case.confirmed", 6, 1)]);
        assert_eq!(board(&db, &Scope::of(&code("430481")), &code("430481"), DIAGNOSED, three_hours_on).await.unwrap().unwrap().cases.iter().find(|c| c.code == "confirmed").unwrap().count, 6);
        fangkong::counts::rebuild(&db).await.unwrap();
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
        assert_eq!(city.cases.iter().find(|c| c.code == "confirmed").unwrap().count, 1);
    }
}

#[tokio::test]
async fn contacts_who_become_cases_make_a_chain_seen_within_each_jurisdiction() {
    use fangkong::cases::chain::chains;
    for db in backends().await {
        seed_area(&db).await;
        let a = confirmed_case(&db, "43048119900101123X").await;
        let suspect =
            |person: i64| Triage { person_id: person, onset_date: None, history: vec![EpiItem::InfectedContact], clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::ImagingFeatures] };
        let contact = async |case_id: i64, person: i64| {
            let new = NewContact { case_id, who: Who::Existing(person), exposure: Exposure::Household, last_exposure: DIAGNOSED };
            contacts::register(&db, &actor(), &Scope::everything(), new, DIAGNOSED).await.unwrap();
        };
        let wife = person_in(&db, "孙妻", &resident_id("430481", 11), LEIYANG_GRID).await;
        contact(a, wife).await;
        contact(a, person_in(&db, "孙邻", &resident_id("430481", 12), LEIYANG_GRID).await).await;
        let b = store::open_suspected(&db, &actor(), &leiyang(), &suspect(wife), DIAGNOSED).await.unwrap().id;
        let colleague = person_in(&db, "郑同事", &resident_id("430422", 13), HENGNAN_GRID).await;
        contact(b, colleague).await;
        let c = store::open_suspected(&db, &actor(), &Scope::of(&code("430422")), &suspect(colleague), DIAGNOSED).await.unwrap().id;

        let city = chains(&db, &Scope::of(&code("430400"))).await.unwrap();
        assert_eq!((city.clusters.len(), city.single_cases), (1, 0));
        let cluster = &city.clusters[0];
        let generations: Vec<(Option<i64>, usize)> = cluster.nodes.iter().map(|n| (n.case_id, n.generation)).collect();
        assert_eq!(generations, [(Some(a), 0), (Some(b), 1), (Some(c), 2)]);
        assert_eq!((cluster.nodes[0].contacts, cluster.nodes[0].name.as_str()), (2, "孙*"));
        assert_eq!(cluster.edges, [(0, 1), (1, 2)]);

        let hengnan = chains(&db, &Scope::of(&code("430422"))).await.unwrap();
        let nodes = &hengnan.clusters[0].nodes;
        assert_eq!(nodes.iter().map(|n| (n.case_id, n.name.as_str())).collect::<Vec<_>>(), [(None, ""), (Some(c), "郑**")], "the Leiyang source is shown without detail");
        let leiyang_view = chains(&db, &leiyang()).await.unwrap();
        assert_eq!(leiyang_view.clusters[0].nodes.len(), 2, "A → B; the Hengnan case is not Leiyang's");
    }
}

#[tokio::test]
async fn a_county_that_observes_discharged_patients_centrally_gets_them_at_its_site() {
    use fangkong::observation::sites;
    for db in backends().await {
        seed_area(&db).await;
        let case_id = confirmed_case(&db, "43048119900101123X").await;
        let site = sites::create(&db, &actor(), &leiyang(), &code("430481"), "耒阳市出院患者康复观察点", None, 10).await.unwrap();
        let township = Scope::of(&code("430481001"));
        let refused = sites::set_post_discharge_site(&db, &actor(), &township, &code("430481001"), Some(site)).await;
        assert!(matches!(refused, Err(AppError::Invalid(ref f)) if f[0].code == "not_a_county"), "{refused:?}");
        sites::set_post_discharge_site(&db, &actor(), &leiyang(), &code("430481"), Some(site)).await.unwrap();
        let t = fangkong::clock::micros_at(date!(2020 - 02 - 17), 9);
        tested(&db, case_id, t, LabOutcome::Negative).await;
        tested(&db, case_id, t + 25 * HOUR, LabOutcome::Negative).await;
        let day = date!(2020 - 02 - 20);
        let all = Checklist { afebrile: true, respiratory_improved: true, imaging_improved: true };
        let handover = discharge::discharge(&db, &actor(), &leiyang(), Discharge { case_id, checklist: all, counselling: false, day }, day).await.unwrap();
        let episode = fangkong::observation::episodes::get(&db, &leiyang(), handover.episode_id).await.unwrap().unwrap();
        assert_eq!((episode.kind.as_str(), episode.site_id, episode.org_code.as_str()), ("centralized", Some(site), LEIYANG_GRID));
    }
}
