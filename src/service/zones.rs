//! Zones of the default account (created by the CLI).

use super::Services;
use crate::db::zones::{self, ZoneRow};
use crate::db::DbError;
use crate::error::{Error, Result};
use crate::model::ZoneId;

impl Services {
    /// Creates a zone named `name` (unique in the account).
    pub async fn create_zone(&self, name: &str, now: i64) -> Result<ZoneRow> {
        let name = name.trim();
        if name.is_empty()
            || name.len() > 253
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                1401,
                format!("{name:?} is not a valid zone name"),
                Some("/name"),
            ));
        }
        let row = ZoneRow {
            id: ZoneId::generate().to_string(),
            account_id: self.account_id.to_string(),
            name: name.to_owned(),
            created_at: now,
        };
        match zones::insert_zone(&self.db, &row).await {
            Ok(()) => Ok(row),
            Err(DbError::UniqueViolation) => Err(Error::invalid(
                1401,
                format!("a zone named {name} exists already"),
                Some("/name"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The account's zones, oldest first.
    pub async fn list_zones(&self) -> Result<Vec<ZoneRow>> {
        Ok(zones::list_zones(&self.db, self.account_id.as_str()).await?)
    }
}
