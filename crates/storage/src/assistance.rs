//! 社会救助: households and their members (one person in one household at a time, enforced
//! by a unique index on the identity number's blind index over current memberships),
//! declared income and assets with the date each applies from, one-window applications and
//! the items they ask for, every step of every item, and the rules' decision with its
//! explanation and rules version.
//!
//! Which step may follow which is decided by `domain::assistance::step`; this module applies
//! the result with a version check and writes the step, the item and the audit row in one
//! transaction.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, stale, stored_region, Actor, Db, Page, Paged, Result, Sort, StoreError};
use chrono::NaiveDate;
use jiuzhu_domain::assistance::{Action, Item, ItemState};
use jiuzhu_domain::{Fen, RegionCode, ResidentId, Sex};
use serde::Serialize;
use sqlx::Row;

const RID_AAD: &str = "household_members.resident_id";
const HEALTH_AAD: &str = "household_members.health";
const BANK_AAD: &str = "households.bank_account";

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

/// Names and addresses go into bank files and spreadsheets: no line breaks or other control
/// characters.
fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Income categories a household declares (monthly amounts).
pub const INCOME_CATEGORIES: &[&str] = &[
    "wages", "business", "farming", "property", "pension", "transfer", "support", "other",
];
/// Asset categories (values).
pub const ASSET_CATEGORIES: &[&str] = &["deposits", "securities", "vehicle", "housing", "business"];

#[derive(Debug, Clone)]
pub struct HouseholdInput {
    pub region: RegionCode,
    pub head_name: String,
    pub address: String,
    /// "urban" or "rural".
    pub area: String,
    /// own / rent / public / none, with notes.
    pub housing: String,
    pub bank_account: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Household {
    pub id: i64,
    pub region_code: String,
    pub head_name: String,
    pub address: String,
    pub area: String,
    pub housing: String,
    pub bank_account_masked: Option<String>,
    pub members: i64,
    /// 防止返贫监测对象: set by the township.
    pub monitored: bool,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct MemberInput {
    pub name: String,
    /// 户主 / 配偶 / 子女 / 父母 / 孙子女 / 兄弟姐妹 / 其他
    pub relation: String,
    pub resident_id: Option<ResidentId>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// '', intellectual, mental, physical, visual, hearing, speech, multiple
    pub disability: String,
    /// 0 none, 1 (most severe) to 4.
    pub disability_grade: i64,
    /// Health and chronic illness, free text: encrypted.
    pub health: Option<String>,
    /// full / partial / none
    pub work_ability: String,
    pub schooling: String,
    pub joined_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: i64,
    pub household_id: i64,
    pub name: String,
    pub relation: String,
    pub resident_id_masked: Option<String>,
    pub sex: String,
    pub birth_date: Option<String>,
    pub disability: String,
    pub disability_grade: i64,
    pub has_health_note: bool,
    pub work_ability: String,
    pub schooling: String,
    pub joined_on: String,
    pub left_on: Option<String>,
}

/// One declaration: a monthly income (`kind` "income") or an asset value ("asset") of a
/// category, from a date.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub kind: String,
    pub category: String,
    pub amount: Fen,
    pub from: NaiveDate,
    pub note: String,
}

impl Declaration {
    pub fn new(
        kind: &str,
        category: &str,
        amount: Fen,
        from: NaiveDate,
        note: &str,
    ) -> Declaration {
        Declaration {
            kind: kind.into(),
            category: category.into(),
            amount,
            from,
            note: note.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finance {
    pub id: i64,
    pub kind: String,
    pub category: String,
    pub amount_fen: i64,
    pub from_on: String,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct ApplicationInput {
    pub household_id: i64,
    /// counter / online
    pub channel: String,
    pub items: Vec<Item>,
    pub authorised: bool,
    /// Every missing document, listed once, all together.
    pub missing_docs: String,
    pub accepted_on: NaiveDate,
    pub decision_due: NaiveDate,
    /// 临时救助: the hardship spending other help does not cover.
    pub need: Option<Fen>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: i64,
    /// What the applicant quotes to look it up.
    pub reference: String,
    pub household_id: i64,
    pub head_name: String,
    pub region_code: String,
    pub channel: String,
    pub authorised: bool,
    pub missing_docs: String,
    pub accepted_on: String,
    pub decision_due: String,
    pub created_by: String,
    pub version: i64,
}

/// Filters of the applications list.
#[derive(Debug, Clone, Default)]
pub struct AppFilter {
    pub item: Option<String>,
    pub state: Option<String>,
    pub area: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplicationItem {
    pub id: i64,
    pub application_id: i64,
    pub household_id: i64,
    pub region_code: String,
    pub item: String,
    pub state: String,
    pub notice_from: Option<String>,
    pub approved_on: Option<String>,
    pub refused_on: Option<String>,
    pub refusal_notice_due: Option<String>,
    pub eligible: Option<bool>,
    pub amount_fen: Option<i64>,
    pub need_fen: Option<i64>,
    pub decision_json: Option<String>,
    pub rules_version: Option<String>,
    /// 分类管理 class (a/b/c), set on approval.
    pub review_class: Option<String>,
    pub next_review: Option<String>,
    /// Payments end from this day (a stop or close at review).
    pub ended_on: Option<String>,
    pub version: i64,
}

impl ApplicationItem {
    pub fn item(&self) -> Option<Item> {
        Item::parse(&self.item)
    }
    pub fn state(&self) -> ItemState {
        ItemState::parse(&self.state).unwrap_or(ItemState::Accepted)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub id: i64,
    pub action: String,
    pub detail_json: String,
    pub state_after: String,
    pub actor_name: String,
    pub at: i64,
}

/// What a step changes on the item besides its state.
#[derive(Debug, Clone, Default)]
pub struct StepEffects {
    pub notice_from: Option<NaiveDate>,
    pub approved_on: Option<NaiveDate>,
    pub refused_on: Option<NaiveDate>,
    pub refusal_notice_due: Option<NaiveDate>,
    /// On approval: the class and the first review.
    pub review_class: Option<String>,
    pub next_review: Option<NaiveDate>,
}

/// The rules' answer for an item, kept with its explanation.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub eligible: bool,
    pub amount: Fen,
    pub explanation_json: String,
    pub rules_version: String,
}

const HOUSEHOLD_COLS: &str = "h.id, h.region_code, h.head_name, h.address, h.area, h.housing, h.bank_account_enc, h.monitored, h.version, \
     (SELECT COUNT(*) FROM household_members m WHERE m.household_id = h.id AND m.left_on IS NULL) AS members";
const MEMBER_COLS: &str = "id, household_id, name, relation, resident_id_enc, sex, birth_date, disability, disability_grade, \
     health_enc, work_ability, schooling, joined_on, left_on";
const APP_COLS: &str = "a.id, a.reference, a.household_id, h.head_name, a.region_code, a.channel, a.authorised, a.missing_docs, a.accepted_on, \
     a.decision_due, a.created_by, a.version";
const ITEM_COLS: &str = "id, application_id, household_id, region_code, item, state, notice_from, approved_on, refused_on, \
     refusal_notice_due, eligible, amount_fen, need_fen, decision_json, rules_version, review_class, next_review, ended_on, version";

fn app_row(r: &sqlx::any::AnyRow) -> std::result::Result<Application, sqlx::Error> {
    Ok(Application {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        household_id: r.try_get("household_id")?,
        head_name: r.try_get("head_name")?,
        region_code: r.try_get("region_code")?,
        channel: r.try_get("channel")?,
        authorised: r.try_get::<i64, _>("authorised")? != 0,
        missing_docs: r.try_get("missing_docs")?,
        accepted_on: r.try_get("accepted_on")?,
        decision_due: r.try_get("decision_due")?,
        created_by: r.try_get("created_by")?,
        version: r.try_get("version")?,
    })
}

fn item_row(r: &sqlx::any::AnyRow) -> std::result::Result<ApplicationItem, sqlx::Error> {
    Ok(ApplicationItem {
        id: r.try_get("id")?,
        application_id: r.try_get("application_id")?,
        household_id: r.try_get("household_id")?,
        region_code: r.try_get("region_code")?,
        item: r.try_get("item")?,
        state: r.try_get("state")?,
        notice_from: r.try_get("notice_from")?,
        approved_on: r.try_get("approved_on")?,
        refused_on: r.try_get("refused_on")?,
        refusal_notice_due: r.try_get("refusal_notice_due")?,
        eligible: r.try_get::<Option<i64>, _>("eligible")?.map(|v| v != 0),
        amount_fen: r.try_get("amount_fen")?,
        need_fen: r.try_get("need_fen")?,
        decision_json: r.try_get("decision_json")?,
        rules_version: r.try_get("rules_version")?,
        review_class: r.try_get("review_class")?,
        next_review: r.try_get("next_review")?,
        ended_on: r.try_get("ended_on")?,
        version: r.try_get("version")?,
    })
}

impl Db {
    fn household_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<Household, sqlx::Error> {
        let bank: Option<Vec<u8>> = r.try_get("bank_account_enc")?;
        Ok(Household {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            head_name: r.try_get("head_name")?,
            address: r.try_get("address")?,
            area: r.try_get("area")?,
            housing: r.try_get("housing")?,
            bank_account_masked: self
                .keys()
                .masked(BANK_AAD, bank, jiuzhu_domain::mask::phone),
            members: r.try_get("members")?,
            monitored: r.try_get::<i64, _>("monitored")? != 0,
            version: r.try_get("version")?,
        })
    }

    fn member_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<Member, sqlx::Error> {
        let rid: Option<Vec<u8>> = r.try_get("resident_id_enc")?;
        let health: Option<Vec<u8>> = r.try_get("health_enc")?;
        Ok(Member {
            id: r.try_get("id")?,
            household_id: r.try_get("household_id")?,
            name: r.try_get("name")?,
            relation: r.try_get("relation")?,
            resident_id_masked: self
                .keys()
                .masked(RID_AAD, rid, jiuzhu_domain::mask::resident_id),
            sex: r.try_get("sex")?,
            birth_date: r.try_get("birth_date")?,
            disability: r.try_get("disability")?,
            disability_grade: r.try_get("disability_grade")?,
            has_health_note: health.is_some(),
            work_ability: r.try_get("work_ability")?,
            schooling: r.try_get("schooling")?,
            joined_on: r.try_get("joined_on")?,
            left_on: r.try_get("left_on")?,
        })
    }

    // -- households ------------------------------------------------------------------

    pub async fn household_create(&self, actor: &Actor, h: &HouseholdInput) -> Result<Household> {
        let mut tx = self.begin().await?;
        let id = self.household_insert(&mut tx, actor, h).await?;
        tx.commit().await?;
        self.household(id).await
    }

    async fn household_insert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        h: &HouseholdInput,
    ) -> Result<i64> {
        let head = h.head_name.trim();
        if has_control(head) || has_control(&h.address) {
            return Err(StoreError::Invalid("name_invalid"));
        }
        if head.is_empty() {
            return Err(StoreError::Invalid("name_required"));
        }
        if too_long(head, 50) || too_long(&h.address, 200) || too_long(&h.housing, 200) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if h.area != "urban" && h.area != "rural" {
            return Err(StoreError::Invalid("area_invalid"));
        }
        if let Some(b) = &h.bank_account {
            if !(8..=30).contains(&b.len()) || !b.chars().all(|c| c.is_ascii_digit()) {
                return Err(StoreError::Invalid("bank_account_invalid"));
            }
        }
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO households (region_code, head_name, address, area, housing, bank_account_enc, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id",
        )
        .bind(h.region.to_string())
        .bind(head.to_string())
        .bind(h.address.trim().to_string())
        .bind(h.area.clone())
        .bind(h.housing.trim().to_string())
        .bind(h.bank_account.as_ref().map(|b| self.keys().encrypt(BANK_AAD, b)))
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Invalid("region_unknown")
            }
            _ => StoreError::Database(err),
        })?;
        audit::append(
            tx,
            actor,
            Event {
                action: "household.create",
                record_kind: "household",
                record_id: id.to_string(),
                region: &h.region,
                changes: vec![
                    Change::new("head_name", None::<String>, Some(head)),
                    Change::sensitive("bank_account", false, h.bank_account.is_some()),
                ],
            },
        )
        .await?;
        Ok(id)
    }

    pub async fn household(&self, id: i64) -> Result<Household> {
        let r = sqlx::query(&format!(
            "SELECT {HOUSEHOLD_COLS} FROM households h WHERE h.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(self.household_row(&r)?)
    }

    pub async fn households(
        &self,
        scopes: &[RegionCode],
        q: &str,
        page: Page,
    ) -> Result<Paged<Household>> {
        let mut s = Sql::new("FROM households h WHERE 1 = 1");
        s.scope("h.region_code", scopes);
        s.keyword(&["h.head_name", "h.address"], q);
        fetch_paged(
            self.reader(),
            HOUSEHOLD_COLS,
            s,
            &Sort {
                column: "head_name".into(),
                descending: false,
            },
            &["head_name", "region_code"],
            "head_name",
            "h.id",
            page,
            |r| self.household_row(r),
        )
        .await
    }

    /// Adds a member. Someone already living in another household is refused: they leave
    /// there first (dated), then join here.
    pub async fn member_add(
        &self,
        actor: &Actor,
        household_id: i64,
        m: &MemberInput,
    ) -> Result<Member> {
        let h = self.household(household_id).await?;
        let region = stored_region(h.region_code.clone())?;
        let mut tx = self.begin().await?;
        let id = self
            .member_insert(&mut tx, actor, household_id, &region, m)
            .await?;
        tx.commit().await?;
        let r = sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM household_members WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(self.member_row(&r)?)
    }

    async fn member_insert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        household_id: i64,
        region: &RegionCode,
        m: &MemberInput,
    ) -> Result<i64> {
        let name = m.name.trim();
        if has_control(name) || has_control(&m.relation) {
            return Err(StoreError::Invalid("name_invalid"));
        }
        if name.is_empty() {
            return Err(StoreError::Invalid("name_required"));
        }
        if too_long(name, 50)
            || too_long(&m.relation, 20)
            || too_long(&m.schooling, 50)
            || m.health.as_ref().is_some_and(|h| too_long(h, 500))
        {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if !(0..=4).contains(&m.disability_grade) {
            return Err(StoreError::Invalid("disability_grade_invalid"));
        }
        let sex = m.sex.or(m.resident_id.as_ref().map(|r| r.sex()));
        let birth = m
            .birth_date
            .or(m.resident_id.as_ref().map(|r| r.birth_date()));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO household_members (household_id, region_code, name, relation, resident_id_enc, resident_id_idx, sex, \
             birth_date, disability, disability_grade, health_enc, work_ability, schooling, joined_on, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id",
        )
        .bind(household_id)
        .bind(region.to_string())
        .bind(name.to_string())
        .bind(m.relation.trim().to_string())
        .bind(m.resident_id.as_ref().map(|r| self.keys().encrypt(RID_AAD, r.as_str())))
        .bind(m.resident_id.as_ref().map(|r| self.keys().blind_index("resident_id", r.as_str())))
        .bind(sex.map(Sex::as_str).unwrap_or("").to_string())
        .bind(birth.map(day))
        .bind(m.disability.clone())
        .bind(m.disability_grade)
        .bind(m.health.as_ref().map(|x| self.keys().encrypt(HEALTH_AAD, x)))
        .bind(m.work_ability.clone())
        .bind(m.schooling.trim().to_string())
        .bind(day(m.joined_on))
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Invalid("member_in_other_household")
            }
            _ => StoreError::Database(e),
        })?;
        sqlx::query("UPDATE households SET updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now_ms())
            .bind(household_id)
            .execute(&mut **tx)
            .await?;
        audit::append(
            tx,
            actor,
            Event {
                action: "household.member_add",
                record_kind: "household",
                record_id: household_id.to_string(),
                region,
                changes: vec![
                    Change::new("member", None::<String>, Some(name)),
                    Change::sensitive("resident_id", false, m.resident_id.is_some()),
                    Change::sensitive("health", false, m.health.is_some()),
                ],
            },
        )
        .await?;
        Ok(id)
    }

    /// A member leaves on a date (moved out, married, died); history is kept.
    pub async fn member_leave(&self, actor: &Actor, member_id: i64, on: NaiveDate) -> Result<()> {
        let r = sqlx::query("SELECT household_id, region_code, joined_on FROM household_members WHERE id = $1 AND left_on IS NULL")
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let joined: String = r.try_get("joined_on")?;
        if day(on) < joined {
            return Err(StoreError::Invalid("date_before_joining"));
        }
        let region = stored_region(r.try_get::<String, _>("region_code")?)?;
        let household: i64 = r.try_get("household_id")?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE household_members SET left_on = $1 WHERE id = $2 AND left_on IS NULL")
            .bind(day(on))
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE households SET updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now_ms())
            .bind(household)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "household.member_leave",
                record_kind: "household",
                record_id: household.to_string(),
                region: &region,
                changes: vec![Change::new("left_on", None::<String>, Some(day(on)))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Members, current first, then those who left.
    pub async fn members(&self, household_id: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM household_members WHERE household_id = $1 ORDER BY left_on IS NOT NULL, id"
        ))
        .bind(household_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| self.member_row(r))
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Declares a monthly income or an asset value from a date; the latest declaration of
    /// each category in force on a day is the one that counts.
    pub async fn finance_add(
        &self,
        actor: &Actor,
        household_id: i64,
        decl: &Declaration,
    ) -> Result<()> {
        let h = self.household(household_id).await?;
        let region = stored_region(h.region_code.clone())?;
        let mut tx = self.begin().await?;
        self.finance_insert(&mut tx, actor, household_id, &region, decl)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finance_insert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        household_id: i64,
        region: &RegionCode,
        decl: &Declaration,
    ) -> Result<()> {
        let Declaration {
            kind,
            category,
            amount,
            from,
            note,
        } = decl;
        let (kind, category, amount, from, note) = (
            kind.as_str(),
            category.as_str(),
            *amount,
            *from,
            note.as_str(),
        );
        let known = match kind {
            "income" => INCOME_CATEGORIES.contains(&category),
            "asset" => ASSET_CATEGORIES.contains(&category),
            _ => false,
        };
        if !known {
            return Err(StoreError::Invalid("category_invalid"));
        }
        if amount.0 < 0 {
            return Err(StoreError::Invalid("amount_negative"));
        }
        if amount.0 > 100_000_000_000 {
            return Err(StoreError::Invalid("amount_too_large"));
        }
        if too_long(note, 200) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        sqlx::query(
            "INSERT INTO household_finances (household_id, region_code, kind, category, amount_fen, from_on, note, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(household_id)
        .bind(region.to_string())
        .bind(kind.to_string())
        .bind(category.to_string())
        .bind(amount.0)
        .bind(day(from))
        .bind(note.trim().to_string())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE households SET updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now_ms())
            .bind(household_id)
            .execute(&mut **tx)
            .await?;
        audit::append(
            tx,
            actor,
            Event {
                action: "household.declare",
                record_kind: "household",
                record_id: household_id.to_string(),
                region,
                changes: vec![Change::new(
                    &format!("{kind}.{category}"),
                    None::<i64>,
                    Some(amount.0),
                )],
            },
        )
        .await?;
        Ok(())
    }

    /// The declarations in force on `on`: the latest of each (kind, category).
    pub async fn finances_on(&self, household_id: i64, on: NaiveDate) -> Result<Vec<Finance>> {
        let rows = sqlx::query(
            "SELECT id, kind, category, amount_fen, from_on, note FROM household_finances f WHERE household_id = $1 \
             AND from_on <= $2 AND NOT EXISTS (SELECT 1 FROM household_finances g WHERE g.household_id = f.household_id \
             AND g.kind = f.kind AND g.category = f.category AND g.from_on <= $2 AND (g.from_on > f.from_on \
             OR (g.from_on = f.from_on AND g.id > f.id))) ORDER BY kind DESC, category",
        )
        .bind(household_id)
        .bind(day(on))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Finance {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    category: r.try_get("category")?,
                    amount_fen: r.try_get("amount_fen")?,
                    from_on: r.try_get("from_on")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    // -- applications ----------------------------------------------------------------

    /// Accepts a one-window application: one row, one item per thing asked for.
    pub async fn application_create(
        &self,
        actor: &Actor,
        a: &ApplicationInput,
    ) -> Result<(Application, Vec<ApplicationItem>)> {
        let h = self.household(a.household_id).await?;
        if h.members == 0 {
            return Err(StoreError::Invalid("household_without_members"));
        }
        let region = stored_region(h.region_code.clone())?;
        let mut tx = self.begin().await?;
        let id = self.application_insert(&mut tx, actor, a, &region).await?;
        tx.commit().await?;
        Ok((
            self.application(id).await?,
            self.application_items(id).await?,
        ))
    }

    async fn application_insert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        a: &ApplicationInput,
        region: &RegionCode,
    ) -> Result<i64> {
        if a.items.is_empty() {
            return Err(StoreError::Invalid("items_required"));
        }
        let mut items = a.items.clone();
        items.sort_by_key(|i| i.as_str());
        items.dedup();
        if too_long(&a.missing_docs, 1000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if a.need.is_some_and(|f| f.0 < 0) {
            return Err(StoreError::Invalid("amount_negative"));
        }
        if a.channel != "counter" && a.channel != "online" {
            return Err(StoreError::Invalid("channel_invalid"));
        }
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO applications (household_id, region_code, channel, authorised, missing_docs, accepted_on, decision_due, \
             created_by, created_at, updated_at, reference) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,$10) RETURNING id",
        )
        .bind(a.household_id)
        .bind(region.to_string())
        .bind(a.channel.clone())
        .bind(a.authorised as i64)
        .bind(a.missing_docs.trim().to_string())
        .bind(day(a.accepted_on))
        .bind(day(a.decision_due))
        .bind(actor.name.clone())
        .bind(now)
        .bind(crate::tracing::reference("A"))
        .fetch_one(&mut **tx)
        .await?;
        for item in &items {
            sqlx::query(
                "INSERT INTO application_items (application_id, household_id, region_code, item, state, need_fen, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7)",
            )
            .bind(id)
            .bind(a.household_id)
            .bind(region.to_string())
            .bind(item.as_str())
            .bind(ItemState::Accepted.as_str())
            .bind(
                matches!(item, Item::LinshiEmergency | Item::LinshiSpending)
                    .then_some(a.need.map(|f| f.0))
                    .flatten(),
            )
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        audit::append(
            tx,
            actor,
            Event {
                action: "application.accept",
                record_kind: "application",
                record_id: id.to_string(),
                region,
                changes: vec![
                    Change::new(
                        "items",
                        None::<String>,
                        Some(
                            items
                                .iter()
                                .map(|i| i.as_str())
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                    ),
                    Change::new("authorised", None::<bool>, Some(a.authorised)),
                ],
            },
        )
        .await?;
        Ok(id)
    }

    pub async fn application(&self, id: i64) -> Result<Application> {
        let r = sqlx::query(&format!(
            "SELECT {APP_COLS} FROM applications a JOIN households h ON h.id = a.household_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(app_row(&r)?)
    }

    /// Records that the signed 核对授权书 is now on file (it can come after acceptance).
    pub async fn application_authorise(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
    ) -> Result<()> {
        let a = self.application(id).await?;
        let region = stored_region(a.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE applications SET authorised = 1, updated_at = $1, version = version + 1 WHERE id = $2 AND version = $3")
            .bind(now_ms())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "applications", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "application.authorise",
                record_kind: "application",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("authorised", Some(a.authorised), Some(true))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn applications(
        &self,
        scopes: &[RegionCode],
        household_id: Option<i64>,
        q: &str,
        page: Page,
    ) -> Result<Paged<Application>> {
        self.applications_filtered(scopes, household_id, &AppFilter::default(), q, page)
            .await
    }

    /// Applications with an item of a kind, in a state, of urban or rural households: the
    /// list behind each figure of the quarterly report.
    pub async fn applications_filtered(
        &self,
        scopes: &[RegionCode],
        household_id: Option<i64>,
        f: &AppFilter,
        q: &str,
        page: Page,
    ) -> Result<Paged<Application>> {
        let mut s =
            Sql::new("FROM applications a JOIN households h ON h.id = a.household_id WHERE 1 = 1");
        s.scope("a.region_code", scopes);
        if let Some(h) = household_id {
            s.push(" AND a.household_id = ");
            s.bind_i64(h);
        }
        if let Some(area) = &f.area {
            s.push(" AND h.area = ");
            s.bind_text(area.clone());
        }
        if f.item.is_some() || f.state.is_some() {
            s.push(" AND EXISTS (SELECT 1 FROM application_items x WHERE x.application_id = a.id");
            if let Some(item) = &f.item {
                s.push(" AND x.item = ");
                s.bind_text(item.clone());
            }
            if let Some(state) = &f.state {
                s.push(" AND x.state = ");
                s.bind_text(state.clone());
            }
            s.push(")");
        }
        s.keyword(&["h.head_name"], q);
        fetch_paged(
            self.reader(),
            APP_COLS,
            s,
            &Sort::parse(Some("-accepted_on")),
            &["accepted_on", "decision_due"],
            "accepted_on",
            "a.id",
            page,
            app_row,
        )
        .await
    }

    pub async fn application_items(&self, application_id: i64) -> Result<Vec<ApplicationItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLS} FROM application_items WHERE application_id = $1 ORDER BY id"
        ))
        .bind(application_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(item_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    pub async fn application_item(&self, id: i64) -> Result<ApplicationItem> {
        let r = sqlx::query(&format!(
            "SELECT {ITEM_COLS} FROM application_items WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(item_row(&r)?)
    }

    /// Applies a step the domain allowed: the item's new state and dates, the step's
    /// record and the audit row, in one transaction, if the item is still at the version
    /// the worker saw.
    pub async fn item_step(
        &self,
        actor: &Actor,
        item_id: i64,
        expected_version: i64,
        action: &Action,
        state_after: ItemState,
        effects: &StepEffects,
    ) -> Result<ApplicationItem> {
        let old = self.application_item(item_id).await?;
        let region = stored_region(old.region_code.clone())?;
        let detail =
            serde_json::to_string(action).map_err(|_| StoreError::Invalid("step_invalid"))?;
        if too_long(&detail, 4000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE application_items SET state = $1, notice_from = COALESCE($2, notice_from), \
             approved_on = COALESCE($3, approved_on), refused_on = COALESCE($4, refused_on), \
             refusal_notice_due = COALESCE($5, refusal_notice_due), updated_at = $6, version = version + 1, \
             review_class = COALESCE($9, review_class), next_review = COALESCE($10, next_review) \
             WHERE id = $7 AND version = $8",
        )
        .bind(state_after.as_str())
        .bind(effects.notice_from.map(day))
        .bind(effects.approved_on.map(day))
        .bind(effects.refused_on.map(day))
        .bind(effects.refusal_notice_due.map(day))
        .bind(now)
        .bind(item_id)
        .bind(expected_version)
        .bind(effects.review_class.clone())
        .bind(effects.next_review.map(day))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "application_items", item_id).await);
        }
        sqlx::query(
            "INSERT INTO application_steps (item_id, region_code, action, detail_json, state_after, actor_name, at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(item_id)
        .bind(region.to_string())
        .bind(action.code())
        .bind(detail)
        .bind(state_after.as_str())
        .bind(actor.name.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "application.step",
                record_kind: "application_item",
                record_id: item_id.to_string(),
                region: &region,
                changes: vec![Change::new(
                    "state",
                    Some(&old.state),
                    Some(state_after.as_str()),
                )],
            },
        )
        .await?;
        tx.commit().await?;
        self.application_item(item_id).await
    }

    /// Keeps the rules' latest decision on an item (re-run when the household's data
    /// change); an approved item keeps the decision it was approved on.
    pub async fn item_decision_save(
        &self,
        actor: &Actor,
        item_id: i64,
        expected_version: i64,
        d: &DecisionInput,
    ) -> Result<ApplicationItem> {
        let old = self.application_item(item_id).await?;
        if old.state().is_final() {
            return Err(StoreError::Invalid("assistance_step_out_of_order"));
        }
        let region = stored_region(old.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE application_items SET eligible = $1, amount_fen = $2, decision_json = $3, rules_version = $4, \
             updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(d.eligible as i64)
        .bind(d.amount.0)
        .bind(d.explanation_json.clone())
        .bind(d.rules_version.clone())
        .bind(now_ms())
        .bind(item_id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "application_items", item_id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "application.decide",
                record_kind: "application_item",
                record_id: item_id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("eligible", old.eligible, Some(d.eligible)),
                    Change::new("amount_fen", old.amount_fen, Some(d.amount.0)),
                    Change::new("rules_version", None::<String>, Some(&d.rules_version)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.application_item(item_id).await
    }

    pub async fn item_steps(&self, item_id: i64) -> Result<Vec<StepRow>> {
        let rows = sqlx::query("SELECT id, action, detail_json, state_after, actor_name, at FROM application_steps WHERE item_id = $1 ORDER BY at, id")
            .bind(item_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StepRow {
                    id: r.try_get("id")?,
                    action: r.try_get("action")?,
                    detail_json: r.try_get("detail_json")?,
                    state_after: r.try_get("state_after")?,
                    actor_name: r.try_get("actor_name")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Monthly payments

/// Items paid monthly once approved (the others are paid once, or only identify).
pub const MONTHLY_ITEMS: &[&str] = &["dibao", "tekun"];

#[derive(Debug, Clone, Serialize)]
pub struct PaymentRun {
    pub id: i64,
    pub region_code: String,
    pub month: String,
    /// preview → approved → exported
    pub status: String,
    pub total_fen: i64,
    pub payments: i64,
    pub created_by: String,
    pub approved_by: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub id: i64,
    pub run_id: i64,
    pub item_id: i64,
    pub household_id: i64,
    pub head_name: String,
    pub item: String,
    pub month: String,
    pub amount_fen: i64,
    /// pending → sent (in a bank file) → paid | failed; failed → pending (retried) | reversed
    pub status: String,
    pub note: String,
    pub version: i64,
}

/// One line of the bank file: account in full (the export is logged), name, amount.
#[derive(Debug, Clone)]
pub struct BankLine {
    pub payment_id: i64,
    pub head_name: String,
    pub account: Option<String>,
    pub amount: Fen,
}

const RUN_COLS: &str =
    "id, region_code, month, status, total_fen, payments, created_by, approved_by, version";

fn run_row(r: &sqlx::any::AnyRow) -> std::result::Result<PaymentRun, sqlx::Error> {
    Ok(PaymentRun {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        month: r.try_get("month")?,
        status: r.try_get("status")?,
        total_fen: r.try_get("total_fen")?,
        payments: r.try_get("payments")?,
        created_by: r.try_get("created_by")?,
        approved_by: r.try_get("approved_by")?,
        version: r.try_get("version")?,
    })
}

impl Db {
    /// Prepares the month's run for a region: every approved monthly item whose payments
    /// have started by `month` and that has no payment for that month yet. Items paid in
    /// another run are left out, so a second run for the month holds nothing twice.
    pub async fn payment_run_prepare(
        &self,
        actor: &Actor,
        region: &RegionCode,
        month: NaiveDate,
    ) -> Result<PaymentRun> {
        let month_s = month.format("%Y-%m").to_string();
        // Payment starts from the month after approval: approved_on < first of `month`.
        let first = day(month);
        let mut tx = self.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM payment_runs WHERE region_code = $1 AND month = $2")
                .bind(region.to_string())
                .bind(month_s.clone())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::Invalid("payment_run_exists"));
        }
        let now = now_ms();
        let run: i64 = sqlx::query_scalar(
            "INSERT INTO payment_runs (region_code, month, status, created_by, created_at, updated_at) \
             VALUES ($1,$2,'preview',$3,$4,$4) RETURNING id",
        )
        .bind(region.to_string())
        .bind(month_s.clone())
        .bind(actor.name.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Invalid("region_unknown")
            }
            _ => StoreError::Database(e),
        })?;
        let mut q = Sql::new("SELECT i.id, i.household_id, i.region_code, i.amount_fen FROM application_items i WHERE i.state = 'approved' AND i.item IN ('dibao','tekun') AND i.amount_fen > 0 AND i.approved_on < ");
        q.bind_text(first.clone());
        q.push(" AND (i.ended_on IS NULL OR i.ended_on > ");
        q.bind_text(first);
        q.push(")");
        q.push(" AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.item_id = i.id AND p.month = ");
        q.bind_text(month_s.clone());
        q.push(")");
        q.scope("i.region_code", std::slice::from_ref(region));
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(&mut *tx)
            .await?;
        let mut total = 0i64;
        for r in &rows {
            let amount: i64 = r.try_get("amount_fen")?;
            total += amount;
            sqlx::query(
                "INSERT INTO payments (run_id, item_id, household_id, region_code, month, amount_fen, status, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,'pending',$7)",
            )
            .bind(run)
            .bind(r.try_get::<i64, _>("id")?)
            .bind(r.try_get::<i64, _>("household_id")?)
            .bind(r.try_get::<String, _>("region_code")?)
            .bind(month_s.clone())
            .bind(amount)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE payment_runs SET total_fen = $1, payments = $2 WHERE id = $3")
            .bind(total)
            .bind(rows.len() as i64)
            .bind(run)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "payments.prepare",
                record_kind: "payment_run",
                record_id: run.to_string(),
                region,
                changes: vec![
                    Change::new("month", None::<String>, Some(&month_s)),
                    Change::new("total_fen", None::<i64>, Some(total)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.payment_run(run).await
    }

    pub async fn payment_run(&self, id: i64) -> Result<PaymentRun> {
        let r = sqlx::query(&format!(
            "SELECT {RUN_COLS} FROM payment_runs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(run_row(&r)?)
    }

    pub async fn payment_runs(&self, scopes: &[RegionCode]) -> Result<Vec<PaymentRun>> {
        let mut s = Sql::new(&format!("SELECT {RUN_COLS} FROM payment_runs WHERE 1 = 1"));
        s.scope("region_code", scopes);
        s.push(" ORDER BY month DESC, id DESC LIMIT 120");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(run_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// The county approves a previewed run; nothing can be added to it afterwards.
    pub async fn payment_run_approve(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
    ) -> Result<PaymentRun> {
        let run = self.payment_run(id).await?;
        if run.status != "preview" {
            return Err(StoreError::Invalid("payment_run_not_preview"));
        }
        let region = stored_region(run.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE payment_runs SET status = 'approved', approved_by = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4 AND status = 'preview'")
            .bind(actor.name.clone())
            .bind(now_ms())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "payment_runs", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "payments.approve",
                record_kind: "payment_run",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("status", Some("preview"), Some("approved"))],
            },
        )
        .await?;
        tx.commit().await?;
        self.payment_run(id).await
    }

    pub async fn payments_of_run(&self, run_id: i64) -> Result<Vec<Payment>> {
        self.payments_where("p.run_id = ", run_id).await
    }

    pub async fn payments_of_household(&self, household_id: i64) -> Result<Vec<Payment>> {
        self.payments_where("p.household_id = ", household_id).await
    }

    async fn payments_where(&self, cond: &str, v: i64) -> Result<Vec<Payment>> {
        let mut s = Sql::new(
            "SELECT p.id, p.run_id, p.item_id, p.household_id, h.head_name, i.item, p.month, p.amount_fen, p.status, p.note, p.version \
             FROM payments p JOIN households h ON h.id = p.household_id JOIN application_items i ON i.id = p.item_id WHERE ",
        );
        s.push(cond);
        s.bind_i64(v);
        s.push(" ORDER BY p.month DESC, p.id");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Payment {
                    id: r.try_get("id")?,
                    run_id: r.try_get("run_id")?,
                    item_id: r.try_get("item_id")?,
                    household_id: r.try_get("household_id")?,
                    head_name: r.try_get("head_name")?,
                    item: r.try_get("item")?,
                    month: r.try_get("month")?,
                    amount_fen: r.try_get("amount_fen")?,
                    status: r.try_get("status")?,
                    note: r.try_get("note")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    /// The bank file of an approved run: full account numbers, so every export is logged.
    pub async fn payment_run_bank_file(&self, actor: &Actor, id: i64) -> Result<Vec<BankLine>> {
        let run = self.payment_run(id).await?;
        if run.status == "preview" {
            return Err(StoreError::Invalid("payment_run_not_approved"));
        }
        let region = stored_region(run.region_code.clone())?;
        // The payments go out once: those still to pay move to `sent` in the same
        // transaction that reads them, so a second export holds only retried ones.
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT p.id, h.head_name, h.bank_account_enc, p.amount_fen FROM payments p JOIN households h ON h.id = p.household_id \
             WHERE p.run_id = $1 AND p.status = 'pending' ORDER BY p.id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let blob: Option<Vec<u8>> = r.try_get("bank_account_enc")?;
            out.push(BankLine {
                payment_id: r.try_get("id")?,
                head_name: r.try_get("head_name")?,
                account: match blob {
                    Some(b) => Some(self.keys().decrypt(BANK_AAD, &b)?),
                    None => None,
                },
                amount: Fen(r.try_get("amount_fen")?),
            });
        }
        sqlx::query("UPDATE payments SET status = 'sent', updated_at = $1, version = version + 1 WHERE run_id = $2 AND status = 'pending'")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE payment_runs SET status = 'exported', updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "payments.export",
                record_kind: "payment_run",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("payments", None::<usize>, Some(out.len()))],
            },
        )
        .await?;
        tx.commit().await?;
        self.log_access(
            actor,
            "payment_run",
            &id.to_string(),
            "bank_account",
            &region,
            "bank file export",
        )
        .await?;
        Ok(out)
    }

    /// The bank's answer for one sent payment: paid or failed; a failed one is retried (back
    /// to pending, in the next bank file) or reversed.
    pub async fn payment_result(
        &self,
        actor: &Actor,
        payment_id: i64,
        expected_version: i64,
        to: &str,
        note: &str,
    ) -> Result<()> {
        let r = sqlx::query("SELECT p.status, p.region_code, r.status AS run_status FROM payments p JOIN payment_runs r ON r.id = p.run_id WHERE p.id = $1")
            .bind(payment_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let from: String = r.try_get("status")?;
        let run_status: String = r.try_get("run_status")?;
        let allowed = run_status != "preview"
            && matches!(
                (from.as_str(), to),
                ("sent", "paid")
                    | ("sent", "failed")
                    | ("failed", "pending")
                    | ("failed", "reversed")
            );
        if !allowed {
            return Err(StoreError::Invalid("payment_step_refused"));
        }
        if too_long(note, 200) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let region = stored_region(r.try_get::<String, _>("region_code")?)?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE payments SET status = $1, note = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5")
            .bind(to.to_string())
            .bind(note.trim().to_string())
            .bind(now_ms())
            .bind(payment_id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "payments", payment_id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "payments.result",
                record_kind: "payment",
                record_id: payment_id.to_string(),
                region: &region,
                changes: vec![Change::new("status", Some(&from), Some(to))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A payment's region and run, for the caller's permission check.
    pub async fn payment_owner(&self, id: i64) -> Result<(String, i64)> {
        let r = sqlx::query("SELECT region_code, run_id FROM payments WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((r.try_get("region_code")?, r.try_get("run_id")?))
    }

    /// Every fen of a run, by status: what the ledger must add up to.
    pub async fn payment_run_totals(&self, run_id: i64) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS fen FROM payments WHERE run_id = $1 GROUP BY status ORDER BY status")
            .bind(run_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?, r.try_get("fen")?)))
            .collect()
    }
}

/// What a 公示 shows: the household's head with the name masked, where they live down to
/// the community, what is asked for, how many people and how much. Nothing else.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeEntry {
    pub item_id: i64,
    pub head_masked: String,
    pub region_code: String,
    pub region_name: String,
    pub item: String,
    pub members: i64,
    pub amount_fen: Option<i64>,
    pub notice_from: String,
}

impl Db {
    /// Items on public notice whose notice started within the last `days` days.
    pub async fn notices_running(&self, since: NaiveDate) -> Result<Vec<NoticeEntry>> {
        let rows = sqlx::query(
            "SELECT i.id, h.head_name, h.region_code, COALESCE(r.name, '') AS region_name, i.item, i.amount_fen, i.notice_from, \
             (SELECT COUNT(*) FROM household_members m WHERE m.household_id = h.id AND m.left_on IS NULL) AS members \
             FROM application_items i JOIN households h ON h.id = i.household_id LEFT JOIN regions r ON r.region_code = h.region_code \
             WHERE i.state = 'noticed' AND i.notice_from >= $1 ORDER BY i.notice_from DESC, i.id LIMIT 500",
        )
        .bind(day(since))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoticeEntry {
                    item_id: r.try_get("id")?,
                    head_masked: jiuzhu_domain::mask::name(&r.try_get::<String, _>("head_name")?),
                    region_code: r.try_get("region_code")?,
                    region_name: r.try_get("region_name")?,
                    item: r.try_get("item")?,
                    members: r.try_get("members")?,
                    amount_fen: r.try_get("amount_fen")?,
                    notice_from: r.try_get("notice_from")?,
                })
            })
            .collect()
    }
}

/// An application made by a resident online: the household, its members, the monthly
/// income and what is asked for, written together or not at all.
#[derive(Debug, Clone)]
pub struct OnlineApplication {
    pub household: HouseholdInput,
    pub members: Vec<MemberInput>,
    pub monthly_income: Fen,
    pub items: Vec<Item>,
    pub authorised: bool,
    pub accepted_on: NaiveDate,
    pub decision_due: NaiveDate,
    pub need: Option<Fen>,
}

/// What an applicant reads by reference: each item's state and, once decided, the rules'
/// sentence about it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationLookup {
    pub accepted_on: String,
    pub decision_due: String,
    pub missing_docs: String,
    pub items: Vec<(String, String, Option<String>, Option<String>)>,
    /// The decision behind each decided item (same order as `items`), for the page to
    /// explain in words: the figures, never other households' data.
    pub decisions: Vec<Option<String>>,
}

impl Db {
    /// One transaction for the whole online application: a household with someone already
    /// living in another one, or any bad field, leaves nothing behind.
    pub async fn apply_online(&self, actor: &Actor, o: &OnlineApplication) -> Result<Application> {
        if o.members.is_empty() {
            return Err(StoreError::Invalid("household_without_members"));
        }
        let mut tx = self.begin().await?;
        let hid = self.household_insert(&mut tx, actor, &o.household).await?;
        for m in &o.members {
            self.member_insert(&mut tx, actor, hid, &o.household.region, m)
                .await?;
        }
        self.finance_insert(
            &mut tx,
            actor,
            hid,
            &o.household.region,
            &Declaration::new(
                "income",
                "wages",
                o.monthly_income,
                o.accepted_on,
                "网上申请时申报",
            ),
        )
        .await?;
        let id = self
            .application_insert(
                &mut tx,
                actor,
                &ApplicationInput {
                    household_id: hid,
                    channel: "online".into(),
                    items: o.items.clone(),
                    authorised: o.authorised,
                    missing_docs: String::new(),
                    accepted_on: o.accepted_on,
                    decision_due: o.decision_due,
                    need: o.need,
                },
                &o.household.region,
            )
            .await?;
        tx.commit().await?;
        self.application(id).await
    }

    /// The applicant's view by reference number.
    pub async fn application_lookup(&self, reference: &str) -> Result<Option<ApplicationLookup>> {
        let r = sqlx::query("SELECT id, accepted_on, decision_due, missing_docs FROM applications WHERE reference = $1")
            .bind(reference.trim().to_uppercase())
            .fetch_optional(self.reader())
            .await?;
        let Some(r) = r else {
            return Ok(None);
        };
        let id: i64 = r.try_get("id")?;
        let all = self.application_items(id).await?;
        let decisions = all
            .iter()
            .map(|i| {
                matches!(i.state(), ItemState::Approved | ItemState::Refused)
                    .then(|| i.decision_json.clone())
                    .flatten()
            })
            .collect();
        let items = all
            .into_iter()
            .map(|i| {
                let summary = i.decision_json.as_deref().and_then(|j| {
                    serde_json::from_str::<serde_json::Value>(j)
                        .ok()
                        .and_then(|v| v["summary_zh"].as_str().map(str::to_string))
                });
                // The decision is the applicant's to read once the item is decided.
                let shown = matches!(i.state(), ItemState::Approved | ItemState::Refused)
                    .then_some(summary)
                    .flatten();
                (
                    i.item,
                    i.state,
                    shown,
                    i.approved_on
                        .as_deref()
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                        .map(|d| {
                            jiuzhu_domain::assistance::first_payment_month(d)
                                .format("%Y-%m")
                                .to_string()
                        }),
                )
            })
            .collect();
        Ok(Some(ApplicationLookup {
            accepted_on: r.try_get("accepted_on")?,
            decision_due: r.try_get("decision_due")?,
            missing_docs: r.try_get("missing_docs")?,
            items,
            decisions,
        }))
    }
}

/// A periodic review (复核) as recorded.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub outcome: jiuzhu_domain::assistance::ReviewOutcome,
    pub on: NaiveDate,
    pub amount_after: Fen,
    pub next_review: Option<NaiveDate>,
    pub note: String,
    /// The rules' new decision behind the new amount, kept on the item with its explanation.
    pub decision: Option<DecisionInput>,
}

/// An item due for review, with its household's head for the list.
#[derive(Debug, Clone, Serialize)]
pub struct DueReview {
    pub item: ApplicationItem,
    pub head_name: String,
}

impl Db {
    /// Records a review: the amount changes (increase, decrease), or payments end (stop,
    /// close) from the review day; the next review is set. The outcome must agree with the
    /// amount, and the worker's version must still hold.
    pub async fn review_record(
        &self,
        actor: &Actor,
        item_id: i64,
        expected_version: i64,
        r: &ReviewInput,
    ) -> Result<ApplicationItem> {
        let old = self.application_item(item_id).await?;
        if old.state() != ItemState::Approved || old.ended_on.is_some() {
            return Err(StoreError::Invalid("review_not_enrolled"));
        }
        let before = old.amount_fen.unwrap_or(0);
        if r.amount_after.0 < 0 || !r.outcome.agrees(before, r.amount_after.0) {
            return Err(StoreError::Invalid("review_amount_disagrees"));
        }
        if too_long(&r.note, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let region = stored_region(old.region_code.clone())?;
        let after = if r.outcome.ends() {
            before
        } else {
            r.amount_after.0
        };
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE application_items SET amount_fen = $1, ended_on = $2, next_review = $3, updated_at = $4, \
             version = version + 1, decision_json = COALESCE($7, decision_json), rules_version = COALESCE($8, rules_version) \
             WHERE id = $5 AND version = $6",
        )
        .bind(after)
        .bind(r.outcome.ends().then(|| day(r.on)))
        .bind(if r.outcome.ends() { None } else { r.next_review.map(day) })
        .bind(now_ms())
        .bind(item_id)
        .bind(expected_version)
        .bind(r.decision.as_ref().map(|d| d.explanation_json.clone()))
        .bind(r.decision.as_ref().map(|d| d.rules_version.clone()))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "application_items", item_id).await);
        }
        // Runs prepared but not yet approved for the months after the review follow it: a
        // stop takes the payment out, a new amount replaces the old one; their totals are
        // counted again.
        let next_month = jiuzhu_domain::assistance::first_payment_month(r.on)
            .format("%Y-%m")
            .to_string();
        let in_preview = "run_id IN (SELECT id FROM payment_runs WHERE status = 'preview')";
        let affected: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT run_id FROM payments WHERE item_id = $1 AND status = 'pending' AND month >= $2 AND {in_preview}"
        ))
        .bind(item_id)
        .bind(next_month.clone())
        .fetch_all(&mut *tx)
        .await?;
        if r.outcome.ends() {
            sqlx::query(&format!(
                "DELETE FROM payments WHERE item_id = $1 AND status = 'pending' AND month >= $2 AND {in_preview}"
            ))
            .bind(item_id)
            .bind(next_month)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(&format!(
                "UPDATE payments SET amount_fen = $3, version = version + 1 WHERE item_id = $1 AND status = 'pending' \
                 AND month >= $2 AND {in_preview}"
            ))
            .bind(item_id)
            .bind(next_month)
            .bind(after)
            .execute(&mut *tx)
            .await?;
        }
        for run in affected {
            sqlx::query(
                "UPDATE payment_runs SET total_fen = (SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payments WHERE run_id = $1), \
                 payments = (SELECT COUNT(*) FROM payments WHERE run_id = $1), version = version + 1 WHERE id = $1",
            )
            .bind(run)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO item_reviews (item_id, region_code, reviewed_on, outcome, amount_before, amount_after, note, actor_name, at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        )
        .bind(item_id)
        .bind(region.to_string())
        .bind(day(r.on))
        .bind(r.outcome.as_str())
        .bind(before)
        .bind(after)
        .bind(r.note.trim().to_string())
        .bind(actor.name.clone())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "assistance.review",
                record_kind: "application_item",
                record_id: item_id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("outcome", None::<String>, Some(r.outcome.as_str())),
                    Change::new("amount_fen", Some(before), Some(after)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.application_item(item_id).await
    }

    /// Every item being paid in the caller's jurisdiction (the spot-check draws from these).
    pub async fn enrolled_items(&self, scopes: &[RegionCode]) -> Result<Vec<DueReview>> {
        let mut s = Sql::new(&format!(
            "SELECT i.{}, h.head_name FROM application_items i JOIN households h ON h.id = i.household_id \
             WHERE i.state = 'approved' AND i.ended_on IS NULL AND i.item IN ('dibao', 'tekun')",
            ITEM_COLS.replace(", ", ", i.")
        ));
        s.scope("i.region_code", scopes);
        s.push(" ORDER BY i.id LIMIT 100000");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DueReview {
                    item: item_row(r)?,
                    head_name: r.try_get("head_name")?,
                })
            })
            .collect()
    }

    /// Approved items whose review falls due by `until`, soonest first.
    pub async fn reviews_due(
        &self,
        scopes: &[RegionCode],
        until: NaiveDate,
    ) -> Result<Vec<DueReview>> {
        let mut s = Sql::new(&format!(
            "SELECT i.{}, h.head_name FROM application_items i JOIN households h ON h.id = i.household_id \
             WHERE i.state = 'approved' AND i.ended_on IS NULL AND i.next_review IS NOT NULL AND i.next_review <= ",
            ITEM_COLS.replace(", ", ", i.")
        ));
        s.bind_text(day(until));
        s.scope("i.region_code", scopes);
        s.push(" ORDER BY i.next_review, i.id LIMIT 500");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DueReview {
                    item: item_row(r)?,
                    head_name: r.try_get("head_name")?,
                })
            })
            .collect()
    }
}

/// One line of the quarterly report (社会服务统计季报表 items for a programme and area).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProgrammeFigures {
    pub item: String,
    pub area: String,
    /// Households and people enrolled at the end of the period.
    pub households: i64,
    pub people: i64,
    /// Average monthly amount per household, in fen.
    pub average_fen: i64,
    /// Paid during the period, in fen.
    pub spending_fen: i64,
    /// Approved during the period (for one-off help: the cases).
    pub approved_in_period: i64,
}

impl Db {
    /// The quarterly figures for [from, to]: per item and urban/rural, enrolment at the end,
    /// average amounts, what was paid and what was approved in the period.
    pub async fn assistance_figures(
        &self,
        scopes: &[RegionCode],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ProgrammeFigures>> {
        let mut s = Sql::new(
            "SELECT i.item, h.area, \
             CAST(COALESCE(SUM(CASE WHEN i.approved_on <= ",
        );
        s.bind_text(day(to));
        s.push(" AND (i.ended_on IS NULL OR i.ended_on > ");
        s.bind_text(day(to));
        s.push(
            ") THEN 1 ELSE 0 END), 0) AS BIGINT) AS households, \
             CAST(COALESCE(SUM(CASE WHEN i.approved_on <= ",
        );
        s.bind_text(day(to));
        s.push(" AND (i.ended_on IS NULL OR i.ended_on > ");
        s.bind_text(day(to));
        s.push(
            ") THEN (SELECT COUNT(*) FROM household_members m WHERE m.household_id = h.id AND m.left_on IS NULL) ELSE 0 END), 0) AS BIGINT) AS people, \
             CAST(COALESCE(SUM(CASE WHEN i.approved_on <= ",
        );
        s.bind_text(day(to));
        s.push(" AND (i.ended_on IS NULL OR i.ended_on > ");
        s.bind_text(day(to));
        s.push(
            ") THEN i.amount_fen ELSE 0 END), 0) AS BIGINT) AS amount, \
             CAST(COALESCE(SUM(CASE WHEN i.approved_on >= ",
        );
        s.bind_text(day(from));
        s.push(" AND i.approved_on <= ");
        s.bind_text(day(to));
        s.push(
            " THEN 1 ELSE 0 END), 0) AS BIGINT) AS approved FROM application_items i \
             JOIN households h ON h.id = i.household_id WHERE i.state = 'approved'",
        );
        s.scope("i.region_code", scopes);
        s.push(" GROUP BY i.item, h.area ORDER BY i.item, h.area");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        // What was paid in the period, in the same jurisdiction.
        let mut p = Sql::new(
            "SELECT j.item, g.area, CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) AS paid FROM payments p \
             JOIN application_items j ON j.id = p.item_id JOIN households g ON g.id = j.household_id \
             WHERE p.status = 'paid' AND p.month >= ",
        );
        p.bind_text(from.format("%Y-%m").to_string());
        p.push(" AND p.month <= ");
        p.bind_text(to.format("%Y-%m").to_string());
        p.scope("p.region_code", scopes);
        p.push(" GROUP BY j.item, g.area");
        let paid: Vec<(String, String, i64)> = sqlx::query_with(p.text(), p.args())
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?;
        rows.iter()
            .map(|r| {
                let households: i64 = r.try_get("households")?;
                let amount: i64 = r.try_get("amount")?;
                Ok(ProgrammeFigures {
                    item: r.try_get("item")?,
                    area: r.try_get("area")?,
                    households,
                    people: r.try_get("people")?,
                    average_fen: if households > 0 {
                        amount / households
                    } else {
                        0
                    },
                    spending_fen: {
                        let (item, area): (String, String) =
                            (r.try_get("item")?, r.try_get("area")?);
                        paid.iter()
                            .filter(|(i, a, _)| *i == item && *a == area)
                            .map(|x| x.2)
                            .sum()
                    },
                    approved_in_period: r.try_get("approved")?,
                })
            })
            .collect()
    }
}

impl Db {
    /// The items a household is enrolled in on `on`, and whether it had temporary help in
    /// the year before: what its categories are made of.
    pub async fn household_enrolment(
        &self,
        household_id: i64,
        on: NaiveDate,
    ) -> Result<(Vec<Item>, bool)> {
        let rows = sqlx::query(
            "SELECT item, approved_on FROM application_items WHERE household_id = $1 AND state = 'approved' \
             AND approved_on <= $2 AND (ended_on IS NULL OR ended_on > $2)",
        )
        .bind(household_id)
        .bind(day(on))
        .fetch_all(self.reader())
        .await?;
        let year_ago = day(on - chrono::Duration::days(365));
        let mut items = Vec::new();
        let mut recent = false;
        for r in &rows {
            let item: String = r.try_get("item")?;
            let approved: String = r.try_get("approved_on")?;
            match Item::parse(&item) {
                Some(Item::LinshiEmergency | Item::LinshiSpending) => {
                    recent |= approved >= year_ago;
                }
                Some(i) => items.push(i),
                None => {}
            }
        }
        Ok((items, recent))
    }

    /// Marks a household as monitored for falling back into poverty (防止返贫监测), or not.
    pub async fn household_set_monitored(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        monitored: bool,
    ) -> Result<()> {
        let h = self.household(id).await?;
        let region = stored_region(h.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE households SET monitored = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4")
            .bind(monitored as i64)
            .bind(now_ms())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "households", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "household.monitored",
                record_kind: "household",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("monitored", Some(h.monitored), Some(monitored))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A door-to-door visit as the phone records it.
#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    pub id: i64,
    pub visited_at: i64,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub people_seen: i64,
    pub saw_applicant: bool,
    pub note: String,
    pub actor_name: String,
}

impl Db {
    /// Records a visit; the time is when it is recorded, the position the phone's.
    pub async fn visit_record(
        &self,
        actor: &Actor,
        household_id: i64,
        position: Option<(f64, f64)>,
        people_seen: i64,
        saw_applicant: bool,
        note: &str,
    ) -> Result<()> {
        if !(0..=30).contains(&people_seen) {
            return Err(StoreError::Invalid("count_invalid"));
        }
        if too_long(note, 1000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if position.is_some_and(|(a, b)| !jiuzhu_domain::outreach::valid_position(a, b)) {
            return Err(StoreError::Invalid("position_invalid"));
        }
        let h = self.household(household_id).await?;
        let region = stored_region(h.region_code.clone())?;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO household_visits (household_id, region_code, visited_at, lat, lng, people_seen, saw_applicant, note, actor_name) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
        )
        .bind(household_id)
        .bind(region.to_string())
        .bind(now_ms())
        .bind(position.map(|p| p.0))
        .bind(position.map(|p| p.1))
        .bind(people_seen)
        .bind(saw_applicant as i64)
        .bind(note.trim().to_string())
        .bind(actor.name.clone())
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "household.visit",
                record_kind: "household_visit",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("people_seen", None::<i64>, Some(people_seen))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn visits(&self, household_id: i64) -> Result<Vec<Visit>> {
        let rows = sqlx::query(
            "SELECT id, visited_at, lat, lng, people_seen, saw_applicant, note, actor_name FROM household_visits \
             WHERE household_id = $1 ORDER BY visited_at DESC LIMIT 50",
        )
        .bind(household_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Visit {
                    id: r.try_get("id")?,
                    visited_at: r.try_get("visited_at")?,
                    lat: r.try_get("lat")?,
                    lng: r.try_get("lng")?,
                    people_seen: r.try_get("people_seen")?,
                    saw_applicant: r.try_get::<i64, _>("saw_applicant")? != 0,
                    note: r.try_get("note")?,
                    actor_name: r.try_get("actor_name")?,
                })
            })
            .collect()
    }
}

/// One measure of a household's plan (一户一策).
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub id: i64,
    pub measure: String,
    pub owner: String,
    pub due_on: String,
    /// open / done / dropped
    pub status: String,
    pub review_note: String,
    pub version: i64,
}

/// A station stay of a household member, for the household file.
#[derive(Debug, Clone, Serialize)]
pub struct MemberCase {
    pub case_id: i64,
    pub case_no: String,
    pub member: String,
    pub state: String,
    pub registered_at: i64,
    pub departed_at: Option<i64>,
    /// The case's own jurisdiction: the page shows a stay only to those who may read it.
    pub region_code: String,
}

impl Db {
    pub async fn measure_add(
        &self,
        actor: &Actor,
        household_id: i64,
        measure: &str,
        owner: &str,
        due_on: NaiveDate,
    ) -> Result<()> {
        if measure.trim().is_empty() || owner.trim().is_empty() {
            return Err(StoreError::Invalid("measure_required"));
        }
        if too_long(measure, 300) || too_long(owner, 50) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let h = self.household(household_id).await?;
        let region = stored_region(h.region_code.clone())?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO household_measures (household_id, region_code, measure, owner, due_on, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$6) RETURNING id",
        )
        .bind(household_id)
        .bind(region.to_string())
        .bind(measure.trim().to_string())
        .bind(owner.trim().to_string())
        .bind(day(due_on))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "household.measure_add",
                record_kind: "household_measure",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("measure", None::<String>, Some(measure.trim()))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A measure reviewed: done or dropped, with what was found.
    pub async fn measure_review(
        &self,
        actor: &Actor,
        household_id: i64,
        measure_id: i64,
        expected_version: i64,
        status: &str,
        note: &str,
    ) -> Result<()> {
        if !matches!(status, "open" | "done" | "dropped") {
            return Err(StoreError::Invalid("measure_status_invalid"));
        }
        if too_long(note, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let h = self.household(household_id).await?;
        let region = stored_region(h.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE household_measures SET status = $1, review_note = $2, updated_at = $3, version = version + 1 \
             WHERE id = $4 AND household_id = $5 AND version = $6",
        )
        .bind(status.to_string())
        .bind(note.trim().to_string())
        .bind(now_ms())
        .bind(measure_id)
        .bind(household_id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "household_measures", measure_id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "household.measure_review",
                record_kind: "household_measure",
                record_id: measure_id.to_string(),
                region: &region,
                changes: vec![Change::new("status", None::<String>, Some(status))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn measures(&self, household_id: i64) -> Result<Vec<Measure>> {
        let rows = sqlx::query(
            "SELECT id, measure, owner, due_on, status, review_note, version FROM household_measures \
             WHERE household_id = $1 ORDER BY status = 'open' DESC, due_on, id",
        )
        .bind(household_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Measure {
                    id: r.try_get("id")?,
                    measure: r.try_get("measure")?,
                    owner: r.try_get("owner")?,
                    due_on: r.try_get("due_on")?,
                    status: r.try_get("status")?,
                    review_note: r.try_get("review_note")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    /// Station stays of the household's members, found by the identity number's blind index
    /// (the same person, never a name match).
    pub async fn member_cases(&self, household_id: i64) -> Result<Vec<MemberCase>> {
        let rows = sqlx::query(
            "SELECT c.id, c.case_no, m.name, c.state, c.registered_at, c.departed_at, c.region_code FROM household_members m \
             JOIN persons p ON p.resident_id_idx = m.resident_id_idx JOIN cases c ON c.person_id = p.id \
             WHERE m.household_id = $1 AND m.resident_id_idx IS NOT NULL ORDER BY c.registered_at DESC LIMIT 50",
        )
        .bind(household_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MemberCase {
                    case_id: r.try_get(0)?,
                    case_no: r.try_get(1)?,
                    member: r.try_get(2)?,
                    state: r.try_get(3)?,
                    registered_at: r.try_get(4)?,
                    departed_at: r.try_get(5)?,
                    region_code: r.try_get(6)?,
                })
            })
            .collect()
    }
}

impl Db {
    /// Adds a document photo to an application (at most twenty).
    pub async fn document_add(
        &self,
        actor: &Actor,
        application_id: i64,
        jpeg: Vec<u8>,
        thumb: Vec<u8>,
    ) -> Result<i64> {
        let a = self.application(application_id).await?;
        let region = stored_region(a.region_code.clone())?;
        let mut tx = self.begin().await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM application_documents WHERE application_id = $1",
        )
        .bind(application_id)
        .fetch_one(&mut *tx)
        .await?;
        if n >= 20 {
            return Err(StoreError::Invalid("too_many_documents"));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO application_documents (application_id, region_code, jpeg, thumb, actor_name, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        )
        .bind(application_id)
        .bind(region.to_string())
        .bind(jpeg)
        .bind(thumb)
        .bind(actor.name.clone())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "application.document",
                record_kind: "application",
                record_id: application_id.to_string(),
                region: &region,
                changes: vec![Change::new("document", None::<i64>, Some(id))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn document_ids(&self, application_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM application_documents WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// A document's region, for the permission check before it is read.
    pub async fn document_region(&self, id: i64) -> Result<String> {
        sqlx::query_scalar("SELECT region_code FROM application_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A document (full size or thumbnail); a full-size view is logged.
    pub async fn document(&self, actor: &Actor, id: i64, thumb: bool) -> Result<Vec<u8>> {
        let r = sqlx::query(&format!(
            "SELECT region_code, application_id, {} AS img FROM application_documents WHERE id = $1",
            if thumb { "thumb" } else { "jpeg" }
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        if !thumb {
            let region = stored_region(r.try_get::<String, _>("region_code")?)?;
            let app: i64 = r.try_get("application_id")?;
            self.log_access(
                actor,
                "application",
                &app.to_string(),
                "document",
                &region,
                "view document",
            )
            .await?;
        }
        Ok(r.try_get("img")?)
    }
}

impl Db {
    /// The application a reference number names (the applicant uploads to it).
    pub async fn application_by_reference(&self, reference: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM applications WHERE reference = $1")
                .bind(reference.trim().to_uppercase())
                .fetch_optional(self.reader())
                .await?,
        )
    }

    /// The visit's household and region, for the permission check.
    pub async fn visit_owner(&self, visit_id: i64) -> Result<(i64, String)> {
        let r = sqlx::query("SELECT household_id, region_code FROM household_visits WHERE id = $1")
            .bind(visit_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((r.try_get("household_id")?, r.try_get("region_code")?))
    }

    /// A photo from a home visit (at most five per visit).
    pub async fn visit_photo_add(
        &self,
        actor: &Actor,
        visit_id: i64,
        jpeg: Vec<u8>,
        thumb: Vec<u8>,
    ) -> Result<i64> {
        let (household, region) = self.visit_owner(visit_id).await?;
        let region = stored_region(region)?;
        let mut tx = self.begin().await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visit_photos WHERE visit_id = $1")
            .bind(visit_id)
            .fetch_one(&mut *tx)
            .await?;
        if n >= 5 {
            return Err(StoreError::Invalid("too_many_photos"));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO visit_photos (visit_id, region_code, jpeg, thumb, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
        )
        .bind(visit_id)
        .bind(region.to_string())
        .bind(jpeg)
        .bind(thumb)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "household.visit_photo",
                record_kind: "household",
                record_id: household.to_string(),
                region: &region,
                changes: vec![Change::new("visit_photo", None::<i64>, Some(id))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn visit_photo_ids(&self, visit_id: i64) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM visit_photos WHERE visit_id = $1 ORDER BY id")
                .bind(visit_id)
                .fetch_all(self.reader())
                .await?,
        )
    }

    /// A visit photo and its region; full-size views are logged by the caller's request.
    pub async fn visit_photo(
        &self,
        actor: &Actor,
        id: i64,
        thumb: bool,
    ) -> Result<(String, Vec<u8>)> {
        let r = sqlx::query(&format!(
            "SELECT region_code, visit_id, {} AS img FROM visit_photos WHERE id = $1",
            if thumb { "thumb" } else { "jpeg" }
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let region: String = r.try_get("region_code")?;
        if !thumb {
            let visit: i64 = r.try_get("visit_id")?;
            self.log_access(
                actor,
                "household_visit",
                &visit.to_string(),
                "photo",
                &stored_region(region.clone())?,
                "view photo",
            )
            .await?;
        }
        Ok((region, r.try_get("img")?))
    }

    /// The photo's region, for the permission check before it is read.
    pub async fn visit_photo_region(&self, id: i64) -> Result<String> {
        sqlx::query_scalar("SELECT region_code FROM visit_photos WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }
}
