//! What the keyset pages (`audit_pages`, `cert_search`) share: statements built at run time with
//! their bound values in order, and the plan the engine chooses for one.

use super::{Db, DbResult};

/// A value bound to a placeholder of a built statement.
pub(super) enum Arg {
    Text(String),
    Int(i64),
}

/// Appends a bound value; its placeholder.
pub(super) fn push(args: &mut Vec<Arg>, a: Arg) -> String {
    args.push(a);
    format!("${}", args.len())
}

/// Binds `args` to the query `q` in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::db::keyset::Arg::Text(t) => q.bind(t.clone()),
                $crate::db::keyset::Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}
pub(super) use bind_args;

/// The plan the engine chooses for `sql` with `args`, one line per step (SQLite's `EXPLAIN QUERY
/// PLAN` details, Postgres's `EXPLAIN` lines).
pub(super) async fn explain(db: &Db, sql: &str, args: &[Arg]) -> DbResult<Vec<String>> {
    match db {
        Db::Sqlite(pool) => {
            let sql = format!("EXPLAIN QUERY PLAN {sql}");
            let rows = bind_args!(sqlx::query_as::<_, (i64, i64, i64, String)>(&sql), args)
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(|r| r.3).collect())
        }
        Db::Postgres(pool) => {
            let sql = format!("EXPLAIN {sql}");
            Ok(bind_args!(sqlx::query_scalar::<_, String>(&sql), args)
                .fetch_all(pool)
                .await?)
        }
    }
}
