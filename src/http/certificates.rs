//! Handlers of `/zones/{zone_id}/client_certificates`: extract, call one service method, answer.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::auth::Auth;
use super::envelope::{ok, ok_list};
use super::extract::{CertPath, JsonObject, OptionalJsonObject, QueryMap, ZonePath};
use crate::clock;
use crate::error::{codes, Error, Result};
use crate::model::policy::PermissionGroup;
use crate::model::ZoneId;
use crate::service::auth::Caller;
use crate::service::certificates::CreateRequest;
use crate::service::listing::ListQuery;
use crate::service::Services;

/// The fields of a create body: `csr` (a string) and `validity_days` (a whole number).
pub(crate) fn create_request(body: &serde_json::Map<String, Value>) -> Result<CreateRequest> {
    let csr = match body.get("csr") {
        None | Some(Value::Null) => {
            return Err(Error::invalid(
                codes::MISSING_FIELD,
                "csr is required",
                Some("/csr"),
            ))
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(Error::invalid(
                codes::WRONG_TYPE,
                "csr must be a string holding a PEM CSR",
                Some("/csr"),
            ))
        }
    };
    let validity_days = match body.get("validity_days") {
        None | Some(Value::Null) => {
            return Err(Error::invalid(
                codes::MISSING_FIELD,
                "validity_days is required",
                Some("/validity_days"),
            ))
        }
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            // Whole floats such as 365.0 are numbers too; anything else is out of range.
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
            _ => {
                return Err(Error::invalid(
                    codes::VALIDITY_OUT_OF_RANGE,
                    format!("validity_days must be a whole number from 1 to 3650, not {n}"),
                    Some("/validity_days"),
                ))
            }
        },
        Some(_) => {
            return Err(Error::invalid(
                codes::WRONG_TYPE,
                "validity_days must be a number",
                Some("/validity_days"),
            ))
        }
    };
    Ok(CreateRequest { csr, validity_days })
}

/// A caller who may not act on the zone hears 403 (or 404 for an unknown zone) before anything about
/// its body or query: permission and scope come first, as at Cloudflare, so a zone-scoped token gets
/// 403 for every zone outside its scope whatever it sends. Only the failure path pays for this check;
/// on success the service authorises anyway.
async fn reject_input(
    s: &Services,
    caller: &Caller,
    zone: &ZoneId,
    needed: PermissionGroup,
    invalid: Error,
) -> Error {
    match s.authorize(&caller.principal, zone, needed).await {
        Ok(()) => invalid,
        Err(denied) => denied,
    }
}

/// `POST`: issue a certificate from a CSR.
pub async fn create(
    State(s): State<Arc<Services>>,
    Auth(p): Auth,
    ZonePath(zone): ZonePath,
    body: Result<JsonObject, Error>,
) -> Result<Response> {
    let req = match body.and_then(|JsonObject(body)| create_request(&body)) {
        Ok(req) => req,
        Err(invalid) => {
            return Err(reject_input(&s, &p, &zone, PermissionGroup::SslWrite, invalid).await)
        }
    };
    Ok(ok(s
        .create_certificate(&p, &zone, req, clock::now())
        .await?))
}

/// `GET`: a page of certificates.
pub async fn list(
    State(s): State<Arc<Services>>,
    Auth(p): Auth,
    ZonePath(zone): ZonePath,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    let query = match ListQuery::parse(&params) {
        Ok(query) => query,
        Err(invalid) => {
            return Err(reject_input(&s, &p, &zone, PermissionGroup::SslRead, invalid).await)
        }
    };
    let (items, info) = s.list_certificates(&p, &zone, &query).await?;
    Ok(ok_list(items, info))
}

/// `GET /{id}`.
pub async fn get_one(
    State(s): State<Arc<Services>>,
    Auth(p): Auth,
    CertPath(zone, id): CertPath,
) -> Result<Response> {
    Ok(ok(s.get_certificate(&p, &zone, &id).await?))
}

/// `DELETE /{id}`: request revocation. Any body is ignored.
pub async fn revoke(
    State(s): State<Arc<Services>>,
    Auth(p): Auth,
    CertPath(zone, id): CertPath,
) -> Result<Response> {
    Ok(ok(s
        .revoke_certificate(&p, &zone, &id, clock::now())
        .await?))
}

/// `reactivate` of a PATCH body: absent or null means true.
fn reactivate_flag(body: &serde_json::Map<String, Value>) -> Result<bool> {
    match body.get("reactivate") {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::invalid(
            codes::WRONG_TYPE,
            "reactivate must be a boolean",
            Some("/reactivate"),
        )),
    }
}

/// `PATCH /{id}`: request reactivation; `{"reactivate": false}` changes nothing.
pub async fn reactivate(
    State(s): State<Arc<Services>>,
    Auth(p): Auth,
    CertPath(zone, id): CertPath,
    body: Result<OptionalJsonObject, Error>,
) -> Result<Response> {
    let reactivate = match body.and_then(|OptionalJsonObject(body)| reactivate_flag(&body)) {
        Ok(flag) => flag,
        Err(invalid) => {
            return Err(reject_input(&s, &p, &zone, PermissionGroup::SslWrite, invalid).await)
        }
    };
    Ok(ok(s
        .reactivate_certificate(&p, &zone, &id, reactivate, clock::now())
        .await?))
}
