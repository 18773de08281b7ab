//! The network registry in the JSON API: organisations and services with their beds. Any staff
//! role may read it (as the `/network` pages); shelter addresses are never given.

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Serialize;

use super::store;
use crate::platform::api::{self, ApiError, ApiRoutes, ApiSpec};
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
        let beds = store::beds_of(&state.db, s.id)
            .await?
            .into_iter()
            .map(|b| BedsOut {
                kind: b.bed_kind,
                capacity: b.capacity,
            })
            .collect();
        body.push(ServiceOut {
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
        });
    }
    Ok(api::ok(&body))
}
