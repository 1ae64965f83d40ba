//! Keyset pages of the audit log, newest first by `(at, seq)`: a page starts just past the entry a
//! cursor names, so the millionth entry costs what the first does, and no page counts the log.
//! One index serves every shape (migration 0014: `(account_id, at, seq, action_type, actor_id,
//! lower(actor_email))`): a time range is a range of it, and the other filters are tested on its
//! entries, so a page reads rows only for the entries it returns. A filter that matches little
//! walks far (a million entries in about 0.1 s) before it has a page.

use sqlx::FromRow;

use super::audit::{AuditFilter, AuditRow};
use super::keyset::{self, bind_args, push, Arg};
use super::{db_run, Db, DbResult};

/// Where a page starts: strictly older, or strictly newer, than the entry at `(at, seq)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditCursor {
    /// The entries before this one, newest first.
    Older(i64, i64),
    /// The entries after this one, oldest first (the caller turns them round).
    Newer(i64, i64),
}

/// An entry with its place in the log.
#[derive(Debug, Clone, FromRow)]
pub struct PagedAudit {
    /// Order of writing.
    pub seq: i64,
    /// The entry.
    #[sqlx(flatten)]
    pub row: AuditRow,
}

const COLUMNS: &str = "seq, id, account_id, at, action_type, action_result, actor_type, actor_id, \
    actor_email, actor_ip, interface, resource_type, resource_id, old_value, new_value";

fn build(
    account_id: &str,
    f: &AuditFilter,
    from: Option<AuditCursor>,
    limit: i64,
) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::Text(account_id.to_owned())];
    let mut clauses = vec!["account_id = $1".to_owned()];
    if let Some(t) = f.since {
        let p = push(&mut args, Arg::Int(t));
        clauses.push(format!("at >= {p}"));
    }
    if let Some(t) = f.before {
        let p = push(&mut args, Arg::Int(t));
        clauses.push(format!("at < {p}"));
    }
    if let Some(a) = &f.action_type {
        let p = push(&mut args, Arg::Text(a.clone()));
        clauses.push(format!("action_type = {p}"));
    }
    if let Some(e) = &f.actor_email {
        let p = push(&mut args, Arg::Text(e.clone()));
        clauses.push(format!("lower(actor_email) = lower({p})"));
    }
    if let Some(id) = &f.actor_id {
        let p = push(&mut args, Arg::Text(id.clone()));
        clauses.push(format!("actor_id = {p}"));
    }
    let order = match from {
        Some(AuditCursor::Older(at, seq)) => {
            let (a, s) = (
                push(&mut args, Arg::Int(at)),
                push(&mut args, Arg::Int(seq)),
            );
            clauses.push(format!("(at, seq) < ({a}, {s})"));
            "DESC"
        }
        Some(AuditCursor::Newer(at, seq)) => {
            let (a, s) = (
                push(&mut args, Arg::Int(at)),
                push(&mut args, Arg::Int(seq)),
            );
            clauses.push(format!("(at, seq) > ({a}, {s})"));
            "ASC"
        }
        None => "DESC",
    };
    let limit = push(&mut args, Arg::Int(limit));
    (
        format!(
            "SELECT {COLUMNS} FROM audit_logs WHERE {} ORDER BY at {order}, seq {order} LIMIT {limit}",
            clauses.join(" AND ")
        ),
        args,
    )
}

/// Up to `limit` matching entries from `from` on (`None`: the newest), in the cursor's order.
pub async fn page(
    db: &Db,
    account_id: &str,
    f: &AuditFilter,
    from: Option<AuditCursor>,
    limit: i64,
) -> DbResult<Vec<PagedAudit>> {
    let (sql, args) = build(account_id, f, from, limit);
    db_run!(db, |pool| Ok(bind_args!(
        sqlx::query_as::<_, PagedAudit>(&sql),
        &args
    )
    .fetch_all(pool)
    .await?))
}

/// About how many entries the log holds, from the ends of its sequence (two index lookups):
/// exact while entries are never deleted and no insert was rolled back.
pub async fn about(db: &Db) -> DbResult<i64> {
    db_run!(db, |pool| {
        Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE((SELECT MAX(seq) FROM audit_logs) - (SELECT MIN(seq) FROM audit_logs) + 1, 0)"
    )
    .fetch_one(pool)
    .await?)
    })
}

/// The plan the engine chooses for a page, one line per step (as `cert_search::explain`).
pub async fn explain(
    db: &Db,
    account_id: &str,
    f: &AuditFilter,
    from: Option<AuditCursor>,
    limit: i64,
) -> DbResult<Vec<String>> {
    let (sql, args) = build(account_id, f, from, limit);
    keyset::explain(db, &sql, &args).await
}

#[cfg(test)]
#[path = "audit_pages_tests.rs"]
mod tests;
