//! Client certificates: the stored row, and reads (one certificate, counts, offset pages). The
//! writes are beside it: batched inserts in `insert`, compare-and-set status changes in `status`.

use sqlx::FromRow;

mod insert;
mod status;

pub use insert::insert_batch;
pub use status::{request_reactivation, request_revocation};

use super::{db_run, Db, DbResult};
use crate::model::CertStatus;

/// A stored client certificate, one column per field of the API object.
/// `Default` is for fabricated rows (tests, benchmarks).
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct CertRow {
    /// 32 hex digits.
    pub id: String,
    /// The zone it was issued in.
    pub zone_id: String,
    /// The issuing CA's UUID.
    pub ca_id: String,
    /// Lowercase hex, no colons; unique.
    pub serial_number: String,
    /// PEM.
    pub certificate: String,
    /// The CSR exactly as sent.
    pub csr: String,
    /// Subject CN, `""` when absent.
    pub common_name: String,
    /// Subject C.
    pub country: String,
    /// Subject ST.
    pub state: String,
    /// Subject L.
    pub location: String,
    /// Subject O.
    pub organization: String,
    /// Subject OU.
    pub organizational_unit: String,
    /// Lowercase hex SHA-256 of the DER.
    pub fingerprint_sha256: String,
    /// Lowercase hex Subject Key Identifier.
    pub ski: String,
    /// The CA's signature algorithm, Go spelling.
    pub signature: String,
    /// Its life-cycle status.
    #[sqlx(try_from = "String")]
    pub status: CertStatus,
    /// As requested.
    pub validity_days: i64,
    /// notBefore, unix seconds.
    pub issued_on: i64,
    /// notAfter, unix seconds.
    pub expires_on: i64,
    /// When the current status was requested or reached, unix seconds.
    pub status_changed_at: i64,
    /// When the last revocation was requested, unix seconds.
    pub revocation_requested_at: Option<i64>,
}

pub(crate) const COLUMNS: &str = "id, zone_id, ca_id, serial_number, certificate, csr, common_name, country, \
    state, location, organization, organizational_unit, fingerprint_sha256, ski, signature, status, \
    validity_days, issued_on, expires_on, status_changed_at, revocation_requested_at";

/// The certificate with this id in this zone, if any.
pub async fn get(db: &Db, zone_id: &str, id: &str) -> DbResult<Option<CertRow>> {
    let sql = format!("SELECT {COLUMNS} FROM client_certificates WHERE id = $1 AND zone_id = $2");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, CertRow>(&sql)
        .bind(id)
        .bind(zone_id)
        .fetch_optional(pool)
        .await?))
}

/// The zone of the certificate with this id, if any (the CLI's `cert show ID`).
pub async fn zone_of(db: &Db, id: &str) -> DbResult<Option<String>> {
    db_run!(db, |pool| Ok(sqlx::query_scalar::<_, String>(
        "SELECT zone_id FROM client_certificates WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await?))
}

/// Which certificates of a zone a count or a list covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this status (`None`: every status).
    pub status: Option<CertStatus>,
    /// Only certificates whose notAfter is earlier than this (unix seconds).
    pub expires_before: Option<i64>,
}

impl Filter {
    /// The WHERE clause after `zone_id = $1`, with placeholders from `$2`; the next free number.
    fn clause(&self) -> (String, usize) {
        let mut sql = String::from("zone_id = $1");
        let mut n = 2;
        if self.status.is_some() {
            sql.push_str(&format!(" AND status = ${n}"));
            n += 1;
        }
        if self.expires_before.is_some() {
            sql.push_str(&format!(" AND expires_on < ${n}"));
            n += 1;
        }
        (sql, n)
    }
}

/// Binds a [`Filter`]'s values in the order of [`Filter::clause`].
macro_rules! bind_filter {
    ($q:expr, $zone:expr, $f:expr) => {{
        let mut q = $q.bind($zone);
        if let Some(st) = $f.status {
            q = q.bind(st.as_str());
        }
        if let Some(t) = $f.expires_before {
            q = q.bind(t);
        }
        q
    }};
}

/// How many certificates of the zone the filter covers.
pub async fn count(db: &Db, zone_id: &str, filter: Filter) -> DbResult<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM client_certificates WHERE {}",
        filter.clause().0
    );
    db_run!(db, |pool| Ok(bind_filter!(
        sqlx::query_scalar::<_, i64>(&sql),
        zone_id,
        filter
    )
    .fetch_one(pool)
    .await?))
}

/// Up to `limit` certificates of the zone the filter covers, oldest first, skipping `offset`.
pub async fn list(
    db: &Db,
    zone_id: &str,
    filter: Filter,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<CertRow>> {
    let (clause, n) = filter.clause();
    let sql = format!(
        "SELECT {COLUMNS} FROM client_certificates WHERE {clause} ORDER BY seq LIMIT ${n} OFFSET ${}",
        n + 1
    );
    db_run!(db, |pool| Ok(bind_filter!(
        sqlx::query_as::<_, CertRow>(&sql),
        zone_id,
        filter
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?))
}

/// How many `active` certificates of every zone expire after `after` and no later than each of
/// `until` (one count per bound, in order).
pub async fn count_active_expiring(db: &Db, after: i64, until: &[i64]) -> DbResult<Vec<i64>> {
    let mut counts = Vec::with_capacity(until.len());
    for bound in until {
        let n = db_run!(db, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM client_certificates \
             WHERE status = 'active' AND expires_on > $1 AND expires_on <= $2"
        )
        .bind(after)
        .bind(bound)
        .fetch_one(pool)
        .await?);
        counts.push(n);
    }
    Ok(counts)
}
