//! Individual projects in the JSON API: what the project pages list for the caller (their
//! organisation's projects for case workers; submitted ones for the lead municipality's
//! evaluators), with requested and approved totals. Objectives and spending stay on the pages.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::store;
use crate::platform::api::{self, ApiError, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::{Permission, Role};
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().op(
        ApiSpec::get("/projects", "listProjects")
            .summary(
                "projects",
                "Individual projects the caller works on or evaluates",
            )
            .scope("projects:read", Some(Permission::Projects))
            .returns::<Vec<ProjectOut>>(),
        list,
    )
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectOut {
    pub id: i32,
    pub case_id: i32,
    pub owner_organisation_id: i32,
    pub edition_id: i32,
    /// `draft`, `submitted`, `changes_requested`, `approved`, `rejected`, `closed`.
    pub status: String,
    /// Euro cents.
    pub requested_cents: i64,
    /// Euro cents.
    pub approved_cents: i64,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

async fn list(State(state): State<SharedState>, caller: Caller) -> Result<Response, ApiError> {
    let mut projects = if caller.actor.can(Permission::EvaluateProjects) {
        store::for_evaluation(&state.db).await?
    } else {
        Vec::new()
    };
    if caller.actor.roles.contains(&Role::CaseWorker) {
        for p in store::of_org(&state.db, caller.org()?).await? {
            if !projects.iter().any(|q| q.id == p.id) {
                projects.push(p);
            }
        }
    }
    let mut body = Vec::new();
    for p in projects {
        let items = store::interventions(&state.db, p.id).await?;
        body.push(ProjectOut {
            id: p.id,
            case_id: p.case_id,
            owner_organisation_id: p.owner_org,
            edition_id: p.edition_id,
            status: p.status,
            requested_cents: items.iter().map(|i| i.requested_cents).sum(),
            approved_cents: items.iter().map(|i| i.approved_cents).sum(),
            created_at: p.created_at,
            version: p.version,
        });
    }
    Ok(api::ok(&body))
}
