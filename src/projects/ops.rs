//! The projects area's operations, served by the project pages and the API alike: a project
//! written for a person's case, its lines, its moves through the evaluation (submit, decide,
//! start, vary, close) and its expenses. Each decides who acts (the owning organisation's case
//! worker or the lead entity's evaluator), checks through `rules`, writes and audits in one
//! transaction.

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::entities::{expense, intervention, project};
use super::rules::{self, Party};
use super::store;
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Actor, Permission, Role};
use crate::platform::web::{AppError, SharedState};

/// Why a project operation did not happen.
#[derive(Debug)]
pub enum ProjectOpError {
    /// Refused or not found (the refusal is audited).
    Access(AppError),
    /// Someone else changed the project since it was read.
    Stale,
    /// A field is wrong, or the project's state does not allow it: the message key and the
    /// field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    Failed(AppError),
}

impl ProjectOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            ProjectOpError::Stale => "case-error-conflict",
            ProjectOpError::Invalid { key, .. } => key,
            ProjectOpError::Access(_) | ProjectOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for ProjectOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        ProjectOpError::Failed(e.into())
    }
}

fn invalid(key: &'static str, field: &'static str) -> ProjectOpError {
    ProjectOpError::Invalid { key, field }
}

/// The parts a person plays on a project: the owning organisation's case worker, an evaluator
/// of any submitted project, or nobody.
pub fn parties(actor: &Actor, p: &project::Model) -> (bool, bool) {
    let owner =
        actor.organisation_id == Some(p.owner_org) && actor.roles.contains(&Role::CaseWorker);
    let evaluator = actor.can(Permission::EvaluateProjects) && p.status != "draft";
    (owner, evaluator)
}

/// Loads a project and decides whether the actor plays a part on it (`action` is `read` or
/// `write`), audited either way: (project, owner, evaluator).
pub async fn guard(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    action: &str,
) -> Result<(project::Model, bool, bool), AppError> {
    let p = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (owner, evaluator) = parties(actor, &p);
    let entry = Entry::new(Some(actor), &format!("project.{action}"), "project").record(id);
    if !owner && !evaluator {
        audit::append(&state.db, &state.keys, entry.denied()).await?;
        return Err(AppError::Forbidden);
    }
    audit::append(&state.db, &state.keys, entry).await?;
    Ok((p, owner, evaluator))
}

/// Loads a project only its owner may change (its lines, its expenses): decided and audited
/// like [`guard`], refused to evaluators.
pub async fn guard_owner(
    state: &SharedState,
    actor: &Actor,
    id: i32,
) -> Result<project::Model, AppError> {
    let (p, owner, _) = guard(state, actor, id, "write").await?;
    if !owner {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

/// A project is written for a case of the case worker's own organisation.
pub async fn own_case(state: &SharedState, actor: &Actor, case_id: i32) -> Result<(), AppError> {
    let owner = crate::cases::owner_of(&state.db, case_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if actor.organisation_id != Some(owner) || !actor.roles.contains(&Role::CaseWorker) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// A project as written by the implementing body.
#[derive(Clone, Debug, Default)]
pub struct NewProject {
    pub case_id: i32,
    pub edition_id: Option<i32>,
    /// The territorial social service that writes it with the body.
    pub social_service_org: Option<i32>,
    pub social_worker: String,
    /// Sealed at rest (1–5,000 characters).
    pub objectives: String,
}

/// Writes a project (a draft) for a case of the actor's organisation.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    input: &NewProject,
) -> Result<project::Model, ProjectOpError> {
    own_case(state, actor, input.case_id)
        .await
        .map_err(ProjectOpError::Access)?;
    let edition = match input.edition_id {
        Some(e) => store::edition(&state.db, e).await?,
        None => None,
    };
    let edition = edition.ok_or(invalid("project-error-edition", "edition_id"))?;
    let objectives = input.objectives.trim();
    if objectives.is_empty() || objectives.chars().count() > 5000 {
        return Err(invalid("network-error-required", "objectives"));
    }
    if input.social_worker.chars().count() > 200 {
        return Err(invalid("error-400", "social_worker"));
    }
    let org = actor
        .organisation_id
        .ok_or(ProjectOpError::Access(AppError::Forbidden))?;
    let p = store::create(
        txn,
        &state.keys,
        input.case_id,
        org,
        edition.id,
        input.social_service_org,
        input.social_worker.trim(),
        objectives,
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "project.create", "project")
            .record(p.id)
            .reason(format!("case {}", input.case_id)),
    )
    .await?;
    Ok(p)
}

/// A line of a project: an intervention with its requested amount.
#[derive(Clone, Debug, Default)]
pub struct NewLine {
    /// One of the intervention types of the rules.
    pub kind: String,
    pub provider: String,
    pub months: Option<i32>,
    pub requested_cents: i64,
}

/// Adds a line to a project the owner may still edit.
pub async fn add_line<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    project_id: i32,
    input: &NewLine,
) -> Result<intervention::Model, ProjectOpError> {
    let p = guard_owner(state, actor, project_id)
        .await
        .map_err(ProjectOpError::Access)?;
    if !rules::editable(&p.status) {
        return Err(invalid("project-error-not-editable", "status"));
    }
    rules::check_intervention(&input.kind, input.requested_cents, input.months)
        .map_err(|key| invalid(key, "kind"))?;
    if input.provider.chars().count() > 200 {
        return Err(invalid("error-400", "provider"));
    }
    let line = store::add_intervention(
        txn,
        intervention::ActiveModel {
            project_id: Set(project_id),
            kind: Set(input.kind.clone()),
            provider: Set(input.provider.trim().to_owned()),
            months: Set(input.months),
            requested_cents: Set(input.requested_cents),
            approved_cents: Set(0),
            ..Default::default()
        },
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "project.intervention", "project")
            .record(project_id)
            .reason(format!("{} {}", input.kind, input.requested_cents)),
    )
    .await?;
    Ok(line)
}

/// A change to a line of a project being written: new terms, or its removal.
#[derive(Clone, Debug)]
pub enum LineChange {
    /// New provider, months and requested amount (the intervention type stays).
    Terms {
        provider: String,
        months: Option<i32>,
        requested_cents: i64,
    },
    Remove,
}

/// Changes or removes a line while the owner may still edit the project (draft, changes
/// asked, variation). Answers the project's id.
pub async fn change_line<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    line_id: i32,
    change: &LineChange,
) -> Result<i32, ProjectOpError> {
    // Read and decided before the transaction reads anything: the access decision may write
    // its own audit entry, and SQLite would then refuse to upgrade a reading transaction.
    let line = store::intervention(&state.db, line_id)
        .await?
        .ok_or(ProjectOpError::Access(AppError::NotFound))?;
    let p = guard_owner(state, actor, line.project_id)
        .await
        .map_err(ProjectOpError::Access)?;
    if !rules::editable(&p.status) {
        return Err(invalid("project-error-not-editable", "status"));
    }
    // A line approved before a variation keeps what was granted and spent: it is not removed
    // nor asked below what is spent.
    let spent = store::spent(txn, line_id).await?;
    let what = match change {
        LineChange::Terms {
            provider,
            months,
            requested_cents,
        } => {
            rules::check_intervention(&line.kind, *requested_cents, *months)
                .map_err(|key| invalid(key, "requested_cents"))?;
            if provider.chars().count() > 200 {
                return Err(invalid("error-400", "provider"));
            }
            if *requested_cents < spent {
                return Err(invalid("project-error-below-spent", "requested_cents"));
            }
            store::change_intervention(txn, line_id, provider.trim(), *months, *requested_cents)
                .await?;
            format!("line {line_id}: {requested_cents}")
        }
        LineChange::Remove => {
            if spent > 0 || line.approved_cents > 0 {
                return Err(invalid("project-error-line-granted", "remove"));
            }
            store::remove_intervention(txn, line_id).await?;
            format!("line {line_id} removed")
        }
    };
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "project.intervention_change", "project")
            .record(p.id)
            .reason(what),
    )
    .await?;
    Ok(p.id)
}

/// A move of a project to another state, read at `version`.
#[derive(Clone, Debug, Default)]
pub struct StatusChange {
    pub to: String,
    /// Needed for some decisions (changes requested, rejection); sealed at rest.
    pub reason: String,
    pub version: i32,
    /// On approval, what each line is granted (line id, cents); a line left out is granted
    /// what was asked.
    pub granted: Vec<(i32, i64)>,
}

/// Moves a project on as the rules allow the actor's part: the owner submits, starts, asks for
/// a variation and closes; the evaluator approves, asks for changes or rejects.
pub async fn change_status<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    project_id: i32,
    change: &StatusChange,
) -> Result<(), ProjectOpError> {
    let (p, owner, evaluator) = guard(state, actor, project_id, "write")
        .await
        .map_err(ProjectOpError::Access)?;
    let to = change.to.as_str();
    let party = if evaluator && !owner {
        Party::Evaluator
    } else if owner && !evaluator {
        Party::Owner
    } else if matches!(to, "approved" | "changes_requested" | "rejected") {
        // Someone who is both acts as evaluator for decisions and as owner for the rest.
        Party::Evaluator
    } else {
        Party::Owner
    };
    if to.is_empty() {
        return Err(invalid("project-error-decision-needed", "to"));
    }
    rules::transition(&p.status, to, party, &change.reason).map_err(|key| invalid(key, "to"))?;
    let lines = store::interventions(txn, project_id).await?;
    if to == "submitted" && lines.is_empty() {
        return Err(invalid("project-error-empty", "to"));
    }
    let decisions: Vec<rules::LineDecision> = lines
        .iter()
        .map(|l| rules::LineDecision {
            line: l.id,
            requested_cents: l.requested_cents,
            approved_cents: change
                .granted
                .iter()
                .find(|(id, _)| *id == l.id)
                .map_or(l.requested_cents, |(_, c)| *c),
        })
        .collect();
    if to == "approved" {
        if change
            .granted
            .iter()
            .any(|(id, _)| !lines.iter().any(|l| l.id == *id))
        {
            return Err(invalid("project-error-line-unknown", "granted"));
        }
        if let Some((line, key)) = rules::check_approval(&decisions, &change.reason).first() {
            return Err(invalid(key, if *line == 0 { "reason" } else { "granted" }));
        }
        for d in &decisions {
            if d.approved_cents < store::spent(txn, d.line).await? {
                return Err(invalid("project-error-below-spent", "granted"));
            }
        }
    }
    if !store::move_to(
        txn,
        &state.keys,
        &p,
        to,
        &change.reason,
        actor.user_id,
        change.version,
    )
    .await?
    {
        return Err(ProjectOpError::Stale);
    }
    if to == "approved" {
        for d in decisions
            .iter()
            .filter(|d| d.approved_cents != d.requested_cents)
        {
            store::grant(txn, d.line, d.approved_cents).await?;
        }
    }
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "project.transition", "project")
            .record(project_id)
            .reason(format!("{} → {to}", p.status)),
    )
    .await?;
    if matches!(to, "approved" | "changes_requested" | "rejected") {
        let mut orgs = vec![p.owner_org];
        orgs.extend(actor.organisation_id);
        crate::platform::webhooks::emit(
            txn,
            &orgs,
            crate::platform::webhooks::Event {
                kind: "project.decided",
                record_type: "project",
                record_id: project_id,
                at: chrono::Utc::now(),
            },
        )
        .await?;
    }
    Ok(())
}

/// An expense on an approved line.
#[derive(Clone, Debug, Default)]
pub struct NewExpense {
    pub amount_cents: i64,
    pub spent_on: NaiveDate,
    /// The receipt or invoice it rests on (up to 200 characters).
    pub document: String,
}

/// Records an expense on a line of an active project, within what was approved for it.
pub async fn add_expense<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    intervention_id: i32,
    input: &NewExpense,
) -> Result<i32, ProjectOpError> {
    let line = store::intervention(&state.db, intervention_id)
        .await?
        .ok_or(ProjectOpError::Access(AppError::NotFound))?;
    let p = guard_owner(state, actor, line.project_id)
        .await
        .map_err(ProjectOpError::Access)?;
    if !matches!(p.status.as_str(), "active" | "variation") {
        return Err(invalid("project-error-not-active", "intervention_id"));
    }
    if !crate::platform::time::date_in_range(
        input.spent_on,
        false,
        crate::platform::time::rome_today(),
    ) {
        return Err(invalid("error-date-spent-on", "spent_on"));
    }
    if input.document.chars().count() > 200 {
        return Err(invalid("error-400", "document"));
    }
    let spent = store::spent(&state.db, line.id).await?;
    rules::check_expense(line.approved_cents, spent, input.amount_cents)
        .map_err(|key| invalid(key, "amount_cents"))?;
    store::add_expense(
        txn,
        expense::ActiveModel {
            intervention_id: Set(line.id),
            spent_on: Set(input.spent_on),
            amount_cents: Set(input.amount_cents),
            document: Set(input.document.trim().to_owned()),
            ..Default::default()
        },
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "project.expense", "project")
            .record(p.id)
            .reason(format!("{}", input.amount_cents)),
    )
    .await?;
    Ok(p.id)
}

/// An edition of the regional programme (its period and its money).
#[derive(Clone, Debug, Default)]
pub struct NewEdition {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub total_cents: i64,
    pub cofunding_cents: i64,
}

/// Checks an edition: the first wrong field, with its message key.
pub fn check_edition(e: &NewEdition) -> Result<(), (&'static str, &'static str)> {
    let name = e.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(("network-error-required", "name"));
    }
    if e.ends_on < e.starts_on {
        return Err(("hotline-error-end-before-start", "ends_on"));
    }
    if e.total_cents < 0 || e.cofunding_cents < 0 {
        return Err(("error-400", "total_cents"));
    }
    Ok(())
}

/// Adds an edition (the caller's route requires the permission to manage editions).
pub async fn add_edition<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    input: &NewEdition,
) -> Result<super::entities::edition::Model, ProjectOpError> {
    check_edition(input).map_err(|(key, field)| invalid(key, field))?;
    let taken = invalid("project-error-edition-exists", "name");
    if store::editions(txn)
        .await?
        .iter()
        .any(|e| e.name == input.name.trim())
    {
        return Err(taken);
    }
    let e = match store::add_edition(
        txn,
        input.name.trim(),
        input.starts_on,
        input.ends_on,
        input.total_cents,
        input.cofunding_cents,
    )
    .await
    {
        Ok(e) => e,
        // Two editors racing for the same name: the second is told, not given a 500.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(taken);
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "project.edition", "project_edition").record(e.id),
    )
    .await?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edition_has_a_name_and_ends_after_it_starts() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let e = NewEdition {
            name: "Edizione 2026".into(),
            starts_on: d("2026-01-01"),
            ends_on: d("2026-12-31"),
            total_cents: 10_000_000,
            cofunding_cents: 0,
        };
        assert_eq!(check_edition(&e), Ok(()));
        let backwards = NewEdition {
            ends_on: d("2025-12-31"),
            ..e.clone()
        };
        assert_eq!(check_edition(&backwards).map_err(|e| e.1), Err("ends_on"));
        let unnamed = NewEdition {
            name: " ".into(),
            ..e
        };
        assert_eq!(check_edition(&unnamed).map_err(|e| e.1), Err("name"));
    }
}
