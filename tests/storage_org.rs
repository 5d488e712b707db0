//! Storage of the org tree and households, on SQLite and PostgreSQL.

mod common;

use common::*;
use fangkong::org::store::{self as org, ChildKind, NewHousehold};
use fangkong_rules::Scope;

#[tokio::test]
async fn the_reference_tree_is_loaded_once_and_scoped_by_prefix() {
    for db in backends().await {
        org::seed_reference(&db).await.unwrap();
        let city = Scope::of(&code("430400"));
        let counties = org::children(&db, &city, &code("430400")).await.unwrap();
        assert_eq!(counties.len(), 15, "{}", db.backend_name());
        assert_eq!(counties.iter().filter(|c| c.kind.as_deref() != Some("statistical_zone")).count(), 12);
        let leiyang = Scope::of(&code("430481"));
        let seen = org::children(&db, &leiyang, &code("430400")).await.unwrap();
        assert_eq!(seen.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), ["430481"]);
        assert_eq!(org::children(&db, &leiyang, &code("430481")).await.unwrap().len(), 30);
        assert!(org::get(&db, &leiyang, &code("430422107")).await.unwrap().is_none(), "another county is invisible");
        assert_eq!(org::get(&db, &city, &code("430422107")).await.unwrap().unwrap().name, "花桥镇");
        let path = org::path(&db, &code("430481001")).await.unwrap();
        assert_eq!(path.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["衡阳市", "耒阳市", "蔡子池街道"]);
    }
}

#[tokio::test]
async fn children_are_numbered_by_kind_and_checked_against_the_level() {
    for db in backends().await {
        let scope = Scope::of(&code("430481"));
        let c1 = org::create_child(&db, &actor(), &scope, &code("430481001"), ChildKind::Community, "金南社区").await.unwrap();
        let c2 = org::create_child(&db, &actor(), &scope, &code("430481001"), ChildKind::Community, "建设社区").await.unwrap();
        let v1 = org::create_child(&db, &actor(), &scope, &code("430481001"), ChildKind::Village, "石桥村").await.unwrap();
        assert_eq!([c1.code.as_str(), c2.code.as_str(), v1.code.as_str()], ["430481001001", "430481001002", "430481001200"]);
        let g = org::create_child(&db, &actor(), &scope, &code("430481001001"), ChildKind::Grid, "第一网格").await.unwrap();
        assert_eq!((g.code.as_str(), g.level.as_str()), ("430481001001001", "grid"));
        let wrong_level = org::create_child(&db, &actor(), &scope, &code("430481001"), ChildKind::Grid, "x").await;
        assert!(matches!(wrong_level, Err(fangkong::error::AppError::Invalid(_))));
        let other_county = org::create_child(&db, &actor(), &scope, &code("430422107"), ChildKind::Village, "x").await;
        assert!(matches!(other_county, Err(fangkong::error::AppError::NotFound)));
        let audit = fangkong::audit::store::list(&db, &scope, &fangkong::audit::store::Filter::of_action("org.create"), 10).await.unwrap();
        assert_eq!(audit.len(), 4);
    }
}

#[tokio::test]
async fn households_live_under_villages_and_grids_in_scope() {
    for db in backends().await {
        let (leiyang_household, _) = seed_area(&db).await;
        let leiyang = Scope::of(&code("430481"));
        let hengnan = Scope::of(&code("430422"));
        assert!(org::get_household(&db, &leiyang, leiyang_household).await.unwrap().is_some());
        assert!(org::get_household(&db, &hengnan, leiyang_household).await.unwrap().is_none());
        let listed = org::households(&db, &leiyang, &code("430481001001"), 0, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].label(&fangkong::web::i18n::Lang::Zh), "测试路1号 1栋 1单元 101室");
        assert!(org::households(&db, &hengnan, &code("430481001001"), 0, 10).await.unwrap().is_empty());
        let at_township = NewHousehold { org_code: code("430481001"), address: "x".into(), building: None, unit: None, room: None };
        assert!(org::create_household(&db, &actor(), &leiyang, at_township).await.is_err());
        let blank = NewHousehold { org_code: code(LEIYANG_GRID), address: "  ".into(), building: None, unit: None, room: None };
        assert!(org::create_household(&db, &actor(), &leiyang, blank).await.is_err());
    }
}
