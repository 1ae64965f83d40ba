//! What a subjectAltName entry may hold (RFC 5280 §4.2.1.6): DNS names in RFC 1034's preferred
//! syntax (as RFC 1123 relaxed it: a label may start with a digit), e-mail addresses as RFC 5321
//! mailboxes, absolute URIs (RFC 3986), and 4- or 16-byte IP addresses. Nothing else.
//!
//! Decisions where the RFCs leave room: an underscore is refused (it is not in the preferred syntax,
//! and CA/Browser Forum CAs stopped issuing it); a trailing dot is refused; a wildcard is allowed only
//! as the whole leftmost label of a name of at least two further labels (`*.example.com`); a DNS
//! name that reads as an IPv4 address is refused (it belongs in an IP entry); an e-mail local part
//! is a dot-atom (quoted local parts and address literals are refused).

use std::net::Ipv4Addr;

use x509_parser::extensions::GeneralName;

use super::names::NameError;

/// The most subjectAltName entries a certificate may carry.
pub(crate) const MAX_ENTRIES: usize = 100;
/// The longest URI, in characters (SPIFFE IDs may be 2048 bytes).
pub(crate) const MAX_URI: usize = 2048;

/// Checks every entry of a subjectAltName.
pub(crate) fn alt_names(names: &[GeneralName<'_>]) -> Result<(), NameError> {
    if names.len() > MAX_ENTRIES {
        return Err(NameError::Invalid(format!(
            "the subjectAltName has {} entries; at most {MAX_ENTRIES} are allowed",
            names.len()
        )));
    }
    for name in names {
        let refused = |kind: &str, value: &str, why: String| {
            NameError::Invalid(format!("the subjectAltName {kind} {value:?} {why}"))
        };
        match name {
            GeneralName::DNSName(s) => dns_name(s).map_err(|why| refused("DNS name", s, why))?,
            GeneralName::RFC822Name(s) => mailbox(s).map_err(|why| refused("e-mail address", s, why))?,
            GeneralName::URI(s) => uri(s).map_err(|why| refused("URI", s, why))?,
            GeneralName::IPAddress(octets) if matches!(octets.len(), 4 | 16) => {}
            GeneralName::IPAddress(octets) => {
                return Err(NameError::Malformed(format!(
                    "a subjectAltName IP address has {} bytes instead of 4 or 16",
                    octets.len()
                )))
            }
            GeneralName::Invalid(_, _) => {
                return Err(NameError::Malformed(
                    "a subjectAltName entry cannot be decoded".into(),
                ))
            }
            other => {
                return Err(NameError::Unsupported(format!(
                    "subjectAltName entries of type {} are not supported; only DNS names, email addresses, URIs and IP addresses are",
                    super::alt_names::general_name_kind(other)
                )))
            }
        }
    }
    Ok(())
}

/// A host name in the preferred name syntax, at most 253 characters, labels of 1 to 63.
pub(crate) fn dns_name(name: &str) -> Result<(), String> {
    let host = name.strip_prefix("*.").unwrap_or(name);
    if name.len() > 253 {
        return Err(format!(
            "is {} characters; a DNS name has at most 253",
            name.len()
        ));
    }
    if host.ends_with('.') {
        return Err("ends with a dot; write the name without it".into());
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        return Err("is an IP address; request it as an IP entry".into());
    }
    let labels: Vec<&str> = host.split('.').collect();
    if host.len() < name.len() && labels.len() < 2 {
        return Err("has a wildcard over fewer than two labels".into());
    }
    for label in labels {
        if label.is_empty() {
            return Err("has an empty label (two dots in a row, or a leading dot)".into());
        }
        if label.len() > 63 {
            return Err(format!(
                "has a label of {} characters; at most 63 are allowed",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(match c {
                '*' => "has a wildcard that is not the whole leftmost label".into(),
                '_' => {
                    "contains an underscore, which host names may not (RFC 1034, RFC 5280)".into()
                }
                c => format!("contains {c:?}; labels are letters, digits and hyphens"),
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "has the label {label:?}, which begins or ends with a hyphen"
            ));
        }
    }
    Ok(())
}

/// `local@domain`: a dot-atom local part of at most 64 characters and a DNS name, 254 in all.
pub(crate) fn mailbox(address: &str) -> Result<(), String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("has no '@'".into());
    };
    if address.len() > 254 {
        return Err(format!(
            "is {} characters; an address has at most 254",
            address.len()
        ));
    }
    if local.is_empty() || local.len() > 64 {
        return Err("needs a local part of 1 to 64 characters before the '@'".into());
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if local
        .split('.')
        .any(|atom| atom.is_empty() || !atom.chars().all(atext))
    {
        return Err(
            "has a local part that is not a dot-atom (letters, digits, !#$%&'*+-/=?^_`{|}~ and single dots)"
                .into(),
        );
    }
    if domain.starts_with('*') {
        return Err("has a wildcard domain".into());
    }
    dns_name(domain).map_err(|why| format!("has a domain that {why}"))
}

/// An absolute URI: a scheme, then only RFC 3986 characters (percent-escapes well formed), and a
/// host when it has an authority.
pub(crate) fn uri(text: &str) -> Result<(), String> {
    if text.chars().count() > MAX_URI {
        return Err(format!("is longer than {MAX_URI} characters"));
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return Err(
            "has no scheme; it must be an absolute URI such as spiffe://example.org/service".into(),
        );
    };
    let mut sc = scheme.chars();
    if !sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Err("does not begin with a scheme (a letter, then letters, digits, '+', '-' or '.', then ':')".into());
    }
    if rest.is_empty() {
        return Err("has nothing after its scheme".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c);
    if let Some(c) = text.chars().find(|c| !allowed(*c)) {
        return Err(format!("contains {c:?}, which a URI must percent-encode"));
    }
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('%') {
        if !bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            return Err("has a '%' that is not followed by two hex digits".into());
        }
    }
    let parsed = url::Url::parse(text).map_err(|e| format!("does not parse as a URI ({e})"))?;
    if rest.starts_with("//") && parsed.host_str().is_none_or(str::is_empty) {
        return Err("has an authority without a host".into());
    }
    Ok(())
}

#[cfg(test)]
#[path = "san_rules_tests.rs"]
mod tests;
