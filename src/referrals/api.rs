//! Referrals in the JSON API: the transfers the caller's organisation sent, received or
//! recorded, with their state. The data package is never given here: the receiver reads it on
//! the referral's page after accepting (audited).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::entities::referral;
use super::ops::{self, ReferralOpError};
use super::rules::Status;
use super::store;
use crate::platform::api::idempotency::{self, Started};
use crate::platform::api::{self, Answer, ApiError, ApiId, ApiJson, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::Referrals);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/referrals", "listReferrals")
                .summary(
                    "referrals",
                    "Referrals the organisation sent, received or recorded, newest first, by pages",
                )
                .paged()
                .scope("referrals:read", p)
                .query::<api::PageQuery>()
                .returns::<Vec<ReferralOut>>(),
            list,
        )
        .op(
            ApiSpec::get("/referrals/{id}", "getReferral")
                .summary("referrals", "One referral the organisation is a party to")
                .scope("referrals:read", p)
                .returns::<ReferralOut>()
                .with_etag(),
            show,
        )
        .op(
            ApiSpec::create("/referrals", "proposeReferral")
                .summary(
                    "referrals",
                    "Propose to transfer the person of a case (needs their consent to transfer)",
                )
                .scope("referrals:write", p)
                .body::<ProposalIn>()
                .returns::<ReferralOut>(),
            propose,
        )
        .op(
            ApiSpec::update("/referrals/{id}", "changeReferralStatus")
                .summary(
                    "referrals",
                    "Accept, refuse (with a reason), withdraw or complete a referral",
                )
                .scope("referrals:write", p)
                .body::<StatusIn>()
                .returns::<ReferralOut>(),
            change_status,
        )
        .op(
            ApiSpec::create("/referrals/inbound", "recordInboundReferral")
                .summary(
                    "referrals",
                    "Record a transfer request received from the national hotline or another region's project",
                )
                .scope("referrals:write", p)
                .body::<InboundIn>()
                .returns::<ReferralOut>()
                .example(
                    r#"{"counterpart_kind": "national_hotline", "consent": true, "consent_on": "2026-11-30", "reason": "safety", "needed_service": "shelter", "urgency": "urgent", "person": {"gender": "female", "birth_year": 1999, "nationalities": ["NG"], "languages": ["en"], "exploitation_forms": ["sexual"]}}"#,
                ),
            record_inbound,
        )
        .op(
            ApiSpec::get("/referrals/counterparts", "listReferralCounterparts")
                .summary(
                    "referrals",
                    "Other regions' projects a referral can be sent to or received from",
                )
                .scope("referrals:read", p)
                .returns::<Vec<CounterpartOut>>(),
            list_counterparts,
        )
        .op(
            ApiSpec::create("/referrals/counterparts", "addReferralCounterpart")
                .summary(
                    "referrals",
                    "Add another region's project to the directory (an administrator)",
                )
                .scope("referrals:write", Some(Permission::ManageUsers))
                .body::<CounterpartIn>()
                .returns::<CounterpartOut>(),
            add_counterpart,
        )
}

/// Another region's project in the directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterpartIn {
    /// 1–200 characters.
    pub name: String,
    /// The region, 1–60 characters.
    pub region: String,
    /// How to reach it (up to 300 characters).
    #[serde(default)]
    pub contact: String,
}

/// Another region's project in the directory.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CounterpartOut {
    pub id: i32,
    pub name: String,
    pub region: String,
    pub contact: String,
    /// Whether referrals may still name it.
    pub active: bool,
}

impl From<super::entities::counterpart::Model> for CounterpartOut {
    fn from(c: super::entities::counterpart::Model) -> Self {
        CounterpartOut {
            id: c.id,
            name: c.name,
            region: c.region,
            contact: c.contact,
            active: c.active,
        }
    }
}

async fn list_counterparts(
    State(state): State<SharedState>,
    _caller: Caller,
) -> Result<Response, ApiError> {
    let body: Vec<CounterpartOut> = store::counterparts(&state.db)
        .await?
        .into_iter()
        .map(CounterpartOut::from)
        .collect();
    Ok(api::ok(&body))
}

async fn add_counterpart(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<CounterpartIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "addReferralCounterpart",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let c = ops::add_counterpart(
        &state,
        &creation.txn,
        &caller.actor,
        &input.name,
        &input.region,
        &input.contact,
    )
    .await
    .map_err(refused)?;
    let answer = Answer::created(
        "/referrals/counterparts".to_owned(),
        &CounterpartOut::from(c),
    )?;
    creation.commit(&state.db, answer).await
}

/// What the sender says of the person: kept only as far as a receiving project of the
/// network may hold it, sealed at rest, never given back by the API.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    /// Up to 200 characters.
    pub names: Option<String>,
    /// `female`, `male`, `transgender`, `other`, `unknown`.
    pub gender: String,
    pub birth_year: Option<i32>,
    /// ISO 3166 alpha-2 codes.
    #[serde(default)]
    pub nationalities: Vec<String>,
    /// ISO 639-1 codes.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub exploitation_forms: Vec<String>,
    /// Up to 2,000 characters.
    pub vulnerabilities: Option<String>,
    /// Up to 40 characters.
    pub phone: Option<String>,
}

/// A transfer request received from outside the network's organisations.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundIn {
    /// `national_hotline` or `other_region`.
    pub counterpart_kind: String,
    /// The other region's project, from the directory (`other_region`).
    pub counterpart_id: Option<i32>,
    /// The sender states the person consented to the transfer (needed).
    pub consent: bool,
    /// The Italian day of that consent (`YYYY-MM-DD`), not in the future.
    pub consent_on: NaiveDate,
    pub reason: String,
    pub needed_service: String,
    pub urgency: String,
    pub person: PersonIn,
}

async fn record_inbound(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<InboundIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "recordInboundReferral",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let text = |t: Option<String>| t.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let p = input.person;
    let upper = |v: Vec<String>| v.into_iter().map(|c| c.trim().to_uppercase()).collect();
    let inbound = ops::Inbound {
        counterpart_kind: input.counterpart_kind,
        counterpart_id: input.counterpart_id,
        consent: input.consent,
        consent_on: Some(input.consent_on),
        reason: input.reason,
        needed_service: input.needed_service,
        urgency: input.urgency,
        package: super::rules::Package {
            names: text(p.names),
            gender: Some(p.gender),
            birth_year: p.birth_year,
            nationalities: Some(upper(p.nationalities)),
            languages: Some(upper(p.languages)),
            exploitation_forms: Some(p.exploitation_forms),
            vulnerabilities: text(p.vulnerabilities),
            phone: text(p.phone),
        },
    };
    let r = ops::record_inbound(&state, &creation.txn, &caller.actor, &inbound)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/referrals/{}", r.id), &opened_out(&state, r)?)?;
    creation.commit(&state.db, answer).await
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReferralOut {
    pub id: i32,
    /// `outbound` or `inbound`.
    pub direction: String,
    /// `network_org`, `national_hotline` or `other_region`.
    pub counterpart_kind: String,
    pub sender_organisation_id: Option<i32>,
    pub receiver_organisation_id: Option<i32>,
    /// `proposed`, `accepted`, `refused`, `completed`, `withdrawn`.
    pub status: String,
    pub needed_service: String,
    pub urgency: String,
    pub consent_on: NaiveDate,
    pub refusal_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    api::ApiQuery(q): api::ApiQuery<api::PageQuery>,
) -> Result<Response, ApiError> {
    let after = q.after::<i32>()?;
    let rows =
        store::page_for_org(&state.db, caller.org()?, q.limit()?, after.map(|a| a.key)).await?;
    let last = rows.last().map(|r| api::After {
        key: r.id,
        id: r.id,
    });
    let mut opened = Vec::with_capacity(rows.len());
    for r in rows {
        opened.push(
            store::opened(&state.keys, r)
                .map_err(|_| ApiError::internal("referral text cannot be opened"))?,
        );
    }
    let body: Vec<ReferralOut> = opened.into_iter().map(out).collect();
    q.answer("/referrals", &body, last)
}

fn out(r: referral::Model) -> ReferralOut {
    ReferralOut {
        id: r.id,
        direction: r.direction,
        counterpart_kind: r.counterpart_kind,
        sender_organisation_id: r.sender_org,
        receiver_organisation_id: r.receiver_org,
        status: r.status,
        needed_service: r.needed_service,
        urgency: r.urgency,
        consent_on: r.consent_on,
        refusal_reason: r.refusal_reason,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

fn opened_out(state: &SharedState, r: referral::Model) -> Result<ReferralOut, ApiError> {
    store::opened(&state.keys, r)
        .map(out)
        .map_err(|_| ApiError::internal("referral text cannot be opened"))
}

/// How a refused referral operation answers in the API.
fn refused(e: ReferralOpError) -> ApiError {
    match e {
        ReferralOpError::Stale => ApiError::stale(),
        ReferralOpError::NotAllowed(key) => ApiError::conflict(key),
        ReferralOpError::Invalid { key, field } => ApiError::invalid(key, Some(field)),
        ReferralOpError::Access(e) | ReferralOpError::Failed(e) => e.into(),
    }
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let r = ops::visible(&state, caller.org()?, id).await?;
    let version = r.version;
    Ok(api::ok_tagged(&opened_out(&state, r)?, version))
}

/// A transfer proposed from a case.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalIn {
    pub case_id: i32,
    /// `network_org` (give `receiver_organisation_id`), `national_hotline`, or `other_region`
    /// (give `counterpart_id` from the directory).
    pub counterpart_kind: String,
    pub receiver_organisation_id: Option<i32>,
    pub counterpart_id: Option<i32>,
    /// `safety`, `services`, `family`, `other`.
    pub reason: String,
    /// `emergency_shelter`, `shelter`, `semi_autonomy`, `other`.
    pub needed_service: String,
    /// `ordinary`, `urgent`.
    pub urgency: String,
}

async fn propose(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<ProposalIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "proposeReferral",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let input = ops::Proposal {
        case_id: input.case_id,
        counterpart_kind: input.counterpart_kind,
        receiver_org: input.receiver_organisation_id,
        counterpart_id: input.counterpart_id,
        reason: input.reason,
        needed_service: input.needed_service,
        urgency: input.urgency,
    };
    ops::check_proposal(&input).map_err(|(field, key)| ApiError::invalid(key, Some(field)))?;
    let r = ops::propose(&state, &creation.txn, &caller.actor, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/referrals/{}", r.id), &opened_out(&state, r)?)?;
    creation.commit(&state.db, answer).await
}

/// A move to another state.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// `accepted`, `refused`, `withdrawn`, `completed`.
    pub status: String,
    /// The reason, needed to refuse.
    pub note: Option<String>,
}

async fn change_status(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<StatusIn>,
) -> Result<Response, ApiError> {
    let to = Status::from_code(&input.status)
        .ok_or_else(|| ApiError::invalid("referral-error-transition", Some("status")))?;
    let version = api::if_match(&headers)?;
    // The precondition first, as HTTP has it: a stale version is 412 whatever the move.
    if ops::visible(&state, caller.org()?, id).await?.version != version {
        return Err(ApiError::stale());
    }
    let change = ops::StatusChange {
        to,
        note: input.note,
        version,
    };
    let r = ops::change_status(&state, &caller.actor, id, &change)
        .await
        .map_err(refused)?;
    let version = r.version;
    Ok(api::ok_tagged(&opened_out(&state, r)?, version))
}
