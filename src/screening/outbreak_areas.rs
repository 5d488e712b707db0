//! The areas listed as outbreak areas (疫区名单), as dated data in `outbreak_areas`: which division
//! codes they cover, which names people write for them, the ledger category of a person who comes
//! from one, and the days they are listed. The ledger import files a row by it; the checkpoint and
//! workplace modules read the same list. Areas are added and ended with `fangkong outbreak-areas`,
//! never deleted, so a record keeps meaning what it meant on its day.

use super::Category;
use crate::db::Db;
use crate::on_db;
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutbreakArea {
    pub id: i64,
    /// GB/T 2260 division-code prefix: 2 digits a province, 4 a prefecture, 6 a county.
    pub prefix: String,
    pub name: String,
    pub name_en: String,
    /// Comma-separated other names people write for it in a free-text origin.
    pub aliases: String,
    pub category: String,
    pub listed_from: Date,
    /// The first day it is no longer listed; `None` while it still is.
    pub listed_until: Option<Date>,
    pub source: String,
}

impl OutbreakArea {
    pub fn listed_on(&self, day: Date) -> bool {
        self.listed_from <= day && self.listed_until.is_none_or(|until| day < until)
    }

    /// Whether a six-digit division code lies in the area.
    pub fn covers_code(&self, code: &str) -> bool {
        code.starts_with(&self.prefix)
    }

    /// Whether a free-text place names the area (its name or an alias appears in it).
    pub fn named_in(&self, place: &str) -> bool {
        std::iter::once(self.name.as_str()).chain(self.aliases.split(',')).map(str::trim).filter(|n| !n.is_empty()).any(|n| place.contains(n))
    }

    /// The ledger category of a person from the area.
    pub fn ledger_category(&self) -> Category {
        Category::parse(&self.category).unwrap_or(Category::HighRiskReturnee)
    }

    /// The area's own division code: its prefix padded to six digits ("4201" → "420100").
    pub fn division_code(&self) -> String {
        format!("{:0<6}", self.prefix)
    }
}

/// Every area ever listed, in the order they were added.
#[derive(Debug, Clone, Default)]
pub struct OutbreakAreas(pub Vec<OutbreakArea>);

impl OutbreakAreas {
    pub async fn load(db: &Db) -> sqlx::Result<OutbreakAreas> {
        let rows = on_db!(db, pool => sqlx::query_as::<DB, OutbreakArea>(
            "select id, prefix, name, name_en, aliases, category, listed_from, listed_until, source from outbreak_areas order by id")
            .fetch_all(pool).await)?;
        Ok(OutbreakAreas(rows))
    }

    /// The areas listed on `day`.
    pub fn listed_on(&self, day: Date) -> impl Iterator<Item = &OutbreakArea> {
        self.0.iter().filter(move |a| a.listed_on(day))
    }

    /// The most specific area listed on `day` that an origin lies in: by its division code when it
    /// has one, otherwise by the names in its free text.
    pub fn area_of(&self, code: Option<&str>, place: Option<&str>, day: Date) -> Option<&OutbreakArea> {
        self.listed_on(day)
            .filter(|a| match (code, place) {
                (Some(code), _) => a.covers_code(code),
                (None, Some(place)) => a.named_in(place),
                (None, None) => false,
            })
            .max_by_key(|a| a.prefix.len())
    }
}

/// An area to list from a day on.
pub struct NewArea<'a> {
    pub prefix: &'a str,
    pub name: &'a str,
    pub name_en: &'a str,
    pub aliases: &'a str,
    pub category: Category,
    pub listed_from: Date,
    pub source: &'a str,
}

/// Lists an area; refuses a prefix that is not 2, 4 or 6 digits.
pub async fn add(db: &Db, area: NewArea<'_>) -> anyhow::Result<i64> {
    let p = area.prefix;
    anyhow::ensure!(matches!(p.len(), 2 | 4 | 6) && p.bytes().all(|b| b.is_ascii_digit()), "prefix must be 2, 4 or 6 digits of a division code");
    anyhow::ensure!(!area.name.trim().is_empty(), "the area needs a name");
    let id = on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
        "insert into outbreak_areas (prefix, name, name_en, aliases, category, listed_from, source) values ($1, $2, $3, $4, $5, $6, $7) returning id")
        .bind(p).bind(area.name.trim()).bind(area.name_en.trim()).bind(area.aliases).bind(area.category.as_str()).bind(area.listed_from).bind(area.source)
        .fetch_one(pool).await)?;
    Ok(id)
}

/// Ends an area's listing: from `day` on it is no longer an outbreak area.
pub async fn end(db: &Db, id: i64, day: Date) -> anyhow::Result<()> {
    let changed = on_db!(db, pool => sqlx::query::<DB>("update outbreak_areas set listed_until = $1 where id = $2 and listed_from <= $1 and listed_until is null")
        .bind(day).bind(id).execute(pool).await.map(|done| done.rows_affected()))?;
    anyhow::ensure!(changed == 1, "no area {id} listed before {day} and not yet ended");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn area(prefix: &str, name: &str, aliases: &str, category: &str, from: Date, until: Option<Date>) -> OutbreakArea {
        OutbreakArea {
            id: 0,
            prefix: prefix.into(),
            name: name.into(),
            name_en: String::new(),
            aliases: aliases.into(),
            category: category.into(),
            listed_from: from,
            listed_until: until,
            source: String::new(),
        }
    }

    #[test]
    fn the_most_specific_listed_area_files_an_origin_by_code_or_by_name() {
        let areas = OutbreakAreas(vec![
            area("4201", "湖北省武汉市", "武汉市,武汉", "wuhan_returnee", date!(2019 - 12 - 01), None),
            area("42", "湖北省", "湖北省,湖北", "hubei_returnee", date!(2020 - 01 - 23), None),
            area("3303", "浙江省温州市", "温州", "high_risk_returnee", date!(2020 - 02 - 02), Some(date!(2020 - 03 - 01))),
        ]);
        let day = date!(2020 - 02 - 10);
        assert_eq!(areas.area_of(Some("420102"), None, day).map(OutbreakArea::ledger_category), Some(Category::WuhanReturnee));
        assert_eq!(areas.area_of(Some("420500"), None, day).map(OutbreakArea::ledger_category), Some(Category::HubeiReturnee));
        assert_eq!(areas.area_of(None, Some("湖北省武汉市江岸区"), day).map(OutbreakArea::ledger_category), Some(Category::WuhanReturnee));
        assert_eq!(areas.area_of(None, Some("湖北宜昌"), day).map(OutbreakArea::ledger_category), Some(Category::HubeiReturnee));
        assert_eq!(areas.area_of(None, Some("长沙市"), day), None);
        // Before Hubei was listed, Yichang was not an outbreak area; after Wenzhou was ended, neither is it.
        assert_eq!(areas.area_of(Some("420500"), None, date!(2020 - 01 - 15)), None);
        assert_eq!(areas.area_of(None, Some("温州"), date!(2020 - 03 - 05)), None);
        assert_eq!(areas.area_of(None, Some("温州"), day).map(OutbreakArea::division_code), Some("330300".to_string()));
    }
}
