//! Outreach pages: the unit's desk, the outing form that works offline on a phone, outings and
//! anonymous contacts, drop-in interviews, accompaniments, and the period report. One file per
//! sub-resource; every write goes through `outreach::ops`.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use crate::identity::session::StaffView;
use crate::outreach::entities::{contact, outing, place};
use crate::outreach::report::{self, OutreachReport, Scope};
use crate::outreach::rules;
use crate::outreach::store::{self, Saved};
use crate::platform::time::rome_time;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

fn staff(shell: &Shell) -> Result<(StaffView, i32), AppError> {
    let s = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = s.actor.organisation_id.ok_or(AppError::Forbidden)?;
    Ok((s, org))
}

fn today() -> NaiveDate {
    crate::platform::time::rome_today()
}

/// A fresh idempotency key for a form rendered by the server (a double submission of the same
/// page is then recognised; the offline outbox gives each queued record its own key).
fn fresh_key() -> String {
    crate::platform::crypto::random_token(18)
}

async fn units(
    state: &SharedState,
    org: i32,
) -> Result<(Vec<crate::network::Service>, Vec<crate::network::Service>), AppError> {
    crate::outreach::ops::units(state, org).await
}

/// A material's label: its translation for the standard ones, else its code as words.
pub fn material_label(shell: &Shell, code: &str) -> String {
    let key = format!("material-{}", code.replace('_', "-"));
    let label = shell.t(&key);
    if label == key {
        code.replace('_', " ")
    } else {
        label
    }
}

mod contacts;
mod desk;
mod interviews;
mod outings;
mod period;

pub use contacts::*;
pub use desk::*;
pub use interviews::*;
pub use outings::*;
pub use period::*;
