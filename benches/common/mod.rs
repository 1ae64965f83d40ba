//! What the benchmarks share: fabricated certificate rows, inserted in bulk.

use mtls_ca::db::certificates::{insert_batch, CertRow};
use mtls_ca::model::CertStatus;
use mtls_ca::service::Services;

pub const DAY: i64 = 86_400;

/// A certificate row of CA `ca_id` in `zone` with `status`, valid for a year around `now`, and its
/// serial (positive, 20 bytes).
pub fn fake_row(ca_id: &str, zone: &str, status: CertStatus, now: i64) -> (CertRow, [u8; 20]) {
    let mut serial = mtls_ca::model::random_bytes::<20>();
    serial[0] = (serial[0] & 0x7f).max(1);
    let row = CertRow {
        id: mtls_ca::model::random_hex_id(),
        zone_id: zone.to_owned(),
        ca_id: ca_id.to_owned(),
        serial_number: hex::encode(serial),
        common_name: "bench".into(),
        signature: "ECDSAWithSHA256".into(),
        status,
        validity_days: 365,
        issued_on: now - DAY,
        expires_on: now + 364 * DAY,
        status_changed_at: now - 60,
        revocation_requested_at: (status == CertStatus::Revoked).then_some(now - 60),
        ..CertRow::default()
    };
    (row, serial)
}

/// `n` fabricated rows, committed 10,000 per transaction; returns their serials.
pub async fn insert(
    services: &Services,
    ca_id: &str,
    zone: &str,
    status: CertStatus,
    n: usize,
    now: i64,
) -> anyhow::Result<Vec<[u8; 20]>> {
    let mut serials = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 {
        let chunk = left.min(10_000);
        let (rows, s): (Vec<_>, Vec<_>) = (0..chunk)
            .map(|_| fake_row(ca_id, zone, status, now))
            .unzip();
        insert_batch(&services.db, &rows).await?;
        serials.extend(s);
        left -= chunk;
    }
    Ok(serials)
}
