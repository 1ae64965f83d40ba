//! The domain error of the service layer, and the stable validation codes documented in the README.

use crate::db::DbError;

/// Stable error codes of this project (Cloudflare's own codes are used where the contract names them).
pub mod codes {
    /// The request body is not valid JSON.
    pub const INVALID_JSON: u32 = 1400;
    /// A required field is missing.
    pub const MISSING_FIELD: u32 = 1401;
    /// A field has the wrong type.
    pub const WRONG_TYPE: u32 = 1402;
    /// The body is not `application/json`.
    pub const UNSUPPORTED_CONTENT_TYPE: u32 = 1403;
    /// The body is larger than the limit.
    pub const BODY_TOO_LARGE: u32 = 1404;
    /// The CSR is not a PEM certificate request.
    pub const CSR_MALFORMED: u32 = 1410;
    /// The CSR's signature does not verify (no proof of possession).
    pub const CSR_BAD_SIGNATURE: u32 = 1411;
    /// The CSR's key is not allowed by the key policy.
    pub const CSR_KEY_NOT_ALLOWED: u32 = 1412;
    /// The CSR asks for something this CA does not issue.
    pub const CSR_UNSUPPORTED: u32 = 1413;
    /// A CSR subject attribute or subjectAltName entry breaks the name rules (RFC 5280 bounds,
    /// control characters, DNS, e-mail or URI syntax).
    pub const CSR_NAME_INVALID: u32 = 1414;
    /// `validity_days` is not an integer from 1 to 3650.
    pub const VALIDITY_OUT_OF_RANGE: u32 = 1420;
    /// `validity_days` would reach past the CA certificate's own notAfter.
    pub const VALIDITY_EXCEEDS_CA: u32 = 1421;
    /// A query parameter is invalid.
    pub const INVALID_QUERY: u32 = 1430;
    /// Missing credentials.
    pub const NO_CREDENTIALS: u32 = 9106;
    /// Malformed authentication headers.
    pub const BAD_HEADERS: u32 = 6003;
    /// Unknown or disabled API token.
    pub const INVALID_TOKEN: u32 = 1000;
    /// Unknown email or Global API Key.
    pub const INVALID_KEY: u32 = 9103;
    /// Authenticated, but not allowed.
    pub const FORBIDDEN: u32 = 10000;
    /// Unknown zone or certificate.
    pub const NOT_FOUND: u32 = 7003;
    /// Unknown route.
    pub const NO_ROUTE: u32 = 7000;
    /// Method not allowed on this route.
    pub const METHOD_NOT_ALLOWED: u32 = 7001;
    /// Too many requests.
    pub const RATE_LIMITED: u32 = 971;
    /// A token used from an address its IP condition refuses.
    pub const BAD_LOCATION: u32 = 9109;
    /// A token's `policies` are not valid.
    pub const INVALID_POLICY: u32 = 1450;
    /// A token's `condition` is not valid.
    pub const INVALID_CONDITION: u32 = 1451;
    /// A time (`expires_on`, `not_before`, `since`...) is not RFC 3339, or the window is empty.
    pub const INVALID_TIME: u32 = 1452;
    /// A token would get rights its maker does not hold.
    pub const RIGHTS_EXCEEDED: u32 = 1453;
    /// A name (token, zone) is empty, too long, or taken.
    pub const INVALID_NAME: u32 = 1454;
    /// A zone still has a certificate that is active or pending reactivation, so it is kept.
    pub const ZONE_NOT_EMPTY: u32 = 1455;
    /// The account named is not the caller's.
    pub const INVALID_ACCOUNT: u32 = 1456;
    /// A certificate is bound to another token already.
    pub const CERT_BOUND: u32 = 1457;
    /// A presented client certificate was not issued by this CA.
    pub const CERT_UNKNOWN: u32 = 1460;
    /// A presented client certificate is revoked or pending.
    pub const CERT_NOT_ACTIVE: u32 = 1461;
    /// A presented client certificate is outside its validity.
    pub const CERT_EXPIRED: u32 = 1462;
    /// A presented client certificate is not bound to a token.
    pub const CERT_UNBOUND: u32 = 1463;
    /// The console session has ended (signed out, expired, or its credential no longer works).
    pub const SESSION_ENDED: u32 = 1464;
    /// A console change without this session's CSRF token.
    pub const CSRF_MISMATCH: u32 = 1465;
    /// Internal error.
    pub const INTERNAL: u32 = 1500;
    /// The database is unavailable.
    pub const UNAVAILABLE: u32 = 1501;
    /// A CA operation was refused (not a CA, key mismatch, chain does not verify...).
    pub const CA_REFUSED: u32 = 1440;
}

/// A 400 about one field of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// One of [`codes`].
    pub code: u32,
    /// What is wrong, for the user.
    pub message: String,
    /// JSON pointer of the field (`/csr`), when there is one.
    pub pointer: Option<String>,
}

/// Why authentication failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credentials at all.
    Missing,
    /// A header is present but malformed: (sub-code, message) for the `error_chain`.
    Malformed(u32, &'static str),
    /// Unknown or disabled token.
    BadToken,
    /// Unknown email or key.
    BadKey,
    /// The token's `expires_on` has passed.
    Expired,
    /// The token's `not_before` has not come yet.
    NotYetValid,
    /// The token's IP condition refuses this client address.
    Location(String),
    /// A client certificate was presented instead of credentials, and refused.
    Certificate(CertRefusal),
    /// No console session, or one that has ended.
    Session,
    /// A console change whose CSRF token is missing or is not the session's.
    Csrf,
}

/// Why a presented client certificate does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRefusal {
    /// This CA did not issue it.
    Unknown,
    /// Revoked, or revocation or reactivation pending.
    NotActive,
    /// Outside its validity.
    Expired,
    /// Not bound to any token.
    Unbound,
}

impl CertRefusal {
    /// The code and message of the 401.
    pub fn code_and_message(self) -> (u32, &'static str) {
        match self {
            Self::Unknown => (
                codes::CERT_UNKNOWN,
                "The client certificate was not issued by this CA",
            ),
            Self::NotActive => (
                codes::CERT_NOT_ACTIVE,
                "The client certificate is not active (revoked or pending)",
            ),
            Self::Expired => (
                codes::CERT_EXPIRED,
                "The client certificate is not within its validity",
            ),
            Self::Unbound => (
                codes::CERT_UNBOUND,
                "The client certificate is not bound to an API token",
            ),
        }
    }
}

/// Everything the service layer can fail with; `http::error` maps each variant to a status and code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input.
    #[error("invalid request: {}", .0.message)]
    Invalid(Invalid),
    /// Authentication failed.
    #[error("authentication failed: {0:?}")]
    Unauthenticated(AuthFailure),
    /// Authenticated without the permission or the zone.
    #[error("forbidden")]
    Forbidden,
    /// Unknown zone or certificate.
    #[error("not found")]
    NotFound,
    /// Rate limited for this many seconds.
    #[error("rate limited")]
    RateLimited(u64),
    /// The database cannot be reached.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A CA key cannot be loaded (passphrase missing or wrong); the message says what to set.
    #[error("{0}")]
    KeyUnavailable(String),
    /// A bug or an unexpected failure; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A validation error about `pointer`.
    pub fn invalid(code: u32, message: impl Into<String>, pointer: Option<&str>) -> Self {
        Self::Invalid(Invalid {
            code,
            message: message.into(),
            pointer: pointer.map(str::to_owned),
        })
    }
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(msg) => Self::Unavailable(msg),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Result alias of the service layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
