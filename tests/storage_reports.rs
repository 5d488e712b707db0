//! The daily report against the ledgers, on SQLite and PostgreSQL: a county is generated through
//! the product's own storage functions (key persons, visits, observations, check-ins, fevers,
//! life needs, cases through to hospital and discharge, follow-ups, close contacts), then every
//! figure of the report is compared with a direct count over the ledger rows — for the city, the
//! county, a township, a community and a grid, on five dates, with each child unit's column.
//! The roll-up counts verify clean; an injected drift is found and rebuilt away.

mod common;

use common::*;
use fangkong::cases::asymptomatic::{self, PositiveTest};
use fangkong::cases::contacts::{self, NewContact, Who};
use fangkong::cases::discharge::{self, Checklist, Discharge};
use fangkong::cases::hospitals::{self, NewHospital, Step};
use fangkong::cases::store::{self, NewSample, Triage};
use fangkong::cases::{BedKind, CaseStatus, Exposure, LabOutcome, LabTest, SampleKind, Severity, follow_ups};
use fangkong::clock::{day_of_micros, micros_at};
use fangkong::db::Db;
use fangkong::observation::checkins::{self, CheckInInput, Source};
use fangkong::observation::episodes::{self, NewEpisode};
use fangkong::observation::needs::{self, NeedKind, NeedStatus, Requester};
use fangkong::observation::{Kind, Status};
use fangkong::org::store::{self as org, ChildKind, NewHousehold};
use fangkong::people::PersonInput;
use fangkong::reports::daily::{self, DailyReport};
use fangkong::screening::VisitResult;
use fangkong::screening::input::{KeyPersonInput, ResponsibleInput};
use fangkong::screening::store as ledger;
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use fangkong_rules::{OrgCode, Scope};
use time::{Date, Duration};

const HOUR: i64 = 3_600_000_000;

fn county() -> Scope {
    Scope::of(&code("430481"))
}

async fn person(db: &Db, seq: u32, grid: &str, today: Date) -> i64 {
    let input = PersonInput { name: "张居民".into(), id_number: resident_id("430481", seq), org_code: grid.into(), ..Default::default() };
    fangkong::people::store::create(db, &actor(), &Scope::everything(), &input.validate(today).unwrap()).await.unwrap().id
}

fn reading(temp: &str, slot: &str) -> checkins::ValidCheckIn {
    CheckInInput { slot: Some(slot.into()), temperature: temp.into(), symptoms: vec![], note: None, idempotency_key: None }.validate(9).unwrap()
}

async fn tested(db: &Db, case_id: i64, at: i64, outcome: LabOutcome) {
    tested_by(db, case_id, at, LabTest::NucleicAcid, outcome).await;
}

async fn tested_by(db: &Db, case_id: i64, at: i64, test: LabTest, outcome: LabOutcome) {
    let sample = NewSample { case_id, kind: SampleKind::ThroatSwab, taken_at: at, received_at: Some(at + HOUR), lab: Some("衡阳市疾控中心") };
    let id = store::add_sample(db, &actor(), &county(), &sample).await.unwrap();
    store::add_result(db, &actor(), &county(), id, test, outcome, at + 5 * HOUR).await.unwrap();
}

async fn suspected(db: &Db, person_id: i64, onset: Date, today: Date) -> i64 {
    let triage = Triage { person_id, onset_date: Some(onset), history: vec![EpiItem::AffectedAreaTravel], clinical: vec![ClinicalItem::FeverOrRespiratory, ClinicalItem::LowCellCounts] };
    store::open_suspected(db, &actor(), &county(), &triage, today).await.unwrap().id
}

/// Two townships of Leiyang, two communities each, two grids each; returns the grids.
async fn tree(db: &Db) -> Vec<String> {
    let all = Scope::everything();
    let mut grids = Vec::new();
    for township in ["430481001", "430481002"] {
        for c in 0..2 {
            let community = org::create_child(db, &actor(), &all, &code(township), ChildKind::Community, &format!("社区{c}")).await.unwrap();
            for g in 0..2 {
                grids.push(org::create_child(db, &actor(), &all, &code(&community.code), ChildKind::Grid, &format!("网格{g}")).await.unwrap().code);
            }
        }
    }
    grids
}

/// A county's worth of activity over five days, through the product's storage functions.
async fn generate(db: &Db, today: Date) -> Vec<String> {
    let grids = tree(db).await;
    let hospital =
        hospitals::create(db, &actor(), &Scope::everything(), &NewHospital { org_code: code("430400"), name: "衡阳市第三人民医院".into(), general_beds: 10, isolation_beds: 10, icu_beds: 2 })
            .await
            .unwrap();
    let mut seq = 0;
    let mut people = Vec::new();
    for (gi, grid) in grids.iter().enumerate() {
        let mut household = Vec::new();
        for h in 0..2 {
            let new = NewHousehold { org_code: code(grid), address: format!("测试路{h}号"), building: None, unit: None, room: None };
            household.push(org::create_household(db, &actor(), &county(), new).await.unwrap().id);
        }
        ledger::record_visit(db, &actor(), &county(), household[0], today - Duration::days(1 + gi as i64 % 3), VisitResult::AllWell, None).await.unwrap();
        if gi % 3 == 0 {
            // A visit typed in late, dated before the first one: the household counts from it.
            ledger::record_visit(db, &actor(), &county(), household[0], today - Duration::days(4), VisitResult::NobodyHome, None).await.unwrap();
        }
        let mut here = Vec::new();
        for _ in 0..3 {
            seq += 1;
            here.push(person(db, seq, grid, today).await);
        }
        for p in &here[..2] {
            let responsibles = vec![ResponsibleInput { role: "grid_worker".into(), name: "李网格".into(), phone: None }];
            let kp = KeyPersonInput { person_id: *p, category: "wuhan_returnee".into(), responsibles, ..Default::default() };
            ledger::create(db, &actor(), &county(), &kp.validate(today).unwrap()).await.unwrap();
        }
        let first =
            episodes::start(db, &actor(), &county(), &NewEpisode { person_id: here[0], kind: Kind::Home, site_id: None, start_date: today - Duration::days(gi as i64 % 5), closing_case: None }, today)
                .await
                .unwrap();
        checkins::record(db, &first, &reading(if gi % 4 == 0 { "37.9" } else { "36.5" }, "am"), Source::Resident, today).await.unwrap();
        if gi % 3 > 0 {
            checkins::record(db, &first, &reading("36.6", "pm"), Source::Resident, today).await.unwrap();
        }
        if gi % 5 > 0 {
            checkins::record(db, &first, &reading("36.4", "pm"), Source::Resident, today - Duration::days(1)).await.unwrap();
        }
        let asked = needs::Asked { kind: NeedKind::Food, detail: Some("米和油"), idempotency_key: None };
        let need = needs::request(db, &first, asked, Requester::Resident).await.unwrap().id;
        if gi % 2 == 0 {
            needs::advance(db, &actor(), &county(), need, NeedStatus::Done, "已送达").await.unwrap();
        }
        if gi % 2 == 1 {
            let second =
                episodes::start(db, &actor(), &county(), &NewEpisode { person_id: here[1], kind: Kind::Home, site_id: None, start_date: today - Duration::days(3), closing_case: None }, today)
                    .await
                    .unwrap();
            checkins::record(db, &second, &reading("38.2", "am"), Source::Resident, today - Duration::days(2)).await.unwrap();
            episodes::end(db, &actor(), &county(), second.id, Status::Lost, Some("外出失联"), today).await.unwrap();
        }
        people.push(here);
    }
    // The evening's sweep raises missed reports and overdue requests; one fever is handled. An
    // observation started after a cut-off has not missed it, so the episodes are dated as made
    // yesterday: run between 21:00 and midnight, today's would otherwise all be too new.
    fangkong::on_db!(db, pool => sqlx::query::<DB>("update observation_episodes set created_at = created_at - 86400000000").execute(pool).await.map(|_| ())).unwrap();
    fangkong::observation::sweep::run(db, today, 22, fangkong::db::now_micros()).await.unwrap();
    let fever: i64 = fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select min(id) from alerts where kind = 'fever'").fetch_one(pool).await).unwrap();
    fangkong::observation::today::handle_alert(db, &actor(), &county(), fever, "已陪同就诊").await.unwrap();

    // Cases: confirmed and admitted, discharged with follow-ups, excluded with its contacts
    // released, still suspected with a contact, an asymptomatic infection.
    let confirmed = suspected(db, people[0][2], today - Duration::days(2), today).await;
    tested(db, confirmed, micros_at(today - Duration::days(1), 9), LabOutcome::Positive).await;
    store::decide_suspected(db, &actor(), &county(), confirmed, CaseStatus::Confirmed, today).await.unwrap();
    store::assess_severity(db, &actor(), &county(), confirmed, Severity::Severe, fangkong::db::now_micros()).await.unwrap();
    let transfer = hospitals::request(db, &actor(), &county(), confirmed, hospital, BedKind::Isolation, None).await.unwrap();
    hospitals::advance(db, &actor(), &Scope::everything(), transfer, Step::Accept, fangkong::db::now_micros()).await.unwrap();
    // Worse in hospital: the patient moves from the severe to the critical count.
    store::assess_severity(db, &actor(), &county(), confirmed, Severity::Critical, fangkong::db::now_micros()).await.unwrap();
    contacts::register(db, &actor(), &county(), NewContact { case_id: confirmed, who: Who::Existing(people[1][2]), exposure: Exposure::Household, last_exposure: today - Duration::days(2) }, today)
        .await
        .unwrap();

    let discharged = suspected(db, people[2][2], today - Duration::days(2), today).await;
    tested(db, discharged, micros_at(today - Duration::days(4), 9), LabOutcome::Positive).await;
    store::decide_suspected(db, &actor(), &county(), discharged, CaseStatus::Confirmed, today).await.unwrap();
    tested(db, discharged, micros_at(today - Duration::days(3), 9), LabOutcome::Negative).await;
    tested(db, discharged, micros_at(today - Duration::days(1), 9), LabOutcome::Negative).await;
    let all = Checklist { afebrile: true, respiratory_improved: true, imaging_improved: true };
    discharge::discharge(db, &actor(), &county(), Discharge { case_id: discharged, checklist: all, counselling: false, day: today }, today).await.unwrap();
    let due = follow_ups::for_case(db, discharged, today).await.unwrap();
    follow_ups::complete(db, &actor(), &county(), due[0].id, "体温正常").await.unwrap();

    let excluded = suspected(db, people[3][2], today - Duration::days(10), today).await;
    contacts::register(db, &actor(), &county(), NewContact { case_id: excluded, who: Who::Existing(people[4][1]), exposure: Exposure::Household, last_exposure: today - Duration::days(1) }, today)
        .await
        .unwrap();
    tested(db, excluded, micros_at(today - Duration::days(3), 9), LabOutcome::Negative).await;
    tested(db, excluded, micros_at(today - Duration::days(1), 9), LabOutcome::Negative).await;
    for antibody in [LabTest::IgM, LabTest::IgG] {
        tested_by(db, excluded, micros_at(today - Duration::days(1), 10), antibody, LabOutcome::Negative).await;
    }
    store::decide_suspected(db, &actor(), &county(), excluded, CaseStatus::Excluded, today).await.unwrap();
    contacts::release(db, &actor(), &county(), excluded, today).await.unwrap();

    let waiting = suspected(db, people[5][2], today - Duration::days(2), today).await;
    contacts::register(db, &actor(), &county(), NewContact { case_id: waiting, who: Who::Existing(people[6][2]), exposure: Exposure::Social, last_exposure: today }, today).await.unwrap();
    let at = micros_at(today - Duration::days(1), 15);
    asymptomatic::register(
        db,
        &actor(),
        &county(),
        &PositiveTest { person_id: people[7][2], kind: SampleKind::ThroatSwab, taken_at: at, received_at: Some(at + HOUR), lab: None, resulted_at: at + 4 * HOUR },
        today,
    )
    .await
    .unwrap();
    sanitation(db, today).await;
    checkpoints(db, today).await;
    grids
}

/// Two points of 蔡子池街道 (one closed since): a car yesterday, a car and a shopper today, with a
/// fever re-tested into a referral and a cough referred at once.
async fn checkpoints(db: &Db, today: Date) {
    use fangkong::checkpoints::screenings::{self, NewOccupant, NewScreening};
    use fangkong::checkpoints::{PointKind, points};
    let township = Scope::of(&code("430481001"));
    let open = |kind, name: &str| points::NewPoint { org_code: code("430481001"), kind, name: name.into(), location: "蔡子池".into(), opened_on: today - Duration::days(3) };
    let road = points::create(db, &actor(), &township, &open(PointKind::Road, "G107 卡点")).await.unwrap();
    let market = points::create(db, &actor(), &township, &open(PointKind::Market, "农贸市场")).await.unwrap();
    let staff = fangkong::audit::Actor {
        user_id: Some(add_user(db, "kadian", fangkong::auth::Role::CheckpointStaff, "430481001").await),
        username: "kadian".into(),
        org_code: "430481001".into(),
        client_addr: None,
    };
    for point in [road, market] {
        points::assign(db, &actor(), &township, point, "kadian").await.unwrap();
    }
    let names = fangkong::org::names::UnitNames::default().get(db).await.unwrap();
    let person = |t: &str, symptoms: &[&str]| NewOccupant { temperature: t.into(), symptoms: symptoms.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    let car = |at: i64, occupants: Vec<NewOccupant>| NewScreening {
        point_id: road,
        plate: Some("湘D12345".into()),
        vehicle_kind: Some("car".into()),
        origin: "420100".into(),
        destination: "430481001".into(),
        destination_address: None,
        screened_at: at,
        occupants,
        idempotency_key: None,
    };
    screenings::record(db, &staff, &township, &names, &car(micros_at(today - Duration::days(1), 10), vec![person("36.5", &[]), person("36.6", &["cough"])])).await.unwrap();
    let feverish = screenings::record(db, &staff, &township, &names, &car(fangkong::db::now_micros() - 120_000_000, vec![person("38.3", &[])])).await.unwrap();
    screenings::retest(db, &staff, &township, feverish.persons[0].id, "38.1").await.unwrap();
    let shopper = NewScreening { point_id: market, plate: None, vehicle_kind: None, occupants: vec![person("37.5", &[])], ..car(fangkong::db::now_micros() - 60_000_000, Vec::new()) };
    screenings::record(db, &staff, &township, &names, &shopper).await.unwrap();
    points::close(db, &actor(), &township, market, "撤除").await.unwrap();
}

/// PPE inspections in 石鼓区 yesterday and today, one deduction given back in part on appeal and
/// one appeal waiting.
async fn sanitation(db: &Db, today: Date) {
    use fangkong::sanitation::appeals::{self, Decision, NewAppeal};
    use fangkong::sanitation::inspections::{self, Inspected, NewInspection};
    use fangkong::sanitation::{editions, workforce};
    use fangkong_rules::sanitation::{PpeItem, WorkerRole, Worn};
    let all = editions::load(db).await.unwrap();
    let shigu = Scope::of(&code("430407"));
    let worker = workforce::NewWorker {
        org_code: code("430407001"),
        name: "周收运".into(),
        number: None,
        role: WorkerRole::WasteMaskCollector,
        team: None,
        person_id: None,
        started_on: today - Duration::days(30),
    };
    let worker = workforce::add(db, &actor(), &shigu, &all[0], &worker).await.unwrap();
    let inspect = |at: i64, worn: Vec<Worn>| NewInspection {
        org_code: code("430407001"),
        place: "解放路".into(),
        worker: Inspected::Registered(worker),
        worn,
        inspected_at: at,
        note: None,
        photo: None,
        idempotency_key: None,
    };
    let yesterday = inspections::record(db, &actor(), &shigu, &all, &inspect(micros_at(today - Duration::days(1), 15), vec![Worn::Mask, Worn::Gloves, Worn::Raincoat])).await.unwrap();
    let now = inspections::record(db, &actor(), &shigu, &all, &inspect(fangkong::db::now_micros() - 60_000_000, vec![Worn::Mask, Worn::Gloves, Worn::Raincoat, Worn::RubberBoots])).await.unwrap();
    let (accepted, _) =
        appeals::file(db, &actor(), &shigu, &all, &NewAppeal { inspection_id: yesterday.id, items: vec![PpeItem::RubberBoots], reason: "雨靴在车上".into(), photo: None }).await.unwrap();
    appeals::decide(db, &actor(), &Scope::everything(), &all, accepted, Decision::Accept, "属实").await.unwrap();
    appeals::file(db, &actor(), &shigu, &all, &NewAppeal { inspection_id: now.id, items: vec![PpeItem::Disinfectant], reason: "消毒液在车上".into(), photo: None }).await.unwrap();
}

/// The ledger rows a report summarises, read directly.
struct Ledgers {
    key_persons: Vec<(String, i64)>,
    households: Vec<String>,
    first_visits: Vec<(String, String)>,
    episodes: Vec<(String, String, Option<String>)>,
    reported: Vec<(String, String)>,
    fevers: Vec<(String, String)>,
    alerts_open: Vec<(String, String)>,
    needs_open: Vec<String>,
    transitions: Vec<(String, String, i64)>,
    in_hospital: Vec<(String, String)>,
    beds_taken: Vec<String>,
    follow_ups: Vec<(String, String, bool)>,
    contacts: Vec<(String, i64, String, String)>,
    /// Sanitation inspections: unit, day, items checked, items missing, points, points given back.
    inspections: Vec<(String, String, i64, i64, i64, i64)>,
    /// The units of the sanitation appeals waiting.
    appeals_open: Vec<String>,
    /// Persons screened at checkpoints: unit, time, fever at first reading, referred.
    screened: Vec<(String, i64, bool, bool)>,
    /// Vehicles checked: unit, time.
    vehicles: Vec<(String, i64)>,
    /// The units of the points open now.
    points_open: Vec<String>,
}

async fn read_ledgers(db: &Db) -> Ledgers {
    macro_rules! rows {
        ($t:ty, $sql:expr) => {
            fangkong::on_db!(db, pool => sqlx::query_as::<DB, $t>($sql).fetch_all(pool).await).unwrap()
        };
    }
    Ledgers {
        key_persons: rows!((String, i64), "select org_code, created_at from key_persons"),
        households: rows!((String,), "select org_code from households").into_iter().map(|r| r.0).collect(),
        first_visits: rows!((String, String), "select min(org_code), cast(min(visit_date) as text) from household_visits group by household_id"),
        episodes: rows!((String, String, Option<String>), "select org_code, cast(start_date as text), cast(end_date as text) from observation_episodes"),
        reported: rows!((String, String), "select distinct org_code, cast(day as text) || '#' || cast(episode_id as text) from check_ins"),
        fevers: rows!((String, String), "select org_code, cast(day as text) from alerts where kind = 'fever'"),
        alerts_open: rows!((String, String), "select org_code, kind from alerts where handled_at is null"),
        needs_open: rows!((String,), "select org_code from life_needs where status <> 'done'").into_iter().map(|r| r.0).collect(),
        transitions: rows!((String, String, i64), "select c.org_code, t.to_status, t.at from case_transitions t join cases c on c.id = t.case_id"),
        in_hospital: rows!((String, String), "select c.org_code, coalesce(c.severity, 'unassessed') from transfers t join cases c on c.id = t.case_id where t.status in ('accepted', 'admitted')"),
        beds_taken: rows!((String,), "select bed_kind from transfers where status in ('accepted', 'admitted')").into_iter().map(|r| r.0).collect(),
        follow_ups: rows!((String, String, bool), "select org_code, cast(due_date as text), done_at is not null from follow_ups"),
        inspections: rows!((String, String, i64, i64, i64, i64), "select org_code, cast(inspected_on as text), items_checked, items_missing, points, restored from sanitation_inspections"),
        appeals_open: rows!((String,), "select org_code from sanitation_appeals where status = 'open'").into_iter().map(|r| r.0).collect(),
        contacts: rows!((String, i64, String, String), "select org_code, created_at, status, cast(last_exposure_date as text) from contacts"),
        screened: rows!((String, i64, bool, bool), "select org_code, screened_at, fever, result = 'referred' from screened_persons"),
        vehicles: rows!((String, i64), "select org_code, screened_at from screenings where plate is not null"),
        points_open: rows!((String,), "select org_code from screening_points where closed_on is null").into_iter().map(|r| r.0).collect(),
    }
}

impl Ledgers {
    /// A figure of the report counted directly from the rows under `prefix` as of `date`.
    fn expected(&self, figure: &str, prefix: &str, date: Date) -> i64 {
        let d = date.to_string();
        let day = |micros: i64| day_of_micros(micros).to_string();
        let under = |org: &str| org.starts_with(prefix);
        let n = |it: &mut dyn Iterator<Item = bool>| it.filter(|b| *b).count() as i64;
        let due = n(&mut self.episodes.iter().map(|(o, s, e)| under(o) && *s <= d && e.as_ref().is_none_or(|e| *e >= d)));
        let reported = n(&mut self.reported.iter().map(|(o, k)| under(o) && k.starts_with(&format!("{d}#"))));
        let transitions = |status: &str, on_day_only: bool| n(&mut self.transitions.iter().map(|(o, s, at)| under(o) && s == status && if on_day_only { day(*at) == d } else { day(*at) <= d }));
        match figure {
            "key_persons_total" => n(&mut self.key_persons.iter().map(|(o, at)| under(o) && day(*at) <= d)),
            "key_persons_new" => n(&mut self.key_persons.iter().map(|(o, at)| under(o) && day(*at) == d)),
            "households" => n(&mut self.households.iter().map(|o| under(o))),
            "households_visited" => n(&mut self.first_visits.iter().map(|(o, v)| under(o) && *v <= d)),
            "households_first_visited" => n(&mut self.first_visits.iter().map(|(o, v)| under(o) && *v == d)),
            "observing" => n(&mut self.episodes.iter().map(|(o, s, e)| under(o) && *s <= d && e.as_ref().is_none_or(|e| *e > d))),
            "observation_new" => n(&mut self.episodes.iter().map(|(o, s, _)| under(o) && *s == d)),
            "observation_ended" => n(&mut self.episodes.iter().map(|(o, _, e)| under(o) && e.as_deref() == Some(d.as_str()))),
            "due_to_report" => due,
            "reported" => reported,
            "missing" => (due - reported).max(0),
            "report_rate" => {
                if due == 0 {
                    -1
                } else {
                    reported * 1000 / due
                }
            }
            "fevers" => n(&mut self.fevers.iter().map(|(o, day)| under(o) && *day == d)),
            "alerts_open" => n(&mut self.alerts_open.iter().map(|(o, _)| under(o))),
            "needs_open" => n(&mut self.needs_open.iter().map(|o| under(o))),
            "follow_ups_due" => n(&mut self.follow_ups.iter().map(|(o, due, _)| under(o) && *due == d)),
            "follow_ups_overdue" => n(&mut self.follow_ups.iter().map(|(o, due, done)| under(o) && *due < d && !done)),
            "contacts_new" => n(&mut self.contacts.iter().map(|(o, at, _, _)| under(o) && day(*at) == d)),
            "contacts_total" => n(&mut self.contacts.iter().map(|(o, at, _, _)| under(o) && day(*at) <= d)),
            "contacts_observing" => {
                let from = (date - Duration::days(13)).to_string();
                n(&mut self.contacts.iter().map(|(o, _, s, last)| under(o) && s == "observing" && *last >= from && *last <= d))
            }
            "sanitation_inspections" => n(&mut self.inspections.iter().map(|(o, day, ..)| under(o) && *day == d)),
            "sanitation_missing" | "sanitation_points" | "sanitation_points_total" | "sanitation_rate" => {
                let (mut checked, mut missing, mut points, mut total) = (0, 0, 0, 0);
                for (_, day, c, m, p, _) in self.inspections.iter().filter(|(o, ..)| under(o)) {
                    if *day == d {
                        (checked, missing, points) = (checked + c, missing + m, points + p);
                    }
                    if *day <= d {
                        total += p;
                    }
                }
                match figure {
                    "sanitation_missing" => missing,
                    "sanitation_points" => points,
                    "sanitation_points_total" => total,
                    _ if checked == 0 => -1,
                    _ => (checked - missing) * 1000 / checked,
                }
            }
            "sanitation_restored_total" => self.inspections.iter().filter(|(o, day, ..)| under(o) && *day <= d).map(|i| i.5).sum(),
            "sanitation_appeals_open" => n(&mut self.appeals_open.iter().map(|o| under(o))),
            "checkpoints_open" => n(&mut self.points_open.iter().map(|o| under(o))),
            "checkpoint_persons" => n(&mut self.screened.iter().map(|(o, at, ..)| under(o) && day(*at) == d)),
            "checkpoint_persons_total" => n(&mut self.screened.iter().map(|(o, at, ..)| under(o) && day(*at) <= d)),
            "checkpoint_fevers" => n(&mut self.screened.iter().map(|(o, at, fever, _)| under(o) && day(*at) == d && *fever)),
            "checkpoint_referrals" => n(&mut self.screened.iter().map(|(o, at, _, referred)| under(o) && day(*at) == d && *referred)),
            "checkpoint_referrals_total" => n(&mut self.screened.iter().map(|(o, at, _, referred)| under(o) && day(*at) <= d && *referred)),
            "checkpoint_vehicles" => n(&mut self.vehicles.iter().map(|(o, at)| under(o) && day(*at) == d)),
            other => match (other.strip_prefix("new_"), other.strip_prefix("total_"), other.strip_prefix("in_hospital_"), other.strip_prefix("alerts_open_")) {
                (Some(status), ..) => transitions(status, true),
                (_, Some(status), ..) => transitions(status, false),
                (_, _, Some(severity), _) => n(&mut self.in_hospital.iter().map(|(o, s)| under(o) && s == severity)),
                (.., Some(kind)) => n(&mut self.alerts_open.iter().map(|(o, k)| under(o) && k == kind)),
                _ => panic!("no direct count for {other}"),
            },
        }
    }
}

fn prefix(code: &str) -> String {
    OrgCode::parse(code).unwrap().prefix().to_string()
}

/// Every figure of the report, and of each child's column, equals its direct count.
fn assert_matches(report: &DailyReport, ledgers: &Ledgers) {
    let here = prefix(&report.org_code);
    for figure in report.sections.iter().flat_map(|s| &s.figures) {
        assert_eq!(figure.value, ledgers.expected(&figure.code, &here, report.date), "{} {} on {}", report.org_code, figure.code, report.date);
        for (unit, value) in report.units.iter().zip(&figure.by_unit) {
            assert_eq!(*value, ledgers.expected(&figure.code, &prefix(&unit.org_code), report.date), "{} {} on {}", unit.org_code, figure.code, report.date);
        }
    }
}

#[tokio::test]
async fn every_figure_of_the_daily_report_equals_a_direct_count_at_every_level() {
    for db in backends().await {
        let today = fangkong::clock::today();
        let grids = generate(&db, today).await;
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the counts kept with the facts agree with a recomputation");
        let ledgers = read_ledgers(&db).await;
        let city = Scope::of(&code("430400"));
        let units = ["430400", "430481", "430481001", &grids[0][..12], &grids[0]];
        for unit in units {
            for back in 0..5 {
                let report = daily::report(&db, &city, &code(unit), today - Duration::days(back)).await.unwrap().unwrap();
                assert_matches(&report, &ledgers);
            }
        }

        // The figures a county commander reads today, spelled out.
        let report = daily::report(&db, &city, &code("430481"), today).await.unwrap().unwrap();
        let value = |code: &str| report.figure(code).unwrap().value;
        assert_eq!(report.units.iter().map(|u| u.org_code.as_str()).collect::<Vec<_>>()[..2], ["430481001", "430481002"]);
        assert_eq!((value("key_persons_total"), value("households"), value("households_visited")), (16, 16, 8));
        assert_eq!((value("new_suspected"), value("new_confirmed"), value("new_excluded"), value("new_discharged"), value("new_asymptomatic")), (4, 2, 1, 1, 1));
        assert_eq!((value("in_hospital_severe"), value("in_hospital_critical"), value("contacts_total"), value("follow_ups_due")), (0, 1, 3, 0));
        assert_eq!(report.figure("report_rate").unwrap().shown(), format!("{}.{}%", value("report_rate") / 10, value("report_rate") % 10));
        assert!(value("reported") > 0 && value("observing") > 0 && value("fevers") > 0);
        assert!(
            value("alerts_open_missed_pm") > 0 && value("alerts_open_fever") > 0,
            "the sweep's missed evening reports, the fevers not handled: {} {}",
            value("alerts_open_missed_pm"),
            value("alerts_open_fever")
        );
        let by_kind: i64 = fangkong::observation::AlertKind::ALL.iter().map(|&k| value(&daily::alerts_open_of(k))).sum();
        assert_eq!(by_kind, value("alerts_open"), "the open alerts by kind add up to all open alerts");
        assert!(daily::report(&db, &Scope::of(&code("430422")), &code("430481"), today).await.unwrap().is_none(), "another county's report is out of scope");

        // Beds: the city's hospitals' totals, and those taken as the transfers hold them, the same
        // in every unit's report.
        let taken = |kind: &str| ledgers.beds_taken.iter().filter(|k| *k == kind).count() as i64;
        assert_eq!(taken("isolation"), 1, "the confirmed case's reserved bed");
        for unit in ["430481", &grids[0][..]] {
            let beds = daily::report(&db, &city, &code(unit), today).await.unwrap().unwrap().beds;
            assert_eq!(
                beds.iter().map(|b| (b.kind.as_str(), b.total, b.taken, b.free)).collect::<Vec<_>>(),
                [("general", 10, taken("general"), 10 - taken("general")), ("isolation", 10, 1, 9), ("icu", 2, taken("icu"), 2 - taken("icu"))],
                "{unit}"
            );
        }

        // The case boards read patients in hospital and open follow-ups from the same counts.
        for unit in ["430400", "430481", "430481001"] {
            let here = prefix(unit);
            let mut open_seen = 0;
            for ahead in [0, 14, 28, 29] {
                let day = today + Duration::days(ahead);
                let board = fangkong::cases::board::board(&db, &city, &code(unit), day, fangkong::db::now_micros()).await.unwrap().unwrap();
                for line in &board.in_hospital {
                    assert_eq!(line.count, ledgers.expected(&format!("in_hospital_{}", line.code), &here, day), "{unit} {}", line.code);
                }
                let open = |overdue: bool| {
                    ledgers.follow_ups.iter().filter(|(o, due, done)| o.starts_with(&here) && !done && if overdue { *due < day.to_string() } else { *due <= day.to_string() }).count() as i64
                };
                assert_eq!((board.follow_ups_due, board.follow_ups_overdue), (open(false), open(true)), "{unit} on {day}");
                assert_eq!(board.free_beds.iter().map(|b| b.count).collect::<Vec<_>>(), [10 - taken("general"), 9, 2 - taken("icu")]);
                open_seen += board.follow_ups_due;
            }
            assert!(open_seen > 0, "{unit}: the open follow-up on day 28 is seen");
        }

        // The dashboard reads only the metrics of its figures: they equal the full report's.
        let board = fangkong::reports::dashboard::dashboard(&db, &city, &code("430481"), today, fangkong::db::now_micros(), fangkong::web::i18n::Lang::Zh).await.unwrap().unwrap();
        assert_eq!(board.key.len(), 9);
        for key in &board.key {
            assert_eq!(key.value, value(&key.code), "{}", key.code);
        }
        assert_eq!(
            board.alerts.iter().map(|a| (a.label.as_str(), a.value)).collect::<Vec<_>>(),
            fangkong::observation::AlertKind::ALL.iter().map(|&k| (k.zh(), value(&daily::alerts_open_of(k)))).collect::<Vec<_>>(),
            "open alerts by kind"
        );
        let township = board.units.iter().find(|u| u.org_code == "430481001").unwrap();
        assert_eq!(township.values[0], report.figure("observing").unwrap().by_unit[0]);
        assert_eq!(township.values[5], report.figure("alerts_open").unwrap().by_unit[0], "the townships' open alerts");

        // A drift injected into one township's counts (a day and the metric's total) is found, shows
        // in its report, and is rebuilt away.
        let started_day = (today - Duration::days(1)).to_string();
        let inject = format!(
            "insert into unit_counts (org_code, metric, day, n) values ('430481001', 'obs.started', '{started_day}', 3), ('430481001', 'obs.started', '*', 3) \
                              on conflict (org_code, metric, day) do update set n = unit_counts.n + 3"
        );
        fangkong::on_db!(&db, pool => sqlx::query::<DB>(sqlx::AssertSqlSafe(inject.clone())).execute(pool).await.map(|_| ())).unwrap();
        let drift = fangkong::counts::verify(&db).await.unwrap();
        assert_eq!(
            drift.iter().map(|d| (d.org_code.as_str(), d.metric.as_str(), d.day.as_str(), d.stored - d.expected)).collect::<Vec<_>>(),
            [("430481001", "obs.started", "*", 3), ("430481001", "obs.started", started_day.as_str(), 3)]
        );
        let drifted = daily::report(&db, &city, &code("430481001"), today).await.unwrap().unwrap();
        assert_eq!(drifted.figure("observing").unwrap().value, ledgers.expected("observing", "430481001", today) + 3);
        fangkong::counts::rebuild(&db).await.unwrap();
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
        assert_matches(&daily::report(&db, &city, &code("430481001"), today).await.unwrap().unwrap(), &ledgers);
    }
}
