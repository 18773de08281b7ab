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
use super::store;
use crate::platform::policy::Role;
use crate::platform::web::{AppError, SharedState, Shell};

use super::ops::{self, AccountChange, AdminError, ORG_KINDS, OneTimePassword, PROVINCES};

fn admin(shell: &Shell) -> Result<StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

// ---------- organisations ----------

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_organisations.html")]
pub struct OrganisationsPage {
    pub shell: Shell,
    pub organisations: Vec<crate::network::Organisation>,
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
    let input = ops::NewOrganisation {
        name: form.name,
        kind: form.kind,
        province: form.province,
        is_public: form.is_public.is_some(),
    };
    let txn = state.db.begin().await?;
    match ops::create_organisation(&txn, &state.keys, Some(&me.actor), &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to("/admin/organisations").into_response())
        }
        Err(AdminError::Invalid(key)) => {
            drop(txn);
            let error = Some(shell.t(key));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                OrganisationsPage {
                    shell,
                    organisations: store::organisations(&state.db).await?,
                    kinds: ORG_KINDS,
                    provinces: PROVINCES,
                    error,
                },
            )
                .into_response())
        }
        Err(e) => Err(refusal(e)),
    }
}

/// An administrative refusal other than a wrong field, as the page's error.
fn refusal(e: AdminError) -> AppError {
    match e {
        AdminError::Invalid(key) => AppError::BadRequest(key),
        AdminError::NotFound => AppError::NotFound,
        AdminError::Refused => AppError::Forbidden,
        AdminError::Db(e) => e.into(),
        AdminError::Crypto(_) => AppError::Internal("administration"),
    }
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
    pub organisations: Vec<crate::network::Organisation>,
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
    let input = ops::NewUser {
        username: form.username,
        display_name: form.display_name,
        organisation_id: form.organisation_id.parse().unwrap_or(0),
        role: Role::from_code(&form.role),
    };
    let password = OneTimePassword::new().await.map_err(refusal)?;
    let txn = state.db.begin().await?;
    match ops::provision_user(&txn, &state.keys, Some(&me.actor), &input, &password).await {
        Ok(user) => {
            txn.commit().await?;
            Ok(OneTimePasswordPage {
                shell,
                username: user.username,
                password: password.plain,
                user_id: user.id,
            }
            .into_response())
        }
        Err(AdminError::Invalid(key)) => {
            drop(txn);
            let error = Some(shell.t(key));
            let page = users_page(&state, shell, error).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(refusal(e)),
    }
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
    pub organisations: Vec<crate::network::Organisation>,
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

/// Makes one change to an account in one transaction and returns to the account's page.
async fn change(
    state: &SharedState,
    me: &StaffView,
    user_id: i32,
    change: AccountChange<'_>,
) -> Result<(), AppError> {
    let txn = state.db.begin().await?;
    ops::change_user(&txn, &state.keys, Some(&me.actor), user_id, change)
        .await
        .map_err(refusal)?;
    txn.commit().await?;
    Ok(())
}

fn back_to(user_id: i32) -> Response {
    Redirect::to(&format!("/admin/users/{user_id}")).into_response()
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
    let organisation_id = form
        .organisation_id
        .parse::<i32>()
        .map_err(|_| AppError::BadRequest("admin-error-org"))?;
    let role = Role::from_code(&form.role).ok_or(AppError::BadRequest("admin-error-role"))?;
    let grant = AccountChange::Grant {
        organisation_id,
        role,
    };
    change(&state, &me, id, grant).await?;
    Ok(back_to(id))
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
    let membership_id = form
        .membership_id
        .parse::<i32>()
        .map_err(|_| AppError::BadRequest("error-400"))?;
    change(&state, &me, id, AccountChange::Revoke { membership_id }).await?;
    Ok(back_to(id))
}

pub async fn disable(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    change(&state, &me, id, AccountChange::Disable).await?;
    Ok(back_to(id))
}

pub async fn enable(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    change(&state, &me, id, AccountChange::Enable).await?;
    Ok(back_to(id))
}

pub async fn reset_mfa(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    change(&state, &me, id, AccountChange::ResetMfa).await?;
    Ok(back_to(id))
}

pub async fn reset_password(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let user = store::user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let password = OneTimePassword::new().await.map_err(refusal)?;
    change(&state, &me, id, AccountChange::ResetPassword(&password)).await?;
    Ok(OneTimePasswordPage {
        shell,
        username: user.username,
        password: password.plain,
        user_id: user.id,
    }
    .into_response())
}

// ---------- notification e-mails ----------

/// One message that could not be sent: whose, when, how many attempts, why (the SMTP reply
/// class), what happens next. No address and no text: the administrator needs neither.
pub struct MailRow {
    pub id: i32,
    pub username: String,
    pub created: String,
    pub attempts: i32,
    pub given_up: bool,
    pub reason: String,
    pub next: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_mail.html")]
pub struct MailPage {
    pub shell: Shell,
    pub mail_on: bool,
    pub pending: u64,
    pub failed: u64,
    pub rows: Vec<MailRow>,
    pub notice: Option<String>,
}

#[derive(Deserialize)]
pub struct MailQuery {
    #[serde(default)]
    done: String,
}

/// Notification e-mails waiting and given up, with "send again".
pub async fn mail(
    State(state): State<SharedState>,
    shell: Shell,
    axum::extract::Query(q): axum::extract::Query<MailQuery>,
) -> Result<MailPage, AppError> {
    admin(&shell)?;
    let (pending, failed) = crate::platform::mail::queue_lengths(&state.db).await?;
    let mut rows = Vec::new();
    for m in crate::platform::mail::problems(&state.db, 200).await? {
        rows.push(MailRow {
            id: m.id,
            username: super::username_of(&state.db, m.user_id)
                .await?
                .unwrap_or_default(),
            created: crate::platform::time::rome_time(&m.created_at),
            attempts: m.attempts,
            given_up: m.state == "failed",
            reason: m.last_error.unwrap_or_default(),
            next: crate::platform::time::rome_time(&m.next_at),
        });
    }
    let notice = match q.done.as_str() {
        "again" => Some(shell.t("admin-mail-again-done")),
        "gone" => Some(shell.t("admin-mail-again-gone")),
        _ => None,
    };
    Ok(MailPage {
        shell,
        mail_on: state.config.mail.is_some(),
        pending,
        failed,
        rows,
        notice,
    })
}

pub async fn mail_again(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = admin(&shell)?;
    let txn = state.db.begin().await?;
    let done = ops::send_mail_again(&txn, &state.keys, &me.actor, id).await?;
    txn.commit().await?;
    Ok(Redirect::to(if done {
        "/admin/mail?done=again"
    } else {
        "/admin/mail?done=gone"
    })
    .into_response())
}
