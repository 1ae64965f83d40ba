//! Side by side with cfssl: the release `mtls-ca serve` and Debian's `cfssl serve`, each with an
//! equivalent CA and a certificate store, under the same external load: `wrk` (a separate process,
//! as a user's clients would be) posting one P-256 CSR for `--duration` seconds on `--connections`
//! connections. Per configuration (P-256 CA on SQLite, P-256 CA on Postgres, RSA-2048 CA on SQLite)
//! it runs `--pairs` alternating pairs, each side on a fresh database after a short warm-up, and
//! prints per pair requests/s and p99 of each and the ratio, then the median ratio; and the CPU
//! each server process used per request (user and system, from `/proc/PID/stat`; a Postgres
//! server's own backends are not in it).
//!
//! Both sides must really issue: wrk's non-2xx, timeout and socket-error counts must be 0, and the
//! rows each store holds afterwards must cover every 2xx wrk counted. A run that fails a check is
//! printed with what the server logged about it, and the bench then exits non-zero.
//!
//! ```text
//! apt-get install golang-cfssl wrk
//! BENCH_DATABASE_URL=postgres://mtlsca:PASSWORD@127.0.0.1/postgres cargo bench --bench vs_cfssl
//! cargo bench --bench vs_cfssl -- [--pairs N] [--duration S] [--connections C] [--threads T]
//!   [--configs p256-sqlite,p256-postgres,rsa2048-sqlite] [--database-url postgres://...]
//! ```
//!
//! Durability as shipped on both sides: mtls-ca's SQLite is WAL with `synchronous=FULL`; cfssl's
//! certdb is opened `_journal_mode=WAL&_synchronous=FULL` (go-sqlite3 on Debian's libsqlite3, whose
//! WAL default is FULL too). Postgres is one local cluster with `synchronous_commit=on` for both.
//! cfssl's tables are its own migrations (`certdb/{sqlite,pg}/migrations/001_CreateCertificates.sql`
//! at the Debian package's commit 7fb22c8). Postgres configurations run only with a database URL
//! (a role that may create databases); each side gets a new database, dropped afterwards.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use sqlx::Connection;
use tokio::process::{Child, Command};

#[derive(Parser, Debug)]
struct Args {
    /// Alternating pairs (mtls-ca then cfssl, then cfssl then mtls-ca, ...) per configuration.
    #[arg(long, default_value_t = 3)]
    pairs: usize,
    /// Seconds of each measured wrk run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of the unmeasured wrk run before it, on the same server.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// wrk connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// wrk's per-request timeout, seconds: answers slower than this would be errors and be left
    /// out of wrk's latencies (its default of 2 s hides a loaded server's slowest answers).
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Configurations, comma-separated: p256-sqlite, p256-postgres, rsa2048-sqlite.
    #[arg(
        long,
        default_value = "p256-sqlite,p256-postgres,rsa2048-sqlite",
        value_delimiter = ','
    )]
    configs: Vec<String>,
    /// `postgres://...` of a role that may create databases (default: $BENCH_DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
    /// The cfssl binary.
    #[arg(long, default_value = "cfssl")]
    cfssl: PathBuf,
    /// The mtls-ca binary (default: this build's).
    #[arg(long)]
    mtls_ca: Option<PathBuf>,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

/// cfssl's certdb schema for SQLite (certdb/sqlite/migrations/001_CreateCertificates.sql).
const CFSSL_SQLITE_SCHEMA: &str = "
CREATE TABLE certificates (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, ca_label bytea,
  status bytea NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem bytea NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, body bytea NOT NULL,
  expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
    REFERENCES certificates(serial_number, authority_key_identifier));";

/// The same for Postgres (certdb/pg/migrations/001_CreateCertificates.sql): timestamptz.
const CFSSL_PG_SCHEMA: &str = "
CREATE TABLE certificates (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, ca_label bytea,
  status bytea NOT NULL, reason int, expiry timestamptz, revoked_at timestamptz, pem bytea NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, body bytea NOT NULL,
  expiry timestamptz, PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
    REFERENCES certificates(serial_number, authority_key_identifier));";

#[derive(Clone, Copy, PartialEq)]
enum Side {
    MtlsCa,
    Cfssl,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::MtlsCa => "mtls-ca",
            Side::Cfssl => "cfssl",
        }
    }
}

struct Config {
    /// mtls-ca's `MTLS_CA_KEY_ALGORITHM`.
    mtls_key: &'static str,
    /// cfssl's `key` object of the CA request.
    cfssl_key: serde_json::Value,
    postgres: bool,
}

fn config(name: &str) -> anyhow::Result<Config> {
    let (mtls_key, cfssl_key, postgres) = match name {
        "p256-sqlite" => (
            "ecdsa-p256",
            serde_json::json!({"algo": "ecdsa", "size": 256}),
            false,
        ),
        "p256-postgres" => (
            "ecdsa-p256",
            serde_json::json!({"algo": "ecdsa", "size": 256}),
            true,
        ),
        "rsa2048-sqlite" => (
            "rsa-2048",
            serde_json::json!({"algo": "rsa", "size": 2048}),
            false,
        ),
        other => anyhow::bail!("unknown configuration {other}"),
    };
    Ok(Config {
        mtls_key,
        cfssl_key,
        postgres,
    })
}

/// A running server: the process (killed on drop), its store, and the wrk script that loads it.
struct Server {
    child: Child,
    store: Store,
    script: PathBuf,
    url: String,
}

/// Where a server keeps its certificates, to count them afterwards (and drop a Postgres database).
struct Store {
    url: String,
    table: &'static str,
    admin: Option<String>,
}

impl Store {
    async fn count(&self) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", self.table);
        Ok(if self.url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.url).await?;
            sqlx::query_scalar(&sql).fetch_one(&mut c).await?
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
            sqlx::query_scalar(&sql).fetch_one(&mut c).await?
        })
    }

    async fn drop_database(&self) -> anyhow::Result<()> {
        if let Some(admin) = &self.admin {
            let name = url::Url::parse(&self.url)?
                .path()
                .trim_start_matches('/')
                .to_owned();
            let mut c = sqlx::PgConnection::connect(admin).await?;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut c)
                .await?;
        }
        Ok(())
    }
}

/// A new database on the cluster `admin` names; its URL.
async fn create_database(admin: &str, prefix: &str) -> anyhow::Result<String> {
    let name = format!("{prefix}_{}", mtls_ca::model::random_hex_id());
    let mut c = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await?;
    let mut url = url::Url::parse(admin)?;
    url.set_path(&name);
    Ok(url.to_string())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_listening(port: u16, child: &mut Child) -> anyhow::Result<()> {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("server exited before listening: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("server not listening on port {port} after 20 s")
}

/// A wrk script posting `body` with `headers`; `done` prints one machine-readable line.
fn write_script(dir: &Path, body: &str, headers: &[(&str, &str)]) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(!body.contains("]==]"), "body cannot be quoted in Lua");
    let mut lua = format!("wrk.method = \"POST\"\nwrk.body = [==[{body}]==]\n");
    for (k, v) in headers {
        lua.push_str(&format!("wrk.headers[\"{k}\"] = \"{v}\"\n"));
    }
    lua.push_str(
        "done = function(s, latency, requests)\n  io.write(string.format(\
         \"vs_cfssl %d %d %d %d %d %d %d %d %d\\n\", s.requests, s.duration, s.errors.connect,\
         s.errors.read, s.errors.write, s.errors.status, s.errors.timeout,\
         latency:percentile(50), latency:percentile(99)))\nend\n",
    );
    let path = dir.join("post.lua");
    std::fs::write(&path, lua)?;
    Ok(path)
}

/// mtls-ca: `init`, a zone and a write token through the CLI, then `serve` (logs to a file).
async fn start_mtls(
    bin: &Path,
    cfg: &Config,
    admin: Option<&str>,
    dir: &Path,
    csr: &str,
) -> anyhow::Result<Server> {
    let (db_url, admin) = match (cfg.postgres, admin) {
        (true, Some(a)) => (create_database(a, "vs_mtls").await?, Some(a.to_owned())),
        _ => (format!("sqlite://{}", dir.join("ca.db").display()), None),
    };
    let cli = |args: &'static [&'static str]| {
        let (bin, dir, db_url) = (bin.to_owned(), dir.to_owned(), db_url.clone());
        async move {
            let out = Command::new(&bin)
                .args(args)
                .current_dir(&dir)
                .env("MTLS_CA_DATABASE_URL", &db_url)
                .env("MTLS_CA_KEY_ALGORITHM", cfg.mtls_key)
                .stderr(Stdio::inherit())
                .output()
                .await?;
            anyhow::ensure!(out.status.success(), "mtls-ca {args:?} failed");
            let stdout = String::from_utf8(out.stdout)?;
            Ok::<_, anyhow::Error>(stdout.lines().last().unwrap_or_default().to_owned())
        }
    };
    cli(&["init"]).await?;
    let zone = cli(&["zone", "create", "bench.example"]).await?;
    let token = cli(&[
        "token",
        "create",
        "--name",
        "bench",
        "--permission",
        "write",
    ])
    .await?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("serve.log"))?;
    let mut child = Command::new(bin)
        .arg("serve")
        .current_dir(dir)
        .env("MTLS_CA_DATABASE_URL", &db_url)
        .env("MTLS_CA_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?;
    wait_listening(port, &mut child).await?;
    let body = serde_json::json!({"csr": csr, "validity_days": 365}).to_string();
    let auth = format!("Bearer {token}");
    let script = write_script(
        dir,
        &body,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
    )?;
    Ok(Server {
        child,
        store: Store {
            url: db_url,
            table: "client_certificates",
            admin,
        },
        script,
        url: format!("http://127.0.0.1:{port}/client/v4/zones/{zone}/client_certificates"),
    })
}

/// cfssl: a CA from `cfssl genkey -initca`, a client-auth signing profile, its certdb, `serve`.
async fn start_cfssl(
    bin: &Path,
    cfg: &Config,
    admin: Option<&str>,
    dir: &Path,
    csr: &str,
) -> anyhow::Result<Server> {
    let ca_req = serde_json::json!({
        "CN": "cfssl bench CA",
        "key": cfg.cfssl_key,
        "names": [{"O": "bench"}],
        "ca": {"expiry": "87600h"}
    });
    std::fs::write(dir.join("ca-csr.json"), ca_req.to_string())?;
    let out = Command::new(bin)
        .args(["genkey", "-initca", "ca-csr.json"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .output()
        .await
        .context("running cfssl (apt-get install golang-cfssl)")?;
    anyhow::ensure!(out.status.success(), "cfssl genkey -initca failed");
    let ca: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    for (field, file) in [("cert", "ca.pem"), ("key", "ca-key.pem")] {
        let pem = ca[field].as_str().context("cfssl genkey printed no PEM")?;
        std::fs::write(dir.join(file), pem)?;
    }
    let profile = serde_json::json!({"signing": {"default": {
        "usages": ["digital signature", "client auth"],
        "expiry": "8760h"
    }}});
    std::fs::write(dir.join("config.json"), profile.to_string())?;
    let (store, db_config) = match (cfg.postgres, admin) {
        (true, Some(a)) => {
            let url = create_database(a, "vs_cfssl").await?;
            let mut c = sqlx::PgConnection::connect(&url).await?;
            sqlx::raw_sql(CFSSL_PG_SCHEMA).execute(&mut c).await?;
            let dsn = format!("{url}?sslmode=disable");
            let store = Store {
                url,
                table: "certificates",
                admin: Some(a.to_owned()),
            };
            (
                store,
                serde_json::json!({"driver": "postgres", "data_source": dsn}),
            )
        }
        _ => {
            let path = dir.join("certs.db");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::raw_sql("PRAGMA journal_mode=WAL")
                .execute(&mut c)
                .await?;
            sqlx::raw_sql(CFSSL_SQLITE_SCHEMA).execute(&mut c).await?;
            c.close().await?;
            let dsn = format!(
                "file:{}?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000",
                path.display()
            );
            let store = Store {
                url: format!("sqlite://{}", path.display()),
                table: "certificates",
                admin: None,
            };
            (
                store,
                serde_json::json!({"driver": "sqlite3", "data_source": dsn}),
            )
        }
    };
    std::fs::write(dir.join("db.json"), db_config.to_string())?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("serve.log"))?;
    let mut child = Command::new(bin)
        .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
        .args([
            "-ca",
            "ca.pem",
            "-ca-key",
            "ca-key.pem",
            "-config",
            "config.json",
        ])
        .args(["-db-config", "db.json"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?;
    wait_listening(port, &mut child).await?;
    let body = serde_json::json!({"certificate_request": csr}).to_string();
    let script = write_script(dir, &body, &[("Content-Type", "application/json")])?;
    Ok(Server {
        child,
        store,
        script,
        url: format!("http://127.0.0.1:{port}/api/v1/cfssl/sign"),
    })
}

/// What wrk's `done` reported.
struct Load {
    requests: u64,
    seconds: f64,
    errors: u64,
    /// connect, read, write, status >= 400, timeout.
    error_kinds: Vec<u64>,
    p99_ms: f64,
    /// The server process's user and system CPU during the run, microseconds per request.
    cpu_us: (f64, f64),
}

/// User and system CPU seconds of process `pid` so far (`/proc/PID/stat`, in clock ticks of 1/100 s).
fn cpu_seconds(pid: Option<u32>) -> (f64, f64) {
    let stat = pid
        .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after_name
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    let tick = |i: usize| fields.get(i).copied().unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

async fn wrk(args: &Args, server: &Server, seconds: u64) -> anyhow::Result<Load> {
    let pid = server.child.id();
    let before = cpu_seconds(pid);
    let out = Command::new("wrk")
        .arg(format!("-t{}", args.threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{seconds}s"))
        .arg(format!("--timeout={}s", args.timeout))
        .arg("-s")
        .arg(&server.script)
        .arg(&server.url)
        .output()
        .await
        .context("running wrk (apt-get install wrk)")?;
    let stdout = String::from_utf8(out.stdout)?;
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("vs_cfssl "))
        .with_context(|| format!("no result from wrk: {stdout}"))?;
    let n: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(n.len() == 9, "unexpected wrk result {line}");
    let after = cpu_seconds(pid);
    let per_request = |a: f64, b: f64| (a - b) * 1e6 / n[0].max(1) as f64;
    Ok(Load {
        cpu_us: (
            per_request(after.0, before.0),
            per_request(after.1, before.1),
        ),
        requests: n[0],
        seconds: n[1] as f64 / 1e6,
        errors: n[2..7].iter().sum(),
        error_kinds: n[2..7].to_vec(),
        p99_ms: n[8] as f64 / 1e3,
    })
}

/// One side of a pair: a fresh server, warm-up, the measured run, then the store checked.
/// The run's figures, and what failed the checks (wrk's errors, rows missing from the store).
async fn measure(
    args: &Args,
    side: Side,
    cfg: &Config,
    csr: &str,
) -> anyhow::Result<(Load, Vec<String>)> {
    let dir = tempfile::tempdir()?;
    let admin = args.database_url.as_deref();
    let server = match side {
        Side::MtlsCa => {
            let bin = args
                .mtls_ca
                .clone()
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mtls-ca")));
            start_mtls(&bin, cfg, admin, dir.path(), csr).await?
        }
        Side::Cfssl => start_cfssl(&args.cfssl, cfg, admin, dir.path(), csr).await?,
    };
    let warm = wrk(args, &server, args.warmup).await?;
    let load = wrk(args, &server, args.duration).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stored = server.store.count().await?;
    let answered = (warm.requests + load.requests) as i64;
    let in_flight = 2 * args.connections as i64;
    let log = std::fs::read_to_string(dir.path().join("serve.log"))?;
    // What the server said about failed requests: cfssl's `[ERROR]` lines and request lines
    // without a 200, mtls-ca's ERROR/WARN lines (its request lines carry `status=`).
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("ERROR")
                || (l.contains("WARN") && !l.contains("[WARNING]"))
                || (l.contains("\"POST ") && !l.ends_with(" 200"))
                || (l.contains("status=") && !l.contains("status=200"))
        })
        .take(3)
        .collect();
    let mut failures = Vec::new();
    if warm.errors + load.errors > 0 {
        failures.push(format!(
            "{}: wrk counted errors (connect, read, write, status, timeout) {:?} in the warm-up, \
             {:?} in the run; the server logged {complaints:?}",
            side.name(),
            warm.error_kinds,
            load.error_kinds,
        ));
    }
    if stored < answered || stored > answered + in_flight {
        failures.push(format!(
            "{}: {stored} certificates stored for {answered} answered",
            side.name()
        ));
    }
    drop(server.child);
    server.store.drop_database().await?;
    Ok((load, failures))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.database_url.is_none() {
        args.database_url = std::env::var("BENCH_DATABASE_URL").ok();
    }
    let cfssl_version = Command::new(&args.cfssl).arg("version").output().await?;
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec!["svc.bench.internal".to_owned()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "svc.bench.internal");
    let csr = params.serialize_request(&key)?.pem()?;
    println!(
        "POST of one P-256 CSR, wrk -t{} -c{} -d{}s --timeout={}s (after {}s warm-up), {} alternating pairs",
        args.threads, args.connections, args.duration, args.timeout, args.warmup, args.pairs
    );
    println!(
        "cfssl: {}",
        String::from_utf8_lossy(&cfssl_version.stdout).replace('\n', " ")
    );
    println!("load average at start: {}", load_average().trim());
    let mut summary = Vec::new();
    let mut failures = Vec::new();
    for name in &args.configs {
        let cfg = config(name)?;
        if cfg.postgres && args.database_url.is_none() {
            println!("### {name}: skipped (no --database-url or BENCH_DATABASE_URL)");
            continue;
        }
        println!("### {name}");
        let mut ratios = Vec::new();
        let mut p99_ratios = Vec::new();
        for pair in 1..=args.pairs {
            let order = if pair % 2 == 1 {
                [Side::MtlsCa, Side::Cfssl]
            } else {
                [Side::Cfssl, Side::MtlsCa]
            };
            let mut loads = Vec::new();
            for side in order {
                let (load, failed) = measure(&args, side, &cfg, &csr).await?;
                for f in &failed {
                    println!("  CHECK FAILED, pair {pair}: {f}");
                }
                failures.extend(
                    failed
                        .into_iter()
                        .map(|f| format!("{name} pair {pair}: {f}")),
                );
                loads.push((side, load));
            }
            loads.sort_by_key(|(side, _)| *side == Side::Cfssl);
            let (m, c) = (&loads[0].1, &loads[1].1);
            let (m_rate, c_rate) = (m.requests as f64 / m.seconds, c.requests as f64 / c.seconds);
            ratios.push(m_rate / c_rate);
            p99_ratios.push(m.p99_ms / c.p99_ms);
            println!(
                "pair {pair}: mtls-ca {m_rate:.0}/s p99 {:.1} ms | cfssl {c_rate:.0}/s p99 {:.1} ms | ratio {:.2}x, p99 mtls-ca/cfssl {:.2}",
                m.p99_ms,
                c.p99_ms,
                m_rate / c_rate,
                m.p99_ms / c.p99_ms
            );
            println!(
                "  server CPU per request (user+sys, us): mtls-ca {:.0}+{:.0}, cfssl {:.0}+{:.0}",
                m.cpu_us.0, m.cpu_us.1, c.cpu_us.0, c.cpu_us.1
            );
        }
        let (r, p) = (median(ratios), median(p99_ratios));
        println!("{name}: median ratio {r:.2}x, median p99 mtls-ca/cfssl {p:.2}");
        summary.push((name.clone(), r, p));
    }
    println!("load average at end: {}", load_average().trim());
    for (name, r, p) in summary {
        println!("summary {name}: {r:.2}x cfssl, p99 {p:.2} of cfssl's");
    }
    anyhow::ensure!(
        failures.is_empty(),
        "{} run(s) failed a check:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
