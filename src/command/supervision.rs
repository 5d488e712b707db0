//! Supervision visits (督导): a leader records a visit to a unit in their jurisdiction — when, who,
//! what was checked, what was found — and the fixes it requires, each with a deadline. The visited
//! unit reports each fix done and the supervising unit confirms or reopens it
//! ([`super::supervision_fixes`]); open fixes past their deadline show as overdue to everyone above.

use crate::audit::{Actor, AuditEvent};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::labels::labelled_enum;
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;
use time::Date;

labelled_enum! {
    /// What a supervision visit looked at.
    CheckItem {
        Ledgers = "ledgers", "排查台账", "Screening ledgers";
        Isolation = "isolation", "居家和集中隔离", "Home and centralized isolation";
        Checkpoints = "checkpoints", "卡点值守", "Checkpoint duty";
        LifeNeeds = "life_needs", "生活保障", "Life support";
        FeverClinics = "fever_clinics", "发热门诊和预检分诊", "Fever clinics and triage";
        Enterprises = "enterprises", "复工复产企业", "Enterprises resuming work";
    }
}

pub struct NewFix {
    pub description: String,
    pub due_date: Date,
}

pub struct NewSupervision {
    pub org_code: OrgCode,
    pub visited_on: Date,
    pub inspectors: String,
    pub checked: Vec<CheckItem>,
    pub findings: String,
    pub fixes: Vec<NewFix>,
}

impl NewSupervision {
    fn check(&self, today: Date) -> AppResult<()> {
        let chars = |s: &str| s.trim().chars().count();
        if self.visited_on > today {
            return Err(AppError::invalid("visited_on", "date_future", "督导日期不能晚于今天"));
        }
        if !(1..=200).contains(&chars(&self.inspectors)) {
            return Err(AppError::invalid("inspectors", "inspectors_required", "请填写督导人员(不超过 200 字)"));
        }
        if self.checked.is_empty() {
            return Err(AppError::invalid("checked", "checked_required", "请选择检查了哪些方面"));
        }
        if !(1..=5000).contains(&chars(&self.findings)) {
            return Err(AppError::invalid("findings", "findings_required", "请填写发现的情况(不超过 5000 字)"));
        }
        for fix in &self.fixes {
            if !(1..=500).contains(&chars(&fix.description)) {
                return Err(AppError::invalid("fixes", "fix_length", "整改要求不能为空,且不超过 500 字"));
            }
            if fix.due_date < self.visited_on {
                return Err(AppError::invalid("fixes", "fix_due_before_visit", "整改期限不能早于督导日期"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Supervision {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub visited_on: Date,
    pub inspectors: String,
    /// Codes of what was checked, comma-separated.
    pub checked: String,
    pub findings: String,
    pub created_by_name: String,
    /// Fixes not yet done, and of those past their deadline.
    #[sqlx(default)]
    pub fixes_open: i64,
    #[sqlx(default)]
    pub fixes_overdue: i64,
}

impl Supervision {
    pub fn checked_labels(&self, lang: &crate::web::i18n::Lang) -> String {
        self.checked.split(',').filter_map(CheckItem::parse).map(|c| c.label(lang)).collect::<Vec<_>>().join(lang.pick("、", ", "))
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Fix {
    pub id: i64,
    pub supervision_id: i64,
    pub org_code: String,
    pub description: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub due_date: Date,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub done_note: Option<String>,
    /// The supervising unit checked the fix and accepted it.
    pub confirmed_at: Option<i64>,
    pub confirmed_by: Option<String>,
    #[sqlx(default)]
    pub overdue: bool,
    /// Each step, oldest first.
    #[sqlx(skip)]
    pub steps: Vec<super::supervision_fixes::Step>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupervisionView {
    pub supervision: Supervision,
    pub fixes: Vec<Fix>,
}

/// `$1` is today.
const SELECT: &str = "select s.id, s.org_code, coalesce(u.name, s.org_code) as org_name, s.visited_on, s.inspectors, s.checked, s.findings, s.created_by_name, \
     (select count(*) from supervision_fixes f where f.supervision_id = s.id and f.done_at is null) as fixes_open, \
     (select count(*) from supervision_fixes f where f.supervision_id = s.id and f.done_at is null and f.due_date < $1) as fixes_overdue \
     from supervisions s left join org_units u on u.code = s.org_code";

/// Records a visit to a unit in the jurisdiction with its required fixes.
pub async fn record(db: &Db, actor: &Actor, scope: &Scope, new: &NewSupervision, today: Date) -> AppResult<i64> {
    new.check(today)?;
    if !scope.allows(new.org_code.as_str()) || crate::org::store::get(db, scope, &new.org_code).await?.is_none() {
        return Err(AppError::invalid("org_code", "org_unknown", "该单位不存在或不在您的管辖范围内"));
    }
    let checked = new.checked.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",");
    let id = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into supervisions (org_code, visited_on, inspectors, checked, findings, created_by, created_by_name, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8) returning id")
            .bind(new.org_code.as_str()).bind(new.visited_on).bind(new.inspectors.trim()).bind(&checked).bind(new.findings.trim())
            .bind(actor.user_id).bind(&actor.username).bind(crate::db::now_micros()).fetch_one(&mut *tx).await?;
        for fix in &new.fixes {
            sqlx::query::<DB>("insert into supervision_fixes (supervision_id, org_code, description, due_date) values ($1, $2, $3, $4)")
                .bind(id).bind(new.org_code.as_str()).bind(fix.description.trim()).bind(fix.due_date).execute(&mut *tx).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "supervision.record", record_type: "supervision", record_id: Some(id.to_string()), org_code: new.org_code.to_string(),
            detail: Some(format!("fixes={}", new.fixes.len())),
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    }.await)?;
    Ok(id)
}

/// Visits to units in the jurisdiction, newest first.
pub async fn list(db: &Db, scope: &Scope, today: Date, limit: i64) -> sqlx::Result<Vec<Supervision>> {
    let (low, high) = scope.bounds();
    let sql = format!("{SELECT} where s.org_code >= $2 and s.org_code < $3 order by s.visited_on desc, s.id desc limit $4");
    on_db!(db, pool => sqlx::query_as::<DB, Supervision>(sqlx::AssertSqlSafe(&*sql)).bind(today).bind(low).bind(high).bind(limit).fetch_all(pool).await)
}

/// A visit in the jurisdiction with its fixes.
pub async fn view(db: &Db, scope: &Scope, id: i64, today: Date) -> sqlx::Result<Option<SupervisionView>> {
    let sql = format!("{SELECT} where s.id = $2");
    let found = on_db!(db, pool => sqlx::query_as::<DB, Supervision>(sqlx::AssertSqlSafe(&*sql)).bind(today).bind(id).fetch_optional(pool).await)?;
    let Some(supervision) = found.filter(|s| scope.allows(&s.org_code)) else { return Ok(None) };
    let fixes = on_db!(db, pool => sqlx::query_as::<DB, Fix>(
        "select id, supervision_id, org_code, description, due_date, done_at, done_by, done_note, confirmed_at, confirmed_by, (done_at is null and due_date < $1) as overdue \
         from supervision_fixes where supervision_id = $2 order by due_date, id")
        .bind(today).bind(id).fetch_all(pool).await)?;
    let fixes = super::supervision_fixes::with_steps(db, id, fixes).await?;
    Ok(Some(SupervisionView { supervision, fixes }))
}
