//! subjectAltName entries copied from parsed X.509 into rcgen: DNS names, email addresses, URIs
//! and IP addresses; any other kind is refused.

use std::net::IpAddr;

use rcgen::string::Ia5String;
use rcgen::SanType;
use x509_parser::extensions::GeneralName;

use super::names::NameError;

/// Converts requested subjectAltName entries; only DNS, email, URI and IP address are supported.
pub(crate) fn subject_alt_names(names: &[GeneralName<'_>]) -> Result<Vec<SanType>, NameError> {
    let ia5 = |kind: &str, s: &str| {
        Ia5String::try_from(s).map_err(|_| {
            NameError::Malformed(format!("the subjectAltName {kind} {s:?} is not ASCII"))
        })
    };
    names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(s) => Ok(SanType::DnsName(ia5("DNS name", s)?)),
            GeneralName::RFC822Name(s) => Ok(SanType::Rfc822Name(ia5("email address", s)?)),
            GeneralName::URI(s) => Ok(SanType::URI(ia5("URI", s)?)),
            GeneralName::IPAddress(octets) => ip_address(octets).map(SanType::IpAddress),
            GeneralName::Invalid(_, _) => Err(NameError::Malformed(
                "a subjectAltName entry cannot be decoded".into(),
            )),
            other => Err(NameError::Unsupported(format!(
                "subjectAltName entries of type {} are not supported; only DNS names, email addresses, URIs and IP addresses are",
                general_name_kind(other)
            ))),
        })
        .collect()
}

fn ip_address(octets: &[u8]) -> Result<IpAddr, NameError> {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        Ok(IpAddr::from(v4))
    } else if let Ok(v6) = <[u8; 16]>::try_from(octets) {
        Ok(IpAddr::from(v6))
    } else {
        Err(NameError::Malformed(format!(
            "a subjectAltName IP address has {} bytes instead of 4 or 16",
            octets.len()
        )))
    }
}

/// The name of a GeneralName's type, for messages.
pub(crate) fn general_name_kind(name: &GeneralName<'_>) -> &'static str {
    match name {
        GeneralName::OtherName(..) => "otherName",
        GeneralName::X400Address(_) => "x400Address",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EDIPartyName(_) => "ediPartyName",
        GeneralName::RegisteredID(_) => "registeredID",
        _ => "unknown",
    }
}
