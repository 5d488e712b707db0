//! The editions of the sanitation PPE rule as stored (`sanitation_editions` and their
//! `sanitation_required_items`), read whole: they are a handful of rows, and an inspection is
//! assessed under the edition in force on its day, which past inspections keep.

use crate::db::Db;
use crate::on_db;
use fangkong_rules::sanitation::{Edition, PpeItem, WorkerRole};
use time::Date;

/// An edition with what the pure rule does not need: its name, the districts in the scheme and
/// whether a second inspection of a worker on one day counts in the month's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEdition {
    pub id: i64,
    pub name: String,
    pub rule: Edition,
    /// Division codes of the districts whose workers are inspected and scored.
    pub districts: Vec<String>,
    pub count_repeat_inspections: bool,
    /// How long after an inspection its district may appeal a deduction.
    pub appeal_hours: i64,
    /// How long the centre has to decide an appeal before it escalates.
    pub appeal_decision_days: i64,
    /// Workers of these roles need the waste-mask handling training on record.
    pub training_required: Vec<WorkerRole>,
    pub source: String,
}

#[derive(sqlx::FromRow)]
struct EditionRow {
    id: i64,
    name: String,
    effective_from: Date,
    points_per_item: i64,
    base_score: i64,
    districts: String,
    count_repeat_inspections: bool,
    appeal_hours: i64,
    appeal_decision_days: i64,
    training_required_roles: String,
    source: String,
}

/// Every edition, oldest first, each with its roles' items in the notice's order. A code no
/// longer known (an edited row) fails the read rather than assessing without it.
pub async fn load(db: &Db) -> anyhow::Result<Vec<StoredEdition>> {
    let (rows, items) = on_db!(db, pool => {
        let rows = sqlx::query_as::<DB, EditionRow>(
            "select id, name, effective_from, points_per_item, base_score, districts, count_repeat_inspections, appeal_hours, appeal_decision_days, \
             training_required_roles, source from sanitation_editions order by effective_from")
            .fetch_all(pool).await?;
        let items = sqlx::query_as::<DB, (i64, String, String)>("select edition_id, role, item from sanitation_required_items order by edition_id, role, position")
            .fetch_all(pool).await?;
        (rows, items)
    });
    rows.into_iter()
        .map(|row| {
            let mut required: Vec<(WorkerRole, Vec<PpeItem>)> = Vec::new();
            for (_, role, item) in items.iter().filter(|(edition, ..)| *edition == row.id) {
                let role = WorkerRole::parse(role).ok_or_else(|| anyhow::anyhow!("edition {}: unknown role {role}", row.id))?;
                let item = PpeItem::parse(item).ok_or_else(|| anyhow::anyhow!("edition {}: unknown item {item}", row.id))?;
                match required.iter_mut().find(|(r, _)| *r == role) {
                    Some((_, list)) => list.push(item),
                    None => required.push((role, vec![item])),
                }
            }
            let rule = Edition { effective_from: row.effective_from, required, points_per_item: u32::try_from(row.points_per_item)?, base_score: u32::try_from(row.base_score)? };
            let listed = |text: &str| text.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_string).collect::<Vec<_>>();
            let training_required =
                listed(&row.training_required_roles).iter().map(|r| WorkerRole::parse(r).ok_or_else(|| anyhow::anyhow!("edition {}: unknown role {r}", row.id))).collect::<anyhow::Result<_>>()?;
            Ok(StoredEdition {
                id: row.id,
                name: row.name,
                rule,
                districts: listed(&row.districts),
                count_repeat_inspections: row.count_repeat_inspections,
                appeal_hours: row.appeal_hours,
                appeal_decision_days: row.appeal_decision_days,
                training_required,
                source: row.source,
            })
        })
        .collect()
}

/// The edition in force on `day`, if the rule had started by then.
pub fn on(editions: &[StoredEdition], day: Date) -> Option<&StoredEdition> {
    editions.iter().filter(|e| e.rule.effective_from <= day).max_by_key(|e| e.rule.effective_from)
}
