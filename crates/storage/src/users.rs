//! 用户与角色: accounts, their grants, and the sensitive fields they carry.

use crate::audit::{self, Change, Event};
use crate::orgs::{diff, valid_phone};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort, StoreError};
use jiuzhu_domain::authz::{Grant, Principal, Role};
use jiuzhu_domain::{RegionCode, ResidentId};
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub region_code: String,
    pub organisation_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub disabled: bool,
    /// `331102********1234`; the full number only through [`Db::user_reveal`].
    pub resident_id_masked: Option<String>,
    pub phone_masked: Option<String>,
    pub locked_until: Option<i64>,
    pub locale: String,
    pub version: i64,
    pub grants: Vec<Grant>,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: Some(self.id),
            grants: self.grants.clone(),
        }
    }
}

/// A validated new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub region: RegionCode,
    pub organisation_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub resident_id: Option<ResidentId>,
    pub phone: Option<String>,
}

/// Editable profile fields.
#[derive(Debug, Clone)]
pub struct UserEdit {
    pub display_name: String,
    pub organisation_id: Option<i64>,
    pub resident_id: Option<ResidentId>,
    pub phone: Option<String>,
    pub locale: String,
}

/// User names: 3–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
pub fn valid_username(u: &str) -> bool {
    let len = u.len();
    (3..=32).contains(&len)
        && u.starts_with(|c: char| c.is_ascii_lowercase())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

fn validate_display_name(n: &str) -> Result<()> {
    let c = n.trim().chars().count();
    if c == 0 {
        return Err(StoreError::Invalid("display_name_required"));
    }
    if c > 50 {
        return Err(StoreError::Invalid("display_name_too_long"));
    }
    Ok(())
}

const USER_COLS: &str =
    "id, region_code, organisation_id, username, display_name, must_change_password, disabled, \
    resident_id_enc, phone_enc, locked_until, locale, version";

const RID_AAD: &str = "users.resident_id";
const PHONE_AAD: &str = "users.phone";

impl Db {
    fn user_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<User, sqlx::Error> {
        let rid: Option<Vec<u8>> = r.try_get("resident_id_enc")?;
        let phone: Option<Vec<u8>> = r.try_get("phone_enc")?;
        Ok(User {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            organisation_id: r.try_get("organisation_id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            resident_id_masked: self
                .keys()
                .masked(RID_AAD, rid, jiuzhu_domain::mask::resident_id),
            phone_masked: self
                .keys()
                .masked(PHONE_AAD, phone, jiuzhu_domain::mask::phone),
            locked_until: r.try_get("locked_until")?,
            locale: r.try_get("locale")?,
            version: r.try_get("version")?,
            grants: Vec::new(),
        })
    }

    async fn load_grants(&self, users: &mut [User]) -> Result<()> {
        for u in users.iter_mut() {
            let rows = sqlx::query("SELECT role, region_code, organisation_id FROM user_grants WHERE user_id = $1 ORDER BY id")
                .bind(u.id)
                .fetch_all(self.reader())
                .await?;
            u.grants = rows
                .iter()
                .filter_map(|r| {
                    let role = Role::parse(&r.try_get::<String, _>("role").ok()?)?;
                    let scope =
                        RegionCode::try_from(r.try_get::<String, _>("region_code").ok()?).ok()?;
                    Some(Grant {
                        role,
                        scope,
                        organisation_id: r.try_get("organisation_id").ok()?,
                    })
                })
                .collect();
        }
        Ok(())
    }

    pub async fn user_create(&self, actor: &Actor, u: &NewUser) -> Result<User> {
        if !valid_username(&u.username) {
            return Err(StoreError::Invalid("username_invalid"));
        }
        validate_display_name(&u.display_name)?;
        if let Some(p) = &u.phone {
            if !valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (region_code, organisation_id, username, display_name, password_hash, must_change_password, \
             resident_id_enc, resident_id_idx, phone_enc, password_changed_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING id",
        )
        .bind(u.region.to_string())
        .bind(u.organisation_id)
        .bind(u.username.clone())
        .bind(u.display_name.trim().to_string())
        .bind(u.password_hash.clone())
        .bind(u.must_change_password as i64)
        .bind(u.resident_id.as_ref().map(|r| self.keys().encrypt(RID_AAD, r.as_str())))
        .bind(u.resident_id.as_ref().map(|r| self.keys().blind_index("resident_id", r.as_str())))
        .bind(u.phone.as_ref().map(|p| self.keys().encrypt(PHONE_AAD, p)))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if let sqlx::Error::Database(d) = &e {
                if d.is_foreign_key_violation() {
                    return StoreError::Invalid("region_unknown");
                }
            }
            StoreError::on_unique(e, "username")
        })?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "user.create",
                record_kind: "user",
                record_id: id.to_string(),
                region: &u.region,
                changes: vec![
                    Change::new("username", None::<String>, Some(&u.username)),
                    Change::new("display_name", None::<String>, Some(u.display_name.trim())),
                    Change::sensitive("resident_id", false, u.resident_id.is_some()),
                    Change::sensitive("phone", false, u.phone.is_some()),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.user(id).await
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut u = vec![self.user_row(&row)?];
        self.load_grants(&mut u).await?;
        Ok(u.pop().expect("one user"))
    }

    /// The account and its password hash, for signing in.
    pub async fn user_for_login(&self, username: &str) -> Result<Option<(User, String)>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {USER_COLS}, password_hash FROM users WHERE username = $1"
        ))
        .bind(username.to_string())
        .fetch_optional(self.reader())
        .await?
        else {
            return Ok(None);
        };
        let hash: String = row.try_get("password_hash")?;
        let mut u = vec![self.user_row(&row)?];
        self.load_grants(&mut u).await?;
        Ok(Some((u.pop().expect("one user"), hash)))
    }

    /// Exact look-up by identity number through the keyed hash index: no decryption scan.
    pub async fn users_by_resident_id(
        &self,
        scopes: &[RegionCode],
        id: &ResidentId,
    ) -> Result<Vec<User>> {
        let mut q = Sql::new(&format!(
            "SELECT {USER_COLS} FROM users WHERE resident_id_idx = "
        ));
        q.bind_text(self.keys().blind_index("resident_id", id.as_str()));
        q.scope("region_code", scopes);
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?;
        let mut users = rows
            .iter()
            .map(|r| self.user_row(r))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        self.load_grants(&mut users).await?;
        Ok(users)
    }

    pub async fn users_list(
        &self,
        scopes: &[RegionCode],
        f: &UserFilter,
        sort: &Sort,
        page: Page,
    ) -> Result<Paged<User>> {
        let mut q = Sql::new("FROM users WHERE 1 = 1");
        q.scope("region_code", scopes);
        q.keyword(&["username", "display_name"], &f.q);
        if let Some(r) = &f.role {
            q.push(" AND id IN (SELECT user_id FROM user_grants WHERE role = ")
                .bind_text(r.as_str())
                .push(")");
        }
        if let Some(d) = f.disabled {
            q.push(" AND disabled = ").bind_i64(d as i64);
        }
        if let Some(o) = f.organisation_id {
            q.push(" AND organisation_id = ").bind_i64(o);
        }
        let mut page = fetch_paged(
            self.reader(),
            USER_COLS,
            q,
            sort,
            &["username", "display_name", "region_code", "id"],
            "username",
            "id",
            page,
            |r| self.user_row(r),
        )
        .await?;
        self.load_grants(&mut page.items).await?;
        Ok(page)
    }

    pub async fn user_update(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        e: &UserEdit,
    ) -> Result<User> {
        validate_display_name(&e.display_name)?;
        if let Some(p) = &e.phone {
            if !valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        if !matches!(e.locale.as_str(), "zh-CN" | "en") {
            return Err(StoreError::Invalid("locale_invalid"));
        }
        let before = self.user(id).await?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET display_name = $1, organisation_id = $2, resident_id_enc = $3, resident_id_idx = $4, \
             phone_enc = $5, locale = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9",
        )
        .bind(e.display_name.trim().to_string())
        .bind(e.organisation_id)
        .bind(e.resident_id.as_ref().map(|r| self.keys().encrypt(RID_AAD, r.as_str())))
        .bind(e.resident_id.as_ref().map(|r| self.keys().blind_index("resident_id", r.as_str())))
        .bind(e.phone.as_ref().map(|p| self.keys().encrypt(PHONE_AAD, p)))
        .bind(e.locale.clone())
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "users", id).await);
        }
        let mut changes = Vec::new();
        diff(
            &mut changes,
            "display_name",
            &before.display_name,
            e.display_name.trim(),
        );
        diff(&mut changes, "locale", &before.locale, &e.locale);
        if before.organisation_id != e.organisation_id {
            changes.push(Change::new(
                "organisation_id",
                before.organisation_id,
                e.organisation_id,
            ));
        }
        if before.resident_id_masked != e.resident_id.as_ref().map(|r| r.masked()) {
            changes.push(Change::sensitive(
                "resident_id",
                before.resident_id_masked.is_some(),
                e.resident_id.is_some(),
            ));
        }
        if before.phone_masked != e.phone.as_deref().map(jiuzhu_domain::mask::phone) {
            changes.push(Change::sensitive(
                "phone",
                before.phone_masked.is_some(),
                e.phone.is_some(),
            ));
        }
        let region = crate::stored_region(before.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "user.update",
                record_kind: "user",
                record_id: id.to_string(),
                region: &region,
                changes,
            },
        )
        .await?;
        tx.commit().await?;
        self.user(id).await
    }

    /// Sets a new password hash. `must_change` is true when an administrator resets it.
    pub async fn user_set_password(
        &self,
        actor: &Actor,
        id: i64,
        hash: &str,
        must_change: bool,
    ) -> Result<()> {
        let u = self.user(id).await?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3, failed_logins = 0, \
             locked_until = NULL, updated_at = $3, version = version + 1 WHERE id = $4",
        )
        .bind(hash.to_string())
        .bind(must_change as i64)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // A new password ends every other session of the account.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let region = crate::stored_region(u.region_code)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: if must_change {
                    "user.password_reset"
                } else {
                    "user.password_change"
                },
                record_kind: "user",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::sensitive("password", true, true)],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_set_disabled(&self, actor: &Actor, id: i64, disabled: bool) -> Result<()> {
        let u = self.user(id).await?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET disabled = $1, updated_at = $2, version = version + 1 WHERE id = $3",
        )
        .bind(disabled as i64)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let region = crate::stored_region(u.region_code)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                record_kind: "user",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("disabled", Some(u.disabled), Some(disabled))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_grant(&self, actor: &Actor, id: i64, grant: &Grant) -> Result<()> {
        if grant.role == Role::Public {
            return Err(StoreError::Invalid("role_invalid"));
        }
        let u = self.user(id).await?;
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO user_grants (user_id, role, region_code, organisation_id, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(grant.role.as_str())
            .bind(grant.scope.to_string())
            .bind(grant.organisation_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if let sqlx::Error::Database(d) = &e {
                    if d.is_foreign_key_violation() {
                        return StoreError::Invalid("region_unknown");
                    }
                }
                StoreError::on_unique(e, "grant")
            })?;
        let region = crate::stored_region(u.region_code)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "user.grant",
                record_kind: "user",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new(
                    "grant",
                    None::<String>,
                    Some(format!("{}@{}", grant.role, grant.scope)),
                )],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_revoke(
        &self,
        actor: &Actor,
        id: i64,
        role: Role,
        scope: &RegionCode,
    ) -> Result<()> {
        let u = self.user(id).await?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "DELETE FROM user_grants WHERE user_id = $1 AND role = $2 AND region_code = $3",
        )
        .bind(id)
        .bind(role.as_str())
        .bind(scope.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let region = crate::stored_region(u.region_code)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "user.revoke",
                record_kind: "user",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new(
                    "grant",
                    Some(format!("{role}@{scope}")),
                    None::<String>,
                )],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The full identity number and phone; the caller checked `Reveal`, and this logs it.
    pub async fn user_reveal(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(Option<String>, Option<String>)> {
        let row =
            sqlx::query("SELECT region_code, resident_id_enc, phone_enc FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await?
                .ok_or(StoreError::NotFound)?;
        let region = crate::stored_region(row.try_get::<String, _>("region_code")?)?;
        let rid: Option<Vec<u8>> = row.try_get("resident_id_enc")?;
        let phone: Option<Vec<u8>> = row.try_get("phone_enc")?;
        self.log_access(
            actor,
            "user",
            &id.to_string(),
            "resident_id,phone",
            &region,
            "reveal",
        )
        .await?;
        Ok((
            rid.map(|b| self.keys().decrypt(RID_AAD, &b)).transpose()?,
            phone
                .map(|b| self.keys().decrypt(PHONE_AAD, &b))
                .transpose()?,
        ))
    }

    /// Re-encrypts every encrypted value not written with the active key. Returns how many
    /// values were rewritten. Safe to run again after an interruption.
    pub async fn rotate_keys(&self, actor: &Actor) -> Result<u64> {
        let active = self.keys().active_id();
        let mut n = 0u64;
        for (table, key, cols) in [
            (
                "users",
                "id",
                &[("resident_id_enc", RID_AAD), ("phone_enc", PHONE_AAD)][..],
            ),
            (
                "organisations",
                "id",
                &[("phone_enc", "organisations.phone")][..],
            ),
        ] {
            for (col, aad) in cols {
                loop {
                    let rows = sqlx::query(&format!(
                        "SELECT {key}, {col} FROM {table} WHERE {col} IS NOT NULL ORDER BY {key}"
                    ))
                    .fetch_all(self.reader())
                    .await?;
                    let stale: Vec<(i64, Vec<u8>)> = rows
                        .iter()
                        .filter_map(|r| {
                            Some((
                                r.try_get::<i64, _>(key).ok()?,
                                r.try_get::<Vec<u8>, _>(*col).ok()?,
                            ))
                        })
                        .filter(|(_, b)| crate::Keyring::key_id_of(b) != Some(active))
                        .take(500)
                        .collect();
                    if stale.is_empty() {
                        break;
                    }
                    let mut tx = self.begin().await?;
                    for (id, blob) in &stale {
                        let plain = self.keys().decrypt(aad, blob)?;
                        sqlx::query(&format!("UPDATE {table} SET {col} = $1 WHERE {key} = $2"))
                            .bind(self.keys().encrypt(aad, &plain))
                            .bind(*id)
                            .execute(&mut *tx)
                            .await?;
                        n += 1;
                    }
                    audit::append(
                        &mut tx,
                        actor,
                        Event {
                            action: "crypto.rotate",
                            record_kind: table,
                            record_id: col.to_string(),
                            region: &RegionCode::nation(),
                            changes: vec![Change::new("rows", None::<String>, Some(stale.len()))],
                        },
                    )
                    .await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(n)
    }

    /// Records a failed sign-in; after `limit` in a row the account locks until `lock_until`.
    pub async fn user_login_failed(&self, id: i64, limit: i64, lock_until: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let failed: i64 = sqlx::query_scalar("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let locked = failed >= limit;
        if locked {
            sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 0 WHERE id = $2")
                .bind(lock_until)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let region: String = sqlx::query_scalar("SELECT region_code FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let region = crate::stored_region(region)?;
            audit::append(
                &mut tx,
                &Actor::system("login"),
                Event {
                    action: "user.lock",
                    record_kind: "user",
                    record_id: id.to_string(),
                    region: &region,
                    changes: vec![Change::new(
                        "locked_until",
                        None::<String>,
                        Some(lock_until),
                    )],
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(locked)
    }

    pub async fn user_login_succeeded(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub q: String,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub organisation_id: Option<i64>,
}
