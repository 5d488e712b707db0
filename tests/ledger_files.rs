//! Ledger files end to end on SQLite and PostgreSQL: people's own sheets with bad rows, GBK CSV,
//! re-import adding nothing, and a masked, formula-neutralised export.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::Reader;
use common::*;
use fangkong::ledger_io::import::{self, Mode};
use fangkong::ledger_io::read;
use fangkong_rules::Scope;
use rust_xlsxwriter::Workbook;

const TODAY: time::Date = time::macros::date!(2020 - 02 - 04);

/// A sheet as grid workers make them: their own column order, an unknown column, an ID Excel turned
/// into a number, full-width digits, a bad check digit, a duplicate and a row without a name.
fn messy_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let header = ["序号", "身份证号码", "姓名", "手机号", "从何地返回", "抵达日期", "车次", "人员类别", "隔离开始日期", "备注"];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [[&str; 10]; 6] = [
        ["1", "43048119900101123x", "张三", "+86 138 0000 1111", "武汉市", "2020-01-22", "G1001", "武汉返乡人员", "2020-01-22", "=HYPERLINK(\"x\")"],
        ["2", "４３０４２２１９８５０２１５００２２", "李四", "13900002222", "420100", "2020/1/23", "", "湖北(除武汉)返乡人员", "", ""],
        ["3", "430481199001011231", "王五", "", "武汉市", "2020-01-22", "", "武汉返乡人员", "", ""],
        ["4", "EXCEL", "赵六", "", "", "", "", "", "", ""],
        ["5", "43048119900101123X", "张三", "", "", "", "", "", "", ""],
        ["6", "430405197006305557", "", "", "", "", "", "", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if *v == "EXCEL" {
                ws.write_number(r as u32 + 1, c as u16, 430481199001011231.0).unwrap();
            } else {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_messy_sheet_is_reported_row_by_row_and_lands_only_as_chosen() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let rows = read::read(&messy_workbook()).unwrap();
        let all = Scope::everything();
        let org = code(LEIYANG_GRID);
        let report = import::import(&db, &actor(), &scope, import::Sheet { org: &org, rows: &rows, mode: Mode::AllOrNothing, today: TODAY }, &|_| {}).await.unwrap();
        assert!(!report.landed);
        assert_eq!((report.rows, report.valid_rows), (6, 2));
        let errors: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(errors, [(4, "身份证号"), (5, "身份证号"), (6, "身份证号"), (7, "姓名")], "{:?}", report.errors);
        assert!(report.errors[0].message.contains("校验位"));
        assert!(report.errors[1].message.contains("科学计数法"));
        assert!(report.errors[2].message.contains("与第 2 行"));
        assert_eq!(report.ignored, ["序号"]);
        assert!(report.recognised.contains(&("车次".to_string(), "车次/航班号/车牌号".to_string())));
        assert_eq!(fangkong::people::store::count_under(&db, &all, &code("430400")).await.unwrap(), 0, "nothing lands");

        let report = import::import(&db, &actor(), &scope, import::Sheet { org: &org, rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await.unwrap();
        assert!(report.landed);
        assert_eq!((report.created_persons, report.created_key_persons, report.started_observations), (2, 2, 1));
        let ledger = fangkong::screening::ledger_list::ledger(&db, &scope, &Default::default(), TODAY, 10).await.unwrap();
        assert_eq!(ledger.len(), 2);
        // A page of one in a county holding every entry walks the ledger newest first (counts::walk_newest).
        let newest = fangkong::screening::ledger_list::ledger(&db, &scope, &Default::default(), TODAY, 1).await.unwrap();
        let filter = fangkong::screening::ledger_list::LedgerFilter { before: Some(newest[0].key_person_id), ..Default::default() };
        let next = fangkong::screening::ledger_list::ledger(&db, &scope, &filter, TODAY, 1).await.unwrap();
        assert_eq!([newest[0].key_person_id, next[0].key_person_id], [ledger[0].key_person_id, ledger[1].key_person_id]);
        let named = fangkong::screening::store::responsibles(&db, ledger[0].key_person_id).await.unwrap();
        assert_eq!(named.len(), 1, "each row's grid worker is its responsible person");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the import counts what it writes");
        let again = import::import(&db, &actor(), &scope, import::Sheet { org: &org, rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await.unwrap();
        assert_eq!((again.created_persons, again.existing_persons, again.created_key_persons, again.already_on_ledger, again.started_observations), (0, 2, 0, 2, 0));
        assert_eq!(fangkong::people::store::count_under(&db, &all, &code("430400")).await.unwrap(), 2, "re-import adds nothing");

        // The report as a spreadsheet.
        let xlsx = fangkong::ledger_io::xlsx::report(&report).unwrap();
        let back = read::read(&xlsx).unwrap();
        assert_eq!(back[0], ["行号", "姓名", "列", "问题"]);
        assert_eq!(back.len(), 5);

        // Another county cannot import into this grid.
        let other = import::import(&db, &actor(), &Scope::of(&code("430422")), import::Sheet { org: &org, rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await;
        assert!(other.is_err());
    }
}

#[tokio::test]
async fn a_gbk_csv_imports_like_the_same_sheet_in_utf8() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let text = "姓名,证件号码,联系电话,来源地,返回日期,交通方式\r\n陈七,430422198502150022,13700003333,武汉市,2020-01-25,自驾\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let rows = read::read(&gbk).unwrap();
        let report = import::import(&db, &actor(), &scope, import::Sheet { org: &code(LEIYANG_GRID), rows: &rows, mode: Mode::AllOrNothing, today: TODAY }, &|_| {}).await.unwrap();
        assert!(report.landed && report.errors.is_empty(), "{:?}", report.errors);
        let found = fangkong::people::search::search(&db, &scope, &fangkong::people::search::Query::parse("陈七", TODAY), None, 5).await.unwrap();
        assert_eq!((found[0].phone.as_deref(), found[0].sex.as_deref()), (Some("13700003333"), Some("female")));
        let missing = read::read("名字\n王\n".as_bytes()).unwrap();
        let err = import::import(&db, &actor(), &scope, import::Sheet { org: &code(LEIYANG_GRID), rows: &missing, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await;
        assert!(matches!(err, Err(fangkong::error::AppError::Invalid(ref f)) if f[0].message.contains("身份证号")));
    }
}

#[tokio::test]
async fn a_cell_or_header_with_a_control_character_is_refused_and_the_good_rows_land() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let text = "姓名,证件号码,备注\n陈\u{0}七,430422198502150022,\n王八,430481199001011231,右\u{202E}左\n刘九,43048119900101123X,好\n";
        let rows = read::read(text.as_bytes()).unwrap();
        let report = import::import(&db, &actor(), &scope, import::Sheet { org: &code(LEIYANG_GRID), rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await.unwrap();
        let errors: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(errors, [(2, "姓名"), (3, "备注")], "{:?}", report.errors);
        assert!(report.errors.iter().all(|e| e.message.contains("控制字符")));
        assert_eq!((report.valid_rows, report.landed), (1, true));
        let header = read::read("姓名\u{0},证件号码\n刘九,43048119900101123X\n".as_bytes()).unwrap();
        let refused = import::import(&db, &actor(), &scope, import::Sheet { org: &code(LEIYANG_GRID), rows: &header, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await;
        assert!(matches!(refused, Err(fangkong::error::AppError::Invalid(ref f)) if f[0].message.contains("第 1 列")));
    }
}

#[tokio::test]
async fn the_export_is_masked_neutralised_audited_and_scoped() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let rows = read::read(&messy_workbook()).unwrap();
        import::import(&db, &actor(), &Scope::of(&code("430481")), import::Sheet { org: &code(LEIYANG_GRID), rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await.unwrap();
        let token = app.token("county_commander").await;
        let request = Request::get("/api/v1/exports/ledger").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        let (status, headers, body) = app.send(request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], fangkong::ledger_io::xlsx::CONTENT_TYPE);
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let text: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(text[0][..5], ["序号", "姓名", "性别", "证件号码", "联系电话"]);
        let all = text.concat().join("|");
        assert!(all.contains("张*") && all.contains("430481********123X") && all.contains("138****1111"), "{all}");
        assert!(!all.contains("43048119900101123X") && !all.contains("13800001111") && !all.contains("张三"));
        assert!(all.contains("'=HYPERLINK"), "formula neutralised: {all}");
        let hn = app.token("county_commander_hn").await;
        let request = Request::get(format!("/api/v1/exports/ledger?org={LEIYANG_GRID}")).header("authorization", format!("Bearer {hn}")).body(Body::empty()).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::NOT_FOUND);
        let admin = app.token("admin").await;
        let (_, audit) = app.json("GET", "/api/v1/audit?action=ledger.export", Some(&admin), None).await;
        assert_eq!(audit.as_array().unwrap().len(), 1);

        // Through the API: a file in the body, the report as JSON.
        let csv = "姓名,身份证号\n刘八,430405197006305557\n";
        let request = Request::post(format!("/api/v1/imports?org={LEIYANG_GRID}")).header("authorization", format!("Bearer {token}")).body(Body::from(csv)).unwrap();
        let (status, _, body) = app.send(request).await;
        let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, report["created_persons"].as_i64()), (StatusCode::OK, Some(1)));
        let request = Request::post(format!("/api/v1/imports?org={HENGNAN_GRID}")).header("authorization", format!("Bearer {token}")).body(Body::from(csv)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let request = Request::get("/api/v1/imports/template").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        let (_, _, template) = app.send(request).await;
        assert_eq!(read::read(&template).unwrap()[0][..3], ["姓名", "性别", "身份证号"]);
    }
}

#[tokio::test]
async fn the_same_sheet_imported_six_times_at_once_registers_each_person_once() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let text = "姓名,证件号码\n陈七,430422198502150022\n王八,43048119900101123X\n";
        let imports: Vec<_> = (0..6)
            .map(|_| {
                let (db, scope) = (db.clone(), scope.clone());
                tokio::spawn(async move {
                    let rows = read::read(text.as_bytes()).unwrap();
                    import::import(&db, &actor(), &scope, import::Sheet { org: &code(LEIYANG_GRID), rows: &rows, mode: Mode::AllOrNothing, today: TODAY }, &|_| {}).await
                })
            })
            .collect();
        let mut reports = Vec::new();
        for i in imports {
            reports.push(i.await.unwrap().unwrap_or_else(|e| panic!("on {}: {e:?}", db.backend_name())));
        }
        assert!(reports.iter().all(|r| r.landed), "{reports:?}");
        assert_eq!(reports.iter().map(|r| r.created_persons).sum::<usize>(), 2, "each person created once");
        let found = fangkong::people::search::search(&db, &scope, &fangkong::people::search::Query::parse("陈七", TODAY), None, 5).await.unwrap();
        assert_eq!(found.len(), 1);
    }
}

/// A community's sheet as townships send them: no category column filled, origins as place names,
/// some rows naming their grid, some only an address.
#[tokio::test]
async fn imported_rows_are_filed_by_origin_and_land_on_their_grid_or_are_reported_unassigned() {
    use fangkong::org::store as org;
    for db in backends().await {
        seed_area(&db).await;
        let all = Scope::everything();
        let community = code("430481001001");
        let second = org::create_child(&db, &actor(), &all, &community, org::ChildKind::Grid, "第二网格").await.unwrap();
        let house = org::NewHousehold { org_code: code(&second.code), address: "南城一品".into(), building: Some("3".into()), unit: None, room: Some("501".into()) };
        let household = org::create_household(&db, &actor(), &all, house).await.unwrap().id;
        let text = "姓名,证件号码,来源地,离开日期,返回日期,人员类别,所属网格,现住址\n\
            甲,43048119900101123X,武汉市,2020-01-20,,,第一网格,\n\
            乙,430422198502150022,湖北省宜昌市,,2020-01-25,,,南城一品 3栋 501室\n\
            丙,430481199505051251,长沙市,2020-01-26,,,,\n\
            丁,430405197006305557,武汉市,2020-01-20,,密切接触者,第一网格,\n\
            戊,430481198802020019,,,,,第九网格,\n\
            己,430481197503030028,武汉市,2026-13-01,,,,\n\
            庚,430481198008081236,,,,,五一社区第一网格,\n\
            辛,430481198109091230,宜昌,2020-01-25,,,第一网格,\n";
        let rows = read::read(text.as_bytes()).unwrap();
        let scope = Scope::of(&code("430481001"));
        let report = import::import(&db, &actor(), &scope, import::Sheet { org: &community, rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await.unwrap();
        assert!(report.landed);
        let errors: Vec<(usize, &str, &str)> = report.errors.iter().map(|e| (e.row, e.name.as_str(), e.column.as_str())).collect();
        assert_eq!(errors, [(6, "戊", "所属网格"), (7, "己", "离开日期"), (8, "庚", "所属网格")], "{:?}", report.errors);
        assert!(report.errors[0].message.contains("第一网格、第二网格"), "the grids it could be are named: {}", report.errors[0].message);
        assert!(report.errors[1].message.starts_with("日期无效"), "{}", report.errors[1].message);
        assert_eq!(report.categorised_by_origin, 3, "甲, 乙 and 辛 (宜昌, a city of Hubei) are filed by their origin; 丙 is from no outbreak area, 丁 has a category");
        assert!(report.errors[2].message.contains("金南社区没有名为“五一社区第一网格”"), "another community's grid is not this one's: {}", report.errors[2].message);

        assert_eq!(entry(&db, "甲").await, (LEIYANG_GRID.into(), None, LEIYANG_GRID.into(), "wuhan_returnee".into(), Some("420100".into())));
        assert_eq!(entry(&db, "乙").await, (second.code.clone(), Some(household), second.code.clone(), "hubei_returnee".into(), Some("420000".into())));
        assert_eq!(entry(&db, "丙").await, (community.to_string(), None, community.to_string(), "other".into(), None));
        assert_eq!(entry(&db, "丁").await.3, "close_contact", "a category written in the sheet is kept");
        assert_eq!(entry(&db, "辛").await.3, "hubei_returnee");
        let unassigned: Vec<(usize, &str)> = report.unassigned.iter().map(|u| (u.row, u.name.as_str())).collect();
        assert_eq!(unassigned, [(4, "丙")], "the row on no grid is reported for the township to place");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);

        // A sheet imported into a grid takes no row of another grid.
        let text = "姓名,证件号码,所属网格\n壬,430481198210101237,第二网格\n";
        let into_grid =
            import::import(&db, &actor(), &scope, import::Sheet { org: &code(LEIYANG_GRID), rows: &read::read(text.as_bytes()).unwrap(), mode: Mode::ValidRows, today: TODAY }, &|_| {}).await.unwrap();
        assert_eq!(into_grid.valid_rows, 0);
        assert!(into_grid.errors[0].message.starts_with("本表导入到金南社区第一网格,该行却属“第二网格”"), "{:?}", into_grid.errors);

        // A county is not a unit rows land on; the answer says what to choose instead.
        let county = import::import(&db, &actor(), &all, import::Sheet { org: &code("430481"), rows: &rows, mode: Mode::ValidRows, today: TODAY }, &|_| {}).await;
        assert!(matches!(county, Err(fangkong::error::AppError::Invalid(ref f)) if f[0].message.contains("只能导入到村(社区)或网格")), "{county:?}");
    }
}

/// Where a registered person and their screening entry landed: (person unit, household, entry unit, category, origin code).
async fn entry(db: &fangkong::db::Db, name: &str) -> (String, Option<i64>, String, String, Option<String>) {
    let all = Scope::everything();
    let found = fangkong::people::search::search(db, &all, &fangkong::people::search::Query::parse(name, TODAY), None, 5).await.unwrap();
    let found = found.into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name} registered"));
    let person = fangkong::people::store::get(db, &all, found.id).await.unwrap().unwrap();
    let key = fangkong::screening::store::by_person(db, &all, person.id).await.unwrap().unwrap();
    (person.org_code, person.household_id, key.org_code, key.category, key.origin_code)
}
