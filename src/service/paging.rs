//! `page`/`per_page` of the administration lists (zones, tokens, audit log), Cloudflare-style.

use std::collections::HashMap;

use super::listing::{number, ResultInfo};
use crate::error::Result;

/// A page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based.
    pub page: u64,
    /// Clamped to the list's bounds.
    pub per_page: u64,
}

impl Paging {
    /// Parses `page` and `per_page`, clamping `per_page` to `min..=max` (default `default`).
    pub fn parse(
        params: &HashMap<String, String>,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<Self> {
        Ok(Self {
            page: number(params, "page")?.unwrap_or(1).max(1),
            per_page: number(params, "per_page")?
                .unwrap_or(default)
                .clamp(min, max),
        })
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// This page of an in-memory list.
    pub fn slice<T>(&self, items: Vec<T>) -> (Vec<T>, ResultInfo) {
        let total = items.len() as u64;
        let page: Vec<T> = items
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.per_page).unwrap_or(usize::MAX))
            .collect();
        let info = self.info(page.len() as u64, total);
        (page, info)
    }

    /// `result_info` for `count` rows out of `total`.
    pub fn info(&self, count: u64, total: u64) -> ResultInfo {
        ResultInfo::of(self.page, self.per_page, count, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_and_past_the_end() {
        let params = |p: &str| {
            HashMap::from([
                ("page".to_owned(), p.to_owned()),
                ("per_page".to_owned(), "2".to_owned()),
            ])
        };
        let p = Paging::parse(&params("2"), 20, 1, 50).expect("parses");
        let (items, info) = p.slice(vec![1, 2, 3, 4, 5]);
        assert_eq!(items, vec![3, 4]);
        assert_eq!((info.count, info.total_count, info.total_pages), (2, 5, 3));
        let (items, _) = Paging::parse(&params("9"), 20, 1, 50)
            .expect("parses")
            .slice(vec![1]);
        assert!(items.is_empty());
        assert!(Paging::parse(&params("x"), 20, 1, 50).is_err());
    }
}
