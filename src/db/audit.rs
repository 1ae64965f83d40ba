//! The audit log: one row per change, inserted by [`insert_audit!`] inside the change's own
//! transaction, and read back in pages.

use sqlx::FromRow;

use super::{db_run, Db, DbResult};

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AuditRow {
    /// UUID.
    pub id: String,
    /// The account the change happened in.
    pub account_id: String,
    /// Unix seconds.
    pub at: i64,
    /// `issue`, `revoke`, `create`, `roll`...
    pub action_type: String,
    /// Whether the change was made (always true today: refused requests change nothing).
    pub action_result: bool,
    /// `user` (a Global API Key or a token) or `admin` (the CLI).
    pub actor_type: String,
    /// Token id, user id, or the CLI's OS user.
    pub actor_id: String,
    /// The acting user's email, when known.
    pub actor_email: String,
    /// The client address, `""` for the CLI.
    pub actor_ip: String,
    /// `api`, `cli` or `console`.
    pub interface: String,
    /// `certificate`, `token`, `zone`, `user`, `certificate_authority`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: String,
    /// JSON of the value before, where it applies.
    pub old_value: Option<String>,
    /// JSON of the value after, where it applies.
    pub new_value: Option<String>,
}

/// Inserts an [`AuditRow`] on `$conn` (a transaction of either engine).
macro_rules! insert_audit {
    ($conn:expr, $row:expr) => {{
        let row: &$crate::db::audit::AuditRow = $row;
        $crate::db::audit::insert_audits!($conn, std::slice::from_ref(row));
    }};
}
pub(crate) use insert_audit;

/// The columns of `audit_logs` a change writes.
pub(crate) const AUDIT_COLUMNS: &str = "id, account_id, at, action_type, action_result, \
    actor_type, actor_id, actor_email, actor_ip, interface, resource_type, resource_id, \
    old_value, new_value";

/// Inserts a slice of [`AuditRow`]s (at most a few thousand) on `$conn` in one statement.
macro_rules! insert_audits {
    ($conn:expr, $rows:expr) => {{
        let rows: &[$crate::db::audit::AuditRow] = $rows;
        let mut insert = sqlx::QueryBuilder::new(format!(
            "INSERT INTO audit_logs ({}) ",
            $crate::db::audit::AUDIT_COLUMNS
        ));
        insert.push_values(rows, |mut b, row| {
            b.push_bind(&row.id)
                .push_bind(&row.account_id)
                .push_bind(row.at)
                .push_bind(&row.action_type)
                .push_bind(row.action_result)
                .push_bind(&row.actor_type)
                .push_bind(&row.actor_id)
                .push_bind(&row.actor_email)
                .push_bind(&row.actor_ip)
                .push_bind(&row.interface)
                .push_bind(&row.resource_type)
                .push_bind(&row.resource_id)
                .push_bind(&row.old_value)
                .push_bind(&row.new_value);
        });
        insert.build().persistent(false).execute($conn).await?;
    }};
}
pub(crate) use insert_audits;

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only at or after (unix seconds).
    pub since: Option<i64>,
    /// Only before.
    pub before: Option<i64>,
    /// Only this action type.
    pub action_type: Option<String>,
    /// Only this actor email (case-insensitive).
    pub actor_email: Option<String>,
    /// Only this actor id (a token's own entries).
    pub actor_id: Option<String>,
    /// Oldest first instead of newest first.
    pub ascending: bool,
}

const WHERE: &str =
    "WHERE account_id = $1 AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at < $3) \
    AND ($4 IS NULL OR action_type = $4) AND ($5 IS NULL OR lower(actor_email) = lower($5)) \
    AND ($6 IS NULL OR actor_id = $6)";

macro_rules! bind_filter {
    ($q:expr, $account:expr, $f:expr) => {
        $q.bind($account)
            .bind($f.since)
            .bind($f.before)
            .bind(&$f.action_type)
            .bind(&$f.actor_email)
            .bind(&$f.actor_id)
    };
}

/// How many entries match.
pub async fn count(db: &Db, account_id: &str, f: &AuditFilter) -> DbResult<i64> {
    let sql = format!("SELECT COUNT(*) FROM audit_logs {WHERE}");
    db_run!(db, |pool| Ok(bind_filter!(
        sqlx::query_scalar::<_, i64>(&sql),
        account_id,
        f
    )
    .fetch_one(pool)
    .await?))
}

/// A page of matching entries, newest first unless `ascending`.
pub async fn list(
    db: &Db,
    account_id: &str,
    f: &AuditFilter,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<AuditRow>> {
    let order = if f.ascending { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT id, account_id, at, action_type, action_result, actor_type, actor_id, actor_email, \
         actor_ip, interface, resource_type, resource_id, old_value, new_value FROM audit_logs \
         {WHERE} ORDER BY seq {order} LIMIT $7 OFFSET $8"
    );
    db_run!(db, |pool| Ok(bind_filter!(
        sqlx::query_as::<_, AuditRow>(&sql),
        account_id,
        f
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?))
}

#[cfg(test)]
impl AuditRow {
    /// An entry for tests that need one to write a change.
    pub(crate) fn for_test(account_id: &str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: account_id.to_owned(),
            at: 0,
            action_type: "create".into(),
            action_result: true,
            actor_type: "admin".into(),
            actor_id: "test".into(),
            actor_email: String::new(),
            actor_ip: String::new(),
            interface: "cli".into(),
            resource_type: "zone".into(),
            resource_id: String::new(),
            old_value: None,
            new_value: None,
        }
    }
}
