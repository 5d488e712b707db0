//! Designated hospitals (定点医院) and transfers of cases to them (转运): the county requests a bed,
//! the hospital accepts (the bed is then reserved) and admits; the stay ends at discharge or death.
//! A bed is counted taken from acceptance, so the board's free beds are what can still be promised.
//! Every change that takes a bed first touches the hospital's row: that serialises the bed count
//! per hospital on both databases, so two requests cannot take the last bed twice.

use super::store::{self as cases, Case};
use super::writes;
use super::{BedKind, CaseStatus, TransferStatus};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;

/// A hospital with its beds: total, taken (reserved or occupied) and free, by kind.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HospitalBeds {
    pub id: i64,
    pub org_code: String,
    pub name: String,
    pub general_beds: i64,
    pub isolation_beds: i64,
    pub icu_beds: i64,
    pub general_taken: i64,
    pub isolation_taken: i64,
    pub icu_taken: i64,
    /// Requests waiting for the hospital to accept them.
    pub requested: i64,
}

impl HospitalBeds {
    /// `(total, taken)` of one kind.
    pub fn beds(&self, kind: BedKind) -> (i64, i64) {
        match kind {
            BedKind::General => (self.general_beds, self.general_taken),
            BedKind::Isolation => (self.isolation_beds, self.isolation_taken),
            BedKind::Icu => (self.icu_beds, self.icu_taken),
        }
    }
    pub fn free(&self, kind: BedKind) -> i64 {
        let (total, taken) = self.beds(kind);
        (total - taken).max(0)
    }
}

const BOARD_SQL: &str = "select h.id, h.org_code, h.name, h.general_beds, h.isolation_beds, h.icu_beds, \
       coalesce(sum(case when t.bed_kind = 'general' and t.status in ('accepted', 'admitted') then 1 else 0 end), 0) as general_taken, \
       coalesce(sum(case when t.bed_kind = 'isolation' and t.status in ('accepted', 'admitted') then 1 else 0 end), 0) as isolation_taken, \
       coalesce(sum(case when t.bed_kind = 'icu' and t.status in ('accepted', 'admitted') then 1 else 0 end), 0) as icu_taken, \
       coalesce(sum(case when t.status = 'requested' then 1 else 0 end), 0) as requested \
     from hospitals h left join transfers t on t.hospital_id = h.id and t.status in ('requested', 'accepted', 'admitted')";

/// Every designated hospital with its beds, live. Bed counts are not personal data: every unit
/// that sends patients sees the whole board.
pub async fn board(db: &Db) -> sqlx::Result<Vec<HospitalBeds>> {
    let sql = format!("{BOARD_SQL} group by h.id, h.org_code, h.name, h.general_beds, h.isolation_beds, h.icu_beds order by h.org_code, h.name");
    on_db!(db, pool => sqlx::query_as::<DB, HospitalBeds>(sqlx::AssertSqlSafe(&*sql)).fetch_all(pool).await)
}

/// The beds of the designated hospitals of `unit`'s city by kind: `(kind, total, taken)` — the
/// totals from the hospitals, the beds taken from the city's roll-up counts (each hospital's
/// under its unit, so the city's hold them all) instead of from every open transfer.
pub async fn city_beds(db: &Db, unit: &OrgCode) -> sqlx::Result<Vec<(BedKind, i64, i64)>> {
    let city = crate::counts::units_up(unit.as_str()).pop().and_then(|c| OrgCode::parse(&c).ok()).unwrap_or_else(|| unit.clone());
    let (low, high) = Scope::of(&city).bounds();
    let (totals, taken) = tokio::try_join!(
        async {
            on_db!(db, pool => sqlx::query_as::<DB, (i64, i64, i64)>(
                "select cast(coalesce(sum(general_beds), 0) as bigint), cast(coalesce(sum(isolation_beds), 0) as bigint), cast(coalesce(sum(icu_beds), 0) as bigint) \
                 from hospitals where org_code >= $1 and org_code < $2").bind(&low).bind(&high).fetch_one(pool).await)
        },
        crate::counts::gauges(db, city.as_str()),
    )?;
    Ok(BedKind::ALL
        .iter()
        .map(|kind| {
            let total = match kind {
                BedKind::General => totals.0,
                BedKind::Isolation => totals.1,
                BedKind::Icu => totals.2,
            };
            (*kind, total, taken.get(&crate::counts::beds_taken_metric(kind.as_str())).copied().unwrap_or(0))
        })
        .collect())
}

pub async fn beds_of(db: &Db, id: i64) -> sqlx::Result<Option<HospitalBeds>> {
    let sql = format!("{BOARD_SQL} where h.id = $1 group by h.id, h.org_code, h.name, h.general_beds, h.isolation_beds, h.icu_beds");
    on_db!(db, pool => sqlx::query_as::<DB, HospitalBeds>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_optional(pool).await)
}

pub struct NewHospital {
    pub org_code: OrgCode,
    pub name: String,
    pub general_beds: i64,
    pub isolation_beds: i64,
    pub icu_beds: i64,
}

fn check_beds(h: &NewHospital) -> AppResult<()> {
    let name = h.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "name_required", "请填写医院名称(不超过 100 字)"));
    }
    for (field, n) in [("general_beds", h.general_beds), ("isolation_beds", h.isolation_beds), ("icu_beds", h.icu_beds)] {
        if !(0..=100_000).contains(&n) {
            return Err(AppError::invalid(field, "beds_invalid", "床位数应为 0 至 100000 的整数"));
        }
    }
    Ok(())
}

/// Designates a hospital of a unit in scope.
pub async fn create(db: &Db, actor: &Actor, scope: &Scope, h: &NewHospital) -> AppResult<i64> {
    check_beds(h)?;
    if crate::org::store::get(db, scope, &h.org_code).await?.is_none() {
        return Err(AppError::invalid("org_code", "org_unknown", "所属单位不存在或不在您的管辖范围内"));
    }
    let now = now_micros();
    let created: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into hospitals (org_code, name, general_beds, isolation_beds, icu_beds, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id")
            .bind(h.org_code.as_str()).bind(h.name.trim()).bind(h.general_beds).bind(h.isolation_beds).bind(h.icu_beds).bind(now)
            .fetch_one(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "hospital.create", record_type: "hospital", record_id: Some(id.to_string()), org_code: h.org_code.to_string(),
            detail: Some(format!("general={} isolation={} icu={}", h.general_beds, h.isolation_beds, h.icu_beds)),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match created {
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "该单位已有同名医院".into(), existing_id: None }),
        other => Ok(other?),
    }
}

fn taken_of(taken: &[(String, i64)], kind: BedKind) -> i64 {
    taken.iter().find(|(k, _)| k == kind.as_str()).map_or(0, |(_, n)| *n)
}

/// Changes a hospital's bed counts (wards opened or closed); never below the beds taken.
pub async fn set_beds(db: &Db, actor: &Actor, scope: &Scope, id: i64, general: i64, isolation: i64, icu: i64) -> AppResult<()> {
    let current = beds_of(db, id).await?.filter(|h| scope.allows(&h.org_code)).ok_or(AppError::NotFound)?;
    let wanted =
        NewHospital { org_code: OrgCode::parse(&current.org_code).map_err(|_| AppError::NotFound)?, name: current.name.clone(), general_beds: general, isolation_beds: isolation, icu_beds: icu };
    check_beds(&wanted)?;
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let taken = writes::lock_and_count_taken(&mut *tx, id).await?;
        for (kind, n) in [(BedKind::General, general), (BedKind::Isolation, isolation), (BedKind::Icu, icu)] {
            let t = taken_of(&taken, kind);
            if n < t {
                return Ok(Err(AppError::invalid("beds", "beds_below_taken", format!("{}不能少于已占用的 {t} 张", kind.zh()))));
            }
        }
        sqlx::query::<DB>("update hospitals set general_beds = $1, isolation_beds = $2, icu_beds = $3, updated_at = $4 where id = $5")
            .bind(general).bind(isolation).bind(icu).bind(now_micros()).bind(id).execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "hospital.beds", record_type: "hospital", record_id: Some(id.to_string()), org_code: current.org_code.clone(),
            detail: Some(format!("general={general} isolation={isolation} icu={icu}")),
        }).await?;
        tx.commit().await?;
        Ok::<AppResult<()>, sqlx::Error>(Ok(()))
    }.await)?
}

/// The message for a hospital with no free bed of a kind.
fn full(h: &HospitalBeds, kind: BedKind) -> AppError {
    let (total, taken) = h.beds(kind);
    AppError::invalid("hospital_id", "hospital_full", format!("{}的{}已满(共 {total} 张,已占用 {taken} 张),请选择其他定点医院或其他床位类型", h.name, kind.zh()))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub case_id: i64,
    pub hospital_id: i64,
    pub hospital: String,
    /// `general`, `isolation` or `icu`.
    pub bed_kind: String,
    /// `requested`, `accepted`, `admitted`, `ended` or `cancelled`.
    pub status: String,
    pub requested_at: i64,
    pub accepted_at: Option<i64>,
    pub admitted_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub note: Option<String>,
}

impl Transfer {
    pub fn status_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        TransferStatus::parse(&self.status).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn bed_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        BedKind::parse(&self.bed_kind).map(|v| v.label(lang)).unwrap_or("")
    }
    pub fn is_open(&self) -> bool {
        matches!(TransferStatus::parse(&self.status), Some(TransferStatus::Requested | TransferStatus::Accepted | TransferStatus::Admitted))
    }
}

const TRANSFER_COLUMNS: &str = "t.id, t.case_id, t.hospital_id, h.name as hospital, t.bed_kind, t.status, t.requested_at, t.accepted_at, t.admitted_at, t.ended_at, t.note";

/// A case's transfers, oldest first.
pub async fn for_case(db: &Db, case_id: i64) -> sqlx::Result<Vec<Transfer>> {
    let sql = format!("select {TRANSFER_COLUMNS} from transfers t join hospitals h on h.id = t.hospital_id where t.case_id = $1 order by t.id");
    on_db!(db, pool => sqlx::query_as::<DB, Transfer>(sqlx::AssertSqlSafe(&*sql)).bind(case_id).fetch_all(pool).await)
}

/// A transfer of a case in scope.
async fn get_transfer(db: &Db, scope: &Scope, id: i64) -> AppResult<(Transfer, Case)> {
    let sql = format!("select {TRANSFER_COLUMNS} from transfers t join hospitals h on h.id = t.hospital_id where t.id = $1");
    let transfer = on_db!(db, pool => sqlx::query_as::<DB, Transfer>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_optional(pool).await)?.ok_or(AppError::NotFound)?;
    let case = cases::get(db, scope, transfer.case_id).await?.ok_or(AppError::NotFound)?;
    Ok((transfer, case))
}

/// Asks a designated hospital for a bed for a suspected or confirmed case in scope. A hospital with
/// no free bed of that kind is refused at once, with its figures.
pub async fn request(db: &Db, actor: &Actor, scope: &Scope, case_id: i64, hospital_id: i64, kind: BedKind, note: Option<&str>) -> AppResult<i64> {
    let case = cases::get(db, scope, case_id).await?.ok_or(AppError::NotFound)?;
    if !matches!(CaseStatus::parse(&case.status), Some(CaseStatus::Confirmed | CaseStatus::Suspected)) {
        return Err(AppError::invalid("case_id", "not_transferable", "只有疑似和确诊病例转运至定点医院"));
    }
    let hospital = beds_of(db, hospital_id).await?.ok_or_else(|| AppError::invalid("hospital_id", "hospital_unknown", "请选择定点医院"))?;
    if hospital.free(kind) == 0 {
        return Err(full(&hospital, kind));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let inserted: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into transfers (case_id, hospital_id, bed_kind, status, requested_at, requested_by, note) values ($1, $2, $3, 'requested', $4, $5, $6) returning id")
            .bind(case.id).bind(hospital_id).bind(kind.as_str()).bind(now_micros()).bind(actor.user_id).bind(note).fetch_one(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "transfer.request", record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(),
            detail: Some(format!("hospital={hospital_id} bed={}", kind.as_str())),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    match inserted {
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "该病例已有进行中的转运,请先取消或结束".into(), existing_id: None }),
        other => Ok(other?),
    }
}

/// The hospital's steps: accept (the bed is taken, if one is still free) and admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Admit,
    /// The county or the hospital calls it off before admission.
    Cancel,
}

/// Moves a transfer of a case in scope one step on, at `at` (epoch µs).
pub async fn advance(db: &Db, actor: &Actor, scope: &Scope, id: i64, step: Step, at: i64) -> AppResult<Transfer> {
    let (transfer, case) = get_transfer(db, scope, id).await?;
    let (from, to, column): (&[TransferStatus], TransferStatus, &str) = match step {
        Step::Accept => (&[TransferStatus::Requested], TransferStatus::Accepted, "accepted_at"),
        Step::Admit => (&[TransferStatus::Accepted], TransferStatus::Admitted, "admitted_at"),
        Step::Cancel => (&[TransferStatus::Requested, TransferStatus::Accepted], TransferStatus::Cancelled, "ended_at"),
    };
    if !from.iter().any(|s| s.as_str() == transfer.status) {
        return Err(AppError::Conflict { message: format!("该转运当前为“{}”,不能{}", transfer.status_label(&crate::web::i18n::Lang::Zh), step_label(step)), existing_id: None });
    }
    if !cases::within_minutes(transfer.requested_at, at) {
        return Err(AppError::invalid("at", "time_out_of_range", "时间应在申请转运之后、现在之前"));
    }
    let kind = BedKind::parse(&transfer.bed_kind).ok_or_else(|| AppError::Internal(anyhow::anyhow!("bed kind {}", transfer.bed_kind)))?;
    let sql = format!("update transfers set status = $1, {column} = $2 where id = $3 and status = $4");
    let outcome: AppResult<()> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        if step == Step::Accept {
            let taken = writes::lock_and_count_taken(&mut *tx, transfer.hospital_id).await?;
            let hospital = beds_of(db, transfer.hospital_id).await?.ok_or(AppError::NotFound)?;
            if taken_of(&taken, kind) >= hospital.beds(kind).0 {
                return Ok(Err(full(&hospital, kind)));
            }
        }
        let changed = sqlx::query::<DB>(sqlx::AssertSqlSafe(&*sql)).bind(to.as_str()).bind(at).bind(transfer.id).bind(&transfer.status)
            .execute(&mut *tx).await?.rows_affected() == 1;
        if !changed {
            return Ok(Err(AppError::Conflict { message: "该转运已被他人更新,请刷新后再试".into(), existing_id: None }));
        }
        match (step, transfer.status.as_str()) {
            (Step::Accept, _) => writes::bed_taken(&mut *tx, transfer.id, 1).await?,
            (Step::Cancel, "accepted") => writes::bed_taken(&mut *tx, transfer.id, -1).await?,
            _ => {}
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: step_action(step), record_type: "case", record_id: Some(case.id.to_string()), org_code: case.org_code.clone(),
            detail: Some(format!("transfer={}", transfer.id)),
        }).await?;
        tx.commit().await?;
        Ok::<AppResult<()>, AppError>(Ok(()))
    }.await)?;
    outcome?;
    let (transfer, _) = get_transfer(db, scope, id).await?;
    Ok(transfer)
}

fn step_label(step: Step) -> &'static str {
    match step {
        Step::Accept => "接收",
        Step::Admit => "登记入院",
        Step::Cancel => "取消",
    }
}

fn step_action(step: Step) -> &'static str {
    match step {
        Step::Accept => "transfer.accept",
        Step::Admit => "transfer.admit",
        Step::Cancel => "transfer.cancel",
    }
}

/// A patient holding a bed of a hospital: accepted or admitted, of a case in scope.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Patient {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub transfer: Transfer,
    /// Masked.
    pub name: String,
    pub case_status: String,
    pub case_org_code: String,
    /// The latest clinical classification, if assessed.
    pub severity: Option<String>,
}

/// Requested, reserved and admitted patients of a hospital whose cases are in scope.
pub async fn patients(db: &Db, scope: &Scope, hospital_id: i64) -> sqlx::Result<Vec<Patient>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "select {TRANSFER_COLUMNS}, p.name, c.status as case_status, c.org_code as case_org_code,            (select s.severity from case_severities s where s.case_id = c.id order by s.assessed_at desc, s.id desc limit 1) as severity          from transfers t join hospitals h on h.id = t.hospital_id join cases c on c.id = t.case_id join persons p on p.id = c.person_id          where t.hospital_id = $1 and t.status in ('requested', 'accepted', 'admitted') and c.org_code >= $2 and c.org_code < $3          order by t.status, t.requested_at"
    );
    let rows: Vec<Patient> = on_db!(db, pool => sqlx::query_as::<DB, Patient>(sqlx::AssertSqlSafe(&*sql)).bind(hospital_id).bind(low).bind(high).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|mut p| {
            p.name = fangkong_rules::mask::mask_name(&p.name);
            p
        })
        .collect())
}
