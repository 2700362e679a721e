//! Server-side sessions, sign-in attempts and API tokens. Only hashes of tokens are
//! stored, so a copy of the database does not let anyone sign in.

use crate::audit::{self, Change, Event};
use crate::crypto::{random_token, token_hash};
use crate::{now_ms, Actor, Db, Result, StoreError};
use jiuzhu_domain::authz::{Action, Resource};
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Absolute lifetime.
    pub max_age_ms: i64,
    /// Signed out after this long without a request.
    pub idle_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            max_age_ms: 12 * 3600 * 1000,
            idle_ms: 2 * 3600 * 1000,
        }
    }
}

impl Db {
    /// Starts a session; returns the cookie token (only its hash is stored).
    pub async fn session_create(
        &self,
        user_id: i64,
        region: &str,
        ip: &str,
        ua: &str,
        policy: SessionPolicy,
    ) -> Result<(String, Session)> {
        let token = random_token();
        let now = now_ms();
        let s = Session {
            user_id,
            csrf_token: random_token(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + policy.max_age_ms,
        };
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, region_code, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(region.to_string())
        .bind(s.csrf_token.clone())
        .bind(ip.chars().take(64).collect::<String>())
        .bind(ua.chars().take(256).collect::<String>())
        .bind(now)
        .bind(s.expires_at)
        .execute(&self.write)
        .await?;
        Ok((token, s))
    }

    /// The live session for a cookie token, touched at most once a minute.
    pub async fn session_get(&self, token: &str, policy: SessionPolicy) -> Result<Option<Session>> {
        let h = token_hash(token);
        let Some(r) = sqlx::query("SELECT user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1")
            .bind(h.clone())
            .fetch_optional(self.reader())
            .await?
        else {
            return Ok(None);
        };
        let s = Session {
            user_id: r.try_get("user_id")?,
            csrf_token: r.try_get("csrf_token")?,
            created_at: r.try_get("created_at")?,
            last_seen_at: r.try_get("last_seen_at")?,
            expires_at: r.try_get("expires_at")?,
        };
        let now = now_ms();
        if now >= s.expires_at || now - s.last_seen_at > policy.idle_ms {
            self.session_delete(token).await?;
            return Ok(None);
        }
        if now - s.last_seen_at > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(h)
                .execute(&self.write)
                .await?;
        }
        Ok(Some(s))
    }

    pub async fn session_delete(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records a sign-in attempt and returns how many failures this IP had in `window_ms`.
    pub async fn login_attempt(
        &self,
        username: &str,
        ip: &str,
        success: bool,
        window_ms: i64,
    ) -> Result<i64> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, success, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(username.chars().take(64).collect::<String>())
        .bind(ip.to_string())
        .bind(success as i64)
        .bind(now)
        .execute(&self.write)
        .await?;
        self.login_failures(ip, window_ms).await
    }

    pub async fn login_failures(&self, ip: &str, window_ms: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND success = 0 AND at >= $2",
        )
        .bind(ip.to_string())
        .bind(now_ms() - window_ms)
        .fetch_one(self.reader())
        .await?)
    }

    /// Creates an API token for a machine client. Returns the token once; only its hash
    /// is kept. `scopes` narrows what the token may do below what its user may do.
    pub async fn token_create(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        scopes: &[TokenScope],
        expires_at: Option<i64>,
    ) -> Result<(String, ApiToken)> {
        let n = name.trim().chars().count();
        if n == 0 || n > 64 {
            return Err(StoreError::Invalid("name_required"));
        }
        if scopes.is_empty() {
            return Err(StoreError::Invalid("token_scope_required"));
        }
        let user = self.user(user_id).await?;
        let token = format!("jz_{}", random_token());
        let scopes_text = scopes
            .iter()
            .map(TokenScope::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, region_code, name, token_hash, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user_id)
        .bind(user.region_code.clone())
        .bind(name.trim().to_string())
        .bind(token_hash(&token))
        .bind(scopes_text.clone())
        .bind(now_ms())
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        let region = crate::stored_region(user.region_code)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "api_token.create",
                record_kind: "api_token",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("scopes", None::<String>, Some(scopes_text))],
            },
        )
        .await?;
        tx.commit().await?;
        let t = self
            .tokens_of(user_id)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(StoreError::NotFound)?;
        Ok((token, t))
    }

    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// The live token for a bearer string, or `None`.
    pub async fn token_lookup(&self, bearer: &str) -> Result<Option<ApiToken>> {
        let Some(r) = sqlx::query(
            "SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1",
        )
        .bind(token_hash(bearer))
        .fetch_optional(self.reader())
        .await?
        else {
            return Ok(None);
        };
        let t = token_row(&r)?;
        let now = now_ms();
        if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) {
            return Ok(None);
        }
        if t.last_used_at.is_none_or(|l| now - l > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(t.id)
                .execute(&self.write)
                .await?;
        }
        Ok(Some(t))
    }

    pub async fn token_revoke(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<()> {
        let user = self.user(user_id).await?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1, version = version + 1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(token_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let region = crate::stored_region(user.region_code)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "api_token.revoke",
                record_kind: "api_token",
                record_id: token_id.to_string(),
                region: &region,
                changes: vec![],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One thing a token may do: `view:organisation`, `create:organisation`…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TokenScope {
    pub action: Action,
    pub resource: Resource,
}

impl TokenScope {
    pub fn parse(s: &str) -> Option<TokenScope> {
        let (a, r) = s.split_once(':')?;
        Some(TokenScope {
            action: Action::parse(a)?,
            resource: Resource::parse(r)?,
        })
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.action, self.resource)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl ApiToken {
    pub fn allows(&self, action: Action, resource: Resource) -> bool {
        self.scopes
            .iter()
            .any(|s| s.action == action && s.resource == resource)
    }
}

fn token_row(r: &sqlx::any::AnyRow) -> Result<ApiToken> {
    let scopes: String = r.try_get("scopes")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        scopes: scopes
            .split_whitespace()
            .filter_map(TokenScope::parse)
            .collect(),
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}
