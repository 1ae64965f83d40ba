//! Settings that are not understood stop the start: an unknown key in the config file or an unknown
//! `MTLS_CA_*` variable is an error that names it and the nearest known one, so `listn = ...` or
//! `MTLS_CA_LISTN` is never silently ignored.

use std::path::Path;

use figment::providers::{Data, Env, Toml};
use figment::Provider;

use super::{Settings, ENV_PREFIX};

/// Every key a config file may set (and, upper-cased after `MTLS_CA_`, every variable).
pub(super) fn known_keys() -> Vec<String> {
    let mut keys: Vec<String> = serde_json::to_value(Settings::default())
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default();
    keys.push("key_passphrase".into());
    keys.push("pkcs11_pin".into());
    keys.sort();
    keys
}

fn nearest<'a>(key: &str, known: &'a [String]) -> &'a str {
    known
        .iter()
        .min_by_key(|k| strsim::levenshtein(key, k))
        .map_or("", String::as_str)
}

/// Refuses a key of the file or a variable that no setting has.
pub(super) fn check_keys(toml: &Data<Toml>, env: &Env, file: &Path) -> anyhow::Result<()> {
    let known = known_keys();
    let keys_of = |p: &dyn Provider| -> anyhow::Result<Vec<String>> {
        Ok(p.data()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_values()
            .flat_map(|dict| dict.into_keys())
            .collect())
    };
    for key in keys_of(toml).map_err(|e| anyhow::anyhow!("config file {}: {e}", file.display()))? {
        if !known.contains(&key) {
            anyhow::bail!(
                "unknown setting {key:?} in {}; did you mean {:?}?",
                file.display(),
                nearest(&key, &known)
            );
        }
    }
    for key in keys_of(env)? {
        if !known.contains(&key) {
            anyhow::bail!(
                "unknown environment variable {ENV_PREFIX}{}; did you mean {ENV_PREFIX}{}?",
                key.to_uppercase(),
                nearest(&key, &known).to_uppercase()
            );
        }
    }
    Ok(())
}
