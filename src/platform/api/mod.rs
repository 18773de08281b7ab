//! The JSON API under `/api/v1`, for the systems around the network (the national hotline, the
//! Region's analytics, the street units' phones).
//!
//! - A caller presents an API token (`Authorization: Bearer satis_…`). The token acts as one
//!   staff account in one organisation: the policy module decides with that account's roles,
//!   exactly as for pages, and the token's scopes narrow it further.
//! - Every operation is registered in [`ApiRoutes`] with its scope, its permission and the
//!   schemas of what it takes and gives: the access-matrix test walks the table, and
//!   [`openapi::document`] is generated from it (served at `/api/v1/openapi.json`).
//! - Errors are JSON: `{"error": {"code", "message", "reference", "field"}}`, the message
//!   translated, never a stack trace, SQL or a submitted value.
//! - Creating requests may carry `Idempotency-Key` ([`idempotency`]); updates need `If-Match`
//!   with the record's `ETag`.
//!
//! Each area owns its operations in its own `api.rs`; this module is the shared frame.

pub mod error;
pub mod idempotency;
pub mod openapi;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, on};
use chrono::{Duration, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::platform::policy::{Actor, Permission};
use crate::platform::web::SharedState;
pub use error::ApiError;

/// The prefix every operation's path is relative to.
pub const PREFIX: &str = "/api/v1";

/// Who is calling: the account behind the token, and what the token may do.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub token_id: i32,
    pub scopes: Vec<String>,
}

impl Caller {
    /// The caller's organisation (every token has one).
    pub fn org(&self) -> Result<i32, ApiError> {
        self.actor.organisation_id.ok_or_else(ApiError::forbidden)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// Builds a schema for the OpenAPI document.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One operation: its route, its access rule and what goes in and out.
#[derive(Clone, Debug)]
pub struct ApiSpec {
    pub method: Method,
    /// Relative to [`PREFIX`], with `{name}` path parameters (integers).
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// The token scope it needs.
    pub scope: &'static str,
    /// The permission the account's roles must carry (`None`: any staff role).
    pub permission: Option<Permission>,
    pub query: Option<SchemaFn>,
    pub body: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
    pub success: u16,
    /// Updates: `If-Match` with the record's `ETag` is required.
    pub if_match: bool,
    /// Creates: an `Idempotency-Key` makes a resend safe.
    pub idempotent: bool,
    /// Reads of one record answer with an `ETag`.
    pub etag: bool,
    /// A request body that works (JSON text): shown in the document, and sent by the API
    /// gate and the examples test, so that creates are tried with data that succeeds.
    pub example: Option<&'static str>,
    /// A list answered a page at a time, the next page named in a `Link: rel="next"` header.
    pub paged: bool,
}

impl ApiSpec {
    fn new(method: Method, path: &'static str, operation_id: &'static str) -> ApiSpec {
        ApiSpec {
            method,
            path,
            operation_id,
            summary: "",
            tag: "",
            scope: "",
            permission: None,
            query: None,
            body: None,
            response: None,
            success: 200,
            if_match: false,
            idempotent: false,
            etag: false,
            example: None,
            paged: false,
        }
    }

    /// A list answered a page at a time (`limit`, `after`), with the next page's address in
    /// a `Link` header while there may be more.
    pub fn paged(self) -> Self {
        ApiSpec {
            paged: true,
            ..self
        }
    }

    pub fn get(path: &'static str, operation_id: &'static str) -> ApiSpec {
        ApiSpec::new(Method::GET, path, operation_id)
    }

    /// A creating request: 201, with an optional `Idempotency-Key`.
    pub fn create(path: &'static str, operation_id: &'static str) -> ApiSpec {
        ApiSpec {
            success: 201,
            idempotent: true,
            ..ApiSpec::new(Method::POST, path, operation_id)
        }
    }

    /// An update of one record, guarded by `If-Match`.
    pub fn update(path: &'static str, operation_id: &'static str) -> ApiSpec {
        ApiSpec {
            if_match: true,
            etag: true,
            ..ApiSpec::new(Method::PATCH, path, operation_id)
        }
    }

    /// A change of one record that needs no version: it is either done or refused with 409
    /// (ending a stay that already ended on another day), and sending it again changes
    /// nothing.
    pub fn change(path: &'static str, operation_id: &'static str) -> ApiSpec {
        ApiSpec::new(Method::PATCH, path, operation_id)
    }

    pub fn summary(self, tag: &'static str, summary: &'static str) -> Self {
        ApiSpec {
            tag,
            summary,
            ..self
        }
    }

    pub fn scope(self, scope: &'static str, permission: Option<Permission>) -> Self {
        ApiSpec {
            scope,
            permission,
            ..self
        }
    }

    pub fn query<Q: JsonSchema>(self) -> Self {
        ApiSpec {
            query: Some(schema_of::<Q>),
            ..self
        }
    }

    pub fn body<B: JsonSchema>(self) -> Self {
        ApiSpec {
            body: Some(schema_of::<B>),
            ..self
        }
    }

    pub fn returns<R: JsonSchema>(self) -> Self {
        ApiSpec {
            response: Some(schema_of::<R>),
            ..self
        }
    }

    pub fn with_etag(self) -> Self {
        ApiSpec { etag: true, ..self }
    }

    /// A body that succeeds for an account allowed to call the operation (JSON text).
    pub fn example(self, json: &'static str) -> Self {
        ApiSpec {
            example: Some(json),
            ..self
        }
    }

    /// The full path as a client calls it, e.g. `/api/v1/cases/{id}`.
    pub fn full_path(&self) -> String {
        format!("{PREFIX}{}", self.path)
    }
}

/// The API's route table under construction.
#[derive(Default)]
pub struct ApiRoutes {
    router: Router<SharedState>,
    specs: Vec<ApiSpec>,
}

impl ApiRoutes {
    pub fn new() -> ApiRoutes {
        ApiRoutes::default()
    }

    /// Registers `handler` for `spec`, callable only with the spec's scope and permission.
    pub fn op<H, T>(mut self, spec: ApiSpec, handler: H) -> Self
    where
        H: Handler<T, SharedState>,
        T: 'static,
    {
        let filter = axum::routing::MethodFilter::try_from(spec.method.clone())
            .unwrap_or(axum::routing::MethodFilter::GET);
        let (scope, permission) = (spec.scope, spec.permission);
        let mr: MethodRouter<SharedState> = on(filter, handler).route_layer(middleware::from_fn(
            move |req: Request, next: Next| enforce(scope, permission, req, next),
        ));
        self.router = self.router.route(spec.path, mr);
        self.specs.push(spec);
        self
    }

    pub fn merge(mut self, other: ApiRoutes) -> Self {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }

    pub fn specs(&self) -> &[ApiSpec] {
        &self.specs
    }
}

/// The API router of the given operations, to be nested under [`PREFIX`]; the composition
/// root puts the token layer (which puts a [`Caller`] in the request) in front of it.
pub fn router(routes: ApiRoutes) -> Router<SharedState> {
    let document = std::sync::Arc::new(openapi::document(routes.specs()));
    routes
        .router
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()).into_response() }
            }),
        )
        .fallback(|| async { ApiError::not_found() })
}

async fn enforce(
    scope: &'static str,
    permission: Option<Permission>,
    req: Request,
    next: Next,
) -> Response {
    let Some(caller) = req.extensions().get::<Caller>() else {
        return ApiError::unauthenticated().into_response();
    };
    if !caller.scopes.iter().any(|s| s == scope) {
        return ApiError::new(StatusCode::FORBIDDEN, "scope_missing", "api-error-scope")
            .into_response();
    }
    let allowed = match permission {
        Some(p) => caller.actor.can(p),
        None => !caller.actor.roles.is_empty(),
    };
    if !allowed {
        return ApiError::forbidden().into_response();
    }
    next.run(req).await
}

/// The bearer token an API request presents, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (kind, token) = v.trim().split_once(' ')?;
    kind.eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// A JSON request body, refused with a JSON error naming the wrong field (never its value).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "error-413"))?;
        json_body(&headers, &bytes).map(ApiJson)
    }
}

/// A request body that must be JSON (415 otherwise), decoded into `T` (422 naming the field).
/// Creates read the raw body first to fingerprint it for their idempotency key.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "api-error-media-type",
        ));
    }
    decode(body)
}

/// Decodes a JSON document into `T`, naming the first wrong field. A NUL character in a text
/// (which PostgreSQL cannot store, and no one types) is dropped, as the forms drop it.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| invalid_at("."))?;
    without_nul(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| invalid_at(&e.path().to_string()))
}

fn without_nul(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nul),
        serde_json::Value::Object(map) => map.values_mut().for_each(without_nul),
        _ => {}
    }
}

fn invalid_at(path: &str) -> ApiError {
    let field = if path == "." { None } else { Some(path) };
    ApiError::invalid("api-error-body", field)
}

/// Query parameters, refused with a JSON error naming the wrong parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| ApiError::invalid("api-error-query", Some(&e.path().to_string())))
    }
}

/// A record id from the path; anything but a positive whole number is a 404.
pub struct ApiId(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for ApiId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found())?;
        raw.parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .map(ApiId)
            .ok_or_else(ApiError::not_found)
    }
}

/// A code the OpenAPI document lists as an enum: exactly one of `allowed` (no trimming, no
/// empty value), else 422 naming `field`. The forms are more forgiving; the API is exact.
pub fn one_of(value: &str, allowed: &[&str], field: &str) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::invalid("api-error-code", Some(field)))
    }
}

/// [`one_of`] for every item of a list.
pub fn all_of(values: &[String], allowed: &[&str], field: &str) -> Result<(), ApiError> {
    values.iter().try_for_each(|v| one_of(v, allowed, field))
}

/// The `ETag` of a record at `version`.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// The version an `If-Match` header names: `Err` 428 when absent, 412 when unreadable.
pub fn if_match(headers: &HeaderMap) -> Result<i32, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "api-error-if-match",
        ));
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.strip_prefix('v'))
        .and_then(|s| s.parse::<i32>().ok())
        .ok_or_else(ApiError::stale)
}

/// A 200 answer with `body`.
pub fn ok<T: Serialize>(body: &T) -> Response {
    axum::Json(body).into_response()
}

/// A 200 answer with `body` and the record's `ETag`.
pub fn ok_tagged<T: Serialize>(body: &T, version: i32) -> Response {
    let mut r = axum::Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Data of one JSON answer, kept for idempotent replays.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn created<T: Serialize>(location: String, body: &T) -> Result<Answer, ApiError> {
        Ok(Answer {
            status: StatusCode::CREATED,
            location: Some(location),
            body: serde_json::to_value(body).map_err(|_| ApiError::internal("encoding"))?,
        })
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body)).into_response();
        if let Some(v) = self
            .location
            .and_then(|l| HeaderValue::from_str(&format!("{PREFIX}{l}")).ok())
        {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    }
}

/// A period in a query (`from`, `to`, ISO dates, both included) and a page of the records in
/// it, newest first.
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days before `to`).
    pub from: Option<chrono::NaiveDate>,
    /// Last day, `YYYY-MM-DD` (default: today).
    pub to: Option<chrono::NaiveDate>,
    /// Records per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// Records to skip (default 0). Deep pages are faster and never skip nor repeat a
    /// record written meanwhile with `after` instead.
    pub offset: Option<u32>,
    /// Continue after this record: the cursor the previous page's `Link: rel="next"` header
    /// carries (opaque; not with `offset`).
    #[schemars(length(max = 80))]
    pub after: Option<String>,
}

/// Where a page of a list newest-first continues: after the record sorted at `key` with `id`
/// (the cursor a client gets back is `key~id`, opaque to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct After<K> {
    pub key: K,
    pub id: i32,
}

/// How a list's sort key is written in a cursor.
pub trait CursorKey: Sized {
    fn write(&self) -> String;
    fn read(s: &str) -> Option<Self>;
}

impl CursorKey for chrono::DateTime<Utc> {
    fn write(&self) -> String {
        self.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
    fn read(s: &str) -> Option<Self> {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

impl CursorKey for chrono::NaiveDate {
    fn write(&self) -> String {
        self.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

impl<K: CursorKey> After<K> {
    pub fn cursor(&self) -> String {
        format!("{}~{}", self.key.write(), self.id)
    }
}

impl CursorKey for i32 {
    fn write(&self) -> String {
        self.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A page of a list that has no period (the records one follows), newest first.
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Records per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// Continue after this record: the cursor the previous page's `Link: rel="next"` header
    /// carries (opaque).
    #[schemars(length(max = 80))]
    pub after: Option<String>,
}

impl PageQuery {
    /// The page size; 422 outside 1–500.
    pub fn limit(&self) -> Result<u64, ApiError> {
        let limit = self.limit.map_or(PAGE, u64::from);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::invalid("api-error-limit", Some("limit")));
        }
        Ok(limit)
    }

    /// Where the page continues, 422 for a cursor this list did not give.
    pub fn after<K: CursorKey>(&self) -> Result<Option<After<K>>, ApiError> {
        read_cursor(self.after.as_deref())
    }

    /// A page answered: the records, and while the page is full the address of the next one
    /// in a `Link` header.
    pub fn answer<T: Serialize, K: CursorKey>(
        &self,
        path: &str,
        body: &[T],
        last: Option<After<K>>,
    ) -> Result<Response, ApiError> {
        self.answer_with(path, body, last, &[])
    }

    /// [`PageQuery::answer`] for a list with its own filters, which the next page's address
    /// repeats.
    pub fn answer_with<T: Serialize, K: CursorKey>(
        &self,
        path: &str,
        body: &[T],
        last: Option<After<K>>,
        filters: &[(&str, &str)],
    ) -> Result<Response, ApiError> {
        let limit = self.limit()?;
        let next = (body.len() as u64 == limit)
            .then_some(last)
            .flatten()
            .map(|last| {
                let mut q = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in filters {
                    q.append_pair(k, v);
                }
                q.append_pair("limit", &limit.to_string())
                    .append_pair("after", &last.cursor())
                    .finish()
            });
        Ok(with_next(ok(&body), path, next))
    }
}

/// Reads a cursor (`key~id`) a list gave; 422 for one it did not give.
fn read_cursor<K: CursorKey>(raw: Option<&str>) -> Result<Option<After<K>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("api-error-cursor", Some("after"));
    let (key, id) = raw.rsplit_once('~').ok_or_else(bad)?;
    Ok(Some(After {
        key: K::read(key).ok_or_else(bad)?,
        id: id.parse().map_err(|_| bad())?,
    }))
}

/// Adds the `Link: rel="next"` header naming the next page's query, when there is one.
fn with_next(mut r: Response, path: &str, next_query: Option<String>) -> Response {
    if let Some(query) = next_query
        && let Ok(v) = HeaderValue::from_str(&format!("<{PREFIX}{path}?{query}>; rel=\"next\""))
    {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

/// The default and largest page of a list.
pub const PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 500;

impl PeriodQuery {
    /// The page asked for as (limit, offset); 422 for a limit outside 1–500.
    pub fn page(&self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.map_or(PAGE, u64::from);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::invalid("api-error-limit", Some("limit")));
        }
        Ok((limit, self.offset.map_or(0, u64::from)))
    }

    /// Where the page continues (`after`), 422 for a cursor this list did not give or one
    /// sent with `offset`.
    pub fn after<K: CursorKey>(&self) -> Result<Option<After<K>>, ApiError> {
        if self.after.is_some() && self.offset.is_some_and(|o| o > 0) {
            return Err(ApiError::invalid("api-error-cursor", Some("after")));
        }
        read_cursor(self.after.as_deref())
    }

    /// A page answered: the records, and while the page is full the address of the next
    /// one (same period and size, after the last record) in a `Link` header.
    pub fn answer<T: Serialize, K: CursorKey>(
        &self,
        path: &str,
        body: &[T],
        last: Option<After<K>>,
    ) -> Result<Response, ApiError> {
        let (limit, _) = self.page()?;
        let (from, after) = self.days()?;
        let to = after - Duration::days(1);
        let next = (body.len() as u64 == limit)
            .then_some(last)
            .flatten()
            .map(|last| {
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("from", &from.to_string())
                    .append_pair("to", &to.to_string())
                    .append_pair("limit", &limit.to_string())
                    .append_pair("after", &last.cursor())
                    .finish()
            });
        Ok(with_next(ok(&body), path, next))
    }

    /// The period as its first day and the day after its last (Italian days); 422 when
    /// backwards or longer than ten years.
    pub fn days(&self) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ApiError> {
        let to = self.to.unwrap_or_else(crate::platform::time::rome_today);
        let from = self.from.unwrap_or(to - Duration::days(30));
        if from > to || (to - from).num_days() > 3660 {
            return Err(ApiError::invalid("api-error-period", Some("from")));
        }
        Ok((from, to + Duration::days(1)))
    }

    /// The period as start (inclusive) and end (exclusive) instants: 00:00 in Rome on its
    /// first day to 00:00 in Rome after its last.
    pub fn bounds(&self) -> Result<(chrono::DateTime<Utc>, chrono::DateTime<Utc>), ApiError> {
        let (from, after) = self.days()?;
        Ok((
            crate::platform::time::rome_midnight(from),
            crate::platform::time::rome_midnight(after),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_strong_and_weak_tags() {
        let mut h = HeaderMap::new();
        assert_eq!(
            if_match(&h).err().map(|e| e.status()),
            Some(StatusCode::PRECONDITION_REQUIRED)
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"v7\""));
        assert_eq!(if_match(&h).ok(), Some(7));
        h.insert(header::IF_MATCH, HeaderValue::from_static("W/\"v8\""));
        assert_eq!(if_match(&h).ok(), Some(8));
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(
            if_match(&h).err().map(|e| e.status()),
            Some(StatusCode::PRECONDITION_FAILED)
        );
    }

    #[test]
    fn a_wrong_body_names_the_field_not_the_value() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct B {
            count: i32,
        }
        let e = decode::<B>(br#"{"count": "Maria Rossi"}"#).err();
        let e = e.map(|e| (e.status(), e.field().map(str::to_owned)));
        assert_eq!(
            e,
            Some((StatusCode::UNPROCESSABLE_ENTITY, Some("count".to_owned())))
        );
    }

    #[test]
    fn a_period_must_run_forwards() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let q = PeriodQuery {
            from: day("2026-02-01"),
            to: day("2026-01-01"),
            ..Default::default()
        };
        assert!(q.bounds().is_err());
        let q = PeriodQuery {
            from: day("2026-01-01"),
            to: day("2026-01-31"),
            limit: Some(501),
            offset: None,
            after: None,
        };
        assert!(q.page().is_err());
        let (s, e) = q.bounds().unwrap();
        assert_eq!((e - s).num_days(), 31);
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-29T00:30:00.000123Z")
            .unwrap()
            .with_timezone(&Utc);
        let written = After { key: at, id: 42 }.cursor();
        let q = PeriodQuery {
            after: Some(written),
            ..Default::default()
        };
        assert_eq!(
            q.after::<chrono::DateTime<Utc>>().unwrap(),
            Some(After { key: at, id: 42 }),
            "microseconds kept: two calls in the same second stay apart"
        );
        assert!(
            q.after::<chrono::NaiveDate>().is_err(),
            "another list's cursor"
        );
        let with_offset = PeriodQuery {
            offset: Some(5),
            ..q
        };
        assert!(with_offset.after::<chrono::DateTime<Utc>>().is_err());
        let day = PeriodQuery {
            after: Some(
                After {
                    key: chrono::NaiveDate::MIN,
                    id: 1,
                }
                .cursor(),
            ),
            ..Default::default()
        };
        assert!(day.after::<chrono::NaiveDate>().unwrap().is_some());
    }
}
