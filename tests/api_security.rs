//! What an attacker or a careless client sends, through the router in process, on SQLite and
//! PostgreSQL: control characters, reused idempotency keys, floods through a resident's link.
//! docs/security.md names the threat each test stands for.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{Value, json};

/// A person of the Leiyang grid under home observation since today; returns their link's token.
async fn observed(app: &App, token: &str, id_number: &str) -> String {
    let (status, p) = app.json("POST", "/api/v1/persons", Some(token), Some(person_json("周返乡", id_number, LEIYANG_GRID))).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let start = json!({"person_id": p["id"], "kind": "home", "start_date": fangkong::clock::today().to_string()});
    let (status, episode) = app.json("POST", "/api/v1/observations", Some(token), Some(start)).await;
    assert_eq!(status, StatusCode::CREATED, "{episode}");
    episode["report_path"].as_str().unwrap().trim_start_matches("/r/").to_string()
}

fn field_of(body: &Value) -> Option<&str> {
    body["error"]["fields"][0]["field"].as_str()
}

async fn persons_named(app: &App, token: &str, name: &str) -> usize {
    let uri = format!("/api/v1/persons?q={}", fangkong::web::pages::urlencode(name));
    app.json("GET", &uri, Some(token), None).await.1["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn control_and_bidi_characters_are_refused_at_the_field_and_change_nothing() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let grid = app.token("grid_worker").await;
        let link = observed(&app, &grid, "43048119900101123X").await;

        // Without signing in: the token endpoint.
        let (status, body) = app.json("POST", "/api/v1/auth/token", None, Some(json!({"username": "grid\u{0}worker", "password": PASSWORD}))).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("username")), "{body}");
        assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("U+0000"));

        // A registration: NUL, an escape sequence, a right-to-left override, each named.
        for name in ["张\u{0}三", "张\u{1B}[2J三", "张\u{202E}三", "张\u{2067}三"] {
            let (status, body) = app.json("POST", "/api/v1/persons", Some(&grid), Some(person_json(name, "430481199001011237", LEIYANG_GRID))).await;
            assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "{name:?}: {body}");
        }
        let nested = json!({"person": {"name": "李四", "id_number": "x", "org_code": LEIYANG_GRID, "work_unit": "a\u{85}b"}, "exposure": "work", "last_exposure_date": "2020-02-01"});
        let (status, body) = app.json("POST", "/api/v1/cases/1/contacts", Some(&app.token("county_commander").await), Some(nested)).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("person.work_unit")), "{body}");
        assert_eq!(persons_named(&app, &grid, "张").await, 0, "nothing was registered");

        // The resident's link: the note is refused, a good report afterwards is taken.
        let (status, body) = app.json("POST", &format!("/api/v1/self-report/{link}"), None, Some(json!({"temperature": "36.5", "note": "x\u{0}y"}))).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{body}");
        let (status, body) = app.json("POST", &format!("/api/v1/self-report/{link}/needs"), None, Some(json!({"kind": "food", "detail": "米\u{202D}"}))).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("detail")), "{body}");
        let (status, _) = app.json("POST", &format!("/api/v1/self-report/{link}"), None, Some(json!({"temperature": "36.5", "note": "第一行\n第二行"}))).await;
        assert_eq!(status, StatusCode::CREATED, "tabs and line breaks are text");
        let flood = json!({"temperature": "36.5", "symptoms": vec!["cough"; 10_000]});
        let (status, body) = app.json("POST", &format!("/api/v1/self-report/{link}"), None, Some(flood)).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("symptoms")), "ten thousand symptoms: {body}");

        // Path and query, percent-encoded.
        let (status, body) = app.json("GET", "/api/v1/persons?q=%E5%BC%A0%00", Some(&grid), None).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")), "{body}");
        let (status, body) = app.json("GET", "/api/v1/orgs/430481%00", Some(&grid), None).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("path")), "{body}");
        let (status, _) = app.json("GET", &format!("/api/v1/self-report/{link}%E2%80%AE"), None, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = app.json("GET", "/api/v1/persons?q=%C0%80", Some(&grid), None).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")), "bytes that are not UTF-8: {body}");
        let (status, body) = app.json("POST", "/api/v1/persons", Some(&grid), Some(person_json("张\u{200B}三", "430481199001011237", LEIYANG_GRID))).await;
        assert_eq!((status, field_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "a zero-width space: {body}");
        let (_, body) = app.json("POST", "/api/v1/persons", Some(&grid), Some(json!({"na\u{202E}me": "x"}))).await;
        assert!(body.to_string().contains("naU+202Eme"), "a refused key is named without its character: {body}");
        let twice = format!(r#"{{"name":"张三","name":"李四","id_type":"resident_id","id_number":"430481199001011237","org_code":"{LEIYANG_GRID}"}}"#);
        let request = Request::post("/api/v1/persons").header("authorization", format!("Bearer {grid}")).header("content-type", "application/json").body(Body::from(twice)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST, "a key given twice is refused, not read as its last value");

        // A form post from the pages: the page names the field.
        let session = fangkong::auth::sessions::create(&db, user_id(&app, "grid_worker").await, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
        let form = format!("_csrf={}&address=%E8%B7%AF%00", session.csrf);
        let request = Request::post(format!("/orgs/{LEIYANG_GRID}/households"))
            .header("cookie", format!("fk_session={}", session.token))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap();
        let (status, _, page) = app.send(request).await;
        let page = String::from_utf8(page).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("address") && page.contains("U+0000"), "the page says which field: {page}");
        let form = format!("_csrf={}&address=%E8%B7%AF%FF", session.csrf);
        let request = Request::post(format!("/orgs/{LEIYANG_GRID}/households"))
            .header("cookie", format!("fk_session={}", session.token))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap();
        let (status, _, page) = app.send(request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "bytes that are not UTF-8 are not stored as U+FFFD");
        assert!(String::from_utf8(page).unwrap().contains("编码"));

        // A multipart file name with a control character: refused as malformed, not as too large.
        let body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\u{1}.csv\"\r\n\r\nx\r\n--b--\r\n",
            session.csrf
        );
        let request = Request::post("/imports").header("cookie", format!("fk_session={}", session.token)).header("content-type", "multipart/form-data; boundary=b").body(Body::from(body)).unwrap();
        let status = app.send(request).await.0;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");

        // Refused before its body was read, a request's connection is closed with the answer.
        let request = Request::post("/api/v1/orgs/%00").header("content-type", "application/json").body(Body::from("{}")).unwrap();
        assert_eq!(app.send(request).await.1["connection"], "close");
    }
}

async fn user_id(app: &App, username: &str) -> i64 {
    fangkong::auth::store::find_for_login(&app.db, username).await.unwrap().unwrap().0.id
}

#[tokio::test]
async fn a_link_sending_bad_reports_is_limited_like_one_sending_good_ones() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let grid = app.token("grid_worker").await;
        let link = observed(&app, &grid, "43048119900101123X").await;
        let uri = format!("/api/v1/self-report/{link}");
        let mut statuses = Vec::new();
        for i in 0..21 {
            let body = if i % 2 == 0 { json!({"temperature": "36.5", "note": "x\u{0}y"}) } else { json!({"temperature": "abc"}) };
            statuses.push(app.json("POST", &uri, None, Some(body)).await.0);
        }
        assert!(statuses[..20].iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY), "{statuses:?}");
        assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS, "the 21st report within the hour is refused");
        let (status, _) = app.json("POST", &uri, None, Some(json!({"temperature": "36.5"}))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "so is a good one: the link's allowance is spent");
        let request = Request::post(&uri).header("content-type", "application/json").body(Body::from("{not json")).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::TOO_MANY_REQUESTS, "and one that does not parse");
    }
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_submission_is_a_conflict() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let grid = app.token("grid_worker").await;
        let first = observed(&app, &grid, "43048119900101123X").await;
        let second = observed(&app, &grid, &resident_id("430481", 7)).await;
        let key = "3f1c2a9e-0000-4000-8000-000000000001";
        let report = |temp: &str| json!({"temperature": temp, "idempotency_key": key});
        let (status, one) = app.json("POST", &format!("/api/v1/self-report/{first}"), None, Some(report("36.5"))).await;
        assert_eq!(status, StatusCode::CREATED);
        // The same key through another resident's link: their fever is recorded and raises its alert.
        let (status, other) = app.json("POST", &format!("/api/v1/self-report/{second}"), None, Some(report("39.2"))).await;
        assert_eq!((status, other["duplicate"].as_bool(), other["alerts"][0].as_str()), (StatusCode::CREATED, Some(false), Some("fever")), "{other}");
        assert_ne!(one["check_in_id"], other["check_in_id"]);
        let (status, again) = app.json("POST", &format!("/api/v1/self-report/{first}"), None, Some(report("36.5"))).await;
        assert_eq!((status, &again["check_in_id"]), (StatusCode::OK, &one["check_in_id"]));
        let (status, body) = app.json("POST", &format!("/api/v1/self-report/{first}"), None, Some(report("38.5"))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{body}");
        let (_, alerts) = app.json("GET", "/api/v1/alerts", Some(&grid), None).await;
        assert_eq!(alerts.as_array().unwrap().len(), 1, "one fever, the second resident's: {alerts}");

        // Needs through the link, the same way.
        let need = json!({"kind": "medicine", "detail": "退烧药", "idempotency_key": key});
        let (status, asked) = app.json("POST", &format!("/api/v1/self-report/{first}/needs"), None, Some(need.clone())).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, again) = app.json("POST", &format!("/api/v1/self-report/{first}/needs"), None, Some(need)).await;
        assert_eq!((status, &again["id"]), (StatusCode::OK, &asked["id"]));
        let other_need = json!({"kind": "food", "idempotency_key": key});
        assert_eq!(app.json("POST", &format!("/api/v1/self-report/{first}/needs"), None, Some(other_need)).await.0, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn a_hundred_guesses_at_once_get_at_most_five_passwords_checked() {
    use tower::ServiceExt;
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let guesses = (0..100).map(|i| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let body = json!({"username": "grid_worker", "password": format!("guess-{i}")}).to_string();
                let request = Request::post("/api/v1/auth/token").header("content-type", "application/json").body(Body::from(body)).unwrap();
                router.oneshot(request).await.unwrap().status()
            })
        });
        let mut statuses = Vec::new();
        for guess in guesses.collect::<Vec<_>>() {
            statuses.push(guess.await.unwrap());
        }
        let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
        assert!(checked <= 5, "{checked} passwords checked on {}", db.backend_name());
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 100 - checked);
        let (status, _) = app.json("POST", "/api/v1/auth/token", None, Some(json!({"username": "grid_worker", "password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the right password waits out the window too");
    }
}

#[tokio::test]
async fn every_error_under_the_api_answers_the_json_error_shape() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    let grid = app.token("grid_worker").await;
    for (method, path, status, code) in [
        ("GET", "/api/v1/persons/abc", StatusCode::BAD_REQUEST, "bad_request"),
        ("GET", "/api/v1/persons?limit=many", StatusCode::BAD_REQUEST, "bad_request"),
        ("GET", "/api/v1/transfers/x/accept", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("DELETE", "/api/v1/persons", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("GET", "/api/v1/no-such-thing", StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/api", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let request = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {grid}")).body(Body::empty()).unwrap();
        let (got, headers, body) = app.send(request).await;
        let body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {}", String::from_utf8_lossy(&body)));
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{method} {path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
        if got == StatusCode::METHOD_NOT_ALLOWED {
            assert!(headers.contains_key("allow"), "{path}: the methods it takes are still said");
        }
    }
    let (status, headers, page) = app.send(Request::get("/no-such-page").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html") && String::from_utf8(page).unwrap().contains("页面不存在"));
    // A page's path that does not parse gets the error page too, in the platform's words.
    let session = fangkong::auth::sessions::create(&app.db, user_id(&app, "grid_worker").await, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
    let (status, headers, page) = app.send(Request::get("/persons/abc").header("cookie", format!("fk_session={}", session.token)).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html") && String::from_utf8(page).unwrap().contains("请求有误"));
}
