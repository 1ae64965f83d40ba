//! Cloudflare's official SDKs against a running server, with only the base URL changed: the Python
//! SDK (PyPI `cloudflare`) and the TypeScript/JavaScript SDK (npm `cloudflare`), on every engine.

use std::path::PathBuf;
use std::process::Command;

use mtls_ca::model::Permission;
use secrecy::ExposeSecret;

use crate::helpers::*;

/// The npm SDK's folder, or `None` (skip) when `npm ci` has not been run there; under CI that is a failure.
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

/// Runs an SDK check script (`program script`) against a fresh app on each engine: the script gets
/// the base URL, a zone, a write and a read token, a user's email and key, a file of 12 CSRs, and a
/// certificate issued before a CA rotation with the CAs before and after it.
async fn run_check(program: PathBuf, script: PathBuf, label: &str) {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let read_token = app.new_token(Permission::Read, &[]).await;
        let email = format!("{label}@example.com");
        let key = app
            .services
            .create_user(&email, mtls_ca::clock::now())
            .await
            .expect("user");
        let dir = tempfile::tempdir().expect("dir");
        let csrs: Vec<String> = (0..12).map(|i| csr_p256(&format!("{label}-{i}"))).collect();
        let csr_file = dir.path().join("csrs.json");
        std::fs::write(&csr_file, serde_json::to_string(&csrs).expect("json")).expect("write");
        let old_ca = app.ca_id();
        let old_cert = app.issue(&csr_p256("before-rotation"), 30).await;
        let new_ca = app
            .services
            .cas
            .rotate(None, mtls_ca::clock::now())
            .await
            .expect("rotate")
            .id
            .clone();
        let mut cmd = Command::new(&program);
        cmd.arg(&script)
            .env("MTLS_CA_OLD_CERT", old_cert["id"].as_str().expect("id"))
            .env("MTLS_CA_OLD_CA", old_ca)
            .env("MTLS_CA_NEW_CA", new_ca)
            .env("MTLS_CA_BASE_URL", &app.base)
            .env("MTLS_CA_ZONE", &app.zone)
            .env("MTLS_CA_TOKEN", &app.token)
            .env("MTLS_CA_READ_TOKEN", read_token)
            .env("MTLS_CA_EMAIL", &email)
            .env("MTLS_CA_KEY", key.expose_secret())
            .env("MTLS_CA_CSRS", &csr_file);
        if let Some(folder) = script.parent() {
            cmd.current_dir(folder);
        }
        // The SDKs read defaults from these; the checks configure every client explicitly.
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
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("the SDK check runs"))
            .await
            .expect("task");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{label} check failed on {engine:?}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("passed, 0 failed"), "{stdout}");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_official_python_sdk_creates_lists_revokes_and_gets_typed_errors() {
    let Some(python) = venv_python("cloudflare") else {
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/python_sdk_check.py");
    run_check(python, script, "sdk-python").await;
}

#[tokio::test]
async fn the_official_node_sdk_creates_lists_revokes_and_gets_typed_errors() {
    let Some(dir) = node_sdk_dir() else {
        return;
    };
    run_check(PathBuf::from("node"), dir.join("sdk_check.mjs"), "sdk-node").await;
}
