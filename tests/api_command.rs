//! Directives over the API: the city issues, a county acknowledges and passes down, a township
//! reports back; bad input answers 422 in Chinese and writes nothing; roles that may not issue get 403.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

fn at(hours: i64) -> String {
    let t = time::OffsetDateTime::now_utc().to_offset(fangkong::clock::CHINA) + time::Duration::hours(hours);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
}

#[tokio::test]
async fn a_directive_goes_down_and_comes_back_over_the_api() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let city = app.token("city_commander").await;
        let body = |hours: i64| json!({"title": "关于加强卡点管控的通知", "body": "严格查验进出车辆人员", "ack_due_at": at(1), "feedback_due_at": at(hours)});

        let (status, error) = app.json("POST", "/api/v1/directives", Some(&city), Some(json!({"title": "", "body": "x", "ack_due_at": at(1), "feedback_due_at": at(2)}))).await;
        assert_eq!((status, error["error"]["fields"][0]["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("请填写标题(不超过 100 字)")));
        let (status, error) = app.json("POST", "/api/v1/directives", Some(&city), Some(json!({"title": "t", "body": "x", "ack_due_at": "明天", "feedback_due_at": at(2)}))).await;
        assert_eq!((status, error["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ack_due_at")));
        let (_, lists) = app.json("GET", "/api/v1/directives", Some(&city), None).await;
        assert_eq!(lists["issued"].as_array().map(Vec::len), Some(0), "nothing was written");

        let (status, created) = app.json("POST", "/api/v1/directives", Some(&city), Some(body(24))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        let grid = app.token("grid_worker").await;
        assert_eq!(app.json("POST", "/api/v1/directives", Some(&grid), Some(body(24))).await.0, StatusCode::FORBIDDEN);

        let county = app.token("county_commander").await;
        let (_, lists) = app.json("GET", "/api/v1/directives", Some(&county), None).await;
        let target = lists["received"][0]["target"]["id"].as_i64().unwrap();
        assert_eq!(lists["received"][0]["directive"]["id"].as_i64(), Some(id));
        let hengnan = app.token("county_commander_hn").await;
        assert_eq!(app.json("POST", &format!("/api/v1/directive-targets/{target}/acknowledge"), Some(&hengnan), None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.json("POST", &format!("/api/v1/directive-targets/{target}/acknowledge"), Some(&county), None).await.0, StatusCode::NO_CONTENT);
        let (status, forwarded) = app.json("POST", &format!("/api/v1/directive-targets/{target}/forward"), Some(&county), Some(body(12))).await;
        assert_eq!(status, StatusCode::CREATED, "{forwarded}");

        let township = app.token("township_officer").await;
        let (_, lists) = app.json("GET", "/api/v1/directives", Some(&township), None).await;
        let mine = lists["received"][0]["target"]["id"].as_i64().unwrap();
        let (status, _) = app.json("POST", &format!("/api/v1/directive-targets/{mine}/complete"), Some(&township), Some(json!({"feedback": "卡点 24 小时值守"}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        let (status, view) = app.json("GET", &format!("/api/v1/directives/{id}"), Some(&city), None).await;
        assert_eq!(status, StatusCode::OK);
        let leiyang = view["targets"].as_array().unwrap().iter().find(|t| t["org_code"] == "430481").unwrap();
        assert_eq!((leiyang["below"]["acknowledged"].as_i64(), leiyang["below"]["completed"].as_i64()), (Some(1), Some(1)));
        assert_eq!(app.json("GET", &format!("/api/v1/directives/{}", forwarded["id"]), Some(&hengnan), None).await.0, StatusCode::NOT_FOUND);
    }
}
