//! Emergency access ("break-glass"): a hotline operator at night may open a record of another
//! organisation for a limited time, giving a reason; every such access is listed for review by
//! the territorial coordinators and the lead entity afterwards.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::entities::break_glass;
use crate::platform::policy::{Actor, EmergencyGrant};
use crate::platform::web::shell::safe_next;
use crate::platform::web::{AppError, SharedState, Shell};

/// How long an emergency access lasts unless the worker chooses otherwise.
pub const DURATION_MINUTES: i64 = 60;
/// The time limits a worker may choose, in minutes.
pub const DURATIONS: &[i64] = &[30, 60, 120];
/// Sealed free text of an emergency access.
pub const REASON: &str = "break_glass.reason";
pub const REVIEW_NOTE: &str = "break_glass.review_note";

/// The shortest acceptable reason.
pub const MIN_REASON_CHARS: usize = 15;

/// Record kinds that can be opened in an emergency (grows with the areas).
pub const RECORD_KINDS: &[&str] = &["person", "case", "hotline_contact"];

/// Why an emergency access was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    ReasonTooShort,
    UnknownKind,
    NoOrganisation,
}

/// Opens an emergency access, after checking its reason (plain rule, unit-tested).
pub fn validate(actor: &Actor, kind: &str, reason: &str) -> Result<(), Refusal> {
    if actor.organisation_id.is_none() {
        return Err(Refusal::NoOrganisation);
    }
    if !RECORD_KINDS.contains(&kind) {
        return Err(Refusal::UnknownKind);
    }
    if reason.trim().chars().count() < MIN_REASON_CHARS {
        return Err(Refusal::ReasonTooShort);
    }
    Ok(())
}

/// The actor's live emergency grant on a record, if any (for `policy::decide`).
pub async fn active_grant(
    db: &impl ConnectionTrait,
    user_id: i32,
    kind: &str,
    record_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<EmergencyGrant>, DbErr> {
    Ok(break_glass::Entity::find()
        .filter(break_glass::Column::UserId.eq(user_id))
        .filter(break_glass::Column::RecordKind.eq(kind))
        .filter(break_glass::Column::RecordId.eq(record_id))
        .filter(break_glass::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|g| EmergencyGrant {
            expires_at: g.expires_at,
        }))
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    record_kind: String,
    #[serde(default)]
    record_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    next: String,
    /// The time limit chosen, in minutes (one of [`DURATIONS`]; default 60).
    #[serde(default)]
    minutes: String,
}

pub async fn open(
    State(state): State<SharedState>,
    shell: Shell,
    Form(form): Form<OpenForm>,
) -> Result<Response, AppError> {
    let staff = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let record_id: String = form.record_id.trim().chars().take(64).collect();
    match validate(&staff.actor, &form.record_kind, &form.reason) {
        Ok(()) if !record_id.is_empty() => {}
        Err(Refusal::ReasonTooShort) => {
            return Err(AppError::BadRequest("break-glass-error-reason"));
        }
        _ => return Err(AppError::BadRequest("error-400")),
    }
    let minutes = match form.minutes.trim() {
        "" => DURATION_MINUTES,
        m => m
            .parse::<i64>()
            .ok()
            .filter(|m| DURATIONS.contains(m))
            .ok_or(AppError::BadRequest("error-400"))?,
    };
    // The grant and its audit entry together, or neither.
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    super::ops::open_emergency(
        &txn,
        &state.keys,
        &staff.actor,
        &form.record_kind,
        &record_id,
        &form.reason,
        Utc::now(),
        minutes,
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&safe_next(Some(&form.next))).into_response())
}

/// What a worker allowed to open records in an emergency sees when a record is refused: the
/// choice to open it, with a reason and a time limit (403 all the same).
#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/break_glass_offer.html")]
pub struct OfferPage {
    pub shell: Shell,
    pub record_kind: &'static str,
    pub record_id: String,
    pub next: String,
    pub min_chars: usize,
}

impl OfferPage {
    pub fn durations(&self) -> &'static [i64] {
        DURATIONS
    }
}

/// The refusal of `record_kind` `record_id`, with the emergency access offered.
pub fn offer(shell: Shell, record_kind: &'static str, record_id: String, next: String) -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        OfferPage {
            shell,
            record_kind,
            record_id,
            next,
            min_chars: MIN_REASON_CHARS,
        },
    )
        .into_response()
}

pub struct ReviewRow {
    pub id: i32,
    pub username: String,
    pub record: String,
    pub reason: String,
    pub started_at: String,
    pub reviewed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/break_glass_review.html")]
pub struct ReviewPage {
    pub shell: Shell,
    pub rows: Vec<ReviewRow>,
}

pub async fn review_page(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<ReviewPage, AppError> {
    let grants = break_glass::Entity::find()
        .order_by_desc(break_glass::Column::StartedAt)
        .all(&state.db)
        .await?;
    let mut rows = Vec::new();
    for g in grants {
        let username = super::store::user(&state.db, g.user_id)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        rows.push(ReviewRow {
            id: g.id,
            username,
            record: format!("{} {}", g.record_kind, g.record_id),
            reason: match &g.reason_enc {
                Some(b) => state
                    .keys
                    .decrypt_str(REASON, b)
                    .map_err(|_| AppError::Internal("break-glass reason cannot be decrypted"))?,
                None => g.reason,
            },
            started_at: crate::platform::time::rome_time(&g.started_at),
            reviewed: g.reviewed_at.is_some(),
        });
    }
    Ok(ReviewPage { shell, rows })
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    note: String,
}

pub async fn review(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, AppError> {
    let staff = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    match super::ops::review_emergency(&txn, &state.keys, &staff.actor, id, &form.note, Utc::now())
        .await
    {
        Ok(()) => txn.commit().await?,
        Err(super::ops::AdminError::NotFound) => return Err(AppError::NotFound),
        Err(super::ops::AdminError::Refused) => return Err(AppError::Forbidden),
        Err(_) => return Err(AppError::Internal("reviewing an emergency access")),
    }
    Ok(Redirect::to("/break-glass/review").into_response())
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "break_glass",
        key: "id",
        column: "reason_enc",
        context: REASON,
    },
    crate::platform::keys::EncryptedColumn {
        table: "break_glass",
        key: "id",
        column: "review_note_enc",
        context: REVIEW_NOTE,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::policy::Role;

    #[test]
    fn a_reason_is_mandatory() {
        let actor = Actor {
            user_id: 1,
            username: "op".into(),
            organisation_id: Some(1),
            province: None,
            roles: vec![Role::HotlineOperator],
        };
        assert_eq!(
            validate(&actor, "case", "urgent"),
            Err(Refusal::ReasonTooShort)
        );
        assert_eq!(
            validate(&actor, "case", "               "),
            Err(Refusal::ReasonTooShort)
        );
        assert_eq!(
            validate(&actor, "payroll", "a long enough reason here"),
            Err(Refusal::UnknownKind)
        );
        assert_eq!(
            validate(
                &actor,
                "case",
                "caller in danger, owner unreachable at night"
            ),
            Ok(())
        );
        let mut lone = actor.clone();
        lone.organisation_id = None;
        assert_eq!(
            validate(&lone, "case", "caller in danger, owner unreachable"),
            Err(Refusal::NoOrganisation)
        );
    }
}
