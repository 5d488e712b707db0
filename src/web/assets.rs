//! Static assets, embedded in the binary (field networks are poor; some deployments are offline).

use super::AppState;
use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const APP_CSS: &str = include_str!("../../assets/app.css");
const APP_JS: &str = include_str!("../../assets/app.js");
const DASHBOARD_JS: &str = include_str!("../../assets/dashboard.js");
const SCREENING_JS: &str = include_str!("../../assets/screening.js");
/// Apache ECharts 5.6.0 (line, bar and pie), vendored with its licence in `assets/vendor/`, served
/// gzipped (155 kB instead of 470 kB) to every browser that accepts it.
const ECHARTS_JS: &[u8] = include_bytes!("../../assets/vendor/echarts-5.6.0.simple.min.js");
const ECHARTS_JS_GZ: &[u8] = include_bytes!("../../assets/vendor/echarts-5.6.0.simple.min.js.gz");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/assets/dashboard.js", get(|| async { asset("text/javascript; charset=utf-8", DASHBOARD_JS) }))
        .route("/assets/screening.js", get(|| async { asset("text/javascript; charset=utf-8", SCREENING_JS) }))
        .route("/assets/vendor/echarts-5.6.0.simple.min.js", get(echarts))
}

/// The versioned library never changes under its name: cached for a year.
async fn echarts(headers: HeaderMap) -> Response {
    let gzip = headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("gzip"));
    let cache = (header::CACHE_CONTROL, "public, max-age=31536000, immutable");
    let kind = (header::CONTENT_TYPE, "text/javascript; charset=utf-8");
    if gzip {
        ([kind, cache, (header::CONTENT_ENCODING, "gzip"), (header::VARY, "Accept-Encoding")], ECHARTS_JS_GZ).into_response()
    } else {
        ([kind, cache, (header::VARY, "Accept-Encoding")], ECHARTS_JS).into_response()
    }
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
}
