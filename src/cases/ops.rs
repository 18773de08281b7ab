//! The cases area's operations: one function per user action, served alike by the pages and
//! the API. Each decides access through the policy (audited), validates through `rules`,
//! writes and appends its audit entry in one transaction, and answers with a typed result or
//! a [`CaseOpError`]; neither pages nor API build rows or write.

use chrono::NaiveDate;
use sea_orm::TransactionTrait;

use super::entities;
use super::rules::{self, Phase};
use super::store::{self, CaseError};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Action, Actor};
use crate::platform::web::{AppError, SharedState};

/// Why an operation on a case did not happen.
#[derive(Debug)]
pub enum CaseOpError {
    /// Refused or not found, as the access decision said (already audited).
    Access(AppError),
    /// Someone else changed the case since it was read.
    Stale,
    /// The move is not allowed from here (a phase skipped, a closed case…).
    NotAllowed(&'static str),
    /// A field is wrong: its message key and the field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    Failed(AppError),
}

impl CaseOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            CaseOpError::Stale => "case-error-conflict",
            CaseOpError::NotAllowed(k) | CaseOpError::Invalid { key: k, .. } => k,
            CaseOpError::Access(_) | CaseOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for CaseOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        CaseOpError::Failed(e.into())
    }
}

impl From<CaseError> for CaseOpError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Conflict => CaseOpError::Stale,
            CaseError::Db(e) => e.into(),
            CaseError::Crypto(_) => CaseOpError::Failed(AppError::Internal("case crypto")),
        }
    }
}

/// A move to another phase, as typed on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct PhaseChange {
    pub to: Phase,
    pub reason: Option<String>,
    /// The Italian day it took effect (entered, never stamped).
    pub effective_on: NaiveDate,
    /// The version of the case the person saw.
    pub version: i32,
}

/// Moves a case to another phase from the day it took effect. Returns the case and the person
/// as they are afterwards.
pub async fn change_phase(
    state: &SharedState,
    actor: &Actor,
    case_id: i32,
    change: &PhaseChange,
) -> Result<(entities::case::Model, entities::person::Model), CaseOpError> {
    let (c, p, _) = super::pages::guarded(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if change.version != c.version {
        return Err(CaseOpError::Stale);
    }
    let from = Phase::from_code(&c.phase).unwrap_or(Phase::Emersion);
    let reason = change.reason.as_deref().filter(|r| !r.is_empty());
    rules::transition(from, change.to, reason)
        .map_err(|e| CaseOpError::NotAllowed(e.message_key()))?;
    let history = store::phases(&state.db, c.id).await?;
    let day = |ph: &entities::phase_change::Model| {
        ph.effective_on
            .unwrap_or_else(|| crate::platform::time::rome_date(ph.at))
    };
    rules::effective_date(
        change.effective_on,
        history.first().map(day),
        history.iter().map(day).max(),
        crate::platform::time::rome_today(),
    )
    .map_err(|key| CaseOpError::Invalid {
        key,
        field: "effective_on",
    })?;
    let txn = state.db.begin().await?;
    let written = store::change_phase(
        &txn,
        &c,
        change.to,
        reason,
        change.effective_on,
        actor.user_id,
        change.version,
    )
    .await;
    if let Err(e) = written {
        // Undone before anything is drawn again (drawing a case audits the reading).
        txn.rollback().await?;
        return Err(e.into());
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "case.phase", "case")
            .record(case_id)
            .subject(&p.code)
            .reason(format!(
                "{} → {} effective {}",
                from.code(),
                change.to.code(),
                change.effective_on
            )),
    )
    .await?;
    txn.commit().await?;
    let c = store::case(&state.db, case_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    Ok((c, p))
}

/// Ends a stay in a shelter on the day it ended (entered): from then the bed is free.
pub async fn end_placement(
    state: &SharedState,
    actor: &Actor,
    placement_id: i32,
    ended_on: NaiveDate,
) -> Result<i32, CaseOpError> {
    let pl = store::placement_by_id(&state.db, placement_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    let (_, p, _) = super::pages::guarded(state, actor, pl.case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    let today = crate::platform::time::rome_today();
    if ended_on < pl.since || ended_on > today {
        return Err(CaseOpError::Invalid {
            key: "case-error-placement-end",
            field: "until",
        });
    }
    let txn = state.db.begin().await?;
    store::end_placement(&txn, placement_id, ended_on).await?;
    store::touch(&txn, pl.case_id).await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "case.placement_end", "case")
            .record(pl.case_id)
            .subject(&p.code)
            .reason(format!("ended {ended_on}")),
    )
    .await?;
    txn.commit().await?;
    Ok(pl.case_id)
}

/// Records that a consent was withdrawn on a day (entered): from that day it no longer allows
/// what it allowed.
pub async fn withdraw_consent(
    state: &SharedState,
    actor: &Actor,
    consent_id: i32,
    withdrawn_on: NaiveDate,
) -> Result<i32, CaseOpError> {
    let k = store::consent_by_id(&state.db, consent_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    let (_, p, _) = super::pages::guarded(state, actor, k.case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if withdrawn_on < k.given_on || withdrawn_on > crate::platform::time::rome_today() {
        return Err(CaseOpError::Invalid {
            key: "case-error-consent-withdrawn",
            field: "withdrawn_on",
        });
    }
    let txn = state.db.begin().await?;
    store::withdraw_consent(&txn, consent_id, withdrawn_on).await?;
    store::touch(&txn, k.case_id).await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "case.consent_withdrawn", "case")
            .record(k.case_id)
            .subject(&p.code)
            .reason(format!("{} withdrawn {withdrawn_on}", k.purpose)),
    )
    .await?;
    txn.commit().await?;
    Ok(k.case_id)
}
