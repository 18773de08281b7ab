//! Signing in and out, as operations: what the sign-in pages write (sessions, a second factor
//! enrolled, the language chosen) and the audit entries of each step, written in one
//! transaction with what they record. The pages keep the protocol: throttling, checking the
//! password and the code, cookies and redirects.

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::identity::store;
use crate::platform::audit::{self, Entry};
use crate::platform::crypto::KeyRing;
use crate::platform::policy::Actor;

fn about(entry: Entry, user_id: i32) -> Entry {
    entry.record(user_id).subject(format!("user:{user_id}"))
}

/// A refused password (or a disabled account): audited as denied, nothing else written.
pub async fn password_refused(
    db: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    user_id: Option<i32>,
) -> Result<(), DbErr> {
    let mut entry = Entry::new(None, "login.failed", "user");
    if let Some(id) = user_id {
        entry = about(entry, id);
    }
    audit::append(db, keys, entry.denied()).await
}

/// A right password: a session that only reaches the second-factor pages. Returns its token.
pub async fn password_accepted(db: &impl ConnectionTrait, user_id: i32) -> Result<String, DbErr> {
    let org = store::memberships(db, user_id)
        .await?
        .first()
        .map(|m| m.organisation_id);
    store::create_session(db, user_id, org, false).await
}

/// A refused second-factor code, audited as denied.
pub async fn code_refused(
    db: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
) -> Result<(), DbErr> {
    audit::append(
        db,
        keys,
        about(
            Entry::new(Some(actor), "login.mfa_failed", "user"),
            actor.user_id,
        )
        .denied(),
    )
    .await
}

/// The second factor accepted: the password-only session is replaced by a full one (a new
/// token: no session fixation), audited with how the factor was given. Returns the token.
pub async fn signed_in(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    old_session: &str,
    how: &str,
) -> Result<String, DbErr> {
    store::delete_session(txn, old_session).await?;
    let token = store::create_session(txn, actor.user_id, actor.organisation_id, true).await?;
    audit::append(
        txn,
        keys,
        about(
            Entry::new(Some(actor), "login.success", "user"),
            actor.user_id,
        )
        .reason(how),
    )
    .await?;
    Ok(token)
}

/// A second factor enrolled (its secret sealed) with fresh recovery codes, returned once.
pub async fn enrolled(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    secret: &[u8],
    step: i64,
) -> Result<Vec<String>, store::CreateUserError> {
    store::set_totp(txn, keys, actor.user_id, secret, step).await?;
    let codes = store::new_recovery_codes(txn, actor.user_id).await?;
    audit::append(
        txn,
        keys,
        about(
            Entry::new(Some(actor), "mfa.enrolled", "user"),
            actor.user_id,
        ),
    )
    .await?;
    Ok(codes)
}

/// Signing out: the session ends, audited when it belonged to a signed-in worker.
pub async fn signed_out(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    session: &str,
    actor: Option<&Actor>,
) -> Result<(), DbErr> {
    store::delete_session(txn, session).await?;
    if let Some(actor) = actor {
        audit::append(
            txn,
            keys,
            about(Entry::new(Some(actor), "logout", "user"), actor.user_id),
        )
        .await?;
    }
    Ok(())
}

/// The language a worker chose for their pages (`None`: the browser's).
pub async fn language_chosen(
    db: &impl ConnectionTrait,
    user_id: i32,
    locale: Option<&str>,
) -> Result<(), DbErr> {
    store::set_locale(db, user_id, locale).await
}
