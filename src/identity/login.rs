//! Signing in: password, then the second factor (enrolment at first sign-in), then a fresh
//! session; signing out.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::ops::signin;
use super::session::{SessionId, StaffView, cookie_header, session_cookie_name};
use super::{store, totp};
use crate::platform::crypto;
use crate::platform::web::client::ClientAddr;
use crate::platform::web::shell::safe_next;
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/login.html")]
pub struct LoginPage {
    pub shell: Shell,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

pub async fn login_form(shell: Shell, Query(q): Query<NextQuery>) -> Response {
    if shell.staff.as_ref().is_some_and(|s| s.full) {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let notice = match q.done.as_deref() {
        Some("logout") => Some(shell.t("login-notice-logout")),
        Some("password") => Some(shell.t("login-notice-password")),
        _ => None,
    };
    LoginPage {
        next: safe_next(q.next.as_deref()),
        shell,
        username: String::new(),
        error: None,
        notice,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn with_session_cookie(
    mut response: Response,
    state: &SharedState,
    token: Option<&str>,
) -> Response {
    let secure = state.config.cookie_secure;
    if let Some(v) = cookie_header(session_cookie_name(secure), token, secure) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn login_submit(
    State(state): State<SharedState>,
    shell: Shell,
    client: ClientAddr,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = store::normalise_username(&form.username);
    let account_key = format!("account:{}", username.as_deref().unwrap_or("?"));
    let client_key = client.key();
    let refuse = |shell: Shell, status: StatusCode, key: &str| {
        let error = Some(shell.t(key));
        (
            status,
            LoginPage {
                shell,
                username: form.username.chars().take(64).collect(),
                next: safe_next(Some(&form.next)),
                error,
                notice: None,
            },
        )
            .into_response()
    };
    if state
        .login_throttle
        .check(&state.db, &account_key)
        .await
        .is_err()
        || state
            .login_throttle
            .check(&state.db, &client_key)
            .await
            .is_err()
    {
        state.metrics.throttled("sign_in");
        return Ok(refuse(
            shell,
            StatusCode::TOO_MANY_REQUESTS,
            "login-error-throttled",
        ));
    }
    let user = match &username {
        Some(u) => store::user_by_username(&state.db, u).await?,
        None => None,
    };
    let ok = crypto::verify_password_async(
        form.password.clone(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        other => {
            state.login_throttle.fail(&state.db, &account_key).await;
            state.login_throttle.fail(&state.db, &client_key).await;
            signin::password_refused(&state.db, &state.keys, other.as_ref().map(|u| u.id)).await?;
            return Ok(refuse(
                shell,
                StatusCode::UNAUTHORIZED,
                "login-error-invalid",
            ));
        }
    };
    state.login_throttle.succeed(&state.db, &account_key).await;
    let token = signin::password_accepted(&state.db, user.id).await?;
    let target = if user.totp_secret_enc.is_some() {
        "/login/mfa"
    } else {
        "/mfa/enrol"
    };
    let next: String =
        url::form_urlencoded::byte_serialize(safe_next(Some(&form.next)).as_bytes()).collect();
    let response = Redirect::to(&format!("{target}?next={next}")).into_response();
    Ok(with_session_cookie(response, &state, Some(&token)))
}

/// Replaces a password-only session by a full one (a new token: no session fixation).
async fn complete_sign_in(
    state: &SharedState,
    staff: &StaffView,
    old: &SessionId,
    next: &str,
    how: &str,
) -> Result<Response, AppError> {
    // The new session and its audit entry are committed together.
    let txn = state.db.begin().await?;
    let token = signin::signed_in(&txn, &state.keys, &staff.actor, &old.0, how).await?;
    txn.commit().await?;
    let response = Redirect::to(&safe_next(Some(next))).into_response();
    Ok(with_session_cookie(response, state, Some(&token)))
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/login_mfa.html")]
pub struct MfaPage {
    pub shell: Shell,
    pub next: String,
    pub error: Option<String>,
    /// Only in a demonstration database: the demo accounts' current code.
    pub demo_code: Option<String>,
}

fn demo_code(state: &SharedState) -> Option<String> {
    state.demo.then(crate::demo::current_demo_code)
}

fn staff(shell: &Shell) -> Result<StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

pub async fn mfa_form(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let staff = staff(&shell)?;
    if staff.full {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    Ok(MfaPage {
        next: safe_next(q.next.as_deref()),
        shell,
        error: None,
        demo_code: demo_code(&state),
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    pending: String,
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

pub async fn mfa_submit(
    State(state): State<SharedState>,
    shell: Shell,
    session: axum::Extension<SessionId>,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let staff = staff(&shell)?;
    let account_key = format!("mfa:{}", staff.actor.user_id);
    let user = store::user(&state.db, staff.actor.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let Some(sealed) = user.totp_secret_enc.as_ref() else {
        return Ok(Redirect::to("/mfa/enrol").into_response());
    };
    let allowed = state
        .login_throttle
        .check(&state.db, &account_key)
        .await
        .is_ok();
    let secret = state
        .keys
        .decrypt(store::TOTP_SECRET, sealed)
        .map_err(|_| AppError::Internal("TOTP secret cannot be decrypted"))?;
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let accepted = allowed
        && if code.len() == 6 {
            match totp::verify(&secret, &code, unix_now(), user.totp_last_step) {
                Some(step) => store::advance_totp_step(&state.db, user.id, step).await?,
                None => false,
            }
        } else {
            store::use_recovery_code(&state.db, user.id, &code).await?
        };
    if accepted {
        state.login_throttle.succeed(&state.db, &account_key).await;
        let how = if code.len() == 6 {
            "totp"
        } else {
            "recovery code"
        };
        return complete_sign_in(&state, &staff, &session.0, &form.next, how).await;
    }
    if allowed {
        state.login_throttle.fail(&state.db, &account_key).await;
    }
    signin::code_refused(&state.db, &state.keys, &staff.actor).await?;
    let key = if allowed {
        "mfa-error-code"
    } else {
        "login-error-throttled"
    };
    let error = Some(shell.t(key));
    let status = if allowed {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::TOO_MANY_REQUESTS
    };
    Ok((
        status,
        MfaPage {
            shell,
            next: safe_next(Some(&form.next)),
            error,
            demo_code: demo_code(&state),
        },
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/mfa_enrol.html")]
pub struct EnrolPage {
    pub shell: Shell,
    pub next: String,
    pub qr_svg: String,
    pub secret_text: String,
    pub pending: String,
    pub error: Option<String>,
}

/// The pending secret travels in the form, sealed to this session: the browser cannot choose it.
fn pending_context(session: &SessionId) -> String {
    format!("totp.pending.{}", session.0)
}

fn enrol_page(
    state: &SharedState,
    shell: Shell,
    session: &SessionId,
    secret: &[u8],
    next: String,
    error: Option<String>,
) -> Result<EnrolPage, AppError> {
    let username = shell
        .staff
        .as_ref()
        .map(|s| s.username.clone())
        .unwrap_or_default();
    let url = totp::otpauth_url(secret, &username).ok_or(AppError::Internal("otpauth url"))?;
    let sealed = state
        .keys
        .encrypt(&pending_context(session), secret)
        .map_err(|_| AppError::Internal("sealing the pending secret"))?;
    Ok(EnrolPage {
        shell,
        next,
        qr_svg: totp::qr_svg(&url).ok_or(AppError::Internal("qr code"))?,
        secret_text: totp::secret_base32(secret),
        pending: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed),
        error,
    })
}

pub async fn enrol_form(
    State(state): State<SharedState>,
    shell: Shell,
    session: axum::Extension<SessionId>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let staff = staff(&shell)?;
    let user = store::user(&state.db, staff.actor.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.totp_secret_enc.is_some() {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let secret = totp::new_secret();
    Ok(enrol_page(
        &state,
        shell,
        &session.0,
        &secret,
        safe_next(q.next.as_deref()),
        None,
    )?
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub shell: Shell,
    pub codes: Vec<String>,
    pub next: String,
}

pub async fn enrol_submit(
    State(state): State<SharedState>,
    shell: Shell,
    session: axum::Extension<SessionId>,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let staff = staff(&shell)?;
    let user = store::user(&state.db, staff.actor.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.totp_secret_enc.is_some() {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(form.pending.as_bytes())
        .ok()
        .and_then(|sealed| {
            state
                .keys
                .decrypt(&pending_context(&session.0), &sealed)
                .ok()
        })
        .ok_or(AppError::BadRequest("error-400"))?;
    let Some(step) = totp::verify(&secret, &form.code, unix_now(), None) else {
        let error = Some(shell.t("mfa-error-code"));
        let page = enrol_page(
            &state,
            shell,
            &session.0,
            &secret,
            safe_next(Some(&form.next)),
            error,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let txn = state.db.begin().await?;
    let codes = signin::enrolled(&txn, &state.keys, &staff.actor, &secret, step)
        .await
        .map_err(|_| AppError::Internal("storing the TOTP secret"))?;
    txn.commit().await?;
    // The sign-in completes now; the codes are shown once, on the next page.
    let signed_in = complete_sign_in(&state, &staff, &session.0, "/", "totp enrolment").await?;
    let mut page = RecoveryCodesPage {
        shell,
        codes,
        next: safe_next(Some(&form.next)),
    }
    .into_response();
    for v in signed_in.headers().get_all(header::SET_COOKIE) {
        page.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    Ok(page)
}

pub async fn logout(
    State(state): State<SharedState>,
    shell: Shell,
    session: axum::Extension<SessionId>,
) -> Result<Response, AppError> {
    let txn = state.db.begin().await?;
    let actor = shell.staff.as_ref().map(|s| &s.actor);
    signin::signed_out(&txn, &state.keys, &session.0.0, actor).await?;
    txn.commit().await?;
    let response = Redirect::to("/login?done=logout").into_response();
    let mut response = with_session_cookie(response, &state, None);
    response
        .headers_mut()
        .insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    Ok(response)
}
