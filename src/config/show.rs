//! `mtls-ca config show`: the effective settings, secrets redacted, and where each came from.

use std::path::PathBuf;

use figment::Figment;

use super::{redact_url, strict, Settings};

/// Where the settings were read from, for `config show`.
pub struct Sources {
    pub(super) figment: Figment,
    pub(super) file: PathBuf,
}

impl Sources {
    /// One line a setting: `key = value  (source)`, secrets redacted.
    pub fn describe(&self, settings: &Settings) -> Vec<String> {
        let values = serde_json::to_value(settings).unwrap_or_default();
        strict::known_keys()
            .into_iter()
            .map(|key| {
                let value = match key.as_str() {
                    "key_passphrase" | "pkcs11_pin" => match secret(&key, settings) {
                        Some(_) => "[redacted]".to_owned(),
                        None => "unset".to_owned(),
                    },
                    "database_url" => redact_url(&settings.database_url),
                    _ => match values.get(&key) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Null) | None => "unset".to_owned(),
                        Some(other) => other.to_string(),
                    },
                };
                format!("{key} = {value}  ({})", self.source_of(&key, settings))
            })
            .collect()
    }

    fn source_of(&self, key: &str, settings: &Settings) -> String {
        let env = format!("{}{}", super::ENV_PREFIX, key.to_uppercase());
        if key == "key_passphrase" || key == "pkcs11_pin" {
            return match secret(key, settings) {
                Some(_) => format!("environment {env}"),
                None => "default".to_owned(),
            };
        }
        match self.figment.find_metadata(key) {
            Some(meta) if meta.name.contains("environment") => format!("environment {env}"),
            Some(meta) if meta.name.contains("TOML") => format!("file {}", self.file.display()),
            Some(_) | None => "default".to_owned(),
        }
    }
}

/// The secrets that are read raw from the environment, never shown.
fn secret<'a>(key: &str, settings: &'a Settings) -> Option<&'a secrecy::SecretString> {
    match key {
        "key_passphrase" => settings.key_passphrase.as_ref(),
        _ => settings.pkcs11_pin.as_ref(),
    }
}
