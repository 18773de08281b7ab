//! Street units and drop-in desks in the JSON API: the units' phones and other tools send
//! outings and drop-in interviews (with an `Idempotency-Key`, so a resend after a lost answer
//! saves nothing twice) and read the organisation's records of a period. The forms' rules
//! decide what is valid, and an interview filed under a person's case is decided and audited
//! by the policy module, as on the page.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::entities::{interview, outing};
use super::rules;
use super::store::{self, Saved};
use crate::platform::api::{
    self, Answer, ApiError, ApiId, ApiQuery, ApiRoutes, ApiSpec, Caller, PeriodQuery, idempotency,
};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::Outreach);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/outreach/outings", "listOutings")
                .paged()
                .summary(
                    "outreach",
                    "The organisation's outings in a period, newest first, by pages",
                )
                .scope("outreach:read", p)
                .query::<PeriodQuery>()
                .returns::<Vec<OutingOut>>(),
            list,
        )
        .op(
            ApiSpec::create("/outreach/outings", "createOuting")
                .summary("outreach", "Record an outing with its tallies and contacts")
                .scope("outreach:write", p)
                .body::<OutingIn>()
                .returns::<OutingOut>(),
            create,
        )
        .op(
            ApiSpec::get("/outreach/interviews", "listInterviews")
                .paged()
                .summary(
                    "outreach",
                    "The organisation's drop-in interviews held in a period, newest first, by pages",
                )
                .scope("outreach:read", p)
                .query::<PeriodQuery>()
                .returns::<Vec<InterviewOut>>(),
            list_interviews,
        )
        .op(
            ApiSpec::get("/outreach/interviews/{id}", "getInterview")
                .summary("outreach", "One drop-in interview of the organisation")
                .scope("outreach:read", p)
                .returns::<InterviewOut>(),
            show_interview,
        )
        .op(
            ApiSpec::create("/outreach/interviews", "createInterview")
                .summary(
                    "outreach",
                    "Record an interview at a drop-in desk, with an anonymous code or a person's code",
                )
                .scope("outreach:write", p)
                .body::<InterviewIn>()
                .returns::<InterviewOut>(),
            create_interview,
        )
        .op(
            ApiSpec::create("/outreach/accompaniments", "createAccompaniment")
                .summary(
                    "outreach",
                    "Record that a street unit or a drop-in desk accompanied a person to a service",
                )
                .scope("outreach:write", p)
                .body::<AccompanimentIn>()
                .returns::<AccompanimentOut>(),
            create_accompaniment,
        )
        .op(
            ApiSpec::create("/outreach/contacts/{id}/case", "linkAnonymousContactToCase")
                .summary(
                    "outreach",
                    "Link an anonymous contact to the case of the person with a pseudonymous code",
                )
                .scope("outreach:write", p)
                .body::<ContactLinkIn>()
                .returns::<ContactLinkOut>(),
            link_contact,
        )
        .op(
            ApiSpec::get("/outreach/places", "listOutreachPlaces")
                .summary(
                    "outreach",
                    "The places the organisation's street units visit, taken off the list ones included",
                )
                .scope("outreach:read", p)
                .returns::<Vec<PlaceOut>>(),
            list_places,
        )
        .op(
            ApiSpec::create("/outreach/places", "addOutreachPlace")
                .summary(
                    "outreach",
                    "Add a place one of the organisation's street units visits",
                )
                .scope("outreach:write", p)
                .body::<PlaceIn>()
                .returns::<PlaceOut>(),
            add_place,
        )
        .op(
            ApiSpec::change("/outreach/places/{id}", "updateOutreachPlace")
                .summary(
                    "outreach",
                    "Rename a place of the organisation's units, or take it off the list (or back on)",
                )
                .scope("outreach:write", p)
                .body::<PlaceChangeIn>()
                .returns::<PlaceOut>(),
            update_place,
        )
}

/// A place a street unit visits (a street, a car park, a station): never a person.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlaceOut {
    pub id: i32,
    /// The street unit whose list it is on.
    pub service_id: i32,
    pub name: String,
    /// Off the list, it is kept for the outings that name it.
    pub active: bool,
}

impl From<super::entities::place::Model> for PlaceOut {
    fn from(p: super::entities::place::Model) -> Self {
        PlaceOut {
            id: p.id,
            service_id: p.service_id,
            name: p.name,
            active: p.active,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceIn {
    /// One of the organisation's active street units.
    pub service_id: i32,
    /// 1–120 characters.
    pub name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceChangeIn {
    /// 1–120 characters.
    pub name: String,
    pub active: bool,
}

async fn list_places(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let (streets, _) = super::ops::units(&state, caller.org()?).await?;
    let ids: Vec<i32> = streets.iter().map(|s| s.id).collect();
    let places: Vec<PlaceOut> = store::places_of(&state.db, &ids)
        .await?
        .into_iter()
        .map(PlaceOut::from)
        .collect();
    Ok(api::ok(&places))
}

async fn add_place(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<PlaceIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "addOutreachPlace",
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    let id = super::ops::add_place(
        &state,
        &creation.txn,
        &caller.actor,
        caller.org()?,
        Some(input.service_id),
        &input.name,
    )
    .await
    .map_err(refused)?;
    let place = store::place(&creation.txn, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let answer = Answer::created(format!("/outreach/places/{id}"), &PlaceOut::from(place))?;
    creation.commit(&state.db, answer).await
}

async fn update_place(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    api::ApiJson(c): api::ApiJson<PlaceChangeIn>,
) -> Result<Response, ApiError> {
    use sea_orm::TransactionTrait;
    let txn = state.db.begin().await?;
    super::ops::update_place(
        &state,
        &txn,
        &caller.actor,
        caller.org()?,
        id,
        &c.name,
        c.active,
    )
    .await
    .map_err(refused)?;
    txn.commit().await?;
    let place = store::place(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(api::ok(&PlaceOut::from(place)))
}

/// The person an anonymous contact turned out to be.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactLinkIn {
    /// The pseudonymous code of a person the organisation follows (e.g. `TOS-2026-00042`).
    pub person_code: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactLinkOut {
    pub contact_id: i32,
    pub case_id: i32,
}

async fn link_contact(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("linkAnonymousContactToCase {id}");
    let (creation, input) =
        match idempotency::start::<ContactLinkIn>(&state.db, &caller, &headers, &body, &operation)
            .await?
        {
            idempotency::Started::New(c, input) => (c, input),
            idempotency::Started::Replayed(r) => return Ok(r),
        };
    let case_id = super::ops::link_contact(
        &state,
        &creation.txn,
        &caller.actor,
        caller.org()?,
        id,
        &input.person_code,
    )
    .await
    .map_err(refused)?;
    let answer = Answer::created(
        format!("/outreach/contacts/{id}"),
        &ContactLinkOut {
            contact_id: id,
            case_id,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// How a refused outreach operation answers in the API.
fn refused(e: super::ops::OutreachOpError) -> ApiError {
    match e {
        super::ops::OutreachOpError::Invalid { key, field } => ApiError::invalid(key, Some(field)),
        super::ops::OutreachOpError::Failed(e) => e.into(),
    }
}

/// A person accompanied to a service by a street unit or a drop-in desk.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccompanimentIn {
    /// The Italian day of the accompaniment (`YYYY-MM-DD`), not in the future.
    pub happened_on: NaiveDate,
    #[schemars(extend("enum" = rules::SERVICE_KINDS))]
    pub service_kind: String,
    #[schemars(extend("enum" = rules::ACCOMPANIMENT_OUTCOMES))]
    pub outcome: String,
    #[schemars(extend("enum" = super::ops::UNIT_SOURCES))]
    pub source: String,
    /// The person's anonymous code (letters, digits, `-`, `_`, `.`; up to 40): the same code
    /// is the same person across outings, interviews and accompaniments, so a person
    /// accompanied twice is counted once.
    pub contact_code: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AccompanimentOut {
    pub id: i32,
    pub happened_on: NaiveDate,
    pub service_kind: String,
    pub outcome: String,
    pub source: String,
    pub contact_code: Option<String>,
}

async fn create_accompaniment(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let (creation, input) = match idempotency::start::<AccompanimentIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "createAccompaniment",
    )
    .await?
    {
        idempotency::Started::New(c, input) => (c, input),
        idempotency::Started::Replayed(r) => return Ok(r),
    };
    let org = caller.org()?;
    let input = super::ops::UnitAccompaniment {
        happened_on: input.happened_on,
        service_kind: input.service_kind,
        outcome: input.outcome,
        source: input.source,
        contact_code: input.contact_code.filter(|c| !c.trim().is_empty()),
        idempotency_key: record_key(key.as_deref()),
    };
    let saved = super::ops::accompany(&state, &creation.txn, &caller.actor, org, &input)
        .await
        .map_err(refused)?;
    let code = match &input.contact_code {
        Some(c) => rules::contact_code(c).ok(),
        None => None,
    };
    let answer = Answer::created(
        format!("/outreach/accompaniments/{}", saved.id()),
        &AccompanimentOut {
            id: saved.id(),
            happened_on: input.happened_on,
            service_kind: input.service_kind,
            outcome: input.outcome,
            source: input.source,
            contact_code: code,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// An outing as the API shows it (notes and observation notes stay on the unit's pages).
#[derive(Debug, Serialize, JsonSchema)]
pub struct OutingOut {
    pub id: i32,
    pub service_id: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub area: String,
    pub places: Vec<i32>,
    pub languages: Vec<String>,
    pub people_met: i32,
    pub referrals_proposed: i32,
    pub accompaniments_proposed: i32,
}

fn out(o: &outing::Model) -> OutingOut {
    OutingOut {
        id: o.id,
        service_id: o.service_id,
        started_at: o.started_at,
        ended_at: o.ended_at,
        area: o.area.clone(),
        places: crate::platform::codes::iter(&o.places)
            .filter_map(|p| p.parse().ok())
            .collect(),
        languages: crate::platform::codes::to_vec(&o.languages),
        people_met: o.people_met,
        referrals_proposed: o.referrals_proposed,
        accompaniments_proposed: o.accompaniments_proposed,
    }
}

/// An outing to record. Tallies are maps from code to count; each must add up to
/// `people_met`, as on the form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutingIn {
    /// The street unit (a service of the caller's organisation).
    pub service_id: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub area: Option<String>,
    /// Places of the unit visited.
    #[serde(default)]
    pub places: Vec<i32>,
    pub team: Option<String>,
    pub mediators: Option<String>,
    /// ISO 639-1 codes.
    #[serde(default)]
    pub languages: Vec<String>,
    pub people_met: u32,
    /// `female`, `male`, `transgender`, `other`, `unknown`.
    #[serde(default)]
    pub gender: BTreeMap<String, u32>,
    /// `minor`, `18_24`, `25_34`, `35_plus`, `unknown`.
    #[serde(default)]
    pub age_band: BTreeMap<String, u32>,
    /// `new`, `known`.
    #[serde(default)]
    pub status: BTreeMap<String, u32>,
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    pub nationality: BTreeMap<String, u32>,
    /// Materials given (the configured list, `outreach.materials`).
    #[serde(default)]
    pub materials: BTreeMap<String, u32>,
    /// Health topics discussed.
    #[serde(default)]
    pub topics: BTreeMap<String, u32>,
    /// Anonymous codes of the people met one by one.
    #[serde(default)]
    pub codes: Vec<String>,
    #[serde(default)]
    pub referrals_proposed: u32,
    #[serde(default)]
    pub accompaniments_proposed: u32,
    pub notes: Option<String>,
    #[serde(default)]
    pub observations: Vec<ObservationIn>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationIn {
    pub place_id: i32,
    pub people_seen: u32,
    #[serde(default)]
    pub new_groups: bool,
    #[serde(default)]
    pub control_signs: bool,
    pub note: Option<String>,
}

impl OutingIn {
    /// The outing as the draft the area's operations check; a tally code the form does not
    /// know is refused here (the form would silently have no box for it).
    pub(crate) fn draft(
        &self,
        materials: &[String],
        key: &str,
    ) -> Result<super::ops::OutingDraft, ApiError> {
        let known_materials: Vec<&str> = materials.iter().map(String::as_str).collect();
        let mut tallies: Vec<(&'static str, String, String)> = Vec::new();
        for (field, dimension, map, known) in [
            (
                "gender",
                "gender",
                &self.gender,
                crate::cases::rules::GENDERS,
            ),
            ("age_band", "age_band", &self.age_band, rules::AGE_BANDS),
            ("status", "status", &self.status, rules::STATUSES),
            (
                "materials",
                "material",
                &self.materials,
                &known_materials[..],
            ),
            ("topics", "topic", &self.topics, rules::TOPICS),
        ] {
            for (code, n) in map {
                if !known.contains(&code.as_str()) {
                    return Err(ApiError::invalid(
                        "api-error-code",
                        Some(&format!("{field}.{code}")),
                    ));
                }
                tallies.push((dimension, code.clone(), n.to_string()));
            }
        }
        for (code, n) in &self.nationality {
            tallies.push(("nationality", code.trim().to_uppercase(), n.to_string()));
        }
        Ok(super::ops::OutingDraft {
            service_id: Some(self.service_id),
            started: Some(self.started_at),
            ended: Some(self.ended_at),
            area: self.area.clone().unwrap_or_default(),
            places: self.places.clone(),
            team: self.team.clone().unwrap_or_default(),
            mediators: self.mediators.clone().unwrap_or_default(),
            languages: self.languages.clone(),
            people_met: self.people_met.to_string(),
            tallies,
            codes: self.codes.clone(),
            referrals_proposed: self.referrals_proposed.to_string(),
            accompaniments_proposed: self.accompaniments_proposed.to_string(),
            notes: self.notes.clone().unwrap_or_default(),
            observations: self
                .observations
                .iter()
                .map(|o| super::ops::ObservationDraft {
                    place: o.place_id.to_string(),
                    people_seen: o.people_seen.to_string(),
                    new_groups: o.new_groups,
                    control_signs: o.control_signs,
                    note: o.note.clone().unwrap_or_default(),
                })
                .collect(),
            idempotency_key: key.to_owned(),
        })
    }
}

/// The key a record keeps (unique per organisation): the caller's `Idempotency-Key` when it
/// fits the records' rule, so that a resend through the pages' outbox is recognised too, else a
/// fresh one.
fn record_key(key: Option<&str>) -> String {
    key.and_then(|k| rules::idempotency_key(k).ok())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let after = q.after::<chrono::DateTime<chrono::Utc>>()?;
    let rows = store::outings_page(
        &state.db,
        caller.org()?,
        q.bounds()?,
        q.page()?,
        after.map(|a| (a.key, a.id)),
    )
    .await?;
    let last = rows.last().map(|o| api::After {
        key: o.started_at,
        id: o.id,
    });
    let body: Vec<OutingOut> = rows.iter().map(out).collect();
    q.answer("/outreach/outings", &body, last)
}

async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let fingerprint = idempotency::fingerprint("createOuting", &body);
    let input: OutingIn = api::json_body(&headers, &body)?;
    let org = caller.org()?;
    let outing_key = record_key(key.as_deref());
    let draft = input.draft(&state.config.outreach.materials, &outing_key)?;
    let new = super::ops::check_outing(&state, org, caller.actor.user_id, &draft).await?;
    let creation = match idempotency::begin(&state.db, &caller, key, fingerprint).await? {
        Ok(c) => c,
        Err(replayed) => return Ok(replayed),
    };
    let saved =
        super::ops::record_outing(&state, &creation.txn, &caller.actor, new, Some("api")).await?;
    let o = store::outing(&creation.txn, saved.id())
        .await?
        .ok_or_else(|| ApiError::internal("outing just saved not found"))?;
    let mut answer = Answer::created(format!("/outreach/outings/{}", o.id), &out(&o))?;
    if matches!(saved, Saved::AlreadySaved(_)) {
        answer.status = StatusCode::OK;
    }
    creation.commit(&state.db, answer).await
}

/// A drop-in interview as the API shows it. The person's case is given by its id only.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InterviewOut {
    pub id: i32,
    /// The desk (a drop-in service of the organisation).
    pub service_id: i32,
    pub held_on: NaiveDate,
    pub itinerant: bool,
    /// The anonymous code, when one was given.
    pub contact_code: Option<String>,
    pub case_id: Option<i32>,
    pub mediator: String,
    pub language: Option<String>,
    pub topics: Vec<String>,
    pub outcome: String,
}

/// A drop-in interview to record, as on the desk's form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewIn {
    /// The desk (a drop-in service of the caller's organisation).
    pub service_id: i32,
    /// Not in the future.
    pub held_on: NaiveDate,
    /// Held by an itinerant desk (always so for a desk registered as itinerant).
    #[serde(default)]
    pub itinerant: bool,
    /// An anonymous code (letters and digits): the same code is the same contact across
    /// outings and interviews.
    pub contact_code: Option<String>,
    /// The pseudonymous code of a person the organisation follows: the interview is filed
    /// under their case (the access is decided and audited).
    pub person_code: Option<String>,
    pub mediator: Option<String>,
    /// ISO 639-1 code.
    pub language: Option<String>,
    /// Topics discussed.
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": rules::DESK_TOPICS}))]
    pub topics: Vec<String>,
    #[schemars(extend("enum" = rules::INTERVIEW_OUTCOMES))]
    pub outcome: String,
}

impl InterviewIn {
    pub(crate) fn draft(&self, key: &str) -> Result<super::ops::InterviewDraft, ApiError> {
        api::one_of(&self.outcome, rules::INTERVIEW_OUTCOMES, "outcome")?;
        api::all_of(&self.topics, rules::DESK_TOPICS, "topics")?;
        Ok(super::ops::InterviewDraft {
            service_id: Some(self.service_id),
            held_on: self.held_on,
            itinerant: self.itinerant,
            contact_code: self.contact_code.clone(),
            person_code: self.person_code.clone(),
            mediator: self.mediator.clone().unwrap_or_default(),
            language: self.language.clone(),
            topics: self.topics.clone(),
            outcome: self.outcome.clone(),
            idempotency_key: key.to_owned(),
        })
    }
}

/// One interview as the API shows it.
async fn one_out(
    db: &impl sea_orm::ConnectionTrait,
    i: &interview::Model,
) -> Result<InterviewOut, ApiError> {
    interviews_out(db, std::slice::from_ref(i))
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("interview not shown"))
}

/// The interviews as the API shows them, their anonymous codes read in one query.
async fn interviews_out(
    db: &impl sea_orm::ConnectionTrait,
    rows: &[interview::Model],
) -> Result<Vec<InterviewOut>, ApiError> {
    let ids: Vec<i32> = rows.iter().filter_map(|i| i.contact_id).collect();
    let codes: std::collections::HashMap<i32, String> = if ids.is_empty() {
        Default::default()
    } else {
        store::contacts(db, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.code))
            .collect()
    };
    Ok(rows
        .iter()
        .map(|i| interview_out(i, i.contact_id.and_then(|c| codes.get(&c).cloned())))
        .collect())
}

fn interview_out(i: &interview::Model, contact_code: Option<String>) -> InterviewOut {
    InterviewOut {
        id: i.id,
        service_id: i.service_id,
        held_on: i.held_on,
        itinerant: i.itinerant,
        contact_code,
        case_id: i.case_id,
        mediator: i.mediator.clone(),
        language: i.language.clone(),
        topics: crate::platform::codes::to_vec(&i.topics),
        outcome: i.outcome.clone(),
    }
}

async fn list_interviews(
    State(state): State<SharedState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let after = q.after::<chrono::NaiveDate>()?;
    let rows = store::interviews_page(
        &state.db,
        caller.org()?,
        q.days()?,
        q.page()?,
        after.map(|a| (a.key, a.id)),
    )
    .await?;
    let last = rows.last().map(|i| api::After {
        key: i.held_on,
        id: i.id,
    });
    q.answer(
        "/outreach/interviews",
        &interviews_out(&state.db, &rows).await?,
        last,
    )
}

async fn show_interview(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    // Another organisation's interview does not exist for the caller.
    let i = store::interview(&state.db, id)
        .await?
        .filter(|i| Some(i.organisation_id) == caller.actor.organisation_id)
        .ok_or_else(ApiError::not_found)?;
    Ok(api::ok(&one_out(&state.db, &i).await?))
}

async fn create_interview(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let fingerprint = idempotency::fingerprint("createInterview", &body);
    let input: InterviewIn = api::json_body(&headers, &body)?;
    let org = caller.org()?;
    let draft = input.draft(&record_key(key.as_deref()))?;
    let new = super::ops::check_interview(&state, org, caller.actor.user_id, &draft).await?;
    let creation = match idempotency::begin(&state.db, &caller, key, fingerprint).await? {
        Ok(c) => c,
        Err(replayed) => return Ok(replayed),
    };
    let saved =
        super::ops::record_interview(&state, &creation.txn, &caller.actor, new, Some("api"))
            .await?;
    let i = store::interview(&creation.txn, saved.id())
        .await?
        .ok_or_else(|| ApiError::internal("interview just saved not found"))?;
    let body = one_out(&creation.txn, &i).await?;
    let mut answer = Answer::created(format!("/outreach/interviews/{}", i.id), &body)?;
    if matches!(saved, Saved::AlreadySaved(_)) {
        answer.status = StatusCode::OK;
    }
    creation.commit(&state.db, answer).await
}
