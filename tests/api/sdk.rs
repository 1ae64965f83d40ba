//! Cloudflare's official SDKs against a running server, with only the base URL changed: the Python
//! SDK (PyPI `cloudflare`), the TypeScript/JavaScript SDK (npm `cloudflare`) and the Go SDK
//! (`github.com/cloudflare/cloudflare-go/v7`; client certificates, zones and user tokens), on
//! every engine. Python and TypeScript provision zones and tokens in tests/api/admin.rs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use mtls_ca::model::Permission;
use secrecy::ExposeSecret;

use crate::helpers::*;

/// The npm SDK's folder, or `None` (skip) when `npm ci` has not been run there; under CI that is a failure.
pub(crate) fn node_sdk_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/node");
    if dir.join("node_modules/cloudflare/package.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the cloudflare npm package is missing: run `npm ci --prefix tests/sdk/node`"
    );
    crate::skips::skipped("the TypeScript SDK tests", "npm ci --prefix tests/sdk/node");
    None
}

/// The Go SDK check, built into the target folder from `tests/sdk/go`, or `None` (skip) when `go`
/// is not on PATH or the modules cannot be fetched; under CI either is a failure.
fn go_sdk_check() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/go");
    let go = |args: &[&str]| {
        Command::new("go")
            .args(args)
            .current_dir(&dir)
            .env("GOFLAGS", "-mod=readonly -buildvcs=false")
            .output()
    };
    let skip = |why: String| {
        assert!(
            std::env::var_os("CI").is_none(),
            "the Go SDK check cannot run: {why}"
        );
        crate::skips::skipped(
            &format!("the Go SDK test ({why})"),
            "install Go; cd tests/sdk/go && go mod download",
        );
        None
    };
    match go(&["version"]) {
        Ok(out) if out.status.success() => {}
        _ => return skip("`go` is not on PATH".into()),
    }
    match go(&["mod", "download"]) {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            return skip(format!("`go mod download` in tests/sdk/go failed:\n{err}"));
        }
        Err(e) => return skip(format!("`go mod download` did not run: {e}")),
    }
    let program = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdkcheck-go");
    let out = go(&["build", "-o", program.to_str().expect("utf-8 path"), "."]).expect("go build");
    assert!(
        out.status.success(),
        "go build in tests/sdk/go failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(program)
}

/// Runs an SDK check (`program` in `dir`, once per phase with that phase's arguments) against a
/// fresh app on each engine, running the worker once between phases. The check gets the base URL,
/// a zone, a write and a read token, a user's email and key, a file of 12 CSRs, a certificate
/// issued before a CA rotation with the CAs before and after it, and `MTLS_CA_STATE`, a file it
/// may keep state in from one phase to the next.
async fn run_check(program: &Path, phases: &[Vec<OsString>], dir: &Path, label: &str) {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let read_token = app.new_token(Permission::Read, &[]).await;
        let email = format!("{label}@example.com");
        let key = app
            .services
            .create_user(&app.cli(), &email, mtls_ca::clock::now())
            .await
            .expect("user");
        let tmp = tempfile::tempdir().expect("dir");
        let csrs: Vec<String> = (0..12).map(|i| csr_p256(&format!("{label}-{i}"))).collect();
        let csr_file = tmp.path().join("csrs.json");
        std::fs::write(&csr_file, serde_json::to_string(&csrs).expect("json")).expect("write");
        let old_ca = app.ca_id();
        let old_cert = app.issue(&csr_p256("before-rotation"), 30).await;
        let new_ca = app
            .services
            .cas
            .rotate(&app.cli(), None, mtls_ca::clock::now())
            .await
            .expect("rotate")
            .id
            .clone();
        // Over HTTPS each SDK trusts the CA bundle and nothing else: httpx's verify= (Python),
        // NODE_EXTRA_CA_CERTS (Node), SSL_CERT_FILE (Go's crypto/x509).
        let bundle = tmp.path().join("bundle.pem");
        let pem = app
            .services
            .cas
            .bundle_pem(mtls_ca::clock::now())
            .await
            .expect("bundle");
        std::fs::write(&bundle, pem).expect("write");
        for (i, args) in phases.iter().enumerate() {
            if i > 0 {
                app.run_worker().await;
            }
            let mut cmd = Command::new(program);
            if app.base.starts_with("https://") {
                cmd.env("MTLS_CA_CA_BUNDLE", &bundle)
                    .env("NODE_EXTRA_CA_CERTS", &bundle)
                    .env("SSL_CERT_FILE", &bundle);
            }
            cmd.args(args)
                .current_dir(dir)
                .env("MTLS_CA_STATE", tmp.path().join("state.json"))
                .env("MTLS_CA_OLD_CERT", old_cert["id"].as_str().expect("id"))
                .env("MTLS_CA_OLD_CA", &old_ca)
                .env("MTLS_CA_NEW_CA", &new_ca)
                .env("MTLS_CA_BASE_URL", &app.base)
                .env("MTLS_CA_ZONE", &app.zone)
                .env("MTLS_CA_TOKEN", &app.token)
                .env("MTLS_CA_READ_TOKEN", &read_token)
                .env("MTLS_CA_EMAIL", &email)
                .env("MTLS_CA_KEY", key.expose_secret())
                .env("MTLS_CA_CSRS", &csr_file);
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
            let out =
                tokio::task::spawn_blocking(move || cmd.output().expect("the SDK check runs"))
                    .await
                    .expect("task");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{label} check (phase {i}) failed on {engine:?}:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("passed, 0 failed"), "{stdout}");
            eprintln!("{label} on {engine:?}, phase {i}: {}", stdout.trim());
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn the_official_python_sdk_creates_lists_revokes_and_gets_typed_errors() {
    let Some(python) = venv_python("cloudflare") else {
        return;
    };
    let sdk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    let script = sdk.join("python_sdk_check.py");
    run_check(&python, &[vec![script.into()]], &sdk, "sdk-python").await;
}

#[tokio::test]
async fn the_official_node_sdk_creates_lists_revokes_and_gets_typed_errors() {
    let Some(dir) = node_sdk_dir() else {
        return;
    };
    let script = dir.join("sdk_check.mjs");
    run_check(Path::new("node"), &[vec![script.into()]], &dir, "sdk-node").await;
}

/// The Go SDK in two phases: client certificates, then zones and user tokens with the user's
/// Global API Key (tests/sdk/go/admin.go); then, after one worker run, the certificates it left
/// pending read `revoked` and `active`.
#[tokio::test]
async fn the_official_go_sdk_issues_revokes_provisions_zones_and_tokens_and_gets_typed_errors() {
    let Some(program) = go_sdk_check() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/go");
    let phases = [vec!["check".into()], vec!["after-worker".into()]];
    run_check(&program, &phases, &dir, "sdk-go").await;
}
