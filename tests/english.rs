//! The English interface is complete: every page each role can reach, rendered in English, shows no
//! Chinese outside data values (names of people, units, hospitals; addresses; what users typed).
//! The pages are found by following the links from the home page, as a user would, with a case, an
//! observation with a fever, a directive and a supervision visit on record so their pages exist.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header("cookie", cookie).body(Body::empty()).unwrap()
}

async fn session_of(app: &App, username: &str) -> String {
    let (_, headers, body) = app.send(get("/login", "")).await;
    let login_cookie = headers.get_all(header::SET_COOKIE).iter().next().unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = String::from_utf8(body).unwrap().split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let request = Request::post("/login")
        .header("cookie", &login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={csrf}&username={username}&password={PASSWORD}")))
        .unwrap();
    let (status, headers, _) = app.send(request).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{username} signs in");
    let session = headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).find(|c| c.starts_with("fk_session=")).unwrap();
    format!("{}; fk_lang=en", session.split(';').next().unwrap())
}

/// Records whose pages the sweep should reach: a person under home observation with a fever, a
/// suspected case, a directive from the city, a supervision visit of the township.
async fn seed_records(db: &fangkong::db::Db) {
    use fangkong::observation::checkins::{self, CheckInInput, Source};
    use fangkong::observation::episodes::{self, NewEpisode};
    use fangkong_rules::Scope;
    use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
    let today = fangkong::clock::today();
    let county = Scope::of(&code("430481"));
    let person = |name: &str, seq: u32| fangkong::people::PersonInput {
        name: name.into(),
        id_number: resident_id("430481", seq),
        org_code: LEIYANG_GRID.into(),
        phone: Some("13800001234".into()),
        ..Default::default()
    };
    let watched = fangkong::people::store::create(db, &actor(), &county, &person("钱观察", 1).validate(today).unwrap()).await.unwrap().id;
    let new = NewEpisode { person_id: watched, kind: fangkong::observation::Kind::Home, site_id: None, start_date: today, closing_case: None };
    let episode = episodes::start(db, &actor(), &county, &new, today).await.unwrap();
    let fever = CheckInInput { slot: Some("am".into()), temperature: "38.1".into(), symptoms: vec!["cough".into()], note: None, idempotency_key: None };
    checkins::record(db, &episode, &fever.validate(9).unwrap(), Source::Resident, today).await.unwrap();
    let suspect = fangkong::people::store::create(db, &actor(), &county, &person("郑疑似", 2).validate(today).unwrap()).await.unwrap().id;
    let triage = fangkong::cases::store::Triage {
        person_id: suspect,
        onset_date: None,
        history: vec![EpiItem::InfectedContact],
        clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::ImagingFeatures],
    };
    let case = fangkong::cases::store::open_suspected(db, &actor(), &county, &triage, today).await.unwrap();
    // A second suspect, confirmed by a positive result: the confirmed case's page has the care forms.
    let positive = fangkong::people::store::create(db, &actor(), &county, &person("王确诊", 3).validate(today).unwrap()).await.unwrap().id;
    let confirmed = fangkong::cases::store::open_suspected(db, &actor(), &county, &fangkong::cases::store::Triage { person_id: positive, ..triage }, today).await.unwrap();
    let at = fangkong::db::now_micros();
    let swab = fangkong::cases::store::NewSample { case_id: confirmed.id, kind: fangkong::cases::SampleKind::ThroatSwab, taken_at: at, received_at: None, lab: None };
    let sample = fangkong::cases::store::add_sample(db, &actor(), &county, &swab).await.unwrap();
    fangkong::cases::store::add_result(db, &actor(), &county, sample, fangkong::cases::LabTest::NucleicAcid, fangkong::cases::LabOutcome::Positive, at).await.unwrap();
    fangkong::cases::store::decide_suspected(db, &actor(), &county, confirmed.id, fangkong::cases::CaseStatus::Confirmed, today).await.unwrap();
    let city = Scope::of(&code("430400"));
    let hospital = fangkong::cases::hospitals::NewHospital { org_code: code("430400"), name: "衡阳市第三人民医院".into(), general_beds: 10, isolation_beds: 10, icu_beds: 2 };
    let hospital = fangkong::cases::hospitals::create(db, &actor(), &city, &hospital).await.unwrap();
    fangkong::cases::hospitals::request(db, &actor(), &county, case.id, hospital, fangkong::cases::BedKind::Isolation, None).await.unwrap();
    let asked = fangkong::observation::needs::Asked { kind: fangkong::observation::needs::NeedKind::Medicine, detail: Some("降压药"), idempotency_key: None };
    fangkong::observation::needs::request(db, &episode, asked, fangkong::observation::needs::Requester::Resident).await.unwrap();
    let fix = fangkong::command::supervision::NewFix { description: "补全台账".into(), due_date: today + time::Duration::days(2) };
    let visit = fangkong::command::supervision::NewSupervision {
        org_code: code("430481001"),
        visited_on: today,
        inspectors: "王组长".into(),
        checked: vec![fangkong::command::supervision::CheckItem::Ledgers],
        findings: "台账缺返乡日期".into(),
        fixes: vec![fix],
    };
    fangkong::command::supervision::record(db, &actor(), &county, &visit, today).await.unwrap();
    let now = fangkong::db::now_micros();
    let hour = 3_600_000_000;
    let directive = fangkong::command::directives::NewDirective {
        title: "关于开展排查的通知".into(),
        body: "逐户登记".into(),
        ack_due_at: now + 2 * hour,
        feedback_due_at: now + 24 * hour,
        attachments: Vec::new(),
    };
    fangkong::command::directives::issue(db, &actor(), &Scope::of(&code("430400")), &code("430400"), directive, now).await.unwrap();
    // A sanitation inspection with a photo and an appeal waiting: its page, the appeal and the month.
    use fangkong::sanitation::{appeals, editions, inspections, photos};
    let all = editions::load(db).await.unwrap();
    let shigu = Scope::of(&code("430407"));
    let inspected = inspections::NewInspection {
        org_code: code("430407"),
        place: "解放路口".into(),
        worker: inspections::Inspected::Unnamed { role: fangkong_rules::sanitation::WorkerRole::WasteMaskCollector, name: Some("周收运".into()) },
        worn: vec![fangkong_rules::sanitation::Worn::Mask],
        inspected_at: now - hour,
        note: Some("雨靴未穿".into()),
        photo: Some(photos::Photo::checked("photo", vec![0xFF, 0xD8, 0xFF, 0xE0]).unwrap()),
        idempotency_key: None,
    };
    let inspection = inspections::record(db, &actor(), &shigu, &all, &inspected).await.unwrap();
    let appeal = appeals::NewAppeal { inspection_id: inspection.id, items: vec![fangkong_rules::sanitation::PpeItem::Gloves], reason: "手套在车上".into(), photo: None };
    appeals::file(db, &actor(), &shigu, &all, &appeal).await.unwrap();
    // A road point worked by the township's checkpoint staff, with a fever waiting for its re-test.
    use fangkong::checkpoints::{PointKind, points, screenings};
    let township = Scope::of(&code("430481001"));
    let road = points::NewPoint { org_code: code("430481001"), kind: PointKind::Road, name: "G107 蔡子池卡点".into(), location: "G107 K1721".into(), opened_on: today };
    let point = points::create(db, &actor(), &township, &road).await.unwrap();
    points::assign(db, &actor(), &township, point, "checkpoint_staff").await.unwrap();
    let staff_id = fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select id from users where username = 'checkpoint_staff'").fetch_one(pool).await).unwrap();
    let staff = fangkong::audit::Actor { user_id: Some(staff_id), username: "checkpoint_staff".into(), org_code: "430481001".into(), client_addr: None };
    let car = screenings::NewScreening {
        point_id: point,
        plate: Some("鄂A12345".into()),
        vehicle_kind: Some("car".into()),
        origin: "420100".into(),
        destination: LEIYANG_GRID.into(),
        destination_address: None,
        screened_at: now - hour,
        occupants: vec![
            screenings::NewOccupant { temperature: "38.1".into(), name: Some("王旅客".into()), ..Default::default() },
            screenings::NewOccupant { temperature: "36.4".into(), symptoms: vec!["cough".into()], ..Default::default() },
        ],
        idempotency_key: None,
    };
    let names = fangkong::org::names::UnitNames::default().get(db).await.unwrap();
    screenings::record(db, &staff, &township, &names, &car).await.unwrap();
}

/// Every piece of data text on record: what the sweep may find in Chinese on an English page.
async fn data_values(db: &fangkong::db::Db) -> Vec<String> {
    let columns = [
        ("org_units", "name"),
        ("persons", "name"),
        ("households", "address"),
        ("hospitals", "name"),
        ("observation_sites", "name"),
        ("directives", "title"),
        ("directives", "body"),
        ("users", "display_name"),
        ("supervisions", "inspectors"),
        ("supervisions", "findings"),
        ("supervision_fixes", "description"),
        ("sanitation_inspections", "place"),
        ("sanitation_inspections", "worker_name"),
        ("sanitation_inspections", "note"),
        ("sanitation_appeals", "reason"),
        ("screening_points", "name"),
        ("screening_points", "location"),
        ("screened_persons", "name"),
        ("screenings", "plate"),
        ("life_needs", "detail"),
        // Recorded as written at the time: the rules edition's name, why a case changed status.
        ("case_rule_sets", "name"),
        ("rule_sets", "name"),
        ("sanitation_editions", "name"),
        ("case_transitions", "reason"),
    ];
    let mut values = Vec::new();
    for (table, column) in columns {
        let sql = format!("select distinct {column} from {table} where {column} is not null");
        values.extend(fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, String>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await).unwrap());
    }
    // Names and addresses as roles that see them masked see them.
    let persons = fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, String>("select name from persons").fetch_all(pool).await).unwrap();
    let addresses = fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, String>("select address from households").fetch_all(pool).await).unwrap();
    values.extend(persons.iter().map(|n| fangkong_rules::mask::mask_name(n)));
    values.extend(addresses.iter().map(|a| fangkong_rules::mask::mask_address(a)));
    // Where travellers come from and go to, as the division list names them.
    values.extend(fangkong::checkpoints::divisions::all().iter().filter_map(|d| fangkong::checkpoints::divisions::full_name(&d.code)));
    let travellers = fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, String>("select name from screened_persons where name is not null").fetch_all(pool).await).unwrap();
    values.extend(travellers.iter().map(|n| fangkong_rules::mask::mask_name(n)));
    // The language switch names the other language in that language.
    values.push("中文".into());
    // Longest first, so a unit's name goes before a shorter name inside it.
    values.sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
    values
}

/// The text a reader sees: element text and the attributes shown as text, without scripts and styles.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        out.push(' ');
        let tag_end = rest[start..].find('>').map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..tag_end];
        for attribute in ["placeholder=\"", "aria-label=\"", "alt=\"", "data-label=\""] {
            if let Some(v) = tag.split(attribute).nth(1).and_then(|v| v.split('"').next()) {
                out.push_str(v);
                out.push(' ');
            }
        }
        rest = &rest[tag_end..];
        for hidden in ["script", "style"] {
            if tag.starts_with(&format!("<{hidden}")) {
                rest = rest.find(&format!("</{hidden}>")).map_or("", |e| &rest[e..]);
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}')
}

/// Runs of Chinese left in `text` once the data values are taken out.
fn chinese_runs(text: &str, data: &[String]) -> Vec<String> {
    let mut text = text.to_string();
    for value in data {
        if text.contains(value.as_str()) {
            text = text.replace(value.as_str(), " ");
        }
    }
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain([' ']) {
        if is_cjk(c) {
            run.push(c);
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs
}

/// The same page under another record or unit: `/persons/12` and `/persons/31` are one page.
fn page_kind(path: &str) -> String {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let route: String = route.split('/').map(|part| if part.chars().any(|c| c.is_ascii_digit()) { "N" } else { part }).collect::<Vec<_>>().join("/");
    let keys: BTreeSet<&str> = query.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
    format!("{route}?{}", keys.into_iter().collect::<Vec<_>>().join("&"))
}

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .filter(|h| !h.starts_with("/assets/") && !h.starts_with("/api/") && !h.contains(".xlsx") && !h.contains("/attachments/") && !h.starts_with("/lang"))
        .collect()
}

#[tokio::test]
async fn every_page_a_role_reaches_is_english_apart_from_data() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    seed_records(&db).await;
    let data = data_values(&db).await;
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pages = 0;
    let mut kinds = BTreeSet::new();
    // Links a page offers that the role may not follow.
    let mut refused = BTreeSet::new();
    for (role, _, _) in ROLE_HOMES {
        let cookie = session_of(&app, role.as_str()).await;
        // Two of each kind of page: a suspected and a confirmed case, say.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut queue = VecDeque::from(["/".to_string()]);
        while let Some(path) = queue.pop_front() {
            let visits = seen.entry(page_kind(&path)).or_default();
            *visits += 1;
            if *visits > 2 || seen.len() > 80 {
                continue;
            }
            let (status, headers, body) = app.send(get(&path, &cookie)).await;
            if status == StatusCode::FORBIDDEN {
                refused.insert(format!("{} {}", role.as_str(), page_kind(&path)));
            }
            let html_page = headers.get(header::CONTENT_TYPE).is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/html"));
            if !html_page || status.is_redirection() {
                continue;
            }
            pages += 1;
            kinds.insert(page_kind(&path));
            let html = String::from_utf8_lossy(&body).to_string();
            for run in chinese_runs(&visible_text(&html), &data) {
                found.entry(run).or_default().insert(format!("{} {}", role.as_str(), page_kind(&path)));
            }
            queue.extend(links(&html));
        }
    }
    eprintln!("{pages} pages in English, of these kinds: {}", kinds.iter().cloned().collect::<Vec<_>>().join(" "));
    assert!(pages > 100 && kinds.len() >= 35, "the sweep reached the pages: {pages}");
    assert!(refused.is_empty(), "pages offer links their role may not follow: {refused:?}");
    let report: Vec<String> = found.iter().map(|(run, on)| format!("{run}  ← {}", on.iter().take(3).cloned().collect::<Vec<_>>().join(", "))).collect();
    assert!(found.is_empty(), "{} Chinese texts on English pages ({pages} pages):\n{}", found.len(), report.join("\n"));
}

/// A form sent back with its errors, on an English page, says what is wrong in English.
#[tokio::test]
async fn a_form_sent_back_in_english_says_what_is_wrong_in_english() {
    let db = sqlite_only().await;
    let app = seeded_app(db.clone()).await;
    let data = data_values(&db).await;
    let cookie = session_of(&app, "county_commander").await;
    let (_, _, page) = app.send(get("/persons/new", &cookie)).await;
    let csrf = String::from_utf8(page).unwrap().split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let today = fangkong::clock::today();
    let sent = [
        ("/persons", format!("_csrf={csrf}&name=&id_type=resident_id&id_number=430481199001011234&org_code={LEIYANG_GRID}&birth_date=2020-13-01&phone=12345")),
        ("/supervisions", format!("_csrf={csrf}&org_code=430481001&visited_on={}&inspectors=wang&findings=ledgers&checked=ledgers&fix_1=ledger&due_1=", today)),
        ("/cases", format!("_csrf={csrf}&person=nobody-of-that-name&history=infected_contact")),
    ];
    for (path, body) in sent {
        let request = Request::post(path).header("cookie", &cookie).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body)).unwrap();
        let (status, _, page) = app.send(request).await;
        let html = String::from_utf8_lossy(&page).to_string();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {html}");
        assert!(html.contains("field-error"), "{path}: the errors are at their fields");
        let runs = chinese_runs(&visible_text(&html), &data);
        assert!(runs.is_empty(), "{path} says in Chinese: {runs:?}");
    }
    // The inspection form, reached by choosing a role rather than by a link.
    let admin = session_of(&app, "admin").await;
    let (status, _, page) = app.send(get("/sanitation/inspect?role=waste_mask_collector", &admin)).await;
    assert_eq!(status, StatusCode::OK);
    let runs = chinese_runs(&visible_text(&String::from_utf8_lossy(&page)), &data);
    assert!(runs.is_empty(), "the inspection form says in Chinese: {runs:?}");
    let (status, _, page) = app.send(get("/audit?from=2020-02-30", &cookie)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(chinese_runs(&visible_text(&String::from_utf8_lossy(&page)), &data).is_empty());
}
