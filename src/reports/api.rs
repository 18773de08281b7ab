//! Public reports in the JSON API, for the hotline's triage: the queue (no text), one report
//! with its text and messages (the read is audited, as on the page) and its triage (`If-Match`
//! with the report's `ETag`: a report is triaged once, so a second triage is 412 or 409).
//! Reports reach the regional hotline whoever made them, so every hotline account sees the
//! whole queue.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::entities::report;
use super::store;
use super::triage::{self, TriageError};
use crate::platform::api::{self, ApiError, ApiId, ApiJson, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::Hotline);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/reports", "listPublicReports")
                .summary(
                    "reports",
                    "Public reports (without their text), newest first, by pages; `status=new` is the triage queue",
                )
                .paged()
                .scope("reports:read", p)
                .query::<ReportsQuery>()
                .returns::<Vec<ReportOut>>(),
            queue,
        )
        .op(
            ApiSpec::get("/reports/{id}", "getPublicReport")
                .summary(
                    "reports",
                    "One public report with its text and messages (audited)",
                )
                .scope("reports:read", p)
                .returns::<ReportOut>()
                .with_etag(),
            show,
        )
        .op(
            ApiSpec::update("/reports/{id}", "triagePublicReport")
                .summary(
                    "reports",
                    "Triage a public report: into a hotline contact of the caller's organisation, a duplicate, or not pertinent",
                )
                .scope("reports:write", p)
                .body::<TriageIn>()
                .returns::<ReportOut>(),
            triage,
        )
        .op(
            ApiSpec::create("/reports/{id}/replies", "replyToReporter")
                .summary(
                    "reports",
                    "Write to the reporter (they read it with their receipt); sealed at rest",
                )
                .scope("reports:write", p)
                .body::<ReplyIn>()
                .returns::<ReplyOut>(),
            reply,
        )
}

/// A reply to the person who made the report.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyIn {
    /// 1–5,000 characters, in the reporter's language.
    pub text: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReplyOut {
    pub report_id: i32,
    pub at: DateTime<Utc>,
}

async fn reply(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("replyToReporter {id}");
    let (creation, input) =
        match api::idempotency::start::<ReplyIn>(&state.db, &caller, &headers, &body, &operation)
            .await?
        {
            api::idempotency::Started::New(c, input) => (c, input),
            api::idempotency::Started::Replayed(r) => return Ok(r),
        };
    super::guard(&state, &caller.actor).await?;
    store::get(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    triage::reply(&state, &creation.txn, &caller.actor, id, &input.text)
        .await
        .map_err(|e| match e {
            TriageError::Invalid(key) => ApiError::invalid(key, Some("text")),
            TriageError::AlreadyTriaged => ApiError::conflict(e.message_key()),
            TriageError::Db(e) => e.into(),
        })?;
    let answer = api::Answer::created(
        format!("/reports/{id}"),
        &ReplyOut {
            report_id: id,
            at: Utc::now(),
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// A triage decision.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageIn {
    #[schemars(extend("enum" = triage::OUTCOMES))]
    pub outcome: String,
    /// With `duplicate`: the number of the other report.
    pub duplicate_of: Option<i32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportOut {
    pub id: i32,
    /// The day only, on purpose.
    pub received_on: NaiveDate,
    pub language: String,
    pub province: Option<String>,
    pub urgency: String,
    pub people: Option<i32>,
    pub minors: String,
    pub kinds: Vec<String>,
    pub anonymous: bool,
    /// `new`, `contact`, `duplicate`, `not_pertinent`.
    pub status: String,
    pub triage_contact_id: Option<i32>,
    pub duplicate_of: Option<i32>,
    pub triaged_at: Option<DateTime<Utc>>,
    /// 1 while new, 2 once triaged (the `ETag` of a single report).
    pub version: i32,
    /// Only on a single report's read.
    pub text: Option<ReportText>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportText {
    pub what: String,
    pub place: String,
    pub since: String,
    pub gender: String,
    pub contact: String,
    pub messages: Vec<MessageOut>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageOut {
    pub from_reporter: bool,
    pub at: DateTime<Utc>,
    pub text: String,
}

fn out(r: &report::Model, text: Option<ReportText>) -> ReportOut {
    ReportOut {
        id: r.id,
        received_on: r.received_on,
        language: r.language.clone(),
        province: r.province.clone(),
        urgency: r.urgency.clone(),
        people: r.people,
        minors: r.minors.clone(),
        kinds: crate::platform::codes::to_vec(&r.kinds),
        anonymous: r.anonymous,
        status: r.status.clone(),
        triage_contact_id: r.triage_contact_id,
        duplicate_of: r.duplicate_of,
        triaged_at: r.triaged_at,
        version: triage::version(r),
        text,
    }
}

/// A page of public reports.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// Only reports in this state: `new` (waiting for triage), `contact`, `duplicate`,
    /// `not_pertinent`.
    pub status: Option<String>,
    /// Records per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// Continue after this record: the cursor the previous page's `Link: rel="next"` header
    /// carries (opaque).
    #[schemars(length(max = 80))]
    pub after: Option<String>,
}

async fn queue(
    State(state): State<SharedState>,
    caller: Caller,
    api::ApiQuery(q): api::ApiQuery<ReportsQuery>,
) -> Result<Response, ApiError> {
    super::guard(&state, &caller.actor).await?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if status.is_some_and(|s| !super::staff::STATUSES.contains(&s)) {
        return Err(ApiError::invalid("error-400", Some("status")));
    }
    let page = api::PageQuery {
        limit: q.limit,
        after: q.after,
    };
    let after = page.after::<i32>()?;
    let rows = store::page(&state.db, status, page.limit()?, after.map(|a| a.key)).await?;
    let last = rows.last().map(|r| api::After {
        key: r.id,
        id: r.id,
    });
    let body: Vec<ReportOut> = rows.iter().map(|r| out(r, None)).collect();
    let filters: Vec<(&str, &str)> = status.map(|s| ("status", s)).into_iter().collect();
    page.answer_with("/reports", &body, last, &filters)
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let o = super::ops::read(&state, &caller.actor, id, Some("api"))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let text = ReportText {
        what: o.what,
        place: o.place,
        since: o.since,
        gender: o.gender,
        contact: o.contact,
        messages: o
            .messages
            .into_iter()
            .map(|m| MessageOut {
                from_reporter: m.from_reporter,
                at: m.at,
                text: m.text,
            })
            .collect(),
    };
    let r = o.report;
    Ok(api::ok_tagged(&out(&r, Some(text)), triage::version(&r)))
}

async fn triage(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(t): ApiJson<TriageIn>,
) -> Result<Response, ApiError> {
    api::one_of(&t.outcome, triage::OUTCOMES, "outcome")?;
    let version = api::if_match(&headers)?;
    super::guard(&state, &caller.actor).await?;
    let r = store::get(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if version != triage::version(&r) {
        return Err(ApiError::stale());
    }
    let decision = triage::decide(&r, &t.outcome, t.duplicate_of).map_err(refusal)?;
    let who = (&caller.actor, caller.org()?);
    match triage::apply(&state, who, &r, decision, Some("api")).await {
        Ok(r) => Ok(api::ok_tagged(&out(&r, None), triage::version(&r))),
        // Triaged by someone else between the read and the write.
        Err(TriageError::AlreadyTriaged) => Err(ApiError::stale()),
        Err(e) => Err(refusal(e)),
    }
}

fn refusal(e: TriageError) -> ApiError {
    match e {
        TriageError::Db(e) => e.into(),
        TriageError::AlreadyTriaged => ApiError::conflict("reports-error-triaged"),
        TriageError::Invalid(key) => ApiError::invalid(key, Some("duplicate_of")),
    }
}
