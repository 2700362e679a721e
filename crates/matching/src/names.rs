//! Chinese personal names (姓名) as they are *told* or *remembered*.
//!
//! A name written down at a rescue station is usually what staff heard from a
//! confused person, in dialect, possibly a childhood nickname (小名/乳名). A
//! family writes the name from the household register (户口本). The two
//! rarely agree character for character, so names are compared on several
//! layers, best first:
//!
//! 1. the same characters;
//! 2. the same after folding traditional to simplified characters (繁简);
//! 3. the same toneless pinyin (同音字, e.g. 王伟 / 王维) or a look-alike
//!    character (形近字, e.g. 侯 / 候);
//! 4. the same *fuzzy* pinyin (模糊音): z/zh, c/ch, s/sh, n/l, h/f, r/l,
//!    an/ang, en/eng, in/ing, ian/iang, uan/uang — the classic southern
//!    Mandarin confusions;
//! 5. surname agrees, given name has swapped or one missing character;
//! 6. only the given name agrees (surname missing or misheard), or one side is
//!    a nickname 小X / 阿X / 老X that fits the other name;
//! 7. partial overlap (same surname or a shared given-name character).
//!
//! Surnames are read with their surname reading (姓氏读音): 单 is *shàn*,
//! not *dān*; 区 is *ōu*; 解 is *xiè* and so on, and two-character compound
//! surnames (复姓 欧阳, 司马, 诸葛 …) are recognised.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pinyin::ToPinyin;
use serde::{Deserialize, Serialize};

use crate::hash::fx_hash_u32s;

const SURNAMES_TSV: &str = include_str!("../data/surnames.tsv");
const TRAD_SIMP: &str = include_str!("../data/trad_simp.txt");
const LOOKALIKE: &str = include_str!("../data/lookalike.txt");

/// Result of comparing two names, best agreement first. The derived `Ord`
/// follows declaration order, so `Exact < TradSimpEqual < … < Missing`
/// ("smaller is closer"); [`NameLevel::Missing`] means at least one name is
/// absent and carries no evidence either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NameLevel {
    /// 完全相同: identical characters.
    Exact,
    /// 繁简相同: identical after traditional→simplified folding.
    TradSimpEqual,
    /// 同音或形近: same toneless pinyin, or look-alike characters.
    SamePinyin,
    /// 模糊音相同: same after fuzzy-pinyin folding.
    FuzzyPinyin,
    /// 名字颠倒或缺字: surname agrees, given-name characters swapped or one missing.
    GivenNameVariant,
    /// 缺姓或小名: only the given name agrees, or a nickname 小X/阿X/老X fits.
    GivenNameOnly,
    /// 部分相同: same surname or a shared given-name character only.
    PartialOverlap,
    /// 不同.
    Different,
    /// 缺失: at least one side has no name.
    Missing,
}

impl NameLevel {
    /// All levels in order.
    pub const ALL: [NameLevel; 9] = [
        NameLevel::Exact,
        NameLevel::TradSimpEqual,
        NameLevel::SamePinyin,
        NameLevel::FuzzyPinyin,
        NameLevel::GivenNameVariant,
        NameLevel::GivenNameOnly,
        NameLevel::PartialOverlap,
        NameLevel::Different,
        NameLevel::Missing,
    ];
}

/// Toneless pinyin syllable packed into a `u32` (5 bits per letter, ü as v),
/// or a non-Han character marked with the top bit. Packing lets name
/// comparison and blocking keys work on integers instead of strings.
pub type Syllable = u32;

const NON_HAN: u32 = 0x8000_0000;

fn pack(s: &str) -> Syllable {
    let mut v = 0u32;
    for c in s.chars().take(6) {
        let code = match c {
            'a'..='z' => c as u32 - 'a' as u32 + 1,
            'ü' => 22,
            _ => 27,
        };
        v = (v << 5) | code;
    }
    v
}

/// Unpacks a syllable produced by [`pack`]; used by fuzzy folding and tests.
pub fn syllable_to_string(s: Syllable) -> String {
    if s & NON_HAN != 0 {
        return char::from_u32(s & !NON_HAN)
            .map(String::from)
            .unwrap_or_default();
    }
    if s & LATIN != 0 {
        if s & SOUNDEX != 0 {
            return format!("#{:04x}", s & 0x3FFF);
        }
        return syllable_to_string(s & !LATIN);
    }
    let mut out = Vec::new();
    let mut v = s;
    while v != 0 {
        let code = v & 31;
        out.push(match code {
            1..=26 => (b'a' + code as u8 - 1) as char,
            _ => '?',
        });
        v >>= 5;
    }
    out.iter().rev().collect()
}

/// Fuzzy-pinyin folding (模糊音): maps each confusable initial/final to one
/// representative so that equal results mean "could have been misheard".
pub fn fuzzy_fold(py: &str) -> String {
    let (initial, rest) = if let Some(r) = py.strip_prefix("zh") {
        ("z", r)
    } else if let Some(r) = py.strip_prefix("ch") {
        ("c", r)
    } else if let Some(r) = py.strip_prefix("sh") {
        ("s", r)
    } else if let Some(r) = py.strip_prefix('n').filter(|r| !r.is_empty() && *r != "g") {
        ("l", r)
    } else if let Some(r) = py.strip_prefix('r') {
        ("l", r)
    } else if let Some(r) = py.strip_prefix('f') {
        ("h", r)
    } else {
        ("", py)
    };
    let fin = if let Some(b) = rest.strip_suffix("iang") {
        format!("{b}ian")
    } else if let Some(b) = rest.strip_suffix("uang") {
        format!("{b}uan")
    } else if let Some(b) = rest.strip_suffix("ang") {
        format!("{b}an")
    } else if let Some(b) = rest.strip_suffix("eng") {
        format!("{b}en")
    } else if let Some(b) = rest.strip_suffix("ing") {
        format!("{b}in")
    } else {
        rest.to_string()
    };
    format!("{initial}{fin}")
}

struct SurnameInfo {
    /// Share of the population, in percent (approximate census figures).
    percent: f64,
    /// Surname reading when it differs from the most common reading.
    reading: Option<Vec<String>>,
}

/// Static name tables, parsed once from the embedded data files.
struct Tables {
    trad_to_simp: HashMap<char, char>,
    lookalike: HashMap<char, char>,
    surnames: HashMap<String, SurnameInfo>,
    /// Surnames in file order (most frequent first), for the generator.
    surname_list: Vec<(String, f64)>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut trad_to_simp = HashMap::new();
        for line in TRAD_SIMP.lines().filter(|l| !l.starts_with('#')) {
            for pair in line.split_whitespace() {
                let cs: Vec<char> = pair.chars().collect();
                if cs.len() == 2 && cs[0] != cs[1] {
                    trad_to_simp.insert(cs[0], cs[1]);
                }
            }
        }
        let mut lookalike = HashMap::new();
        for line in LOOKALIKE.lines().filter(|l| !l.starts_with('#')) {
            let cs: Vec<char> = line.trim().chars().collect();
            if let Some(&canon) = cs.first() {
                for &c in &cs {
                    lookalike.insert(c, canon);
                }
            }
        }
        let mut surnames = HashMap::new();
        let mut surname_list = Vec::new();
        for line in SURNAMES_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let mut cols = line.split('\t');
            let name = cols.next().unwrap_or_default().trim().to_string();
            let percent: f64 = cols
                .next()
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(0.001);
            let reading = cols
                .next()
                .map(|r| r.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                .filter(|r| !r.is_empty());
            surname_list.push((name.clone(), percent));
            surnames.insert(name, SurnameInfo { percent, reading });
        }
        Tables {
            trad_to_simp,
            lookalike,
            surnames,
            surname_list,
        }
    })
}

/// Surnames with their approximate population share in percent, most common
/// first (used by the synthetic generator).
pub fn surname_frequencies() -> &'static [(String, f64)] {
    &tables().surname_list
}

/// Approximate population share (percent) of a surname, if it is in the table.
pub fn surname_percent(surname: &str) -> Option<f64> {
    tables().surnames.get(surname).map(|s| s.percent)
}

/// Folds a traditional character to its simplified form (identity if unknown).
pub fn to_simplified(c: char) -> char {
    *tables().trad_to_simp.get(&c).unwrap_or(&c)
}

/// Traditional forms for a simplified character (for the generator's noise).
pub fn traditional_forms(c: char) -> Vec<char> {
    let mut v: Vec<char> = tables()
        .trad_to_simp
        .iter()
        .filter(|(_, &s)| s == c)
        .map(|(&t, _)| t)
        .collect();
    v.sort_unstable();
    v
}

/// Canonical member of a look-alike group (形近字), identity otherwise.
pub fn lookalike_canon(c: char) -> char {
    *tables().lookalike.get(&c).unwrap_or(&c)
}

/// Other members of the look-alike group of `c`.
pub fn lookalikes(c: char) -> Vec<char> {
    let canon = lookalike_canon(c);
    let mut v: Vec<char> = tables()
        .lookalike
        .iter()
        .filter(|(&k, &v)| v == canon && k != c)
        .map(|(&k, _)| k)
        .collect();
    v.sort_unstable();
    v
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Default toneless reading of a character (most common reading).
pub fn char_pinyin(c: char) -> Option<&'static str> {
    c.to_pinyin().map(|p| p.plain())
}

fn syllable_of(c: char) -> Syllable {
    match char_pinyin(c) {
        Some(p) => pack(p),
        None => NON_HAN | c as u32,
    }
}

fn fuzzy_of(s: Syllable) -> Syllable {
    if s & NON_HAN != 0 {
        return s;
    }
    pack(&fuzzy_fold(&syllable_to_string(s)))
}

/// Toneless pinyin of a full name, reading the surname with its surname
/// reading, e.g. `单田芳` → `["shan", "tian", "fang"]`.
pub fn name_pinyin(name: &str) -> Vec<String> {
    PreparedName::new(name)
        .map(|p| {
            p.chars
                .iter()
                .map(|c| syllable_to_string(c.syllable))
                .collect()
        })
        .unwrap_or_default()
}

/// Tag of a Latin word's syllable (bit 30; packed pinyin uses at most 30 bits).
const LATIN: u32 = 0x4000_0000;
/// With [`LATIN`] in a `fuzzy` slot: a Soundex code.
const SOUNDEX: u32 = 0x1000_0000;

/// A Latin word as a syllable: its first six letters packed like pinyin
/// (the word's identity is in `raw`; two long words with the same first six
/// letters are "near", as one typing error further on would make them).
fn latin_syllable(word: &[u8]) -> Syllable {
    LATIN | pack(std::str::from_utf8(&word[..word.len().min(6)]).unwrap_or_default())
}

/// Two Latin words one typing error apart: one letter replaced, added or
/// dropped, or two neighbours swapped. The letters known are the first six
/// (`syllable`); a longer word's length (up to "9 or more") rides in the
/// low bits of `raw`, so a five-letter word is never "near" an eight-letter
/// one that starts with it (robin / robinson). Long words are compared on
/// their first six letters.
#[inline]
fn latin_near(a: &NameChar, b: &NameChar) -> bool {
    let letters = |s: Syllable| {
        let mut v = s & !LATIN;
        let (mut out, mut n) = ([0u8; 6], 0);
        while v != 0 && n < 6 {
            out[n] = (v & 31) as u8;
            v >>= 5;
            n += 1;
        }
        out[..n].reverse();
        (out, n)
    };
    let ((x, lx), (y, ly)) = (letters(a.syllable), letters(b.syllable));
    let (x, y) = (&x[..lx], &y[..ly]);
    // Full lengths: the letters known, or 6 + the extra recorded in `raw`.
    let full = |c: &NameChar, known: usize| match latin_extra(c.raw) {
        0 => known,
        e => 6 + e,
    };
    let (fx, fy) = (full(a, lx), full(b, ly));
    if fx.abs_diff(fy) > 1 {
        return false;
    }
    // One edit leaves the first letters paired somewhere among (x0, y0),
    // (x1, y1), (x0, y1), (x1, y0); most unrelated words fail all four and
    // stop here.
    let same = |i: usize, j: usize| i < x.len() && j < y.len() && x[i] == y[j];
    if !(same(0, 0) || same(1, 1) || same(0, 1) || same(1, 0)) {
        return false;
    }
    // (No allocation: this runs for every differing word of every pair.)
    let substituted_or_swapped = |x: &[u8], y: &[u8]| {
        let n = x.len().min(y.len());
        let mut diffs = (0..n).filter(|&i| x[i] != y[i]);
        match (diffs.next(), diffs.next(), diffs.next()) {
            (None, ..) | (Some(_), None, _) => true,
            (Some(i), Some(j), None) => j == i + 1 && x[i] == y[j] && x[j] == y[i],
            _ => false,
        }
    };
    // `long` is `short` with one letter added, judged on the letters known
    // (when `long` was cut, its last known letter has no partner).
    let one_added = |short: &[u8], long: &[u8]| {
        let k = short.iter().zip(long).take_while(|(p, q)| p == q).count();
        let n = (long.len() - 1).min(short.len());
        k >= n || short[k..n] == long[k + 1..=n]
    };
    if lx < fx && ly < fy {
        // Both cut at six letters (lengths known up to "9 or more").
        return substituted_or_swapped(x, y) || one_added(x, y) || one_added(y, x);
    }
    match fx.cmp(&fy) {
        std::cmp::Ordering::Equal => substituted_or_swapped(x, y),
        std::cmp::Ordering::Less => lx == fx && one_added(x, y),
        std::cmp::Ordering::Greater => ly == fy && one_added(y, x),
    }
}

/// Letters beyond the sixth of a Latin word, capped at 3, from its `raw`.
fn latin_extra(raw: char) -> usize {
    (raw as u32 & 3) as usize
}

/// A character standing for a word: a hash of the word (with `salt`) over
/// the whole range of Unicode scalar values, its two low bits carrying
/// `extra` (0–3). Only ever compared with another word's, never shown.
fn word_char(word: &[u8], salt: u64, extra: usize) -> char {
    const SLOTS: u64 = (0x11_0000 - 0x800) / 4;
    let k = (crate::hash::mix64(fx_hash_u32s(word.iter().map(|&b| u32::from(b))) ^ salt) % SLOTS)
        as u32;
    let mut v = (k << 2) | (extra.min(3) as u32);
    if v >= 0xD800 {
        v += 0x800; // past the surrogates
    }
    char::from_u32(v).unwrap_or('\u{FFFD}')
}

/// Folds a Latin letter with a diacritic to its base letters (é → e,
/// ß → ss); `None` for a letter of another script.
fn fold_latin(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("çćčĉċ", "c"),
        ("ďđ", "d"),
        ("èéêëēĕėęě", "e"),
        ("ĝğġģ", "g"),
        ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"),
        ("ķ", "k"),
        ("ĺļľŀł", "l"),
        ("ñńņňŉ", "n"),
        ("òóôõöøōŏő", "o"),
        ("ŕŗř", "r"),
        ("śŝşš", "s"),
        ("ţťŧ", "t"),
        ("ùúûüũūŭůűų", "u"),
        ("ŵ", "w"),
        ("ýÿŷ", "y"),
        ("źżž", "z"),
        ("ß", "ss"),
        ("æ", "ae"),
        ("œ", "oe"),
        ("þ", "th"),
        ("ð", "d"),
    ];
    let lower = c.to_lowercase().next()?;
    TABLE
        .iter()
        .find(|(from, _)| from.contains(lower))
        .map(|(_, to)| *to)
}

/// Words that stand for "no name" (placeholders typed into a name field).
const PLACEHOLDERS: &[&str] = &[
    "unknown",
    "unk",
    "none",
    "na",
    "nn",
    "anon",
    "anonymous",
    "noname",
    "nil",
    "null",
    "test",
    "name",
    "missing",
    "n",
];

/// The lower-case ASCII words of a name written in Latin letters: letters
/// with diacritics folded, apostrophes dropped (O'Brien → obrien), anything
/// else separates words. Empty when the name is a placeholder ("Unknown",
/// "N/A", "XXX").
fn latin_words(name: &str) -> Vec<String> {
    let (mut words, mut word) = (Vec::new(), String::new());
    for c in name.chars().chain([' ']) {
        if c.is_ascii_alphabetic() {
            word.push(c.to_ascii_lowercase());
        } else if let Some(f) = c.is_alphabetic().then(|| fold_latin(c)).flatten() {
            word.push_str(f);
        } else if c != '\'' && c != '’' && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    // A name made only of placeholders, single letters and runs of one
    // letter says nothing ("N/A", "X", "XXX"); an initial beside a real
    // word is kept.
    let placeholder =
        |w: &String| PLACEHOLDERS.contains(&w.as_str()) || w.bytes().all(|b| b == w.as_bytes()[0]);
    if words.iter().all(placeholder) {
        words.clear();
    }
    words
}

/// American Soundex of a lower-case ASCII word, packed: the first letter
/// (5 bits) and three digits (3 bits each), e.g. robert / rupert → r163.
pub fn soundex(word: &[u8]) -> u32 {
    let code = |c: u8| match c {
        b'b' | b'f' | b'p' | b'v' => 1,
        b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => 2,
        b'd' | b't' => 3,
        b'l' => 4,
        b'm' | b'n' => 5,
        b'r' => 6,
        _ => 0, // vowels, h, w, y
    };
    let Some(&first) = word.first().filter(|c| c.is_ascii_lowercase()) else {
        return 0;
    };
    let mut out = u32::from(first - b'a' + 1) << 9;
    let (mut digits, mut last) = (0, code(first));
    for &c in &word[1..] {
        let d = code(c);
        if d != 0 && d != last {
            out |= d << (6 - 3 * digits);
            digits += 1;
            if digits == 3 {
                break;
            }
        }
        // h and w do not separate equal codes; vowels do.
        if c != b'h' && c != b'w' {
            last = d;
        }
    }
    out
}

/// One character of a prepared name with all its comparison forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameChar {
    /// As written.
    pub raw: char,
    /// Simplified.
    pub simplified: char,
    /// Look-alike canonical form of the simplified character.
    pub lookalike: char,
    /// Toneless pinyin.
    pub syllable: Syllable,
    /// Fuzzy-folded pinyin.
    pub fuzzy: Syllable,
}

/// A name parsed once into surname / given name with per-character pinyin, so
/// that millions of comparisons need no string work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedName {
    /// Han characters of the name (punctuation and spaces dropped); up to
    /// four stored inline, so scoring a pair reads no second allocation.
    pub chars: smallvec::SmallVec<[NameChar; 4]>,
    /// Number of leading characters that form the surname (0 = none known).
    pub surname_len: u8,
    /// True for 小X / 阿X / 老X nicknames; `chars[1..]` is then the core.
    pub nickname: bool,
}

const NICKNAME_PREFIXES: [char; 3] = ['小', '阿', '老'];

impl PreparedName {
    /// Parses a name; `None` if it contains neither Han characters nor
    /// Latin letters. A name without Han characters is read as Latin words
    /// (see [`PreparedName::latin`]).
    pub fn new(name: &str) -> Option<PreparedName> {
        let raw: Vec<char> = name.chars().filter(|&c| is_han(c)).collect();
        if raw.is_empty() {
            return PreparedName::latin(name);
        }
        let simp: Vec<char> = raw.iter().map(|&c| to_simplified(c)).collect();
        let t = tables();
        let nickname = raw.len() == 2 && NICKNAME_PREFIXES.contains(&simp[0]);
        let (surname_len, reading): (usize, Option<&Vec<String>>) = if nickname {
            (0, None)
        } else if simp.len() >= 3
            && t.surnames
                .contains_key(&simp[..2].iter().collect::<String>())
        {
            let s: String = simp[..2].iter().collect();
            (2, t.surnames[&s].reading.as_ref())
        } else if simp.len() >= 2 {
            match t.surnames.get(&simp[0].to_string()) {
                Some(info) => (1, info.reading.as_ref()),
                // Unknown first character: in a 3+ character name it is still
                // most likely a (rare) surname; a 2-character name is more
                // likely a bare given name such as 建国.
                None if simp.len() >= 3 => (1, None),
                None => (0, None),
            }
        } else {
            (0, None)
        };
        let chars = raw
            .iter()
            .zip(&simp)
            .enumerate()
            .map(|(i, (&r, &s))| {
                let syllable = match reading {
                    Some(rd) if i < surname_len && i < rd.len() => pack(&rd[i]),
                    _ => syllable_of(s),
                };
                NameChar {
                    raw: r,
                    simplified: s,
                    lookalike: lookalike_canon(s),
                    syllable,
                    fuzzy: fuzzy_of(syllable),
                }
            })
            .collect();
        Some(PreparedName {
            chars,
            surname_len: surname_len as u8,
            nickname,
        })
    }

    /// A name in Latin letters (a foreign national, or a name written in
    /// pinyin), surname first like a Chinese name: each word plays the part
    /// of a character. A word's `raw` and `simplified` stand for the word
    /// itself (two independent hashes, the low bits of `raw` carrying its
    /// length beyond six letters), `syllable` for its first six letters,
    /// `lookalike` for its length, first letter and the rest sorted, and
    /// `fuzzy` for its Soundex code. Swapped neighbours (jonh / john) or
    /// one letter replaced, added or dropped are the "same sound" level; the
    /// same Soundex code (rupert / robert) is the fuzzy-pinyin level. The
    /// first word is the surname; a single word is taken as a surname too,
    /// so that a record without a given name still agrees on the surname.
    pub fn latin(name: &str) -> Option<PreparedName> {
        let chars: smallvec::SmallVec<[NameChar; 4]> = latin_words(name)
            .iter()
            .map(|word| {
                let w = word.as_bytes();
                let extra = w.len().saturating_sub(6);
                // Length, first letter and the rest sorted: swapped letters
                // beyond the sixth still meet.
                let mut key = vec![w.len() as u8, w[0]];
                key.extend(w[1..].iter());
                key[2..].sort_unstable();
                NameChar {
                    raw: word_char(w, 0, extra),
                    simplified: word_char(w, 0x5eed, extra),
                    lookalike: word_char(&key, 0x10c4, 0),
                    syllable: latin_syllable(w),
                    fuzzy: LATIN | SOUNDEX | soundex(w),
                }
            })
            .collect();
        if chars.is_empty() {
            return None;
        }
        Some(PreparedName {
            chars,
            surname_len: 1,
            nickname: false,
        })
    }

    /// Whether the name was read as Latin words.
    pub fn is_latin(&self) -> bool {
        self.chars
            .first()
            .is_some_and(|c| c.syllable & (LATIN | NON_HAN) == LATIN)
    }

    /// Surname characters (empty if unknown).
    pub fn surname(&self) -> &[NameChar] {
        &self.chars[..self.surname_len as usize]
    }

    /// Given-name characters (for a nickname, the part after 小/阿/老).
    pub fn given(&self) -> &[NameChar] {
        if self.nickname {
            &self.chars[1..]
        } else {
            &self.chars[self.surname_len as usize..]
        }
    }

    /// Hash of the surname's exact pinyin (blocking and term frequencies).
    pub fn surname_key(&self) -> Option<u64> {
        (self.surname_len > 0).then(|| fx_hash_u32s(self.surname().iter().map(|c| c.syllable)))
    }

    /// Hash of the full name's exact pinyin (term frequencies).
    pub fn full_pinyin_key(&self) -> u64 {
        fx_hash_u32s(self.chars.iter().map(|c| c.syllable))
    }

    /// Hash of the full name's fuzzy pinyin (blocking).
    pub fn fuzzy_full_key(&self) -> u64 {
        fx_hash_u32s(self.chars.iter().map(|c| c.fuzzy))
    }

    /// Hash of the given name's fuzzy pinyin (blocking; catches a missing surname).
    pub fn fuzzy_given_key(&self) -> Option<u64> {
        let g = self.given();
        (!g.is_empty()).then(|| fx_hash_u32s(g.iter().map(|c| c.fuzzy)))
    }
}

/// Per-character agreement: 0 identical, 1 trad/simp, 2 homophone or
/// look-alike, 3 fuzzy pinyin, 4 different.
#[inline]
fn char_level(a: &NameChar, b: &NameChar) -> u8 {
    // For a Han character `simplified` follows from `raw`; for a Latin word
    // both are independent hashes of it, and both must agree.
    if a.raw == b.raw && a.simplified == b.simplified {
        0
    } else if a.syllable & b.syllable & LATIN != 0 {
        if a.lookalike == b.lookalike || latin_near(a, b) {
            2
        } else if a.fuzzy == b.fuzzy {
            3
        } else {
            4
        }
    } else if a.simplified == b.simplified {
        1
    } else if a.syllable == b.syllable || a.lookalike == b.lookalike {
        2
    } else if a.fuzzy == b.fuzzy {
        3
    } else {
        4
    }
}

/// Worst per-character level of two equally long sequences (4 if lengths differ).
#[inline]
fn seq_level(a: &[NameChar], b: &[NameChar]) -> u8 {
    if a.len() != b.len() || a.is_empty() {
        return 4;
    }
    let mut worst = 0;
    for (x, y) in a.iter().zip(b) {
        worst = worst.max(char_level(x, y));
        // Nothing is worse than "different": most candidate pairs differ
        // at the first character compared, and the rest need not be read.
        if worst == 4 {
            break;
        }
    }
    worst
}

#[inline]
fn fuzzy_eq(a: &NameChar, b: &NameChar) -> bool {
    char_level(a, b) <= 3
}

/// Given names with two characters swapped (建国 / 国建).
fn swapped(a: &[NameChar], b: &[NameChar]) -> bool {
    a.len() == 2 && b.len() == 2 && fuzzy_eq(&a[0], &b[1]) && fuzzy_eq(&a[1], &b[0])
}

/// `short` is `long` with exactly one character dropped.
fn one_missing(a: &[NameChar], b: &[NameChar]) -> bool {
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    if short.is_empty() || long.len() != short.len() + 1 {
        return false;
    }
    (0..long.len()).any(|skip| {
        long.iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .zip(short)
            .all(|((_, x), y)| fuzzy_eq(x, y))
    })
}

/// Does nickname `nick` (小X/阿X/老X) fit the name `other`? X may be the
/// surname (老王, 小李) or a given-name character (阿明 for 王建明).
fn nickname_fits(nick: &PreparedName, other: &PreparedName) -> bool {
    if !nick.nickname {
        return false;
    }
    let core = &nick.chars[1];
    if other.nickname {
        return fuzzy_eq(core, &other.chars[1]);
    }
    let sur = other.surname();
    (sur.len() == 1 && fuzzy_eq(core, &sur[0])) || other.given().iter().any(|c| fuzzy_eq(core, c))
}

/// Compares two prepared names; symmetric by construction. A name in Latin
/// letters and one in Han characters are not comparable (`Missing`).
pub fn compare_prepared(a: &PreparedName, b: &PreparedName) -> NameLevel {
    if a.is_latin() != b.is_latin() {
        return NameLevel::Missing;
    }
    match seq_level(&a.chars, &b.chars) {
        0 => return NameLevel::Exact,
        1 => return NameLevel::TradSimpEqual,
        2 => return NameLevel::SamePinyin,
        3 => return NameLevel::FuzzyPinyin,
        _ => {}
    }
    // Latin words in another order (Wei Wang / Wang Wei, John Smith / Smith
    // John): the given-name-variant level. Two words swapped may also carry
    // a typing error each (Sebregts James / James Sebretgs): the order was
    // lost when the name was copied, so the spelling is as unsure.
    if a.is_latin() && swapped(&a.chars, &b.chars) {
        return NameLevel::GivenNameVariant;
    }
    if a.is_latin() && a.chars.len() == b.chars.len() && a.chars.len() > 1 {
        // The same words, each as often (no allocation: names are short).
        let word = |c: &NameChar| (c.raw, c.simplified);
        let times = |n: &PreparedName, w| n.chars.iter().filter(|c| word(c) == w).count();
        if a.chars
            .iter()
            .all(|c| times(a, word(c)) == times(b, word(c)))
        {
            return NameLevel::GivenNameVariant;
        }
    }
    let (sa, sb) = (a.surname(), b.surname());
    let (ga, gb) = (a.given(), b.given());
    let surnames_agree = !sa.is_empty() && seq_level(sa, sb) <= 3;
    if surnames_agree && !a.nickname && !b.nickname && (swapped(ga, gb) || one_missing(ga, gb)) {
        return NameLevel::GivenNameVariant;
    }
    // Surname missing on one side (建国 vs 王建国), or misheard entirely while
    // a two-character given name agrees.
    let given_only = seq_level(&a.chars, gb) <= 3
        || seq_level(ga, &b.chars) <= 3
        || (ga.len() >= 2 && seq_level(ga, gb) <= 3);
    if given_only || nickname_fits(a, b) || nickname_fits(b, a) {
        return NameLevel::GivenNameOnly;
    }
    // Latin words in any position: their order is not reliable.
    let shared_given = if a.is_latin() {
        a.chars
            .iter()
            .any(|x| b.chars.iter().any(|y| fuzzy_eq(x, y)))
    } else {
        ga.iter().any(|x| gb.iter().any(|y| fuzzy_eq(x, y)))
    };
    if surnames_agree || shared_given {
        return NameLevel::PartialOverlap;
    }
    NameLevel::Different
}

/// Compares two names as written. Either side `None` or without Han
/// characters gives [`NameLevel::Missing`].
pub fn compare_names(a: Option<&str>, b: Option<&str>) -> NameLevel {
    match (a.and_then(PreparedName::new), b.and_then(PreparedName::new)) {
        (Some(x), Some(y)) => compare_prepared(&x, &y),
        _ => NameLevel::Missing,
    }
}

/// Set of all compound surnames (复姓) in the table.
pub fn compound_surnames() -> HashSet<&'static str> {
    tables()
        .surname_list
        .iter()
        .filter(|(s, _)| s.chars().count() == 2)
        .map(|(s, _)| s.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> NameLevel {
        compare_names(Some(a), Some(b))
    }

    fn soundex_of(word: &str) -> String {
        let code = soundex(word.as_bytes());
        let letter = (b'A' + ((code >> 9) as u8) - 1) as char;
        format!("{letter}{}{}{}", (code >> 6) & 7, (code >> 3) & 7, code & 7)
    }

    #[test]
    fn soundex_codes_as_published() {
        // The standard examples, including the h/w rule (Ashcraft: s and c
        // separated by h are coded once) and the first-letter rule (Pfister).
        for (word, code) in [
            ("robert", "R163"),
            ("rupert", "R163"),
            ("rubin", "R150"),
            ("ashcraft", "A261"),
            ("tymczak", "T522"),
            ("pfister", "P236"),
            ("honeyman", "H555"),
            ("lee", "L000"),
        ] {
            assert_eq!(soundex_of(word), code, "{word}");
        }
    }

    #[test]
    fn latin_names_compare_word_by_word() {
        use NameLevel::*;
        assert_eq!(cmp("smith john", "Smith John"), Exact);
        // A transposition typo keeps the letters: the "same sound" level.
        assert_eq!(cmp("smith jonh", "smith john"), SamePinyin);
        // Same Soundex, more than one letter apart: the fuzzy level, like 模糊音.
        assert_eq!(cmp("rupert john", "robert john"), FuzzyPinyin);
        assert_eq!(cmp("smythe john", "smith john"), FuzzyPinyin);
        // One letter apart.
        assert_eq!(cmp("smyth john", "smith john"), SamePinyin);
        assert_eq!(cmp("harington kayla", "harrington kayla"), SamePinyin);
        // A missing given name still agrees on the surname.
        assert_eq!(cmp("smith", "smith john"), PartialOverlap);
        // Only the one given name agrees: weak, as for a Chinese name.
        assert_eq!(cmp("brown john", "smith john"), PartialOverlap);
        // A name in letters and one in characters cannot be compared.
        assert_eq!(cmp("wang wei", "王伟"), Missing);
        assert_eq!(cmp("brown mary", "smith john"), Different);
        // One letter replaced, added or dropped: the same level as swapped
        // letters. Long words are told apart whole (`raw`); beyond that
        // their first six letters count.
        assert_eq!(cmp("walker sarah", "walker sarsh"), SamePinyin);
        assert_eq!(cmp("waller", "waler"), SamePinyin);
        assert_eq!(cmp("harrington", "harrinxton"), SamePinyin);
        assert_eq!(cmp("harrington", "harrington"), Exact);
        assert_eq!(cmp("brown", "green"), Different);
        // A short word is not "one letter off" a long word that starts with
        // it (Soundex may still agree: robins / robinson are both R152).
        for (x, y) in [
            ("robin", "robinson"),
            ("robins", "robinson"),
            ("jameson", "james"),
        ] {
            assert!(cmp(x, y) > SamePinyin, "{x} / {y}: {:?}", cmp(x, y));
        }
        assert_eq!(cmp("roberts", "robert"), SamePinyin);
        // Neighbours swapped; but anagrams are not typos.
        assert_eq!(cmp("jonh", "john"), SamePinyin);
        assert_ne!(cmp("dean", "edna"), SamePinyin);
        // Western order against Chinese order.
        assert_eq!(cmp("Wei Wang", "Wang Wei"), GivenNameVariant);
        // Swapped, with a typing error or a sound-alike spelling in each.
        assert_eq!(cmp("sebregts james", "james sebretgs"), GivenNameVariant);
        assert_eq!(cmp("wilkins zane", "zanke wilkids"), GivenNameVariant);
        assert_eq!(cmp("rednond melissa", "melissa redmeind"), GivenNameVariant);
        // Swapped but one word unrelated: no more than a shared word.
        assert_eq!(cmp("hope george", "george rees"), PartialOverlap);
        // Diacritics and apostrophes.
        assert_eq!(cmp("Müller José", "muller jose"), Exact);
        assert_eq!(cmp("O'Brien", "obrien"), Exact);
        // Placeholders are no name at all.
        for p in ["Unknown", "N/A", "XXX", "x", "unknown unknown"] {
            assert_eq!(cmp(p, p), Missing, "{p}");
        }
        assert_eq!(
            cmp("Li X", "Li X"),
            Exact,
            "an initial beside a word is kept"
        );
        assert_eq!(compare_names(Some("  ,. "), Some("smith")), Missing);
        // Han characters win: a Chinese name with pinyin beside it is read
        // as Chinese.
        let p = PreparedName::new("王伟 wang wei").unwrap();
        assert_eq!(p.chars.len(), 2);
    }

    #[test]
    fn polyphonic_surname_readings() {
        let cases = [
            ("单田芳", "shan"),
            ("曾志伟", "zeng"),
            ("区家明", "ou"),
            ("解缙", "xie"),
            ("仇英", "qiu"),
            ("朴永哲", "piao"),
            ("查良镛", "zha"),
            ("乐嘉", "yue"),
            ("盖聂", "ge"),
            ("覃振华", "qin"),
            ("缪可", "miao"),
            ("召平", "shao"),
            ("种师道", "chong"),
            ("员半千", "yun"),
            ("眭明", "sui"),
        ];
        for (name, reading) in cases {
            assert_eq!(name_pinyin(name)[0], reading, "{name}");
        }
        assert_eq!(name_pinyin("尉迟恭")[..2], ["yu", "chi"]);
        assert_eq!(name_pinyin("万俟卨")[..2], ["mo", "qi"]);
        assert_eq!(name_pinyin("长孙无忌")[..2], ["zhang", "sun"]);
        // The same characters inside a given name keep their common reading.
        assert_eq!(name_pinyin("王单")[1], "dan");
    }

    #[test]
    fn compound_surnames_are_split() {
        for full in [
            "欧阳修",
            "司马光",
            "诸葛亮",
            "上官婉儿",
            "司徒雷登",
            "东方朔",
            "皇甫嵩",
            "公孙胜",
            "慕容复",
            "令狐冲",
            "宇文泰",
        ] {
            let p = PreparedName::new(full).unwrap();
            assert_eq!(p.surname_len, 2, "{full}");
        }
        assert_eq!(PreparedName::new("王建国").unwrap().surname_len, 1);
        assert_eq!(PreparedName::new("建国").unwrap().surname_len, 0);
        assert!(compound_surnames().contains("欧阳"));
    }

    #[test]
    fn fuzzy_pinyin_classes() {
        let pairs = [
            ("zhang", "zan"),
            ("chen", "ceng"),
            ("shi", "si"),
            ("nan", "lang"),
            ("fei", "hei"),
            ("ren", "leng"),
            ("xin", "xing"),
            ("jian", "jiang"),
            ("guan", "guang"),
        ];
        for (x, y) in pairs {
            assert_eq!(fuzzy_fold(x), fuzzy_fold(y), "{x} {y}");
        }
        assert_ne!(fuzzy_fold("wang"), fuzzy_fold("huang"));
        assert_eq!(cmp("陈静", "程晶"), NameLevel::FuzzyPinyin);
        assert_eq!(cmp("张三", "詹三"), NameLevel::FuzzyPinyin);
        assert_eq!(cmp("刘兰", "牛兰"), NameLevel::FuzzyPinyin);
    }

    #[test]
    fn traditional_homophone_lookalike() {
        assert_eq!(cmp("王建国", "王建国"), NameLevel::Exact);
        assert_eq!(cmp("張偉", "张伟"), NameLevel::TradSimpEqual);
        assert_eq!(cmp("陳麗華", "陈丽华"), NameLevel::TradSimpEqual);
        assert_eq!(cmp("王伟", "王维"), NameLevel::SamePinyin);
        assert_eq!(cmp("侯明", "候明"), NameLevel::SamePinyin);
        assert_eq!(cmp("王伟", "李强"), NameLevel::Different);
    }

    #[test]
    fn given_name_variants_and_nicknames() {
        assert_eq!(cmp("王建国", "王国建"), NameLevel::GivenNameVariant);
        assert_eq!(cmp("王建国", "王国"), NameLevel::GivenNameVariant);
        assert_eq!(cmp("建国", "王建国"), NameLevel::GivenNameOnly);
        assert_eq!(cmp("小明", "李明"), NameLevel::GivenNameOnly);
        assert_eq!(cmp("阿明", "王建明"), NameLevel::GivenNameOnly);
        assert_eq!(cmp("老王", "王建明"), NameLevel::GivenNameOnly);
        assert_eq!(cmp("小红", "王建明"), NameLevel::Different);
        assert_eq!(cmp("王建国", "王志强"), NameLevel::PartialOverlap);
        assert_eq!(compare_names(None, Some("王")), NameLevel::Missing);
        assert_eq!(compare_names(Some("abc"), Some("王")), NameLevel::Missing);
    }

    #[test]
    fn symmetric_on_examples() {
        let names = [
            "王建国",
            "王国",
            "建国",
            "小明",
            "張偉",
            "张伟",
            "欧阳修",
            "阿明",
            "王建明",
        ];
        for a in names {
            for b in names {
                assert_eq!(cmp(a, b), cmp(b, a), "{a} {b}");
            }
        }
    }
}
