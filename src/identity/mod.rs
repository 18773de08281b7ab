//! Identity and access: sign-in for staff. (Accounts, second factor, sessions and the access
//! policy arrive with the identity issue; until then no account exists and every sign-in is
//! refused with the same message a wrong password gets.)

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::platform::web::{SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/login.html")]
struct LoginPage {
    shell: Shell,
    username: String,
    error: Option<String>,
}

pub fn routes() -> Router<SharedState> {
    Router::new().route("/login", get(login_form).post(login_submit))
}

async fn login_form(shell: Shell) -> LoginPage {
    LoginPage {
        shell,
        username: String::new(),
        error: None,
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    #[allow(dead_code)]
    password: String,
}

async fn login_submit(shell: Shell, Form(form): Form<LoginForm>) -> (StatusCode, LoginPage) {
    let error = Some(shell.t("login-error-invalid"));
    (
        StatusCode::UNAUTHORIZED,
        LoginPage {
            shell,
            username: form.username.chars().take(100).collect(),
            error,
        },
    )
}
pub mod entities;
pub mod password;
pub mod totp;
