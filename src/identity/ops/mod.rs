//! The administration's operations, served by the admin pages and the `satis user` commands
//! alike: an organisation created, an account provisioned, and an account's access changed
//! (a role granted or revoked, disabled or enabled, second factor or password reset). Each
//! decides access (an administrator, or the operator at the machine when `by` is `None`),
//! checks its input, writes, ends the user's sessions when their access changed, and appends
//! the audit entry in the caller's transaction, so the change and its record land together.
//!
//! Account administration and emergency access are not offered to API tokens: see
//! `docs/adr/0003-accounts-stay-on-pages.md`.

pub mod signin;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    TransactionTrait,
};

use super::{break_glass, entities, store};
use crate::platform::audit::{self, Entry};
use crate::platform::crypto::{self, KeyRing};
use crate::platform::policy::{Actor, Permission, Role};

/// The kinds of organisation in the network.
pub const ORG_KINDS: &[&str] = &[
    "region",
    "municipality",
    "sds",
    "province",
    "prefecture",
    "prosecutor",
    "health_authority",
    "territorial_commission",
    "ngo",
    "social_cooperative",
    "diocese",
    "legal_association",
    "other",
];

/// The ten Tuscan provinces.
pub const PROVINCES: &[&str] = &["AR", "FI", "GR", "LI", "LU", "MS", "PI", "PT", "PO", "SI"];

/// Why an administrative operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input is wrong: its message key.
    #[error("invalid: {0}")]
    Invalid(&'static str),
    /// The account or membership does not exist.
    #[error("not found")]
    NotFound,
    /// The actor may not administer accounts.
    #[error("refused")]
    Refused,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
}

impl AdminError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            AdminError::Invalid(key) => key,
            AdminError::NotFound => "error-404",
            AdminError::Refused => "error-403",
            AdminError::Db(_) | AdminError::Crypto(_) => "error-title-server",
        }
    }
}

impl From<store::CreateUserError> for AdminError {
    fn from(e: store::CreateUserError) -> Self {
        match e {
            store::CreateUserError::Taken => AdminError::Invalid("admin-error-username-taken"),
            store::CreateUserError::Db(e) => AdminError::Db(e),
            store::CreateUserError::Crypto(e) => AdminError::Crypto(e),
        }
    }
}

/// An administrator, or the operator at the machine (`None`: the `satis` command line).
fn may_administer(by: Option<&Actor>) -> Result<(), AdminError> {
    match by {
        Some(actor) if !actor.can(Permission::ManageUsers) => Err(AdminError::Refused),
        _ => Ok(()),
    }
}

/// A one-time password, shown once, and its hash. Made before the transaction begins, so
/// the slow hashing holds no lock.
pub struct OneTimePassword {
    pub plain: String,
    hash: String,
}

impl OneTimePassword {
    /// 20 random characters and their argon2id hash.
    pub async fn new() -> Result<Self, AdminError> {
        let plain = crypto::random_token(15);
        let hash = crypto::hash_password_async(plain.clone()).await?;
        Ok(OneTimePassword { plain, hash })
    }
}

/// An organisation as typed on the administration page or on the command line.
#[derive(Clone, Debug, Default)]
pub struct NewOrganisation {
    pub name: String,
    /// One of [`ORG_KINDS`].
    pub kind: String,
    /// One of [`PROVINCES`], or empty for a regional body.
    pub province: String,
    pub is_public: bool,
}

/// The checks an organisation passes before it is written (its name not yet taken is checked
/// against the database by [`create_organisation`]).
pub fn check_organisation(input: &NewOrganisation) -> Result<(), &'static str> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("admin-error-org-name");
    }
    if !ORG_KINDS.contains(&input.kind.as_str()) {
        return Err("admin-error-org-kind");
    }
    if !input.province.is_empty() && !PROVINCES.contains(&input.province.as_str()) {
        return Err("admin-error-org-province");
    }
    Ok(())
}

pub async fn create_organisation(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    by: Option<&Actor>,
    input: &NewOrganisation,
) -> Result<crate::network::Organisation, AdminError> {
    may_administer(by)?;
    check_organisation(input).map_err(AdminError::Invalid)?;
    let name = input.name.trim();
    if store::organisation_by_name(txn, name).await?.is_some() {
        return Err(AdminError::Invalid("admin-error-org-exists"));
    }
    let province = (!input.province.is_empty()).then_some(input.province.as_str());
    let org = store::create_organisation(txn, name, &input.kind, province, input.is_public).await?;
    audit::append(
        txn,
        keys,
        Entry::new(by, "organisation.create", "organisation").record(org.id),
    )
    .await?;
    Ok(org)
}

/// An account as typed on the administration page or on the command line.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub organisation_id: i32,
    pub role: Option<Role>,
}

/// Creates an account with one role and the given one-time password, and audits it.
pub async fn provision_user(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    by: Option<&Actor>,
    input: &NewUser,
    password: &OneTimePassword,
) -> Result<entities::user::Model, AdminError> {
    may_administer(by)?;
    let username = store::normalise_username(&input.username)
        .ok_or(AdminError::Invalid("admin-error-username"))?;
    store::organisation(txn, input.organisation_id)
        .await?
        .ok_or(AdminError::Invalid("admin-error-org"))?;
    let role = input.role.ok_or(AdminError::Invalid("admin-error-role"))?;
    let display = input.display_name.trim();
    if display.is_empty() || display.chars().count() > 200 {
        return Err(AdminError::Invalid("admin-error-display-name"));
    }
    let user = store::create_user(txn, keys, &username, display, password.hash.clone()).await?;
    store::grant(
        txn,
        user.id,
        input.organisation_id,
        role,
        by.map(|a| a.user_id),
    )
    .await?;
    audit::append(
        txn,
        keys,
        Entry::new(by, "user.create", "user")
            .record(user.id)
            .subject(format!("user:{}", user.id))
            .reason(format!(
                "{} @ organisation {}",
                role.code(),
                input.organisation_id
            )),
    )
    .await?;
    Ok(user)
}

/// A change to an account's access.
pub enum AccountChange<'a> {
    Grant { organisation_id: i32, role: Role },
    Revoke { membership_id: i32 },
    Disable,
    Enable,
    ResetMfa,
    ResetPassword(&'a OneTimePassword),
}

impl AccountChange<'_> {
    fn action(&self) -> &'static str {
        match self {
            AccountChange::Grant { .. } => "user.role_granted",
            AccountChange::Revoke { .. } => "user.role_revoked",
            AccountChange::Disable => "user.disabled",
            AccountChange::Enable => "user.enabled",
            AccountChange::ResetMfa => "user.mfa_reset",
            AccountChange::ResetPassword(_) => "user.password_reset",
        }
    }
}

/// Changes an account's access, ends its sessions and audits the change.
pub async fn change_user(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    by: Option<&Actor>,
    user_id: i32,
    change: AccountChange<'_>,
) -> Result<(), AdminError> {
    may_administer(by)?;
    let user = store::user(txn, user_id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let detail = match &change {
        AccountChange::Grant {
            organisation_id,
            role,
        } => {
            store::organisation(txn, *organisation_id)
                .await?
                .ok_or(AdminError::Invalid("admin-error-org"))?;
            store::grant(txn, user.id, *organisation_id, *role, by.map(|a| a.user_id)).await?;
            Some(format!("{} @ organisation {organisation_id}", role.code()))
        }
        AccountChange::Revoke { membership_id } => {
            if !store::revoke(txn, user.id, *membership_id).await? {
                return Err(AdminError::NotFound);
            }
            Some(format!("membership {membership_id}"))
        }
        AccountChange::Disable => {
            if by.is_some_and(|a| a.user_id == user.id) {
                return Err(AdminError::Invalid("admin-error-self-disable"));
            }
            store::set_disabled(txn, user.id, true).await?;
            None
        }
        AccountChange::Enable => {
            store::set_disabled(txn, user.id, false).await?;
            None
        }
        AccountChange::ResetMfa => {
            store::reset_mfa(txn, user.id).await?;
            None
        }
        AccountChange::ResetPassword(password) => {
            store::set_password(txn, user.id, password.hash.clone()).await?;
            None
        }
    };
    store::revoke_sessions(txn, user.id).await?;
    let mut entry = Entry::new(by, change.action(), "user")
        .record(user.id)
        .subject(format!("user:{}", user.id));
    if let Some(d) = detail {
        entry = entry.reason(d);
    }
    audit::append(txn, keys, entry).await?;
    Ok(())
}

/// A worker's own new password (already checked and hashed): every session of the account
/// ends, this one included.
pub async fn change_own_password(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    hash: String,
) -> Result<(), DbErr> {
    store::set_password(txn, actor.user_id, hash).await?;
    store::revoke_sessions(txn, actor.user_id).await?;
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "user.password_changed", "user")
            .record(actor.user_id)
            .subject(format!("user:{}", actor.user_id)),
    )
    .await
}

// ---------- notifications ----------

/// Why a notification choice was not saved (the message key a person reads).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("not an e-mail address")]
    Address,
    #[error("not a notification mode")]
    Mode,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl NotifyError {
    pub fn message_key(&self) -> &'static str {
        match self {
            NotifyError::Address => "account-error-notify-email",
            NotifyError::Mode => "account-error-notify-mode",
            NotifyError::Db(_) => "error-500",
        }
    }
}

/// What a notification choice must be: a known mode, and an address whenever mail is wanted
/// (an address may be kept while notifications are off).
pub fn check_notifications(email: &str, mode: &str) -> Result<(), NotifyError> {
    if !store::NOTIFY_MODES.contains(&mode) {
        return Err(NotifyError::Mode);
    }
    let email = email.trim();
    if (mode != "off" || !email.is_empty()) && !crate::platform::mail::valid_address(email) {
        return Err(NotifyError::Address);
    }
    Ok(())
}

/// Saves the actor's own notification choice (the address sealed) and audits it.
pub async fn set_own_notifications(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    email: &str,
    mode: &str,
) -> Result<(), NotifyError> {
    check_notifications(email, mode)?;
    let email = email.trim();
    let sealed = if email.is_empty() {
        None
    } else {
        Some(
            keys.encrypt_str(store::NOTIFY_EMAIL, email)
                .map_err(|_| DbErr::Custom("the address cannot be sealed".into()))?,
        )
    };
    store::set_notify_pref(txn, actor.user_id, sealed, mode).await?;
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "user.notifications", "user")
            .record(actor.user_id)
            .subject(format!("user:{}", actor.user_id))
            .reason(mode),
    )
    .await?;
    Ok(())
}

/// An administrator puts a notification that could not be sent back in line (audited);
/// `false` when there is no such message or it was already sent.
pub async fn send_mail_again(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    id: i32,
) -> Result<bool, DbErr> {
    if !crate::platform::mail::send_again(txn, id, Utc::now()).await? {
        return Ok(false);
    }
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "mail.send_again", "mail").record(id),
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod notification_rules {
    use super::*;

    #[test]
    fn a_choice_needs_a_known_mode_and_an_address_when_mail_is_wanted() {
        assert!(check_notifications("", "off").is_ok());
        assert!(check_notifications("a@b.it", "off").is_ok());
        assert!(check_notifications("a@b.it", "daily").is_ok());
        assert!(check_notifications(" a@b.it ", "immediate").is_ok());
        assert!(matches!(
            check_notifications("", "daily"),
            Err(NotifyError::Address)
        ));
        assert!(matches!(
            check_notifications("non-un-indirizzo", "off"),
            Err(NotifyError::Address)
        ));
        assert!(matches!(
            check_notifications("a@b.it", "weekly"),
            Err(NotifyError::Mode)
        ));
    }
}

// ---------- emergency access ----------

/// Opens an emergency access for `minutes` (one of [`DURATIONS`](crate::identity::break_glass::DURATIONS)).
#[allow(clippy::too_many_arguments)]
pub async fn open_emergency(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    keys: &crate::platform::crypto::KeyRing,
    actor: &Actor,
    kind: &str,
    record_id: &str,
    reason: &str,
    now: DateTime<Utc>,
    minutes: i64,
) -> Result<entities::break_glass::Model, DbErr> {
    let row = entities::break_glass::ActiveModel {
        user_id: Set(actor.user_id),
        organisation_id: Set(actor.organisation_id.unwrap_or_default()),
        record_kind: Set(kind.to_owned()),
        record_id: Set(record_id.to_owned()),
        reason: Set(String::new()),
        reason_enc: Set(Some(
            keys.encrypt_str(break_glass::REASON, reason.trim())
                .map_err(|e| DbErr::Custom(format!("sealing a break-glass reason: {e}")))?,
        )),
        started_at: Set(now),
        expires_at: Set(now + Duration::minutes(minutes)),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_note: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::append(
        db,
        keys,
        Entry::new(Some(actor), "break_glass.open", kind)
            .record(record_id)
            // The reason itself is sealed in the grant: the entry points to it.
            .reason(format!("grant {}, {minutes} min", row.id)),
    )
    .await?;
    Ok(row)
}

/// Marks an emergency access as reviewed, with the reviewer's note sealed, and audits it.
pub async fn review_emergency(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    grant_id: i32,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    if !actor.can(Permission::ReviewBreakGlass) {
        return Err(AdminError::Refused);
    }
    let grant = entities::break_glass::Entity::find_by_id(grant_id)
        .one(txn)
        .await?
        .ok_or(AdminError::NotFound)?;
    let kind = grant.record_kind.clone();
    let record = grant.record_id.clone();
    let note: String = note.trim().chars().take(2000).collect();
    let mut am = grant.into_active_model();
    am.reviewed_by = Set(Some(actor.user_id));
    am.reviewed_at = Set(Some(now));
    am.review_note = Set(None);
    am.review_note_enc = Set(Some(keys.encrypt_str(break_glass::REVIEW_NOTE, &note)?));
    am.update(txn).await?;
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "break_glass.reviewed", &kind)
            .record(record)
            .reason(format!("grant {grant_id}")),
    )
    .await?;
    Ok(())
}

/// Reads the audit trail for an auditor: the reading itself (`audit.read` on the page,
/// `audit.export` for the file) and its filter are audited first, then the entries found.
pub async fn read_audit_trail(
    db: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    export: bool,
    filter: &audit::Filter,
    described: String,
    limit: u64,
) -> Result<Vec<audit::event::Model>, DbErr> {
    let what = if export { "audit.export" } else { "audit.read" };
    audit::append(
        db,
        keys,
        Entry::new(Some(actor), what, "audit").reason(described),
    )
    .await?;
    audit::search(db, filter, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str, kind: &str, province: &str) -> NewOrganisation {
        NewOrganisation {
            name: name.into(),
            kind: kind.into(),
            province: province.into(),
            is_public: false,
        }
    }

    #[test]
    fn an_organisation_needs_a_name_a_known_kind_and_a_tuscan_province_or_none() {
        assert_eq!(
            check_organisation(&org("Comune di Prato", "municipality", "PO")),
            Ok(())
        );
        assert_eq!(check_organisation(&org("Regione", "region", "")), Ok(()));
        assert_eq!(
            check_organisation(&org("  ", "ngo", "")),
            Err("admin-error-org-name")
        );
        assert_eq!(
            check_organisation(&org(&"x".repeat(201), "ngo", "")),
            Err("admin-error-org-name")
        );
        assert_eq!(
            check_organisation(&org("Bar", "bar", "")),
            Err("admin-error-org-kind")
        );
        assert_eq!(
            check_organisation(&org("Roma", "ngo", "RM")),
            Err("admin-error-org-province")
        );
    }
}

/// A new subscription and its secret (shown once), or the field and message key of what is
/// wrong with the request.
pub type Subscribed =
    Result<(crate::platform::webhooks::subscription::Model, String), (&'static str, &'static str)>;

/// Subscribes an endpoint of the administrator's own organisation to webhook events, audited;
/// the subscription and its secret (shown once), or the field and message key of what is
/// wrong.
pub async fn subscribe_webhook(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    url: &str,
    events: &[String],
) -> Result<Subscribed, crate::platform::web::AppError> {
    let org = webhook_org(actor)?;
    if let Err(e) = crate::platform::webhooks::check_subscription(url.trim(), events) {
        return Ok(Err(e));
    }
    let (s, secret) =
        crate::platform::webhooks::subscribe(txn, keys, org, url, events, actor.user_id).await?;
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "webhook.subscribe", "webhook").record(s.id),
    )
    .await?;
    Ok(Ok((s, secret)))
}

/// Ends a subscription of the administrator's organisation, audited; `false` if none such.
pub async fn end_webhook(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    id: i32,
) -> Result<bool, crate::platform::web::AppError> {
    let org = webhook_org(actor)?;
    if !crate::platform::webhooks::end(txn, org, id).await? {
        return Ok(false);
    }
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "webhook.end", "webhook").record(id),
    )
    .await?;
    Ok(true)
}

/// Puts a delivery of the administrator's organisation back in line (a replay), audited.
pub async fn send_webhook_again(
    txn: &(impl ConnectionTrait + TransactionTrait),
    keys: &KeyRing,
    actor: &Actor,
    id: i32,
) -> Result<bool, crate::platform::web::AppError> {
    let org = webhook_org(actor)?;
    if !crate::platform::webhooks::send_again(txn, org, id, Utc::now()).await? {
        return Ok(false);
    }
    audit::append(
        txn,
        keys,
        Entry::new(Some(actor), "webhook.send_again", "webhook_delivery").record(id),
    )
    .await?;
    Ok(true)
}

/// The organisation whose webhooks the actor manages, as the policy decides.
pub fn webhook_org(actor: &Actor) -> Result<i32, crate::platform::web::AppError> {
    actor
        .organisation_id
        .filter(|o| crate::platform::policy::may_manage_webhooks(actor, *o))
        .ok_or(crate::platform::web::AppError::Forbidden)
}
