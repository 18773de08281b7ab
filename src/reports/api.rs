//! Public reports in the JSON API, for the hotline's triage: the queue (no text) and one report
//! with its text and messages (the read is audited, as on the page). Reports reach the
//! regional hotline whoever made them, so every hotline account sees the whole queue.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::entities::report;
use super::store;
use crate::platform::api::{self, ApiError, ApiId, ApiRoutes, ApiSpec, Caller};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::Hotline);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/reports", "listPublicReports")
                .summary(
                    "reports",
                    "The triage queue of public reports (without their text)",
                )
                .scope("reports:read", p)
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
                .returns::<ReportOut>(),
            show,
        )
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
        kinds: r
            .kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        anonymous: r.anonymous,
        status: r.status.clone(),
        triage_contact_id: r.triage_contact_id,
        duplicate_of: r.duplicate_of,
        triaged_at: r.triaged_at,
        text,
    }
}

async fn queue(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let body: Vec<ReportOut> = store::queue(&state.db)
        .await?
        .iter()
        .map(|r| out(r, None))
        .collect();
    Ok(api::ok(&body))
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let r = store::get(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audit::append(
        &state.db,
        Entry::new(Some(&caller.actor), "report.read", "public_report")
            .record(id)
            .subject(format!("report:{id}"))
            .reason("api"),
    )
    .await?;
    let open = |ctx: &str, v: &Option<Vec<u8>>| -> Result<String, ApiError> {
        v.as_ref().map_or(Ok(String::new()), |b| {
            state
                .keys
                .decrypt_str(ctx, b)
                .map_err(|_| ApiError::internal("report cannot be decrypted"))
        })
    };
    let mut messages = Vec::new();
    for m in store::messages(&state.db, id).await? {
        messages.push(MessageOut {
            from_reporter: m.from_reporter,
            at: m.at,
            text: open(store::MESSAGE, &m.text_enc)?,
        });
    }
    let text = ReportText {
        what: open(store::WHAT, &r.what_enc)?,
        place: open(store::PLACE, &r.place_enc)?,
        since: open(store::SINCE, &r.since_enc)?,
        gender: open(store::GENDER, &r.gender_enc)?,
        contact: open(store::CONTACT, &r.contact_enc)?,
        messages,
    };
    Ok(api::ok(&out(&r, Some(text))))
}
