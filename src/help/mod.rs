//! `/help`: a short page for each role — what to do each day, and what the words of the work mean
//! (六包一, 四早, the reporting time limits) — with the limits and thresholds read from the rules in
//! force today, so the page says what the system enforces. Linked from every page's header.

use crate::auth::{Caller, Role};
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/help", get(help_page))
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    chrome: Chrome,
    role: Role,
    observation: crate::observation::rules::RuleSet,
    cases: crate::cases::rules::CaseRuleSet,
}

impl HelpPage {
    fn is(&self, role: &str) -> bool {
        self.role.as_str() == role
    }
    fn fever(&self) -> String {
        self.observation.fever_threshold().to_string()
    }
}

async fn help_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    let today = crate::clock::today();
    let (observation, cases) = tokio::try_join!(crate::observation::rules::in_force(&state.db, today), crate::cases::rules::in_force(&state.db, today))?;
    let page = HelpPage { chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("帮助", "Help")).await?, role: caller.role, observation, cases };
    Ok(render(StatusCode::OK, &page))
}

/// Help has pages only.
pub fn api() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
}
