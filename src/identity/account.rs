//! The signed-in person's own page: who they are, their roles, language, password.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::{password, store};
use crate::platform::crypto;
use crate::platform::i18n::Lang;
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/account.html")]
pub struct AccountPage {
    pub shell: Shell,
    pub memberships: Vec<(String, String)>,
    pub locale: String,
    /// The notification address and mode as saved (or as typed, after a refusal).
    pub notify_email: String,
    pub notify_mode: String,
    /// Whether this installation sends mail at all.
    pub mail_on: bool,
    pub error: Option<String>,
    pub notice: Option<String>,
}

async fn account_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    notice: Option<String>,
) -> Result<AccountPage, AppError> {
    let staff = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let user = store::user(&state.db, staff.actor.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut memberships = Vec::new();
    for m in store::memberships(&state.db, user.id).await? {
        let org = store::organisation(&state.db, m.organisation_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let role = crate::platform::policy::Role::from_code(&m.role)
            .map(|r| shell.t(&r.label_key()))
            .unwrap_or(m.role);
        memberships.push((org, role));
    }
    let (mut notify_email, mut notify_mode) = (String::new(), "off".to_owned());
    if let Some(p) = store::notify_pref(&state.db, user.id).await? {
        notify_mode = p.mode;
        if let Some(sealed) = p.email_enc {
            notify_email = state
                .keys
                .decrypt_str(store::NOTIFY_EMAIL, &sealed)
                .map_err(|_| AppError::Internal("notification address cannot be decrypted"))?;
        }
    }
    Ok(AccountPage {
        shell,
        memberships,
        locale: user.locale.unwrap_or_default(),
        notify_email,
        notify_mode,
        mail_on: state.config.mail.is_some(),
        error,
        notice,
    })
}

#[derive(Deserialize)]
pub struct NotificationsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    mode: String,
}

/// The person's own e-mail notifications: an address and off / daily / as soon as new.
pub async fn notifications(
    State(state): State<SharedState>,
    shell: Shell,
    Form(form): Form<NotificationsForm>,
) -> Result<Response, AppError> {
    let staff = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let txn = state.db.begin().await?;
    match super::ops::set_own_notifications(
        &txn,
        &state.keys,
        &staff.actor,
        &form.email,
        &form.mode,
    )
    .await
    {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to("/account?saved=notifications").into_response())
        }
        Err(super::ops::NotifyError::Db(e)) => Err(e.into()),
        Err(e) => {
            drop(txn);
            let error = Some(shell.t(e.message_key()));
            let mut page = account_page(&state, shell, error, None).await?;
            // What was typed stays in the form.
            page.notify_email = form.email;
            page.notify_mode = form.mode;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<SharedState>,
    shell: Shell,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<AccountPage, AppError> {
    let notice = (q.saved == "notifications").then(|| shell.t("account-notify-saved"));
    account_page(&state, shell, None, notice).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Changing the password ends every session of the account, this one included.
pub async fn change_password(
    State(state): State<SharedState>,
    shell: Shell,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let staff = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let user = store::user(&state.db, staff.actor.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let current_ok =
        crypto::verify_password_async(form.current, Some(user.password_hash.clone())).await;
    let problem = if !current_ok {
        Some("account-error-current")
    } else if form.new != form.confirm {
        Some("account-error-confirm")
    } else {
        password::check(&form.new, &user.username)
            .err()
            .map(|w| w.message_key())
    };
    if let Some(key) = problem {
        let error = Some(shell.t(key));
        let page = account_page(&state, shell, error, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = crypto::hash_password_async(form.new)
        .await
        .map_err(|_| AppError::Internal("password hashing"))?;
    let txn = state.db.begin().await?;
    super::ops::change_own_password(&txn, &state.keys, &staff.actor, hash).await?;
    txn.commit().await?;
    Ok(Redirect::to("/login?done=password").into_response())
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    locale: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn preferences(
    State(state): State<SharedState>,
    shell: Shell,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, AppError> {
    let staff = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let locale = Lang::from_code(&form.locale).map(Lang::code);
    super::ops::signin::language_chosen(&state.db, staff.actor.user_id, locale).await?;
    // The preference applies from the next page; a language cookie would override it.
    let back = match form.next.as_deref() {
        Some(n) => crate::platform::web::shell::safe_next(Some(n)),
        None => "/account".to_owned(),
    };
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "{}=; Path=/; Max-Age=0",
        crate::platform::web::shell::LANG_COOKIE
    )) {
        r.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    Ok(r)
}
