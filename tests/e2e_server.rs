//! End to end against a real `fangkong serve` process: the checks a newcomer makes from outside, on
//! SQLite and on PostgreSQL, and two servers sharing one PostgreSQL.

mod common;

use common::*;
use fangkong_rules::Scope;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fangkong");

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn storage_args(data_dir: &Path, url: &str) -> Vec<String> {
    vec!["--data-dir".into(), data_dir.display().to_string(), "--database-url".into(), url.into()]
}

fn fangkong(args: &[String], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(BIN).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "fangkong {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

async fn serve(data_dir: &Path, url: &str, extra: &[&str]) -> Server {
    common::within_one_day();
    let port = free_port();
    let mut args = storage_args(data_dir, url);
    args.extend(["serve".into(), "--listen".into(), format!("127.0.0.1:{port}")]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let child = Command::new(BIN).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not come up");
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn login(base: &str, username: &str, password: &str) -> Api {
        let client = reqwest::Client::new();
        let r = client.post(format!("{base}/api/v1/auth/token")).json(&json!({"username": username, "password": password})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
        Api { client, base: base.to_string(), token }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// The outside checks: users from the CLI, a person registered, bad input refused, another
/// county blind to it, audit rows written.
async fn outside_checks(url: &str) {
    let dir = temp_dir("fk_e2e");
    fangkong(&[storage_args(&dir, url), vec!["migrate".into()]].concat(), None);
    let add = |user: &str, org: &str| {
        let args = [storage_args(&dir, url), ["user", "add", "--username", user, "--role", "county_commander", "--org", org].map(String::from).to_vec()].concat();
        fangkong(&args, Some("leiyang-2020-pass\n"))
    };
    let out = add("ly", "430481");
    assert!(String::from_utf8_lossy(&out.stdout).contains("已创建用户 ly"));
    add("hn", "430422");

    let server = serve(&dir, url, &[]).await;
    let ly = Api::login(&server.base, "ly", "leiyang-2020-pass").await;
    let hn = Api::login(&server.base, "hn", "leiyang-2020-pass").await;
    let person = person_json("张三", "43048119900101123X", "430481001");
    let (status, created) = ly.call(reqwest::Method::POST, "/api/v1/persons", Some(person.clone())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, bad) = ly.call(reqwest::Method::POST, "/api/v1/persons", Some(person_json("李四", "430481199001011231", "430481001"))).await;
    assert_eq!((status, bad["error"]["fields"][0]["field"].as_str()), (422, Some("id_number")));
    assert_eq!(ly.call(reqwest::Method::POST, "/api/v1/persons", Some(person)).await.0, 409);
    assert_eq!(hn.call(reqwest::Method::GET, &format!("/api/v1/persons/{id}"), None).await.0, 404);
    let (_, list) = hn.call(reqwest::Method::GET, "/api/v1/persons", None).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, found) = hn.call(reqwest::Method::GET, "/api/v1/persons?q=43048119900101123X", None).await;
    assert!(found["items"].as_array().unwrap().is_empty());
    assert_eq!(ly.call(reqwest::Method::GET, &format!("/api/v1/persons/{id}"), None).await.0, 200);
    let (_, audit) = ly.call(reqwest::Method::GET, "/api/v1/audit", None).await;
    let record = id.to_string();
    let about = |action: &str| audit.as_array().unwrap().iter().any(|r| r["action"] == action && r["record_id"] == record.as_str());
    assert!(about("person.create") && about("person.view_full"), "{audit}");
    let login_page = reqwest::get(format!("{}/login", server.base)).await.unwrap().text().await.unwrap();
    assert!(login_page.contains("登录") && login_page.contains("lang=\"zh-CN\""));
}

#[tokio::test]
async fn a_newcomers_checks_pass_on_sqlite() {
    eprintln!("-- running on sqlite");
    outside_checks(&fresh_sqlite_url()).await;
}

#[tokio::test]
async fn a_newcomers_checks_pass_on_postgres() {
    let Some(url) = fresh_postgres_url().await else { return eprintln!("-- FANGKONG_TEST_POSTGRES_URL not set: skipped") };
    eprintln!("-- running on postgres");
    outside_checks(&url).await;
}

#[tokio::test]
async fn serve_demo_loads_a_city_on_an_empty_database() {
    let dir = temp_dir("fk_e2e_demo");
    let url = fresh_sqlite_url();
    let server = serve(&dir, &url, &["--demo", "--people", "2000"]).await;
    let text = std::fs::read_to_string(dir.join("demo-accounts.txt")).unwrap();
    let password = text.lines().find(|l| l.starts_with("city\t")).unwrap().split('\t').nth(1).unwrap();
    let city = Api::login(&server.base, "city", password).await;
    let (_, counties) = city.call(reqwest::Method::GET, "/api/v1/orgs?parent=430400", None).await;
    assert!(counties.as_array().unwrap().iter().any(|c| c["name"] == "耒阳市"));
    let (_, persons) = city.call(reqwest::Method::GET, "/api/v1/persons?limit=100", None).await;
    assert_eq!(persons["items"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn two_servers_share_one_postgresql_safely() {
    let Some(url) = fresh_postgres_url().await else { return eprintln!("-- FANGKONG_TEST_POSTGRES_URL not set: skipped") };
    eprintln!("-- running on postgres");
    let (dir_a, dir_b) = (temp_dir("fk_a"), temp_dir("fk_b"));
    // Both start on the empty database at once: migrations and the demo load must happen once.
    let (a, b) = tokio::join!(serve(&dir_a, &url, &["--demo", "--people", "500"]), serve(&dir_b, &url, &["--demo", "--people", "500"]));
    let file = [dir_a.join("demo-accounts.txt"), dir_b.join("demo-accounts.txt")].into_iter().find(|f| f.exists()).expect("one server loaded the demo");
    let text = std::fs::read_to_string(file).unwrap();
    let password = text.lines().find(|l| l.starts_with("leiyang\t")).unwrap().split('\t').nth(1).unwrap().to_string();
    let on_a = Api::login(&a.base, "leiyang", &password).await;
    let (_, people) = on_a.call(reqwest::Method::GET, "/api/v1/persons?limit=100", None).await;
    assert!(!people["items"].as_array().unwrap().is_empty());
    let on_b = Api { client: reqwest::Client::new(), base: b.base.clone(), token: on_a.token.clone() };
    assert_eq!(on_b.call(reqwest::Method::GET, "/api/v1/me", None).await.0, 200, "a token from one server works on the other");

    // The same person registered through both servers at once: exactly one record.
    let contested = resident_id("430481", 16);
    let attempts: Vec<_> = (0..10)
        .map(|i| {
            let api = if i % 2 == 0 { on_a.clone() } else { on_b.clone() };
            let body = person_json("并发", &contested, "430481001");
            tokio::spawn(async move { api.call(reqwest::Method::POST, "/api/v1/persons", Some(body)).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let (_, found) = on_b.call(reqwest::Method::GET, &format!("/api/v1/persons?q={contested}"), None).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);

    // Forty wrong passwords for one account, spread over both servers at once: the limit holds.
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
            tokio::spawn(async move {
                let body = json!({"username": "grid", "password": format!("guess-{i}")});
                reqwest::Client::new().post(format!("{base}/api/v1/auth/token")).json(&body).send().await.unwrap().status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    assert!(statuses.iter().filter(|s| **s == 401).count() <= 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
}

#[tokio::test]
async fn the_cli_imports_a_gbk_csv_all_or_nothing_and_exports_it_masked() {
    let dir = temp_dir("fk_cli_import");
    let url = fresh_sqlite_url();
    let base = storage_args(&dir, &url);
    fangkong(&[base.clone(), vec!["migrate".into()]].concat(), None);
    let sheet = "姓名,身份证号,手机号\n张三,43048119900101123X,13800001111\n李四,430481199001011231,\n";
    let file = dir.join("ledger.csv");
    std::fs::write(&file, encoding_rs::GBK.encode(sheet).0).unwrap();
    let import = |extra: &[&str]| {
        let mut args = base.clone();
        args.extend(["import", "ledger", file.to_str().unwrap(), "--org", "430481001"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        Command::new(BIN).args(&args).output().unwrap()
    };
    // The org must be a village or grid: the township is refused with a clear message.
    let refused = import(&[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("村(社区)或网格"));

    let all = Scope::everything();
    fangkong::org::store::create_child(&fangkong::db::connect(&url).await.unwrap(), &actor(), &all, &code("430481001"), fangkong::org::store::ChildKind::Community, "金南社区").await.unwrap();
    let mut args = base.clone();
    args.extend(["import", "ledger", file.to_str().unwrap(), "--org", "430481001001"].map(String::from));
    let bad = Command::new(BIN).args(&args).output().unwrap();
    assert!(!bad.status.success(), "a bad row stops an all-or-nothing import");
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(stdout.contains("第 3 行 李四 [身份证号]") && stdout.contains("未导入"), "{stdout}");
    args.push("--valid-rows".into());
    let good = Command::new(BIN).args(&args).output().unwrap();
    assert!(good.status.success());
    assert!(String::from_utf8_lossy(&good.stdout).contains("新登记 1 人"));

    let out = dir.join("export.xlsx");
    fangkong(&[base, ["export", "ledger", "--org", "430481", "-o", out.to_str().unwrap()].map(String::from).to_vec()].concat(), None);
    let rows = fangkong::ledger_io::read::read(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((rows.len(), rows[1][1].as_str(), rows[1][3].as_str()), (2, "张*", "430481********123X"));
}

#[tokio::test]
async fn report_verify_finds_an_injected_drift_and_rebuild_repairs_it() {
    let dir = temp_dir("fk_cli_report");
    let url = fresh_sqlite_url();
    let base = storage_args(&dir, &url);
    fangkong(&[base.clone(), vec!["migrate".into()]].concat(), None);
    let db = fangkong::db::connect(&url).await.unwrap();
    let fangkong::db::Db::Sqlite(pool) = &db else { unreachable!() };
    sqlx::query("insert into unit_counts (org_code, metric, day, n) values ('430481', 'case.confirmed', '', 3)").execute(pool).await.unwrap();
    let verify = Command::new(BIN).args([base.clone(), vec!["report".into(), "verify".into()]].concat()).output().unwrap();
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(!verify.status.success() && said.contains("430481 case.confirmed - 记录为 3,应为 0") && said.contains("1 处不一致"), "{said}");
    let rebuilt = fangkong(&[base.clone(), vec!["report".into(), "rebuild".into()]].concat(), None);
    assert!(String::from_utf8_lossy(&rebuilt.stdout).contains("已按记录重建"));
    let verify = fangkong(&[base.clone(), vec!["report".into(), "verify".into()]].concat(), None);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("0 处不一致"));

    // The daily report from the command line, as JSON and as a workbook; a bad date changes nothing.
    sqlx::query("insert into unit_counts (org_code, metric, day, n) values ('430481', 'kp.new', '2020-02-03', 7), ('430481', 'kp.new', '2020-02-04', 2), ('430481', 'kp.new', '2020-02-05', 4), ('430481', 'kp.new', '*', 13)").execute(pool).await.unwrap();
    let daily = |extra: &[&str]| [base.clone(), ["report", "daily", "--org", "430481", "--date", "2020-02-04"].iter().chain(extra).map(|s| s.to_string()).collect()].concat();
    let json: Value = serde_json::from_slice(&fangkong(&daily(&[]), None).stdout).unwrap();
    let figure = |code: &str| json["sections"].as_array().unwrap().iter().flat_map(|s| s["figures"].as_array().unwrap()).find(|f| f["code"] == code).unwrap().clone();
    assert_eq!((json["org_name"].as_str(), figure("key_persons_new")["value"].as_i64(), figure("key_persons_total")["value"].as_i64()), (Some("耒阳市"), Some(2), Some(9)));
    let file = dir.join("leiyang.xlsx");
    fangkong(&daily(&["--format", "xlsx", "-o", &file.display().to_string()]), None);
    let mut book = calamine::open_workbook_auto(&file).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("日报").unwrap();
    let row = sheet.rows().find(|r| r.get(1).is_some_and(|c| *c == "重点人员累计")).unwrap();
    assert_eq!(row[2].to_string(), "9");
    assert_eq!(sheet.rows().nth(2).unwrap()[1].to_string(), "指标");
    let bad = Command::new(BIN).args([base, ["report", "daily", "--org", "430481", "--date", "2020-02-30"].iter().map(|s| s.to_string()).collect()].concat()).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("日期无效"));
}

#[tokio::test]
async fn logs_name_routes_not_capability_tokens_and_passwords_stay_in_their_file() {
    let dir = temp_dir("fk_e2e_logs");
    let port = free_port();
    let mut args = storage_args(&dir, &fresh_sqlite_url());
    args.extend(["serve".into(), "--listen".into(), format!("127.0.0.1:{port}"), "--demo".into(), "--people".into(), "300".into()]);
    let (log, out) = (dir.join("server.log"), dir.join("server.out"));
    let child =
        Command::new(BIN).args(&args).env("RUST_LOG", "fangkong=debug,tower_http=debug").stdout(std::fs::File::create(&out).unwrap()).stderr(std::fs::File::create(&log).unwrap()).spawn().unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let accounts = std::fs::read_to_string(dir.join("demo-accounts.txt")).unwrap();
    let password = accounts.lines().find(|l| l.starts_with("grid\t")).unwrap().split('\t').nth(1).unwrap().to_string();
    let grid = Api::login(&server.base, "grid", &password).await;
    let (_, me) = grid.call(reqwest::Method::GET, "/api/v1/me", None).await;
    let (_, person) = grid.call(reqwest::Method::POST, "/api/v1/persons", Some(person_json("日志测", &resident_id("430481", 77), me["org_code"].as_str().unwrap()))).await;
    let start = json!({"person_id": person["id"], "kind": "home", "start_date": fangkong::clock::today().to_string()});
    let (status, episode) = grid.call(reqwest::Method::POST, "/api/v1/observations", Some(start)).await;
    let token = match status {
        201 => episode["report_path"].as_str().unwrap().trim_start_matches("/r/").to_string(),
        _ => panic!("{episode}"),
    };
    for body in [json!({"temperature": "36.6"}), json!({"temperature": "36.6", "note": "x\u{0}y"})] {
        client.post(format!("{}/api/v1/self-report/{token}", server.base)).json(&body).send().await.unwrap();
    }
    client.get(format!("{}/r/{token}", server.base)).send().await.unwrap();
    drop(server);
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("/api/v1/self-report/{token}"), "requests are logged by route: {log}");
    assert!(!log.contains(&token), "the capability never reaches the log");
    let out = std::fs::read_to_string(out).unwrap();
    assert!(!out.contains(&password) && out.contains("demo-accounts.txt"), "passwords are not printed to a log: {out}");
}
