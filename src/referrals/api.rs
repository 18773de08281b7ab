//! Referrals in the JSON API: the transfers the caller's organisation sent, received or
//! recorded, with their state. The data package is never given here: the receiver reads it on
//! the referral's page after accepting (audited).

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::store;
use crate::platform::api::{self, ApiError, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().op(
        ApiSpec::get("/referrals", "listReferrals")
            .summary(
                "referrals",
                "Referrals the organisation sent, received or recorded",
            )
            .scope("referrals:read", Some(Permission::Referrals))
            .returns::<Vec<ReferralOut>>(),
        list,
    )
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

async fn list(State(state): State<SharedState>, caller: Caller) -> Result<Response, ApiError> {
    let rows = store::for_org(&state.db, caller.org()?).await?;
    let mut opened = Vec::with_capacity(rows.len());
    for r in rows {
        opened.push(
            store::opened(&state.keys, r)
                .map_err(|_| ApiError::internal("referral text cannot be opened"))?,
        );
    }
    let body: Vec<ReferralOut> = opened
        .into_iter()
        .map(|r| ReferralOut {
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
        })
        .collect();
    Ok(api::ok(&body))
}
