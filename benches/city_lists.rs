//! Every list and search of the API at city scale (the generated city of `support/city.rs`), on
//! SQLite, timed server side through the whole router in process, one request at a time, as a grid
//! worker, a township officer, a county commander and the city commander: the first measurement of
//! issue 16, which asks each to answer with p99 ≤ 50 ms at every level. A list a role may not read
//! is printed with its status instead of timed.
//!
//! `cargo bench --bench city_lists -- [--requests 200] [--accounts grid,caiziqi,leiyang,city] [--regenerate]`

use support::timing::{CityBench, line, token_for, try_get_times};

mod support;

/// The lists and searches, as `(label, uri)`; `{unit}` is the caller's home unit.
const LISTS: [(&str, &str); 21] = [
    ("persons, newest first", "/api/v1/persons"),
    ("persons, name prefix of one character (李)", "/api/v1/persons?q=%E6%9D%8E"),
    ("persons, name prefix of two (李四)", "/api/v1/persons?q=%E6%9D%8E%E5%9B%9B"),
    ("persons, a rare name prefix (欧阳)", "/api/v1/persons?q=%E6%AC%A7%E9%98%B3"),
    ("persons, four digits (1380)", "/api/v1/persons?q=1380"),
    ("persons, full mobile", "/api/v1/persons?q=13800000700"),
    ("persons, full ID number", "/api/v1/persons?q=430481000000000700"),
    ("key persons (ledger)", "/api/v1/key-persons"),
    ("key persons under observation, overdue", "/api/v1/key-persons?status=observing&overdue=true"),
    ("households of the home unit", "/api/v1/households?org={unit}"),
    ("alerts", "/api/v1/alerts"),
    ("life-needs requests", "/api/v1/needs"),
    ("cases", "/api/v1/cases"),
    ("contacts", "/api/v1/contacts"),
    ("follow-ups", "/api/v1/follow-ups"),
    ("observation sites", "/api/v1/observation-sites"),
    ("hospitals", "/api/v1/hospitals"),
    ("directives", "/api/v1/directives"),
    ("audit trail", "/api/v1/audit"),
    ("users", "/api/v1/users"),
    ("units below the home unit", "/api/v1/orgs?parent={unit}"),
];

fn main() {
    support::timing::on_city(200, "every list and search at city scale", |CityBench { state, app, requests, .. }| async move {
        let chosen = support::arg("--accounts").unwrap_or_else(|| "grid,caiziqi,leiyang,city".into());
        for (account, what) in [("grid", "grid worker"), ("caiziqi", "township officer"), ("leiyang", "county commander"), ("city", "city commander")] {
            if !chosen.split(',').any(|a| a == account) {
                continue;
            }
            let (token, home) = token_for(&state, account).await;
            println!("{what} ({account}, {home})");
            for (label, uri) in LISTS {
                let uri = uri.replace("{unit}", home.as_str());
                match try_get_times(&app, &uri, &token, requests).await {
                    Ok(micros) => line(&format!("  {label}"), micros),
                    Err((status, _)) => println!("  {label:<58} answers {status} to this role"),
                }
            }
        }
    });
}
