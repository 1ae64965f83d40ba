//! The API's self-issued TLS certificate (`MTLS_CA_TLS_SELF_ISSUED`): issued by the issuing CA for
//! 30 days, stored (key sealed like a CA key) so every replica serves the same one, and renewed
//! once two thirds of its lifetime have passed or the issuing CA changed.

use secrecy::SecretSlice;

use super::custody::{key_error, signing_error};
use super::Services;
use crate::db::server_certs::{self, ServerCertRow};
use crate::error::{Error, Result};
use crate::signer::{unseal_server_key, SealedKey};

/// How long a self-issued server certificate is valid.
const LIFETIME: i64 = 30 * 86_400;

/// A server certificate ready for TLS.
pub struct ServerTls {
    /// The certificate, then its CA and the CA's chain, PEM.
    pub chain_pem: String,
    /// The key, plaintext PKCS#8 DER (zeroed on drop).
    pub key_der: SecretSlice<u8>,
    /// Its serial, to notice a renewal.
    pub serial: String,
    /// Unix seconds.
    pub not_after: i64,
}

/// The names a certificate is stored under: sorted, without repeats, comma-separated.
pub fn names_key(names: &[String]) -> String {
    let mut names: Vec<&str> = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// Whether a stored certificate should be replaced at `now`.
pub fn needs_renewal(row: &ServerCertRow, issuing_ca: &str, now: i64) -> bool {
    let renew_at = row.not_before + (row.not_after - row.not_before) * 2 / 3;
    now >= renew_at || row.ca_id != issuing_ca
}

impl Services {
    /// The API's certificate for `names` at `now`: the stored one while it is fresh, else a new one
    /// (stored for the other replicas; if one of them stored a newer one first, that one).
    pub async fn server_certificate(&self, names: &[String], now: i64) -> Result<ServerTls> {
        let key = names_key(names);
        let issuing = self.cas.issuing()?;
        if let Some(row) = server_certs::get(&self.db, &key).await? {
            if !needs_renewal(&row, &issuing.id, now) {
                return self.open_server_cert(row);
            }
        }
        let signer = self.cas.signer(&issuing.id).await?;
        let names: Vec<String> = key.split(',').map(str::to_owned).collect();
        let not_after = (now + LIFETIME).min(signer.not_after());
        let pass = self.key_passphrase.clone();
        let issued = tokio::task::spawn_blocking(move || {
            signer.issue_server_certificate(&names, now, not_after, pass.as_ref())
        })
        .await
        .map_err(|e| Error::Internal(format!("server certificate task failed: {e}")))?
        .map_err(|e| signing_error("issuing the API's server certificate", e))?;
        let row = ServerCertRow {
            names: key.clone(),
            ca_id: issuing.id.clone(),
            certificate_pem: format!("{}{}", issued.pem, issuing.chain_pem().unwrap_or_default()),
            private_key: issued.key.der.clone(),
            key_encrypted: issued.key.encrypted,
            serial_number: issued.serial_hex.clone(),
            not_before: now,
            not_after,
            created_at: now,
        };
        if server_certs::store(&self.db, &row).await? {
            tracing::info!(names = %key, serial = %row.serial_number, not_after, "issued the API's server certificate");
            return Ok(ServerTls {
                chain_pem: row.certificate_pem,
                key_der: issued.key_der,
                serial: row.serial_number,
                not_after,
            });
        }
        let stored = server_certs::get(&self.db, &key)
            .await?
            .ok_or_else(|| Error::Internal("the server certificate vanished".into()))?;
        self.open_server_cert(stored)
    }

    fn open_server_cert(&self, row: ServerCertRow) -> Result<ServerTls> {
        let sealed = SealedKey {
            der: row.private_key,
            encrypted: row.key_encrypted,
        };
        let key_der = unseal_server_key(&sealed, self.key_passphrase.as_ref())
            .map_err(|e| key_error("the API's server certificate", e))?;
        Ok(ServerTls {
            chain_pem: row.certificate_pem,
            key_der,
            serial: row.serial_number,
            not_after: row.not_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_key_whatever_their_order_and_renewal_comes_at_two_thirds() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names_key(&names(&["b.example", " 10.0.0.1", "b.example"])),
            "10.0.0.1,b.example"
        );
        let row = ServerCertRow {
            names: "x".into(),
            ca_id: "ca".into(),
            certificate_pem: String::new(),
            private_key: Vec::new(),
            key_encrypted: false,
            serial_number: "01".into(),
            not_before: 0,
            not_after: 3000,
            created_at: 0,
        };
        assert!(!needs_renewal(&row, "ca", 1999));
        assert!(needs_renewal(&row, "ca", 2000));
        assert!(needs_renewal(&row, "rotated", 10));
    }
}
