//! The case-protocol edition in force on a date, turned into the pure rules of
//! [`fangkong_rules::case_definition`].

use crate::db::Db;
use crate::on_db;
use fangkong_rules::case_definition::{ExclusionRule, SuspectedDefinition};
use time::Date;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRuleSet {
    pub id: i64,
    pub name: String,
    pub clinical_with_history: i64,
    pub clinical_without_history: i64,
    pub exclusion_min_hours: i64,
    pub exclusion_antibody_days: Option<i64>,
    pub report_hours: i64,
    pub lab_hours: i64,
    pub investigation_hours: i64,
    /// A suspected case is sampled for testing within this many hours ("in the shortest time").
    pub sampling_hours: i64,
    /// Discharge: days of normal temperature required.
    pub discharge_afebrile_days: i64,
    /// Observation after discharge, in days.
    pub post_discharge_days: i64,
    /// Days after discharge the follow-up visits fall due, comma-separated ("14,28": weeks 2 and 4).
    pub follow_up_days: String,
}

impl CaseRuleSet {
    pub fn suspected(&self) -> SuspectedDefinition {
        SuspectedDefinition { clinical_with_history: self.clinical_with_history as usize, clinical_without_history: self.clinical_without_history as usize }
    }
    pub fn exclusion(&self) -> ExclusionRule {
        ExclusionRule { min_hours_between_negatives: self.exclusion_min_hours, antibody_days_after_onset: self.exclusion_antibody_days }
    }
    /// The discharge criterion on nucleic acid: two consecutive negatives as far apart as for exclusion.
    pub fn discharge_negatives(&self) -> ExclusionRule {
        ExclusionRule { min_hours_between_negatives: self.exclusion_min_hours, antibody_days_after_onset: None }
    }
    /// The days after discharge the follow-ups fall due.
    pub fn follow_up_days(&self) -> Vec<i64> {
        self.follow_up_days.split(',').filter_map(|d| d.trim().parse().ok()).collect()
    }
}

const COLUMNS: &str = "id, name, clinical_with_history, clinical_without_history, exclusion_min_hours, exclusion_antibody_days, report_hours, lab_hours, investigation_hours, sampling_hours, discharge_afebrile_days, post_discharge_days, follow_up_days";

/// Every edition, for lists of cases opened under different ones.
pub async fn all(db: &Db) -> sqlx::Result<Vec<CaseRuleSet>> {
    let sql = format!("select {COLUMNS} from case_rule_sets order by id");
    on_db!(db, pool => sqlx::query_as::<DB, CaseRuleSet>(sqlx::AssertSqlSafe(&*sql)).fetch_all(pool).await)
}

/// The edition a case was opened under.
pub async fn by_id(db: &Db, id: i64) -> sqlx::Result<CaseRuleSet> {
    let sql = format!("select {COLUMNS} from case_rule_sets where id = $1");
    on_db!(db, pool => sqlx::query_as::<DB, CaseRuleSet>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_one(pool).await)
}

/// The newest edition effective on `day`; before the first, the first.
pub async fn in_force(db: &Db, day: Date) -> sqlx::Result<CaseRuleSet> {
    let sql = format!(
        "select {COLUMNS} from case_rule_sets order by case when effective_from <= $1 then 0 else 1 end, \
         case when effective_from <= $1 then effective_from end desc, effective_from, id desc limit 1"
    );
    on_db!(db, pool => sqlx::query_as::<DB, CaseRuleSet>(sqlx::AssertSqlSafe(&*sql)).bind(day).fetch_one(pool).await)
}
