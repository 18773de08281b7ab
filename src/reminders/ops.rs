//! What a person does with a due item: done, snoozed until a day with a reason, handed over to
//! a colleague. One operation: it checks that the item is really due for the actor, validates
//! through the plain rules, writes the item's state and its audit entry in one transaction.

use std::collections::HashSet;

use sea_orm::TransactionTrait;

use super::rules::{self, Step};
use super::store;
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Actor, Role};
use crate::platform::time::rome_today;
use crate::platform::web::{AppError, SharedState};

/// Why a step on a due item was refused: a message key and the field at fault.
#[derive(Debug)]
pub enum MarkError {
    /// Not allowed, or the database failed.
    Failed(AppError),
    /// The item is not (or no longer) due on the actor's desk.
    NotDue,
    /// Every problem of a snooze, as (field, message key).
    Snooze(Vec<(&'static str, &'static str)>),
    /// The colleague is not an active member of the organisation who sees this item.
    Colleague,
}

impl MarkError {
    /// Every problem as (field, message key).
    pub fn problems(&self) -> Vec<(&'static str, &'static str)> {
        match self {
            MarkError::Failed(_) => Vec::new(),
            MarkError::NotDue => vec![("item", "reminder-error-not-due")],
            MarkError::Snooze(p) => p.clone(),
            MarkError::Colleague => vec![("to", "reminder-error-colleague")],
        }
    }
}

impl From<AppError> for MarkError {
    fn from(e: AppError) -> Self {
        MarkError::Failed(e)
    }
}

impl From<sea_orm::DbErr> for MarkError {
    fn from(e: sea_orm::DbErr) -> Self {
        MarkError::Failed(e.into())
    }
}

/// Every active member of the organisation (id, username) with the items due for them,
/// computed once per distinct set of roles (what is due depends on the roles, not the person).
async fn members_due(
    state: &SharedState,
    actor: &Actor,
    org: i32,
) -> Result<Vec<(i32, String, std::sync::Arc<Vec<super::Item>>)>, AppError> {
    let mut by_roles: Vec<(Vec<Role>, std::sync::Arc<Vec<super::Item>>)> = Vec::new();
    let mut out = Vec::new();
    for (id, username, mut roles) in crate::identity::members_of(&state.db, org).await? {
        roles.sort_by_key(|r| r.code());
        let items = match by_roles.iter().find(|(r, _)| *r == roles) {
            Some((_, items)) => items.clone(),
            None => {
                let them = Actor {
                    user_id: id,
                    username: username.clone(),
                    organisation_id: Some(org),
                    province: actor.province.clone(),
                    roles: roles.clone(),
                };
                let items = std::sync::Arc::new(super::compute(state, &them).await?);
                by_roles.push((roles, items.clone()));
                items
            }
        };
        out.push((id, username, items));
    }
    Ok(out)
}

/// The colleagues of the actor's organisation (active members other than the actor) with the
/// keys of the items due for each of them: whom an item can be handed over to (someone who
/// would see it themselves).
pub async fn colleagues(
    state: &SharedState,
    actor: &Actor,
) -> Result<Vec<(i32, String, HashSet<String>)>, AppError> {
    let Some(org) = actor.organisation_id else {
        return Ok(Vec::new());
    };
    Ok(members_due(state, actor, org)
        .await?
        .into_iter()
        .filter(|(id, _, _)| *id != actor.user_id)
        .map(|(id, name, items)| (id, name, items.iter().map(super::Item::key).collect()))
        .collect())
}

/// Marks the due item `key` for the actor's organisation.
pub async fn mark(
    state: &SharedState,
    actor: &Actor,
    key: &str,
    step: Step,
) -> Result<(), MarkError> {
    let org = actor
        .organisation_id
        .ok_or(MarkError::Failed(AppError::Forbidden))?;
    if !super::due_for(state, actor)
        .await?
        .iter()
        .any(|i| i.key() == key)
    {
        return Err(MarkError::NotDue);
    }
    let today = rome_today();
    let (until, reason, assignee) = match &step {
        Step::Done => (None, None, None),
        Step::Snooze { until, reason } => {
            let problems = rules::snooze_problems(Some(*until), reason, today);
            if !problems.is_empty() {
                return Err(MarkError::Snooze(problems));
            }
            (Some(*until), Some(reason.trim().to_owned()), None)
        }
        Step::HandOver { to } => {
            if !colleagues(state, actor)
                .await?
                .iter()
                .any(|(id, _, keys)| id == to && keys.contains(key))
            {
                return Err(MarkError::Colleague);
            }
            (None, None, Some(*to))
        }
    };
    let reason_enc = match &reason {
        Some(r) => Some(
            state
                .keys
                .encrypt_str(store::REASON, r)
                .map_err(|_| AppError::Internal("reason cannot be sealed"))?,
        ),
        None => None,
    };
    let txn = state.db.begin().await?;
    let id = store::put(
        &txn,
        store::Put {
            org,
            key,
            state: step.code(),
            until,
            reason_enc,
            assignee,
            by: actor.user_id,
            at: chrono::Utc::now(),
        },
    )
    .await?;
    let mut entry = Entry::new(
        Some(actor),
        &format!("reminder.{}", step.code()),
        "reminder",
    )
    .record(id);
    if let Some(to) = assignee {
        entry = entry.subject(format!("user:{to}"));
    }
    audit::append(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    // The counts beside "Da fare" change for the actor and the colleague at once.
    state.due_counts.forget(i64::from(actor.user_id));
    if let Some(to) = assignee {
        state.due_counts.forget(i64::from(to));
    }
    Ok(())
}

/// One item on the team view: the item, and what was done with it.
pub struct TeamItem {
    pub item: super::Item,
    /// `open`, `snoozed`, `handed_over`.
    pub state: String,
    pub until: Option<chrono::NaiveDate>,
    /// The snooze's reason (unsealed for the coordinator: the reading is audited).
    pub reason: Option<String>,
    pub assignee: Option<String>,
    pub by: Option<String>,
}

/// Everything due in the actor's organisation, for whoever it is, with what was done with it
/// (items marked done are gone): the coordinator's team view. Reading the snooze reasons is
/// audited first.
pub async fn team(state: &SharedState, actor: &Actor) -> Result<Vec<TeamItem>, AppError> {
    let org = actor.organisation_id.ok_or(AppError::Forbidden)?;
    audit::append(
        &state.db,
        &state.keys,
        Entry::new(Some(actor), "reminder.team_read", "organisation").record(org),
    )
    .await?;
    let mut items: Vec<super::Item> = Vec::new();
    for (_, _, due) in members_due(state, actor, org).await? {
        for i in due.iter() {
            if !items.iter().any(|x| x.key() == i.key()) {
                items.push(i.clone());
            }
        }
    }
    super::latest_first(&mut items);
    let marks = store::marks_of(&state.db, org).await?;
    let mut out = Vec::new();
    for item in items {
        let m = marks.iter().find(|m| m.item_key == item.key());
        let Some(m) = m else {
            out.push(TeamItem {
                item,
                state: "open".into(),
                until: None,
                reason: None,
                assignee: None,
                by: None,
            });
            continue;
        };
        if m.state == "done" {
            continue;
        }
        let reason = match &m.reason_enc {
            Some(enc) => Some(
                state
                    .keys
                    .decrypt_str(store::REASON, enc)
                    .map_err(|_| AppError::Internal("reason cannot be decrypted"))?,
            ),
            None => None,
        };
        let assignee = match m.assignee_id {
            Some(a) => crate::identity::username_of(&state.db, a).await?,
            None => None,
        };
        out.push(TeamItem {
            item,
            state: if m.state == "snoozed" && m.until.is_some_and(|u| u <= rome_today()) {
                "open".into()
            } else {
                m.state.clone()
            },
            until: m.until,
            reason,
            assignee,
            by: crate::identity::username_of(&state.db, m.by_user_id).await?,
        });
    }
    Ok(out)
}
