//! Sessions for the web UI (cookie) and API tokens (bearer), one table. Only a SHA-256 of each token is
//! stored, so a copy of the database does not hand out live sessions.

use crate::db::{Db, now_micros};
use crate::on_db;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// Session lifetimes, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub web_idle: i64,
    pub web_absolute: i64,
    pub api_absolute: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        const MINUTE: i64 = 60_000_000;
        Lifetimes { web_idle: 30 * MINUTE, web_absolute: 12 * 60 * MINUTE, api_absolute: 12 * 60 * MINUTE }
    }
}

pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub kind: String,
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("OS random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn create(db: &Db, user_id: i64, kind: SessionKind, lifetimes: &Lifetimes) -> sqlx::Result<NewSession> {
    let now = now_micros();
    let expires_at = now + if kind == SessionKind::Web { lifetimes.web_absolute } else { lifetimes.api_absolute };
    let session = NewSession { token: random_token(), csrf: random_token(), expires_at };
    on_db!(db, pool => {
        // Expired sessions are swept here rather than by a timer: logins are frequent enough.
        sqlx::query::<DB>("delete from sessions where expires_at < $1").bind(now).execute(pool).await?;
        sqlx::query::<DB>(
            "insert into sessions (token_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at) \
             values ($1, $2, $3, $4, $5, $5, $6)")
            .bind(token_hash(&session.token)).bind(user_id).bind(kind.as_str()).bind(&session.csrf)
            .bind(now).bind(expires_at)
            .execute(pool).await.map(|_| ())
    })?;
    Ok(session)
}

/// The live session for `token` of `kind`, refreshing its idle clock (at most once a minute, to keep
/// reads from turning into writes).
pub async fn lookup(db: &Db, token: &str, kind: SessionKind, lifetimes: &Lifetimes) -> sqlx::Result<Option<SessionRow>> {
    let hash = token_hash(token);
    let row: Option<SessionRow> = on_db!(db, pool => sqlx::query_as::<DB, SessionRow>(
        "select user_id, kind, csrf_token, last_seen_at, expires_at from sessions where token_hash = $1 and kind = $2")
        .bind(&hash).bind(kind.as_str()).fetch_optional(pool).await)?;
    let Some(row) = row else { return Ok(None) };
    let now = now_micros();
    let idle_expired = kind == SessionKind::Web && now - row.last_seen_at > lifetimes.web_idle;
    if now >= row.expires_at || idle_expired {
        delete(db, token).await?;
        return Ok(None);
    }
    if now - row.last_seen_at > 60_000_000 {
        // Beside the request, not in its way: under another writer's lock it would wait for it.
        // A refresh that fails is made by the next request.
        let db = db.clone();
        tokio::spawn(async move {
            let refreshed = on_db!(&db, pool => sqlx::query::<DB>("update sessions set last_seen_at = $1 where token_hash = $2 and last_seen_at < $1")
                .bind(now).bind(&hash).execute(pool).await.map(|_| ()));
            if let Err(e) = refreshed {
                tracing::debug!(error = %e, "session refresh deferred");
            }
        });
    }
    Ok(Some(row))
}

pub async fn delete(db: &Db, token: &str) -> sqlx::Result<()> {
    on_db!(db, pool => sqlx::query::<DB>("delete from sessions where token_hash = $1").bind(token_hash(token)).execute(pool).await.map(|_| ()))?;
    Ok(())
}
