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
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "fangkong=info,tower_http=warn".into()))
        .with_writer(std::io::stderr)
        .init();
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
            let state = crate::web::AppState { db: db.clone(), settings: std::sync::Arc::new(settings) };
            println!("防控平台已启动 / serving on http://{listen} ({})", db.backend_name());
            crate::web::serve(state, listen).await?;
        }
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
                Err(crate::web::error::AppError::Invalid(errors)) => {
                    bail!("{}", errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
                }
                Err(e) => bail!("{e}"),
            };
            match users::create(&db, &Actor::cli("user add"), &Scope::everything(), new).await {
                Ok(id) => println!("已创建用户 {username}(编号 {id},角色 {},单位 {org})", role.zh()),
                Err(crate::web::error::AppError::Invalid(errors)) => {
                    bail!("{}", errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
                }
                Err(e) => return Err(anyhow::anyhow!("{e}")),
            }
        }
    }
    db.close().await;
    Ok(())
}
