//! Generates the synthetic part of the demo city: villages, communities, grids, households and
//! persons under Hengyang's real townships.

use super::names::*;
use super::random::Rng;
use crate::org::OrgUnit;
use crate::people::{IdType, ValidPerson};
use fangkong_rules::resident_id::check_char;
use fangkong_rules::{OrgCode, Sex};
use std::collections::{HashMap, HashSet};
use time::{Date, Duration};

/// Hengyang's largest minorities, for the demo's few non-Han residents.
const MINORITIES: [&str; 4] = ["瑶族", "土家族", "苗族", "侗族"];

pub struct Household {
    pub org_code: String,
    pub address: String,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

pub struct City {
    pub units: Vec<OrgUnit>,
    pub households: Vec<Household>,
    /// Persons as registered; `household_id` is the index of their household in `households`.
    pub persons: Vec<ValidPerson>,
}

/// Resident population by county-level unit: the 7th-census figures where known (RULES §6.2), the
/// middle of the published band otherwise.
fn population(unit: &OrgUnit) -> i64 {
    unit.population.unwrap_or(match unit.code.as_str() {
        "430405" | "430408" => 400_000,
        "430406" | "430407" => 200_000,
        "430412" => 60_000,
        "430421" => 890_000,
        "430482" => 800_000,
        _ => 30_000,
    })
}

fn unit(code: String, parent: &str, name: String, level: &str, kind: &str) -> OrgUnit {
    OrgUnit { code, parent_code: Some(parent.to_string()), name, level: level.into(), kind: Some(kind.into()), population: None }
}

/// Villages and communities under one township, and 2–4 grids under each.
fn villages_and_grids(rng: &mut Rng, township: &OrgUnit, out: &mut Vec<OrgUnit>) {
    let (communities, villages) = match township.kind.as_deref() {
        Some("street") => (rng.range(4, 7), 0),
        Some("town") => (rng.range(1, 2), rng.range(5, 9)),
        Some("township") => (0, rng.range(4, 8)),
        _ => (1, 0),
    };
    let mut used = HashSet::new();
    let mut add = |rng: &mut Rng, suffix: u64, words: &[&str], ending: &str, kind: &str, out: &mut Vec<OrgUnit>| {
        let mut name = format!("{}{ending}", rng.pick(words));
        while !used.insert(name.clone()) {
            name = format!("{}{}{ending}", rng.pick(words), rng.pick(&GRID_NUMBERS));
        }
        let code = format!("{}{suffix:03}", township.code);
        out.push(unit(code.clone(), &township.code, name, "village", kind));
        for g in 1..=rng.range(2, 4) {
            let grid_name = format!("第{}网格", GRID_NUMBERS[(g - 1) as usize]);
            out.push(unit(format!("{code}{g:03}"), &code, grid_name, "grid", "grid"));
        }
    };
    for i in 1..=communities {
        add(rng, i, &COMMUNITIES, "社区", "community", out);
    }
    for i in 0..villages {
        add(rng, 200 + i, &VILLAGES, "村", "village", out);
    }
}

fn household_address(rng: &mut Rng, village: &OrgUnit, township: &str) -> (String, Option<String>, Option<String>, Option<String>) {
    if village.kind.as_deref() == Some("community") {
        let estate = rng.pick(&ESTATES);
        let room = format!("{}{:02}", rng.range(1, 18), rng.range(1, 4));
        (format!("{township}{}{estate}", village.name), Some(rng.range(1, 12).to_string()), Some(rng.range(1, 3).to_string()), Some(room))
    } else {
        (format!("{township}{}{}组{}号", village.name, rng.range(1, 12), rng.range(1, 80)), None, None, None)
    }
}

struct Identities {
    used_ids: HashSet<String>,
    used_phones: HashSet<String>,
}

impl Identities {
    fn resident_id(&mut self, rng: &mut Rng, area: &str, birth: Date, male: bool) -> String {
        loop {
            let seq = rng.range(0, 499) * 2 + u64::from(male);
            let first17 = format!("{area}{:04}{:02}{:02}{seq:03}", birth.year(), birth.month() as u8, birth.day());
            let id = format!("{first17}{}", check_char(first17.as_bytes()));
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn phone(&mut self, rng: &mut Rng) -> String {
        loop {
            let phone = format!("{}{:08}", rng.pick(&PHONE_PREFIXES), rng.range(0, 99_999_999));
            if self.used_phones.insert(phone.clone()) {
                return phone;
            }
        }
    }
}

fn name(rng: &mut Rng) -> String {
    let given = if rng.chance(70) { format!("{}{}", rng.pick(&GIVEN), rng.pick(&GIVEN)) } else { rng.pick(&GIVEN).to_string() };
    format!("{}{given}", rng.pick(&SURNAMES))
}

/// Builds the city: `people` persons spread over the counties by population, in households of 1–5
/// numbered from `first_household_id`.
pub fn generate(people: usize, seed: u64, today: Date) -> City {
    let mut rng = Rng::new(seed);
    let reference = crate::org::reference::units();
    let mut units = Vec::new();
    for township in reference.iter().filter(|u| u.level == "township") {
        villages_and_grids(&mut rng, township, &mut units);
    }
    let names: HashMap<&str, &str> = reference.iter().map(|u| (u.code.as_str(), u.name.as_str())).collect();
    let counties: Vec<&OrgUnit> = reference.iter().filter(|u| u.level == "county").collect();
    let real_counties: Vec<&str> = counties.iter().filter(|c| c.kind.as_deref() != Some("statistical_zone")).map(|c| c.code.as_str()).collect();
    let total: i64 = counties.iter().map(|c| population(c)).sum();
    let mut ids = Identities { used_ids: HashSet::new(), used_phones: HashSet::new() };
    let (mut households, mut persons) = (Vec::new(), Vec::with_capacity(people));
    let mut shares: Vec<usize> = counties.iter().map(|c| (people as i64 * population(c) / total) as usize).collect();
    // Rounding leaves a few persons over; the most populous county takes them.
    let largest = (0..counties.len()).max_by_key(|&i| population(counties[i])).unwrap_or(0);
    shares[largest] += people - shares.iter().sum::<usize>();
    for (county, &share) in counties.iter().zip(&shares) {
        let grids: Vec<&OrgUnit> = units.iter().filter(|u| u.level == "grid" && u.code.starts_with(&county.code)).collect();
        let villages: HashMap<&str, &OrgUnit> = units.iter().filter(|u| u.level == "village").map(|u| (u.code.as_str(), u)).collect();
        let mut placed = 0;
        while placed < share {
            let grid = *rng.pick(&grids);
            let village = villages[&grid.code[..12]];
            let (address, building, unit_no, room) = household_address(&mut rng, village, names[&grid.code[..9]]);
            let index = households.len() as i64;
            let size = [1, 2, 2, 3, 3, 3, 4, 4, 5, 2][rng.range(0, 9) as usize].min(share - placed);
            let surname_pick = name(&mut rng);
            for member in 0..size {
                // Most people carry an ID issued in their own county; statistical zones have none of their own.
                let area = if county.kind.as_deref() == Some("statistical_zone") || rng.chance(15) { *rng.pick(&real_counties) } else { county.code.as_str() };
                let age_days = if member == 0 { rng.range(20 * 365, 85 * 365) } else { rng.range(0, 90 * 365) };
                let birth = today - Duration::days(age_days as i64);
                let male = rng.chance(51);
                let mut full_name = name(&mut rng);
                if member > 0 && rng.chance(60) {
                    // Children usually share the head of household's surname.
                    full_name = format!("{}{}", surname_pick.chars().next().unwrap_or('王'), full_name.chars().skip(1).collect::<String>());
                }
                let id_number = ids.resident_id(&mut rng, area, birth, male);
                persons.push(ValidPerson {
                    name: full_name,
                    id_type: IdType::ResidentId,
                    id_key: id_number.clone(),
                    id_number,
                    id_legacy: false,
                    sex: Some(if male { Sex::Male } else { Sex::Female }),
                    birth_date: Some(birth),
                    phone: (age_days > 12 * 365 && rng.chance(90)).then(|| ids.phone(&mut rng)),
                    ethnicity: Some(if rng.chance(97) { "汉族" } else { MINORITIES[rng.range(0, MINORITIES.len() as u64 - 1) as usize] }),
                    org_code: OrgCode::parse(&grid.code).expect("generated grid codes are valid"),
                    household_id: Some(index),
                    current_address: Some(address.clone()),
                    hukou_code: Some(area.to_string()),
                    work_unit: None,
                    warnings: Vec::new(),
                });
            }
            households.push(Household { org_code: grid.code.clone(), address, building, unit: unit_no, room });
            placed += size;
        }
    }
    City { units, households, persons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fangkong_rules::ResidentId;
    use time::macros::date;

    #[test]
    fn every_township_gets_villages_and_every_village_grids() {
        let city = generate(2_000, 1, date!(2020 - 02 - 04));
        let townships: HashSet<String> = city.units.iter().filter(|u| u.level == "village").map(|u| u.code[..9].to_string()).collect();
        assert_eq!(townships.len(), 191);
        for v in city.units.iter().filter(|u| u.level == "village") {
            assert!(city.units.iter().any(|g| g.parent_code.as_deref() == Some(&v.code)), "{} has no grid", v.code);
        }
    }

    #[test]
    fn persons_are_spread_by_population_with_valid_hengyang_ids() {
        let today = date!(2020 - 02 - 04);
        let city = generate(10_000, 1, today);
        assert_eq!(city.persons.len(), 10_000);
        let leiyang = city.persons.iter().filter(|p| p.org_code.as_str().starts_with("430481")).count();
        let nanyue = city.persons.iter().filter(|p| p.org_code.as_str().starts_with("430412")).count();
        assert!(leiyang > 10 * nanyue, "Leiyang {leiyang} vs Nanyue {nanyue}");
        for p in &city.persons {
            let id = ResidentId::parse(&p.id_number, today).unwrap();
            assert!(id.area_code().starts_with("4304"));
            assert_eq!(Some(id.sex()), p.sex);
            assert_eq!(Some(id.birth_date()), p.birth_date);
            assert!(p.household_id.is_some_and(|h| (h as usize) < city.households.len()), "a person lives in a generated household");
        }
        let unique: HashSet<&str> = city.persons.iter().map(|p| p.id_number.as_str()).collect();
        assert_eq!(unique.len(), city.persons.len());
    }
}
