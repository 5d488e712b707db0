//! Unit names for pages. Records keep a unit's code; a page shows the unit's name, with the code in
//! a tooltip. The names of the whole tree (a few thousand rows) are held in memory and read again
//! a minute after they were last read, so a unit another server created gets its name soon after;
//! until then its code is shown.

use crate::db::Db;
use crate::on_db;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const FRESH_FOR: Duration = Duration::from_secs(60);

/// Code → name shown. A grid's name is its village or community's name followed by its own
/// ("金南社区第一网格"), since every community has a "第一网格".
pub type Names = Arc<HashMap<String, String>>;

#[derive(Default)]
pub struct UnitNames {
    cached: RwLock<Option<(Instant, Names)>>,
}

impl UnitNames {
    /// The names, read again from the database when the copy held is older than a minute.
    pub async fn get(&self, db: &Db) -> sqlx::Result<Names> {
        if let Some((at, names)) = self.cached.read().ok().and_then(|c| c.clone())
            && at.elapsed() < FRESH_FOR
        {
            return Ok(names);
        }
        let rows: Vec<(String, String, String, Option<String>)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String, String, Option<String>)>(
            "select u.code, u.name, u.level, p.name from org_units u left join org_units p on p.code = u.parent_code")
            .fetch_all(pool).await)?;
        let names: Names = Arc::new(
            rows.into_iter()
                .map(|(code, name, level, parent)| match (level.as_str(), parent) {
                    ("grid", Some(parent)) => (code, format!("{parent}{name}")),
                    _ => (code, name),
                })
                .collect(),
        );
        if let Ok(mut cached) = self.cached.write() {
            *cached = Some((Instant::now(), names.clone()));
        }
        Ok(names)
    }
}
