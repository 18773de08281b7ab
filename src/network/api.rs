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
