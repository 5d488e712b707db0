//! The screening and observation API in process, on SQLite and PostgreSQL: the main flow
//! (key person → observation → fever through the self-report link → alert → escalation).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{Value, json};

async fn register(app: &App, token: &str, id_number: &str) -> i64 {
    let (status, p) = app.json("POST", "/api/v1/persons", Some(token), Some(person_json("周返乡", id_number, LEIYANG_GRID))).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

fn today() -> String {
    fangkong::clock::today().to_string()
}

#[tokio::test]
async fn a_fever_reported_through_the_link_reaches_the_grid_worker_then_the_township() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let grid = app.token("grid_worker").await;
        let person = register(&app, &grid, "43048119900101123X").await;
        let key = json!({"person_id": person, "category": "wuhan_returnee", "origin_code": "420100", "arrival_date": today(),
            "transport": "火车", "transport_no": "G1001", "responsibles": [{"role": "grid_worker", "name": "李网格", "phone": "13800001111"}]});
        let (status, kp) = app.json("POST", "/api/v1/key-persons", Some(&grid), Some(key.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{kp}");
        assert_eq!(app.json("POST", "/api/v1/key-persons", Some(&grid), Some(key)).await.0, StatusCode::CONFLICT);
        let (_, detail) = app.json("GET", &format!("/api/v1/key-persons/{}", kp["id"]), Some(&grid), None).await;
        assert_eq!(detail["responsibles"][0]["name"], "李网格");

        let (status, episode) = app.json("POST", "/api/v1/observations", Some(&grid), Some(json!({"person_id": person, "kind": "home", "start_date": today()}))).await;
        assert_eq!(status, StatusCode::CREATED, "{episode}");
        assert_eq!((episode["day"].as_i64(), episode["period_days"].as_i64()), (Some(1), Some(14)));
        let path = episode["report_path"].as_str().unwrap().to_string();
        let token = path.trim_start_matches("/r/");
        assert!(episode.get("report_token").is_none(), "the capability is not a field of the record");

        let (status, link) = app.json("GET", &format!("/api/v1/self-report/{token}"), None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((link["name"].as_str(), link["day"].as_i64()), (Some("周**"), Some(1)));
        assert_eq!(link.as_object().unwrap().len(), 4, "nothing beyond the masked name and the day: {link}");
        let report = json!({"temperature": "37.8", "symptoms": [], "idempotency_key": "3f1c2a9e-0000-4000-8000-000000000001"});
        let (status, recorded) = app.json("POST", &format!("/api/v1/self-report/{token}"), None, Some(report.clone())).await;
        assert_eq!((status, recorded["alerts"][0].as_str()), (StatusCode::CREATED, Some("fever")));
        let (status, again) = app.json("POST", &format!("/api/v1/self-report/{token}"), None, Some(report)).await;
        assert_eq!((status, again["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
        let (status, bad) = app.json("POST", &format!("/api/v1/self-report/{token}"), None, Some(json!({"temperature": "378"}))).await;
        assert_eq!((status, bad["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("temperature")));
        assert_eq!(app.json("GET", "/api/v1/self-report/not-a-real-link", None, None).await.0, StatusCode::NOT_FOUND);
        let (status, need) = app.json("POST", &format!("/api/v1/self-report/{token}/needs"), None, Some(json!({"kind": "medicine", "detail": "退烧药"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{need}");
        let (_, board) = app.json("GET", "/api/v1/needs", Some(&grid), None).await;
        assert_eq!((board[0]["kind"].as_str(), board[0]["requested_by"].as_str()), (Some("medicine"), Some("resident")));
        let advance = json!({"status": "done", "text": "已送药上门"});
        assert_eq!(app.json("POST", &format!("/api/v1/needs/{}/advance", need["id"]), Some(&grid), Some(advance)).await.0, StatusCode::NO_CONTENT);
        assert!(app.json("GET", "/api/v1/needs", Some(&grid), None).await.1.as_array().unwrap().is_empty());

        let (_, worklist) = app.json("GET", "/api/v1/today", Some(&grid), None).await;
        let alerts = worklist["alerts"].as_array().unwrap();
        assert_eq!((alerts.len(), alerts[0]["kind"].as_str(), alerts[0]["detail"].as_str()), (1, Some("fever"), Some("体温 37.8 ℃")));
        let township = app.token("township_officer").await;
        let (_, officer) = app.json("GET", "/api/v1/today", Some(&township), None).await;
        assert!(officer["alerts"].as_array().unwrap().is_empty(), "within the limit the township is not bothered");
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update alerts set raised_at = raised_at - 10800000000").execute(pool).await.map(|_| ())).unwrap();
        let (_, officer) = app.json("GET", "/api/v1/today", Some(&township), None).await;
        assert_eq!(officer["alerts"][0]["escalated"], true, "{officer}");
        let hengnan = app.token("county_commander_hn").await;
        let (_, elsewhere) = app.json("GET", "/api/v1/alerts", Some(&hengnan), None).await;
        assert!(elsewhere.as_array().unwrap().is_empty());

        let alert_id = alerts[0]["id"].as_i64().unwrap();
        let (status, _) = app.json("POST", &format!("/api/v1/alerts/{alert_id}/handle"), Some(&grid), Some(json!({"note": "已送耒阳市人民医院发热门诊"}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, after) = app.json("GET", "/api/v1/today", Some(&township), None).await;
        assert!(after["alerts"].as_array().unwrap().is_empty());

        let id = episode["id"].as_i64().unwrap();
        let (status, _) = app.json("POST", &format!("/api/v1/observations/{id}/end"), Some(&grid), Some(json!({"outcome": "transferred", "note": "转发热门诊"}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, gone) = app.json("GET", &format!("/api/v1/self-report/{token}"), None, None).await;
        assert_eq!(status, StatusCode::GONE, "an ended episode's link is dead");
        assert!(gone["error"]["message"].as_str().unwrap().contains("链接已失效"));
        let page = Request::get(format!("/r/{token}")).body(Body::empty()).unwrap();
        let (status, _, html) = app.send(page).await;
        let html = String::from_utf8(html).unwrap();
        assert_eq!(status, StatusCode::GONE);
        assert!(html.contains("本次医学观察已结束") && !html.contains("周"), "the page explains and names nobody");
        let (_, ledger) = app.json("GET", "/api/v1/key-persons?category=wuhan_returnee", Some(&grid), None).await;
        assert_eq!(ledger["items"][0]["name"], "周**");
        let audit: Value = app.json("GET", "/api/v1/audit?limit=100", Some(&app.token("admin").await), None).await.1;
        let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
        for a in ["ledger.create", "observation.start", "checkin.create", "alert.handle", "observation.end"] {
            assert!(actions.contains(&a), "{a} audited");
        }
    }
}

#[tokio::test]
async fn screening_endpoints_are_scoped_and_guarded_by_role() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    let grid = app.token("grid_worker").await;
    let person = register(&app, &grid, "43048119900101123X").await;
    let (_, episode) = app.json("POST", "/api/v1/observations", Some(&grid), Some(json!({"person_id": person, "kind": "home", "start_date": today()}))).await;
    let id = episode["id"].as_i64().unwrap();
    let other = app.token("grid_worker_hn").await;
    assert_eq!(app.json("GET", &format!("/api/v1/observations/{id}"), Some(&other), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.json("POST", &format!("/api/v1/observations/{id}/check-ins"), Some(&other), Some(json!({"temperature": "36.5"}))).await.0, StatusCode::NOT_FOUND);
    let start = json!({"person_id": person, "kind": "home", "start_date": today()});
    assert_eq!(app.json("POST", "/api/v1/observations", Some(&other), Some(start)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let sanitation = app.token("sanitation_inspector").await;
    assert_eq!(app.json("GET", "/api/v1/today", Some(&sanitation), None).await.0, StatusCode::FORBIDDEN);
    let checkpoint = app.token("checkpoint_staff").await;
    assert_eq!(app.json("POST", &format!("/api/v1/observations/{id}/check-ins"), Some(&checkpoint), Some(json!({"temperature": "36.5"}))).await.0, StatusCode::FORBIDDEN);
    let (status, body) = app.json("POST", &format!("/api/v1/observations/{id}/check-ins"), Some(&grid), Some(json!({"temperature": "36.5", "slot": "pm", "symptoms": ["咳嗽"]}))).await;
    assert_eq!((status, body["alerts"][0].as_str()), (StatusCode::CREATED, Some("red_flag")));
    let (_, coverage) = app.json("GET", "/api/v1/coverage", Some(&grid), None).await;
    assert_eq!((coverage["households"].as_i64(), coverage["visited"].as_i64()), (Some(1), Some(0)));
    let (_, households) = app.json("GET", &format!("/api/v1/households?org={LEIYANG_GRID}"), Some(&grid), None).await;
    let household = households[0]["id"].as_i64().unwrap();
    assert_eq!(app.json("POST", "/api/v1/household-visits", Some(&grid), Some(json!({"household_id": household, "result": "all_well"}))).await.0, StatusCode::CREATED);
    assert_eq!(app.json("POST", "/api/v1/household-visits", Some(&other), Some(json!({"household_id": household, "result": "all_well"}))).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.json("GET", "/api/v1/coverage", Some(&grid), None).await.1["visited"], 1);
    assert_eq!(app.json("GET", &format!("/api/v1/coverage?org={HENGNAN_GRID}"), Some(&grid), None).await.0, StatusCode::NOT_FOUND);
}
