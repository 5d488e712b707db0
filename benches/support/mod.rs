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
