//! Sanitation appeals and monthly scores on both databases: an accepted appeal gives back exactly
//! its items' points, a closed month is frozen, and the month's score read from the counts equals
//! a direct computation from the inspections, for random data under two editions.

mod common;

use common::*;
use fangkong::error::AppError;
use fangkong::sanitation::appeals::{self, Decision, NewAppeal};
use fangkong::sanitation::editions;
use fangkong::sanitation::inspections::{self, Inspected, NewInspection};
use fangkong::sanitation::months::{self, DistrictMonth};
use fangkong::sanitation::photos::Photo;
use fangkong::sanitation::workforce::{self, NewWorker};
use fangkong_rules::Scope;
use fangkong_rules::sanitation::{PpeItem, WorkerRole, Worn};
use std::collections::{BTreeMap, BTreeSet};
use time::macros::date;

fn error_code(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::Invalid(f)) => format!("{}:{}", f[0].field, f[0].code),
        Err(AppError::Conflict { .. }) => "conflict".into(),
        Err(AppError::Forbidden) => "forbidden".into(),
        Err(AppError::NotFound) => "not_found".into(),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn worker(org: &str, name: &str, role: WorkerRole) -> NewWorker {
    NewWorker { org_code: code(org), name: name.into(), number: None, role, team: None, person_id: None, started_on: date!(2020 - 01 - 01) }
}

fn inspection(org: &str, worker: Inspected, worn: &[Worn], inspected_at: i64) -> NewInspection {
    NewInspection { org_code: code(org), place: "船山大道".into(), worker, worn: worn.to_vec(), inspected_at, note: None, photo: None, idempotency_key: None }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn an_accepted_appeal_gives_back_its_points_and_a_closed_month_is_frozen() {
    for db in backends().await {
        let on = db.backend_name();
        let all = editions::load(&db).await.unwrap();
        let (shigu, city, zhuhui) = (Scope::of(&code("430407")), Scope::of(&code("430400")), Scope::of(&code("430405")));
        let collector = workforce::add(&db, &actor(), &shigu, &all[0], &worker("430407", "周收运", WorkerRole::WasteMaskCollector)).await.unwrap();
        let hour = 3_600_000_000;
        let today = fangkong::clock::today();
        let this_month = months::of_day(today);
        // Last month's last day, recorded today (backdated): the window to appeal opens when recorded.
        let last_day = months::days_of(&this_month).unwrap().0.previous_day().unwrap();
        let month = months::of_day(last_day);
        let then = fangkong::clock::micros_at(last_day, 10);
        // Without boots and disinfectant: −4, with a photo.
        let first =
            NewInspection { photo: Some(Photo::checked("photo", PNG.to_vec()).unwrap()), ..inspection("430407", Inspected::Registered(collector), &[Worn::Mask, Worn::Gloves, Worn::Raincoat], then) };
        let recorded = inspections::record(&db, &actor(), &shigu, &all, &first).await.unwrap();
        assert_eq!(recorded.points, 4);

        let appeal = |items: Vec<PpeItem>, reason: &str| NewAppeal { inspection_id: recorded.id, items, reason: reason.into(), photo: Some(Photo::checked("photo", PNG.to_vec()).unwrap()) };
        assert_eq!(error_code(appeals::file(&db, &actor(), &shigu, &all, &appeal(vec![PpeItem::Mask], "戴了口罩")).await), "items:item_not_deducted", "on {on}");
        assert_eq!(error_code(appeals::file(&db, &actor(), &shigu, &all, &appeal(vec![], "理由")).await), "items:items_required");
        assert_eq!(error_code(appeals::file(&db, &actor(), &zhuhui, &all, &appeal(vec![PpeItem::RubberBoots], "雨靴在车上")).await), "not_found", "another district");
        let (appeal_id, duplicate) = appeals::file(&db, &actor(), &shigu, &all, &appeal(vec![PpeItem::RubberBoots], "雨靴在车上")).await.unwrap();
        assert!(!duplicate, "a backdated inspection can be appealed: the window opens when it is recorded");
        assert_eq!(appeals::file(&db, &actor(), &shigu, &all, &appeal(vec![PpeItem::RubberBoots], "雨靴在车上")).await.unwrap(), (appeal_id, true), "a retry records nothing new");
        assert_eq!(error_code(appeals::file(&db, &actor(), &shigu, &all, &appeal(vec![PpeItem::Disinfectant], "另一个理由")).await), "conflict", "an inspection is appealed once");

        // Too late: recorded 49 hours ago.
        let old = inspections::record(&db, &actor(), &shigu, &all, &inspection("430407", Inspected::Unnamed { role: WorkerRole::Cleaner, name: None }, &[], then)).await.unwrap();
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update sanitation_inspections set created_at = created_at - $1 where id = $2").bind(49 * hour).bind(old.id).execute(pool).await.map(|_| ()))
            .unwrap();
        let late = NewAppeal { inspection_id: old.id, items: vec![PpeItem::Mask], reason: "晚了".into(), photo: None };
        assert_eq!(error_code(appeals::file(&db, &actor(), &shigu, &all, &late).await), "inspection_id:appeal_late");

        // Only the centre decides; accepting gives back exactly the boots' 2 points.
        assert_eq!(error_code(appeals::decide(&db, &actor(), &shigu, &all, appeal_id, Decision::Accept, "同意").await), "forbidden", "the district does not judge itself");
        assert_eq!(error_code(appeals::decide(&db, &actor(), &city, &all, appeal_id, Decision::Accept, "").await), "note:reason_length");
        appeals::decide(&db, &actor(), &city, &all, appeal_id, Decision::Accept, "照片显示雨靴在车上").await.unwrap();
        assert_eq!(error_code(appeals::decide(&db, &actor(), &city, &all, appeal_id, Decision::Reject, "再裁定").await), "conflict");
        let scores = months::scores(&db, &city, &all, &month, today).await.unwrap();
        let shigu_month = scores.districts.iter().find(|d| d.district_code == "430407").unwrap();
        // −4 + 2 given back, and the late cleaner's −4 (no mask, no gloves).
        assert_eq!((shigu_month.points, shigu_month.restored, shigu_month.deductions), (8, 2, 6), "on {on}");
        assert_eq!((shigu_month.score, shigu_month.rank), (94, 4), "below the three districts with no deduction");
        assert_eq!(months::scores(&db, &shigu, &all, &month, today).await.unwrap().districts.len(), 1, "a district sees its own score");

        // A month with an appeal waiting does not close, and says which; nor does a month not over.
        let second = inspections::record(&db, &actor(), &shigu, &all, &inspection("430407", Inspected::Unnamed { role: WorkerRole::Collection, name: Some("王师傅".into()) }, &[Worn::Mask], then))
            .await
            .unwrap();
        let waiting = NewAppeal { inspection_id: second.id, items: vec![PpeItem::Gloves], reason: "手套在口袋里".into(), photo: None };
        let (waiting_id, _) = appeals::file(&db, &actor(), &shigu, &all, &waiting).await.unwrap();
        // Undecided after 3 days, it is escalated: overdue on the lists, counted for the city.
        assert_eq!(appeals::overdue(&db, &city, 3).await.unwrap(), 0);
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update sanitation_appeals set filed_at = filed_at - $1 where id = $2").bind(4 * 24 * hour).bind(waiting_id).execute(pool).await.map(|_| ()))
            .unwrap();
        assert_eq!((appeals::overdue(&db, &city, 3).await.unwrap(), appeals::overdue(&db, &zhuhui, 3).await.unwrap()), (1, 0));
        let listed = appeals::list(&db, &city, &all, appeals::Filter::Open, 10).await.unwrap();
        assert!(listed.iter().any(|a| a.id == waiting_id && a.overdue));
        let refused = months::close(&db, &actor(), &city, &all, &month, today).await;
        match &refused {
            Err(AppError::Invalid(f)) => assert!(f[0].code == "appeals_open" && f[0].message.contains(&format!("#{waiting_id}(王师傅)")), "{f:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(error_code(months::close(&db, &actor(), &shigu, &all, &month, today).await), "forbidden");
        assert_eq!(error_code(months::close(&db, &actor(), &city, &all, &this_month, today).await), "month:month_not_over");
        appeals::decide(&db, &actor(), &city, &all, waiting_id, Decision::Reject, "照片中未见手套").await.unwrap();
        let open_before = months::scores(&db, &city, &all, &month, today).await.unwrap();
        let closed = months::close(&db, &actor(), &city, &all, &month, today).await.unwrap();
        assert!(closed.closed.is_some());
        assert_eq!(closed.districts, open_before.districts, "the figures frozen are those shown before");
        assert_eq!(error_code(months::close(&db, &actor(), &city, &all, &month, today).await), "conflict", "closed once");

        // Frozen: no inspection dated in it or before it, no appeal on it; its trend stays.
        let after = inspection("430407", Inspected::Registered(collector), &[Worn::Mask], then + hour);
        assert_eq!(error_code(inspections::record(&db, &actor(), &shigu, &all, &after).await), "inspected_at:month_closed");
        let earlier = inspection("430407", Inspected::Registered(collector), &[Worn::Mask], then - 40 * 24 * hour);
        assert_eq!(error_code(inspections::record(&db, &actor(), &shigu, &all, &earlier).await), "inspected_at:month_closed", "nor into a month before it");
        let third = inspections::record(&db, &actor(), &shigu, &all, &inspection("430407", Inspected::Unnamed { role: WorkerRole::Cleaner, name: None }, &[Worn::Mask], then)).await;
        assert!(third.is_err());
        assert_eq!(months::scores(&db, &city, &all, &month, today).await.unwrap().districts, closed.districts);
        // This month is open: recorded now, it is appealed as usual.
        let now_one = inspections::record(&db, &actor(), &shigu, &all, &inspection("430407", Inspected::Registered(collector), &[Worn::Mask], fangkong::db::now_micros() - 60_000_000)).await.unwrap();
        assert!(now_one.points > 0);

        // The photos are seen within the district, not from another.
        let photos = fangkong::sanitation::photos::of_inspections(&db, &[recorded.id]).await.unwrap();
        assert_eq!(photos.len(), 2, "the inspection's and the appeal's");
        assert!(fangkong::sanitation::photos::get(&db, &shigu, photos[0].1).await.unwrap().is_some());
        assert!(fangkong::sanitation::photos::get(&db, &zhuhui, photos[0].1).await.unwrap().is_none());
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), [], "counts clean under report verify on {on}");
    }
}

/// Closing a month and appeals filed at the same moment take their turn: either the appeal is in
/// and the month stays open, naming it, or the month is closed and the appeal refused — never an
/// appeal left waiting in a closed month.
#[tokio::test]
async fn a_month_closing_while_appeals_are_filed_leaves_none_waiting_in_it() {
    for db in backends().await {
        let all = editions::load(&db).await.unwrap();
        let (shigu, city) = (Scope::of(&code("430407")), Scope::of(&code("430400")));
        let today = fangkong::clock::today();
        let last_day = months::days_of(&months::of_day(today)).unwrap().0.previous_day().unwrap();
        let month = months::of_day(last_day);
        let mut ids = Vec::new();
        for k in 0..8 {
            let new = inspection("430407", Inspected::Unnamed { role: WorkerRole::Cleaner, name: Some(format!("工人{k}")) }, &[Worn::Mask], fangkong::clock::micros_at(last_day, 9));
            ids.push(inspections::record(&db, &actor(), &shigu, &all, &new).await.unwrap().id);
        }
        let filing = ids.iter().map(|id| {
            let (db, all, shigu) = (db.clone(), all.clone(), shigu.clone());
            let appeal = NewAppeal { inspection_id: *id, items: vec![PpeItem::Gloves], reason: "手套在车上".into(), photo: None };
            tokio::spawn(async move { appeals::file(&db, &actor(), &shigu, &all, &appeal).await.is_ok() })
        });
        let closing = {
            let (db, all, city, month) = (db.clone(), all.clone(), city.clone(), month.clone());
            tokio::spawn(async move { months::close(&db, &actor(), &city, &all, &month, today).await.is_ok() })
        };
        let filed: Vec<bool> = futures_join(filing.collect()).await;
        let closed = closing.await.unwrap();
        let waiting = appeals::list(&db, &city, &all, appeals::Filter::Open, 100).await.unwrap();
        if closed {
            assert!(waiting.iter().all(|a| a.month != month), "on {}: appeals waiting in a closed month: {waiting:?}", db.backend_name());
        } else {
            assert!(filed.iter().any(|f| *f), "the close was refused because appeals were in");
        }
        assert_eq!(waiting.len(), filed.iter().filter(|f| **f).count());
    }
}

async fn futures_join(handles: Vec<tokio::task::JoinHandle<bool>>) -> Vec<bool> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// A second edition from 1 March 2020 on: repeats no longer count, 3 points per item.
async fn add_march_edition(db: &fangkong::db::Db) {
    fangkong::on_db!(db, pool => async {
        sqlx::query::<DB>("insert into sanitation_editions (name, effective_from, points_per_item, base_score, districts, count_repeat_inspections, appeal_hours, appeal_decision_days, training_required_roles, source) \
            values ('三月修订', '2020-03-01', 3, 100, '430405,430406,430407,430408', false, 48, 3, 'waste_mask_collector', 'test')").execute(pool).await?;
        sqlx::query::<DB>("insert into sanitation_required_items (edition_id, role, item, position) select (select id from sanitation_editions where effective_from = '2020-03-01'), role, item, position \
            from sanitation_required_items where edition_id = (select id from sanitation_editions where effective_from = '2020-02-02')").execute(pool).await?;
        Ok::<_, sqlx::Error>(())
    }.await).unwrap();
}

/// An inspection as recorded: district, worker (none when not registered), role, day, points,
/// the items missing, and the items checked.
type Recorded = (&'static str, Option<i64>, WorkerRole, time::Date, i64, Vec<PpeItem>, i64);

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn the_month_score_equals_a_direct_computation_from_the_inspections() {
    for db in backends().await {
        add_march_edition(&db).await;
        let all = editions::load(&db).await.unwrap();
        let everything = Scope::everything();
        let districts = ["430405", "430406", "430407", "430408"];
        let mut rng = Rng(0x5eed_1234_abcd);
        let mut workers = Vec::new();
        for (i, district) in districts.iter().enumerate() {
            for n in 0..4 {
                let role = WorkerRole::ALL[(i + n) % 3];
                workers.push((workforce::add(&db, &actor(), &everything, &all[0], &worker(district, &format!("工人{i}{n}"), role)).await.unwrap(), *district, role));
            }
        }
        let mut recorded: Vec<Recorded> = Vec::new();
        for _ in 0..150 {
            let day = if rng.below(4) == 0 { date!(2020 - 02 - 20) } else { date!(2020 - 03 - 01).replace_day(1 + rng.below(28) as u8).unwrap() };
            let (who, district, role) = if rng.below(5) == 0 {
                let role = WorkerRole::ALL[rng.below(3) as usize];
                (Inspected::Unnamed { role, name: None }, districts[rng.below(4) as usize], role)
            } else {
                let (id, district, role) = workers[rng.below(workers.len() as u64) as usize];
                (Inspected::Registered(id), district, role)
            };
            let worn: Vec<Worn> = Worn::ALL.iter().copied().filter(|w| w.meets() != PpeItem::Goggles && all[0].rule.items_for(role).contains(&w.meets()) && rng.below(3) > 0).collect();
            let at = fangkong::clock::micros_at(day, 8 + rng.below(10) as i64);
            let done = inspections::record(&db, &actor(), &everything, &all, &inspection(district, who.clone(), &worn, at)).await.unwrap();
            let checked = all[0].rule.items_for(role).len() as i64;
            let worker_id = match who {
                Inspected::Registered(id) => Some(id),
                Inspected::Unnamed { .. } => None,
            };
            let per_item = if day >= date!(2020 - 03 - 01) { 3 } else { 2 };
            assert_eq!(done.points, per_item * done.missing.len() as u32, "each missing item costs what the edition of its day says");
            recorded.push((district, worker_id, role, day, i64::from(done.points), done.missing, checked));
        }
        let direct = |month: &str| -> Vec<DistrictMonth> {
            let edition = if month == "2020-03" { &all[1] } else { &all[0] };
            let rows = districts.iter().map(|district| {
                let mut t = months::Tallied::default();
                let (mut seen_day, mut seen_month) = (BTreeSet::new(), BTreeSet::new());
                let (mut items, mut roles): (BTreeMap<PpeItem, i64>, BTreeMap<WorkerRole, i64>) = Default::default();
                for (_, worker, role, day, points, missing, checked) in recorded.iter().filter(|r| r.0 == *district && months::of_day(r.3) == month) {
                    t.inspections += 1;
                    t.items_checked += checked;
                    t.items_missing += missing.len() as i64;
                    t.points += points;
                    let repeat = worker.is_some_and(|w| !seen_day.insert((w, *day)));
                    if worker.is_none_or(|w| seen_month.insert(w)) {
                        t.workers += 1;
                    }
                    if repeat && !edition.count_repeat_inspections {
                        t.uncounted += points;
                    }
                    for item in missing {
                        *items.entry(*item).or_default() += 1;
                    }
                    *roles.entry(*role).or_default() += missing.len() as i64;
                }
                let most = |counts: Vec<(&'static str, i64)>| {
                    counts.into_iter().filter(|(_, n)| *n > 0).fold(None, |best: Option<(&str, i64)>, (c, n)| if best.is_some_and(|(_, m)| m >= n) { best } else { Some((c, n)) })
                };
                let item = most(PpeItem::ALL.iter().map(|i| (i.as_str(), items.get(i).copied().unwrap_or(0))).collect());
                let role = most(WorkerRole::ALL.iter().map(|r| (r.as_str(), roles.get(r).copied().unwrap_or(0))).collect());
                months::figures(district, t, 100, item.map(|(c, _)| c.to_string()), role.map(|(c, _)| c.to_string()))
            });
            months::ranked(rows.collect())
        };
        let today = fangkong::clock::today();
        let (february, march) = (direct("2020-02"), direct("2020-03"));
        let read = months::scores(&db, &everything, &all, "2020-03", today).await.unwrap();
        assert_eq!(read.edition_id, all[1].id);
        let without_trend: Vec<DistrictMonth> = read.districts.iter().map(|d| DistrictMonth { trend: None, ..d.clone() }).collect();
        assert_eq!(without_trend, march, "on {}", db.backend_name());
        for d in &read.districts {
            let before = february.iter().find(|f| f.district_code == d.district_code).unwrap();
            assert_eq!(d.trend, Some(d.score - before.score), "the change since February");
        }
        assert!(march.iter().any(|d| d.uncounted > 0), "the data holds repeats that March's edition leaves out");
        assert_eq!(months::scores(&db, &everything, &all, "2020-02", today).await.unwrap().districts.iter().map(|d| d.trend).collect::<Vec<_>>(), [None; 4], "no month before the rule");
        assert_eq!(fangkong::counts::verify(&db).await.unwrap(), []);
        // Bad months say so.
        for (bad, code) in [("2020-13", "month:month_invalid"), ("2020-01", "month:before_edition"), ("2999-01", "month:month_future")] {
            assert_eq!(error_code(months::scores(&db, &everything, &all, bad, today).await), code);
        }
    }
}
