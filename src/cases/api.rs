//! People's cases in the JSON API: the list the organisation follows, one case (the read is
//! decided and audited by the policy module, as on the page) and its move to another phase
//! (`If-Match`). Identity data (names, documents, phone) is never given by the API: a person
//! is known here by their pseudonymous code only.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::entities::{case, person};
use super::rules::{self, Phase};
use super::store;
use crate::platform::api::{self, ApiError, ApiId, ApiJson, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::{Action, Permission};
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::WorkOnRecords);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/cases", "listCases")
                .summary(
                    "cases",
                    "Cases the organisation owns or that are shared with it",
                )
                .scope("cases:read", p)
                .returns::<Vec<CaseOut>>(),
            list,
        )
        .op(
            ApiSpec::get("/cases/{id}", "getCase")
                .summary("cases", "One case (the read is audited)")
                .scope("cases:read", p)
                .returns::<CaseOut>()
                .with_etag(),
            show,
        )
        .op(
            ApiSpec::update("/cases/{id}", "changeCasePhase")
                .summary("cases", "Move a case to another phase")
                .scope("cases:write", p)
                .body::<PhaseChange>()
                .returns::<CaseOut>(),
            change_phase,
        )
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CaseOut {
    pub id: i32,
    /// The person's pseudonymous code.
    pub person_code: String,
    pub owner_organisation_id: i32,
    /// `emersion`, `identification`, `first_assistance`, `protection`, `inclusion`, `closed`.
    pub phase: String,
    pub closure_reason: Option<String>,
    pub gender: String,
    pub birth_year: Option<i32>,
    pub presumed_minor: bool,
    pub nationalities: Vec<String>,
    pub exploitation_forms: Vec<String>,
    pub labour_sector: Option<String>,
    pub trafficking_status: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub follow_up_due: Option<NaiveDate>,
    pub last_activity_at: DateTime<Utc>,
    pub version: i32,
}

fn codes(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn out(c: &case::Model, p: &person::Model) -> CaseOut {
    CaseOut {
        id: c.id,
        person_code: p.code.clone(),
        owner_organisation_id: c.owner_org,
        phase: c.phase.clone(),
        closure_reason: c.closure_reason.clone(),
        gender: p.gender.clone(),
        birth_year: p.birth_year,
        presumed_minor: p.presumed_minor,
        nationalities: codes(&p.nationalities),
        exploitation_forms: codes(&c.exploitation_forms),
        labour_sector: c.labour_sector.clone(),
        trafficking_status: c.trafficking_status.clone(),
        opened_at: c.opened_at,
        closed_at: c.closed_at,
        follow_up_due: c.follow_up_due,
        last_activity_at: c.last_activity_at,
        version: c.version,
    }
}

/// A move to another phase; closing needs one of the closure reasons.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseChange {
    #[schemars(extend("enum" = ["emersion", "identification", "first_assistance", "protection", "inclusion", "closed"]))]
    pub phase: String,
    /// Needed to close: `autonomy`, `transfer`, `withdrawal`, `repatriation`, `lost_contact`,
    /// `other`.
    pub reason: Option<String>,
    /// The Italian day the change took effect (`YYYY-MM-DD`): history may be entered after
    /// the fact, not before the case opened or the previous change, not in the future.
    pub effective_on: chrono::NaiveDate,
}

async fn list(State(state): State<SharedState>, caller: Caller) -> Result<Response, ApiError> {
    let mut body = Vec::new();
    for c in store::cases_for_org(&state.db, caller.org()?).await? {
        if let Some(p) = store::person(&state.db, c.person_id).await? {
            body.push(out(&c, &p));
        }
    }
    Ok(api::ok(&body))
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let (c, p, _) = super::pages::guarded(&state, &caller.actor, id, Action::Read).await?;
    Ok(api::ok_tagged(&out(&c, &p), c.version))
}

async fn change_phase(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(change): ApiJson<PhaseChange>,
) -> Result<Response, ApiError> {
    let to = Phase::from_code(&change.phase)
        .ok_or_else(|| ApiError::invalid("case-error-transition", Some("phase")))?;
    if let Some(r) = &change.reason {
        api::one_of(r, rules::CLOSURE_REASONS, "reason")?;
    }
    let version = api::if_match(&headers)?;
    let input = super::ops::PhaseChange {
        to,
        reason: change.reason.clone(),
        effective_on: change.effective_on,
        version,
    };
    use super::ops::CaseOpError as E;
    let (c, p) = match super::ops::change_phase(&state, &caller.actor, id, &input).await {
        Ok(v) => v,
        Err(E::Stale) => return Err(ApiError::stale()),
        Err(E::NotAllowed(key)) => return Err(ApiError::conflict(key)),
        Err(E::Invalid { key, field }) => return Err(ApiError::invalid(key, Some(field))),
        Err(E::Access(e) | E::Failed(e)) => return Err(e.into()),
    };
    Ok(api::ok_tagged(&out(&c, &p), c.version))
}
