//! The analysts' view of the historical records: counts by gender, form of exploitation and
//! citizenship for a span of registration years, small cells hidden.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Redirect;

use super::ctdc::Summary;
use super::{htcds, store};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::Action;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Deserialize, Default)]
pub struct YearsQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "exchange/templates/historical.html")]
pub struct HistoricalPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub from: i32,
    pub to: i32,
    pub summary: Summary,
}

impl HistoricalPage {
    pub fn shown(&self, n: &i64) -> String {
        crate::stats::shown(*n)
    }
}

fn years(q: &YearsQuery) -> Result<(i32, i32), &'static str> {
    let this = chrono::Utc::now().year();
    let parse = |raw: &str, default: i32| {
        if raw.trim().is_empty() {
            Ok(default)
        } else {
            raw.trim()
                .parse::<i32>()
                .ok()
                .filter(|y| (1990..=this).contains(y))
                .ok_or("import-error-year")
        }
    };
    let (from, to) = (parse(&q.from, 1990)?, parse(&q.to, this)?);
    if to < from {
        return Err("outreach-error-period");
    }
    Ok((from, to))
}

pub async fn historical(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<YearsQuery>,
) -> Result<Response, AppError> {
    let (status, error, (from, to)) = match years(&q) {
        Ok(y) => (StatusCode::OK, None, y),
        Err(k) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(shell.t(k)),
            (1990, chrono::Utc::now().year()),
        ),
    };
    let summary = store::summary(&state.db, from, to).await?;
    Ok((
        status,
        HistoricalPage {
            shell,
            error,
            from,
            to,
            summary,
        },
    )
        .into_response())
}

// ---------- a case as an HTCDS document ----------

/// `GET /cases/{id}/htcds.json`: the case as an HTCDS-aligned document (identity included:
/// the access is decided and audited as a reading of identity).
pub async fn export_case(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let (_, person, _) =
        crate::cases::pages::guarded(&state, &me.actor, id, Action::ReadIdentity).await?;
    let record = super::case_record(&state.db, &state.keys, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::append(
        &state.db,
        &state.keys,
        Entry::new(Some(&me.actor), "case.export_htcds", "case")
            .record(id)
            .subject(&person.code),
    )
    .await?;
    let body = serde_json::to_string_pretty(&htcds::document(&record))
        .map_err(|_| AppError::Internal("document"))?;
    Ok(crate::platform::web::download(
        body,
        "application/json",
        "satis-case-htcds.json",
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "exchange/templates/import.html")]
pub struct ImportPage {
    pub shell: Shell,
    /// (field, message) of every wrong field.
    pub errors: Vec<(String, String)>,
    pub document: String,
}

pub async fn import_form(shell: Shell) -> ImportPage {
    ImportPage {
        shell,
        errors: Vec::new(),
        document: String::new(),
    }
}

/// `POST /exchange/import`: a case from an HTCDS-aligned document, into the importer's
/// organisation; every wrong field is listed and nothing is saved until none is wrong.
pub async fn import_case(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = me.actor.organisation_id.ok_or(AppError::Forbidden)?;
    let f = Fields::parse(&body);
    let text = f.get("document");
    let parsed: Result<htcds::CaseRecord, Vec<(String, String)>> =
        match serde_json::from_str::<serde_json::Value>(&text) {
            Err(_) => Err(vec![("$".to_owned(), shell.t("htcds-error-json"))]),
            Ok(doc) => htcds::read(&doc, chrono::Utc::now().year()).map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| (e.field, shell.t(e.key)))
                    .collect()
            }),
        };
    let record = match parsed {
        Ok(r) => r,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ImportPage {
                    shell,
                    errors,
                    document: text,
                },
            )
                .into_response());
        }
    };
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    let id = super::open_from_record(&txn, &state.keys, &record, org, me.actor.user_id)
        .await
        .map_err(|_| AppError::Internal("importing a case"))?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(&me.actor), "case.import_htcds", "case").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}
