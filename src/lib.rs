//! SATIS: the information system of the Tuscan network against human trafficking and severe
//! exploitation. See `docs/ARCHITECTURE.md` for the map of this crate.
#![forbid(unsafe_code)]

pub mod cli;
pub mod demo;
pub mod home;
pub mod identity;
pub mod platform;

use std::sync::Arc;

use axum::Router;

use platform::config::Config;
use platform::db::{self, DbError};
use platform::settings::{self, Mode};
use platform::web::{self, AppState};

/// Opens (creating and migrating if needed) the configured database and builds the router.
/// `wanted` is the mode an unclaimed database is given; a claimed one keeps its own.
pub async fn build_app(config: Config, wanted: Mode) -> Result<(Router, Arc<AppState>), DbError> {
    let db = db::open(&config.database_url).await?;
    let mode = settings::claim(&db, wanted)
        .await
        .map_err(|e| DbError::Query(db::describe(&e).to_owned()))?;
    let state = Arc::new(AppState {
        db,
        config,
        demo: mode == Mode::Demo,
    });
    Ok((web::router(state.clone()), state))
}
