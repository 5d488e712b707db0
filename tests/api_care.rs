//! The API after triage: designated hospitals and transfers (refused when full), discharge with its
//! criteria handing the patient to the home grid's follow-up list, and close contacts seen by their
//! own county without the case's details.

mod common;

use axum::http::StatusCode;
use common::*;
use fangkong::auth::Role;
use serde_json::{Value, json};
use time::Duration;

/// A confirmed case of a new Leiyang resident, opened by `doctor`: its id.
async fn confirmed(app: &App, doctor: &str, grid: &str, id_number: &str) -> i64 {
    let (_, person) = app.json("POST", "/api/v1/persons", Some(grid), Some(person_json("周八", id_number, LEIYANG_GRID))).await;
    let open = json!({"person_id": person["id"], "onset_date": "2020-02-02", "history": ["affected_area_travel"], "clinical": ["fever_or_respiratory", "imaging_features"]});
    let (_, case) = app.json("POST", "/api/v1/cases", Some(doctor), Some(open)).await;
    let id = case["id"].as_i64().unwrap();
    tested(app, doctor, id, "2020-02-05 09:00", "positive").await;
    let (status, case) = app.json("POST", &format!("/api/v1/cases/{id}/decision"), Some(doctor), Some(json!({"to": "confirmed"}))).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    id
}

async fn tested(app: &App, doctor: &str, case: i64, taken: &str, result: &str) {
    let (_, sample) = app.json("POST", &format!("/api/v1/cases/{case}/samples"), Some(doctor), Some(json!({"kind": "throat_swab", "taken_at": taken}))).await;
    let path = format!("/api/v1/samples/{}/results", sample["id"]);
    let (status, _) = app.json("POST", &path, Some(doctor), Some(json!({"test": "nucleic_acid", "result": result, "resulted_at": taken}))).await;
    assert_eq!(status, StatusCode::CREATED);
}

fn message(e: &Value) -> &str {
    e["error"]["fields"][0]["message"].as_str().or(e["error"]["message"].as_str()).unwrap_or_default()
}

#[tokio::test]
async fn confirmed_to_transfer_to_discharge_to_follow_ups_on_the_home_grid() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        add_user(&db, "city_hospital", Role::HospitalStaff, "430400").await;
        let (grid, doctor, city) = (app.token("grid_worker").await, app.token("county_commander").await, app.token("city_commander").await);
        let ward = app.token("city_hospital").await;

        let hospital = json!({"org_code": "430400", "name": "衡阳市第一人民医院", "general_beds": 0, "isolation_beds": 1, "icu_beds": 0});
        assert_eq!(app.json("POST", "/api/v1/hospitals", Some(&doctor), Some(hospital.clone())).await.0, StatusCode::FORBIDDEN, "the city designates hospitals");
        let (status, created) = app.json("POST", "/api/v1/hospitals", Some(&city), Some(hospital)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let hospital_id = created["id"].as_i64().unwrap();

        let first = confirmed(&app, &doctor, &grid, "43048119900101123X").await;
        let second = confirmed(&app, &doctor, &grid, &resident_id("430481", 2)).await;
        let request = json!({"hospital_id": hospital_id, "bed_kind": "isolation"});
        let (status, t) = app.json("POST", &format!("/api/v1/cases/{first}/transfers"), Some(&doctor), Some(request.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        let transfer = t["id"].as_i64().unwrap();
        for step in ["accept", "admit"] {
            let (status, t) = app.json("POST", &format!("/api/v1/transfers/{transfer}/{step}"), Some(&ward), Some(json!({}))).await;
            assert_eq!(status, StatusCode::OK, "{t}");
        }
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{second}/transfers"), Some(&doctor), Some(request)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(message(&e), "衡阳市第一人民医院的隔离病床已满(共 1 张,已占用 1 张),请选择其他定点医院或其他床位类型");
        let (_, board) = app.json("GET", "/api/v1/hospitals", Some(&doctor), None).await;
        assert_eq!((board[0]["isolation_taken"].as_i64(), board[0]["requested"].as_i64()), (Some(1), Some(0)), "{board}");

        let (status, e) = app.json("POST", &format!("/api/v1/cases/{first}/discharge"), Some(&ward), Some(json!({"afebrile": true}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(message(&e).contains("呼吸道症状明显好转") && message(&e).contains("尚无核酸阴性结果"), "{e}");
        tested(&app, &ward, first, "2020-02-18 08:00", "negative").await;
        tested(&app, &ward, first, "2020-02-19 09:00", "negative").await;
        let all = json!({"afebrile": true, "respiratory_improved": true, "imaging_improved": true, "counselling": true});
        let (status, handover) = app.json("POST", &format!("/api/v1/cases/{first}/discharge"), Some(&ward), Some(all)).await;
        assert_eq!(status, StatusCode::OK, "{handover}");
        let today = fangkong::clock::today();
        let due = [(today + Duration::days(14)).to_string(), (today + Duration::days(28)).to_string()];
        assert_eq!(handover["follow_ups_due"], json!(due));

        // The Leiyang grid worker's today list carries the follow-ups and the care request.
        let (_, list) = app.json("GET", "/api/v1/today", Some(&grid), None).await;
        let follow_ups = list["follow_ups"].as_array().unwrap();
        assert_eq!(follow_ups.iter().map(|f| (f["week"].as_i64().unwrap(), f["due_date"].as_str().unwrap().to_string())).collect::<Vec<_>>(), [(2, due[0].clone()), (4, due[1].clone())]);
        assert_eq!(follow_ups[0]["name"], "周*");
        assert!(list["needs"].as_array().unwrap().iter().any(|n| n["kind"] == "counselling"), "{list}");
        let (status, _) = app.json("POST", &format!("/api/v1/follow-ups/{}/done", follow_ups[0]["id"]), Some(&grid), Some(json!({"note": "体温正常,无咳嗽"}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, left) = app.json("GET", "/api/v1/follow-ups", Some(&grid), None).await;
        assert_eq!(left.as_array().unwrap().len(), 1);
        let hengnan_grid = app.token("grid_worker_hn").await;
        let (_, none) = app.json("GET", "/api/v1/follow-ups", Some(&hengnan_grid), None).await;
        assert_eq!(none, json!([]));

        // The freed bed goes to the second case.
        let (_, board) = app.json("GET", "/api/v1/hospitals", Some(&doctor), None).await;
        assert_eq!(board[0]["isolation_taken"].as_i64(), Some(0));
        let (_, detail) = app.json("GET", &format!("/api/v1/cases/{first}"), Some(&doctor), None).await;
        assert_eq!((detail["status"].as_str(), detail["transfers"][0]["status"].as_str()), (Some("discharged"), Some("ended")), "{detail}");
    }
}

#[tokio::test]
async fn a_county_sees_its_contacts_of_another_countys_case_but_not_the_case() {
    for db in backends().await {
        let app = seeded_app(db).await;
        let (grid, doctor) = (app.token("grid_worker").await, app.token("county_commander").await);
        let hengnan = app.token("county_commander_hn").await;
        let case = confirmed(&app, &doctor, &grid, "43048119900101123X").await;
        let today = fangkong::clock::today();

        let contact = json!({"person": person_json("郑十", &resident_id("430422", 7), HENGNAN_GRID), "exposure": "work", "last_exposure_date": today.to_string()});
        let (status, c) = app.json("POST", &format!("/api/v1/cases/{case}/contacts"), Some(&doctor), Some(contact)).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let neither = json!({"exposure": "work", "last_exposure_date": today.to_string()});
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{case}/contacts"), Some(&doctor), Some(neither)).await;
        assert_eq!((status, message(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "请填写人员编号,或新登记人员的信息(二选一)"));
        let stale = json!({"person_id": 1, "exposure": "work", "last_exposure_date": (today - Duration::days(20)).to_string()});
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{case}/contacts"), Some(&doctor), Some(stale)).await;
        assert_eq!((status, message(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "末次接触至今已满 14 天,无需医学观察"));

        let (_, theirs) = app.json("GET", "/api/v1/contacts", Some(&hengnan), None).await;
        assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
        assert_eq!((theirs[0]["name"].as_str(), theirs[0]["case_id"].as_i64(), theirs[0]["case_county_code"].as_str()), (Some("郑*"), Some(case), Some("430481")));
        assert!(theirs[0].get("case_name").is_none() && !theirs.to_string().contains("周"), "nothing of the case's person: {theirs}");
        let (status, _) = app.json("GET", &format!("/api/v1/cases/{case}"), Some(&hengnan), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let hengnan_grid = app.token("grid_worker_hn").await;
        let (_, list) = app.json("GET", "/api/v1/today", Some(&hengnan_grid), None).await;
        assert_eq!(list["not_reported"][0]["name"], "郑*", "the contact is on the Hengnan grid worker's list: {list}");
        let (_, mine) = app.json("GET", "/api/v1/contacts", Some(&doctor), None).await;
        assert_eq!(mine, json!([]), "Leiyang registered the contact but it lives in Hengnan");

        // A contact typed by the ID number of a person registered in Hengnan is linked to them; the
        // case's county sees their county and status, not their grid, record or observation.
        let (_, known) = app.json("POST", "/api/v1/persons", Some(&hengnan_grid), Some(person_json("孙十一", &resident_id("430422", 8), HENGNAN_GRID))).await;
        let contact = json!({"person": person_json("孙十一", &resident_id("430422", 8), LEIYANG_GRID), "exposure": "social", "last_exposure_date": today.to_string()});
        assert_eq!(app.json("POST", &format!("/api/v1/cases/{case}/contacts"), Some(&doctor), Some(contact)).await.0, StatusCode::CREATED);
        let (_, detail) = app.json("GET", &format!("/api/v1/cases/{case}"), Some(&doctor), None).await;
        for c in detail["contacts"].as_array().unwrap() {
            assert_eq!((c["org_code"].as_str(), c["person_id"].as_i64(), c["episode_id"].as_i64(), c["name"].as_str()), (Some("430422"), None, None, Some("")), "{c}");
            assert!(!c["status"].as_str().unwrap().is_empty());
        }
        // Typing a number held in another county with another name finds out nothing and observes nobody.
        let probe = json!({"person": person_json("随便写", &resident_id("430422", 8), LEIYANG_GRID), "exposure": "social", "last_exposure_date": today.to_string()});
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{case}/contacts"), Some(&doctor), Some(probe)).await;
        assert_eq!((status, e["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name_mismatch")), "{e}");
        assert!(!e.to_string().contains("孙"), "the registered name is not told: {e}");
        assert!(!detail.to_string().contains(HENGNAN_GRID) && !detail.to_string().contains(&format!("\"person_id\":{}", known["id"])), "{detail}");

        // Registering that ID as a person of Leiyang: "registered elsewhere", and the attempt is audited.
        let (status, e) = app.json("POST", "/api/v1/persons", Some(&doctor), Some(person_json("孙十一", &resident_id("430422", 8), LEIYANG_GRID))).await;
        assert_eq!((status, e["error"]["existing_id"].as_i64()), (StatusCode::CONFLICT, None));
        assert!(message(&e).contains("其他辖区"), "{e}");
        let (_, audit) = app.json("GET", "/api/v1/audit?limit=100", Some(&hengnan), None).await;
        let probe = audit.as_array().unwrap().iter().find(|r| r["action"] == "person.registered_elsewhere").expect("audited");
        assert_eq!((probe["actor"].as_str(), probe["record_id"].as_str()), (Some("county_commander"), Some(known["id"].to_string().as_str())));
    }
}

#[tokio::test]
async fn facts_dated_in_the_future_are_refused_and_cannot_discharge_a_patient() {
    for db in backends().await {
        let app = seeded_app(db.clone()).await;
        let (grid, doctor) = (app.token("grid_worker").await, app.token("county_commander").await);
        let case = confirmed(&app, &doctor, &grid, "43048119900101123X").await;
        let at = |hours: i64| fangkong::clock::format_micros(fangkong::db::now_micros() + hours * 3_600_000_000);
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{case}/samples"), Some(&doctor), Some(json!({"kind": "throat_swab", "taken_at": at(48)}))).await;
        assert_eq!((status, e["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("time_future")), "{e}");
        let (_, sample) = app.json("POST", &format!("/api/v1/cases/{case}/samples"), Some(&doctor), Some(json!({"kind": "throat_swab", "taken_at": at(-2)}))).await;
        let results = format!("/api/v1/samples/{}/results", sample["id"]);
        let (status, e) = app.json("POST", &results, Some(&doctor), Some(json!({"test": "nucleic_acid", "result": "negative", "resulted_at": at(24)}))).await;
        assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("resulted_at")), "{e}");
        for (path, body) in [
            (format!("/api/v1/cases/{case}/report"), json!({"at": at(3)})),
            (format!("/api/v1/cases/{case}/severity"), json!({"severity": "mild", "at": at(3)})),
            (format!("/api/v1/cases/{case}/death"), json!({"at": at(3), "cause": "x"})),
            (format!("/api/v1/cases/{case}/discharge"), json!({"date": (fangkong::clock::today() + Duration::days(1)).to_string()})),
        ] {
            assert_eq!(app.json("POST", &path, Some(&doctor), Some(body)).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        }

        // Two negatives stored with future times (as an older server let in): the rule itself refuses them.
        let actor = fangkong::audit::Actor::cli("test");
        let everywhere = fangkong_rules::Scope::everything();
        for days in [2, 3] {
            let taken_at = fangkong::db::now_micros() + days * 86_400_000_000;
            let sample = fangkong::cases::store::NewSample { case_id: case, kind: fangkong::cases::SampleKind::ThroatSwab, taken_at, received_at: None, lab: None };
            let id = fangkong::cases::store::add_sample(&db, &actor, &everywhere, &sample).await.unwrap();
            fangkong::cases::store::add_result(&db, &actor, &everywhere, id, fangkong::cases::LabTest::NucleicAcid, fangkong::cases::LabOutcome::Negative, taken_at).await.unwrap();
        }
        let all = json!({"afebrile": true, "respiratory_improved": true, "imaging_improved": true});
        let (status, e) = app.json("POST", &format!("/api/v1/cases/{case}/discharge"), Some(&doctor), Some(all)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(message(&e).contains("晚于现在"), "{e}");
        let (_, detail) = app.json("GET", &format!("/api/v1/cases/{case}"), Some(&doctor), None).await;
        assert_eq!(detail["status"], "confirmed", "still in hospital");
    }
}
