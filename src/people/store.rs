//! Storage of persons. Every function takes the caller's scope; a person outside it does not exist.

use super::ValidPerson;
use super::view::{COLUMNS, PersonRow};
use crate::audit::{Actor, AuditEvent};
use crate::counts::Tally;
use crate::db::{Conn, Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<PersonRow>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from persons where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, PersonRow>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// The person holding this document, if any, whatever the scope: to tell a conflict, or to link a
/// close contact registered from another county without disclosing the record.
pub(crate) async fn id_by_document(db: &Db, id_type: &str, id_key: &str) -> sqlx::Result<Option<(i64, String)>> {
    on_db!(db, pool => sqlx::query_as::<DB, (i64, String)>("select id, org_code from persons where id_type = $1 and id_key = $2")
        .bind(id_type).bind(id_key).fetch_optional(pool).await)
}

/// Checks that the owning unit and household exist in scope and belong together.
async fn check_placement(db: &Db, scope: &Scope, person: &ValidPerson) -> AppResult<()> {
    if crate::org::store::get(db, scope, &person.org_code).await?.is_none() {
        return Err(AppError::invalid("org_code", "org_unknown", "所属单位不存在或不在您的管辖范围内"));
    }
    if let Some(hid) = person.household_id {
        match crate::org::store::get_household(db, scope, hid).await? {
            Some(h) if h.org_code == person.org_code.as_str() => {}
            Some(_) => return Err(AppError::invalid("household_id", "household_mismatch", "该住户不属于所选单位")),
            None => return Err(AppError::invalid("household_id", "household_unknown", "住户不存在或不在您的管辖范围内")),
        }
    }
    Ok(())
}

/// A 409 when another person already holds this document, pointing at them when the caller may see
/// them. `except` is the person being edited. A document held in another jurisdiction is named to
/// nobody, and the attempt is audited under the holder's unit with the caller as actor, so that a
/// county looking for who is registered where shows in the audit trail.
pub async fn check_document_free(db: &Db, actor: &Actor, scope: &Scope, person: &ValidPerson, except: Option<i64>) -> AppResult<()> {
    match id_by_document(db, person.id_type.as_str(), &person.id_key).await? {
        Some((id, _)) if Some(id) == except => Ok(()),
        Some((id, org)) if scope.allows(&org) => Err(AppError::Conflict { message: format!("该证件号码已登记(人员编号 {id}),请勿重复登记"), existing_id: Some(id) }),
        Some((id, org)) => {
            let event = AuditEvent {
                action: "person.registered_elsewhere",
                record_type: "person",
                record_id: Some(id.to_string()),
                org_code: org,
                detail: Some(format!("id_type={}", person.id_type.as_str())),
            };
            crate::audit::store::record(db, actor, event).await?;
            Err(AppError::Conflict { message: "该证件号码已在其他辖区登记,请联系上级单位核实".into(), existing_id: None })
        }
        None => Ok(()),
    }
}

/// Turns a unique-key violation on the document (a concurrent registration) into the same 409.
async fn document_conflict(db: &Db, actor: &Actor, scope: &Scope, person: &ValidPerson, err: sqlx::Error) -> AppError {
    if !is_unique_violation(&err) {
        return err.into();
    }
    match check_document_free(db, actor, scope, person, None).await {
        Err(conflict) => conflict,
        Ok(()) => err.into(),
    }
}

pub async fn create(db: &Db, actor: &Actor, scope: &Scope, person: &ValidPerson) -> AppResult<PersonRow> {
    check_placement(db, scope, person).await?;
    let result: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let mut tally = Tally::default();
        let id = insert_many(&mut *tx, actor.user_id, now_micros(), &[person], &mut tally).await?[0].id;
        crate::counts::write(&mut *tx, &tally).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "person.create", record_type: "person", record_id: Some(id.to_string()), org_code: person.org_code.to_string(), detail: None,
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match result {
        Ok(id) => get(db, scope, id).await?.ok_or(AppError::NotFound),
        Err(e) => Err(document_conflict(db, actor, scope, person, e).await),
    }
}

/// A person just inserted.
pub struct Inserted {
    pub id: i64,
    pub id_key: String,
    pub org_code: String,
}

/// Inserts persons, many rows per statement, on `conn` (inside the caller's transaction), and
/// counts them in `tally`; the caller audits. The one statement that adds persons: a registration
/// and a ledger import both come here. A document already registered breaks the unique key.
pub async fn insert_many<'a>(conn: impl Into<Conn<'a>>, by: Option<i64>, now: i64, persons: &[&ValidPerson], tally: &mut Tally) -> sqlx::Result<Vec<Inserted>> {
    let mut conn = conn.into();
    let mut inserted = Vec::with_capacity(persons.len());
    for chunk in persons.chunks(crate::db::MAX_BINDS / 17) {
        let rows: Vec<(i64, String, String)> = crate::on_conn!(conn.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::<DB>::new(
                "insert into persons (org_code, household_id, name, id_type, id_number, id_key, id_legacy, sex, birth_date, phone, \
                 ethnicity, current_address, hukou_code, work_unit, created_by, created_at, updated_at) ");
            insert.push_values(chunk, |mut row, p| {
                row.push_bind(p.org_code.as_str()).push_bind(p.household_id).push_bind(p.name.as_str()).push_bind(p.id_type.as_str())
                    .push_bind(p.id_number.as_str()).push_bind(p.id_key.as_str()).push_bind(p.id_legacy).push_bind(p.sex.map(|s| s.as_str()))
                    .push_bind(p.birth_date).push_bind(p.phone.as_deref()).push_bind(p.ethnicity).push_bind(p.current_address.as_deref())
                    .push_bind(p.hukou_code.as_deref()).push_bind(p.work_unit.as_deref()).push_bind(by).push_bind(now).push_bind(now);
            });
            insert.push(" returning id, id_key, org_code");
            insert.build_query_as::<(i64, String, String)>().fetch_all(c).await?
        });
        for (id, id_key, org_code) in rows {
            tally.add(&org_code, crate::counts::PERSONS, "", 1);
            inserted.push(Inserted { id, id_key, org_code });
        }
    }
    Ok(inserted)
}

pub async fn update(db: &Db, actor: &Actor, scope: &Scope, id: i64, person: &ValidPerson) -> AppResult<PersonRow> {
    get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    check_placement(db, scope, person).await?;
    let result: sqlx::Result<()> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        // Lock the row and read its unit as it is now: a move counts from there.
        let was: String = sqlx::query_scalar::<DB, String>("update persons set updated_at = $1 where id = $2 returning org_code")
            .bind(now_micros()).bind(id).fetch_one(&mut *tx).await?;
        if was != person.org_code.as_str() {
            let mut tally = crate::counts::Tally::default();
            tally.add(&was, crate::counts::PERSONS, "", -1);
            tally.add(person.org_code.as_str(), crate::counts::PERSONS, "", 1);
            crate::counts::write(&mut *tx, &tally).await?;
        }
        sqlx::query::<DB>(
            "update persons set org_code = $1, household_id = $2, name = $3, id_type = $4, id_number = $5, id_key = $6, \
             id_legacy = $7, sex = $8, birth_date = $9, phone = $10, ethnicity = $11, current_address = $12, hukou_code = $13, \
             work_unit = $14, updated_at = $15 where id = $16")
            .bind(person.org_code.as_str()).bind(person.household_id).bind(&person.name).bind(person.id_type.as_str())
            .bind(&person.id_number).bind(&person.id_key).bind(person.id_legacy).bind(person.sex.map(|s| s.as_str()))
            .bind(person.birth_date).bind(&person.phone).bind(person.ethnicity).bind(&person.current_address)
            .bind(&person.hukou_code).bind(&person.work_unit).bind(now_micros()).bind(id)
            .execute(&mut *tx).await?;
        let moved = (was != person.org_code.as_str()).then(|| format!("moved_from={was}"));
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "person.update", record_type: "person", record_id: Some(id.to_string()), org_code: person.org_code.to_string(), detail: moved,
        }).await?;
        tx.commit().await
    }.await);
    match result {
        Ok(()) => get(db, scope, id).await?.ok_or(AppError::NotFound),
        Err(e) => Err(document_conflict(db, actor, scope, person, e).await),
    }
}

/// Possible duplicates of a person being registered: same name and birth date, or same phone.
pub async fn duplicate_candidates(db: &Db, scope: &Scope, name: &str, birth_date: Option<time::Date>, phone: Option<&str>, except_id: Option<i64>) -> sqlx::Result<Vec<PersonRow>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "select {COLUMNS} from persons where org_code >= $1 and org_code < $2 and id <> $3 and merged_into is null \
         and ((name = $4 and birth_date = $5) or phone = $6) order by id desc limit 10"
    );
    on_db!(db, pool => sqlx::query_as::<DB, PersonRow>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(except_id.unwrap_or(-1)).bind(name).bind(birth_date).bind(phone)
        .fetch_all(pool).await)
}

/// Persons registered under `unit` (merged duplicates included), from its roll-up count.
pub async fn count_under(db: &Db, scope: &Scope, unit: &OrgCode) -> sqlx::Result<i64> {
    if !scope.allows(unit.as_str()) {
        return Ok(0);
    }
    let n: Option<i64> = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select n from unit_counts where org_code = $1 and day = '' and metric = $2")
        .bind(unit.as_str()).bind(crate::counts::PERSONS).fetch_optional(pool).await)?;
    Ok(n.unwrap_or(0))
}
