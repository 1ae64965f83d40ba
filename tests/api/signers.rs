//! Key custody for tests: a SoftHSM2 token in a temporary folder, a signer process on a unix
//! socket, and `TEST_SIGNER` (`local`, `pkcs11`, `remote`), which runs whole suites with the CA
//! keys in a token or in a signer process instead of the database.
//!
//! With `TEST_SIGNER=pkcs11` the test process itself loads the module, so `SOFTHSM2_CONF` and
//! `MTLS_CA_PKCS11_MODULE`, `MTLS_CA_PKCS11_TOKEN`, `MTLS_CA_PKCS11_PIN` must name an initialised
//! token (`scripts/test-all` makes one) for the in-process apps; each `mtls-ca` process a test
//! starts gets a token of its own (see [`custody_envs`]).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::BIN;

/// Debian's SoftHSM2 module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Outside CI a missing tool skips the caller's test; under CI it is a failure.
pub fn have_softhsm() -> bool {
    let ok = Path::new(SOFTHSM_MODULE).exists()
        && Command::new("softhsm2-util")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "SoftHSM2 is missing: apt-get install softhsm2 opensc"
        );
        crate::skips::skipped(
            "the PKCS#11 (SoftHSM2) tests",
            "apt-get install softhsm2 opensc",
        );
    }
    ok
}

/// A fresh SoftHSM2 token in its own folder.
pub struct SoftHsm {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub label: String,
    pub pin: String,
}

impl SoftHsm {
    /// Initialises a token labelled `mtls-ca-test` with user PIN 1234.
    pub fn new() -> SoftHsm {
        let dir = tempfile::tempdir().expect("temp dir");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("token dir");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        let hsm = SoftHsm {
            dir,
            conf,
            label: "mtls-ca-test".into(),
            pin: "1234".into(),
        };
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", &hsm.label])
            .args(["--pin", &hsm.pin, "--so-pin", "5678"])
            .env("SOFTHSM2_CONF", &hsm.conf)
            .output()
            .expect("run softhsm2-util");
        assert!(
            out.status.success(),
            "softhsm2-util: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        hsm
    }

    /// The environment of an `mtls-ca` process that keeps its keys in this token.
    pub fn envs(&self) -> Vec<(String, String)> {
        vec![
            ("SOFTHSM2_CONF".into(), self.conf.display().to_string()),
            ("MTLS_CA_SIGNER".into(), "pkcs11".into()),
            ("MTLS_CA_PKCS11_MODULE".into(), SOFTHSM_MODULE.into()),
            ("MTLS_CA_PKCS11_TOKEN".into(), self.label.clone()),
            ("MTLS_CA_PKCS11_PIN".into(), self.pin.clone()),
        ]
    }

    /// `pkcs11-tool --list-objects --type privkey` of the token (OpenSC, not our code).
    pub fn private_key_objects(&self) -> String {
        let out = Command::new("pkcs11-tool")
            .args(["--module", SOFTHSM_MODULE, "--token-label", &self.label])
            .args([
                "--login",
                "--pin",
                &self.pin,
                "--list-objects",
                "--type",
                "privkey",
            ])
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("run pkcs11-tool (apt-get install opensc)");
        assert!(out.status.success(), "pkcs11-tool: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// `mtls-ca signer` on a unix socket in its own folder, with its own database; killed on drop.
pub struct SignerProcess {
    /// Its folder: socket, key database, logs.
    pub root: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pub socket: PathBuf,
    pub db_url: String,
    /// `host:port` when it listens with mutual TLS instead of on the socket.
    pub https: Option<String>,
    envs: Vec<(String, String)>,
    child: Option<Child>,
    runs: u32,
}

impl SignerProcess {
    /// A signer with the local backend (keys sealed in its own SQLite database).
    pub fn start() -> SignerProcess {
        Self::start_with(Vec::new())
    }

    /// A signer with extra environment (a token's, say).
    pub fn start_with(envs: Vec<(String, String)>) -> SignerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        Self::start_at(root, Some(dir), envs)
    }

    /// A signer listening on `https://{authority}` with mutual TLS (its `MTLS_CA_SIGNER_*`
    /// variables in `envs`).
    pub fn start_https(authority: &str, envs: Vec<(String, String)>) -> SignerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let mut signer = SignerProcess {
            socket: root.join("unused.sock"),
            db_url: format!("sqlite://{}", root.join("signer-keys.db").display()),
            root,
            _tmp: Some(dir),
            https: Some(authority.to_owned()),
            envs,
            child: None,
            runs: 0,
        };
        signer.restart();
        signer
    }

    /// A signer whose folder (and so its keys) outlives it: another one started on `root` later
    /// holds the same keys.
    pub fn start_in(root: PathBuf) -> SignerProcess {
        std::fs::create_dir_all(&root).expect("signer folder");
        Self::start_at(root, None, Vec::new())
    }

    fn start_at(
        root: PathBuf,
        tmp: Option<tempfile::TempDir>,
        envs: Vec<(String, String)>,
    ) -> SignerProcess {
        let socket = root.join("signer.sock");
        let db_url = format!("sqlite://{}", root.join("signer-keys.db").display());
        let mut signer = SignerProcess {
            root,
            _tmp: tmp,
            socket,
            db_url,
            https: None,
            envs,
            child: None,
            runs: 0,
        };
        signer.restart();
        signer
    }

    /// `remote:unix:/path`, the `MTLS_CA_SIGNER` of its clients.
    pub fn url(&self) -> String {
        match &self.https {
            Some(authority) => format!("remote:https://{authority}"),
            None => format!("remote:unix:{}", self.socket.display()),
        }
    }

    /// The signer's log so far (every run).
    pub fn log(&self) -> String {
        (1..=self.runs)
            .map(|n| std::fs::read_to_string(self.root.join(format!("signer-{n}.log"))))
            .filter_map(Result::ok)
            .collect()
    }

    /// SIGKILLs the signer.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) and waits until the socket answers.
    pub fn restart(&mut self) {
        self.kill();
        self.runs += 1;
        let log = std::fs::File::create(self.root.join(format!("signer-{}.log", self.runs)))
            .expect("log");
        let mut cmd = Command::new(BIN);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MTLS_CA_") {
                cmd.env_remove(&name);
            }
        }
        let listen = match &self.https {
            Some(authority) => format!("https://{authority}"),
            None => format!("unix:{}", self.socket.display()),
        };
        cmd.args(["signer", "--listen", &listen])
            .current_dir(&self.root)
            .env_remove("RUST_LOG")
            .env("MTLS_CA_DATABASE_URL", &self.db_url)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut child = cmd.spawn().expect("spawn mtls-ca signer");
        for _ in 0..300 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the signer exited with {status}: {}", self.log());
            }
            let up = match &self.https {
                Some(authority) => std::net::TcpStream::connect(authority).is_ok(),
                None => std::os::unix::net::UnixStream::connect(&self.socket).is_ok(),
            };
            if up {
                self.child = Some(child);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the signer did not listen in 15 s: {}", self.log());
    }
}

impl Drop for SignerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The custody the suites run with, from `TEST_SIGNER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestSigner {
    /// Keys sealed in the database (the default).
    Local,
    /// Keys in the token `MTLS_CA_PKCS11_*` names.
    Pkcs11,
    /// Keys in a signer process started per app.
    Remote,
}

/// `TEST_SIGNER`.
pub fn test_signer() -> TestSigner {
    match std::env::var("TEST_SIGNER").as_deref() {
        Ok("pkcs11") => TestSigner::Pkcs11,
        Ok("remote") => TestSigner::Remote,
        Ok("local") | Ok("") | Err(_) => TestSigner::Local,
        Ok(other) => panic!("TEST_SIGNER={other:?}: expected local, pkcs11 or remote"),
    }
}

/// What keeps a process's key custody alive: the signer process it talks to, or its own token.
pub enum Keeper {
    Nothing,
    Signer(SignerProcess),
    Token(SoftHsm),
}

/// The custody environment of an `mtls-ca` process under `TEST_SIGNER`, starting a signer
/// process when one is needed. Under `pkcs11` each process gets a token of its own: SoftHSM 2.6
/// fails calls (CKR_GENERAL_ERROR from C_GetTokenInfo, seen in CI) when another process writes
/// the same token directory meanwhile, and the in-process apps write the shared one.
pub fn custody_envs() -> (Vec<(String, String)>, Keeper) {
    match test_signer() {
        TestSigner::Local => (Vec::new(), Keeper::Nothing),
        TestSigner::Pkcs11 => {
            let token = SoftHsm::new();
            (token.envs(), Keeper::Token(token))
        }
        TestSigner::Remote => {
            let signer = SignerProcess::start();
            (
                vec![("MTLS_CA_SIGNER".into(), signer.url())],
                Keeper::Signer(signer),
            )
        }
    }
}
