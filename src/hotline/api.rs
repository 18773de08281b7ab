//! The hotline's part of the JSON API: contacts of the caller's organisation, read one by one
//! (audited, with an `ETag`), logged (idempotent) and updated (`If-Match`). The same rules as
//! the desk's forms decide what is valid.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::entities::contact;
use super::{rules, store};
use crate::platform::api::{
    self, Answer, ApiError, ApiId, ApiJson, ApiQuery, ApiRoutes, ApiSpec, Caller, PeriodQuery,
    idempotency,
};
use crate::platform::policy::{Action, Permission};
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::Hotline);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/hotline/contacts", "listHotlineContacts")
                .paged()
                .summary(
                    "hotline",
                    "Contacts of the organisation in a period, newest first, by pages",
                )
                .scope("hotline:read", p)
                .query::<PeriodQuery>()
                .returns::<Vec<ContactOut>>(),
            list,
        )
        .op(
            ApiSpec::create("/hotline/contacts", "createHotlineContact")
                .summary("hotline", "Log a contact")
                .scope("hotline:write", p)
                .body::<ContactIn>()
                .returns::<ContactOut>()
                .example(
                    r#"{"channel": "phone", "relevance": "pertinent", "started_at": "2026-11-30T22:40:00+01:00", "duration_minutes": 12, "caller_kind": "presumed_victim", "reasons": ["help_to_leave"], "outcomes": ["listening", "mediator_request"], "province": "FI", "language": "en"}"#,
                ),
            create,
        )
        .op(
            ApiSpec::get("/hotline/contacts/{id}", "getHotlineContact")
                .summary(
                    "hotline",
                    "One contact with its notes (the read is audited)",
                )
                .scope("hotline:read", p)
                .returns::<ContactOut>()
                .with_etag(),
            show,
        )
        .op(
            ApiSpec::update("/hotline/contacts/{id}", "updateHotlineContact")
                .summary("hotline", "Change a contact's outcomes and notes")
                .scope("hotline:write", p)
                .body::<ContactPatch>()
                .returns::<ContactOut>(),
            update,
        )
        .op(
            ApiSpec::create("/hotline/contacts/{id}/accompaniments", "accompanyCaller")
                .summary(
                    "hotline",
                    "Record that the hotline accompanied the caller of a contact to a service",
                )
                .scope("hotline:write", p)
                .body::<AccompanimentIn>()
                .returns::<AccompanimentOut>(),
            accompany,
        )
        .op(
            ApiSpec::create("/hotline/mediators", "requestMediator")
                .summary(
                    "hotline",
                    "Ask for a cultural mediator for a language, a place and a time",
                )
                .scope("hotline:write", p)
                .body::<MediatorIn>()
                .returns::<MediatorOut>()
                .example(
                    r#"{"language": "ti", "needed_at": "2026-11-30T09:00:00+01:00", "place": "Prato, sportello stranieri"}"#,
                ),
            request_mediator,
        )
        .op(
            ApiSpec::create("/hotline/emergencies", "startEmergency")
                .summary(
                    "hotline",
                    "Activate the emergency procedure (in the organisation's queue until handed over)",
                )
                .scope("hotline:write", p)
                .body::<EmergencyIn>()
                .returns::<EmergencyOut>()
                .example(
                    r#"{"danger": "Chiama da un'area di servizio: teme che la vengano a riprendere stanotte e chiede un posto dove dormire"}"#,
                ),
            start_emergency,
        )
        .op(
            ApiSpec::change("/hotline/mediators/{id}", "changeMediatorRequest")
                .summary(
                    "hotline",
                    "Assign a mediator to a request, mark it done or cancel it",
                )
                .scope("hotline:write", p)
                .body::<MediatorChangeIn>()
                .returns::<MediatorOut>(),
            change_mediator,
        )
        .op(
            ApiSpec::get("/mediations", "listMyMediations")
                .summary(
                    "hotline",
                    "The mediation requests assigned to the caller's account (a mediator), with their place (the read is audited)",
                )
                .scope("hotline:read", Some(Permission::Mediate))
                .returns::<Vec<MediationOut>>(),
            my_mediations,
        )
        .op(
            ApiSpec::change("/mediations/{id}", "recordMediationOutcome")
                .summary(
                    "hotline",
                    "The mediator records how a mediation assigned to her went; it is done",
                )
                .scope("hotline:write", Some(Permission::Mediate))
                .body::<MediationOutcomeIn>()
                .returns::<MediatorOut>(),
            record_mediation,
        )
        .op(
            ApiSpec::change("/hotline/emergencies/{id}", "updateEmergency")
                .summary(
                    "hotline",
                    "Tick a step of an open emergency, or hand it over (which closes it)",
                )
                .scope("hotline:write", p)
                .body::<EmergencyChangeIn>()
                .returns::<EmergencyOut>(),
            change_emergency,
        )
        .op(
            ApiSpec::create("/hotline/notes", "leaveShiftNote")
                .summary("hotline", "Leave a note for the next shift (sealed at rest)")
                .scope("hotline:write", p)
                .body::<ShiftNoteIn>()
                .returns::<ShiftNoteOut>()
                .example(
                    r#"{"text": "Caller from Prato to be called back at 9: mediator for Tigrinya requested."}"#,
                ),
            add_shift_note,
        )
        .op(
            ApiSpec::create("/hotline/interviews", "requestIdentificationInterview")
                .summary(
                    "hotline",
                    "Record an identification interview asked of the organisation",
                )
                .scope("hotline:write", p)
                .body::<InterviewRequestIn>()
                .returns::<InterviewOut>()
                .example(
                    r#"{"requester": "commission_fi", "person_code": "CT-FI-2026-0418", "scheduled_on": "2026-12-14", "mediator": "tigrino"}"#,
                ),
            request_interview,
        )
        .op(
            ApiSpec::change("/hotline/interviews/{id}", "recordIdentificationInterview")
                .summary(
                    "hotline",
                    "Record what an identification interview found (consent needed for an outcome)",
                )
                .scope("hotline:write", p)
                .body::<InterviewRecordIn>()
                .returns::<InterviewOut>(),
            record_interview,
        )
        .op(
            ApiSpec::update("/hotline/contacts/{id}/case", "linkContactToCase")
                .summary(
                    "hotline",
                    "Link a contact to the case of the person (the case's access rule decides)",
                )
                .scope("hotline:write", p)
                .body::<CaseLinkIn>()
                .returns::<ContactOut>(),
            link_case,
        )
}

/// How a refused hotline operation answers in the API.
fn refused(e: super::ops::HotlineOpError) -> ApiError {
    match e {
        super::ops::HotlineOpError::Stale => ApiError::stale(),
        super::ops::HotlineOpError::Invalid { key, field } => ApiError::invalid(key, Some(field)),
        super::ops::HotlineOpError::Failed(e) => e.into(),
    }
}

/// A mediator wanted. The place is sealed at rest and not given back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MediatorIn {
    /// The call it is for: a contact of the caller's organisation.
    pub contact_id: Option<i32>,
    /// ISO 639-1 code, e.g. `ti` (Tigrinya).
    pub language: String,
    /// When the mediator is needed, with its offset (e.g. `2026-03-01T09:00:00+01:00`).
    pub needed_at: DateTime<Utc>,
    /// Where (1–200 characters).
    pub place: String,
    /// Who asks (a police station, a hospital ward…), up to 200 characters.
    pub requester: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MediatorOut {
    pub id: i32,
    pub contact_id: Option<i32>,
    pub language: String,
    pub needed_at: DateTime<Utc>,
    /// `requested` at first; then assigned, done or cancelled on the desk.
    pub status: String,
    /// The mediator's account it is assigned to.
    pub mediator_user_id: Option<i32>,
}

/// A mediation as its mediator sees it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MediationOut {
    pub id: i32,
    pub language: String,
    pub needed_at: DateTime<Utc>,
    /// Where to go (sealed at rest; given to the mediator it is assigned to).
    pub place: String,
    /// `assigned`, `done` or `cancelled`.
    pub status: String,
}

/// How a mediation went.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MediationOutcomeIn {
    /// 1–2,000 characters, sealed at rest.
    pub outcome: String,
}

async fn my_mediations(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let list = super::ops::my_mediations(&state, &caller.actor)
        .await
        .map_err(refused)?;
    let body: Vec<MediationOut> = list
        .into_iter()
        .map(|m| MediationOut {
            id: m.request.id,
            language: m.request.language,
            needed_at: m.request.needed_at,
            place: m.place,
            status: m.request.status,
        })
        .collect();
    Ok(api::ok(&body))
}

async fn record_mediation(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(o): ApiJson<MediationOutcomeIn>,
) -> Result<Response, ApiError> {
    let txn = state.db.begin().await?;
    let m = super::ops::record_mediation(&state, &txn, &caller.actor, id, &o.outcome)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    Ok(api::ok(&mediator_out(m)))
}

async fn request_mediator(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<MediatorIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "requestMediator",
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    let input = super::ops::MediatorRequest {
        contact_id: input.contact_id,
        language: input.language.trim().to_uppercase(),
        needed_at: input.needed_at,
        place: input.place,
        requester: input.requester.unwrap_or_default(),
    };
    let m =
        super::ops::request_mediator(&state, &creation.txn, &caller.actor, caller.org()?, &input)
            .await
            .map_err(refused)?;
    let answer = Answer::created("/hotline/mediators".to_owned(), &mediator_out(m))?;
    creation.commit(&state.db, answer).await
}

/// An emergency: the danger as assessed (sealed at rest, not given back).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyIn {
    /// The call it comes from: a contact of the caller's organisation.
    pub contact_id: Option<i32>,
    /// The danger as assessed (1–2,000 characters).
    pub danger: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EmergencyOut {
    pub id: i32,
    pub contact_id: Option<i32>,
    pub started_at: DateTime<Utc>,
}

async fn start_emergency(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<EmergencyIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "startEmergency",
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    let input = super::ops::EmergencyStart {
        contact_id: input.contact_id,
        danger: input.danger,
    };
    let e =
        super::ops::start_emergency(&state, &creation.txn, &caller.actor, caller.org()?, &input)
            .await
            .map_err(refused)?;
    let answer = Answer::created(
        "/hotline/emergencies".to_owned(),
        &EmergencyOut {
            id: e.id,
            contact_id: e.contact_id,
            started_at: e.started_at,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// The caller of a contact accompanied to a service by the hotline.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccompanimentIn {
    /// The Italian day of the accompaniment (`YYYY-MM-DD`), not in the future.
    pub happened_on: chrono::NaiveDate,
    #[schemars(extend("enum" = crate::outreach::rules::SERVICE_KINDS))]
    pub service_kind: String,
    #[schemars(extend("enum" = crate::outreach::rules::ACCOMPANIMENT_OUTCOMES))]
    pub outcome: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AccompanimentOut {
    pub id: i32,
    pub contact_id: i32,
    pub happened_on: chrono::NaiveDate,
    pub service_kind: String,
    pub outcome: String,
}

async fn accompany(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("accompanyCaller {id}");
    let (creation, input) = match idempotency::start::<AccompanimentIn>(
        &state.db, &caller, &headers, &body, &operation,
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    let c = guarded(&state, &caller, id, Action::Write).await?;
    let input = super::ops::CallAccompaniment {
        happened_on: input.happened_on,
        service_kind: input.service_kind,
        outcome: input.outcome,
        // Each accepted request is its own accompaniment; a resend is recognised by the
        // request's Idempotency-Key above.
        idempotency_key: uuid::Uuid::new_v4().to_string(),
    };
    let saved = super::ops::accompany(&state, &creation.txn, &caller.actor, &c, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(
        format!("/hotline/contacts/{id}"),
        &AccompanimentOut {
            id: saved.id(),
            contact_id: id,
            happened_on: input.happened_on,
            service_kind: input.service_kind,
            outcome: input.outcome,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// A contact as the API shows it. The caller's phone number is never stored, so never shown.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactOut {
    pub id: i32,
    pub channel: String,
    pub started_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub caller_kind: Option<String>,
    pub language: Option<String>,
    pub mediator_used: bool,
    pub relevance: String,
    pub previous_contact_id: Option<i32>,
    pub caller_ref: Option<String>,
    pub reasons: Vec<String>,
    pub exploitation_forms: Vec<String>,
    pub labour_sector: Option<String>,
    pub province: Option<String>,
    pub municipality: String,
    pub outcomes: Vec<String>,
    /// Only on a single contact's read.
    pub notes: Option<String>,
    pub case_id: Option<i32>,
    pub version: i32,
}

fn list_of(codes: &str) -> Vec<String> {
    crate::platform::codes::to_vec(codes)
}

fn out(c: &contact::Model, notes: Option<String>) -> ContactOut {
    ContactOut {
        id: c.id,
        channel: c.channel.clone(),
        started_at: c.started_at,
        duration_minutes: c.duration_minutes,
        caller_kind: c.caller_kind.clone(),
        language: c.language.clone(),
        mediator_used: c.mediator_used,
        relevance: c.relevance.clone(),
        previous_contact_id: c.previous_contact_id,
        caller_ref: c.caller_ref.clone(),
        reasons: list_of(&c.reasons),
        exploitation_forms: list_of(&c.exploitation_forms),
        labour_sector: c.labour_sector.clone(),
        province: c.province.clone(),
        municipality: c.municipality.clone(),
        outcomes: list_of(&c.outcomes),
        notes,
        case_id: c.case_id,
        version: c.version,
    }
}

/// A contact to log. Codes are those of the desk's form (`docs/api/openapi.json` lists them).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    #[schemars(extend("enum" = rules::CHANNELS))]
    pub channel: String,
    #[schemars(extend("enum" = rules::RELEVANCE))]
    pub relevance: String,
    /// One of the desk's caller kinds (`presumed_victim`, `citizen`, …); null when unknown.
    pub caller_kind: Option<String>,
    /// When the call started (default: now).
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i64>,
    /// ISO 639-1 code of the language spoken.
    pub language: Option<String>,
    #[serde(default)]
    pub mediator_used: bool,
    /// The operators' pseudonymous reference of the caller.
    pub caller_ref: Option<String>,
    /// The caller's number: only its keyed hash is kept, to find earlier calls.
    pub phone: Option<String>,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::REASONS}))]
    pub reasons: Vec<String>,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": crate::cases::rules::EXPLOITATION_FORMS}))]
    pub exploitation_forms: Vec<String>,
    /// One of the labour sectors (`agriculture`, …), for labour exploitation; null otherwise.
    pub labour_sector: Option<String>,
    /// Province code (e.g. `FI`).
    pub province: Option<String>,
    pub municipality: Option<String>,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::OUTCOMES}))]
    pub outcomes: Vec<String>,
    pub notes: Option<String>,
    /// `new`: a new situation (a different case, even from a known caller); `follow_up`: a
    /// follow-up of the caller's latest earlier contact (same caller reference or phone).
    /// Absent or null: a known caller's contact follows up their latest earlier one.
    pub situation: Option<String>,
    /// "Follow-up of contact N": the earlier contact of the organisation this one follows up
    /// (with `situation` absent or `follow_up`; refused with `new`, or when N is not earlier).
    pub follows_contact_id: Option<i32>,
}

impl ContactIn {
    /// The codes exactly as the OpenAPI document lists them.
    fn check_codes(&self) -> Result<(), ApiError> {
        use crate::cases::rules::{EXPLOITATION_FORMS, LABOUR_SECTORS};
        api::one_of(&self.channel, rules::CHANNELS, "channel")?;
        api::one_of(&self.relevance, rules::RELEVANCE, "relevance")?;
        if let Some(k) = &self.caller_kind {
            api::one_of(k, rules::CALLER_KINDS, "caller_kind")?;
        }
        if let Some(k) = &self.labour_sector {
            api::one_of(k, LABOUR_SECTORS, "labour_sector")?;
        }
        if let Some(k) = &self.situation {
            api::one_of(k, &["new", "follow_up"], "situation")?;
        }
        api::all_of(&self.reasons, rules::REASONS, "reasons")?;
        api::all_of(
            &self.exploitation_forms,
            EXPLOITATION_FORMS,
            "exploitation_forms",
        )?;
        api::all_of(&self.outcomes, rules::OUTCOMES, "outcomes")
    }

    /// The contact as the draft the operations check.
    pub(crate) fn draft(&self) -> super::ops::ContactDraft {
        super::ops::ContactDraft {
            channel: self.channel.clone(),
            relevance: self.relevance.clone(),
            caller_kind: self.caller_kind.clone(),
            started_at: self.started_at,
            ended_at: self.ended_at,
            duration_minutes: self.duration_minutes,
            language: self.language.clone(),
            mediator_used: self.mediator_used,
            caller_ref: self.caller_ref.clone(),
            phone: self.phone.clone().unwrap_or_default(),
            situation: self.situation.clone(),
            follows_contact_id: self.follows_contact_id,
            reasons: self.reasons.clone(),
            exploitation_forms: self.exploitation_forms.clone(),
            labour_sector: self.labour_sector.clone(),
            province: self.province.clone().unwrap_or_default(),
            municipality: self.municipality.clone().unwrap_or_default(),
            outcomes: self.outcomes.clone(),
            notes: self.notes.clone().unwrap_or_default(),
        }
    }
}

/// A change of a contact's outcomes and notes (both replaced).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[schemars(extend("items" = {"type": "string", "enum": rules::OUTCOMES}))]
    pub outcomes: Vec<String>,
    pub notes: Option<String>,
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let after = q.after::<chrono::DateTime<Utc>>()?;
    let rows = store::page_in_period(
        &state.db,
        caller.org()?,
        q.bounds()?,
        q.page()?,
        after.map(|a| (a.key, a.id)),
    )
    .await?;
    let last = rows.last().map(|c| api::After {
        key: c.started_at,
        id: c.id,
    });
    let body: Vec<ContactOut> = rows.iter().map(|c| out(c, None)).collect();
    q.answer("/hotline/contacts", &body, last)
}

async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let fingerprint = idempotency::fingerprint("createHotlineContact", &body);
    let input: ContactIn = api::json_body(&headers, &body)?;
    input.check_codes()?;
    let org = caller.org()?;
    let (model, situation) = super::ops::check_contact(
        &state,
        &input.draft(),
        Vec::new(),
        super::ops::Recorder::Integration,
        org,
        caller.actor.user_id,
    )
    .map_err(|problems| match problems.first() {
        Some((_, "error-500")) => ApiError::internal("sealing a contact's notes"),
        Some((field, key)) => ApiError::invalid(key, Some(field)),
        None => ApiError::internal("a contact refused without a reason"),
    })?;
    let creation = match idempotency::begin(&state.db, &caller, key, fingerprint).await? {
        Ok(c) => c,
        Err(replayed) => return Ok(replayed),
    };
    let c = super::ops::record_contact(
        &state,
        &creation.txn,
        &caller.actor,
        model,
        situation,
        Some("api"),
    )
    .await
    .map_err(refused)?;
    let answer = Answer::created(format!("/hotline/contacts/{}", c.id), &out(&c, None))?;
    creation.commit(&state.db, answer).await
}

/// Loads a contact and decides `action` on it (audited); 404 when there is none.
async fn guarded(
    state: &SharedState,
    caller: &Caller,
    id: i32,
    action: Action,
) -> Result<contact::Model, ApiError> {
    Ok(super::ops::contact_for(state, &caller.actor, id, action).await?)
}

fn notes_of(state: &SharedState, c: &contact::Model) -> Result<Option<String>, ApiError> {
    c.notes_enc
        .as_ref()
        .map(|sealed| {
            state
                .keys
                .decrypt_str(store::NOTES, sealed)
                .map_err(|_| ApiError::internal("notes cannot be decrypted"))
        })
        .transpose()
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let c = guarded(&state, &caller, id, Action::Read).await?;
    let notes = notes_of(&state, &c)?;
    Ok(api::ok_tagged(&out(&c, notes), c.version))
}

async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<ContactPatch>,
) -> Result<Response, ApiError> {
    api::all_of(&patch.outcomes, rules::OUTCOMES, "outcomes")?;
    let version = api::if_match(&headers)?;
    guarded(&state, &caller, id, Action::Write).await?;
    let change = super::ops::ContactChange {
        outcomes: patch.outcomes,
        notes: patch.notes.unwrap_or_default(),
        version,
    };
    let txn = state.db.begin().await?;
    super::ops::update_contact(&state, &txn, &caller.actor, id, &change, Some("api"))
        .await
        .map_err(refused)?;
    txn.commit().await?;
    let c = store::contact(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let notes = notes_of(&state, &c)?;
    Ok(api::ok_tagged(&out(&c, notes), c.version))
}

fn mediator_out(m: super::entities::mediator_request::Model) -> MediatorOut {
    MediatorOut {
        id: m.id,
        contact_id: m.contact_id,
        language: m.language,
        needed_at: m.needed_at,
        status: m.status,
        mediator_user_id: m.mediator_user_id,
    }
}

/// A mediator request moved on. The outcome is sealed at rest and not given back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MediatorChangeIn {
    /// `assigned` (naming the mediator), `done` or `cancelled`, as the request's state allows.
    #[schemars(extend("enum" = ["assigned", "done", "cancelled"]))]
    pub status: String,
    /// The mediator's account (the request then reaches her desk); or
    pub mediator_user_id: Option<i32>,
    /// the name of a mediator without an account, up to 200 characters. One of the two is
    /// needed to assign.
    pub mediator: Option<String>,
    pub outcome: Option<String>,
}

async fn change_mediator(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(c): ApiJson<MediatorChangeIn>,
) -> Result<Response, ApiError> {
    let change = super::ops::MediatorChange {
        status: c.status,
        mediator_user_id: c.mediator_user_id,
        mediator: c.mediator,
        outcome: c.outcome,
    };
    let txn = state.db.begin().await?;
    let m = super::ops::change_mediator(&state, &txn, &caller.actor, caller.org()?, id, &change)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    Ok(api::ok(&mediator_out(m)))
}

/// A step ticked (`step`), or the hand-over (`handed_over_to`, with `service_id` when the
/// person goes to a shelter), which closes the emergency.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyChangeIn {
    /// A step of the procedure as configured (`hotline.emergency_steps`).
    pub step: Option<String>,
    /// The organisation that takes over.
    pub handed_over_to: Option<i32>,
    /// The shelter (a service with a free bed today).
    pub service_id: Option<i32>,
}

async fn change_emergency(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(c): ApiJson<EmergencyChangeIn>,
) -> Result<Response, ApiError> {
    let change = match c.step {
        Some(step) => super::ops::EmergencyChange::Step(step),
        None => super::ops::EmergencyChange::HandOver {
            service_id: c.service_id,
            handed_over_to: c.handed_over_to,
        },
    };
    let txn = state.db.begin().await?;
    let e = super::ops::change_emergency(&state, &txn, &caller.actor, caller.org()?, id, &change)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    Ok(api::ok(&EmergencyOut {
        id: e.id,
        contact_id: e.contact_id,
        started_at: e.started_at,
    }))
}

/// A note for the next shift.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftNoteIn {
    /// 1–5,000 characters, sealed at rest.
    pub text: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ShiftNoteOut {
    pub saved: bool,
}

async fn add_shift_note(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<ShiftNoteIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "leaveShiftNote",
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    super::ops::add_shift_note(
        &state,
        &creation.txn,
        &caller.actor,
        caller.org()?,
        &input.text,
    )
    .await
    .map_err(refused)?;
    let answer = Answer::created("/hotline/notes".to_owned(), &ShiftNoteOut { saved: true })?;
    creation.commit(&state.db, answer).await
}

/// An identification interview asked of the organisation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewRequestIn {
    #[schemars(extend("enum" = rules::INTERVIEW_REQUESTERS))]
    pub requester: String,
    /// The code the requester gives the person (1–40 characters).
    pub person_code: String,
    /// The Italian day it is planned for (`YYYY-MM-DD`).
    pub scheduled_on: chrono::NaiveDate,
    pub mediator: Option<String>,
}

/// An identification interview. Its outcome is sealed at rest and not given back.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InterviewOut {
    pub id: i32,
    pub requester: String,
    pub person_code: String,
    pub scheduled_on: chrono::NaiveDate,
    pub consent: bool,
    pub indicators: Vec<String>,
    pub report_sent_on: Option<chrono::NaiveDate>,
}

fn interview_out(i: super::entities::interview::Model) -> InterviewOut {
    InterviewOut {
        id: i.id,
        requester: i.requester,
        person_code: i.person_code,
        scheduled_on: i.scheduled_on,
        consent: i.consent,
        indicators: crate::platform::codes::to_vec(&i.indicators),
        report_sent_on: i.report_sent_on,
    }
}

async fn request_interview(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<InterviewRequestIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "requestIdentificationInterview",
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    let input = super::ops::InterviewRequest {
        requester: input.requester,
        person_code: input.person_code,
        scheduled_on: input.scheduled_on,
        mediator: input.mediator.unwrap_or_default(),
    };
    let i =
        super::ops::request_interview(&state, &creation.txn, &caller.actor, caller.org()?, &input)
            .await
            .map_err(refused)?;
    let answer = Answer::created("/hotline/interviews".to_owned(), &interview_out(i))?;
    creation.commit(&state.db, answer).await
}

/// What an interview found; it replaces what was recorded before.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewRecordIn {
    /// The person consented to the interview: needed for an outcome or a report.
    pub consent: bool,
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::INDICATORS}))]
    pub indicators: Vec<String>,
    /// Up to 5,000 characters, sealed at rest.
    pub outcome: Option<String>,
    /// The Italian day the report was sent: not before the interview, not in the future.
    pub report_sent_on: Option<chrono::NaiveDate>,
}

async fn record_interview(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(r): ApiJson<InterviewRecordIn>,
) -> Result<Response, ApiError> {
    let input = super::ops::InterviewRecord {
        consent: r.consent,
        indicators: r.indicators,
        outcome: r.outcome.unwrap_or_default(),
        report_sent_on: r.report_sent_on,
    };
    let txn = state.db.begin().await?;
    let i = super::ops::record_interview(&state, &txn, &caller.actor, caller.org()?, id, &input)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    Ok(api::ok(&interview_out(i)))
}

/// The case a contact is about.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseLinkIn {
    pub case_id: i32,
}

async fn link_case(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(l): ApiJson<CaseLinkIn>,
) -> Result<Response, ApiError> {
    let version = api::if_match(&headers)?;
    guarded(&state, &caller, id, Action::Write).await?;
    let txn = state.db.begin().await?;
    super::ops::link_case(&state, &txn, &caller.actor, id, version, l.case_id)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    let c = store::contact(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let notes = notes_of(&state, &c)?;
    Ok(api::ok_tagged(&out(&c, notes), c.version))
}
