//! Screenings (`screenings`, `screened_persons`): a vehicle and its occupants at a road point, or
//! one person at a place. Checked first ([`prepare`]: the point open and the recorder on its
//! staff, plate, origin and destination, each person's readings), then written through the
//! server's group commit ([`ScreeningWriter`]) with their counts — the unit's by day, the point's
//! by hour — and audit rows in the same transaction. A retried submission (same key at the same
//! point, same content, same recorder) answers with what it recorded and writes nothing.

use super::divisions;
use super::hours::PointTally;
use super::points::{self, Point};
use crate::audit::{Actor, AuditEvent};
use crate::counts::{CHECKPOINT_FEVERS, CHECKPOINT_PERSONS, CHECKPOINT_REFERRALS, CHECKPOINT_VEHICLES, Tally};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult, FieldError};
use crate::idempotency;
use crate::on_db;
use fangkong_rules::checkpoint::{self, Outcome};
use fangkong_rules::observation::{Symptom, Temperature};
use fangkong_rules::{Phone, Plate, ResidentId, Scope};

/// The most people one screening records (a coach's seats).
pub const MAX_OCCUPANTS: usize = 60;

/// One person as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewOccupant {
    pub temperature: String,
    /// The second reading, when a fever was re-tested before saving.
    pub retest: Option<String>,
    /// `cough`, `shortness_of_breath`, `other` (none: empty).
    pub symptoms: Vec<String>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

/// A screening as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewScreening {
    pub point_id: i64,
    pub plate: Option<String>,
    pub vehicle_kind: Option<String>,
    /// A division (an option of the list, its code or its name).
    pub origin: String,
    /// A unit of the city (an option of the unit list or its code) or a division outside it.
    pub destination: String,
    pub destination_address: Option<String>,
    /// Epoch µs, already checked not to lie in the future.
    pub screened_at: i64,
    pub occupants: Vec<NewOccupant>,
    pub idempotency_key: Option<String>,
}

/// A person checked, ready to write.
#[derive(Debug, Clone)]
struct Person {
    temperature: Temperature,
    retest: Option<Temperature>,
    symptoms: String,
    fever: bool,
    outcome: Outcome,
    name: Option<String>,
    id_number: Option<String>,
    id_key: Option<String>,
    phone: Option<String>,
}

/// A screening checked, ready for the writer.
#[derive(Debug, Clone)]
pub struct Prepared {
    actor: Actor,
    point_id: i64,
    org_code: String,
    screened_at: i64,
    plate: Option<String>,
    vehicle_kind: Option<String>,
    origin_code: String,
    destination_code: String,
    destination_address: Option<String>,
    persons: Vec<Person>,
    key: Option<String>,
    submitter: String,
    fingerprint: String,
}

/// A person as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScreenedResult {
    pub id: i64,
    pub seat: i64,
    /// `pass`, `retest` (a fever waiting for its second reading) or `referred`.
    pub result: String,
}

/// What a submission recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub id: i64,
    pub persons: Vec<ScreenedResult>,
    /// A retry of a submission already recorded: nothing new was written.
    pub duplicate: bool,
}

/// A submission checked: answered already (a retry), or ready to write.
pub enum Checked {
    Known(Recorded),
    Ready(Box<Prepared>),
}

fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// Refuses a line break in a one-line value, or one longer than `most`.
fn one_line(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, most: usize) {
    let Some(value) = value else { return };
    if value.contains(['\n', '\r', '\t']) {
        errors.push(FieldError::new(field, "single_line", "只能填写一行,不能换行"));
    } else if value.chars().count() > most {
        errors.push(FieldError::new(field, "too_long", format!("不能超过 {most} 个字")));
    }
}

/// The point, open and worked by the recorder; otherwise the error at `point_id`.
async fn open_point_for(db: &Db, actor: &Actor, scope: &Scope, point_id: i64) -> AppResult<Point> {
    let point = points::get(db, scope, point_id).await?.ok_or(AppError::NotFound)?;
    if !points::is_staff(db, point.id, actor.user_id.unwrap_or(0)).await? {
        return Err(AppError::invalid("point_id", "not_assigned", "您未被安排在该卡点工作,不能在此登记;请联系设卡单位安排"));
    }
    if let Some(closed) = point.closed_on {
        let why = point.close_reason.as_deref().unwrap_or("");
        return Err(AppError::invalid("point_id", "point_closed", format!("该卡点已于 {closed} 关闭({why}),不再登记")));
    }
    Ok(point)
}

/// Where the traveller goes: a unit of the city (its code, from the unit list) or a division.
fn destination_of(names: &crate::org::names::Names, text: &str) -> Result<String, FieldError> {
    let city = crate::org::reference::CITY_CODE;
    if let Ok(code) = crate::org::picker::resolve(names, &Scope::of(&fangkong_rules::OrgCode::parse(city).expect("the city's code")), text) {
        let department = fangkong_rules::OrgCode::parse(&code).is_ok_and(|c| c.is_city_department());
        if names.contains_key(&code) && !department && code != city {
            return Ok(code);
        }
    }
    let division = divisions::chosen("destination", text)?;
    Ok(division.code.clone())
}

/// One occupant checked, its errors at `occupants.<i>.<field>`.
fn person(errors: &mut Vec<FieldError>, i: usize, new: &NewOccupant, threshold: Temperature, today: time::Date) -> Option<Person> {
    let at = |field: &str| format!("occupants.{i}.{field}");
    let before = errors.len();
    let temperature = Temperature::parse(&new.temperature).map_err(|m| errors.push(FieldError::new(&at("temperature"), "temperature_invalid", m))).ok();
    let retest = match text(&new.retest) {
        Some(t) => Temperature::parse(&t).map_err(|m| errors.push(FieldError::new(&at("retest"), "temperature_invalid", m))).ok(),
        None => None,
    };
    let mut symptoms = Vec::new();
    for code in new.symptoms.iter().map(|s| s.trim()).filter(|s| !s.is_empty() && *s != "none") {
        match Symptom::parse(code).filter(|s| checkpoint::ASKED.contains(s)) {
            Some(s) if !symptoms.contains(&s) => symptoms.push(s),
            Some(_) => {}
            None => errors.push(FieldError::new(&at("symptoms"), "symptom_unknown", "症状应为 cough(咳嗽)、shortness_of_breath(气促)或 other(其他)")),
        }
    }
    let name = text(&new.name);
    one_line(errors, &at("name"), name.as_deref(), 50);
    let id = text(&new.id_number).and_then(|id| ResidentId::parse(&id, today).map_err(|e| errors.push(FieldError::new(&at("id_number"), e.code(), e.zh()))).ok());
    let phone = text(&new.phone).and_then(|p| Phone::parse(&p).map_err(|e| errors.push(FieldError::new(&at("phone"), e.code(), e.zh()))).ok());
    let temperature = temperature?;
    if errors.len() > before {
        return None;
    }
    let outcome = checkpoint::decide(temperature, retest, &symptoms, threshold);
    Some(Person {
        temperature,
        retest,
        symptoms: symptoms.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
        fever: temperature.is_fever(threshold),
        outcome,
        name,
        id_key: id.as_ref().map(|id| id.canonical().to_string()),
        id_number: id.as_ref().map(|id| id.number().to_string()),
        phone: phone.map(|p| p.as_str().to_string()),
    })
}

/// Checks a submission by `actor` (who must work the point) and finds a retry by its key.
pub async fn prepare(db: &Db, actor: &Actor, scope: &Scope, names: &crate::org::names::Names, new: &NewScreening) -> AppResult<Checked> {
    let point = open_point_for(db, actor, scope, new.point_id).await?;
    let day = crate::clock::day_of_micros(new.screened_at);
    let mut errors = Vec::new();
    if day < point.opened_on {
        errors.push(FieldError::new("screened_at", "before_opening", format!("该卡点 {} 起设立,登记时间不能早于这一天", point.opened_on)));
    }
    let (plate, vehicle_kind) = if point.kind().screens_vehicles() {
        let plate = Plate::parse(new.plate.as_deref().unwrap_or("")).map_err(|e| errors.push(FieldError::new("plate", e.code(), e.zh()))).ok();
        let kind = super::VehicleKind::parse(new.vehicle_kind.as_deref().unwrap_or(""));
        if kind.is_none() {
            errors.push(FieldError::new("vehicle_kind", "vehicle_kind_unknown", "请选择车辆类型"));
        }
        (plate.map(|p| p.as_str().to_string()), kind.map(|k| k.as_str().to_string()))
    } else {
        if text(&new.plate).is_some() || text(&new.vehicle_kind).is_some() {
            errors.push(FieldError::new("plate", "no_vehicle_here", "场所逐人登记,不填写车辆"));
        }
        (None, None)
    };
    let origin = divisions::chosen("origin", &new.origin).map_err(|e| errors.push(e)).ok();
    let destination = destination_of(names, &new.destination).map_err(|e| errors.push(e)).ok();
    let destination_address = text(&new.destination_address);
    one_line(&mut errors, "destination_address", destination_address.as_deref(), 100);
    let most = if point.kind().screens_vehicles() { MAX_OCCUPANTS } else { 1 };
    if new.occupants.is_empty() || new.occupants.len() > most {
        let message = if most == 1 { "场所每次登记一人".to_string() } else { format!("请登记车上每一位人员(1–{MAX_OCCUPANTS} 人)") };
        errors.push(FieldError::new("occupants", "occupants_count", message));
    }
    let threshold = crate::observation::rules::in_force(db, day).await?.fever_threshold();
    let today = crate::clock::today();
    let persons: Vec<Option<Person>> = new.occupants.iter().take(MAX_OCCUPANTS).enumerate().map(|(i, o)| person(&mut errors, i, o, threshold, today)).collect();
    let key = text(&new.idempotency_key);
    if key.as_deref().is_some_and(|k| k.len() > idempotency::MAX_KEY) {
        errors.push(FieldError::new("idempotency_key", "too_long", format!("幂等键不超过 {} 个字符", idempotency::MAX_KEY)));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (origin_code, destination_code) = (origin.expect("checked").code.clone(), destination.expect("checked"));
    let persons: Vec<Person> = persons.into_iter().map(|p| p.expect("checked")).collect();
    let mut parts = vec![plate.clone().unwrap_or_default(), vehicle_kind.clone().unwrap_or_default(), origin_code.clone(), destination_code.clone(), destination_address.clone().unwrap_or_default()];
    for p in &persons {
        parts.extend([
            p.temperature.to_string(),
            p.retest.map(|t| t.to_string()).unwrap_or_default(),
            p.symptoms.clone(),
            p.name.clone().unwrap_or_default(),
            p.id_key.clone().unwrap_or_default(),
            p.phone.clone().unwrap_or_default(),
        ]);
    }
    // The time is left out: a form's default time is the moment it reaches the server, which a
    // resent submission changes.
    let fingerprint = idempotency::fingerprint(&parts.iter().map(String::as_str).collect::<Vec<_>>());
    let prepared = Prepared {
        actor: actor.clone(),
        point_id: point.id,
        org_code: point.org_code.clone(),
        screened_at: new.screened_at,
        plate,
        vehicle_kind,
        origin_code,
        destination_code,
        destination_address,
        persons,
        key,
        submitter: idempotency::submitter(Some(actor)),
        fingerprint,
    };
    match prepared.known(db).await? {
        Some(recorded) => Ok(Checked::Known(recorded)),
        None => Ok(Checked::Ready(Box::new(prepared))),
    }
}

impl Prepared {
    /// The screening already recorded under this key (a retry), or the conflict of a key reused
    /// for another submission; nothing when the key is new.
    async fn known(&self, db: &Db) -> AppResult<Option<Recorded>> {
        let Some(key) = &self.key else { return Ok(None) };
        let found: Option<(i64, String, String)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, String, String)>(
            "select id, submitter, fingerprint from screenings where point_id = $1 and idempotency_key = $2").bind(self.point_id).bind(key).fetch_optional(pool).await)?;
        let Some((id, submitter, fingerprint)) = found else { return Ok(None) };
        if submitter != self.submitter || fingerprint != self.fingerprint {
            return Err(idempotency::conflict());
        }
        Ok(Some(Recorded { id, persons: results(db, id).await?, duplicate: true }))
    }

    fn audit(&self, id: i64) -> (&Actor, AuditEvent) {
        let referred = self.persons.iter().filter(|p| p.outcome == Outcome::Referred).count();
        let event = AuditEvent {
            action: "checkpoint.screen",
            record_type: "screening",
            record_id: Some(id.to_string()),
            org_code: self.org_code.clone(),
            detail: Some(format!("point={} persons={} referred={referred}", self.point_id, self.persons.len())),
        };
        (&self.actor, event)
    }

    /// What it adds to the unit's counts (by day) and the point's (by hour).
    fn tally(&self, tally: &mut Tally, hours: &mut PointTally) {
        let day = crate::clock::day_of_micros(self.screened_at).to_string();
        let fevers = self.persons.iter().filter(|p| p.fever).count() as i64;
        let referred = self.persons.iter().filter(|p| p.outcome == Outcome::Referred).count() as i64;
        let vehicles = i64::from(self.plate.is_some());
        for (metric, n) in [(CHECKPOINT_PERSONS, self.persons.len() as i64), (CHECKPOINT_VEHICLES, vehicles), (CHECKPOINT_FEVERS, fevers), (CHECKPOINT_REFERRALS, referred)] {
            if n != 0 {
                tally.add(&self.org_code, metric, &day, n);
                hours.add(self.point_id, self.screened_at, metric, n);
            }
        }
    }
}

/// The results of a screening's persons, by seat.
async fn results(db: &Db, screening: i64) -> sqlx::Result<Vec<ScreenedResult>> {
    on_db!(db, pool => sqlx::query_as::<DB, ScreenedResult>("select id, seat, result from screened_persons where screening_id = $1 order by seat")
        .bind(screening).fetch_all(pool).await)
}

/// The server's writer of screenings: one task, up to [`MAX_BATCH`] submissions per transaction.
pub type ScreeningWriter = crate::db::group_commit::GroupCommit<Prepared, Recorded>;

pub const MAX_BATCH: usize = 256;

/// Starts the screening writer on the current Tokio runtime.
pub fn writer(db: Db) -> ScreeningWriter {
    crate::db::group_commit::GroupCommit::spawn(db, 1, MAX_BATCH, |db: Db, batch| async move { write_batch(&db, batch).await })
}

/// Checks a screening and writes it through the server's group commit.
pub async fn submit(db: &Db, writer: &ScreeningWriter, actor: &Actor, scope: &Scope, names: &crate::org::names::Names, new: &NewScreening) -> AppResult<Recorded> {
    match prepare(db, actor, scope, names, new).await? {
        Checked::Known(recorded) => Ok(recorded),
        Checked::Ready(prepared) => writer.submit(*prepared).await,
    }
}

/// Records a screening in a transaction of its own (the command line's, the demo's, the tests').
pub async fn record(db: &Db, actor: &Actor, scope: &Scope, names: &crate::org::names::Names, new: &NewScreening) -> AppResult<Recorded> {
    match prepare(db, actor, scope, names, new).await? {
        Checked::Known(recorded) => Ok(recorded),
        Checked::Ready(prepared) => write_batch(db, vec![*prepared]).await.pop().expect("one answer per submission"),
    }
}

type Written = sqlx::Result<(i64, Vec<ScreenedResult>)>;

/// Writes screenings waiting together in one transaction: all at once in a savepoint, and when
/// the database refuses that (a key another server just used), each in a savepoint of its own,
/// so one refused submission never fails another.
pub async fn write_batch(db: &Db, batch: Vec<Prepared>) -> Vec<AppResult<Recorded>> {
    use sqlx::Acquire;
    let now = now_micros();
    let written: sqlx::Result<Vec<Written>> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let all: &[Prepared] = &batch;
        let mut together = (&mut tx).begin().await?;
        let each: Vec<Written> = match write(&mut *together, all, now).await {
            Ok(rows) => {
                together.commit().await?;
                rows.into_iter().map(Ok).collect()
            }
            Err(_) => {
                together.rollback().await?;
                let mut each = Vec::with_capacity(all.len());
                for prepared in all {
                    let mut one = (&mut tx).begin().await?;
                    match write(&mut *one, std::slice::from_ref(prepared), now).await {
                        Ok(mut rows) => {
                            one.commit().await?;
                            each.push(Ok(rows.remove(0)));
                        }
                        Err(e) => {
                            one.rollback().await?;
                            each.push(Err(e));
                        }
                    }
                }
                each
            }
        };
        let (mut tally, mut hours, mut audits) = (Tally::default(), PointTally::default(), Vec::new());
        for (prepared, written) in all.iter().zip(&each) {
            if let Ok((id, _)) = written {
                prepared.tally(&mut tally, &mut hours);
                audits.push(prepared.audit(*id));
            }
        }
        crate::counts::write(&mut *tx, &tally).await?;
        super::hours::write(&mut *tx, &hours).await?;
        crate::audit::store::insert_many(&mut *tx, now, &audits).await?;
        tx.commit().await?;
        Ok(each)
    }.await);
    match written {
        Ok(each) => {
            let mut answers = Vec::with_capacity(batch.len());
            for (prepared, written) in batch.iter().zip(each) {
                answers.push(match written {
                    Ok((id, persons)) => Ok(Recorded { id, persons, duplicate: false }),
                    Err(e) if is_unique_violation(&e) => prepared.known(db).await.and_then(|known| known.ok_or_else(|| e.into())),
                    Err(e) => Err(e.into()),
                });
            }
            answers
        }
        Err(e) => {
            tracing::error!(error = %e, count = batch.len(), "screening batch failed");
            batch.iter().map(|_| Err(AppError::Internal(anyhow::anyhow!("screening batch failed")))).collect()
        }
    }
}

/// The one write of `screenings` and `screened_persons`, on `conn` inside the caller's
/// transaction: a statement per screening, then every person of them in as few as fit.
async fn write<'a>(conn: impl Into<crate::db::Conn<'a>>, batch: &[Prepared], now: i64) -> sqlx::Result<Vec<(i64, Vec<ScreenedResult>)>> {
    crate::on_conn!(conn, c => {
        let mut ids = Vec::with_capacity(batch.len());
        for p in batch {
            let id = sqlx::query_scalar::<DB, i64>(
                "insert into screenings (point_id, org_code, screened_at, plate, vehicle_kind, origin_code, destination_code, destination_address, occupants, \
                 recorder_id, recorder, idempotency_key, submitter, fingerprint, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning id")
                .bind(p.point_id).bind(&p.org_code).bind(p.screened_at).bind(&p.plate).bind(&p.vehicle_kind).bind(&p.origin_code).bind(&p.destination_code)
                .bind(&p.destination_address).bind(p.persons.len() as i64).bind(p.actor.user_id).bind(&p.actor.username).bind(&p.key).bind(&p.submitter)
                .bind(&p.fingerprint).bind(now)
                .fetch_one(&mut *c).await?;
            ids.push(id);
        }
        let rows: Vec<(i64, &Prepared, usize, &Person)> = ids.iter().zip(batch).flat_map(|(id, p)| p.persons.iter().enumerate().map(move |(seat, person)| (*id, p, seat, person))).collect();
        let mut recorded: Vec<(i64, i64, i64, String)> = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(crate::db::MAX_BINDS / 16) {
            let mut insert = sqlx::QueryBuilder::<DB>::new("insert into screened_persons (screening_id, point_id, org_code, screened_at, seat, temperature_tenths, retest_tenths, \
                retested_at, fever, symptoms, result, name, id_number, id_key, phone) ");
            insert.push_values(chunk, |mut row, (id, p, seat, person)| {
                row.push_bind(*id).push_bind(p.point_id).push_bind(&p.org_code).push_bind(p.screened_at).push_bind(*seat as i64 + 1)
                    .push_bind(i64::from(person.temperature.tenths())).push_bind(person.retest.map(|t| i64::from(t.tenths())))
                    .push_bind(person.retest.map(|_| p.screened_at)).push_bind(person.fever).push_bind(&person.symptoms).push_bind(person.outcome.as_str())
                    .push_bind(&person.name).push_bind(&person.id_number).push_bind(&person.id_key).push_bind(&person.phone);
            });
            insert.push(" returning screening_id, id, seat, result");
            recorded.extend(insert.build_query_as::<(i64, i64, i64, String)>().fetch_all(&mut *c).await?);
        }
        let mut by_screening: std::collections::HashMap<i64, Vec<ScreenedResult>> = std::collections::HashMap::new();
        for (screening, id, seat, result) in recorded {
            by_screening.entry(screening).or_default().push(ScreenedResult { id, seat, result });
        }
        Ok(ids.into_iter().map(|id| {
            let mut persons = by_screening.remove(&id).unwrap_or_default();
            persons.sort_by_key(|p| p.seat);
            (id, persons)
        }).collect())
    })
}

/// A second reading of a person waiting for one: the result becomes pass or referred, counted on
/// the screening's day and hour. Only the point's staff re-test.
pub async fn retest(db: &Db, actor: &Actor, scope: &Scope, person_id: i64, temperature: &str) -> AppResult<ScreenedResult> {
    let found: Option<(i64, i64, i64, String, i64, String, String)> = on_db!(db, pool => {
        let (low, high) = scope.bounds();
        sqlx::query_as::<DB, (i64, i64, i64, String, i64, String, String)>(
            "select point_id, screened_at, temperature_tenths, symptoms, seat, result, org_code from screened_persons where id = $1 and org_code >= $2 and org_code < $3")
            .bind(person_id).bind(low).bind(high).fetch_optional(pool).await
    })?;
    let (point_id, screened_at, first, symptoms, seat, result, org_code) = found.ok_or(AppError::NotFound)?;
    open_point_for(db, actor, scope, point_id).await?;
    if result != Outcome::Retest.as_str() {
        return Err(AppError::Conflict { message: "此人已有结果,无需复测".into(), existing_id: None });
    }
    let second = Temperature::parse(temperature).map_err(|m| AppError::invalid("temperature", "temperature_invalid", m))?;
    let threshold = crate::observation::rules::in_force(db, crate::clock::day_of_micros(screened_at)).await?.fever_threshold();
    let symptoms: Vec<Symptom> = symptoms.split(',').filter_map(Symptom::parse).collect();
    let outcome = checkpoint::decide(Temperature::from_tenths(first as i32), Some(second), &symptoms, threshold);
    let now = now_micros();
    let changed = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query::<DB>("update screened_persons set retest_tenths = $1, retested_at = $2, result = $3 where id = $4 and result = 'retest'")
            .bind(i64::from(second.tenths())).bind(now).bind(outcome.as_str()).bind(person_id).execute(&mut *tx).await?.rows_affected();
        if changed == 1 && outcome == Outcome::Referred {
            let mut tally = Tally::default();
            tally.add(&org_code, CHECKPOINT_REFERRALS, &crate::clock::day_of_micros(screened_at).to_string(), 1);
            crate::counts::write(&mut *tx, &tally).await?;
            let mut hours = PointTally::default();
            hours.add(point_id, screened_at, CHECKPOINT_REFERRALS, 1);
            super::hours::write(&mut *tx, &hours).await?;
        }
        if changed == 1 {
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "checkpoint.retest", record_type: "screened_person", record_id: Some(person_id.to_string()), org_code: org_code.clone(),
                detail: Some(format!("result={}", outcome.as_str())),
            }).await?;
        }
        tx.commit().await?;
        changed
    });
    if changed == 0 {
        return Err(AppError::Conflict { message: "此人已有结果,无需复测".into(), existing_id: None });
    }
    Ok(ScreenedResult { id: person_id, seat, result: outcome.as_str().to_string() })
}

/// A person screened as lists show them: masked, with the screening's facts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScreenedLine {
    pub id: i64,
    pub screening_id: i64,
    pub point_id: i64,
    pub org_code: String,
    /// Epoch µs.
    pub screened_at: i64,
    pub seat: i64,
    pub plate: Option<String>,
    pub vehicle_kind: Option<String>,
    pub origin_code: String,
    pub destination_code: String,
    pub temperature_tenths: i64,
    pub retest_tenths: Option<i64>,
    pub fever: bool,
    /// Comma-separated symptom codes ('' none).
    pub symptoms: String,
    pub result: String,
    /// Masked (张*).
    pub name: Option<String>,
    /// Masked (430***********1234).
    pub id_number: Option<String>,
    /// Masked (138****5678).
    pub phone: Option<String>,
    pub recorder: String,
}

impl ScreenedLine {
    fn masked(mut self) -> ScreenedLine {
        self.name = self.name.as_deref().map(fangkong_rules::mask::mask_name);
        self.id_number = self.id_number.as_deref().map(fangkong_rules::mask::mask_id_number);
        self.phone = self.phone.as_deref().map(fangkong_rules::mask::mask_phone);
        self
    }

    pub fn temperature(&self) -> String {
        Temperature::from_tenths(self.temperature_tenths as i32).to_string()
    }

    pub fn retest(&self) -> Option<String> {
        self.retest_tenths.map(|t| Temperature::from_tenths(t as i32).to_string())
    }
}

const LINE: &str = "select p.id, p.screening_id, p.point_id, p.org_code, p.screened_at, p.seat, s.plate, s.vehicle_kind, s.origin_code, s.destination_code, \
     p.temperature_tenths, p.retest_tenths, p.fever, p.symptoms, p.result, p.name, p.id_number, p.phone, s.recorder \
     from screened_persons p join screenings s on s.id = p.screening_id";

/// A point's persons screened, newest first (before `before` when paging), masked; only those
/// waiting for their second reading when `waiting` is set.
pub async fn of_point(db: &Db, scope: &Scope, point: i64, waiting: bool, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<ScreenedLine>> {
    let (low, high) = scope.bounds();
    let waiting = if waiting { " and p.result = 'retest'" } else { "" };
    let sql = format!("{LINE} where p.point_id = $1 and p.org_code >= $2 and p.org_code < $3 and ($4 is null or p.id < $4){waiting} order by p.id desc limit $5");
    let rows = on_db!(db, pool => sqlx::query_as::<DB, ScreenedLine>(sqlx::AssertSqlSafe(&*sql)).bind(point).bind(low).bind(high).bind(before).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(ScreenedLine::masked).collect())
}

/// One person screened in `scope`, masked.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<ScreenedLine>> {
    let (low, high) = scope.bounds();
    let sql = format!("{LINE} where p.id = $1 and p.org_code >= $2 and p.org_code < $3");
    let row = on_db!(db, pool => sqlx::query_as::<DB, ScreenedLine>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)?;
    Ok(row.map(ScreenedLine::masked))
}
