//! Transmission chains (传播链): who infected whom, read from close contacts who became cases
//! themselves, grouped into clusters (connected chains of two or more cases) within the viewer's
//! jurisdiction. A source case outside it is shown without any detail. Contacts who did not become
//! cases are counted on their case, not drawn, so a chain stays readable at city scale.

use super::CaseStatus;
use crate::db::Db;
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::mask::mask_name;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Clusters drawn, largest first; the rest are counted.
pub const CLUSTERS_SHOWN: usize = 20;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Node {
    /// The case's number; `None` for a source case outside the viewer's jurisdiction.
    pub case_id: Option<i64>,
    /// Masked; empty outside the jurisdiction.
    pub name: String,
    pub status: String,
    pub org_code: String,
    /// Close contacts registered for this case.
    pub contacts: i64,
    /// Generation in the cluster: 0 for its first known case.
    pub generation: usize,
}

impl Node {
    pub fn status_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        CaseStatus::parse(&self.status).map_or(lang.pick("辖区外病例", "Case outside your area"), |v| v.label(lang))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    /// `(from, to)` as indexes into `nodes`: `from` was the source of `to`.
    pub edges: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Chains {
    pub clusters: Vec<Cluster>,
    /// Clusters not drawn.
    pub more_clusters: usize,
    /// Cases in scope that belong to no cluster.
    pub single_cases: usize,
}

/// A case in scope as a node before layout.
#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    name: String,
    status: String,
    org_code: String,
    contacts: i64,
}

/// Links between cases: the contact `to` of case `from` became a case. A negative `from` is a case
/// outside the jurisdiction (only its existence is used).
async fn links(db: &Db, low: &str, high: &str) -> sqlx::Result<Vec<(i64, i64)>> {
    on_db!(db, pool => sqlx::query_as::<DB, (i64, i64)>(
        "select case when src.org_code >= $1 and src.org_code < $2 then src.id else -src.id end, dst.id \
         from contacts k join cases dst on dst.person_id = k.person_id and dst.id <> k.case_id join cases src on src.id = k.case_id \
         where dst.org_code >= $1 and dst.org_code < $2 and dst.status <> 'excluded' and src.status <> 'excluded'")
        .bind(low).bind(high).fetch_all(pool).await)
}

/// The clusters of cases in scope, largest first.
pub async fn chains(db: &Db, scope: &Scope) -> sqlx::Result<Chains> {
    let (low, high) = scope.bounds();
    let links = links(db, &low, &high).await?;
    let mut neighbours: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (from, to) in &links {
        neighbours.entry(*from).or_default().insert(*to);
        neighbours.entry(*to).or_default().insert(*from);
    }
    let mut seen = BTreeSet::new();
    let mut components: Vec<Vec<i64>> = Vec::new();
    for start in neighbours.keys() {
        if seen.insert(*start) {
            let mut component = vec![*start];
            let mut queue = VecDeque::from([*start]);
            while let Some(at) = queue.pop_front() {
                for next in &neighbours[&at] {
                    if seen.insert(*next) {
                        component.push(*next);
                        queue.push_back(*next);
                    }
                }
            }
            components.push(component);
        }
    }
    components.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let in_clusters: usize = components.iter().map(|c| c.iter().filter(|id| **id > 0).count()).sum();
    let total: i64 = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from cases where org_code >= $1 and org_code < $2 and status <> 'excluded'")
        .bind(&low).bind(&high).fetch_one(pool).await)?;
    let more_clusters = components.len().saturating_sub(CLUSTERS_SHOWN);
    let mut clusters = Vec::new();
    for component in components.into_iter().take(CLUSTERS_SHOWN) {
        clusters.push(cluster(db, &component, &links).await?);
    }
    Ok(Chains { clusters, more_clusters, single_cases: (total as usize).saturating_sub(in_clusters) })
}

/// Lays one cluster out by generation from its sources.
async fn cluster(db: &Db, ids: &[i64], links: &[(i64, i64)]) -> sqlx::Result<Cluster> {
    let members: BTreeSet<i64> = ids.iter().copied().collect();
    let edges: Vec<(i64, i64)> = links.iter().copied().filter(|(f, t)| members.contains(f) && members.contains(t)).collect();
    // Generation: the longest chain of sources above a case (cycles, which a data error could
    // make, are cut by visiting each case once).
    let mut generation: BTreeMap<i64, usize> = BTreeMap::new();
    let roots: Vec<i64> = ids.iter().copied().filter(|id| !edges.iter().any(|(_, t)| t == id)).collect();
    let mut queue: VecDeque<i64> = if roots.is_empty() { VecDeque::from([ids[0]]) } else { roots.into() };
    for r in &queue {
        generation.insert(*r, 0);
    }
    while let Some(at) = queue.pop_front() {
        for (_, to) in edges.iter().filter(|(f, _)| *f == at) {
            if !generation.contains_key(to) {
                generation.insert(*to, generation[&at] + 1);
                queue.push_back(*to);
            }
        }
    }
    let mut nodes = Vec::with_capacity(ids.len());
    let mut index = BTreeMap::new();
    let mut ordered: Vec<i64> = ids.to_vec();
    ordered.sort_by_key(|id| (generation.get(id).copied().unwrap_or(0), *id));
    for id in ordered {
        index.insert(id, nodes.len());
        let generation = generation.get(&id).copied().unwrap_or(0);
        nodes.push(if id < 0 {
            Node { case_id: None, name: String::new(), status: String::new(), org_code: String::new(), contacts: 0, generation }
        } else {
            let row: CaseRow = on_db!(db, pool => sqlx::query_as::<DB, CaseRow>(
                "select c.id, p.name, c.status, c.org_code, (select count(*) from contacts k where k.case_id = c.id) as contacts \
                 from cases c join persons p on p.id = c.person_id where c.id = $1").bind(id).fetch_one(pool).await)?;
            Node { case_id: Some(row.id), name: mask_name(&row.name), status: row.status, org_code: row.org_code, contacts: row.contacts, generation }
        });
    }
    let mut edges: Vec<(usize, usize)> = edges.iter().map(|(f, t)| (index[f], index[t])).collect();
    edges.sort_unstable();
    Ok(Cluster { edges, nodes })
}
