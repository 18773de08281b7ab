//! Individual projects in the JSON API: what the project pages list for the caller (their
//! organisation's projects for case workers; submitted ones for the lead municipality's
//! evaluators), with requested and approved totals; one project (audited); and what staff do
//! on the pages — writing a project and its lines, moving it through the evaluation
//! (`If-Match`), recording expenses — through the same operations (`projects::ops`).
//! Objectives and reasons are sealed at rest and not given back.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::entities::project;
use super::ops::{self, ProjectOpError};
use super::{rules, store};
use crate::platform::api::idempotency::{self, Started};
use crate::platform::api::{self, Answer, ApiError, ApiId, ApiJson, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::{Permission, Role};
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    let p = Some(Permission::Projects);
    ApiRoutes::new()
        .op(
            ApiSpec::get("/projects", "listProjects")
                .summary(
                    "projects",
                    "Individual projects the caller works on or evaluates, newest first, by pages",
                )
                .paged()
                .scope("projects:read", p)
                .query::<api::PageQuery>()
                .returns::<Vec<ProjectOut>>(),
            list,
        )
        .op(
            ApiSpec::get("/projects/{id}", "getProject")
                .summary("projects", "One project with its lines (the read is audited)")
                .scope("projects:read", p)
                .returns::<ProjectDetail>()
                .with_etag(),
            show,
        )
        .op(
            ApiSpec::create("/projects", "createProject")
                .summary(
                    "projects",
                    "Write a project (a draft) for a case of the caller's organisation",
                )
                .scope("projects:write", p)
                .body::<ProjectIn>()
                .returns::<ProjectOut>(),
            create,
        )
        .op(
            ApiSpec::create("/projects/{id}/lines", "addProjectLine")
                .summary("projects", "Add a line (an intervention) to a project being written")
                .scope("projects:write", p)
                .body::<LineIn>()
                .returns::<LineOut>(),
            add_line,
        )
        .op(
            ApiSpec::change("/projects/lines/{id}", "changeProjectLine")
                .summary(
                    "projects",
                    "Change the terms of a line of a project being written, or remove it",
                )
                .scope("projects:write", p)
                .body::<LineChangeIn>()
                .returns::<ProjectDetail>(),
            change_line,
        )
        .op(
            ApiSpec::update("/projects/{id}", "changeProjectStatus")
                .summary(
                    "projects",
                    "Submit, decide (approve, ask for changes, reject), start, vary or close a project",
                )
                .scope("projects:write", p)
                .body::<StatusIn>()
                .returns::<ProjectDetail>(),
            change_status,
        )
        .op(
            ApiSpec::create("/projects/lines/{id}/expenses", "recordProjectExpense")
                .summary(
                    "projects",
                    "Record an expense on an approved line of an active project",
                )
                .scope("projects:write", p)
                .body::<ExpenseIn>()
                .returns::<ExpenseOut>(),
            add_expense,
        )
        .op(
            ApiSpec::get("/editions", "listProjectEditions")
                .summary(
                    "projects",
                    "Editions of the regional programme: their period and their money",
                )
                .scope("projects:read", None)
                .returns::<Vec<EditionOut>>(),
            list_editions,
        )
        .op(
            ApiSpec::create("/editions", "createProjectEdition")
                .summary(
                    "projects",
                    "Open an edition of the regional programme (the lead entity or an administrator)",
                )
                .scope("projects:write", Some(Permission::ManageEditions))
                .body::<EditionIn>()
                .returns::<EditionOut>(),
            add_edition,
        )
}

/// How a refused project operation answers in the API.
fn refused(e: ProjectOpError) -> ApiError {
    match e {
        ProjectOpError::Stale => ApiError::stale(),
        ProjectOpError::Invalid { key, field } => ApiError::invalid(key, Some(field)),
        ProjectOpError::Access(e) | ProjectOpError::Failed(e) => e.into(),
    }
}

/// A line of a project as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LineOut {
    pub id: i32,
    pub project_id: i32,
    pub kind: String,
    pub provider: String,
    pub months: Option<i32>,
    /// Euro cents.
    pub requested_cents: i64,
    /// Euro cents, set when the project is approved.
    pub approved_cents: i64,
}

/// One project with its lines.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectDetail {
    #[serde(flatten)]
    pub project: ProjectOut,
    pub social_service_organisation_id: Option<i32>,
    pub lines: Vec<LineOut>,
}

async fn detail(state: &SharedState, p: project::Model) -> Result<ProjectDetail, ApiError> {
    let items = store::interventions(&state.db, p.id).await?;
    let lines = items
        .iter()
        .map(|i| LineOut {
            id: i.id,
            project_id: i.project_id,
            kind: i.kind.clone(),
            provider: i.provider.clone(),
            months: i.months,
            requested_cents: i.requested_cents,
            approved_cents: i.approved_cents,
        })
        .collect();
    Ok(ProjectDetail {
        social_service_organisation_id: p.social_service_org,
        project: project_out(p, &items),
        lines,
    })
}

fn project_out(p: project::Model, items: &[super::entities::intervention::Model]) -> ProjectOut {
    ProjectOut {
        id: p.id,
        case_id: p.case_id,
        owner_organisation_id: p.owner_org,
        edition_id: p.edition_id,
        status: p.status,
        requested_cents: items.iter().map(|i| i.requested_cents).sum(),
        approved_cents: items.iter().map(|i| i.approved_cents).sum(),
        created_at: p.created_at,
        version: p.version,
    }
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
) -> Result<Response, ApiError> {
    let (p, _, _) = ops::guard(&state, &caller.actor, id, "read").await?;
    let version = p.version;
    Ok(api::ok_tagged(&detail(&state, p).await?, version))
}

/// A project written by the implementing body with the territorial social services.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectIn {
    /// A case of the caller's organisation.
    pub case_id: i32,
    /// The edition of the programme it is for.
    pub edition_id: i32,
    /// The territorial social service writing it with the body.
    pub social_service_organisation_id: Option<i32>,
    /// The social worker (up to 200 characters).
    pub social_worker: Option<String>,
    /// 1–5,000 characters, sealed at rest.
    pub objectives: String,
}

async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) =
        match idempotency::start::<ProjectIn>(&state.db, &caller, &headers, &body, "createProject")
            .await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let input = ops::NewProject {
        case_id: input.case_id,
        edition_id: Some(input.edition_id),
        social_service_org: input.social_service_organisation_id,
        social_worker: input.social_worker.unwrap_or_default(),
        objectives: input.objectives,
    };
    let p = ops::create(&state, &creation.txn, &caller.actor, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(format!("/projects/{}", p.id), &project_out(p, &[]))?;
    creation.commit(&state.db, answer).await
}

/// A line of a project: an intervention of the catalogue with its requested amount.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    /// An intervention type of the catalogue (each with its cap).
    pub kind: String,
    /// Who provides it (up to 200 characters).
    pub provider: Option<String>,
    /// For the types paid by the month.
    pub months: Option<i32>,
    /// Euro cents, within the type's cap.
    pub requested_cents: i64,
}

async fn add_line(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("addProjectLine {id}");
    let (creation, input) = match idempotency::start::<LineIn>(
        &state.db, &caller, &headers, &body, &operation,
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let input = ops::NewLine {
        kind: input.kind,
        provider: input.provider.unwrap_or_default(),
        months: input.months,
        requested_cents: input.requested_cents,
    };
    let i = ops::add_line(&state, &creation.txn, &caller.actor, id, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created(
        format!("/projects/{id}"),
        &LineOut {
            id: i.id,
            project_id: i.project_id,
            kind: i.kind,
            provider: i.provider,
            months: i.months,
            requested_cents: i.requested_cents,
            approved_cents: i.approved_cents,
        },
    )?;
    creation.commit(&state.db, answer).await
}

/// A move of the project to another state.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    #[schemars(extend("enum" = rules::STATUSES))]
    pub to: String,
    /// Needed to ask for changes or to reject, and to approve a line for less than was
    /// asked; sealed at rest.
    pub reason: Option<String>,
    /// On approval, what each line is granted; a line left out is granted what was asked.
    #[serde(default)]
    pub granted: Vec<GrantIn>,
}

/// What one line is granted on approval.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantIn {
    pub line_id: i32,
    /// Euro cents, from nothing to what was asked.
    pub approved_cents: i64,
}

async fn change_status(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(s): ApiJson<StatusIn>,
) -> Result<Response, ApiError> {
    // What is wrong with the body is said before the version is looked at.
    api::one_of(&s.to, rules::STATUSES, "to")?;
    let version = api::if_match(&headers)?;
    let change = ops::StatusChange {
        to: s.to,
        reason: s.reason.unwrap_or_default(),
        version,
        granted: s
            .granted
            .iter()
            .map(|g| (g.line_id, g.approved_cents))
            .collect(),
    };
    let txn = state.db.begin().await?;
    ops::change_status(&state, &txn, &caller.actor, id, &change)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    let p = store::get(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let version = p.version;
    Ok(api::ok_tagged(&detail(&state, p).await?, version))
}

/// New terms for a line (what is left out stays as it was), or its removal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineChangeIn {
    /// Up to 200 characters.
    pub provider: Option<String>,
    /// For the types paid by the month.
    pub months: Option<i32>,
    /// Euro cents, within the type's cap.
    pub requested_cents: Option<i64>,
    /// Remove the line (only one never approved).
    #[serde(default)]
    pub remove: bool,
}

async fn change_line(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    ApiJson(c): ApiJson<LineChangeIn>,
) -> Result<Response, ApiError> {
    let line = store::intervention(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let change = if c.remove {
        ops::LineChange::Remove
    } else {
        ops::LineChange::Terms {
            provider: c.provider.unwrap_or(line.provider),
            months: c.months.or(line.months),
            requested_cents: c.requested_cents.unwrap_or(line.requested_cents),
        }
    };
    let txn = state.db.begin().await?;
    let project = ops::change_line(&state, &txn, &caller.actor, id, &change)
        .await
        .map_err(refused)?;
    txn.commit().await?;
    let p = store::get(&state.db, project)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let version = p.version;
    Ok(api::ok_tagged(&detail(&state, p).await?, version))
}

/// An expense on a line.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseIn {
    /// Euro cents, within what remains of the line's approved amount.
    pub amount_cents: i64,
    /// The Italian day it was spent (`YYYY-MM-DD`), not in the future.
    pub spent_on: NaiveDate,
    /// The receipt or invoice (up to 200 characters).
    pub document: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ExpenseOut {
    pub project_id: i32,
    pub line_id: i32,
    pub amount_cents: i64,
    pub spent_on: NaiveDate,
}

async fn add_expense(
    State(state): State<SharedState>,
    caller: Caller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let operation = format!("recordProjectExpense {id}");
    let (creation, input) =
        match idempotency::start::<ExpenseIn>(&state.db, &caller, &headers, &body, &operation)
            .await?
        {
            Started::New(c, input) => (c, input),
            Started::Replayed(r) => return Ok(r),
        };
    let expense = ops::NewExpense {
        amount_cents: input.amount_cents,
        spent_on: input.spent_on,
        document: input.document.unwrap_or_default(),
    };
    let project_id = ops::add_expense(&state, &creation.txn, &caller.actor, id, &expense)
        .await
        .map_err(refused)?;
    let answer = Answer::created(
        format!("/projects/{project_id}"),
        &ExpenseOut {
            project_id,
            line_id: id,
            amount_cents: expense.amount_cents,
            spent_on: expense.spent_on,
        },
    )?;
    creation.commit(&state.db, answer).await
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectOut {
    pub id: i32,
    pub case_id: i32,
    pub owner_organisation_id: i32,
    pub edition_id: i32,
    /// `draft`, `submitted`, `changes_requested`, `approved`, `rejected`, `active`,
    /// `variation`, `completed`, `interrupted`.
    pub status: String,
    /// Euro cents.
    pub requested_cents: i64,
    /// Euro cents.
    pub approved_cents: i64,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// An edition of the regional programme to open.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditionIn {
    /// 1–200 characters.
    pub name: String,
    /// The Italian day it starts (`YYYY-MM-DD`).
    pub starts_on: NaiveDate,
    /// The Italian day it ends, not before it starts.
    pub ends_on: NaiveDate,
    /// The programme's money, in euro cents.
    pub total_cents: i64,
    /// Co-funding, in euro cents (none when left out).
    #[serde(default)]
    pub cofunding_cents: i64,
}

/// An edition of the regional programme.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EditionOut {
    pub id: i32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Euro cents.
    pub total_cents: i64,
    /// Euro cents.
    pub cofunding_cents: i64,
}

impl From<super::entities::edition::Model> for EditionOut {
    fn from(e: super::entities::edition::Model) -> Self {
        EditionOut {
            id: e.id,
            name: e.name,
            starts_on: e.starts_on,
            ends_on: e.ends_on,
            total_cents: e.total_cents,
            cofunding_cents: e.cofunding_cents,
        }
    }
}

async fn list_editions(
    State(state): State<SharedState>,
    _caller: Caller,
) -> Result<Response, ApiError> {
    let body: Vec<EditionOut> = store::editions(&state.db)
        .await?
        .into_iter()
        .map(EditionOut::from)
        .collect();
    Ok(api::ok(&body))
}

async fn add_edition(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (creation, input) = match idempotency::start::<EditionIn>(
        &state.db,
        &caller,
        &headers,
        &body,
        "createProjectEdition",
    )
    .await?
    {
        Started::New(c, input) => (c, input),
        Started::Replayed(r) => return Ok(r),
    };
    let input = ops::NewEdition {
        name: input.name,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        total_cents: input.total_cents,
        cofunding_cents: input.cofunding_cents,
    };
    let e = ops::add_edition(&state, &creation.txn, &caller.actor, &input)
        .await
        .map_err(refused)?;
    let answer = Answer::created("/editions".to_owned(), &EditionOut::from(e))?;
    creation.commit(&state.db, answer).await
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    api::ApiQuery(q): api::ApiQuery<api::PageQuery>,
) -> Result<Response, ApiError> {
    let evaluator = caller.actor.can(Permission::EvaluateProjects);
    let own = if caller.actor.roles.contains(&Role::CaseWorker) {
        Some(caller.org()?)
    } else {
        None
    };
    let after = q.after::<i32>()?;
    let projects =
        store::page_for(&state.db, evaluator, own, q.limit()?, after.map(|a| a.key)).await?;
    let last = projects.last().map(|p| api::After {
        key: p.id,
        id: p.id,
    });
    let ids: Vec<i32> = projects.iter().map(|p| p.id).collect();
    let lines = store::interventions_of(&state.db, &ids).await?;
    let body: Vec<ProjectOut> = projects
        .into_iter()
        .map(|p| {
            let items: Vec<_> = lines
                .iter()
                .filter(|l| l.project_id == p.id)
                .cloned()
                .collect();
            project_out(p, &items)
        })
        .collect();
    q.answer("/projects", &body, last)
}
