//! The hotline's pages: log a call while on the phone, follow callers up, coordinate mediators
//! and emergencies, hand over the shift, and report on any period. One file per sub-resource;
//! every write goes through `hotline::ops`.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::entities::{contact, emergency, interview, mediator_request};
use super::{rules, store};
use crate::identity::session::StaffView;
use crate::platform::access::{Target, authorize};
use crate::platform::policy::{Action, Resource};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

fn staff(shell: &Shell) -> Result<(StaffView, i32), AppError> {
    let s = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = s.actor.organisation_id.ok_or(AppError::Forbidden)?;
    Ok((s, org))
}

/// Whether a comma-separated list of codes holds `code`.
pub fn listed(list: &str, code: &str) -> bool {
    crate::platform::codes::contains(list, code)
}

mod contacts;
mod desk;
mod interviews;
mod period;
mod work;

pub use contacts::*;
pub use desk::*;
pub use interviews::*;
pub use period::*;
pub use work::*;
