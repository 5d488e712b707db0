//! No request can starve the others: the requests' pool limits each checkout's work and answers
//! 503 "查询超时,请缩小范围" past it; lists and searches, and long work, each have their own pool,
//! so that neither can take the connections of the dashboards and the today lists.

mod common;

use axum::http::StatusCode;
use common::*;
use fangkong::db::Db;
use fangkong::error::AppError;
use std::time::{Duration, Instant};

/// A statement that runs for seconds on either database.
fn slow_statement(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "with recursive c(x) as (select 1 union all select x + 1 from c where x < 200000000) select count(*) from c",
        Db::Postgres(_) => "select count(*) from generate_series(1, 2000000000)",
    }
}

#[tokio::test]
async fn a_read_past_the_timeout_is_stopped_and_answers_503() {
    for db in backends().await {
        let interactive = db.interactive(Duration::from_millis(300));
        let started = Instant::now();
        let outcome = fangkong::on_db!(&interactive, pool => sqlx::query_scalar::<DB, i64>(slow_statement(&db)).fetch_one(pool).await);
        let err = outcome.expect_err("the slow statement is stopped");
        assert_eq!(fangkong::db::overload(&err), Some(fangkong::db::Overload::TimedOut), "{}: {err}", db.backend_name());
        assert!(started.elapsed() < Duration::from_secs(3), "{}: stopped after {:?}", db.backend_name(), started.elapsed());
        let answer = AppError::from(err);
        assert_eq!((answer.status(), answer.message()), (StatusCode::SERVICE_UNAVAILABLE, "查询超时,请缩小范围".to_string()));
        // Every connection taken afterwards starts its own clock: quick work goes on.
        for _ in 0..(fangkong::db::INTERACTIVE_CONNECTIONS * 2) {
            let n = fangkong::on_db!(&interactive, pool => sqlx::query_scalar::<DB, i64>("select count(*) from org_units").fetch_one(pool).await).unwrap();
            assert!(n > 100);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The command line's pool has no timeout: long work there runs to its end.
        let n = fangkong::on_db!(&db, pool => sqlx::query_scalar::<DB, i64>("with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) from c").fetch_one(pool).await).unwrap();
        assert_eq!(n, 3_000_000);
    }
}

#[tokio::test]
async fn a_timed_out_request_answers_503_with_what_to_do() {
    let db = sqlite_only().await;
    seed_area(&db).await;
    seed_users(&db).await;
    let mut settings = fangkong::web::Settings::new().unwrap();
    settings.statement_timeout = Duration::from_nanos(1);
    let state = fangkong::web::AppState::new(db.clone(), settings);
    let user = fangkong::auth::store::find_for_login(&db, "city_commander").await.unwrap().expect("seeded").0;
    let token = fangkong::auth::sessions::create(&db, user.id, fangkong::auth::sessions::SessionKind::Api, &state.settings.lifetimes).await.unwrap().token;
    let app = App { router: fangkong::web::router(state), db };
    // The city's daily report: thousands of steps of work, so past any timeout this short.
    let (status, body) = app.json("GET", "/api/v1/reports/daily?org=430400", Some(&token), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "timed_out");
    assert_eq!(body["error"]["message"], "查询超时,请缩小范围");
}

#[tokio::test]
async fn long_work_holding_all_its_connections_leaves_the_requests_theirs() {
    for db in backends().await {
        seed_area(&db).await;
        seed_users(&db).await;
        let state = fangkong::web::AppState::new(db.clone(), fangkong::web::Settings::new().unwrap());
        // Exports and imports take the long-work pool: here every one of its connections is busy.
        let mut held = Vec::new();
        for _ in 0..fangkong::db::LONG_WORK_CONNECTIONS {
            held.push(fangkong::on_db!(&state.long_work, pool => pool.acquire().await.map(|c| Box::new(c) as Box<dyn std::any::Any + Send>)).unwrap());
        }
        let app = App { router: fangkong::web::router(state.clone()), db: db.clone() };
        let token = app.token("county_commander").await;
        let started = Instant::now();
        for uri in ["/api/v1/dashboard", "/api/v1/today", "/api/v1/persons"] {
            let (status, body) = app.json("GET", uri, Some(&token), None).await;
            assert_eq!(status, StatusCode::OK, "{}: {uri} {body}", db.backend_name());
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{}: {:?}", db.backend_name(), started.elapsed());
        // And the long-work pool is indeed full: another piece of long work waits.
        let waited = tokio::time::timeout(Duration::from_millis(300), async { fangkong::on_db!(&state.long_work, pool => pool.acquire().await.map(|_| ())) }).await;
        assert!(waited.is_err(), "{}: the long-work pool had a free connection", db.backend_name());
        drop(held);
    }
}

#[tokio::test]
async fn lists_holding_all_their_connections_leave_the_dashboards_theirs() {
    for db in backends().await {
        seed_area(&db).await;
        seed_users(&db).await;
        let state = fangkong::web::AppState::new(db.clone(), fangkong::web::Settings::new().unwrap());
        let app = App { router: fangkong::web::router(state.clone()), db: db.clone() };
        let token = app.token("county_commander").await;
        // Searches and lists take the lists' pool: here every one of its connections is busy.
        let connections = fangkong::on_db!(&state.lists, pool => pool.options().get_max_connections());
        let mut held = Vec::new();
        for _ in 0..connections {
            held.push(fangkong::on_db!(&state.lists, pool => pool.acquire().await.map(|c| Box::new(c) as Box<dyn std::any::Any + Send>)).unwrap());
        }
        let started = Instant::now();
        for uri in ["/api/v1/dashboard", "/api/v1/today", "/api/v1/me"] {
            let (status, body) = app.json("GET", uri, Some(&token), None).await;
            assert_eq!(status, StatusCode::OK, "{}: {uri} {body}", db.backend_name());
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{}: {:?}", db.backend_name(), started.elapsed());
        // A search waits for a list connection, then says the system is busy: it changes nothing.
        let (status, body) = app.json("GET", "/api/v1/persons?q=%E6%9D%8E", Some(&token), None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{}: {body}", db.backend_name());
        assert_eq!(body["error"]["code"], "busy");
        drop(held);
        let (status, _) = app.json("GET", "/api/v1/persons?q=%E6%9D%8E", Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{}: the lists' pool is free again", db.backend_name());
    }
}
