//! The case board at city scale (the generated city of `support/city.rs`: 10,000 cases with their
//! samples, hospital stays and follow-ups, 100,000 close contacts, among 7,000,000 persons), on
//! SQLite, timed server side through the whole router in process, one request at a time. Beside
//! each: the storage function alone, and `GET /healthz` as the router's floor. The case list and
//! a county's contact list are timed too.
//!
//! Target: the city's board p99 ≤ 20 ms.
//!
//! `cargo bench --bench case_board -- [--requests 1000] [--regenerate]`

use fangkong::cases::board;
use fangkong_rules::Scope;
use support::timing::{CityBench, get_times, line, times, token_for};

mod support;

fn main() {
    support::timing::on_city(1000, "case board at city scale", |CityBench { city, state, app, requests }| async move {
        let db = city.db.clone();
        for (account, what) in [("city", "city commander"), ("leiyang", "county commander")] {
            let (token, home) = token_for(&state, account).await;
            let sample = board::board(&db, &Scope::of(&home), &home, fangkong::clock::today(), fangkong::db::now_micros()).await.unwrap().unwrap();
            let cases: i64 = sample.cases.iter().map(|c| c.count).sum();
            println!("{what} ({account}, {home}): {cases} cases, {} contacts in their period, {} overdue clocks, {} child units", sample.contacts_in_period, sample.overdue_total, sample.units.len());
            let raw = times(requests, || async {
                board::board(&db, &Scope::of(&home), &home, fangkong::clock::today(), fangkong::db::now_micros()).await.unwrap().unwrap();
            })
            .await;
            line("  storage function board::board (queries only)", raw);
            line("  GET /api/v1/cases/board (JSON)", get_times(&app, "/api/v1/cases/board", &token, requests).await);
            line("  GET /cases/board (page)", get_times(&app, "/cases/board", &token, requests).await);
            line("  GET /api/v1/cases?limit=100 (newest cases with clocks)", get_times(&app, "/api/v1/cases?limit=100", &token, requests).await);
            line("  GET /api/v1/contacts?limit=100", get_times(&app, "/api/v1/contacts?limit=100", &token, requests).await);
        }
    });
}
