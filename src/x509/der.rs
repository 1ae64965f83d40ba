//! A minimal DER writer for the one extension rcgen cannot build (Authority Information Access) and
//! for the outer SEQUENCE of a certificate whose TBS was spliced.

/// id-pe-authorityInfoAccess, 1.3.6.1.5.5.7.1.1.
pub(crate) const OID_AUTHORITY_INFO_ACCESS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];
/// id-ad-ocsp, 1.3.6.1.5.5.7.48.1, content octets.
const OID_AD_OCSP: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
/// id-ad-caIssuers, 1.3.6.1.5.5.7.48.2, content octets.
const OID_AD_CA_ISSUERS: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];

/// The SEQUENCE tag (constructed).
pub(crate) const SEQUENCE: u8 = 0x30;
/// The BIT STRING tag.
pub(crate) const BIT_STRING: u8 = 0x03;
const OBJECT_IDENTIFIER: u8 = 0x06;
/// GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String.
const URI: u8 = 0x86;

/// The extnValue of AuthorityInfoAccessSyntax (RFC 5280 §4.2.2.1) with an OCSP and a caIssuers URI.
/// Both URIs must be ASCII (IA5String); the caller checks.
pub(crate) fn authority_info_access(ocsp_url: &str, ca_issuers_url: &str) -> Vec<u8> {
    let access = |method: &[u8], uri: &str| {
        let mut body = tlv(OBJECT_IDENTIFIER, method);
        body.extend(tlv(URI, uri.as_bytes()));
        tlv(SEQUENCE, &body)
    };
    let mut body = access(OID_AD_OCSP, ocsp_url);
    body.extend(access(OID_AD_CA_ISSUERS, ca_issuers_url));
    tlv(SEQUENCE, &body)
}

/// One tag-length-value with a definite length in the shortest form.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::{AuthorityInfoAccess, GeneralName};
    use x509_parser::prelude::FromDer;

    #[test]
    fn lengths_use_the_shortest_definite_form() {
        assert_eq!(tlv(0x04, &[]), vec![0x04, 0x00]);
        assert_eq!(tlv(0x04, &[7; 127])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[7; 128])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[7; 255])[..3], [0x04, 0x81, 0xff]);
        assert_eq!(tlv(0x04, &[7; 256])[..4], [0x04, 0x82, 0x01, 0x00]);
        assert_eq!(tlv(0x04, &[7; 70000])[..5], [0x04, 0x83, 0x01, 0x11, 0x70]);
    }

    #[test]
    fn authority_info_access_parses_back_with_both_uris() {
        let long = format!("http://example.test/{}", "x".repeat(300));
        for (ocsp, issuers) in [
            ("http://a/ocsp", "http://a/ca.der"),
            (long.as_str(), "http://b"),
        ] {
            let der = authority_info_access(ocsp, issuers);
            let (rest, aia) = AuthorityInfoAccess::from_der(&der).unwrap();
            assert!(rest.is_empty());
            let found: Vec<_> = aia
                .accessdescs
                .iter()
                .map(|d| match d.access_location {
                    GeneralName::URI(u) => (d.access_method.to_id_string(), u.to_owned()),
                    _ => panic!("not a URI"),
                })
                .collect();
            assert_eq!(
                found,
                vec![
                    ("1.3.6.1.5.5.7.48.1".to_owned(), ocsp.to_owned()),
                    ("1.3.6.1.5.5.7.48.2".to_owned(), issuers.to_owned()),
                ]
            );
        }
    }
}
