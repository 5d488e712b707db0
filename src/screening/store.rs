//! Storage of the ledger and household visits. Every function takes the caller's scope.

use super::VisitResult;
use super::input::{ValidKeyPerson, ValidResponsible};
use crate::audit::{Actor, AuditEvent};
use crate::counts::Tally;
use crate::db::{Conn, Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct KeyPerson {
    pub id: i64,
    pub person_id: i64,
    pub org_code: String,
    pub category: String,
    pub origin_code: Option<String>,
    pub origin_place: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub departure_date: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub arrival_date: Option<Date>,
    pub transport: Option<String>,
    pub transport_no: Option<String>,
    pub companions: Option<String>,
    pub case_contact: Option<String>,
    pub symptoms: Option<String>,
    pub measures: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

const KEY_COLUMNS: &str = "id, person_id, org_code, category, origin_code, origin_place, departure_date, arrival_date, transport, \
     transport_no, companions, case_contact, symptoms, measures, note, created_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Responsible {
    pub role: String,
    pub name: String,
    pub phone: Option<String>,
}

/// Puts a registered person on the ledger of their unit, with their responsible people.
pub async fn create(db: &Db, actor: &Actor, scope: &Scope, kp: &ValidKeyPerson) -> AppResult<KeyPerson> {
    let person = crate::people::store::get(db, scope, kp.person_id).await?.ok_or_else(|| AppError::invalid("person_id", "person_unknown", "人员不存在或不在您的管辖范围内"))?;
    let made: Option<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let mut tally = Tally::default();
        let entry = NewEntry { person_id: kp.person_id, org_code: &person.org_code, entry: kp };
        let Some(made) = insert_many(&mut *tx, actor.user_id, now_micros(), &[entry], &mut tally).await?.pop() else {
            return Ok(None);
        };
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "ledger.create", record_type: "key_person", record_id: Some(made.id.to_string()),
            org_code: person.org_code.clone(), detail: Some(format!("category={}", kp.category.as_str())),
        }).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Some(made.id))
    }.await)?;
    match made {
        Some(id) => get(db, scope, id).await?.ok_or(AppError::NotFound),
        None => Err(AppError::Conflict { message: "此人已在台账中".into(), existing_id: by_person(db, scope, kp.person_id).await?.map(|k| k.id) }),
    }
}

/// A ledger entry to make: the person, their unit, and what the entry says.
pub struct NewEntry<'a> {
    pub person_id: i64,
    pub org_code: &'a str,
    pub entry: &'a ValidKeyPerson,
}

/// A ledger entry just made.
pub struct Made {
    pub id: i64,
    pub person_id: i64,
    pub org_code: String,
}

/// Puts persons on the ledger, many rows per statement, with their responsible people, on `conn`
/// (inside the caller's transaction), and counts them by the day of `now` in `tally`; the caller
/// audits. A person already on the ledger is left as they are and not returned. The one place
/// ledger entries are written: an entry made on a form and a ledger import both come here.
pub async fn insert_many<'a>(conn: impl Into<Conn<'a>>, by: Option<i64>, now: i64, entries: &[NewEntry<'_>], tally: &mut Tally) -> sqlx::Result<Vec<Made>> {
    let mut conn = conn.into();
    let registered_day = crate::clock::day_of_micros(now).to_string();
    let mut made = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(crate::db::MAX_BINDS / 17) {
        let rows: Vec<(i64, i64, String)> = crate::on_conn!(conn.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::<DB>::new(
                "insert into key_persons (person_id, org_code, category, origin_code, origin_place, departure_date, arrival_date, transport, \
                 transport_no, companions, case_contact, symptoms, measures, note, created_by, created_at, updated_at) ");
            insert.push_values(chunk, |mut row, e| {
                let k = e.entry;
                row.push_bind(e.person_id).push_bind(e.org_code).push_bind(k.category.as_str()).push_bind(k.origin_code.as_deref()).push_bind(k.origin_place.as_deref())
                    .push_bind(k.departure_date).push_bind(k.arrival_date).push_bind(k.transport.map(|t| t.as_str())).push_bind(k.transport_no.as_deref())
                    .push_bind(k.companions.as_deref()).push_bind(k.case_contact.as_deref()).push_bind(k.symptoms.as_deref()).push_bind(k.measures.as_deref())
                    .push_bind(k.note.as_deref()).push_bind(by).push_bind(now).push_bind(now);
            });
            insert.push(" on conflict (person_id) do nothing returning id, person_id, org_code");
            insert.build_query_as::<(i64, i64, String)>().fetch_all(c).await?
        });
        let by_person: HashMap<i64, &ValidKeyPerson> = chunk.iter().map(|e| (e.person_id, e.entry)).collect();
        let responsibles: Vec<(i64, &ValidResponsible)> = rows.iter().flat_map(|(id, person, _)| by_person[person].responsibles.iter().map(move |r| (*id, r))).collect();
        for part in responsibles.chunks(crate::db::MAX_BINDS / 5) {
            crate::on_conn!(conn.reborrow(), c => {
                let mut insert = sqlx::QueryBuilder::<DB>::new("insert into responsibles (key_person_id, role, name, phone, created_at) ");
                insert.push_values(part, |mut row, (id, r)| {
                    row.push_bind(*id).push_bind(r.role.as_str()).push_bind(r.name.as_str()).push_bind(r.phone.as_deref()).push_bind(now);
                });
                insert.build().execute(c).await?;
            });
        }
        for (id, person_id, org_code) in rows {
            tally.add(&org_code, crate::counts::KEY_PERSONS_NEW, &registered_day, 1);
            made.push(Made { id, person_id, org_code });
        }
    }
    Ok(made)
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<KeyPerson>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {KEY_COLUMNS} from key_persons where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, KeyPerson>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

pub async fn by_person(db: &Db, scope: &Scope, person_id: i64) -> sqlx::Result<Option<KeyPerson>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {KEY_COLUMNS} from key_persons where person_id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, KeyPerson>(sqlx::AssertSqlSafe(&*sql)).bind(person_id).bind(low).bind(high).fetch_optional(pool).await)
}

pub async fn responsibles(db: &Db, key_person_id: i64) -> sqlx::Result<Vec<Responsible>> {
    on_db!(db, pool => sqlx::query_as::<DB, Responsible>("select role, name, phone from responsibles where key_person_id = $1 order by id")
        .bind(key_person_id).fetch_all(pool).await)
}

/// Records a visit to a household in scope. The household keeps its latest visit (a visit dated
/// earlier than the latest one changes nothing there), and an open "not revisited" alert on it is
/// closed by the visit.
pub async fn record_visit(db: &Db, actor: &Actor, scope: &Scope, household_id: i64, day: Date, result: VisitResult, note: Option<&str>) -> AppResult<i64> {
    let household = crate::org::store::get_household(db, scope, household_id).await?.ok_or_else(|| AppError::invalid("household_id", "household_unknown", "住户不存在或不在您的管辖范围内"))?;
    let id = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        // Lock the household first: two visits to it at once must not both count from the same state.
        sqlx::query::<DB>("update households set address = address where id = $1").bind(household_id).execute(&mut *tx).await?;
        let (first, last, last_result): (Option<Date>, Option<Date>, Option<String>) = sqlx::query_as::<DB, (Option<Date>, Option<Date>, Option<String>)>(
            "select first_visit_date, last_visit_date, last_visit_result from households where id = $1")
            .bind(household_id).fetch_one(&mut *tx).await?;
        // The household counts as covered from its earliest visit, which a late-typed visit may move.
        if first.is_none_or(|first| day < first) {
            if let Some(first) = first {
                crate::counts::add(&mut *tx, &household.org_code, crate::counts::HOUSEHOLDS_VISITED, &first.to_string(), -1).await?;
            }
            crate::counts::add(&mut *tx, &household.org_code, crate::counts::HOUSEHOLDS_VISITED, &day.to_string(), 1).await?;
            sqlx::query::<DB>("update households set first_visit_date = $1 where id = $2").bind(day).bind(household_id).execute(&mut *tx).await?;
        }
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into household_visits (visit_date, household_id, org_code, visitor_id, result, note, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id")
            .bind(day).bind(household_id).bind(&household.org_code).bind(actor.user_id).bind(result.as_str()).bind(note).bind(now_micros())
            .fetch_one(&mut *tx).await?;
        // The latest visit (a late-typed earlier one is not) decides whether it is to be visited again.
        if last.is_none_or(|last| last <= day) {
            sqlx::query::<DB>("update households set last_visit_date = $1, last_visit_result = $2 where id = $3")
                .bind(day).bind(result.as_str()).bind(household_id).execute(&mut *tx).await?;
            let nobody_home = |r: Option<&str>| i64::from(r == Some(VisitResult::NobodyHome.as_str()));
            let delta = nobody_home(Some(result.as_str())) - nobody_home(last_result.as_deref());
            if delta != 0 {
                crate::counts::add(&mut *tx, &household.org_code, crate::counts::HOUSEHOLDS_NOBODY_HOME, "", delta).await?;
            }
        }
        crate::counts::alerts_counted(sqlx::query_as::<DB, (String, String)>(
            "update alerts set handled_at = $1, handled_by = $2, handling_note = '已复访' where household_id = $3 and kind = 'visit_overdue' and handled_at is null returning org_code, kind")
            .bind(now_micros()).bind(actor.user_id).bind(household_id).fetch_all(&mut *tx).await?, -1, &mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "visit.create", record_type: "household", record_id: Some(household_id.to_string()),
            org_code: household.org_code.clone(), detail: Some(format!("result={}", result.as_str())),
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    Ok(id)
}

/// Households known and visited below a unit: shown, never typed in.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub households: i64,
    pub visited: i64,
    /// Households whose latest visit found nobody home.
    pub revisit_due: i64,
}

impl Coverage {
    pub fn not_visited(&self) -> i64 {
        self.households - self.visited
    }
    pub fn percent(&self) -> i64 {
        if self.households == 0 { 0 } else { self.visited * 100 / self.households }
    }
}

/// The coverage of `unit` from its roll-up counts (households, those visited — the total of first
/// visits — and those to visit again), not from its households: a county holds 400,000.
pub async fn coverage(db: &Db, scope: &Scope, unit: &OrgCode) -> sqlx::Result<Coverage> {
    use crate::counts::{HOUSEHOLDS, HOUSEHOLDS_NOBODY_HOME, HOUSEHOLDS_VISITED, TOTAL};
    if !scope.allows(unit.as_str()) {
        return Ok(Coverage::default());
    }
    let counts: Vec<(String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, i64)>(
        "select metric, n from unit_counts where org_code = $1 and ((day = '' and metric in ($2, $3)) or (day = $4 and metric = $5))")
        .bind(unit.as_str()).bind(HOUSEHOLDS).bind(HOUSEHOLDS_NOBODY_HOME).bind(TOTAL).bind(HOUSEHOLDS_VISITED).fetch_all(pool).await)?;
    let count = |metric: &str| counts.iter().find(|(m, _)| m == metric).map_or(0, |(_, n)| *n);
    Ok(Coverage { households: count(HOUSEHOLDS), visited: count(HOUSEHOLDS_VISITED), revisit_due: count(HOUSEHOLDS_NOBODY_HOME) })
}

/// Households in scope to visit: never visited, or nobody home at the last visit.
pub async fn households_to_visit(db: &Db, scope: &Scope, limit: i64) -> sqlx::Result<Vec<crate::org::Household>> {
    let (low, high) = scope.bounds();
    on_db!(db, pool => sqlx::query_as::<DB, crate::org::Household>(
        "select id, org_code, address, building, unit, room from households \
         where org_code >= $1 and org_code < $2 and (last_visit_result is null or last_visit_result = 'nobody_home') \
         order by org_code, id limit $3")
        .bind(low).bind(high).bind(limit).fetch_all(pool).await)
}
