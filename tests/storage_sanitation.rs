//! Sanitation PPE on both databases: the notice of 2 February 2020 is the first edition, read back
//! as the pure rule states it; workers on the register; inspections assessed, keyed and counted.

mod common;

use common::*;
use fangkong::error::AppError;
use fangkong::sanitation::editions;
use fangkong::sanitation::inspections::{self, Inspected, NewInspection};
use fangkong::sanitation::workforce::{self, NewWorker};
use fangkong_rules::Scope;
use fangkong_rules::sanitation::{Edition, PpeItem, WorkerRole, Worn};
use time::macros::date;

#[tokio::test]
async fn the_first_edition_is_the_notice_of_2_february_with_the_four_central_districts() {
    for db in backends().await {
        let all = editions::load(&db).await.unwrap();
        assert_eq!(all.len(), 1, "on {}", db.backend_name());
        let first = &all[0];
        assert_eq!(first.rule, Edition::first(), "items by role in the notice's order, 2 points, base 100");
        assert_eq!(first.districts, ["430405", "430406", "430407", "430408"], "南岳 is left out unless an edition puts it in");
        assert!(first.count_repeat_inspections);
        assert_eq!((first.appeal_hours, first.appeal_decision_days), (48, 3), "appeal within 48 hours, decided within 3 days");
        assert_eq!(first.training_required, [WorkerRole::WasteMaskCollector]);
        assert!(editions::on(&all, date!(2020 - 02 - 01)).is_none(), "no rule before the notice");
        let in_force = editions::on(&all, date!(2020 - 02 - 15)).unwrap();
        let found = in_force.rule.assess(WorkerRole::WasteMaskCollector, &[Worn::Mask, Worn::Gloves, Worn::ProtectiveSuit]).unwrap();
        assert_eq!(found.points, 4, "no boots, no disinfectant");
    }
}

fn at(day: time::Date, hour: i64) -> i64 {
    fangkong::clock::micros_at(day, hour)
}

fn inspection(worker: Inspected, worn: &[Worn], inspected_at: i64, key: Option<&str>) -> NewInspection {
    NewInspection { org_code: code("430407"), place: "解放路与中山路口".into(), worker, worn: worn.to_vec(), inspected_at, note: None, photo: None, idempotency_key: key.map(str::to_string) }
}

fn invalid_field(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::Invalid(f)) => format!("{}:{}", f[0].field, f[0].code),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_inspection_costs_two_points_per_missing_item_once_per_key_and_is_counted() {
    for db in backends().await {
        let all = editions::load(&db).await.unwrap();
        let edition = &all[0];
        let shigu = Scope::of(&code("430407"));
        let day = date!(2020 - 02 - 10);
        let collector = NewWorker {
            org_code: code("430407"),
            name: "周收运".into(),
            number: Some("SG-017".into()),
            role: WorkerRole::WasteMaskCollector,
            team: Some("一班".into()),
            person_id: None,
            started_on: date!(2020 - 01 - 01),
        };
        let worker = workforce::add(&db, &actor(), &shigu, edition, &collector).await.unwrap();
        let same_number = workforce::add(&db, &actor(), &shigu, edition, &NewWorker { name: "另一人".into(), ..collector.clone() }).await;
        assert!(matches!(same_number, Err(AppError::Conflict { .. })), "a number is one worker's within the district");

        // Without boots and disinfectant: −4. The same key again records nothing new.
        let first = inspection(Inspected::Registered(worker), &[Worn::Mask, Worn::Gloves, Worn::Raincoat], at(day, 9), Some("k-1"));
        let recorded = inspections::record(&db, &actor(), &shigu, &all, &first).await.unwrap();
        assert_eq!((recorded.points, recorded.missing.clone(), recorded.duplicate, recorded.repeat_of), (4, vec![PpeItem::RubberBoots, PpeItem::Disinfectant], false, None));
        let again = inspections::record(&db, &actor(), &shigu, &all, &first).await.unwrap();
        assert_eq!((again.id, again.duplicate), (recorded.id, true));
        let reused = inspections::record(&db, &actor(), &shigu, &all, &NewInspection { worn: vec![Worn::Mask], ..first.clone() }).await;
        assert!(matches!(reused, Err(AppError::Conflict { .. })), "the key reused for another inspection is a conflict");

        // A second inspection that day names the first; an unnamed cleaner is assessed by role.
        let later = inspection(Inspected::Registered(worker), &[Worn::Mask, Worn::Gloves, Worn::ProtectiveSuit, Worn::RubberBoots, Worn::Disinfectant], at(day, 15), None);
        let second = inspections::record(&db, &actor(), &shigu, &all, &later).await.unwrap();
        assert_eq!((second.points, second.repeat_of), (0, Some(recorded.id)));
        let cleaner = inspection(Inspected::Unnamed { role: WorkerRole::Cleaner, name: None }, &[Worn::Mask], at(day, 10), None);
        assert_eq!(inspections::record(&db, &actor(), &shigu, &all, &cleaner).await.unwrap().points, 2);

        // Bad input changes nothing, and says at which field.
        let boots_on_a_cleaner = inspection(Inspected::Unnamed { role: WorkerRole::Cleaner, name: None }, &[Worn::Mask, Worn::RubberBoots], at(day, 11), None);
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &shigu, &all, &boots_on_a_cleaner).await), "worn:item_not_required");
        let future = fangkong::db::now_micros() + 3_600_000_000;
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &shigu, &all, &inspection(Inspected::Registered(worker), &[], future, None)).await), "inspected_at:time_future");
        let before = at(date!(2020 - 02 - 01), 10);
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &shigu, &all, &inspection(Inspected::Registered(worker), &[], before, None)).await), "inspected_at:before_edition");
        let leiyang = NewInspection { org_code: code("430481"), ..cleaner.clone() };
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &Scope::everything(), &all, &leiyang).await), "org_code:district_outside_scheme");
        let zhuhui = Scope::of(&code("430405"));
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &zhuhui, &all, &first).await), "org_code:org_unknown", "another district's inspector");
        assert_eq!(invalid_field(workforce::end(&db, &actor(), &shigu, worker, date!(2020 - 02 - 10)).await), "ended_on:date_before_inspection", "inspected that day");
        let two_lines = NewInspection { place: "解放路\n中山路".into(), ..cleaner.clone() };
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &shigu, &all, &two_lines).await), "place:single_line");
        workforce::end(&db, &actor(), &shigu, worker, date!(2020 - 02 - 11)).await.unwrap();
        let after_leaving = inspection(Inspected::Registered(worker), &[], at(date!(2020 - 02 - 12), 9), None);
        assert_eq!(invalid_field(inspections::record(&db, &actor(), &shigu, &all, &after_leaving).await), "worker_id:worker_not_working");

        let mut counted = Vec::new();
        for metric in ["san.inspections", "san.missing", "san.points"] {
            counted.push(fangkong::counts::sum_since(&db, "430400", metric, "2020-02-10").await.unwrap());
        }
        assert_eq!(counted, [3, 3, 6], "three inspections, three items missing, six points, up to the city");
        // The daily report of the district and of the city: twelve items checked, nine worn.
        for unit in ["430407", "430400"] {
            let report = fangkong::reports::daily::report(&db, &Scope::everything(), &code(unit), day).await.unwrap().unwrap();
            let value = |figure: &str| report.figure(figure).unwrap().value;
            assert_eq!((value("sanitation_inspections"), value("sanitation_missing"), value("sanitation_rate"), value("sanitation_points")), (3, 3, 750, 6), "{unit}'s report");
        }
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "counts clean under report verify");
    }
}

#[tokio::test]
async fn a_waste_mask_collector_with_no_training_on_record_is_flagged_until_trained() {
    use fangkong::sanitation::training::{self, NewTraining};
    for db in backends().await {
        let all = editions::load(&db).await.unwrap();
        let edition = &all[0];
        let shigu = Scope::of(&code("430407"));
        let worker = |name: &str, role, org: &str| NewWorker { org_code: code(org), name: name.into(), number: None, role, team: None, person_id: None, started_on: date!(2020 - 01 - 01) };
        let collector = workforce::add(&db, &actor(), &shigu, edition, &worker("收运甲", WorkerRole::WasteMaskCollector, "430407")).await.unwrap();
        workforce::add(&db, &actor(), &shigu, edition, &worker("保洁乙", WorkerRole::Cleaner, "430407")).await.unwrap();
        let zhuhui = Scope::of(&code("430405"));
        let elsewhere = workforce::add(&db, &actor(), &zhuhui, edition, &worker("收运丙", WorkerRole::WasteMaskCollector, "430405")).await.unwrap();
        let flagged = |scope: Scope| {
            let db = db.clone();
            let edition = edition.clone();
            async move { training::untrained(&db, &scope, &edition).await.unwrap().into_iter().map(|w| w.name).collect::<Vec<_>>() }
        };
        assert_eq!(flagged(shigu.clone()).await, ["收运甲"], "only the role that must be trained, in the district");

        let today = fangkong::clock::today();
        let session =
            |attendees: Vec<i64>, held_on| NewTraining { org_code: code("430407"), held_on, trainer: "市环卫中心 李老师".into(), topic: "废弃口罩收集与处置".into(), attendees };
        let refused = |result: Result<i64, AppError>| match result {
            Err(AppError::Invalid(f)) => f.iter().map(|e| e.code.clone()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(training::record(&db, &actor(), &shigu, edition, &session(vec![], today), today).await), ["attendees_required"]);
        assert_eq!(refused(training::record(&db, &actor(), &shigu, edition, &session(vec![collector], today + time::Duration::days(1)), today).await), ["date_future"]);
        assert_eq!(refused(training::record(&db, &actor(), &shigu, edition, &session(vec![elsewhere], today), today).await), ["worker_unknown"], "another district's worker");
        assert_eq!(flagged(shigu.clone()).await, ["收运甲"], "nothing was recorded");
        training::record(&db, &actor(), &shigu, edition, &session(vec![collector, collector], today), today).await.unwrap();
        assert!(flagged(shigu.clone()).await.is_empty(), "trained");
        assert_eq!(flagged(zhuhui).await, ["收运丙"], "another district's still is not");
    }
}

/// A district's register imported from the sheets it keeps: an `.xlsx` with its own headers and a
/// GBK `.csv`; bad rows named with their row and column, all or nothing unless asked, and the same
/// file again adds nobody.
#[tokio::test]
async fn a_districts_register_is_imported_from_its_own_sheet_once() {
    use fangkong::ledger_io::import::Mode;
    use fangkong::sanitation::register_import::{self, RegisterSheet};
    for db in backends().await {
        let on = db.backend_name();
        let all = editions::load(&db).await.unwrap();
        let names = fangkong::org::names::UnitNames::default().get(&db).await.unwrap();
        let shigu = Scope::of(&code("430407"));
        let today = fangkong::clock::today();
        let headers = ["序号", "姓名", "工号(必填)", "工种", "班组", "所属街道", "上岗日期", "联系电话"];
        let rows: Vec<Vec<String>> = [
            ["1", "周收运", "SG-001", "废弃口罩收运", "一班", "人民街道", "2020-01-15", "13800001111"],
            ["2", "李保洁", "SG-002", "保洁员", "二班", "", "", ""],
            ["3", "王某", "SG-003", "司机", "", "", "", ""],
            ["4", "赵某", "SG-004", "清扫保洁", "", "", "2999-01-01", ""],
            ["5", "钱某", "SG-001", "垃圾收运", "", "", "", ""],
            ["6", "孙某", "SG-006", "垃圾站管护", "", "东风路街道", "", ""],
        ]
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
        let book = fangkong::ledger_io::xlsx::sheet(&headers, &rows).unwrap();
        let read = fangkong::ledger_io::read::read(&book).unwrap();
        let district = code("430407");
        let sheet = |mode| RegisterSheet { district: &district, rows: &read, mode, today };
        let report = register_import::import(&db, &actor(), &shigu, &all[0], &names, sheet(Mode::AllOrNothing)).await.unwrap();
        assert!(!report.landed && report.added == 0, "on {on}: {report:?}");
        let problems: Vec<(usize, &str, &str)> = report.errors.iter().map(|e| (e.row, e.column.as_str(), e.code.as_str())).collect();
        assert_eq!(problems, [(4, "岗位", "role_unknown"), (5, "上岗日期", "date_future"), (6, "工号", "duplicate_in_file"), (7, "街道", "org_unknown")]);
        assert_eq!(report.ignored, ["序号", "联系电话"]);
        assert!(workforce::list(&db, &shigu, None, 10).await.unwrap().is_empty(), "nothing written");

        let report = register_import::import(&db, &actor(), &shigu, &all[0], &names, sheet(Mode::ValidRows)).await.unwrap();
        assert_eq!((report.landed, report.added, report.valid_rows), (true, 2, 2));
        let register = workforce::list(&db, &shigu, None, 10).await.unwrap();
        let zhou = register.iter().find(|w| w.name == "周收运").unwrap();
        assert_eq!((zhou.org_code.as_str(), zhou.role.as_str(), zhou.team.as_deref(), zhou.started_on), ("430407001", "waste_mask_collector", Some("一班"), date!(2020 - 01 - 15)));
        assert_eq!(register.iter().find(|w| w.name == "李保洁").unwrap().started_on, today, "no date: today");
        let again = register_import::import(&db, &actor(), &shigu, &all[0], &names, sheet(Mode::ValidRows)).await.unwrap();
        assert_eq!((again.added, again.already_on_register), (0, 2), "the same file again adds nobody");

        // A GBK .csv without numbers: the same name, role and unit is the same worker.
        let (csv, _, _) = encoding_rs::GBK.encode("姓名,岗位,街道\n吴清扫,清扫保洁,青山街道\n郑收运,垃圾收运和垃圾站管护,\n");
        let csv = fangkong::ledger_io::read::read(&csv).unwrap();
        let csv_sheet = || RegisterSheet { district: &district, rows: &csv, mode: Mode::AllOrNothing, today };
        assert_eq!(register_import::import(&db, &actor(), &shigu, &all[0], &names, csv_sheet()).await.unwrap().added, 2);
        assert_eq!(register_import::import(&db, &actor(), &shigu, &all[0], &names, csv_sheet()).await.unwrap().already_on_register, 2);
        assert_eq!(workforce::list(&db, &shigu, None, 10).await.unwrap().len(), 4);

        // Another district's inspector, a district outside the scheme, a sheet without roles.
        let zhuhui = Scope::of(&code("430405"));
        assert_eq!(invalid_field(register_import::import(&db, &actor(), &zhuhui, &all[0], &names, csv_sheet()).await), "org_code:org_unknown");
        let leiyang = RegisterSheet { district: &code("430481"), rows: &csv, mode: Mode::AllOrNothing, today };
        assert_eq!(invalid_field(register_import::import(&db, &actor(), &Scope::everything(), &all[0], &names, leiyang).await), "org_code:district_outside_scheme");
        let no_roles = fangkong::ledger_io::read::read("姓名,班组\n某人,一班\n".as_bytes()).unwrap();
        let sheet = RegisterSheet { district: &district, rows: &no_roles, mode: Mode::AllOrNothing, today };
        assert_eq!(invalid_field(register_import::import(&db, &actor(), &shigu, &all[0], &names, sheet).await), "file:columns_missing");
    }
}

/// The server's group commit: inspections waiting are written in one transaction, each in its
/// own savepoint — the same key sent twice at once records one inspection, the key reused for
/// another inspection in the same batch is a conflict for that one alone, and the counts agree.
#[tokio::test]
async fn inspections_written_together_fail_alone_and_keep_one_per_key() {
    use fangkong::sanitation::inspections::{Checked, prepare, write_batch};
    for db in backends().await {
        let all = editions::load(&db).await.unwrap();
        let shigu = Scope::of(&code("430407"));
        let now = fangkong::db::now_micros();
        let cleaner = |worn: &[Worn], key: &str| inspection(Inspected::Unnamed { role: WorkerRole::Cleaner, name: None }, worn, now - 60_000_000, Some(key));
        let mut batch = Vec::new();
        for new in [cleaner(&[Worn::Mask], "k-a"), cleaner(&[Worn::Mask], "k-a"), cleaner(&[Worn::Mask, Worn::Gloves], "k-a"), cleaner(&[], "k-b")] {
            match prepare(&db, &actor(), &shigu, &all, &new).await.unwrap() {
                Checked::Ready(p) => batch.push(*p),
                Checked::Known(r) => panic!("nothing is recorded yet: {r:?}"),
            }
        }
        let results = write_batch(&db, batch).await;
        let first = results[0].as_ref().unwrap();
        assert!(!first.duplicate && first.points == 2, "on {}", db.backend_name());
        let retry = results[1].as_ref().unwrap();
        assert_eq!((retry.id, retry.duplicate), (first.id, true), "the same submission twice at once: one inspection");
        assert!(matches!(results[2], Err(AppError::Conflict { .. })), "the key reused for another inspection: {:?}", results[2]);
        assert_eq!(results[3].as_ref().unwrap().points, 4, "the others are written all the same");
        assert_eq!(inspections::list(&db, &shigu, None, None, 10).await.unwrap().len(), 2);
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
    }
}
