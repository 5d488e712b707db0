//! The ledger list's overdue filter (under observation, no report today), on SQLite and PostgreSQL:
//! the same answer whether the page is found by walking from the newest key person or, when the
//! unreported are few and old, from the observations not reported through today.

mod common;

use common::*;
use fangkong::counts::Tally;
use fangkong::observation::Kind;
use fangkong::observation::checkin_rows::{self, CheckInRow};
use fangkong::observation::episodes::{self, NewRow};
use fangkong::people::{PersonInput, ValidPerson};
use fangkong::screening::Category;
use fangkong::screening::input::ValidKeyPerson;
use fangkong::screening::ledger_list::{self, LedgerFilter};
use fangkong::screening::store::NewEntry;
use fangkong_rules::Scope;

/// Key persons under observation in Leiyang's grid, the newest `reported` of them reported today;
/// and one in Hengnan, unreported. Returns the Leiyang key person ids, oldest first.
async fn ledger_of(db: &fangkong::db::Db, count: u32, reported: usize) -> Vec<i64> {
    let today = fangkong::clock::today();
    let people: Vec<ValidPerson> = (0..=count)
        .map(|i| {
            let (grid, area) = if i == count { (HENGNAN_GRID, "430422") } else { (LEIYANG_GRID, "430481") };
            let input = PersonInput { name: "观察人员".into(), id_number: resident_id(area, 100_000 + i), org_code: grid.into(), ..Default::default() };
            input.validate(today).unwrap()
        })
        .collect();
    let entry = ValidKeyPerson::of_category(Category::HubeiReturnee);
    let now = fangkong::db::now_micros();
    let rule_set: i64 = fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select min(id) from rule_sets").fetch_one(pool).await).unwrap();
    fangkong::on_db!(db, pool => {
        let mut tx = pool.begin().await.unwrap();
        let mut tally = Tally::default();
        let refs: Vec<&ValidPerson> = people.iter().collect();
        let persons: Vec<(i64, String)> = fangkong::people::store::insert_many(&mut *tx, None, now, &refs, &mut tally).await.unwrap().into_iter().map(|p| (p.id, p.org_code.to_string())).collect();
        let entries: Vec<NewEntry> = persons.iter().map(|(id, org)| NewEntry { person_id: *id, org_code: org, entry: &entry }).collect();
        let mut keys: Vec<i64> = fangkong::screening::store::insert_many(&mut *tx, None, now, &entries, &mut tally).await.unwrap().into_iter().map(|m| m.id).collect();
        keys.sort_unstable();
        let rows: Vec<NewRow> = persons.iter().map(|(id, org)| NewRow { person_id: *id, org_code: org, kind: Kind::Home, site_id: None, start_date: today - time::Duration::days(3), period_days: 14, rule_set_id: rule_set }).collect();
        let mut observed = episodes::insert_many(&mut *tx, None, now, &rows, &mut tally).await.unwrap();
        observed.sort_unstable();
        let check_ins: Vec<CheckInRow> = observed[count as usize - reported..count as usize]
            .iter()
            .map(|(episode_id, _)| CheckInRow { day: today, episode_id: *episode_id, org_code: LEIYANG_GRID, slot: "am", temperature_tenths: 365, symptoms: String::new(), note: None, source: "resident", reported_at: now, created_by: None, key: None })
            .collect();
        // Everyone also reported yesterday: "reported through" moves to today only for today's.
        let yesterday: Vec<CheckInRow> = observed.iter().map(|(episode_id, _)| CheckInRow { day: today - time::Duration::DAY, episode_id: *episode_id, org_code: LEIYANG_GRID, slot: "am", temperature_tenths: 365, symptoms: String::new(), note: None, source: "resident", reported_at: now, created_by: None, key: None }).collect();
        checkin_rows::insert_many(&mut *tx, &check_ins).await.unwrap();
        checkin_rows::insert_many(&mut *tx, &yesterday).await.unwrap();
        // Counted, so that a wide scope walks from the newest key person (`counts::walk_newest`).
        fangkong::counts::write(&mut *tx, &tally).await.unwrap();
        tx.commit().await.unwrap();
        keys[..count as usize].to_vec()
    })
}

async fn overdue_pages(db: &fangkong::db::Db, scope: &Scope, page: i64) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut filter = LedgerFilter { overdue: Some(true), ..Default::default() };
    loop {
        let lines = ledger_list::ledger(db, scope, &filter, fangkong::clock::today(), page).await.unwrap();
        assert!(lines.iter().all(|l| l.checked_today == 0 && l.episode_id.is_some()), "only the unreported under observation");
        let Some(last) = lines.last() else { break };
        filter.before = Some(last.key_person_id);
        seen.extend(lines.iter().map(|l| l.key_person_id));
    }
    seen
}

#[tokio::test]
async fn the_overdue_are_listed_newest_first_in_scope_however_they_are_found() {
    for db in backends().await {
        seed_area(&db).await;
        // 2,300 key persons; the newest 2,200 reported today, so a walk from the newest reads its
        // 2,000 without finding one, and the 100 oldest come from the unreported observations.
        let keys = ledger_of(&db, 2_300, 2_200).await;
        let expected: Vec<i64> = keys[..100].iter().rev().copied().collect();
        let leiyang = Scope::of(&code("430481"));
        assert_eq!(overdue_pages(&db, &leiyang, 30).await, expected, "{}", db.backend_name());
        // The grid's own list reads by unit and gives the same.
        assert_eq!(overdue_pages(&db, &Scope::of(&code(LEIYANG_GRID)), 30).await, expected, "{}", db.backend_name());
        // The city sees Hengnan's unreported one too, first (the newest).
        let city = overdue_pages(&db, &Scope::of(&code("430400")), 30).await;
        assert_eq!((city.len(), &city[1..]), (101, &expected[..]), "{}", db.backend_name());
    }
}

#[tokio::test]
async fn a_walk_finds_the_overdue_when_they_are_many() {
    for db in backends().await {
        seed_area(&db).await;
        // The newest half reported today: the walk reads all 40 and finds the older half.
        let keys = ledger_of(&db, 40, 20).await;
        let expected: Vec<i64> = keys[..20].iter().rev().copied().collect();
        assert_eq!(overdue_pages(&db, &Scope::of(&code("430481")), 7).await, expected, "{}", db.backend_name());
    }
}
