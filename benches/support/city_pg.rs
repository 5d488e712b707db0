//! The benchmark city on PostgreSQL (`--postgres URL`): the generated SQLite city, every table
//! copied row for row with `COPY … FROM STDIN`, so that both databases are timed on the same data.
//! The database at URL is emptied and loaded once per day (a flag row says for which day), with its
//! secondary indexes dropped during the copy and built after it, then vacuumed and analysed.

use fangkong::db::Db;
use sqlx::{Row, TypeInfo, ValueRef};
use std::time::Instant;

/// The city at `url`, loaded from the SQLite city `from` unless it already holds today's.
pub async fn load(from: &Db, url: &str) -> Db {
    let db = fangkong::db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let Db::Postgres(pool) = &db else { panic!("--postgres takes a postgres:// URL") };
    let today = fangkong::clock::today().to_string();
    let loaded: Option<String> = sqlx::query_scalar("select value from app_flags where name = 'bench_city'").fetch_optional(pool).await.unwrap();
    if loaded.as_deref() == Some(today.as_str()) && !std::env::args().any(|a| a == "--regenerate") {
        return db;
    }
    let Db::Sqlite(source) = from else { unreachable!("the generated city is SQLite") };
    let started = Instant::now();
    println!("copying the city into PostgreSQL ({url}) with COPY…");
    let mut conn = pool.acquire().await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("select table_name::text from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> '_sqlx_migrations' order by 1")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "select i.relname::text, pg_get_indexdef(x.indexrelid) from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid \
         join pg_namespace n on n.oid = t.relnamespace where n.nspname = 'public' and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    // Foreign keys are not checked while copying (the rows are a consistent database already).
    for statement in ["set session_replication_role = replica", "set synchronous_commit = off", "set maintenance_work_mem = '1GB'"] {
        sqlx::query(statement).execute(&mut *conn).await.unwrap();
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("truncate {} cascade", tables.join(", ")))).execute(&mut *conn).await.unwrap();
    for (name, _) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!("drop index {name}"))).execute(&mut *conn).await.unwrap();
    }
    for table in &tables {
        copy_table(source, &mut conn, table).await;
    }
    let built = Instant::now();
    for (_, definition) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(definition.as_str())).execute(&mut *conn).await.unwrap();
    }
    println!("  {} indexes built in {:.1} s", indexes.len(), built.elapsed().as_secs_f64());
    for table in &tables {
        let sequence: Option<String> = sqlx::query_scalar("select pg_get_serial_sequence($1, 'id')").bind(table).fetch_one(&mut *conn).await.unwrap_or(None);
        if let Some(sequence) = sequence {
            sqlx::query(sqlx::AssertSqlSafe(format!("select setval('{sequence}', coalesce((select max(id) from {table}), 0) + 1, false)"))).execute(&mut *conn).await.unwrap();
        }
    }
    let vacuumed = Instant::now();
    sqlx::query("vacuum analyze").execute(&mut *conn).await.unwrap();
    println!("  vacuum analyze {:.1} s", vacuumed.elapsed().as_secs_f64());
    sqlx::query("insert into app_flags (name, value, set_at) values ('bench_city', $1, 0) on conflict (name) do update set value = excluded.value").bind(&today).execute(&mut *conn).await.unwrap();
    println!("  copied in {:.0} s", started.elapsed().as_secs_f64());
    drop(conn);
    db
}

/// Copies one table's rows, the columns PostgreSQL stores (not its generated ones), in COPY's text
/// format, a few megabytes per message.
async fn copy_table(source: &sqlx::SqlitePool, conn: &mut sqlx::PgConnection, table: &str) {
    use futures_util::TryStreamExt;
    let started = Instant::now();
    let columns: Vec<String> =
        sqlx::query_scalar("select column_name::text from information_schema.columns where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER' order by ordinal_position")
            .bind(table)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let list = columns.join(", ");
    let mut copy = conn.copy_in_raw(&format!("copy {table} ({list}) from stdin")).await.unwrap();
    let select = format!("select {list} from {table}");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select.as_str())).fetch(source);
    let (mut buffer, mut count) = (Vec::with_capacity(4 << 20), 0u64);
    while let Some(row) = rows.try_next().await.unwrap() {
        for i in 0..row.columns().len() {
            if i > 0 {
                buffer.push(b'\t');
            }
            write_value(&mut buffer, &row, i);
        }
        buffer.push(b'\n');
        count += 1;
        if buffer.len() >= 4 << 20 {
            copy.send(std::mem::take(&mut buffer)).await.unwrap();
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer).await.unwrap();
    }
    let copied = copy.finish().await.unwrap();
    assert_eq!(copied, count, "{table}");
    if count > 0 {
        println!("  {table:<24} {count:>10} rows  {:>6.1} s", started.elapsed().as_secs_f64());
    }
}

/// One SQLite value in COPY's text format: `\N` for null, text escaped, blobs as `\\x…` hex.
fn write_value(out: &mut Vec<u8>, row: &sqlx::sqlite::SqliteRow, i: usize) {
    let raw = row.try_get_raw(i).unwrap();
    if raw.is_null() {
        out.extend_from_slice(b"\\N");
        return;
    }
    match raw.type_info().name() {
        "INTEGER" => out.extend_from_slice(row.try_get_unchecked::<i64, _>(i).unwrap().to_string().as_bytes()),
        "REAL" => out.extend_from_slice(row.try_get_unchecked::<f64, _>(i).unwrap().to_string().as_bytes()),
        "BLOB" => {
            out.extend_from_slice(b"\\\\x");
            for b in row.try_get_unchecked::<Vec<u8>, _>(i).unwrap() {
                out.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
        _ => {
            for &b in row.try_get_unchecked::<String, _>(i).unwrap().as_bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}
