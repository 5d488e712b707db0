//! Merging duplicate person records, on SQLite and PostgreSQL: everything recorded against the
//! duplicate moves to the kept record, the duplicate leaves searches, and undoing the merge moves
//! exactly those rows back. Merges that would give one person two running observations or two open
//! cases are refused.

mod common;

use common::*;
use fangkong::cases::store::{self as cases, Triage};
use fangkong::db::Db;
use fangkong::error::AppError;
use fangkong::observation::episodes::{self, NewEpisode};
use fangkong::people::PersonInput;
use fangkong::people::merge;
use fangkong::people::search::{Query, search};
use fangkong::people::store;
use fangkong_rules::Scope;
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2020 - 02 - 04);

async fn person(db: &Db, name: &str, seq: u32) -> i64 {
    let input = PersonInput { name: name.into(), id_number: resident_id("430481", seq), org_code: LEIYANG_GRID.into(), ..Default::default() };
    store::create(db, &actor(), &Scope::everything(), &input.validate(TODAY).unwrap()).await.unwrap().id
}

async fn observe(db: &Db, person_id: i64) -> i64 {
    let new = NewEpisode { person_id, kind: fangkong::observation::Kind::Home, site_id: None, start_date: TODAY, closing_case: None };
    episodes::start(db, &actor(), &Scope::everything(), &new, TODAY).await.unwrap().id
}

#[tokio::test]
async fn a_duplicate_is_merged_with_its_records_and_the_merge_can_be_undone() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let kept = person(&db, "王小明", 1).await;
        let duplicate = person(&db, "王晓明", 2).await;
        let episode = observe(&db, duplicate).await;
        let triage = Triage { person_id: duplicate, onset_date: None, history: vec![EpiItem::AffectedAreaTravel], clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts] };
        let case = cases::open_suspected(&db, &actor(), &county, &triage, TODAY).await.unwrap();

        let done = merge::merge(&db, &actor(), &county, kept, duplicate).await.unwrap();
        assert!(done.moved.contains(&format!("\"observation_episodes\":[{episode}]")) && done.moved.contains(&format!("\"cases\":[{}]", case.id)), "{}", done.moved);
        assert_eq!(episodes::get(&db, &county, episode).await.unwrap().unwrap().person_id, kept);
        assert_eq!(cases::get(&db, &county, case.id).await.unwrap().unwrap().person_id, kept);
        let found = search(&db, &county, &Query::All, None, 50).await.unwrap();
        assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [kept], "the duplicate leaves searches");
        assert_eq!(store::get(&db, &county, duplicate).await.unwrap().unwrap().merged_into, Some(kept));
        let again = merge::merge(&db, &actor(), &county, kept, duplicate).await;
        assert!(matches!(again, Err(AppError::Invalid(ref f)) if f[0].code == "already_merged"), "{again:?}");

        merge::undo(&db, &actor(), &county, duplicate).await.unwrap();
        assert_eq!(episodes::get(&db, &county, episode).await.unwrap().unwrap().person_id, duplicate);
        assert_eq!(cases::get(&db, &county, case.id).await.unwrap().unwrap().person_id, duplicate);
        assert_eq!(search(&db, &county, &Query::All, None, 50).await.unwrap().len(), 2);
        assert!(matches!(merge::undo(&db, &actor(), &county, duplicate).await, Err(AppError::Conflict { .. })), "undone once");
        let trail = fangkong::audit::store::list(&db, &Scope::everything(), &Default::default(), 50).await.unwrap();
        assert!(trail.iter().any(|e| e.action == "person.merge") && trail.iter().any(|e| e.action == "person.unmerge"));
    }
}

#[tokio::test]
async fn a_merge_that_would_leave_two_running_observations_is_refused() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let (kept, duplicate) = (person(&db, "王小明", 1).await, person(&db, "王晓明", 2).await);
        observe(&db, kept).await;
        let episode = observe(&db, duplicate).await;
        let refused = merge::merge(&db, &actor(), &county, kept, duplicate).await;
        assert!(matches!(refused, Err(AppError::Conflict { ref message, .. }) if message == "两人都在医学观察中,请先结束其中一个观察"), "{refused:?}");
        assert_eq!(episodes::get(&db, &county, episode).await.unwrap().unwrap().person_id, duplicate, "nothing moved");
        let hengnan = Scope::of(&code("430422"));
        assert!(matches!(merge::merge(&db, &actor(), &hengnan, kept, duplicate).await, Err(AppError::Invalid(_))), "out of scope");
    }
}

#[tokio::test]
async fn two_people_merged_into_each_other_at_once_make_one_merge_and_no_cycle() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        for round in 0..5 {
            let (a, b) = (person(&db, "赵甲", 10 + round * 2).await, person(&db, "赵乙", 11 + round * 2).await);
            let attempts: Vec<_> = (0..6)
                .map(|i| {
                    let (db, county) = (db.clone(), county.clone());
                    let (kept, merged) = if i % 2 == 0 { (a, b) } else { (b, a) };
                    tokio::spawn(async move { merge::merge(&db, &actor(), &county, kept, merged).await })
                })
                .collect();
            let mut outcomes = Vec::new();
            for attempt in attempts {
                outcomes.push(attempt.await.unwrap());
            }
            assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "on {}: {outcomes:?}", db.backend_name());
            assert!(outcomes.iter().all(|o| matches!(o, Ok(_) | Err(AppError::Conflict { .. } | AppError::Invalid(_)))), "refused, never failed: {outcomes:?}");
            let (ra, rb) = (store::get(&db, &county, a).await.unwrap().unwrap(), store::get(&db, &county, b).await.unwrap().unwrap());
            assert!(ra.merged_into.is_none() != rb.merged_into.is_none(), "exactly one of the two is merged: {:?} {:?}", ra.merged_into, rb.merged_into);
        }
    }
}
