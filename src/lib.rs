//! SATIS: the information system of the Tuscan network against human trafficking and severe
//! exploitation. See `docs/ARCHITECTURE.md` for the map of this crate.
#![forbid(unsafe_code)]

pub mod app;
pub mod cases;
pub mod cli;
pub mod demo;
pub mod demo_materials;
pub mod demo_people;
pub mod demo_scale;
pub mod exchange;
#[doc(hidden)]
pub mod fuzzing;
pub mod home;
pub mod hotline;
pub mod identity;
pub mod network;
pub mod news;
pub mod outreach;
pub mod platform;
pub mod projects;
pub mod referrals;
pub mod reminders;
pub mod reports;
pub mod stats;

use std::sync::Arc;

use axum::Router;

use platform::audit;
use platform::config::Config;
use platform::crypto::{CryptoError, KeyFileState, KeyRing};
use platform::db::{self, DbError};
use platform::settings::{self, Mode};
use platform::web::AppState;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Keys(#[from] CryptoError),
}

/// Opens the key file, creating it on first start (and saying so loudly).
pub fn open_keys(config: &Config) -> Result<KeyRing, CryptoError> {
    let (keys, state) = KeyRing::open_or_create(&config.keys_file)?;
    if state == KeyFileState::Created {
        tracing::warn!(
            path = %config.keys_file.display(),
            "NEW ENCRYPTION KEY FILE CREATED: back it up apart from the database; without it \
             encrypted data cannot be read"
        );
    }
    Ok(keys)
}

/// The setting that records that text older versions kept in clear has been sealed.
const LEGACY_TEXT_SEALED: &str = "legacy_text_sealed";

/// Opens (creating and migrating if needed) the configured database and builds the router.
/// `wanted` is the mode an unclaimed database is given; a claimed one keeps its own.
pub async fn build_app(
    config: Config,
    wanted: Mode,
) -> Result<(Router, Arc<AppState>), StartError> {
    let db = db::open(&config.database_url).await?;
    let mode = settings::claim(&db, wanted)
        .await
        .map_err(|e| DbError::Query(db::describe(&e).to_owned()))?;
    let mut keys = open_keys(&config)?;
    audit::record_legacy_boundary(&db, &mut keys, &config.keys_file)
        .await
        .map_err(|e| DbError::Query(db::describe(&e).to_owned()))?;
    // Once per database: later versions never write these columns in clear, so the scan
    // of every table it covers is not repeated at each start.
    let done = settings::get(&db, LEGACY_TEXT_SEALED)
        .await
        .map_err(|e| DbError::Query(db::describe(&e).to_owned()))?;
    if done.is_none() {
        let sealed = platform::keys::seal_legacy_text(&db, &keys, &app::legacy_plain())
            .await
            .map_err(|e| DbError::Query(e.to_string()))?;
        settings::set(&db, LEGACY_TEXT_SEALED, &sealed.to_string())
            .await
            .map_err(|e| DbError::Query(db::describe(&e).to_owned()))?;
        if sealed > 0 {
            tracing::info!(
                values = sealed,
                "free text left in clear by an older version sealed"
            );
        }
    }
    let state = Arc::new(AppState::new(db, config, mode == Mode::Demo, keys));
    Ok((app::router(state.clone()), state))
}
