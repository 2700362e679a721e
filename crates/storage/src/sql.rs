//! A small builder for dynamic queries (filters, jurisdiction scopes, sorting, paging)
//! that numbers placeholders `$1, $2…`, which both SQLite and PostgreSQL accept.

use jiuzhu_domain::RegionCode;
use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::Arguments;

pub(crate) enum Param {
    I64(Option<i64>),
    Text(Option<String>),
}

#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            params: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub fn bind_i64(&mut self, v: i64) -> &mut Sql {
        self.params.push(Param::I64(Some(v)));
        self.placeholder()
    }

    pub fn bind_text(&mut self, v: impl Into<String>) -> &mut Sql {
        self.params.push(Param::Text(Some(v.into())));
        self.placeholder()
    }

    fn placeholder(&mut self) -> &mut Sql {
        let n = self.params.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    /// ` AND (region_code in any of these subtrees)`. An empty scope matches nothing,
    /// so a missing grant can never widen a list.
    pub fn scope(&mut self, column: &str, scopes: &[RegionCode]) -> &mut Sql {
        if scopes.is_empty() {
            return self.push(" AND 1 = 0");
        }
        if scopes.iter().any(|s| s.is_nation()) {
            return self;
        }
        self.push(" AND (");
        for (i, s) in scopes.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            let (lo, hi) = s.subtree_range();
            self.push(&format!("({column} >= "));
            self.bind_text(lo);
            self.push(&format!(" AND {column} < "));
            self.bind_text(hi);
            self.push(")");
        }
        self.push(")")
    }

    /// A case-insensitive substring filter on several columns.
    pub fn keyword(&mut self, columns: &[&str], q: &str) -> &mut Sql {
        let q = q.trim();
        if q.is_empty() {
            return self;
        }
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        self.push(" AND (");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push(&format!("LOWER({c}) LIKE "));
            self.bind_text(pattern.clone());
            self.push(" ESCAPE '\\'");
        }
        self.push(")")
    }

    /// `ORDER BY` from a whitelisted column name, then `LIMIT/OFFSET`.
    pub fn order_and_page(
        &mut self,
        sort: &Sort,
        allowed: &[&str],
        default: &str,
        key: &str,
        page: &Page,
    ) -> &mut Sql {
        let col = allowed
            .iter()
            .find(|c| **c == sort.column)
            .copied()
            .unwrap_or(default);
        let dir = if sort.descending { "DESC" } else { "ASC" };
        self.push(&format!(" ORDER BY {col} {dir}, {key} {dir} LIMIT "));
        self.bind_i64(page.per_page as i64);
        self.push(" OFFSET ");
        self.bind_i64(page.offset() as i64)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn args(&self) -> AnyArguments<'static> {
        let mut args = AnyArguments::default();
        for p in &self.params {
            // Adding a value to AnyArguments cannot fail for these types.
            let _ = match p {
                Param::I64(v) => args.add(*v),
                Param::Text(v) => args.add(v.clone()),
            };
        }
        args
    }

    /// The same filters as a `SELECT COUNT(*)`: pass the `FROM … WHERE …` part only.
    pub fn count_of(&self) -> Sql {
        Sql {
            text: format!("SELECT COUNT(*) {}", self.text),
            params: self
                .params
                .iter()
                .map(|p| match p {
                    Param::I64(v) => Param::I64(*v),
                    Param::Text(v) => Param::Text(v.clone()),
                })
                .collect(),
        }
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Which page of a list: 1-based, at most 200 rows.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Page {
    pub number: u32,
    pub per_page: u32,
}

impl Page {
    pub const MAX_PER_PAGE: u32 = 200;

    pub fn new(number: Option<u32>, per_page: Option<u32>) -> Page {
        Page {
            number: number.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(20).clamp(1, Page::MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> u64 {
        (self.number as u64 - 1) * self.per_page as u64
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::new(None, None)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sort {
    pub column: String,
    pub descending: bool,
}

impl Sort {
    /// `name` sorts ascending, `-name` descending.
    pub fn parse(s: Option<&str>) -> Sort {
        match s {
            Some(s) if s.starts_with('-') => Sort {
                column: s[1..].to_string(),
                descending: true,
            },
            Some(s) => Sort {
                column: s.to_string(),
                descending: false,
            },
            None => Sort::default(),
        }
    }
}

/// One page of a list and the total count behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: Page,
}

impl<T> Paged<T> {
    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u64).div_ceil(self.page.per_page as u64)).max(1) as u32
    }
}

/// Runs a list query and its count with the same filters.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn fetch_paged<T>(
    pool: &sqlx::AnyPool,
    select_cols: &str,
    from_where: Sql,
    sort: &Sort,
    allowed: &[&str],
    default: &str,
    key: &str,
    page: Page,
    map: impl Fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
) -> crate::Result<Paged<T>> {
    let count = from_where.count_of();
    let total: i64 = sqlx::query_scalar_with(count.text(), count.args())
        .fetch_one(pool)
        .await?;
    let mut q = Sql {
        text: format!("SELECT {select_cols} {}", from_where.text),
        params: from_where.params,
    };
    q.order_and_page(sort, allowed, default, key, &page);
    let rows = sqlx::query_with(q.text(), q.args()).fetch_all(pool).await?;
    let items = rows.iter().map(map).collect::<Result<Vec<_>, _>>()?;
    Ok(Paged { items, total, page })
}
