//! Data exchange in the JSON API: a case arriving as an HTCDS document (the layout
//! `/exchange/htcds-schema.json` describes) is opened for the caller's organisation, as the
//! import page does, with the same checks of every field.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Datelike;
use schemars::JsonSchema;
use serde::Serialize;

use super::htcds;
use crate::platform::api::idempotency::{self, Started};
use crate::platform::api::{Answer, ApiError, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().op(
        ApiSpec::create("/exchange/htcds-cases", "importHtcdsCase")
            .summary(
                "exchange",
                "Open a case for the organisation from an HTCDS document (identity included)",
            )
            .scope("cases:write", Some(Permission::SeeIdentity))
            .body::<serde_json::Value>()
            .returns::<ImportedOut>(),
        import,
    )
}

/// The case the document opened.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportedOut {
    /// The new case (`/api/v1/cases/{id}`).
    pub case_id: i32,
    /// The person's pseudonymous code in this network.
    pub person_code: String,
}

async fn import(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, doc) = match idempotency::start::<serde_json::Value>(
        &state.db,
        &caller,
        &headers,
        &body,
        "importHtcdsCase",
    )
    .await?
    {
        Started::New(c, doc) => (c, doc),
        Started::Replayed(r) => return Ok(r),
    };
    let record = htcds::read(&doc, chrono::Utc::now().year()).map_err(|errors| {
        match errors.into_iter().next() {
            Some(e) => ApiError::invalid(e.key, Some(&e.field)),
            None => ApiError::invalid("htcds-error-json", None),
        }
    })?;
    let org = caller.org()?;
    let case_id = super::import_case(&state, &creation.txn, &caller.actor, org, &record).await?;
    let person_code = crate::cases::person_code_of(&creation.txn, case_id)
        .await?
        .unwrap_or_default();
    let answer = Answer::created(
        format!("/cases/{case_id}"),
        &ImportedOut {
            case_id,
            person_code,
        },
    )?;
    creation.commit(&state.db, answer).await
}
