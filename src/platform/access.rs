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
    let decision = policy::decide(actor, action, resource, emergency, Utc::now());
    let mut entry = Entry::new(
        Some(actor),
        &format!("{}.{}", target.kind, action_name(action)),
        target.kind,
    )
    .record(target.id);
    if let Some(s) = target.subject {
        entry = entry.subject(s);
    }
    match decision {
        Decision::Allow(basis) => {
            if basis == Basis::Emergency {
                entry = entry.reason("emergency access");
            }
            state
                .audit_group
                .append(&state.db, &state.keys, entry)
                .await?;
            Ok(basis)
        }
        Decision::Deny => {
            state
                .audit_group
                .append(&state.db, &state.keys, entry.denied())
                .await?;
            Err(AppError::Forbidden)
        }
    }
}
