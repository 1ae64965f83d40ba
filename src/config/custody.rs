//! The key-custody settings (`MTLS_CA_SIGNER`, the PKCS#11 token, the signer link's TLS) as the
//! signer needs them: checked at load, the PIN file read when the custody is built.

use std::path::PathBuf;

use anyhow::Context;
use secrecy::SecretString;

use super::Settings;

impl Settings {
    /// Which custody `signer` names (checked at load, so a typo stops the start).
    pub fn custody_kind(&self) -> anyhow::Result<crate::model::Custody> {
        use crate::model::Custody;
        match self.signer.as_str() {
            "local" => Ok(Custody::Local),
            "pkcs11" => Ok(Custody::Pkcs11),
            s if s.starts_with("remote:") => {
                crate::signer::remote::Endpoint::parse(&s["remote:".len()..])
                    .map_err(|e| anyhow::anyhow!("signer {s:?}: {e}"))?;
                Ok(Custody::Remote)
            }
            other => anyhow::bail!(
                "signer {other:?} (MTLS_CA_SIGNER) is not local, pkcs11 or remote:unix:/path"
            ),
        }
    }

    /// What the signer needs to open the configured custody; the PIN file is read here.
    pub fn custody(&self) -> anyhow::Result<crate::signer::CustodyConfig> {
        use crate::model::Custody;
        use crate::signer::CustodyConfig;
        Ok(match self.custody_kind()? {
            Custody::Local => CustodyConfig::Local {
                passphrase: self.key_passphrase.clone(),
            },
            Custody::Remote => {
                let url = self.signer["remote:".len()..].to_owned();
                let tls = if url.starts_with("https://") {
                    Some(self.signer_tls()?)
                } else {
                    None
                };
                CustodyConfig::Remote { url, tls }
            }
            Custody::Pkcs11 => {
                let module = self.pkcs11_module.clone().context(
                    "MTLS_CA_SIGNER=pkcs11 needs MTLS_CA_PKCS11_MODULE (the module's .so)",
                )?;
                let token = self.pkcs11_token.clone().context(
                    "MTLS_CA_SIGNER=pkcs11 needs MTLS_CA_PKCS11_TOKEN (the token label)",
                )?;
                let pin = match (&self.pkcs11_pin, &self.pkcs11_pin_file) {
                    (Some(pin), _) => pin.clone(),
                    (None, Some(file)) => {
                        let text = std::fs::read_to_string(file).with_context(|| {
                            format!("reading MTLS_CA_PKCS11_PIN_FILE {}", file.display())
                        })?;
                        SecretString::from(text.trim_end_matches(['\r', '\n']).to_owned())
                    }
                    (None, None) => anyhow::bail!(
                        "MTLS_CA_SIGNER=pkcs11 needs MTLS_CA_PKCS11_PIN or MTLS_CA_PKCS11_PIN_FILE"
                    ),
                };
                CustodyConfig::Pkcs11 { module, token, pin }
            }
        })
    }

    /// The three files of the signer link's mutual TLS, all required.
    pub fn signer_tls(&self) -> anyhow::Result<crate::tls::MutualTls> {
        let need = |v: &Option<PathBuf>, name: &str| {
            v.clone().with_context(|| {
                format!("a signer over https needs {name} (and MTLS_CA_SIGNER_TLS_CERT, MTLS_CA_SIGNER_TLS_KEY, MTLS_CA_SIGNER_CA)")
            })
        };
        Ok(crate::tls::MutualTls {
            cert: need(&self.signer_tls_cert, "MTLS_CA_SIGNER_TLS_CERT")?,
            key: need(&self.signer_tls_key, "MTLS_CA_SIGNER_TLS_KEY")?,
            peer_ca: need(&self.signer_ca, "MTLS_CA_SIGNER_CA")?,
        })
    }
}
