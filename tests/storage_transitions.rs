//! Transitions across modules, on SQLite and PostgreSQL: a person under observation who becomes a
//! case leaves observation (their link dies, the grid worker is told, the counts follow), no
//! observation starts while the case is open, and an excluded suspected case resumes the
//! observation its suspicion interrupted.

mod common;

use common::*;
use fangkong::cases::asymptomatic::{self, PositiveTest};
use fangkong::cases::store::{self, NewSample, Triage};
use fangkong::cases::{CaseStatus, LabOutcome, LabTest, SampleKind};
use fangkong::db::Db;
use fangkong::error::AppError;
use fangkong::observation::episodes::{self, NewEpisode};
use fangkong::observation::{Kind, today};
use fangkong::people::PersonInput;
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use fangkong_rules::{OrgLevel, Scope};
use time::macros::date;
use time::{Date, Duration};

const TODAY: Date = date!(2020 - 02 - 04);
const HOUR: i64 = 3_600_000_000;

fn leiyang() -> Scope {
    Scope::of(&code("430481"))
}

/// A Leiyang resident under home observation since two days ago; returns (person, episode).
async fn observed(db: &Db, id_number: &str) -> (i64, episodes::Episode) {
    let input = PersonInput { name: "孙七".into(), id_number: id_number.into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    let person = fangkong::people::store::create(db, &actor(), &Scope::everything(), &input.validate(TODAY).unwrap()).await.unwrap().id;
    let new = NewEpisode { person_id: person, kind: Kind::Home, site_id: None, start_date: TODAY - Duration::days(2), closing_case: None };
    (person, episodes::start(db, &actor(), &leiyang(), &new, TODAY).await.unwrap())
}

fn triage(person_id: i64) -> Triage {
    Triage { person_id, onset_date: Some(date!(2020 - 02 - 03)), history: vec![EpiItem::AffectedAreaTravel], clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts] }
}

async fn negative(db: &Db, case_id: i64, at: i64) {
    let sample = NewSample { case_id, kind: SampleKind::ThroatSwab, taken_at: at, received_at: Some(at + HOUR), lab: Some("耒阳市疾控中心") };
    let id = store::add_sample(db, &actor(), &leiyang(), &sample).await.unwrap();
    store::add_result(db, &actor(), &leiyang(), id, LabTest::NucleicAcid, LabOutcome::Negative, at + 5 * HOUR).await.unwrap();
}

#[tokio::test]
async fn a_person_who_becomes_a_case_leaves_observation_and_an_excluded_suspect_resumes_it() {
    for db in backends().await {
        seed_area(&db).await;
        let (person, episode) = observed(&db, &resident_id("430481", 1)).await;
        let grid = Scope::of(&code(LEIYANG_GRID));
        let before = today::today(&db, &grid, OrgLevel::Grid, TODAY, 9).await.unwrap();
        assert!(before.not_reported.iter().any(|m| m.episode_id == episode.id), "under observation, the report is awaited");

        let case = store::open_suspected(&db, &actor(), &leiyang(), &triage(person), TODAY).await.unwrap();
        let ended = episodes::get(&db, &leiyang(), episode.id).await.unwrap().unwrap();
        assert_eq!((ended.status.as_str(), ended.status_label(&fangkong::web::i18n::Lang::Zh), ended.end_date, ended.ended_by_case), ("became_case", "转为病例", Some(TODAY), Some(case.id)));
        assert_eq!(ended.ended_by.as_deref(), Some("cli:test"), "who ended it is kept");
        assert!(ended.ended_at.is_some());
        let by_link = episodes::by_report_token(&db, &episode.report_token).await.unwrap().unwrap();
        assert!(!by_link.is_active(), "the self-report link no longer takes reports");

        let list = today::today(&db, &grid, OrgLevel::Grid, TODAY, 9).await.unwrap();
        assert!(!list.not_reported.iter().any(|m| m.episode_id == episode.id), "nobody waits for a case's temperature");
        let told = list.became_cases.iter().find(|b| b.episode_id == episode.id).expect("the grid worker is told");
        assert_eq!((told.case_id, told.case_status_label(&fangkong::web::i18n::Lang::Zh), told.name.as_str()), (Some(case.id), "疑似病例", "孙*"));
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the observation is counted as ended");

        let again = NewEpisode { person_id: person, kind: Kind::Home, site_id: None, start_date: TODAY, closing_case: None };
        let refused = episodes::start(&db, &actor(), &leiyang(), &again, TODAY).await;
        assert!(matches!(refused, Err(AppError::Invalid(ref f)) if f[0].code == "open_case"), "no observation while the case is open: {refused:?}");

        let t0 = fangkong::clock::micros_at(TODAY - Duration::days(1), 8);
        negative(&db, case.id, t0).await;
        negative(&db, case.id, t0 + 24 * HOUR).await;
        store::decide_suspected(&db, &actor(), &leiyang(), case.id, CaseStatus::Excluded, TODAY).await.unwrap();
        let resumed = episodes::get(&db, &leiyang(), episode.id).await.unwrap().unwrap();
        assert_eq!((resumed.status.as_str(), resumed.end_date, resumed.start_date), ("active", None, episode.start_date), "the period goes on from the same start");
        assert!(episodes::by_report_token(&db, &episode.report_token).await.unwrap().unwrap().is_active(), "the same link works again");
        let list = today::today(&db, &grid, OrgLevel::Grid, TODAY, 9).await.unwrap();
        assert!(list.not_reported.iter().any(|m| m.episode_id == episode.id) && list.became_cases.is_empty());
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "no longer counted as ended");
    }
}

#[tokio::test]
async fn an_asymptomatic_infection_ends_the_observation_for_good() {
    for db in backends().await {
        seed_area(&db).await;
        let (person, episode) = observed(&db, &resident_id("430481", 2)).await;
        let resulted = fangkong::clock::micros_at(TODAY, 8);
        let test = PositiveTest { person_id: person, kind: SampleKind::ThroatSwab, taken_at: resulted - 6 * HOUR, received_at: None, lab: None, resulted_at: resulted };
        let case = asymptomatic::register(&db, &actor(), &leiyang(), &test, TODAY).await.unwrap();
        let ended = episodes::get(&db, &leiyang(), episode.id).await.unwrap().unwrap();
        assert_eq!((ended.status.as_str(), ended.ended_by_case), ("became_case", Some(case.id)));
        let county = today::today(&db, &leiyang(), OrgLevel::County, TODAY, 9).await.unwrap();
        assert_eq!(county.became_cases.len(), 1, "every level above the grid reads it through its scope");
        let next_week = today::today(&db, &leiyang(), OrgLevel::County, TODAY + Duration::days(7), 9).await.unwrap();
        assert!(next_week.became_cases.is_empty(), "the notice is for the days after, not for ever");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
    }
}
