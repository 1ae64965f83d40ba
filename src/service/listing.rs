//! The list query of CONTRACT section 3: status filter, `offset`/`limit` cut, then `page`/`per_page`.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{codes, Error, Result};
use crate::model::CertStatus;

/// Smallest `per_page`; smaller values are clamped up.
pub const MIN_PER_PAGE: u64 = 5;
/// Largest `per_page`; larger values are clamped down.
pub const MAX_PER_PAGE: u64 = 50;
/// `per_page` when absent.
pub const DEFAULT_PER_PAGE: u64 = 20;

/// A parsed list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// `None` = all statuses.
    pub status: Option<CertStatus>,
    /// `expires_before` (an mtls-ca extension): only certificates whose notAfter is earlier, unix seconds.
    pub expires_before: Option<i64>,
    /// 1-based.
    pub page: u64,
    /// 5..=50.
    pub per_page: u64,
    /// Rows of the filtered set to skip before paging.
    pub offset: u64,
    /// Most rows of the filtered set to page through.
    pub limit: Option<u64>,
}

/// `result_info` of a list answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultInfo {
    /// The page answered.
    pub page: u64,
    /// Its size.
    pub per_page: u64,
    /// Rows on this page.
    pub count: u64,
    /// Rows in the (cut) set being paged.
    pub total_count: u64,
    /// Pages in the (cut) set.
    pub total_pages: u64,
}

impl ResultInfo {
    /// The `result_info` of page `page` of `per_page` holding `count` of `total` rows.
    pub fn of(page: u64, per_page: u64, count: u64, total: u64) -> Self {
        Self {
            page,
            per_page,
            count,
            total_count: total,
            total_pages: total.div_ceil(per_page),
        }
    }
}

/// Which rows of the filtered set one page covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Rows to skip.
    pub skip: u64,
    /// Rows to take.
    pub take: u64,
    /// Rows in the cut.
    pub total: u64,
}

/// A whole-number query parameter (`2.0` accepted), `None` when absent.
pub fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>> {
    let Some(raw) = params.get(name) else {
        return Ok(None);
    };
    let bad = || {
        Error::invalid(
            codes::INVALID_QUERY,
            format!("{name} must be a non-negative whole number, not {raw:?}"),
            Some(&format!("/{name}")),
        )
    };
    let value: f64 = raw.trim().parse().map_err(|_| bad())?;
    // "2.0" is accepted: the SDKs send numbers as floats. A huge whole number is still a number
    // (Go sends `PerPage: 1e21` as 1000000000000000000000): it saturates, then clamps like any other.
    if !value.is_finite() || value.fract() != 0.0 || value < 0.0 {
        return Err(bad());
    }
    Ok(Some(value as u64))
}

impl ListQuery {
    /// Parses the query string; unknown parameters are ignored.
    pub fn parse(params: &HashMap<String, String>) -> Result<Self> {
        let status = match params.get("status").map(String::as_str) {
            None | Some("all") | Some("") => None,
            Some(s) => Some(s.parse::<CertStatus>().map_err(|_| {
                Error::invalid(
                    codes::INVALID_QUERY,
                    format!(
                        "status must be one of all, active, pending_reactivation, \
                         pending_revocation, revoked; not {s:?}"
                    ),
                    Some("/status"),
                )
            })?),
        };
        let expires_before = match params.get("expires_before") {
            None => None,
            Some(raw) => Some(crate::clock::parse_rfc3339(raw).ok_or_else(|| {
                Error::invalid(
                    codes::INVALID_QUERY,
                    format!(
                        "expires_before must be an RFC 3339 time such as 2027-01-31T00:00:00Z, not {raw:?}"
                    ),
                    Some("/expires_before"),
                )
            })?),
        };
        Ok(Self {
            status,
            expires_before,
            page: number(params, "page")?.unwrap_or(1).max(1),
            per_page: number(params, "per_page")?
                .unwrap_or(DEFAULT_PER_PAGE)
                .clamp(MIN_PER_PAGE, MAX_PER_PAGE),
            offset: number(params, "offset")?.unwrap_or(0),
            limit: number(params, "limit")?,
        })
    }

    /// The rows of a filtered set of `filtered` rows that this page covers.
    pub fn window(&self, filtered: u64) -> Window {
        let after_offset = filtered.saturating_sub(self.offset);
        let total = self.limit.map_or(after_offset, |l| after_offset.min(l));
        let start = (self.page - 1).saturating_mul(self.per_page);
        let take = total.saturating_sub(start).min(self.per_page);
        Window {
            skip: self.offset.saturating_add(start),
            take,
            total,
        }
    }

    /// `result_info` for a page of `count` rows out of `total`.
    pub fn result_info(&self, count: u64, total: u64) -> ResultInfo {
        ResultInfo::of(self.page, self.per_page, count, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Result<ListQuery> {
        ListQuery::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_clamps_and_floats() {
        let d = q(&[]).ok();
        assert_eq!(
            d.as_ref().map(|d| (d.page, d.per_page, d.offset, d.limit)),
            Some((1, 20, 0, None))
        );
        assert_eq!(q(&[("per_page", "1")]).ok().map(|x| x.per_page), Some(5));
        assert_eq!(q(&[("per_page", "500")]).ok().map(|x| x.per_page), Some(50));
        let huge = q(&[("per_page", "1000000000000000000000"), ("page", "1e21")]).ok();
        assert_eq!(huge.as_ref().map(|x| x.per_page), Some(50));
        assert_eq!(huge.map(|x| x.window(20).take), Some(0));
        assert_eq!(
            q(&[("page", "2.0"), ("per_page", "10.0")])
                .ok()
                .map(|x| (x.page, x.per_page)),
            Some((2, 10))
        );
        assert_eq!(q(&[("page", "0")]).ok().map(|x| x.page), Some(1));
        assert!(q(&[("page", "abc")]).is_err());
        assert!(q(&[("page", "1.5")]).is_err());
        assert!(q(&[("offset", "-1")]).is_err());
        assert!(q(&[("status", "expired")]).is_err());
        assert_eq!(
            q(&[("expires_before", "2027-01-31T00:00:00Z")])
                .ok()
                .and_then(|x| x.expires_before),
            Some(1_801_353_600)
        );
        assert!(q(&[("expires_before", "tomorrow")]).is_err());
        assert_eq!(q(&[("status", "all")]).ok().map(|x| x.status), Some(None));
        assert_eq!(
            q(&[("status", "revoked")]).ok().map(|x| x.status),
            Some(Some(CertStatus::Revoked))
        );
    }

    #[test]
    fn offset_and_limit_cut_first_then_pages_walk_the_cut() {
        let Ok(query) = q(&[
            ("offset", "3"),
            ("limit", "12"),
            ("per_page", "5"),
            ("page", "3"),
        ]) else {
            panic!("valid query");
        };
        // 20 rows; the cut is rows 3..15 (12 rows); page 3 of 5 is rows 13..15.
        assert_eq!(
            query.window(20),
            Window {
                skip: 13,
                take: 2,
                total: 12
            }
        );
        // Past the end: nothing to take.
        let Ok(past) = q(&[("page", "9")]) else {
            panic!("valid")
        };
        assert_eq!(past.window(20).take, 0);
        assert_eq!(past.result_info(0, 20).total_pages, 1);
        // Offset beyond the set.
        let Ok(far) = q(&[("offset", "100")]) else {
            panic!("valid")
        };
        assert_eq!(
            far.window(20),
            Window {
                skip: 100,
                take: 0,
                total: 0
            }
        );
    }
}
