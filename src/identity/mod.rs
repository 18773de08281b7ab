//! Identity and access: staff sign-in with a mandatory second factor, sessions, the
//! administration of organisations, users and roles, the auditor's view of the audit trail,
//! emergency access and its review, and API tokens.

pub mod account;
pub mod admin;
pub mod audit_page;
pub mod break_glass;
pub mod entities;
pub mod login;
pub mod ops;
pub mod password;
pub mod session;
pub mod store;
pub mod tokens;
pub mod totp;
pub mod webhooks;

use crate::platform::policy::Permission;

/// The username of an account (shown beside what it recorded), if it exists.
pub async fn username_of(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i32,
) -> Result<Option<String>, sea_orm::DbErr> {
    Ok(store::user(db, user_id).await?.map(|u| u.username))
}
/// The usernames of the given accounts (those that exist), in one query: for pages listing
/// who recorded each of many rows.
pub async fn usernames_of(
    db: &impl sea_orm::ConnectionTrait,
    ids: std::collections::BTreeSet<i32>,
) -> Result<std::collections::BTreeMap<i32, String>, sea_orm::DbErr> {
    store::usernames_of(db, ids).await
}

/// The active accounts holding `role` (user id, username): e.g. the mediators a request can
/// be assigned to.
pub async fn holders_of(
    db: &impl sea_orm::ConnectionTrait,
    role: crate::platform::policy::Role,
) -> Result<Vec<(i32, String)>, sea_orm::DbErr> {
    store::holders_of(db, role).await
}

/// The active accounts of an organisation (user id, username, roles there), by username:
/// e.g. the colleagues a due item can be handed over to.
pub async fn members_of(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i32,
) -> Result<Vec<(i32, String, Vec<crate::platform::policy::Role>)>, sea_orm::DbErr> {
    store::members_of(db, organisation_id).await
}

use crate::platform::web::routes::{Access, Routes};

/// The people who chose e-mail notifications (not `off`), active accounts only: (user id,
/// username, address, mode), the address unsealed for the outbox (which seals it again).
pub async fn notification_recipients(
    db: &impl sea_orm::ConnectionTrait,
    keys: &crate::platform::crypto::KeyRing,
) -> Result<Vec<(i32, String, String, String)>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for (p, u) in store::notify_prefs_on(db).await? {
        let Some(sealed) = p.email_enc else { continue };
        let Ok(email) = keys.decrypt_str(store::NOTIFY_EMAIL, &sealed) else {
            continue;
        };
        out.push((u.id, u.username, email, p.mode));
    }
    Ok(out)
}

/// A person's roles by organisation: (organisation id, roles there).
pub async fn roles_by_organisation(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i32,
) -> Result<Vec<(i32, Vec<crate::platform::policy::Role>)>, sea_orm::DbErr> {
    let mut out: Vec<(i32, Vec<crate::platform::policy::Role>)> = Vec::new();
    for m in store::memberships(db, user_id).await? {
        let Some(role) = crate::platform::policy::Role::from_code(&m.role) else {
            continue;
        };
        match out.iter_mut().find(|(o, _)| *o == m.organisation_id) {
            Some((_, roles)) => roles.push(role),
            None => out.push((m.organisation_id, vec![role])),
        }
    }
    Ok(out)
}

pub fn routes() -> Routes {
    let admin = Access::Permission(Permission::ManageUsers);
    let hooks = Access::Permission(Permission::ManageWebhooks);
    Routes::new()
        .get("/login", Access::Public, login::login_form)
        .post("/login", Access::Public, login::login_submit)
        .get("/login/mfa", Access::PasswordOnly, login::mfa_form)
        .post("/login/mfa", Access::PasswordOnly, login::mfa_submit)
        .get("/mfa/enrol", Access::PasswordOnly, login::enrol_form)
        .post("/mfa/enrol", Access::PasswordOnly, login::enrol_submit)
        .post("/logout", Access::PasswordOnly, login::logout)
        .get("/account", Access::SignedIn, account::page)
        .post(
            "/account/password",
            Access::SignedIn,
            account::change_password,
        )
        .post(
            "/account/preferences",
            Access::SignedIn,
            account::preferences,
        )
        .post(
            "/account/notifications",
            Access::SignedIn,
            account::notifications,
        )
        .get("/admin/organisations", admin, admin::organisations)
        .post("/admin/organisations", admin, admin::create_organisation)
        .get("/admin/webhooks", hooks, webhooks::list)
        .post("/admin/webhooks", hooks, webhooks::create)
        .post("/admin/webhooks/{id}/end", hooks, webhooks::end)
        .post(
            "/admin/webhooks/deliveries/{id}/again",
            hooks,
            webhooks::again,
        )
        .get("/admin/mail", admin, admin::mail)
        .post("/admin/mail/{id}/again", admin, admin::mail_again)
        .get("/admin/users", admin, admin::users)
        .post("/admin/users", admin, admin::create_user)
        .get("/admin/users/{id}", admin, admin::user_page)
        .post("/admin/users/{id}/grant", admin, admin::grant)
        .post("/admin/users/{id}/revoke", admin, admin::revoke)
        .post("/admin/users/{id}/disable", admin, admin::disable)
        .post("/admin/users/{id}/enable", admin, admin::enable)
        .post("/admin/users/{id}/reset-mfa", admin, admin::reset_mfa)
        .post(
            "/admin/users/{id}/reset-password",
            admin,
            admin::reset_password,
        )
        .get(
            "/audit",
            Access::Permission(Permission::ReadAudit),
            audit_page::page,
        )
        .get(
            "/audit.csv",
            Access::Permission(Permission::ReadAudit),
            audit_page::csv,
        )
        .post(
            "/break-glass",
            Access::Permission(Permission::BreakGlass),
            break_glass::open,
        )
        .get(
            "/break-glass/review",
            Access::Permission(Permission::ReviewBreakGlass),
            break_glass::review_page,
        )
        .post(
            "/break-glass/{id}/review",
            Access::Permission(Permission::ReviewBreakGlass),
            break_glass::review,
        )
}
