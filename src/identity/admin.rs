//! Administration: organisations, users, roles, disabling, second-factor and password resets.
//! Administrators see no case data: these pages show accounts only. Every change is audited,
//! and every change to a user's access ends that user's sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::session::StaffView;
use super::{entities, store};
use crate::platform::audit::{self, Entry};
use crate::platform::crypto;
use crate::platform::policy::Role;
use crate::platform::web::{AppError, SharedState, Shell};

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

pub const PROVINCES: &[&str] = &["AR", "FI", "GR", "LI", "LU", "MS", "PI", "PT", "PO", "SI"];

fn admin(shell: &Shell) -> Result<StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

/// A one-time password for a new or reset account: 20 random characters, shown once.
pub fn one_time_password() -> String {
    crypto::random_token(15)
}

// ---------- organisations ----------

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_organisations.html")]
pub struct OrganisationsPage {
    pub shell: Shell,
    pub organisations: Vec<entities::organisation::Model>,
    pub kinds: &'static [&'static str],
    pub provinces: &'static [&'static str],
    pub error: Option<String>,
}

pub async fn organisations(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<OrganisationsPage, AppError> {
    Ok(OrganisationsPage {
        shell,
        organisations: store::organisations(&state.db).await?,
        kinds: ORG_KINDS,
        provinces: PROVINCES,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct OrganisationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    is_public: Option<String>,
}

pub async fn create_organisation(
    State(state): State<SharedState>,
    shell: Shell,
    Form(form): Form<OrganisationForm>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let name = form.name.trim();
    let province = PROVINCES.iter().find(|p| **p == form.province).copied();
    let problem = if name.is_empty() || name.chars().count() > 200 {
        Some("admin-error-org-name")
    } else if !ORG_KINDS.contains(&form.kind.as_str()) {
        Some("admin-error-org-kind")
    } else if store::organisation_by_name(&state.db, name)
        .await?
        .is_some()
    {
        Some("admin-error-org-exists")
    } else {
        None
    };
    if let Some(key) = problem {
        let error = Some(shell.t(key));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            OrganisationsPage {
                shell,
                organisations: store::organisations(&state.db).await?,
                kinds: ORG_KINDS,
                provinces: PROVINCES,
                error,
            },
        )
            .into_response());
    }
    let txn = state.db.begin().await?;
    let org =
        store::create_organisation(&txn, name, &form.kind, province, form.is_public.is_some())
            .await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(&me.actor), "organisation.create", "organisation").record(org.id),
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to("/admin/organisations").into_response())
}

// ---------- users ----------

pub struct UserRow {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub roles: String,
    pub disabled: bool,
    pub mfa: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_users.html")]
pub struct UsersPage {
    pub shell: Shell,
    pub users: Vec<UserRow>,
    pub organisations: Vec<entities::organisation::Model>,
    pub roles: Vec<(String, String)>,
    pub error: Option<String>,
}

fn role_options(shell: &Shell) -> Vec<(String, String)> {
    Role::ALL
        .into_iter()
        .map(|r| (r.code().to_owned(), shell.t(&r.label_key())))
        .collect()
}

async fn users_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<UsersPage, AppError> {
    let orgs = store::organisations(&state.db).await?;
    let mut rows = Vec::new();
    for u in store::users(&state.db).await? {
        let mut roles = Vec::new();
        for m in store::memberships(&state.db, u.id).await? {
            let org = orgs
                .iter()
                .find(|o| o.id == m.organisation_id)
                .map(|o| o.name.clone())
                .unwrap_or_default();
            let role = Role::from_code(&m.role)
                .map(|r| shell.t(&r.label_key()))
                .unwrap_or(m.role);
            roles.push(format!("{role} ({org})"));
        }
        rows.push(UserRow {
            id: u.id,
            display_name: store::display_name(&state.keys, &u),
            username: u.username,
            roles: roles.join("; "),
            disabled: u.disabled,
            mfa: u.totp_secret_enc.is_some(),
        });
    }
    Ok(UsersPage {
        roles: role_options(&shell),
        shell,
        users: rows,
        organisations: orgs,
        error,
    })
}

pub async fn users(State(state): State<SharedState>, shell: Shell) -> Result<UsersPage, AppError> {
    users_page(&state, shell, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_password.html")]
pub struct OneTimePasswordPage {
    pub shell: Shell,
    pub username: String,
    pub password: String,
    pub user_id: i32,
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    role: String,
}

pub async fn create_user(
    State(state): State<SharedState>,
    shell: Shell,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let username = store::normalise_username(&form.username);
    let display = form.display_name.trim().to_owned();
    let org = match form.organisation_id.parse::<i32>() {
        Ok(id) => store::organisation(&state.db, id).await?,
        Err(_) => None,
    };
    let role = Role::from_code(&form.role);
    let problem = match (&username, &org, role) {
        (None, _, _) => Some("admin-error-username"),
        (_, None, _) => Some("admin-error-org"),
        (_, _, None) => Some("admin-error-role"),
        _ if display.is_empty() || display.chars().count() > 200 => {
            Some("admin-error-display-name")
        }
        _ => None,
    };
    let (Some(username), Some(org), Some(role), None) = (username, org, role, problem) else {
        let error = Some(shell.t(problem.unwrap_or("error-400")));
        let page = users_page(&state, shell, error).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let (user, password) = match provision_user(
        &state.db,
        &state.keys,
        &username,
        &display,
        org.id,
        role,
        Some(&me.actor),
    )
    .await
    {
        Ok(created) => created,
        Err(store::CreateUserError::Taken) => {
            let error = Some(shell.t("admin-error-username-taken"));
            let page = users_page(&state, shell, error).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(_) => return Err(AppError::Internal("creating a user")),
    };
    Ok(OneTimePasswordPage {
        shell,
        username: user.username,
        password,
        user_id: user.id,
    }
    .into_response())
}

/// Creates an account with one role and a one-time password (returned, to be shown once),
/// and audits it. Used by the admin pages, `satis user add` and `satis demo`.
pub async fn provision_user(
    db: &sea_orm::DatabaseConnection,
    keys: &crate::platform::crypto::KeyRing,
    username: &str,
    display_name: &str,
    organisation_id: i32,
    role: Role,
    by: Option<&crate::platform::policy::Actor>,
) -> Result<(entities::user::Model, String), store::CreateUserError> {
    let password = one_time_password();
    let hash = crypto::hash_password_async(password.clone())
        .await
        .map_err(store::CreateUserError::Crypto)?;
    let user = store::create_user(db, keys, username, display_name, hash).await?;
    store::grant(db, user.id, organisation_id, role, by.map(|a| a.user_id)).await?;
    audit::append(
        db,
        keys,
        Entry::new(by, "user.create", "user")
            .record(user.id)
            .subject(format!("user:{}", user.id))
            .reason(format!("{} @ organisation {organisation_id}", role.code())),
    )
    .await?;
    Ok((user, password))
}

pub struct MembershipRow {
    pub id: i32,
    pub organisation: String,
    pub role: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_user.html")]
pub struct UserPage {
    pub shell: Shell,
    pub user: UserRow,
    pub memberships: Vec<MembershipRow>,
    pub organisations: Vec<entities::organisation::Model>,
    pub roles: Vec<(String, String)>,
}

pub async fn user_page(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<UserPage, AppError> {
    let u = store::user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let orgs = store::organisations(&state.db).await?;
    let memberships = store::memberships(&state.db, u.id)
        .await?
        .into_iter()
        .map(|m| MembershipRow {
            id: m.id,
            organisation: orgs
                .iter()
                .find(|o| o.id == m.organisation_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            role: Role::from_code(&m.role)
                .map(|r| shell.t(&r.label_key()))
                .unwrap_or(m.role),
        })
        .collect();
    Ok(UserPage {
        roles: role_options(&shell),
        user: UserRow {
            id: u.id,
            display_name: store::display_name(&state.keys, &u),
            username: u.username,
            roles: String::new(),
            disabled: u.disabled,
            mfa: u.totp_secret_enc.is_some(),
        },
        memberships,
        organisations: orgs,
        shell,
    })
}

/// Audits an administrative change to a user and ends that user's sessions.
/// The change itself was made in `txn`: the sessions end and the entry is written in it too,
/// and all of it is committed together.
async fn changed(
    state: &SharedState,
    txn: sea_orm::DatabaseTransaction,
    me: &StaffView,
    user_id: i32,
    action: &str,
    detail: Option<String>,
) -> Result<Response, AppError> {
    store::revoke_sessions(&txn, user_id).await?;
    let mut entry = Entry::new(Some(&me.actor), action, "user")
        .record(user_id)
        .subject(format!("user:{user_id}"));
    if let Some(d) = detail {
        entry = entry.reason(d);
    }
    audit::append(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/admin/users/{user_id}")).into_response())
}

async fn existing_user(state: &SharedState, id: i32) -> Result<entities::user::Model, AppError> {
    store::user(&state.db, id).await?.ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    role: String,
}

pub async fn grant(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    Form(form): Form<GrantForm>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = existing_user(&state, id).await?;
    let org = match form.organisation_id.parse::<i32>() {
        Ok(o) => store::organisation(&state.db, o).await?,
        Err(_) => None,
    }
    .ok_or(AppError::BadRequest("admin-error-org"))?;
    let role = Role::from_code(&form.role).ok_or(AppError::BadRequest("admin-error-role"))?;
    let txn = state.db.begin().await?;
    store::grant(&txn, user.id, org.id, role, Some(me.actor.user_id)).await?;
    changed(
        &state,
        txn,
        &me,
        user.id,
        "user.role_granted",
        Some(format!("{} @ organisation {}", role.code(), org.id)),
    )
    .await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    membership_id: String,
}

pub async fn revoke(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = existing_user(&state, id).await?;
    let membership = form
        .membership_id
        .parse::<i32>()
        .map_err(|_| AppError::BadRequest("error-400"))?;
    let txn = state.db.begin().await?;
    if !store::revoke(&txn, user.id, membership).await? {
        return Err(AppError::NotFound);
    }
    changed(
        &state,
        txn,
        &me,
        user.id,
        "user.role_revoked",
        Some(format!("membership {membership}")),
    )
    .await
}

pub async fn disable(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = existing_user(&state, id).await?;
    if user.id == me.actor.user_id {
        return Err(AppError::BadRequest("admin-error-self-disable"));
    }
    let txn = state.db.begin().await?;
    store::set_disabled(&txn, user.id, true).await?;
    changed(&state, txn, &me, user.id, "user.disabled", None).await
}

pub async fn enable(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = existing_user(&state, id).await?;
    let txn = state.db.begin().await?;
    store::set_disabled(&txn, user.id, false).await?;
    changed(&state, txn, &me, user.id, "user.enabled", None).await
}

pub async fn reset_mfa(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = existing_user(&state, id).await?;
    let txn = state.db.begin().await?;
    store::reset_mfa(&txn, user.id).await?;
    changed(&state, txn, &me, user.id, "user.mfa_reset", None).await
}

pub async fn reset_password(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = existing_user(&state, id).await?;
    let password = one_time_password();
    let hash = crypto::hash_password_async(password.clone())
        .await
        .map_err(|_| AppError::Internal("password hashing"))?;
    let txn = state.db.begin().await?;
    store::set_password(&txn, user.id, hash).await?;
    changed(&state, txn, &me, user.id, "user.password_reset", None).await?;
    Ok(OneTimePasswordPage {
        shell,
        username: user.username,
        password,
        user_id: user.id,
    }
    .into_response())
}
