//! A certificate decoded for people: subject, issuer, validity, subjectAltNames, key and every
//! extension, as the console's detail page shows them.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::objects::{oid2sn, oid_registry};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// One extension, named and summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionText {
    /// Its short name (`subjectAltName`), or the dotted OID.
    pub name: String,
    /// Marked critical.
    pub critical: bool,
    /// Its value in a line.
    pub value: String,
}

/// What a certificate says, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateText {
    /// The subject DN, RFC 4514 style.
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// X.509 version (3).
    pub version: u32,
    /// notBefore, notAfter as the certificate states them.
    pub validity: (String, String),
    /// subjectAltName entries (`DNSName(svc.example)`...).
    pub sans: Vec<String>,
    /// `EC P-256 (256 bits)`, `RSA 2048 bits`...
    pub key: String,
    /// The signature algorithm's name.
    pub signature_algorithm: String,
    /// Every extension, in order.
    pub extensions: Vec<ExtensionText>,
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    oid2sn(oid, oid_registry()).map_or_else(|_| oid.to_id_string(), str::to_owned)
}

fn summary(ext: &ParsedExtension<'_>) -> String {
    match ext {
        ParsedExtension::SubjectAlternativeName(san) => san
            .general_names
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::BasicConstraints(bc) => match bc.path_len_constraint {
            Some(n) => format!("CA:{}, pathlen:{n}", bc.ca),
            None => format!("CA:{}", bc.ca),
        },
        ParsedExtension::KeyUsage(ku) => ku.to_string(),
        ParsedExtension::ExtendedKeyUsage(eku) => {
            let mut uses = Vec::new();
            for (set, name) in [
                (eku.server_auth, "serverAuth"),
                (eku.client_auth, "clientAuth"),
                (eku.code_signing, "codeSigning"),
                (eku.email_protection, "emailProtection"),
                (eku.ocsp_signing, "OCSPSigning"),
            ] {
                if set {
                    uses.push(name.to_owned());
                }
            }
            uses.extend(eku.other.iter().map(oid_name));
            uses.join(", ")
        }
        ParsedExtension::SubjectKeyIdentifier(id) => hex::encode(id.0),
        ParsedExtension::AuthorityKeyIdentifier(aki) => aki
            .key_identifier
            .as_ref()
            .map_or_else(String::new, |k| format!("keyid:{}", hex::encode(k.0))),
        ParsedExtension::CRLDistributionPoints(points) => points
            .points
            .iter()
            .filter_map(|p| p.distribution_point.as_ref())
            .map(|n| format!("{n:?}"))
            .map(|s| crate::x509::describe::uris_in(&s))
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::AuthorityInfoAccess(aia) => aia
            .accessdescs
            .iter()
            .map(|d| format!("{}: {}", oid_name(&d.access_method), d.access_location))
            .collect::<Vec<_>>()
            .join(", "),
        other => format!("{other:?}"),
    }
}

/// The URIs quoted in a debug rendering of a name (the distribution point's `URI("...")`).
fn uris_in(debug: &str) -> String {
    let mut out = Vec::new();
    let mut rest = debug;
    while let Some(start) = rest.find("URI(\"") {
        rest = &rest[start + 5..];
        match rest.find('"') {
            Some(end) => {
                out.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
            None => break,
        }
    }
    if out.is_empty() {
        debug.to_owned()
    } else {
        out.join(", ")
    }
}

fn key_text(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {} bits", rsa.key_size()),
        Ok(PublicKey::EC(ec)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map_or_else(|| "EC".to_owned(), |o| oid_name(&o));
            format!("EC {curve} ({} bits)", ec.key_size())
        }
        _ => oid_name(&spki.algorithm.algorithm),
    }
}

/// Decodes a DER certificate; `None` when it does not parse.
pub fn describe(der: &[u8]) -> Option<CertificateText> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .map(ToString::to_string)
                .collect()
        })
        .unwrap_or_default();
    let extensions = cert
        .extensions()
        .iter()
        .map(|e| ExtensionText {
            name: oid_name(&e.oid),
            critical: e.critical,
            value: summary(e.parsed_extension()),
        })
        .collect();
    Some(CertificateText {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        version: cert.version().0 + 1,
        validity: (
            cert.validity().not_before.to_string(),
            cert.validity().not_after.to_string(),
        ),
        sans,
        key: key_text(&cert),
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        extensions,
    })
}
