//! Errors as users see them: a translated page with a reference id; the detail goes only to the
//! log (and never personal data, see docs/LOGGING.md).

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{RequestCtx, SharedState, Shell};

/// An error a handler returns. Its variants carry no user data.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("unauthorized")]
    Unauthorized,
    #[error("too many attempts")]
    TooManyAttempts,
    /// What was sent is over the limit (413), with the message key that names the limit.
    #[error("too large: {0}")]
    TooLarge(&'static str),
    /// The service cannot answer now (busy, or its storage is full): 503 with `Retry-After`.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Marks a response whose body the error renderer must replace with a translated page.
#[derive(Clone, Copy, Debug)]
pub struct ErrorPage {
    /// Fluent key of the explanation shown under the title.
    pub message_key: &'static str,
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        use crate::platform::db::{Unavailable, unavailability};
        match unavailability(&e) {
            Some(Unavailable::Busy) => AppError::Unavailable("error-503"),
            Some(Unavailable::StorageFull) => AppError::Unavailable("error-storage-full"),
            None => AppError::Internal(crate::platform::db::describe(&e)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(what) = &self {
            tracing::error!(error = what, "internal error");
        }
        if let AppError::Unavailable(what) = &self {
            tracing::warn!(reason = what, "answered 503");
        }
        let message_key = match &self {
            AppError::BadRequest(key) | AppError::Unavailable(key) | AppError::TooLarge(key) => key,
            _ => message_key_for(self.status()),
        };
        let mut r = self.status().into_response();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        r.extensions_mut().insert(ErrorPage { message_key });
        r
    }
}

fn message_key_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "error-400",
        401 => "error-401",
        403 => "error-403",
        404 => "error-404",
        405 => "error-405",
        413 => "error-413",
        415 | 422 => "error-400",
        429 => "error-429",
        503 => "error-503",
        500..=599 => "error-500",
        _ => "error-generic",
    }
}

#[derive(Template)]
#[template(path = "platform/web/templates/error.html")]
struct ErrorTemplate {
    shell: Shell,
    title: String,
    message: String,
}

/// Replaces the body of an error response with the translated error page, unless the handler
/// already answered with its own HTML page (a form with its errors) or with JSON.
pub fn render_if_needed(state: &SharedState, ctx: &RequestCtx, response: Response) -> Response {
    let marked = response.extensions().get::<ErrorPage>().copied();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let own_body = content_type.starts_with("text/html") || content_type.contains("json");
    if marked.is_none() && own_body {
        return response;
    }
    let status = response.status();
    let message_key = marked.map_or_else(|| message_key_for(status), |m| m.message_key);
    let shell = Shell::from_parts(state, Some(ctx), None, "/".to_owned());
    let page = ErrorTemplate {
        title: shell.t(&format!("error-title-{}", title_group(status))),
        message: shell.t(message_key),
        shell,
    };
    let mut out = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => {
            tracing::error!("error page template failed to render");
            (
                status,
                format!("Error {} — ref. {}", status.as_u16(), ctx.id),
            )
                .into_response()
        }
    };
    // Keep headers the handler set on purpose (for example Allow on 405, Retry-After on 429).
    for name in [header::ALLOW, header::RETRY_AFTER, header::SET_COOKIE] {
        for v in response.headers().get_all(&name) {
            out.headers_mut().append(name.clone(), v.clone());
        }
    }
    out
}

fn title_group(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => "forbidden",
        404 => "not-found",
        413 => "too-large",
        400..=499 => "request",
        _ => "server",
    }
}
