//! Handlers of `/zones` and `/accounts`, and the audit logs.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::auth::Auth;
use super::envelope::{ok, ok_list};
use super::extract::{JsonObject, QueryMap, ZonePath};
use crate::clock;
use crate::error::{codes, Error, Result};
use crate::service::audit::{parse_filter, AuditScope};
use crate::service::paging::Paging;
use crate::service::Services;

/// `GET /zones`: filters `name`, `account.id`; paged like Cloudflare (`per_page` 5..50).
pub async fn list(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    let paging = Paging::parse(&params, 20, 5, 50)?;
    let name = params
        .get("name")
        .map(String::as_str)
        .filter(|n| !n.is_empty());
    let rows = match params.get("account.id").filter(|a| !a.is_empty()) {
        Some(a) if *a != caller.principal.account_id => Vec::new(),
        _ => s.list_zones(&caller, name).await?,
    };
    let (page, info) = paging.slice(rows);
    Ok(ok_list(s.zone_views(&page), info))
}

/// `POST /zones` `{name, account: {id}, type?}`.
pub async fn create(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let name = match body.get("name") {
        Some(Value::String(n)) => n.clone(),
        None | Some(Value::Null) => {
            return Err(Error::invalid(
                codes::MISSING_FIELD,
                "name is required",
                Some("/name"),
            ))
        }
        Some(_) => {
            return Err(Error::invalid(
                codes::WRONG_TYPE,
                "name must be a string",
                Some("/name"),
            ))
        }
    };
    match body.get("account").and_then(|a| a.get("id")) {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if *id == caller.principal.account_id => {}
        Some(_) => {
            return Err(Error::invalid(
                codes::INVALID_ACCOUNT,
                format!(
                    "account.id must be this account, {}",
                    caller.principal.account_id
                ),
                Some("/account/id"),
            ))
        }
    }
    match body.get("type") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t == "full" || t == "partial" || t == "secondary" => {}
        Some(_) => {
            return Err(Error::invalid(
                codes::WRONG_TYPE,
                "type must be full, partial or secondary",
                Some("/type"),
            ))
        }
    }
    let row = s.create_zone(&caller, &name, clock::now()).await?;
    let mut views = s.zone_views(std::slice::from_ref(&row));
    Ok(ok(views.pop()))
}

/// `GET /zones/{zone_id}`.
pub async fn get_one(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    ZonePath(zone): ZonePath,
) -> Result<Response> {
    Ok(ok(s.get_zone(&caller, &zone).await?))
}

/// `DELETE /zones/{zone_id}`: refused (400) while the zone has a certificate that is not revoked.
pub async fn delete(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    ZonePath(zone): ZonePath,
) -> Result<Response> {
    Ok(ok(s.delete_zone(&caller, &zone, clock::now()).await?))
}

/// `GET /accounts`.
pub async fn accounts(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    let paging = Paging::parse(&params, 20, 5, 50)?;
    let (page, info) = paging.slice(s.list_accounts(&caller).await?);
    Ok(ok_list(page, info))
}

/// `GET /accounts/{account_id}`.
pub async fn account(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(ok(s.get_account(&caller, &id).await?))
}

/// `GET /accounts/{account_id}/audit_logs`.
pub async fn account_audit(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    if id != caller.principal.account_id {
        return Err(Error::NotFound);
    }
    audit(&s, &caller, AuditScope::Account, &params).await
}

/// `GET /user/audit_logs`.
pub async fn user_audit(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    audit(&s, &caller, AuditScope::User, &params).await
}

async fn audit(
    s: &Services,
    caller: &crate::service::auth::Caller,
    scope: AuditScope,
    params: &std::collections::HashMap<String, String>,
) -> Result<Response> {
    let paging = Paging::parse(params, 100, 1, 1000)?;
    let filter = parse_filter(params)?;
    let (items, info) = s.list_audit(caller, scope, filter, paging).await?;
    Ok(ok_list(items, info))
}
