//! Pages of individual projects: drafting with interventions, the capofila's evaluation,
//! expenses against approved lines, editions and their budget report.

use sea_orm::TransactionTrait;
use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::entities::{edition, intervention, project};
use super::rules;
use super::store;
use crate::identity::session::StaffView;
use crate::platform::policy::{Permission, Role};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

fn staff(shell: &Shell) -> Result<StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

async fn guarded(
    state: &SharedState,
    me: &StaffView,
    id: i32,
    action: &str,
) -> Result<(project::Model, bool, bool), AppError> {
    super::ops::guard(state, &me.actor, id, action).await
}

pub struct Row {
    pub id: i32,
    pub code: String,
    pub organisation: String,
    pub status: String,
    pub requested: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/templates/list.html")]
pub struct ListPage {
    pub shell: Shell,
    pub rows: Vec<Row>,
}

async fn person_code(state: &SharedState, case_id: i32) -> Result<String, AppError> {
    Ok(crate::cases::person_code_of(&state.db, case_id)
        .await?
        .unwrap_or_default())
}

pub async fn list(State(state): State<SharedState>, shell: Shell) -> Result<ListPage, AppError> {
    let me = staff(&shell)?;
    let mut projects = if me.actor.can(Permission::EvaluateProjects) {
        store::for_evaluation(&state.db).await?
    } else {
        Vec::new()
    };
    if me.actor.roles.contains(&Role::CaseWorker)
        && let Some(org) = me.actor.organisation_id
    {
        for p in store::of_org(&state.db, org).await? {
            if !projects.iter().any(|q| q.id == p.id) {
                projects.push(p);
            }
        }
    }
    let names = crate::network::names(&state.db).await?;
    let mut rows = Vec::new();
    for p in projects {
        let requested: i64 = store::interventions(&state.db, p.id)
            .await?
            .iter()
            .map(|i| i.requested_cents)
            .sum();
        rows.push(Row {
            id: p.id,
            code: person_code(&state, p.case_id).await?,
            organisation: names.get(&p.owner_org).cloned().unwrap_or_default(),
            status: shell.label("project-status", &p.status),
            requested: rules::format_euros(requested),
        });
    }
    Ok(ListPage { shell, rows })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    case: Option<i32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/templates/new.html")]
pub struct NewPage {
    pub shell: Shell,
    pub case_id: i32,
    pub code: String,
    pub editions: Vec<edition::Model>,
    pub organisations: Vec<(i32, String)>,
    pub error: Option<String>,
}

/// The case must belong to the case worker's organisation.
async fn own_case(state: &SharedState, me: &StaffView, case_id: i32) -> Result<(), AppError> {
    super::ops::own_case(state, &me.actor, case_id).await
}

pub async fn new_form(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<NewQuery>,
) -> Result<NewPage, AppError> {
    let me = staff(&shell)?;
    let case_id = q.case.ok_or(AppError::NotFound)?;
    own_case(&state, &me, case_id).await?;
    Ok(NewPage {
        code: person_code(&state, case_id).await?,
        editions: store::editions(&state.db).await?,
        organisations: crate::network::names(&state.db)
            .await?
            .into_iter()
            .collect(),
        shell,
        case_id,
        error: None,
    })
}

pub async fn create(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let case_id: i32 = f
        .get("case_id")
        .parse()
        .map_err(|_| AppError::BadRequest("error-400"))?;
    let input = super::ops::NewProject {
        case_id,
        edition_id: f.get("edition_id").parse().ok(),
        social_service_org: f.get("social_service_org").parse().ok(),
        social_worker: f.get("social_worker"),
        objectives: f.get("objectives"),
    };
    let txn = state.db.begin().await?;
    let p = match super::ops::create(&state, &txn, &me.actor, &input).await {
        Ok(p) => p,
        Err(super::ops::ProjectOpError::Access(e) | super::ops::ProjectOpError::Failed(e)) => {
            return Err(e);
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                NewPage {
                    code: person_code(&state, case_id).await?,
                    editions: store::editions(&state.db).await?,
                    organisations: crate::network::names(&state.db)
                        .await?
                        .into_iter()
                        .collect(),
                    shell,
                    case_id,
                    error,
                },
            )
                .into_response());
        }
    };
    txn.commit().await?;
    Ok(Redirect::to(&format!("/projects/{}", p.id)).into_response())
}

// ---------- one project ----------

pub struct InterventionRow {
    pub i: intervention::Model,
    /// The requested amount as typed in a form ("1250,00").
    pub requested_field: String,
    pub requested: String,
    pub approved: String,
    pub spent: String,
    pub expenses: Vec<(String, String, String)>,
}

pub struct TransitionRow {
    pub from: String,
    pub to: String,
    pub reason: String,
    pub at: String,
    pub by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/templates/show.html")]
pub struct ProjectPage {
    pub shell: Shell,
    pub p: project::Model,
    pub code: String,
    pub edition: String,
    pub owner: String,
    pub social_service: String,
    pub interventions: Vec<InterventionRow>,
    pub transitions: Vec<TransitionRow>,
    pub total_requested: String,
    pub is_owner: bool,
    pub is_evaluator: bool,
    pub error: Option<String>,
    /// A refused decision as it was typed (`to`, `reason`, `grant-{line}`), to fill the form
    /// again: the evaluator does not retype the grants.
    pub typed: Vec<(String, String)>,
}

impl ProjectPage {
    /// What the decision form shows in a field: what was typed, if it was sent back.
    pub fn typed(&self, field: &str) -> Option<&str> {
        self.typed
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }
    /// The amount offered for a line: as typed, or the amount requested.
    pub fn grant_value(&self, line: i32, requested: &str) -> String {
        self.typed(&format!("grant-{line}"))
            .unwrap_or(requested)
            .to_owned()
    }
}

async fn project_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
) -> Result<ProjectPage, AppError> {
    project_page_typed(state, shell, id, error, Vec::new()).await
}

async fn project_page_typed(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
    typed: Vec<(String, String)>,
) -> Result<ProjectPage, AppError> {
    let me = staff(&shell)?;
    let (p, is_owner, is_evaluator) = guarded(state, &me, id, "read").await?;
    let names = crate::network::names(&state.db).await?;
    let mut interventions = Vec::new();
    let mut total = 0;
    for i in store::interventions(&state.db, id).await? {
        total += i.requested_cents;
        let list = store::expenses(&state.db, i.id).await?;
        let spent: i64 = list.iter().map(|e| e.amount_cents).sum();
        interventions.push(InterventionRow {
            requested_field: rules::euros_field(i.requested_cents),
            requested: rules::format_euros(i.requested_cents),
            approved: rules::format_euros(i.approved_cents),
            spent: rules::format_euros(spent),
            expenses: list
                .into_iter()
                .map(|e| {
                    (
                        e.spent_on.to_string(),
                        rules::format_euros(e.amount_cents),
                        e.document,
                    )
                })
                .collect(),
            i,
        });
    }
    let mut transitions = Vec::new();
    for t in store::transitions(&state.db, id).await? {
        let t = store::opened_transition(&state.keys, t)?;
        let by = crate::identity::username_of(&state.db, t.by_user)
            .await?
            .unwrap_or_default();
        transitions.push(TransitionRow {
            from: shell.label("project-status", &t.from_status),
            to: shell.label("project-status", &t.to_status),
            reason: t.reason,
            at: crate::platform::time::rome_time_zoned(&t.at),
            by,
        });
    }
    Ok(ProjectPage {
        code: person_code(state, p.case_id).await?,
        edition: store::edition(&state.db, p.edition_id)
            .await?
            .map(|e| e.name)
            .unwrap_or_default(),
        owner: names.get(&p.owner_org).cloned().unwrap_or_default(),
        social_service: p
            .social_service_org
            .and_then(|o| names.get(&o).cloned())
            .unwrap_or_default(),
        interventions,
        transitions,
        total_requested: rules::format_euros(total),
        shell,
        p: store::opened(&state.keys, p)?,
        is_owner,
        is_evaluator,
        error,
        typed,
    })
}

pub async fn show(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ProjectPage, AppError> {
    project_page(&state, shell, id, None).await
}

async fn refuse(
    state: &SharedState,
    shell: Shell,
    id: i32,
    status: StatusCode,
    key: &str,
) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    Ok((status, project_page(state, shell, id, error).await?).into_response())
}

pub async fn add_intervention(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let cents = match rules::euros(&f.get("amount")) {
        Ok(c) => c,
        Err(key) => {
            // Only the owner hears what is wrong with a line.
            super::ops::guard_owner(&state, &me.actor, id).await?;
            return refuse(&state, shell, id, StatusCode::UNPROCESSABLE_ENTITY, key).await;
        }
    };
    let input = super::ops::NewLine {
        kind: f.get("kind"),
        provider: f.text("provider", 200),
        months: f.get("months").parse::<i32>().ok(),
        requested_cents: cents,
    };
    let txn = state.db.begin().await?;
    let done = super::ops::add_line(&state, &txn, &me.actor, id, &input).await;
    finish(&state, shell, id, txn, done.map(|_| id)).await
}

/// `POST /interventions/{id}`: new terms for a line of a project being written, or its
/// removal (`remove` set).
pub async fn change_intervention(
    State(state): State<SharedState>,
    shell: Shell,
    Path(line_id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let line = store::intervention(&state.db, line_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = Fields::parse(&body);
    let change = if f.checked("remove") {
        super::ops::LineChange::Remove
    } else {
        match rules::euros(&f.get("amount")) {
            Ok(requested_cents) => super::ops::LineChange::Terms {
                provider: f.text("provider", 200),
                months: f.get("months").parse::<i32>().ok(),
                requested_cents,
            },
            Err(key) => {
                // Only the owner hears what is wrong with a line.
                super::ops::guard_owner(&state, &me.actor, line.project_id).await?;
                return refuse(
                    &state,
                    shell,
                    line.project_id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    key,
                )
                .await;
            }
        }
    };
    let txn = state.db.begin().await?;
    let done = super::ops::change_line(&state, &txn, &me.actor, line_id, &change).await;
    finish(&state, shell, line.project_id, txn, done).await
}

/// Back to the project once an operation is done, or the project again with its message.
async fn finish(
    state: &SharedState,
    shell: Shell,
    id: i32,
    txn: sea_orm::DatabaseTransaction,
    done: Result<i32, super::ops::ProjectOpError>,
) -> Result<Response, AppError> {
    use super::ops::ProjectOpError as E;
    match done {
        Ok(project) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/projects/{project}")).into_response())
        }
        Err(E::Access(e) | E::Failed(e)) => Err(e),
        Err(E::Stale) => {
            txn.rollback().await?;
            refuse(
                state,
                shell,
                id,
                StatusCode::CONFLICT,
                "case-error-conflict",
            )
            .await
        }
        Err(e) => {
            txn.rollback().await?;
            refuse(
                state,
                shell,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.message_key(),
            )
            .await
        }
    }
}

pub async fn change_status(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let lines = f.all_ids("line");
    let amounts = f.all("grant");
    // A refused decision comes back as typed: the choice, the reason and every grant.
    let mut typed = vec![
        ("to".to_owned(), f.get("to")),
        ("reason".to_owned(), f.get("reason")),
    ];
    typed.extend(
        lines
            .iter()
            .zip(&amounts)
            .map(|(line, amount)| (format!("grant-{line}"), amount.clone())),
    );
    let mut granted = Vec::new();
    for (line, amount) in lines.into_iter().zip(amounts) {
        match rules::granted_euros(&amount) {
            Ok(cents) => granted.push((line, cents)),
            Err(key) => {
                // Only an evaluator hears what is wrong with a decision.
                let (_, _, evaluator) = guarded(&state, &me, id, "read").await?;
                if !evaluator {
                    return Err(AppError::Forbidden);
                }
                let error = Some(shell.t(key));
                let page = project_page_typed(&state, shell, id, error, typed).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        }
    }
    let change = super::ops::StatusChange {
        to: f.get("to"),
        reason: f.get("reason"),
        version: f.get("version").parse().unwrap_or(-1),
        granted,
    };
    let txn = state.db.begin().await?;
    use super::ops::ProjectOpError as E;
    match super::ops::change_status(&state, &txn, &me.actor, id, &change).await {
        Err(e) if !matches!(e, E::Access(_) | E::Failed(_)) => {
            txn.rollback().await?;
            let status = if matches!(e, E::Stale) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let key = if matches!(e, E::Stale) {
                "case-error-conflict"
            } else {
                e.message_key()
            };
            let error = Some(shell.t(key));
            let page = project_page_typed(&state, shell, id, error, typed).await?;
            Ok((status, page).into_response())
        }
        done => finish(&state, shell, id, txn, done.map(|()| id)).await,
    }
}

pub async fn add_expense(
    State(state): State<SharedState>,
    shell: Shell,
    Path(intervention_id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let line = store::intervention(&state.db, intervention_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = Fields::parse(&body);
    let read = (|| -> Result<super::ops::NewExpense, &'static str> {
        Ok(super::ops::NewExpense {
            amount_cents: rules::euros(&f.get("amount"))?,
            spent_on: f.required_date("spent_on")?,
            document: f.text("document", 200),
        })
    })();
    let input = match read {
        Ok(v) => v,
        Err(key) => {
            // Only the owner hears what is wrong with an expense.
            super::ops::guard_owner(&state, &me.actor, line.project_id).await?;
            return refuse(
                &state,
                shell,
                line.project_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
            )
            .await;
        }
    };
    let txn = state.db.begin().await?;
    let done = super::ops::add_expense(&state, &txn, &me.actor, intervention_id, &input).await;
    finish(&state, shell, line.project_id, txn, done).await
}

// ---------- editions and the budget report ----------

#[derive(Template, WebTemplate)]
#[template(path = "projects/templates/editions.html")]
pub struct EditionsPage {
    pub shell: Shell,
    pub editions: Vec<(edition::Model, String)>,
    pub may_add: bool,
    pub error: Option<String>,
}

async fn editions_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<EditionsPage, AppError> {
    let me = staff(&shell)?;
    Ok(EditionsPage {
        editions: store::editions(&state.db)
            .await?
            .into_iter()
            .map(|e| {
                let t = rules::format_euros(e.total_cents);
                (e, t)
            })
            .collect(),
        may_add: me.actor.can(Permission::ManageEditions),
        shell,
        error,
    })
}

pub async fn editions(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<EditionsPage, AppError> {
    editions_page(&state, shell, None).await
}

pub async fn add_edition(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let read = (|| -> Result<super::ops::NewEdition, &'static str> {
        Ok(super::ops::NewEdition {
            name: f.get("name"),
            starts_on: f.required_date("starts_on")?,
            ends_on: f.required_date("ends_on")?,
            total_cents: rules::euros(&f.get("total"))?,
            cofunding_cents: rules::euros(&f.get("cofunding")).unwrap_or(0),
        })
    })();
    let done = match read {
        Ok(input) => {
            let txn = state.db.begin().await?;
            match super::ops::add_edition(&state, &txn, &me.actor, &input).await {
                Ok(_) => {
                    txn.commit().await?;
                    return Ok(Redirect::to("/editions").into_response());
                }
                Err(
                    super::ops::ProjectOpError::Access(e) | super::ops::ProjectOpError::Failed(e),
                ) => {
                    return Err(e);
                }
                Err(e) => e.message_key(),
            }
        }
        Err(key) => key,
    };
    let error = Some(shell.t(done));
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        editions_page(&state, shell, error).await?,
    )
        .into_response())
}

/// An amount in cents however the template holds it (by value or by reference).
pub trait Cents {
    fn cents(&self) -> i64;
}

impl Cents for i64 {
    fn cents(&self) -> i64 {
        *self
    }
}

impl<T: Cents> Cents for &T {
    fn cents(&self) -> i64 {
        (**self).cents()
    }
}

/// Committed (approved amounts of approved and later projects), spent and available.
pub struct Budget {
    pub edition: edition::Model,
    pub committed: i64,
    pub spent: i64,
    /// (dimension value, committed, spent) by intervention type and by province.
    pub by_type: Vec<(String, i64, i64)>,
    pub by_province: Vec<(String, i64, i64)>,
}

impl Budget {
    pub fn available(&self) -> i64 {
        self.edition.total_cents - self.committed
    }
    pub fn euros(&self, cents: impl Cents) -> String {
        rules::format_euros(cents.cents())
    }
}

pub async fn budget(state: &SharedState, edition_id: i32) -> Result<Budget, AppError> {
    let edition = store::edition(&state.db, edition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let orgs = crate::network::organisations(&state.db).await?;
    let mut by_type: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_province: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let (mut committed, mut spent) = (0, 0);
    for p in store::all(&state.db)
        .await?
        .into_iter()
        .filter(|p| p.edition_id == edition_id && rules::committed(&p.status))
    {
        let province = orgs
            .iter()
            .find(|o| o.id == p.owner_org)
            .and_then(|o| o.province.clone())
            .unwrap_or_else(|| "—".into());
        for i in store::interventions(&state.db, p.id).await? {
            let s = store::spent(&state.db, i.id).await?;
            committed += i.approved_cents;
            spent += s;
            let t = by_type.entry(i.kind.clone()).or_default();
            t.0 += i.approved_cents;
            t.1 += s;
            let pr = by_province.entry(province.clone()).or_default();
            pr.0 += i.approved_cents;
            pr.1 += s;
        }
    }
    Ok(Budget {
        edition,
        committed,
        spent,
        by_type: by_type.into_iter().map(|(k, (c, s))| (k, c, s)).collect(),
        by_province: by_province
            .into_iter()
            .map(|(k, (c, s))| (k, c, s))
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/templates/budget.html")]
pub struct BudgetPage {
    pub shell: Shell,
    pub b: Budget,
}

pub async fn budget_page(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<BudgetPage, AppError> {
    Ok(BudgetPage {
        b: budget(&state, id).await?,
        shell,
    })
}

pub async fn budget_csv(
    State(state): State<SharedState>,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let b = budget(&state, id).await?;
    let mut out = String::from("section,key,committed_eur,spent_eur\n");
    let eur = |c: i64| format!("{}.{:02}", c / 100, (c % 100).abs());
    out.push_str(&format!("edition,total,{},\n", eur(b.edition.total_cents)));
    out.push_str(&format!(
        "edition,all,{},{}\n",
        eur(b.committed),
        eur(b.spent)
    ));
    out.push_str(&format!("edition,available,{},\n", eur(b.available())));
    for (k, c, s) in &b.by_type {
        out.push_str(&format!("type,{k},{},{}\n", eur(*c), eur(*s)));
    }
    for (k, c, s) in &b.by_province {
        out.push_str(&format!("province,{k},{},{}\n", eur(*c), eur(*s)));
    }
    Ok(crate::platform::web::download(
        out,
        "text/csv; charset=utf-8",
        "satis-budget.csv",
    ))
}

/// `GET /editions/{id}/budget.xlsx`: the same figures as the CSV, as a spreadsheet.
pub async fn budget_xlsx(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let b = budget(&state, id).await?;
    let bytes =
        budget_workbook(&b, &shell).map_err(|_| AppError::Internal("writing a spreadsheet"))?;
    Ok(crate::platform::web::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "satis-budget.xlsx",
    ))
}

fn budget_workbook(b: &Budget, shell: &Shell) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let euro = |c: i64| c as f64 / 100.0;
    let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00 €");
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet.write_string_with_format(0, 0, &b.edition.name, &bold)?;
    let totals = [
        (shell.t("editions-total"), b.edition.total_cents),
        (shell.t("editions-cofunding"), b.edition.cofunding_cents),
        (shell.t("editions-committed"), b.committed),
        (shell.t("projects-spent"), b.spent),
        (shell.t("editions-available"), b.available()),
    ];
    let mut row = 2u32;
    for (label, cents) in totals {
        sheet.write_string(row, 0, &label)?;
        sheet.write_number_with_format(row, 1, euro(cents), &money)?;
        row += 1;
    }
    for (title, lines, by_type) in [
        (shell.t("editions-by-type"), &b.by_type, true),
        (shell.t("editions-by-province"), &b.by_province, false),
    ] {
        row += 1;
        sheet.write_string_with_format(row, 0, &title, &bold)?;
        sheet.write_string_with_format(row, 1, shell.t("editions-committed"), &bold)?;
        sheet.write_string_with_format(row, 2, shell.t("projects-spent"), &bold)?;
        row += 1;
        for (key, committed, spent) in lines {
            let label = if by_type {
                shell.label("intervention", key)
            } else {
                key.clone()
            };
            sheet.write_string(row, 0, &label)?;
            sheet.write_number_with_format(row, 1, euro(*committed), &money)?;
            sheet.write_number_with_format(row, 2, euro(*spent), &money)?;
            row += 1;
        }
    }
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 16)?;
    book.save_to_buffer()
}
