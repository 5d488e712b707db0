//! The sanitation API end to end in process: who may keep the register and inspect, who may read,
//! a district's inspector confined to the district, a retried inspection recorded once, bad input.

mod common;

use axum::http::StatusCode;
use common::*;
use fangkong::auth::Role;
use serde_json::json;

fn inspects(role: Role) -> bool {
    matches!(role, Role::Admin | Role::SanitationInspector)
}
fn reads(role: Role) -> bool {
    matches!(role, Role::Admin | Role::CityCommander | Role::CountyCommander | Role::SanitationInspector)
}

#[tokio::test]
async fn a_districts_inspector_keeps_its_register_and_inspects_its_workers_only() {
    let db = sqlite_only().await;
    add_user(&db, "inspector_shigu", Role::SanitationInspector, "430407").await;
    add_user(&db, "inspector_zhuhui", Role::SanitationInspector, "430405").await;
    let app = seeded_app(db).await;
    let shigu = app.token("inspector_shigu").await;
    let zhuhui = app.token("inspector_zhuhui").await;

    let worker = json!({"org_code": "430407", "name": "周收运", "number": "SG-017", "role": "waste_mask_collector", "started_on": "2020-01-01"});
    let (status, created) = app.json("POST", "/api/v1/sanitation/workers", Some(&shigu), Some(worker.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, _) = app.json("POST", "/api/v1/sanitation/workers", Some(&shigu), Some(worker)).await;
    assert_eq!(status, StatusCode::CONFLICT, "the same 工号 twice");

    let inspection = json!({"org_code": "430407", "place": "解放路口", "worker_id": id, "worn": ["mask", "gloves", "raincoat"], "idempotency_key": "k-1"});
    let (status, done) = app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(inspection.clone())).await;
    assert_eq!((status, done["points"].as_i64(), done["missing"].clone()), (StatusCode::CREATED, Some(4), json!(["rubber_boots", "disinfectant"])), "{done}");
    let (status, again) = app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(inspection.clone())).await;
    assert_eq!((status, again["id"].clone(), again["duplicate"].clone()), (StatusCode::OK, done["id"].clone(), json!(true)), "a retry records nothing new");

    // Another district's inspector neither sees nor inspects Shigu's workers.
    let (_, theirs) = app.json("GET", "/api/v1/sanitation/inspections", Some(&zhuhui), None).await;
    assert_eq!(theirs, json!([]));
    let (status, _) = app.json("POST", "/api/v1/sanitation/inspections", Some(&zhuhui), Some(json!({"org_code": "430407", "place": "x", "worker_id": id, "worn": []}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.json("POST", "/api/v1/sanitation/inspections", Some(&zhuhui), Some(json!({"org_code": "430405", "place": "x", "worker_id": id, "worn": []}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a worker of another district is not on this one's register");
    let (status, _) = app.json("POST", &format!("/api/v1/sanitation/workers/{id}/end"), Some(&zhuhui), Some(json!({"ended_on": "2020-02-11"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app.json("GET", "/api/v1/sanitation/inspections?day=", Some(&app.token("city_commander").await), None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "the city sees every district's: {listed}");

    // Bad input: a clear error at the field, nothing written.
    for (body, field) in [
        (json!({"org_code": "430407", "place": "x", "role": "driver", "worn": []}), "role"),
        (json!({"org_code": "430407", "place": "x", "role": "cleaner", "worn": ["helmet"]}), "worn"),
        (json!({"org_code": "430407", "place": "x", "role": "cleaner", "worn": ["rubber_boots"]}), "worn"),
        (json!({"org_code": "430407", "place": "x", "role": "cleaner", "worn": [], "inspected_at": "2099-01-01 10:00"}), "inspected_at"),
        (json!({"org_code": "430407", "place": "x\u{7}", "role": "cleaner", "worn": []}), "place"),
        (json!({"org_code": "430481", "place": "x", "role": "cleaner", "worn": []}), "org_code"),
    ] {
        let (status, error) = app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["error"]["fields"][0]["field"], field, "{error}");
    }
    let (_, all) = app.json("GET", "/api/v1/sanitation/inspections", Some(&shigu), None).await;
    assert_eq!(all.as_array().map(Vec::len), Some(1), "nothing more was recorded");
}

#[tokio::test]
async fn only_the_inspection_groups_inspect_and_only_command_reads() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    for (role, _, _) in ROLE_HOMES {
        let token = app.token(role.as_str()).await;
        let (status, _) = app.json("GET", "/api/v1/sanitation/inspections", Some(&token), None).await;
        assert_eq!(status == StatusCode::OK, reads(role), "{} reads inspections: {status}", role.as_str());
        let (status, _) = app.json("GET", "/api/v1/sanitation/workers", Some(&token), None).await;
        assert_eq!(status == StatusCode::OK, reads(role), "{} reads the register: {status}", role.as_str());
        let body = json!({"org_code": "430407", "place": "x", "role": "cleaner", "worn": ["mask", "gloves"]});
        let (status, _) = app.json("POST", "/api/v1/sanitation/inspections", Some(&token), Some(body)).await;
        assert_eq!(status == StatusCode::FORBIDDEN, !inspects(role), "{} inspects: {status}", role.as_str());
    }
}
