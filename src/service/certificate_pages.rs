//! The page of a zone's certificates a list asks for, and how many it pages through: without an
//! expiry filter through the block counts (`db::certificate_pages`), at the same cost on the first
//! page and the last of a million; with one, by counting and skipping the matching rows.

use super::listing::ListQuery;
use super::Services;
use crate::db::certificate_pages as pages;
use crate::db::certificates::{self as repo, CertRow};
use crate::error::Result;
use crate::model::ZoneId;

impl Services {
    /// The page `query` asks for and the number of certificates it pages through. Without an
    /// expiry filter the block counts find both at the same cost on every page; with one, the
    /// matching rows are counted and skipped.
    pub(super) async fn certificate_page(
        &self,
        zone: &ZoneId,
        query: &ListQuery,
    ) -> Result<(Vec<CertRow>, u64)> {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        if query.expires_before.is_none() {
            let blocks = pages::blocks(&self.db, zone.as_str(), query.status).await?;
            let window = query.window(u64::try_from(blocks.total()).unwrap_or(0));
            if window.take == 0 {
                return Ok((Vec::new(), window.total));
            }
            let rows = pages::page(
                &self.db,
                zone.as_str(),
                query.status,
                &blocks,
                as_i64(window.skip),
                as_i64(window.take),
            )
            .await?;
            return Ok((rows, window.total));
        }
        let filter = repo::Filter {
            status: query.status,
            expires_before: query.expires_before,
        };
        let filtered = repo::count(&self.db, zone.as_str(), filter).await?;
        let window = query.window(u64::try_from(filtered).unwrap_or(0));
        if window.take == 0 {
            return Ok((Vec::new(), window.total));
        }
        let rows = repo::list(
            &self.db,
            zone.as_str(),
            filter,
            as_i64(window.skip),
            as_i64(window.take),
        )
        .await?;
        Ok((rows, window.total))
    }

    /// Folds the delta rows the triggers appended since the last run, of the block counts and of
    /// the overview's day counts (the worker calls it); how many rows it folded.
    pub async fn fold_certificate_counts(&self) -> Result<u64> {
        let blocks = pages::fold(&self.db).await?;
        Ok(blocks + crate::db::console_stats::fold(&self.db).await?)
    }
}
