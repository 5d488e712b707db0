//! Web pages in process: sign-in cookies and CSRF, forms that keep what was typed, the admin's user
//! page, the language switch.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;

fn form(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path).header("cookie", cookie).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body.to_string())).unwrap()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header("cookie", cookie).body(Body::empty()).unwrap()
}

fn set_cookies(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

/// Signs in through the form and returns the session cookie and the page's CSRF token.
async fn sign_in(app: &App, username: &str, https: bool) -> (String, String, Vec<String>) {
    let (_, headers, body) = app.send(get("/login", "")).await;
    let login_cookie = set_cookies(&headers)[0].split(';').next().unwrap().to_string();
    let html = String::from_utf8(body).unwrap();
    let csrf = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let mut request = form("/login", &login_cookie, &format!("_csrf={csrf}&username={username}&password={PASSWORD}&next=/persons"));
    if https {
        request.headers_mut().insert("x-forwarded-proto", "https".parse().unwrap());
    }
    let (status, headers, _) = app.send(request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/persons");
    let cookies = set_cookies(&headers);
    let session = cookies.iter().find(|c| c.starts_with("fk_session=")).unwrap().split(';').next().unwrap().to_string();
    let (_, _, home) = app.send(get("/", &session)).await;
    let home = String::from_utf8(home).unwrap();
    let page_csrf = home.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (session, page_csrf, cookies)
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_refuses_a_forged_form() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    let (_, _, cookies) = sign_in(&app, "grid_worker", false).await;
    let session = cookies.iter().find(|c| c.starts_with("fk_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict") && !session.contains("Secure"), "{session}");
    let (_, _, cookies) = sign_in(&app, "grid_worker", true).await;
    assert!(cookies.iter().find(|c| c.starts_with("fk_session=")).unwrap().contains("Secure"), "Secure behind TLS");

    // A sign-in post without the form's cookie (as from another site) is refused.
    let (status, _, _) = app.send(form("/login", "", &format!("_csrf=x&username=grid_worker&password={PASSWORD}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, body) = app.send(form("/login", "fk_login_csrf=abc", "_csrf=abc&username=grid_worker&password=wrong-one")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8(body).unwrap().contains("用户名或密码错误"));
}

#[tokio::test]
async fn forms_need_the_session_csrf_token_and_keep_what_was_typed() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (session, csrf, _) = sign_in(&app, "grid_worker", false).await;
    let person = format!("name=%E5%BC%A0%E4%B8%89&id_type=resident_id&id_number=43048119900101123X&org_code={LEIYANG_GRID}");
    let (status, _, _) = app.send(form("/persons", &session, &person)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no token");
    let (status, _, _) = app.send(form("/persons", &session, &format!("_csrf=forged&{person}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "wrong token");
    assert_eq!(fangkong::people::store::count_under(&db, &fangkong_rules::Scope::everything(), &code("430400")).await.unwrap(), 0);

    let bad = format!("_csrf={csrf}&name=%E5%BC%A0%E4%B8%89&id_number=4.30481E%2B17&phone=0734-123&org_code={LEIYANG_GRID}");
    let (status, _, body) = app.send(form("/persons", &session, &bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("value=\"4.30481E+17\"") && html.contains("value=\"0734-123\""), "typed values kept");
    assert!(html.contains("科学计数法") && html.contains("手机号应为 11 位"));

    let (status, headers, _) = app.send(form("/persons", &session, &format!("_csrf={csrf}&{person}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let detail = headers[header::LOCATION].to_str().unwrap().split('?').next().unwrap().to_string();
    // Registering the same ID again offers the existing record.
    let (status, _, body) = app.send(form("/persons", &session, &format!("_csrf={csrf}&{person}"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(String::from_utf8(body).unwrap().contains(&format!("href=\"{detail}\"")));
    // Same phone as an existing person: candidates first, then an explicit confirmation registers.
    app.send(form(&detail, &session, &format!("_csrf={csrf}&{person}&phone=13800001111"))).await;
    let other = format!("_csrf={csrf}&name=%E6%9D%8E%E5%9B%9B&id_number=430422198502150022&phone=13800001111&org_code={LEIYANG_GRID}");
    let (status, _, body) = app.send(form("/persons", &session, &other)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("id=\"candidates\""));
    let (status, _, _) = app.send(form("/persons", &session, &format!("{other}&confirm_new=1"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(fangkong::people::store::count_under(&db, &fangkong_rules::Scope::everything(), &code("430400")).await.unwrap(), 2);
}

#[tokio::test]
async fn an_admin_creates_accounts_in_scope_from_the_users_page() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (session, csrf, _) = sign_in(&app, "admin", false).await;
    let (status, _, body) = app.send(form("/users", &session, &format!("_csrf={csrf}&username=new_worker&role=grid_worker&org_code={LEIYANG_GRID}&password=short"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("密码至少 8 位") && html.contains("value=\"new_worker\""));
    let (status, _, _) = app.send(form("/users", &session, &format!("_csrf={csrf}&username=new_worker&role=grid_worker&org_code={HENGNAN_GRID}&password=long-enough-1"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another county's unit");
    let (status, _, body) = app.send(form("/users", &session, &format!("_csrf={csrf}&username=new_worker&role=grid_worker&org_code={LEIYANG_GRID}&password=long-enough-1"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("已创建账号 new_worker"));
    assert_eq!(app.json("POST", "/api/v1/auth/token", None, Some(serde_json::json!({"username": "new_worker", "password": "long-enough-1"}))).await.0, StatusCode::OK);
    let (_, _, page) = app.send(get("/users", &session)).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("new_worker") && !page.contains("grid_worker_hn"), "only users in scope are listed");
}

#[tokio::test]
async fn english_can_be_chosen_and_logout_ends_the_session() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    let (session, csrf, _) = sign_in(&app, "county_commander", false).await;
    let (status, headers, _) = app.send(get("/lang/en?back=/persons", &session)).await;
    assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/persons"));
    let (_, headers, _) = app.send(get("/lang/en?back=//evil.example", &session)).await;
    assert_eq!(headers[header::LOCATION], "/", "no open redirect");
    let (_, _, body) = app.send(get("/persons", &format!("{session}; fk_lang=en"))).await;
    assert!(String::from_utf8(body).unwrap().contains("Start of a name, ID number, last four digits or mobile"));
    let (status, _, _) = app.send(form("/logout", &session, &format!("_csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, headers, _) = app.send(get("/persons", &session)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
}

#[tokio::test]
async fn unit_pages_show_household_coverage_of_each_unit_below() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (session, _, _) = sign_in(&app, "township_officer", false).await;
    let (_, _, before) = app.send(get("/orgs/430481001", &session)).await;
    assert!(String::from_utf8(before).unwrap().contains("0 / 1(0%)"));
    let households = fangkong::org::store::households(&db, &fangkong_rules::Scope::everything(), &code(LEIYANG_GRID), 0, 1).await.unwrap();
    fangkong::screening::store::record_visit(&db, &actor(), &fangkong_rules::Scope::everything(), households[0].id, fangkong::clock::today(), fangkong::screening::VisitResult::AllWell, None)
        .await
        .unwrap();
    let (_, _, after) = app.send(get("/orgs/430481001", &session)).await;
    let after = String::from_utf8(after).unwrap();
    assert!(after.contains("1 / 1(100%)"));
    // The units above the officer's own are named in the crumbs, not linked to pages they cannot open.
    let crumbs = after.split("class=\"crumbs\"").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(crumbs.contains("耒阳市") && !crumbs.contains("href=\"/orgs/430481\"") && !crumbs.contains("href=\"/orgs/430400\""), "{crumbs}");
}

#[tokio::test]
async fn a_township_adds_a_centralized_site_and_sees_its_free_places() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (session, csrf, _) = sign_in(&app, "township_officer", false).await;
    let (status, _, html) = app.send(form("/sites", &session, &format!("_csrf={csrf}&org_code=430481001&name=%E8%94%A1%E5%AD%90%E6%B1%A0%E9%9A%94%E7%A6%BB%E7%82%B9&address=&capacity=0"))).await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("床位数应为 1–10000") && html.contains("蔡子池隔离点"), "error beside the field, input kept");
    assert!(fangkong::observation::sites::list(&db, &fangkong_rules::Scope::everything()).await.unwrap().is_empty(), "nothing saved");
    let (status, _, _) = app.send(form("/sites", &session, &format!("_csrf={csrf}&org_code=430422&name=x&address=&capacity=5"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another county's unit is refused");
    // The unit is chosen by name, not typed as a code.
    assert!(html.contains("<option value=\"蔡子池街道 430481001\">"), "the township is offered by name: {html}");
    let (status, headers, _) =
        app.send(form("/sites", &session, &format!("_csrf={csrf}&org_code={}&name=%E8%94%A1%E5%AD%90%E6%B1%A0%E9%9A%94%E7%A6%BB%E7%82%B9&address=&capacity=30", enc("蔡子池街道")))).await;
    assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/sites"));
    let (_, _, page) = app.send(get("/sites", &session)).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("蔡子池隔离点") && page.contains("<strong class=\"free\">30</strong>"), "{page}");
    assert!(page.contains("title=\"430481001\">蔡子池街道"), "the site's unit by name: {page}");
    let (_, _, grid_page) = app.send(get("/sites", &sign_in(&app, "grid_worker", false).await.0)).await;
    assert!(String::from_utf8(grid_page).unwrap().contains("蔡子池隔离点"), "the township's site serves its grids");
}

/// A multipart post of `fields` and `(field, file name, bytes)` files, as a browser sends a form
/// with `enctype="multipart/form-data"`.
fn multipart_post(path: &str, cookie: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Request<Body> {
    let b = "fkboundary9";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{b}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes());
    }
    for (name, filename, data) in files {
        body.extend(format!("--{b}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\ncontent-type: application/octet-stream\r\n\r\n").into_bytes());
        body.extend_from_slice(data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{b}--\r\n").into_bytes());
    Request::post(path).header("cookie", cookie).header("content-type", format!("multipart/form-data; boundary={b}")).body(Body::from(body)).unwrap()
}

fn upload(cookie: &str, csrf: &str, org: &str, mode: &str, file: &str) -> Request<Body> {
    let b = "fkboundary7";
    let part = |name: &str, value: &str| format!("--{b}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
    let body = format!(
        "{}{}{}--{b}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"台账.csv\"\r\ncontent-type: text/csv\r\n\r\n{file}\r\n--{b}--\r\n",
        part("_csrf", csrf),
        part("org", org),
        part("mode", mode)
    );
    Request::post("/imports").header("cookie", cookie).header("content-type", format!("multipart/form-data; boundary={b}")).body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn a_ledger_uploaded_on_the_page_imports_in_the_background_with_its_report() {
    for db in backends().await {
        let app = seeded_app(db).await;
        let (session, csrf, _) = sign_in(&app, "grid_worker", false).await;
        let file = format!("姓名,身份证号,联系电话\n张三,{},13800001111\n李四,430481199001011230,13800002222\n", resident_id("430481", 1));

        let (status, _, body) = app.send(upload(&session, &csrf, "430481", "valid_rows", &file)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a unit code that is no village or grid is refused before any job starts");
        assert!(String::from_utf8(body).unwrap().contains("该单位不在您的辖区内,请选择您辖区内的村(社区)或网格"));

        let (status, headers, _) = app.send(upload(&session, &csrf, LEIYANG_GRID, "valid_rows", &file)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let job_page = headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(job_page.starts_with("/imports/"), "{job_page}");
        let mut html = String::new();
        for _ in 0..100 {
            let (status, _, body) = app.send(get(&job_page, &session)).await;
            assert_eq!(status, StatusCode::OK);
            html = String::from_utf8(body).unwrap();
            if !html.contains("data-status=\"running\"") {
                break;
            }
            assert!(html.contains("http-equiv=\"refresh\""), "a running job's page refreshes itself");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(html.contains("data-status=\"done\"") && html.contains("已导入") && !html.contains("http-equiv=\"refresh\""), "{html}");
        assert!(html.contains("<td class=\"num\">3</td>") && html.contains("校验位"), "row 3's bad check digit is reported: {html}");

        let (status, headers, body) = app.send(get(&format!("{job_page}/problems.xlsx"), &session)).await;
        assert_eq!((status, headers["content-type"].to_str().unwrap()), (StatusCode::OK, fangkong::ledger_io::xlsx::CONTENT_TYPE));
        assert!(body.starts_with(b"PK"), "a real .xlsx");

        let id = job_page.rsplit('/').next().unwrap();
        let token = app.token("grid_worker").await;
        let (status, job) = app.json("GET", &format!("/api/v1/imports/{id}"), Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((job["status"].as_str(), job["rows_total"].as_u64(), job["report"]["created_persons"].as_u64()), (Some("done"), Some(2), Some(1)));
        let other = app.token("grid_worker_hn").await;
        assert_eq!(app.json("GET", &format!("/api/v1/imports/{id}"), Some(&other), None).await.0, StatusCode::NOT_FOUND, "another county's job is not found");

        // A job left running by a server that stopped an hour ago wrote nothing (one transaction): it says so.
        let stale: i64 = fangkong::on_db!(&app.db, pool => sqlx::query_scalar::<DB, i64>(
            "insert into import_jobs (org_code, file_name, mode, status, created_at) values ($1, 'old.csv', 'valid_rows', 'running', 0) returning id")
            .bind(LEIYANG_GRID).fetch_one(pool).await)
        .unwrap();
        let (_, job) = app.json("GET", &format!("/api/v1/imports/{stale}"), Some(&token), None).await;
        assert_eq!(job["status"], "interrupted");
        let (_, _, body) = app.send(get(&format!("/imports/{stale}"), &session)).await;
        assert!(String::from_utf8(body).unwrap().contains("导入因服务重启而中断,数据库未作任何改动"));
    }
}

/// A suspected case of a Leiyang resident, with the county's scope.
async fn suspected_case(db: &fangkong::db::Db) -> (fangkong_rules::Scope, fangkong::cases::store::Case) {
    use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
    let county = fangkong_rules::Scope::of(&code("430481"));
    let input = fangkong::people::PersonInput { name: "郑九".into(), id_number: "43048119900101123X".into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    let person = fangkong::people::store::create(db, &actor(), &county, &input.validate(fangkong::clock::today()).unwrap()).await.unwrap().id;
    let triage = fangkong::cases::store::Triage {
        person_id: person,
        onset_date: None,
        history: vec![EpiItem::InfectedContact],
        clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::ImagingFeatures],
    };
    let case = fangkong::cases::store::open_suspected(db, &actor(), &county, &triage, fangkong::clock::today()).await.unwrap();
    (county, case)
}

#[tokio::test]
async fn a_confirmed_case_page_records_its_clinical_classification() {
    use fangkong::cases::store::{self, NewSample};
    use fangkong::cases::{CaseStatus, LabOutcome, LabTest, SampleKind};
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (county, case) = suspected_case(&db).await;
    let at = fangkong::db::now_micros();
    let sample = store::add_sample(&db, &actor(), &county, &NewSample { case_id: case.id, kind: SampleKind::ThroatSwab, taken_at: at, received_at: None, lab: None }).await.unwrap();
    store::add_result(&db, &actor(), &county, sample, LabTest::NucleicAcid, LabOutcome::Positive, at).await.unwrap();
    store::decide_suspected(&db, &actor(), &county, case.id, CaseStatus::Confirmed, fangkong::clock::today()).await.unwrap();

    let (session, csrf, _) = sign_in(&app, "hospital_staff", false).await;
    let page = format!("/cases/{}", case.id);
    let (status, _, body) = app.send(get(&page, &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert!(status == StatusCode::OK && html.contains("确诊病例") && html.contains("action=\"/cases/") && html.contains("/severity\""), "{html}");
    let (status, headers, _) = app.send(form(&format!("{page}/severity"), &session, &format!("_csrf={csrf}&severity=severe&at="))).await;
    assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, page.as_str()));
    let (_, _, body) = app.send(get(&page, &session)).await;
    assert!(String::from_utf8(body).unwrap().contains("<strong>重型</strong>"), "the classification is on the page");
    let (status, _, body) = app.send(form(&format!("{page}/severity"), &session, &format!("_csrf={csrf}&severity=worse"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8(body).unwrap().contains("请选择临床分型"));
}

#[tokio::test]
async fn an_asymptomatic_infection_is_registered_corrected_and_counted_on_the_board() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let input = fangkong::people::PersonInput { name: "冯十一".into(), id_number: "43048119900101123X".into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    let person = fangkong::people::store::create(&db, &actor(), &fangkong_rules::Scope::everything(), &input.validate(fangkong::clock::today()).unwrap()).await.unwrap().id;
    let (session, csrf, _) = sign_in(&app, "county_commander", false).await;
    let register = |taken: &str, resulted: &str| format!("_csrf={csrf}&person_id={person}&kind=throat_swab&taken_at={taken}&received_at=&lab=&resulted_at={resulted}");
    let (status, _, body) = app.send(form("/cases/asymptomatic", &session, &register("2020-02-05+10%3A00", "2020-02-05+09%3A00"))).await;
    let html = String::from_utf8(body).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("时间顺序应为采样、送达实验室、出结果") && html.contains("value=\"2020-02-05 10:00\""), "{html}");
    let (status, headers, _) = app.send(form("/cases/asymptomatic", &session, &register("2020-02-05+09%3A00", "2020-02-05+15%3A00"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = headers[header::LOCATION].to_str().unwrap().to_string();
    let (_, _, body) = app.send(get(&page, &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("无症状感染者") && html.contains("/correction\"") && html.contains("解除隔离"), "{html}");
    let today = fangkong::clock::today();
    let (status, _, _) = app.send(form(&format!("{page}/correction"), &session, &format!("_csrf={csrf}&onset_date={today}&findings=%E5%8F%91%E7%83%AD"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = app.send(get(&page, &session)).await;
    assert!(String::from_utf8(body).unwrap().contains("订正为确诊病例:发热"), "the correction is on the timeline");

    let (status, _, body) = app.send(get("/cases/board", &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<li data-status=\"confirmed\"><strong>1</strong>"), "{html}");
    for path in ["/cases/chains", "/hospitals", "/contacts", "/follow-ups", "/cases/board?org=430481001"] {
        assert_eq!(app.send(get(path, &session)).await.0, StatusCode::OK, "{path}");
    }
    assert_eq!(app.send(get("/cases/board?org=430422", &session)).await.0, StatusCode::NOT_FOUND, "another county's board");
    let (status, _, body) = app.send(form("/hospitals", &session, &format!("_csrf={csrf}&org_code=430481&name=x&general_beds=1&isolation_beds=1&icu_beds=1"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));

    let (city, city_csrf, _) = sign_in(&app, "city_commander", false).await;
    let (status, _, body) = app.send(form("/hospitals", &city, &format!("_csrf={city_csrf}&org_code=430400&name=%E5%B8%82%E4%B8%80%E9%99%A2&general_beds=10&isolation_beds=-1&icu_beds=2"))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(body).unwrap().contains("床位数应为 0 至 100000 的整数"));
    let (status, _, _) = app.send(form("/hospitals", &city, &format!("_csrf={city_csrf}&org_code=430400&name=%E5%B8%82%E4%B8%80%E9%99%A2&general_beds=10&isolation_beds=5&icu_beds=2"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = app.send(get("/hospitals", &city)).await;
    assert!(String::from_utf8(body).unwrap().contains("<strong>5</strong> / 5"), "five isolation beds free");
    let (grid, _, _) = sign_in(&app, "grid_worker", false).await;
    assert_eq!(app.send(get("/cases/board", &grid)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.send(get("/follow-ups", &grid)).await.0, StatusCode::OK, "grid workers keep follow-ups");
}

#[tokio::test]
async fn a_duplicate_is_merged_from_the_person_page_and_the_merge_undone() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let everywhere = fangkong_rules::Scope::everything();
    let mut ids = Vec::new();
    for (name, seq) in [("王小明", 1), ("王晓明", 2)] {
        let input = fangkong::people::PersonInput { name: name.into(), id_number: resident_id("430481", seq), org_code: LEIYANG_GRID.into(), ..Default::default() };
        ids.push(fangkong::people::store::create(&db, &actor(), &everywhere, &input.validate(fangkong::clock::today()).unwrap()).await.unwrap().id);
    }
    let (kept, duplicate) = (ids[0], ids[1]);
    let (session, csrf, _) = sign_in(&app, "grid_worker", false).await;
    let (status, _, body) = app.send(form(&format!("/persons/{kept}/merge"), &session, &format!("_csrf={csrf}&duplicate_id={kept}"))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(body).unwrap().contains("不能与自己合并"));
    let (status, headers, _) = app.send(form(&format!("/persons/{kept}/merge"), &session, &format!("_csrf={csrf}&duplicate_id={duplicate}"))).await;
    assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, format!("/persons/{kept}").as_str()));
    let (_, _, body) = app.send(get(&format!("/persons/{duplicate}"), &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("已合并至") && html.contains(&format!("/persons/{duplicate}/unmerge")), "{html}");
    let (_, _, body) = app.send(get("/persons", &session)).await;
    assert!(!String::from_utf8(body).unwrap().contains(&format!("/persons/{duplicate}\"")), "the duplicate leaves the list");
    let (status, _, _) = app.send(form(&format!("/persons/{duplicate}/unmerge"), &session, &format!("_csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = app.send(get(&format!("/persons/{duplicate}"), &session)).await;
    assert!(!String::from_utf8(body).unwrap().contains("已合并至"));
}

#[tokio::test]
async fn a_county_chooses_where_its_discharged_patients_are_observed() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let site = fangkong::observation::sites::create(&db, &actor(), &fangkong_rules::Scope::everything(), &code("430481"), "耒阳市康复观察点", None, 20).await.unwrap();
    let (session, csrf, _) = sign_in(&app, "county_commander", false).await;
    let (_, _, body) = app.send(get("/sites", &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("出院患者康复观察") && html.contains("<option value=\"\">居家医学观察</option>"), "{html}");
    let (status, _, _) = app.send(form("/sites/post-discharge", &session, &format!("_csrf={csrf}&site_id={site}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = app.send(get("/sites", &session)).await;
    assert!(String::from_utf8(body).unwrap().contains(&format!("<option value=\"{site}\" selected>")), "the choice is kept");
    assert_eq!(fangkong::observation::sites::post_discharge_site(&db, "430481").await.unwrap(), Some(site));
    let (grid, grid_csrf, _) = sign_in(&app, "grid_worker", false).await;
    let (_, _, body) = app.send(get("/sites", &grid)).await;
    assert!(!String::from_utf8(body).unwrap().contains("出院患者康复观察"), "only the county's command sets it");
    let (status, _, _) = app.send(form("/sites/post-discharge", &grid, &format!("_csrf={grid_csrf}&site_id="))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_daily_report_page_drills_down_prints_and_says_what_is_wrong_with_a_date() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (session, _, _) = sign_in(&app, "county_commander", false).await;
    let (status, _, body) = app.send(get("/reports/daily", &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("耒阳市 · 疫情防控日报") && html.contains("data-figure=\"households\"") && html.contains("data-print"), "{html}");
    assert!(html.contains("<td>住户数(当前)</td><td class=\"num total\">1</td>"), "the Leiyang household counted: {html}");
    assert!(html.contains("href=\"/reports/daily?org=430481001&amp;date="), "each township drills down");
    let (status, _, body) = app.send(get("/reports/daily?org=430481001", &session)).await;
    let html = String::from_utf8(body).unwrap();
    assert!(status == StatusCode::OK && html.contains("id=\"report-up\" href=\"/reports/daily?org=430481&amp;"), "a township's report goes back up");
    let (status, _, body) = app.send(get("/reports/daily?date=2020-13-01", &session)).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(body).unwrap().contains("日期无效"));
    assert_eq!(app.send(get("/reports/daily?org=430422", &session)).await.0, StatusCode::NOT_FOUND);
    let (status, headers, _) = app.send(get("/reports/daily.xlsx?org=430481001", &session)).await;
    assert!(status == StatusCode::OK && headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
}

#[tokio::test]
async fn the_case_page_stops_its_clocks_and_asks_before_confirming() {
    use fangkong::cases::store;
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (county, case) = suspected_case(&db).await;
    let (session, csrf, _) = sign_in(&app, "hospital_staff", false).await;
    let page = format!("/cases/{}", case.id);
    let html = String::from_utf8(app.send(get(&page, &session)).await.2).unwrap();
    assert!(html.contains("已直报") && html.contains("已流调") && html.contains("/milestone\""), "both clocks can be stopped from the page: {html}");
    let tomorrow = fangkong::clock::format_micros(fangkong::db::now_micros() + 86_400_000_000).replace(' ', "+");
    let (status, _, body) = app.send(form(&format!("{page}/milestone"), &session, &format!("_csrf={csrf}&milestone=reported&at={tomorrow}"))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(body).unwrap().contains("时间不能晚于现在"), "a time ahead of now is refused");
    let (status, headers, _) = app.send(form(&format!("{page}/milestone"), &session, &format!("_csrf={csrf}&milestone=reported&at="))).await;
    assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, page.as_str()));
    let html = String::from_utf8(app.send(get(&page, &session)).await.2).unwrap();
    let report = html.split("data-clock=\"report\"").nth(1).unwrap().split("</li>").next().unwrap();
    assert!(report.contains("完成于") && !report.contains("已直报"), "the report clock is stopped: {report}");

    let list = String::from_utf8(app.send(get("/cases", &session)).await.2).unwrap();
    assert!(list.contains("已流调") && !list.contains("已直报</button>"), "the list offers what is still open: {list}");
    let (status, headers, _) = app.send(form(&format!("{page}/milestone"), &session, &format!("_csrf={csrf}&milestone=investigated&back=list"))).await;
    assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, format!("/cases#case-{}", case.id).as_str()));
    assert!(store::get(&db, &county, case.id).await.unwrap().unwrap().investigated_at.is_some());

    let (status, _, body) = app.send(form(&format!("{page}/decision"), &session, &format!("_csrf={csrf}&to=excluded"))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(body).unwrap().contains("请先勾选"), "a decision asks for the tick first");
    assert_eq!(store::get(&db, &county, case.id).await.unwrap().unwrap().status, "suspected");
}

#[tokio::test]
async fn search_results_can_be_told_apart_by_unit_name_age_sex_and_last_four() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let county = fangkong_rules::Scope::of(&code("430481"));
    for seq in [1, 2] {
        let input = fangkong::people::PersonInput { name: "李四".into(), id_number: resident_id("430481", seq), org_code: LEIYANG_GRID.into(), ..Default::default() };
        fangkong::people::store::create(&db, &actor(), &county, &input.validate(fangkong::clock::today()).unwrap()).await.unwrap();
    }
    let (session, _, _) = sign_in(&app, "county_commander", false).await;
    let html = String::from_utf8(app.send(get("/persons?q=%E6%9D%8E", &session)).await.2).unwrap();
    let rows: Vec<&str> = html.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{html}");
    for (row, seq) in rows.iter().zip([2, 1]) {
        let id = resident_id("430481", seq);
        let born = time::Date::parse(&id[6..14], time::macros::format_description!("[year][month][day]")).unwrap();
        let today = fangkong::clock::today();
        let age = today.year() - born.year() - i32::from((today.month() as u8, today.day()) < (born.month() as u8, born.day()));
        assert!(row.contains(&id[14..]) && !row.contains(&id[6..14]), "the last four show, the birth date does not: {row}");
        assert!(row.contains(&format!(">{age}<")), "the age is shown: {row}");
        assert!(row.contains("金南社区第一网格") && row.contains(&format!("title=\"{LEIYANG_GRID}\"")), "the unit by name, its code in the tooltip: {row}");
    }
}

#[tokio::test]
async fn the_audit_trail_says_what_was_done_in_words() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let (session, _, _) = sign_in(&app, "county_commander", false).await;
    let html = String::from_utf8(app.send(get("/audit", &session)).await.2).unwrap();
    let rows = html.split("<tbody>").nth(1).unwrap();
    assert!(rows.contains(">登录<") && !rows.contains(">auth.login<"), "actions in words, the code in the tooltip: {rows}");
    assert!(html.contains("<option value=\"supervision.fix_confirmed\">确认整改到位</option>"), "every action can be filtered by");
    let filtered = String::from_utf8(app.send(get("/audit?action=auth.login", &session)).await.2).unwrap();
    assert!(filtered.split("<tbody>").nth(1).unwrap().matches("<tr>").count() >= 1);

    // By account and by days: the grid worker's sign-in today, and nothing tomorrow.
    sign_in(&app, "grid_worker", false).await;
    assert!(html.contains("<option value=\"grid_worker\">"), "the accounts of the area are offered");
    let today = fangkong::clock::today();
    let (status, _, page) = app.send(get(&format!("/audit?user=grid_worker&from={today}&to={today}"), &session)).await;
    let page = String::from_utf8(page).unwrap();
    let rows = page.split("<tbody>").nth(1).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(rows.contains(">grid_worker<") && !rows.contains(">county_commander<"), "{rows}");
    assert!(page.contains("name=\"user\" value=\"grid_worker\""), "the filter stays in the form");
    let tomorrow = today.next_day().unwrap();
    let page = String::from_utf8(app.send(get(&format!("/audit?user=grid_worker&from={tomorrow}"), &session)).await.2).unwrap();
    assert!(page.contains("没有符合条件的记录"), "{page}");
    let (status, _, page) = app.send(get(&format!("/audit?from={today}&to={}", today.previous_day().unwrap()), &session)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8(page).unwrap().contains("结束日期不能早于开始日期"));
    let (status, _, page) = app.send(get("/audit?from=2020-02-30", &session)).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("日期无效"));
}

#[tokio::test]
async fn a_supervision_visit_is_recorded_and_its_fix_reported_done_by_the_township() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let today = fangkong::clock::today();
    let (county, csrf, _) = sign_in(&app, "county_commander", false).await;
    let body = |checked: &str| {
        format!(
            "_csrf={csrf}&org_code=430481001&visited_on={today}&inspectors=%E7%8E%8B%E7%BB%84%E9%95%BF&findings=%E5%8F%B0%E8%B4%A6%E7%BC%BA%E8%BF%94%E4%B9%A1%E6%97%A5%E6%9C%9F{checked}&fix_1=%E8%A1%A5%E5%85%A8%E5%8F%B0%E8%B4%A6&due_1={}",
            today + time::Duration::days(2)
        )
    };
    let (status, _, page) = app.send(form("/supervisions", &county, &body(""))).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("请选择检查了哪些方面") && html.contains("value=\"补全台账\""), "{html}");
    let undated = body("&checked=ledgers").replace(&format!("&due_1={}", today + time::Duration::days(2)), "&due_1=");
    let (status, _, page) = app.send(form("/supervisions", &county, &undated)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("请为第 1 条整改要求“补全台账”选择整改期限"), "a fix needs its deadline: {html}");
    let deadline_only = body("&checked=ledgers").replace("&fix_1=%E8%A1%A5%E5%85%A8%E5%8F%B0%E8%B4%A6", "&fix_1=");
    let (status, _, page) = app.send(form("/supervisions", &county, &deadline_only)).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("第 1 条填了整改期限"), "a deadline without its fix is not dropped");
    let (status, headers, _) = app.send(form("/supervisions", &county, &body("&checked=ledgers&checked=checkpoints"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let visit = headers[header::LOCATION].to_str().unwrap().to_string();

    let (township, township_csrf, _) = sign_in(&app, "township_officer", false).await;
    let (_, _, page) = app.send(get(&visit, &township)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("排查台账、卡点值守") && html.contains("补全台账"), "{html}");
    let fix = html.split("action=\"/supervision-fixes/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let id = visit.rsplit('/').next().unwrap();
    let (status, _, page) = app.send(form(&format!("/supervision-fixes/{fix}/done"), &township, &format!("_csrf={township_csrf}&supervision_id={id}&done_note="))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("请填写整改情况"));
    let (_, _, page) = app.send(get(&visit, &county)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(!html.contains("/done\"") && !html.contains("/review\""), "the supervising unit is offered no report of its own fix: {html}");
    let (status, _, page) = app.send(form(&format!("/supervision-fixes/{fix}/done"), &county, &format!("_csrf={csrf}&supervision_id={id}&done_note=%E5%B7%B2%E8%A1%A5%E5%85%A8"))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("由被督导单位报告"), "and is refused one posted by hand");
    let (status, _, _) = app.send(form(&format!("/supervision-fixes/{fix}/done"), &township, &format!("_csrf={township_csrf}&supervision_id={id}&done_note=%E5%B7%B2%E8%A1%A5%E5%85%A8"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get(&visit, &county)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("待督导单位确认") && html.contains("township_officer") && html.contains("/review\""), "the county sees who reported it and may confirm: {html}");
    let (status, _, _) = app.send(form(&format!("/supervision-fixes/{fix}/review"), &county, &format!("_csrf={csrf}&supervision_id={id}&decision=confirm&done_note="))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/supervisions", &county)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("蔡子池街道") && !html.contains("待整改"), "the county sees the fix done: {html}");
    let (_, _, page) = app.send(get(&visit, &township)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("已确认整改到位") && html.contains("确认整改到位</strong> · county_commander"), "the township sees who confirmed it: {html}");
    let (other, _, _) = sign_in(&app, "county_commander_hn", false).await;
    assert_eq!(app.send(get(&visit, &other)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_redirect_never_leaves_the_site_whatever_the_next_or_back_parameter_holds() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    // As sent on the wire: percent-encoded the way an attacker's link would be.
    let bypasses = ["//x", "/%5Cx", "%5C/x", "/%09/evil.example", "/%0A/evil.example", "/%0D/x", "https:x", "http://evil.example", "/%20/x"];
    for back in bypasses {
        let (status, headers, _) = app.send(get(&format!("/lang/en?back={back}"), "")).await;
        assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/"), "back={back}");
    }
    let (_, headers, _) = app.send(get("/lang/en?back=/persons%3Fq%3D1", "")).await;
    assert_eq!(headers[header::LOCATION], "/persons?q=1", "a path on the site is followed");
    for next in bypasses {
        let body = format!("_csrf=abc&username=grid_worker&password={PASSWORD}&next={next}");
        let (status, headers, _) = app.send(form("/login", "fk_login_csrf=abc", &body)).await;
        assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/"), "next={next}");
    }
}

#[tokio::test]
async fn a_cookie_borne_write_from_another_site_or_without_the_token_is_refused() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    let (session, csrf, _) = sign_in(&app, "admin", false).await;
    let household = |origin: Option<(&'static str, &'static str)>| {
        let mut request = form(&format!("/orgs/{LEIYANG_GRID}/households"), &session, &format!("_csrf={csrf}&address=%E6%B5%8B%E8%AF%95%E8%B7%AF"));
        if let Some((name, value)) = origin {
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        request
    };
    for forged in [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site"), ("origin", "null")] {
        let (status, _, body) = app.send(household(Some(forged))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{forged:?}");
        assert!(String::from_utf8(body).unwrap().contains("不是从本站页面发出的"));
    }
    assert_eq!(app.send(household(Some(("sec-fetch-site", "same-origin")))).await.0, StatusCode::SEE_OTHER);
    let mut from_here = household(Some(("origin", "http://127.0.0.1:8080")));
    from_here.headers_mut().insert("host", "127.0.0.1:8080".parse().unwrap());
    assert_eq!(app.send(from_here).await.0, StatusCode::SEE_OTHER);

    // JSON with only the session cookie: the token must come in its header.
    let json_post = |token: Option<&str>| {
        let body = serde_json::json!({"org_code": LEIYANG_GRID, "address": "接口路"}).to_string();
        let mut request = Request::post("/api/v1/households").header("cookie", &session).header("content-type", "application/json").body(Body::from(body)).unwrap();
        if let Some(t) = token {
            request.headers_mut().insert("x-csrf-token", t.parse().unwrap());
        }
        request
    };
    assert_eq!(app.send(json_post(None)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.send(json_post(Some("wrong"))).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.send(json_post(Some(&csrf))).await.0, StatusCode::CREATED);
    let bearer = app.token("admin").await;
    let (status, _) = app.json("POST", "/api/v1/households", Some(&bearer), Some(serde_json::json!({"org_code": LEIYANG_GRID, "address": "令牌路"}))).await;
    assert_eq!(status, StatusCode::CREATED, "bearer calls need no CSRF token");
}

#[tokio::test]
async fn every_response_forbids_framing_referers_sniffing_and_inline_script() {
    let db = sqlite_only().await;
    let app = seeded_app(db).await;
    for path in ["/login", "/api/v1/me", "/healthz", "/assets/app.css", "/r/not-a-link"] {
        let (_, headers, _) = app.send(get(path, "")).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
    // What the policy forbids is not in any template: no inline script or handler, no style attribute.
    for entry in std::fs::read_dir("templates").unwrap().flat_map(|d| {
        let d = d.unwrap().path();
        if d.is_dir() { std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>() } else { vec![d] }
    }) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for script in text.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            assert!(tag.contains("src=") || tag.contains("application/json"), "{}: inline script", entry.display());
        }
        assert!(!text.contains(" style=") && !text.contains(" onclick=") && !text.contains(" onload=") && !text.contains(" onsubmit="), "{}", entry.display());
    }
}

/// Percent-encodes a form value.
fn enc(value: &str) -> String {
    value.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn units_are_chosen_by_name_on_the_person_import_and_supervision_forms() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    // A county cannot import into itself: its import form starts empty, offering its villages and grids.
    let (county, county_csrf, _) = sign_in(&app, "county_commander", false).await;
    let (_, _, page) = app.send(get("/imports", &county)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("name=\"org\" value=\"\"") && html.contains("<option value=\"金南社区第一网格(蔡子池街道) 430481001001001\">"), "{html}");
    assert!(!html.contains("430422107200001"), "only the caller's own units are offered");
    // A grid worker's import form starts on the grid.
    let (grid, grid_csrf, _) = sign_in(&app, "grid_worker", false).await;
    let (_, _, page) = app.send(get("/imports", &grid)).await;
    assert!(String::from_utf8(page).unwrap().contains(&format!("name=\"org\" value=\"金南社区第一网格(蔡子池街道) {LEIYANG_GRID}\"")));

    // The person form takes the unit by name alone; a name not in the jurisdiction says so.
    let person = |unit: &str| format!("_csrf={grid_csrf}&name={}&id_type=resident_id&id_number=43048119900101123X&org_code={}", enc("周六"), enc(unit));
    let (status, _, page) = app.send(form("/persons", &grid, &person("川口村第一网格"))).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("找不到名为“川口村第一网格”的单位"), "{html}");
    let (status, headers, _) = app.send(form("/persons", &grid, &person("金南社区第一网格"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = headers[header::LOCATION].to_str().unwrap().trim_start_matches("/persons/").split('?').next().unwrap().parse().unwrap();
    let row = fangkong::people::store::get(&db, &fangkong_rules::Scope::everything(), id).await.unwrap().unwrap();
    assert_eq!(row.org_code, LEIYANG_GRID);
    // A household typed as its address, without the list's number, is the one household with it.
    let resident =
        format!("_csrf={grid_csrf}&name={}&id_type=resident_id&id_number={}&org_code={}&household_id={}", enc("郑七"), resident_id("430481", 21), enc(LEIYANG_GRID), enc("测试路1号 1栋1单元 101室"));
    let (status, headers, page) = app.send(form("/persons", &grid, &resident)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&page));
    let id: i64 = headers[header::LOCATION].to_str().unwrap().trim_start_matches("/persons/").split('?').next().unwrap().parse().unwrap();
    let row = fangkong::people::store::get(&db, &fangkong_rules::Scope::everything(), id).await.unwrap().unwrap();
    assert!(row.household_id.is_some(), "the household is found by its address");
    let (status, _, page) =
        app.send(form("/persons", &grid, &resident.replace(&resident_id("430481", 21), &resident_id("430481", 22)).replace(&enc("测试路1号 1栋1单元 101室"), &enc("测试路9号")))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("请从列表中选择住户"), "an address of no household is the field's error");

    // A supervision visit's unit too, picked from the county's townships and villages.
    let (_, _, page) = app.send(get("/supervisions", &county)).await;
    assert!(String::from_utf8(page).unwrap().contains("<option value=\"蔡子池街道 430481001\">"));
    let today = fangkong::clock::today();
    let visit = format!("_csrf={county_csrf}&org_code={}&visited_on={today}&inspectors={}&findings={}&checked=ledgers", enc("蔡子池街道 430481001"), enc("王组长"), enc("台账齐全"));
    let (status, headers, _) = app.send(form("/supervisions", &county, &visit)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get(headers[header::LOCATION].to_str().unwrap(), &county)).await;
    assert!(String::from_utf8(page).unwrap().contains("蔡子池街道"));
}

#[tokio::test]
async fn triage_finds_the_person_by_the_ids_last_four_and_lists_namesakes_to_choose_from() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let county = fangkong_rules::Scope::of(&code("430481"));
    let today = fangkong::clock::today();
    let mut ids = Vec::new();
    for (seq, name) in [(11, "吴一"), (12, "吴二")] {
        let input = fangkong::people::PersonInput { name: name.into(), id_number: resident_id("430481", seq), org_code: LEIYANG_GRID.into(), ..Default::default() };
        ids.push((fangkong::people::store::create(&db, &actor(), &county, &input.validate(today).unwrap()).await.unwrap().id, resident_id("430481", seq)));
    }
    let (session, csrf, _) = sign_in(&app, "hospital_staff", false).await;
    let (_, _, page) = app.send(get("/cases/new", &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("name=\"person\"") && !html.contains("name=\"person_id\""), "no internal number to type: {html}");
    let triage = |person: &str| format!("_csrf={csrf}&person={}&history=infected_contact&clinical=fever_or_respiratory&clinical=imaging_features", enc(person));
    // Two 吴: both listed, told apart by the ID's last four digits; nothing is opened.
    let (status, _, page) = app.send(form("/cases", &session, &triage("吴"))).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("找到 2 人,请选择一人"), "{html}");
    for (id, number) in &ids {
        assert!(html.contains(&format!("name=\"person_id\" value=\"{id}\"")) && html.contains(&number[14..]), "{html}");
    }
    let (status, _, page) = app.send(form("/cases", &session, &triage("无此人"))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("辖区内找不到"));
    // The last four digits find one: offered, already chosen, for the nurse to confirm; nothing
    // is opened until they do.
    let (status, _, page) = app.send(form("/cases", &session, &triage(&ids[1].1[14..]))).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("找到 1 人,请核对是否为此人"), "{html}");
    assert!(html.contains(&format!("name=\"person_id\" value=\"{}\" checked", ids[1].0)) && !html.contains(&format!("value=\"{}\"", ids[0].0)), "{html}");
    assert_eq!(html.matches("请核对是否为此人").count(), 1, "the message is shown once, at the field: {html}");
    assert!(fangkong::cases::store::list(&db, &county, None, None, 10).await.unwrap().is_empty(), "no case opened yet");
    // A search typed anew after choosing is answered afresh: the earlier choice opens nothing.
    let changed = format!("{}&person_id={}", triage(&ids[0].1[14..]), ids[1].0);
    let (status, _, page) = app.send(form("/cases", &session, &changed)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains(&format!("name=\"person_id\" value=\"{}\" checked", ids[0].0)), "{html}");
    let confirmed = format!("{}&person_id={}", triage(&ids[1].1[14..]), ids[1].0);
    let (status, headers, _) = app.send(form("/cases", &session, &confirmed)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "confirmed, the case opens");
    let case: i64 = headers[header::LOCATION].to_str().unwrap().trim_start_matches("/cases/").parse().unwrap();
    let opened = fangkong::cases::store::get(&db, &county, case).await.unwrap().unwrap();
    assert_eq!(opened.person_id, ids[1].0);
}

#[tokio::test]
async fn a_fever_alert_offers_an_audited_call_to_the_residents_phone() {
    use fangkong::observation::checkins::{self, CheckInInput, Source};
    use fangkong::observation::episodes::{self, NewEpisode};
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let county = fangkong_rules::Scope::of(&code("430481"));
    let today = fangkong::clock::today();
    let input =
        fangkong::people::PersonInput { name: "钱发热".into(), id_number: resident_id("430481", 21), org_code: LEIYANG_GRID.into(), phone: Some("13800001234".into()), ..Default::default() };
    let person = fangkong::people::store::create(&db, &actor(), &county, &input.validate(today).unwrap()).await.unwrap().id;
    let new = NewEpisode { person_id: person, kind: fangkong::observation::Kind::Home, site_id: None, start_date: today, closing_case: None };
    let episode = episodes::start(&db, &actor(), &county, &new, today).await.unwrap();
    let fever = CheckInInput { slot: Some("am".into()), temperature: "38.4".into(), symptoms: vec![], note: None, idempotency_key: None };
    checkins::record(&db, &episode, &fever.validate(9).unwrap(), Source::Resident, today).await.unwrap();

    let (grid, _, _) = sign_in(&app, "grid_worker", false).await;
    let (_, _, page) = app.send(get("/today", &grid)).await;
    let html = String::from_utf8(page).unwrap();
    let call = html.split("href=\"/alerts/").nth(1).map(|h| format!("/alerts/{}", h.split('"').next().unwrap())).expect("a call button on the alert");
    assert!(!html.contains("13800001234") && !html.contains("data-triage"), "the number is not on the list, and a grid worker is not offered triage: {html}");
    let (status, _, page) = app.send(get(&call, &grid)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::OK && html.contains("href=\"tel:13800001234\"") && html.contains("138 0000 1234"), "{html}");
    let all = fangkong_rules::Scope::everything();
    let trail = fangkong::audit::store::list(&db, &all, &fangkong::audit::store::Filter::of_action("person.call"), 10).await.unwrap();
    assert_eq!((trail.len(), trail[0].actor.as_str(), trail[0].record_id.as_deref()), (1, "grid_worker", Some(person.to_string().as_str())), "the call is audited");
    // A HEAD request (a prefetch) shows nobody the number and is not recorded as a call.
    let (status, _, _) = app.send(Request::head(&call).header("cookie", &grid).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fangkong::audit::store::list(&db, &all, &fangkong::audit::store::Filter::of_action("person.call"), 10).await.unwrap().len(), 1);
    // Another county's worker does not find the alert; a role that sees persons masked may not call.
    let (other, _, _) = sign_in(&app, "grid_worker_hn", false).await;
    assert_eq!(app.send(get(&call, &other)).await.0, StatusCode::NOT_FOUND);
    let (checkpoint, _, _) = sign_in(&app, "checkpoint_staff", false).await;
    assert_eq!(app.send(get(&call, &checkpoint)).await.0, StatusCode::FORBIDDEN);
    // Unhandled for three hours, it is on the county command's list too, with triage offered.
    fangkong::on_db!(&db, pool => sqlx::query::<DB>("update alerts set raised_at = raised_at - 10800000000").execute(pool).await.map(|_| ())).unwrap();
    let (commander, _, _) = sign_in(&app, "county_commander", false).await;
    let (_, _, page) = app.send(get("/today", &commander)).await;
    assert!(String::from_utf8(page).unwrap().contains(&format!("href=\"/cases/new?person_id={person}\" data-triage")));
}

#[tokio::test]
async fn each_role_has_a_help_page_with_the_limits_in_force() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let rules = fangkong::cases::rules::in_force(&db, fangkong::clock::today()).await.unwrap();
    for (role, part) in [("grid_worker", "拨打电话"), ("hospital_staff", "预检分诊"), ("county_commander", "大屏"), ("admin", "审计")] {
        let (session, _, _) = sign_in(&app, role, false).await;
        let (_, _, home) = app.send(get("/", &session)).await;
        assert!(String::from_utf8(home).unwrap().contains("href=\"/help\""), "the header links the help");
        let (status, _, page) = app.send(get("/help", &session)).await;
        let html = String::from_utf8(page).unwrap();
        assert!(status == StatusCode::OK && html.contains(part) && html.contains("六包一") && html.contains("早发现、早报告、早隔离、早治疗"), "{role}: {html}");
        assert!(html.contains(&format!("<strong>{}</strong> 小时内", rules.investigation_hours)), "the investigation limit of {}: {html}", rules.name);
    }
}

#[tokio::test]
async fn a_list_cut_short_says_how_many_it_shows_of_how_many_and_pages_on() {
    use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let county = fangkong_rules::Scope::of(&code("430481"));
    let today = fangkong::clock::today();
    for seq in 0..55 {
        let input = fangkong::people::PersonInput {
            name: format!("病例{}", ['甲', '乙', '丙', '丁', '戊'][seq as usize % 5]),
            id_number: resident_id("430481", 100 + seq),
            org_code: LEIYANG_GRID.into(),
            ..Default::default()
        };
        let person_id = fangkong::people::store::create(&db, &actor(), &county, &input.validate(today).unwrap()).await.unwrap().id;
        let triage =
            fangkong::cases::store::Triage { person_id, onset_date: None, history: vec![EpiItem::InfectedContact], clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::ImagingFeatures] };
        fangkong::cases::store::open_suspected(&db, &actor(), &county, &triage, today).await.unwrap();
    }
    let (session, _, _) = sign_in(&app, "county_commander", false).await;
    let (_, _, page) = app.send(get("/cases", &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("显示前 50 条,共 55 条") && html.matches("data-case=").count() == 50, "{html}");
    let next = html.split("id=\"next-page\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let (_, _, page) = app.send(get(&next, &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("本页 5 条,共 55 条") && html.matches("data-case=").count() == 5 && !html.contains("id=\"next-page\""), "{html}");
    // The persons list of the grid says the same from its roll-up count.
    let (_, _, page) = app.send(get("/persons", &session)).await;
    assert!(String::from_utf8(page).unwrap().contains("显示前 20 条,共 55 条"));
}

#[tokio::test]
async fn an_inspector_records_on_a_phone_what_a_worker_wears_and_sees_the_points_off() {
    let db = sqlite_only().await;
    add_user(&db, "inspector_shigu", fangkong::auth::Role::SanitationInspector, "430407").await;
    let app = seeded_app(db.clone()).await;
    let (session, csrf, _) = sign_in(&app, "inspector_shigu", false).await;
    let (status, _, page) = app.send(get("/sanitation", &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("每缺一项扣 2") && html.contains("口罩、手套、胶鞋(雨靴)、防护服或雨衣、消毒液"), "the rule in force, by role: {html}");
    assert!(html.contains("今天还没有检查记录"), "{html}");

    // A worker put on the register from the page, the district picked by name.
    let worker = format!("_csrf={csrf}&name={}&role=waste_mask_collector&org_code={}&number=SG-017&team=&started_on=2020-01-01", enc("周收运"), enc("石鼓区"));
    let (status, _, _) = app.send(form("/sanitation/workers", &session, &worker)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = app.send(form("/sanitation/workers", &session, &worker)).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("本区已有该工号"), "the same number twice is said at the field");
    let id = fangkong::sanitation::workforce::list(&db, &fangkong_rules::Scope::everything(), None, 10).await.unwrap()[0].id;
    // A waste-mask collector with no training on record is flagged until a session is recorded.
    let (_, _, page) = app.send(get("/sanitation", &session)).await;
    assert!(String::from_utf8(page).unwrap().contains("未经废弃口罩收运培训的人员:1 人"));
    let today = fangkong::clock::today();
    let trained = format!("_csrf={csrf}&held_on={today}&trainer={}&topic={}&org_code=430407&attendees={id}", enc("李老师"), enc("废弃口罩收集与处置"));
    let (status, _, _) = app.send(form("/sanitation/trainings", &session, &trained)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/sanitation", &session)).await;
    assert!(!String::from_utf8(page).unwrap().contains("未经废弃口罩收运培训"), "trained, no longer flagged");

    // The form offers only the role's items, a suit and a raincoat apart.
    let (_, _, page) = app.send(get(&format!("/sanitation/inspect?worker_id={id}"), &session)).await;
    let html = String::from_utf8(page).unwrap();
    for worn in ["mask", "gloves", "rubber_boots", "protective_suit", "raincoat", "disinfectant"] {
        assert!(html.contains(&format!("name=\"worn\" value=\"{worn}\"")), "{worn} offered: {html}");
    }
    assert!(!html.contains("value=\"goggles\"") && html.contains("data-items=\"5\""));
    let key = html.split("name=\"idempotency_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let id_text = id.to_string();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("worker_id", id_text.as_str()),
        ("worn", "mask"),
        ("worn", "gloves"),
        ("worn", "raincoat"),
        ("place", "解放路口"),
        ("org_code", "石鼓区"),
        ("inspected_at", ""),
        ("note", ""),
    ];
    // A photo that is not an image is refused at the field, and nothing is recorded.
    let (status, _, page) = app.send(multipart_post("/sanitation/inspections", &session, &fields, &[("photo", "scan.pdf", b"%PDF-1.7")])).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("上传的文件不是照片"));
    let photo: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
    let (status, headers, _) = app.send(multipart_post("/sanitation/inspections", &session, &fields, &[("photo", "现场.jpg", photo)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = headers[header::LOCATION].to_str().unwrap().to_string();
    let (_, _, page) = app.send(get(&back, &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("已记录:扣 4 分(缺 胶鞋(雨靴)、消毒液)"), "says what happened: {html}");
    let (_, headers, _) = app.send(multipart_post("/sanitation/inspections", &session, &fields, &[("photo", "现场.jpg", photo)])).await;
    assert_eq!(headers[header::LOCATION].to_str().unwrap(), back, "a second tap records nothing new");
    let lines = fangkong::sanitation::inspections::list(&db, &fangkong_rules::Scope::everything(), None, None, 10).await.unwrap();
    assert_eq!(lines.len(), 1);
    let (_, _, page) = app.send(get(&format!("/sanitation/inspections/{}", lines[0].id), &session)).await;
    let html = String::from_utf8(page).unwrap();
    let photo_path = html.split("<img src=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let (status, headers, body) = app.send(get(&photo_path, &session)).await;
    assert_eq!((status, headers[header::CONTENT_TYPE].to_str().unwrap(), body.as_slice()), (StatusCode::OK, "image/jpeg", photo), "the photo is kept and shown");

    // A long register is searched by name or number.
    let (_, _, page) = app.send(get(&format!("/sanitation?q={}", enc("周")), &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains(&format!("<option value=\"{id}\">周收运")), "found by the start of the name: {html}");
    let (_, _, page) = app.send(get("/sanitation?q=nobody", &session)).await;
    assert!(String::from_utf8(page).unwrap().contains("worker-search-none"));
    // A direction control in the place is said beside the field, on the form shown again.
    let bidi = [("_csrf", csrf.as_str()), ("role", "cleaner"), ("worn", "mask"), ("place", "桥头\u{202e}"), ("org_code", "430407")];
    let (status, _, page) = app.send(multipart_post("/sanitation/inspections", &session, &bidi, &[])).await;
    let html = String::from_utf8(page).unwrap();
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && html.contains("id=\"inspect-form\"") && html.contains("field-error"), "{html}");

    // A cleaner not on the register: mask and gloves only; boots are refused at the field.
    let (_, _, page) = app.send(get("/sanitation/inspect?role=cleaner", &session)).await;
    let html = String::from_utf8(page).unwrap();
    assert!(html.contains("value=\"mask\"") && !html.contains("value=\"rubber_boots\""), "{html}");
    let boots = [("_csrf", csrf.as_str()), ("role", "cleaner"), ("worn", "rubber_boots"), ("place", "桥头"), ("org_code", "430407")];
    let (status, _, page) = app.send(multipart_post("/sanitation/inspections", &session, &boots, &[])).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && String::from_utf8(page).unwrap().contains("清扫保洁人员不需要检查“胶鞋(雨靴)”"));
    // A grid worker has no business here.
    let (status, _, _) = app.send(get("/sanitation", &sign_in(&app, "grid_worker", false).await.0)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
