//! Person search (人员查询): a name prefix, a resident ID number, the last four characters of an ID
//! or a mobile, a full mobile, or another document's number — always within the caller's scope,
//! newest first, paged by id.
//!
//! Each kind is read from an index shaped for it (migration 0024), in two steps: the ids of one
//! page, from the index alone (every search index ends with the unit and the id, and leaves merged
//! duplicates out), then those rows. A name prefix has three ways in, chosen by how many persons the
//! prefix and the scope hold, so a grid worker's search and the city's cost about the same; the
//! plans and the arithmetic are in `docs/architecture.md` ("Person search").

use super::view::{COLUMNS, PersonRow};
use crate::db::Db;
use crate::db::statement::IdQuery;
use crate::on_db;
use fangkong_rules::{Phone, ResidentId, Scope};

/// How a search text was understood; recorded in the audit row instead of the text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    All,
    /// A resident ID number (18 digits, or 15 for a legacy one), as its canonical key.
    IdNumber(String),
    /// A full mobile number.
    Phone(String),
    /// The last four characters of a document's number or of a mobile (`0700`, `123X`).
    LastFour(String),
    /// A name prefix; a text of letters and digits may also be another document's number.
    Name {
        prefix: String,
        document: Option<String>,
    },
}

impl Query {
    pub fn parse(q: &str, today: time::Date) -> Query {
        let q = q.trim();
        if q.is_empty() {
            return Query::All;
        }
        if let Ok(id) = ResidentId::parse(q, today) {
            return Query::IdNumber(id.canonical().to_string());
        }
        if let Ok(p) = Phone::parse(q) {
            return Query::Phone(p.as_str().to_string());
        }
        let text = fangkong_rules::normalize_width(q);
        let upper = text.to_ascii_uppercase();
        let b = upper.as_bytes();
        if b.len() == 4 && b[..3].iter().all(u8::is_ascii_digit) && (b[3].is_ascii_digit() || b[3] == b'X') {
            return Query::LastFour(upper);
        }
        let document = (upper.len() >= 4 && upper.bytes().all(|c| c.is_ascii_alphanumeric() || b"-()".contains(&c))).then_some(upper);
        Query::Name { prefix: text, document }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Query::All => "all",
            Query::IdNumber(_) => "id_number",
            Query::Phone(_) => "phone",
            Query::LastFour(_) => "last_four",
            Query::Name { .. } => "name",
        }
    }
}

/// One way into the persons table for one page of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The table from its newest row, testing each row: a wide scope, or a common name prefix.
    Walk,
    /// The scope's persons by unit and name (`persons_unit_name`), sorted: a narrow scope.
    ByUnit,
    /// The prefix's persons from the name index (`persons_name`), sorted: an uncommon prefix.
    ByName,
    /// One value of a column's own index.
    Exact(Key),
}

/// A column looked up by one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Document,
    Phone,
    IdTail,
    PhoneTail,
}

impl Key {
    fn column(self) -> &'static str {
        match self {
            Key::Document => "id_key",
            Key::Phone => "phone",
            Key::IdTail => "id_tail",
            Key::PhoneTail => "phone_tail",
        }
    }

    fn index(self) -> &'static str {
        match self {
            Key::Document => "indexed by persons_id_key",
            Key::Phone => "indexed by persons_phone",
            Key::IdTail => "indexed by persons_id_tail",
            Key::PhoneTail => "indexed by persons_phone_tail",
        }
    }
}

impl Path {
    /// SQLite has no statistics to choose an index by, so each path names its own; PostgreSQL's
    /// planner chooses from the same conditions.
    fn hint(self, db: &Db) -> &'static str {
        if !matches!(db, Db::Sqlite(_)) {
            return "";
        }
        match self {
            Path::Walk => "not indexed",
            Path::ByUnit => "indexed by persons_unit_name",
            Path::ByName => "indexed by persons_name",
            Path::Exact(key) => key.index(),
        }
    }

    /// The test of this path beyond scope, page and merge, on `$5` (and `$6`).
    fn condition(self, prefix: bool) -> String {
        match self {
            Path::Exact(key) => format!(" and {} = $5", key.column()),
            _ if prefix => " and name >= $5 and name < $6".to_string(),
            _ => String::new(),
        }
    }

    /// The statement reading one page of ids along this path: in scope (`$1`, `$2`), below `$3`,
    /// at most `$4`, newest first.
    fn sql(self, db: &Db, prefix: bool) -> String {
        format!("select id from persons {} where org_code >= $1 and org_code < $2 and id < $3 and merged_into is null{} order by id desc limit $4", self.hint(db), self.condition(prefix))
    }
}

/// When the name index holds at least this many persons under a prefix, the prefix counts as common.
pub const COMMON_PREFIX: i64 = 20_000;

/// Persons in scope matching `query`, newest first, with ids below `before` when paging.
pub async fn search(db: &Db, scope: &Scope, query: &Query, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<PersonRow>> {
    let before = before.unwrap_or(i64::MAX);
    let mut ids = Vec::new();
    for (path, values) in paths(db, scope, query, limit).await? {
        ids.extend(page_ids(db, scope, path, &values, before, limit).await?);
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(limit.max(0) as usize);
    rows(db, scope, &ids).await
}

/// The paths a query reads, each with the values of its condition.
async fn paths(db: &Db, scope: &Scope, query: &Query, limit: i64) -> sqlx::Result<Vec<(Path, Vec<String>)>> {
    Ok(match query {
        Query::All => {
            let walk = crate::counts::newest_first_walk(db, scope, crate::counts::PERSONS, "", limit).await?;
            vec![(if walk { Path::Walk } else { Path::ByUnit }, vec![])]
        }
        Query::IdNumber(key) => vec![(Path::Exact(Key::Document), vec![key.clone()])],
        Query::Phone(phone) => vec![(Path::Exact(Key::Phone), vec![phone.clone()])],
        Query::LastFour(tail) => vec![(Path::Exact(Key::IdTail), vec![tail.clone()]), (Path::Exact(Key::PhoneTail), vec![tail.clone()])],
        Query::Name { prefix, document } => {
            let range = vec![prefix.clone(), prefix_upper(prefix)];
            let mut paths = vec![(name_path(db, scope, &range, limit).await?, range)];
            paths.extend(document.iter().map(|key| (Path::Exact(Key::Document), vec![key.clone()])));
            paths
        }
    })
}

/// The way into a name prefix: its own index when it is uncommon; otherwise the scope's persons
/// when the scope is small, or the table from its newest row when the scope is wide enough that a
/// page of matches comes soon — `limit × all / matches` rows read, against `in_scope` rows.
pub async fn name_path(db: &Db, scope: &Scope, range: &[String], limit: i64) -> sqlx::Result<Path> {
    let hint = Path::ByName.hint(db);
    let sql = format!("select count(*) from (select 1 from persons {hint} where name >= $1 and name < $2 and merged_into is null limit $3) as p");
    let under_prefix: i64 = on_db!(db, pool => sqlx::query_scalar::<DB, i64>(sqlx::AssertSqlSafe(&*sql))
        .bind(&range[0]).bind(&range[1]).bind(COMMON_PREFIX).fetch_one(pool).await)?;
    if under_prefix < COMMON_PREFIX {
        return Ok(Path::ByName);
    }
    let Some(unit) = scope.unit() else { return Ok(Path::Walk) };
    let (in_scope, all) = crate::counts::in_unit_and_city(db, &unit, crate::counts::PERSONS, "").await?;
    Ok(if walk_for_prefix(in_scope, all, limit) { Path::Walk } else { Path::ByUnit })
}

/// Whether walking the table beats reading the scope for a common prefix: the walk reads about
/// `limit × all / matches` rows, and at least `COMMON_PREFIX × in_scope / all` persons of the
/// scope match, so it reads at most `limit × all² / (COMMON_PREFIX × in_scope)` rows.
pub fn walk_for_prefix(in_scope: i64, all: i64, limit: i64) -> bool {
    let (in_scope, all, limit) = (in_scope as i128, all as i128, limit.max(1) as i128);
    limit * all * all < COMMON_PREFIX as i128 * in_scope * in_scope
}

/// One page of ids along `path` with its condition's `values`; the search chooses the path (the tests
/// compare them).
pub async fn page_ids(db: &Db, scope: &Scope, path: Path, values: &[String], before: i64, limit: i64) -> sqlx::Result<Vec<i64>> {
    page_statement(db, scope, path, values, before, limit).ids(db).await
}

fn page_statement(db: &Db, scope: &Scope, path: Path, values: &[String], before: i64, limit: i64) -> IdQuery {
    let (low, high) = scope.bounds();
    let statement = IdQuery::new(path.sql(db, values.len() == 2)).bind(low).bind(high).bind(before).bind(limit);
    values.iter().fold(statement, |s, v| s.bind(v.as_str()))
}

/// The plans of the statements `search` runs for `query` (the benchmark prints them), each with its path.
pub async fn plans(db: &Db, scope: &Scope, query: &Query, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<(Path, String)>> {
    let mut plans = Vec::new();
    for (path, values) in paths(db, scope, query, limit).await? {
        plans.push((path, page_statement(db, scope, path, &values, before.unwrap_or(i64::MAX), limit).plan(db).await?));
    }
    Ok(plans)
}

/// The persons of one page, by id, newest first (still tested against the scope).
async fn rows(db: &Db, scope: &Scope, ids: &[i64]) -> sqlx::Result<Vec<PersonRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (low, high) = scope.bounds();
    let list = crate::db::id_list(ids);
    let sql = format!("select {COLUMNS} from persons where id in ({list}) and org_code >= $1 and org_code < $2 order by id desc");
    on_db!(db, pool => sqlx::query_as::<DB, PersonRow>(sqlx::AssertSqlSafe(&*sql)).bind(&low).bind(&high).fetch_all(pool).await)
}

/// The upper bound of a prefix range: the prefix with its last character raised by one.
fn prefix_upper(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    if let Some(last) = chars.pop() {
        chars.push(char::from_u32(last as u32 + 1).unwrap_or(char::MAX));
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: time::Date = time::macros::date!(2020 - 02 - 10);

    #[test]
    fn texts_are_read_as_the_kind_of_search_they_are() {
        assert_eq!(Query::parse(" ", TODAY), Query::All);
        assert_eq!(Query::parse("43048119900101123x", TODAY), Query::IdNumber("43048119900101123X".into()));
        assert_eq!(Query::parse("138 0000 1111", TODAY), Query::Phone("13800001111".into()));
        assert_eq!(Query::parse("123x", TODAY), Query::LastFour("123X".into()));
        assert_eq!(Query::parse("０７００", TODAY), Query::LastFour("0700".into()));
        assert_eq!(Query::parse("李", TODAY), Query::Name { prefix: "李".into(), document: None });
        assert_eq!(Query::parse("e1234567", TODAY), Query::Name { prefix: "e1234567".into(), document: Some("E1234567".into()) });
    }

    #[test]
    fn a_common_prefix_walks_a_wide_scope_and_reads_a_narrow_one() {
        let city = 7_000_000;
        assert!(walk_for_prefix(city, city, 21));
        assert!(walk_for_prefix(1_100_000, city, 21), "a county");
        assert!(!walk_for_prefix(37_000, city, 21), "a township");
        assert!(!walk_for_prefix(250, city, 21), "a grid");
    }

    #[test]
    fn a_prefix_range_ends_after_every_name_it_begins() {
        assert_eq!(prefix_upper("李"), "杏");
        assert!(prefix_upper("李四").as_str() > "李四五");
    }
}
