//! The jurisdiction matrix: every endpoint × every role × a record in the caller's own area and one
//! in another county. Nothing outside the scope is read or written; permissions are checked first.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use fangkong::auth::Role;
use serde_json::{Value, json};

const OK: StatusCode = StatusCode::OK;
const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;

/// Expected permissions, written out independently of the code under test.
fn reads_persons(role: Role) -> bool {
    !matches!(role, Role::EnterpriseContact | Role::SanitationInspector)
}
fn admin(role: Role) -> bool {
    role == Role::Admin
}
fn reads_audit(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CityCommander | Role::CountyCommander)
}
fn manages_households(role: Role) -> bool {
    matches!(role, Role::Admin | Role::TownshipOfficer | Role::GridWorker)
}
/// Registering, editing and merging persons are separate rights: the ledger keepers edit and merge.
fn registers_persons(role: Role) -> bool {
    reads_persons(role)
}
fn edits_persons(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CityCommander | Role::CountyCommander | Role::TownshipOfficer | Role::GridWorker)
}
fn sees_persons_in_full(role: Role) -> bool {
    reads_persons(role) && role != Role::CheckpointStaff
}

struct Fixture {
    leiyang_person: i64,
    hengnan_person: i64,
    hengnan_user: i64,
}

async fn fixture(app: &App) -> Fixture {
    let admin_ly = app.token("admin").await;
    let admin_hn = app.token("admin_hn").await;
    let (_, a) = app.json("POST", "/api/v1/persons", Some(&admin_ly), Some(person_json("耒阳人", "43048119900101123X", LEIYANG_GRID))).await;
    let (_, b) = app.json("POST", "/api/v1/persons", Some(&admin_hn), Some(person_json("衡南人", "430422198502150022", HENGNAN_GRID))).await;
    let (_, users) = app.json("GET", "/api/v1/users", Some(&admin_hn), None).await;
    let hengnan_user = users.as_array().unwrap().iter().find(|u| u["username"] == "grid_worker_hn").unwrap()["id"].as_i64().unwrap();
    Fixture { leiyang_person: a["id"].as_i64().unwrap(), hengnan_person: b["id"].as_i64().unwrap(), hengnan_user }
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"].as_array().or(list.as_array()).unwrap().iter().filter_map(|p| p["id"].as_i64()).collect()
}

async fn page_text(app: &App, token: &str, path: &str) -> String {
    let request = Request::get(path).header("cookie", format!("fk_session={token}")).body(Body::empty()).unwrap();
    String::from_utf8(app.send(request).await.2).unwrap()
}

async fn page(app: &App, token: &str, path: &str) -> StatusCode {
    // Pages sign in by cookie; the bearer token is not accepted there, so use a web session.
    let request = Request::get(path).header("cookie", format!("fk_session={token}")).body(Body::empty()).unwrap();
    app.send(request).await.0
}

#[tokio::test]
async fn no_role_reads_or_writes_outside_its_jurisdiction() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let fx = fixture(&app).await;
        for (role, home, _) in ROLE_HOMES {
            let token = app.token(role.as_str()).await;
            let city_wide = home == "430400";
            let who = format!("{} on {}", role.as_str(), db.backend_name());
            let expect = |allowed: bool, in_scope: bool| {
                if !allowed {
                    FORBIDDEN
                } else if in_scope {
                    OK
                } else {
                    NOT_FOUND
                }
            };

            // Persons: show, edit, list, search.
            let (s, _) = app.json("GET", &format!("/api/v1/persons/{}", fx.leiyang_person), Some(&token), None).await;
            assert_eq!(s, expect(reads_persons(role), true), "{who}: own person");
            let (s, _) = app.json("GET", &format!("/api/v1/persons/{}", fx.hengnan_person), Some(&token), None).await;
            assert_eq!(s, expect(reads_persons(role), city_wide), "{who}: other county's person");
            let edit = person_json("改名", "430422198502150022", HENGNAN_GRID);
            let (s, _) = app.json("PUT", &format!("/api/v1/persons/{}", fx.hengnan_person), Some(&token), Some(edit)).await;
            assert_eq!(s, expect(edits_persons(role), city_wide), "{who}: edit other county's person");
            let same = person_json("耒阳人", "43048119900101123X", LEIYANG_GRID);
            let (s, _) = app.json("PUT", &format!("/api/v1/persons/{}", fx.leiyang_person), Some(&token), Some(same)).await;
            assert_eq!(s, expect(edits_persons(role), true), "{who}: edit own person");
            let (s, _) = app.json("POST", &format!("/api/v1/persons/{}/merge", fx.leiyang_person), Some(&token), Some(json!({"duplicate_id": 999_999}))).await;
            assert_eq!(s, if edits_persons(role) { StatusCode::UNPROCESSABLE_ENTITY } else { FORBIDDEN }, "{who}: merge");
            let (s, list) = app.json("GET", "/api/v1/persons?limit=100", Some(&token), None).await;
            if reads_persons(role) {
                assert_eq!(s, OK);
                let seen = ids(&list);
                assert!(seen.contains(&fx.leiyang_person), "{who}: lists own");
                assert_eq!(seen.contains(&fx.hengnan_person), city_wide, "{who}: lists other");
                let (_, found) = app.json("GET", "/api/v1/persons?q=430422198502150022", Some(&token), None).await;
                assert_eq!(ids(&found).contains(&fx.hengnan_person), city_wide, "{who}: searches other");
                let (_, dups) = app.json("GET", "/api/v1/persons/duplicates?name=x&phone=13800001111", Some(&token), None).await;
                assert!(dups.as_array().unwrap().is_empty());
            } else {
                assert_eq!(s, FORBIDDEN, "{who}: list");
            }
            // Registering into another county's grid never succeeds.
            let (s, _) = app.json("POST", "/api/v1/persons", Some(&token), Some(person_json("越界", "430405197006305557", HENGNAN_GRID))).await;
            let expected_create = if !registers_persons(role) {
                FORBIDDEN
            } else if city_wide {
                StatusCode::CREATED
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            assert_eq!(s, expected_create, "{who}: register into another county");
            if s == StatusCode::CREATED {
                let (_, found) = app.json("GET", "/api/v1/persons?q=430405197006305557", Some(&token), None).await;
                let id = ids(&found)[0];
                fangkong::people::store::get(&db, &fangkong_rules::Scope::everything(), id).await.unwrap().unwrap();
                sqlx_delete_person(&db, id).await;
            }

            // Org units and households.
            let (s, _) = app.json("GET", "/api/v1/orgs/430481001", Some(&token), None).await;
            // A unit above the caller's home (the grid worker's township) is outside the scope too.
            let township_in_scope = "430481001".starts_with(fangkong_rules::OrgCode::parse(home).unwrap().prefix());
            assert_eq!(s, expect(true, township_in_scope), "{who}: own township");
            let (s, _) = app.json("GET", "/api/v1/orgs/430422107", Some(&token), None).await;
            assert_eq!(s, expect(true, city_wide), "{who}: other county's township");
            let (_, units) = app.json("GET", "/api/v1/orgs?parent=430422", Some(&token), None).await;
            assert_eq!(!units.as_array().unwrap().is_empty(), city_wide, "{who}: other county's children");
            // Households are personal data: for the registry's readers only, masked for those who see persons masked.
            let (s, households) = app.json("GET", &format!("/api/v1/households?org={HENGNAN_GRID}"), Some(&token), None).await;
            if reads_persons(role) {
                assert_eq!(!households.as_array().unwrap().is_empty(), city_wide, "{who}: other county's households");
            } else {
                assert_eq!(s, FORBIDDEN, "{who}: households");
            }
            let (s, own) = app.json("GET", &format!("/api/v1/households?org={LEIYANG_GRID}"), Some(&token), None).await;
            let grid_in_scope = LEIYANG_GRID.starts_with(fangkong_rules::OrgCode::parse(home).unwrap().prefix());
            if reads_persons(role) && grid_in_scope {
                let address = own[0]["address"].as_str().unwrap();
                assert_eq!(address == "测试路1号", sees_persons_in_full(role), "{who}: own households, address {address}");
                assert_eq!(own[0]["room"].is_null(), !sees_persons_in_full(role), "{who}: room");
            } else if !reads_persons(role) {
                assert_eq!(s, FORBIDDEN, "{who}: own households");
            }
            let h = json!({"org_code": HENGNAN_GRID, "address": "越界路"});
            let (s, _) = app.json("POST", "/api/v1/households", Some(&token), Some(h)).await;
            let expected = if !manages_households(role) {
                FORBIDDEN
            } else if city_wide {
                StatusCode::CREATED
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            assert_eq!(s, expected, "{who}: household in another county");
            let unit = json!({"parent": "430422107", "kind": "village", "name": "越界村"});
            let (s, _) = app.json("POST", "/api/v1/orgs", Some(&token), Some(unit)).await;
            assert_eq!(s, if !admin(role) { FORBIDDEN } else { NOT_FOUND }, "{who}: unit in another county");

            // Users and audit.
            let (s, users) = app.json("GET", "/api/v1/users", Some(&token), None).await;
            if admin(role) {
                assert!(users.as_array().unwrap().iter().all(|u| u["org_code"].as_str().unwrap().starts_with("430481")), "{who}: users in scope");
                let (s, _) = app.json("PATCH", &format!("/api/v1/users/{}", fx.hengnan_user), Some(&token), Some(json!({"active": false}))).await;
                assert_eq!(s, NOT_FOUND, "{who}: disable another county's user");
                let new = json!({"username": "intruder", "role": "grid_worker", "org_code": HENGNAN_GRID, "password": "long-enough-1"});
                assert_eq!(app.json("POST", "/api/v1/users", Some(&token), Some(new)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
            } else {
                assert_eq!(s, FORBIDDEN, "{who}: users");
            }
            let (s, audit) = app.json("GET", "/api/v1/audit?limit=100", Some(&token), None).await;
            if reads_audit(role) {
                let prefix = fangkong_rules::OrgCode::parse(home).unwrap().prefix().to_string();
                assert!(audit.as_array().unwrap().iter().all(|r| r["org_code"].as_str().unwrap().starts_with(&prefix)), "{who}: audit in scope");
            } else {
                assert_eq!(s, FORBIDDEN, "{who}: audit");
            }

            // The same through the pages, with a web session.
            let session = fangkong::auth::sessions::create(&db, user_id(&app, role.as_str()).await, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
            let other = page(&app, &session.token, &format!("/persons/{}", fx.hengnan_person)).await;
            assert_eq!(other, expect(reads_persons(role), city_wide), "{who}: person page of another county");
            assert_eq!(page(&app, &session.token, "/orgs/430422107").await, expect(true, city_wide), "{who}: unit page of another county");
            let grid_page = page_text(&app, &session.token, &format!("/orgs/{LEIYANG_GRID}")).await;
            assert!(!grid_page.contains("测试路1号") || sees_persons_in_full(role), "{who}: addresses on the grid's page");
            assert_eq!(grid_page.contains("测试****"), reads_persons(role) && !sees_persons_in_full(role) && grid_in_scope, "{who}: masked addresses");
        }
        // Nobody but the city could edit the Hengnan person.
        let row = fangkong::people::store::get(&db, &fangkong_rules::Scope::everything(), fx.hengnan_person).await.unwrap().unwrap();
        assert_eq!(row.name, "改名", "only city-wide roles renamed it");
        let (users, _) = (fangkong::auth::store::get(&db, &fangkong_rules::Scope::everything(), fx.hengnan_user).await.unwrap().unwrap(), ());
        assert!(users.active);
    }
}

async fn user_id(app: &App, username: &str) -> i64 {
    fangkong::auth::store::find_for_login(&app.db, username).await.unwrap().unwrap().0.id
}

async fn sqlx_delete_person(db: &fangkong::db::Db, id: i64) {
    fangkong::on_db!(db, pool => sqlx::query::<DB>("delete from persons where id = $1").bind(id).execute(pool).await.map(|_| ())).unwrap();
}

fn writes_ledger(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CityCommander | Role::CountyCommander | Role::TownshipOfficer | Role::GridWorker)
}

#[tokio::test]
async fn the_ledger_observations_and_alerts_of_another_county_stay_invisible() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let hn = app.token("admin_hn").await;
        let (_, p) = app.json("POST", "/api/v1/persons", Some(&hn), Some(person_json("衡南返乡", "430422198502150022", HENGNAN_GRID))).await;
        let person = p["id"].as_i64().unwrap();
        let kp = json!({"person_id": person, "category": "wuhan_returnee", "responsibles": [{"role": "grid_worker", "name": "衡南网格员"}]});
        let (_, kp) = app.json("POST", "/api/v1/key-persons", Some(&hn), Some(kp)).await;
        let today = fangkong::clock::today().to_string();
        let (_, ep) = app.json("POST", "/api/v1/observations", Some(&hn), Some(json!({"person_id": person, "kind": "home", "start_date": today}))).await;
        let (kp, ep) = (kp["id"].as_i64().unwrap(), ep["id"].as_i64().unwrap());
        app.json("POST", &format!("/api/v1/observations/{ep}/check-ins"), Some(&hn), Some(json!({"temperature": "38.2", "slot": "am"}))).await;
        let (_, alerts) = app.json("GET", "/api/v1/alerts", Some(&hn), None).await;
        let alert = alerts[0]["id"].as_i64().unwrap();

        for (role, home, _) in ROLE_HOMES {
            let token = app.token(role.as_str()).await;
            let city_wide = home == "430400";
            let who = format!("{} on {}", role.as_str(), db.backend_name());
            let expect = |allowed: bool| {
                if !allowed {
                    FORBIDDEN
                } else if city_wide {
                    OK
                } else {
                    NOT_FOUND
                }
            };
            assert_eq!(app.json("GET", &format!("/api/v1/key-persons/{kp}"), Some(&token), None).await.0, expect(reads_persons(role)), "{who}: key person");
            assert_eq!(app.json("GET", &format!("/api/v1/observations/{ep}"), Some(&token), None).await.0, expect(reads_persons(role)), "{who}: observation");
            let (s, ledger) = app.json("GET", "/api/v1/key-persons", Some(&token), None).await;
            if reads_persons(role) {
                let seen = ledger["items"].as_array().unwrap().iter().any(|l| l["key_person_id"] == kp);
                assert_eq!(seen, city_wide, "{who}: ledger list");
                let (_, open) = app.json("GET", "/api/v1/alerts", Some(&token), None).await;
                assert!(city_wide || open.as_array().unwrap().is_empty(), "{who}: alerts");
                let (_, worklist) = app.json("GET", "/api/v1/today", Some(&token), None).await;
                assert!(city_wide || worklist["not_reported"].as_array().unwrap().is_empty(), "{who}: today");
            } else {
                assert_eq!(s, FORBIDDEN, "{who}: ledger list");
            }
            let check_in = app.json("POST", &format!("/api/v1/observations/{ep}/check-ins"), Some(&token), Some(json!({"temperature": "36.5", "slot": "pm"}))).await.0;
            let expected = if !writes_ledger(role) {
                FORBIDDEN
            } else if city_wide {
                StatusCode::CREATED
            } else {
                NOT_FOUND
            };
            assert_eq!(check_in, expected, "{who}: check-in for another county");
            let handle = app.json("POST", &format!("/api/v1/alerts/{alert}/handle"), Some(&token), Some(json!({"note": "越权处置"}))).await.0;
            let expected = if !writes_ledger(role) {
                FORBIDDEN
            } else if city_wide {
                StatusCode::NO_CONTENT
            } else {
                NOT_FOUND
            };
            assert_eq!(handle, expected, "{who}: handle another county's alert");
            let coverage = app.json("GET", "/api/v1/coverage?org=430422107", Some(&token), None).await.0;
            assert_eq!(coverage, expect(reads_persons(role)), "{who}: coverage of another county");
        }
    }
}

fn reads_sanitation(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CityCommander | Role::CountyCommander | Role::SanitationInspector)
}
fn inspects_sanitation(role: Role) -> bool {
    matches!(role, Role::Admin | Role::SanitationInspector)
}

/// A worker of 石鼓区 and their inspection, seen from every role homed in 耒阳 or the city: the
/// register, the inspections and the page are the city's and 石鼓区's, nobody else's.
#[tokio::test]
async fn another_districts_sanitation_register_and_inspections_stay_invisible() {
    use fangkong::sanitation::{editions, inspections, workforce};
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let shigu = fangkong_rules::Scope::of(&code("430407"));
        let all = editions::load(&db).await.unwrap();
        let worker = workforce::NewWorker {
            org_code: code("430407"),
            name: "石鼓环卫工".into(),
            number: None,
            role: fangkong_rules::sanitation::WorkerRole::Cleaner,
            team: None,
            person_id: None,
            started_on: time::macros::date!(2020 - 01 - 01),
        };
        let worker = workforce::add(&db, &actor(), &shigu, &all[0], &worker).await.unwrap();
        let seen = inspections::NewInspection {
            org_code: code("430407"),
            place: "石鼓路口".into(),
            worker: inspections::Inspected::Registered(worker),
            worn: vec![fangkong_rules::sanitation::Worn::Mask],
            inspected_at: fangkong::db::now_micros(),
            note: None,
            photo: None,
            idempotency_key: None,
        };
        let seen = inspections::NewInspection { photo: Some(fangkong::sanitation::photos::Photo::checked("photo", vec![0xFF, 0xD8, 0xFF, 0xE0]).unwrap()), ..seen };
        let inspection = inspections::record(&db, &actor(), &shigu, &all, &seen).await.unwrap().id;
        let appeal = fangkong::sanitation::appeals::NewAppeal { inspection_id: inspection, items: vec![fangkong_rules::sanitation::PpeItem::Gloves], reason: "手套在车上".into(), photo: None };
        let (appeal, _) = fangkong::sanitation::appeals::file(&db, &actor(), &shigu, &all, &appeal).await.unwrap();
        let photo = fangkong::sanitation::photos::of_inspections(&db, &[inspection]).await.unwrap()[0].1;
        let month = fangkong::sanitation::months::of_day(fangkong::clock::today());
        for (role, home, _) in ROLE_HOMES {
            let token = app.token(role.as_str()).await;
            let city_wide = home == "430400";
            let who = format!("{} on {}", role.as_str(), db.backend_name());
            let reads = |in_scope: bool| {
                if !reads_sanitation(role) {
                    FORBIDDEN
                } else if in_scope {
                    OK
                } else {
                    NOT_FOUND
                }
            };
            let (s, rows) = app.json("GET", "/api/v1/sanitation/appeals", Some(&token), None).await;
            if reads_sanitation(role) {
                assert_eq!((s, rows.as_array().map(|r| !r.is_empty())), (OK, Some(city_wide)), "{who}: appeals");
            } else {
                assert_eq!(s, FORBIDDEN, "{who}: appeals");
            }
            let (s, scores) = app.json("GET", &format!("/api/v1/sanitation/months/{month}"), Some(&token), None).await;
            assert_eq!(s, reads(true), "{who}: the month's scores");
            if s == OK {
                assert_eq!(scores["districts"].as_array().unwrap().len(), if city_wide { 4 } else { 0 }, "{who}: the districts' scores seen");
            }
            let (s, _, _) = app.send(Request::get(format!("/api/v1/sanitation/months/{month}/xlsx")).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap()).await;
            assert_eq!(s, reads(true), "{who}: the month's workbook");
            let (s, _, _) = app.send(Request::get(format!("/api/v1/sanitation/photos/{photo}")).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap()).await;
            assert_eq!(s, reads(city_wide), "{who}: another district's photo");
            let body = json!({"items": ["gloves"], "reason": "再申诉"});
            let (s, _) = app.json("POST", &format!("/api/v1/sanitation/inspections/{inspection}/appeal"), Some(&token), Some(body)).await;
            let appeals_here = matches!(role, Role::Admin | Role::CountyCommander);
            assert_eq!(s, if !appeals_here { FORBIDDEN } else { NOT_FOUND }, "{who}: appeal another district's inspection");
            let (s, _) = app.json("POST", &format!("/api/v1/sanitation/appeals/{appeal}/decision"), Some(&token), Some(json!({"decision": "accept", "note": "同意恢复"}))).await;
            let reviews = matches!(role, Role::Admin | Role::SanitationInspector);
            assert_eq!(s, if !reviews { FORBIDDEN } else { NOT_FOUND }, "{who}: decide another district's appeal");
            let import = Request::post("/api/v1/sanitation/workers/import?org_code=430407").header("authorization", format!("Bearer {token}")).body(Body::from("姓名,岗位\n某人,清扫保洁\n")).unwrap();
            let (s, _, _) = app.send(import).await;
            assert_eq!(s, if inspects_sanitation(role) { StatusCode::UNPROCESSABLE_ENTITY } else { FORBIDDEN }, "{who}: import into another district's register");
            let (s, _) = app.json("POST", &format!("/api/v1/sanitation/months/{month}/close"), Some(&token), None).await;
            assert_eq!(s, FORBIDDEN, "{who}: close the month (the centre only)");
            for list in ["/api/v1/sanitation/workers", "/api/v1/sanitation/inspections"] {
                let (s, rows) = app.json("GET", list, Some(&token), None).await;
                if reads_sanitation(role) {
                    assert_eq!((s, rows.as_array().map(|r| !r.is_empty())), (OK, Some(city_wide)), "{who}: {list}");
                } else {
                    assert_eq!(s, FORBIDDEN, "{who}: {list}");
                }
            }
            let again = json!({"org_code": "430407", "place": "石鼓路口", "worker_id": worker, "worn": ["mask", "gloves"]});
            let (s, _) = app.json("POST", "/api/v1/sanitation/inspections", Some(&token), Some(again)).await;
            let expected = if !inspects_sanitation(role) { FORBIDDEN } else { StatusCode::UNPROCESSABLE_ENTITY };
            assert_eq!(s, expected, "{who}: inspect another district's worker");
            let (s, _) = app.json("POST", &format!("/api/v1/sanitation/workers/{worker}/end"), Some(&token), Some(json!({"ended_on": "2020-02-11"}))).await;
            assert_eq!(s, if inspects_sanitation(role) { NOT_FOUND } else { FORBIDDEN }, "{who}: end another district's worker");

            let session = fangkong::auth::sessions::create(&db, user_id(&app, role.as_str()).await, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
            assert_eq!(page(&app, &session.token, "/sanitation").await, if reads_sanitation(role) { OK } else { FORBIDDEN }, "{who}: the sanitation page");
            if reads_sanitation(role) {
                assert_eq!(page_text(&app, &session.token, "/sanitation").await.contains("石鼓环卫工"), city_wide, "{who}: another district's worker on the page");
            }
            let form = page(&app, &session.token, &format!("/sanitation/inspect?worker_id={worker}")).await;
            assert_eq!(form, if inspects_sanitation(role) { NOT_FOUND } else { FORBIDDEN }, "{who}: the inspection form for another district's worker");
            assert_eq!(page(&app, &session.token, &format!("/sanitation/inspections/{inspection}")).await, reads(city_wide), "{who}: the inspection's page");
            assert_eq!(page(&app, &session.token, &format!("/sanitation/photos/{photo}")).await, reads(city_wide), "{who}: the photo's page");
            assert_eq!(page(&app, &session.token, "/sanitation/months").await, reads(true), "{who}: the monthly scores page");
            assert_eq!(page(&app, &session.token, &format!("/sanitation/months/{month}.xlsx")).await, reads(true), "{who}: the monthly workbook");
        }
    }
}

fn reads_points(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CityCommander | Role::CountyCommander | Role::TownshipOfficer | Role::CheckpointStaff)
}
fn manages_points(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CountyCommander | Role::TownshipOfficer)
}

/// A road point of 衡南县's 花桥镇 with a screened traveller, seen from every role homed in 耒阳 or
/// the city: the point, its records and its pages are the city's and 衡南's; 耒阳's own point is
/// worked by 耒阳's checkpoint staff only.
#[tokio::test]
async fn another_countys_screening_points_and_records_stay_invisible() {
    use fangkong::checkpoints::{PointKind, points, screenings};
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let today = fangkong::clock::today();
        let point_of = |township: &str, name: &str| points::NewPoint { org_code: code(township), kind: PointKind::Road, name: name.into(), location: "收费站".into(), opened_on: today };
        let hengnan = fangkong_rules::Scope::of(&code("430422"));
        let hn_point = points::create(&db, &actor(), &hengnan, &point_of("430422107", "花桥卡点")).await.unwrap();
        points::assign(&db, &actor(), &hengnan, hn_point, "checkpoint_staff_hn").await.unwrap();
        let own_point = points::create(&db, &actor(), &fangkong_rules::Scope::of(&code("430481")), &point_of("430481001", "蔡子池卡点")).await.unwrap();
        points::assign(&db, &actor(), &fangkong_rules::Scope::of(&code("430481")), own_point, "checkpoint_staff").await.unwrap();
        let hn_staff = fangkong::audit::Actor { user_id: Some(user_id(&app, "checkpoint_staff_hn").await), username: "checkpoint_staff_hn".into(), org_code: "430422107".into(), client_addr: None };
        let names = fangkong::org::names::UnitNames::default().get(&db).await.unwrap();
        let traveller = screenings::NewScreening {
            point_id: hn_point,
            plate: Some("鄂A12345".into()),
            vehicle_kind: Some("car".into()),
            origin: "420100".into(),
            destination: HENGNAN_GRID.into(),
            destination_address: None,
            screened_at: fangkong::db::now_micros(),
            occupants: vec![screenings::NewOccupant { temperature: "38.2".into(), name: Some("衡南旅客".into()), ..Default::default() }],
            idempotency_key: None,
        };
        let recorded = screenings::record(&db, &hn_staff, &fangkong_rules::Scope::of(&code("430422107")), &names, &traveller).await.unwrap();
        let person = recorded.persons[0].id;
        let car = json!({"plate": "湘D12345", "vehicle_kind": "car", "origin": "420100", "destination": LEIYANG_GRID, "occupants": [{"temperature": "36.5"}]});
        for (role, home, _) in ROLE_HOMES {
            let token = app.token(role.as_str()).await;
            let city_wide = home == "430400";
            let who = format!("{} on {}", role.as_str(), db.backend_name());
            let reads = |in_scope: bool| {
                if !reads_points(role) {
                    FORBIDDEN
                } else if in_scope {
                    OK
                } else {
                    NOT_FOUND
                }
            };
            let outside = |allowed: bool| if allowed { NOT_FOUND } else { FORBIDDEN };
            let (s, list) = app.json("GET", "/api/v1/checkpoints", Some(&token), None).await;
            assert_eq!(s, reads(true), "{who}: the points");
            if s == OK {
                assert_eq!(ids(&list).contains(&hn_point), city_wide, "{who}: lists another county's point");
            }
            let (s, _) = app.json("GET", &format!("/api/v1/checkpoints/{hn_point}"), Some(&token), None).await;
            assert_eq!(s, reads(city_wide), "{who}: another county's point");
            let (s, _) = app.json("GET", &format!("/api/v1/checkpoints/{hn_point}/screenings"), Some(&token), None).await;
            assert_eq!(s, reads(city_wide), "{who}: another county's records");
            let (s, _) = app.json("GET", &format!("/api/v1/screened-persons/{person}"), Some(&token), None).await;
            assert_eq!(s, reads(city_wide), "{who}: another county's screened person");
            let (s, _) = app.json("GET", "/api/v1/divisions", Some(&token), None).await;
            assert_eq!(s, reads(true), "{who}: the divisions");
            let manages = manages_points(role) && !city_wide;
            let (s, _) = app.json("POST", &format!("/api/v1/checkpoints/{hn_point}/close"), Some(&token), Some(json!({"reason": "撤除"}))).await;
            assert_eq!(s, outside(manages_points(role)), "{who}: close another county's point");
            let (s, _) = app.json("POST", &format!("/api/v1/checkpoints/{hn_point}/reopen"), Some(&token), None).await;
            assert_eq!(s, outside(manages_points(role)), "{who}: reopen another county's point");
            let (s, _) = app.json("POST", &format!("/api/v1/checkpoints/{hn_point}/staff"), Some(&token), Some(json!({"username": "checkpoint_staff"}))).await;
            assert_eq!(s, outside(manages_points(role)), "{who}: staff another county's point");
            let (s, _) = app.json("DELETE", &format!("/api/v1/checkpoints/{hn_point}/staff/1"), Some(&token), None).await;
            assert_eq!(s, outside(manages_points(role)), "{who}: unstaff another county's point");
            let (s, _) = app.json("POST", "/api/v1/checkpoints", Some(&token), Some(json!({"org_code": "430422107", "kind": "road", "name": "越界卡点", "location": "x"}))).await;
            assert_eq!(
                s,
                if manages {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else if manages_points(role) {
                    StatusCode::CREATED
                } else {
                    FORBIDDEN
                },
                "{who}: open a point in another county"
            );
            let screens = role == Role::CheckpointStaff;
            let (s, _) = app.json("POST", &format!("/api/v1/checkpoints/{hn_point}/screenings"), Some(&token), Some(car.clone())).await;
            assert_eq!(s, outside(screens), "{who}: record at another county's point");
            let (s, _) = app.json("POST", &format!("/api/v1/screened-persons/{person}/retest"), Some(&token), Some(json!({"temperature": "36.8"}))).await;
            assert_eq!(s, outside(screens), "{who}: re-test another county's traveller");
            let (s, body) = app.json("POST", &format!("/api/v1/checkpoints/{own_point}/screenings"), Some(&token), Some(car.clone())).await;
            assert_eq!(s, if screens { StatusCode::CREATED } else { FORBIDDEN }, "{who}: record at the own point: {body}");

            let session = fangkong::auth::sessions::create(&db, user_id(&app, role.as_str()).await, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
            assert_eq!(page(&app, &session.token, "/checkpoints").await, reads(true), "{who}: the checkpoints page");
            if reads_points(role) {
                assert_eq!(page_text(&app, &session.token, "/checkpoints").await.contains("花桥卡点"), city_wide, "{who}: another county's point on the page");
            }
            assert_eq!(page(&app, &session.token, &format!("/checkpoints/{hn_point}")).await, reads(city_wide), "{who}: another county's point page");
            assert_eq!(page(&app, &session.token, &format!("/checkpoints/{hn_point}/record")).await, outside(screens), "{who}: the record form of another county's point");
            assert_eq!(page(&app, &session.token, &format!("/checkpoints/{own_point}/record")).await, if screens { OK } else { FORBIDDEN }, "{who}: the own point's record form");
        }
    }
}
