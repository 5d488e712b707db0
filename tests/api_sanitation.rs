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

/// The centre (a department of the city) over two districts' inspections: the district appeals
/// with a photo, a district's own group may not decide, the centre accepts and closes the month,
/// and the workbook shows the district's score under Chinese headers.
#[tokio::test]
async fn the_centre_decides_a_districts_appeal_closes_the_month_and_exports_it() {
    use axum::body::Body;
    use axum::http::Request;
    use base64::Engine;
    use calamine::Reader;
    let db = sqlite_only().await;
    add_user(&db, "inspector_shigu", Role::SanitationInspector, "430407").await;
    add_user(&db, "centre", Role::SanitationInspector, "430400901").await;
    add_user(&db, "shigu_command", Role::CountyCommander, "430407").await;
    let app = seeded_app(db).await;
    let (shigu, centre, district) = (app.token("inspector_shigu").await, app.token("centre").await, app.token("shigu_command").await);

    // The centre's inspectors work in every district of the scheme, and only there.
    let worker = json!({"org_code": "430407", "name": "周收运", "role": "waste_mask_collector", "started_on": "2020-01-01"});
    let (status, created) = app.json("POST", "/api/v1/sanitation/workers", Some(&centre), Some(worker)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let leiyang = json!({"org_code": "430481", "name": "耒阳人", "role": "cleaner"});
    let (status, refused) = app.json("POST", "/api/v1/sanitation/workers", Some(&centre), Some(leiyang)).await;
    assert_eq!((status, refused["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("district_outside_scheme")), "{refused}");
    let photo = base64::engine::general_purpose::STANDARD.encode(b"\xff\xd8\xff\xe0\0\x10JFIF");
    // Recorded today, dated last month's last day: the month the centre can close.
    let today = fangkong::clock::today();
    let last_day = fangkong::sanitation::months::days_of(&fangkong::sanitation::months::of_day(today)).unwrap().0.previous_day().unwrap();
    let month = fangkong::sanitation::months::of_day(last_day);
    let inspection =
        json!({"org_code": "430407", "place": "解放路", "worker_id": created["id"], "worn": ["mask", "gloves", "raincoat"], "photo_base64": photo, "inspected_at": format!("{last_day} 10:00")});
    let (status, done) = app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(inspection)).await;
    assert_eq!((status, done["points"].as_i64()), (StatusCode::CREATED, Some(4)), "{done}");
    let id = done["id"].as_i64().unwrap();
    let not_image = json!({"org_code": "430407", "place": "解放路", "role": "cleaner", "worn": ["mask"], "photo_base64": base64::engine::general_purpose::STANDARD.encode(b"GIF89a")});
    let (status, refused) = app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(not_image)).await;
    assert_eq!((status, refused["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_not_image")));

    // The district appeals the boots with a photo; an inspector may not appeal.
    let appeal = json!({"items": ["rubber_boots"], "reason": "雨靴在收运车上", "photo_base64": photo});
    let (status, _) = app.json("POST", &format!("/api/v1/sanitation/inspections/{id}/appeal"), Some(&shigu), Some(appeal.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, filed) = app.json("POST", &format!("/api/v1/sanitation/inspections/{id}/appeal"), Some(&district), Some(appeal.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, again) = app.json("POST", &format!("/api/v1/sanitation/inspections/{id}/appeal"), Some(&district), Some(appeal)).await;
    assert_eq!((status, again["duplicate"].as_bool()), (StatusCode::OK, Some(true)), "a retry records nothing new");
    let appeal_id = filed["id"].as_i64().unwrap();
    let decision = json!({"decision": "accept", "note": "照片显示雨靴在车上"});
    let (status, _) = app.json("POST", &format!("/api/v1/sanitation/appeals/{appeal_id}/decision"), Some(&shigu), Some(decision.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a district's own group does not judge its district");
    let (status, _) = app.json("POST", &format!("/api/v1/sanitation/months/{month}/close"), Some(&centre), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an appeal waits");
    let (status, _) = app.json("POST", &format!("/api/v1/sanitation/appeals/{appeal_id}/decision"), Some(&centre), Some(decision.clone())).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.json("POST", &format!("/api/v1/sanitation/appeals/{appeal_id}/decision"), Some(&centre), Some(decision)).await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");

    let (status, closed) = app.json("POST", &format!("/api/v1/sanitation/months/{month}/close"), Some(&centre), None).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let shigu_row = closed["districts"].as_array().unwrap().iter().find(|d| d["district_code"] == "430407").unwrap().clone();
    assert_eq!((shigu_row["deductions"].as_i64(), shigu_row["score"].as_i64(), shigu_row["rank"].as_i64()), (Some(2), Some(98), Some(4)), "{shigu_row}");
    let (_, seen) = app.json("GET", &format!("/api/v1/sanitation/months/{month}"), Some(&district), None).await;
    assert_eq!(seen["districts"].as_array().unwrap().len(), 1, "the district sees its own score");
    assert!(seen["closed"].is_object());

    let this_month = fangkong::sanitation::months::of_day(today);
    let (status, refused) = app.json("POST", &format!("/api/v1/sanitation/months/{this_month}/close"), Some(&centre), None).await;
    assert_eq!((status, refused["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_not_over")));
    let backdated = json!({"org_code": "430407", "place": "解放路", "role": "cleaner", "worn": [], "inspected_at": format!("{last_day} 11:00")});
    let (status, refused) = app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(backdated)).await;
    assert_eq!((status, refused["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_closed")), "nothing dated into a closed month");

    // The city's dashboard ranks the districts this month; a county outside the scheme has no such panel.
    let today_one = json!({"org_code": "430407", "place": "解放路", "worker_id": created["id"], "worn": ["mask", "gloves", "raincoat", "rubber_boots"]});
    assert_eq!(app.json("POST", "/api/v1/sanitation/inspections", Some(&shigu), Some(today_one)).await.0, StatusCode::CREATED);
    let city = app.token("city_commander").await;
    let (status, board) = app.json("GET", "/api/v1/dashboard", Some(&city), None).await;
    assert_eq!(status, StatusCode::OK);
    let panel = &board["sanitation"];
    assert_eq!((panel["month"].as_str(), panel["closed"].as_bool(), panel["today_inspections"].as_i64()), (Some(this_month.as_str()), Some(false), Some(1)), "{panel}");
    let last = panel["districts"].as_array().unwrap().last().unwrap();
    assert_eq!((last["name"].as_str(), last["rank"].as_i64(), last["score"].as_i64()), (Some("石鼓区"), Some(4), Some(98)));
    let (_, leiyang) = app.json("GET", "/api/v1/dashboard?org=430481", Some(&city), None).await;
    assert!(leiyang["sanitation"].is_null(), "{}", leiyang["sanitation"]);

    let request = Request::builder().uri(format!("/api/v1/sanitation/months/{month}/xlsx")).header("authorization", format!("Bearer {centre}")).body(Body::empty()).unwrap();
    let (status, _, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
    let sheet = book.worksheet_range("月度考核").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert!(rows[0][0].contains("已结账"), "{:?}", rows[0]);
    assert_eq!(rows[2][..3], ["排名", "城区", "检查人次"]);
    let shigu_line = rows.iter().find(|r| r.get(1).map(String::as_str) == Some("石鼓区")).unwrap();
    assert_eq!((shigu_line[0].as_str(), shigu_line[12].as_str(), shigu_line[14].as_str()), ("4", "98", "消毒液"), "a tie goes to the item first in the items' order: {shigu_line:?}");
}

/// The register imported through the API: the district's inspector sends its sheet; readers may not.
#[tokio::test]
async fn an_inspector_imports_the_districts_register_and_a_reader_may_not() {
    use axum::body::Body;
    use axum::http::Request;
    let db = sqlite_only().await;
    add_user(&db, "inspector_shigu", Role::SanitationInspector, "430407").await;
    let app = seeded_app(db).await;
    let csv = "姓名,工号,岗位,街道\n周收运,SG-1,废弃口罩收运,人民街道\n李保洁,SG-2,清扫保洁,\n";
    let send = |token: String, mode: &str| {
        Request::post(format!("/api/v1/sanitation/workers/import?org_code=430407&mode={mode}")).header("authorization", format!("Bearer {token}")).body(Body::from(csv)).unwrap()
    };
    let (status, _, body) = app.send(send(app.token("inspector_shigu").await, "all_or_nothing")).await;
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, report["added"].as_i64(), report["landed"].as_bool()), (StatusCode::OK, Some(2), Some(true)), "{report}");
    let (_, _, body) = app.send(send(app.token("inspector_shigu").await, "all_or_nothing")).await;
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["already_on_register"].as_i64(), Some(2));
    let (status, _, _) = app.send(send(app.token("inspector_shigu").await, "sometimes")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown mode is refused, not read as the default");
    let (status, _, _) = app.send(send(app.token("city_commander").await, "all_or_nothing")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
