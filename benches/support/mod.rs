//! Helpers shared by the benchmarks: arguments, scratch databases, a load generator, percentiles.

#![allow(dead_code)] // each benchmark uses part of this module

pub mod city;
pub mod city_pg;
pub mod load;
pub mod server;
pub mod timing;

use std::path::PathBuf;

/// The value after `name` on the command line (`--rows 1000`).
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// A fresh directory under the system's temporary directory for one benchmark's SQLite file.
pub fn scratch_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fk_bench_{label}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Sorted latencies in microseconds → (p50, p99, max), in milliseconds.
pub fn percentiles(sorted_micros: &[u32]) -> (f64, f64, f64) {
    if sorted_micros.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let at = |q: f64| f64::from(sorted_micros[((sorted_micros.len() as f64 * q) as usize).min(sorted_micros.len() - 1)]) / 1000.0;
    (at(0.50), at(0.99), f64::from(*sorted_micros.last().unwrap()) / 1000.0)
}

/// A fresh database for a run: a SQLite file in `dir`, or the database `name` made anew on the
/// PostgreSQL server at `--postgres URL`.
pub async fn fresh_database(dir: &std::path::Path, name: &str) -> fangkong::db::Db {
    use fangkong::db;
    let Some(url) = arg("--postgres") else { return db::connect(&db::database_url_for(None, dir)).await.unwrap() };
    let server = db::connect(&url).await.unwrap();
    fangkong::on_db!(&server, pool => {
        sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("drop database if exists {name} with (force)"))).execute(pool).await.map(|_| ()).unwrap();
        sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(pool).await.map(|_| ()).unwrap();
    });
    server.close().await;
    let (base, options) = url.split_once('?').map_or((url.as_str(), ""), |(b, o)| (b, o));
    let at = base.rfind('/').filter(|&i| i > "postgres://".len()).map_or(base.len(), |i| i);
    let url = format!("{}/{name}{}{options}", &base[..at], if options.is_empty() { "" } else { "?" });
    db::connect(&url).await.unwrap()
}
