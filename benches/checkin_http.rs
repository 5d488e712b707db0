//! Resident check-in over HTTP, durable on SQLite (or on PostgreSQL with `--postgres URL`): the product's self-report endpoint
//! (`POST /api/v1/self-report/{token}`: link look-up, validation, idempotency, per-link rate limit,
//! fever alerts, audit, group commit with `synchronous = FULL`) under a bounded load from 127.0.0.1,
//! beside two ceilings measured in the same run on the same server runtime:
//! - the HTTP stack alone (`GET /healthz`, no database), which bounds what the load generator and
//!   server can exchange on this machine;
//! - a minimal insert-only endpoint (parse the JSON, insert one row, group commit).
//!
//! Target: ≥ 10,000 check-ins/s with p99 ≤ 50 ms.
//!
//! `cargo bench --bench checkin_http -- [--seconds 10] [--connections 64] [--episodes 30000] [--postgres URL]`
//!
//! On PostgreSQL the benchmark makes its own database, `fk_bench_checkin`, on the server at URL.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use fangkong::db::{Db, now_micros};
use fangkong::observation::Kind;
use fangkong::observation::episodes::NewRow;
use fangkong::on_db;
use std::net::SocketAddr;
use std::time::Duration;
use support::{arg, load, percentiles};
use tokio::sync::{mpsc, oneshot};

mod support;

type MinimalJob = (String, i64, String, oneshot::Sender<i64>);

/// Puts every seeded person under home observation (through the store, as a form would) and
/// returns their self-report link tokens.
async fn seed_episodes(db: &Db) -> Vec<String> {
    let start = fangkong::clock::today() - time::Duration::days(3);
    on_db!(db, pool => {
        let persons: Vec<(i64, String)> = sqlx::query_as::<DB, (i64, String)>("select id, org_code from persons order by id").fetch_all(pool).await.unwrap();
        let rule_set = sqlx::query_scalar::<DB, i64>("select min(id) from rule_sets").fetch_one(pool).await.unwrap();
        let rows: Vec<NewRow> = persons.iter().map(|(id, unit)| NewRow { person_id: *id, org_code: unit, kind: Kind::Home, site_id: None, start_date: start, period_days: 14, rule_set_id: rule_set }).collect();
        let mut tx = pool.begin().await.unwrap();
        let mut tally = fangkong::counts::Tally::default();
        fangkong::observation::episodes::insert_many(&mut *tx, None, now_micros(), &rows, &mut tally).await.unwrap();
        fangkong::counts::write(&mut *tx, &tally).await.unwrap();
        tx.commit().await.unwrap();
        sqlx::query_scalar::<DB, String>("select report_token from observation_episodes order by id").fetch_all(pool).await.unwrap()
    })
}

#[derive(serde::Deserialize)]
struct MinimalInput {
    temperature: String,
    idempotency_key: String,
}

async fn minimal_handler(State(jobs): State<mpsc::Sender<MinimalJob>>, Path(token): Path<String>, Json(input): Json<MinimalInput>) -> (StatusCode, Json<serde_json::Value>) {
    let tenths = (input.temperature.parse::<f64>().unwrap_or(0.0) * 10.0).round() as i64;
    let (reply, answer) = oneshot::channel();
    jobs.send((token, tenths, input.idempotency_key, reply)).await.unwrap();
    (StatusCode::CREATED, Json(serde_json::json!({ "id": answer.await.unwrap() })))
}

/// The minimal endpoint's writer: one insert per request, one transaction per waiting batch.
async fn minimal_writer(db: Db, mut jobs: mpsc::Receiver<MinimalJob>) {
    let mut batch = Vec::new();
    while jobs.recv_many(&mut batch, 256).await > 0 {
        let ids = on_db!(&db, pool => {
            let mut tx = pool.begin().await.unwrap();
            let mut ids = Vec::with_capacity(batch.len());
            for (token, tenths, key, _) in &batch {
                ids.push(
                    sqlx::query_scalar::<DB, i64>("insert into bench_minimal (token, temperature_tenths, idempotency_key, at) values ($1, $2, $3, $4) returning id")
                        .bind(token)
                        .bind(tenths)
                        .bind(key)
                        .bind(now_micros())
                        .fetch_one(&mut *tx)
                        .await
                        .unwrap(),
                );
            }
            tx.commit().await.unwrap();
            ids
        });
        for ((.., reply), id) in batch.drain(..).zip(ids) {
            let _ = reply.send(id);
        }
    }
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap() });
    addr
}

fn main() {
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(10);
    let connections: usize = arg("--connections").and_then(|s| s.parse().ok()).unwrap_or(64);
    let episodes: usize = arg("--episodes").and_then(|s| s.parse().ok()).unwrap_or(30_000);
    let dir = support::scratch_dir("checkin");
    // The server gets the machine's two cores; the load generator runs beside it on its own thread.
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (db, addrs, tokens) = server.block_on(async {
        let db = support::fresh_database(&dir, "fk_bench_checkin").await;
        db.migrate().await.unwrap();
        fangkong::org::store::seed_reference(&db).await.unwrap();
        fangkong::demo::load(&db, &dir, episodes, 7).await.unwrap();
        let tokens = seed_episodes(&db).await;
        let id = if matches!(db, Db::Sqlite(_)) { "integer primary key" } else { "bigint generated always as identity primary key" };
        let table = format!("create table bench_minimal (id {id}, token text not null, temperature_tenths bigint not null, idempotency_key text unique, at bigint not null)");
        on_db!(&db, pool => sqlx::query::<DB>(sqlx::AssertSqlSafe(table)).execute(pool).await.map(|_| ()).unwrap());
        let (jobs, queue) = mpsc::channel(1024);
        tokio::spawn(minimal_writer(db.clone(), queue));
        let minimal = Router::new().route("/minimal/{token}", axum::routing::post(minimal_handler)).with_state(jobs);
        let state = fangkong::web::AppState::new(db.clone(), fangkong::web::Settings::new().unwrap());
        let product = serve(fangkong::web::router(state)).await;
        (db, (product, serve(minimal).await), tokens)
    });
    let (product, minimal) = addrs;
    let tokens = std::sync::Arc::new(tokens);
    let warmup = Duration::from_secs(1);
    let measure = Duration::from_secs(seconds);
    let body = |c: usize, n: usize| {
        let temperature = if n % 100 == 7 { "37.8" } else { "36.6" };
        let slot = if n.is_multiple_of(2) { "am" } else { "pm" };
        format!(r#"{{"temperature":"{temperature}","slot":"{slot}","idempotency_key":"c{c}-{n}"}}"#)
    };
    let generator = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let durability = if matches!(db, Db::Sqlite(_)) { "SQLite, synchronous = FULL" } else { "PostgreSQL, synchronous_commit as the server has it" };
    println!("resident check-in over HTTP on {durability}: {connections} connections, {seconds} s measured after 1 s warm-up, {} links", tokens.len());
    let healthz = generator.block_on(load::run(product, connections, warmup, measure, |_, _| load::get("/healthz")));
    load::report("HTTP stack alone (GET /healthz, ceiling)", &healthz);
    let minimal_run = {
        let tokens = tokens.clone();
        generator.block_on(load::run(minimal, connections, warmup, measure, move |c, n| load::post_json(&format!("/minimal/{}", tokens[(c + n * connections) % tokens.len()]), &body(c, n))))
    };
    load::report("minimal insert-only endpoint (ceiling)", &minimal_run);
    let product_run = {
        let tokens = tokens.clone();
        generator.block_on(load::run(product, connections, warmup, measure, move |c, n| load::post_json(&format!("/api/v1/self-report/{}", tokens[(c + n * connections) % tokens.len()]), &body(c, n))))
    };
    load::report("product self-report check-in", &product_run);
    let (_, p99, _) = percentiles(&product_run.latencies);
    println!(
        "  ratio product / minimal: {:.2}; target ≥ 10,000 req/s with p99 ≤ 50 ms: {}",
        product_run.per_second() / minimal_run.per_second(),
        if product_run.per_second() >= 10_000.0 && p99 <= 50.0 && product_run.failures == 0 { "met" } else { "NOT met" }
    );
    let stored: i64 = server.block_on(async { on_db!(&db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from audit_log where action = 'checkin.create'").fetch_one(pool).await.unwrap()) });
    println!("  check-in reports written, warm-ups included (audit rows): {stored}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
