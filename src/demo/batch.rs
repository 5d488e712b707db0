//! Multi-row inserts for bulk loads, in one transaction, on either database.

use crate::db::{Db, MAX_BINDS, now_micros};
use crate::on_db;
use indicatif::ProgressBar;
use time::Date;

#[derive(Clone, Debug)]
pub enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Date(Option<Date>),
}

impl Cell {
    pub fn text(s: &str) -> Cell {
        Cell::Text(Some(s.to_string()))
    }
    pub fn opt(s: Option<String>) -> Cell {
        Cell::Text(s)
    }
}

pub struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &'static str, columns: &'static [&'static str], rows: impl Iterator<Item = Vec<Cell>>) -> Table {
        Table { name, columns, rows: rows.collect() }
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
}

/// Inserts every table in order, in one transaction guarded by the `demo_city` flag. Returns false
/// (and writes nothing) when the flag is already set, so two servers started with `--demo` against
/// one PostgreSQL load the city once.
pub async fn insert_all(db: &Db, tables: &[Table], bar: &ProgressBar) -> sqlx::Result<bool> {
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query::<DB>("insert into app_flags (name, value, set_at) values ('demo_city', 'loaded', $1) on conflict (name) do nothing")
            .bind(now_micros()).execute(&mut *tx).await?.rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        for table in tables {
            bar.set_message(table.name);
            for chunk in table.rows.chunks(MAX_BINDS / table.columns.len()) {
                let mut qb = sqlx::QueryBuilder::<DB>::new(format!("insert into {} ({}) ", table.name, table.columns.join(", ")));
                qb.push_values(chunk, |mut row, cells| {
                    for cell in cells {
                        match cell.clone() {
                            Cell::Text(v) => row.push_bind(v),
                            Cell::Int(v) => row.push_bind(v),
                            Cell::Bool(v) => row.push_bind(v),
                            Cell::Date(v) => row.push_bind(v),
                        };
                    }
                });
                qb.build().execute(&mut *tx).await?;
                bar.inc(chunk.len() as u64);
            }
        }
        if matches!(db, Db::Postgres(_)) {
            // Households were inserted with explicit ids; move the identity past them.
            sqlx::query::<DB>("select setval(pg_get_serial_sequence('households', 'id'), coalesce((select max(id) from households), 1))")
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}
