//! The token's key objects: the templates keys are generated with, reading their public halves,
//! finding them again by id, their RFC 7512 URIs, and ECDSA signatures in X.509's DER form.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use rsa::pkcs1::EncodeRsaPublicKey;
use x509_cert::der::asn1::OctetString;
use x509_cert::der::Decode;

use super::{token_error, Token};
use crate::model::KeyAlgorithm;
use crate::signer::SignerError;

/// DER OIDs of the curves (CKA_EC_PARAMS).
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

fn rsa_bits(alg: KeyAlgorithm) -> Option<u64> {
    match alg {
        KeyAlgorithm::Rsa2048 => Some(2048),
        KeyAlgorithm::Rsa3072 => Some(3072),
        KeyAlgorithm::Rsa4096 => Some(4096),
        _ => None,
    }
}

fn curve(alg: KeyAlgorithm) -> Option<(&'static [u8], Mechanism<'static>)> {
    match alg {
        KeyAlgorithm::EcdsaP256 => Some((P256, Mechanism::EccKeyPairGen)),
        KeyAlgorithm::EcdsaP384 => Some((P384, Mechanism::EccKeyPairGen)),
        KeyAlgorithm::Ed25519 => Some((ED25519, Mechanism::EccEdwardsKeyPairGen)),
        _ => None,
    }
}

/// Generates a key pair of `alg` on the token: the private half a sensitive, non-extractable,
/// private token object that can only sign. Returns it and the public key bits.
pub(super) fn generate(
    token: &Token,
    alg: KeyAlgorithm,
    label: &str,
    id: &[u8],
) -> Result<(ObjectHandle, Vec<u8>), SignerError> {
    let common = |private: bool| {
        vec![
            Attribute::Token(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
            Attribute::Private(private),
        ]
    };
    let mut public = common(false);
    public.push(Attribute::Verify(true));
    let mut private = common(true);
    private.extend([
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Derive(false),
        Attribute::Unwrap(false),
    ]);
    let mechanism = if let Some(bits) = rsa_bits(alg) {
        public.extend([
            Attribute::ModulusBits(bits.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
        ]);
        Mechanism::RsaPkcsKeyPairGen
    } else {
        let (params, mechanism) = curve(alg).ok_or_else(|| {
            SignerError::Unsupported(format!("no PKCS#11 key type for {}", alg.as_str()))
        })?;
        public.push(Attribute::EcParams(params.to_vec()));
        mechanism
    };
    let (public, private) = token
        .with_session_writing(
            |s| s.generate_key_pair(&mechanism, &public, &private),
            "C_GenerateKeyPair",
        )
        .map_err(|e| match (alg, e) {
            (KeyAlgorithm::Ed25519, SignerError::Token(why)) => SignerError::Unsupported(format!(
                "the token cannot generate Ed25519 keys ({why}); choose ecdsa-p256, ecdsa-p384 or rsa-*"
            )),
            (_, e) => e,
        })?;
    let bits = token.with_session(|s| Ok(public_key(s, public, alg)), "C_GetAttributeValue")??;
    Ok((private, bits))
}

/// The private key object with `id`, checked to be of `alg`, and its public key bits.
pub(super) fn find(
    token: &Token,
    alg: KeyAlgorithm,
    id: &[u8],
    uri: &str,
) -> Result<(ObjectHandle, Vec<u8>), SignerError> {
    let lookup = |class: ObjectClass| {
        token.with_session(
            |s| s.find_objects(&[Attribute::Class(class), Attribute::Id(id.to_vec())]),
            "C_FindObjects",
        )
    };
    let missing = |what: &str| {
        SignerError::Token(format!(
            "the token has no {what} for {uri} (deleted, or another token?)"
        ))
    };
    let private = *lookup(ObjectClass::PRIVATE_KEY)?
        .first()
        .ok_or_else(|| missing("private key"))?;
    let public = *lookup(ObjectClass::PUBLIC_KEY)?
        .first()
        .ok_or_else(|| missing("public key"))?;
    let bits = token.with_session(|s| Ok(public_key(s, public, alg)), "C_GetAttributeValue")??;
    Ok((private, bits))
}

/// The subjectPublicKey bits of a public key object, which must be a key of `alg`.
fn public_key(
    s: &Session,
    object: ObjectHandle,
    alg: KeyAlgorithm,
) -> Result<Vec<u8>, SignerError> {
    let wrong = || SignerError::KeyMismatch;
    let read = |types: &[AttributeType]| {
        s.get_attributes(object, types)
            .map_err(|e| token_error("C_GetAttributeValue", e))
    };
    if let Some(bits) = rsa_bits(alg) {
        let attrs = read(&[
            AttributeType::KeyType,
            AttributeType::Modulus,
            AttributeType::PublicExponent,
        ])?;
        let (mut n, mut e) = (None, None);
        for a in attrs {
            match a {
                Attribute::KeyType(t) if t != KeyType::RSA => return Err(wrong()),
                Attribute::Modulus(v) => n = Some(rsa::BigUint::from_bytes_be(&v)),
                Attribute::PublicExponent(v) => e = Some(rsa::BigUint::from_bytes_be(&v)),
                _ => {}
            }
        }
        let (Some(n), Some(e)) = (n, e) else {
            return Err(wrong());
        };
        if u64::try_from(n.bits()).ok() != Some(bits) {
            return Err(wrong());
        }
        let key = rsa::RsaPublicKey::new(n, e).map_err(|e| SignerError::Token(e.to_string()))?;
        return key
            .to_pkcs1_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| SignerError::Token(e.to_string()));
    }
    let (params, _) = curve(alg).ok_or_else(wrong)?;
    let (mut point, mut have_params) = (None, None);
    for a in read(&[AttributeType::EcParams, AttributeType::EcPoint])? {
        match a {
            Attribute::EcParams(v) => have_params = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    if have_params.as_deref() != Some(params) {
        return Err(wrong());
    }
    let point = point.ok_or_else(wrong)?;
    let raw_len = match alg {
        KeyAlgorithm::EcdsaP256 => 65,
        KeyAlgorithm::EcdsaP384 => 97,
        _ => 32,
    };
    // CKA_EC_POINT is a DER OCTET STRING; some modules give the bare point.
    if point.len() == raw_len {
        return Ok(point);
    }
    let inner = OctetString::from_der(&point).map_err(|_| wrong())?;
    let inner = inner.as_bytes();
    if inner.len() != raw_len {
        return Err(wrong());
    }
    Ok(inner.to_vec())
}

/// PKCS#11 ECDSA signatures are `r || s`; X.509 carries `SEQUENCE { INTEGER r, INTEGER s }`.
pub(super) fn ecdsa_der(raw: &[u8]) -> Result<Vec<u8>, SignerError> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return Err(SignerError::Token(format!(
            "an ECDSA signature of {} bytes",
            raw.len()
        )));
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 8);
    for int in [r, s] {
        let first = int.iter().position(|&b| b != 0).unwrap_or(int.len() - 1);
        let int = &int[first..];
        let pad = int[0] & 0x80 != 0;
        body.push(0x02);
        body.push(u8::try_from(int.len() + usize::from(pad)).unwrap_or(0));
        if pad {
            body.push(0);
        }
        body.extend_from_slice(int);
    }
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(u8::try_from(body.len()).unwrap_or(0));
    out.extend(body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ecdsa_signatures_become_der_that_ring_verifies() {
        use ring::signature::{self, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        for _ in 0..32 {
            let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            )
            .unwrap();
            let key = signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                pkcs8.as_ref(),
                &rng,
            )
            .unwrap();
            let raw = key.sign(&rng, b"tbs").unwrap();
            let der = ecdsa_der(raw.as_ref()).unwrap();
            signature::UnparsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_ASN1,
                key.public_key().as_ref(),
            )
            .verify(b"tbs", &der)
            .unwrap();
        }
    }
}
