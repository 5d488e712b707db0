//! Screening points on both databases: opened, closed and reopened by their unit, worked only by
//! their assigned staff; a vehicle's screening decided by temperature and symptoms, recorded once
//! per key, refused whole on bad input, and counted per unit and day and per point and hour.

mod common;

use common::*;
use fangkong::checkpoints::points::{self, NewPoint};
use fangkong::checkpoints::screenings::{self, Checked, NewOccupant, NewScreening};
use fangkong::checkpoints::{PointKind, hours};
use fangkong::error::AppError;
use fangkong_rules::Scope;

const TOWNSHIP: &str = "430481001";

fn staff_actor(user_id: i64, username: &str) -> fangkong::audit::Actor {
    fangkong::audit::Actor { user_id: Some(user_id), username: username.into(), org_code: TOWNSHIP.into(), client_addr: None }
}

fn occupant(temperature: &str) -> NewOccupant {
    NewOccupant { temperature: temperature.into(), ..NewOccupant::default() }
}

fn car(point: i64, key: Option<&str>, occupants: Vec<NewOccupant>) -> NewScreening {
    NewScreening {
        point_id: point,
        plate: Some("鄂A·12345".into()),
        vehicle_kind: Some("car".into()),
        origin: "湖北省武汉市 420100".into(),
        destination: LEIYANG_GRID.into(),
        destination_address: Some("测试路1号".into()),
        screened_at: fangkong::db::now_micros() - 60_000_000,
        occupants,
        idempotency_key: key.map(str::to_string),
    }
}

fn fields(result: Result<impl std::fmt::Debug, AppError>) -> Vec<String> {
    match result {
        Err(AppError::Invalid(errors)) => errors.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn names(db: &fangkong::db::Db) -> fangkong::org::names::Names {
    fangkong::org::names::UnitNames::default().get(db).await.unwrap()
}

/// A road point of 蔡子池街道 with one checkpoint worker assigned: (point, worker's actor, township scope).
async fn road_point(db: &fangkong::db::Db) -> (i64, fangkong::audit::Actor, Scope) {
    seed_area(db).await;
    let township = Scope::of(&code(TOWNSHIP));
    let opened_on = fangkong::clock::today() - time::Duration::days(10);
    let new = NewPoint { org_code: code(TOWNSHIP), kind: PointKind::Road, name: "G107 蔡子池卡点".into(), location: "G107 K1721".into(), opened_on };
    let point = points::create(db, &actor(), &township, &new).await.unwrap();
    let worker = add_user(db, "kadian", fangkong::auth::Role::CheckpointStaff, TOWNSHIP).await;
    points::assign(db, &actor(), &township, point, "kadian").await.unwrap();
    (point, staff_actor(worker, "kadian"), township)
}

#[tokio::test]
async fn a_point_is_kept_by_its_unit_and_worked_only_by_its_staff_while_open() {
    for db in backends().await {
        let (point, worker, township) = road_point(&db).await;
        let names = names(&db).await;
        let hengnan = Scope::of(&code("430422"));
        assert!(points::get(&db, &hengnan, point).await.unwrap().is_none(), "another county does not see it");
        let elsewhere = NewPoint { org_code: code("430422107"), kind: PointKind::Market, name: "花桥农贸市场".into(), location: "花桥镇".into(), opened_on: fangkong::clock::today() };
        assert_eq!(fields(points::create(&db, &actor(), &township, &elsewhere).await), ["org_code:org_unknown"]);

        // Only checkpoint staff of the point's own unit are assigned.
        add_user(&db, "grid_li", fangkong::auth::Role::GridWorker, TOWNSHIP).await;
        add_user(&db, "kadian_hn", fangkong::auth::Role::CheckpointStaff, "430422107").await;
        for username in ["grid_li", "kadian_hn", "nobody"] {
            assert_eq!(fields(points::assign(&db, &actor(), &township, point, username).await), ["username:staff_unknown"], "{username}");
        }
        let other = add_user(&db, "kadian2", fangkong::auth::Role::CheckpointStaff, TOWNSHIP).await;
        let outsider = staff_actor(other, "kadian2");
        let refused = screenings::record(&db, &outsider, &township, &names, &car(point, None, vec![occupant("36.5")])).await;
        assert_eq!(fields(refused), ["point_id:not_assigned"]);

        // Closed, it takes nothing and says why; reopened, it records again.
        points::close(&db, &actor(), &township, point, "按省指挥部通知撤除非湖北方向卡点").await.unwrap();
        assert!(matches!(points::close(&db, &actor(), &township, point, "again").await, Err(AppError::Conflict { .. })));
        let closed = screenings::record(&db, &worker, &township, &names, &car(point, None, vec![occupant("36.5")])).await;
        assert_eq!(fields(closed), ["point_id:point_closed"]);
        points::reopen(&db, &actor(), &township, point).await.unwrap();
        screenings::record(&db, &worker, &township, &names, &car(point, None, vec![occupant("36.5")])).await.unwrap();
        let events: Vec<String> = points::events(&db, point).await.unwrap().into_iter().map(|e| e.event).collect();
        assert_eq!(events, ["opened", "closed", "reopened"], "on {}", db.backend_name());
        assert_eq!(points::assigned_to(&db, worker.user_id.unwrap()).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_car_from_wuhan_is_screened_once_per_key_decided_by_temperature_and_counted() {
    for db in backends().await {
        let (point, worker, township) = road_point(&db).await;
        let names = names(&db).await;
        let feverish = NewOccupant { name: Some("李四".into()), id_number: Some(resident_id("420102", 7)), phone: Some("13807340001".into()), ..occupant("38.1") };
        let submission = car(point, Some("car-1"), vec![occupant("36.5"), feverish]);
        let recorded = screenings::record(&db, &worker, &township, &names, &submission).await.unwrap();
        let results: Vec<&str> = recorded.persons.iter().map(|p| p.result.as_str()).collect();
        assert_eq!(results, ["pass", "retest"], "a first fever is measured again; origin decides nothing");
        let again = screenings::record(&db, &worker, &township, &names, &submission).await.unwrap();
        assert_eq!((again.id, again.duplicate, again.persons.len()), (recorded.id, true, 2), "a retry records nothing new");
        let reused = screenings::record(&db, &worker, &township, &names, &car(point, Some("car-1"), vec![occupant("36.6")])).await;
        assert!(matches!(reused, Err(AppError::Conflict { .. })), "the key reused for another vehicle is a conflict");

        // The plate is kept normalised; lists mask the person.
        let lines = screenings::of_point(&db, &township, point, false, None, 10).await.unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].plate.as_deref(), Some("鄂A12345"));
        assert_eq!(lines[0].name.as_deref(), Some("李*"));
        assert!(lines[0].id_number.as_deref().is_some_and(|id| id.contains('*')) && lines[0].phone.as_deref() == Some("138****0001"));
        assert!(screenings::get(&db, &Scope::of(&code("430422")), lines[0].id).await.unwrap().is_none(), "another county's record is not found");

        // The second reading confirms the fever: referred, counted once.
        let waiting = screenings::of_point(&db, &township, point, true, None, 10).await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(fields(screenings::retest(&db, &worker, &township, waiting[0].id, "44").await), ["temperature:temperature_invalid"]);
        let second = screenings::retest(&db, &worker, &township, waiting[0].id, "38.0").await.unwrap();
        assert_eq!(second.result, "referred");
        assert!(matches!(screenings::retest(&db, &worker, &township, waiting[0].id, "36.8").await, Err(AppError::Conflict { .. })));
        // A red-flag symptom refers whatever the thermometer says.
        let coughing = NewOccupant { symptoms: vec!["cough".into()], ..occupant("36.6") };
        let third = screenings::record(&db, &worker, &township, &names, &car(point, None, vec![coughing])).await.unwrap();
        assert_eq!(third.persons[0].result, "referred");

        let day = fangkong::clock::today().to_string();
        for unit in [TOWNSHIP, "430481", "430400"] {
            let sums = fangkong::counts::sums_up_to(&db, unit, &["cp.persons", "cp.vehicles", "cp.fevers", "cp.referrals"], &day).await.unwrap();
            let got: Vec<i64> = ["cp.persons", "cp.vehicles", "cp.fevers", "cp.referrals"].iter().map(|m| sums.get(*m).copied().unwrap_or(0)).collect();
            assert_eq!(got, [3, 2, 1, 2], "at {unit} on {}", db.backend_name());
        }
        let hours_today = hours::of_day(&db, point, fangkong::clock::today()).await.unwrap();
        assert_eq!(hours_today.iter().map(|h| h.persons).sum::<i64>(), 3);
        assert_eq!(hours_today.iter().map(|h| h.referrals).sum::<i64>(), 2);
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "report verify finds no drift");
    }
}

#[tokio::test]
async fn bad_input_is_refused_at_its_field_and_writes_nothing() {
    for db in backends().await {
        let (point, worker, township) = road_point(&db).await;
        let names = names(&db).await;
        let bad = NewScreening {
            plate: Some("湘12345".into()),
            vehicle_kind: Some("tank".into()),
            origin: "火星".into(),
            destination: "不存在的地方".into(),
            occupants: vec![occupant("33.0"), NewOccupant { id_number: Some("430481198501011234".into()), phone: Some("12345".into()), ..occupant("abc") }],
            ..car(point, Some("bad"), Vec::new())
        };
        let errors = fields(screenings::record(&db, &worker, &township, &names, &bad).await);
        for expected in [
            "plate:plate_authority",
            "vehicle_kind:vehicle_kind_unknown",
            "origin:division_unknown",
            "destination:division_unknown",
            "occupants.0.temperature:temperature_invalid",
            "occupants.1.temperature:temperature_invalid",
            "occupants.1.phone:phone_invalid",
        ] {
            assert!(errors.iter().any(|e| e == expected), "{expected} in {errors:?}");
        }
        assert!(errors.iter().any(|e| e.starts_with("occupants.1.id_number:")), "{errors:?}");
        assert_eq!(fields(screenings::record(&db, &worker, &township, &names, &car(point, None, Vec::new())).await), ["occupants:occupants_count"]);
        let future = NewScreening { screened_at: fangkong::clock::micros_at(fangkong::clock::today() - time::Duration::days(20), 9), ..car(point, None, vec![occupant("36.5")]) };
        assert_eq!(fields(screenings::record(&db, &worker, &township, &names, &future).await), ["screened_at:before_opening"]);
        assert!(screenings::of_point(&db, &township, point, false, None, 10).await.unwrap().is_empty(), "nothing was written");

        // A place screens one person at a time, with no vehicle.
        let market = NewPoint { org_code: code(TOWNSHIP), kind: PointKind::Market, name: "蔡子池农贸市场".into(), location: "五一路".into(), opened_on: fangkong::clock::today() };
        let place = points::create(&db, &actor(), &township, &market).await.unwrap();
        points::assign(&db, &actor(), &township, place, "kadian").await.unwrap();
        let with_plate = NewScreening { point_id: place, ..car(point, None, vec![occupant("36.5")]) };
        assert_eq!(fields(screenings::record(&db, &worker, &township, &names, &with_plate).await), ["plate:no_vehicle_here"]);
        let shopper =
            NewScreening { point_id: place, plate: None, vehicle_kind: None, destination: "430481001".into(), screened_at: fangkong::db::now_micros(), ..car(point, None, vec![occupant("36.4")]) };
        let recorded = screenings::record(&db, &worker, &township, &names, &shopper).await.unwrap();
        assert_eq!(recorded.persons.len(), 1);
        let two = NewScreening { occupants: vec![occupant("36.4"), occupant("36.5")], ..shopper.clone() };
        assert_eq!(fields(screenings::record(&db, &worker, &township, &names, &two).await), ["occupants:occupants_count"]);
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "on {}", db.backend_name());
    }
}

#[tokio::test]
async fn a_batch_answers_a_key_written_meanwhile_as_the_same_screening_without_failing_the_others() {
    for db in backends().await {
        let (point, worker, township) = road_point(&db).await;
        let names = names(&db).await;
        let prepare = |key: &'static str, temperature: &'static str| {
            let (db, worker, township, names) = (db.clone(), worker.clone(), township.clone(), names.clone());
            async move {
                match screenings::prepare(&db, &worker, &township, &names, &car(point, Some(key), vec![occupant(temperature)])).await.unwrap() {
                    Checked::Ready(prepared) => *prepared,
                    Checked::Known(_) => panic!("a new key"),
                }
            }
        };
        // Two servers took the same submission before either wrote it; a third vehicle rides along.
        let (first, retry, other) = (prepare("same", "36.5").await, prepare("same", "36.5").await, prepare("other", "36.7").await);
        let answers = screenings::write_batch(&db, vec![first, retry, other]).await;
        let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers[1].id, answers[0].id, "the retry is answered with the screening recorded");
        assert!(!answers[0].duplicate && answers[1].duplicate && !answers[2].duplicate);
        assert_eq!(screenings::of_point(&db, &township, point, false, None, 10).await.unwrap().len(), 2, "two vehicles, not three");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "on {}", db.backend_name());
    }
}
