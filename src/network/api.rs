//! The network registry in the JSON API: organisations and services with their beds. Any staff
//! role may read it (as the `/network` pages); shelter addresses are never given. Services and
//! their beds are added and changed through the registry's operations (`network::ops`), by
//! administrators anywhere and territorial coordinators in their province.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::{rules, store};
use crate::platform::api::idempotency::{self, Started};
use crate::platform::api::{self, Answer, ApiError, ApiId, ApiJson, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .op(
            ApiSpec::get("/organisations", "listOrganisations")
                .summary("network", "The organisations of the network")
                .scope("network:read", None)
                .returns::<Vec<OrganisationOut>>(),
            organisations,
        )
        .op(
            ApiSpec::get("/services", "listServices")
                .summary("network", "The services of the network, with their beds")
                .scope("network:read", None)
                .returns::<Vec<ServiceOut>>(),
            services,
        )
        .op(
            ApiSpec::create("/services", "createService")
                .summary(
                    "network",
                    "Add a service (with its beds) to an organisation",
                )
                .scope("network:write", Some(Permission::EditNetwork))
                .body::<ServiceIn>()
                .returns::<ServiceOut>(),
            create_service,
        )
        .op(
            ApiSpec::change("/services/{id}", "updateService")
                .summary(
                    "network",
                    "Change a service's hours, languages, beds and whether it is active",
                )
                .scope("network:write", Some(Permission::EditNetwork))
                .body::<ServiceChangeIn>()
                .returns::<ServiceOut>(),
            update_service,
        )
        .op(
            ApiSpec::change("/organisations/{id}", "updateOrganisation")
                .summary(
                    "network",
                    "Change an organisation's kind, province, public status and register entry",
                )
                .scope("network:write", Some(Permission::EditNetwork))
                .body::<OrganisationChangeIn>()
                .returns::<OrganisationOut>(),
            update_organisation,
        )
        .op(
            ApiSpec::get("/organisations/{id}/roles", "listGovernanceRoles")
                .summary(
                    "network",
                    "An organisation's governance roles, ended ones included (the history)",
                )
                .scope("network:read", None)
                .returns::<Vec<RoleOut>>(),
            list_roles,
        )
        .op(
            ApiSpec::create("/organisations/{id}/roles", "addGovernanceRole")
                .summary(
                    "network",
                    "Give an organisation a governance role from a day",
                )
                .scope("network:write", Some(Permission::EditNetwork))
                .body::<RoleIn>()
                .returns::<RoleOut>(),
            add_role,
        )
        .op(
            ApiSpec::change("/governance-roles/{id}", "endGovernanceRole")
                .summary(
                    "network",
                    "End a governance role on a day (kept in the history)",
                )
                .scope("network:write", Some(Permission::EditNetwork))
                .body::<RoleEndIn>()
                .returns::<RoleOut>(),
            end_role,
        )
        .op(
            ApiSpec::create("/meetings", "recordNetworkMeeting")
                .summary(
                    "network",
                    "Record a meeting of a province's local network, with who was invited and present",
                )
                .scope("network:write", Some(Permission::RecordMeetings))
                .body::<MeetingIn>()
                .returns::<MeetingOut>(),
            add_meeting,
        )
        .op(
            ApiSpec::create("/trainings", "recordTraining")
                .summary("network", "Record a training event of the network")
                .scope("network:write", Some(Permission::RecordMeetings))
                .body::<TrainingIn>()
                .returns::<TrainingOut>(),
            add_training,
        )
}

/// What changes on an organisation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChangeIn {
    #[schemars(extend("enum" = crate::identity::ops::ORG_KINDS))]
    pub kind: String,
    /// A Tuscan province code (`FI`, `PO`, …); absent for a regional body.
    pub province: Option<String>,
    pub is_public: bool,
    /// Registered in the second section of the register of anti-trafficking bodies.
    pub register_section2: bool,
    /// Its number there (kept only when registered; up to 40 characters).
    pub register_number: Option<String>,
    /// A test or training organisation, left out of every figure (administrators only; anyone
    /// else's change keeps it as it is).
    #[serde(default)]
    pub excluded_from_stats: bool,
}

/// A governance role: the lead entity of a province's network, a member of the regional table…
#[derive(Debug, Serialize, JsonSchema)]
pub struct RoleOut {
    pub id: i32,
    pub organisation_id: i32,
    pub kind: String,
    pub province: Option<String>,
    pub since: chrono::NaiveDate,
    pub until: Option<chrono::NaiveDate>,
}

impl From<super::entities::governance_role::Model> for RoleOut {
    fn from(r: super::entities::governance_role::Model) -> Self {
        RoleOut {
            id: r.id,
            organisation_id: r.organisation_id,
            kind: r.kind,
            province: r.province,
            since: r.since,
            until: r.until,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIn {
    #[schemars(extend("enum" = rules::ROLE_KINDS))]
    pub kind: String,
    /// The province the role is for, when the role is provincial.
    pub province: Option<String>,
    /// The Italian day it begins (`YYYY-MM-DD`).
    pub since: chrono::NaiveDate,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleEndIn {
    /// The Italian day it ends (`YYYY-MM-DD`): not before it began, not in the future.
    pub until: chrono::NaiveDate,
}

/// A meeting of a province's local network.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    pub province: String,
    /// The organisation that convened it.
    pub convener_id: i32,
    /// The Italian day it was held (`YYYY-MM-DD`).
    pub held_on: chrono::NaiveDate,
    /// 1–5,000 characters.
    pub agenda: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub decisions: String,
    /// Organisations invited.
    #[serde(default)]
    pub invited: Vec<i32>,
    /// Organisations present.
    #[serde(default)]
    pub present: Vec<i32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MeetingOut {
    pub id: i32,
    pub province: String,
    pub convener_id: i32,
    pub held_on: chrono::NaiveDate,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingIn {
    /// 1–200 characters.
    pub title: String,
    /// 1–200 characters.
    pub place: String,
    /// The Italian day it was held (`YYYY-MM-DD`).
    pub held_on: chrono::NaiveDate,
    /// The organisations that took part, as written (up to 2,000 characters).
    #[serde(default)]
    pub organisations: String,
    pub participants: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TrainingOut {
    pub id: i32,
    pub title: String,
    pub place: String,
    pub held_on: chrono::NaiveDate,
    pub participants: i32,
}

fn organisation_out(o: crate::network::Organisation) -> OrganisationOut {
    OrganisationOut {
        id: o.id,
        name: o.name,
        kind: o.kind,
        province: o.province,
        is_public: o.is_public,
        register_section2: o.register_section2,
    }
}

async fn update_organisation(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(c): ApiJson<OrganisationChangeIn>,
) -> Result<Response, ApiError> {
    let edit = super::ops::OrganisationEdit {
        kind: c.kind,
        province: c.province.unwrap_or_default(),
        is_public: c.is_public,
        register_section2: c.register_section2,
        register_number: c.register_number.unwrap_or_default(),
        excluded_from_stats: c.excluded_from_stats,
    };
    let txn = state.db.begin().await?;
    super::ops::update_organisation(&state, &txn, &caller.actor, id, &edit)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    // A province or exclusion changed: the statistics' summaries are rebuilt.
    crate::stats::spawn_summary_build(state.clone());
    let o = store::organisation(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(api::ok(&organisation_out(o)))
}

async fn list_roles(
    State(state): State<SharedState>,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    store::organisation(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let roles: Vec<RoleOut> = store::roles_of(&state.db, id)
        .await?
        .into_iter()
        .map(RoleOut::from)
        .collect();
    Ok(api::ok(&roles))
}

async fn add_role(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("addGovernanceRole {id}");
    let (creation, input) = match idempotency::start::<RoleIn>(
        &state.db, &caller, &headers, &body, &operation,
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let new = super::ops::NewRole {
        kind: input.kind,
        province: input.province.unwrap_or_default(),
        since: input.since.to_string(),
    };
    let role = super::ops::add_role(&state, &creation.txn, &caller.actor, id, &new)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/organisations/{id}/roles"), &RoleOut::from(role))?;
    creation.commit(&state.db, answer).await
}

async fn end_role(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(c): ApiJson<RoleEndIn>,
) -> Result<Response, ApiError> {
    let txn = state.db.begin().await?;
    super::ops::end_role(&state, &txn, &caller.actor, id, &c.until.to_string())
        .await
        .map_err(refused)?;
    txn.commit().await?;
    let role = store::role(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(api::ok(&RoleOut::from(role)))
}

async fn add_meeting(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<MeetingIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "recordNetworkMeeting",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let draft = super::ops::MeetingDraft {
        province: input.province,
        convener_id: Some(input.convener_id),
        held_on: input.held_on.to_string(),
        agenda: input.agenda,
        minutes: input.minutes,
        decisions: input.decisions,
        invited: input.invited,
        present: input.present,
    };
    let m = super::ops::add_meeting(&state, &creation.txn, &caller.actor, &draft)
        .await
        .map_err(refused)?;
    let answer = Answer::created(
        "/meetings".to_owned(),
        &MeetingOut {
            id: m.id,
            province: m.province,
            convener_id: m.convener_id,
            held_on: m.held_on,
        },
    )?;
    creation.commit(&state.db, answer).await
}

async fn add_training(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<TrainingIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "recordTraining",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let draft = super::ops::TrainingDraft {
        title: input.title,
        place: input.place,
        held_on: input.held_on.to_string(),
        organisations: input.organisations,
        participants: input.participants.to_string(),
    };
    let t = super::ops::add_training(&state, &creation.txn, &caller.actor, &draft)
        .await
        .map_err(refused)?;
    let answer = Answer::created(
        "/trainings".to_owned(),
        &TrainingOut {
            id: t.id,
            title: t.title,
            place: t.place,
            held_on: t.held_on,
            participants: t.participants,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// How a refused registry operation answers in the API.
fn refused(e: super::ops::NetworkOpError) -> ApiError {
    match e {
        super::ops::NetworkOpError::Invalid { key, field } => ApiError::invalid(key, Some(field)),
        super::ops::NetworkOpError::Failed(e) => e.into(),
    }
}

fn beds_of_map(beds: &BTreeMap<String, u32>) -> super::ops::BedCounts {
    beds.iter()
        .map(|(k, n)| (k.clone(), n.to_string()))
        .collect()
}

/// A service to add. The address is sealed at rest and never given back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceIn {
    pub organisation_id: i32,
    #[schemars(extend("enum" = rules::SERVICE_KINDS))]
    pub kind: String,
    /// 1–200 characters.
    pub name: String,
    /// Two-letter Tuscan province code (e.g. `FI`).
    pub province: Option<String>,
    pub hours: Option<String>,
    /// ISO 639-1 codes, separated by commas.
    pub languages: Option<String>,
    #[serde(default)]
    pub itinerant: bool,
    pub address: Option<String>,
    /// Beds per kind (`women`, `men`, `women_with_children`, `transgender`).
    #[serde(default)]
    pub beds: BTreeMap<String, u32>,
}

/// What changes on a service (each value replaces the current one).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceChangeIn {
    pub hours: Option<String>,
    pub languages: Option<String>,
    pub active: bool,
    /// Beds per kind; a kind left out has none.
    #[serde(default)]
    pub beds: BTreeMap<String, u32>,
}

async fn service_out(
    state: &SharedState,
    s: super::entities::service::Model,
) -> Result<ServiceOut, ApiError> {
    let beds = store::beds_of(&state.db, s.id)
        .await?
        .into_iter()
        .map(|b| BedsOut {
            kind: b.bed_kind,
            capacity: b.capacity,
        })
        .collect();
    Ok(ServiceOut {
        id: s.id,
        organisation_id: s.organisation_id,
        kind: s.kind,
        name: s.name,
        province: s.province,
        hours: s.hours,
        languages: s
            .languages
            .split([',', ' '])
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        itinerant: s.itinerant,
        active: s.active,
        beds,
    })
}

async fn create_service(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) =
        match idempotency::start::<ServiceIn>(&state.db, &caller, &headers, &body, "createService")
            .await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let new = super::ops::NewService {
        organisation_id: Some(input.organisation_id),
        kind: input.kind,
        name: input.name,
        province: input.province.unwrap_or_default(),
        hours: input.hours.unwrap_or_default(),
        languages: input.languages.unwrap_or_default(),
        itinerant: input.itinerant,
        address: input.address.unwrap_or_default(),
        beds: beds_of_map(&input.beds),
    };
    let s = super::ops::add_service(&state, &creation.txn, &caller.actor, &new)
        .await
        .map_err(refused)?;
    let id = s.id;
    let mut out = service_out(&state, s).await?;
    // The beds were written in this transaction: read them from it.
    out.beds = store::beds_of(&creation.txn, id)
        .await?
        .into_iter()
        .map(|b| BedsOut {
            kind: b.bed_kind,
            capacity: b.capacity,
        })
        .collect();
    let answer = Answer::created("/services".to_owned(), &out)?;
    creation.commit(&state.db, answer).await
}

async fn update_service(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(c): ApiJson<ServiceChangeIn>,
) -> Result<Response, ApiError> {
    let change = super::ops::ServiceChange {
        hours: c.hours.unwrap_or_default(),
        languages: c.languages.unwrap_or_default(),
        active: c.active,
        beds: beds_of_map(&c.beds),
    };
    let txn = state.db.begin().await?;
    super::ops::update_service(&state, &txn, &caller.actor, id, &change)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    let s = store::service(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(api::ok(&service_out(&state, s).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrganisationOut {
    pub id: i32,
    pub name: String,
    pub kind: String,
    pub province: Option<String>,
    pub is_public: bool,
    pub register_section2: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BedsOut {
    pub kind: String,
    pub capacity: i32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceOut {
    pub id: i32,
    pub organisation_id: i32,
    pub kind: String,
    pub name: String,
    pub province: Option<String>,
    pub hours: String,
    pub languages: Vec<String>,
    pub itinerant: bool,
    pub active: bool,
    pub beds: Vec<BedsOut>,
}

async fn organisations(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let body: Vec<OrganisationOut> = store::organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| OrganisationOut {
            id: o.id,
            name: o.name,
            kind: o.kind,
            province: o.province,
            is_public: o.is_public,
            register_section2: o.register_section2,
        })
        .collect();
    Ok(api::ok(&body))
}

async fn services(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let mut body = Vec::new();
    for s in store::services(&state.db).await? {
        body.push(service_out(&state, s).await?);
    }
    Ok(api::ok(&body))
}
