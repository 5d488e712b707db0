//! A statement built once with its values, then either run for a page of ids or explained: the
//! list paths (person search, the ledger) read their ids through one, so that the plan the
//! benchmark prints and the tests hold to an index is the plan of the statement that runs.

use super::Db;
use crate::on_db;
use sqlx::Row;

/// A value bound to a statement's next placeholder.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Date(time::Date),
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        Value::OptText(v.map(str::to_string))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<time::Date> for Value {
    fn from(v: time::Date) -> Value {
        Value::Date(v)
    }
}

/// A statement selecting one integer column (ids), with its values in placeholder order.
#[derive(Debug, Clone)]
pub struct IdQuery {
    sql: String,
    values: Vec<Value>,
}

/// Binds `$values` in order to `$query` (a macro: each database types its own binds).
macro_rules! bind_all {
    ($query:expr, $values:expr) => {{
        let mut q = $query;
        for value in $values {
            q = match value {
                Value::Text(v) => q.bind(v.as_str()),
                Value::OptText(v) => q.bind(v.as_deref()),
                Value::Int(v) => q.bind(*v),
                Value::Date(v) => q.bind(*v),
            };
        }
        q
    }};
}

impl IdQuery {
    pub fn new(sql: String) -> IdQuery {
        IdQuery { sql, values: Vec::new() }
    }

    /// The statement with `value` bound to its next placeholder.
    pub fn bind(mut self, value: impl Into<Value>) -> IdQuery {
        self.values.push(value.into());
        self
    }

    /// Runs the statement.
    pub async fn ids(&self, db: &Db) -> sqlx::Result<Vec<i64>> {
        on_db!(db, pool => bind_all!(sqlx::query_scalar::<DB, i64>(sqlx::AssertSqlSafe(self.sql.as_str())), &self.values).fetch_all(pool).await)
    }

    /// The plan the database chooses for the statement with its values, one step per line:
    /// SQLite's `explain query plan` indented by depth, PostgreSQL's `explain` as it prints it.
    pub async fn plan(&self, db: &Db) -> sqlx::Result<String> {
        match db {
            Db::Sqlite(pool) => {
                let sql = format!("explain query plan {}", self.sql);
                let rows = bind_all!(sqlx::query::<sqlx::Sqlite>(sqlx::AssertSqlSafe(sql)), &self.values).fetch_all(pool).await?;
                let mut depth: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
                let mut lines = Vec::new();
                for row in rows {
                    let (id, parent, detail): (i64, i64, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(3)?);
                    let level = depth.get(&parent).map_or(0, |d| d + 1);
                    depth.insert(id, level);
                    lines.push(format!("{}{detail}", "  ".repeat(level)));
                }
                Ok(lines.join("\n"))
            }
            Db::Postgres(pool) => {
                let sql = format!("explain {}", self.sql);
                let rows = bind_all!(sqlx::query::<sqlx::Postgres>(sqlx::AssertSqlSafe(sql)), &self.values).fetch_all(pool).await?;
                Ok(rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<sqlx::Result<Vec<_>>>()?.join("\n"))
            }
        }
    }
}
