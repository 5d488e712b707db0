//! The demo city loader, on SQLite and PostgreSQL.

mod common;

use common::*;
use fangkong_rules::Scope;

#[tokio::test]
async fn the_demo_city_loads_once_with_accounts_and_a_private_password_file() {
    for db in backends().await {
        let dir = temp_dir("fk_demo");
        fangkong::demo::load(&db, &dir, 3_000, 7).await.unwrap();
        let all = Scope::everything();
        assert_eq!(fangkong::people::store::count_under(&db, &all, &code("430400")).await.unwrap(), 3_000);
        let leiyang = fangkong::people::store::count_under(&db, &all, &code("430481")).await.unwrap();
        assert!((400..=600).contains(&leiyang), "Leiyang holds about a sixth of the city: {leiyang}");
        assert!(fangkong::demo::has_accounts(&db).await.unwrap());
        let grid = fangkong::org::store::get(&db, &all, &code("430481001001001")).await.unwrap().unwrap();
        assert_eq!(grid.level, "grid");
        let file = dir.join("demo-accounts.txt");
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 12);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // The password in the file signs in.
        let line = text.lines().find(|l| l.starts_with("grid\t")).unwrap();
        let password = line.split('\t').nth(1).unwrap();
        let (_, hash) = fangkong::auth::store::find_for_login(&db, "grid").await.unwrap().unwrap();
        assert!(fangkong::auth::password::verify(password, &hash));
        // The inspection group's district has a register to inspect, the three roles in turn.
        let register = fangkong::sanitation::workforce::list(&db, &fangkong_rules::Scope::of(&code("430407")), None, 100).await.unwrap();
        assert_eq!(register.len(), 24);
        assert_eq!(register.iter().filter(|w| w.role == "waste_mask_collector").count(), 8);
        // Each district of the scheme has been inspected daily since last month began; last month is
        // closed, and one of today's deductions in 石鼓区 waits for the centre.
        let editions = fangkong::sanitation::editions::load(&db).await.unwrap();
        let today = fangkong::clock::today();
        let this_month = fangkong::sanitation::months::of_day(today);
        let last_month = fangkong::sanitation::months::of_day(fangkong::sanitation::months::days_of(&this_month).unwrap().0.previous_day().unwrap());
        let closed = fangkong::sanitation::months::scores(&db, &all, &editions, &last_month, today).await.unwrap();
        assert!(closed.closed.is_some() && closed.districts.len() == 4 && closed.districts.iter().all(|d| d.inspections >= 28 * 3), "{closed:?}");
        assert!(closed.districts.iter().any(|d| d.score < 100), "some deductions to rank by");
        let waiting = fangkong::sanitation::appeals::list(&db, &all, &editions, fangkong::sanitation::appeals::Filter::Open, 10).await.unwrap();
        assert_eq!(waiting.iter().map(|a| a.district_code.as_str()).collect::<Vec<_>>(), ["430407"]);
        // 花桥镇's checkpoint worker has two open points with three days of screenings, a closed
        // expressway point, and a fever waiting for its second reading.
        let huaqiao = Scope::of(&code("430422107"));
        let points = fangkong::checkpoints::points::list(&db, &huaqiao, 10).await.unwrap();
        assert_eq!((points.len(), points.iter().filter(|p| p.is_open()).count()), (3, 2));
        let road = points.iter().find(|p| p.kind == "road" && p.is_open()).unwrap();
        assert!(fangkong::checkpoints::screenings::of_point(&db, &huaqiao, road.id, false, None, 100).await.unwrap().len() >= 40);
        let waiting = fangkong::checkpoints::screenings::of_point(&db, &huaqiao, road.id, true, None, 10).await.unwrap().len()
            + fangkong::checkpoints::screenings::of_point(&db, &huaqiao, points.iter().find(|p| p.kind == "market").unwrap().id, true, None, 10).await.unwrap().len();
        assert_eq!(waiting, 1, "the latest fever waits for its re-test");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the demo's counts agree with its records");
        // A second load changes nothing.
        fangkong::demo::load(&db, &temp_dir("fk_demo2"), 3_000, 7).await.unwrap();
        assert_eq!(fangkong::people::store::count_under(&db, &all, &code("430400")).await.unwrap(), 3_000);
        assert_eq!(fangkong::sanitation::workforce::list(&db, &all, None, 100).await.unwrap().len(), 60, "24 in 石鼓区, 12 in each other district");
        // Households created after the load get fresh ids (the PostgreSQL identity moved past the loaded ones).
        let h = fangkong::org::store::NewHousehold { org_code: code("430481001001001"), address: "新地址".into(), building: None, unit: None, room: None };
        fangkong::org::store::create_household(&db, &actor(), &all, h).await.unwrap();
    }
}
