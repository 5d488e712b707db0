//! Storage of org units and households. Reads take the caller's scope; a unit outside it does not exist.

use super::{Household, OrgUnit, reference};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, OrgLevel, Scope};

const UNIT_COLUMNS: &str = "code, parent_code, name, level, kind, population";
const HOUSEHOLD_COLUMNS: &str = "id, org_code, address, building, unit, room";

/// Inserts the reference tree (city, counties, townships); units already present are left alone.
pub async fn seed_reference(db: &Db) -> sqlx::Result<()> {
    let units = reference::units();
    let now = now_micros();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        for u in &units {
            sqlx::query::<DB>(
                "insert into org_units (code, parent_code, name, level, kind, population, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7) on conflict (code) do nothing")
                .bind(&u.code).bind(&u.parent_code).bind(&u.name).bind(&u.level).bind(&u.kind).bind(u.population).bind(now)
                .execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

pub async fn get(db: &Db, scope: &Scope, code: &OrgCode) -> sqlx::Result<Option<OrgUnit>> {
    if !scope.allows(code.as_str()) {
        return Ok(None);
    }
    let sql = format!("select {UNIT_COLUMNS} from org_units where code = $1");
    on_db!(db, pool => sqlx::query_as::<DB, OrgUnit>(sqlx::AssertSqlSafe(&*sql)).bind(code.as_str()).fetch_optional(pool).await)
}

/// The children of `parent` that lie in `scope`: the units of the tree, not the city's departments
/// (which own no records and are no unit of a roll-up or a cascade).
pub async fn children(db: &Db, scope: &Scope, parent: &OrgCode) -> sqlx::Result<Vec<OrgUnit>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {UNIT_COLUMNS} from org_units where parent_code = $1 and code >= $2 and code < $3 and level <> 'department' order by code");
    on_db!(db, pool => sqlx::query_as::<DB, OrgUnit>(sqlx::AssertSqlSafe(&*sql)).bind(parent.as_str()).bind(low).bind(high).fetch_all(pool).await)
}

/// The names of the units among `codes` (unit names are public: labels only).
pub async fn names_of(db: &Db, codes: &[String]) -> sqlx::Result<std::collections::HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!("select code, name from org_units where code in ({})", crate::db::placeholders(codes.len()));
    let rows: Vec<(String, String)> = on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (String, String)>(sqlx::AssertSqlSafe(&*sql));
        for code in codes {
            q = q.bind(code);
        }
        q.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().collect())
}

/// The unit and its ancestors up to the city, root first: unit names are public, this serves
/// breadcrumbs and labels only.
pub async fn path(db: &Db, code: &OrgCode) -> sqlx::Result<Vec<OrgUnit>> {
    let mut codes = vec![code.clone()];
    while let Some(parent) = codes.last().and_then(OrgCode::parent) {
        codes.push(parent);
    }
    let mut units = Vec::new();
    let sql = format!("select {UNIT_COLUMNS} from org_units where code = $1");
    for c in codes.iter().rev() {
        let unit: Option<OrgUnit> = on_db!(db, pool => sqlx::query_as::<DB, OrgUnit>(sqlx::AssertSqlSafe(&*sql)).bind(c.as_str()).fetch_optional(pool).await)?;
        units.extend(unit);
    }
    Ok(units)
}

/// What kind of unit to add below a township (community or village) or a village (grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChildKind {
    Community,
    Village,
    Grid,
}

impl ChildKind {
    pub fn parse(s: &str) -> Option<ChildKind> {
        match s {
            "community" => Some(ChildKind::Community),
            "village" => Some(ChildKind::Village),
            "grid" => Some(ChildKind::Grid),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            ChildKind::Community => "community",
            ChildKind::Village => "village",
            ChildKind::Grid => "grid",
        }
    }
    /// Suffix ranges: residents' committees 001–199, villagers' committees 200–399, grids 001–999.
    fn suffix_range(self) -> (u32, u32) {
        match self {
            ChildKind::Community => (1, 199),
            ChildKind::Village => (200, 399),
            ChildKind::Grid => (1, 999),
        }
    }
    fn parent_level(self) -> OrgLevel {
        match self {
            ChildKind::Community | ChildKind::Village => OrgLevel::Township,
            ChildKind::Grid => OrgLevel::Village,
        }
    }
}

/// Adds a village/community below a township or a grid below a village, numbering it with the next
/// free code of its kind.
pub async fn create_child(db: &Db, actor: &Actor, scope: &Scope, parent: &OrgCode, kind: ChildKind, name: &str) -> AppResult<OrgUnit> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", "name_length", "名称不能为空,且不超过 60 个字"));
    }
    get(db, scope, parent).await?.ok_or(AppError::NotFound)?;
    if parent.level() != kind.parent_level() {
        return Err(AppError::invalid("kind", "kind_level", "社区/村只能建在乡镇(街道)下,网格只能建在村(社区)下"));
    }
    let (first, last) = kind.suffix_range();
    let low = format!("{parent}{first:03}");
    let high = format!("{parent}{last:03}");
    let max: Option<String> = on_db!(db, pool => sqlx::query_scalar::<DB, Option<String>>(
        "select max(code) from org_units where parent_code = $1 and code >= $2 and code <= $3")
        .bind(parent.as_str()).bind(&low).bind(&high).fetch_one(pool).await)?;
    let next = match max {
        Some(code) => code[code.len() - 3..].parse::<u32>().unwrap_or(first) + 1,
        None => first,
    };
    if next > last {
        return Err(AppError::invalid("kind", "codes_exhausted", "该类单位编号已用完"));
    }
    let unit = OrgUnit {
        code: format!("{parent}{next:03}"),
        parent_code: Some(parent.to_string()),
        name: name.to_string(),
        level: parent.level().child().expect("township and village have children").as_str().into(),
        kind: Some(kind.as_str().into()),
        population: None,
    };
    let result: sqlx::Result<()> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>(
            "insert into org_units (code, parent_code, name, level, kind, population, created_at) values ($1, $2, $3, $4, $5, null, $6)")
            .bind(&unit.code).bind(&unit.parent_code).bind(&unit.name).bind(&unit.level).bind(&unit.kind).bind(now_micros())
            .execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "org.create", record_type: "org_unit", record_id: Some(unit.code.clone()), org_code: unit.code.clone(), detail: None,
        }).await?;
        tx.commit().await
    }.await);
    match result {
        Ok(()) => Ok(unit),
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "编号冲突(另一人同时新建了单位),请重试".into(), existing_id: None }),
        Err(e) => Err(e.into()),
    }
}

pub struct NewHousehold {
    pub org_code: OrgCode,
    pub address: String,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

pub async fn create_household(db: &Db, actor: &Actor, scope: &Scope, new: NewHousehold) -> AppResult<Household> {
    let address = new.address.trim().to_string();
    if address.is_empty() || address.chars().count() > 200 {
        return Err(AppError::invalid("address", "address_length", "请填写地址(不超过 200 字)"));
    }
    if new.org_code.level() < OrgLevel::Village {
        return Err(AppError::invalid("org_code", "org_level", "住户应登记在村(社区)或网格下"));
    }
    get(db, scope, &new.org_code).await?.ok_or_else(|| AppError::invalid("org_code", "org_unknown", "该单位不存在或不在您的管辖范围内"))?;
    let clean = |s: Option<String>| s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (building, unit, room) = (clean(new.building), clean(new.unit), clean(new.room));
    let row = HouseholdRow { org_code: new.org_code.as_str(), address: &address, building: building.as_deref(), unit: unit.as_deref(), room: room.as_deref() };
    let id: i64 = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut tally = crate::counts::Tally::default();
        let id = insert_households(&mut *tx, now_micros(), &[row], &mut tally).await?[0];
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "household.create", record_type: "household", record_id: Some(id.to_string()), org_code: new.org_code.to_string(), detail: None,
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    Ok(Household { id, org_code: new.org_code.to_string(), address, building, unit, room })
}

/// A household as stored: its unit and address.
pub struct HouseholdRow<'a> {
    pub org_code: &'a str,
    pub address: &'a str,
    pub building: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub room: Option<&'a str>,
}

/// Inserts households, many rows per statement, on `conn` (inside the caller's transaction), and
/// counts them in `tally`; returns their ids. The one statement that adds
/// households: a form and the benchmark city both come here.
pub async fn insert_households<'a>(conn: impl Into<crate::db::Conn<'a>>, now: i64, rows: &[HouseholdRow<'_>], tally: &mut crate::counts::Tally) -> sqlx::Result<Vec<i64>> {
    let mut conn = conn.into();
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(crate::db::MAX_BINDS / 6) {
        let made: Vec<(i64, String)> = crate::on_conn!(conn.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::<DB>::new("insert into households (org_code, address, building, unit, room, created_at) ");
            insert.push_values(chunk, |mut row, h| {
                row.push_bind(h.org_code).push_bind(h.address).push_bind(h.building).push_bind(h.unit).push_bind(h.room).push_bind(now);
            });
            insert.push(" returning id, org_code");
            insert.build_query_as::<(i64, String)>().fetch_all(c).await?
        });
        for (id, org_code) in made {
            tally.add(&org_code, crate::counts::HOUSEHOLDS, "", 1);
            ids.push(id);
        }
    }
    Ok(ids)
}

pub async fn get_household(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Household>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {HOUSEHOLD_COLUMNS} from households where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, Household>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// Households of one unit (and the units below it), in scope, after the id `after` when paging.
pub async fn households(db: &Db, scope: &Scope, under: &OrgCode, after: i64, limit: i64) -> sqlx::Result<Vec<Household>> {
    if !scope.allows(under.as_str()) {
        return Ok(Vec::new());
    }
    let unit_scope = Scope::of(under);
    let (low, high) = unit_scope.bounds();
    // As the persons list does (`counts::walk_newest`): a wide unit walks the table in id order, a
    // narrow one reads its own rows by unit; SQLite is told which, not knowing the range's width.
    let walk = crate::counts::newest_first_walk(db, &unit_scope, crate::counts::HOUSEHOLDS, "", limit).await?;
    let hint = match db {
        Db::Sqlite(_) if walk => "not indexed",
        Db::Sqlite(_) => "indexed by households_org",
        Db::Postgres(_) => "",
    };
    let sql = format!("select {HOUSEHOLD_COLUMNS} from households {hint} where org_code >= $1 and org_code < $2 and id > $3 order by id limit $4");
    on_db!(db, pool => sqlx::query_as::<DB, Household>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).bind(after).bind(limit).fetch_all(pool).await)
}
