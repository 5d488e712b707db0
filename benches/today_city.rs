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

use fangkong::observation::today;
use fangkong_rules::Scope;
use std::time::Instant;
use support::timing::{CityBench, get_times, line, times, token_for};

mod support;

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
    println!(
        "clock sweep at 23:00 (copy of the city): {} missed-report, {} revisit, {} request alerts raised in {:.1} s; the next minute's sweep {:.0} ms ({} raised)",
        swept.missed_reports,
        swept.overdue_visits,
        swept.overdue_needs,
        first.as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0,
        again.missed_reports + again.overdue_visits + again.overdue_needs
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&copy);
}

fn main() {
    support::timing::on_city(2000, "today page at city scale", |CityBench { city, state, app, requests }| async move {
        let db = city.db.clone();
        for (account, what) in [("grid", "grid worker"), ("caiziqi", "township officer"), ("leiyang", "county commander")] {
            let (token, home) = token_for(&state, account).await;
            let (scope, level) = (Scope::of(&home), home.level());
            let sample = today::today(&db, &scope, level, fangkong::clock::today(), fangkong::clock::hour()).await.unwrap();
            println!(
                "{what} ({account}, {home}): {} alerts, {} not reported, {} households to visit, {} open needs shown",
                sample.alerts.len(),
                sample.not_reported.len(),
                sample.households_to_visit.len(),
                sample.needs.len()
            );
            let raw = times(requests, || async {
                today::today(&db, &scope, level, fangkong::clock::today(), fangkong::clock::hour()).await.unwrap();
            })
            .await;
            line("  storage function today::today (queries only)", raw);
            line("  GET /api/v1/today (JSON)", get_times(&app, "/api/v1/today", &token, requests).await);
            line("  GET /today (page)", get_times(&app, "/today", &token, requests).await);
        }
        if city.postgres.is_some() {
            println!("clock sweep at 23:00: timed on SQLite only (it needs a copy of the city to write on)");
        } else {
            sweep_on_a_copy(city).await;
        }
    });
}
