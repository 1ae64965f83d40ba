//! What is compared: the two sides, and each configuration's CA key and store.

/// Which server a run loads.
#[derive(Clone, Copy, PartialEq)]
pub enum Side {
    /// `mtls-ca serve`.
    MtlsCa,
    /// `cfssl serve`.
    Cfssl,
}

impl Side {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Side::MtlsCa => "mtls-ca",
            Side::Cfssl => "cfssl",
        }
    }
}

/// A configuration: the CA key on both sides, and the database engine.
pub struct Config {
    /// mtls-ca's `MTLS_CA_KEY_ALGORITHM`.
    pub mtls_key: &'static str,
    /// cfssl's `key` object of the CA request.
    pub cfssl_key: serde_json::Value,
    /// Both stores on Postgres (else SQLite).
    pub postgres: bool,
}

/// The configuration called `name` (`p256-sqlite`, `p256-postgres`, `rsa2048-sqlite`).
pub fn config(name: &str) -> anyhow::Result<Config> {
    let (mtls_key, cfssl_key, postgres) = match name {
        "p256-sqlite" => (
            "ecdsa-p256",
            serde_json::json!({"algo": "ecdsa", "size": 256}),
            false,
        ),
        "p256-postgres" => (
            "ecdsa-p256",
            serde_json::json!({"algo": "ecdsa", "size": 256}),
            true,
        ),
        "rsa2048-sqlite" => (
            "rsa-2048",
            serde_json::json!({"algo": "rsa", "size": 2048}),
            false,
        ),
        other => anyhow::bail!("unknown configuration {other}"),
    };
    Ok(Config {
        mtls_key,
        cfssl_key,
        postgres,
    })
}
