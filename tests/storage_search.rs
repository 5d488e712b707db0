//! Person search, every kind, on SQLite and PostgreSQL: each finds what it should within the
//! caller's scope only, newest first, pages by id without gaps or repeats, and leaves merged
//! duplicates out; a name prefix answers the same along each of its three index paths.

mod common;

use common::*;
use fangkong::people::search::{self, Path, Query};
use fangkong::people::{PersonInput, ValidPerson, merge, store};
use fangkong_rules::Scope;
use time::macros::date;

const TODAY: time::Date = date!(2020 - 02 - 04);

fn person(name: &str, id: &str, org: &str, phone: Option<&str>) -> ValidPerson {
    let input = PersonInput { name: name.into(), id_number: id.into(), org_code: org.into(), phone: phone.map(str::to_string), ..Default::default() };
    input.validate(TODAY).unwrap()
}

fn names(rows: &[fangkong::people::view::PersonRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

async fn find(db: &fangkong::db::Db, scope: &Scope, text: &str) -> Vec<String> {
    search::search(db, scope, &Query::parse(text, TODAY), None, 20).await.unwrap().into_iter().map(|r| r.name).collect()
}

#[tokio::test]
async fn every_kind_of_search_finds_within_scope_newest_first() {
    for db in backends().await {
        seed_area(&db).await;
        let all = Scope::everything();
        let leiyang = Scope::of(&code("430481"));
        let add = async |name: &str, id: &str, org: &str, phone: Option<&str>| store::create(&db, &actor(), &all, &person(name, id, org, phone)).await.unwrap().id;
        let older = add("李伟", &resident_id("430481", 101), LEIYANG_GRID, Some("13800000022")).await;
        let newer = add("李娜", &resident_id("430481", 102), LEIYANG_GRID, Some("13800001111")).await;
        add("李明", &resident_id("430422", 103), HENGNAN_GRID, Some("13800000022")).await;
        add("王芳", "430422198502150022", LEIYANG_GRID, None).await;
        let passport = PersonInput { name: "John Smith".into(), id_type: Some("passport".into()), id_number: "e1234567".into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
        store::create(&db, &actor(), &all, &passport.validate(TODAY).unwrap()).await.unwrap();
        let backend = db.backend_name();

        assert_eq!(find(&db, &leiyang, "李").await, ["李娜", "李伟"], "{backend}: a name prefix, newest first, Leiyang's only");
        assert_eq!(find(&db, &all, "李").await, ["李明", "李娜", "李伟"], "{backend}");
        assert_eq!(find(&db, &leiyang, "李伟").await, ["李伟"], "{backend}");
        assert!(find(&db, &leiyang, "李四").await.is_empty(), "{backend}");
        assert_eq!(find(&db, &leiyang, &resident_id("430481", 101).to_lowercase()).await, ["李伟"], "{backend}: a full ID number");
        assert!(find(&db, &leiyang, &resident_id("430422", 103)).await.is_empty(), "{backend}: another county's ID number");
        assert_eq!(find(&db, &leiyang, "138 0000 0022").await, ["李伟"], "{backend}: a full mobile, Leiyang's holder only");
        assert_eq!(find(&db, &all, "13800000022").await, ["李明", "李伟"], "{backend}");
        // The last four: of an ID number (王芳's …0022) and of a mobile (李伟's …0022), together.
        assert_eq!(find(&db, &leiyang, "0022").await, ["王芳", "李伟"], "{backend}: last four of an ID or a mobile");
        assert_eq!(find(&db, &all, "0022").await, ["王芳", "李明", "李伟"], "{backend}");
        let tail = &resident_id("430481", 102)[14..];
        assert_eq!(find(&db, &leiyang, tail).await, ["李娜"], "{backend}: last four ending in a check character");
        assert_eq!(find(&db, &leiyang, "E1234567").await, ["John Smith"], "{backend}: another document's number");
        assert_eq!(find(&db, &leiyang, "John").await, ["John Smith"], "{backend}: a Latin name prefix");

        // A merged duplicate leaves every search.
        merge::merge(&db, &actor(), &all, newer, older).await.unwrap();
        assert_eq!(find(&db, &leiyang, "李").await, ["李娜"], "{backend}");
        assert_eq!(find(&db, &leiyang, "0022").await, ["王芳"], "{backend}");
        assert!(find(&db, &leiyang, "13800000022").await.is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn a_name_prefix_pages_the_same_along_each_path() {
    for db in backends().await {
        seed_area(&db).await;
        let all = Scope::everything();
        let given = |i: u32| format!("{}{}", "一二三四五六七八九十".chars().nth((i / 10) as usize).unwrap(), "甲乙丙丁戊己庚辛壬癸".chars().nth((i % 10) as usize).unwrap());
        let rows: Vec<ValidPerson> = (0..60)
            .map(|i| {
                let (name, grid) = match i % 3 {
                    0 => (format!("李{}", given(i)), LEIYANG_GRID),
                    1 => (format!("王{}", given(i)), LEIYANG_GRID),
                    _ => (format!("李{}", given(i)), HENGNAN_GRID),
                };
                let area = if grid == LEIYANG_GRID { "430481" } else { "430422" };
                person(&name, &resident_id(area, i), grid, None)
            })
            .collect();
        for row in &rows {
            store::create(&db, &actor(), &all, row).await.unwrap();
        }
        let leiyang = Scope::of(&code("430481"));
        let expected: Vec<String> = (0..60).rev().filter(|i| i % 3 == 0).map(|i| format!("李{}", given(i))).collect();
        let Query::Name { prefix, .. } = Query::parse("李", TODAY) else { panic!() };
        let range = [prefix.clone(), "杏".to_string()];
        assert_eq!(search::name_path(&db, &leiyang, &range, 7).await.unwrap(), Path::ByName, "an uncommon prefix reads its own index");
        for path in [Path::Walk, Path::ByUnit, Path::ByName] {
            let mut seen = Vec::new();
            let mut before = i64::MAX;
            loop {
                let ids = search::page_ids(&db, &leiyang, path, &range, before, 7).await.unwrap();
                assert!(ids.windows(2).all(|w| w[0] > w[1]), "{path:?}: newest first");
                let Some(&last) = ids.last() else { break };
                for id in &ids {
                    seen.push(store::get(&db, &leiyang, *id).await.unwrap().expect("in scope").name);
                }
                before = last;
            }
            assert_eq!(seen, expected, "{} along {path:?}", db.backend_name());
        }
        // Through the search itself, page by page.
        let first = search::search(&db, &leiyang, &Query::parse("李", TODAY), None, 15).await.unwrap();
        let second = search::search(&db, &leiyang, &Query::parse("李", TODAY), first.last().map(|r| r.id), 15).await.unwrap();
        assert_eq!([names(&first), names(&second)].concat(), expected, "{}", db.backend_name());
    }
}

/// Each kind of search reads the index shaped for it: the plans `search` runs name them (SQLite
/// follows the names it is given; PostgreSQL chooses by statistics, so its plans are printed by
/// the city benchmark instead).
#[tokio::test]
async fn each_kind_of_search_runs_on_its_own_index() {
    for db in backends().await {
        seed_area(&db).await;
        if !matches!(db, fangkong::db::Db::Sqlite(_)) {
            continue;
        }
        let leiyang = Scope::of(&code("430481"));
        let plan = async |text: &str| -> Vec<(Path, String)> { search::plans(&db, &leiyang, &Query::parse(text, TODAY), None, 21).await.unwrap() };
        let id = plan(&resident_id("430481", 101)).await;
        assert_eq!(id.len(), 1);
        assert!(id[0].1.contains("USING INDEX persons_id_key") || id[0].1.contains("USING COVERING INDEX persons_id_key"), "{id:?}");
        let tails = plan("0022").await;
        assert_eq!(tails.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [Path::Exact(search::Key::IdTail), Path::Exact(search::Key::PhoneTail)]);
        assert!(tails[0].1.contains("persons_id_tail") && tails[1].1.contains("persons_phone_tail"), "{tails:?}");
        let phone = plan("13800000022").await;
        assert!(phone[0].1.contains("persons_phone"), "{phone:?}");
        // A rare prefix (everyone, in this small area) reads the name index, never the table.
        let name = plan("李").await;
        assert_eq!(name[0].0, Path::ByName);
        assert!(name[0].1.contains("persons_name") && !name[0].1.contains("SCAN persons"), "{name:?}");
    }
}
