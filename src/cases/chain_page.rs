//! `/cases/chains`: the transmission-chain clusters drawn as SVG, generations top to bottom, and
//! `GET /api/v1/cases/chains` with the same graph as data.

use super::chain::{self, Chains, Cluster, Node};
use crate::auth::{Caller, Permission};
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

const COLUMN: usize = 150;
const ROW: usize = 100;
const MARGIN: usize = 70;

/// A cluster placed on a canvas.
pub struct Drawing<'a> {
    pub width: usize,
    pub height: usize,
    /// `(x, y, node)` of each node's centre.
    pub nodes: Vec<(usize, usize, &'a Node)>,
    /// `(x1, y1, x2, y2)`: from the source's centre toward the infected case's.
    pub edges: Vec<(usize, usize, usize, usize)>,
}

/// Generations as rows, the cases of a generation side by side.
pub fn draw(cluster: &Cluster) -> Drawing<'_> {
    let mut per_row: Vec<usize> = Vec::new();
    let mut places = Vec::with_capacity(cluster.nodes.len());
    for node in &cluster.nodes {
        if per_row.len() <= node.generation {
            per_row.resize(node.generation + 1, 0);
        }
        places.push((MARGIN + per_row[node.generation] * COLUMN, MARGIN / 2 + 10 + node.generation * ROW));
        per_row[node.generation] += 1;
    }
    let widest = per_row.iter().copied().max().unwrap_or(1);
    Drawing {
        width: MARGIN * 2 + (widest - 1) * COLUMN,
        height: MARGIN + per_row.len() * ROW,
        nodes: cluster.nodes.iter().zip(&places).map(|(n, (x, y))| (*x, *y, n)).collect(),
        edges: cluster.edges.iter().map(|(f, t)| (places[*f].0, places[*f].1 + 22, places[*t].0, places[*t].1 - 22)).collect(),
    }
}

#[derive(Template)]
#[template(path = "cases/chains.html")]
struct ChainsPage<'a> {
    chrome: Chrome,
    chains: &'a Chains,
    drawings: Vec<Drawing<'a>>,
}

impl ChainsPage<'_> {
    /// The fill of a node by status.
    fn colour(&self, node: &Node) -> &'static str {
        match node.status.as_str() {
            "confirmed" => "#c62828",
            "suspected" => "#ef8f00",
            "asymptomatic" => "#8e24aa",
            "discharged" => "#2e7d32",
            "deceased" => "#424242",
            _ => "#9e9e9e",
        }
    }
}

pub async fn chains_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let chains = chain::chains(&state.db, &caller.scope).await?;
    let page =
        ChainsPage { chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("传播链", "Transmission chains")).await?, drawings: chains.clusters.iter().map(draw).collect(), chains: &chains };
    Ok(render(StatusCode::OK, &page))
}

#[utoipa::path(get, path = "/api/v1/cases/chains", tag = "cases",
    description = "Transmission-chain clusters in the caller's jurisdiction: cases as nodes (a source outside it without detail), who-infected-whom as edges.",
    responses((status = 200, body = Chains)))]
pub async fn chains_api(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Chains>> {
    caller.require(Permission::ManageCases)?;
    Ok(Json(chain::chains(&state.db, &caller.scope).await?))
}
