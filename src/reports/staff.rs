//! The hotline's side of Segnala: the queue, reading (audited), replying, triage.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::TransactionTrait;

use super::entities::report;
use super::store;
use super::triage::{self, TriageError};
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "reports/templates/queue.html")]
pub struct QueuePage {
    pub shell: Shell,
    pub reports: Vec<report::Model>,
    /// The state shown (`new` by default), or `all`.
    pub status: String,
}

impl QueuePage {
    pub fn statuses(&self) -> &'static [&'static str] {
        STATUSES
    }
}

/// The states a public report can be in, in the order the queue filter offers them.
pub const STATUSES: &[&str] = &["new", "contact", "duplicate", "not_pertinent"];

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
}

/// The order the hotline works a queue in: reports still to triage first, among them those
/// saying someone is in danger now, then the oldest waiting longest.
pub fn queue_order(reports: &mut [report::Model]) {
    reports.sort_by_key(|r| (r.status != "new", r.urgency != "now", r.id));
}

pub async fn queue(
    State(state): State<SharedState>,
    shell: Shell,
    axum::extract::Query(q): axum::extract::Query<QueueQuery>,
) -> Result<QueuePage, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    super::guard(&state, &me.actor).await?;
    let status = match q.status.as_str() {
        "" => "new".to_owned(),
        "all" => "all".to_owned(),
        s if STATUSES.contains(&s) => s.to_owned(),
        _ => return Err(AppError::BadRequest("error-400")),
    };
    let mut reports: Vec<report::Model> = store::queue(&state.db)
        .await?
        .into_iter()
        .filter(|r| status == "all" || r.status == status)
        .collect();
    queue_order(&mut reports);
    Ok(QueuePage {
        reports,
        shell,
        status,
    })
}

pub struct Line {
    pub mine: bool,
    pub text: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/templates/detail.html")]
pub struct DetailPage {
    pub shell: Shell,
    pub r: report::Model,
    pub what: String,
    pub place: String,
    pub since: String,
    pub gender: String,
    pub contact: String,
    pub lines: Vec<Line>,
    pub error: Option<String>,
}

impl DetailPage {
    pub fn kinds(&self) -> String {
        crate::platform::codes::iter(&self.r.kinds)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn detail(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
) -> Result<DetailPage, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let o = super::ops::read(state, &me.actor, id, None)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = o
        .messages
        .into_iter()
        .map(|m| Line {
            mine: !m.from_reporter,
            text: m.text,
            // A reporter's message keeps only its day (Italian time); staff replies their time.
            at: if m.from_reporter {
                crate::platform::time::rome_date(m.at).to_string()
            } else {
                crate::platform::time::rome_time(&m.at)
            },
        })
        .collect();
    Ok(DetailPage {
        what: o.what,
        place: o.place,
        since: o.since,
        gender: o.gender,
        contact: o.contact,
        shell,
        r: o.report,
        lines,
        error,
    })
}

pub async fn show(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<DetailPage, AppError> {
    detail(&state, shell, id, None).await
}

fn field(body: &Bytes, name: &str) -> String {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// `POST /reports/{id}/reply`: a reply or a question the reporter reads with the receipt.
pub async fn reply(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    super::guard(&state, &me.actor).await?;
    store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let text = field(&body, "text");
    let txn = state.db.begin().await?;
    match super::triage::reply(&state, &txn, &me.actor, id, &text).await {
        Ok(()) => txn.commit().await?,
        Err(super::triage::TriageError::Invalid(key)) => {
            txn.rollback().await?;
            let error = Some(shell.t(key));
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                detail(&state, shell, id, error).await?,
            )
                .into_response());
        }
        Err(super::triage::TriageError::Db(e)) => return Err(e.into()),
        Err(super::triage::TriageError::AlreadyTriaged) => {
            return Err(AppError::Internal("a reply is never refused as triaged"));
        }
    }
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

/// `POST /reports/{id}/triage`: into a hotline contact (linked), a duplicate, or not pertinent
/// (the rules are in [`super::triage`]).
pub async fn triage(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = me.actor.organisation_id.ok_or(AppError::Forbidden)?;
    super::guard(&state, &me.actor).await?;
    let r = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    // A number that does not parse is no report: `decide` refuses it like a missing one.
    let duplicate_of = field(&body, "duplicate_of").parse().ok();
    let result = match triage::decide(&r, &field(&body, "outcome"), duplicate_of) {
        Ok(t) => triage::apply(&state, (&me.actor, org), &r, t, None).await,
        Err(e) => Err(e),
    };
    let (status, key) = match result {
        Ok(_) => return Ok(Redirect::to(&format!("/reports/{id}")).into_response()),
        Err(TriageError::Db(e)) => return Err(e.into()),
        Err(TriageError::AlreadyTriaged) => (StatusCode::CONFLICT, "reports-error-triaged"),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.message_key()),
    };
    let error = Some(shell.t(key));
    Ok((status, detail(&state, shell, id, error).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: i32, status: &str, urgency: &str) -> report::Model {
        report::Model {
            id,
            urgency: urgency.into(),
            ..crate::reports::triage::tests::report(status)
        }
    }

    #[test]
    fn danger_now_comes_first_among_reports_to_triage() {
        let mut q = vec![
            report(1, "new", "days"),
            report(2, "contact", "now"),
            report(3, "new", "now"),
            report(4, "new", "unknown"),
            report(5, "new", "now"),
        ];
        queue_order(&mut q);
        let ids: Vec<i32> = q.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![3, 5, 1, 4, 2]);
    }
}
