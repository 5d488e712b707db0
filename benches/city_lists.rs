//! Every list and search of the API at city scale (the generated city of `support/city.rs`), on
//! SQLite, timed server side through the whole router in process, one request at a time, as a grid
//! worker, a township officer, a county commander and the city commander: the first measurement of
//! issue 16, which asks each to answer with p99 ≤ 50 ms at every level. A list a role may not read
//! is printed with its status instead of timed.
//!
//! Then the mixed load, against the real server binary over TCP: 32 clients for 60 s — 16 searching
//! and listing with random name prefixes, last fours and pages, 16 on the dashboard and the today
//! list — as the four accounts in turn, with each group's p50/p99 and the server's peak memory.
//!
//! `cargo bench --bench city_lists -- [--requests 200] [--accounts grid,caiziqi,leiyang,city] [--seconds 60] [--regenerate]`

use std::time::Duration;
use support::load;
use support::server::Server;
use support::timing::{CityBench, get_json, token_for, try_get_times};

mod support;

/// The lists and searches, as `(label, uri)`; `{unit}` is the caller's home unit.
const LISTS: [(&str, &str); 31] = [
    ("persons, newest first", "/api/v1/persons"),
    ("persons, next page", "/api/v1/persons?before={before}"),
    ("persons, name prefix of one character (李, 7 %)", "/api/v1/persons?q=%E6%9D%8E"),
    ("persons, name prefix of one character (罗, 1.5 %)", "/api/v1/persons?q=%E7%BD%97"),
    ("persons, name prefix of two (李伟, 0.2 %)", "/api/v1/persons?q=%E6%9D%8E%E4%BC%9F"),
    ("persons, a rare name prefix (欧阳, 0.1 %)", "/api/v1/persons?q=%E6%AC%A7%E9%98%B3"),
    ("persons, a name nobody has (李四)", "/api/v1/persons?q=%E6%9D%8E%E5%9B%9B"),
    ("persons, last four of an ID or mobile (0700)", "/api/v1/persons?q=0700"),
    ("persons, full mobile", "/api/v1/persons?q={phone}"),
    ("persons, full ID number", "/api/v1/persons?q=430481000000000700"),
    ("persons page, name prefix (李)", "/persons?q=%E6%9D%8E"),
    ("key persons (ledger)", "/api/v1/key-persons"),
    ("key persons under observation, overdue", "/api/v1/key-persons?status=observing&overdue=true"),
    ("ledger page", "/ledger"),
    ("households of the home unit", "/api/v1/households?org={unit}"),
    ("alerts", "/api/v1/alerts"),
    ("life-needs requests", "/api/v1/needs"),
    ("cases", "/api/v1/cases"),
    ("contacts", "/api/v1/contacts"),
    ("follow-ups", "/api/v1/follow-ups"),
    ("observation sites", "/api/v1/observation-sites"),
    ("hospitals", "/api/v1/hospitals"),
    ("a hospital's patients", "/api/v1/hospitals/{hospital}/patients"),
    ("directives and supervisions", "/api/v1/directives"),
    ("supervisions page", "/supervisions"),
    ("imports page", "/imports"),
    ("audit trail", "/api/v1/audit"),
    ("audit trail, one account's", "/api/v1/audit?user={account}"),
    ("audit trail, a day a week ago", "/api/v1/audit?from={week_ago}&to={week_ago}"),
    ("users", "/api/v1/users"),
    ("units below the home unit", "/api/v1/orgs?parent={unit}"),
];

fn main() {
    support::timing::on_city(200, "every list and search at city scale", |CityBench { city, state, app, requests }| async move {
        let mut tokens = Vec::new();
        let hospital: i64 = fangkong::on_db!(&state.db, pool => sqlx::query_scalar::<DB, i64>("select min(id) from hospitals").fetch_one(pool).await).unwrap();
        let week_ago = fangkong::clock::today() - time::Duration::days(7);
        let chosen = support::arg("--accounts").unwrap_or_else(|| "grid,caiziqi,leiyang,city".into());
        for (account, what) in [("grid", "grid worker"), ("caiziqi", "township officer"), ("leiyang", "county commander"), ("city", "city commander")] {
            if !chosen.split(',').any(|a| a == account) {
                continue;
            }
            let (token, home) = token_for(&state, account).await;
            tokens.push(token.clone());
            println!("{what} ({account}, {home})");
            let before = get_json(&app, "/api/v1/persons", &token).await["next_before"].as_i64().unwrap_or(i64::MAX);
            for (label, uri) in LISTS {
                let uri = uri
                    .replace("{unit}", home.as_str())
                    .replace("{phone}", &support::city::phone_of(700))
                    .replace("{before}", &before.to_string())
                    .replace("{hospital}", &hospital.to_string())
                    .replace("{account}", account)
                    .replace("{week_ago}", &week_ago.to_string());
                // The first request reads from disk what the page cache does not hold (this
                // machine's kernel reclaims idle file pages within minutes): printed apart.
                let timed = match try_get_times(&app, &uri, &token, 1).await {
                    Ok(first) => try_get_times(&app, &uri, &token, requests).await.map(|micros| (first[0], micros)),
                    Err(e) => Err(e),
                };
                match timed {
                    Ok((first, mut micros)) => {
                        micros.sort_unstable();
                        let (p50, p99, max) = support::percentiles(&micros);
                        println!("    {label:<56} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   max {max:>7.2} ms   first {:>7.1} ms", f64::from(first) / 1000.0);
                    }
                    Err((status, _)) => println!("    {label:<56} answers {status} to this role"),
                }
            }
            print_plans(&state.lists, &fangkong_rules::Scope::of(&home)).await;
        }
        let seconds = support::arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(60);
        if seconds > 0 {
            mixed_load(&city.storage_args(), tokens, Duration::from_secs(seconds)).await;
        }
    });
}

/// The raw plans the database chose for the searches and the ledger in `scope`, as they run.
async fn print_plans(db: &fangkong::db::Db, scope: &fangkong_rules::Scope) {
    use fangkong::people::search::{self, Query};
    use fangkong::screening::ledger_list::{self, LedgerFilter};
    let today = fangkong::clock::today();
    println!("  query plans ({}):", db.backend_name());
    let indent = |plan: &str| plan.lines().map(|l| format!("        {l}")).collect::<Vec<_>>().join("\n");
    for text in ["", "李", "欧阳", "0700", "430481000000000700", &support::city::phone_of(700)] {
        for (path, plan) in search::plans(db, scope, &Query::parse(text, today), None, 21).await.unwrap() {
            println!("    persons?q={text} along {path:?}:\n{}", indent(&plan));
        }
    }
    for (label, overdue) in [("key persons", None), ("key persons overdue (the walk, then the unreported)", Some(true))] {
        for plan in ledger_list::plans(db, scope, &LedgerFilter { overdue, ..Default::default() }, today, 21).await.unwrap() {
            println!("    {label}:\n{}", indent(&plan));
        }
    }
}

/// Name prefixes the searching clients type: common and rare surnames, and surnames with a given
/// character (the generated city's names, `support::city::name_of`).
const PREFIXES: [&str; 12] = ["李", "王", "张", "罗", "谭", "欧阳", "许", "李伟", "王芳", "陈静", "刘洋", "周杰"];

/// The searching and listing clients' `n`-th request, as account `token`.
fn search_request(n: usize, token: &str) -> Vec<u8> {
    let mix = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
    let pick = |k: usize| (mix as usize / k) % PREFIXES.len();
    let path = match n % 8 {
        0 | 1 => format!("/api/v1/persons?q={}", urlencode(PREFIXES[pick(1)])),
        2 => format!("/api/v1/persons?q={:04}", mix % 10_000),
        3 => format!("/api/v1/persons?before={}", 1 + mix % support::city::PERSONS as u64),
        4 => "/api/v1/key-persons".to_string(),
        5 => format!("/api/v1/persons?q={}&before={}", urlencode(PREFIXES[pick(7)]), 1 + mix % support::city::PERSONS as u64),
        // Lists every one of the four accounts may read.
        6 => ["/api/v1/alerts", "/api/v1/needs", "/api/v1/follow-ups", "/api/v1/observation-sites"][pick(3) % 4].to_string(),
        _ => ["/api/v1/directives", "/api/v1/key-persons?status=observing", "/api/v1/key-persons?before=300000", "/api/v1/key-persons?status=observing&overdue=true"][pick(5) % 4].to_string(),
    };
    load::get_as(&path, token)
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// 16 clients searching and listing beside 16 on the dashboard and the today list, for `measure`.
async fn mixed_load(storage: &[String], tokens: Vec<String>, measure: Duration) {
    let server = Server::start(storage).await;
    let (rss_before, _) = server.memory();
    println!("mixed load: 32 clients for {} s against `fangkong serve` (resident {rss_before:.0} MiB at start)", measure.as_secs());
    let (search_tokens, board_tokens) = (tokens.clone(), tokens);
    let searches = load::run(server.addr, 16, Duration::from_secs(2), measure, move |c, n| search_request(n * 16 + c, &search_tokens[(c + n) % search_tokens.len()]));
    let boards = load::run(server.addr, 16, Duration::from_secs(2), measure, move |c, n| {
        let path = if n % 2 == 0 { "/api/v1/dashboard" } else { "/api/v1/today" };
        load::get_as(path, &board_tokens[(c + n) % board_tokens.len()])
    });
    let (searches, boards) = tokio::join!(searches, boards);
    for (label, outcome) in [("searching and listing (16 clients)", searches), ("dashboard and today list (16 clients)", boards)] {
        let (p50, p99, max) = support::percentiles(&outcome.latencies);
        println!("  {label:<58} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   max {max:>7.2} ms   {:.0} req/s, {} failed", outcome.per_second(), outcome.failures);
        if let Some(first) = outcome.first_failure {
            println!("    first failure: {}", first.chars().take(200).collect::<String>());
        }
    }
    let (rss, peak) = server.memory();
    println!("  server memory: resident {rss:.0} MiB, peak {peak:.0} MiB (target ≤ 300 MiB)");
}
