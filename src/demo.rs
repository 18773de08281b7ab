//! `satis demo`: a living network of invented data, so that a newcomer can walk every area.
//! Each area adds its own demonstration data here as it lands. The database is marked as a
//! demonstration database; a database that holds real data is refused.

use sea_orm::DatabaseConnection;

use crate::platform::settings::{self, Mode};

/// The password of every demonstration account (shown on screen by `satis demo`).
pub const DEMO_PASSWORD: &str = "demo-satis-2026";

/// A demonstration login, printed on screen.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub role: String,
    pub organisation: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "this database holds real data (mode: production); demonstration data is only loaded \
         into a new database or one created by `satis demo`"
    )]
    RealData,
    #[error("cannot load demonstration data: {0}")]
    Db(&'static str),
}

/// Loads the demonstration data (idempotently) and returns the accounts to show.
pub async fn load(db: &DatabaseConnection) -> Result<Vec<DemoAccount>, DemoError> {
    let mode = settings::claim(db, Mode::Demo)
        .await
        .map_err(|e| DemoError::Db(crate::platform::db::describe(&e)))?;
    if mode != Mode::Demo {
        return Err(DemoError::RealData);
    }
    Ok(Vec::new())
}
