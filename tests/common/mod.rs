//! Test support: the databases every storage test runs on, a seeded jurisdiction, and an
//! in-process client for the router.
#![allow(dead_code)]

pub mod webdriver;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fangkong::audit::Actor;
use fangkong::auth::{Role, store as users};
use fangkong::db::{self, Db};
use fangkong::org::store::{self as org, ChildKind, NewHousehold};
use fangkong_rules::{OrgCode, Scope};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use tower::ServiceExt;

pub const PASSWORD: &str = "hengyang-2020";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name unique to this process and call.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn postgres_url() -> Option<String> {
    std::env::var("FANGKONG_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

/// `postgres://host/db?x` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((url, String::new()));
    let root = base.rsplit_once('/').map(|(r, _)| r).unwrap_or(base);
    format!("{root}/{name}{query}")
}

/// A fresh, empty PostgreSQL database for one test; CI sets the URL and fails if it is unreachable.
pub async fn fresh_postgres_url() -> Option<String> {
    let url = postgres_url()?;
    let admin = db::connect(&url).await.expect("FANGKONG_TEST_POSTGRES_URL is set but PostgreSQL is unreachable");
    let name = unique("fk_t");
    let Db::Postgres(pool) = &admin else { panic!("FANGKONG_TEST_POSTGRES_URL must be a postgres:// URL") };
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(pool).await.unwrap();
    admin.close().await;
    Some(with_database(&url, &name))
}

pub fn fresh_sqlite_url() -> String {
    format!("sqlite://{}", temp_dir("fk_sqlite").join("test.sqlite").display())
}

/// Opened, migrated databases with the reference tree: SQLite always, PostgreSQL when configured.
/// In CI (`CI=true`) PostgreSQL must be configured: a storage test never skips it silently there.
pub async fn backends() -> Vec<Db> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(!in_ci || postgres_url().is_some(), "CI=true but FANGKONG_TEST_POSTGRES_URL is not set: storage tests must run on PostgreSQL too");
    let mut urls = vec![fresh_sqlite_url()];
    urls.extend(fresh_postgres_url().await);
    let mut dbs = Vec::new();
    for url in urls {
        dbs.push(opened(&url).await);
    }
    dbs
}

/// A migrated SQLite database with the reference tree, for tests of what does not depend on the
/// database (pages, HTTP plumbing): it says so instead of making a PostgreSQL database it never uses.
pub async fn sqlite_only() -> Db {
    let db = opened(&fresh_sqlite_url()).await;
    eprintln!("-- running on sqlite only (the behaviour tested does not depend on the database)");
    db
}

/// How long one test may run and still run within one Beijing day.
const LONGEST_TEST_SECONDS: u64 = 180;

/// Holds a test that starts just before Beijing midnight (16:00 UTC) until the new day has begun.
/// The code under test reads the clock itself — a handler's "today", the day a count is filed
/// under, a deadline — so a run straddling midnight would compare what the test computed on one
/// day with what the code did on the next. Every storage and API test passes here as it opens its
/// database, so the today a test computes after that is the code's today for the rest of it.
pub fn within_one_day() {
    let now = time::OffsetDateTime::now_utc().to_offset(fangkong::clock::CHINA);
    let into_day = u64::from(now.hour()) * 3600 + u64::from(now.minute()) * 60 + u64::from(now.second());
    let left = 86_400 - into_day;
    if left < LONGEST_TEST_SECONDS {
        eprintln!("-- waiting {left} s for Beijing midnight, so that this test runs within one day");
        std::thread::sleep(std::time::Duration::from_secs(left + 1));
    }
}

async fn opened(url: &str) -> Db {
    within_one_day();
    let db = db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    org::seed_reference(&db).await.unwrap();
    eprintln!("-- running on {}", db.backend_name());
    db
}

pub fn actor() -> Actor {
    Actor::cli("test")
}

pub fn code(s: &str) -> OrgCode {
    OrgCode::parse(s).unwrap()
}

/// Units used across tests: a community and grid in 蔡子池街道 (耒阳市), a village and grid in 花桥镇 (衡南县).
pub const LEIYANG_GRID: &str = "430481001001001";
pub const HENGNAN_GRID: &str = "430422107200001";

/// Creates the two grids and one household in each; returns the household ids (Leiyang, Hengnan).
pub async fn seed_area(db: &Db) -> (i64, i64) {
    let all = Scope::everything();
    org::create_child(db, &actor(), &all, &code("430481001"), ChildKind::Community, "金南社区").await.unwrap();
    org::create_child(db, &actor(), &all, &code("430481001001"), ChildKind::Grid, "第一网格").await.unwrap();
    org::create_child(db, &actor(), &all, &code("430422107"), ChildKind::Village, "川口村").await.unwrap();
    org::create_child(db, &actor(), &all, &code("430422107200"), ChildKind::Grid, "第一网格").await.unwrap();
    let mut ids = Vec::new();
    for grid in [LEIYANG_GRID, HENGNAN_GRID] {
        let h = NewHousehold { org_code: code(grid), address: "测试路1号".into(), building: Some("1".into()), unit: Some("1".into()), room: Some("101".into()) };
        ids.push(org::create_household(db, &actor(), &all, h).await.unwrap().id);
    }
    (ids[0], ids[1])
}

/// One account per role in Leiyang (`<role>`), and a second set in Hengnan (`<role>_hn`).
pub const ROLE_HOMES: [(Role, &str, &str); 9] = [
    (Role::Admin, "430481", "430422"),
    (Role::CityCommander, "430400", "430400"),
    (Role::CountyCommander, "430481", "430422"),
    (Role::TownshipOfficer, "430481001", "430422107"),
    (Role::GridWorker, LEIYANG_GRID, HENGNAN_GRID),
    (Role::HospitalStaff, "430481", "430422"),
    (Role::CheckpointStaff, "430481001", "430422107"),
    (Role::EnterpriseContact, "430481001", "430422107"),
    (Role::SanitationInspector, "430481", "430422"),
];

pub async fn add_user(db: &Db, username: &str, role: Role, org_code: &str) -> i64 {
    let hash = fangkong::auth::password::hash(PASSWORD).unwrap();
    let new = users::NewUser { username: username.into(), display_name: username.into(), role, org_code: code(org_code), password_hash: hash };
    users::create(db, &actor(), &Scope::everything(), new).await.unwrap()
}

pub async fn seed_users(db: &Db) {
    for (role, leiyang, hengnan) in ROLE_HOMES {
        add_user(db, role.as_str(), role, leiyang).await;
        add_user(db, &format!("{}_hn", role.as_str()), role, hengnan).await;
    }
}

/// A valid resident ID with the given area code and sequence, for generating many distinct persons.
pub fn resident_id(area: &str, seq: u32) -> String {
    let first17 = format!("{area}1985{:02}{:02}{:03}", 1 + seq % 12, 1 + seq % 28, seq % 1000);
    format!("{first17}{}", fangkong_rules::resident_id::check_char(first17.as_bytes()))
}

/// The router in process, with a helper for JSON requests.
pub struct App {
    pub db: Db,
    pub router: axum::Router,
}

impl App {
    pub async fn new(db: Db) -> App {
        let settings = fangkong::web::Settings::new().unwrap();
        let state = fangkong::web::AppState::new(db.clone(), settings);
        App { router: fangkong::web::router(state), db }
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap().to_vec();
        (status, headers, body)
    }

    /// A JSON request; `token` adds a bearer header. Returns the status and the parsed body (Null if not JSON).
    pub async fn json(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
        }
        let request = match body {
            Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        let (status, _, bytes) = self.send(request).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub async fn token(&self, username: &str) -> String {
        let (status, body) = self.json("POST", "/api/v1/auth/token", None, Some(serde_json::json!({"username": username, "password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }
}

pub fn person_json(name: &str, id_number: &str, org_code: &str) -> Value {
    serde_json::json!({"name": name, "id_type": "resident_id", "id_number": id_number, "org_code": org_code})
}

/// The router over `db` with the test area and one account per role in each county.
pub async fn seeded_app(db: Db) -> App {
    seed_area(&db).await;
    seed_users(&db).await;
    App::new(db).await
}
