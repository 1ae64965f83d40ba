//! Pages of a zone's certificates found without counting or skipping rows: the block counts the
//! triggers of migration 0010 keep (`client_certificate_counts`) give a list its exact total and
//! the block its page starts in; the page then skips fewer than [`BLOCK`] rows of one block.

use super::certificates::{CertRow, COLUMNS};
use super::{db_run, Db, DbResult};
use crate::model::CertStatus;

/// Creation sequence numbers per block (`seq / BLOCK`), as in the migration's triggers.
pub const BLOCK: i64 = 4096;

/// A zone's certificates of one status (or of all) per block, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocks(Vec<(i64, i64)>);

impl Blocks {
    /// How many certificates in all.
    pub fn total(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }

    /// Where the certificate `skip` places into the list is: the first sequence number of its
    /// block and how many of that block's certificates come before it. `None` past the end.
    pub fn locate(&self, skip: i64) -> Option<(i64, i64)> {
        let mut before = 0;
        for &(block, n) in &self.0 {
            if skip < before + n {
                return Some((block * BLOCK, skip - before));
            }
            before += n;
        }
        None
    }
}

/// The block counts of the zone's certificates with `status` (every status when `None`).
pub async fn blocks(db: &Db, zone_id: &str, status: Option<CertStatus>) -> DbResult<Blocks> {
    let status_clause = if status.is_some() {
        " AND status = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT block, CAST(SUM(n) AS BIGINT) FROM client_certificate_counts \
         WHERE zone_id = $1{status_clause} GROUP BY block HAVING SUM(n) <> 0 ORDER BY block"
    );
    let counts = db_run!(db, |pool| {
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(zone_id);
        if let Some(st) = status {
            q = q.bind(st.as_str());
        }
        q.fetch_all(pool).await?
    });
    Ok(Blocks(counts))
}

/// Up to `take` certificates of the zone (with `status`, when given) in creation order, from the
/// `skip`th on, located through `blocks`.
pub async fn page(
    db: &Db,
    zone_id: &str,
    status: Option<CertStatus>,
    blocks: &Blocks,
    skip: i64,
    take: i64,
) -> DbResult<Vec<CertRow>> {
    let Some((from_seq, within)) = blocks.locate(skip) else {
        return Ok(Vec::new());
    };
    let (status_clause, n) = if status.is_some() {
        (" AND status = $2", 3)
    } else {
        ("", 2)
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM client_certificates WHERE zone_id = $1{status_clause} \
         AND seq >= ${n} ORDER BY seq LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    Ok(db_run!(db, |pool| {
        let mut q = sqlx::query_as::<_, CertRow>(&sql).bind(zone_id);
        if let Some(st) = status {
            q = q.bind(st.as_str());
        }
        q.bind(from_seq)
            .bind(take)
            .bind(within)
            .fetch_all(pool)
            .await?
    }))
}

/// Folds the delta rows of each block into one (the worker calls it); how many rows it folded.
pub async fn fold(db: &Db) -> DbResult<u64> {
    super::deltas::fold(db, "client_certificate_counts", "zone_id, status, block").await
}

/// The statements that recount every block from the certificates themselves (a restore runs
/// them after copying the tables, in the same transaction).
pub(super) fn recount_statements() -> [String; 2] {
    [
        "DELETE FROM client_certificate_counts".to_owned(),
        format!(
            "INSERT INTO client_certificate_counts (zone_id, status, block, n) \
             SELECT zone_id, status, seq / {BLOCK}, count(*) FROM client_certificates \
             GROUP BY zone_id, status, seq / {BLOCK}"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_lands_in_the_block_that_holds_it() {
        let b = Blocks(vec![(0, 3), (2, 5), (7, 1)]);
        assert_eq!(b.total(), 9);
        assert_eq!(b.locate(0), Some((0, 0)));
        assert_eq!(b.locate(2), Some((0, 2)));
        assert_eq!(b.locate(3), Some((2 * BLOCK, 0)));
        assert_eq!(b.locate(7), Some((2 * BLOCK, 4)));
        assert_eq!(b.locate(8), Some((7 * BLOCK, 0)));
        assert_eq!(b.locate(9), None);
        assert_eq!(Blocks::default().locate(0), None);
    }
}
