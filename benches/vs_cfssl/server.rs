//! What both sides' servers share: the running process and its store, a database of its own on a
//! Postgres cluster, a free port, and waiting until the server listens.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::Connection;
use tokio::process::Child;

/// A running server: the process (killed on drop), its store, and the wrk script that loads it.
pub struct Server {
    /// The server process.
    pub child: Child,
    /// Its certificate store.
    pub store: Store,
    /// The wrk script that posts to it.
    pub script: PathBuf,
    /// The URL wrk posts to.
    pub url: String,
}

/// Where a server keeps its certificates, to count them afterwards (and drop a Postgres database).
pub struct Store {
    /// The database, as sqlx opens it.
    pub url: String,
    /// The table of its certificates.
    pub table: &'static str,
    /// The cluster to drop a Postgres database on, afterwards.
    pub admin: Option<String>,
}

impl Store {
    /// How many certificates it holds.
    pub async fn count(&self) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", self.table);
        Ok(if self.url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.url).await?;
            sqlx::query_scalar(&sql).fetch_one(&mut c).await?
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
            sqlx::query_scalar(&sql).fetch_one(&mut c).await?
        })
    }

    /// Drops its database, when it is one of its own on Postgres.
    pub async fn drop_database(&self) -> anyhow::Result<()> {
        if let Some(admin) = &self.admin {
            let name = url::Url::parse(&self.url)?
                .path()
                .trim_start_matches('/')
                .to_owned();
            let mut c = sqlx::PgConnection::connect(admin).await?;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut c)
                .await?;
        }
        Ok(())
    }
}

/// A new database on the cluster `admin` names; its URL.
pub async fn create_database(admin: &str, prefix: &str) -> anyhow::Result<String> {
    let name = format!("{prefix}_{}", mtls_ca::model::random_hex_id());
    let mut c = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await?;
    let mut url = url::Url::parse(admin)?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// A port free on 127.0.0.1 just now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until something listens on `port`, or fails when `child` exits first or after 20 s.
pub async fn wait_listening(port: u16, child: &mut Child) -> anyhow::Result<()> {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("server exited before listening: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("server not listening on port {port} after 20 s")
}
