//! Daily check-ins (体温上报) and the alerts they raise, written in one transaction.

use super::episodes::Episode;
use super::{AlertKind, Slot, rules};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::on_db;
use crate::web::error::{AppError, FieldError};
use fangkong_rules::observation::{Symptom, Temperature};
use serde::{Deserialize, Serialize};
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

/// Records today's check-in for an active episode; a second report for the same half-day corrects
/// the first. A fever at or above the rule set's threshold, or a red-flag symptom, raises an alert on
/// the episode's unit in the same transaction.
pub async fn record(db: &Db, episode: &Episode, input: &ValidCheckIn, source: Source<'_>, today: Date) -> Result<Recorded, AppError> {
    if let Some(key) = &input.idempotency_key
        && let Some(id) = by_idempotency_key(db, key).await?
    {
        return Ok(Recorded { check_in_id: id, duplicate: true, alerts: Vec::new() });
    }
    let rules = rules::by_id(db, episode.rule_set_id).await?;
    let mut alerts = Vec::new();
    if input.temperature.is_fever(rules.fever_threshold()) {
        alerts.push((AlertKind::Fever, format!("体温 {} ℃", input.temperature)));
    }
    let red: Vec<&str> = input.symptoms.iter().filter(|s| s.is_red_flag() && **s != Symptom::Fever).map(|s| s.zh()).collect();
    if !red.is_empty() {
        alerts.push((AlertKind::RedFlag, red.join("、")));
    }
    let symptoms = input.symptoms.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let (source_name, actor) = match source {
        Source::Worker(a) => ("worker", a.clone()),
        Source::Resident => ("resident", Actor { user_id: None, username: format!("resident:observation#{}", episode.id), org_code: episode.org_code.clone(), client_addr: None }),
    };
    let now = now_micros();
    let result: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into check_ins (day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, idempotency_key, reported_at, created_by) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             on conflict (day, episode_id, slot) do update set temperature_tenths = excluded.temperature_tenths, symptoms = excluded.symptoms, \
             note = excluded.note, source = excluded.source, idempotency_key = excluded.idempotency_key, reported_at = excluded.reported_at, \
             created_by = excluded.created_by returning id")
            .bind(today).bind(episode.id).bind(&episode.org_code).bind(input.slot.as_str()).bind(i64::from(input.temperature.tenths()))
            .bind(&symptoms).bind(&input.note).bind(source_name).bind(&input.idempotency_key).bind(now).bind(actor.user_id)
            .fetch_one(&mut *tx).await?;
        for (kind, detail) in &alerts {
            sqlx::query::<DB>(
                "insert into alerts (org_code, person_id, episode_id, kind, day, detail, raised_at) values ($1, $2, $3, $4, $5, $6, $7) \
                 on conflict (episode_id, kind, day) do nothing")
                .bind(&episode.org_code).bind(episode.person_id).bind(episode.id).bind(kind.as_str()).bind(today).bind(detail).bind(now)
                .execute(&mut *tx).await?;
        }
        crate::audit_insert!(&mut *tx, &actor, AuditEvent {
            action: "checkin.create", record_type: "observation", record_id: Some(episode.id.to_string()),
            org_code: episode.org_code.clone(), detail: Some(format!("source={source_name} slot={}", input.slot.as_str())),
        })?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match result {
        Ok(id) => Ok(Recorded { check_in_id: id, duplicate: false, alerts: alerts.iter().map(|(k, _)| k.as_str().to_string()).collect() }),
        // The same key submitted twice at once: the other request recorded it.
        Err(e) if is_unique_violation(&e) && input.idempotency_key.is_some() => {
            let id = by_idempotency_key(db, input.idempotency_key.as_deref().unwrap_or_default()).await?.ok_or(AppError::Internal(e.into()))?;
            Ok(Recorded { check_in_id: id, duplicate: true, alerts: Vec::new() })
        }
        Err(e) => Err(e.into()),
    }
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
