//! The daily report over HTTP: JSON for a unit in the caller's jurisdiction (404 outside it), the
//! `.xlsx` with Chinese headers, clear errors for a bad or future date, and the roles that may read it.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::Reader;
use common::*;
use fangkong::screening::VisitResult;
use fangkong_rules::Scope;
use serde_json::Value;

fn figure<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["sections"].as_array().unwrap().iter().flat_map(|s| s["figures"].as_array().unwrap()).find(|f| f["code"] == code).unwrap()
}

#[tokio::test]
async fn a_county_reads_its_daily_report_with_its_townships_and_nothing_of_another_county() {
    for db in backends().await {
        let (leiyang_household, _) = seed_area(&db).await;
        seed_users(&db).await;
        let app = App::new(db.clone()).await;
        let today = fangkong::clock::today();
        fangkong::screening::store::record_visit(&db, &actor(), &Scope::of(&code("430481")), leiyang_household, today, VisitResult::AllWell, None).await.unwrap();
        let county = app.token("county_commander").await;

        let (status, report) = app.json("GET", "/api/v1/reports/daily?org=430481", Some(&county), None).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!((report["org_name"].as_str(), report["date"].as_str()), (Some("耒阳市"), Some(today.to_string().as_str())));
        let townships: Vec<&str> = report["units"].as_array().unwrap().iter().map(|u| u["org_code"].as_str().unwrap()).collect();
        let caizichi = townships.iter().position(|c| *c == "430481001").unwrap();
        let visited = figure(&report, "households_visited");
        assert_eq!((visited["value"].as_i64(), visited["by_unit"][caizichi].as_i64()), (Some(1), Some(1)));
        assert_eq!(figure(&report, "households_first_visited")["value"], 1);
        assert_eq!(figure(&report, "report_rate")["kind"], "permille");
        assert_eq!(report["beds"].as_array().map(|b| b.iter().map(|k| k["kind"].as_str().unwrap()).collect::<Vec<_>>()), Some(vec!["general", "isolation", "icu"]));

        let (status, _) = app.json("GET", "/api/v1/reports/daily?org=430422", Some(&county), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another county is out of jurisdiction");
        let (status, body) = app.json("GET", "/api/v1/reports/daily?org=430481&date=2020-02-30", Some(&county), None).await;
        assert_eq!((status, body["error"]["fields"][0]["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("日期无效:没有这一天(月份为 1–12,日不超过当月天数)")));
        let tomorrow = (today + time::Duration::days(1)).to_string();
        let (status, body) = app.json("GET", &format!("/api/v1/reports/daily?date={tomorrow}"), Some(&county), None).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("date_future")));
        let (status, yesterday) = app.json("GET", &format!("/api/v1/reports/daily?date={}", today - time::Duration::days(1)), Some(&county), None).await;
        assert_eq!((status, figure(&yesterday, "households_visited")["value"].as_i64()), (StatusCode::OK, Some(0)), "the visit was today");

        let grid = app.token("grid_worker").await;
        let (status, own) = app.json("GET", "/api/v1/reports/daily", Some(&grid), None).await;
        assert_eq!((status, own["org_code"].as_str(), own["units"].as_array().map(Vec::len)), (StatusCode::OK, Some(LEIYANG_GRID), Some(0)));
        let checkpoint = app.token("checkpoint_staff").await;
        assert_eq!(app.json("GET", "/api/v1/reports/daily", Some(&checkpoint), None).await.0, StatusCode::FORBIDDEN);

        let request = Request::builder().uri("/api/v1/reports/daily.xlsx?org=430481").header("authorization", format!("Bearer {county}")).body(Body::empty()).unwrap();
        let (status, headers, body) = app.send(request).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-disposition"].to_str().unwrap().contains(".xlsx"));
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
        let sheet = book.worksheet_range("日报").unwrap();
        let header: Vec<String> = sheet.rows().nth(2).unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(&header[..3], ["类别", "指标", "耒阳市(合计)"]);
        assert!(header.iter().any(|h| h == "蔡子池街道"));
        let row = sheet.rows().find(|r| r[1] == "已走访住户").unwrap();
        assert_eq!(row[2].to_string(), "1");

        // The dashboard: key figures, a trend ending today, townships to drill into, beds.
        let (status, board) = app.json("GET", "/api/v1/dashboard", Some(&county), None).await;
        assert_eq!(status, StatusCode::OK, "{board}");
        let trend_days = board["trend"]["days"].as_array().unwrap();
        assert_eq!(trend_days.last().and_then(Value::as_str), Some(today.to_string().as_str()));
        assert_eq!(board["key"][0]["code"], "observing");
        let alert_kinds: Vec<&str> = board["alerts"].as_array().unwrap().iter().filter_map(|a| a["label"].as_str()).collect();
        assert_eq!(alert_kinds, ["发热", "可疑症状", "上午未报体温", "下午未报体温", "逾期未复访", "生活需求超时"], "open alerts by kind");
        assert!(board["units"].as_array().unwrap().iter().any(|u| u["org_code"] == "430481001"));
        assert_eq!(board["beds"].as_array().map(Vec::len), Some(3));
        assert_eq!(app.json("GET", "/api/v1/dashboard?org=430422", Some(&county), None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.json("GET", "/api/v1/dashboard?org=4304", Some(&county), None).await.0, StatusCode::NOT_FOUND, "a code that is not one");
    }
}
