//! 救助个案: a stay at a rescue station, as a state machine.
//!
//! 求助/发现 → 接待检视 → 甄别 → 在站 → 离站, following 救助管理机构工作规程 (民发〔2014〕132号).
//! The rules of leaving live here, not in the pages: who may leave on their own, who must be
//! collected or escorted, how much cash may be given for the journey. A transition that the
//! rules forbid is refused with a stable code and changes nothing.

use crate::money::Fen;
use crate::resident_id::ResidentId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

code_enum! {
    /// 求助方式: how the person came to the station.
    pub enum Channel {
        /// 主动求助
        WalkIn = "walk_in",
        /// 公安护送
        PoliceEscort = "police_escort",
        /// 城管护送
        CityManagementEscort = "city_management_escort",
        /// 转介
        Referral = "referral",
        /// 热线
        Hotline = "hotline",
        /// 街面巡查
        Patrol = "patrol",
    }
}

code_enum! {
    /// 救助阶段
    pub enum CaseState {
        /// 求助/发现: registered, not yet checked.
        Registered = "registered",
        /// 接待检视 done: waiting for 甄别.
        Checked = "checked",
        /// Sent to hospital or police at the first check; may come back.
        Diverted = "diverted",
        /// 不予救助 (with a 不予救助通知书).
        Refused = "refused",
        /// 在站
        InStation = "in_station",
        /// 已离站
        Departed = "departed",
    }
}

code_enum! {
    /// 离站方式: the legal ways out of a station.
    pub enum ExitKind {
        /// 自行离站
        SelfDischarge = "self_discharge",
        /// 擅自离站
        LeftWithoutNotice = "left_without_notice",
        /// 亲属接领
        CollectedByRelatives = "collected_by_relatives",
        /// 护送返乡
        EscortedHome = "escorted_home",
        /// 转介 / 送医
        Transferred = "transferred",
        /// 终止救助
        Terminated = "terminated",
        /// 安置 / 落户安置
        Placed = "placed",
        /// 死亡
        Died = "died",
    }
}

/// Why a transition was refused. Each is a stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("case_illegal_transition")]
    IllegalTransition,
    #[error("case_self_discharge_under_16")]
    SelfDischargeUnder16,
    #[error("case_minor_needs_guardian_or_escort")]
    MinorNeedsGuardianOrEscort,
    #[error("case_special_needs_collection")]
    SpecialNeedsCollection,
    #[error("case_statement_required")]
    StatementRequired,
    #[error("case_cash_over_limit")]
    CashOverLimit,
    #[error("case_collector_required")]
    CollectorRequired,
    #[error("case_receipt_required")]
    ReceiptRequired,
    #[error("case_reasons_required")]
    ReasonsRequired,
    #[error("case_time_before_admission")]
    TimeBeforeAdmission,
    #[error("case_time_in_future")]
    TimeInFuture,
    #[error("case_settlement_too_early")]
    SettlementTooEarly,
    #[error("case_not_a_minor")]
    NotAMinor,
}

impl CaseError {
    pub fn code(self) -> &'static str {
        match self {
            CaseError::IllegalTransition => "case_illegal_transition",
            CaseError::SelfDischargeUnder16 => "case_self_discharge_under_16",
            CaseError::MinorNeedsGuardianOrEscort => "case_minor_needs_guardian_or_escort",
            CaseError::SpecialNeedsCollection => "case_special_needs_collection",
            CaseError::StatementRequired => "case_statement_required",
            CaseError::CashOverLimit => "case_cash_over_limit",
            CaseError::CollectorRequired => "case_collector_required",
            CaseError::ReceiptRequired => "case_receipt_required",
            CaseError::ReasonsRequired => "case_reasons_required",
            CaseError::TimeBeforeAdmission => "case_time_before_admission",
            CaseError::TimeInFuture => "case_time_in_future",
            CaseError::SettlementTooEarly => "case_settlement_too_early",
            CaseError::NotAMinor => "case_not_a_minor",
        }
    }
}

/// Regional settings for leaving, with the national defaults. Local rules are dated
/// settings elsewhere; these are the values in force for the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRules {
    /// 自行离站 only from this age (规程: 16).
    pub self_discharge_min_age: u32,
    /// Cash for the journey instead of a ticket, at most (规程: 20 元).
    pub cash_limit: Fen,
    /// Minors (under 18) leave only with a guardian, by escort, or by transfer to the
    /// minors' protection centre or a hospital.
    pub minors_only_with_guardian: bool,
}

impl Default for ExitRules {
    fn default() -> Self {
        ExitRules {
            self_discharge_min_age: 16,
            cash_limit: Fen::from_yuan(20),
            minors_only_with_guardian: true,
        }
    }
}

/// What the rules need to know about the person on the day they leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonFacts {
    /// Age in whole years (from the birth date, or the estimate when unknown).
    pub age: u32,
    /// Mobility disability, mental or intellectual disability, or another case the station
    /// judged to need collection (亲属接领 required).
    pub needs_collection: bool,
    /// Identity not yet confirmed.
    pub unidentified: bool,
}

/// How someone travels home on their own: a ticket, or a little cash, signed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Travel {
    Ticket { description: String },
    Cash { amount: Fen },
    None,
}

/// The details each exit needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "exit", rename_all = "snake_case")]
pub enum Exit {
    SelfDischarge {
        statement_signed: bool,
        travel: Travel,
    },
    LeftWithoutNotice {
        note: String,
    },
    CollectedByRelatives {
        collector_name: String,
        relation: String,
        /// Checked and copied at the desk. Never serialised with the rest: storage keeps
        /// it encrypted on its own, so a case's history holds no identity number.
        #[serde(skip)]
        collector_id: Option<ResidentId>,
    },
    EscortedHome {
        receiving_unit: String,
        receipt_no: String,
        destination_region: String,
    },
    Transferred {
        to: String,
        reason: String,
    },
    Terminated {
        reasons: String,
    },
    Placed {
        institution: String,
        household_registration: bool,
    },
    Died {
        cause: String,
    },
}

impl Exit {
    pub fn kind(&self) -> ExitKind {
        match self {
            Exit::SelfDischarge { .. } => ExitKind::SelfDischarge,
            Exit::LeftWithoutNotice { .. } => ExitKind::LeftWithoutNotice,
            Exit::CollectedByRelatives { .. } => ExitKind::CollectedByRelatives,
            Exit::EscortedHome { .. } => ExitKind::EscortedHome,
            Exit::Transferred { .. } => ExitKind::Transferred,
            Exit::Terminated { .. } => ExitKind::Terminated,
            Exit::Placed { .. } => ExitKind::Placed,
            Exit::Died { .. } => ExitKind::Died,
        }
    }
}

/// 甄别 outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Screening {
    /// Admit; `verify_later` is 先救助后甄别 for those who cannot state the facts.
    Admit { verify_later: bool },
    /// 不予救助, with the written reasons for the notice.
    Refuse { reasons: String },
}

/// Where a diversion at the first check sent the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Diversion {
    Hospital,
    Police,
}

/// Everything that can happen to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaseEvent {
    /// 接待检视: the first check, with any diversion.
    FirstCheck {
        note: String,
        diversion: Option<Diversion>,
    },
    /// Back from hospital or police after a diversion.
    Returned,
    Screen(Screening),
    Depart(Exit),
    /// 未成年人: guardianship assessed, referred to the minors' protection centre, or
    /// schooling / vocational training arranged. Minors only; the stay goes on.
    MinorCare {
        kind: MinorCare,
        notes: String,
    },
}

code_enum! {
    /// What is done for a minor during a stay.
    pub enum MinorCare {
        /// 监护评估
        GuardianshipAssessment = "guardianship_assessment",
        /// 转介未成年人救助保护中心
        MinorsCentreReferral = "minors_centre_referral",
        /// 入学 / 职业技能培训 (14+ unsuited to school)
        SchoolOrTraining = "school_or_training",
    }
}

impl CaseEvent {
    pub fn name(&self) -> &'static str {
        match self {
            CaseEvent::FirstCheck { .. } => "first_check",
            CaseEvent::Returned => "returned",
            CaseEvent::Screen(Screening::Admit { .. }) => "admit",
            CaseEvent::Screen(Screening::Refuse { .. }) => "refuse",
            CaseEvent::Depart(e) => e.kind().as_str(),
            CaseEvent::MinorCare { kind, .. } => kind.as_str(),
        }
    }
}

fn required(s: &str) -> bool {
    !s.trim().is_empty()
}

/// The one place that says what may happen next. Returns the new state.
pub fn apply(
    state: CaseState,
    event: &CaseEvent,
    person: PersonFacts,
    rules: ExitRules,
    in_station_days: i64,
) -> Result<CaseState, CaseError> {
    use CaseState::*;
    match (state, event) {
        (Registered, CaseEvent::FirstCheck { diversion, .. }) => Ok(if diversion.is_some() {
            Diverted
        } else {
            Checked
        }),
        (Diverted, CaseEvent::Returned) => Ok(Checked),
        (Checked, CaseEvent::Screen(Screening::Admit { .. })) => Ok(InStation),
        (Checked, CaseEvent::Screen(Screening::Refuse { reasons })) => {
            if required(reasons) {
                Ok(Refused)
            } else {
                Err(CaseError::ReasonsRequired)
            }
        }
        (Diverted, CaseEvent::Depart(exit @ Exit::Transferred { .. })) => {
            check_exit(exit, person, rules, in_station_days).map(|_| Departed)
        }
        (InStation, CaseEvent::Depart(exit)) => {
            check_exit(exit, person, rules, in_station_days).map(|_| Departed)
        }
        (InStation, CaseEvent::MinorCare { notes, .. }) => {
            if person.age >= 18 {
                Err(CaseError::NotAMinor)
            } else if !required(notes) {
                Err(CaseError::ReasonsRequired)
            } else {
                Ok(InStation)
            }
        }
        _ => Err(CaseError::IllegalTransition),
    }
}

/// Which exits are open to this person now: what the page offers as buttons.
pub fn allowed_exits(person: PersonFacts, rules: ExitRules, in_station_days: i64) -> Vec<ExitKind> {
    ExitKind::ALL
        .iter()
        .copied()
        .filter(|k| exit_kind_allowed(*k, person, rules, in_station_days).is_ok())
        .collect()
}

fn exit_kind_allowed(
    kind: ExitKind,
    p: PersonFacts,
    rules: ExitRules,
    in_station_days: i64,
) -> Result<(), CaseError> {
    let minor = p.age < 18;
    match kind {
        ExitKind::SelfDischarge => {
            if p.age < rules.self_discharge_min_age {
                Err(CaseError::SelfDischargeUnder16)
            } else if minor && rules.minors_only_with_guardian {
                Err(CaseError::MinorNeedsGuardianOrEscort)
            } else if p.needs_collection {
                Err(CaseError::SpecialNeedsCollection)
            } else {
                Ok(())
            }
        }
        ExitKind::Terminated if minor && rules.minors_only_with_guardian => {
            Err(CaseError::MinorNeedsGuardianOrEscort)
        }
        // 落户安置 is for those unidentified over three months; care placement for those
        // unidentified beyond the ten-day stay.
        ExitKind::Placed if !p.unidentified || in_station_days <= 10 => {
            Err(CaseError::SettlementTooEarly)
        }
        _ => Ok(()),
    }
}

fn check_exit(
    exit: &Exit,
    p: PersonFacts,
    rules: ExitRules,
    in_station_days: i64,
) -> Result<(), CaseError> {
    exit_kind_allowed(exit.kind(), p, rules, in_station_days)?;
    match exit {
        Exit::SelfDischarge {
            statement_signed,
            travel,
        } => {
            if !statement_signed {
                return Err(CaseError::StatementRequired);
            }
            if let Travel::Cash { amount } = travel {
                if *amount > rules.cash_limit || amount.is_negative() {
                    return Err(CaseError::CashOverLimit);
                }
            }
            Ok(())
        }
        Exit::CollectedByRelatives {
            collector_name,
            relation,
            collector_id,
        } => {
            if required(collector_name) && required(relation) && collector_id.is_some() {
                Ok(())
            } else {
                Err(CaseError::CollectorRequired)
            }
        }
        Exit::EscortedHome {
            receiving_unit,
            receipt_no,
            ..
        } => {
            if required(receiving_unit) && required(receipt_no) {
                Ok(())
            } else {
                Err(CaseError::ReceiptRequired)
            }
        }
        Exit::Terminated { reasons }
        | Exit::Transferred {
            reason: reasons, ..
        } => {
            if required(reasons) {
                Ok(())
            } else {
                Err(CaseError::ReasonsRequired)
            }
        }
        Exit::Placed {
            household_registration,
            ..
        } => {
            if *household_registration && in_station_days <= 90 {
                Err(CaseError::SettlementTooEarly)
            } else {
                Ok(())
            }
        }
        Exit::LeftWithoutNotice { .. } | Exit::Died { .. } => Ok(()),
    }
}

/// An event's time must fall between admission and now.
pub fn check_event_time(
    at: DateTime<Utc>,
    registered_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), CaseError> {
    if at < registered_at {
        Err(CaseError::TimeBeforeAdmission)
    } else if at > now + chrono::Duration::minutes(5) {
        Err(CaseError::TimeInFuture)
    } else {
        Ok(())
    }
}

code_enum! {
    /// 区域: where someone sleeps. 规程: areas separated by sex, age and condition; a woman
    /// with a child under 6 may stay with the child.
    pub enum Area {
        MenArea = "men",
        WomenArea = "women",
        /// 未成年人区, boys and girls apart within it.
        Minors = "minors",
        /// 母婴区
        MotherAndChild = "mother_and_child",
        /// 特殊照护区: mental or intellectual disability, illness.
        SpecialCare = "special_care",
    }
}

/// The area a person belongs in. `with_child_under_6` is a woman admitted with her child.
pub fn suggest_area(
    sex: Option<crate::Sex>,
    age: Option<u32>,
    special_care: bool,
    with_child_under_6: bool,
) -> Area {
    if special_care {
        Area::SpecialCare
    } else if with_child_under_6 && sex == Some(crate::Sex::Female) {
        Area::MotherAndChild
    } else if age.is_some_and(|a| a < 18) {
        Area::Minors
    } else if sex == Some(crate::Sex::Female) {
        Area::WomenArea
    } else {
        Area::MenArea
    }
}

/// Whether an area may take this person: the separation rules, checked when staff choose
/// another area than the one suggested.
pub fn area_allows(area: Area, sex: Option<crate::Sex>, age: Option<u32>) -> bool {
    let minor = age.is_some_and(|a| a < 18);
    match area {
        Area::MenArea => sex != Some(crate::Sex::Female) && !minor,
        Area::WomenArea => sex != Some(crate::Sex::Male) && !minor,
        Area::Minors => minor,
        // A mother, or her child under 6 of either sex.
        Area::MotherAndChild => sex == Some(crate::Sex::Female) || age.is_some_and(|a| a < 6),
        Area::SpecialCare => true,
    }
}

code_enum! {
    /// 特殊群体: the special groups the monthly report counts.
    pub enum SpecialGroup {
        /// 被拐卖受害人
        TraffickingVictim = "trafficking_victim",
        /// 家庭暴力受害人
        DomesticViolenceVictim = "domestic_violence_victim",
        /// 服刑人员子女
        ChildOfPrisoner = "child_of_prisoner",
        /// 留守儿童
        LeftBehindChild = "left_behind_child",
        /// 港澳台人员
        HongKongMacaoTaiwan = "hk_macao_taiwan",
        /// 外国人
        Foreigner = "foreigner",
    }
}

/// Age for the rules: from the birth date when known, else the estimate adjusted for the
/// time since it was made.
pub fn age_for_rules(
    birth: Option<NaiveDate>,
    estimated: Option<(u32, NaiveDate)>,
    on: NaiveDate,
) -> Option<u32> {
    match (birth, estimated) {
        (Some(b), _) => Some(crate::resident_id::age_on(b, on)),
        (None, Some((age, at))) => Some(age + crate::resident_id::age_on(at, on)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn adult() -> PersonFacts {
        PersonFacts {
            age: 45,
            needs_collection: false,
            unidentified: false,
        }
    }

    fn self_discharge(cash: i64) -> CaseEvent {
        CaseEvent::Depart(Exit::SelfDischarge {
            statement_signed: true,
            travel: Travel::Cash { amount: Fen(cash) },
        })
    }

    #[test]
    fn a_walk_in_is_checked_admitted_and_leaves_on_request() {
        let r = ExitRules::default();
        let s = apply(
            CaseState::Registered,
            &CaseEvent::FirstCheck {
                note: "体温正常".into(),
                diversion: None,
            },
            adult(),
            r,
            0,
        )
        .unwrap();
        assert_eq!(s, CaseState::Checked);
        let s = apply(
            s,
            &CaseEvent::Screen(Screening::Admit {
                verify_later: false,
            }),
            adult(),
            r,
            0,
        )
        .unwrap();
        assert_eq!(s, CaseState::InStation);
        assert_eq!(
            apply(s, &self_discharge(2000), adult(), r, 3),
            Ok(CaseState::Departed)
        );
    }

    #[test]
    fn a_fifteen_year_old_cannot_discharge_himself() {
        let p = PersonFacts { age: 15, ..adult() };
        assert_eq!(
            apply(
                CaseState::InStation,
                &self_discharge(0),
                p,
                ExitRules::default(),
                2
            ),
            Err(CaseError::SelfDischargeUnder16)
        );
        assert!(!allowed_exits(p, ExitRules::default(), 2).contains(&ExitKind::SelfDischarge));
        assert!(allowed_exits(p, ExitRules::default(), 2).contains(&ExitKind::CollectedByRelatives));
    }

    #[test]
    fn a_seventeen_year_old_leaves_with_a_guardian_unless_the_region_allows_otherwise() {
        let p = PersonFacts { age: 17, ..adult() };
        assert_eq!(
            apply(
                CaseState::InStation,
                &self_discharge(0),
                p,
                ExitRules::default(),
                2
            ),
            Err(CaseError::MinorNeedsGuardianOrEscort)
        );
        let lenient = ExitRules {
            minors_only_with_guardian: false,
            ..ExitRules::default()
        };
        assert_eq!(
            apply(CaseState::InStation, &self_discharge(0), p, lenient, 2),
            Ok(CaseState::Departed)
        );
    }

    #[test]
    fn cash_for_the_journey_is_at_most_twenty_yuan() {
        let r = ExitRules::default();
        assert_eq!(
            apply(CaseState::InStation, &self_discharge(2000), adult(), r, 1),
            Ok(CaseState::Departed)
        );
        assert_eq!(
            apply(CaseState::InStation, &self_discharge(2001), adult(), r, 1),
            Err(CaseError::CashOverLimit)
        );
        let unsigned = CaseEvent::Depart(Exit::SelfDischarge {
            statement_signed: false,
            travel: Travel::None,
        });
        assert_eq!(
            apply(CaseState::InStation, &unsigned, adult(), r, 1),
            Err(CaseError::StatementRequired)
        );
    }

    #[test]
    fn relatives_must_show_identity_and_escorts_need_a_receipt() {
        let r = ExitRules::default();
        let no_id = CaseEvent::Depart(Exit::CollectedByRelatives {
            collector_name: "李四".into(),
            relation: "父亲".into(),
            collector_id: None,
        });
        assert_eq!(
            apply(CaseState::InStation, &no_id, adult(), r, 1),
            Err(CaseError::CollectorRequired)
        );
        let no_receipt = CaseEvent::Depart(Exit::EscortedHome {
            receiving_unit: "青田县救助管理站".into(),
            receipt_no: " ".into(),
            destination_region: "331121".into(),
        });
        assert_eq!(
            apply(CaseState::InStation, &no_receipt, adult(), r, 1),
            Err(CaseError::ReceiptRequired)
        );
    }

    #[test]
    fn people_needing_collection_cannot_leave_alone() {
        let p = PersonFacts {
            needs_collection: true,
            ..adult()
        };
        assert_eq!(
            apply(
                CaseState::InStation,
                &self_discharge(0),
                p,
                ExitRules::default(),
                1
            ),
            Err(CaseError::SpecialNeedsCollection)
        );
    }

    #[test]
    fn household_registration_waits_for_three_months_unidentified() {
        let p = PersonFacts {
            unidentified: true,
            ..adult()
        };
        let settle = CaseEvent::Depart(Exit::Placed {
            institution: "丽水市社会福利院".into(),
            household_registration: true,
        });
        assert_eq!(
            apply(CaseState::InStation, &settle, p, ExitRules::default(), 60),
            Err(CaseError::SettlementTooEarly)
        );
        assert_eq!(
            apply(CaseState::InStation, &settle, p, ExitRules::default(), 91),
            Ok(CaseState::Departed)
        );
        assert_eq!(
            apply(
                CaseState::InStation,
                &settle,
                adult(),
                ExitRules::default(),
                120
            ),
            Err(CaseError::SettlementTooEarly),
            "identified people go home instead"
        );
    }

    #[test]
    fn refusal_needs_reasons_and_ends_the_case() {
        let r = ExitRules::default();
        let refuse = |s: &str| CaseEvent::Screen(Screening::Refuse { reasons: s.into() });
        assert_eq!(
            apply(CaseState::Checked, &refuse(""), adult(), r, 0),
            Err(CaseError::ReasonsRequired)
        );
        assert_eq!(
            apply(
                CaseState::Checked,
                &refuse("有固定住所和收入，不属于救助对象"),
                adult(),
                r,
                0
            ),
            Ok(CaseState::Refused)
        );
    }

    #[test]
    fn a_diversion_to_hospital_can_return_or_end_in_transfer() {
        let r = ExitRules::default();
        let s = apply(
            CaseState::Registered,
            &CaseEvent::FirstCheck {
                note: "疑似传染病".into(),
                diversion: Some(Diversion::Hospital),
            },
            adult(),
            r,
            0,
        )
        .unwrap();
        assert_eq!(s, CaseState::Diverted);
        assert_eq!(
            apply(s, &CaseEvent::Returned, adult(), r, 0),
            Ok(CaseState::Checked)
        );
        let transfer = CaseEvent::Depart(Exit::Transferred {
            to: "丽水市中心医院".into(),
            reason: "住院治疗".into(),
        });
        assert_eq!(apply(s, &transfer, adult(), r, 0), Ok(CaseState::Departed));
    }

    #[test]
    fn areas_keep_men_women_and_children_apart() {
        use crate::Sex::*;
        assert_eq!(
            suggest_area(Some(Male), Some(40), false, false),
            Area::MenArea
        );
        assert_eq!(
            suggest_area(Some(Female), Some(30), false, true),
            Area::MotherAndChild
        );
        assert_eq!(
            suggest_area(Some(Male), Some(12), false, false),
            Area::Minors
        );
        assert_eq!(
            suggest_area(Some(Female), Some(70), true, false),
            Area::SpecialCare
        );
        assert!(!area_allows(Area::MenArea, Some(Female), Some(30)));
        assert!(!area_allows(Area::MenArea, Some(Male), Some(15)));
        assert!(
            area_allows(Area::MotherAndChild, Some(Male), Some(4)),
            "a mother's small son stays with her"
        );
        assert!(!area_allows(Area::MotherAndChild, Some(Male), Some(9)));
    }

    #[test]
    fn minors_get_a_guardianship_assessment_and_adults_do_not() {
        let r = ExitRules::default();
        let assess = CaseEvent::MinorCare {
            kind: MinorCare::GuardianshipAssessment,
            notes: "父母外出务工，祖父年迈，监护能力不足".into(),
        };
        let boy = PersonFacts { age: 13, ..adult() };
        assert_eq!(
            apply(CaseState::InStation, &assess, boy, r, 2),
            Ok(CaseState::InStation)
        );
        assert_eq!(
            apply(CaseState::InStation, &assess, adult(), r, 2),
            Err(CaseError::NotAMinor)
        );
        let empty = CaseEvent::MinorCare {
            kind: MinorCare::MinorsCentreReferral,
            notes: " ".into(),
        };
        assert_eq!(
            apply(CaseState::InStation, &empty, boy, r, 2),
            Err(CaseError::ReasonsRequired)
        );
    }

    #[test]
    fn estimated_ages_grow_with_time() {
        let on = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let est_at = NaiveDate::from_ymd_opt(2024, 11, 1).unwrap();
        assert_eq!(age_for_rules(None, Some((60, est_at)), on), Some(62));
        assert_eq!(
            age_for_rules(
                Some(NaiveDate::from_ymd_opt(2011, 1, 1).unwrap()),
                Some((40, est_at)),
                on
            ),
            Some(15)
        );
    }

    fn any_event() -> impl Strategy<Value = CaseEvent> {
        prop_oneof![
            Just(CaseEvent::FirstCheck {
                note: String::new(),
                diversion: None
            }),
            Just(CaseEvent::FirstCheck {
                note: String::new(),
                diversion: Some(Diversion::Police)
            }),
            Just(CaseEvent::Returned),
            Just(CaseEvent::Screen(Screening::Admit { verify_later: true })),
            Just(CaseEvent::Screen(Screening::Refuse {
                reasons: "理由".into()
            })),
            (0i64..5000).prop_map(|c| CaseEvent::Depart(Exit::SelfDischarge {
                statement_signed: true,
                travel: Travel::Cash { amount: Fen(c) }
            })),
            Just(CaseEvent::Depart(Exit::LeftWithoutNotice {
                note: String::new()
            })),
            Just(CaseEvent::Depart(Exit::Died {
                cause: String::new()
            })),
        ]
    }

    proptest! {
        /// Whatever happens, a case never leaves a final state, and nobody under the
        /// minimum age ever leaves on their own.
        #[test]
        fn final_states_are_final_and_children_never_self_discharge(events in proptest::collection::vec(any_event(), 0..12), age in 0u32..90) {
            let p = PersonFacts { age, needs_collection: false, unidentified: true };
            let mut s = CaseState::Registered;
            for e in &events {
                let before = s;
                if let Ok(next) = apply(s, e, p, ExitRules::default(), 5) {
                    prop_assert!(!matches!(before, CaseState::Departed | CaseState::Refused));
                    if matches!(e, CaseEvent::Depart(Exit::SelfDischarge { .. })) {
                        prop_assert!(age >= 18);
                    }
                    s = next;
                }
            }
        }
    }
}
