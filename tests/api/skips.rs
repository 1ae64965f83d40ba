//! What this run could not test, said once at its end: each test that skips for want of a tool
//! records why, and when the test binary exits the list is printed with the one command that sets
//! everything up and runs it all (`scripts/test-all`). A passing `cargo test` that skipped suites
//! says so where it cannot be missed.

use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

static SKIPPED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static AT_EXIT: Once = Once::new();

/// Records that `what` did not run, and how to make it run (`how`).
pub fn skipped(what: &str, how: &str) {
    eprintln!("skipped: {what} ({how})");
    SKIPPED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(format!("{what}: {how}"));
    AT_EXIT.call_once(|| {
        // SAFETY: `summary` is an `extern "C" fn()` that neither unwinds nor calls `exit`.
        unsafe {
            libc::atexit(summary);
        }
    });
}

/// The engines a test ran on lacked Postgres: every test's Postgres half is skipped.
pub fn postgres_skipped() {
    skipped(
        "the Postgres half of every test, the replica and outage suites",
        "set TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/postgres",
    );
}

/// The console's browser suite did not run (`why`: chromium or its node modules are missing).
pub fn console_skipped(why: &str) {
    skipped(
        &format!("the web console in chromium ({why})"),
        "apt-get install chromium; npm ci --prefix tests/console --no-audit --no-fund",
    );
}

extern "C" fn summary() {
    let skipped = match SKIPPED.lock() {
        Ok(s) => s.clone(),
        Err(p) => p.into_inner().clone(),
    };
    if skipped.is_empty() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        eprintln!();
        eprintln!(
            "==== SKIPPED: {} kind(s) of test did not run here; a pass above does not cover them:",
            skipped.len()
        );
        for s in &skipped {
            eprintln!("====   - {s}");
        }
        eprintln!("==== To set up everything they need and run them all: scripts/test-all");
    });
}
