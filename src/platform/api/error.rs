//! API errors: a stable code for programs, a translated message for people, the request's
//! reference id to find the log line. Rendered as JSON by [`render`], which the web shell calls
//! for every error answer under `/api/` (so that 404, 405, 413 and panics are JSON too).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;

use crate::platform::web::{AppError, RequestCtx};

/// An API error. It carries no submitted value: `field` is a path such as `tallies[2].count`.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message_key: &'static str,
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message_key: &'static str) -> ApiError {
        ApiError {
            status,
            code,
            message_key,
            field: None,
        }
    }

    /// 422: the request is understood but a field is wrong; `message_key` says what.
    pub fn invalid(message_key: &'static str, field: Option<&str>) -> ApiError {
        ApiError {
            field: field.map(str::to_owned),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message_key)
        }
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "api-error-token",
        )
    }

    /// A genuine token past its expiry: the integration must be given a new one.
    pub fn token_expired() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "api-error-token-expired",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "error-403")
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "error-404")
    }

    /// 412: the record changed since the caller read it.
    pub fn stale() -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "stale",
            "case-error-conflict",
        )
    }

    /// 409: the request conflicts with the record's state.
    pub fn conflict(message_key: &'static str) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message_key)
    }

    pub fn internal(what: &'static str) -> ApiError {
        tracing::error!(error = what, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "error-500")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

/// A form rule's message key (the areas' shared validation) as a 422.
impl From<&'static str> for ApiError {
    fn from(key: &'static str) -> Self {
        if key == "error-500" {
            ApiError::internal("a rule failed to run")
        } else {
            ApiError::invalid(key, crate::platform::web::form::date_field(key))
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        match crate::platform::db::unavailability(&e) {
            Some(crate::platform::db::Unavailable::Busy) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "error-503")
            }
            Some(crate::platform::db::Unavailable::StorageFull) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_full",
                "error-storage-full",
            ),
            None => ApiError::internal(crate::platform::db::describe(&e)),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => ApiError::not_found(),
            AppError::Forbidden => ApiError::forbidden(),
            AppError::Unauthorized => ApiError::unauthenticated(),
            AppError::BadRequest(key) => ApiError::invalid(key, None),
            AppError::TooManyAttempts => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many", "error-429")
            }
            AppError::Unavailable(key) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", key)
            }
            AppError::TooLarge(key) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", key)
            }
            AppError::Internal(what) => ApiError::internal(what),
        }
    }
}

/// Marks a response whose body [`render`] writes.
#[derive(Clone, Debug)]
struct Mark {
    code: &'static str,
    message_key: &'static str,
    field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"satis\""),
            );
        }
        r.extensions_mut().insert(Mark {
            code: self.code,
            message_key: self.message_key,
            field: self.field,
        });
        r
    }
}

/// The JSON body of an error answer under `/api/`: the handler's own code and message when it
/// gave one, otherwise one chosen by status (405, 413, a panic…).
pub fn render(ctx: &RequestCtx, response: Response) -> Response {
    let mark = response.extensions().get::<Mark>().cloned();
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if mark.is_none() && is_json {
        return response;
    }
    let (code, key, field) = match mark {
        Some(m) => (m.code, m.message_key, m.field),
        None => {
            let (code, key) = by_status(status);
            (code, key, None)
        }
    };
    let message = ctx.lang.t(key);
    let mut error = serde_json::json!({
        "code": code,
        "message": message,
        "reference": ctx.id,
    });
    if let Some(f) = field {
        error["field"] = serde_json::Value::String(f);
    }
    let mut out = (status, axum::Json(serde_json::json!({ "error": error }))).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        for v in response.headers().get_all(&name) {
            out.headers_mut().append(name.clone(), v.clone());
        }
    }
    if status == StatusCode::SERVICE_UNAVAILABLE && !out.headers().contains_key(header::RETRY_AFTER)
    {
        out.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    out
}

fn by_status(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "error-400"),
        401 => ("unauthenticated", "api-error-token"),
        403 => ("forbidden", "error-403"),
        404 => ("not_found", "error-404"),
        405 => ("method_not_allowed", "error-405"),
        413 => ("too_large", "error-413"),
        415 => ("unsupported_media_type", "api-error-media-type"),
        422 => ("invalid", "error-400"),
        429 => ("too_many", "error-429"),
        503 => ("unavailable", "error-503"),
        500..=599 => ("internal", "error-500"),
        _ => ("error", "error-generic"),
    }
}
