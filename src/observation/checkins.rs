//! Daily check-ins (体温上报) and the alerts they raise, written in one transaction.

use super::episodes::Episode;
use super::{AlertKind, Slot};
use crate::audit::Actor;
use crate::db::{Db, is_unique_violation, now_micros};
use super::rules;
use crate::on_db;
use crate::web::error::{AppError, FieldError};
use fangkong_rules::observation::{Symptom, Temperature};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::Date;

/// A check-in as submitted by a worker's form, the resident's link or the API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    /// `am` or `pm`; defaults to the half of the day it is now (Beijing time).
    #[serde(default)]
    pub slot: Option<String>,
    /// Degrees Celsius, e.g. `36.8`.
    pub temperature: String,
    /// Any of `fever`, `cough`, `sore_throat`, `shortness_of_breath`, `fatigue`, `diarrhoea`,
    /// `loss_of_taste_smell`, `other`.
    #[serde(default)]
    pub symptoms: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// A client-generated UUID: resubmitting with the same key records nothing new.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ValidCheckIn {
    pub slot: Slot,
    pub temperature: Temperature,
    pub symptoms: Vec<Symptom>,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
}

impl CheckInInput {
    pub fn validate(&self, hour_now: u8) -> Result<ValidCheckIn, Vec<FieldError>> {
        let mut errors = Vec::new();
        let slot = match self.slot.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => if hour_now < 12 { Slot::Morning } else { Slot::Evening },
            Some(s) => Slot::parse(s).unwrap_or_else(|| {
                errors.push(FieldError::new("slot", "slot_invalid", "时段应为上午或下午"));
                Slot::Morning
            }),
        };
        let temperature = Temperature::parse(&self.temperature).map_err(|m| errors.push(FieldError::new("temperature", "temperature_invalid", m))).ok();
        let mut symptoms = Vec::new();
        for s in &self.symptoms {
            match Symptom::parse(s) {
                Some(sym) if !symptoms.contains(&sym) => symptoms.push(sym),
                Some(_) => {}
                None => errors.push(FieldError::new("symptoms", "symptom_unknown", format!("未知症状:{s}"))),
            }
        }
        let note = self.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            errors.push(FieldError::new("note", "too_long", "备注不能超过 500 字"));
        }
        let idempotency_key = self.idempotency_key.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(str::to_string);
        if idempotency_key.as_ref().is_some_and(|k| k.len() > 64) {
            errors.push(FieldError::new("idempotency_key", "too_long", "idempotency_key 过长"));
        }
        match (errors.is_empty(), temperature) {
            (true, Some(temperature)) => Ok(ValidCheckIn { slot, temperature, symptoms, note, idempotency_key }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CheckIn {
    pub id: i64,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::web::json::as_str")]
    pub day: Date,
    pub slot: String,
    /// Tenths of °C.
    pub temperature_tenths: i64,
    /// Comma-separated symptom codes.
    pub symptoms: String,
    pub note: Option<String>,
    /// `worker` or `resident`.
    pub source: String,
    pub reported_at: i64,
}

impl CheckIn {
    pub fn temperature(&self) -> String {
        Temperature::from_tenths(self.temperature_tenths as i32).to_string()
    }
    pub fn symptom_labels(&self) -> String {
        self.symptoms.split(',').filter_map(Symptom::parse).map(Symptom::zh).collect::<Vec<_>>().join("、")
    }
    pub fn slot_label(&self) -> &'static str {
        Slot::parse(&self.slot).map(Slot::zh).unwrap_or("")
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub check_in_id: i64,
    /// True when this idempotency key had already been recorded: nothing new was written.
    pub duplicate: bool,
    /// Alerts raised by this check-in (`fever`, `red_flag`).
    pub alerts: Vec<String>,
}

/// Who submitted a check-in.
pub enum Source<'a> {
    Worker(&'a Actor),
    Resident,
}

/// A per-link limit on reports, counted in the check-in's own transaction so that every server
/// sharing the database counts together and a refused report writes nothing.
#[derive(Debug, Clone)]
pub struct RateLimit {
    pub bucket: String,
    pub limit: i64,
    /// Microseconds.
    pub window: i64,
}

/// A validated check-in with its alerts decided, ready to be written (alone or in a batch).
#[derive(Debug)]
pub struct Pending {
    day: Date,
    episode_id: i64,
    person_id: i64,
    org_code: String,
    slot: Slot,
    temperature_tenths: i64,
    symptoms: String,
    note: Option<String>,
    idempotency_key: Option<String>,
    source_name: &'static str,
    actor: Actor,
    alerts: Vec<(AlertKind, String)>,
    rate_limit: Option<RateLimit>,
}

/// Either the report was already recorded under its idempotency key, or it is ready to write.
pub enum Prepared {
    Duplicate(Recorded),
    Write(Box<Pending>),
}

/// Decides what a check-in writes: nothing if its idempotency key is known, else the row and the
/// alerts its temperature and symptoms raise under the episode's rule set.
pub async fn prepare(db: &Db, episode: &Episode, rules: &rules::RuleSet, input: &ValidCheckIn, source: Source<'_>, today: Date, rate_limit: Option<RateLimit>) -> sqlx::Result<Prepared> {
    if let Some(key) = &input.idempotency_key
        && let Some(id) = by_idempotency_key(db, key).await?
    {
        return Ok(Prepared::Duplicate(Recorded { check_in_id: id, duplicate: true, alerts: Vec::new() }));
    }
    let mut alerts = Vec::new();
    if input.temperature.is_fever(rules.fever_threshold()) {
        alerts.push((AlertKind::Fever, format!("体温 {} ℃", input.temperature)));
    }
    let red: Vec<&str> = input.symptoms.iter().filter(|s| s.is_red_flag() && **s != Symptom::Fever).map(|s| s.zh()).collect();
    if !red.is_empty() {
        alerts.push((AlertKind::RedFlag, red.join("、")));
    }
    let (source_name, actor) = match source {
        Source::Worker(a) => ("worker", a.clone()),
        Source::Resident => ("resident", Actor { user_id: None, username: format!("resident:observation#{}", episode.id), org_code: episode.org_code.clone(), client_addr: None }),
    };
    Ok(Prepared::Write(Box::new(Pending {
        day: today,
        episode_id: episode.id,
        person_id: episode.person_id,
        org_code: episode.org_code.clone(),
        slot: input.slot,
        temperature_tenths: i64::from(input.temperature.tenths()),
        symptoms: input.symptoms.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
        note: input.note.clone(),
        idempotency_key: input.idempotency_key.clone(),
        source_name,
        actor,
        alerts,
        rate_limit,
    })))
}

/// Records today's check-in for an active episode; a second report for the same half-day corrects
/// the first. A fever at or above the rule set's threshold, or a red-flag symptom, raises an alert on
/// the episode's unit in the same transaction. Busy servers go through [`super::writer`] instead,
/// which writes the same way, many check-ins per transaction.
pub async fn record(db: &Db, episode: &Episode, input: &ValidCheckIn, source: Source<'_>, today: Date) -> Result<Recorded, AppError> {
    let rules = rules::by_id(db, episode.rule_set_id).await?;
    match prepare(db, episode, &rules, input, source, today, None).await? {
        Prepared::Duplicate(recorded) => Ok(recorded),
        Prepared::Write(pending) => write_batch(db, vec![*pending]).await.pop().unwrap_or_else(|| Err(AppError::Internal(anyhow::anyhow!("empty batch")))),
    }
}

/// Writes check-ins in one transaction with a handful of statements whatever their number (the
/// rows of each table go in one multi-row insert). Returns one result per check-in, in order; if
/// the transaction fails, every check-in gets the error. Should an idempotency key collide with a
/// report committed meanwhile, the batch is retried one check-in at a time, which answers that one
/// as a duplicate.
pub async fn write_batch(db: &Db, batch: Vec<Pending>) -> Vec<Result<Recorded, AppError>> {
    let outcome = match write_together(db, &batch).await {
        Err(e) if is_unique_violation(&e) && batch.len() > 1 => {
            let mut results = Vec::with_capacity(batch.len());
            for one in batch.chunks(1) {
                results.push(write_one(db, one).await);
            }
            return results;
        }
        Err(e) if is_unique_violation(&e) => return vec![write_one(db, &batch).await],
        other => other,
    };
    outcome.unwrap_or_else(|e| {
        tracing::error!(error = %e, count = batch.len(), "check-in batch failed");
        batch.iter().map(|_| Err(AppError::Internal(anyhow::anyhow!("check-in batch failed")))).collect()
    })
}

async fn write_one(db: &Db, one: &[Pending]) -> Result<Recorded, AppError> {
    match write_together(db, one).await {
        Ok(mut results) => results.pop().unwrap_or_else(|| Err(AppError::Internal(anyhow::anyhow!("no result")))),
        Err(e) if is_unique_violation(&e) => {
            let key = one.first().and_then(|p| p.idempotency_key.as_deref()).unwrap_or_default();
            let id = by_idempotency_key(db, key).await?.ok_or(AppError::Internal(e.into()))?;
            Ok(Recorded { check_in_id: id, duplicate: true, alerts: Vec::new() })
        }
        Err(e) => Err(e.into()),
    }
}

/// What became of each check-in of a batch before the row ids are known.
enum Fate {
    Refused,
    /// The row written for this half-day (this report, or a later one in the batch correcting it).
    Row,
    /// Same idempotency key as an earlier report in the batch.
    DuplicateOf(usize),
}

async fn write_together(db: &Db, batch: &[Pending]) -> sqlx::Result<Vec<Result<Recorded, AppError>>> {
    let now = now_micros();
    let limited: Vec<&RateLimit> = batch.iter().filter_map(|p| p.rate_limit.as_ref()).collect();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        // Reports already counted against each link in its window, old hits swept.
        let mut counts: HashMap<&str, i64> = HashMap::new();
        if !limited.is_empty() {
            let window = limited.iter().map(|l| l.window).max().unwrap_or(0);
            let mut sweep = sqlx::QueryBuilder::<DB>::new("delete from rate_limit_hits where at < ");
            sweep.push_bind(now - window).push(" and bucket in (");
            let mut buckets = sweep.separated(", ");
            for limit in &limited {
                buckets.push_bind(limit.bucket.as_str());
            }
            sweep.push(")");
            sweep.build().execute(&mut *tx).await?;
            let mut count = sqlx::QueryBuilder::<DB>::new("select bucket, count(*) from rate_limit_hits where bucket in (");
            let mut buckets = count.separated(", ");
            for limit in &limited {
                buckets.push_bind(limit.bucket.as_str());
            }
            count.push(") group by bucket");
            for (bucket, n) in count.build_query_as::<(String, i64)>().fetch_all(&mut *tx).await? {
                if let Some(limit) = limited.iter().find(|l| l.bucket == bucket) {
                    counts.insert(limit.bucket.as_str(), n);
                }
            }
        }
        let mut fates = Vec::with_capacity(batch.len());
        let mut hits = Vec::new();
        let mut by_key: HashMap<&str, usize> = HashMap::new();
        let mut by_slot: HashMap<(i64, Date, &str), usize> = HashMap::new();
        for (i, p) in batch.iter().enumerate() {
            if let Some(limit) = &p.rate_limit {
                let used = counts.entry(limit.bucket.as_str()).or_insert(0);
                if *used >= limit.limit {
                    fates.push(Fate::Refused);
                    continue;
                }
                *used += 1;
                hits.push(limit.bucket.as_str());
            }
            if let Some(first) = p.idempotency_key.as_deref().and_then(|k| by_key.get(k)) {
                fates.push(Fate::DuplicateOf(*first));
                continue;
            }
            if let Some(key) = p.idempotency_key.as_deref() {
                by_key.insert(key, i);
            }
            // A later report for the same half-day corrects an earlier one: the later one is written.
            by_slot.insert((p.episode_id, p.day, p.slot.as_str()), i);
            fates.push(Fate::Row);
        }
        if !hits.is_empty() {
            let mut insert = sqlx::QueryBuilder::<DB>::new("insert into rate_limit_hits (bucket, at) ");
            insert.push_values(&hits, |mut row, bucket| {
                row.push_bind(*bucket).push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        let mut written: Vec<&Pending> = by_slot.values().map(|i| &batch[*i]).collect();
        written.sort_by_key(|p| p.episode_id);
        let mut ids: HashMap<(i64, String), i64> = HashMap::new();
        if !written.is_empty() {
            let mut insert = sqlx::QueryBuilder::<DB>::new(
                "insert into check_ins (day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, idempotency_key, reported_at, created_by) ");
            insert.push_values(&written, |mut row, p| {
                row.push_bind(p.day).push_bind(p.episode_id).push_bind(&p.org_code).push_bind(p.slot.as_str()).push_bind(p.temperature_tenths)
                    .push_bind(&p.symptoms).push_bind(&p.note).push_bind(p.source_name).push_bind(&p.idempotency_key).push_bind(now).push_bind(p.actor.user_id);
            });
            // A retry whose key already sits on this half-day's row changes nothing and returns no row.
            insert.push(" on conflict (day, episode_id, slot) do update set temperature_tenths = excluded.temperature_tenths, symptoms = excluded.symptoms, \
                note = excluded.note, source = excluded.source, idempotency_key = excluded.idempotency_key, reported_at = excluded.reported_at, \
                created_by = excluded.created_by \
                where excluded.idempotency_key is null or check_ins.idempotency_key is distinct from excluded.idempotency_key returning id, episode_id, slot");
            for (id, episode_id, slot) in insert.build_query_as::<(i64, i64, String)>().fetch_all(&mut *tx).await? {
                ids.insert((episode_id, slot), id);
            }
            let alerts: Vec<(&Pending, &AlertKind, &String)> = written.iter().flat_map(|p| p.alerts.iter().map(move |(k, d)| (*p, k, d))).collect();
            if !alerts.is_empty() {
                let mut insert = sqlx::QueryBuilder::<DB>::new("insert into alerts (org_code, person_id, episode_id, kind, day, detail, raised_at) ");
                insert.push_values(&alerts, |mut row, (p, kind, detail)| {
                    row.push_bind(&p.org_code).push_bind(p.person_id).push_bind(p.episode_id).push_bind(kind.as_str()).push_bind(p.day).push_bind(*detail).push_bind(now);
                });
                insert.push(" on conflict (episode_id, kind, day) do nothing");
                insert.build().execute(&mut *tx).await?;
            }
            let mut audit = sqlx::QueryBuilder::<DB>::new("insert into audit_log (at, actor_id, actor, action, record_type, record_id, org_code, client_addr, detail) ");
            let reports: Vec<&Pending> = batch.iter().zip(&fates).filter(|(_, f)| matches!(f, Fate::Row)).map(|(p, _)| p).collect();
            audit.push_values(&reports, |mut row, p| {
                row.push_bind(now).push_bind(p.actor.user_id).push_bind(&p.actor.username).push_bind("checkin.create").push_bind("observation")
                    .push_bind(p.episode_id.to_string()).push_bind(&p.org_code).push_bind(p.actor.client_addr.as_deref())
                    .push_bind(format!("source={} slot={}", p.source_name, p.slot.as_str()));
            });
            audit.build().execute(&mut *tx).await?;
        }
        // Retries that changed nothing: answer with the row their key already holds.
        let mut known: HashMap<i64, i64> = HashMap::new();
        for (i, p) in batch.iter().enumerate() {
            if matches!(fates[i], Fate::Row) && p.idempotency_key.is_some() && !ids.contains_key(&(p.episode_id, p.slot.as_str().to_string())) {
                let id = sqlx::query_scalar::<DB, i64>("select id from check_ins where idempotency_key = $1")
                    .bind(&p.idempotency_key).fetch_one(&mut *tx).await?;
                known.insert(i as i64, id);
            }
        }
        tx.commit().await?;
        Ok(batch.iter().enumerate().map(|(i, p)| {
            let row_of = |j: usize| ids.get(&(batch[j].episode_id, batch[j].slot.as_str().to_string())).copied();
            match fates[i] {
                Fate::Refused => Err(AppError::RateLimited),
                Fate::Row => match (row_of(i), known.get(&(i as i64))) {
                    (Some(id), _) => Ok(Recorded { check_in_id: id, duplicate: false, alerts: p.alerts.iter().map(|(k, _)| k.as_str().to_string()).collect() }),
                    (None, Some(id)) => Ok(Recorded { check_in_id: *id, duplicate: true, alerts: Vec::new() }),
                    (None, None) => Err(AppError::Internal(anyhow::anyhow!("check-in row missing"))),
                },
                Fate::DuplicateOf(first) => row_of(first).or_else(|| known.get(&(first as i64)).copied())
                    .map(|id| Recorded { check_in_id: id, duplicate: true, alerts: Vec::new() })
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("check-in row missing"))),
            }
        }).collect())
    })
}

async fn by_idempotency_key(db: &Db, key: &str) -> sqlx::Result<Option<i64>> {
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select id from check_ins where idempotency_key = $1").bind(key).fetch_optional(pool).await)
}

/// An episode's check-ins, oldest first.
pub async fn history(db: &Db, episode_id: i64) -> sqlx::Result<Vec<CheckIn>> {
    on_db!(db, pool => sqlx::query_as::<DB, CheckIn>(
        "select id, day, slot, temperature_tenths, symptoms, note, source, reported_at from check_ins where episode_id = $1 order by day, slot")
        .bind(episode_id).fetch_all(pool).await)
}
