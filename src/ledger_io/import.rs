//! Importing a ledger sheet into a grid or community. Every row is checked with the registry's and
//! the ledger's rules; the result is a per-row report. The valid rows land in one transaction, and
//! only if every row was valid or the user chose to import the valid rows. Importing the same file
//! again finds every person and ledger entry already there and creates nothing.

use super::headers::{ColumnMap, Field, canonical};
use super::read::Rows;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::people::{PersonInput, ValidPerson};
use crate::screening::input::{KeyPersonInput, ResponsibleInput, ValidKeyPerson};
use fangkong_rules::{OrgCode, OrgLevel, Scope};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing lands if any row is bad.
    AllOrNothing,
    /// The good rows land; the bad ones are reported.
    ValidRows,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The column header, in Chinese.
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub rows: usize,
    pub valid_rows: usize,
    /// Whether the valid rows were written.
    pub landed: bool,
    pub created_persons: usize,
    /// Persons already in the registry (same document), linked instead of created.
    pub existing_persons: usize,
    pub created_key_persons: usize,
    pub already_on_ledger: usize,
    pub started_observations: usize,
    /// `[header as written, field it was read as]`.
    #[schema(value_type = Vec<Vec<String>>)]
    pub recognised: Vec<(String, String)>,
    pub ignored: Vec<String>,
    pub errors: Vec<RowError>,
}

/// One good row, ready to write.
struct Planned {
    row: usize,
    person: ValidPerson,
    /// The registered person with this document, when there is one in scope.
    existing_person: Option<(i64, String)>,
    key_person: ValidKeyPerson,
    observation_start: Option<Date>,
}

fn column_of(field: &str) -> String {
    use Field::*;
    let f = match field {
        "name" => Name,
        "id_number" => IdNumber,
        "id_type" => IdType,
        "sex" => Sex,
        "birth_date" => BirthDate,
        "phone" => Phone,
        "ethnicity" => Ethnicity,
        "current_address" => Address,
        "hukou_code" => Hukou,
        "work_unit" => WorkUnit,
        "origin_code" | "origin_place" => Origin,
        "departure_date" => DepartureDate,
        "arrival_date" => ArrivalDate,
        "transport" => Transport,
        "transport_no" => TransportNo,
        "category" => Category,
        "companions" => Companions,
        "case_contact" => CaseContact,
        "symptoms" => Symptoms,
        "measures" => Measures,
        _ => return field.to_string(),
    };
    canonical(f).to_string()
}

/// Refuses a target that is not a village/community or grid in scope.
pub async fn check_target(db: &Db, scope: &Scope, org: &OrgCode) -> AppResult<()> {
    if org.level() < OrgLevel::Village || crate::org::store::get(db, scope, org).await?.is_none() {
        return Err(AppError::invalid("org", "org_invalid", "请导入到您辖区内的村(社区)或网格"));
    }
    Ok(())
}

/// A sheet to import: its rows, the village/community or grid they go to, what to do with bad rows,
/// and the day it is (dates in the rows may not be later).
pub struct Sheet<'a> {
    pub org: &'a OrgCode,
    pub rows: &'a Rows,
    pub mode: Mode,
    pub today: Date,
}

/// Validates every row and, as the mode allows, writes the valid ones; `progress` hears the number
/// of rows checked.
pub async fn import(db: &Db, actor: &Actor, scope: &Scope, sheet: Sheet<'_>, progress: &(dyn Fn(usize) + Sync)) -> AppResult<Report> {
    let Sheet { org, rows, mode, today } = sheet;
    check_target(db, scope, org).await?;
    let Some((header, body)) = rows.split_first() else {
        return Err(AppError::invalid("file", "empty", "文件是空的"));
    };
    if let Some((column, c)) = header.iter().enumerate().find_map(|(i, h)| Some((i + 1, fangkong_rules::forbidden_char(h)?))) {
        return Err(AppError::invalid("file", "control_character", format!("表头第 {column} 列{}", fangkong_rules::refusal(c))));
    }
    let map = ColumnMap::new(header);
    let mut report = Report { recognised: map.recognised.iter().map(|(h, f)| (h.clone(), f.to_string())).collect(), ignored: map.ignored.clone(), ..Report::default() };
    let missing: Vec<&str> = [Field::Name, Field::IdNumber].into_iter().filter(|f| !map.has(*f)).map(canonical).collect();
    if !missing.is_empty() {
        return Err(AppError::invalid("file", "columns_missing", format!("缺少必需的列:{}(表头应在第一行)", missing.join("、"))));
    }

    let mut planned: Vec<Planned> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row_no, checked) in check_rows(org, &map, body, actor, today, progress) {
        report.rows += 1;
        match checked {
            Err(errors) => report.errors.extend(errors.into_iter().map(|(column, message)| RowError { row: row_no, column, message })),
            Ok(p) => {
                if let Some(first) = seen.get(&p.person.id_key) {
                    report.errors.push(RowError { row: row_no, column: canonical(Field::IdNumber).into(), message: format!("与第 {first} 行的证件号码重复") });
                    continue;
                }
                seen.insert(p.person.id_key.clone(), row_no);
                planned.push(p);
            }
        }
    }
    planned.sort_by_key(|p| p.row);
    // A document registered by someone else between the look-up and the write (another import or
    // a registration at the same moment) breaks the unique key and rolls the write back whole: the
    // rows are then matched again, linked to those records, and written once more.
    for attempt in 0..2 {
        link_registered(db, scope, &mut planned, &mut report).await?;
        report.errors.sort_by_key(|e| e.row);
        report.valid_rows = planned.len();
        if planned.is_empty() || (mode == Mode::AllOrNothing && !report.errors.is_empty()) {
            return Ok(report);
        }
        match write(db, actor, org, &planned, &mut report, today).await {
            Err(e) if attempt == 0 && crate::db::is_unique_violation(&e) => continue,
            written => written?,
        }
        report.landed = true;
        break;
    }
    Ok(report)
}

/// Checks every non-blank row, on every core (a row's checks do not depend on the others), and
/// returns them in file order with their spreadsheet row numbers.
fn check_rows(org: &OrgCode, map: &ColumnMap, body: &[Vec<String>], actor: &Actor, today: Date, progress: &(dyn Fn(usize) + Sync)) -> Vec<(usize, Checked)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let per_thread = body.len().div_ceil(threads).max(1);
    let done = AtomicUsize::new(0);
    let checked = std::thread::scope(|s| {
        let workers: Vec<_> = body
            .chunks(per_thread)
            .enumerate()
            .map(|(part, rows)| {
                let done = &done;
                s.spawn(move || {
                    let mut out = Vec::with_capacity(rows.len());
                    for (i, row) in rows.iter().enumerate() {
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if n.is_multiple_of(1024) {
                            progress(n);
                        }
                        if row.iter().all(|c| c.trim().is_empty()) {
                            continue;
                        }
                        let row_no = part * per_thread + i + 2;
                        out.push((row_no, plan_row(org, map, row, row_no, actor, today)));
                    }
                    out
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    progress(body.len());
    checked
}

/// A row checked: ready to write, or its errors as `(column, message)`.
type Checked = Result<Planned, Vec<(String, String)>>;

/// Checks one row; a row error is `(column, message)`.
fn plan_row(org: &OrgCode, map: &ColumnMap, row: &[String], row_no: usize, actor: &Actor, today: Date) -> Checked {
    // The text rule of every form holds for cells too: a control character refuses the row.
    let refused: Vec<(String, String)> = map.columns.iter().filter_map(|(i, f)| Some((canonical(*f).to_string(), fangkong_rules::refusal(fangkong_rules::forbidden_char(row.get(*i)?)?)))).collect();
    if !refused.is_empty() {
        return Err(refused);
    }
    let get = |f: Field| map.get(row, f);
    let hukou = get(Field::Hukou);
    let (hukou_code, hukou_place) = match hukou {
        Some(h) if h.len() == 6 && h.bytes().all(|b| b.is_ascii_digit()) => (Some(h), None),
        other => (None, other),
    };
    let person = PersonInput {
        name: get(Field::Name).unwrap_or_default(),
        id_type: get(Field::IdType).map(|t| match t.as_str() {
            "居民身份证" | "身份证" => "resident_id".to_string(),
            "护照" => "passport".to_string(),
            "港澳居民来往内地通行证" | "港澳通行证" => "hk_macao_permit".to_string(),
            "台湾居民来往大陆通行证" | "台胞证" => "taiwan_permit".to_string(),
            other => other.to_string(),
        }),
        id_number: get(Field::IdNumber).unwrap_or_default(),
        sex: get(Field::Sex),
        birth_date: get(Field::BirthDate),
        phone: get(Field::Phone),
        ethnicity: get(Field::Ethnicity),
        org_code: org.to_string(),
        household_id: None,
        current_address: get(Field::Address),
        hukou_code,
        work_unit: get(Field::WorkUnit),
    };
    let origin = get(Field::Origin);
    let (origin_code, origin_place) = match origin {
        Some(o) if o.len() == 6 && o.bytes().all(|b| b.is_ascii_digit()) => (Some(o), None),
        other => (None, other),
    };
    let note = [get(Field::Note), hukou_place.map(|h| format!("户籍地:{h}"))].into_iter().flatten().collect::<Vec<_>>().join(";");
    let key_person = KeyPersonInput {
        person_id: 0,
        category: get(Field::Category).unwrap_or_else(|| "other".into()),
        origin_code,
        origin_place,
        departure_date: get(Field::DepartureDate),
        arrival_date: get(Field::ArrivalDate),
        transport: get(Field::Transport),
        transport_no: get(Field::TransportNo),
        companions: get(Field::Companions),
        case_contact: get(Field::CaseContact),
        symptoms: get(Field::Symptoms),
        measures: get(Field::Measures),
        note: Some(note).filter(|n| !n.is_empty()),
        responsibles: vec![ResponsibleInput { role: "grid_worker".into(), name: get(Field::GridWorker).unwrap_or_else(|| actor.username.clone()), phone: None }],
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    let person = person.validate(today).map_err(|e| errors.extend(e.into_iter().map(|f| (column_of(&f.field), f.message)))).ok();
    let key_person = key_person.validate(today).map_err(|e| errors.extend(e.into_iter().map(|f| (column_of(&f.field), f.message)))).ok();
    let observation_start = match get(Field::ObservationStart) {
        None => None,
        Some(s) => match crate::clock::parse_date(&s).filter(|d| *d <= today) {
            Some(d) => Some(d),
            None => {
                errors.push((canonical(Field::ObservationStart).into(), "隔离开始日期格式应为 YYYY-MM-DD,且不晚于今天".into()));
                None
            }
        },
    };
    let (Some(person), Some(key_person)) = (person, key_person) else { return Err(errors) };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Planned { row: row_no, person, existing_person: None, key_person, observation_start })
}

/// Rows per statement when looking up and writing (well under both databases' bind limits).
const BATCH: usize = 500;

/// Finds the persons already registered with each row's document, a batch at a time: in scope they are
/// linked (the same document is the same person); in another area the row is refused (taken out of
/// `planned`, its reason added to the report).
async fn link_registered(db: &Db, scope: &Scope, planned: &mut Vec<Planned>, report: &mut Report) -> AppResult<()> {
    // Registered persons by document key: (document type, id, unit).
    let mut found: HashMap<String, Vec<(String, i64, String)>> = HashMap::new();
    for chunk in planned.chunks(BATCH) {
        let rows: Vec<(i64, String, String, String)> = on_db!(db, pool => {
            let mut qb = sqlx::QueryBuilder::<DB>::new("select id, org_code, id_key, id_type from persons where id_key in (");
            let mut keys = qb.separated(", ");
            for p in chunk {
                keys.push_bind(p.person.id_key.as_str());
            }
            qb.push(")");
            qb.build_query_as::<(i64, String, String, String)>().fetch_all(pool).await
        })?;
        for (id, org, key, kind) in rows {
            found.entry(key).or_default().push((kind, id, org));
        }
    }
    planned.retain_mut(|p| {
        let registered = found.get(&p.person.id_key).and_then(|same_key| same_key.iter().find(|(kind, ..)| kind == p.person.id_type.as_str()));
        match registered.map(|(_, id, org)| (*id, org.clone())) {
            Some((_, org)) if !scope.allows(&org) => {
                report.errors.push(RowError { row: p.row, column: canonical(Field::IdNumber).into(), message: "该证件号码已在其他辖区登记,请联系上级单位核实".into() });
                false
            }
            existing => {
                p.existing_person = existing;
                true
            }
        }
    });
    Ok(())
}

/// Writes the planned rows in one transaction, a batch of rows per statement.
async fn write(db: &Db, actor: &Actor, org: &OrgCode, planned: &[Planned], report: &mut Report, today: Date) -> sqlx::Result<()> {
    let now = now_micros();
    let mut rule_sets = HashMap::new();
    for p in planned {
        if let Some(start) = p.observation_start
            && let std::collections::hash_map::Entry::Vacant(slot) = rule_sets.entry(start)
        {
            slot.insert(crate::observation::rules::in_force(db, start).await?);
        }
    }
    // SQLite: the write lock at once, so that two imports at once queue rather than fail.
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let counts: (usize, usize, usize, usize, usize) = on_db!(db, pool => {
        let mut tx = pool.begin_with(begin).await?;
        let mut tally = crate::counts::Tally::default();
        let registered_day = crate::clock::day_of_micros(now).to_string();
        let (mut created, mut existing, mut key_created, mut on_ledger, mut started) = (0, 0, 0, 0, 0);
        for chunk in planned.chunks(BATCH) {
            // New persons, then every row's person id and unit.
            let mut person_of: HashMap<String, (i64, String)> = HashMap::new();
            let new: Vec<&Planned> = chunk.iter().filter(|p| p.existing_person.is_none()).collect();
            if !new.is_empty() {
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "insert into persons (org_code, name, id_type, id_number, id_key, id_legacy, sex, birth_date, phone, \
                     ethnicity, current_address, hukou_code, work_unit, created_by, created_at, updated_at) ");
                qb.push_values(&new, |mut b, p| {
                    let v = &p.person;
                    b.push_bind(v.org_code.as_str()).push_bind(v.name.as_str()).push_bind(v.id_type.as_str()).push_bind(v.id_number.as_str())
                        .push_bind(v.id_key.as_str()).push_bind(v.id_legacy).push_bind(v.sex.map(|s| s.as_str())).push_bind(v.birth_date)
                        .push_bind(v.phone.as_deref()).push_bind(v.ethnicity).push_bind(v.current_address.as_deref()).push_bind(v.hukou_code.as_deref())
                        .push_bind(v.work_unit.as_deref()).push_bind(actor.user_id).push_bind(now).push_bind(now);
                });
                qb.push(" returning id, id_key, org_code");
                let rows: Vec<(i64, String, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                created += rows.len();
                for (_, _, unit) in &rows {
                    tally.add(unit, crate::counts::PERSONS, "", 1);
                }
                person_of.extend(rows.into_iter().map(|(id, key, unit)| (key, (id, unit))));
            }
            for p in chunk {
                if let Some((id, unit)) = &p.existing_person {
                    existing += 1;
                    person_of.insert(p.person.id_key.clone(), (*id, unit.clone()));
                }
            }
            // Ledger entries; persons already on the ledger are left as they are.
            let mut qb = sqlx::QueryBuilder::<DB>::new(
                "insert into key_persons (person_id, org_code, category, origin_code, origin_place, departure_date, arrival_date, transport, \
                 transport_no, companions, case_contact, symptoms, measures, note, created_by, created_at, updated_at) ");
            qb.push_values(chunk, |mut b, p| {
                let (person_id, unit) = &person_of[p.person.id_key.as_str()];
                let k = &p.key_person;
                b.push_bind(*person_id).push_bind(unit.as_str()).push_bind(k.category.as_str()).push_bind(k.origin_code.as_deref()).push_bind(k.origin_place.as_deref())
                    .push_bind(k.departure_date).push_bind(k.arrival_date).push_bind(k.transport.map(|t| t.as_str())).push_bind(k.transport_no.as_deref())
                    .push_bind(k.companions.as_deref()).push_bind(k.case_contact.as_deref()).push_bind(k.symptoms.as_deref()).push_bind(k.measures.as_deref())
                    .push_bind(k.note.as_deref()).push_bind(actor.user_id).push_bind(now).push_bind(now);
            });
            qb.push(" on conflict (person_id) do nothing returning id, person_id, org_code");
            let entries: Vec<(i64, i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
            for (_, _, unit) in &entries {
                tally.add(unit, crate::counts::KEY_PERSONS_NEW, &registered_day, 1);
            }
            key_created += entries.len();
            on_ledger += chunk.len() - entries.len();
            let by_person: HashMap<i64, &Planned> = chunk.iter().map(|p| (person_of[p.person.id_key.as_str()].0, p)).collect();
            let responsibles: Vec<(i64, &crate::screening::input::ValidResponsible)> = entries.iter()
                .flat_map(|(kid, pid, _)| by_person[pid].key_person.responsibles.iter().map(move |r| (*kid, r)))
                .collect();
            if !responsibles.is_empty() {
                let mut qb = sqlx::QueryBuilder::<DB>::new("insert into responsibles (key_person_id, role, name, phone, created_at) ");
                qb.push_values(&responsibles, |mut b, (kid, r)| {
                    b.push_bind(*kid).push_bind(r.role.as_str()).push_bind(r.name.as_str()).push_bind(r.phone.as_deref()).push_bind(now);
                });
                qb.build().execute(&mut *tx).await?;
            }
            // Observations, for rows that give a start date still inside its period.
            for p in chunk {
                let Some(start) = p.observation_start else { continue };
                let rules = &rule_sets[&start];
                if fangkong_rules::observation::period_complete(start, rules.observation_days, today) {
                    continue;
                }
                let (person_id, unit) = &person_of[p.person.id_key.as_str()];
                let token = crate::auth::sessions::random_token()[..32].to_string();
                let inserted = sqlx::query::<DB>(
                    "insert into observation_episodes (person_id, org_code, kind, site_id, start_date, period_days, rule_set_id, status, report_token, created_by, created_at, updated_at) \
                     select $1, $2, 'home', null, $3, $4, $5, 'active', $6, $7, $8, $8 where not exists \
                     (select 1 from observation_episodes where person_id = $1 and status = 'active')")
                    .bind(person_id).bind(unit).bind(start).bind(rules.observation_days).bind(rules.id).bind(&token).bind(actor.user_id).bind(now)
                    .execute(&mut *tx).await?;
                if inserted.rows_affected() > 0 {
                    started += 1;
                    tally.add(unit, crate::counts::OBSERVATION_STARTED, &start.to_string(), 1);
                }
            }
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "ledger.import", record_type: "org_unit", record_id: Some(org.to_string()), org_code: org.to_string(),
            detail: Some(format!("rows={} persons_created={created} key_persons_created={key_created} observations_started={started}", planned.len())),
        }).await?;
        crate::counts::write(&mut *tx, &tally).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>((created, existing, key_created, on_ledger, started))
    })?;
    (report.created_persons, report.existing_persons, report.created_key_persons, report.already_on_ledger, report.started_observations) = counts;
    Ok(())
}
