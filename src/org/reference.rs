//! Hengyang's real divisions (NBS 2019 edition, in force in February 2020), embedded in the binary:
//! the city, its 12 county-level divisions and 3 statistical zones, and their 191 township-level units.

use super::OrgUnit;

const COUNTIES: &str = include_str!("../../data/hengyang_counties.csv");
const ZONES: &str = include_str!("../../data/hengyang_statistical_zones.csv");
const TOWNSHIPS: &str = include_str!("../../data/hengyang_townships_2019.csv");

pub const CITY_CODE: &str = "430400";

fn rows(csv: &str) -> impl Iterator<Item = Vec<&str>> {
    csv.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split(',').map(|f| f.trim().trim_matches('"')).collect())
}

/// The kind of a township-level unit from its 3-digit suffix: 001–099 street, 100–199 town,
/// 200–399 township, 400+ farm, park or other special unit.
pub fn township_kind(code: &str) -> &'static str {
    match code[6..9].parse::<u32>().unwrap_or(0) {
        1..=99 => "street",
        100..=199 => "town",
        200..=399 => "township",
        _ => "farm_or_park",
    }
}

/// Every reference unit, parents before children.
pub fn units() -> Vec<OrgUnit> {
    let mut units = vec![OrgUnit { code: CITY_CODE.into(), parent_code: None, name: "衡阳市".into(), level: "city".into(), kind: Some("city".into()), population: Some(6_645_243) }];
    for row in rows(COUNTIES).chain(rows(ZONES)) {
        units.push(OrgUnit {
            code: row[0].into(),
            parent_code: Some(CITY_CODE.into()),
            name: row[1].into(),
            level: "county".into(),
            kind: Some(row[2].replace(' ', "_").replace("county-level_city", "county_city")),
            population: row.get(3).and_then(|p| p.parse().ok()),
        });
    }
    for row in rows(TOWNSHIPS) {
        units.push(OrgUnit { code: row[0].into(), parent_code: Some(row[2].into()), name: row[1].into(), level: "township".into(), kind: Some(township_kind(row[0]).into()), population: None });
    }
    units.push(OrgUnit {
        code: SANITATION_CENTRE.into(),
        parent_code: Some(CITY_CODE.into()),
        name: "衡阳市环境卫生事务中心".into(),
        level: "department".into(),
        kind: Some("department".into()),
        population: None,
    });
    units
}

/// The city's environmental sanitation centre (市环境卫生事务中心), a department of the city: its
/// inspection group's scope is the city, of which the sanitation records are in the scheme's
/// districts only.
pub const SANITATION_CENTRE: &str = "430400901";

/// Whether a 6-digit code is one of Hengyang's current county-level divisions.
pub fn is_known_county(code: &str) -> bool {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| rows(COUNTIES).map(|row| row[0].to_string()).collect()).iter().any(|c| c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_holds_the_city_its_counties_and_191_townships() {
        let units = units();
        assert_eq!(units.iter().filter(|u| u.level == "county").count(), 15);
        assert_eq!(units.iter().filter(|u| u.level == "county" && u.kind.as_deref() != Some("statistical_zone")).count(), 12);
        assert_eq!(units.iter().filter(|u| u.level == "township").count(), 191);
        let caiziqi = units.iter().find(|u| u.code == "430481001").unwrap();
        assert_eq!(caiziqi.name, "蔡子池街道");
        assert_eq!(caiziqi.parent_code.as_deref(), Some("430481"));
        let huaqiao = units.iter().find(|u| u.code == "430422107").unwrap();
        assert_eq!((huaqiao.name.as_str(), huaqiao.kind.as_deref()), ("花桥镇", Some("town")));
    }

    #[test]
    fn every_parent_precedes_its_children() {
        let units = units();
        for (i, u) in units.iter().enumerate() {
            if let Some(p) = &u.parent_code {
                assert!(units[..i].iter().any(|x| &x.code == p), "{} before its parent", u.code);
            }
        }
    }
}
