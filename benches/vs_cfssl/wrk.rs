//! The load: a wrk script that posts one body and prints one machine-readable line, a wrk run
//! read back from that line, and the server's CPU time during it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::process::Command;

use crate::server::Server;
use crate::Args;

/// A wrk script posting `body` with `headers`; `done` prints one machine-readable line.
pub fn write_script(dir: &Path, body: &str, headers: &[(&str, &str)]) -> anyhow::Result<PathBuf> {
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

/// What wrk's `done` reported.
pub struct Load {
    /// Requests answered.
    pub requests: u64,
    /// How long the run took.
    pub seconds: f64,
    /// Errors of every kind.
    pub errors: u64,
    /// connect, read, write, status >= 400, timeout.
    pub error_kinds: Vec<u64>,
    /// The 99th percentile of latency, milliseconds.
    pub p99_ms: f64,
    /// The server process's user and system CPU during the run, microseconds per request.
    pub cpu_us: (f64, f64),
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

/// Runs wrk on `server` for `seconds`, as `args` say; what it reported.
pub async fn wrk(args: &Args, server: &Server, seconds: u64) -> anyhow::Result<Load> {
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
