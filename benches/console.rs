//! Console benchmark: signs in to a running console (in process, over HTTP on 127.0.0.1) on an
//! existing database and times each page, printing the median of the server's own time
//! (`Server-Timing`) over `--runs` requests after one warm-up, and the query plans of the
//! certificate searches and audit pages; then checks that the overview's kept figures equal a full
//! count. Make a big database first with `examples/seed.rs` (20,000 real certificates, SQL copies
//! of them up to 1,000,000, and 1,000,000 audit entries):
//!
//! `cargo run --release --example seed -- --database-url sqlite:///tmp/console1m/ca.db --certificates 20000 --copies-to 1000000 --audit-to 1000000`
//! `cargo bench --bench console -- --database-url sqlite:///tmp/console1m/ca.db [--runs 9]`

use std::time::Duration;

use clap::Parser;
use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::db::audit::AuditFilter;
use mtls_ca::db::audit_pages::{self, AuditCursor};
use mtls_ca::db::cert_search::{explain, Cursor, Search};
use mtls_ca::db::Db;
use mtls_ca::model::CertStatus;
use mtls_ca::service::auth::Caller;
use secrecy::ExposeSecret;

#[derive(Parser, Debug)]
struct Args {
    /// `sqlite://PATH` or `postgres://...` of a database to read (it is migrated; nothing else changes
    /// but one user made for signing in).
    #[arg(long)]
    database_url: String,
    /// Timed requests per page; the median is reported.
    #[arg(long, default_value_t = 9)]
    runs: usize,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn server_ms(res: &reqwest::Response) -> f64 {
    res.headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("dur=").nth(1))
        .and_then(|d| d.parse().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings {
        database_url: args.database_url.clone(),
        worker_interval: 3600,
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let s = app.services.clone();
    let now = mtls_ca::clock::now();
    let cli = Caller::cli(s.account_id.as_str());
    let email = format!("bench-{}@console.example", mtls_ca::model::random_hex_id());
    let key = s.create_user(&cli, &email, now).await?;
    let zones = s.list_zones(&cli, None).await?;
    let zone = zones.first().map(|z| z.id.clone()).unwrap_or_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let signin = client
        .post(format!("{base}/console/signin"))
        .form(&[("email", email.as_str()), ("key", key.expose_secret())])
        .send()
        .await?;
    let cookie = signin
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("sign-in set no cookie: {}", signin.status()))?
        .to_owned();

    // Real values to search for: the newest certificate and one far back.
    let newest = mtls_ca::db::cert_search::search(
        &s.db,
        &Search {
            limit: 1,
            ..Search::default()
        },
    )
    .await?;
    let Some(newest) = newest.first() else {
        anyhow::bail!("the database has no certificate: seed it first");
    };
    let deep_seq = (newest.seq / 50).max(1);
    let cn = newest.row.common_name.clone();
    let cn_prefix: String = cn.chars().take(cn.len().saturating_sub(2).max(1)).collect();
    // An entry half way down the audit log, and a day of it a month ago.
    let half = audit_pages::about(&s.db).await? / 2;
    let mid_sql = "SELECT at, seq FROM audit_logs ORDER BY seq LIMIT 1 OFFSET $1";
    let (mid_at, mid_seq): (i64, i64) = match &s.db {
        Db::Sqlite(pool) => sqlx::query_as(mid_sql).bind(half).fetch_one(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(mid_sql).bind(half).fetch_one(pool).await?,
    };
    let month_ago = mtls_ca::clock::rfc3339(now - 30 * 86_400);
    let day_later = mtls_ca::clock::rfc3339(now - 29 * 86_400);
    let pages: Vec<(&str, String)> = vec![
        ("overview", "/console/".into()),
        ("certificates, first page", "/console/certificates".into()),
        (
            "certificates, deep page (keyset)",
            format!("/console/certificates?cursor=n.{deep_seq}"),
        ),
        (
            "certificates, one zone",
            format!("/console/certificates?zone={zone}"),
        ),
        (
            "certificates, revoked",
            "/console/certificates?status=revoked".into(),
        ),
        (
            "search, CN prefix",
            format!("/console/certificates?q={cn_prefix}"),
        ),
        (
            "search, CN prefix, deep page",
            format!(
                "/console/certificates?q={cn_prefix}&cursor=c.{}.{cn_prefix}5",
                newest.seq
            ),
        ),
        (
            "search, serial",
            format!("/console/certificates?q={}", newest.row.serial_number),
        ),
        (
            "search, fingerprint",
            format!("/console/certificates?q={}", newest.row.fingerprint_sha256),
        ),
        (
            "search, id",
            format!("/console/certificates?q={}", newest.row.id),
        ),
        (
            "expiring within 7 days",
            "/console/certificates?expiring=7".into(),
        ),
        (
            "expiring within 30 days, deep page",
            format!(
                "/console/certificates?expiring=30&cursor=e.{deep_seq}.{}",
                now + 20 * 86_400
            ),
        ),
        (
            "certificate detail",
            format!("/console/certificates/{}", newest.row.id),
        ),
        ("CAs", "/console/cas".into()),
        ("zones", "/console/zones".into()),
        ("tokens", "/console/tokens".into()),
        ("audit log", "/console/audit".into()),
        (
            "audit log, deep page (keyset, half way)",
            format!("/console/audit?cursor=o.{mid_at}.{mid_seq}"),
        ),
        (
            "audit log, newer page (half way)",
            format!("/console/audit?cursor=n.{mid_at}.{mid_seq}"),
        ),
        (
            "audit log, one action",
            "/console/audit?action.type=reactivate".into(),
        ),
        (
            "audit log, actor email",
            "/console/audit?actor.email=ops3@seed.example".into(),
        ),
        (
            "audit log, a day a month ago",
            format!("/console/audit?since={month_ago}&before={day_later}"),
        ),
    ];
    println!("{:<38} {:>10} {:>10}", "page", "median ms", "max ms");
    for (name, path) in &pages {
        let mut times = Vec::new();
        for i in 0..=args.runs {
            let res = client
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "{name}: {}", res.status());
            let ms = server_ms(&res);
            res.bytes().await?;
            if i > 0 {
                times.push(ms);
            }
        }
        let max = times.iter().copied().fold(0.0, f64::max);
        println!("{name:<38} {:>10.1} {max:>10.1}", median(times));
    }

    println!("\nquery plans:");
    let shapes = [
        (
            "first page",
            Search {
                limit: 51,
                ..Search::default()
            },
        ),
        (
            "deep page",
            Search {
                limit: 51,
                after: Some(Cursor::Newest(deep_seq)),
                ..Search::default()
            },
        ),
        (
            "one zone",
            Search {
                limit: 51,
                zones: Some(vec![zone.clone()]),
                ..Search::default()
            },
        ),
        (
            "revoked",
            Search {
                limit: 51,
                status: Some(CertStatus::Revoked),
                ..Search::default()
            },
        ),
        (
            "CN prefix",
            Search {
                limit: 51,
                name_prefix: Some(cn_prefix.clone()),
                ..Search::default()
            },
        ),
        (
            "exact",
            Search {
                limit: 51,
                exact: Some(newest.row.serial_number.clone()),
                ..Search::default()
            },
        ),
        (
            "expiring",
            Search {
                limit: 51,
                expiring: Some((now, now + 7 * 86_400)),
                ..Search::default()
            },
        ),
    ];
    for (name, shape) in &shapes {
        println!("  {name}: {}", explain(&s.db, shape).await?.join(" | "));
    }
    let audits = [
        ("log", AuditFilter::default(), None),
        (
            "log, deep",
            AuditFilter::default(),
            Some(AuditCursor::Older(mid_at, mid_seq)),
        ),
        (
            "action",
            AuditFilter {
                action_type: Some("reactivate".into()),
                ..AuditFilter::default()
            },
            Some(AuditCursor::Newer(mid_at, mid_seq)),
        ),
        (
            "email",
            AuditFilter {
                actor_email: Some("ops3@seed.example".into()),
                ..AuditFilter::default()
            },
            None,
        ),
        (
            "time range",
            AuditFilter {
                since: Some(now - 30 * 86_400),
                before: Some(now - 29 * 86_400),
                ..AuditFilter::default()
            },
            None,
        ),
    ];
    for (name, filter, from) in &audits {
        let plan = audit_pages::explain(&s.db, s.account_id.as_str(), filter, *from, 51).await?;
        println!("  audit {name}: {}", plan.join(" | "));
    }

    // The overview's kept figures against a full count of the same.
    let started = std::time::Instant::now();
    let (kept, counted) = s.figures_kept_and_counted(&cli, now).await?;
    anyhow::ensure!(
        kept == counted,
        "the kept figures differ from a full count:\n{kept:?}\n{counted:?}"
    );
    println!(
        "\noverview figures: kept = counted ({} certificates; the count took {:.0} ms)",
        kept.by_status.iter().map(|(_, n)| n).sum::<i64>(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let _ = stop.send(());
    server.await??;
    Ok(())
}
