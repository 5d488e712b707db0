//! The `fangkong` command line: `serve`, `migrate`, `demo`, `user add`.

use crate::audit::Actor;
use crate::auth::{Role, store as users};
use crate::db::{self, Db};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use fangkong_rules::{OrgCode, Scope};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "fangkong", version, about = "防控 — epidemic prevention-and-control command platform")]
struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct StorageArgs {
    /// Where the SQLite database and generated files live.
    #[arg(long, global = true, default_value = "./fangkong-data", env = "FANGKONG_DATA_DIR")]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; default: SQLite in the data directory.
    #[arg(long, global = true, env = "FANGKONG_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates first).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo city first if the database has no accounts yet.
        #[arg(long)]
        demo: bool,
        /// Persons in the demo city (with --demo).
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        /// Always mark cookies Secure (when TLS ends at a proxy that does not send X-Forwarded-Proto).
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Apply database migrations and load the reference org tree.
    Migrate,
    /// Load the synthetic demo city of Hengyang.
    Demo {
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
    },
    /// Import a ledger file (.xlsx or .csv) into a village/community or grid.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export an area's ledger to .xlsx (masked).
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Daily reports, and checking or repairing the roll-up counts behind them.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// The dated list of outbreak areas (疫区名单) a person's origin is filed by.
    OutbreakAreas {
        #[command(subcommand)]
        command: AreaCommand,
    },
}

#[derive(Subcommand)]
enum AreaCommand {
    /// Every area ever listed, with the days it is listed.
    List,
    /// List an area from a day on.
    Add {
        /// Division-code prefix: 2 digits a province (42), 4 a prefecture (4201), 6 a county.
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        name_en: String,
        /// Comma-separated other names written for it ("温州市,温州").
        #[arg(long, default_value = "")]
        aliases: String,
        /// The ledger category of a person from it, e.g. high_risk_returnee.
        #[arg(long, default_value = "high_risk_returnee")]
        category: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Where the listing comes from (the notice).
        #[arg(long)]
        source: String,
    },
    /// End an area's listing: from that day on it is no longer an outbreak area.
    End {
        #[arg(long)]
        id: i64,
        /// YYYY-MM-DD.
        #[arg(long)]
        on: String,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Recompute every roll-up count from the records and list any that differ (exit code 1).
    Verify,
    /// Replace every roll-up count with its recomputation from the records.
    Rebuild,
    /// The daily report (日报) of a unit, as JSON on standard output or as an .xlsx file.
    Daily {
        /// The unit's code, e.g. 430481.
        #[arg(long)]
        org: String,
        /// YYYY-MM-DD (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: ReportFormat,
        /// Where to write the .xlsx (default: ORG-DATE.xlsx).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Each urban district's monthly sanitation score (月度环卫考核), as JSON or as an .xlsx file.
    Sanitation {
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long, value_enum, default_value = "json")]
        format: ReportFormat,
        /// Where to write the .xlsx (default: sanitation-MONTH.xlsx).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Json,
    Xlsx,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Key persons with their "十清楚" facts; re-importing the same file adds nothing.
    Ledger {
        file: PathBuf,
        /// The village/community or grid code.
        #[arg(long)]
        org: String,
        /// Import the valid rows even if some rows are bad (default: all or nothing).
        #[arg(long)]
        valid_rows: bool,
        /// Write the per-row report to this .xlsx file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    Ledger {
        #[arg(long)]
        org: String,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// One of: admin, city_commander, county_commander, township_officer, grid_worker,
        /// hospital_staff, checkpoint_staff, enterprise_contact, sanitation_inspector.
        #[arg(long)]
        role: String,
        /// Home org unit code, e.g. 430481.
        #[arg(long)]
        org: String,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "fangkong=info,tower_http=warn".into())).with_writer(std::io::stderr).init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Connects, migrates and makes sure the reference org tree is present.
pub async fn open(storage: &StorageArgs) -> anyhow::Result<Db> {
    let url = db::database_url_for(storage.database_url.as_deref(), &storage.data_dir);
    let db = db::connect(&url).await?;
    db.migrate().await.context("migrating the database")?;
    crate::org::store::seed_reference(&db).await.context("loading the Hengyang org tree")?;
    Ok(db)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = open(&cli.storage).await?;
    match cli.command {
        Command::Migrate => {
            println!("数据库已是最新结构 ({}) / database migrated", db.backend_name());
        }
        Command::Demo { people, seed } => {
            crate::demo::load(&db, &cli.storage.data_dir, people, seed).await?;
        }
        Command::Serve { listen, demo, people, secure_cookies } => {
            if demo && !crate::demo::has_accounts(&db).await? {
                crate::demo::load(&db, &cli.storage.data_dir, people, 2020).await?;
            }
            let mut settings = crate::web::Settings::new()?;
            settings.always_secure_cookies = secure_cookies;
            let state = crate::web::AppState::new(db.clone(), settings);
            println!("防控平台已启动 / serving on http://{listen} ({})", db.backend_name());
            crate::web::serve(state, listen).await?;
        }
        Command::Import { what: ImportCommand::Ledger { file, org, valid_rows, report } } => {
            import_ledger(&db, &file, &org, valid_rows, report.as_deref()).await?;
        }
        Command::Export { what: ExportCommand::Ledger { org, output } } => {
            let unit = OrgCode::parse(&org).map_err(|m| anyhow::anyhow!("{m}"))?;
            let (bytes, rows) = crate::ledger_io::export::ledger(&db, &Actor::cli("export ledger"), &Scope::everything(), &unit).await?.context("no such unit")?;
            std::fs::write(&output, bytes).with_context(|| format!("writing {}", output.display()))?;
            println!("已导出 {rows} 名重点人员到 {}(已脱敏)", output.display());
        }
        Command::Report { command: ReportCommand::Verify } => {
            let started = std::time::Instant::now();
            let drift = crate::counts::verify(&db).await?;
            for d in &drift {
                println!("{} {} {} 记录为 {},应为 {}", d.org_code, d.metric, if d.day.is_empty() { "-" } else { &d.day }, d.stored, d.expected);
            }
            println!("核对完成,{} 处不一致,用时 {:.1} 秒 / {} drifted counts", drift.len(), started.elapsed().as_secs_f64(), drift.len());
            if !drift.is_empty() {
                db.close().await;
                std::process::exit(1);
            }
        }
        Command::Report { command: ReportCommand::Daily { org, date, format, output } } => {
            let unit = OrgCode::parse(&org).map_err(|m| anyhow::anyhow!("{m}"))?;
            let date = match date {
                Some(d) => day_arg(&d)?,
                None => crate::clock::today(),
            };
            let report = crate::reports::daily::report(&db, &Scope::everything(), &unit, date).await?.with_context(|| format!("没有单位 {org}"))?;
            match format {
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                ReportFormat::Xlsx => {
                    let output = output.unwrap_or_else(|| PathBuf::from(format!("{org}-{date}.xlsx")));
                    std::fs::write(&output, crate::reports::xlsx::daily(&report)?).with_context(|| format!("writing {}", output.display()))?;
                    println!("已写出 {} 日报 {date} 到 {}", report.org_name, output.display());
                }
            }
        }
        Command::Report { command: ReportCommand::Sanitation { month, format, output } } => {
            let all = crate::sanitation::editions::load(&db).await?;
            let scores = crate::sanitation::months::scores(&db, &Scope::everything(), &all, &month, crate::clock::today()).await.map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            match format {
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&scores)?),
                ReportFormat::Xlsx => {
                    let output = output.unwrap_or_else(|| PathBuf::from(format!("sanitation-{}.xlsx", scores.month)));
                    let names = crate::org::names::UnitNames::default().get(&db).await?;
                    let name_of = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
                    std::fs::write(&output, crate::sanitation::export::month(&scores, name_of)?).with_context(|| format!("writing {}", output.display()))?;
                    println!("已写出 {} 月度环卫考核到 {}", scores.month, output.display());
                }
            }
        }
        Command::Report { command: ReportCommand::Rebuild } => {
            let rows = crate::counts::rebuild(&db).await?;
            println!("已按记录重建 {rows} 个汇总计数 / counts rebuilt");
        }
        Command::OutbreakAreas { command } => outbreak_areas(&db, command).await?,
        Command::User { command: UserCommand::Add { username, role, org, name } } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role}"))?;
            let org = OrgCode::parse(&org).map_err(|m| anyhow::anyhow!("{m}"))?;
            if std::io::stdin().is_terminal() {
                eprint!("密码 / password: ");
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let new = crate::auth::api::new_user(&username, name.as_deref().unwrap_or(""), role, org.as_str(), password).await;
            let new = match new {
                Ok(n) => n,
                Err(crate::error::AppError::Invalid(errors)) => {
                    bail!("{}", errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
                }
                Err(e) => bail!("{e}"),
            };
            match users::create(&db, &Actor::cli("user add"), &Scope::everything(), new).await {
                Ok(id) => println!("已创建用户 {username}(编号 {id},角色 {},单位 {org})", role.zh()),
                Err(crate::error::AppError::Invalid(errors)) => {
                    bail!("{}", errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
                }
                Err(e) => return Err(anyhow::anyhow!("{e}")),
            }
        }
    }
    db.close().await;
    Ok(())
}

fn day_arg(s: &str) -> anyhow::Result<time::Date> {
    crate::clock::parse_date(s).with_context(|| format!("{}: {s}", crate::clock::date_problem(s)))
}

async fn outbreak_areas(db: &Db, command: AreaCommand) -> anyhow::Result<()> {
    use crate::screening::outbreak_areas::{self, NewArea, OutbreakAreas};
    match command {
        AreaCommand::List => {
            for a in OutbreakAreas::load(db).await?.0 {
                let until = a.listed_until.map_or_else(|| "至今".to_string(), |d| format!("至 {d}(不含)"));
                println!("{}\t{}\t{}\t{}\t{} {until}\t{}", a.id, a.prefix, a.name, a.category, a.listed_from, a.source);
            }
        }
        AreaCommand::Add { prefix, name, name_en, aliases, category, from, source } => {
            let category = crate::screening::Category::parse(&category).with_context(|| format!("unknown category {category}"))?;
            let area = NewArea { prefix: &prefix, name: &name, name_en: &name_en, aliases: &aliases, category, listed_from: day_arg(&from)?, source: &source };
            let id = outbreak_areas::add(db, area).await?;
            println!("已列入疫区名单:{name}({prefix}),自 {from} 起,编号 {id}");
        }
        AreaCommand::End { id, on } => {
            outbreak_areas::end(db, id, day_arg(&on)?).await?;
            println!("疫区 {id} 自 {on} 起不再列入名单");
        }
    }
    Ok(())
}

async fn import_ledger(db: &Db, file: &std::path::Path, org: &str, valid_rows: bool, report_file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use crate::ledger_io::import::{self, Mode};
    let org = OrgCode::parse(org).map_err(|m| anyhow::anyhow!("{m}"))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = crate::ledger_io::read::read(&bytes).map_err(|m| anyhow::anyhow!("{m}"))?;
    let bar = indicatif::ProgressBar::new(rows.len().saturating_sub(1) as u64);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 行 ({eta})").expect("static template"));
    let mode = if valid_rows { Mode::ValidRows } else { Mode::AllOrNothing };
    let progress = |n: usize| bar.set_position(n as u64);
    let result = import::import(db, &Actor::cli("import ledger"), &Scope::everything(), import::Sheet { org: &org, rows: &rows, mode, today: crate::clock::today() }, &progress).await;
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(crate::error::AppError::Invalid(errors)) => bail!("{}", errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ")),
        Err(e) => bail!("{e}"),
    };
    println!("识别的列:{}", report.recognised.iter().map(|(h, f)| format!("{h}→{f}")).collect::<Vec<_>>().join(","));
    if !report.ignored.is_empty() {
        println!("忽略的列:{}", report.ignored.join(","));
    }
    for e in &report.errors {
        println!("第 {} 行 {} [{}]:{}", e.row, e.name, e.column, e.message);
    }
    println!(
        "共 {} 行,正确 {},有误 {};{}:新登记 {} 人,已有 {} 人,新入台账 {},已在台账 {},开始观察 {}",
        report.rows,
        report.valid_rows,
        report.rows - report.valid_rows,
        if report.landed { "已导入" } else { "未导入" },
        report.created_persons,
        report.existing_persons,
        report.created_key_persons,
        report.already_on_ledger,
        report.started_observations
    );
    if report.categorised_by_origin > 0 {
        println!("按来源地(疫区名单)归类 {} 人", report.categorised_by_origin);
    }
    if !report.unassigned.is_empty() {
        let rows: Vec<String> = report.unassigned.iter().map(|u| format!("第 {} 行 {}", u.row, u.name)).collect();
        println!("未分到网格 {} 人,请到人员页面指定网格:{}", rows.len(), rows.join(","));
    }
    if let Some(path) = report_file {
        std::fs::write(path, crate::ledger_io::xlsx::report(&report)?).with_context(|| format!("writing {}", path.display()))?;
        println!("问题清单已写入 {}", path.display());
    }
    if !report.landed && !report.errors.is_empty() {
        bail!("文件中有错误行,未导入任何数据;修改后重试,或加 --valid-rows 只导入正确的行");
    }
    Ok(())
}
