//! Databases for the repository unit tests: SQLite always, Postgres when `TEST_DATABASE_URL` is
//! set, each migrated, with the account [`ACCOUNT`]. Postgres databases are dropped by [`drop_all`].

use super::accounts::{self, AccountRow};
use super::{Db, PoolSettings};

/// The id of the account every test database has.
pub const ACCOUNT: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// One migrated database per engine with the account [`ACCOUNT`]; the folder keeps a SQLite file alive.
pub async fn databases(prefix: &str) -> Vec<(Db, tempfile::TempDir)> {
    let out = empty(prefix).await;
    for (db, _) in &out {
        db.migrate().await.unwrap();
        let account = AccountRow {
            id: ACCOUNT.into(),
            name: "default".into(),
            created_at: 0,
        };
        accounts::ensure_account(db, &account).await.unwrap();
    }
    out
}

/// Adds the CA `ca` to `db` (placeholders for its key and certificate), for rows that need one.
pub async fn insert_ca(db: &Db) {
    let ca = super::cas::NewCaRecord {
        id: "ca".into(),
        name: "test".into(),
        key_algorithm: crate::model::KeyAlgorithm::EcdsaP256,
        certificate_der: Some(vec![0]),
        chain_pem: String::new(),
        request_pem: None,
        key: super::cas::KeyColumns::local(vec![0], false),
        validity: Some((0, 1)),
    };
    assert!(super::cas::insert_first(db, ACCOUNT, &ca, 0).await.unwrap());
}

/// One empty, unmigrated database per engine.
pub async fn empty(prefix: &str) -> Vec<(Db, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("unit.db").display())];
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
        use sqlx::Connection;
        let name = format!("mtlsca_unit_{prefix}_{}", crate::model::random_hex_id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        urls.push(url.to_string());
    }
    let pool = PoolSettings {
        max_connections: 8,
        acquire_timeout: std::time::Duration::from_secs(10),
    };
    let mut out: Vec<(Db, tempfile::TempDir)> = Vec::new();
    let mut dir = Some(dir);
    for url in urls {
        let db = Db::connect(&url, pool).await.unwrap();
        let keep = dir.take().unwrap_or_else(|| tempfile::tempdir().unwrap());
        out.push((db, keep));
    }
    out
}

/// Closes every pool and drops the Postgres databases.
pub async fn drop_all(dbs: Vec<(Db, tempfile::TempDir)>) {
    for (db, _dir) in dbs {
        let name = match &db {
            Db::Postgres(pool) => pool.connect_options().get_database().map(str::to_owned),
            Db::Sqlite(_) => None,
        };
        db.close().await;
        if let (Some(name), Ok(admin)) = (name, std::env::var("TEST_DATABASE_URL")) {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}
