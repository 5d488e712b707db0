//! The daily report and the dashboard at city scale (the generated city of `support/city.rs`: 7,000,000 persons,
//! 500,000 under observation, about 10,000,000 check-ins, 600,000 key persons, 10,000 cases,
//! 100,000 close contacts), on SQLite, timed server side through the whole router in process, one
//! request at a time — for the city, a county, a township and a grid. Beside each: the storage
//! function alone, `GET /healthz` as the router's floor, and the raw version — the same headline
//! figures counted straight from the ledgers, which is what the roll-up counts save. Then
//! `report verify` over the whole city.
//!
//! Targets: the report and the dashboard data of any unit p99 ≤ 10 ms; `report verify` ≤ 10 s.
//!
//! `cargo bench --bench daily_report -- [--requests 1000] [--regenerate] [--verify-only]`

use fangkong::reports::{daily, dashboard};
use fangkong_rules::{OrgCode, Scope};
use std::time::Instant;
use support::timing::{CityBench, get_times, line, times, token_for};

mod support;

/// The headline figures of a unit's report counted directly from the ledgers on `day`.
async fn raw_figures(db: &fangkong::db::Db, unit: &OrgCode, day: time::Date) -> Vec<i64> {
    let (low, high) = Scope::of(unit).bounds();
    let sql = "select \
        (select count(*) from key_persons where org_code >= $1 and org_code < $2), \
        (select count(*) from households where org_code >= $1 and org_code < $2), \
        (select count(*) from households where org_code >= $1 and org_code < $2 and last_visit_date is not null), \
        (select count(*) from observation_episodes where org_code >= $1 and org_code < $2 and start_date <= $3 and (end_date is null or end_date > $3)), \
        (select count(distinct episode_id) from check_ins where org_code >= $1 and org_code < $2 and day = $3), \
        (select count(*) from alerts where org_code >= $1 and org_code < $2 and kind = 'fever' and day = $3), \
        (select count(*) from life_needs where org_code >= $1 and org_code < $2 and status <> 'done'), \
        (select count(*) from case_transitions t join cases c on c.id = t.case_id where c.org_code >= $1 and c.org_code < $2 and t.to_status = 'confirmed'), \
        (select count(*) from follow_ups where org_code >= $1 and org_code < $2 and due_date < $3 and done_at is null), \
        (select count(*) from contacts where org_code >= $1 and org_code < $2 and status = 'observing' and last_exposure_date >= $4)";
    let row = fangkong::on_db!(db, pool => sqlx::query_as::<DB, (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)>(sql)
        .bind(&low).bind(&high).bind(day).bind(day - time::Duration::days(13)).fetch_one(pool).await)
    .unwrap();
    vec![row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9]
}

fn main() {
    support::timing::on_city(1000, "daily report at city scale", |CityBench { city, state, app, requests }| async move {
        let db = city.db.clone();
        let today = fangkong::clock::today();
        let accounts: &[(&str, &str)] =
            if std::env::args().any(|a| a == "--verify-only") { &[] } else { &[("city", "city commander"), ("leiyang", "county commander"), ("caiziqi", "township officer"), ("grid", "grid worker")] };
        for &(account, what) in accounts {
            let (token, home) = token_for(&state, account).await;
            let report = daily::report(&db, &Scope::of(&home), &home, today).await.unwrap().unwrap();
            let value = |code: &str| report.figure(code).map(|f| f.shown()).unwrap_or_default();
            println!(
                "{what} ({account}, {home}): {} key persons, {} under observation, {} reported today ({}), {} fevers, {} confirmed in all, {} child units",
                value("key_persons_total"),
                value("observing"),
                value("reported"),
                value("report_rate"),
                value("fevers"),
                value("total_confirmed"),
                report.units.len()
            );
            let raw = times(requests, || async {
                daily::report(&db, &Scope::of(&home), &home, today).await.unwrap().unwrap();
            })
            .await;
            line("  storage function daily::report (queries only)", raw);
            line("  GET /api/v1/reports/daily (JSON)", get_times(&app, "/api/v1/reports/daily", &token, requests).await);
            line("  GET /reports/daily (page)", get_times(&app, "/reports/daily", &token, requests).await);
            let board = times(requests, || async {
                dashboard::dashboard(&db, &Scope::of(&home), &home, today, fangkong::db::now_micros(), fangkong::web::i18n::Lang::Zh).await.unwrap().unwrap();
            })
            .await;
            line("  storage function dashboard::dashboard (queries only)", board);
            line("  GET /api/v1/dashboard (JSON)", get_times(&app, "/api/v1/dashboard", &token, requests).await);
            line("  GET /dashboard (page)", get_times(&app, "/dashboard", &token, requests).await);
            let runs = if home.as_str().len() > 9 { requests.min(100) } else { 3 };
            let direct = times(runs, || async {
                raw_figures(&db, &home, today).await;
            })
            .await;
            line(&format!("  raw: 10 headline figures counted from the ledgers ({runs} runs)"), direct);
        }
        let started = Instant::now();
        let drift = fangkong::counts::verify(&db).await.unwrap();
        println!("report verify over the whole city: {} drifted counts in {:.1} s (target ≤ 10 s)", drift.len(), started.elapsed().as_secs_f64());
    });
}
