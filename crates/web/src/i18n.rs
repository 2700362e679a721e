//! 翻译目录: every user-facing string comes from here, by key. Simplified Chinese is the
//! default; English is the second language. Error codes from the API are keys too
//! (`error.conflict`), so the server never builds a sentence in one language.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    ZhCn,
    En,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "zh-CN" | "zh" | "zh-cn" => Some(Locale::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The first supported language in an `Accept-Language` header.
    pub fn from_accept_language(h: &str) -> Option<Locale> {
        h.split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .find_map(|tag| {
                let primary = tag.split('-').next().unwrap_or("");
                match primary {
                    "zh" => Some(Locale::ZhCn),
                    "en" => Some(Locale::En),
                    _ => None,
                }
            })
    }
}

pub const ZH_CN: &str = include_str!("../i18n/zh-CN.toml");
pub const EN: &str = include_str!("../i18n/en.toml");

type Catalogue = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => panic!("catalogue value for {key} is not a string: {other}"),
        }
    }
}

/// Parses a catalogue file into flat `a.b.c` keys.
pub fn parse_catalogue(text: &str) -> Catalogue {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => panic!("translation catalogue is not valid TOML: {}", e.message()),
    };
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    out
}

fn catalogues() -> &'static (Catalogue, Catalogue) {
    static C: OnceLock<(Catalogue, Catalogue)> = OnceLock::new();
    C.get_or_init(|| (parse_catalogue(ZH_CN), parse_catalogue(EN)))
}

/// A translator for one locale. Copy it freely.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Tr {
        Tr { locale }
    }

    /// The string for `key`. A missing key shows the key itself (and a test makes sure
    /// none is missing), so a gap is visible rather than blank.
    pub fn t(&self, key: &str) -> String {
        let (zh, en) = catalogues();
        let cat = match self.locale {
            Locale::ZhCn => zh,
            Locale::En => en,
        };
        cat.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// `t` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut s = self.t(key);
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), &value.to_string());
        }
        s
    }

    /// The translated message for an error code, falling back to the generic message.
    pub fn error(&self, code: &str) -> String {
        let key = format!("error.{code}");
        let s = self.t(&key);
        if s == key {
            self.t("error.invalid_input")
        } else {
            s
        }
    }

    pub fn is_zh(&self) -> bool {
        self.locale == Locale::ZhCn
    }
}
