//! The web shell: application state, the router every area plugs into, the middleware that gives
//! each request an id, a CSP nonce, security headers and translated error pages.

pub mod assets;
pub mod error;
pub mod shell;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use rand::RngCore;
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument;

use crate::platform::config::Config;
use crate::platform::crypto::KeyRing;
use crate::platform::db;
use crate::platform::i18n::Lang;
use crate::platform::throttle::Throttle;
use routes::{Access, Routes};

pub use error::AppError;
pub use shell::Shell;

/// What every handler can reach.
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Config,
    /// The database holds demonstration data: every page says so.
    pub demo: bool,
    /// Field-encryption keys.
    pub keys: KeyRing,
    /// Sign-in attempts, per account and per client.
    pub login_throttle: Throttle,
    /// Public report submissions and receipt guesses, per anonymous client key, plus the
    /// ceiling of stamped (proof-of-work) submissions.
    pub public_throttle: Throttle,
    /// The ceiling of public reports sent with a proof-of-work stamp (all clients together):
    /// beyond it a stamped report is held to its client's throttle like any other.
    pub stamped_throttle: Throttle,
    /// Keys of anonymous clients (keyed hashes of their address, key rotated hourly).
    pub client_keys: crate::platform::throttle::ClientKeys,
    /// Requests being served; when none is left the answer is 503 at once (load shedding).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The public open-data files, made at most once an hour.
    pub open_data: crate::platform::cache::Cached,
    /// What this instance counts for `/metrics`.
    pub metrics: crate::platform::metrics::Metrics,
    /// The audit entries of reads and access decisions, committed together (group commit).
    pub audit_group: crate::platform::audit::GroupCommit,
    /// How many items are due for each person (by user id), shown beside "Da fare".
    pub due_counts: crate::platform::cache::PerKey<usize>,
    /// The registry's organisations and services, kept while the database's registry
    /// version stays the same (`network::registry`).
    pub registry: crate::platform::cache::Versioned,
    /// Wakes the mail sender at once (a newsletter confirmation should not wait its round).
    pub mail_wake: Arc<tokio::sync::Notify>,
}

/// How many items are due for the signed-in person: put into a page request's extensions by
/// the composition root's middleware, shown by the navigation.
#[derive(Clone, Copy, Debug)]
pub struct DueCount(pub usize);

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config, demo: bool, keys: KeyRing) -> AppState {
        let in_flight = Arc::new(tokio::sync::Semaphore::new(config.max_in_flight));
        let shared = crate::platform::throttle::shared_for(&db);
        AppState {
            in_flight,
            db,
            config,
            demo,
            keys,
            login_throttle: Throttle::new(5, std::time::Duration::from_secs(15 * 60))
                .shared_as("login", shared),
            public_throttle: Throttle::new(10, std::time::Duration::from_secs(60 * 60))
                .shared_as("public", shared),
            stamped_throttle: Throttle::new(120, std::time::Duration::from_secs(10 * 60))
                .shared_as("stamped", shared),
            client_keys: crate::platform::throttle::ClientKeys::shared(shared),
            open_data: crate::platform::cache::Cached::default(),
            metrics: crate::platform::metrics::Metrics::default(),
            audit_group: crate::platform::audit::GroupCommit::default(),
            due_counts: crate::platform::cache::PerKey::default(),
            registry: crate::platform::cache::Versioned::default(),
            mail_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

pub type SharedState = Arc<AppState>;

/// Per-request values set by the outermost middleware.
#[derive(Clone, Debug)]
pub struct RequestCtx {
    /// Short id shown on error pages and written to the log, to join the two.
    pub id: String,
    /// Nonce allowed by this response's Content-Security-Policy for `<script>` elements.
    pub nonce: String,
    /// The language negotiated for this request.
    pub lang: Lang,
}

/// A file to download (CSV, XLSX): the body with its type and an attachment name.
pub fn download(
    body: impl IntoResponse,
    content_type: &'static str,
    filename: &'static str,
) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The platform's own pages (health check, assets, language switch); the composition root
/// (`crate::app`) adds every area's.
pub fn platform_routes() -> Routes {
    Routes::new()
        .get("/healthz", Access::Public, healthz)
        .get("/readyz", Access::Public, readyz)
        .merge(assets::routes())
        .merge(shell::routes())
}

/// The pages' router with the translated 404 for every path nothing answers.
pub fn with_fallback(pages: Router<SharedState>) -> Router<SharedState> {
    pages.fallback(fallback)
}

/// Puts the pages (already behind the session layer) and the API (behind its token layer)
/// together under the platform's outer layers.
pub fn finish(state: SharedState, pages: Router<SharedState>, api: Router<SharedState>) -> Router {
    // The session layer holds every page to `max_body_bytes` but the upload forms (to the
    // largest file); the outer limits let those through.
    let max_body = state
        .config
        .max_body_bytes
        .max(form::MAX_UPLOAD_BYTES + form::UPLOAD_FIELDS_ROOM);
    pages
        .nest(
            crate::platform::api::PREFIX,
            api.layer(DefaultBodyLimit::max(state.config.max_body_bytes))
                .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes)),
        )
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(on_panic))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), shed_load))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .with_state(state)
}

/// Beyond `max_in_flight` requests at once, answers 503 with `Retry-After` immediately: a
/// short refusal the client can retry beats every operator's page slowing to a halt.
/// The health check is always answered.
async fn shed_load(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    if matches!(req.uri().path(), "/healthz" | "/readyz") {
        return next.run(req).await;
    }
    match state.in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            let r = next.run(req).await;
            drop(permit);
            r
        }
        Err(_) => {
            state.metrics.shed();
            tracing::warn!("over capacity: answered 503");
            AppError::Unavailable("error-503").into_response()
        }
    }
}

async fn fallback() -> AppError {
    AppError::NotFound
}

fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The panic message may hold request data: it is not logged, only the fact.
    tracing::error!("a handler panicked; answered 500");
    AppError::Internal("panic").into_response()
}

/// `GET /healthz`: 200 with the backend's name, 503 when the database does not answer.
async fn healthz(State(state): State<SharedState>) -> Response {
    let backend = db::backend_name(&state.db);
    match state.db.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "database": backend})).into_response(),
        Err(e) => {
            tracing::warn!(
                reason = db::describe(&e),
                "health check: database unreachable"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": backend})),
            )
                .into_response()
        }
    }
}

/// `GET /readyz`: 200 when this instance can take traffic (the database answers and carries
/// exactly the migrations this version knows), 503 with the reason otherwise; `/healthz` only
/// says the process is alive and reaches its database.
async fn readyz(State(state): State<SharedState>) -> Response {
    let readiness = db::readiness(&state.db).await;
    if readiness == db::Readiness::Ready {
        return Json(serde_json::json!({"status": "ready"})).into_response();
    }
    tracing::warn!(reason = readiness.reason(), "readiness check: not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"status": "unavailable", "reason": readiness.reason()})),
    )
        .into_response()
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Chooses the language: cookie, then `Accept-Language`, then the configured default.
/// (A signed-in user's own preference is applied by the identity layer on top of this.)
pub fn negotiate_lang(headers: &HeaderMap, default: Lang) -> Lang {
    shell::cookie(headers, shell::LANG_COOKIE)
        .and_then(|v| Lang::from_code(&v))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(default)
}

async fn request_context(
    State(state): State<SharedState>,
    mut req: Request,
    next: Next,
) -> Response {
    let ctx = RequestCtx {
        id: random_token(9),
        nonce: random_token(18),
        lang: negotiate_lang(req.headers(), state.config.default_locale),
    };
    req.extensions_mut().insert(ctx.clone());
    // The route template, never the concrete path: paths and queries may carry identifiers.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let method = req.method().clone();
    let is_static = req.uri().path().starts_with("/static/");
    let is_api = req.uri().path().starts_with("/api/");
    let span = tracing::info_span!("request", id = %ctx.id);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;

    if response.status().is_client_error() || response.status().is_server_error() {
        response = if is_api {
            crate::platform::api::error::render(&ctx, response)
        } else {
            error::render_if_needed(&state, &ctx, response)
        };
    }
    set_security_headers(response.headers_mut(), &ctx.nonce, is_static);
    state.metrics.request(
        &route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    span.in_scope(|| {
        tracing::info!(
            %method,
            route,
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
    });
    response
}

fn set_security_headers(h: &mut HeaderMap, nonce: &str, is_static: bool) {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; worker-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_static || !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
pub mod chart;
pub mod client;
pub mod form;
pub mod routes;
