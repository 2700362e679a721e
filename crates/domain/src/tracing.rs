//! 寻亲: the family search for everyone whose identity is unconfirmed, families' reports of a
//! missing person, and the human decision on a suggested match.
//!
//! The engine (`jiuzhu-matching`) only suggests. What this module decides: which search
//! channels exist and which deadline each one meets, what evidence a confirmation needs
//! (nothing is ever confirmed automatically), and what a public notice may show.

use crate::deadline::DeadlineKind;
use crate::region::RegionCode;
use serde::{Deserialize, Serialize};

code_enum! {
    /// 寻亲渠道: the ways a station searches for someone's family (domain.md §2.1.5).
    pub enum SearchChannel {
        /// 寻亲公告 (全国救助寻亲网), within 24 h of admission.
        Notice = "notice",
        /// DNA 采血比对 by the police, within 7 working days.
        Dna = "dna",
        /// 指纹比对
        Fingerprint = "fingerprint",
        /// 人像比对 against the national population database.
        Face = "face",
        /// 媒体寻亲 (头条寻人 and others).
        Media = "media",
        /// 方言辨识: a dialect expert or adviser (商会, 寻亲达人) listens.
        DialectExpert = "dialect_expert",
        /// 报警 / 协查: reported to the police as possibly lost, abandoned or trafficked.
        PoliceReport = "police_report",
        /// 协查共享: the case shared with another station or jurisdiction.
        Shared = "shared",
    }
}

impl SearchChannel {
    /// The stay deadline that recording this channel meets, if any.
    pub fn meets(self) -> Option<DeadlineKind> {
        match self {
            SearchChannel::Notice => Some(DeadlineKind::SearchNotice),
            SearchChannel::Dna => Some(DeadlineKind::DnaRequest),
            _ => None,
        }
    }

    /// Channels whose result is a comparison that can prove identity.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            SearchChannel::Dna | SearchChannel::Fingerprint | SearchChannel::Face
        )
    }
}

code_enum! {
    /// Where a search action stands.
    pub enum ChannelOutcome {
        /// 进行中: requested, no result yet.
        Pending = "pending",
        /// 比中: the comparison found the person.
        Match = "match",
        /// 未比中
        NoMatch = "no_match",
        /// 线索: a lead worth following (a tip, a dialect placed).
        Lead = "lead",
    }
}

code_enum! {
    /// 确认依据: what proves two records are the same person.
    pub enum Evidence {
        /// DNA 比中
        DnaMatch = "dna_match",
        /// 人像比中
        FaceMatch = "face_match",
        /// 指纹比中
        FingerprintMatch = "fingerprint_match",
        /// 身份证件核验
        IdVerified = "id_verified",
        /// 亲属当面辨认
        FamilyRecognition = "family_recognition",
    }
}

impl Evidence {
    /// The comparison channel whose recorded match this evidence must point to.
    pub fn channel(self) -> Option<SearchChannel> {
        match self {
            Evidence::DnaMatch => Some(SearchChannel::Dna),
            Evidence::FaceMatch => Some(SearchChannel::Face),
            Evidence::FingerprintMatch => Some(SearchChannel::Fingerprint),
            Evidence::IdVerified | Evidence::FamilyRecognition => None,
        }
    }
}

code_enum! {
    /// A family's missing-person report (寻亲登记), over its life.
    pub enum ReportStatus {
        /// 寻找中
        Open = "open",
        /// 已找到: linked to a found person.
        Found = "found",
        /// 已撤回 / 已结案 by the family or staff.
        Closed = "closed",
    }
}

code_enum! {
    /// A suggested pair, over its life.
    pub enum CandidateStatus {
        /// 待核实
        Open = "open",
        /// 已排除: not the same person; not suggested again unless the data changes.
        Rejected = "rejected",
        /// 已确认
        Confirmed = "confirmed",
    }
}

/// Why a confirmation is refused. Stable codes for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TracingError {
    #[error("evidence_detail_required")]
    EvidenceDetailRequired,
    /// DNA / face / fingerprint evidence needs that comparison recorded as a match first.
    #[error("evidence_not_recorded")]
    EvidenceNotRecorded,
    #[error("candidate_closed")]
    CandidateClosed,
    #[error("person_identified")]
    PersonIdentified,
    #[error("reason_required")]
    ReasonRequired,
}

impl TracingError {
    pub fn code(self) -> &'static str {
        match self {
            TracingError::EvidenceDetailRequired => "evidence_detail_required",
            TracingError::EvidenceNotRecorded => "evidence_not_recorded",
            TracingError::CandidateClosed => "candidate_closed",
            TracingError::PersonIdentified => "person_identified",
            TracingError::ReasonRequired => "reason_required",
        }
    }
}

/// The facts a confirmation is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmFacts<'a> {
    pub candidate: CandidateStatus,
    /// Whether the case still lacks a confirmed identity.
    pub unidentified: bool,
    /// Channels of this case with a recorded `Match` outcome.
    pub matched_channels: &'a [SearchChannel],
}

/// Whether a worker may confirm a suggested pair with this evidence. A human always
/// decides; this only says whether the decision is backed.
pub fn check_confirmation(
    facts: ConfirmFacts<'_>,
    evidence: Evidence,
    detail: &str,
) -> Result<(), TracingError> {
    if facts.candidate != CandidateStatus::Open {
        return Err(TracingError::CandidateClosed);
    }
    if !facts.unidentified {
        return Err(TracingError::PersonIdentified);
    }
    if detail.trim().is_empty() {
        return Err(TracingError::EvidenceDetailRequired);
    }
    if let Some(ch) = evidence.channel() {
        if !facts.matched_channels.contains(&ch) {
            return Err(TracingError::EvidenceNotRecorded);
        }
    }
    Ok(())
}

/// Whether a rejection may be recorded: an open candidate and a reason.
pub fn check_rejection(candidate: CandidateStatus, reason: &str) -> Result<(), TracingError> {
    if candidate != CandidateStatus::Open {
        return Err(TracingError::CandidateClosed);
    }
    if reason.trim().is_empty() {
        return Err(TracingError::ReasonRequired);
    }
    Ok(())
}

/// 口音 → region: the dialects staff write down most, placed at the level they identify
/// (a province, or a city when the dialect is that narrow). Unknown → `None`, never a guess.
pub fn accent_region(dialect: &str) -> Option<RegionCode> {
    const TABLE: &[(&str, &str)] = &[
        ("青田", "331121"),
        ("丽水", "331100"),
        ("温州", "330300"),
        ("杭州", "330100"),
        ("宁波", "330200"),
        ("金华", "330700"),
        ("台州", "331000"),
        ("浙江", "330000"),
        ("上海", "310000"),
        ("苏州", "320500"),
        ("江苏", "320000"),
        ("安徽", "340000"),
        ("福建", "350000"),
        ("闽南", "350000"),
        ("江西", "360000"),
        ("山东", "370000"),
        ("河南", "410000"),
        ("湖北", "420000"),
        ("湖南", "430000"),
        ("广东", "440000"),
        ("粤语", "440000"),
        ("客家", "440000"),
        ("广西", "450000"),
        ("四川", "510000"),
        ("重庆", "500000"),
        ("贵州", "520000"),
        ("云南", "530000"),
        ("陕西", "610000"),
        ("甘肃", "620000"),
        ("山西", "140000"),
        ("河北", "130000"),
        ("辽宁", "210000"),
        ("吉林", "220000"),
        ("黑龙江", "230000"),
    ];
    let d = dialect.trim();
    if d.is_empty() {
        return None;
    }
    TABLE
        .iter()
        .find(|(k, _)| d.contains(k))
        .and_then(|(_, code)| RegionCode::parse(code).ok())
}

/// What a public 寻亲公告 may show (domain.md §2.2), and nothing else: no identity number,
/// no relatives, no health details beyond the notice's own words, no case number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicNotice {
    /// The notice's public id (the case id; case numbers stay internal).
    pub id: i64,
    pub name: String,
    pub sex: String,
    pub estimated_age: Option<i64>,
    pub height_cm: Option<i64>,
    pub build: String,
    pub accent: String,
    pub features: String,
    pub clothing: String,
    pub mental_state: String,
    pub intellectual_state: String,
    /// 发现日期, Shanghai date.
    pub found_on: String,
    /// 发现地点: the region where found, by name.
    pub found_in: String,
    pub station: String,
    /// The station's address; contact goes through the notice's tip form.
    pub station_address: String,
    pub has_photo: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(matched: &[SearchChannel]) -> ConfirmFacts<'_> {
        ConfirmFacts {
            candidate: CandidateStatus::Open,
            unidentified: true,
            matched_channels: matched,
        }
    }

    #[test]
    fn a_dna_confirmation_needs_the_dna_match_recorded_first() {
        assert_eq!(
            check_confirmation(facts(&[]), Evidence::DnaMatch, "比中通知 2026-001"),
            Err(TracingError::EvidenceNotRecorded)
        );
        assert_eq!(
            check_confirmation(
                facts(&[SearchChannel::Face]),
                Evidence::DnaMatch,
                "比中通知"
            ),
            Err(TracingError::EvidenceNotRecorded)
        );
        assert_eq!(
            check_confirmation(facts(&[SearchChannel::Dna]), Evidence::DnaMatch, "比中通知"),
            Ok(())
        );
    }

    #[test]
    fn family_recognition_needs_a_written_account() {
        assert_eq!(
            check_confirmation(facts(&[]), Evidence::FamilyRecognition, "  "),
            Err(TracingError::EvidenceDetailRequired)
        );
        assert_eq!(
            check_confirmation(facts(&[]), Evidence::FamilyRecognition, "其子当面辨认"),
            Ok(())
        );
    }

    #[test]
    fn a_decided_pair_or_an_identified_person_cannot_be_confirmed_again() {
        let mut f = facts(&[SearchChannel::Dna]);
        f.candidate = CandidateStatus::Rejected;
        assert_eq!(
            check_confirmation(f, Evidence::DnaMatch, "x"),
            Err(TracingError::CandidateClosed)
        );
        let mut f = facts(&[SearchChannel::Dna]);
        f.unidentified = false;
        assert_eq!(
            check_confirmation(f, Evidence::DnaMatch, "x"),
            Err(TracingError::PersonIdentified)
        );
        assert_eq!(
            check_rejection(CandidateStatus::Open, ""),
            Err(TracingError::ReasonRequired)
        );
        assert_eq!(
            check_rejection(CandidateStatus::Confirmed, "年龄不符"),
            Err(TracingError::CandidateClosed)
        );
        assert_eq!(check_rejection(CandidateStatus::Open, "年龄不符"), Ok(()));
    }

    #[test]
    fn recording_a_notice_or_dna_sample_meets_its_deadline() {
        assert_eq!(
            SearchChannel::Notice.meets(),
            Some(DeadlineKind::SearchNotice)
        );
        assert_eq!(SearchChannel::Dna.meets(), Some(DeadlineKind::DnaRequest));
        assert_eq!(SearchChannel::Media.meets(), None);
        for c in SearchChannel::ALL {
            assert_eq!(SearchChannel::parse(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn accents_are_placed_only_when_known() {
        assert_eq!(accent_region("温州话").unwrap().as_str(), "330300");
        assert_eq!(accent_region("青田口音").unwrap().as_str(), "331121");
        assert_eq!(accent_region("四川口音").unwrap().as_str(), "510000");
        assert_eq!(accent_region("普通话"), None);
        assert_eq!(accent_region(""), None);
    }
}
