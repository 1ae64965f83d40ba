//! Cloudflare's official TypeScript/JavaScript SDK (npm `cloudflare`) against a running server, with only
//! the base URL changed.

use std::path::PathBuf;
use std::process::Command;

use mtls_ca::model::Permission;
use secrecy::ExposeSecret;

use crate::helpers::*;

/// The SDK's folder, or `None` (skip) when `npm ci` has not been run there; under CI that is a failure.
fn node_sdk_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/node");
    if dir.join("node_modules/cloudflare/package.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the cloudflare npm package is missing: run `npm ci --prefix tests/sdk/node`"
    );
    eprintln!(
        "skipped: tests/sdk/node/node_modules lacks cloudflare (npm ci --prefix tests/sdk/node)"
    );
    None
}

#[tokio::test]
async fn the_official_node_sdk_creates_lists_revokes_and_gets_typed_errors() {
    let Some(dir) = node_sdk_dir() else {
        return;
    };
    let app = TestApp::spawn(Engine::Sqlite).await;
    let read_token = app.new_token(Permission::Read, &[]).await;
    let key = app
        .services
        .create_user("sdk-node@example.com", mtls_ca::clock::now())
        .await
        .expect("user");
    let tmp = tempfile::tempdir().expect("dir");
    let csrs: Vec<String> = (0..12)
        .map(|i| csr_p256(&format!("sdk-node-{i}")))
        .collect();
    let csr_file = tmp.path().join("csrs.json");
    std::fs::write(&csr_file, serde_json::to_string(&csrs).expect("json")).expect("write");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking({
        let (zone, token) = (app.zone.clone(), app.token.clone());
        let key = key.expose_secret().to_owned();
        move || {
            let mut cmd = Command::new("node");
            cmd.arg(dir.join("sdk_check.mjs"))
                .current_dir(&dir)
                .env("MTLS_CA_BASE_URL", base)
                .env("MTLS_CA_ZONE", zone)
                .env("MTLS_CA_TOKEN", token)
                .env("MTLS_CA_READ_TOKEN", read_token)
                .env("MTLS_CA_EMAIL", "sdk-node@example.com")
                .env("MTLS_CA_KEY", key)
                .env("MTLS_CA_CSRS", csr_file);
            // The SDK reads defaults from these; the check configures every client explicitly.
            for var in [
                "CLOUDFLARE_API_TOKEN",
                "CLOUDFLARE_API_KEY",
                "CLOUDFLARE_EMAIL",
                "CLOUDFLARE_API_USER_SERVICE_KEY",
                "CLOUDFLARE_BASE_URL",
                "CLOUDFLARE_LOG",
                "CLOUDFLARE_CUSTOM_HEADERS",
            ] {
                cmd.env_remove(var);
            }
            cmd.output().expect("node runs (is Node.js on PATH?)")
        }
    })
    .await
    .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Node SDK check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{stdout}");
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    app.stop().await;
}
