//! Record-level authorisation with its audit entry, in one call: every access decision on a
//! protected record is written to the audit trail, allowed or denied. Areas call
//! [`authorize`] before reading or changing a case-like record.

use chrono::Utc;

use crate::platform::audit::Entry;
use crate::platform::policy::{self, Action, Actor, Basis, Decision, EmergencyGrant, Resource};
use crate::platform::web::{AppError, AppState};

/// What is being accessed, for the audit trail.
pub struct Target<'a> {
    /// Kind of record, e.g. `case`, `person`.
    pub kind: &'a str,
    pub id: &'a str,
    /// Whose data (e.g. a person's pseudonymous code).
    pub subject: Option<&'a str>,
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Write => "write",
        Action::ReadIdentity => "identity.read",
    }
}

/// The audit entry of a decision: allowed on `basis`, or denied (`None`).
fn entry_of(actor: &Actor, action: Action, target: &Target<'_>, basis: Option<Basis>) -> Entry {
    let mut entry = Entry::new(
        Some(actor),
        &format!("{}.{}", target.kind, action_name(action)),
        target.kind,
    )
    .record(target.id);
    if let Some(s) = target.subject {
        entry = entry.subject(s);
    }
    match basis {
        Some(Basis::Emergency) => entry.reason("emergency access"),
        Some(_) => entry,
        None => entry.denied(),
    }
}

/// Decides with [`policy::decide`], audits the decision, and answers `Forbidden` when denied.
/// The entry is durable before this returns; concurrent decisions share one commit (see
/// [`crate::platform::audit::GroupCommit`]).
pub async fn authorize(
    state: &AppState,
    actor: &Actor,
    action: Action,
    resource: &Resource,
    emergency: Option<EmergencyGrant>,
    target: Target<'_>,
) -> Result<Basis, AppError> {
    let basis = match policy::decide(actor, action, resource, emergency, Utc::now()) {
        Decision::Allow(basis) => Some(basis),
        Decision::Deny => None,
    };
    state
        .audit_group
        .append(
            &state.db,
            &state.keys,
            entry_of(actor, action, &target, basis),
        )
        .await?;
    basis.ok_or(AppError::Forbidden)
}

/// Decides reading a record and, when that is allowed and the record holds an identity
/// (`has_identity`), reading the identity too: both decisions are audited in one durable
/// commit (a page showing a record and its identity waits for one commit, not two). Answers
/// the basis of the read and whether the identity may be shown; `Forbidden` (audited) when
/// the read is denied. An identity the reader may not see is simply not shown, as with
/// [`policy::decide`] alone.
///
/// When the read is allowed, `alongside` (the rest of what the page reads) runs while the
/// entries are being made durable, so that the page does not wait for the commit and then for
/// its reads; its result is handed back only once the entries are durable, and not at all when
/// the commit fails. When the read is denied it never runs.
pub async fn authorize_read<T>(
    state: &AppState,
    actor: &Actor,
    resource: &Resource,
    emergency: Option<EmergencyGrant>,
    target: Target<'_>,
    has_identity: bool,
    alongside: impl Future<Output = Result<T, AppError>>,
) -> Result<(Basis, bool, T), AppError> {
    let now = Utc::now();
    let Decision::Allow(basis) = policy::decide(actor, Action::Read, resource, emergency, now)
    else {
        state
            .audit_group
            .append(
                &state.db,
                &state.keys,
                entry_of(actor, Action::Read, &target, None),
            )
            .await?;
        return Err(AppError::Forbidden);
    };
    let mut entries = vec![entry_of(actor, Action::Read, &target, Some(basis))];
    // An emergency grant opens the identity only when the read itself rests on it.
    let emergency = emergency.filter(|_| basis == Basis::Emergency);
    let identity = match policy::decide(actor, Action::ReadIdentity, resource, emergency, now) {
        Decision::Allow(b) if has_identity => {
            entries.push(entry_of(actor, Action::ReadIdentity, &target, Some(b)));
            true
        }
        _ => false,
    };
    let (committed, read) = tokio::join!(
        state
            .audit_group
            .append_all(&state.db, &state.keys, entries),
        alongside
    );
    // Nothing read is handed back unless its audit entries are durable.
    committed?;
    Ok((basis, identity, read?))
}
