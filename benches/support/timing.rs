//! Server-side timing of pages and API calls through the whole router in process, one request at a
//! time (no queueing), and the printed line with p50, p99 and max.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::time::Instant;
use tower::ServiceExt;

/// Prints `label` with the percentiles of the latencies (µs).
pub fn line(label: &str, mut micros: Vec<u32>) {
    micros.sort_unstable();
    let (p50, p99, max) = super::percentiles(&micros);
    println!("  {label:<58} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   max {max:>7.2} ms");
}

/// `requests` sequential GETs of `uri` with a bearer `token`, each checked to answer 200.
pub async fn get_times(app: &axum::Router, uri: &str, token: &str, requests: usize) -> Vec<u32> {
    try_get_times(app, uri, token, requests).await.unwrap_or_else(|(status, body)| panic!("{uri}: {status} {body}"))
}

/// `requests` sequential GETs of `uri` with a bearer `token`: their latencies (µs), or the first
/// answer that was not 200 with its body.
pub async fn try_get_times(app: &axum::Router, uri: &str, token: &str, requests: usize) -> Result<Vec<u32>, (StatusCode, String)> {
    let mut micros = Vec::with_capacity(requests);
    for _ in 0..requests {
        let request = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        let started = Instant::now();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        micros.push(started.elapsed().as_micros() as u32);
        if status != StatusCode::OK {
            return Err((status, String::from_utf8_lossy(&body).into_owned()));
        }
    }
    Ok(micros)
}

/// One GET of `uri` as JSON (its status checked to be 200).
pub async fn get_json(app: &axum::Router, uri: &str, token: &str) -> serde_json::Value {
    let request = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    serde_json::from_slice(&axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()).unwrap()
}

/// Times `requests` sequential runs of `f` (µs).
pub async fn times<F: std::future::Future<Output = ()>>(requests: usize, mut f: impl FnMut() -> F) -> Vec<u32> {
    let mut micros = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        f().await;
        micros.push(started.elapsed().as_micros() as u32);
    }
    micros
}

/// A bearer token for a demo account.
pub async fn token_for(state: &fangkong::web::AppState, account: &str) -> (String, fangkong_rules::OrgCode) {
    let user = fangkong::auth::store::find_for_login(&state.db, account).await.unwrap().expect("demo account").0;
    let token = fangkong::auth::sessions::create(&state.db, user.id, fangkong::auth::sessions::SessionKind::Api, &state.settings.lifetimes).await.unwrap().token;
    (token, user.org_code)
}

/// The generated city with the app over it, for a benchmark's body.
pub struct CityBench {
    pub city: super::city::City,
    pub state: fangkong::web::AppState,
    pub app: axum::Router,
    /// Sequential requests per printed line (`--requests`).
    pub requests: usize,
}

/// Runs `body` on the generated city (`--regenerate` to rebuild it; `--postgres URL` to run on its
/// copy in PostgreSQL) after printing `title` and the router's floor (`GET /healthz`).
pub fn on_city<F: std::future::Future<Output = ()>>(default_requests: usize, title: &str, body: impl FnOnce(CityBench) -> F) {
    let requests: usize = super::arg("--requests").and_then(|s| s.parse().ok()).unwrap_or(default_requests);
    let regenerate = std::env::args().any(|a| a == "--regenerate");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let mut city = super::city::open(regenerate).await;
        if let Some(url) = super::arg("--postgres") {
            city = city.on_postgres(&url).await;
        }
        let state = fangkong::web::AppState::new(city.db.clone(), fangkong::web::Settings::new().unwrap());
        let app = fangkong::web::router(state.clone());
        println!("{title}, {}, {requests} sequential requests per line", city.backend());
        line("GET /healthz (router floor)", get_times(&app, "/healthz", "", requests).await);
        body(CityBench { city, state, app, requests }).await;
    });
}
