//! Sessions and CSRF, as one middleware that runs on every request:
//!
//! 1. finds the session from its cookie, ends it when idle or too old or when the account is
//!    disabled, and puts the signed-in actor (or `Anonymous`) into the request;
//! 2. refuses every state-changing request whose `Origin` (or `Referer`) is not this site or
//!    whose form lacks the right `_csrf` token (the session's, or before sign-in a random
//!    per-browser token kept in a cookie).
//!
//! The session cookie is `__Host-satis_session` (`Secure`, `HttpOnly`, `SameSite=Strict`,
//! `Path=/`); with `cookie_secure = false` (plain-http local use only) it loses the prefix and
//! `Secure`. Only a SHA-256 of its token is stored.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};

use super::store;
use crate::platform::crypto;
use crate::platform::i18n::Lang;
use crate::platform::policy::Actor;
use crate::platform::web::routes::AuthState;
use crate::platform::web::shell::cookie;
use crate::platform::web::{AppError, RequestCtx, SharedState};

pub use crate::platform::web::shell::{CsrfToken, StaffView};

/// The current session's hashed id (for sign-out and rotation).
#[derive(Clone, Debug)]
pub struct SessionId(pub String);

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-satis_session"
    } else {
        "satis_session"
    }
}

pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-satis_csrf"
    } else {
        "satis_csrf"
    }
}

/// A `Set-Cookie` value with the project's flags; `None` clears the cookie.
pub fn cookie_header(name: &str, value: Option<&str>, secure: bool) -> Option<HeaderValue> {
    let secure_flag = if secure { "; Secure" } else { "" };
    let text = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict{secure_flag}"),
        None => format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure_flag}"),
    };
    HeaderValue::from_str(&text).ok()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request comes from a page of this site: by the browser's `Sec-Fetch-Site` when
/// sent (with `Referrer-Policy: no-referrer` browsers send `Origin: null` even on same-origin
/// form posts), else by `Origin`, else by `Referer`. Nothing to go by means no.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .filter(|v| v.as_bytes() != b"null")
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return false;
    };
    match url::Url::parse(source) {
        Ok(u) => {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_owned(),
            };
            matches!(u.scheme(), "http" | "https") && authority.eq_ignore_ascii_case(host)
        }
        Err(_) => false,
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn upload_limit(path: &str) -> Option<usize> {
    use crate::platform::web::form::{MAX_UPLOAD_BYTES, UPLOAD_FIELDS_ROOM, is_upload_path};
    is_upload_path(path).then_some(MAX_UPLOAD_BYTES + UPLOAD_FIELDS_ROOM)
}

/// The one-click unsubscribe address of the newsletter (RFC 8058), posted by mail programs.
fn one_click(path: &str) -> bool {
    path.strip_prefix("/newsletter/disiscrizione/")
        .is_some_and(|rest| rest.split('/').count() == 2)
}

/// The boundary of a `multipart/form-data` body (a form with a file).
fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(ct).ok()
}

/// The text field `name` of a multipart body, read with the parser axum itself uses.
async fn multipart_field(body: axum::body::Bytes, boundary: &str, name: &str) -> Option<String> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = parts.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

struct Resolved {
    auth: AuthState,
    csrf: String,
    staff: Option<StaffView>,
    session_id: Option<String>,
    locale: Option<Lang>,
    set_csrf_cookie: Option<String>,
    clear_session_cookie: bool,
}

async fn resolve_session(state: &SharedState, headers: &HeaderMap) -> Result<Resolved, AppError> {
    let secure = state.config.cookie_secure;
    let mut clear_session_cookie = false;
    if let Some(token) = cookie(headers, session_cookie_name(secure)) {
        if let Some(store::SignedIn {
            session: s,
            user,
            roles,
            registry_version,
        }) = store::signed_in(&state.db, &token).await?
        {
            let now = Utc::now();
            let idle =
                Duration::from_std(state.config.session_idle).unwrap_or(Duration::minutes(30));
            let absolute =
                Duration::from_std(state.config.session_absolute).unwrap_or(Duration::hours(12));
            let expired = now - s.last_seen_at > idle || now - s.created_at > absolute;
            match user {
                Some(u) if !u.disabled && !expired => {
                    let (org, ()) = tokio::try_join!(
                        async {
                            Ok::<_, sea_orm::DbErr>(match s.organisation_id {
                                Some(org) => crate::network::registry(state, registry_version)
                                    .await?
                                    .organisation(org)
                                    .cloned(),
                                None => None,
                            })
                        },
                        async {
                            if now - s.last_seen_at > Duration::seconds(60) {
                                store::touch_session(&state.db, &s.id, now).await?;
                            }
                            Ok(())
                        },
                    )?;
                    let organisation = org.as_ref().map(|o| o.name.clone());
                    let actor = Actor {
                        user_id: u.id,
                        username: u.username.clone(),
                        organisation_id: s.organisation_id,
                        province: org.and_then(|o| o.province),
                        roles,
                    };
                    let staff = StaffView {
                        username: u.username.clone(),
                        display_name: store::display_name_of(&state.keys, &u.display_name_enc),
                        organisation,
                        actor: actor.clone(),
                        full: s.mfa_ok,
                        registry_version,
                    };
                    return Ok(Resolved {
                        auth: if s.mfa_ok {
                            AuthState::Full(actor)
                        } else {
                            AuthState::Partial(actor)
                        },
                        csrf: s.csrf_token.clone(),
                        staff: Some(staff),
                        session_id: Some(s.id),
                        locale: u.locale.as_deref().and_then(Lang::from_code),
                        set_csrf_cookie: None,
                        clear_session_cookie: false,
                    });
                }
                _ => {
                    // Disabled account or expired session: the session ends now.
                    store::delete_session(&state.db, &s.id).await?;
                }
            }
        }
        clear_session_cookie = true;
    }
    let (csrf, set_csrf_cookie) = match cookie(headers, csrf_cookie_name(secure)) {
        Some(v) if v.len() >= 20 && v.len() <= 64 => (v, None),
        _ => {
            let fresh = crypto::random_token(24);
            (fresh.clone(), Some(fresh))
        }
    };
    Ok(Resolved {
        auth: AuthState::Anonymous,
        csrf,
        staff: None,
        session_id: None,
        locale: None,
        set_csrf_cookie,
        clear_session_cookie,
    })
}

/// The middleware: see the module documentation.
pub async fn resolve(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let resolved = match resolve_session(&state, req.headers()).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let (mut parts, body) = req.into_parts();

    let mut req = if is_safe(&parts.method) {
        Request::from_parts(parts, body)
    } else {
        let path = parts.uri.path().to_owned();
        let (limit, too_large) = match upload_limit(&path) {
            Some(limit) => (limit, "material-error-too-large"),
            None => (state.config.max_body_bytes, "error-413"),
        };
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => return AppError::TooLarge(too_large).into_response(),
        };
        if one_click(&path) {
            // RFC 8058: the mail program posts from nowhere, with no token; the address
            // itself carries the subscriber's keyed token, and leaving is all it can do.
            return next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
        }
        if !same_origin(&parts.headers) {
            tracing::warn!("state-changing request refused: not from this site");
            return AppError::Forbidden.into_response();
        }
        let sent = match multipart_boundary(&parts.headers) {
            Some(boundary) => multipart_field(bytes.clone(), &boundary, "_csrf").await,
            None => form_field(&bytes, "_csrf"),
        }
        .unwrap_or_default();
        if !crypto::constant_time_eq(sent.as_bytes(), resolved.csrf.as_bytes()) {
            tracing::warn!("state-changing request refused: missing or wrong CSRF token");
            return AppError::BadRequest("error-csrf").into_response();
        }
        parts.extensions.insert(CsrfToken(resolved.csrf.clone()));
        Request::from_parts(parts, Body::from(bytes))
    };

    // A signed-in person's own preference comes first, then the cookie, then the browser.
    if let Some(lang) = resolved.locale
        && let Some(ctx) = req.extensions_mut().get_mut::<RequestCtx>()
    {
        ctx.lang = lang;
    }
    req.extensions_mut()
        .insert(CsrfToken(resolved.csrf.clone()));
    req.extensions_mut().insert(resolved.auth);
    if let Some(staff) = resolved.staff {
        req.extensions_mut().insert(staff);
    }
    if let Some(id) = resolved.session_id {
        req.extensions_mut().insert(SessionId(id));
    }

    let mut response = next.run(req).await;
    let secure = state.config.cookie_secure;
    if let Some(token) = resolved.set_csrf_cookie
        && let Some(v) = cookie_header(csrf_cookie_name(secure), Some(&token), secure)
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    if resolved.clear_session_cookie
        && !response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| {
                v.to_str()
                    .is_ok_and(|s| s.starts_with(session_cookie_name(secure)))
            })
        && let Some(v) = cookie_header(session_cookie_name(secure), None, secure)
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn only_requests_from_this_site_pass() {
        assert!(same_origin(&h(&[
            ("host", "satis.example"),
            ("origin", "https://satis.example")
        ])));
        assert!(same_origin(&h(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin(&h(&[
            ("host", "satis.example"),
            ("referer", "https://satis.example/login")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "satis.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "satis.example"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&h(&[("host", "satis.example")])));
        assert!(!same_origin(&h(&[("origin", "https://satis.example")])));
        assert!(!same_origin(&h(&[
            ("host", "satis.example"),
            ("origin", "https://satis.example.evil.com")
        ])));
    }

    #[test]
    fn cookies_carry_the_strict_flags() {
        let v = cookie_header("__Host-satis_session", Some("abc"), true).unwrap();
        let s = v.to_str().unwrap();
        assert!(
            s.contains("HttpOnly")
                && s.contains("SameSite=Strict")
                && s.contains("Secure")
                && s.contains("Path=/")
        );
        let cleared = cookie_header("satis_session", None, false).unwrap();
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }
}
