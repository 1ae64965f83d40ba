//! The API's own TLS server certificate (`MTLS_CA_TLS_SELF_ISSUED`): a P-256 key made here and
//! sealed like a CA key, and a serverAuth certificate for it signed by the CA.

use std::net::IpAddr;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use secrecy::{SecretSlice, SecretString};

use super::ca::{certificate_pem, Signer};
use super::key::{SignKind, Signing};
use super::sealed::{self, SealedKey};
use super::{keys, validity, SignerError};

/// A server certificate and its key.
#[derive(Debug)]
pub struct ServerCertificate {
    /// The certificate, PEM.
    pub pem: String,
    /// Its serial, lowercase hex.
    pub serial_hex: String,
    /// The key as the database keeps it.
    pub key: SealedKey,
    /// The key, plaintext PKCS#8 DER (zeroed on drop), for this process's TLS.
    pub key_der: SecretSlice<u8>,
}

/// The subjectAltName of each name: an IP address, or a DNS name.
fn san(name: &str) -> Result<SanType, SignerError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !ok {
        return Err(SignerError::Certificate(format!(
            "{name:?} is neither an IP address nor a DNS name"
        )));
    }
    Ok(SanType::DnsName(name.try_into().map_err(|e| {
        SignerError::Certificate(format!("{name:?}: {e}"))
    })?))
}

impl Signer {
    /// Issues a serverAuth certificate for `names` (DNS names or IPs; the first is the common
    /// name) from `not_before` to `not_after`, for a new P-256 key sealed with `passphrase`.
    pub fn issue_server_certificate(
        &self,
        names: &[String],
        not_before: i64,
        not_after: i64,
        passphrase: Option<&SecretString>,
    ) -> Result<ServerCertificate, SignerError> {
        let first = names
            .first()
            .ok_or_else(|| SignerError::Certificate("no name for the server certificate".into()))?;
        if not_after <= not_before || not_after > self.not_after {
            return Err(SignerError::Validity(format!(
                "a server certificate from {not_before} to {not_after} does not fit the CA's validity"
            )));
        }
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| SignerError::KeyGeneration(e.to_string()))?;
        let serial = keys::random_serial();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, first.as_str());
        params.distinguished_name = dn;
        params.subject_alt_names = names.iter().map(|n| san(n)).collect::<Result<_, _>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = validity::datetime(not_before)?;
        params.not_after = validity::datetime(not_after)?;
        params.key_identifier_method = KeyIdMethod::PreSpecified(crate::x509::key_identifier(
            rcgen::PublicKeyData::der_bytes(&key),
        ));
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_params(
            &self.params,
            Signing::new(&*self.key, SignKind::Certificate),
        );
        let certificate = issuer.key().finish(params.signed_by(&key, &issuer))?;
        Ok(ServerCertificate {
            pem: certificate_pem(certificate.der()),
            serial_hex: hex::encode(serial),
            key: sealed::seal(key.serialized_der(), passphrase)?,
            key_der: SecretSlice::from(key.serialized_der().to_vec()),
        })
    }
}

/// Opens a stored server key: plaintext PKCS#8 DER.
pub fn unseal_server_key(
    key: &SealedKey,
    passphrase: Option<&SecretString>,
) -> Result<SecretSlice<u8>, SignerError> {
    sealed::unseal(key, passphrase)
}
