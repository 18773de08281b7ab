//! People's cases in the JSON API: the list the organisation follows, one case (the read is
//! decided and audited by the policy module, as on the page) and its move to another phase
//! (`If-Match`). Identity data (names, documents, phone) is never given by the API: a person
//! is known here by their pseudonymous code only.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::entities::{case, person};
use super::rules::{self, Phase};
use super::store;
use crate::platform::api::idempotency::{self, Started};
use crate::platform::api::{self, Answer, ApiError, ApiId, ApiJson, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::{Action, Permission};
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::WorkOnRecords);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/cases", "listCases")
                .paged()
                .summary(
                    "cases",
                    "Cases the organisation owns or that are shared with it, newest opened first, by pages",
                )
                .scope("cases:read", p)
                .query::<api::PageQuery>()
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
        .op(
            ApiSpec::create("/cases", "openCase")
                .summary(
                    "cases",
                    "Open a case for a person met (identity sealed, never returned)",
                )
                .scope("cases:write", p)
                .body::<CaseIn>()
                .returns::<CaseOut>()
                .example(
                    r#"{"names": "Joy E.", "gender": "female", "opened_on": "2026-11-30", "birth_year": 1999, "birth_year_estimated": true, "nationalities": ["NG"], "languages": ["en"], "confirm_new": true}"#,
                ),
            open,
        )
        .op(
            ApiSpec::create("/cases/{id}/placements", "placeInShelter")
                .summary(
                    "cases",
                    "Place the person in a shelter (a stay entered after it ended carries its end)",
                )
                .scope("cases:write", p)
                .body::<PlacementIn>()
                .returns::<PlacementOut>(),
            place,
        )
        .op(
            ApiSpec::change("/cases/placements/{id}", "endPlacement")
                .summary(
                    "cases",
                    "Record the day a stay in a shelter ended (from then the bed is free)",
                )
                .scope("cases:write", p)
                .body::<PlacementEnd>()
                .returns::<PlacementOut>(),
            end_placement,
        )
        .op(
            ApiSpec::update("/cases/{id}/assessment", "assessCase")
                .summary(
                    "cases",
                    "Record the assessment of the person's situation (replaces the previous one)",
                )
                .scope("cases:write", p)
                .body::<AssessmentIn>()
                .returns::<CaseOut>(),
            assess,
        )
        .op(
            ApiSpec::create("/cases/{id}/consents", "recordConsent")
                .summary(
                    "cases",
                    "Record a consent the person gave (to share or transfer: disclosing roles only)",
                )
                .scope("cases:write", p)
                .body::<ConsentIn>()
                .returns::<ConsentOut>(),
            add_consent,
        )
        .op(
            ApiSpec::change("/cases/consents/{id}", "withdrawConsent")
                .summary("cases", "Record the day a consent was withdrawn")
                .scope("cases:write", p)
                .body::<ConsentWithdrawal>()
                .returns::<ConsentOut>(),
            withdraw_consent,
        )
        .op(
            ApiSpec::create("/cases/{id}/permits", "recordPermit")
                .summary("cases", "Record a residence permit applied for or issued")
                .scope("cases:write", p)
                .body::<PermitIn>()
                .returns::<PermitOut>(),
            add_permit,
        )
        .op(
            ApiSpec::change("/cases/permits/{id}", "decidePermit")
                .summary(
                    "cases",
                    "Record a decision on a permit: issued, renewed (with the new expiry), refused or expired",
                )
                .scope("cases:write", p)
                .body::<PermitDecisionIn>()
                .returns::<PermitOut>(),
            decide_permit,
        )
        .op(
            ApiSpec::update("/cases/{id}/person", "correctCasePerson")
                .summary(
                    "cases",
                    "Correct the person's attributes (kept in the person's history; identity is corrected on the case page)",
                )
                .scope("cases:write", p)
                .body::<PersonIn>()
                .returns::<CaseOut>(),
            correct_person,
        )
        .op(
            ApiSpec::create("/cases/{id}/shares", "shareCase")
                .summary(
                    "cases",
                    "Share a case with another organisation the person consented to",
                )
                .scope("cases:write", Some(Permission::Disclose))
                .body::<ShareIn>()
                .returns::<ShareOut>(),
            share,
        )
        .op(
            ApiSpec::create("/cases/{id}/events", "addCaseEvent")
                .summary(
                    "cases",
                    "Add a note or an event to a case (an accompaniment is also counted as one)",
                )
                .scope("cases:write", p)
                .body::<EventIn>()
                .returns::<EventOut>(),
            add_event,
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

/// The case as it is after a change, tagged with its new version.
async fn case_as_it_is(state: &SharedState, id: i32) -> Result<Response, ApiError> {
    let c = store::case(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let p = store::person(&state.db, c.person_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(api::ok_tagged(&out(&c, &p), c.version))
}

fn codes(list: &str) -> Vec<String> {
    crate::platform::codes::to_vec(list)
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

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    api::ApiQuery(q): api::ApiQuery<api::PageQuery>,
) -> Result<Response, ApiError> {
    let after = q.after::<i32>()?;
    let rows =
        store::page_for_org(&state.db, caller.org()?, q.limit()?, after.map(|a| a.key)).await?;
    let last = rows.last().map(|(c, _)| api::After {
        key: c.id,
        id: c.id,
    });
    let body: Vec<CaseOut> = rows.iter().map(|(c, p)| out(c, p)).collect();
    q.answer("/cases", &body, last)
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let (c, p, _) = super::guard(&state, &caller.actor, id, Action::Read).await?;
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
    let (c, p) = super::ops::change_phase(&state, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    Ok(api::ok_tagged(&out(&c, &p), c.version))
}

/// How a refused case operation answers in the API.
fn refused(e: super::ops::CaseOpError) -> ApiError {
    use super::ops::CaseOpError as E;
    match e {
        E::Stale => ApiError::stale(),
        E::NotAllowed(key) => ApiError::conflict(key),
        E::PossibleDuplicates(_) => ApiError::conflict("cases-duplicates-text"),
        E::Invalid { key, field } => ApiError::invalid(key, Some(field)),
        E::Access(e) | E::Failed(e) => e.into(),
    }
}

/// A person met and the case opened for them. Identity fields are sealed at rest and never
/// given back by the API; the person is known by the pseudonymous code in the answer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    /// `female`, `male`, `transgender`, `other`, `unknown`.
    pub gender: String,
    /// Names as the person gives them (1–300 characters).
    pub names: String,
    pub aliases: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    pub birth_date: Option<NaiveDate>,
    /// When only the year is known (or estimated).
    pub birth_year: Option<i32>,
    #[serde(default)]
    pub birth_year_estimated: bool,
    #[serde(default)]
    pub presumed_minor: bool,
    /// ISO 3166 alpha-2 codes.
    #[serde(default)]
    pub nationalities: Vec<String>,
    /// ISO 639-1 codes.
    #[serde(default)]
    pub languages: Vec<String>,
    pub vulnerabilities: Option<String>,
    pub documents: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The Italian day of emersion (`YYYY-MM-DD`): entered, never stamped; not in the future.
    pub opened_on: NaiveDate,
    /// Open even though people with the same identifying data are already recorded (the
    /// first attempt answers 409 when there are such people).
    #[serde(default)]
    pub confirm_new: bool,
}

impl CaseIn {
    fn input(&self) -> Result<super::ops::NewCase, ApiError> {
        let text = |v: &Option<String>, max: usize| -> String {
            v.as_deref()
                .unwrap_or_default()
                .trim()
                .chars()
                .take(max)
                .collect()
        };
        let codes = |v: &[String], field: &'static str| -> Result<Vec<String>, ApiError> {
            rules::iso_codes(&v.join(",")).map_err(|k| ApiError::invalid(k, Some(field)))
        };
        Ok(super::ops::NewCase {
            person: store::NewPerson {
                gender: self.gender.clone(),
                birth_year: self.birth_year,
                birth_year_estimated: self.birth_year_estimated,
                presumed_minor: self.presumed_minor,
                nationalities: codes(&self.nationalities, "nationalities")?,
                languages: codes(&self.languages, "languages")?,
                vulnerabilities: text(&self.vulnerabilities, 1000),
            },
            identity: store::Identity {
                names: self.names.trim().to_owned(),
                aliases: text(&self.aliases, 300),
                birth_date: self.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                documents: text(&self.documents, 300),
                phone: text(&self.phone, 50),
                address: text(&self.address, 300),
            },
            opened_on: self.opened_on,
            confirm_new: self.confirm_new,
        })
    }
}

async fn open(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<CaseIn>(
        &state.db, &caller, &headers, &body, "openCase",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    if let Some(d) = input.birth_date
        && !crate::platform::time::date_in_range(d, false, crate::platform::time::rome_today())
    {
        return Err(ApiError::invalid(
            "error-date-birth-date",
            Some("birth_date"),
        ));
    }
    let input = input.input()?;
    let (p, c) = super::ops::open_case(&state, &creation.txn, &caller.actor, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/cases/{}", c.id), &out(&c, &p))?;
    creation.commit(&state.db, answer).await
}

/// A stay in a shelter (a service of the registry with beds).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementIn {
    pub service_id: i32,
    /// The kind of bed, as the service lists its beds (e.g. `women`, `men`, `minors`).
    pub bed_kind: String,
    /// An emergency (first) reception.
    #[serde(default)]
    pub emergency: bool,
    /// The Italian day the stay began (`YYYY-MM-DD`), not in the future.
    pub since: NaiveDate,
    /// The day it ended, when entered after the fact: not before `since`, not in the future.
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlacementOut {
    pub id: i32,
    pub case_id: i32,
    pub service_id: i32,
    pub bed_kind: String,
    pub emergency: bool,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

async fn place(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("placeInShelter {id}");
    let (creation, input) =
        match idempotency::start::<PlacementIn>(&state.db, &caller, &headers, &body, &operation)
            .await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let input = super::ops::NewPlacement {
        service_id: input.service_id,
        bed_kind: input.bed_kind,
        emergency: input.emergency,
        since: input.since,
        until: input.until,
    };
    let pl = super::ops::place(&state, &creation.txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/cases/{id}"), &placement_out(pl))?;
    creation.commit(&state.db, answer).await
}

fn placement_out(pl: super::entities::placement::Model) -> PlacementOut {
    PlacementOut {
        id: pl.id,
        case_id: pl.case_id,
        service_id: pl.service_id,
        bed_kind: pl.bed_kind,
        emergency: pl.emergency,
        since: pl.since,
        until: pl.until,
    }
}

/// The end of a stay, entered after the fact or on the day.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementEnd {
    /// The Italian day the stay ended (`YYYY-MM-DD`): not before it began, not in the future.
    /// Sent again with the same day, nothing changes; a stay that ended on another day is
    /// refused with 409.
    pub until: NaiveDate,
}

async fn end_placement(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(end): ApiJson<PlacementEnd>,
) -> Result<Response, ApiError> {
    let pl = super::ops::end_placement(&state, &caller.actor, id, end.until)
        .await
        .map_err(refused)?;
    Ok(api::ok(&placement_out(pl)))
}

/// A note or an event of a case. Its text is sealed at rest and never given back by the API.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// `note`, `assessment_request`, `assessment_motivation`, `assessment_requirements`,
    /// `accompaniment`, `legal_consultation`, `follow_up`.
    pub kind: String,
    /// The Italian day it happened (`YYYY-MM-DD`), not in the future.
    pub happened_on: NaiveDate,
    /// 1–20,000 characters.
    pub text: String,
    /// For an accompaniment: `health`, `social`, `legal`, `police`, `immigration_office`,
    /// `other` (default `other`).
    pub service_kind: Option<String>,
    /// For an accompaniment: `done` (default), `missed`, `postponed`.
    pub accompaniment_outcome: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EventOut {
    pub id: i32,
    pub case_id: i32,
    pub kind: String,
    pub happened_on: NaiveDate,
}

async fn add_event(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("addCaseEvent {id}");
    let (creation, input) =
        match idempotency::start::<EventIn>(&state.db, &caller, &headers, &body, &operation).await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let input = super::ops::NewEvent {
        kind: input.kind,
        happened_on: input.happened_on,
        text: input.text,
        service_kind: input.service_kind,
        accompaniment_outcome: input.accompaniment_outcome,
    };
    let e = super::ops::add_event(&state, &creation.txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(
        format!("/cases/{id}"),
        &EventOut {
            id: e.id,
            case_id: e.case_id,
            kind: e.kind,
            happened_on: e.happened_on,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// A consent the person gave, dated as they gave it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    #[schemars(extend("enum" = rules::CONSENT_PURPOSES))]
    pub purpose: String,
    /// The organisation it names: needed for `sharing`.
    pub organisation_id: Option<i32>,
    /// The Italian day it was given (`YYYY-MM-DD`), not in the future.
    pub given_on: NaiveDate,
    /// When it lapses, if it does: not before `given_on`.
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConsentOut {
    pub id: i32,
    pub case_id: i32,
    pub purpose: String,
    pub organisation_id: Option<i32>,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
}

fn consent_out(k: super::entities::consent::Model) -> ConsentOut {
    ConsentOut {
        id: k.id,
        case_id: k.case_id,
        purpose: k.purpose,
        organisation_id: k.organisation_id,
        given_on: k.given_on,
        expires_on: k.expires_on,
        withdrawn_on: k.withdrawn_on,
    }
}

async fn add_consent(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("recordConsent {id}");
    let (creation, input) =
        match idempotency::start::<ConsentIn>(&state.db, &caller, &headers, &body, &operation)
            .await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let input = super::ops::NewConsent {
        purpose: input.purpose,
        organisation_id: input.organisation_id,
        given_on: input.given_on,
        expires_on: input.expires_on,
    };
    let k = super::ops::add_consent(&state, &creation.txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/cases/{id}"), &consent_out(k))?;
    creation.commit(&state.db, answer).await
}

/// The withdrawal of a consent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentWithdrawal {
    /// The Italian day it was withdrawn: not before it was given, not in the future. Sent
    /// again with the same day, nothing changes; another day is refused with 409.
    pub withdrawn_on: NaiveDate,
}

async fn withdraw_consent(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(w): ApiJson<ConsentWithdrawal>,
) -> Result<Response, ApiError> {
    let k = super::ops::withdraw_consent(&state, &caller.actor, id, w.withdrawn_on)
        .await
        .map_err(refused)?;
    Ok(api::ok(&consent_out(k)))
}

/// A residence permit. The office is sealed at rest and not given back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitIn {
    #[schemars(extend("enum" = rules::PERMIT_KINDS))]
    pub kind: String,
    #[schemars(extend("enum" = rules::PERMIT_STATUSES))]
    pub status: String,
    /// Not in the future.
    pub applied_on: Option<NaiveDate>,
    /// Not in the future.
    pub issued_on: Option<NaiveDate>,
    /// Not before `issued_on`.
    pub expires_on: Option<NaiveDate>,
    /// The office handling it (up to 200 characters).
    pub office: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PermitOut {
    pub id: i32,
    pub case_id: i32,
    pub kind: String,
    pub status: String,
    pub applied_on: Option<NaiveDate>,
    pub issued_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
}

async fn add_permit(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("recordPermit {id}");
    let (creation, input) =
        match idempotency::start::<PermitIn>(&state.db, &caller, &headers, &body, &operation)
            .await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let input = super::ops::NewPermit {
        kind: input.kind,
        status: input.status,
        applied_on: input.applied_on,
        issued_on: input.issued_on,
        expires_on: input.expires_on,
        office: input.office.unwrap_or_default(),
    };
    let k = super::ops::add_permit(&state, &creation.txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/cases/{id}"), &permit_out(k))?;
    creation.commit(&state.db, answer).await
}

fn permit_out(k: super::entities::permit::Model) -> PermitOut {
    PermitOut {
        id: k.id,
        case_id: k.case_id,
        kind: k.kind,
        status: k.status,
        applied_on: k.applied_on,
        issued_on: k.issued_on,
        expires_on: k.expires_on,
    }
}

/// A decision on a permit recorded earlier. The same decision sent again records nothing more.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitDecisionIn {
    /// From `applied`: `issued` or `refused`; from `issued` or `renewed`: `renewed`, `expired`
    /// or `refused`; from `expired`: `renewed` or `refused`; a refused permit takes none.
    #[schemars(extend("enum" = rules::PERMIT_STATUSES))]
    pub status: String,
    /// The Italian day it took effect: not in the future, not before the application, the
    /// issue or the last decision recorded.
    pub decided_on: NaiveDate,
    /// The new expiry, required for `issued` and `renewed` (after `decided_on`), refused
    /// otherwise.
    pub expires_on: Option<NaiveDate>,
}

async fn decide_permit(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(d): ApiJson<PermitDecisionIn>,
) -> Result<Response, ApiError> {
    api::one_of(&d.status, rules::PERMIT_STATUSES, "status")?;
    let input = super::ops::PermitDecision {
        status: d.status,
        decided_on: d.decided_on,
        expires_on: d.expires_on,
    };
    let txn = state.db.begin().await?;
    let k = super::ops::decide_permit(&state, &txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    Ok(api::ok(&permit_out(k)))
}

/// The person's attributes as they should be. Every field is replaced; the fields that
/// changed, who and when are kept in the person's history, the values replaced sealed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    #[schemars(extend("enum" = rules::GENDERS))]
    pub gender: String,
    /// Not in the future; absent when unknown.
    pub birth_year: Option<i32>,
    #[serde(default)]
    pub birth_year_estimated: bool,
    #[serde(default)]
    pub presumed_minor: bool,
    /// ISO 3166 alpha-2 codes.
    #[serde(default)]
    pub nationalities: Vec<String>,
    /// ISO 639-1 codes.
    #[serde(default)]
    pub languages: Vec<String>,
}

async fn correct_person(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PersonIn>,
) -> Result<Response, ApiError> {
    let input = super::ops::PersonCorrection {
        gender: b.gender,
        birth_year: b.birth_year,
        birth_year_estimated: b.birth_year_estimated,
        presumed_minor: b.presumed_minor,
        nationalities: b.nationalities,
        languages: b.languages,
        identity: None,
        version: 0,
    };
    // What is wrong with the body is said before the version is looked at.
    if let Some((field, key)) =
        super::ops::check_correction(&input, crate::platform::time::rome_today())
            .into_iter()
            .next()
    {
        return Err(ApiError::invalid(key, Some(field)));
    }
    let input = super::ops::PersonCorrection {
        version: api::if_match(&headers)?,
        ..input
    };
    let txn = state.db.begin().await?;
    super::ops::correct_person(&state, &txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    case_as_it_is(&state, id).await
}

/// The organisation to share a case with.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareIn {
    /// Another organisation of the network, named by a consent of the person in force today.
    pub organisation_id: i32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ShareOut {
    pub case_id: i32,
    pub organisation_id: i32,
}

async fn share(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("shareCase {id}");
    let (creation, input) =
        match idempotency::start::<ShareIn>(&state.db, &caller, &headers, &body, &operation).await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    super::ops::share(
        &state,
        &creation.txn,
        &caller.actor,
        id,
        input.organisation_id,
    )
    .await
    .map_err(refused)?;
    let answer = Answer::created(
        format!("/cases/{id}"),
        &ShareOut {
            case_id: id,
            organisation_id: input.organisation_id,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// The assessment of a person's situation; it replaces the previous one. Route and places are
/// sealed at rest and not given back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentIn {
    /// `possible`, `presumed` or `identified`; null when not assessed.
    pub trafficking_status: Option<String>,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::EXPLOITATION_FORMS}))]
    pub exploitation_forms: Vec<String>,
    /// One of the labour sectors (`agriculture`, `construction`, …), kept only with labour
    /// exploitation; null when not known.
    pub labour_sector: Option<String>,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::MEANS_OF_CONTROL}))]
    pub means_of_control: Vec<String>,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::RECRUITMENT}))]
    pub recruitment: Vec<String>,
    /// Up to 1,000 characters.
    pub route: Option<String>,
    /// ISO 3166 alpha-2 codes.
    #[serde(default)]
    pub transit_countries: Vec<String>,
    /// Up to 1,000 characters.
    pub places: Option<String>,
    /// The legal path foreseen: one of the permit kinds (`art18_social`, `art18_judicial`, …);
    /// null when not decided.
    pub legal_path: Option<String>,
}

async fn assess(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(a): ApiJson<AssessmentIn>,
) -> Result<Response, ApiError> {
    let input = super::ops::AssessmentInput {
        trafficking_status: a.trafficking_status,
        exploitation_forms: a.exploitation_forms,
        labour_sector: a.labour_sector,
        means_of_control: a.means_of_control,
        recruitment: a.recruitment,
        route: a.route.unwrap_or_default(),
        transit_countries: a.transit_countries,
        places: a.places.unwrap_or_default(),
        legal_path: a.legal_path,
    };
    // What is wrong with the body is said before the version is looked at.
    super::ops::check_assessment(&input)
        .map_err(|(key, field)| ApiError::invalid(key, Some(field)))?;
    let version = api::if_match(&headers)?;
    let txn = state.db.begin().await?;
    super::ops::assess(&state, &txn, &caller.actor, id, &input, version)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    case_as_it_is(&state, id).await
}
