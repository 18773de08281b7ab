//! The to-do inbox: a person's due items with "done", "snooze until" and "hand over", and the
//! coordinator's team view. Pages only: they parse the form and call `ops`.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use super::ops::{self, MarkError};
use super::rules::Step;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

/// One due item with what can be done with it.
pub struct Row {
    pub key: String,
    pub what: String,
    pub href: String,
    pub record: String,
    pub when: String,
    pub late: bool,
    pub handed_by: Option<String>,
    /// Colleagues it can be handed over to (id, username).
    pub colleagues: Vec<(i32, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reminders/templates/inbox.html")]
pub struct InboxPage {
    pub shell: Shell,
    pub rows: Vec<Row>,
    /// The item a refused step was about, its problems (field, message), and what was typed.
    pub refused: Option<String>,
    pub problems: Vec<(String, String)>,
    pub kept_until: String,
    pub kept_reason: String,
    /// The earliest day a snooze may run to (tomorrow, Italian time).
    pub tomorrow: String,
    pub team: bool,
}

impl InboxPage {
    /// The message for `field` of the item `key`, if its step was refused because of it.
    pub fn err(&self, key: &str, field: &str) -> Option<&str> {
        if self.refused.as_deref() != Some(key) {
            return None;
        }
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_refused(&self, key: &str) -> bool {
        self.refused.as_deref() == Some(key)
    }
}

/// A step that was refused: the item, its problems (field, message key), what was typed.
struct Refused {
    key: String,
    problems: Vec<(&'static str, &'static str)>,
    until: String,
    reason: String,
}

async fn inbox_page(
    state: &SharedState,
    shell: Shell,
    refused: Option<Refused>,
) -> Result<InboxPage, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let items = super::due_for(state, &me.actor).await?;
    let colleagues = ops::colleagues(state, &me.actor).await?;
    let rows = items
        .into_iter()
        .map(|i| {
            let key = i.key();
            Row {
                what: shell.t(&format!("reminder-{}", i.due.kind.code())),
                when: super::when(&shell, &i.due),
                late: i.due.late_days > 0,
                colleagues: colleagues
                    .iter()
                    .filter(|(_, _, keys)| keys.contains(&key))
                    .map(|(id, name, _)| (*id, name.clone()))
                    .collect(),
                key,
                href: i.href,
                record: i.record,
                handed_by: i.handed_by,
            }
        })
        .collect();
    let (refused, problems, kept_until, kept_reason) = match refused {
        Some(r) => (
            Some(r.key),
            r.problems
                .into_iter()
                .map(|(f, k)| (f.to_owned(), shell.t(k)))
                .collect(),
            r.until,
            r.reason,
        ),
        None => (None, Vec::new(), String::new(), String::new()),
    };
    let tomorrow = crate::platform::time::rome_today()
        .succ_opt()
        .map(|d| d.to_string())
        .unwrap_or_default();
    Ok(InboxPage {
        team: shell.can(crate::platform::policy::Permission::TeamInbox),
        shell,
        rows,
        refused,
        problems,
        kept_until,
        kept_reason,
        tomorrow,
    })
}

pub async fn inbox(State(state): State<SharedState>, shell: Shell) -> Result<InboxPage, AppError> {
    inbox_page(&state, shell, None).await
}

/// A step on one item, from its form.
pub async fn mark(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let key = f.text("key", 200);
    let until = f.get("until");
    let reason = f.text("reason", super::rules::REASON_MAX + 1);
    let step = match f.get("step").as_str() {
        "done" => Ok(Step::Done),
        "snooze" => match NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d") {
            Ok(day) => Ok(Step::Snooze {
                until: day,
                reason: reason.clone(),
            }),
            Err(_) => Err(MarkError::Snooze(super::rules::snooze_problems(
                None,
                &reason,
                crate::platform::time::rome_today(),
            ))),
        },
        "hand_over" => match f.get("to").parse::<i32>() {
            Ok(to) => Ok(Step::HandOver { to }),
            Err(_) => Err(MarkError::Colleague),
        },
        _ => return Err(AppError::BadRequest("error-400")),
    };
    let outcome = match step {
        Ok(step) => ops::mark(&state, &me.actor, &key, step).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/reminders").into_response()),
        Err(MarkError::Failed(e)) => Err(e),
        Err(e) => {
            let refused = Refused {
                key,
                problems: e.problems(),
                until,
                reason,
            };
            let page = inbox_page(&state, shell, Some(refused)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// One item on the coordinator's team view.
pub struct TeamRow {
    pub what: String,
    pub href: String,
    pub record: String,
    pub when: String,
    pub late: bool,
    /// What was done with it, in words.
    pub state: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reminders/templates/team.html")]
pub struct TeamPage {
    pub shell: Shell,
    pub rows: Vec<TeamRow>,
}

pub async fn team(State(state): State<SharedState>, shell: Shell) -> Result<TeamPage, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let rows = ops::team(&state, &me.actor)
        .await?
        .into_iter()
        .map(|t| TeamRow {
            what: shell.t(&format!("reminder-{}", t.item.due.kind.code())),
            when: super::when(&shell, &t.item.due),
            late: t.item.due.late_days > 0,
            state: match t.state.as_str() {
                "snoozed" => shell.t1(
                    "reminder-state-snoozed",
                    "date",
                    &t.until
                        .map(|u| u.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                ),
                "handed_over" => shell.t1(
                    "reminder-state-handed",
                    "name",
                    t.assignee.as_deref().unwrap_or("—"),
                ),
                _ => shell.t("reminder-state-open"),
            },
            reason: t.reason.unwrap_or_default(),
            href: t.item.href,
            record: t.item.record,
        })
        .collect();
    Ok(TeamPage { shell, rows })
}
