//! The main flows in a real headless Chromium: sign in, register a person (after fixing a field
//! error), find them by ID number, open the detail page; another county sees "not found"; a resident's
//! fever reaches the grid worker and, unhandled, the township; triage → suspected → two negatives →
//! excluded; confirmed → transfer → discharge → follow-ups on the home grid; the city's dashboard
//! drilled down to a grid; a directive issued by the city, acknowledged and passed down by a
//! county, reported done by a township, and the roll-up seen by the city.
//! A screenshot is kept in `test-artifacts/` when a flow fails.

mod common;

use common::webdriver::{Browser, Step};
use common::*;
use std::net::SocketAddr;

/// Serves the app in process on a free port, on SQLite with the test jurisdiction seeded.
async fn start_app() -> String {
    start_app_with_db().await.0
}

async fn start_app_with_db() -> (String, fangkong::db::Db) {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app.router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap() });
    (format!("http://{addr}"), db)
}

async fn sign_in(browser: &Browser, base: &str, username: &str) -> Step<()> {
    browser.goto(&format!("{base}/login")).await?;
    browser.fill("input[name=username]", username).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("button[type=submit]").await?;
    // Only signed-in pages carry the user badge in the header.
    browser.find("header .me").await.map(|_| ()).map_err(|e| format!("not signed in: {e}"))
}

fn check(condition: bool, what: &str) -> Step<()> {
    if condition { Ok(()) } else { Err(what.to_string()) }
}

async fn run(name: &str, browser: &Browser, flow: impl std::future::Future<Output = Step<()>>) {
    if let Err(e) = flow.await {
        let shot = browser.screenshot(name).await.map(|p| p.display().to_string()).unwrap_or_else(|e| format!("(no screenshot: {e})"));
        panic!("browser flow {name} failed: {e}; screenshot {shot}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_worker_registers_finds_and_opens_a_person() {
    let base = start_app().await;
    let browser = Browser::start().await;
    run("register-find-open", &browser, async {
        browser.goto(&format!("{base}/login")).await?;
        check(browser.text("h1").await? == "衡阳市疫情防控指挥平台", "the login page is in Chinese")?;
        sign_in(&browser, &base, "grid_worker").await?;
        browser.screenshot("home-grid-worker").await?;
        browser.click("a[href='/persons/new']").await?;
        // The unit and the household are picked by name and address, not typed as numbers.
        let unit = browser.value("input[name=org_code]").await?;
        check(unit == format!("金南社区第一网格(蔡子池街道) {LEIYANG_GRID}"), &format!("the grid is prefilled by name, got {unit:?}"))?;
        let offered = browser.script("return Array.from(document.querySelectorAll('#households option')).map((o) => o.value)").await?;
        let household = offered[0].as_str().unwrap_or_default().to_string();
        check(household.starts_with("测试路1号 1栋 1单元 101室 #"), &format!("the grid's households are offered by address: {offered}"))?;
        browser.fill("input[name=household_id]", &household).await?;
        // A name pasted with a hidden right-to-left override is stopped at the field, before sending.
        browser.fill("input[name=name]", "张\u{202E}三丰").await?;
        let refusal = browser.property("input[name=name]", "validationMessage").await?;
        check(refusal.contains("控制字符"), &format!("the field says what is wrong, got {refusal:?}"))?;
        browser.click("button.primary").await?;
        check(browser.url().await?.ends_with("/persons/new"), "the form was not sent")?;
        browser.fill("input[name=name]", "张三丰").await?;
        browser.fill("input[name=id_number]", "430481199001011231").await?;
        browser.fill("input[name=phone]", "13800001111").await?;
        browser.click("button.primary").await?;
        let error = browser.text(".field-error[data-field=id_number]").await?;
        browser.screenshot("person-form-error").await?;
        check(error.contains("校验位"), &format!("a Chinese field error beside the ID number, got {error:?}"))?;
        check(browser.value("input[name=id_number]").await? == "430481199001011231", "what was typed is kept")?;
        check(browser.value("input[name=name]").await? == "张三丰", "other fields are kept too")?;
        browser.fill("input[name=id_number]", "43048119900101123x").await?;
        browser.click("button.primary").await?;
        check(browser.text("#person-name").await? == "张三丰", "the detail page of the new person")?;
        check(browser.text("#done").await?.contains("列入重点人员台账"), "it says what happened and offers the next step")?;
        check(browser.text("main").await?.contains("测试路1号 1栋 1单元 101室"), "the household chosen by address is the person's")?;

        browser.goto(&format!("{base}/persons")).await?;
        browser.fill("input[name=q]", "43048119900101123X").await?;
        browser.click("form.search button").await?;
        browser.wait_for_url("q=43048119900101123X").await?;
        let row = browser.text("#persons tbody tr").await?;
        check(row.contains("张**") && row.contains("430481********123X") && row.contains("138****1111"), &format!("a masked row, got {row:?}"))?;
        browser.screenshot("person-list").await?;
        browser.click("#persons tbody a").await?;
        browser.screenshot("person-detail").await?;
        check(browser.text("#person-id-number").await? == "43048119900101123X", "the detail view shows the full number")?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_county_sees_not_found_for_a_persons_url() {
    let base = start_app().await;
    let browser = Browser::start().await;
    run("other-county-not-found", &browser, async {
        sign_in(&browser, &base, "grid_worker").await?;
        browser.goto(&format!("{base}/persons/new")).await?;
        browser.fill("input[name=name]", "李四").await?;
        browser.fill("input[name=id_number]", "430422198502150022").await?;
        browser.click("button.primary").await?;
        browser.find("#person-name").await?;
        let person_url = browser.url().await?;
        check(person_url.contains("/persons/"), "registered")?;
        browser.click("header form button").await?;
        browser.find("input[name=username]").await?;
        sign_in(&browser, &base, "county_commander_hn").await?;
        browser.goto(&person_url).await?;
        let message = browser.text("#error-message").await?;
        check(message.contains("未找到"), &format!("not found, got {message:?}"))?;
        check(!browser.text("main").await?.contains("李四"), "nothing of the person leaks")?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fever_reported_by_the_resident_lands_on_the_grid_workers_today_page() {
    let (base, db) = start_app_with_db().await;
    let browser = Browser::start().await;
    let today = fangkong::clock::today().to_string();
    run("observation-fever-alert", &browser, async {
        sign_in(&browser, &base, "grid_worker").await?;
        browser.goto(&format!("{base}/persons/new")).await?;
        browser.fill("input[name=name]", "周返乡").await?;
        browser.fill("input[name=id_number]", "43048119900101123X").await?;
        browser.click("button.primary").await?;
        browser.click("#screening-link").await?;
        browser.set_value("input[name=arrival_date]", &today).await?;
        browser.fill("input[name=origin_place]", "武汉市").await?;
        browser.fill("input[name=transport_no]", "G1001").await?;
        check(browser.value("input[name=resp_grid_worker_name]").await? == "grid_worker", "the grid worker is the default responsible")?;
        browser.click("#key-person-form button.primary").await?;
        check(browser.text("#key-person").await?.contains("武汉返乡人员"), "on the ledger")?;
        check(browser.value("#start-observation input[name=start_date]").await? == today, "the observation starts on the arrival date by default")?;
        browser.click("#start-observation button.primary").await?;
        check(browser.text("#observation-day").await?.contains('1'), "day 1 of the observation")?;
        check(browser.exists(".qr svg").await?, "a QR code to show or print")?;
        browser.screenshot("observation-page").await?;
        let link = browser.attribute("#report-url", "href").await?;

        // The resident opens the link on their phone: no sign-in, Chinese, masked name only.
        browser.goto(&link).await?;
        check(browser.text("#greeting").await?.starts_with("周**"), "masked name only")?;
        check(browser.text("#observation-day").await?.contains("第 1 天"), "says which day it is")?;
        browser.fill("input[name=temperature]", "37.8").await?;
        browser.click("button.primary").await?;
        check(browser.text("#report-received").await?.contains("37.8"), "the report is acknowledged")?;
        check(browser.exists("#report-alert").await?, "the resident is told help is coming")?;
        browser.screenshot("self-report-page").await?;

        browser.goto(&format!("{base}/today")).await?;
        let alerts = browser.text("#alerts").await?;
        check(alerts.contains("发热") && alerts.contains("37.8"), &format!("the alert is on the worker's today page: {alerts:?}"))?;
        browser.screenshot("today-grid-worker").await?;

        // Unhandled past the limit, it is on the township's list.
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update alerts set raised_at = raised_at - 10800000000").execute(pool).await.map(|_| ())).map_err(|e| e.to_string())?;
        browser.click("header form button").await?;
        browser.find("input[name=username]").await?;
        sign_in(&browser, &base, "township_officer").await?;
        browser.goto(&format!("{base}/today")).await?;
        let escalated = browser.text("#alerts").await?;
        check(escalated.contains("发热") && escalated.contains("已超时"), &format!("escalated to the township: {escalated:?}"))?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_makes_a_suspected_case_that_two_negatives_a_day_apart_exclude() {
    let (base, db) = start_app_with_db().await;
    let input = fangkong::people::PersonInput { name: "吴发热".into(), id_number: "43048119900101123X".into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    let valid = input.validate(fangkong::clock::today()).unwrap();
    let person = fangkong::people::store::create(&db, &actor(), &fangkong_rules::Scope::everything(), &valid).await.unwrap().id;
    let browser = Browser::start().await;
    run("triage-exclude", &browser, async {
        sign_in(&browser, &base, "hospital_staff").await?;
        browser.goto(&format!("{base}/persons/{person}")).await?;
        browser.click("#triage-link").await?;
        check(browser.value("input[name=person_id]").await? == person.to_string(), "the person comes with the link")?;
        check(browser.text("#triage-person").await?.contains("吴**"), "and is named on the form, masked")?;
        browser.fill("input[name=onset_date]", "2020-02-02").await?;
        browser.click("input[name=history][value=affected_area_travel]").await?;
        browser.click("input[name=clinical][value=fever_or_respiratory]").await?;
        browser.click("#triage-form button.primary").await?;
        let refusal = browser.text("#triage-error").await?;
        check(refusal.contains("不符合疑似病例定义"), &format!("one clinical item is not enough: {refusal:?}"))?;
        browser.click("input[name=clinical][value=low_cell_counts]").await?;
        browser.click("#triage-form button.primary").await?;
        check(browser.text("#case-status").await? == "疑似病例", "a suspected case")?;

        let add_sample = async |taken: &str| -> Step<()> {
            browser.fill("#sample-form input[name=taken_at]", taken).await?;
            browser.fill("#sample-form input[name=received_at]", taken).await?;
            browser.click("#sample-form button").await?;
            browser.wait_for_url("/cases/").await?;
            browser.find(&format!("#samples li[data-sample] [data-taken='{taken}']")).await.map(|_| ())
        };
        // The `nth`-th result of the sample: the page has come back with it.
        let add_negative = async |sample: &str, nth: usize, test: &str, at: &str| -> Step<()> {
            browser.set_value("#result-form select[name=sample_id]", sample).await?;
            browser.set_value("#result-form select[name=test]", test).await?;
            browser.set_value("#result-form select[name=result]", "negative").await?;
            browser.fill("#result-form input[name=resulted_at]", at).await?;
            browser.click("#result-form button").await?;
            browser.find(&format!("#samples li[data-sample='{sample}'] li.result:nth-child({nth})")).await.map(|_| ())
        };
        add_sample("2020-02-10 09:00").await?;
        let first = browser.attribute("#samples li[data-sample]", "data-sample").await?;
        add_negative(&first, 1, "nucleic_acid", "2020-02-10 15:00").await?;
        check(browser.text("#samples").await?.contains("阴性"), "the result is on the page")?;
        browser.click("#decision input[name=checked]").await?;
        browser.click("#decision button[value=excluded]").await?;
        let refusal = browser.text("#case-error").await?;
        check(refusal.contains("只有一次核酸阴性结果"), &format!("one negative cannot exclude: {refusal:?}"))?;
        check(browser.text("#case-status").await? == "疑似病例", "still suspected")?;

        add_sample("2020-02-11 09:30").await?;
        let second = browser.attribute("#samples > ul > li:nth-child(2)", "data-sample").await?;
        for (nth, test) in ["nucleic_acid", "igm", "igg"].into_iter().enumerate() {
            add_negative(&second, nth + 1, test, "2020-02-11 16:00").await?;
        }
        browser.click("#decision input[name=checked]").await?;
        browser.click("#decision button[value=excluded]").await?;
        browser.wait_for_text("#case-status", "已排除").await.map_err(|e| format!("excluded after two negatives a day apart (and negative antibodies, 7th edition): {e}"))?;
        check(browser.text("#timeline").await?.contains("连续两次核酸阴性"), "the timeline says why")?;
        browser.screenshot("case-excluded").await?;
        browser.goto(&format!("{base}/cases")).await?;
        check(browser.text("#cases").await?.contains("已排除"), "on the case list")?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_case_is_transferred_discharged_and_followed_up_on_its_home_grid() {
    use fangkong::cases::{CaseStatus, LabOutcome, LabTest, SampleKind, hospitals, store};
    let (base, db) = start_app_with_db().await;
    add_user(&db, "city_hospital", fangkong::auth::Role::HospitalStaff, "430400").await;
    let everywhere = fangkong_rules::Scope::everything();
    let today = fangkong::clock::today();
    let input = fangkong::people::PersonInput { name: "钱确诊".into(), id_number: "43048119900101123X".into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    let person = fangkong::people::store::create(&db, &actor(), &everywhere, &input.validate(today).unwrap()).await.unwrap().id;
    let triage = store::Triage {
        person_id: person,
        onset_date: None,
        history: vec![fangkong_rules::case_definition::EpiItem::AffectedAreaTravel],
        clinical: vec![fangkong_rules::case_definition::ClinicalItem::FeverOrRespiratory, fangkong_rules::case_definition::ClinicalItem::ImagingFeatures],
    };
    let case = store::open_suspected(&db, &actor(), &everywhere, &triage, today).await.unwrap().id;
    // Tested positive, then (after treatment) negative twice a day apart.
    let day0 = fangkong::clock::micros_at(today - time::Duration::days(3), 9);
    for (at, outcome) in [(day0, LabOutcome::Positive), (day0 + 24 * 3_600_000_000, LabOutcome::Negative), (day0 + 48 * 3_600_000_000, LabOutcome::Negative)] {
        let sample = store::NewSample { case_id: case, kind: SampleKind::ThroatSwab, taken_at: at, received_at: None, lab: None };
        let sample = store::add_sample(&db, &actor(), &everywhere, &sample).await.unwrap();
        store::add_result(&db, &actor(), &everywhere, sample, LabTest::NucleicAcid, outcome, at).await.unwrap();
        if outcome == LabOutcome::Positive {
            store::decide_suspected(&db, &actor(), &everywhere, case, CaseStatus::Confirmed, today).await.unwrap();
        }
    }
    let new = hospitals::NewHospital { org_code: code("430400"), name: "衡阳市第三人民医院".into(), general_beds: 20, isolation_beds: 8, icu_beds: 2 };
    let hospital = hospitals::create(&db, &actor(), &everywhere, &new).await.unwrap();
    let browser = Browser::start().await;
    run("transfer-discharge-follow-up", &browser, async {
        sign_in(&browser, &base, "city_hospital").await?;
        browser.goto(&format!("{base}/cases/{case}")).await?;
        check(browser.text("#case-status").await? == "确诊病例", "a confirmed case")?;
        browser.set_value("#transfer-form select[name=hospital_id]", &hospital.to_string()).await?;
        browser.click("#transfer-form button").await?;
        browser.wait_for_text("#transfers .transfer-status", "已申请").await?;

        browser.goto(&format!("{base}/hospitals")).await?;
        check(browser.text(&format!("#beds tr[data-hospital='{hospital}'] .beds-isolation")).await?.contains("8 / 8"), "8 isolation beds free")?;
        browser.click(&format!("#beds tr[data-hospital='{hospital}'] a")).await?;
        browser.click("#patients form button").await?;
        browser.wait_for_text("#patients", "已接收").await?;
        browser.click("#patients form button").await?;
        browser.wait_for_text("#patients", "已入院").await?;
        check(browser.text(".free-isolation").await? == "7", "one isolation bed taken")?;

        browser.goto(&format!("{base}/cases/{case}")).await?;
        browser.click("#discharge-form input[name=afebrile]").await?;
        browser.click("#discharge-form button").await?;
        let refusal = browser.text("#case-error").await?;
        check(refusal.contains("呼吸道症状明显好转") && refusal.contains("肺部影像学"), &format!("the criteria not ticked are named: {refusal:?}"))?;
        check(browser.text("#case-status").await? == "确诊病例", "still confirmed")?;
        for name in ["afebrile", "respiratory_improved", "imaging_improved"] {
            browser.click(&format!("#discharge-form input[name={name}]")).await?;
        }
        browser.click("#discharge-form button").await?;
        browser.wait_for_text("#case-status", "治愈出院").await?;
        check(browser.text("#transfers").await?.contains("已出院/结束"), "the stay ended")?;
        let due = [today + time::Duration::days(14), today + time::Duration::days(28)];
        let follow_ups = browser.text("#case-follow-ups").await?;
        check(due.iter().all(|d| follow_ups.contains(&d.to_string())), &format!("follow-ups due on day 14 and 28: {follow_ups:?}"))?;

        browser.goto(&format!("{base}/cases/board")).await?;
        check(browser.text("#board-cases li[data-status=discharged] strong").await? == "1", "the city's board counts the discharge")?;
        browser.screenshot("case-board").await?;

        // The Leiyang grid worker finds them on the today list.
        sign_in(&browser, &base, "grid_worker").await?;
        browser.goto(&format!("{base}/today")).await?;
        let rows = browser.text("#today-follow-ups").await?;
        check(rows.contains("钱*") && due.iter().all(|d| rows.contains(&d.to_string())), &format!("on the grid worker's list: {rows:?}"))?;
        browser.fill("#today-follow-ups input[name=note]", "体温正常,情绪稳定").await?;
        browser.click("#today-follow-ups button").await?;
        browser.wait_for_url("/today").await?;
        let rows = browser.text("#today-follow-ups").await?;
        check(!rows.contains(&due[0].to_string()) && rows.contains(&due[1].to_string()), &format!("week 2 done, week 4 left: {rows:?}"))?;
        browser.screenshot("follow-ups").await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_dashboard_draws_its_charts_and_drills_down_to_a_grid() {
    let (base, db) = start_app_with_db().await;
    // A person of Leiyang's first grid under home observation today, with a fever.
    let feverish = |name: &'static str, seq: u32| {
        let db = db.clone();
        async move {
            let today = fangkong::clock::today();
            let leiyang = fangkong_rules::Scope::of(&code("430481"));
            let input = fangkong::people::PersonInput { name: name.into(), id_number: resident_id("430481", seq), org_code: LEIYANG_GRID.into(), ..Default::default() };
            let person = fangkong::people::store::create(&db, &actor(), &leiyang, &input.validate(today).unwrap()).await.unwrap().id;
            let new = fangkong::observation::episodes::NewEpisode { person_id: person, kind: fangkong::observation::Kind::Home, site_id: None, start_date: today, closing_case: None };
            let episode = fangkong::observation::episodes::start(&db, &actor(), &leiyang, &new, today).await.unwrap();
            let fever = fangkong::observation::checkins::CheckInInput { slot: Some("am".into()), temperature: "38.1".into(), symptoms: vec![], note: None, idempotency_key: None };
            fangkong::observation::checkins::record(&db, &episode, &fever.validate(9).unwrap(), fangkong::observation::checkins::Source::Resident, today).await.unwrap();
        }
    };
    feverish("钱观察", 77).await;
    let browser = Browser::start().await;
    run("dashboard-drill-down", &browser, async {
        sign_in(&browser, &base, "city_commander").await?;
        browser.click("header nav a[href='/dashboard']").await?;
        browser.wait_for_url("/dashboard").await?;
        check(browser.text("h1").await?.contains("衡阳市"), "the city's dashboard")?;
        // On a 390 px phone the unit table's rows are cards: each number has its column's label.
        let label = browser
            .script("const td = document.querySelector('#dashboard-units tbody td.num'); const th = document.querySelectorAll('#dashboard-units thead th')[Array.from(td.parentNode.children).indexOf(td)]; return [getComputedStyle(td, '::before').content, th.textContent.trim(), getComputedStyle(document.querySelector('#dashboard-units thead')).display];")
            .await?;
        check(label[0].as_str().is_some_and(|c| c.contains(label[1].as_str().unwrap_or("?"))) && label[2] == "none", &format!("a phone shows each number with its label: {label:?}"))?;
        let header = browser.script("return document.querySelector('header.top').getBoundingClientRect().height;").await?;
        check(header.as_f64().is_some_and(|h| h <= 100.0), &format!("the phone header leaves the screen to the work: {header} px"))?;
        let beds = browser.text(".bed[data-kind='isolation']").await?;
        check(beds.contains("空余") && beds.contains("总数"), &format!("beds read free / total, as on the beds page: {beds:?}"))?;
        check(browser.text("#key-figures [data-figure=observing] strong").await? == "1", "one person under observation in the city")?;
        let fevers = browser.text("#open-alerts [data-figure=alerts_open_fever]").await?;
        check(fevers == "发热 1", &format!("the fever's alert is open, got {fevers:?}"))?;
        for chart in ["#chart-cases", "#chart-rate", "#chart-units", "#chart-beds"] {
            let mut drawn = false;
            for _ in 0..50 {
                drawn = browser.exists(&format!("{chart} canvas")).await?;
                if drawn {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            check(drawn, &format!("ECharts drew {chart}"))?;
        }
        browser.screenshot("dashboard-city").await?;
        let leiyang_row = browser.text("#dashboard-units tr[data-unit='430481']").await?;
        check(leiyang_row.starts_with("耒阳市 1"), &format!("Leiyang's line counts the observation, got {leiyang_row:?}"))?;
        for (unit, name) in [("430481", "耒阳市"), ("430481001", "蔡子池街道"), ("430481001001", "金南社区"), (LEIYANG_GRID, "第一网格")] {
            browser.click(&format!("#dashboard-units tr[data-unit='{unit}'] a")).await?;
            browser.wait_for_url(&format!("org={unit}")).await?;
            check(browser.text("h1").await?.contains(name), &format!("drilled into {name}"))?;
            check(browser.text("#key-figures [data-figure=observing] strong").await? == "1", &format!("{name} still counts the observation"))?;
        }
        check(!browser.exists("#dashboard-units").await?, "a grid has no units below it")?;
        browser.screenshot("dashboard-grid").await?;
        browser.click("#dashboard-up").await?;
        browser.wait_for_url("org=430481001001").await?;

        // A wall screen stays current: a second fever comes in, and 刷新 (as the minute's timer
        // does) shows it without reloading the page.
        feverish("孙发热", 78).await;
        browser.click("#dashboard-refresh").await?;
        browser.wait_for_text("#key-figures [data-figure=fevers] strong", "2").await?;
        check(browser.text("#key-figures [data-figure=observing] strong").await? == "2", "the second person under observation")?;
        check(browser.text("#open-alerts [data-figure=alerts_open_fever]").await? == "发热 2", "both fevers' alerts are open")?;
        let row = browser.text(&format!("#dashboard-units tr[data-unit='{LEIYANG_GRID}']")).await?;
        check(row.starts_with("第一网格 2"), &format!("the grid's line counts both, got {row:?}"))?;
        check(browser.text("#dashboard-updated").await?.contains("更新于"), "the time of the update is shown")?;
        // In English, the charts' series are named in English too.
        browser.click("a[data-lang]").await?;
        browser.wait_for_text("#dashboard-refresh", "Refresh").await?;
        let names = browser.script("return echarts.getInstanceByDom(document.getElementById('chart-cases')).getOption().series.map((s) => s.name)").await?;
        check(names == serde_json::json!(["New confirmed", "New suspected", "Under observation"]), &format!("English legends, got {names}"))?;
        // Once the session is gone, an update leads to the sign-in page rather than a network error.
        browser.delete_cookies().await?;
        browser.click("#dashboard-refresh").await?;
        browser.wait_for_url("/login").await
    })
    .await;
}

/// The city's daily report printed on A4 portrait carries every county's column and none of the
/// page's controls, and says which unit, which day and when it was printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_daily_report_prints_on_a4_portrait_with_every_county_column() {
    let base = start_app().await;
    let browser = Browser::start().await;
    run("daily-report-print", &browser, async {
        sign_in(&browser, &base, "city_commander").await?;
        browser.goto(&format!("{base}/reports/daily")).await?;
        let columns = browser.script("return Array.from(document.querySelectorAll('#daily-report thead th')).map((th) => th.textContent.trim())").await?;
        let last = columns.as_array().and_then(|c| c.last()).and_then(|c| c.as_str()).unwrap_or_default().to_string();
        check(columns.as_array().is_some_and(|c| c.len() >= 14) && last == "常宁市", &format!("the city's twelve counties are columns: {columns}"))?;
        let date = browser.text("#report-date").await?;
        // A city's figures run to six digits (600,000 key persons): every cell is given one, the
        // widest a column must hold whole.
        browser.script("document.querySelectorAll('#daily-report td.num').forEach((td, i) => { td.textContent = String(100000 + i * 7919 % 900000); }); return true").await?;
        let pdf = browser.print_a4_portrait().await?;
        let path = temp_dir("fk_print").join("daily.pdf");
        std::fs::write(&path, &pdf).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().map_err(|e| format!("pdftotext (poppler-utils) is needed: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let first_page = text.split('\u{c}').next().unwrap_or_default();
        check(first_page.contains("衡阳市") && first_page.contains(&date), &format!("the sheet names the unit and the day: {first_page}"))?;
        check(first_page.contains("打印时间"), "the sheet says when it was printed")?;
        check(first_page.contains(&last), &format!("the last county's column ({last}) is on the sheet, not cut off: {first_page}"))?;
        check(!text.contains("下载 Excel") && !text.contains("上一级") && !text.contains("查看"), "the date picker and the buttons are not printed")?;
        // Every figure of three characters or more reads whole on the sheet, never split over two lines.
        let figures = browser.script("return Array.from(document.querySelectorAll('#daily-report td.num')).map((td) => td.textContent.trim())").await?;
        let words: std::collections::HashSet<&str> = text.split_whitespace().collect();
        let long: Vec<&str> = figures.as_array().into_iter().flatten().filter_map(|f| f.as_str()).flat_map(str::split_whitespace).filter(|f| f.chars().count() >= 3).collect();
        check(long.len() >= 10, &format!("the report has figures of three characters or more to check: {long:?}"))?;
        let split: Vec<&&str> = long.iter().filter(|f| !words.contains(**f)).collect();
        check(split.is_empty(), &format!("figures split on the sheet: {split:?}"))
    })
    .await;
}

async fn switch_user(browser: &Browser, base: &str, username: &str) -> Step<()> {
    browser.click("header form button").await?;
    browser.find("input[name=username]").await?;
    sign_in(browser, base, username).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_directive_is_passed_down_reported_back_and_rolled_up() {
    let base = start_app().await;
    let browser = Browser::start().await;
    let at = |hours: i64| {
        let t = time::OffsetDateTime::now_utc().to_offset(fangkong::clock::CHINA) + time::Duration::hours(hours);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
    };
    run("directive-cascade", &browser, async {
        sign_in(&browser, &base, "city_commander").await?;
        browser.click("header nav a[href='/directives']").await?;
        browser.fill("#issue-form input[name=title]", "关于开展重点人员拉网排查的通知").await?;
        browser.fill("#issue-form textarea[name=body]", "各县市区立即组织拉网排查,当日反馈").await?;
        browser.set_value("#issue-form input[name=ack_due_at]", &at(-1)).await?;
        browser.set_value("#issue-form input[name=feedback_due_at]", &at(24)).await?;
        browser.click("#issue-form button").await?;
        let error = browser.text("#issue-form .field-error").await?;
        check(error == "签收时限应晚于现在", &format!("a deadline in the past is refused in Chinese, got {error:?}"))?;
        check(browser.value("#issue-form input[name=title]").await? == "关于开展重点人员拉网排查的通知", "the title is kept")?;
        browser.set_value("#issue-form input[name=ack_due_at]", &at(2)).await?;
        browser.set_value("#issue-form input[name=feedback_due_at]", &at(24)).await?;
        browser.click("#issue-form button").await?;
        browser.wait_for_url("/directives/").await?;
        let original = browser.url().await?;
        check(browser.text("#progress-acknowledged").await? == "0", "nobody has acknowledged yet")?;

        switch_user(&browser, &base, "county_commander").await?;
        browser.goto(&format!("{base}/directives")).await?;
        browser.click("#received a").await?;
        browser.click("#acknowledge").await?;
        browser.wait_for_text("#my-part", "已签收").await?;
        browser.fill("#forward-form textarea[name=body]", "各乡镇街道今日 18 时前零报告").await?;
        browser.set_value("#forward-form input[name=ack_due_at]", &at(1)).await?;
        browser.set_value("#forward-form input[name=feedback_due_at]", &at(12)).await?;
        browser.click("#forward").await?;
        browser.wait_for_text("#directive-body", "零报告").await?;
        browser.screenshot("directive-forwarded").await?;

        switch_user(&browser, &base, "township_officer").await?;
        browser.goto(&format!("{base}/directives")).await?;
        let received = browser.text("#received").await?;
        check(received.contains("关于开展重点人员拉网排查的通知") && received.contains("耒阳市"), &format!("the township received it from Leiyang, got {received:?}"))?;
        browser.click("#received a").await?;
        check(browser.text("main").await?.contains("各县市区立即组织拉网排查"), "the city's original text is shown above the county's")?;
        browser.fill("#complete-form textarea[name=feedback]", "已排查 1203 户,发现返乡人员 17 人").await?;
        browser.click("#complete").await?;
        browser.wait_for_text("#my-part", "已反馈").await?;

        switch_user(&browser, &base, "city_commander").await?;
        browser.goto(&original).await?;
        let leiyang = browser.text("#directive-targets tr[data-unit='430481']").await?;
        check(leiyang.contains("签收 1/") && leiyang.contains("办结 1"), &format!("Leiyang's line rolls up its townships, got {leiyang:?}"))?;
        check(browser.text("#progress-acknowledged").await? == "1", "the city counts Leiyang's acknowledgement")?;
        browser.screenshot("directive-rolled-up").await?;
        browser.click("#directive-targets tr[data-unit='430481'] a.below").await?;
        let townships = browser.text("#directive-targets tr[data-unit='430481001']").await?;
        check(townships.contains("已排查 1203 户"), &format!("the city reads the township's feedback, got {townships:?}"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_a_person_under_home_observation_kills_their_link_and_tells_the_grid_worker() {
    let (base, db) = start_app_with_db().await;
    let today = fangkong::clock::today();
    let everywhere = fangkong_rules::Scope::everything();
    let input = fangkong::people::PersonInput { name: "冯居家".into(), id_number: "43048119900101123X".into(), org_code: LEIYANG_GRID.into(), ..Default::default() };
    let person = fangkong::people::store::create(&db, &actor(), &everywhere, &input.validate(today).unwrap()).await.unwrap().id;
    let new =
        fangkong::observation::episodes::NewEpisode { person_id: person, kind: fangkong::observation::Kind::Home, site_id: None, start_date: today - time::Duration::days(3), closing_case: None };
    let episode = fangkong::observation::episodes::start(&db, &actor(), &everywhere, &new, today).await.unwrap();
    let triage = fangkong::cases::store::Triage {
        person_id: person,
        onset_date: None,
        history: vec![fangkong_rules::case_definition::EpiItem::AffectedAreaTravel],
        clinical: vec![fangkong_rules::case_definition::ClinicalItem::FeverOrRespiratory, fangkong_rules::case_definition::ClinicalItem::ImagingFeatures],
    };
    let case = fangkong::cases::store::open_suspected(&db, &actor(), &everywhere, &triage, today).await.unwrap().id;
    let browser = Browser::start().await;
    run("confirm-ends-home-observation", &browser, async {
        sign_in(&browser, &base, "hospital_staff").await?;
        browser.goto(&format!("{base}/cases/{case}")).await?;
        let now = fangkong::db::now_micros();
        let taken = fangkong::clock::format_micros(now - 2 * 3_600_000_000);
        browser.fill("#sample-form input[name=taken_at]", &taken).await?;
        browser.click("#sample-form button").await?;
        browser.find(&format!("#samples li[data-sample] [data-taken='{taken}']")).await?;
        browser.set_value("#result-form select[name=result]", "positive").await?;
        browser.fill("#result-form input[name=resulted_at]", &fangkong::clock::format_micros(now - 3_600_000_000)).await?;
        browser.click("#result-form button").await?;
        browser.find("#samples li.result").await?;
        browser.click("#decision input[name=checked]").await?;
        browser.click("#decision button[value=confirmed]").await?;
        browser.wait_for_text("#case-status", "确诊病例").await?;

        // The resident's saved link: dead, saying so, naming nobody.
        browser.goto(&format!("{base}/r/{}", episode.report_token)).await?;
        let page = browser.text("main").await?;
        check(page.contains("链接已失效") && !page.contains("冯"), &format!("the link is dead: {page:?}"))?;

        browser.goto(&format!("{base}/")).await?;
        switch_user(&browser, &base, "grid_worker").await?;
        browser.goto(&format!("{base}/today")).await?;
        let told = browser.text("#became-cases").await?;
        check(told.contains("冯**") && told.contains("确诊病例"), &format!("the today list says why the reports stopped: {told:?}"))?;
        check(!browser.text("#not-reported").await?.contains("冯**"), "nobody waits for a case's temperature")?;
        browser.goto(&format!("{base}/observations/{}", episode.id)).await?;
        check(browser.text("#observation-day").await?.contains("转为病例"), "the observation says how it ended")?;
        browser.goto(&format!("{base}/persons/{person}")).await?;
        let standing = browser.text("#person-standing").await?;
        check(standing.contains("转为病例") && standing.contains("确诊病例"), &format!("the person's page says where they stand: {standing:?}"))?;
        Ok(())
    })
    .await;
}

/// On a phone: an inspector chooses a waste-mask collector from the register, ticks a mask, gloves
/// and a raincoat, sees −4 before saving, saves with one tap, and the page says what was recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_records_a_waste_mask_collector_without_boots_and_disinfectant_the_district_appeals_and_the_centre_closes_the_month() {
    let (base, db) = start_app_with_db().await;
    add_user(&db, "inspector_shigu", fangkong::auth::Role::SanitationInspector, "430407").await;
    add_user(&db, "shigu_command", fangkong::auth::Role::CountyCommander, "430407").await;
    let centre = add_user(&db, "centre", fangkong::auth::Role::SanitationInspector, "430400901").await;
    let photo = temp_dir("fk_photo").join("雨靴.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff\xe0\0\x10JFIF\0").unwrap();
    // Dated last month's last day (recorded today): the month the centre can close.
    let last_day = fangkong::sanitation::months::days_of(&fangkong::sanitation::months::of_day(fangkong::clock::today())).unwrap().0.previous_day().unwrap();
    let month = fangkong::sanitation::months::of_day(last_day);
    let all = fangkong::sanitation::editions::load(&db).await.unwrap();
    let collector = fangkong::sanitation::workforce::NewWorker {
        org_code: code("430407"),
        name: "周收运".into(),
        number: Some("SG-017".into()),
        role: fangkong_rules::sanitation::WorkerRole::WasteMaskCollector,
        team: None,
        person_id: None,
        started_on: time::macros::date!(2020 - 01 - 01),
    };
    let worker = fangkong::sanitation::workforce::add(&db, &actor(), &fangkong_rules::Scope::of(&code("430407")), &all[0], &collector).await.unwrap();
    let browser = Browser::start().await;
    run("sanitation-inspect", &browser, async {
        sign_in(&browser, &base, "inspector_shigu").await?;
        browser.goto(&format!("{base}/sanitation")).await?;
        browser.set_value("#inspect select[name=worker_id]", &worker.to_string()).await?;
        browser.click("#inspect button.primary").await?;
        browser.wait_for_url("/sanitation/inspect").await?;
        check(browser.text("[data-deduction]").await? == "10", "nothing ticked: five items missing, −10")?;
        for worn in ["mask", "gloves", "raincoat"] {
            browser.click(&format!("input[name=worn][value={worn}]")).await?;
        }
        let shown = browser.text("[data-deduction]").await?;
        check(shown == "4", &format!("boots and disinfectant missing: −4 shown before saving, got {shown}"))?;
        browser.click("input[name=worn][value=protective_suit]").await?;
        check(browser.text("[data-deduction]").await? == "4", "a suit as well as a raincoat meets the same one item")?;
        browser.click("input[name=worn][value=protective_suit]").await?;
        browser.fill("input[name=place]", "解放路口").await?;
        browser.set_value("input[name=inspected_at]", &format!("{last_day}T10:00")).await?;
        browser.click("#inspect-form button.primary").await?;
        browser.wait_for_url("/sanitation?recorded=").await?;
        let said = browser.text("#sanitation-recorded").await?;
        check(said.contains("扣 4 分") && said.contains("胶鞋(雨靴)、消毒液"), &format!("says what was recorded: {said}"))?;
        let recorded = browser.attribute("#sanitation-recorded a[href^='/sanitation/inspections/']", "href").await?;

        // The district sees it the same day it is recorded and appeals the boots with a photo.
        browser.delete_cookies().await?;
        sign_in(&browser, &base, "shigu_command").await?;
        browser.goto(&if recorded.starts_with("http") { recorded } else { format!("{base}{recorded}") }).await?;
        browser.click("#appeal-form input[name=items][value=rubber_boots]").await?;
        browser.fill("#appeal-form input[name=reason]", "雨靴放在收运车上,检查时正在更换").await?;
        browser.attach("#appeal-form input[name=photo]", &photo).await?;
        browser.click("#appeal-form button.primary").await?;
        browser.wait_for_text("#appeal-status", "待裁定").await?;
        check(browser.exists(".photos img").await?, "the appeal's photo is shown with the inspection")?;

        // The centre accepts it: −2 remains.
        browser.delete_cookies().await?;
        sign_in(&browser, &base, "centre").await?;
        browser.goto(&format!("{base}/sanitation")).await?;
        browser.click("#sanitation-appeals a").await?;
        browser.wait_for_url("/sanitation/inspections/").await?;
        browser.click("#decide-form input[name=decision][value=accept]").await?;
        browser.fill("#decide-form input[name=note]", "照片显示雨靴在车上").await?;
        browser.click("#decide-form button.primary").await?;
        browser.wait_for_text("#appeal-status", "申诉成立").await?;
        let points = browser.text("#inspection-points").await?;
        check(points.starts_with('2'), &format!("4 points less the 2 given back, got {points}"))?;

        // It closes the month; the ranking shows 石鼓区 last with 98.
        browser.goto(&format!("{base}/sanitation/months?month={month}")).await?;
        browser.click("#close-month button").await?;
        browser.wait_for_text("#month-closed", "已结账").await?;
        let row = browser.text("#month-ranking tr[data-district='430407']").await?;
        check(row.starts_with("4 石鼓区") && browser.text("#month-ranking tr[data-district='430407'] [data-score]").await? == "98", &format!("石鼓区's line: {row}"))?;
        check(!browser.exists("#close-month").await?, "a closed month offers no closing")?;
        check(browser.attribute("#month-xlsx", "href").await?.ends_with(&format!("/sanitation/months/{month}.xlsx")), "the page links its workbook")
    })
    .await;
    // The workbook the page links to holds the district's score.
    use calamine::Reader;
    let session = fangkong::auth::sessions::create(&db, centre, fangkong::auth::sessions::SessionKind::Web, &Default::default()).await.unwrap();
    let response = reqwest::Client::new().get(format!("{base}/sanitation/months/{month}.xlsx")).header("cookie", format!("fk_session={}", session.token)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("月度考核").unwrap();
    let shigu: Vec<String> = sheet.rows().find(|r| r.get(1).is_some_and(|c| *c == "石鼓区")).unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!((shigu[0].as_str(), shigu[12].as_str()), ("4", "98"), "{shigu:?}");
}
