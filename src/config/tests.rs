//! Loading, precedence, strictness and `config show`, in figment's `Jail`.

use super::*;
use figment::Jail;

#[test]
fn environment_overrides_file_which_overrides_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "custom.toml",
            "listen = \"127.0.0.1:9000\"\nworker_interval = 7\n",
        )?;
        jail.set_env("MTLS_CA_CONFIG", "custom.toml");
        jail.set_env("MTLS_CA_WORKER_INTERVAL", "3");
        jail.set_env("MTLS_CA_KEY_ALGORITHM", "rsa-2048");
        let s = Settings::load().map_err(|e| e.to_string())?;
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.worker_interval, 3);
        assert_eq!(s.key_algorithm, KeyAlgorithm::Rsa2048);
        assert_eq!(s.public_url(), "http://127.0.0.1:9000");
        assert_eq!(s.database_url, "sqlite://data/mtls-ca.db");
        Ok(())
    });
}

#[test]
fn bad_values_are_reported() {
    Jail::expect_with(|jail| {
        jail.set_env("MTLS_CA_KEY_ALGORITHM", "dsa-1024");
        assert!(Settings::load().is_err());
        jail.set_env("MTLS_CA_KEY_ALGORITHM", "ed25519");
        jail.set_env("MTLS_CA_CONFIG", "missing.toml");
        let err = Settings::load()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("missing.toml"), "{err}");
        Ok(())
    });
}

#[test]
fn an_unknown_key_or_variable_is_refused_with_the_nearest_known_one() {
    Jail::expect_with(|jail| {
        jail.create_file("typo.toml", "listn = \"127.0.0.1:9000\"\n")?;
        jail.set_env("MTLS_CA_CONFIG", "typo.toml");
        let err = Settings::load()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("\"listn\"") && err.contains("\"listen\""),
            "{err}"
        );
        jail.create_file("typo.toml", "worker_interval = 2\n")?;
        jail.set_env("MTLS_CA_DB_MAX_CONECTIONS", "4");
        let err = Settings::load()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("MTLS_CA_DB_MAX_CONECTIONS") && err.contains("MTLS_CA_DB_MAX_CONNECTIONS"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn config_show_names_the_source_of_each_setting_and_hides_secrets() {
    Jail::expect_with(|jail| {
        jail.create_file("c.toml", "listen = \"127.0.0.1:9000\"\n")?;
        jail.set_env("MTLS_CA_WORKER_INTERVAL", "3");
        jail.set_env("MTLS_CA_DATABASE_URL", "postgres://u:hunter2@db/ca");
        jail.set_env("MTLS_CA_KEY_PASSPHRASE", "pw-value");
        let (s, sources) =
            Settings::load_from(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
        let lines = sources.describe(&s).join("\n");
        assert!(
            lines.contains("listen = 127.0.0.1:9000  (file c.toml)"),
            "{lines}"
        );
        assert!(
            lines.contains("worker_interval = 3  (environment MTLS_CA_WORKER_INTERVAL)"),
            "{lines}"
        );
        assert!(lines.contains("body_limit = 65536  (default)"), "{lines}");
        assert!(lines.contains("key_passphrase = [redacted]"), "{lines}");
        assert!(
            !lines.contains("hunter2") && !lines.contains("pw-value"),
            "{lines}"
        );
        Ok(())
    });
}

#[test]
fn passwords_are_redacted_from_database_urls() {
    assert_eq!(
        redact_url("postgres://ca:s3cret@db:5432/ca"),
        "postgres://ca:***@db:5432/ca"
    );
    assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    let s = Settings {
        database_url: "postgres://u:hunter2@h/d".into(),
        key_passphrase: Some(SecretString::from("pw-value")),
        ..Settings::default()
    };
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("pw-value"),
        "{debug}"
    );
}

#[test]
fn the_signer_setting_is_checked_and_each_custody_gets_what_it_needs() {
    use crate::signer::CustodyConfig;
    use secrecy::ExposeSecret;
    Jail::expect_with(|jail| {
        assert!(matches!(
            Settings::load().map_err(|e| e.to_string())?.custody(),
            Ok(CustodyConfig::Local { passphrase: None })
        ));
        jail.set_env("MTLS_CA_SIGNER", "pkcs12");
        let err = Settings::load()
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("pkcs12") && err.contains("remote:"), "{err}");

        jail.set_env("MTLS_CA_SIGNER", "pkcs11");
        let s = Settings::load().map_err(|e| e.to_string())?;
        let err = s.custody().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("MTLS_CA_PKCS11_MODULE"), "{err}");
        jail.set_env("MTLS_CA_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so");
        jail.set_env("MTLS_CA_PKCS11_TOKEN", "ca");
        jail.create_file("pin", "4321\n")?;
        jail.set_env("MTLS_CA_PKCS11_PIN_FILE", "pin");
        match Settings::load().map_err(|e| e.to_string())?.custody() {
            Ok(CustodyConfig::Pkcs11 { token, pin, .. }) => {
                assert_eq!(token, "ca");
                assert_eq!(pin.expose_secret(), "4321");
            }
            other => panic!("{other:?}"),
        }
        jail.set_env("MTLS_CA_PKCS11_PIN", "9999");
        let (s, sources) = Settings::load_from(None).map_err(|e| e.to_string())?;
        let shown = sources.describe(&s).join("\n");
        assert!(
            shown.contains("pkcs11_pin = [redacted]") && !shown.contains("9999"),
            "{shown}"
        );
        assert!(
            matches!(s.custody(), Ok(CustodyConfig::Pkcs11 { pin, .. }) if pin.expose_secret() == "9999")
        );

        jail.set_env("MTLS_CA_SIGNER", "remote:https://signer.internal:8443");
        let s = Settings::load().map_err(|e| e.to_string())?;
        let err = s.custody().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("MTLS_CA_SIGNER_TLS_CERT"), "{err}");
        jail.set_env("MTLS_CA_SIGNER", "remote:ftp://x");
        assert!(Settings::load().is_err());
        Ok(())
    });
}
