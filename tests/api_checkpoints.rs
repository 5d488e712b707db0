//! Checkpoints over HTTP: the township opens a road point and staffs it; its worker records a car
//! through the API (a retry answered with the same record, a reused key refused) and through the
//! phone form (the next form keeps the origin); the county's report and dashboard count it.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::json;

fn form(path: &str, session: &str, body: &str) -> Request<Body> {
    Request::post(path).header("cookie", format!("fk_session={session}")).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn a_worker_records_a_car_once_and_the_county_sees_it_counted() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let township = app.token("township_officer").await;
        let (s, opened) = app.json("POST", "/api/v1/checkpoints", Some(&township), Some(json!({"org_code": "430481001", "kind": "road", "name": "G107 蔡子池卡点", "location": "G107 K1721"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{opened}");
        let point = opened["id"].as_i64().unwrap();
        let (s, refused) = app.json("POST", "/api/v1/checkpoints", Some(&township), Some(json!({"org_code": "430481001", "kind": "road", "name": "卡点\u{202e}", "location": "x"}))).await;
        assert_eq!((s, refused["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "a bidi control is refused: {refused}");
        assert_eq!(app.json("POST", &format!("/api/v1/checkpoints/{point}/staff"), Some(&township), Some(json!({"username": "checkpoint_staff"}))).await.0, StatusCode::NO_CONTENT);

        let worker = app.token("checkpoint_staff").await;
        let car = json!({"plate": "鄂a 12345", "vehicle_kind": "car", "origin": "420100", "destination": LEIYANG_GRID, "idempotency_key": "k-1",
                         "occupants": [{"temperature": "36.5"}, {"temperature": "38.1", "name": "李四"}]});
        let (s, recorded) = app.json("POST", &format!("/api/v1/checkpoints/{point}/screenings"), Some(&worker), Some(car.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{recorded}");
        assert_eq!(recorded["persons"][1]["result"], "retest");
        let (s, again) = app.json("POST", &format!("/api/v1/checkpoints/{point}/screenings"), Some(&worker), Some(car.clone())).await;
        assert_eq!((s, &again["id"], &again["duplicate"]), (StatusCode::OK, &recorded["id"], &json!(true)), "a retry is answered with what was recorded");
        let mut other = car.clone();
        other["occupants"][0]["temperature"] = json!("36.9");
        assert_eq!(app.json("POST", &format!("/api/v1/checkpoints/{point}/screenings"), Some(&worker), Some(other)).await.0, StatusCode::CONFLICT);
        let mut bad = car.clone();
        bad["plate"] = json!("XX12345");
        bad["idempotency_key"] = json!("k-2");
        let (s, body) = app.json("POST", &format!("/api/v1/checkpoints/{point}/screenings"), Some(&worker), Some(bad)).await;
        assert_eq!((s, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("plate")), "{body}");
        let person = recorded["persons"][1]["id"].as_i64().unwrap();
        let (s, retested) = app.json("POST", &format!("/api/v1/screened-persons/{person}/retest"), Some(&worker), Some(json!({"temperature": "38.0"}))).await;
        assert_eq!((s, retested["result"].as_str()), (StatusCode::OK, Some("referred")));
        let (_, line) = app.json("GET", &format!("/api/v1/screened-persons/{person}"), Some(&worker), None).await;
        assert_eq!((line["plate"].as_str(), line["name"].as_str()), (Some("鄂A12345"), Some("李*")), "normalised plate, masked name");

        // The phone form: one person typed, the next form keeps where the last car came from.
        let staff_id = fangkong::on_db!(&db, pool => sqlx::query_scalar::<DB, i64>("select id from users where username = 'checkpoint_staff'").fetch_one(pool).await).unwrap();
        let session = fangkong::auth::sessions::create(&db, staff_id, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
        let body = format!(
            "_csrf={}&idempotency_key=form-1&plate=%E6%B9%98D54321&vehicle_kind=car&origin=%E6%B9%96%E5%8C%97%E7%9C%81%E6%AD%A6%E6%B1%89%E5%B8%82+420100&destination=430481001&occupants.0.temperature=36.6",
            session.csrf
        );
        let (s, headers, _) = app.send(form(&format!("/checkpoints/{point}/screenings"), &session.token, &body)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let next = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
        assert!(next.starts_with(&format!("/checkpoints/{point}/record?origin=420100&done=")), "{next}");
        let page = app.send(Request::get(&next).header("cookie", format!("fk_session={}", session.token)).body(Body::empty()).unwrap()).await;
        let html = String::from_utf8(page.2).unwrap();
        assert!(html.contains("湖北省武汉市 420100") && html.contains("已登记"), "the origin is kept and the result said");
        let (s, _, sent_back) = app.send(form(&format!("/checkpoints/{point}/screenings"), &session.token, &body.replace("36.6", "51").replace("form-1", "form-2"))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(String::from_utf8(sent_back).unwrap().contains("34.0–43.0"), "the temperature's message at its field");

        // The county's report and dashboard count three persons, two vehicles, one referral.
        let county = app.token("county_commander").await;
        let (_, report) = app.json("GET", "/api/v1/reports/daily?org=430481", Some(&county), None).await;
        let section = report["sections"].as_array().unwrap().iter().find(|s| s["title"] == "卡点").expect("a 卡点 section");
        let value = |code: &str| section["figures"].as_array().unwrap().iter().find(|f| f["code"] == code).unwrap()["value"].as_i64().unwrap();
        assert_eq!((value("checkpoint_persons"), value("checkpoint_vehicles"), value("checkpoint_referrals"), value("checkpoints_open")), (3, 2, 1, 1));
        let (_, board) = app.json("GET", "/api/v1/dashboard?org=430481", Some(&county), None).await;
        let panel = &board["checkpoints"];
        assert_eq!(panel["figures"][0]["value"], 3, "{panel}");
        let township_row = panel["units"].as_array().unwrap().iter().find(|u| u["org_code"] == "430481001").unwrap();
        assert_eq!(township_row["values"], json!([3, 1, 1]), "persons, fevers, referrals of the township to drill into");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "on {}", db.backend_name());
    }
}
