//! Topping a seeded database up by SQL, for sizes that real issuance would take hours to reach:
//! copies of the certificates already there (fresh ids, serial numbers and fingerprints; the same
//! PEM, CSR, subject, zone, status and instants, so every figure keeps its shape) and synthetic
//! audit entries spread over the last 60 days. The triggers of the count tables run as for any
//! write; the caller folds their deltas afterwards.

use std::time::Instant;

use mtls_ca::db::Db;

/// Rows per statement, so that no transaction grows without bound.
const BATCH: i64 = 100_000;

const COPY_COLUMNS: &str = "id, zone_id, ca_id, serial_number, certificate, csr, common_name, \
    country, state, location, organization, organizational_unit, fingerprint_sha256, ski, \
    signature, status, validity_days, issued_on, expires_on, status_changed_at, \
    revocation_requested_at";

/// Runs the same code on whichever pool is live (as the crate's `db_run!`).
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// The SQL that differs between the engines.
struct Dialect {
    /// A random 16-byte id in lowercase hex.
    hex16: &'static str,
    /// A random 32-byte value in lowercase hex.
    hex32: &'static str,
    /// A table `c(x)` of the integers from 0 to before `$1`.
    series: &'static str,
}

fn dialect(db: &Db) -> Dialect {
    match db {
        Db::Sqlite(_) => Dialect {
            hex16: "lower(hex(randomblob(16)))",
            hex32: "lower(hex(randomblob(32)))",
            series:
                "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x + 1 < $1)",
        },
        Db::Postgres(_) => Dialect {
            hex16: "md5(random()::text || clock_timestamp()::text)",
            hex32: "md5(random()::text) || md5(random()::text)",
            series: "WITH c(x) AS (SELECT generate_series(0::bigint, $1::bigint - 1))",
        },
    }
}

async fn count(db: &Db, table: &str) -> anyhow::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(on_pool!(db, |pool| sqlx::query_scalar(&sql)
        .fetch_one(pool)
        .await?))
}

/// Copies the oldest certificates until the table holds `target` rows.
pub async fn certificates(db: &Db, target: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let copied = |hex16: &str, hex32: &str| {
        format!(
            "INSERT INTO client_certificates ({COPY_COLUMNS}) SELECT {hex16}, zone_id, ca_id, \
             {hex16}, certificate, csr, common_name, country, state, location, organization, \
             organizational_unit, {hex32}, ski, signature, status, validity_days, issued_on, \
             expires_on, status_changed_at, revocation_requested_at \
             FROM client_certificates ORDER BY seq LIMIT $1"
        )
    };
    let d = dialect(db);
    let sql = copied(d.hex16, d.hex32);
    loop {
        let have = count(db, "client_certificates").await?;
        anyhow::ensure!(have > 0, "no certificate to copy: seed some first");
        let take = (target - have).min(have).min(BATCH);
        if take <= 0 {
            break;
        }
        on_pool!(db, |pool| {
            sqlx::query(&sql).bind(take).execute(pool).await?;
        });
        println!(
            "{} certificates in {:.0} s",
            have + take,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Adds synthetic entries to the log of `account` until it holds `target`, at instants rising
/// with their order from 60 days before `now` to `now`.
pub async fn audit(db: &Db, account: &str, target: i64, now: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let step = (60 * 86_400 / target.max(1)).max(1);
    let values = |series: &str, hex16: &str| {
        format!(
            "INSERT INTO audit_logs (id, account_id, at, action_type, action_result, actor_type, \
             actor_id, actor_email, actor_ip, interface, resource_type, resource_id, old_value, \
             new_value) {series} SELECT {hex16}, $2, $3 + ($4 + x) * $5, \
             CASE x % 4 WHEN 0 THEN 'issue' WHEN 1 THEN 'revoke' WHEN 2 THEN 'reactivate' \
             ELSE 'create' END, TRUE, 'user', 'seed-actor-' || (x % 7), \
             'ops' || (x % 7) || '@seed.example', '127.0.0.1', \
             CASE x % 3 WHEN 0 THEN 'api' WHEN 1 THEN 'cli' ELSE 'console' END, 'certificate', \
             {hex16}, NULL, '{{\"status\":\"active\"}}' FROM c"
        )
    };
    let d = dialect(db);
    let sql = values(d.series, d.hex16);
    loop {
        let have = count(db, "audit_logs").await?;
        let take = (target - have).min(BATCH);
        if take <= 0 {
            break;
        }
        let from = now - 60 * 86_400;
        on_pool!(db, |pool| {
            sqlx::query(&sql)
                .bind(take)
                .bind(account)
                .bind(from)
                .bind(have)
                .bind(step)
                .execute(pool)
                .await?;
        });
        println!(
            "{} audit entries in {:.0} s",
            have + take,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
