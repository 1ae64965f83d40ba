//! Entry points for the fuzz targets of `fuzz/`, not an API: each runs one kind of HTTP input
//! through the functions the handler and the service run on it, without a database, with a CA
//! loaded from a certificate and a PKCS#8 key the caller gives. The targets assert that whatever
//! the input, nothing panics and every refusal is the client's error (a 4xx), never an internal one.

use std::sync::OnceLock;

use rcgen::{CertificateParams, DistinguishedName, KeyPair};
use x509_parser::extensions::SubjectAlternativeName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::error::{Error, Result};
use crate::http::{certificates, extract, pki};
use crate::service::certificates as issuance;
use crate::service::listing::{ListQuery, ResultInfo, Window};
use crate::signer::{
    IssuedCert, KeyCustody, LocalCustody, OcspStatus, OcspTimes, Pointers, Signer, SignerError,
};
use crate::x509::{
    alt_names, exact_subject, names, parse_subject, san_rules, CaCertificate, CsrError, OcspRefusal,
};

/// A CA held in memory: what issuance and the OCSP responder need of it.
pub struct FuzzCa {
    certificate: CaCertificate,
    signer: Signer,
    pointers: Pointers,
}

/// What an OCSP request got.
#[derive(Debug)]
pub enum OcspOutcome {
    /// A signed response, DER.
    Signed(Vec<u8>),
    /// Refused before any status was looked up (`malformedRequest`, `unauthorized`).
    Refused(OcspRefusal),
}

impl FuzzCa {
    /// The CA of `certificate_der` with the plaintext PKCS#8 key `pkcs8`.
    pub fn load(certificate_der: &[u8], pkcs8: &[u8]) -> Result<FuzzCa, String> {
        let key = LocalCustody::new(None)
            .and_then(|c| c.import(pkcs8, "fuzz"))
            .map_err(|e| e.to_string())?
            .key;
        Ok(FuzzCa {
            certificate: CaCertificate::parse(certificate_der).map_err(|e| e.to_string())?,
            signer: Signer::load(certificate_der, key).map_err(|e| e.to_string())?,
            pointers: Pointers {
                crl_url: "http://ca.example/pki/fuzz/crl".into(),
                ocsp_url: "http://ca.example/pki/fuzz/ocsp".into(),
                ca_issuers_url: "http://ca.example/pki/fuzz/ca.der".into(),
            },
        })
    }

    /// `POST /zones/{id}/client_certificates` with `body` at `now`, after authorisation: the JSON
    /// extractor, the handler's field checks, the service's validity checks, the CSR, issuance.
    pub fn create(&self, body: &[u8], now: i64) -> Result<IssuedCert> {
        let req = certificates::create_request(&extract::parse_object(body)?)?;
        issuance::check_validity_days(req.validity_days)?;
        let not_after = issuance::not_after(req.validity_days, now, self.signer.not_after())?;
        self.issue_at(&req.csr, now, not_after)
    }

    /// Issuance for the PEM CSR `pem`, valid for a year from `now`.
    pub fn issue(&self, pem: &str, now: i64) -> Result<IssuedCert> {
        self.issue_at(pem, now, now + 365 * 86_400)
    }

    fn issue_at(&self, pem: &str, now: i64, not_after: i64) -> Result<IssuedCert> {
        let serial = [0x5a; 20];
        issuance::issue_for_csr(&self.signer, pem, serial, now, not_after, &self.pointers)
            .map(|(_, issued)| issued)
    }

    /// `POST /pki/{ca}/ocsp` with the DER body `der`, every certificate asked about being good,
    /// revoked or unknown in turn.
    pub fn ocsp_post(&self, der: &[u8], now: i64) -> Result<OcspOutcome, SignerError> {
        let query = match self.certificate.parse_ocsp_request(der) {
            Ok(q) => q,
            Err(refusal) => return Ok(OcspOutcome::Refused(refusal)),
        };
        let statuses: Vec<OcspStatus> = (0..query.serials().len())
            .map(|i| match i % 3 {
                0 => OcspStatus::Good,
                1 => OcspStatus::Revoked(now - 3600),
                _ => OcspStatus::Unknown,
            })
            .collect();
        let times = OcspTimes {
            this_update: now,
            next_update: now + 3600,
        };
        self.signer
            .sign_ocsp_response(&query, &statuses, times)
            .map(OcspOutcome::Signed)
    }

    /// `GET /pki/{ca}/ocsp/{request}` with the (percent-decoded) path segment `request`.
    pub fn ocsp_get(&self, request: &str, now: i64) -> Result<OcspOutcome, SignerError> {
        self.ocsp_post(&pki::decode_base64(request).unwrap_or_default(), now)
    }
}

/// `GET /zones/{id}/client_certificates?{query}`: the query extractor, the list query, and the
/// window and `result_info` of a set of `rows` rows.
pub fn list_query(query: &str, rows: u64) -> Result<(ListQuery, Window, ResultInfo)> {
    let uri = format!("/zones/z/client_certificates?{query}")
        .parse()
        .map_err(|_| Error::NotFound)?;
    let query = ListQuery::parse(&extract::query_map(&uri)?)?;
    let window = query.window(rows);
    let info = query.result_info(window.take, window.total);
    Ok((query, window, info))
}

/// The subject rules a CSR's subject passes, on the DER Name `der`.
pub fn subject_rules(der: &[u8]) -> Result<(), CsrError> {
    let (_, name) = X509Name::from_der(der).map_err(|e| CsrError::Malformed(e.to_string()))?;
    exact_subject::copy(&name)?;
    Ok(())
}

/// The subjectAltName rules a CSR's request passes, on the DER GeneralNames `der`.
pub fn alt_name_rules(der: &[u8]) -> Result<(), CsrError> {
    let (_, san) =
        SubjectAlternativeName::from_der(der).map_err(|e| CsrError::Malformed(e.to_string()))?;
    san_rules::alt_names(&san.general_names)?;
    alt_names::subject_alt_names(&san.general_names)?;
    Ok(())
}

/// A CA subject taken from a certificate (`ca import`, `ca install`), on the DER Name `der`, as
/// rcgen writes it into a request (as [`Signer::load`] checks it) when it can be copied.
pub fn ca_subject(der: &[u8]) -> Result<Vec<u8>, String> {
    let (_, name) = X509Name::from_der(der).map_err(|e| e.to_string())?;
    write_subject(names::distinguished_name(&name).map_err(|e| e.to_string())?)
}

/// An operator's `ca request --subject`, as rcgen writes it into the request.
pub fn operator_subject(text: &str) -> Result<Vec<u8>, String> {
    write_subject(parse_subject(text)?)
}

fn write_subject(dn: DistinguishedName) -> Result<Vec<u8>, String> {
    static KEY: OnceLock<Option<KeyPair>> = OnceLock::new();
    let key = KEY
        .get_or_init(|| KeyPair::generate().ok())
        .as_ref()
        .ok_or("no key")?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    let csr = params.serialize_request(key).map_err(|e| e.to_string())?;
    Ok(csr.der().as_ref().to_vec())
}
