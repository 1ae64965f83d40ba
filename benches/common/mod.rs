//! What the benchmarks share: a fresh database, and fabricated certificate rows inserted in bulk.
// Each benchmark uses only some of these.
#![allow(dead_code)]

use mtls_ca::db::certificates::{insert_batch, CertRow};
use mtls_ca::model::{CertStatus, Permission};
use mtls_ca::service::auth::Caller;
use mtls_ca::service::Services;
use secrecy::ExposeSecret;

pub const DAY: i64 = 86_400;

/// Creates the zone `bench.example` through the CLI's path; its id.
pub async fn bench_zone(services: &Services, now: i64) -> anyhow::Result<String> {
    let cli = Caller::cli(services.account_id.as_str());
    Ok(services.create_zone(&cli, "bench.example", now).await?.id)
}

/// Creates an API token `name` with `permission` over every zone, as `token create` does; its secret.
pub async fn bench_token(
    services: &Services,
    name: &str,
    permission: Permission,
    now: i64,
) -> anyhow::Result<String> {
    let cli = Caller::cli(services.account_id.as_str());
    let (_, secret) = services
        .create_cli_token(&cli, name, permission, &[], now)
        .await?;
    Ok(secret.expose_secret().to_owned())
}

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
        insert_batch(&services.db, &rows, &[]).await?;
        serials.extend(s);
        left -= chunk;
    }
    Ok(serials)
}

/// A fresh database URL: a SQLite file in `dir`, or a new database on the Postgres server `admin`
/// names (a role that may create databases).
pub async fn fresh_database(admin: Option<&str>, dir: &std::path::Path) -> anyhow::Result<String> {
    use sqlx::Connection;
    let Some(admin) = admin else {
        return Ok(format!("sqlite://{}", dir.join("bench.db").display()));
    };
    let name = format!("mtlsca_bench_{}", mtls_ca::model::random_hex_id());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let mut url = url::Url::parse(admin)?;
    url.set_path(&name);
    Ok(url.to_string())
}
