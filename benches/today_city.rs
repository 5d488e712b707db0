//! A grid worker's "today" page at city scale (7,000,000 persons, 500,000 under observation, about
//! 10,000,000 check-ins; see `support/city.rs`), on SQLite, timed server side: each request goes
//! through the whole router in process (session look-up, jurisdiction, the bounded queries,
//! rendering) one at a time, so the figure is the server's own time with no queueing. Beside it:
//! the same numbers from the storage function alone, and `GET /healthz` as the router's floor.
//! The township officer's and the county commander's pages are printed too (they list only
//! escalated alerts; the county's coverage line counts every household of the county).
//!
//! Last, the clock's alert sweep is timed on a copy of the city.
//!
//! Target: the grid worker's page p99 ≤ 20 ms.
//!
//! `cargo bench --bench today_city -- [--requests 2000] [--regenerate]`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fangkong::auth::sessions::{self, SessionKind};
use fangkong::observation::today;
use fangkong_rules::Scope;
use std::time::Instant;
use support::{arg, percentiles};
use tower::ServiceExt;

mod support;

fn line(label: &str, mut micros: Vec<u32>) {
    micros.sort_unstable();
    let (p50, p99, max) = percentiles(&micros);
    println!("  {label:<58} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   max {max:>7.2} ms");
}

/// The clock's alert sweep at city scale, on a copy of the city (it writes alerts): at 23:00 every
/// episode is due its evening report and none has sent one — the worst case.
async fn sweep_on_a_copy(city: support::city::City) {
    city.db.close().await;
    let copy = support::scratch_dir("city-sweep");
    std::fs::create_dir_all(&copy).unwrap();
    for file in ["fangkong.sqlite", "fangkong.sqlite-wal"] {
        if city.dir.join(file).exists() {
            std::fs::copy(city.dir.join(file), copy.join(file)).unwrap();
        }
    }
    let db = fangkong::db::connect(&fangkong::db::database_url_for(None, &copy)).await.unwrap();
    let started = Instant::now();
    let swept = fangkong::observation::sweep::run(&db, fangkong::clock::today(), 23, fangkong::db::now_micros()).await.unwrap();
    let first = started.elapsed();
    let started = Instant::now();
    let again = fangkong::observation::sweep::run(&db, fangkong::clock::today(), 23, fangkong::db::now_micros()).await.unwrap();
    println!("clock sweep at 23:00 (copy of the city): {} missed-report, {} revisit, {} request alerts raised in {:.1} s; the next minute's sweep {:.0} ms ({} raised)",
        swept.missed_reports, swept.overdue_visits, swept.overdue_needs, first.as_secs_f64(), started.elapsed().as_secs_f64() * 1000.0,
        again.missed_reports + again.overdue_visits + again.overdue_needs);
    db.close().await;
    let _ = std::fs::remove_dir_all(&copy);
}

fn main() {
    let requests: usize = arg("--requests").and_then(|s| s.parse().ok()).unwrap_or(2000);
    let regenerate = std::env::args().any(|a| a == "--regenerate");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let city = support::city::open(regenerate).await;
        let db = city.db.clone();
        let state = fangkong::web::AppState::new(db.clone(), fangkong::web::Settings::new().unwrap());
        let app = fangkong::web::router(state.clone());
        let lifetimes = &state.settings.lifetimes;
        println!("today page at city scale, SQLite, {requests} sequential requests per line");
        let timed = |uri: &str, token: &str| {
            let (app, uri, token) = (app.clone(), uri.to_string(), token.to_string());
            async move {
                let mut micros = Vec::with_capacity(requests);
                for _ in 0..requests {
                    let request = Request::get(&uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
                    let started = Instant::now();
                    let response = app.clone().oneshot(request).await.unwrap();
                    let status = response.status();
                    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
                    micros.push(started.elapsed().as_micros() as u32);
                    assert_eq!(status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&body));
                }
                micros
            }
        };
        line("GET /healthz (router floor)", timed("/healthz", "").await);
        for (account, what) in [("grid", "grid worker"), ("caiziqi", "township officer"), ("leiyang", "county commander")] {
            let user = fangkong::auth::store::find_for_login(&db, account).await.unwrap().expect("demo account").0;
            let token = sessions::create(&db, user.id, SessionKind::Api, lifetimes).await.unwrap().token;
            let home = user.org_code.clone();
            let (scope, level) = (Scope::of(&home), home.level());
            let sample = today::today(&db, &scope, level, fangkong::clock::today(), fangkong::clock::hour()).await.unwrap();
            println!("{what} ({account}, {}): {} alerts, {} not reported, {} households to visit, {} open needs shown",
                user.org_code, sample.alerts.len(), sample.not_reported.len(), sample.households_to_visit.len(), sample.needs.len());
            let mut raw = Vec::with_capacity(requests);
            for _ in 0..requests {
                let started = Instant::now();
                today::today(&db, &scope, level, fangkong::clock::today(), fangkong::clock::hour()).await.unwrap();
                raw.push(started.elapsed().as_micros() as u32);
            }
            line("  storage function today::today (queries only)", raw);
            line("  GET /api/v1/today (JSON)", timed("/api/v1/today", &token).await);
            line("  GET /today (page)", timed("/today", &token).await);
        }
        sweep_on_a_copy(city).await;
    });
}
