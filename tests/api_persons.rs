//! The person API end to end in process: validation, conflicts, masking, audit, bad input.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn register_find_and_view_a_person_through_the_api() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let grid = app.token("grid_worker").await;

        let mut body = person_json("张三", "43048119900101123X", LEIYANG_GRID);
        body["phone"] = json!("+86 138 0000 1111");
        body["ethnicity"] = json!("汉");
        let (status, created) = app.json("POST", "/api/v1/persons", Some(&grid), Some(body.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["sex"], "male");
        assert_eq!(created["birth_date"], "1990-01-01");
        assert_eq!(created["phone"], "13800001111");
        assert_eq!(created["ethnicity"], "汉族");

        let (status, again) = app.json("POST", "/api/v1/persons", Some(&grid), Some(body)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(again["error"]["existing_id"], id);

        let (status, bad) = app.json("POST", "/api/v1/persons", Some(&grid), Some(person_json("李四", "430481199001011231", LEIYANG_GRID))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad["error"]["fields"][0]["field"], "id_number");
        assert_eq!(bad["error"]["fields"][0]["code"], "id_checksum");

        let (status, excel) = app.json("POST", "/api/v1/persons", Some(&grid), Some(person_json("李四", "4.30481E+17", LEIYANG_GRID))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(excel["error"]["fields"][0]["message"].as_str().unwrap().contains("科学计数法"));

        let (status, list) = app.json("GET", "/api/v1/persons?q=43048119900101123X", Some(&grid), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"][0]["name"], "张*");
        assert_eq!(list["items"][0]["id_number"], "430481********123X");
        assert_eq!(list["items"][0]["phone"], "138****1111");
        assert_eq!(list["items"][0]["birth_date"], serde_json::Value::Null);

        let (status, full) = app.json("GET", &format!("/api/v1/persons/{id}"), Some(&grid), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((full["name"].as_str(), full["masked"].as_bool()), (Some("张三"), Some(false)));

        // Checkpoint staff see masked values only, and that view is not an unmasked view.
        let checkpoint = app.token("checkpoint_staff").await;
        let (_, masked) = app.json("GET", &format!("/api/v1/persons/{id}"), Some(&checkpoint), None).await;
        assert_eq!((masked["name"].as_str(), masked["masked"].as_bool()), (Some("张*"), Some(true)));

        let admin = app.token("admin").await;
        let (_, audit) = app.json("GET", "/api/v1/audit?limit=100", Some(&admin), None).await;
        let actions: Vec<(&str, &str)> = audit.as_array().unwrap().iter().map(|r| (r["action"].as_str().unwrap(), r["actor"].as_str().unwrap())).collect();
        assert!(actions.contains(&("person.create", "grid_worker")));
        assert!(actions.contains(&("person.search", "grid_worker")));
        assert_eq!(actions.iter().filter(|a| a.0 == "person.view_full").count(), 1, "{actions:?}");
        let text = audit.to_string();
        assert!(!text.contains("13800001111") && !text.contains("43048119900101123X") && !text.contains("张三"));
    }
}

#[tokio::test]
async fn soft_duplicates_and_warnings_come_back_on_registration() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let grid = app.token("grid_worker").await;
        let mut first = person_json("王芳", "430422198502150022", LEIYANG_GRID);
        first["phone"] = json!("13900002222");
        assert_eq!(app.json("POST", "/api/v1/persons", Some(&grid), Some(first)).await.0, StatusCode::CREATED);
        let mut second = person_json("王芳芳", "430481900101123", LEIYANG_GRID);
        second["phone"] = json!("13900002222");
        let (status, created) = app.json("POST", "/api/v1/persons", Some(&grid), Some(second)).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(created["id_legacy"], true);
        assert_eq!(created["warnings"].as_array().unwrap().len(), 1);
        assert_eq!(created["possible_duplicates"][0]["name"], "王*");
        let (_, candidates) = app.json("GET", "/api/v1/persons/duplicates?name=x&phone=13900002222", Some(&grid), None).await;
        assert_eq!(candidates.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn bad_requests_name_the_field_and_change_nothing() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let grid = app.token("grid_worker").await;
    let (status, e) = app.json("POST", "/api/v1/persons", Some(&grid), Some(json!({"name": 5, "id_number": "x", "org_code": LEIYANG_GRID}))).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("name")));
    let mut unknown = person_json("张三", "43048119900101123X", LEIYANG_GRID);
    unknown["colour"] = json!("red");
    let (status, e) = app.json("POST", "/api/v1/persons", Some(&grid), Some(unknown)).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("colour")));
    let (status, e) = app.json("POST", "/api/v1/persons", Some(&grid), Some(json!({"name": "张三"}))).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("id_number")));
    let malformed = Request::post("/api/v1/persons").header("authorization", format!("Bearer {grid}")).header("content-type", "application/json").body(Body::from("{\"name\":")).unwrap();
    assert_eq!(app.send(malformed).await.0, StatusCode::BAD_REQUEST);
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let big = Request::post("/api/v1/persons").header("authorization", format!("Bearer {grid}")).header("content-type", "application/json").body(Body::from(huge)).unwrap();
    assert_eq!(app.send(big).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, e) = app.json("GET", "/api/v1/persons", None, None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, _) = app.json("GET", "/api/v1/persons", Some("forged"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, page) = app.json("GET", "/api/v1/persons?limit=100000", Some(&grid), None).await;
    assert!(page["items"].as_array().unwrap().is_empty());
    assert_eq!(fangkong::people::store::count_under(&db, &fangkong_rules::Scope::everything(), &code("430400")).await.unwrap(), 0);
}

#[tokio::test]
async fn login_is_throttled_per_account_with_429() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    for _ in 0..5 {
        let (status, _) = app.json("POST", "/api/v1/auth/token", None, Some(json!({"username": "admin", "password": "wrong-password"}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, e) = app.json("POST", "/api/v1/auth/token", None, Some(json!({"username": "admin", "password": PASSWORD}))).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    let (status, _) = app.json("POST", "/api/v1/auth/token", None, Some(json!({"username": "city_commander", "password": PASSWORD}))).await;
    assert_eq!(status, StatusCode::OK, "another account from the same address still signs in");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let db = sqlite_only().await;
    let app = App::new(db).await;
    let (status, doc) = app.json("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/persons",
        "/api/v1/persons/{id}",
        "/api/v1/persons/duplicates",
        "/api/v1/orgs",
        "/api/v1/orgs/{code}",
        "/api/v1/households",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/audit",
        "/api/v1/directives",
        "/api/v1/directives/{id}/attachments/{attachment}",
        "/api/v1/reports/daily",
        "/api/v1/dashboard",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["PersonInput"].is_object());
    // The shared error answers are declared once and attached where they can happen.
    let person = &doc["paths"]["/api/v1/persons/{id}"]["get"]["responses"];
    for status in ["400", "401", "403", "404"] {
        assert!(person[status].is_object(), "GET /persons/{{id}} lacks {status}: {person}");
    }
    assert_eq!(doc["paths"]["/api/v1/self-report/{token}"]["get"]["responses"]["401"], serde_json::Value::Null, "a public link needs no token");
    assert_eq!(doc["components"]["responses"]["Invalid"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody");
    assert_eq!(app.json("GET", "/healthz", None, None).await.0, StatusCode::OK);
}
