//! Ledger import benchmark: N generated rows through the product's whole path (parse the CSV, validate
//! every row with the registry's rules, de-duplicate in the file and against the registry, write persons,
//! ledger entries and responsibles in one transaction), beside the raw ceiling — a batched insert of the
//! same rows into the same tables with no checks. Target: the import at ≥ 0.5 × the raw speed.
//!
//! `cargo bench --bench ledger_import -- --rows 1000000 [--postgres URL]`

use fangkong::audit::Actor;
use fangkong::db::{self, Db, now_micros};
use fangkong::ledger_io::import::{self, Mode};
use fangkong::on_db;
use fangkong::org::store::{self as org, ChildKind};
use fangkong_rules::resident_id::check_char;
use fangkong_rules::{OrgCode, Scope};
use std::time::Instant;
use support::arg;

mod support;

const GRID: &str = "430481001001001";
/// The responsible grid worker the product records for a row without one: the importing account.
const RESPONSIBLE: &str = "cli:bench";

/// One generated row as the product stores it: what the sheet says and what the ID number implies.
struct Row {
    name: String,
    id: String,
    phone: String,
    sex: &'static str,
    birth: time::Date,
    train: String,
}

/// A CSV as grid workers send them: ID numbers of Leiyang residents born 1940–2010, all distinct;
/// beside it, the same rows as the product writes them, for the raw insert.
fn generate(rows: usize) -> (Vec<u8>, Vec<Row>) {
    let mut csv = String::from("姓名,身份证号,手机号,来源地,返回日期,交通方式,车次,人员类别\n");
    let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let mut people = Vec::with_capacity(rows);
    let start = time::macros::date!(1940 - 01 - 01);
    for i in 0..rows {
        let birth = start + time::Duration::days((i / 1000) as i64 % 25_000);
        let first17 = format!("430481{:04}{:02}{:02}{:03}", birth.year(), birth.month() as u8, birth.day(), i % 1000);
        let id = format!("{first17}{}", check_char(first17.as_bytes()));
        let name = format!("测{}", i.to_string().chars().map(|c| digits[c as usize - '0' as usize]).collect::<String>());
        let (phone, train) = (format!("138{:08}", i % 100_000_000), format!("G{}", 1000 + i % 9000));
        csv.push_str(&format!("{name},{id},{phone},武汉市,2020-01-22,火车,{train},武汉返乡人员\n"));
        let sex = if (i % 1000) % 2 == 1 { "male" } else { "female" };
        people.push(Row { name, id, phone, sex, birth, train });
    }
    (csv.into_bytes(), people)
}

async fn fresh(url: Option<&str>, label: &str) -> Db {
    let url = match url {
        Some(u) => u.to_string(),
        None => db::database_url_for(None, &support::scratch_dir(label)),
    };
    let db = db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    org::seed_reference(&db).await.unwrap();
    let all = Scope::everything();
    let actor = Actor::cli("bench");
    org::create_child(&db, &actor, &all, &OrgCode::parse("430481001").unwrap(), ChildKind::Community, "金南社区").await.unwrap();
    org::create_child(&db, &actor, &all, &OrgCode::parse("430481001001").unwrap(), ChildKind::Grid, "第一网格").await.unwrap();
    db
}

/// The ceiling: the same rows, already clean (the same values the product writes, sex and birth date
/// included), written by batched inserts into the same tables.
async fn raw_insert(db: &Db, people: &[Row]) {
    let arrival = time::macros::date!(2020 - 01 - 22);
    let now = now_micros();
    on_db!(db, pool => {
        let mut tx = pool.begin().await.unwrap();
        for chunk in people.chunks(500) {
            let mut qb = sqlx::QueryBuilder::<DB>::new("insert into persons (org_code, name, id_type, id_number, id_key, id_legacy, sex, birth_date, phone, created_at, updated_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(GRID).push_bind(r.name.as_str()).push_bind("resident_id").push_bind(r.id.as_str()).push_bind(r.id.as_str())
                    .push_bind(false).push_bind(r.sex).push_bind(r.birth).push_bind(r.phone.as_str()).push_bind(now).push_bind(now);
            });
            qb.push(" returning id");
            let ids: Vec<(i64,)> = qb.build_query_as().fetch_all(&mut *tx).await.unwrap();
            let mut qb = sqlx::QueryBuilder::<DB>::new("insert into key_persons (person_id, org_code, category, origin_place, arrival_date, transport, transport_no, created_at, updated_at) ");
            qb.push_values(ids.iter().zip(chunk), |mut b, ((id,), r)| {
                b.push_bind(*id).push_bind(GRID).push_bind("wuhan_returnee").push_bind("武汉市").push_bind(arrival).push_bind("train").push_bind(r.train.as_str()).push_bind(now).push_bind(now);
            });
            qb.push(" returning id");
            let kids: Vec<(i64,)> = qb.build_query_as().fetch_all(&mut *tx).await.unwrap();
            let mut qb = sqlx::QueryBuilder::<DB>::new("insert into responsibles (key_person_id, role, name, created_at) ");
            qb.push_values(&kids, |mut b, (id,)| {
                b.push_bind(*id).push_bind("grid_worker").push_bind(RESPONSIBLE).push_bind(now);
            });
            qb.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
}

/// The first and last rows as stored, across the three tables.
async fn sample(db: &Db) -> Vec<(String, String, String, String, String, String)> {
    on_db!(db, pool => sqlx::query_as::<DB, (String, String, String, String, String, String)>(
        "select p.name, p.sex, p.phone, k.category, k.transport_no, r.name from persons p join key_persons k on k.person_id = p.id \
         join responsibles r on r.key_person_id = k.id where p.id in ((select min(id) from persons), (select max(id) from persons)) order by p.id")
        .fetch_all(pool).await.unwrap())
}

fn main() {
    let rows: usize = arg("--rows").and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let postgres = arg("--postgres");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        println!("generating {rows} rows…");
        let (csv, people) = generate(rows);
        let backend = if postgres.is_some() { "postgres" } else { "sqlite" };

        let raw_db = fresh(postgres.as_deref(), "raw").await;
        let t = Instant::now();
        raw_insert(&raw_db, &people).await;
        let raw = t.elapsed().as_secs_f64();
        let raw_sample = sample(&raw_db).await;
        raw_db.close().await;
        if postgres.is_some() {
            // Same database for both runs on PostgreSQL: clear the raw rows first.
            let db = db::connect(postgres.as_deref().unwrap()).await.unwrap();
            on_db!(&db, pool => sqlx::query::<DB>("truncate responsibles, key_persons, persons cascade").execute(pool).await.map(|_| ())).unwrap();
        }

        let db = fresh(postgres.as_deref(), "import").await;
        let t = Instant::now();
        let parsed = fangkong::ledger_io::read::read(&csv).unwrap();
        let report = import::import(
            &db,
            &Actor::cli("bench"),
            &Scope::everything(),
            import::Sheet { org: &OrgCode::parse(GRID).unwrap(), rows: &parsed, mode: Mode::AllOrNothing, today: fangkong::clock::today() },
            &|_| {},
        )
        .await
        .unwrap();
        let product = t.elapsed().as_secs_f64();
        assert!(report.landed && report.created_persons == rows, "{} errors", report.errors.len());
        assert_eq!(sample(&db).await, raw_sample, "the raw insert writes the same row content as the product");

        let t = Instant::now();
        let again = import::import(
            &db,
            &Actor::cli("bench"),
            &Scope::everything(),
            import::Sheet { org: &OrgCode::parse(GRID).unwrap(), rows: &parsed, mode: Mode::AllOrNothing, today: fangkong::clock::today() },
            &|_| {},
        )
        .await
        .unwrap();
        let reimport = t.elapsed().as_secs_f64();
        assert_eq!(again.created_persons, 0);

        println!("ledger import, {rows} rows, {backend}");
        println!("  raw batched insert (ceiling): {raw:>7.2} s  {:>9.0} rows/s", rows as f64 / raw);
        println!("  product import (parse + validate + dedup + write): {product:>7.2} s  {:>9.0} rows/s", rows as f64 / product);
        println!("  ratio product / raw: {:.2} (target ≥ 0.50)", raw / product);
        println!("  re-import of the same file (adds nothing): {reimport:.2} s");
    });
}
