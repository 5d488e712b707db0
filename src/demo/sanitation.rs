//! The demo city's sanitation scheme, so that 环卫 shows its work from the first sign-in: a
//! register in each district of the scheme (24 workers in 石鼓区, the demo inspection group's
//! district, 12 elsewhere, the three roles in turn in teams), daily inspections from the first
//! day of last month to today with items missing now and then, last month closed by the centre,
//! and one of today's deductions in 石鼓区 under appeal, waiting for the centre.

use super::names;
use crate::audit::Actor;
use crate::db::Db;
use crate::sanitation::appeals::{self, NewAppeal};
use crate::sanitation::inspections::{self, Inspected, NewInspection};
use crate::sanitation::{editions, months, workforce};
use fangkong_rules::sanitation::{PpeItem, WorkerRole, Worn};
use fangkong_rules::{OrgCode, Scope};

/// The district of the demo inspection group (`sanitation`, 石鼓区) and its district command (`shigu`).
const SANITATION_DISTRICT: &str = "430407";

/// Workers inspected per district and day.
const DAILY: usize = 3;

pub async fn load(db: &Db) -> anyhow::Result<()> {
    let all = editions::load(db).await?;
    let Some(edition) = all.last() else { return Ok(()) };
    let actor = Actor::cli("demo");
    let everything = Scope::everything();
    let mut registers: Vec<(OrgCode, Vec<(i64, WorkerRole)>)> = Vec::new();
    for (d, district) in edition.districts.iter().enumerate() {
        let code = OrgCode::parse(district).map_err(|m| anyhow::anyhow!("{m}"))?;
        let size = if district == SANITATION_DISTRICT { 24 } else { 12 };
        let mut workers = Vec::new();
        for i in 0..size {
            let n = i + d * 24;
            let name = format!("{}{}{}", names::SURNAMES[n * 7 % names::SURNAMES.len()], names::GIVEN[n * 13 % names::GIVEN.len()], names::GIVEN[(n * 29 + 5) % names::GIVEN.len()]);
            let role = WorkerRole::ALL[i % 3];
            let worker = workforce::NewWorker {
                org_code: code.clone(),
                name,
                number: Some(format!("{}-{:03}", &district[4..], i + 1)),
                role,
                team: Some(format!("{}班", names::GRID_NUMBERS[i / 8])),
                person_id: None,
                started_on: time::macros::date!(2020 - 01 - 01),
            };
            workers.push((workforce::add(db, &actor, &Scope::of(&code), edition, &worker).await?, role));
        }
        registers.push((code, workers));
    }
    let today = crate::clock::today();
    let (this_month, _) = months::days_of(&months::of_day(today)).ok_or_else(|| anyhow::anyhow!("no month of {today}"))?;
    let last_month = this_month.previous_day().map(months::of_day).unwrap_or_default();
    let (mut day, _) = months::days_of(&last_month).ok_or_else(|| anyhow::anyhow!("no month {last_month}"))?;
    let now = crate::db::now_micros();
    let mut today_deducted = None;
    let mut turn = 0usize;
    while day <= today {
        for (d, (district, workers)) in registers.iter().enumerate() {
            for k in 0..DAILY {
                turn += 1;
                let (worker, role) = workers[(turn * 5 + k) % workers.len()];
                let at = if day == today { now - (k as i64 + 1) * 600_000_000 } else { crate::clock::micros_at(day, 9 + 2 * k as i64) };
                // Most wear everything; now and then an item is missing, more often in some districts.
                let appealed_today = day == today && district.as_str() == SANITATION_DISTRICT && k == 0;
                let left_out = appealed_today || turn.is_multiple_of(5 + d);
                let items = edition.rule.items_for(role);
                let worn: Vec<Worn> =
                    Worn::ALL.iter().copied().filter(|w| *w != Worn::ProtectiveSuit && items.contains(&w.meets())).filter(|w| !left_out || w.meets() != items[items.len() - 1]).collect();
                let new = NewInspection {
                    org_code: district.clone(),
                    place: format!("{}环卫作业点 {}", names::GRID_NUMBERS[k], turn % 17 + 1),
                    worker: Inspected::Registered(worker),
                    worn,
                    inspected_at: at,
                    note: None,
                    photo: None,
                    idempotency_key: None,
                };
                let done = inspections::record(db, &actor, &everything, &all, &new).await?;
                if day == today && district.as_str() == SANITATION_DISTRICT && done.points > 0 {
                    today_deducted = Some((done.id, done.missing));
                }
            }
        }
        day = day.next_day().ok_or_else(|| anyhow::anyhow!("no day after {day}"))?;
    }
    months::close(db, &actor, &everything, &all, &last_month, today).await.map_err(|e| anyhow::anyhow!("closing {last_month}: {}", e.message()))?;
    if let Some((inspection_id, missing)) = today_deducted {
        let items: Vec<PpeItem> = missing.into_iter().take(1).collect();
        let appeal = NewAppeal { inspection_id, items, reason: "该人员的用品放在收运车上,检查时正在更换".into(), photo: None };
        appeals::file(db, &actor, &Scope::of(&OrgCode::parse(SANITATION_DISTRICT).map_err(|m| anyhow::anyhow!("{m}"))?), &all, &appeal)
            .await
            .map_err(|e| anyhow::anyhow!("the demo appeal: {}", e.message()))?;
    }
    Ok(())
}
