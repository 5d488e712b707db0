//! The HTTP server: JSON API under `/api/v1`, server-rendered pages, embedded assets.

pub mod assets;
pub mod client;
pub mod csrf;
pub mod forms;
pub mod i18n;
pub mod json;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod text;
pub mod when;

use crate::auth::{sessions::Lifetimes, throttle::Limits};
use crate::db::Db;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// What every response says about how a browser may use it: scripts and styles from this server
/// only (none inline), never inside a frame, no `Referer` sent onward (a self-report link is a
/// capability, and so will be a pass code), no guessing of content types.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
];

/// The answer to a request refused before its body was read: the connection is closed after it
/// (the unread body would otherwise be taken for the next request), and says so.
pub fn refuse_unread(error: crate::error::AppError) -> axum::response::Response {
    let mut response = axum::response::IntoResponse::into_response(error);
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

/// A feature module as the server mounts it: its API and its pages, each from the feature's
/// `mod.rs` (`api()`, `pages()`). A new feature is one line here.
pub struct Feature {
    pub api: fn() -> utoipa_axum::router::OpenApiRouter<AppState>,
    pub pages: fn() -> Router<AppState>,
}

/// Every feature, in one list.
pub const FEATURES: [Feature; 13] = [
    Feature { api: crate::auth::api, pages: crate::auth::pages },
    Feature { api: crate::org::api, pages: crate::org::pages },
    Feature { api: crate::people::api, pages: crate::people::pages },
    Feature { api: crate::audit::api, pages: crate::audit::pages },
    Feature { api: crate::screening::api, pages: crate::screening::pages },
    Feature { api: crate::observation::api, pages: crate::observation::pages },
    Feature { api: crate::ledger_io::api, pages: crate::ledger_io::pages },
    Feature { api: crate::cases::api, pages: crate::cases::pages },
    Feature { api: crate::reports::api, pages: crate::reports::pages },
    Feature { api: crate::command::api, pages: crate::command::pages },
    Feature { api: crate::sanitation::api, pages: crate::sanitation::pages },
    Feature { api: crate::checkpoints::api, pages: crate::checkpoints::pages },
    Feature { api: crate::help::api, pages: crate::help::pages },
];

/// Request bodies above this size answer 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Settings {
    pub lifetimes: Lifetimes,
    pub login_limits: Limits,
    /// Mark cookies `Secure` even without `X-Forwarded-Proto: https` (when TLS ends elsewhere without that header).
    pub always_secure_cookies: bool,
    /// A real Argon2 hash of nothing, verified against when an account does not exist.
    pub dummy_hash: String,
    /// How long a request's database work may take before it answers 503 (`db::STATEMENT_TIMEOUT`).
    pub statement_timeout: std::time::Duration,
}

impl Settings {
    pub fn new() -> anyhow::Result<Settings> {
        Ok(Settings {
            lifetimes: Lifetimes::default(),
            login_limits: Limits::default(),
            always_secure_cookies: false,
            dummy_hash: crate::auth::password::hash(&crate::auth::sessions::random_token())?,
            statement_timeout: crate::db::STATEMENT_TIMEOUT,
        })
    }
}

#[derive(Clone)]
pub struct AppState {
    /// The pool requests use, each checkout's work limited to the statement timeout.
    pub db: Db,
    /// The small pool of lists and searches, timed as `db` is, so that paging through the
    /// registry never takes the connections the dashboards and today lists need (`Db::for_lists`).
    pub lists: Db,
    /// The small pool of long work — exports, imports, the clock's sweeps — so that however many
    /// run, the requests' pool stays theirs (`Db::for_long_work`).
    pub long_work: Db,
    pub settings: Arc<Settings>,
    pub checkins: crate::observation::writer::CheckInWriter,
    /// The sanitation inspections' group commit (`sanitation::inspections::writer`).
    pub inspections: crate::sanitation::inspections::InspectionWriter,
    /// The screenings' group commit (`checkpoints::screenings::writer`).
    pub screenings: crate::checkpoints::screenings::ScreeningWriter,
    pub imports: crate::ledger_io::jobs::ImportJobs,
    /// Unit names for pages (`Chrome::unit`).
    pub unit_names: Arc<crate::org::names::UnitNames>,
}

impl AppState {
    /// The state of one server process; starts the check-in and inspection writers on the current runtime.
    pub fn new(db: Db, settings: Settings) -> AppState {
        let long_work = db.for_long_work();
        let lists = db.for_lists(settings.statement_timeout);
        let db = db.interactive(settings.statement_timeout);
        let checkins = crate::observation::writer::CheckInWriter::spawn(db.clone());
        let inspections = crate::sanitation::inspections::writer(db.clone());
        let screenings = crate::checkpoints::screenings::writer(db.clone());
        AppState { db, lists, long_work, settings: Arc::new(settings), checkins, inspections, screenings, imports: Default::default(), unit_names: Default::default() }
    }
}

/// The whole application: API, pages, assets, health check.
pub fn router(state: AppState) -> Router {
    let (api, _) = openapi::api_router().split_for_parts();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/openapi.json", get(openapi::serve))
        .merge(
            api.layer(axum::middleware::from_fn_with_state(state.clone(), csrf::token_header))
                .layer(axum::middleware::from_fn(csrf::same_origin))
                .layer(axum::middleware::from_fn(text::guard_uri))
                .layer(axum::middleware::from_fn(json::json_errors)),
        )
        .merge(pages::router())
        .merge(assets::router())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(client::remember_client_addr))
        .layer(axum::middleware::from_fn(security_headers))
        // Spans name the route's pattern (`/api/v1/self-report/{token}`), never its values: a path
        // can hold a capability token, a query string an ID or phone number being searched.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let route = request.extensions().get::<axum::extract::MatchedPath>().map_or("(no route)", |p| p.as_str());
            tracing::info_span!("request", method = %request.method(), route = %route)
        }))
        .with_state(state)
}

async fn security_headers(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut response = next.run(request).await;
    for (name, value) in SECURITY_HEADERS {
        response.headers_mut().entry(name).or_insert(axum::http::HeaderValue::from_static(value));
    }
    response
}

/// Serves until Ctrl-C / SIGTERM, raising the clock's alerts once a minute meanwhile.
pub async fn serve(state: AppState, listen: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    crate::observation::sweep::spawn(state.long_work.clone());
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.ok() };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
