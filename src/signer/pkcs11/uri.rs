//! RFC 7512 PKCS#11 URIs: how the database names a key in a token.

use crate::signer::SignerError;

/// RFC 7512 URI of the private key: `pkcs11:token=...;object=...;id=%..;type=private`.
pub(super) fn uri(token: &str, label: &str, id: &[u8]) -> String {
    let id: String = id.iter().map(|b| format!("%{b:02x}")).collect();
    format!(
        "pkcs11:token={};object={};id={id};type=private",
        pct(token),
        pct(label)
    )
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

fn unpct(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

/// The token label and the object id of a URI made by [`uri`].
pub(super) fn parse_uri(uri: &str) -> Result<(String, Vec<u8>), SignerError> {
    let bad = || SignerError::CorruptKey(format!("{uri:?} is not a PKCS#11 key URI"));
    let path = uri.strip_prefix("pkcs11:").ok_or_else(bad)?;
    let (mut token, mut id) = (None, None);
    for part in path.split(';') {
        match part.split_once('=') {
            Some(("token", v)) => token = Some(unpct(v).ok_or_else(bad)?),
            Some(("id", v)) => id = Some(unpct(v).ok_or_else(bad)?),
            _ => {}
        }
    }
    let token = String::from_utf8(token.ok_or_else(bad)?).map_err(|_| bad())?;
    Ok((token, id.filter(|i| !i.is_empty()).ok_or_else(bad)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_the_token_and_id_and_read_back() {
        let u = uri("mtls ca", "3f2a-ca", &[0x01, 0xab]);
        assert_eq!(
            u,
            "pkcs11:token=mtls%20ca;object=3f2a-ca;id=%01%ab;type=private"
        );
        assert_eq!(parse_uri(&u).unwrap(), ("mtls ca".into(), vec![0x01, 0xab]));
        assert!(parse_uri("pkcs11:token=x").is_err());
        assert!(parse_uri("file:/x").is_err());
    }
}
