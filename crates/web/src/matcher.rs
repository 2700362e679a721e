//! The online side of family tracing: two in-memory indexes of the matching engine (the
//! found people whose identity is unconfirmed, and the families' open reports), loaded
//! from the database on first use and kept current as records are saved. Each save is
//! compared against the other side at once and the best pairs are handed to storage,
//! which keeps them for a worker to review. The engine only suggests; people decide.
//!
//! Glue only: the records are translated into the engine's terms here, the rules of
//! confirmation live in `jiuzhu_domain::tracing`, and the pairs live in storage.

use jiuzhu_matching::{
    AgeInfo, Candidate, Date, HeightCm, Index, Model, Record, RecordKind, RegionCode, Sex,
};
use jiuzhu_storage::station::CaseView;
use jiuzhu_storage::tracing::{CandidateInput, ReportRow};
use jiuzhu_storage::{Db, StoreError};
use std::collections::HashMap;
use tokio::sync::{OnceCell, RwLock};

/// Reports and cases are numbered separately, and the engine skips a query's own id, so
/// report ids are moved into a range no case id reaches.
const REPORT_ID_BASE: u64 = 1 << 48;

/// How many pairs one save may suggest, and the least probability worth a worker's time.
const TOP: usize = 5;
const MIN_PROBABILITY: f64 = 0.2;

struct Sides {
    found: Index,
    reports: Index,
    /// A digest of each indexed record's stored fields, for the fingerprint of a pair.
    found_digests: HashMap<u64, String>,
    report_digests: HashMap<u64, String>,
}

#[derive(Default)]
pub struct Matcher {
    sides: OnceCell<RwLock<Sides>>,
}

fn date(s: Option<&str>) -> Option<Date> {
    s.and_then(|s| Date::parse(s).ok())
}

fn region(code: &str) -> Option<RegionCode> {
    // The engine compares down to county level: the first six digits.
    let six: String = code.chars().take(6).collect();
    RegionCode::new(&six).ok()
}

fn sex(s: &str) -> Option<Sex> {
    match s {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        _ => None,
    }
}

fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn accent(dialect: &str) -> Option<RegionCode> {
    jiuzhu_domain::tracing::accent_region(dialect).and_then(|r| region(r.as_str()))
}

/// A found person as the engine sees them.
pub fn found_record(c: &CaseView) -> Record {
    let found = jiuzhu_domain::time::local_date(c.registered_at)
        .and_then(|d| date(Some(&d.format("%Y-%m-%d").to_string())));
    let age = match (date(c.birth_date.as_deref()), c.estimated_age) {
        (Some(b), _) => Some(AgeInfo::BirthDate(b)),
        (None, Some(years)) => {
            date(c.estimated_on.as_deref())
                .or(found)
                .map(|at| AgeInfo::Estimated {
                    years: years.clamp(0, 120) as u8,
                    at,
                })
        }
        _ => None,
    };
    Record {
        id: c.id as u64,
        kind: RecordKind::Found,
        name: text(&c.name),
        sex: sex(&c.sex),
        age,
        date_missing: None,
        date_found: found,
        region: region(&c.origin_region),
        accent: accent(&c.dialect),
        height: c.height_cm.and_then(|h| HeightCm::new(h as u16).ok()),
        marks: text(&format!("{} {}", c.features, c.clothing)),
        face_embedding: None,
    }
}

/// A family's report as the engine sees it.
pub fn report_record(r: &ReportRow) -> Record {
    let missing = date(r.missing_on.as_deref());
    let age = match (date(r.birth_date.as_deref()), r.age_when_missing) {
        (Some(b), _) => Some(AgeInfo::BirthDate(b)),
        // An age "when missing" without the date is taken as of the day of the report.
        (None, Some(years)) => missing
            .or_else(|| {
                jiuzhu_domain::time::local_date(r.created_at)
                    .and_then(|d| date(Some(&d.format("%Y-%m-%d").to_string())))
            })
            .map(|at| AgeInfo::Estimated {
                years: years.clamp(0, 120) as u8,
                at,
            }),
        _ => None,
    };
    Record {
        id: REPORT_ID_BASE + r.id as u64,
        kind: RecordKind::MissingReport,
        name: text(&r.name),
        sex: sex(&r.sex),
        age,
        date_missing: missing,
        date_found: None,
        region: region(&r.origin_region),
        accent: accent(&r.dialect),
        height: r.height_cm.and_then(|h| HeightCm::new(h as u16).ok()),
        marks: text(&r.features),
        face_embedding: None,
    }
}

/// The stored fields a person is compared on, as one string.
fn case_digest(c: &CaseView) -> String {
    format!(
        "{}|{}|{:?}|{:?}|{:?}|{}|{}|{:?}|{}|{}",
        c.name,
        c.sex,
        c.birth_date,
        c.estimated_age,
        c.estimated_on,
        c.origin_region,
        c.dialect,
        c.height_cm,
        c.features,
        c.clothing
    )
}

fn report_digest(r: &ReportRow) -> String {
    format!(
        "{}|{}|{:?}|{:?}|{:?}|{}|{}|{:?}|{}",
        r.name,
        r.sex,
        r.birth_date,
        r.age_when_missing,
        r.missing_on,
        r.origin_region,
        r.dialect,
        r.height_cm,
        r.features
    )
}

/// FNV-1a over both records' stored fields: the same until someone edits either record,
/// whatever the engine's version or its tables, so a rejection stands until the data
/// changes.
fn fingerprint(found: &str, report: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in found.bytes().chain([0u8]).chain(report.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The engine's rules, plus one for people who could not give a name: accent (or home
/// province), sex and a five-year birth band. In a station that block is small, and
/// without it an unnamed man who speaks 温州话 would never meet his family's report.
fn model() -> Model {
    use jiuzhu_matching::{BlockingRule, KeyPart};
    let mut rules = jiuzhu_matching::default_rules();
    rules.push(
        BlockingRule::new(
            "province_or_accent+sex+birth_year_band5",
            &[
                KeyPart::ProvinceOrAccent,
                KeyPart::Sex,
                KeyPart::BirthYearBand5,
            ],
        )
        .expect("three parts"),
    );
    Model::initial(rules)
}

impl Matcher {
    async fn sides(&self, db: &Db) -> Result<&RwLock<Sides>, StoreError> {
        self.sides
            .get_or_try_init(|| async {
                let m = model();
                let cases = db.unidentified_cases_all().await?;
                let open = db.reports_open_all().await?;
                let found: Vec<Record> = cases.iter().map(found_record).collect();
                let reports: Vec<Record> = open.iter().map(report_record).collect();
                let sides = Sides {
                    found: Index::build(&found, &m).expect("case ids are unique"),
                    reports: Index::build(&reports, &m).expect("report ids are unique"),
                    found_digests: cases
                        .iter()
                        .map(|c| (c.id as u64, case_digest(c)))
                        .collect(),
                    report_digests: open
                        .iter()
                        .map(|r| (REPORT_ID_BASE + r.id as u64, report_digest(r)))
                        .collect(),
                };
                tracing::info!(
                    found = found.len(),
                    reports = reports.len(),
                    "matching index loaded"
                );
                Ok::<_, StoreError>(RwLock::new(sides))
            })
            .await
    }

    /// Loads the indexes now rather than on the first save.
    pub async fn warm(&self, db: &Db) -> Result<(), StoreError> {
        self.sides(db).await.map(|_| ())
    }

    /// Compares every open report that has no candidate yet against everyone unidentified:
    /// after a start, so reports filed while matching was down are not left unseen.
    /// Returns how many pairs are new.
    pub async fn catch_up(&self, db: &Db) -> Result<usize, StoreError> {
        let mut fresh = 0;
        // One failure must not leave the rest unseen.
        for r in &db.reports_without_candidates().await? {
            match self.on_report(db, r).await {
                Ok(n) => fresh += n,
                Err(e) => tracing::warn!(error = %e, report = r.id, "catch-up of a report failed"),
            }
        }
        for c in &db.cases_without_candidates().await? {
            match self.on_case(db, c).await {
                Ok(n) => fresh += n,
                Err(e) => tracing::warn!(error = %e, case = c.id, "catch-up of a case failed"),
            }
        }
        Ok(fresh)
    }

    /// A person identified: no longer suggested to anyone.
    pub async fn forget_case(&self, db: &Db, case_id: i64) -> Result<(), StoreError> {
        self.sides(db)
            .await?
            .write()
            .await
            .found
            .remove(case_id as u64);
        Ok(())
    }

    /// A report found or closed: no longer suggested to anyone.
    pub async fn forget_report(&self, db: &Db, report_id: i64) -> Result<(), StoreError> {
        self.sides(db)
            .await?
            .write()
            .await
            .reports
            .remove(REPORT_ID_BASE + report_id as u64);
        Ok(())
    }

    /// Other open reports that may describe the same missing person (two relatives, or a
    /// report filed twice): (report id, probability), best first.
    pub async fn similar_reports(
        &self,
        db: &Db,
        r: &ReportRow,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let rec = report_record(r);
        let s = self.sides(db).await?.read().await;
        Ok(s.reports
            .candidates(&rec, TOP)
            .into_iter()
            .filter(|c| c.probability >= 0.5 && !c.explanation.hard_non_match)
            .map(|c| ((c.record_id - REPORT_ID_BASE) as i64, c.probability))
            .collect())
    }

    /// A newly registered (or changed) unidentified person: compared against every open
    /// report. Returns how many pairs are new for review.
    pub async fn on_case(&self, db: &Db, c: &CaseView) -> Result<usize, StoreError> {
        if !c.unidentified {
            return Ok(0);
        }
        let rec = found_record(c);
        let pairs = {
            let mut s = self.sides(db).await?.write().await;
            let digest = case_digest(c);
            // Already indexed (loaded at start): the stored pairs stand.
            if s.found.insert(&rec).is_ok() {
                s.found_digests.insert(rec.id, digest.clone());
            }
            let hits = s.reports.candidates(&rec, TOP);
            pairs_of(&hits, |cand| {
                let report = &s.report_digests[&cand.record_id];
                (
                    c.id,
                    (cand.record_id - REPORT_ID_BASE) as i64,
                    fingerprint(&digest, report),
                )
            })
        };
        db.candidates_save(&pairs).await
    }

    /// A newly filed report: compared against every unidentified person, including
    /// people who left or were placed without being identified.
    pub async fn on_report(&self, db: &Db, r: &ReportRow) -> Result<usize, StoreError> {
        let rec = report_record(r);
        let pairs = {
            let mut s = self.sides(db).await?.write().await;
            let digest = report_digest(r);
            if s.reports.insert(&rec).is_ok() {
                s.report_digests.insert(rec.id, digest.clone());
            }
            let hits = s.found.candidates(&rec, TOP);
            pairs_of(&hits, |cand| {
                let found = &s.found_digests[&cand.record_id];
                (cand.record_id as i64, r.id, fingerprint(found, &digest))
            })
        };
        db.candidates_save(&pairs).await
    }
}

fn pairs_of(
    hits: &[Candidate],
    ids: impl Fn(&Candidate) -> (i64, i64, String),
) -> Vec<CandidateInput> {
    hits.iter()
        .filter(|c| c.probability >= MIN_PROBABILITY && !c.explanation.hard_non_match)
        .map(|c| {
            let (case_id, report_id, fp) = ids(c);
            CandidateInput {
                case_id,
                report_id,
                probability: c.probability,
                match_weight: c.match_weight,
                explanation: serde_json::to_string(&c.explanation).expect("serialises"),
                fingerprint: fp,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, dialect: &str) -> ReportRow {
        ReportRow {
            id: 7,
            region_code: "331102".into(),
            ref_no: "XQ1".into(),
            source: "public".into(),
            name: name.into(),
            sex: "male".into(),
            birth_date: Some("1961-04-02".into()),
            age_when_missing: None,
            missing_on: Some("2024-05-01".into()),
            missing_place: String::new(),
            origin_region: "331121103000".into(),
            dialect: dialect.into(),
            height_cm: Some(168),
            features: "左手背有疤".into(),
            reporter_name: String::new(),
            relation: String::new(),
            contact_masked: None,
            consent: true,
            status: "open".into(),
            found_case_id: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    #[test]
    fn a_report_is_read_down_to_the_county_with_its_accent_placed() {
        let r = report_record(&report("陈国华", "青田话"));
        assert_eq!(r.region.unwrap().as_u32(), 331121);
        assert_eq!(r.accent.unwrap().as_u32(), 331121);
        assert_eq!(
            r.age,
            Some(AgeInfo::BirthDate(Date::parse("1961-04-02").unwrap()))
        );
        assert_eq!(r.kind, RecordKind::MissingReport);
    }

    #[test]
    fn the_fingerprint_changes_when_either_side_changes() {
        let a = report_digest(&report("陈国华", "青田话"));
        let b = report_digest(&report("陈国花", "青田话"));
        assert_eq!(fingerprint("x", &a), fingerprint("x", &a));
        assert_ne!(fingerprint("x", &a), fingerprint("x", &b));
        assert_ne!(fingerprint("x", &a), fingerprint("y", &a));
        // Field boundaries count: moving text between the two sides is a change.
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
    }
}
