//! Cloudflare's official Python SDK against a running server, with only the base URL changed.

use std::path::PathBuf;
use std::process::Command;

use mtls_ca::model::Permission;
use secrecy::ExposeSecret;

use crate::helpers::*;

#[tokio::test]
async fn the_official_python_sdk_creates_lists_revokes_and_gets_typed_errors() {
    let Some(python) = venv_python("cloudflare") else {
        return;
    };
    let app = TestApp::spawn(Engine::Sqlite).await;
    let read_token = app.new_token(Permission::Read, &[]).await;
    let key = app
        .services
        .create_user("sdk@example.com", mtls_ca::clock::now())
        .await
        .expect("user");
    let dir = tempfile::tempdir().expect("dir");
    let csrs: Vec<String> = (0..12).map(|i| csr_p256(&format!("sdk-{i}"))).collect();
    let csr_file = dir.path().join("csrs.json");
    std::fs::write(&csr_file, serde_json::to_string(&csrs).expect("json")).expect("write");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/python_sdk_check.py");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking({
        let (zone, token) = (app.zone.clone(), app.token.clone());
        let key = key.expose_secret().to_owned();
        move || {
            Command::new(python)
                .arg(script)
                .env("MTLS_CA_BASE_URL", base)
                .env("MTLS_CA_ZONE", zone)
                .env("MTLS_CA_TOKEN", token)
                .env("MTLS_CA_READ_TOKEN", read_token)
                .env("MTLS_CA_EMAIL", "sdk@example.com")
                .env("MTLS_CA_KEY", key)
                .env("MTLS_CA_CSRS", csr_file)
                .output()
                .expect("python runs")
        }
    })
    .await
    .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SDK check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    app.stop().await;
}
