//! Sanitation PPE inspections at city scale, on SQLite (or PostgreSQL with `--postgres URL`): a
//! year of inspections for five districts (1,000,000 by default: the scheme widened to 南岳 by an
//! edition from a year ago, 600 workers per district, each inspected about once a day), the counts
//! rebuilt from them by the product's own recomputation, and every past month closed.
//!
//! Timed through the whole router, one request at a time: the month's score for all districts
//! (open and closed months) and a district's month page, with the storage read alone and the
//! router's floor beside them. Then recording an inspection over HTTP with 32 connections,
//! beside the HTTP stack alone (`GET /healthz`) under the same load.
//!
//! Targets: month score and district month page p99 ≤ 10 ms; recording p99 ≤ 50 ms.
//!
//! `cargo bench --bench sanitation -- [--inspections 1000000] [--requests 300] [--seconds 10] [--connections 32] [--postgres URL]`

use fangkong::audit::Actor;
use fangkong::auth::Role;
use fangkong::db::{Db, MAX_BINDS};
use fangkong::on_db;
use fangkong::sanitation::{editions, months, workforce};
use fangkong_rules::sanitation::{WorkerRole, Worn};
use fangkong_rules::{OrgCode, Scope};
use std::time::{Duration, Instant};
use support::{arg, load, percentiles, timing};

mod support;

const DISTRICTS: [&str; 5] = ["430405", "430406", "430407", "430408", "430412"];
const WORKERS_PER_DISTRICT: usize = 600;
const COLUMNS: usize = 21;

/// An edition from a year before today that puts 南岳 in the scheme, the items as the notice's.
async fn five_district_edition(db: &Db, from: time::Date) {
    on_db!(db, pool => async {
        sqlx::query::<DB>("insert into sanitation_editions (name, effective_from, points_per_item, base_score, districts, count_repeat_inspections, appeal_hours, appeal_decision_days, training_required_roles, source) \
            values ('基准测试:五个城区', $1, 2, 100, $2, true, 48, 3, 'waste_mask_collector', 'benchmark')").bind(from).bind(DISTRICTS.join(",")).execute(pool).await?;
        sqlx::query::<DB>("insert into sanitation_required_items (edition_id, role, item, position) select (select id from sanitation_editions where effective_from = $1), role, item, position \
            from sanitation_required_items where edition_id = (select min(id) from sanitation_editions)").bind(from).execute(pool).await?;
        Ok::<_, sqlx::Error>(())
    }.await).unwrap();
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One generated inspection's row.
struct Row {
    district: &'static str,
    worker: (i64, WorkerRole),
    day: time::Date,
    at: i64,
    worn: String,
    missing: String,
    checked: i64,
    missing_count: i64,
    points: i64,
}

/// `total` inspections over the days before today, spread evenly over districts and days, each
/// item left off about one time in twelve, each recorded when it was made; written in multi-row
/// statements.
async fn load_inspections(db: &Db, edition: &editions::StoredEdition, registers: &[Vec<(i64, WorkerRole)>], total: usize, days: i64, today: time::Date) {
    let per_day = total / (days as usize * DISTRICTS.len());
    let mut rng = Rng(0x5a17_a710_2020_0202);
    let mut rows: Vec<Row> = Vec::with_capacity(MAX_BINDS / COLUMNS);
    let mut written = 0usize;
    for back in (1..=days).rev() {
        let day = today - time::Duration::days(back);
        for (d, district) in DISTRICTS.iter().enumerate() {
            for k in 0..per_day {
                let worker = registers[d][(back as usize * per_day + k) % registers[d].len()];
                let items = edition.rule.items_for(worker.1);
                let worn: Vec<Worn> = Worn::ALL.iter().copied().filter(|w| *w != Worn::ProtectiveSuit && items.contains(&w.meets()) && rng.below(12) != 0).collect();
                let found = edition.rule.assess(worker.1, &worn).unwrap();
                let codes = |it: &mut dyn Iterator<Item = &'static str>| it.collect::<Vec<_>>().join(",");
                rows.push(Row {
                    district,
                    worker,
                    day,
                    at: fangkong::clock::micros_at(day, 8 + (k % 9) as i64),
                    worn: codes(&mut worn.iter().map(|w| w.as_str())),
                    missing: codes(&mut found.missing.iter().map(|m| m.as_str())),
                    checked: i64::from(found.checked),
                    missing_count: found.missing.len() as i64,
                    points: i64::from(found.points),
                });
                if rows.len() == MAX_BINDS / COLUMNS {
                    written += insert(db, edition.id, &rows).await;
                    rows.clear();
                }
            }
        }
    }
    written += insert(db, edition.id, &rows).await;
    println!("  {written} inspections written over {days} days");
}

async fn insert(db: &Db, edition_id: i64, rows: &[Row]) -> usize {
    if rows.is_empty() {
        return 0;
    }
    on_db!(db, pool => {
        let mut q = sqlx::QueryBuilder::<DB>::new(
            "insert into sanitation_inspections (edition_id, district_code, org_code, place, worker_id, worker_name, worker_role, inspected_on, inspected_at, \
             worn, missing, items_checked, items_missing, points, repeat_of, note, inspector_id, inspector, created_at, month, counted) ");
        q.push_values(rows, |mut b, r| {
            b.push_bind(edition_id).push_bind(r.district).push_bind(r.district).push_bind("环卫作业点").push_bind(r.worker.0).push_bind("环卫工").push_bind(r.worker.1.as_str())
                .push_bind(r.day).push_bind(r.at).push_bind(&r.worn).push_bind(&r.missing).push_bind(r.checked).push_bind(r.missing_count).push_bind(r.points)
                .push_bind(None::<i64>).push_bind(None::<String>).push_bind(None::<i64>).push_bind("benchmark").push_bind(r.at).push_bind(months::of_day(r.day)).push_bind(true);
        });
        q.build().execute(pool).await.unwrap();
    });
    rows.len()
}

async fn account(db: &Db, username: &str, role: Role, org: &str) -> String {
    let new = fangkong::auth::store::NewUser {
        username: username.into(),
        display_name: username.into(),
        role,
        org_code: OrgCode::parse(org).unwrap(),
        password_hash: fangkong::auth::password::hash("bench-password-unused").unwrap(),
    };
    let id = fangkong::auth::store::create(db, &Actor::cli("bench"), &Scope::everything(), new).await.unwrap();
    fangkong::auth::sessions::create(db, id, fangkong::auth::sessions::SessionKind::Api, &Default::default()).await.unwrap().token
}

fn main() {
    let total: usize = arg("--inspections").and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let requests: usize = arg("--requests").and_then(|s| s.parse().ok()).unwrap_or(300);
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(10);
    let connections: usize = arg("--connections").and_then(|s| s.parse().ok()).unwrap_or(32);
    let dir = support::scratch_dir("sanitation");
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let today = fangkong::clock::today();
    let this_month = months::of_day(today);
    let last_month = months::of_day(months::days_of(&this_month).unwrap().0.previous_day().unwrap());
    let (db, app, addr, tokens, workers) = server.block_on(async {
        let db = support::fresh_database(&dir, "fk_bench_sanitation").await;
        db.migrate().await.unwrap();
        fangkong::org::store::seed_reference(&db).await.unwrap();
        let started = Instant::now();
        let days = 365;
        five_district_edition(&db, today - time::Duration::days(days)).await;
        let all = editions::load(&db).await.unwrap();
        let edition = all.last().unwrap().clone();
        let mut registers = Vec::new();
        for district in DISTRICTS {
            let code = OrgCode::parse(district).unwrap();
            let mut register = Vec::new();
            for i in 0..WORKERS_PER_DISTRICT {
                let role = WorkerRole::ALL[i % 3];
                let worker = workforce::NewWorker {
                    org_code: code.clone(),
                    name: format!("环卫工{i}"),
                    number: Some(format!("{i:04}")),
                    role,
                    team: None,
                    person_id: None,
                    started_on: today - time::Duration::days(days + 1),
                };
                register.push((workforce::add(&db, &Actor::cli("bench"), &Scope::of(&code), &edition, &worker).await.unwrap(), role));
            }
            registers.push(register);
        }
        println!("sanitation at city scale on {}: {} workers in {} districts", db.backend_name(), WORKERS_PER_DISTRICT * DISTRICTS.len(), DISTRICTS.len());
        load_inspections(&db, &edition, &registers, total, days, today).await;
        let rebuilt = fangkong::counts::rebuild(&db).await.unwrap();
        // After a bulk load PostgreSQL plans from statistics of an empty table until autovacuum
        // analyses it (the day's inspections took 67 ms instead of 0.1): analyse now, as it would.
        if matches!(db, Db::Postgres(_)) {
            on_db!(&db, pool => sqlx::query::<DB>("analyze").execute(pool).await.map(|_| ()).unwrap());
        }
        let mut closed = 0;
        let mut month_start = today - time::Duration::days(days);
        while months::of_day(month_start) < this_month {
            let month = months::of_day(month_start);
            if months::close(&db, &Actor::cli("bench"), &Scope::everything(), &all, &month, today).await.is_ok() {
                closed += 1;
            }
            month_start = months::days_of(&month).unwrap().1.next_day().unwrap();
        }
        println!("  counts rebuilt from the inspections ({rebuilt} rows), {closed} past months closed; loaded in {:.0} s", started.elapsed().as_secs_f64());
        let tokens = (account(&db, "centre", Role::SanitationInspector, "430400901").await, account(&db, "shigu", Role::CountyCommander, "430407").await);
        let state = fangkong::web::AppState::new(db.clone(), fangkong::web::Settings::new().unwrap());
        let app = fangkong::web::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = app.clone();
        tokio::spawn(async move { axum::serve(listener, served.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
        let workers: Vec<(i64, &'static str, WorkerRole)> = registers.iter().zip(DISTRICTS).flat_map(|(register, district)| register.iter().map(move |(id, role)| (*id, district, *role))).collect();
        (db, app, addr, tokens, workers)
    });
    let (centre, district) = tokens;

    server.block_on(async {
        let all = editions::load(&db).await.unwrap();
        println!("one request at a time, {requests} per line:");
        timing::line("GET /healthz (router floor)", timing::get_times(&app, "/healthz", "", requests).await);
        let everything = Scope::everything();
        timing::line(
            &format!("months::scores {this_month}, storage alone (open month, counts)"),
            timing::times(requests, || async {
                months::scores(&db, &everything, &all, &this_month, today).await.unwrap();
            })
            .await,
        );
        for (label, uri, token) in [
            (format!("month score, all districts, open {this_month} (API)"), format!("/api/v1/sanitation/months/{this_month}"), &centre),
            (format!("month score, all districts, closed {last_month} (API)"), format!("/api/v1/sanitation/months/{last_month}"), &centre),
            (format!("district's month page, open {this_month}"), format!("/sanitation/months?month={this_month}"), &district),
            (format!("district's month page, closed {last_month}"), format!("/sanitation/months?month={last_month}"), &district),
            ("the centre's sanitation page (today's inspections, register)".to_string(), "/sanitation".to_string(), &centre),
            ("a district's inspections of a day (API)".to_string(), format!("/api/v1/sanitation/inspections?day={}", today - time::Duration::days(1)), &district),
        ] {
            timing::line(&label, timing::get_times(&app, &uri, token, requests).await);
        }
    });

    let generator = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let warmup = Duration::from_secs(1);
    let measure = Duration::from_secs(seconds);
    println!("over HTTP, {connections} connections, {seconds} s measured after 1 s warm-up:");
    let healthz = generator.block_on(load::run(addr, connections, warmup, measure, |_, _| load::get("/healthz")));
    load::report("HTTP stack alone (GET /healthz, ceiling)", &healthz);
    let workers = std::sync::Arc::new(workers);
    let recording = {
        let (workers, centre) = (workers.clone(), centre.clone());
        generator.block_on(load::run(addr, connections, warmup, measure, move |c, n| {
            let (worker, district, role) = workers[(c * 7919 + n * 31) % workers.len()];
            // Everything the role requires, or only a mask one time in five.
            let worn = match role {
                _ if n % 5 == 0 => r#"["mask"]"#,
                WorkerRole::Cleaner => r#"["mask","gloves"]"#,
                WorkerRole::Collection => r#"["mask","gloves","disinfectant"]"#,
                WorkerRole::WasteMaskCollector => r#"["mask","gloves","disinfectant","rubber_boots","raincoat"]"#,
            };
            let body = format!(r#"{{"org_code":"{district}","place":"基准测试路口","worker_id":{worker},"worn":{worn},"idempotency_key":"b{c}-{n}"}}"#);
            load::post_json_as("/api/v1/sanitation/inspections", &centre, &body)
        }))
    };
    load::report("record an inspection (POST /api/v1/sanitation/inspections)", &recording);
    let (_, p99, _) = percentiles(&recording.latencies);
    println!("  recording target p99 ≤ 50 ms with no failure: {}", if p99 <= 50.0 && recording.failures == 0 { "met" } else { "NOT met" });
    let (verify, recorded) = server.block_on(async {
        let drift = fangkong::counts::verify(&db).await.unwrap();
        let n: i64 = on_db!(&db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from sanitation_inspections").fetch_one(pool).await.unwrap());
        (drift.len(), n)
    });
    println!("  inspections stored: {recorded}; counts differing under report verify: {verify}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
