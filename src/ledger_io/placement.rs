//! Where an imported row lands below the unit it was imported into, so that it is on a grid
//! worker's ledger rather than on the community's: the grid its 所属网格 cell names (a grid of the
//! target, by its name, the end of its name or its code), or else the household whose address its
//! 现住址 cell gives exactly (and that household's grid). A row placed neither way stays on the
//! target unit and is reported as unassigned, for the township to place.

use crate::org::{Household, folded_address as folded};
use fangkong_rules::{OrgCode, OrgLevel, Scope};
use std::collections::HashMap;

/// Most households read to match addresses (a community has a few thousand).
pub const MOST_HOUSEHOLDS: i64 = 50_000;

/// The target's grids and households, to place rows among.
pub struct Places {
    target: OrgCode,
    /// The name of the village or community the grids are in ("金南社区").
    village: String,
    /// Grid code → its name as stored: its own ("第一网格") or its full one ("金南社区第一网格"). A
    /// grid target is its own one grid, so that a row naming another grid is refused.
    grids: Vec<(String, String)>,
    /// Address as compared → the one household with it; `None` when several share it.
    by_address: HashMap<String, Option<(i64, String)>>,
}

impl Places {
    /// Reads the grids and households below `target` (a grid has neither: its rows stay on it).
    pub async fn load(db: &crate::db::Db, target: &OrgCode) -> sqlx::Result<Places> {
        let scope = Scope::of(target);
        let village_code = if target.level() == OrgLevel::Grid { target.parent().unwrap_or_else(|| target.clone()) } else { target.clone() };
        let name_of = async |code: &OrgCode| crate::org::store::get(db, &Scope::of(code), code).await.map(|u| u.map(|u| u.name).unwrap_or_default());
        let village = name_of(&village_code).await?;
        let grids = if target.level() == OrgLevel::Village {
            crate::org::store::children(db, &scope, target).await?.into_iter().map(|u| (u.code, u.name)).collect()
        } else {
            vec![(target.to_string(), name_of(target).await?)]
        };
        let mut places = Places { target: target.clone(), village, grids, by_address: HashMap::new() };
        let households = crate::org::store::households(db, &scope, target, 0, MOST_HOUSEHOLDS).await?;
        for h in &households {
            places.add_household(h);
        }
        Ok(places)
    }

    fn add_household(&mut self, h: &Household) {
        let zh = crate::web::i18n::Lang::Zh;
        for key in [folded(&h.label(&zh)), folded(&h.address)] {
            self.by_address.entry(key).and_modify(|one| *one = one.take().filter(|(id, _)| *id == h.id)).or_insert(Some((h.id, h.org_code.clone())));
        }
    }

    /// The unit and household a row goes to, from its grid and address cells; a grid cell that
    /// names no grid of the target is the row's error.
    pub fn place(&self, grid: Option<&str>, address: Option<&str>) -> Result<(OrgCode, Option<i64>), String> {
        let household = address.and_then(|a| self.by_address.get(&folded(a)).cloned().flatten());
        let grid = match grid.map(str::trim).filter(|g| !g.is_empty()) {
            None => None,
            Some(g) => Some(self.grid_named(g)?),
        };
        let unit = match (&grid, &household) {
            (Some(code), _) => code.clone(),
            (None, Some((_, code))) => code.clone(),
            (None, None) => self.target.to_string(),
        };
        // A household on another grid than the one named is not this row's.
        let household = household.filter(|(_, code)| *code == unit).map(|(id, _)| id);
        let unit = OrgCode::parse(&unit).map_err(|_| "网格代码无效".to_string())?;
        Ok((unit, household))
    }

    fn grid_named(&self, text: &str) -> Result<String, String> {
        let text = fangkong_rules::normalize_width(text);
        let text = text.trim();
        let found: Vec<&String> = self.grids.iter().filter(|(code, name)| code == text || self.names_of(name).iter().any(|n| n == text)).map(|(code, _)| code).collect();
        match found.as_slice() {
            [code] => Ok((*code).clone()),
            [] if self.grids.is_empty() => Err("导入的村(社区)下还没有网格,请先建立网格,或删去所属网格一列".into()),
            [] if self.target.level() == OrgLevel::Grid => {
                let [_, full] = self.names_of(&self.grids[0].1);
                Err(format!("本表导入到{full},该行却属“{text}”:请把这一行导入到它的网格或所在村(社区)"))
            }
            [] => Err(format!("{}没有名为“{text}”的网格,可填:{}", self.village, self.grids.iter().map(|(_, n)| self.short(n)).collect::<Vec<_>>().join("、"))),
            _ => Err(format!("有多个网格名为“{text}”,请填写网格代码")),
        }
    }

    /// A grid's name without its village's ("金南社区第一网格" → "第一网格").
    fn short<'a>(&self, name: &'a str) -> &'a str {
        name.strip_prefix(self.village.as_str()).filter(|n| !n.is_empty() && !self.village.is_empty()).unwrap_or(name)
    }

    /// The names a row may give a grid by: its own, and with its village's in front. A name ending
    /// the same way but starting with another village's ("五一社区第一网格") is not this grid.
    fn names_of(&self, name: &str) -> [String; 2] {
        let short = self.short(name);
        [short.to_string(), format!("{}{short}", self.village)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        let mut p = Places {
            target: OrgCode::parse("430481001001").unwrap(),
            village: "金南社区".into(),
            grids: vec![("430481001001001".into(), "金南社区第一网格".into()), ("430481001001002".into(), "第二网格".into())],
            by_address: HashMap::new(),
        };
        let house = |id, grid: &str, room: &str| Household { id, org_code: grid.into(), address: "南城一品".into(), building: Some("3".into()), unit: None, room: Some(room.into()) };
        p.add_household(&house(7, "430481001001002", "501"));
        p.add_household(&house(8, "430481001001002", "502"));
        p
    }

    #[test]
    fn a_row_goes_to_the_grid_it_names_or_to_its_households_grid_or_stays_unassigned() {
        let p = places();
        assert_eq!(p.place(Some("第一网格"), None).unwrap(), (OrgCode::parse("430481001001001").unwrap(), None));
        assert_eq!(p.place(Some("金南社区第一网格"), None).unwrap().0.as_str(), "430481001001001", "the grid's full name works");
        assert_eq!(p.place(None, Some("南城一品 3栋 501室")).unwrap(), (OrgCode::parse("430481001001002").unwrap(), Some(7)));
        assert_eq!(p.place(None, Some("南城一品3栋502室")).unwrap(), (OrgCode::parse("430481001001002").unwrap(), Some(8)));
        assert_eq!(p.place(None, Some("南城一品")).unwrap(), (OrgCode::parse("430481001001").unwrap(), None), "an address two households share places nobody");
        assert_eq!(p.place(Some("第一网格"), Some("南城一品3栋501室")).unwrap(), (OrgCode::parse("430481001001001").unwrap(), None), "the grid named wins over a household elsewhere");
        assert!(p.place(Some("第九网格"), None).unwrap_err().contains("金南社区没有名为“第九网格”的网格,可填:第一网格、第二网格"));
        assert!(p.place(Some("五一社区第一网格"), None).is_err(), "another community's grid of the same number is not this one");
        assert_eq!(p.place(Some("金南社区第二网格"), None).unwrap().0.as_str(), "430481001001002");
    }

    #[test]
    fn a_sheet_imported_into_a_grid_refuses_a_row_of_another_grid() {
        let p =
            Places {
                target: OrgCode::parse("430481001001001").unwrap(), village: "金南社区".into(), grids: vec![("430481001001001".into(), "金南社区第一网格".into())], by_address: HashMap::new()
            };
        assert_eq!(p.place(Some("第一网格"), None).unwrap().0.as_str(), "430481001001001");
        assert_eq!(p.place(None, None).unwrap().0.as_str(), "430481001001001");
        assert!(p.place(Some("第二网格"), None).unwrap_err().starts_with("本表导入到金南社区第一网格,该行却属“第二网格”"));
    }
}
