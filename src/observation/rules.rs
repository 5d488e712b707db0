//! The rule set in force on a date: observation period, fever threshold, cut-off hours, escalation.

use crate::db::Db;
use crate::on_db;
use fangkong_rules::observation::Temperature;
use time::Date;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleSet {
    pub id: i64,
    pub name: String,
    pub effective_from: Date,
    pub observation_days: i64,
    pub fever_threshold_tenths: i64,
    pub morning_cutoff_hour: i64,
    pub evening_cutoff_hour: i64,
    pub escalation_minutes: i64,
    pub revisit_days: i64,
    pub request_overdue_hours: i64,
}

impl RuleSet {
    pub fn fever_threshold(&self) -> Temperature {
        Temperature::from_tenths(self.fever_threshold_tenths as i32)
    }
}

pub(super) const COLUMNS: &str =
    "id, name, effective_from, observation_days, fever_threshold_tenths, morning_cutoff_hour, evening_cutoff_hour, escalation_minutes, revisit_days, request_overdue_hours";

/// The newest rule set effective on `day`; for a day before every edition, the oldest one.
pub async fn in_force(db: &Db, day: Date) -> sqlx::Result<RuleSet> {
    let effective = format!("select {COLUMNS} from rule_sets where effective_from <= $1 order by effective_from desc, id desc limit 1");
    let found = on_db!(db, pool => sqlx::query_as::<DB, RuleSet>(sqlx::AssertSqlSafe(&*effective)).bind(day).fetch_optional(pool).await)?;
    if let Some(rules) = found {
        return Ok(rules);
    }
    let oldest = format!("select {COLUMNS} from rule_sets order by effective_from, id limit 1");
    on_db!(db, pool => sqlx::query_as::<DB, RuleSet>(sqlx::AssertSqlSafe(&*oldest)).fetch_one(pool).await)
}

pub async fn by_id(db: &Db, id: i64) -> sqlx::Result<RuleSet> {
    let sql = format!("select {COLUMNS} from rule_sets where id = $1");
    on_db!(db, pool => sqlx::query_as::<DB, RuleSet>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_one(pool).await)
}
