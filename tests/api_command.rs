//! Directives over the API: the city issues, a county acknowledges and passes down, a township
//! reports back; files sent with a directive come back byte for byte to the units it reached; bad
//! input answers 422 in Chinese and writes nothing; roles that may not issue get 403.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};

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

        // Attachments come base64-encoded; one that is not is refused and nothing is written.
        let roster = "卡点,值班人\n泉溪,李四\n".as_bytes().to_vec();
        let map: Vec<u8> = (0..2_500_000u32).map(|i| (i % 251) as u8).collect();
        let with_files = |files: Value| {
            let mut b = body(24);
            b["attachments"] = files;
            b
        };
        let bad = with_files(json!([{"filename": "排班表.csv", "data_base64": "不是base64"}]));
        let (status, error) = app.json("POST", "/api/v1/directives", Some(&city), Some(bad)).await;
        assert_eq!((status, error["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("attachments")));
        assert_eq!(error["error"]["fields"][0]["message"], "附件「排班表.csv」的内容不是有效的 base64 编码");
        let six = with_files(Value::Array(vec![json!({"filename": "a.txt", "data_base64": "YQ=="}); 6]));
        assert_eq!(app.json("POST", "/api/v1/directives", Some(&city), Some(six)).await.0, StatusCode::UNPROCESSABLE_ENTITY, "at most five files");
        let (_, lists) = app.json("GET", "/api/v1/directives", Some(&city), None).await;
        assert_eq!(lists["issued"].as_array().map(Vec::len), Some(0), "nothing was written");

        let files = json!([
            {"filename": "排班表.csv", "content_type": "text/csv", "data_base64": STANDARD.encode(&roster)},
            {"filename": "卡点分布图.png", "content_type": "image/png", "data_base64": STANDARD.encode(&map)},
        ]);
        let (status, created) = app.json("POST", "/api/v1/directives", Some(&city), Some(with_files(files))).await;
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
        let attached: Vec<(&str, i64)> = view["attachments"].as_array().unwrap().iter().map(|a| (a["filename"].as_str().unwrap(), a["size"].as_i64().unwrap())).collect();
        assert_eq!(attached, [("排班表.csv", roster.len() as i64), ("卡点分布图.png", map.len() as i64)]);
        // The township the directive reached through its county downloads the files as sent (only
        // a picture keeps its type); another county cannot through Leiyang's forwarded directive,
        // nor can anyone fetch a file that is not the directive's.
        let get = |uri: String, token: &str| Request::builder().uri(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        for (i, (sent, content_type)) in [(&roster, "application/octet-stream"), (&map, "image/png")].into_iter().enumerate() {
            let file = &view["attachments"][i]["id"];
            let (status, headers, bytes) = app.send(get(format!("/api/v1/directives/{id}/attachments/{file}"), &township)).await;
            assert_eq!((status, headers["content-type"].to_str().unwrap(), &bytes), (StatusCode::OK, content_type, sent));
            let (status, _, _) = app.send(get(format!("/api/v1/directives/{}/attachments/{file}", forwarded["id"]), &township)).await;
            assert_eq!(status, StatusCode::OK, "the forwarded directive carries its root's files");
            assert_eq!(app.send(get(format!("/api/v1/directives/{}/attachments/{file}", forwarded["id"]), &hengnan)).await.0, StatusCode::NOT_FOUND);
        }
        assert_eq!(app.send(get(format!("/api/v1/directives/{id}/attachments/999999"), &city)).await.0, StatusCode::NOT_FOUND);
        let leiyang = view["targets"].as_array().unwrap().iter().find(|t| t["org_code"] == "430481").unwrap();
        assert_eq!((leiyang["below"]["acknowledged"].as_i64(), leiyang["below"]["completed"].as_i64()), (Some(1), Some(1)));
        assert_eq!(app.json("GET", &format!("/api/v1/directives/{}", forwarded["id"]), Some(&hengnan), None).await.0, StatusCode::NOT_FOUND);
    }
}
