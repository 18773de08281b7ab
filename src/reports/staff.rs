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
    /// Where the next page starts, when there is one (a cursor for `?after=`).
    pub next: Option<String>,
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
    /// Where the page continues: the cursor the previous page's "next" link carries.
    #[serde(default)]
    after: String,
}

/// Reports per page of the queue.
pub const QUEUE_PAGE: u64 = 100;

/// Where a queue page continues. The untriaged queue is worked in its own order (someone in
/// danger now first, then the longest waiting: `now-ID` / `later-ID`); every other view shows
/// the newest first (`ID`, continuing below it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueCursor {
    Untriaged(store::QueueAfter),
    Below(i32),
}

impl QueueCursor {
    /// Reads a cursor this queue wrote for `status`; `None` for anything else.
    pub fn parse(status: &str, raw: &str) -> Option<QueueCursor> {
        let id = |s: &str| s.parse::<i32>().ok().filter(|id| *id > 0);
        if status == "new" {
            let (group, rest) = raw.split_once('-')?;
            let later = match group {
                "now" => false,
                "later" => true,
                _ => return None,
            };
            Some(QueueCursor::Untriaged(store::QueueAfter {
                later,
                id: id(rest)?,
            }))
        } else {
            id(raw).map(QueueCursor::Below)
        }
    }

    /// The cursor of the page that continues after `r`.
    pub fn after(status: &str, r: &report::Model) -> String {
        if status == "new" {
            let group = if r.urgency == "now" { "now" } else { "later" };
            format!("{group}-{}", r.id)
        } else {
            r.id.to_string()
        }
    }
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
    let after = match q.after.as_str() {
        "" => None,
        raw => Some(QueueCursor::parse(&status, raw).ok_or(AppError::BadRequest("error-400"))?),
    };
    // One more than a page tells whether another page follows.
    let mut reports = match after {
        None if status == "new" => store::untriaged_page(&state.db, QUEUE_PAGE + 1, None).await?,
        Some(QueueCursor::Untriaged(a)) => {
            store::untriaged_page(&state.db, QUEUE_PAGE + 1, Some(a)).await?
        }
        below => {
            let only = (status != "all").then_some(status.as_str());
            let below = match below {
                Some(QueueCursor::Below(id)) => Some(id),
                _ => None,
            };
            store::page(&state.db, only, QUEUE_PAGE + 1, below).await?
        }
    };
    let next = if reports.len() as u64 > QUEUE_PAGE {
        reports.truncate(QUEUE_PAGE as usize);
        reports.last().map(|r| QueueCursor::after(&status, r))
    } else {
        None
    };
    Ok(QueuePage {
        reports,
        shell,
        status,
        next,
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

    fn report(id: i32, urgency: &str) -> report::Model {
        report::Model {
            id,
            urgency: urgency.into(),
            ..crate::reports::triage::tests::report("new")
        }
    }

    #[test]
    fn a_queue_cursor_reads_back_what_the_queue_wrote_and_nothing_else() {
        let now = QueueCursor::after("new", &report(7, "now"));
        let later = QueueCursor::after("new", &report(9, "days"));
        assert_eq!(now, "now-7");
        assert_eq!(
            QueueCursor::parse("new", &later),
            Some(QueueCursor::Untriaged(store::QueueAfter {
                later: true,
                id: 9
            }))
        );
        assert_eq!(
            QueueCursor::parse("all", &QueueCursor::after("all", &report(12, "now"))),
            Some(QueueCursor::Below(12))
        );
        for bad in ["", "7", "soon-7", "now-", "now-x", "now--3", "later-0"] {
            assert_eq!(QueueCursor::parse("new", bad), None, "{bad}");
        }
        for bad in ["now-7", "-1", "0", "x"] {
            assert_eq!(QueueCursor::parse("contact", bad), None, "{bad}");
        }
    }
}
