//! The linkage review queue as a page: `/cases/collegamenti` (permission `ReviewLinks`).

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::link_review::{self, ReviewError, Verdict};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

/// A pair as the page shows it.
pub struct PairRow {
    pub case_a: i32,
    pub case_b: i32,
    pub names_a: String,
    pub names_b: String,
    pub body_a: String,
    pub body_b: String,
    pub similarity: String,
}

/// A decision as the page lists it.
pub struct DecisionRow {
    pub id: i32,
    pub version: i32,
    pub case_a: i32,
    pub case_b: i32,
    pub verdict: String,
    pub active: bool,
    pub when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/templates/links.html")]
pub struct LinksPage {
    pub shell: Shell,
    pub pairs: Vec<PairRow>,
    pub decisions: Vec<DecisionRow>,
    pub notice: Option<String>,
}

fn me(shell: &Shell) -> Result<crate::platform::web::shell::StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

async fn page(
    state: &SharedState,
    shell: Shell,
    notice: Option<&'static str>,
) -> Result<LinksPage, AppError> {
    let me = me(&shell)?;
    let orgs: std::collections::HashMap<i32, String> = crate::network::organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let body = |id: i32| orgs.get(&id).cloned().unwrap_or_default();
    let mut pairs = Vec::new();
    for c in link_review::candidates(&state.db, &state.keys, &me.actor).await? {
        // Each name shown is a read of an identity: decided and audited by the policy.
        let (names_a, names_b) =
            link_review::open_pair(state, &me.actor, c.a.case_id, c.b.case_id).await?;
        pairs.push(PairRow {
            case_a: c.a.case_id,
            case_b: c.b.case_id,
            names_a,
            names_b,
            body_a: body(c.a.body),
            body_b: body(c.b.body),
            similarity: format!("{:.0}%", c.similarity * 100.0),
        });
    }
    let decisions = link_review::decided(&state.db, &me.actor)
        .await?
        .into_iter()
        .map(|l| DecisionRow {
            id: l.id,
            version: l.version,
            case_a: l.case_a,
            case_b: l.case_b,
            verdict: shell.t(&format!("link-verdict-{}", l.decision)),
            active: l.state == "active",
            when: crate::platform::time::rome_time(l.undone_at.as_ref().unwrap_or(&l.decided_at)),
        })
        .collect();
    Ok(LinksPage {
        pairs,
        decisions,
        notice: notice.map(|k| shell.t(k)),
        shell,
    })
}

/// `GET /cases/collegamenti`.
pub async fn queue(State(state): State<SharedState>, shell: Shell) -> Result<LinksPage, AppError> {
    page(&state, shell, None).await
}

fn answer(outcome: Result<(), ReviewError>) -> Result<Result<Response, &'static str>, AppError> {
    match outcome {
        Ok(()) => Ok(Ok(Redirect::to("/cases/collegamenti").into_response())),
        Err(ReviewError::Refused(k)) => Ok(Err(k)),
        Err(ReviewError::Failed(e)) => Err(e),
    }
}

/// `POST /cases/collegamenti`: a verdict on a pair.
pub async fn decide(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    let verdict = Verdict::from_code(&f.get("verdict")).ok_or(AppError::BadRequest("error-400"))?;
    let id = |name: &str| {
        f.get(name)
            .parse::<i32>()
            .map_err(|_| AppError::BadRequest("error-400"))
    };
    let outcome = link_review::decide(&state, &me.actor, id("case_a")?, id("case_b")?, verdict)
        .await
        .map(|_| ());
    match answer(outcome)? {
        Ok(r) => Ok(r),
        Err(key) => {
            Ok((StatusCode::CONFLICT, page(&state, shell, Some(key)).await?).into_response())
        }
    }
}

/// `POST /cases/collegamenti/{id}/annulla`: the decision undone, the pair back in the queue.
pub async fn undo(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    match answer(link_review::undo(&state, &me.actor, id, f.version()).await)? {
        Ok(r) => Ok(r),
        Err(key) => {
            Ok((StatusCode::CONFLICT, page(&state, shell, Some(key)).await?).into_response())
        }
    }
}
