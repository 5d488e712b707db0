//! Users (账号). Every list and lookup for the UI takes a scope; login looks up by name only.

use super::Role;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    password_hash: String,
    role: String,
    org_code: String,
    active: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[schema(value_type = String)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub org_code: OrgCode,
    pub active: bool,
}

impl UserRow {
    /// Rows are written only through `create`, which validates both role and unit; a row edited by
    /// hand into something else is refused as a decoding error (an internal error for the request),
    /// never read as some other role.
    fn into_user(self) -> sqlx::Result<(User, String)> {
        let bad = |what: &str, value: &str| sqlx::Error::Decode(format!("user {}: stored {what} {value:?} is not valid", self.id).into());
        let role = Role::parse(&self.role).ok_or_else(|| bad("role", &self.role))?;
        let org_code = OrgCode::parse(&self.org_code).map_err(|_| bad("org code", &self.org_code))?;
        let user = User { id: self.id, username: self.username, display_name: self.display_name, role, org_code, active: self.active };
        Ok((user, self.password_hash))
    }
}

const COLUMNS: &str = "id, username, display_name, password_hash, role, org_code, active";

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_code: OrgCode,
    pub password_hash: String,
}

/// Creates an account whose home unit must exist and lie in `scope`.
pub async fn create(db: &Db, actor: &Actor, scope: &Scope, new: NewUser) -> AppResult<i64> {
    if !scope.allows(new.org_code.as_str()) || crate::org::store::get(db, scope, &new.org_code).await?.is_none() {
        return Err(AppError::invalid("org_code", "org_unknown", "该单位不存在或不在您的管辖范围内"));
    }
    let result: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let (id,): (i64,) = sqlx::query_as::<DB, (i64,)>(
            "insert into users (username, display_name, password_hash, role, org_code, active, created_at) \
             values ($1, $2, $3, $4, $5, true, $6) returning id")
            .bind(&new.username).bind(&new.display_name).bind(&new.password_hash)
            .bind(new.role.as_str()).bind(new.org_code.as_str()).bind(now_micros())
            .fetch_one(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "user.create", record_type: "user", record_id: Some(id.to_string()),
            org_code: new.org_code.to_string(), detail: Some(format!("role={}", new.role.as_str())),
        }).await?;
        tx.commit().await?;
        Ok(id)
    }.await);
    result.map_err(|e| if is_unique_violation(&e) { AppError::invalid("username", "username_taken", "该用户名已被使用") } else { e.into() })
}

/// For login only: the account and its password hash, whatever its unit.
pub async fn find_for_login(db: &Db, username: &str) -> sqlx::Result<Option<(User, String)>> {
    let sql = format!("select {COLUMNS} from users where username = $1");
    let row: Option<UserRow> = on_db!(db, pool => sqlx::query_as::<DB, UserRow>(sqlx::AssertSqlSafe(&*sql)).bind(username).fetch_optional(pool).await)?;
    row.map(UserRow::into_user).transpose()
}

/// For session lookup: the account behind a valid session.
pub(super) async fn by_id_unscoped(db: &Db, id: i64) -> sqlx::Result<Option<User>> {
    let sql = format!("select {COLUMNS} from users where id = $1");
    let row: Option<UserRow> = on_db!(db, pool => sqlx::query_as::<DB, UserRow>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_optional(pool).await)?;
    Ok(row.map(UserRow::into_user).transpose()?.map(|(user, _)| user))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<User>> {
    Ok(by_id_unscoped(db, id).await?.filter(|u| scope.allows(u.org_code.as_str())))
}

pub async fn list(db: &Db, scope: &Scope) -> sqlx::Result<Vec<User>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from users where org_code >= $1 and org_code < $2 order by org_code, username limit 1000");
    let rows: Vec<UserRow> = on_db!(db, pool => sqlx::query_as::<DB, UserRow>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).fetch_all(pool).await)?;
    rows.into_iter().map(|r| r.into_user().map(|(user, _)| user)).collect()
}

/// Enables or disables an account in scope; disabling also ends its sessions.
pub async fn set_active(db: &Db, actor: &Actor, scope: &Scope, id: i64, active: bool) -> AppResult<()> {
    let user = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("update users set active = $1 where id = $2").bind(active).bind(id).execute(&mut *tx).await?;
        if !active {
            sqlx::query::<DB>("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: if active { "user.enable" } else { "user.disable" }, record_type: "user",
            record_id: Some(id.to_string()), org_code: user.org_code.to_string(), detail: None,
        }).await?;
        tx.commit().await
    })?;
    Ok(())
}

/// Replaces the password of an account in scope and ends its sessions.
pub async fn set_password(db: &Db, actor: &Actor, scope: &Scope, id: i64, password_hash: &str) -> AppResult<()> {
    let user = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("update users set password_hash = $1 where id = $2").bind(password_hash).bind(id).execute(&mut *tx).await?;
        sqlx::query::<DB>("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "user.password_reset", record_type: "user", record_id: Some(id.to_string()),
            org_code: user.org_code.to_string(), detail: None,
        }).await?;
        tx.commit().await
    })?;
    Ok(())
}
