//! 社会救助: one-window applications (社会救助一件事) and the steps each asked-for item goes
//! through (domain.md §2.3–2.4), as a state machine with its time limits.
//!
//! An application belongs to a household and asks for one or more [`Item`]s; each item moves
//! on its own: 受理 → 信息核对 → 入户调查 → 初审 → 公示 (7 days) → 审核确认, with objections
//! sending it to 民主评议 and a new notice, a refusal possible at any step (with reasons, and
//! a written notice within 3 working days), 急难型临时救助 helped first with the paperwork
//! after, and referrals to other departments recorded as such. [`step`] is the one place that
//! says what may happen next; the eligibility and the amount come from `jiuzhu-rules`.

use crate::calendar::WorkCalendar;
use crate::region::RegionCode;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

pub const ASSISTANCE_TOML: &str = include_str!("../../../reference/settings/assistance.toml");

code_enum! {
    /// What an application can ask for.
    pub enum Item {
        /// 最低生活保障
        Dibao = "dibao",
        /// 特困人员救助供养
        Tekun = "tekun",
        /// 低保边缘家庭
        Bianyuan = "bianyuan",
        /// 刚性支出困难家庭
        Gangxing = "gangxing",
        /// 临时救助（急难型）: help first, paperwork after.
        LinshiEmergency = "linshi_emergency",
        /// 临时救助（支出型）
        LinshiSpending = "linshi_spending",
        /// 医疗救助转介
        ReferralMedical = "referral_medical",
        /// 教育救助转介
        ReferralEducation = "referral_education",
        /// 住房救助转介
        ReferralHousing = "referral_housing",
        /// 就业救助转介
        ReferralEmployment = "referral_employment",
    }
}

impl Item {
    pub fn is_referral(self) -> bool {
        matches!(
            self,
            Item::ReferralMedical
                | Item::ReferralEducation
                | Item::ReferralHousing
                | Item::ReferralEmployment
        )
    }

    /// Items decided after a public notice (公示).
    pub fn needs_notice(self) -> bool {
        matches!(
            self,
            Item::Dibao | Item::Tekun | Item::Bianyuan | Item::Gangxing
        )
    }
}

code_enum! {
    /// Where an item stands.
    pub enum ItemState {
        /// 已受理
        Accepted = "accepted",
        /// 急难型: helped first; the paperwork follows.
        Helped = "helped",
        /// 信息核对完成 (check report recorded)
        Checked = "checked",
        /// 入户调查完成
        Investigated = "investigated",
        /// 初审通过
        Reviewed = "reviewed",
        /// 公示中
        Noticed = "noticed",
        /// 公示有异议: re-investigation or 民主评议, then a new notice.
        Objected = "objected",
        /// 审核确认
        Approved = "approved",
        /// 不予认定
        Refused = "refused",
        /// 已转介
        Referred = "referred",
        /// 申请人撤回
        Withdrawn = "withdrawn",
    }
}

impl ItemState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Approved | ItemState::Refused | ItemState::Referred | ItemState::Withdrawn
        )
    }
}

/// A step a worker records, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Action {
    /// 信息核对: the cross-department check report is in.
    DataCheck {
        report_ref: String,
    },
    /// 入户调查 by at least two staff, with the signed form.
    Investigate {
        staff: Vec<String>,
        signed_form: bool,
    },
    /// 初审 by the township: passed, or refused (see `Refuse`).
    FirstReview {
        opinion: String,
    },
    /// 公示 starts on this day.
    PublishNotice {
        from: NaiveDate,
    },
    /// Someone objected during the notice.
    Objection {
        note: String,
    },
    /// 民主评议 (or re-investigation) after an objection; a new notice follows.
    CommunityReview {
        opinion: String,
    },
    /// 审核确认 by the county (or the township where delegated).
    Approve {
        on: NaiveDate,
        opinion: String,
    },
    /// 不予认定, with the reasons the applicant will read.
    Refuse {
        reasons: String,
    },
    /// 急难型临时救助: help now.
    HelpFirst,
    /// A referral handed to the department.
    Refer {
        to: String,
    },
    Withdraw,
}

impl Action {
    pub fn code(&self) -> &'static str {
        match self {
            Action::DataCheck { .. } => "data_check",
            Action::Investigate { .. } => "investigate",
            Action::FirstReview { .. } => "first_review",
            Action::PublishNotice { .. } => "publish_notice",
            Action::Objection { .. } => "objection",
            Action::CommunityReview { .. } => "community_review",
            Action::Approve { .. } => "approve",
            Action::Refuse { .. } => "refuse",
            Action::HelpFirst => "help_first",
            Action::Refer { .. } => "refer",
            Action::Withdraw => "withdraw",
        }
    }
}

/// Why a step was refused: a stable code the pages translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("assistance_step_out_of_order")]
    OutOfOrder,
    #[error("assistance_no_authorisation")]
    NoAuthorisation,
    #[error("assistance_two_staff")]
    TwoStaff,
    #[error("assistance_form_unsigned")]
    FormUnsigned,
    #[error("assistance_notice_running")]
    NoticeRunning,
    #[error("assistance_reason_required")]
    ReasonRequired,
    #[error("assistance_not_eligible")]
    NotEligible,
    #[error("assistance_date_invalid")]
    DateInvalid,
}

impl StepError {
    pub fn code(self) -> &'static str {
        match self {
            StepError::OutOfOrder => "assistance_step_out_of_order",
            StepError::NoAuthorisation => "assistance_no_authorisation",
            StepError::TwoStaff => "assistance_two_staff",
            StepError::FormUnsigned => "assistance_form_unsigned",
            StepError::NoticeRunning => "assistance_notice_running",
            StepError::ReasonRequired => "assistance_reason_required",
            StepError::NotEligible => "assistance_not_eligible",
            StepError::DateInvalid => "assistance_date_invalid",
        }
    }
}

/// What the step needs to know beyond the item's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub item: Item,
    /// The signed 核对授权书 is on file.
    pub authorised: bool,
    /// When the current notice started, if one is running or ran.
    pub notice_from: Option<NaiveDate>,
    /// The rules found the household eligible (the latest decision); None: not decided yet.
    pub eligible: Option<bool>,
    /// Today, in the jurisdiction: approvals cannot be dated later.
    pub today: NaiveDate,
    pub notice_days: u32,
}

/// The one place that says what may happen next to an item.
pub fn step(state: ItemState, action: &Action, f: &Facts) -> Result<ItemState, StepError> {
    use ItemState as S;
    if state.is_final() {
        return Err(StepError::OutOfOrder);
    }
    match action {
        Action::Withdraw => Ok(S::Withdrawn),
        Action::Refuse { reasons } => {
            if reasons.trim().is_empty() {
                Err(StepError::ReasonRequired)
            } else if state == S::Helped {
                // Help already given cannot be refused afterwards; the paperwork records it.
                Err(StepError::OutOfOrder)
            } else {
                Ok(S::Refused)
            }
        }
        Action::Refer { to } => match (state, f.item.is_referral()) {
            (S::Accepted, true) if !to.trim().is_empty() => Ok(S::Referred),
            (S::Accepted, true) => Err(StepError::ReasonRequired),
            _ => Err(StepError::OutOfOrder),
        },
        _ if f.item.is_referral() => Err(StepError::OutOfOrder),
        Action::HelpFirst => match (state, f.item) {
            (S::Accepted, Item::LinshiEmergency) => Ok(S::Helped),
            _ => Err(StepError::OutOfOrder),
        },
        Action::DataCheck { report_ref } => match state {
            S::Accepted | S::Helped if !f.authorised => Err(StepError::NoAuthorisation),
            S::Accepted | S::Helped if report_ref.trim().is_empty() => {
                Err(StepError::ReasonRequired)
            }
            S::Accepted | S::Helped => Ok(S::Checked),
            _ => Err(StepError::OutOfOrder),
        },
        Action::Investigate { staff, signed_form } => {
            if state != S::Checked && state != S::Objected {
                return Err(StepError::OutOfOrder);
            }
            let mut names: Vec<&str> = staff
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect();
            names.sort_unstable();
            names.dedup();
            if names.len() < 2 {
                Err(StepError::TwoStaff)
            } else if !signed_form {
                Err(StepError::FormUnsigned)
            } else {
                Ok(S::Investigated)
            }
        }
        Action::FirstReview { .. } => match state {
            S::Investigated => Ok(S::Reviewed),
            _ => Err(StepError::OutOfOrder),
        },
        Action::PublishNotice { from } => match state {
            S::Reviewed if f.item.needs_notice() => {
                if *from < f.today - Duration::days(30) || *from > f.today + Duration::days(30) {
                    Err(StepError::DateInvalid)
                } else {
                    Ok(S::Noticed)
                }
            }
            _ => Err(StepError::OutOfOrder),
        },
        Action::Objection { .. } => match state {
            S::Noticed => Ok(S::Objected),
            _ => Err(StepError::OutOfOrder),
        },
        Action::CommunityReview { .. } => match state {
            // After 民主评议 the item is reviewed again and published again.
            S::Objected => Ok(S::Reviewed),
            _ => Err(StepError::OutOfOrder),
        },
        Action::Approve { on, .. } => {
            let ready = if f.item.needs_notice() {
                match (state, f.notice_from) {
                    (S::Noticed, Some(from)) => {
                        if *on < notice_ends(from, f.notice_days) {
                            return Err(StepError::NoticeRunning);
                        }
                        true
                    }
                    _ => false,
                }
            } else {
                state == S::Reviewed
            };
            if !ready {
                return Err(StepError::OutOfOrder);
            }
            if *on > f.today {
                return Err(StepError::DateInvalid);
            }
            match f.eligible {
                Some(true) => Ok(S::Approved),
                Some(false) => Err(StepError::NotEligible),
                // Items the rules engine does not decide (none today) would need one.
                None => Err(StepError::NotEligible),
            }
        }
    }
}

/// The first day a notice that started on `from` no longer runs: 7 days are 7 whole days.
pub fn notice_ends(from: NaiveDate, days: u32) -> NaiveDate {
    from + Duration::days(days as i64)
}

/// Payment starts from the month after approval (domain.md §2.3).
pub fn first_payment_month(approved_on: NaiveDate) -> NaiveDate {
    let (y, m) = if approved_on.month() == 12 {
        (approved_on.year() + 1, 1)
    } else {
        (approved_on.year(), approved_on.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("the first of a month exists")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    region: String,
    from: String,
    reference: String,
    processing_working_days: u32,
    extension_working_days: u32,
    notice_days: u32,
    refusal_notice_working_days: u32,
    review_months_a: u32,
    review_months_b: u32,
    review_months_c_urban: u32,
    review_months_c_rural: u32,
    circles: Circles,
}

/// 三个圈层: which categories each circle holds (configurable: no national definition).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circles {
    pub inner: Vec<String>,
    pub middle: Vec<String>,
    pub outer: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entry: Vec<EntryFile>,
}

/// The time limits in force for a region from a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistanceSettings {
    pub region: RegionCode,
    pub from: NaiveDate,
    pub reference: String,
    /// From acceptance to 审核确认, in working days.
    pub processing_working_days: u32,
    pub extension_working_days: u32,
    pub notice_days: u32,
    /// A refusal is explained in writing within this many working days.
    pub refusal_notice_working_days: u32,
    /// Months between reviews per class: A, B, C in towns, C in the countryside.
    pub review_months: [u32; 4],
    /// The circle of each category (inner 0, middle 1, outer 2).
    pub circles: Vec<(Category, Circle)>,
}

impl AssistanceSettings {
    /// When an application accepted on `accepted` must be decided.
    pub fn decision_due(&self, cal: &WorkCalendar, accepted: NaiveDate) -> NaiveDate {
        cal.add_working_days(accepted, self.processing_working_days)
    }

    pub fn refusal_notice_due(&self, cal: &WorkCalendar, refused: NaiveDate) -> NaiveDate {
        cal.add_working_days(refused, self.refusal_notice_working_days)
    }

    /// When a household of `class` reviewed (or approved) on `on` is reviewed next.
    pub fn next_review(&self, class: ReviewClass, rural: bool, on: NaiveDate) -> NaiveDate {
        let months = match (class, rural) {
            (ReviewClass::A, _) => self.review_months[0],
            (ReviewClass::B, _) => self.review_months[1],
            (ReviewClass::C, false) => self.review_months[2],
            (ReviewClass::C, true) => self.review_months[3],
        };
        on.checked_add_months(chrono::Months::new(months))
            .unwrap_or(on)
    }
}

code_enum! {
    /// 分类管理: how often a beneficiary household is reviewed.
    pub enum ReviewClass {
        /// A: no one can work (old, severely disabled, ill, minors): stable.
        A = "a",
        /// B: income stable and low.
        B = "b",
        /// C: someone able to work with irregular income: reviewed more often.
        C = "c",
    }
}

/// One member as the classification sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Age on the day.
    pub age: u32,
    /// Fully able to work.
    pub able: bool,
    pub severe_disability: bool,
}

/// A: no member of working age able to work; C: someone able to work (irregular income is
/// assumed when a member of working age can work); B otherwise (partial ability only).
pub fn classify(members: &[Capacity]) -> ReviewClass {
    let working_age = |m: &&Capacity| (16..60).contains(&m.age) && !m.severe_disability;
    if members.iter().filter(working_age).any(|m| m.able) {
        ReviewClass::C
    } else if members.iter().filter(working_age).count() == 0 {
        ReviewClass::A
    } else {
        ReviewClass::B
    }
}

code_enum! {
    /// 低收入人口的 6 类 (国办发〔2023〕39号).
    pub enum Category {
        /// 低保对象
        Dibao = "dibao",
        /// 特困人员
        Tekun = "tekun",
        /// 防止返贫监测对象
        Fanpin = "fanpin",
        /// 低保边缘家庭成员
        Bianyuan = "bianyuan",
        /// 刚性支出困难家庭成员
        Gangxing = "gangxing",
        /// 其他困难人员
        Other = "other",
    }
}

code_enum! {
    pub enum Circle {
        Inner = "inner",
        Middle = "middle",
        Outer = "outer",
    }
}

/// The categories a household is in: its enrolled items, a temporary help in the last year
/// (其他困难人员), and the 防止返贫 monitoring flag set by the township.
pub fn categories(
    enrolled: &[Item],
    recent_temporary_help: bool,
    monitored: bool,
) -> Vec<Category> {
    let mut out = Vec::new();
    for i in enrolled {
        let c = match i {
            Item::Dibao => Category::Dibao,
            Item::Tekun => Category::Tekun,
            Item::Bianyuan => Category::Bianyuan,
            Item::Gangxing => Category::Gangxing,
            Item::LinshiEmergency | Item::LinshiSpending => Category::Other,
            _ => continue,
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if recent_temporary_help && !out.contains(&Category::Other) {
        out.push(Category::Other);
    }
    if monitored {
        out.push(Category::Fanpin);
    }
    out
}

impl AssistanceSettings {
    /// The innermost circle among a household's categories.
    pub fn circle(&self, cats: &[Category]) -> Option<Circle> {
        cats.iter()
            .filter_map(|c| self.circles.iter().find(|(x, _)| x == c).map(|(_, k)| *k))
            .min_by_key(|k| match k {
                Circle::Inner => 0,
                Circle::Middle => 1,
                Circle::Outer => 2,
            })
    }
}

code_enum! {
    /// 复核结果
    pub enum ReviewOutcome {
        /// 维持
        Keep = "keep",
        /// 增发
        Increase = "increase",
        /// 减发
        Decrease = "decrease",
        /// 停发 (payments stop; the file stays)
        Stop = "stop",
        /// 注销 (out of the programme)
        Close = "close",
    }
}

impl ReviewOutcome {
    /// Whether payments end with this outcome.
    pub fn ends(self) -> bool {
        matches!(self, ReviewOutcome::Stop | ReviewOutcome::Close)
    }

    /// The outcome must agree with the amount: an increase raises it, a decrease lowers it,
    /// keep leaves it.
    pub fn agrees(self, before: i64, after: i64) -> bool {
        match self {
            ReviewOutcome::Keep => after == before,
            ReviewOutcome::Increase => after > before,
            ReviewOutcome::Decrease => after < before && after > 0,
            ReviewOutcome::Stop | ReviewOutcome::Close => true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AssistanceBook {
    entries: Vec<AssistanceSettings>,
}

impl AssistanceBook {
    pub fn shipped() -> AssistanceBook {
        AssistanceBook::parse(ASSISTANCE_TOML).expect("the shipped assistance settings are valid")
    }

    pub fn parse(text: &str) -> Result<AssistanceBook, crate::settings::SettingsError> {
        use crate::settings::SettingsError::{Invalid, Syntax};
        let file: File = toml::from_str(text).map_err(|e| Syntax(e.message().to_string()))?;
        let mut entries: Vec<AssistanceSettings> = Vec::new();
        for e in file.entry {
            let region = RegionCode::try_from(e.region.clone())
                .map_err(|_| Invalid(format!("region {}", e.region)))?;
            let from = NaiveDate::parse_from_str(&e.from, "%Y-%m-%d")
                .map_err(|_| Invalid(format!("from {}", e.from)))?;
            let at = format!("{region} {from}");
            if e.reference.trim().is_empty() {
                return Err(Invalid(format!("{at}: reference missing")));
            }
            if !(5..=60).contains(&e.processing_working_days)
                || e.extension_working_days > 30
                || !(1..=30).contains(&e.notice_days)
                || !(1..=15).contains(&e.refusal_notice_working_days)
            {
                return Err(Invalid(format!("{at}: value out of range")));
            }
            if [
                e.review_months_a,
                e.review_months_b,
                e.review_months_c_urban,
                e.review_months_c_rural,
            ]
            .iter()
            .any(|m| !(1..=24).contains(m))
            {
                return Err(Invalid(format!("{at}: review months out of range")));
            }
            let mut circles = Vec::new();
            for (list, circle) in [
                (&e.circles.inner, Circle::Inner),
                (&e.circles.middle, Circle::Middle),
                (&e.circles.outer, Circle::Outer),
            ] {
                for c in list {
                    let cat = Category::parse(c)
                        .ok_or_else(|| Invalid(format!("{at}: unknown category {c}")))?;
                    if circles.iter().any(|(x, _)| *x == cat) {
                        return Err(Invalid(format!("{at}: category {c} in two circles")));
                    }
                    circles.push((cat, circle));
                }
            }
            if circles.len() != Category::ALL.len() {
                return Err(Invalid(format!("{at}: every category needs a circle")));
            }
            if entries.iter().any(|x| x.region == region && x.from == from) {
                return Err(Invalid(format!("{at}: twice")));
            }
            entries.push(AssistanceSettings {
                region,
                from,
                reference: e.reference,
                processing_working_days: e.processing_working_days,
                extension_working_days: e.extension_working_days,
                notice_days: e.notice_days,
                refusal_notice_working_days: e.refusal_notice_working_days,
                review_months: [
                    e.review_months_a,
                    e.review_months_b,
                    e.review_months_c_urban,
                    e.review_months_c_rural,
                ],
                circles,
            });
        }
        if !entries.iter().any(|e| e.region.is_nation()) {
            return Err(Invalid("no national default".into()));
        }
        Ok(AssistanceBook { entries })
    }

    /// The nearest region's latest entry in force on `on`, else the national default.
    pub fn for_region(&self, region: &RegionCode, on: NaiveDate) -> &AssistanceSettings {
        let mut chain = region.ancestry();
        chain.push(RegionCode::nation());
        chain
            .iter()
            .find_map(|r| {
                self.entries
                    .iter()
                    .filter(|e| &e.region == r && e.from <= on)
                    .max_by_key(|e| e.from)
            })
            .unwrap_or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.region.is_nation())
                    .expect("checked on load")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts(item: Item) -> Facts {
        Facts {
            item,
            authorised: true,
            notice_from: None,
            eligible: Some(true),
            today: d("2026-07-20"),
            notice_days: 7,
        }
    }

    fn two() -> Action {
        Action::Investigate {
            staff: vec!["徐建军".into(), "王敏".into()],
            signed_form: true,
        }
    }

    #[test]
    fn a_dibao_application_goes_through_every_step_in_order() {
        let mut f = facts(Item::Dibao);
        let mut s = ItemState::Accepted;
        s = step(
            s,
            &Action::DataCheck {
                report_ref: "HD-1".into(),
            },
            &f,
        )
        .unwrap();
        s = step(s, &two(), &f).unwrap();
        s = step(
            s,
            &Action::FirstReview {
                opinion: "符合".into(),
            },
            &f,
        )
        .unwrap();
        s = step(
            s,
            &Action::PublishNotice {
                from: d("2026-07-10"),
            },
            &f,
        )
        .unwrap();
        assert_eq!(s, ItemState::Noticed);
        f.notice_from = Some(d("2026-07-10"));
        // Approval on the 6th day of the notice is refused; from the 8th day it is allowed.
        let early = Action::Approve {
            on: d("2026-07-16"),
            opinion: String::new(),
        };
        assert_eq!(step(s, &early, &f), Err(StepError::NoticeRunning));
        let on_time = Action::Approve {
            on: d("2026-07-17"),
            opinion: String::new(),
        };
        assert_eq!(step(s, &on_time, &f), Ok(ItemState::Approved));
    }

    #[test]
    fn steps_cannot_run_out_of_order() {
        let f = facts(Item::Dibao);
        assert_eq!(
            step(ItemState::Accepted, &two(), &f),
            Err(StepError::OutOfOrder)
        );
        let approve = Action::Approve {
            on: d("2026-07-20"),
            opinion: String::new(),
        };
        assert_eq!(
            step(ItemState::Reviewed, &approve, &f),
            Err(StepError::OutOfOrder),
            "a 低保 item needs its notice"
        );
        assert_eq!(
            step(ItemState::Approved, &Action::Withdraw, &f),
            Err(StepError::OutOfOrder)
        );
        assert_eq!(
            step(ItemState::Accepted, &Action::HelpFirst, &f),
            Err(StepError::OutOfOrder),
            "only 急难型 helps first"
        );
    }

    #[test]
    fn the_home_visit_needs_two_people_and_a_signed_form() {
        let f = facts(Item::Dibao);
        let one = Action::Investigate {
            staff: vec!["徐建军".into(), " 徐建军 ".into()],
            signed_form: true,
        };
        assert_eq!(step(ItemState::Checked, &one, &f), Err(StepError::TwoStaff));
        let unsigned = Action::Investigate {
            staff: vec!["a".into(), "b".into()],
            signed_form: false,
        };
        assert_eq!(
            step(ItemState::Checked, &unsigned, &f),
            Err(StepError::FormUnsigned)
        );
    }

    #[test]
    fn no_data_check_without_the_signed_authorisation() {
        let mut f = facts(Item::Dibao);
        f.authorised = false;
        let check = Action::DataCheck {
            report_ref: "HD-1".into(),
        };
        assert_eq!(
            step(ItemState::Accepted, &check, &f),
            Err(StepError::NoAuthorisation)
        );
    }

    #[test]
    fn an_objection_sends_it_to_community_review_and_a_new_notice() {
        let mut f = facts(Item::Dibao);
        f.notice_from = Some(d("2026-07-01"));
        let s = step(
            ItemState::Noticed,
            &Action::Objection {
                note: "邻居反映有车".into(),
            },
            &f,
        )
        .unwrap();
        assert_eq!(s, ItemState::Objected);
        let approve = Action::Approve {
            on: d("2026-07-20"),
            opinion: String::new(),
        };
        assert_eq!(step(s, &approve, &f), Err(StepError::OutOfOrder));
        let s = step(
            s,
            &Action::CommunityReview {
                opinion: "评议通过".into(),
            },
            &f,
        )
        .unwrap();
        assert_eq!(s, ItemState::Reviewed);
        assert_eq!(
            step(
                s,
                &Action::PublishNotice {
                    from: d("2026-07-20")
                },
                &f
            ),
            Ok(ItemState::Noticed)
        );
    }

    #[test]
    fn emergency_help_comes_first_and_the_paperwork_after() {
        let f = facts(Item::LinshiEmergency);
        let s = step(ItemState::Accepted, &Action::HelpFirst, &f).unwrap();
        assert_eq!(s, ItemState::Helped);
        assert_eq!(
            step(
                s,
                &Action::Refuse {
                    reasons: "x".into()
                },
                &f
            ),
            Err(StepError::OutOfOrder)
        );
        let s = step(
            s,
            &Action::DataCheck {
                report_ref: "HD-2".into(),
            },
            &f,
        )
        .unwrap();
        let s = step(s, &two(), &f).unwrap();
        let s = step(
            s,
            &Action::FirstReview {
                opinion: String::new(),
            },
            &f,
        )
        .unwrap();
        let approve = Action::Approve {
            on: d("2026-07-20"),
            opinion: String::new(),
        };
        assert_eq!(
            step(s, &approve, &f),
            Ok(ItemState::Approved),
            "no notice for 临时救助"
        );
    }

    #[test]
    fn a_refusal_needs_reasons_and_ineligible_cannot_be_approved() {
        let mut f = facts(Item::LinshiSpending);
        assert_eq!(
            step(
                ItemState::Checked,
                &Action::Refuse {
                    reasons: " ".into()
                },
                &f
            ),
            Err(StepError::ReasonRequired)
        );
        assert_eq!(
            step(
                ItemState::Checked,
                &Action::Refuse {
                    reasons: "收入超过标准".into()
                },
                &f
            ),
            Ok(ItemState::Refused)
        );
        f.eligible = Some(false);
        let approve = Action::Approve {
            on: d("2026-07-20"),
            opinion: String::new(),
        };
        assert_eq!(
            step(ItemState::Reviewed, &approve, &f),
            Err(StepError::NotEligible)
        );
    }

    #[test]
    fn referrals_are_handed_over_not_decided() {
        let f = facts(Item::ReferralMedical);
        assert_eq!(
            step(
                ItemState::Accepted,
                &Action::Refer {
                    to: "医保局".into()
                },
                &f
            ),
            Ok(ItemState::Referred)
        );
        assert_eq!(
            step(ItemState::Accepted, &two(), &f),
            Err(StepError::OutOfOrder)
        );
    }

    #[test]
    fn households_are_classed_by_who_can_work_and_reviewed_accordingly() {
        let old = Capacity {
            age: 70,
            able: false,
            severe_disability: false,
        };
        let worker = Capacity {
            age: 40,
            able: true,
            severe_disability: false,
        };
        let sick = Capacity {
            age: 45,
            able: false,
            severe_disability: true,
        };
        let partial = Capacity {
            age: 45,
            able: false,
            severe_disability: false,
        };
        assert_eq!(classify(&[old, sick]), ReviewClass::A);
        assert_eq!(classify(&[old, worker]), ReviewClass::C);
        assert_eq!(classify(&[partial]), ReviewClass::B);
        let s = AssistanceBook::shipped()
            .for_region(&RegionCode::nation(), d("2026-07-01"))
            .clone();
        assert_eq!(
            s.next_review(ReviewClass::A, false, d("2026-07-20")),
            d("2027-07-20")
        );
        assert_eq!(
            s.next_review(ReviewClass::C, false, d("2026-07-20")),
            d("2026-10-20")
        );
        assert_eq!(
            s.next_review(ReviewClass::C, true, d("2026-07-20")),
            d("2027-01-20")
        );
        assert_eq!(
            s.next_review(ReviewClass::B, false, d("2026-01-31")),
            d("2027-01-31")
        );
    }

    #[test]
    fn categories_and_circles_follow_the_configured_grouping() {
        let s = AssistanceBook::shipped()
            .for_region(&RegionCode::nation(), d("2026-07-01"))
            .clone();
        let cats = categories(&[Item::Bianyuan, Item::ReferralMedical], true, false);
        assert_eq!(cats, vec![Category::Bianyuan, Category::Other]);
        assert_eq!(s.circle(&cats), Some(Circle::Middle));
        assert_eq!(
            s.circle(&categories(&[Item::Dibao], false, true)),
            Some(Circle::Inner)
        );
        assert_eq!(s.circle(&categories(&[], false, true)), Some(Circle::Outer));
        assert_eq!(s.circle(&[]), None);
        let twice = ASSISTANCE_TOML.replacen(
            "outer = [\"fanpin\", \"other\"]",
            "outer = [\"fanpin\", \"dibao\"]",
            1,
        );
        assert!(
            AssistanceBook::parse(&twice).is_err(),
            "a category in two circles"
        );
    }

    #[test]
    fn a_review_outcome_must_agree_with_the_amount() {
        assert!(ReviewOutcome::Increase.agrees(100, 150));
        assert!(!ReviewOutcome::Increase.agrees(100, 100));
        assert!(
            !ReviewOutcome::Decrease.agrees(100, 0),
            "a decrease to nothing is a stop"
        );
        assert!(ReviewOutcome::Keep.agrees(100, 100) && !ReviewOutcome::Keep.agrees(100, 90));
        assert!(ReviewOutcome::Stop.ends() && !ReviewOutcome::Keep.ends());
    }

    #[test]
    fn payment_starts_the_month_after_approval() {
        assert_eq!(first_payment_month(d("2026-07-20")), d("2026-08-01"));
        assert_eq!(first_payment_month(d("2026-12-31")), d("2027-01-01"));
        assert_eq!(notice_ends(d("2026-07-10"), 7), d("2026-07-17"));
    }

    #[test]
    fn time_limits_are_dated_regional_settings_in_working_days() {
        let book = AssistanceBook::shipped();
        let cal = WorkCalendar::national();
        let nation = book.for_region(&RegionCode::nation(), d("2026-07-01"));
        assert_eq!(nation.processing_working_days, 30);
        // Accepted just before 国庆: the holiday days do not count.
        let due = nation.decision_due(&cal, d("2026-09-28"));
        assert!(due > d("2026-09-28") + Duration::days(30), "{due}");
        assert!(
            AssistanceBook::parse(&ASSISTANCE_TOML.replacen("notice_days", "notice_dayz", 1))
                .is_err()
        );
    }
}
