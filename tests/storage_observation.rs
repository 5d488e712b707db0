//! Storage of the ledger, visits, observation episodes, check-ins and alerts, on SQLite and PostgreSQL.

mod common;

use common::*;
use fangkong::db::Db;
use fangkong::error::AppError;
use fangkong::observation::checkins::{self, CheckInInput, Source};
use fangkong::observation::episodes::{self, NewEpisode};
use fangkong::observation::{Kind, Slot, Status, today};
use fangkong::people::PersonInput;
use fangkong::screening::VisitResult;
use fangkong::screening::input::{KeyPersonInput, ResponsibleInput};
use fangkong::screening::ledger_list::{self, LedgerFilter};
use fangkong::screening::store as ledger;
use fangkong_rules::{OrgLevel, Scope};
use time::macros::date;
use time::{Date, Duration};

const TODAY: Date = date!(2020 - 02 - 04);

async fn person(db: &Db, id_number: &str, grid: &str) -> i64 {
    let input = PersonInput { name: "赵六".into(), id_number: id_number.into(), org_code: grid.into(), ..Default::default() };
    let valid = input.validate(TODAY).unwrap();
    fangkong::people::store::create(db, &actor(), &Scope::everything(), &valid).await.unwrap().id
}

fn key_person(person_id: i64) -> KeyPersonInput {
    KeyPersonInput {
        person_id,
        category: "wuhan_returnee".into(),
        origin_code: Some("420100".into()),
        arrival_date: Some("2020-01-22".into()),
        transport: Some("train".into()),
        transport_no: Some("G1001".into()),
        responsibles: vec![
            ResponsibleInput { role: "grid_worker".into(), name: "李网格".into(), phone: Some("13800001111".into()) },
            ResponsibleInput { role: "doctor".into(), name: "王医生".into(), phone: None },
        ],
        ..Default::default()
    }
}

/// A person of the Leiyang grid under home observation since `start`.
async fn observed(db: &Db, id_number: &str, start: Date) -> fangkong::observation::episodes::Episode {
    let id = person(db, id_number, LEIYANG_GRID).await;
    let new = NewEpisode { person_id: id, kind: Kind::Home, site_id: None, start_date: start, closing_case: None };
    episodes::start(db, &actor(), &Scope::of(&code("430481")), &new, TODAY).await.unwrap()
}

fn reading(temp: &str, slot: &str, key: Option<&str>) -> checkins::ValidCheckIn {
    let input = CheckInInput { slot: Some(slot.into()), temperature: temp.into(), symptoms: vec![], note: None, idempotency_key: key.map(str::to_string) };
    input.validate(9).unwrap()
}

#[tokio::test]
async fn a_key_person_is_on_their_units_ledger_once_with_named_responsibles() {
    for db in backends().await {
        seed_area(&db).await;
        let leiyang = Scope::of(&code("430481"));
        let id = person(&db, "43048119900101123X", LEIYANG_GRID).await;
        let valid = key_person(id).validate(TODAY).unwrap();
        let kp = ledger::create(&db, &actor(), &leiyang, &valid).await.unwrap();
        assert_eq!((kp.org_code.as_str(), kp.category.as_str(), kp.transport_no.as_deref()), (LEIYANG_GRID, "wuhan_returnee", Some("G1001")));
        let people = ledger::responsibles(&db, kp.id).await.unwrap();
        assert_eq!(people.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(), ["grid_worker", "doctor"]);
        assert!(matches!(ledger::create(&db, &actor(), &leiyang, &valid).await, Err(AppError::Conflict { existing_id: Some(e), .. }) if e == kp.id));
        assert!(matches!(ledger::create(&db, &actor(), &Scope::of(&code("430422")), &valid).await, Err(AppError::Invalid(_))));
        assert!(ledger::get(&db, &Scope::of(&code("430422")), kp.id).await.unwrap().is_none());
        let lines = ledger_list::ledger(&db, &leiyang, &LedgerFilter::default(), TODAY, 10).await.unwrap();
        assert_eq!((lines.len(), lines[0].name.as_str(), lines[0].id_number.as_str()), (1, "赵*", "430481********123X"));
        let filtered = LedgerFilter { category: Some("floating".into()), ..Default::default() };
        assert!(ledger_list::ledger(&db, &leiyang, &filtered, TODAY, 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn coverage_counts_visited_households_and_revisits() {
    for db in backends().await {
        let (leiyang_household, _) = seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let second = fangkong::org::store::NewHousehold { org_code: code(LEIYANG_GRID), address: "测试路2号".into(), building: None, unit: None, room: None };
        let second = fangkong::org::store::create_household(&db, &actor(), &scope, second).await.unwrap().id;
        let before = ledger::coverage(&db, &scope, &code("430481001")).await.unwrap();
        assert_eq!((before.households, before.visited, before.revisit_due), (2, 0, 0));
        ledger::record_visit(&db, &actor(), &scope, leiyang_household, TODAY, VisitResult::AllWell, None).await.unwrap();
        ledger::record_visit(&db, &actor(), &scope, second, TODAY, VisitResult::NobodyHome, None).await.unwrap();
        let after = ledger::coverage(&db, &scope, &code("430481001")).await.unwrap();
        assert_eq!((after.households, after.visited, after.revisit_due, after.percent()), (2, 2, 1, 100));
        let to_visit = ledger::households_to_visit(&db, &scope, 10).await.unwrap();
        assert_eq!(to_visit.iter().map(|h| h.id).collect::<Vec<_>>(), [second]);
        let outside = ledger::record_visit(&db, &actor(), &Scope::of(&code("430422")), leiyang_household, TODAY, VisitResult::AllWell, None).await;
        assert!(matches!(outside, Err(AppError::Invalid(_))));
        assert_eq!(ledger::coverage(&db, &Scope::of(&code("430422")), &code("430481001")).await.unwrap().households, 0);

        // A visit typed in late, dated before the latest, does not change what the latest found;
        // a later revisit does. The county's and the city's coverage are the same sums.
        ledger::record_visit(&db, &actor(), &scope, second, TODAY - Duration::days(2), VisitResult::AllWell, None).await.unwrap();
        assert_eq!(ledger::coverage(&db, &scope, &code("430481")).await.unwrap().revisit_due, 1);
        ledger::record_visit(&db, &actor(), &scope, leiyang_household, TODAY, VisitResult::NobodyHome, None).await.unwrap();
        let city = ledger::coverage(&db, &Scope::everything(), &code("430400")).await.unwrap();
        assert_eq!((city.households, city.visited, city.revisit_due), (3, 2, 2), "the Hengnan household too, not visited");
        ledger::record_visit(&db, &actor(), &scope, second, TODAY + Duration::days(1), VisitResult::AllWell, None).await.unwrap();
        assert_eq!(ledger::coverage(&db, &scope, &code(LEIYANG_GRID)).await.unwrap().revisit_due, 1);
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "the counts follow the visits");
    }
}

#[tokio::test]
async fn an_episode_counts_from_the_start_and_ends_only_when_complete_and_fever_free() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let id = person(&db, "43048119900101123X", LEIYANG_GRID).await;
        let start = TODAY - Duration::days(10);
        let new = NewEpisode { person_id: id, kind: Kind::Home, site_id: None, start_date: start, closing_case: None };
        let episode = episodes::start(&db, &actor(), &scope, &new, TODAY).await.unwrap();
        assert_eq!((episode.day(TODAY), episode.period_days, episode.last_day()), (11, 14, date!(2020 - 02 - 07)));
        assert!(matches!(episodes::start(&db, &actor(), &scope, &new, TODAY).await, Err(AppError::Conflict { .. })), "one active episode");
        let too_old = NewEpisode { start_date: TODAY - Duration::days(30), ..new };
        let other = person(&db, "430422198502150022", LEIYANG_GRID).await;
        assert!(matches!(episodes::start(&db, &actor(), &scope, &NewEpisode { person_id: other, ..too_old }, TODAY).await, Err(AppError::Invalid(_))));

        let early = episodes::end(&db, &actor(), &scope, episode.id, Status::EndedHealthy, None, TODAY).await;
        assert!(matches!(early, Err(AppError::Invalid(ref f)) if f[0].code == "period_incomplete"));
        checkins::record(&db, &episode, &reading("37.8", "am", None), Source::Resident, TODAY).await.unwrap();
        let after_period = date!(2020 - 02 - 08);
        let fever_open = episodes::end(&db, &actor(), &scope, episode.id, Status::EndedHealthy, None, after_period).await;
        assert!(matches!(fever_open, Err(AppError::Invalid(ref f)) if f[0].code == "fever_open"));
        let alert = today::open_alerts(&db, &scope, false, TODAY, 10).await.unwrap().remove(0);
        today::handle_alert(&db, &actor(), &scope, alert.id, "已送发热门诊,核酸阴性").await.unwrap();
        let ended = episodes::end(&db, &actor(), &scope, episode.id, Status::EndedHealthy, None, after_period).await.unwrap();
        assert_eq!((ended.status.as_str(), ended.end_date), ("ended_healthy", Some(after_period)));
        assert!(!episodes::by_report_token(&db, &episode.report_token).await.unwrap().unwrap().is_active(), "the link stops working");
    }
}

#[tokio::test]
async fn a_new_exposure_restarts_the_clock() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let episode = observed(&db, "43048119900101123X", TODAY - Duration::days(10)).await;
        let restarted = episodes::restart(&db, &actor(), &scope, episode.id, TODAY - Duration::days(1), TODAY).await.unwrap();
        assert_eq!((restarted.day(TODAY), restarted.last_day()), (2, date!(2020 - 02 - 16)));
        assert!(episodes::restart(&db, &actor(), &scope, episode.id, TODAY - Duration::days(5), TODAY).await.is_err(), "not backwards");
    }
}

#[tokio::test]
async fn check_ins_are_idempotent_correctable_and_raise_alerts_once() {
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let episode = observed(&db, "43048119900101123X", TODAY - Duration::days(2)).await;
        let first = checkins::record(&db, &episode, &reading("37.8", "am", Some("k-1")), Source::Resident, TODAY).await.unwrap();
        assert_eq!((first.duplicate, first.alerts.clone()), (false, vec!["fever".to_string()]));
        let again = checkins::record(&db, &episode, &reading("37.8", "am", Some("k-1")), Source::Resident, TODAY).await.unwrap();
        assert_eq!((again.duplicate, again.check_in_id), (true, first.check_in_id));
        // A second morning report with a new key corrects the first; the alert is not raised twice.
        checkins::record(&db, &episode, &reading("38.1", "am", Some("k-2")), Source::Resident, TODAY).await.unwrap();
        let history = checkins::history(&db, episode.id).await.unwrap();
        assert_eq!(history.iter().map(|c| (c.slot.as_str(), c.temperature_tenths)).collect::<Vec<_>>(), [("am", 381)]);
        let mut cough = CheckInInput { slot: Some("pm".into()), temperature: "36.6".into(), symptoms: vec!["cough".into(), "fatigue".into()], ..Default::default() }.validate(15).unwrap();
        cough.idempotency_key = None;
        let red = checkins::record(&db, &episode, &cough, Source::Worker(actor()), TODAY).await.unwrap();
        assert_eq!(red.alerts, ["red_flag"]);
        let alerts = today::open_alerts(&db, &scope, false, TODAY, 10).await.unwrap();
        assert_eq!(alerts.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["fever", "red_flag"]);
        assert_eq!(alerts[0].name, "赵*");
        assert!(today::open_alerts(&db, &Scope::of(&code("430422")), false, TODAY, 10).await.unwrap().is_empty());
        assert!(matches!(today::handle_alert(&db, &actor(), &Scope::of(&code("430422")), alerts[0].id, "x").await, Err(AppError::NotFound)));
    }
}

#[tokio::test]
async fn unhandled_alerts_escalate_to_the_township_and_missing_reports_are_listed() {
    for db in backends().await {
        seed_area(&db).await;
        let grid = Scope::of(&code(LEIYANG_GRID));
        let township = Scope::of(&code("430481001"));
        let id = person(&db, "43048119900101123X", LEIYANG_GRID).await;
        let quiet = person(&db, "430422198502150022", LEIYANG_GRID).await;
        for p in [id, quiet] {
            episodes::start(&db, &actor(), &grid, &NewEpisode { person_id: p, kind: Kind::Home, site_id: None, start_date: TODAY, closing_case: None }, TODAY).await.unwrap();
        }
        let episode = episodes::for_person(&db, &grid, id).await.unwrap().remove(0);
        checkins::record(&db, &episode, &reading("37.8", "am", None), Source::Resident, TODAY).await.unwrap();
        let worker = today::today(&db, &grid, OrgLevel::Grid, TODAY, 10).await.unwrap();
        assert_eq!(worker.alerts.len(), 1, "on the grid worker's list at once");
        assert_eq!(worker.not_reported.len(), 1);
        assert_eq!(worker.households_to_visit.len(), 1);
        let officer = today::today(&db, &township, OrgLevel::Township, TODAY, 10).await.unwrap();
        assert!(officer.alerts.is_empty(), "not yet escalated");
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update rule_sets set escalation_minutes = 0").execute(pool).await.map(|_| ())).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let officer = today::today(&db, &township, OrgLevel::Township, TODAY, 10).await.unwrap();
        assert_eq!(officer.alerts.len(), 1, "past the limit it is on the township's list");
        assert!(officer.alerts[0].escalated);
        assert_eq!(today::missing_reports(&db, &township, TODAY, Slot::Evening, 10).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn centralized_sites_refuse_a_person_when_full() {
    for db in backends().await {
        seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let site = fangkong::observation::sites::create(&db, &actor(), &county, &code("430481"), "耒阳市集中隔离点", None, 1).await.unwrap();
        let a = person(&db, "43048119900101123X", LEIYANG_GRID).await;
        let b = person(&db, "430422198502150022", LEIYANG_GRID).await;
        let grid = Scope::of(&code(LEIYANG_GRID));
        assert_eq!(fangkong::observation::sites::list(&db, &grid).await.unwrap().len(), 1, "the county's site serves its grids");
        let new = |p| NewEpisode { person_id: p, kind: Kind::Centralized, site_id: Some(site), start_date: TODAY, closing_case: None };
        episodes::start(&db, &actor(), &grid, &new(a), TODAY).await.unwrap();
        let full = episodes::start(&db, &actor(), &grid, &new(b), TODAY).await;
        assert!(matches!(full, Err(AppError::Invalid(ref f)) if f[0].code == "site_full"));
        assert!(fangkong::observation::sites::list(&db, &Scope::of(&code("430422"))).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_rate_limiter_counts_hits_per_bucket() {
    for db in backends().await {
        for _ in 0..3 {
            assert!(fangkong::auth::throttle::allow(&db, "report:1", 3, 60_000_000).await.unwrap());
        }
        assert!(!fangkong::auth::throttle::allow(&db, "report:1", 3, 60_000_000).await.unwrap());
        assert!(fangkong::auth::throttle::allow(&db, "report:2", 3, 60_000_000).await.unwrap());
    }
}

#[tokio::test]
async fn life_needs_go_from_open_to_assigned_to_done_and_turn_overdue() {
    use fangkong::observation::needs::{self, Asked, NeedKind, NeedStatus, Requester};
    for db in backends().await {
        seed_area(&db).await;
        let scope = Scope::of(&code("430481"));
        let episode = observed(&db, "43048119900101123X", TODAY).await;
        let other = observed(&db, &resident_id("430481", 7), TODAY).await;
        let asked = |kind, detail, key| Asked { kind, detail: Some(detail), idempotency_key: key };
        let first = needs::request(&db, &episode, asked(NeedKind::Food, "大米 10 斤", Some("k-food")), Requester::Resident).await.unwrap();
        let food = first.id;
        let again = needs::request(&db, &episode, asked(NeedKind::Food, "大米 10 斤", Some("k-food")), Requester::Resident).await.unwrap();
        assert_eq!(again, needs::Requested { id: food, duplicate: true }, "a resent request is answered with the first");
        let other_body = needs::request(&db, &episode, asked(NeedKind::Food, "大米 20 斤", Some("k-food")), Requester::Resident).await;
        assert!(matches!(other_body, Err(AppError::Conflict { .. })), "the same key with another body is a conflict");
        let by_worker = needs::request(&db, &episode, asked(NeedKind::Food, "大米 10 斤", Some("k-food")), Requester::Worker(&actor())).await;
        assert!(matches!(by_worker, Err(AppError::Conflict { .. })), "the same key from someone else is a conflict");
        let elsewhere = needs::request(&db, &other, asked(NeedKind::Food, "大米 10 斤", Some("k-food")), Requester::Resident).await.unwrap();
        assert!(!elsewhere.duplicate && elsewhere.id != food, "the same key for another episode is another request");
        needs::advance(&db, &actor(), &scope, elsewhere.id, NeedStatus::Done, "已送达").await.unwrap();
        let medicine = needs::request(&db, &episode, asked(NeedKind::Medicine, "降压药", None), Requester::Worker(&actor())).await.unwrap().id;
        let board = needs::board(&db, &scope, None, 10).await.unwrap();
        assert_eq!(board.iter().map(|n| (n.id, n.requested_by.as_str(), n.overdue)).collect::<Vec<_>>(), [(food, "resident", false), (medicine, "worker", false)]);
        assert!(needs::board(&db, &Scope::of(&code("430422")), None, 10).await.unwrap().is_empty());
        needs::advance(&db, &actor(), &scope, food, NeedStatus::Assigned, "李网格").await.unwrap();
        needs::advance(&db, &actor(), &scope, food, NeedStatus::Done, "已送达").await.unwrap();
        assert!(matches!(needs::advance(&db, &actor(), &scope, food, NeedStatus::Done, "again").await, Err(AppError::Conflict { .. })));
        assert!(matches!(needs::advance(&db, &actor(), &Scope::of(&code("430422")), medicine, NeedStatus::Done, "x").await, Err(AppError::NotFound)));
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update life_needs set due_at = due_at - 172800000000").execute(pool).await.map(|_| ())).unwrap();
        let open = needs::board(&db, &scope, None, 10).await.unwrap();
        assert_eq!(open.iter().map(|n| (n.id, n.overdue)).collect::<Vec<_>>(), [(medicine, true)]);
        let done = needs::board(&db, &scope, Some(NeedStatus::Done), 10).await.unwrap();
        let food_done = done.iter().find(|n| n.id == food).unwrap();
        assert_eq!((food_done.assignee.as_deref(), food_done.done_note.as_deref()), (Some("李网格"), Some("已送达")));
    }
}

#[tokio::test]
async fn a_batch_of_check_ins_settles_corrections_twins_rate_limits_and_dead_links() {
    use checkins::{Submission, Target};
    for db in backends().await {
        seed_area(&db).await;
        let episode = observed(&db, "43048119900101123X", TODAY - Duration::days(2)).await;
        let other = observed(&db, "430422198502150022", TODAY).await;
        // Committed earlier under key k-old, on the evening row.
        checkins::record(&db, &episode, &reading("36.5", "pm", Some("k-old")), Source::Resident, TODAY).await.unwrap();
        let by_link = |token: &str, temp: &str, slot: &str, key: &str, per_hour: i64| Submission {
            target: Target::Link { token: token.to_string(), per_hour },
            input: Some(reading(temp, slot, Some(key))),
            source: Source::Resident,
            today: TODAY,
        };
        let link = episode.report_token.as_str();
        let batch = vec![
            by_link(link, "36.6", "am", "k-a", 2),
            by_link(link, "37.9", "am", "k-b", 2),
            by_link(link, "37.9", "am", "k-b", 2),
            by_link(link, "36.6", "am", "k-old", 2),
            by_link(link, "36.7", "am", "k-c", 2),
            by_link("no-such-link", "36.6", "am", "k-d", 2),
            Submission { target: Target::Episode(Box::new(other.clone())), input: Some(reading("36.8", "am", None)), source: Source::Worker(actor()), today: TODAY },
        ];
        let results = checkins::write_batch(&db, batch).await;
        let ok = |i: usize| results[i].as_ref().unwrap();
        assert_eq!((ok(0).duplicate, ok(1).duplicate, ok(2).duplicate), (false, false, true));
        assert_eq!(ok(0).check_in_id, ok(1).check_in_id, "the later morning report corrects the earlier one");
        assert_eq!(ok(2).check_in_id, ok(1).check_in_id, "a twin in the same batch answers with the row");
        assert!(matches!(results[3], Err(AppError::Conflict { .. })), "a key already committed for another report is a conflict, not a duplicate");
        assert_eq!(ok(1).alerts, ["fever"]);
        assert!(matches!(results[4], Err(AppError::RateLimited)), "the third new report on the link within the hour is refused (limit 2 here)");
        assert!(matches!(results[5], Err(AppError::NotFound)));
        assert!(!ok(6).duplicate);
        let history = checkins::history(&db, episode.id).await.unwrap();
        assert_eq!(history.iter().map(|c| (c.slot.as_str(), c.temperature_tenths)).collect::<Vec<_>>(), [("am", 379), ("pm", 365)]);
        let audit: i64 = fangkong::on_db!(&db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from audit_log where action = 'checkin.create'").fetch_one(pool).await).unwrap();
        assert_eq!(audit, 1 + 2 + 1, "one audit row per report written, none for twins, duplicates and refusals");
        let next = checkins::write_batch(&db, vec![by_link(link, "36.6", "pm", "k-f", 2)]).await.remove(0);
        assert!(matches!(next, Err(AppError::RateLimited)), "the link's window outlives the batch");
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update observation_episodes set report_window_start = report_window_start - 3600000001").execute(pool).await.map(|_| ())).unwrap();
        let next = checkins::write_batch(&db, vec![by_link(link, "36.6", "pm", "k-f", 2)]).await.remove(0);
        assert!(next.is_ok(), "an hour later the link takes reports again");
        episodes::end(&db, &actor(), &Scope::everything(), other.id, Status::Lost, Some("联系不上"), TODAY).await.unwrap();
        let late = by_link(&other.report_token, "36.6", "pm", "k-e", 4);
        assert!(matches!(checkins::write_batch(&db, vec![late]).await.remove(0), Err(AppError::Gone(_))));
    }
}

#[tokio::test]
async fn the_same_report_sent_many_times_at_once_is_recorded_once() {
    use checkins::{Submission, Target};
    for db in backends().await {
        seed_area(&db).await;
        let episode = observed(&db, "43048119900101123X", TODAY).await;
        let writer = fangkong::observation::writer::CheckInWriter::spawn(db.clone());
        let sends = (0..24).map(|_| {
            let (writer, token) = (writer.clone(), episode.report_token.clone());
            tokio::spawn(async move {
                let submission = Submission { target: Target::Link { token, per_hour: 100 }, input: Some(reading("37.6", "am", Some("same-key"))), source: Source::Resident, today: TODAY };
                writer.record(submission).await.unwrap()
            })
        });
        let mut answers = Vec::new();
        for send in sends.collect::<Vec<_>>() {
            answers.push(send.await.unwrap());
        }
        assert_eq!(answers.iter().filter(|a| !a.duplicate).count(), 1, "one report recorded, the rest answered as duplicates");
        assert!(answers.iter().all(|a| a.check_in_id == answers[0].check_in_id));
        assert_eq!(checkins::history(&db, episode.id).await.unwrap().len(), 1);
        assert_eq!(today::open_alerts(&db, &Scope::everything(), false, TODAY, 10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn the_clock_raises_alerts_for_missed_reports_overdue_revisits_and_needs_once() {
    use fangkong::clock::micros_at;
    use fangkong::observation::needs::{self, NeedKind, NeedStatus, Requester};
    use fangkong::observation::sweep::{self, Swept};
    for db in backends().await {
        let (household, _) = seed_area(&db).await;
        let county = Scope::of(&code("430481"));
        let day = fangkong::clock::today() + Duration::days(1);
        let reporter = observed(&db, "43048119900101123X", TODAY).await;
        let quiet = observed(&db, "430422198502150022", TODAY).await;
        let asked = needs::Asked { kind: NeedKind::Medicine, detail: Some("降压药"), idempotency_key: None };
        let medicine = needs::request(&db, &quiet, asked, Requester::Resident).await.unwrap().id;
        ledger::record_visit(&db, &actor(), &county, household, day - Duration::days(3), VisitResult::NobodyHome, None).await.unwrap();
        let now = micros_at(day, 11);
        fangkong::on_db!(&db, pool => async {
            sqlx::query::<DB>("update observation_episodes set created_at = $1").bind(micros_at(day, -48)).execute(pool).await?;
            sqlx::query::<DB>("update life_needs set due_at = $1").bind(now - 1).execute(pool).await.map(|_| ())
        }.await)
        .unwrap();
        checkins::record(&db, &reporter, &reading("36.5", "am", None), Source::Resident, day).await.unwrap();

        let at_eleven = sweep::run(&db, day, 11, now).await.unwrap();
        assert_eq!(at_eleven, Swept { missed_reports: 2, overdue_visits: 1, overdue_needs: 1 }, "before noon: last evening's reports (nobody sent one), the revisit, the request");
        let at_one = sweep::run(&db, day, 13, now).await.unwrap();
        assert_eq!(at_one, Swept { missed_reports: 1, overdue_visits: 0, overdue_needs: 0 }, "past the morning cut-off: the one who has not reported");
        assert_eq!(sweep::run(&db, day, 22, now).await.unwrap().missed_reports, 2, "past the evening cut-off: both");
        assert_eq!(sweep::run(&db, day, 22, now).await.unwrap(), Swept::default(), "sweeping again raises nothing");

        let grid = Scope::of(&code(LEIYANG_GRID));
        let open = today::open_alerts(&db, &grid, false, day, 50).await.unwrap();
        let of = |kind: &str| open.iter().filter(|a| a.kind == kind).map(|a| a.episode_id.or(a.household_id).or(a.need_id)).collect::<Vec<_>>();
        assert_eq!(of("missed_am"), [Some(quiet.id)]);
        assert_eq!(of("missed_pm").len(), 4, "two evenings, two people");
        assert_eq!(of("visit_overdue"), [Some(household)]);
        assert_eq!(of("need_overdue"), [Some(medicine)]);
        let revisit = open.iter().find(|a| a.kind == "visit_overdue").unwrap();
        assert!(revisit.name.contains("路") && revisit.person_id.is_none(), "a household alert names the address: {}", revisit.name);

        ledger::record_visit(&db, &actor(), &county, household, day, VisitResult::AllWell, None).await.unwrap();
        needs::advance(&db, &actor(), &county, medicine, NeedStatus::Done, "已送药").await.unwrap();
        let open = today::open_alerts(&db, &grid, false, day, 50).await.unwrap();
        assert!(open.iter().all(|a| a.kind.starts_with("missed_")), "the revisit and the delivery closed their alerts");
        assert!(ledger::households_to_visit(&db, &county, 10).await.unwrap().iter().all(|h| h.id != household));
        let coverage = ledger::coverage(&db, &county, &code("430481")).await.unwrap();
        assert_eq!((coverage.visited, coverage.revisit_due), (1, 0));
        let open = fangkong::counts::gauges(&db, "430481").await.unwrap();
        assert_eq!((open.get("alerts.missed_pm"), open.get("alerts.visit_overdue").copied().unwrap_or(0)), (Some(&4), 0), "open alerts are counted as raised and handled");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
    }
}

/// The link's hourly window as stored: (start, reports counted).
async fn window(db: &Db, episode_id: i64) -> i64 {
    fangkong::on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select report_window_count from observation_episodes where id = $1").bind(episode_id).fetch_one(pool).await).unwrap()
}

#[tokio::test]
async fn a_report_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_written() {
    use checkins::{Submission, Target};
    for db in backends().await {
        seed_area(&db).await;
        let mut episodes = Vec::new();
        for i in 0..51 {
            episodes.push(observed(&db, &resident_id("430481", 100 + i), TODAY).await);
        }
        let good = |e: &fangkong::observation::episodes::Episode, temp: &str| Submission {
            target: Target::Link { token: e.report_token.clone(), per_hour: 20 },
            input: Some(reading(temp, "am", Some(&format!("k-{}", e.id)))),
            source: Source::Resident,
            today: TODAY,
        };
        // An episode the database no longer has (merged away, say): its row breaks a foreign key.
        let mut vanished = episodes[0].clone();
        vanished.id = 999_999;
        let mut batch: Vec<Submission> = episodes[1..].iter().map(|e| good(e, if e.id % 2 == 0 { "38.1" } else { "36.6" })).collect();
        batch.insert(20, Submission { target: Target::Episode(Box::new(vanished)), input: Some(reading("36.6", "am", None)), source: Source::Worker(actor()), today: TODAY });
        // PostgreSQL cannot store U+0000 at all: a note that reached the writer with one (the HTTP
        // layer refuses it first) is a statement the database refuses.
        let poisoned_link = matches!(db, Db::Postgres(_));
        if poisoned_link {
            let mut poisoned = good(&episodes[0], "36.6");
            poisoned.input.as_mut().unwrap().note = Some("x\u{0}y".into());
            batch.insert(35, poisoned);
        }
        let results = checkins::write_batch(&db, batch).await;
        let failed: Vec<usize> = results.iter().enumerate().filter(|(_, r)| r.is_err()).map(|(i, _)| i).collect();
        assert_eq!(failed, if poisoned_link { vec![20, 35] } else { vec![20] }, "only the refused reports fail");
        assert!(results.iter().filter_map(|r| r.as_ref().ok()).all(|r| !r.duplicate));
        for e in &episodes[1..] {
            assert_eq!(checkins::history(&db, e.id).await.unwrap().len(), 1, "episode {} has its report", e.id);
        }
        let fevers = today::open_alerts(&db, &Scope::everything(), false, TODAY, 100).await.unwrap();
        assert_eq!(fevers.len(), episodes[1..].iter().filter(|e| e.id % 2 == 0).count(), "each good fever raised its alert");
        if poisoned_link {
            assert!(checkins::history(&db, episodes[0].id).await.unwrap().is_empty());
            assert_eq!(window(&db, episodes[0].id).await, 1, "the refused report still counts against its link");
        }
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
    }
}

#[tokio::test]
async fn refused_reports_count_against_their_link_until_it_answers_429() {
    use checkins::Submission;
    for db in backends().await {
        seed_area(&db).await;
        let episode = observed(&db, "43048119900101123X", TODAY).await;
        for _ in 0..3 {
            let counted = checkins::write_batch(&db, vec![Submission::refused(&episode.report_token, 3, TODAY)]).await.remove(0);
            assert!(matches!(counted, Err(AppError::Invalid(ref e)) if e.is_empty()), "counted, nothing written: {counted:?}");
        }
        let over = checkins::write_batch(&db, vec![Submission::refused(&episode.report_token, 3, TODAY)]).await.remove(0);
        assert!(matches!(over, Err(AppError::RateLimited)));
        assert_eq!(window(&db, episode.id).await, 3);
        assert!(checkins::history(&db, episode.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_its_episode_and_its_content() {
    use checkins::{Submission, Target};
    for db in backends().await {
        seed_area(&db).await;
        let first = observed(&db, "43048119900101123X", TODAY).await;
        let second = observed(&db, "430422198502150022", TODAY).await;
        let by_link = |e: &fangkong::observation::episodes::Episode, temp: &str, key: &str| Submission {
            target: Target::Link { token: e.report_token.clone(), per_hour: 20 },
            input: Some(reading(temp, "am", Some(key))),
            source: Source::Resident,
            today: TODAY,
        };
        let one = checkins::write_batch(&db, vec![by_link(&first, "36.5", "shared-key")]).await.remove(0).unwrap();
        // The same key through another person's link is that person's report, fever and all.
        let other = checkins::write_batch(&db, vec![by_link(&second, "39.2", "shared-key")]).await.remove(0).unwrap();
        assert!(!other.duplicate && other.check_in_id != one.check_in_id);
        assert_eq!(other.alerts, ["fever"]);
        assert_eq!(checkins::history(&db, second.id).await.unwrap()[0].temperature_tenths, 392);
        // A retry is answered with its row; the key with another reading is a conflict and writes nothing.
        let retry = checkins::write_batch(&db, vec![by_link(&first, "36.5", "shared-key")]).await.remove(0).unwrap();
        assert_eq!((retry.check_in_id, retry.duplicate), (one.check_in_id, true));
        let reused = checkins::write_batch(&db, vec![by_link(&first, "38.0", "shared-key")]).await.remove(0);
        assert!(matches!(reused, Err(AppError::Conflict { .. })));
        let worker = Submission { target: Target::Episode(Box::new(first.clone())), input: Some(reading("36.5", "am", Some("shared-key"))), source: Source::Worker(actor()), today: TODAY };
        assert!(matches!(checkins::write_batch(&db, vec![worker]).await.remove(0), Err(AppError::Conflict { .. })), "another submitter's key is not the resident's");
        // A correction under a new key, then the first report resent: it does not undo the correction.
        checkins::write_batch(&db, vec![by_link(&first, "37.0", "correction")]).await.remove(0).unwrap();
        let late = checkins::write_batch(&db, vec![by_link(&first, "36.5", "shared-key")]).await.remove(0).unwrap();
        assert!(late.duplicate);
        assert_eq!(checkins::history(&db, first.id).await.unwrap()[0].temperature_tenths, 370);
        // Twins in one batch: the same body is one report, another body a conflict.
        let twins = checkins::write_batch(&db, vec![by_link(&second, "36.6", "twin"), by_link(&second, "36.6", "twin"), by_link(&second, "36.9", "twin")]).await;
        assert!(!twins[0].as_ref().unwrap().duplicate && twins[1].as_ref().unwrap().duplicate);
        assert!(matches!(twins[2], Err(AppError::Conflict { .. })));
    }
}

#[tokio::test]
async fn writers_side_by_side_keep_a_links_allowance_and_its_keys() {
    use checkins::{Submission, Target};
    for db in backends().await {
        seed_area(&db).await;
        let episode = observed(&db, "43048119900101123X", TODAY).await;
        // Each report in a transaction of its own, all at once: as many servers' writers would.
        let send = |input: Option<checkins::ValidCheckIn>| {
            let (db, token) = (db.clone(), episode.report_token.clone());
            tokio::spawn(async move { checkins::write_batch(&db, vec![Submission { target: Target::Link { token, per_hour: 20 }, input, source: Source::Resident, today: TODAY }]).await.remove(0) })
        };
        // Sixty at once, forty of them refused before the writer and twenty good ones: twenty in all are taken.
        let sends: Vec<_> = (0..60).map(|i| send((i % 3 == 0).then(|| reading("36.6", if i % 2 == 0 { "am" } else { "pm" }, Some(&format!("k-{i}")))))).collect();
        let mut outcomes = Vec::new();
        for s in sends {
            outcomes.push(s.await.unwrap());
        }
        let limited = outcomes.iter().filter(|o| matches!(o, Err(AppError::RateLimited))).count();
        assert_eq!(limited, 40, "on {}: {:?}", db.backend_name(), outcomes.iter().map(|o| o.as_ref().map(|_| ()).map_err(|e| e.code())).collect::<Vec<_>>());
        assert!(outcomes.iter().all(|o| o.is_ok() || matches!(o, Err(AppError::RateLimited | AppError::Invalid(_)))));
        assert_eq!(window(&db, episode.id).await, 20);

        // The same report forty times at once on a fresh link: one written, the others duplicates, no error.
        let other = observed(&db, &resident_id("430481", 9), TODAY).await;
        let sends: Vec<_> = (0..40)
            .map(|_| {
                let (db, token) = (db.clone(), other.report_token.clone());
                let one = Submission { target: Target::Link { token, per_hour: 100 }, input: Some(reading("37.9", "am", Some("one-key"))), source: Source::Resident, today: TODAY };
                tokio::spawn(async move { checkins::write_batch(&db, vec![one]).await.remove(0) })
            })
            .collect();
        let mut answers = Vec::new();
        for s in sends {
            answers.push(s.await.unwrap().unwrap_or_else(|e| panic!("on {}: {e:?}", db.backend_name())));
        }
        assert_eq!(answers.iter().filter(|a| !a.duplicate).count(), 1);
        assert_eq!(checkins::history(&db, other.id).await.unwrap().len(), 1);
    }
}
