//! The whole web console in Debian's chromium, driven by Playwright (tests/console/console_check.mjs)
//! against a real `mtls-ca serve`, with a screenshot and an axe-core check of every page under
//! target/console-screenshots/. Skips when chromium or tests/console/node_modules is missing,
//! except under CI=true, where that is a failure.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;

use crate::process::{last_line, Home};

/// The console suite's folder, or `None` (skip) without chromium or `npm ci`; under CI a failure.
fn browser_suite() -> Option<(PathBuf, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/console");
    let chromium =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let missing = if !chromium.is_file() {
        Some("chromium is not installed (apt-get install chromium)")
    } else if !dir
        .join("node_modules/playwright-core/package.json")
        .is_file()
        || !dir
            .join("node_modules/@axe-core/playwright/package.json")
            .is_file()
    {
        Some("tests/console/node_modules is missing (npm ci --prefix tests/console)")
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "the console suite cannot run: {why}"
        );
        crate::skips::console_skipped(why);
        return None;
    }
    Some((dir, chromium))
}

#[tokio::test]
async fn the_console_in_chromium_issues_by_browser_key_finds_revokes_and_reactivates_and_stays_read_only_for_a_read_token(
) {
    let Some((dir, chromium)) = browser_suite() else {
        return;
    };
    let home = Home::new();
    let zone = last_line(&home.ok(&["zone", "create", "console.example"]).await).to_owned();
    let write = home
        .ok(&[
            "token",
            "create",
            "--name",
            "console-write",
            "--permission",
            "write",
        ])
        .await;
    let read = home
        .ok(&[
            "token",
            "create",
            "--name",
            "console-read",
            "--permission",
            "read",
        ])
        .await;
    let key = home
        .ok(&["user", "create", "--email", "admin@console.example"])
        .await;
    let mut server = home.serve_with(&[("MTLS_CA_WORKER_INTERVAL", "1")]).await;
    for i in 0..3 {
        let (status, _) = server
            .issue(
                &zone,
                &[("Authorization", &format!("Bearer {}", last_line(&write)))],
                &format!("seeded-{i}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    let (base, write, read, key) = (
        server.base.clone(),
        last_line(&write).to_owned(),
        last_line(&read).to_owned(),
        last_line(&key).to_owned(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("console_check.mjs"))
            .current_dir(&dir)
            .env("MTLS_CA_BASE_URL", base)
            .env("MTLS_CA_WRITE_TOKEN", write)
            .env("MTLS_CA_READ_TOKEN", read)
            .env("MTLS_CA_EMAIL", "admin@console.example")
            .env("MTLS_CA_KEY", key)
            .env("MTLS_CA_SCREENSHOTS", &shots)
            .env("CHROMIUM", chromium)
            .output()
            .expect("node runs")
    })
    .await
    .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "console check failed:\n{stdout}\n{stderr}\nserve log:\n{}",
        server.log()
    );
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    eprintln!("{}", stdout.trim());
    server.terminate().await;
}
