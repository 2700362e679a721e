//! 审计日志: the append-only, hash-chained audit log, and the access log of who viewed
//! sensitive data.
//!
//! Each audit row's hash covers its content and the previous row's hash, so changing or
//! removing any row breaks every hash after it; `jiuzhu audit verify` walks the chain.
//! Database triggers refuse UPDATE and DELETE on both logs, and this module offers no way
//! to do either.

use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort};
use jiuzhu_domain::RegionCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// One changed field. Sensitive values are masked before they get here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

impl Change {
    pub fn new(field: &str, old: Option<impl ToString>, new: Option<impl ToString>) -> Change {
        Change {
            field: field.into(),
            old: old.map(|v| v.to_string()),
            new: new.map(|v| v.to_string()),
        }
    }

    /// A sensitive field changed: record that it changed, never the value.
    pub fn sensitive(field: &str, had_old: bool, has_new: bool) -> Change {
        Change {
            field: field.into(),
            old: had_old.then(|| "***".into()),
            new: has_new.then(|| "***".into()),
        }
    }
}

/// What happened, to which record, in which jurisdiction.
pub struct Event<'a> {
    pub action: &'a str,
    pub record_kind: &'a str,
    pub record_id: String,
    pub region: &'a RegionCode,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub ip: String,
    pub request_id: String,
    pub action: String,
    pub record_kind: String,
    pub record_id: String,
    pub region_code: String,
    pub changes: Vec<Change>,
    pub prev_hash: String,
    pub hash: String,
}

fn entry_hash(e: &AuditEntry, changes_json: &str) -> String {
    // A JSON array is an unambiguous encoding of the fields, unlike joining with a separator.
    let canonical = serde_json::json!([
        e.seq,
        e.at,
        e.actor_user_id,
        e.actor_name,
        e.ip,
        e.request_id,
        e.action,
        e.record_kind,
        e.record_id,
        e.region_code,
        changes_json,
        e.prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends to the chain inside the caller's transaction.
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    ev: Event<'_>,
) -> Result<i64> {
    // Taking the head row's lock first serialises appenders on PostgreSQL; SQLite already
    // has a single writer. Same statement on both.
    let head =
        sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash")
            .fetch_one(&mut **tx)
            .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("last_hash")?;
    let changes_json = serde_json::to_string(&ev.changes).expect("changes serialise");
    let mut e = AuditEntry {
        seq,
        at: now_ms(),
        actor_user_id: actor.user_id,
        actor_name: actor.name.clone(),
        ip: actor.ip.clone(),
        request_id: actor.request_id.clone(),
        action: ev.action.into(),
        record_kind: ev.record_kind.into(),
        record_id: ev.record_id,
        region_code: ev.region.to_string(),
        changes: ev.changes,
        prev_hash,
        hash: String::new(),
    };
    e.hash = entry_hash(&e, &changes_json);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor_name, ip, request_id, action, record_kind, \
         record_id, region_code, changes, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(e.seq)
    .bind(e.at)
    .bind(e.actor_user_id)
    .bind(e.actor_name.clone())
    .bind(e.ip.clone())
    .bind(e.request_id.clone())
    .bind(e.action.clone())
    .bind(e.record_kind.clone())
    .bind(e.record_id.clone())
    .bind(e.region_code.clone())
    .bind(changes_json)
    .bind(e.prev_hash.clone())
    .bind(e.hash.clone())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(e.hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub q: String,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub actor_user_id: Option<i64>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ChainVerdict {
    Intact {
        entries: i64,
    },
    /// The first row whose content or link does not match.
    Broken {
        seq: i64,
        reason: &'static str,
    },
}

const AUDIT_COLS: &str = "seq, at, actor_user_id, actor_name, ip, request_id, action, record_kind, record_id, region_code, changes, prev_hash, hash";

fn audit_row(r: &sqlx::any::AnyRow) -> std::result::Result<(AuditEntry, String), sqlx::Error> {
    let changes_json: String = r.try_get("changes")?;
    Ok((
        AuditEntry {
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            actor_user_id: r.try_get("actor_user_id")?,
            actor_name: r.try_get("actor_name")?,
            ip: r.try_get("ip")?,
            request_id: r.try_get("request_id")?,
            action: r.try_get("action")?,
            record_kind: r.try_get("record_kind")?,
            record_id: r.try_get("record_id")?,
            region_code: r.try_get("region_code")?,
            changes: serde_json::from_str(&changes_json).unwrap_or_default(),
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        },
        changes_json,
    ))
}

impl Db {
    /// Audits an event that changes no table of its own (sign-in, sign-out, export).
    pub async fn audit_event(&self, actor: &Actor, ev: Event<'_>) -> Result<()> {
        let mut tx = self.begin().await?;
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn audit_list(
        &self,
        scopes: &[RegionCode],
        f: &AuditFilter,
        sort: &Sort,
        page: Page,
    ) -> Result<Paged<AuditEntry>> {
        let mut q = Sql::new("FROM audit_log WHERE 1 = 1");
        q.scope("region_code", scopes);
        q.keyword(&["action", "actor_name", "record_id", "record_kind"], &f.q);
        if let Some(k) = &f.record_kind {
            q.push(" AND record_kind = ").bind_text(k.clone());
        }
        if let Some(id) = &f.record_id {
            q.push(" AND record_id = ").bind_text(id.clone());
        }
        if let Some(u) = f.actor_user_id {
            q.push(" AND actor_user_id = ").bind_i64(u);
        }
        if let Some(t) = f.from_ms {
            q.push(" AND at >= ").bind_i64(t);
        }
        if let Some(t) = f.to_ms {
            q.push(" AND at < ").bind_i64(t);
        }
        let sort = if sort.column.is_empty() {
            Sort {
                column: "seq".into(),
                descending: true,
            }
        } else {
            sort.clone()
        };
        fetch_paged(
            self.reader(),
            AUDIT_COLS,
            q,
            &sort,
            &["seq", "at", "action", "actor_name"],
            "seq",
            "seq",
            page,
            |r| audit_row(r).map(|(e, _)| e),
        )
        .await
    }

    /// Walks the whole chain in order, recomputing every hash.
    pub async fn audit_verify(&self) -> Result<ChainVerdict> {
        let mut prev = "0".repeat(64);
        let mut expected_seq = 1;
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"
            ))
            .bind(after)
            .fetch_all(self.reader())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let (e, changes_json) = audit_row(r)?;
                if e.seq != expected_seq {
                    return Ok(ChainVerdict::Broken {
                        seq: expected_seq,
                        reason: "missing_entry",
                    });
                }
                if e.prev_hash != prev {
                    return Ok(ChainVerdict::Broken {
                        seq: e.seq,
                        reason: "link_mismatch",
                    });
                }
                if entry_hash(&e, &changes_json) != e.hash {
                    return Ok(ChainVerdict::Broken {
                        seq: e.seq,
                        reason: "content_changed",
                    });
                }
                prev = e.hash;
                after = e.seq;
                expected_seq += 1;
            }
        }
        let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(self.reader())
            .await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("last_hash")?;
        if head_seq != after || head_hash != prev {
            return Ok(ChainVerdict::Broken {
                seq: after + 1,
                reason: "tail_removed",
            });
        }
        Ok(ChainVerdict::Intact { entries: after })
    }

    /// Records that `actor` looked at a sensitive field of a record.
    pub async fn log_access(
        &self,
        actor: &Actor,
        record_kind: &str,
        record_id: &str,
        field: &str,
        region: &RegionCode,
        purpose: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_log (at, user_id, actor_name, ip, record_kind, record_id, field, region_code, purpose) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        )
        .bind(now_ms())
        .bind(actor.user_id)
        .bind(actor.name.clone())
        .bind(actor.ip.clone())
        .bind(record_kind.to_string())
        .bind(record_id.to_string())
        .bind(field.to_string())
        .bind(region.to_string())
        .bind(purpose.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn access_list(
        &self,
        scopes: &[RegionCode],
        f: &AuditFilter,
        sort: &Sort,
        page: Page,
    ) -> Result<Paged<AccessEntry>> {
        let mut q = Sql::new("FROM access_log WHERE 1 = 1");
        q.scope("region_code", scopes);
        q.keyword(&["actor_name", "record_id", "record_kind", "field"], &f.q);
        if let Some(k) = &f.record_kind {
            q.push(" AND record_kind = ").bind_text(k.clone());
        }
        if let Some(id) = &f.record_id {
            q.push(" AND record_id = ").bind_text(id.clone());
        }
        let sort = if sort.column.is_empty() {
            Sort {
                column: "at".into(),
                descending: true,
            }
        } else {
            sort.clone()
        };
        fetch_paged(
            self.reader(),
            "id, at, user_id, actor_name, ip, record_kind, record_id, field, region_code, purpose",
            q,
            &sort,
            &["at", "actor_name", "record_kind"],
            "at",
            "id",
            page,
            |r| {
                Ok(AccessEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    user_id: r.try_get("user_id")?,
                    actor_name: r.try_get("actor_name")?,
                    ip: r.try_get("ip")?,
                    record_kind: r.try_get("record_kind")?,
                    record_id: r.try_get("record_id")?,
                    field: r.try_get("field")?,
                    region_code: r.try_get("region_code")?,
                    purpose: r.try_get("purpose")?,
                })
            },
        )
        .await
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccessEntry {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub actor_name: String,
    pub ip: String,
    pub record_kind: String,
    pub record_id: String,
    pub field: String,
    pub region_code: String,
    pub purpose: String,
}
