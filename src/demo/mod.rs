//! The demo city (`fangkong demo`, `serve --demo`): Hengyang's real counties and townships with
//! synthetic villages, grids, households and persons, and one account per role.

mod batch;
mod checkpoints;
mod city;
mod names;
mod random;
mod sanitation;

use crate::auth::{Role, password};
use crate::db::{Db, now_micros};
use crate::on_db;
use crate::org::store::HouseholdRow;
use anyhow::Context;
use batch::{Cell, Table};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::Path;

/// One demo account per role, at representative units. The grid worker's grid is the first grid of
/// the first community of 蔡子池街道 (耒阳市), the street the city party secretary visited on 2020-02-03.
pub const ACCOUNTS: [(&str, Role, &str, &str); 12] = [
    ("admin", Role::Admin, "430400", "系统管理员"),
    ("city", Role::CityCommander, "430400", "市指挥部值班员"),
    ("leiyang", Role::CountyCommander, "430481", "耒阳市指挥部"),
    ("hengnan", Role::CountyCommander, "430422", "衡南县指挥部"),
    ("caiziqi", Role::TownshipOfficer, "430481001", "蔡子池街道干部"),
    ("grid", Role::GridWorker, "430481001001001", "网格员"),
    ("hospital", Role::HospitalStaff, "430400", "市定点医院"),
    ("checkpoint", Role::CheckpointStaff, "430422107", "花桥镇卡点"),
    ("enterprise", Role::EnterpriseContact, "430481001", "企业联络员"),
    ("sanitation", Role::SanitationInspector, "430407", "石鼓区环卫考核组"),
    ("centre", Role::SanitationInspector, crate::org::reference::SANITATION_CENTRE, "市环卫中心考核组"),
    ("shigu", Role::CountyCommander, "430407", "石鼓区指挥部"),
];

pub async fn has_accounts(db: &Db) -> sqlx::Result<bool> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from users").fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Loads the demo city in one transaction (all or nothing) and writes the generated passwords to
/// `demo-accounts.txt` in the data directory, readable by its owner only.
/// The city's designated hospitals (定点医院) with general, isolation and ICU beds.
const DESIGNATED_HOSPITALS: [(&str, i64, i64, i64); 4] =
    [("衡阳市第三人民医院(传染病院区)", 120, 300, 20), ("南华大学附属第一医院", 200, 120, 30), ("南华大学附属第二医院", 180, 100, 24), ("衡阳市中心医院", 150, 80, 16)];

pub async fn load(db: &Db, data_dir: &Path, people: usize, seed: u64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    println!("正在生成演示城市(衡阳市,{people} 人)… / generating the demo city");
    let city = city::generate(people, seed, crate::clock::today());
    let (units, households, persons) = (city.units.len(), city.households.len(), city.persons.len());
    let passwords: Vec<String> = ACCOUNTS.iter().map(|_| password::generate()).collect();
    let hashes = tokio::task::spawn_blocking({
        let passwords = passwords.clone();
        move || passwords.iter().map(|p| password::hash(p)).collect::<anyhow::Result<Vec<String>>>()
    })
    .await??;
    let grid_worker_unit = ACCOUNTS[5].2;
    let named = |code: &str| city.units.iter().find(|u| u.code == code).map(|u| u.name.clone());
    let (Some(community), Some(grid)) = (named(&grid_worker_unit[..12]), named(grid_worker_unit)) else { anyhow::bail!("demo grid {grid_worker_unit} was not generated") };
    // The grid's names are generated: the account is called after the ones this city got.
    let display_name = |org: &str, name: &str| if org == grid_worker_unit { format!("{community}{grid}{name}") } else { name.to_string() };

    let now = now_micros();
    let before = vec![Table::new(
        "org_units",
        &["code", "parent_code", "name", "level", "kind", "created_at"],
        city.units.iter().map(|u| vec![Cell::text(&u.code), Cell::opt(u.parent_code.clone()), Cell::text(&u.name), Cell::text(&u.level), Cell::opt(u.kind.clone()), Cell::Int(Some(now))]),
    )];
    let registry = batch::Registry {
        households: city
            .households
            .iter()
            .map(|h| HouseholdRow { org_code: &h.org_code, address: &h.address, building: h.building.as_deref(), unit: h.unit.as_deref(), room: h.room.as_deref() })
            .collect(),
        persons: city.persons,
    };
    let after = vec![
        Table::new(
            "hospitals",
            &["org_code", "name", "general_beds", "isolation_beds", "icu_beds", "created_at", "updated_at"],
            DESIGNATED_HOSPITALS.iter().map(|(name, general, isolation, icu)| {
                vec![Cell::text("430400"), Cell::text(name), Cell::Int(Some(*general)), Cell::Int(Some(*isolation)), Cell::Int(Some(*icu)), Cell::Int(Some(now)), Cell::Int(Some(now))]
            }),
        ),
        Table::new(
            "users",
            &["username", "display_name", "password_hash", "role", "org_code", "active", "created_at"],
            ACCOUNTS.iter().zip(&hashes).map(|((user, role, org, name), hash)| {
                vec![Cell::text(user), Cell::text(&display_name(org, name)), Cell::text(hash), Cell::text(role.as_str()), Cell::text(org), Cell::Bool(true), Cell::Int(Some(now))]
            }),
        ),
    ];
    let total_rows: usize = before.iter().chain(&after).map(Table::len).sum::<usize>() + registry.households.len() + registry.persons.len();
    let bar = ProgressBar::new(total_rows as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {msg} ({eta})").expect("static template"));
    let loaded = batch::insert_all(db, &before, registry, &after, &bar).await.context("loading the demo city")?;
    bar.finish_and_clear();
    if !loaded {
        println!("演示城市已存在,未重复加载 / the demo city is already loaded");
        return Ok(());
    }
    sanitation::load(db).await.context("the demo sanitation scheme")?;
    checkpoints::load(db).await.context("the demo checkpoints")?;
    let file = write_accounts(data_dir, &passwords)?;
    println!("演示城市已加载:{} 个村/社区/网格,{} 户,{} 人,用时 {:.1} 秒 / demo city loaded", units, households, persons, started.elapsed().as_secs_f64());
    // Passwords are shown to a person at a terminal, never written into a service's log.
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        println!("\n演示账号(只显示这一次;也已写入 {}):", file.display());
        for ((user, role, org, _), pw) in ACCOUNTS.iter().zip(&passwords) {
            println!("  {user:<11} {pw}  {:<14} {org}", role.zh());
        }
    } else {
        println!("演示账号及其密码已写入 {}(仅本机账户可读)/ demo accounts and passwords are in that file (mode 0600)", file.display());
    }
    Ok(())
}

fn write_accounts(data_dir: &Path, passwords: &[String]) -> anyhow::Result<std::path::PathBuf> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join("demo-accounts.txt");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(file, "# 防控平台演示账号 / demo accounts: username password role home-unit")?;
    for ((user, role, org, _), pw) in ACCOUNTS.iter().zip(passwords) {
        writeln!(file, "{user}\t{pw}\t{}\t{org}", role.as_str())?;
    }
    Ok(path)
}
