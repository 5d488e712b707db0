//! Daily check-ins (体温上报) and the alerts they raise, written in one transaction.

use super::checkin_rows::CheckInRow;
use super::episodes::Episode;
use super::rules;
use super::{AlertKind, Slot};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, FieldError};
use crate::idempotency::{self, Known};
use crate::on_db;
use fangkong_rules::observation::{Symptom, Temperature};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
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

impl ValidCheckIn {
    /// What makes two submissions under one key the same report.
    fn fingerprint(&self) -> String {
        let tenths = self.temperature.tenths().to_string();
        let mut symptoms: Vec<&str> = self.symptoms.iter().map(|s| s.as_str()).collect();
        symptoms.sort_unstable();
        crate::idempotency::fingerprint(&[self.slot.as_str(), &tenths, &symptoms.join(","), self.note.as_deref().unwrap_or("")])
    }
}

impl CheckInInput {
    pub fn validate(&self, hour_now: u8) -> Result<ValidCheckIn, Vec<FieldError>> {
        let mut errors = Vec::new();
        let slot = match self.slot.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                if hour_now < 12 {
                    Slot::Morning
                } else {
                    Slot::Evening
                }
            }
            Some(s) => Slot::parse(s).unwrap_or_else(|| {
                errors.push(FieldError::new("slot", "slot_invalid", "时段应为上午或下午"));
                Slot::Morning
            }),
        };
        let temperature = Temperature::parse(&self.temperature).map_err(|m| errors.push(FieldError::new("temperature", "temperature_invalid", m))).ok();
        let mut symptoms = Vec::new();
        if self.symptoms.len() > 2 * Symptom::ALL.len() {
            errors.push(FieldError::new("symptoms", "too_many", format!("症状最多 {} 项", Symptom::ALL.len())));
        }
        for s in self.symptoms.iter().take(2 * Symptom::ALL.len()) {
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
        if idempotency_key.as_ref().is_some_and(|k| k.len() > crate::idempotency::MAX_KEY) {
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
    #[serde(serialize_with = "crate::format::as_str")]
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
    pub fn symptom_labels(&self, lang: &crate::web::i18n::Lang) -> String {
        let labels = self.symptoms.split(',').filter_map(Symptom::parse).map(|s| lang.pick(s.zh(), s.en()));
        labels.collect::<Vec<_>>().join(lang.pick("、", ", "))
    }
    pub fn slot_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        Slot::parse(&self.slot).map_or("", |s| s.label(lang))
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
#[derive(Debug, Clone)]
pub enum Source {
    Worker(Actor),
    Resident,
}

impl Source {
    /// Whose submission an idempotency key names: the resident's link, or one worker's account.
    fn submitter(&self) -> String {
        idempotency::submitter(match self {
            Source::Worker(a) => Some(a),
            Source::Resident => None,
        })
    }
}

/// The episode a check-in is for: already loaded (a worker's form, checked active and in scope), or
/// named by the resident's link token, looked up with the rest of its batch and limited to `per_hour`
/// reports an hour. The limit is counted on the episode row in the write's own transaction, so every
/// server sharing the database counts together and a refused report writes nothing.
#[derive(Debug, Clone)]
pub enum Target {
    Episode(Box<Episode>),
    Link { token: String, per_hour: i64 },
}

/// One check-in to write.
#[derive(Debug, Clone)]
pub struct Submission {
    pub target: Target,
    /// `None` for a report through a link that was refused before it reached the writer (it did not
    /// parse, or broke a rule): it still counts against the link's hourly allowance, and writes
    /// nothing else. Its result is `Err(AppError::Invalid([]))` when counted — the caller answers
    /// with its own error — or the link's refusal (429, 404, 410).
    pub input: Option<ValidCheckIn>,
    pub source: Source,
    pub today: Date,
}

impl Submission {
    /// A report through `token` that was refused before reaching the writer, to be counted.
    pub fn refused(token: &str, per_hour: i64, today: Date) -> Submission {
        Submission { target: Target::Link { token: token.to_string(), per_hour }, input: None, source: Source::Resident, today }
    }
}

const HOUR: i64 = 3_600_000_000;

/// The answer for a link whose episode has ended: it says why, and nothing about the person.
pub fn link_expired() -> AppError {
    AppError::Gone("本次医学观察已结束,此上报链接已失效。如有发热、咳嗽等不适,请联系您的网格员或社区卫生服务中心。".into())
}

/// Records today's check-in for an active episode; a second report for the same half-day corrects
/// the first. A fever at or above the rule set's threshold, or a red-flag symptom, raises an alert on
/// the episode's unit in the same transaction. Busy servers go through [`super::writer`] instead,
/// which writes the same way, many check-ins per transaction.
pub async fn record(db: &Db, episode: &Episode, input: &ValidCheckIn, source: Source, today: Date) -> Result<Recorded, AppError> {
    let one = Submission { target: Target::Episode(Box::new(episode.clone())), input: Some(input.clone()), source, today };
    write_batch(db, vec![one]).await.pop().unwrap_or_else(|| Err(AppError::Internal(anyhow::anyhow!("no result"))))
}

/// Writes check-ins in one transaction with a handful of statements whatever their number: links,
/// with their hourly windows, rule sets and known idempotency keys are each read with one query, and the
/// rows of each table go in one multi-row insert. Returns one result per check-in, in order.
///
/// One report can never fail the others: when the database refuses a statement of the batch, its
/// halves are written apart, and so on, until the report it refuses stands alone and fails alone
/// (counted against its link's allowance all the same). On PostgreSQL two writers can race to keep
/// one idempotency key; the loser's batch is written again the same way, and there the key is known.
/// A failure that is not a refused statement (the connection lost) fails the reports it held.
pub async fn write_batch(db: &Db, batch: Vec<Submission>) -> Vec<Result<Recorded, AppError>> {
    let mut results = Vec::with_capacity(batch.len());
    // Parts still to write, the next one last: (where it lies in the batch, already written again).
    let mut parts: Vec<(std::ops::Range<usize>, bool)> = vec![(0..batch.len(), false)];
    while let Some((range, again)) = parts.pop() {
        let part = &batch[range.clone()];
        match write_together(db, part).await {
            Ok(written) => results.extend(written),
            Err(sqlx::Error::Database(_)) if part.len() > 1 => {
                let middle = range.start + part.len() / 2;
                parts.push((middle..range.end, false));
                parts.push((range.start..middle, false));
            }
            // A key another writer kept between this report's reads and its writes: written
            // again, the key is known and the report answered as a duplicate or a conflict.
            Err(e) if is_unique_violation(&e) && !again => parts.push((range, true)),
            Err(e @ sqlx::Error::Database(_)) => results.push(Err(failed_alone(db, &part[0], e).await)),
            Err(e) => {
                tracing::error!(error = %e, count = part.len(), "check-in batch failed");
                results.extend(part.iter().map(|_| Err(AppError::Internal(anyhow::anyhow!("check-in batch failed")))));
            }
        }
    }
    results
}

/// The answer to a report the database refused on its own; a link's report is still counted.
async fn failed_alone(db: &Db, submission: &Submission, error: sqlx::Error) -> AppError {
    tracing::error!(error = %error, "a check-in was refused by the database");
    if let Target::Link { .. } = submission.target {
        let count = Submission { input: None, ..submission.clone() };
        if let Err(e) = write_together(db, std::slice::from_ref(&count)).await {
            tracing::error!(error = %e, "could not count a refused check-in against its link");
        }
    }
    AppError::Internal(anyhow::anyhow!("check-in refused by the database"))
}

/// A check-in that passed every check, with what it writes.
struct Accepted<'a> {
    index: usize,
    episode: &'a Episode,
    submission: &'a Submission,
    input: &'a ValidCheckIn,
    /// The content's fingerprint, kept with the idempotency key.
    fingerprint: String,
    alerts: Vec<(AlertKind, String)>,
    actor: Actor,
}

impl Accepted<'_> {
    fn source_name(&self) -> &'static str {
        match self.submission.source {
            Source::Worker(_) => "worker",
            Source::Resident => "resident",
        }
    }
    fn slot_key(&self) -> (i64, String) {
        (self.episode.id, self.input.slot.as_str().to_string())
    }
}

/// An episode found by its link, with the link's current hourly window.
#[derive(sqlx::FromRow)]
struct Linked {
    #[sqlx(flatten)]
    episode: Episode,
    report_window_start: i64,
    report_window_count: i64,
}

fn episode_of<'a>(submission: &'a Submission, linked: &'a HashMap<String, Linked>) -> Option<&'a Episode> {
    match &submission.target {
        Target::Episode(e) => Some(e.as_ref()),
        Target::Link { token, .. } => linked.get(token).map(|l| &l.episode),
    }
}

/// The alerts a reading raises under its rule set.
fn alerts_for(input: &ValidCheckIn, rules: &rules::RuleSet) -> Vec<(AlertKind, String)> {
    let mut alerts = Vec::new();
    if input.temperature.is_fever(rules.fever_threshold()) {
        alerts.push((AlertKind::Fever, format!("体温 {} ℃", input.temperature)));
    }
    let red: Vec<&str> = input.symptoms.iter().filter(|s| s.is_red_flag() && **s != Symptom::Fever).map(|s| s.zh()).collect();
    if !red.is_empty() {
        alerts.push((AlertKind::RedFlag, red.join("、")));
    }
    alerts
}

/// `select … where column in (…)` for a batch's keys.
fn select_in<'q, DB: sqlx::Database, T>(head: &str, column: &str, keys: impl IntoIterator<Item = T>) -> sqlx::QueryBuilder<DB>
where
    T: 'q + sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::QueryBuilder::<DB>::new(format!("{head} where {column} in ("));
    let mut list = query.separated(", ");
    for key in keys {
        list.push_bind(key);
    }
    query.push(")");
    query
}

/// A check-in's key as [`Known`] reads it.
const HELD_KEYS: &str = "select idempotency_key, episode_id as owner, key_submitter as submitter, key_fingerprint as fingerprint, id as record_id from check_ins";

/// What a batch reads of the check-ins already written on its episodes' days.
const WRITTEN: &str = "select id, episode_id, day, slot, idempotency_key, key_submitter, key_fingerprint from check_ins";

/// A key moved aside: its report was corrected by a later one on the same check-in.
struct Aside<'a> {
    key: &'a str,
    episode: i64,
    submitter: Option<String>,
    fingerprint: Option<&'a str>,
    check_in: i64,
}

#[derive(sqlx::FromRow)]
struct Written {
    id: i64,
    episode_id: i64,
    day: Date,
    slot: String,
    idempotency_key: Option<String>,
    key_submitter: Option<String>,
    key_fingerprint: Option<String>,
}

async fn write_together(db: &Db, batch: &[Submission]) -> sqlx::Result<Vec<Result<Recorded, AppError>>> {
    let now = now_micros();
    let tokens: Vec<&str> = batch
        .iter()
        .filter_map(|s| match &s.target {
            Target::Link { token, .. } => Some(token.as_str()),
            Target::Episode(_) => None,
        })
        .collect();
    let keys: Vec<&str> = batch.iter().filter_map(|s| s.input.as_ref()?.idempotency_key.as_deref()).collect();
    // SQLite: take the write lock first, so that what is read below cannot change before the writes.
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let lock_episodes = matches!(db, Db::Postgres(_));
    on_db!(db, pool => {
        let mut tx = pool.begin_with(begin).await?;
        if lock_episodes {
            // PostgreSQL: lock every episode of the batch first, in id order, so that what is read
            // below (a link's hourly window, the keys already used, the days already reported)
            // cannot change before this batch writes — another writer with the same episode waits.
            let ids: Vec<i64> = batch.iter().filter_map(|s| match &s.target { Target::Episode(e) => Some(e.id), Target::Link { .. } => None }).collect();
            // An empty list stands as a value no episode has (an empty token, id -1).
            let mut lock = sqlx::QueryBuilder::<DB>::new("select id from observation_episodes where report_token in (");
            let mut list = lock.separated(", ");
            for token in tokens.iter().copied().chain(tokens.is_empty().then_some("")) {
                list.push_bind(token);
            }
            lock.push(") or id in (");
            let mut list = lock.separated(", ");
            for id in ids.iter().copied().chain(ids.is_empty().then_some(-1)) {
                list.push_bind(id);
            }
            lock.push(") order by id for update");
            lock.build().execute(&mut *tx).await?;
        }
        let linked: HashMap<String, Linked> = if tokens.is_empty() { HashMap::new() } else {
            let head = format!("select {}, report_window_start, report_window_count from observation_episodes", super::episodes::COLUMNS);
            select_in::<DB, _>(&head, "report_token", tokens.iter().copied())
                .build_query_as::<Linked>().fetch_all(&mut *tx).await?.into_iter().map(|l| (l.episode.report_token.clone(), l)).collect()
        };
        let rule_ids: Vec<i64> = batch.iter().filter_map(|s| episode_of(s, &linked)).map(|e| e.rule_set_id).collect();
        let rule_sets: Vec<rules::RuleSet> = if rule_ids.is_empty() { Vec::new() } else {
            select_in::<DB, i64>(&format!("select {} from rule_sets", rules::COLUMNS), "id", rule_ids.iter().copied())
                .build_query_as().fetch_all(&mut *tx).await?
        };
        // Keys already used, by (episode, key): a key belongs to its episode only. The key of the
        // report a check-in holds is on the check-in; one a later report corrected was moved aside.
        let mut known_keys: HashMap<(i64, String), Known> = HashMap::new();
        if !keys.is_empty() {
            let mut held = select_in::<DB, _>(HELD_KEYS, "idempotency_key", keys.iter().copied());
            let mut aside = select_in::<DB, _>(idempotency::SELECT_KNOWN, "idempotency_key", keys.iter().copied());
            aside.push(" and kind = ").push_bind(idempotency::CHECK_IN);
            for known in [held.build_query_as::<Known>().fetch_all(&mut *tx).await?, aside.build_query_as::<Known>().fetch_all(&mut *tx).await?].concat() {
                known_keys.insert((known.owner, known.idempotency_key.clone()), known);
            }
        }

        // Decide each report's fate in order; `results[i]` is final unless it is accepted.
        let mut results: Vec<Option<Result<Recorded, AppError>>> = Vec::with_capacity(batch.len());
        let mut accepted: Vec<Accepted> = Vec::new();
        // Each link's hourly window (start, reports counted) as this batch leaves it, by episode.
        let mut windows: HashMap<i64, (i64, i64)> = HashMap::new();
        // A report repeating the key of an earlier one in the batch: (its index, the first's index).
        let mut twins: Vec<(usize, usize)> = Vec::new();
        let mut first_with_key: HashMap<(i64, &str), usize> = HashMap::new();
        for (index, submission) in batch.iter().enumerate() {
            let Some(episode) = episode_of(submission, &linked) else {
                results.push(Some(Err(AppError::NotFound)));
                continue;
            };
            if !episode.is_active() {
                results.push(Some(Err(link_expired())));
                continue;
            }
            let fingerprint = submission.input.as_ref().map(ValidCheckIn::fingerprint).unwrap_or_default();
            let key = submission.input.as_ref().and_then(|i| i.idempotency_key.as_deref());
            if let Some(known) = key.and_then(|k| known_keys.get(&(episode.id, k.to_string()))) {
                let replayed = known.replay(&submission.source.submitter(), &fingerprint);
                results.push(Some(replayed.map(|id| Recorded { check_in_id: id, duplicate: true, alerts: Vec::new() })));
                continue;
            }
            if let Some(first) = key.and_then(|k| first_with_key.get(&(episode.id, k))) {
                twins.push((index, *first));
                results.push(None);
                continue;
            }
            if let Target::Link { token, per_hour } = &submission.target {
                let link = &linked[token];
                let window = windows.entry(episode.id).or_insert_with(|| {
                    if now - link.report_window_start < HOUR { (link.report_window_start, link.report_window_count) } else { (now, 0) }
                });
                if window.1 >= *per_hour {
                    results.push(Some(Err(AppError::RateLimited)));
                    continue;
                }
                window.1 += 1;
            }
            let Some(input) = &submission.input else {
                // Counted above; the caller answers with the error that refused it.
                results.push(Some(Err(AppError::Invalid(Vec::new()))));
                continue;
            };
            if let Some(k) = key {
                first_with_key.insert((episode.id, k), index);
            }
            let Some(rules) = rule_sets.iter().find(|r| r.id == episode.rule_set_id) else {
                results.push(Some(Err(AppError::Internal(anyhow::anyhow!("rule set {} missing", episode.rule_set_id)))));
                continue;
            };
            let actor = match &submission.source {
                Source::Worker(a) => a.clone(),
                Source::Resident => Actor { user_id: None, username: format!("resident:observation#{}", episode.id), org_code: episode.org_code.clone(), client_addr: None },
            };
            accepted.push(Accepted { index, episode, submission, input, fingerprint, alerts: alerts_for(input, rules), actor });
            results.push(None);
        }

        if !windows.is_empty() {
            // `values` columns are named column1, column2… on both SQLite and PostgreSQL.
            let mut update = sqlx::QueryBuilder::<DB>::new(
                "update observation_episodes set report_window_start = v.column2, report_window_count = v.column3 from (");
            update.push_values(&windows, |mut row, (id, (start, count))| {
                row.push_bind(*id).push_bind(*start).push_bind(*count);
            });
            update.push(") as v where observation_episodes.id = v.column1");
            update.build().execute(&mut *tx).await?;
        }
        let mut ids: HashMap<(i64, String), i64> = HashMap::new();
        if !accepted.is_empty() {
            // A later report for the same half-day corrects an earlier one: only the last is written.
            let mut last: HashMap<(i64, String), &Accepted> = HashMap::new();
            for a in &accepted {
                last.insert(a.slot_key(), a);
            }
            let mut rows: Vec<&&Accepted> = last.values().collect();
            rows.sort_by_key(|a| a.index);
            // The rows these reports land on that are written already: a person's first report of a
            // day is counted, and the key of a report about to be corrected is kept aside.
            let episodes: Vec<i64> = rows.iter().map(|a| a.episode.id).collect();
            let mut days: Vec<Date> = rows.iter().map(|a| a.submission.today).collect();
            days.sort();
            days.dedup();
            let mut query = select_in::<DB, i64>(WRITTEN, "episode_id", episodes.iter().copied());
            query.push(" and day in (");
            let mut list = query.separated(", ");
            for day in &days {
                list.push_bind(*day);
            }
            query.push(")");
            let written: Vec<Written> = query.build_query_as::<Written>().fetch_all(&mut *tx).await?;
            let mut tally = crate::counts::Tally::default();
            let mut reported: HashSet<(i64, Date)> = written.iter().map(|w| (w.episode_id, w.day)).collect();
            for a in &rows {
                if reported.insert((a.episode.id, a.submission.today)) {
                    tally.add(&a.episode.org_code, crate::counts::CHECKIN_REPORTED, &a.submission.today.to_string(), 1);
                }
            }
            let check_ins: Vec<CheckInRow> = rows.iter().map(|a| CheckInRow {
                day: a.submission.today,
                episode_id: a.episode.id,
                org_code: &a.episode.org_code,
                slot: a.input.slot.as_str(),
                temperature_tenths: i64::from(a.input.temperature.tenths()),
                symptoms: a.input.symptoms.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
                note: a.input.note.as_deref(),
                source: a.source_name(),
                reported_at: now,
                created_by: a.actor.user_id,
                key: a.input.idempotency_key.as_deref().map(|key| (key, a.submission.source.submitter(), a.fingerprint.as_str())),
            }).collect();
            for (id, episode_id, slot) in super::checkin_rows::insert_many(&mut *tx, &check_ins).await? {
                ids.insert((episode_id, slot), id);
            }
            // Keys that are no longer their row's: an earlier report's that one of these corrects, and
            // those of reports corrected by a later one in this batch. They are kept aside, so a retry
            // of the earlier report is still known. (Rare: most reports are a half-day's only one.)
            let corrected = |w: &Written| last.get(&(w.episode_id, w.slot.clone())).is_some_and(|a| a.submission.today == w.day && a.input.idempotency_key != w.idempotency_key);
            let mut aside: Vec<Aside> = written.iter()
                .filter(|w| corrected(w))
                .filter_map(|w| Some(Aside { key: w.idempotency_key.as_deref()?, episode: w.episode_id, submitter: w.key_submitter.clone(), fingerprint: w.key_fingerprint.as_deref(), check_in: w.id }))
                .collect();
            for a in accepted.iter().filter(|a| last[&a.slot_key()].index != a.index) {
                if let (Some(key), Some(id)) = (a.input.idempotency_key.as_deref(), ids.get(&a.slot_key())) {
                    aside.push(Aside { key, episode: a.episode.id, submitter: Some(a.submission.source.submitter()), fingerprint: Some(a.fingerprint.as_str()), check_in: *id });
                }
            }
            if !aside.is_empty() {
                let mut insert = sqlx::QueryBuilder::<DB>::new(
                    "insert into submission_keys (idempotency_key, kind, owner, submitter, fingerprint, record_id, created_at) ");
                insert.push_values(&aside, |mut row, k| {
                    row.push_bind(k.key).push_bind(idempotency::CHECK_IN).push_bind(k.episode).push_bind(k.submitter.as_deref()).push_bind(k.fingerprint).push_bind(k.check_in).push_bind(now);
                });
                insert.build().execute(&mut *tx).await?;
            }
            let alerts: Vec<(&Accepted, &(AlertKind, String))> = accepted.iter().flat_map(|a| a.alerts.iter().map(move |alert| (a, alert))).collect();
            if !alerts.is_empty() {
                let mut insert = sqlx::QueryBuilder::<DB>::new("insert into alerts (org_code, person_id, episode_id, kind, day, detail, raised_at) ");
                insert.push_values(&alerts, |mut row, (a, (kind, detail))| {
                    row.push_bind(&a.episode.org_code).push_bind(a.episode.person_id).push_bind(a.episode.id).push_bind(kind.as_str())
                        .push_bind(a.submission.today).push_bind(detail.as_str()).push_bind(now);
                });
                insert.push(" on conflict (episode_id, kind, day) do nothing returning org_code, kind, day");
                // Only the alerts raised now come back: a second fever the same day is not a new one.
                for (org_code, kind, day) in insert.build_query_as::<(String, String, Date)>().fetch_all(&mut *tx).await? {
                    tally.add(&org_code, &crate::counts::open_alerts_metric(&kind), "", 1);
                    if kind == AlertKind::Fever.as_str() {
                        tally.add(&org_code, crate::counts::FEVERS, &day.to_string(), 1);
                    }
                }
            }
            crate::counts::write(&mut *tx, &tally).await?;
            let events: Vec<(&Actor, AuditEvent)> = accepted.iter().map(|a| (&a.actor, AuditEvent {
                action: "checkin.create", record_type: "observation", record_id: Some(a.episode.id.to_string()), org_code: a.episode.org_code.clone(),
                detail: Some(format!("source={} slot={}", a.source_name(), a.input.slot.as_str())),
            })).collect();
            crate::audit::store::insert_many(&mut *tx, now, &events).await?;
        }
        tx.commit().await?;

        for a in &accepted {
            let alerts = a.alerts.iter().map(|(k, _)| k.as_str().to_string()).collect();
            results[a.index] = Some(match ids.get(&a.slot_key()) {
                Some(id) => Ok(Recorded { check_in_id: *id, duplicate: false, alerts }),
                None => Err(AppError::Internal(anyhow::anyhow!("check-in row missing"))),
            });
        }
        let fingerprint_of = |i: usize| batch[i].input.as_ref().map(ValidCheckIn::fingerprint);
        for (twin, first) in twins {
            results[twin] = Some(match &results[first] {
                Some(Ok(r)) if fingerprint_of(twin) == fingerprint_of(first) => Ok(Recorded { check_in_id: r.check_in_id, duplicate: true, alerts: Vec::new() }),
                Some(Ok(_)) => Err(idempotency::conflict()),
                _ => Err(AppError::Internal(anyhow::anyhow!("twin of a failed report"))),
            });
        }
        Ok(results.into_iter().map(|r| r.unwrap_or_else(|| Err(AppError::Internal(anyhow::anyhow!("unsettled check-in"))))).collect())
    })
}

/// An episode's check-ins, oldest first.
pub async fn history(db: &Db, episode_id: i64) -> sqlx::Result<Vec<CheckIn>> {
    on_db!(db, pool => sqlx::query_as::<DB, CheckIn>(
        "select id, day, slot, temperature_tenths, symptoms, note, source, reported_at from check_ins where episode_id = $1 order by day, slot")
        .bind(episode_id).fetch_all(pool).await)
}
