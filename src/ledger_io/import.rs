//! Importing a ledger sheet into a grid or community. Every row is checked with the registry's and
//! the ledger's rules; the result is a per-row report. The valid rows land in one transaction, and
//! only if every row was valid or the user chose to import the valid rows. Importing the same file
//! again finds every person and ledger entry already there and creates nothing.

use super::headers::{ColumnMap, Field, canonical};
use super::placement::Places;
use super::read::Rows;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult, FieldError};
use crate::observation::Kind;
use crate::observation::episodes::NewRow;
use crate::on_db;
use crate::people::{PersonInput, ValidPerson};
use crate::screening::input::{KeyPersonInput, ResponsibleInput, ValidKeyPerson};
use crate::screening::outbreak_areas::OutbreakAreas;
use crate::screening::store::NewEntry;
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
    /// The name in the row, when it has one, so the row can be found without counting.
    #[serde(default)]
    pub name: String,
    /// The column header, in Chinese.
    pub column: String,
    /// What is wrong, as a field error's code (`date_invalid`, `id_checksum`…).
    #[serde(default)]
    pub code: String,
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
    /// Rows whose category was blank, filed by their origin in a listed outbreak area.
    #[serde(default)]
    pub categorised_by_origin: usize,
    /// Rows that landed on the village/community itself, on no grid: for the township to place.
    #[serde(default)]
    pub unassigned: Vec<Unassigned>,
    /// `[header as written, field it was read as]`.
    #[schema(value_type = Vec<Vec<String>>)]
    pub recognised: Vec<(String, String)>,
    pub ignored: Vec<String>,
    pub errors: Vec<RowError>,
}

/// A row imported onto a village/community and no grid, with the person it registered or found.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unassigned {
    pub row: usize,
    pub name: String,
    pub person_id: i64,
}

/// One good row, ready to write.
struct Planned {
    row: usize,
    person: ValidPerson,
    /// The registered person with this document, when there is one in scope.
    existing_person: Option<(i64, String)>,
    key_person: ValidKeyPerson,
    observation_start: Option<Date>,
    /// The 所属网格 cell, placed by [`Places`].
    grid: Option<String>,
    /// Whether the category came from the origin (the cell was blank).
    categorised: bool,
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
    let Some(unit) = crate::org::store::get(db, scope, org).await? else {
        return Err(AppError::invalid("org", "org_invalid", "该单位不在您的辖区内,请选择您辖区内的村(社区)或网格"));
    };
    if org.level() < OrgLevel::Village {
        return Err(AppError::invalid("org", "org_level", format!("台账只能导入到村(社区)或网格,请选择{}下的一个村(社区)或网格", unit.name)));
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
    if body.iter().all(|row| row.iter().all(|cell| cell.trim().is_empty())) {
        return Err(AppError::invalid("file", "no_rows", "文件只有表头,没有要导入的行"));
    }

    let areas = OutbreakAreas::load(db).await?;
    let places = Places::load(db, org).await?;
    let name_of = |row_no: usize| body.get(row_no - 2).and_then(|r| map.get(r, Field::Name)).unwrap_or_default();
    let mut planned: Vec<Planned> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let refuse = |report: &mut Report, row: usize, e: FieldError| report.errors.push(RowError { row, name: name_of(row), column: e.field, code: e.code, message: e.message });
    for (row_no, checked) in check_rows(org, &map, body, (actor, &areas, today), progress) {
        report.rows += 1;
        match checked {
            Err(errors) => errors.into_iter().for_each(|e| refuse(&mut report, row_no, e)),
            Ok(mut p) => {
                if let Some(first) = seen.get(&p.person.id_key) {
                    refuse(&mut report, row_no, FieldError::new(canonical(Field::IdNumber), "duplicate_in_file", format!("与第 {first} 行的证件号码重复")));
                    continue;
                }
                match places.place(p.grid.as_deref(), p.person.current_address.as_deref()) {
                    Ok((unit, household)) => (p.person.org_code, p.person.household_id) = (unit, household),
                    Err(message) => {
                        refuse(&mut report, row_no, FieldError::new(canonical(Field::Grid), "grid_unknown", message));
                        continue;
                    }
                }
                seen.insert(p.person.id_key.clone(), row_no);
                planned.push(p);
            }
        }
    }
    report.categorised_by_origin = planned.iter().filter(|p| p.categorised).count();
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
fn check_rows(org: &OrgCode, map: &ColumnMap, body: &[Vec<String>], context: RowContext<'_>, progress: &(dyn Fn(usize) + Sync)) -> Vec<(usize, Checked)> {
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
                        out.push((row_no, plan_row(org, map, row, row_no, context)));
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
type Checked = Result<Planned, Vec<FieldError>>;

/// What every row is checked with: who imports (the default grid worker), the outbreak areas (a
/// blank category is filed by the origin), and the day it is.
type RowContext<'a> = (&'a Actor, &'a OutbreakAreas, Date);

/// Checks one row; a row error is `(column, message)`.
fn plan_row(org: &OrgCode, map: &ColumnMap, row: &[String], row_no: usize, (actor, areas, today): RowContext<'_>) -> Checked {
    // The text rule of every form holds for cells too: a control character refuses the row.
    let refused: Vec<FieldError> =
        map.columns.iter().filter_map(|(i, f)| Some(FieldError::new(canonical(*f), "control_character", fangkong_rules::refusal(fangkong_rules::forbidden_char(row.get(*i)?)?)))).collect();
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
    let mut errors: Vec<FieldError> = Vec::new();
    let in_column = |f: FieldError| FieldError { field: column_of(&f.field), ..f };
    let person = person.validate(today).map_err(|e| errors.extend(e.into_iter().map(in_column))).ok();
    let key_person = key_person.validate(today).map_err(|e| errors.extend(e.into_iter().map(in_column))).ok();
    let observation_start = match get(Field::ObservationStart) {
        None => None,
        Some(s) => match crate::clock::parse_date(&s) {
            Some(d) if d <= today => Some(d),
            parsed => {
                let (code, why) = if parsed.is_some() { ("date_future", "隔离开始日期不能晚于今天") } else { ("date_invalid", crate::clock::date_problem(&s)) };
                errors.push(FieldError::new(canonical(Field::ObservationStart), code, why));
                None
            }
        },
    };
    let (Some(person), Some(mut key_person)) = (person, key_person) else { return Err(errors) };
    if !errors.is_empty() {
        return Err(errors);
    }
    let categorised = get(Field::Category).is_none() && file_by_origin(&mut key_person, areas, today);
    Ok(Planned { row: row_no, person, existing_person: None, key_person, observation_start, grid: get(Field::Grid), categorised })
}

/// Files a key person whose category was left blank by the outbreak area they came from, listed on
/// the day they left (or arrived, or today); an origin written as a name gets the area's code.
/// Whether one was found.
fn file_by_origin(key_person: &mut ValidKeyPerson, areas: &OutbreakAreas, today: Date) -> bool {
    let day = key_person.departure_date.or(key_person.arrival_date).unwrap_or(today);
    let Some(area) = areas.area_of(key_person.origin_code.as_deref(), key_person.origin_place.as_deref(), day) else { return false };
    key_person.category = area.ledger_category();
    if key_person.origin_code.is_none() {
        key_person.origin_code = Some(area.division_code());
    }
    true
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
                report.errors.push(RowError {
                    row: p.row,
                    name: p.person.name.clone(),
                    column: canonical(Field::IdNumber).into(),
                    code: "registered_elsewhere".into(),
                    message: "该证件号码已在其他辖区登记,请联系上级单位核实".into(),
                });
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

/// Writes the planned rows in one transaction, through the stores' batched inserts, a batch of
/// rows at a time.
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
    let written = on_db!(db, pool => {
        let mut tx = pool.begin_with(begin).await?;
        let mut tally = crate::counts::Tally::default();
        let mut written = Written::default();
        for chunk in planned.chunks(BATCH) {
            written.add(write_chunk(&mut *tx, actor, chunk, &rule_sets, now, today, &mut tally).await?);
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "ledger.import", record_type: "org_unit", record_id: Some(org.to_string()), org_code: org.to_string(),
            detail: Some(format!("rows={} persons_created={} key_persons_created={} observations_started={}", planned.len(), written.created, written.key_created, written.started)),
        }).await?;
        crate::counts::write(&mut *tx, &tally).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(written)
    })?;
    report.created_persons = written.created;
    report.existing_persons = written.existing;
    report.created_key_persons = written.key_created;
    report.already_on_ledger = written.on_ledger;
    report.started_observations = written.started;
    report.unassigned = written.unassigned;
    Ok(())
}

/// What a write made: persons created and found, ledger entries made and already there,
/// observations started.
#[derive(Default)]
struct Written {
    created: usize,
    existing: usize,
    key_created: usize,
    on_ledger: usize,
    started: usize,
    unassigned: Vec<Unassigned>,
}

impl Written {
    fn add(&mut self, other: Written) {
        self.created += other.created;
        self.existing += other.existing;
        self.key_created += other.key_created;
        self.on_ledger += other.on_ledger;
        self.started += other.started;
        self.unassigned.extend(other.unassigned);
    }
}

/// Writes one batch of rows: the new persons, every row's ledger entry (a person already on the
/// ledger is left as they are), and the observations of rows giving a start still inside its period.
async fn write_chunk<'a>(
    conn: impl Into<crate::db::Conn<'a>>,
    actor: &Actor,
    chunk: &[Planned],
    rule_sets: &HashMap<Date, crate::observation::rules::RuleSet>,
    now: i64,
    today: Date,
    tally: &mut crate::counts::Tally,
) -> sqlx::Result<Written> {
    let mut conn = conn.into();
    let new: Vec<&ValidPerson> = chunk.iter().filter(|p| p.existing_person.is_none()).map(|p| &p.person).collect();
    let created = crate::people::store::insert_many(conn.reborrow(), actor.user_id, now, &new, tally).await?;
    let mut person_of: HashMap<&str, (i64, String)> = created.iter().map(|c| (c.id_key.as_str(), (c.id, c.org_code.clone()))).collect();
    for p in chunk {
        if let Some((id, unit)) = &p.existing_person {
            person_of.insert(p.person.id_key.as_str(), (*id, unit.clone()));
        }
    }
    let entries: Vec<NewEntry> = chunk
        .iter()
        .map(|p| {
            let (person_id, unit) = &person_of[p.person.id_key.as_str()];
            NewEntry { person_id: *person_id, org_code: unit, entry: &p.key_person }
        })
        .collect();
    let made = crate::screening::store::insert_many(conn.reborrow(), actor.user_id, now, &entries, tally).await?;
    // A person already registered may be a case now: isolated and treated, not observed.
    let known: Vec<i64> = chunk.iter().filter_map(|p| p.existing_person.as_ref().map(|(id, _)| *id)).collect();
    let cases: std::collections::HashSet<i64> = crate::observation::case_link::with_open_case(conn.reborrow(), &known, None).await?.into_iter().collect();
    let observations: Vec<NewRow> = chunk
        .iter()
        .filter_map(|p| {
            let start = p.observation_start?;
            if p.existing_person.as_ref().is_some_and(|(id, _)| cases.contains(id)) {
                return None;
            }
            let rules = &rule_sets[&start];
            if fangkong_rules::observation::period_complete(start, rules.observation_days, today) {
                return None;
            }
            let (person_id, unit) = &person_of[p.person.id_key.as_str()];
            Some(NewRow { person_id: *person_id, org_code: unit, kind: Kind::Home, site_id: None, start_date: start, period_days: rules.observation_days, rule_set_id: rules.id })
        })
        .collect();
    let started = crate::observation::episodes::insert_many(conn, actor.user_id, now, &observations, tally).await?;
    let unassigned = chunk
        .iter()
        .filter_map(|p| {
            let (person_id, unit) = &person_of[p.person.id_key.as_str()];
            (unit.len() == crate::org::picker::Level::Village as usize).then(|| Unassigned { row: p.row, name: p.person.name.clone(), person_id: *person_id })
        })
        .collect();
    Ok(Written { created: created.len(), existing: chunk.len() - new.len(), key_created: made.len(), on_ledger: chunk.len() - made.len(), started: started.len(), unassigned })
}
