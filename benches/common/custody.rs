//! Key custody for the benchmarks: a SoftHSM2 token in a temporary folder, or a signer process on
//! a unix socket, applied to the settings of one run.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mtls_ca::config::Settings;

/// Debian's SoftHSM2 module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// What holds the CA key during a run; dropped, it stops the signer process.
pub enum Custody {
    /// Sealed in the database, in-process.
    Local,
    /// A SoftHSM2 token.
    Pkcs11,
    /// `mtls-ca signer` (release build) on a unix socket.
    Remote(Child),
}

impl Drop for Custody {
    fn drop(&mut self) {
        if let Custody::Remote(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Makes a SoftHSM2 token in `dir` and points this process at it. Call before any thread that
/// could read the environment exists.
pub fn softhsm_token(dir: &Path) -> anyhow::Result<()> {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens)?;
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )?;
    let status = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "bench",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .stdout(Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "softhsm2-util --init-token failed");
    std::env::set_var("SOFTHSM2_CONF", &conf);
    Ok(())
}

/// Sets up `name` (`local`, `pkcs11`, `remote`) for a run whose files live in `dir`.
pub fn apply(name: &str, settings: &mut Settings, dir: &Path) -> anyhow::Result<Custody> {
    match name {
        "local" => Ok(Custody::Local),
        "pkcs11" => {
            settings.signer = "pkcs11".into();
            settings.pkcs11_module = Some(SOFTHSM_MODULE.into());
            settings.pkcs11_token = Some("bench".into());
            settings.pkcs11_pin = Some("1234".into());
            Ok(Custody::Pkcs11)
        }
        "remote" => {
            let socket = dir.join("signer.sock");
            let child = Command::new(env!("CARGO_BIN_EXE_mtls-ca"))
                .args(["signer", "--listen", &format!("unix:{}", socket.display())])
                .env(
                    "MTLS_CA_DATABASE_URL",
                    format!("sqlite://{}", dir.join("keys.db").display()),
                )
                .env("RUST_LOG", "warn")
                .env_remove("MTLS_CA_SIGNER")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()?;
            let custody = Custody::Remote(child);
            for _ in 0..200 {
                if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                    settings.signer = format!("remote:unix:{}", socket.display());
                    return Ok(custody);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            anyhow::bail!("the signer did not listen on {}", socket.display())
        }
        other => anyhow::bail!("--signers: unknown custody {other:?}"),
    }
}
