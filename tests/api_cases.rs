//! The case API: triage assessment, a suspected case, samples and results, and the exclusion the
//! edition in force allows (today that is the 7th diagnosis edition: antibodies too).

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn triage_to_suspected_to_two_negatives_to_excluded() {
    for db in backends().await {
        let app = seeded_app(db).await;
        let grid = app.token("grid_worker").await;
        let doctor = app.token("hospital_staff").await;
        let findings = json!({"history": ["affected_area_travel"], "clinical": ["fever_or_respiratory", "low_cell_counts"]});
        assert_eq!(app.json("POST", "/api/v1/triage/assess", Some(&grid), Some(findings.clone())).await.0, StatusCode::FORBIDDEN, "grid workers do not triage");
        let (status, a) = app.json("POST", "/api/v1/triage/assess", Some(&doctor), Some(findings)).await;
        assert_eq!((status, a["suspected"].as_bool()), (StatusCode::OK, Some(true)), "{a}");
        assert!(a["edition"].as_str().unwrap().contains("第七版") && a["clinical"][1][1].as_str().unwrap().contains("淋巴细胞"), "{a}");
        let (status, e) = app.json("POST", "/api/v1/triage/assess", Some(&doctor), Some(json!({"clinical": ["fever", "cough"]}))).await;
        assert_eq!((status, e["error"]["fields"][0]["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("未知的临床表现条目:fever")), "{e}");

        let (_, person) = app.json("POST", "/api/v1/persons", Some(&grid), Some(person_json("周八", "43048119900101123X", LEIYANG_GRID))).await;
        let person_id = person["id"].as_i64().unwrap();
        let open = |clinical: serde_json::Value| json!({"person_id": person_id, "onset_date": "2020-02-02", "history": ["affected_area_travel"], "clinical": clinical});
        let (status, e) = app.json("POST", "/api/v1/cases", Some(&doctor), Some(open(json!(["fever_or_respiratory"])))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["error"]["fields"][0]["message"].as_str().unwrap().contains("不符合疑似病例定义"), "{e}");
        let (status, case) = app.json("POST", "/api/v1/cases", Some(&doctor), Some(open(json!(["fever_or_respiratory", "imaging_features"])))).await;
        assert_eq!((status, case["status"].as_str()), (StatusCode::CREATED, Some("suspected")), "{case}");
        let id = case["id"].as_i64().unwrap();

        let sample = |taken: &str| json!({"kind": "throat_swab", "taken_at": taken, "received_at": taken, "lab": "耒阳市疾控中心"});
        let result = |test: &str, at: &str| json!({"test": test, "result": "negative", "resulted_at": at});
        let (status, s1) = app.json("POST", &format!("/api/v1/cases/{id}/samples"), Some(&doctor), Some(sample("2020-02-10 09:00"))).await;
        assert_eq!(status, StatusCode::CREATED);
        let s1 = s1["id"].as_i64().unwrap();
        app.json("POST", &format!("/api/v1/samples/{s1}/results"), Some(&doctor), Some(result("nucleic_acid", "2020-02-10 15:00"))).await;
        let decide = json!({"to": "excluded"});
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{id}/decision"), Some(&doctor), Some(decide.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["error"]["fields"][0]["message"].as_str().unwrap().contains("只有一次核酸阴性结果"), "one negative is not enough: {e}");

        let (_, s2) = app.json("POST", &format!("/api/v1/cases/{id}/samples"), Some(&doctor), Some(sample("2020-02-11 09:30"))).await;
        let s2 = s2["id"].as_i64().unwrap();
        for test in ["nucleic_acid", "igm", "igg"] {
            let (status, _) = app.json("POST", &format!("/api/v1/samples/{s2}/results"), Some(&doctor), Some(result(test, "2020-02-11 16:00"))).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let (status, excluded) = app.json("POST", &format!("/api/v1/cases/{id}/decision"), Some(&doctor), Some(decide)).await;
        assert_eq!((status, excluded["status"].as_str()), (StatusCode::OK, Some("excluded")), "{excluded}");
        assert_eq!(excluded["transitions"].as_array().unwrap().len(), 2);
        assert_eq!(excluded["samples"][1]["results"].as_array().unwrap().len(), 3);

        let clocks = excluded["clocks"].as_array().unwrap();
        assert_eq!(clocks.iter().map(|c| c["kind"].as_str().unwrap()).collect::<Vec<_>>(), ["sampling", "report", "investigation", "lab_result", "lab_result"]);
        assert!(clocks[3]["done_at"].is_i64() && !clocks[3]["overdue"].as_bool().unwrap(), "the first result came 6 h after receipt: {}", clocks[3]);
        let now = time::OffsetDateTime::now_utc().to_offset(fangkong::clock::CHINA);
        let now = format!("{:04}-{:02}-{:02} {:02}:{:02}", now.year(), now.month() as u8, now.day(), now.hour(), now.minute());
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{id}/report"), Some(&doctor), Some(json!({"at": "2020-02-01 08:00"}))).await;
        assert_eq!((status, e["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("before_diagnosis")));
        let (status, r) = app.json("POST", &format!("/api/v1/cases/{id}/report"), Some(&doctor), Some(json!({"at": now}))).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert!(r["reported_at"].is_i64() && !r["clocks"][1]["overdue"].as_bool().unwrap(), "reported at once: {}", r["clocks"][1]);

        let (status, list) = app.json("GET", "/api/v1/cases", Some(&doctor), None).await;
        assert_eq!(status, StatusCode::OK);
        let list = list.as_array().unwrap();
        assert_eq!((list.len(), list[0]["name"].as_str(), list[0]["status"].as_str()), (1, Some("周*"), Some("excluded")), "masked on the list: {list:?}");
        assert_eq!((list[0]["overdue"].as_bool(), list[0]["clocks"][0]["done_at"].is_i64()), (Some(false), true));
        assert!(app.json("GET", "/api/v1/cases?status=suspected", Some(&doctor), None).await.1.as_array().unwrap().is_empty());
        assert_eq!(app.json("GET", "/api/v1/cases?status=cured", Some(&doctor), None).await.0, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, e) = app.json("POST", &format!("/api/v1/cases/{id}/severity"), Some(&doctor), Some(json!({"severity": "mild", "at": now}))).await;
        assert_eq!((status, e["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_confirmed")), "an excluded case has no classification");

        let other = app.token("hospital_staff_hn").await;
        assert!(app.json("GET", "/api/v1/cases", Some(&other), None).await.1.as_array().unwrap().is_empty(), "another county lists none of them");
        assert_eq!(app.json("GET", &format!("/api/v1/cases/{id}"), Some(&other), None).await.0, StatusCode::NOT_FOUND, "another county's case does not exist for it");
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{id}/samples"), Some(&doctor), Some(json!({"kind": "throat_swab", "taken_at": "明天"}))).await;
        assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("taken_at")));
    }
}
