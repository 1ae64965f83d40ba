//! The console's certificate search: keyset pages (never OFFSET), each order backed by an index of
//! migration 0011 so that a deep page costs what the first one does.

use sqlx::FromRow;

use super::certificates::{CertRow, COLUMNS};
use super::keyset::{self, bind_args, push, Arg};
use super::{db_run, Db, DbResult};
use crate::model::CertStatus;

/// The order of a page, and so the index that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Newest first (`seq` descending): rows before this `seq`.
    Newest(i64),
    /// By common name, then `seq`: rows after this pair.
    Name(String, i64),
    /// Soonest expiry first, then `seq`: rows after this pair.
    Expiry(i64, i64),
}

/// Which page of which certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Only these zones (`None`: every zone).
    pub zones: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<CertStatus>,
    /// Exactly this id, serial number or SHA-256 fingerprint (lowercase hex).
    pub exact: Option<String>,
    /// Common names starting with this (name order).
    pub name_prefix: Option<String>,
    /// Active certificates whose notAfter is in `[from, until)` (expiry order).
    pub expiring: Option<(i64, i64)>,
    /// Where the page starts (`None`: the first page); must be of the search's order.
    pub after: Option<Cursor>,
    /// Rows to return.
    pub limit: i64,
}

/// A row with its position.
#[derive(Debug, Clone, FromRow)]
pub struct Found {
    /// Creation order.
    pub seq: i64,
    /// The certificate.
    #[sqlx(flatten)]
    pub row: CertRow,
}

struct Sql {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Sql {
    fn arg(&mut self, a: Arg) -> String {
        push(&mut self.args, a)
    }
}

/// The string just after every string that starts with `prefix` (its last character bumped), for an
/// index range; `None` when there is none.
fn after_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn build(s: &Search) -> (String, Vec<Arg>) {
    let mut q = Sql {
        clauses: Vec::new(),
        args: Vec::new(),
    };
    if let Some(zones) = &s.zones {
        let list: Vec<String> = zones.iter().map(|z| q.arg(Arg::Text(z.clone()))).collect();
        let list = if list.is_empty() {
            "NULL".to_owned()
        } else {
            list.join(", ")
        };
        q.clauses.push(format!("zone_id IN ({list})"));
    }
    if let Some(st) = s.status {
        let p = q.arg(Arg::Text(st.as_str().to_owned()));
        q.clauses.push(format!("status = {p}"));
    }
    if let Some(term) = &s.exact {
        let p = q.arg(Arg::Text(term.clone()));
        q.clauses.push(format!(
            "(id = {p} OR serial_number = {p} OR fingerprint_sha256 = {p})"
        ));
    }
    let order = if let Some(prefix) = &s.name_prefix {
        let lo = q.arg(Arg::Text(prefix.clone()));
        q.clauses.push(format!("common_name >= {lo}"));
        if let Some(hi) = after_prefix(prefix) {
            let hi = q.arg(Arg::Text(hi));
            q.clauses.push(format!("common_name < {hi}"));
        }
        // The range finds the index entries; this keeps exactly the prefix under any collation.
        let n = q.arg(Arg::Int(prefix.chars().count() as i64));
        q.clauses.push(format!(
            "substr(common_name, 1, CAST({n} AS INTEGER)) = {lo}"
        ));
        "common_name, seq"
    } else if let Some((from, until)) = s.expiring {
        let (a, b) = (q.arg(Arg::Int(from)), q.arg(Arg::Int(until)));
        q.clauses.push(format!(
            "status = 'active' AND expires_on >= {a} AND expires_on < {b}"
        ));
        "expires_on, seq"
    } else {
        "seq DESC"
    };
    match &s.after {
        Some(Cursor::Newest(seq)) => {
            let p = q.arg(Arg::Int(*seq));
            q.clauses.push(format!("seq < {p}"));
        }
        Some(Cursor::Name(name, seq)) => {
            let (a, b) = (q.arg(Arg::Text(name.clone())), q.arg(Arg::Int(*seq)));
            q.clauses.push(format!("(common_name, seq) > ({a}, {b})"));
        }
        Some(Cursor::Expiry(at, seq)) => {
            let (a, b) = (q.arg(Arg::Int(*at)), q.arg(Arg::Int(*seq)));
            q.clauses.push(format!("(expires_on, seq) > ({a}, {b})"));
        }
        None => {}
    }
    let limit = q.arg(Arg::Int(s.limit));
    let filter = if q.clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", q.clauses.join(" AND "))
    };
    (
        format!(
            "SELECT seq, {COLUMNS} FROM client_certificates {filter} ORDER BY {order} LIMIT {limit}"
        ),
        q.args,
    )
}

/// One page of a search.
pub async fn search(db: &Db, s: &Search) -> DbResult<Vec<Found>> {
    let (sql, args) = build(s);
    db_run!(db, |pool| Ok(bind_args!(
        sqlx::query_as::<_, Found>(&sql),
        &args
    )
    .fetch_all(pool)
    .await?))
}

/// The plan the engine chooses for a search, one line per step (SQLite's `EXPLAIN QUERY PLAN`
/// details, Postgres's `EXPLAIN` lines): the tests and the benchmark check that indexes serve it.
pub async fn explain(db: &Db, s: &Search) -> DbResult<Vec<String>> {
    let (sql, args) = build(s);
    keyset::explain(db, &sql, &args).await
}

#[cfg(test)]
#[path = "cert_search_tests.rs"]
mod tests;
