//! The demo city's checkpoints, so that 卡点 shows its work from the first sign-in: in 花桥镇
//! (衡南县, where the demo checkpoint account works) a road point on G107 and the town's market
//! (the mayor checked both on 2020-02-03), staffed by `checkpoint`, with three days of screenings
//! — cars from Hunan's counties and from Hubei, a few fevers re-tested, one referred, one waiting
//! for its second reading — and an expressway point closed as the province ordered.

use crate::audit::Actor;
use crate::checkpoints::screenings::{self, NewOccupant, NewScreening};
use crate::checkpoints::{PointKind, points};
use crate::db::Db;
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};

/// The town of the demo checkpoint account.
const TOWN: &str = "430422107";

/// Where the demo's travellers come from, in turn (衡阳's own counties, Hunan's cities, Hubei).
const ORIGINS: [&str; 8] = ["430481", "430100", "430422", "440000", "430200", "420100", "430482", "421000"];

pub async fn load(db: &Db) -> anyhow::Result<()> {
    let actor = Actor::cli("demo");
    let town = OrgCode::parse(TOWN).map_err(|m| anyhow::anyhow!("{m}"))?;
    let scope = Scope::of(&town);
    let today = crate::clock::today();
    let opened_on = today - time::Duration::days(14);
    let point = |kind, name: &str, location: &str| points::NewPoint { org_code: town.clone(), kind, name: name.into(), location: location.into(), opened_on };
    let road = points::create(db, &actor, &scope, &point(PointKind::Road, "G107 花桥检疫卡点", "G107 国道花桥镇入口")).await?;
    let market = points::create(db, &actor, &scope, &point(PointKind::Market, "花桥镇农贸市场", "花桥镇中心街")).await?;
    let expressway = points::create(db, &actor, &scope, &point(PointKind::Road, "衡南东收费站卡点", "京港澳高速衡南东收费站")).await?;
    points::close(db, &actor, &scope, expressway, "按省指挥部通知,撤除非湖北方向卡点").await?;
    for p in [road, market, expressway] {
        points::assign(db, &actor, &scope, p, "checkpoint").await?;
    }
    let staff_id: i64 = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select id from users where username = 'checkpoint'").fetch_one(pool).await)?;
    let staff = Actor { user_id: Some(staff_id), username: "checkpoint".into(), org_code: TOWN.into(), client_addr: None };
    let villages: Vec<String> =
        on_db!(db, pool => sqlx::query_scalar::<DB, String>("select code from org_units where parent_code = $1 and level = 'village' order by code limit 4").bind(TOWN).fetch_all(pool).await)?;
    let names = crate::org::names::UnitNames::default().get(db).await?;
    let now = crate::db::now_micros();
    let hour = 3_600_000_000_i64;
    let mut waiting = None;
    for back in (0..72).rev() {
        let at = now - back * hour + 7 * 60_000_000;
        if crate::clock::day_of_micros(at) < opened_on {
            continue;
        }
        let local = (at / hour + 8) % 24;
        if !(7..=21).contains(&local) {
            continue;
        }
        let n = back as usize;
        let destination = villages.get(n % villages.len().max(1)).cloned().unwrap_or_else(|| TOWN.into());
        for (i, point_id) in [road, market].into_iter().enumerate() {
            let fever = (n + i).is_multiple_of(17);
            let occupants: Vec<NewOccupant> = (0..if i == 0 { 1 + n % 3 } else { 1 })
                .map(|seat| NewOccupant { temperature: if fever && seat == 0 { "37.9".into() } else { format!("36.{}", (n + seat) % 8) }, ..Default::default() })
                .collect();
            let screening = NewScreening {
                point_id,
                plate: (i == 0).then(|| format!("湘D{:05}", 10_000 + n * 37 % 90_000)),
                vehicle_kind: (i == 0).then(|| "car".into()),
                origin: ORIGINS[n % ORIGINS.len()].into(),
                destination: destination.clone(),
                destination_address: None,
                screened_at: at,
                occupants,
                idempotency_key: None,
            };
            let recorded = screenings::record(db, &staff, &scope, &names, &screening).await.map_err(|e| anyhow::anyhow!("demo screening: {e:?}"))?;
            if fever {
                match waiting {
                    // The latest fever still waits for its second reading; the ones before were re-tested.
                    Some(earlier) => {
                        let second = if n.is_multiple_of(2) { "37.8" } else { "36.9" };
                        screenings::retest(db, &staff, &scope, earlier, second).await.map_err(|e| anyhow::anyhow!("demo re-test: {e:?}"))?;
                        waiting = Some(recorded.persons[0].id);
                    }
                    None => waiting = Some(recorded.persons[0].id),
                }
            }
        }
    }
    Ok(())
}
