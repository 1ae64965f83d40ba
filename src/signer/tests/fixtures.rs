//! Shared fixtures: one CA per algorithm (made once: RSA-4096 takes seconds), test CSRs, and openssl.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use rcgen::{CertificateParams, DnType, KeyPair, SanType};

use crate::model::KeyAlgorithm;
use secrecy::{ExposeSecret, SecretString};

use crate::signer::{
    keys, sealed, LocalCustody, LocalKey, NewCa, SealedKey, Signer, SignerError, StoredKey,
};

/// 2026-01-01T00:00:00Z, the "now" of every test CA.
pub(super) const NOW: i64 = 1_767_225_600;
pub(super) const DAY: i64 = 86_400;

/// A self-signed CA whose key is sealed with `passphrase` (local custody).
pub(super) fn create_ca(
    alg: KeyAlgorithm,
    common_name: &str,
    now: i64,
    passphrase: Option<&SecretString>,
) -> Result<NewCa, SignerError> {
    let custody = LocalCustody::new(passphrase.cloned())?;
    crate::signer::create_ca(&custody, alg, common_name, "test-ca", now)
}

/// The sealed key of a locally created CA.
pub(super) fn sealed_key(key: &StoredKey) -> &SealedKey {
    match key {
        StoredKey::Sealed(k) => k,
        StoredKey::Reference(r) => panic!("a local CA has a key reference {r}"),
    }
}

/// A CA loaded from its certificate and sealed key, the key's algorithm taken from the key.
pub(super) fn load(
    certificate_der: &[u8],
    key: &SealedKey,
    passphrase: Option<&SecretString>,
) -> Result<Signer, SignerError> {
    let plain = sealed::unseal(key, passphrase)?;
    let pair = rcgen::KeyPair::try_from(plain.expose_secret())
        .map_err(|e| SignerError::CorruptKey(e.to_string()))?;
    let alg = keys::algorithm_of(&pair)?;
    Signer::load(
        certificate_der,
        std::sync::Arc::new(LocalKey::new(pair, alg)),
    )
}

/// A CA as created and as loaded.
pub(super) struct TestCa {
    pub(super) alg: KeyAlgorithm,
    pub(super) new: NewCa,
    pub(super) signer: Signer,
}

/// One CA per algorithm, created in parallel on first use.
pub(super) fn cas() -> &'static [TestCa] {
    static CAS: OnceLock<Vec<TestCa>> = OnceLock::new();
    CAS.get_or_init(|| {
        std::thread::scope(|s| {
            let handles: Vec<_> = KeyAlgorithm::ALL
                .into_iter()
                .map(|alg| {
                    s.spawn(move || {
                        let new = create_ca(alg, &format!("Test CA {}", alg.as_str()), NOW, None)
                            .unwrap();
                        let signer =
                            load(&new.certificate_der, sealed_key(&new.key), None).unwrap();
                        TestCa { alg, new, signer }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    })
}

pub(super) fn ca(alg: KeyAlgorithm) -> &'static TestCa {
    cas().iter().find(|c| c.alg == alg).unwrap()
}

/// A CSR for the issuance matrix.
pub(super) struct TestCsr {
    pub(super) name: &'static str,
    pub(super) pem: String,
    pub(super) rsa: bool,
}

/// The subject and SANs the openssl CSRs carry.
pub(super) const SUBJECT: &str =
    "/C=US/ST=California/L=San Francisco/O=Example Inc/OU=Platform/CN=client-1/emailAddress=ops@example.com";
pub(super) const SAN: &str = "subjectAltName=DNS:client-1.example.com,email:ops@example.com,URI:spiffe://example.com/c1,IP:192.0.2.7,IP:2001:db8::7";

/// Every accepted key type from openssl (rich subject, all SAN kinds), and two from rcgen.
pub(super) fn csrs() -> &'static [TestCsr] {
    static CSRS: OnceLock<Vec<TestCsr>> = OnceLock::new();
    CSRS.get_or_init(|| {
        let dir = Dir::new();
        let mut out: Vec<TestCsr> = [
            ("openssl rsa-2048", &["-newkey", "rsa:2048"][..], true),
            (
                "openssl p-256",
                &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
                false,
            ),
            (
                "openssl p-384",
                &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"][..],
                false,
            ),
            ("openssl ed25519", &["-newkey", "ed25519"][..], false),
        ]
        .into_iter()
        .map(|(name, key, rsa)| TestCsr {
            name,
            pem: dir.openssl_csr(key, SUBJECT, Some(SAN)),
            rsa,
        })
        .collect();
        out.push(TestCsr {
            name: "rcgen p-256",
            pem: rcgen_csr(&rcgen::PKCS_ECDSA_P256_SHA256, "rcgen client", true),
            rsa: false,
        });
        out.push(TestCsr {
            name: "rcgen ed25519",
            pem: rcgen_csr(&rcgen::PKCS_ED25519, "rcgen ed client", false),
            rsa: false,
        });
        out
    })
}

/// A CSR made by rcgen, optionally with one SAN of each supported kind.
pub(super) fn rcgen_csr(alg: &'static rcgen::SignatureAlgorithm, cn: &str, sans: bool) -> String {
    let key = KeyPair::generate_for(alg).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Rcgen Org");
    params.distinguished_name.push(DnType::CommonName, cn);
    if sans {
        params.subject_alt_names = vec![
            SanType::DnsName("rcgen.example.com".try_into().unwrap()),
            SanType::Rfc822Name("rcgen@example.com".try_into().unwrap()),
            SanType::URI("https://example.com/rcgen".try_into().unwrap()),
            SanType::IpAddress("10.1.2.3".parse().unwrap()),
            SanType::IpAddress("::1".parse().unwrap()),
        ];
    }
    params.serialize_request(&key).unwrap().pem().unwrap()
}

/// A temporary directory for files handed to openssl.
pub(super) struct Dir(tempfile::TempDir);

impl Dir {
    pub(super) fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    pub(super) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// `openssl req -new` with a fresh key; returns the CSR PEM.
    pub(super) fn openssl_csr(&self, newkey: &[&str], subject: &str, san: Option<&str>) -> String {
        let key = self.path("csr-key.pem");
        let csr = self.path("csr.pem");
        let mut args = vec!["req", "-new", "-nodes", "-subj", subject];
        args.extend_from_slice(newkey);
        if let Some(san) = san {
            args.extend_from_slice(&["-addext", san]);
        }
        args.extend_from_slice(&[
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            csr.to_str().unwrap(),
        ]);
        openssl_ok(&args);
        std::fs::read_to_string(csr).unwrap()
    }
}

pub(super) fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed to run the signer tests")
}

/// Runs openssl, asserts success, returns stdout.
pub(super) fn openssl_ok(args: &[&str]) -> String {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `AB:CD:...`, as openssl prints key identifiers and fingerprints.
pub(super) fn colon_hex(hex: &str) -> String {
    hex.to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":")
}

/// `2026-01-01 00:00:00Z`, as `openssl x509 -dates -dateopt iso_8601` prints instants.
pub(super) fn iso(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    t.format(&f).unwrap()
}
