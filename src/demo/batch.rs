//! The demo city's bulk load, in one transaction on either database: the registry through the
//! stores' own inserts, the reference rows (units, hospitals, accounts) many per statement.

use crate::counts::Tally;
use crate::db::{Db, MAX_BINDS, now_micros};
use crate::on_db;
use crate::org::store::HouseholdRow;
use crate::people::ValidPerson;
use indicatif::ProgressBar;

#[derive(Clone, Debug)]
pub enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
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

/// The registry part of the city, written through the stores' own inserts: households, then
/// their persons (whose `household_id` is the household's index in `households`).
pub struct Registry<'a> {
    pub households: Vec<HouseholdRow<'a>>,
    pub persons: Vec<ValidPerson>,
}

/// Inserts the tables of `before`, the registry, then the tables of `after`, in one transaction
/// guarded by the `demo_city` flag, counting what the registry adds. Returns false (and writes
/// nothing) when the flag is already set, so two servers started with `--demo` against one
/// PostgreSQL load the city once.
pub async fn insert_all(db: &Db, before: &[Table], mut registry: Registry<'_>, after: &[Table], bar: &ProgressBar) -> sqlx::Result<bool> {
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query::<DB>("insert into app_flags (name, value, set_at) values ('demo_city', 'loaded', $1) on conflict (name) do nothing")
            .bind(now_micros()).execute(&mut *tx).await?.rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        for table in before {
            insert_table(&mut *tx, table, bar).await?;
        }
        let now = now_micros();
        let mut tally = Tally::default();
        bar.set_message("households");
        let mut ids = crate::org::store::insert_households(&mut *tx, now, &registry.households, &mut tally).await?;
        // Identities are handed out in the order of the rows.
        ids.sort_unstable();
        bar.inc(ids.len() as u64);
        for person in &mut registry.persons {
            person.household_id = person.household_id.map(|index| ids[index as usize]);
        }
        bar.set_message("persons");
        let persons: Vec<&ValidPerson> = registry.persons.iter().collect();
        crate::people::store::insert_many(&mut *tx, None, now, &persons, &mut tally).await?;
        bar.inc(persons.len() as u64);
        for table in after {
            insert_table(&mut *tx, table, bar).await?;
        }
        crate::counts::write(&mut *tx, &tally).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Inserts a table's rows, many per statement.
async fn insert_table<'a>(conn: impl Into<crate::db::Conn<'a>>, table: &Table, bar: &ProgressBar) -> sqlx::Result<()> {
    let mut conn = conn.into();
    bar.set_message(table.name);
    for chunk in table.rows.chunks(MAX_BINDS / table.columns.len()) {
        crate::on_conn!(conn.reborrow(), c => {
            let mut qb = sqlx::QueryBuilder::<DB>::new(format!("insert into {} ({}) ", table.name, table.columns.join(", ")));
            qb.push_values(chunk, |mut row, cells| {
                for cell in cells {
                    match cell.clone() {
                        Cell::Text(v) => row.push_bind(v),
                        Cell::Int(v) => row.push_bind(v),
                        Cell::Bool(v) => row.push_bind(v),
                    };
                }
            });
            qb.build().execute(c).await?;
        });
        bar.inc(chunk.len() as u64);
    }
    Ok(())
}
