//! Client certificates as credentials (`MTLS_CA_TLS_CLIENT_AUTH=optional`): a certificate this CA
//! issued, active, within its validity and bound to a token authenticates as that token, with its
//! policies. Read from the database on every request, so a revocation takes effect at once.

use ring::digest::{digest, SHA256};
use serde_json::{json, Value};

use super::audit::ResourceType;
use super::auth::{token_principal, Caller, Principal};
use super::token_rights::{visible, visible_any, writable};
use super::Services;
use crate::db::{bindings, certificates, tokens, zones, DbError};
use crate::error::{codes, AuthFailure, CertRefusal, Error, Result};
use crate::model::policy::PermissionGroup;
use crate::model::{CertId, CertStatus, TokenId};

fn refused(why: CertRefusal) -> Error {
    Error::Unauthenticated(AuthFailure::Certificate(why))
}

impl Services {
    /// The principal of the token the presented certificate (DER) is bound to.
    pub async fn authenticate_certificate(&self, der: &[u8], now: i64) -> Result<Principal> {
        let fingerprint = hex::encode(digest(&SHA256, der));
        let cert = bindings::presented(&self.db, &fingerprint)
            .await?
            .ok_or(refused(CertRefusal::Unknown))?;
        if cert.status != CertStatus::Active {
            return Err(refused(CertRefusal::NotActive));
        }
        if now < cert.issued_on || now >= cert.expires_on {
            return Err(refused(CertRefusal::Expired));
        }
        let token_id = cert.token_id.ok_or(refused(CertRefusal::Unbound))?;
        let row = tokens::find_with_owner(&self.db, &token_id)
            .await?
            .ok_or(refused(CertRefusal::Unbound))?;
        token_principal(row)
    }

    /// The token (which the caller may change) and the certificate (in a zone the caller may
    /// read) of a binding.
    async fn binding_parts(
        &self,
        caller: &Caller,
        token_id: &TokenId,
        cert_id: &CertId,
    ) -> Result<tokens::TokenRow> {
        let p = &caller.principal;
        if !visible_any(p) {
            return Err(Error::Forbidden);
        }
        let token = match tokens::get(&self.db, &p.account_id, token_id.as_str()).await? {
            Some(row) if visible(p, &row) => row,
            _ => return Err(Error::NotFound),
        };
        writable(p, &token)?;
        let zone = certificates::zone_of(&self.db, cert_id.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        if zones::find_zone(&self.db, &p.account_id, &zone)
            .await?
            .is_none()
            || !p.zone_rights(&zone).has(PermissionGroup::SslRead)
        {
            return Err(Error::NotFound);
        }
        Ok(token)
    }

    /// Binds a certificate to a token: presented over HTTPS, it then authenticates as the token.
    pub async fn bind_certificate(
        &self,
        caller: &Caller,
        token_id: &TokenId,
        cert_id: &CertId,
        now: i64,
    ) -> Result<Value> {
        let token = self.binding_parts(caller, token_id, cert_id).await?;
        let binding = json!({"token_id": token.id, "certificate_id": cert_id.as_str()});
        let audit = caller.audit(
            "bind",
            ResourceType::Token,
            &token.id,
            None,
            Some(binding.clone()),
            now,
        );
        match bindings::bind(&self.db, &token.id, cert_id.as_str(), now, &audit).await {
            Ok(()) => Ok(binding),
            Err(DbError::UniqueViolation) => Err(Error::invalid(
                codes::CERT_BOUND,
                format!("certificate {cert_id} is bound to a token already; unbind it first"),
                None,
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Unbinds a certificate from a token.
    pub async fn unbind_certificate(
        &self,
        caller: &Caller,
        token_id: &TokenId,
        cert_id: &CertId,
        now: i64,
    ) -> Result<Value> {
        let token = self.binding_parts(caller, token_id, cert_id).await?;
        let binding = json!({"token_id": token.id, "certificate_id": cert_id.as_str()});
        let audit = caller.audit(
            "unbind",
            ResourceType::Token,
            &token.id,
            Some(binding.clone()),
            None,
            now,
        );
        if !bindings::unbind(&self.db, &token.id, cert_id.as_str(), &audit).await? {
            return Err(Error::NotFound);
        }
        Ok(binding)
    }

    /// The ids of the certificates bound to a token the caller may see.
    pub async fn token_certificates(
        &self,
        caller: &Caller,
        token_id: &TokenId,
    ) -> Result<Vec<String>> {
        let p = &caller.principal;
        if !visible_any(p) {
            return Err(Error::Forbidden);
        }
        match tokens::get(&self.db, &p.account_id, token_id.as_str()).await? {
            Some(row) if visible(p, &row) => Ok(bindings::bound_to(&self.db, &row.id).await?),
            _ => Err(Error::NotFound),
        }
    }
}
