//! Subjects typed by an operator (`ca request --subject`), in OpenSSL's or RFC 4514's notation.

use rcgen::{DistinguishedName, DnType, DnValue};

use super::names::printable_where_required;

/// Parses a subject given on the command line: OpenSSL's `/C=US/O=Example/CN=Issuing CA` (in
/// order, root-most attribute first) or RFC 4514's `CN=Issuing CA,O=Example,C=US` (most specific
/// first, so reversed). Attributes: C, ST, L, O, OU, CN, serialNumber, DC, each at most once;
/// `\,` and `\/` escape a separator. countryName becomes a PrintableString.
pub fn parse_subject(text: &str) -> Result<DistinguishedName, String> {
    let text = text.trim();
    let (parts, reverse) = match text.strip_prefix('/') {
        Some(rest) => (split_escaped(rest, '/'), false),
        None => (split_escaped(text, ','), true),
    };
    let mut attrs = Vec::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("{part:?} is not an attribute=value pair"));
        };
        let ty = match key.trim().to_ascii_uppercase().as_str() {
            "C" => DnType::CountryName,
            "ST" => DnType::StateOrProvinceName,
            "L" => DnType::LocalityName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "CN" => DnType::CommonName,
            "SERIALNUMBER" => DnType::from_oid(&[2, 5, 4, 5]),
            "DC" => DnType::from_oid(&[0, 9, 2342, 19200300, 100, 1, 25]),
            other => {
                return Err(format!(
                    "unknown attribute {other:?}; use C, ST, L, O, OU, CN, serialNumber or DC"
                ))
            }
        };
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 64 || value.contains('\0') {
            return Err(format!(
                "the value of {key} must be 1 to 64 characters without NUL"
            ));
        }
        attrs.push((ty, value.to_owned()));
    }
    if reverse {
        attrs.reverse();
    }
    let mut dn = DistinguishedName::new();
    for (ty, value) in attrs {
        if dn.get(&ty).is_some() {
            return Err("each attribute type may appear only once".into());
        }
        dn.push(ty, DnValue::Utf8String(value));
    }
    if dn.get(&DnType::CommonName).is_none() {
        return Err("the subject needs a CN".into());
    }
    Ok(printable_where_required(dn))
}

fn split_escaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), parts.last_mut()) {
                    last.push(next);
                }
            }
            c if c == sep => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_parse_in_openssl_and_rfc4514_form_in_the_same_order() {
        let a = parse_subject("/C=US/O=Example, Inc./CN=Issuing CA").unwrap();
        let b = parse_subject("CN=Issuing CA,O=Example\\, Inc.,C=US").unwrap();
        let order = |dn: &DistinguishedName| dn.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
        assert_eq!(order(&a), order(&b));
        assert_eq!(order(&a)[0], DnType::CountryName);
        assert!(
            matches!(a.get(&DnType::OrganizationName), Some(DnValue::Utf8String(s)) if s == "Example, Inc.")
        );
        assert!(matches!(
            a.get(&DnType::CountryName),
            Some(DnValue::PrintableString(_))
        ));
        assert!(parse_subject("/O=Example").unwrap_err().contains("CN"));
        assert!(parse_subject("/CN=a/CN=b").is_err());
        assert!(parse_subject("/XX=a/CN=b")
            .unwrap_err()
            .contains("unknown attribute"));
        assert!(parse_subject(&format!("/CN={}", "x".repeat(65))).is_err());
    }
}
