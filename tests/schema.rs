//! The two migration folders describe one schema, and a released migration never changes.
//!
//! `schema_parity` migrates a fresh SQLite and a fresh PostgreSQL database and compares them table by
//! table: columns (name, nullability, type), primary keys and every index (unique or not, columns,
//! partial `where`). Type spellings and predicate spellings that are truly dialect are normalised
//! here, once: PostgreSQL's `date` is ISO text on SQLite, `bytea` is `blob`, `= any (array[…])` is
//! `in (…)`, and PostgreSQL's casts and parentheses are dropped. It also checks that every code
//! column on PostgreSQL compares bytewise (`collate "C"`), as the jurisdiction ranges assume.
//!
//! `migrations_are_frozen` compares each migration's checksum (sqlx's) with `migrations/released.txt`.

mod common;

use common::*;
use fangkong::db::Db;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    name: String,
    kind: String,
    not_null: bool,
}

/// An index by what it does; `name` is empty for one that backs a unique constraint (its name is
/// the dialect's to choose).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    table: String,
    name: String,
    unique: bool,
    columns: Vec<String>,
    predicate: String,
}

#[derive(Debug, Default)]
struct Schema {
    columns: BTreeMap<String, BTreeSet<Column>>,
    primary_keys: BTreeMap<String, Vec<String>>,
    indexes: BTreeSet<Index>,
    /// PostgreSQL only: code columns that do not compare bytewise.
    collated: Vec<String>,
}

fn normalise_type(kind: &str) -> String {
    match kind.to_lowercase().as_str() {
        "integer" | "bigint" | "int" | "int8" | "smallint" => "integer".into(),
        "text" | "character varying" | "varchar" => "text".into(),
        // Dates are `date` on PostgreSQL and ISO text on SQLite (docs/architecture.md, Storage).
        "date" => "text".into(),
        "bytea" | "blob" => "blob".into(),
        "double precision" | "real" => "real".into(),
        other => other.into(),
    }
}

fn normalise_predicate(predicate: &str) -> String {
    let mut p = predicate.to_lowercase().replace("= any (array[", "in (").replace("])", ")");
    while let Some(at) = p.find("::") {
        let end = p[at + 2..].find(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(p.len(), |e| at + 2 + e);
        p.replace_range(at..end, "");
    }
    p.replace(['(', ')'], " ").split_whitespace().collect::<Vec<_>>().join(" ").replace(" ,", ",")
}

fn is_code(column: &str) -> bool {
    column == "code" || column.ends_with("_code")
}

async fn sqlite_schema(db: &Db) -> Schema {
    let Db::Sqlite(pool) = db else { unreachable!() };
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '_sqlx_migrations'").fetch_all(pool).await.unwrap();
    for table in tables {
        let columns: Vec<(String, String, i64, i64)> = sqlx::query_as("select name, type, \"notnull\", pk from pragma_table_xinfo($1)").bind(&table).fetch_all(pool).await.unwrap();
        let mut pk: Vec<(i64, String)> = columns.iter().filter(|c| c.3 > 0).map(|c| (c.3, c.0.clone())).collect();
        pk.sort();
        schema.primary_keys.insert(table.clone(), pk.into_iter().map(|(_, c)| c).collect());
        schema.columns.insert(table.clone(), columns.iter().map(|(name, kind, not_null, pk)| Column { name: name.clone(), kind: normalise_type(kind), not_null: *not_null == 1 || *pk > 0 }).collect());
        let indexes: Vec<(String, i64, String)> = sqlx::query_as("select name, \"unique\", origin from pragma_index_list($1)").bind(&table).fetch_all(pool).await.unwrap();
        for (name, unique, origin) in indexes.into_iter().filter(|i| i.2 != "pk") {
            let columns: Vec<String> = sqlx::query_scalar("select name from pragma_index_info($1) order by seqno").bind(&name).fetch_all(pool).await.unwrap();
            let sql: Option<String> = sqlx::query_scalar("select sql from sqlite_master where type = 'index' and name = $1").bind(&name).fetch_one(pool).await.unwrap();
            let predicate = sql.as_deref().and_then(|s| s.to_lowercase().split_once(" where ").map(|(_, p)| p.to_string())).unwrap_or_default();
            let name = if origin == "c" { name } else { String::new() };
            schema.indexes.insert(Index { table: table.clone(), name, unique: unique == 1, columns, predicate: normalise_predicate(&predicate) });
        }
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let Db::Postgres(pool) = db else { unreachable!() };
    let mut schema = Schema::default();
    let tables: Vec<String> =
        sqlx::query_scalar("select table_name::text from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> '_sqlx_migrations'")
            .fetch_all(pool)
            .await
            .unwrap();
    for table in tables {
        let columns: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "select column_name::text, data_type::text, is_nullable::text, collation_name::text from information_schema.columns \
             where table_schema = 'public' and table_name = $1 order by ordinal_position",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for (name, _, _, collation) in &columns {
            if is_code(name) && collation.as_deref() != Some("C") {
                schema.collated.push(format!("{table}.{name} ({})", collation.as_deref().unwrap_or("the database's collation")));
            }
        }
        schema.columns.insert(table.clone(), columns.iter().map(|(name, kind, nullable, _)| Column { name: name.clone(), kind: normalise_type(kind), not_null: nullable == "NO" }).collect());
        let indexes: Vec<(String, bool, bool, bool, String, Option<String>)> = sqlx::query_as(
            "select i.relname::text, x.indisunique, x.indisprimary, exists (select 1 from pg_constraint c where c.conindid = x.indexrelid), \
                    pg_get_indexdef(x.indexrelid), pg_get_expr(x.indpred, x.indrelid) \
             from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid \
             join pg_namespace n on n.oid = t.relnamespace where n.nspname = 'public' and t.relname = $1",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for (name, unique, primary, constraint, definition, predicate) in indexes {
            // `CREATE INDEX n ON public.t USING btree (a, b) WHERE (…)`: the columns are the first list.
            let list = definition.split_once(" USING ").and_then(|(_, rest)| rest.split_once('(')).map(|(_, rest)| rest).unwrap_or("");
            let columns: Vec<String> = list.split(')').next().unwrap_or("").split(',').map(|c| c.trim().trim_matches('"').to_string()).collect();
            if primary {
                schema.primary_keys.insert(table.clone(), columns);
                continue;
            }
            let name = if constraint { String::new() } else { name };
            schema.indexes.insert(Index { table: table.clone(), name, unique, columns, predicate: normalise_predicate(predicate.as_deref().unwrap_or("")) });
        }
        schema.primary_keys.entry(table.clone()).or_default();
    }
    schema
}

fn differences<T: Ord + std::fmt::Debug>(what: &str, sqlite: &BTreeSet<T>, postgres: &BTreeSet<T>) -> Vec<String> {
    let mut out: Vec<String> = sqlite.difference(postgres).map(|x| format!("{what} only on SQLite: {x:?}")).collect();
    out.extend(postgres.difference(sqlite).map(|x| format!("{what} only on PostgreSQL: {x:?}")));
    out
}

#[tokio::test]
async fn schema_parity() {
    let dbs = backends().await;
    let Some(postgres) = dbs.iter().find(|d| matches!(d, Db::Postgres(_))) else {
        return eprintln!("-- FANGKONG_TEST_POSTGRES_URL not set: schema parity needs both databases");
    };
    let (lite, pg) = (sqlite_schema(&dbs[0]).await, postgres_schema(postgres).await);
    let tables = |s: &Schema| s.columns.keys().cloned().collect::<BTreeSet<_>>();
    let mut problems = differences("table", &tables(&lite), &tables(&pg));
    for (table, columns) in lite.columns.iter().filter(|(t, _)| pg.columns.contains_key(*t)) {
        problems.extend(differences(&format!("{table}: column"), columns, &pg.columns[table]));
        if lite.primary_keys.get(table) != pg.primary_keys.get(table) {
            problems.push(format!("{table}: primary key {:?} on SQLite, {:?} on PostgreSQL", lite.primary_keys.get(table), pg.primary_keys.get(table)));
        }
    }
    problems.extend(differences("index", &lite.indexes, &pg.indexes));
    problems.extend(pg.collated.iter().map(|c| format!("code column not collate \"C\" on PostgreSQL: {c}")));
    assert!(problems.is_empty(), "the two migration folders disagree (add a migration to each to mend it):\n{}", problems.join("\n"));
    assert!(lite.indexes.len() > 50, "the comparison read the indexes ({})", lite.indexes.len());
}

#[test]
fn predicates_are_compared_without_dialect_spelling() {
    assert_eq!(normalise_predicate("(status = ANY (ARRAY['suspected'::text, 'confirmed'::text]))"), normalise_predicate("status in ('suspected', 'confirmed')"));
    assert_eq!(normalise_predicate("((first_result_at IS NULL) AND (received_at IS NOT NULL))"), "first_result_at is null and received_at is not null");
    assert_ne!(normalise_predicate("(kind = 'fever'::text)"), normalise_predicate("kind = 'red_flag'"));
}

/// Released migrations as `backend version checksum` lines.
const RELEASED: &str = include_str!("../migrations/released.txt");

#[test]
fn migrations_are_frozen() {
    let released: BTreeMap<(String, i64), String> = RELEASED
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            ((parts[0].to_string(), parts[1].parse().unwrap()), parts[2].to_string())
        })
        .collect();
    let mut problems = Vec::new();
    for (backend, migrator) in [("sqlite", sqlx::migrate!("migrations/sqlite")), ("postgres", sqlx::migrate!("migrations/postgres"))] {
        for m in migrator.iter() {
            let checksum: String = m.checksum.iter().map(|b| format!("{b:02x}")).collect();
            match released.get(&(backend.to_string(), m.version)) {
                Some(known) if *known == checksum => {}
                Some(_) => problems.push(format!(
                    "migrations/{backend}/{:04}_{}.sql changed after it was released: a database that applied it refuses to start. \
                     Put the file back as it was and add a new migration instead.",
                    m.version,
                    m.description.replace(' ', "_")
                )),
                None => problems.push(format!("{backend} migration {:04} is new: once it is final, add this line to migrations/released.txt:\n{backend} {:04} {checksum}", m.version, m.version)),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
