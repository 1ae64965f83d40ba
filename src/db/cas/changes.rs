//! The changes of an account's CAs, each one transaction that first bumps the account's CA
//! generation: the first CA, a rotation or import (retire the issuing CA, store a new one), a
//! pending CA, and the install of a pending CA. Each change but the first CA writes its audit entry
//! in the same transaction.

use super::{Installed, NewCaRecord};
use crate::db::audit::{insert_audit, AuditRow};
use crate::db::{db_run, Db, DbResult};
use crate::model::CaRole;

const INSERT: &str =
    "INSERT INTO certificate_authorities (id, account_id, name, role, key_algorithm, \
    certificate_der, chain_pem, request_pem, private_key, key_encrypted, key_custody, key_ref, \
    not_before, not_after, created_at, activated_at, seq) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

const RETIRE: &str = "UPDATE certificate_authorities SET role = 'retired', retired_at = $1 \
    WHERE id = $2 AND account_id = $3 AND role = 'issuing'";

/// Retires the issuing CA `current` inside transaction `tx`: whether it was still the issuing one.
macro_rules! retire {
    ($tx:expr, $account:expr, $current:expr, $now:expr) => {
        sqlx::query(RETIRE)
            .bind($now)
            .bind($current)
            .bind($account)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
            == 1
    };
}

const BUMP: &str =
    "UPDATE accounts SET ca_generation = ca_generation + 1 WHERE id = $1 RETURNING ca_generation";

/// Bumps the account's CA generation inside transaction `tx` (the row lock makes concurrent CA
/// changes wait for each other); the new value, which a new CA takes as its `seq`.
macro_rules! bump {
    ($tx:expr, $account:expr) => {
        sqlx::query_scalar::<_, i64>(BUMP)
            .bind($account)
            .fetch_one(&mut *$tx)
            .await?
    };
}

macro_rules! bind_new {
    ($q:expr, $account:expr, $r:expr, $role:expr, $now:expr, $seq:expr) => {
        $q.bind(&$r.id)
            .bind($account)
            .bind(&$r.name)
            .bind($role.as_str())
            .bind($r.key_algorithm.as_str())
            .bind(&$r.certificate_der)
            .bind(&$r.chain_pem)
            .bind(&$r.request_pem)
            .bind(&$r.key.private_key)
            .bind($r.key.encrypted)
            .bind($r.key.custody.as_str())
            .bind(&$r.key.key_ref)
            .bind($r.validity.map(|v| v.0))
            .bind($r.validity.map(|v| v.1))
            .bind($now)
            .bind(if $role == CaRole::Issuing {
                Some($now)
            } else {
                None
            })
            .bind($seq)
    };
}

/// Stores the account's first CA as issuing, unless it has an issuing CA already (two processes
/// racing on an empty database end up with one). Returns whether this one was stored.
pub async fn insert_first(db: &Db, account_id: &str, ca: &NewCaRecord, now: i64) -> DbResult<bool> {
    let sql = format!("{INSERT} ON CONFLICT (account_id) WHERE role = 'issuing' DO NOTHING");
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let seq = bump!(tx, account_id);
        let stored = bind_new!(sqlx::query(&sql), account_id, ca, CaRole::Issuing, now, seq)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if stored {
            tx.commit().await?;
        }
        Ok(stored)
    })
}

/// In one transaction: retires the issuing CA `current` and stores `ca` as the issuing one. False
/// (and nothing changed) when `current` is no longer the issuing CA: another rotation won.
pub async fn insert_issuing(
    db: &Db,
    account_id: &str,
    current: &str,
    ca: &NewCaRecord,
    now: i64,
    audit: &AuditRow,
) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let seq = bump!(tx, account_id);
        if !retire!(tx, account_id, current, now) {
            return Ok(false);
        }
        bind_new!(
            sqlx::query(INSERT),
            account_id,
            ca,
            CaRole::Issuing,
            now,
            seq
        )
        .execute(&mut *tx)
        .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(true)
    })
}

/// Stores a pending CA (a key and its CSR).
pub async fn insert_pending(
    db: &Db,
    account_id: &str,
    ca: &NewCaRecord,
    now: i64,
    audit: &AuditRow,
) -> DbResult<()> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let seq = bump!(tx, account_id);
        bind_new!(
            sqlx::query(INSERT),
            account_id,
            ca,
            CaRole::Pending,
            now,
            seq
        )
        .execute(&mut *tx)
        .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(())
    })
}

/// In one transaction: retires the issuing CA `current` and makes the pending CA `pending_id`,
/// with its certificate, the issuing one. False when either moved meanwhile.
pub async fn install(
    db: &Db,
    account_id: &str,
    current: &str,
    pending_id: &str,
    cert: &Installed,
    now: i64,
    audit: &AuditRow,
) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        bump!(tx, account_id);
        if !retire!(tx, account_id, current, now) {
            return Ok(false);
        }
        let moved = sqlx::query(
            "UPDATE certificate_authorities SET role = 'issuing', certificate_der = $1, \
             chain_pem = $2, name = $3, not_before = $4, not_after = $5, activated_at = $6 \
             WHERE id = $7 AND account_id = $8 AND role = 'pending'",
        )
        .bind(&cert.certificate_der)
        .bind(&cert.chain_pem)
        .bind(&cert.name)
        .bind(cert.validity.0)
        .bind(cert.validity.1)
        .bind(now)
        .bind(pending_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(true)
    })
}
