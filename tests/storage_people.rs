//! Storage of persons, on SQLite and PostgreSQL.

mod common;

use common::*;
use fangkong::error::AppError;
use fangkong::people::search::{Query, search};
use fangkong::people::store;
use fangkong::people::{PersonInput, ValidPerson};
use fangkong_rules::Scope;
use time::macros::date;

fn valid(name: &str, id: &str, org: &str, phone: Option<&str>) -> ValidPerson {
    let input = PersonInput { name: name.into(), id_number: id.into(), org_code: org.into(), phone: phone.map(str::to_string), ..Default::default() };
    input.validate(date!(2020 - 02 - 04)).unwrap()
}

#[tokio::test]
async fn the_same_id_number_never_makes_two_persons() {
    for db in backends().await {
        seed_area(&db).await;
        let leiyang = Scope::of(&code("430481"));
        let hengnan = Scope::of(&code("430422"));
        let first = store::create(&db, &actor(), &leiyang, &valid("张三", "43048119900101123X", LEIYANG_GRID, None)).await.unwrap();
        match store::create(&db, &actor(), &leiyang, &valid("张叁", "43048119900101123x", LEIYANG_GRID, None)).await {
            Err(AppError::Conflict { existing_id, .. }) => assert_eq!(existing_id, Some(first.id)),
            other => panic!("expected a conflict pointing at the record, got {other:?}"),
        }
        // The 15-digit legacy form of the same number is the same person.
        let legacy = valid("张三", "430481900101123", LEIYANG_GRID, None);
        assert!(matches!(store::create(&db, &actor(), &leiyang, &legacy).await, Err(AppError::Conflict { .. })));
        // Another county learns that the number exists, but not where.
        match store::create(&db, &actor(), &hengnan, &valid("张三", "43048119900101123X", HENGNAN_GRID, None)).await {
            Err(AppError::Conflict { existing_id, .. }) => assert_eq!(existing_id, None),
            other => panic!("expected a conflict without a pointer, got {other:?}"),
        }
        assert_eq!(store::count_under(&db, &Scope::everything(), &code("430400")).await.unwrap(), 1, "{}", db.backend_name());
    }
}

#[tokio::test]
async fn a_person_outside_the_scope_does_not_exist_for_the_caller() {
    for db in backends().await {
        let (household, _) = seed_area(&db).await;
        let leiyang = Scope::of(&code("430481"));
        let mut p = valid("李四", "430422198502150022", LEIYANG_GRID, Some("13800001111"));
        p.household_id = Some(household);
        let row = store::create(&db, &actor(), &leiyang, &p).await.unwrap();
        assert_eq!(row.household_id, Some(household));
        assert_eq!(row.birth_date, Some(date!(1985 - 02 - 15)));
        assert!(store::get(&db, &Scope::of(&code("430422")), row.id).await.unwrap().is_none());
        assert!(store::get(&db, &Scope::of(&code("430481002")), row.id).await.unwrap().is_none());
        assert!(store::get(&db, &Scope::of(&code("430400")), row.id).await.unwrap().is_some());
        // Registering into another county's grid is refused, and nothing is written.
        let outside = valid("王五", "430405197006305557", HENGNAN_GRID, None);
        assert!(matches!(store::create(&db, &actor(), &leiyang, &outside).await, Err(AppError::Invalid(_))));
        assert_eq!(store::count_under(&db, &Scope::everything(), &code("430400")).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn search_finds_by_id_number_phone_and_name_prefix_within_scope() {
    for db in backends().await {
        seed_area(&db).await;
        let leiyang = Scope::of(&code("430481"));
        let hengnan = Scope::of(&code("430422"));
        store::create(&db, &actor(), &leiyang, &valid("欧阳修", "43048119900101123X", LEIYANG_GRID, Some("13800001111"))).await.unwrap();
        store::create(&db, &actor(), &leiyang, &valid("欧阳询", "430422198502150022", LEIYANG_GRID, None)).await.unwrap();
        store::create(&db, &actor(), &hengnan, &valid("欧阳晓", "430405197006305557", HENGNAN_GRID, None)).await.unwrap();
        let today = date!(2020 - 02 - 04);
        let by_id = search(&db, &leiyang, &Query::parse("43048119900101123x", today), None, 10).await.unwrap();
        assert_eq!(by_id.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["欧阳修"]);
        let by_phone = search(&db, &leiyang, &Query::parse("+86 138 0000 1111", today), None, 10).await.unwrap();
        assert_eq!(by_phone.len(), 1);
        let by_name = search(&db, &leiyang, &Query::parse("欧阳", today), None, 10).await.unwrap();
        assert_eq!(by_name.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["欧阳询", "欧阳修"]);
        assert!(search(&db, &hengnan, &Query::parse("43048119900101123X", today), None, 10).await.unwrap().is_empty());
        let page1 = search(&db, &Scope::everything(), &Query::All, None, 2).await.unwrap();
        let page2 = search(&db, &Scope::everything(), &Query::All, Some(page1[1].id), 2).await.unwrap();
        assert_eq!((page1.len(), page2.len()), (2, 1));
        assert!(page2[0].id < page1[1].id);
        // A county holding most of the registry, paged one at a time, is walked newest first over
        // the whole table (counts::walk_newest): still only its own persons, newest first.
        let (in_scope, all) = fangkong::counts::in_unit_and_city(&db, &code("430481"), fangkong::counts::PERSONS, "").await.unwrap();
        assert!(fangkong::counts::walk_newest(in_scope, all, 1), "{in_scope} of {all}");
        let first = search(&db, &leiyang, &Query::All, None, 1).await.unwrap();
        let second = search(&db, &leiyang, &Query::All, Some(first[0].id), 1).await.unwrap();
        let third = search(&db, &leiyang, &Query::All, Some(second[0].id), 1).await.unwrap();
        assert_eq!([&first[0].name, &second[0].name], ["欧阳询", "欧阳修"]);
        assert!(third.is_empty(), "欧阳晓 of 衡南县 is not Leiyang's");
    }
}

#[test]
fn a_wide_scope_walks_newest_first_and_a_narrow_one_reads_by_unit() {
    // A county of 1.1 million among 7 million, a page of 20: the newest 130 rows or so hold its page.
    assert!(fangkong::counts::walk_newest(1_141_257, 7_001_000, 20));
    // A grid of 1,700: reading and sorting them beats walking 80,000 rows to find 20.
    assert!(!fangkong::counts::walk_newest(1_693, 7_001_000, 20));
}

#[tokio::test]
async fn soft_duplicates_are_found_by_name_and_birth_date_or_phone() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let first = store::create(&db, &actor(), &scope, &valid("赵六", "43048119900101123X", LEIYANG_GRID, Some("13900002222"))).await.unwrap();
        let same_phone = store::duplicate_candidates(&db, &scope, "别人", None, Some("13900002222"), None).await.unwrap();
        assert_eq!(same_phone.iter().map(|p| p.id).collect::<Vec<_>>(), [first.id]);
        let same_name_birth = store::duplicate_candidates(&db, &scope, "赵六", Some(date!(1990 - 01 - 01)), None, None).await.unwrap();
        assert_eq!(same_name_birth.len(), 1);
        assert!(store::duplicate_candidates(&db, &scope, "赵六", Some(date!(1990 - 01 - 02)), None, None).await.unwrap().is_empty());
        assert!(store::duplicate_candidates(&db, &scope, "赵六", Some(date!(1990 - 01 - 01)), None, Some(first.id)).await.unwrap().is_empty());
        assert!(store::duplicate_candidates(&db, &Scope::of(&code("430422")), "别人", None, Some("13900002222"), None).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_update_keeps_the_document_unique_and_is_audited() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let a = store::create(&db, &actor(), &scope, &valid("甲", "43048119900101123X", LEIYANG_GRID, None)).await.unwrap();
        let b = store::create(&db, &actor(), &scope, &valid("乙", "430422198502150022", LEIYANG_GRID, None)).await.unwrap();
        let renamed = store::update(&db, &actor(), &scope, a.id, &valid("甲改", "43048119900101123X", LEIYANG_GRID, Some("13700003333"))).await.unwrap();
        assert_eq!((renamed.name.as_str(), renamed.phone.as_deref()), ("甲改", Some("13700003333")));
        let clash = store::update(&db, &actor(), &scope, b.id, &valid("乙", "43048119900101123X", LEIYANG_GRID, None)).await;
        assert!(matches!(clash, Err(AppError::Conflict { existing_id: Some(id), .. }) if id == a.id));
        assert_eq!(store::get(&db, &scope, b.id).await.unwrap().unwrap().id_number, "430422198502150022", "a failed update changes nothing");
        let hidden = store::update(&db, &actor(), &Scope::of(&code("430422")), a.id, &valid("x", "43048119900101123X", LEIYANG_GRID, None)).await;
        assert!(matches!(hidden, Err(AppError::NotFound)));
        let audit = fangkong::audit::store::list(&db, &scope, &fangkong::audit::store::Filter::of_action("person.update"), 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].record_id.as_deref(), Some(a.id.to_string().as_str()));
        let text = format!("{audit:?}");
        assert!(!text.contains("13700003333") && !text.contains("43048119900101123X"), "no personal values in audit rows");

        // A move to another county's grid moves the person between the units' counts.
        store::update(&db, &actor(), &Scope::everything(), a.id, &valid("甲改", "43048119900101123X", HENGNAN_GRID, None)).await.unwrap();
        let under = async |unit: &str| store::count_under(&db, &Scope::everything(), &code(unit)).await.unwrap();
        assert_eq!((under("430481").await, under("430422").await, under(HENGNAN_GRID).await, under("430400").await), (1, 1, 1, 2));
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
    }
}
