//! An organisation's webhooks, for its administrator: subscribe an endpoint to event types
//! (the secret shown once), end a subscription, see the latest deliveries and send one again.
//! Delivery itself is `platform::webhooks`; only the administrator's own organisation is shown.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::ops;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};
use crate::platform::webhooks::{self, EVENTS};

/// A subscription as listed: its endpoint, its events (labels) and whether it is active.
pub struct SubRow {
    pub id: i32,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created: String,
}

/// A delivery as listed: never the payload's receiver answer, only its class.
pub struct DeliveryRow {
    pub id: i32,
    pub event_id: String,
    pub event: String,
    pub record: String,
    pub occurred: String,
    pub state: String,
    pub attempts: i32,
    pub reason: String,
    pub next: String,
    pub pending: bool,
    pub cancelled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/admin_webhooks.html")]
pub struct WebhooksPage {
    pub shell: Shell,
    /// (code, label, checked) of every event type, for the form.
    pub events: Vec<(&'static str, String, bool)>,
    pub url: String,
    pub error: Option<(&'static str, String)>,
    pub secret: Option<String>,
    pub subs: Vec<SubRow>,
    pub deliveries: Vec<DeliveryRow>,
    pub notice: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

fn event_label(shell: &Shell, code: &str) -> String {
    shell.t(&format!("webhook-event-{}", code.replace(['.', '_'], "-")))
}

async fn page(
    state: &SharedState,
    shell: Shell,
    typed: Option<(String, Vec<String>, &'static str, &'static str)>,
    secret: Option<String>,
    notice: Option<String>,
) -> Result<WebhooksPage, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = ops::webhook_org(&me.actor)?;
    let subs = webhooks::subscriptions(&state.db, org)
        .await?
        .into_iter()
        .map(|s| SubRow {
            id: s.id,
            url: s.url,
            events: s
                .events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|e| event_label(&shell, e))
                .collect(),
            active: s.active,
            created: crate::platform::time::rome_time(&s.created_at),
        })
        .collect();
    let deliveries = webhooks::deliveries(&state.db, org, 100)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id,
            event_id: d.event_id,
            event: event_label(&shell, &d.event_type),
            record: format!(
                "{} {}",
                shell.t(&format!(
                    "webhook-record-{}",
                    d.record_type.replace('_', "-")
                )),
                d.record_id
            ),
            occurred: crate::platform::time::rome_time(&d.occurred_at),
            state: shell.t(&format!("webhook-state-{}", d.state)),
            attempts: d.attempts,
            reason: d.last_error.unwrap_or_default(),
            next: crate::platform::time::rome_time(&d.next_at),
            pending: d.state == "pending",
            cancelled: d.state == "cancelled",
        })
        .collect();
    let (url, chosen, error) = match typed {
        Some((url, chosen, field, key)) => (url, chosen, Some((field, shell.t(key)))),
        None => (String::new(), Vec::new(), None),
    };
    let events = EVENTS
        .iter()
        .map(|e| (*e, event_label(&shell, e), chosen.iter().any(|c| c == e)))
        .collect();
    Ok(WebhooksPage {
        shell,
        events,
        url,
        error,
        secret,
        subs,
        deliveries,
        notice,
    })
}

/// The organisation's subscriptions and latest deliveries.
pub async fn list(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<Done>,
) -> Result<WebhooksPage, AppError> {
    let notice = match q.done.as_str() {
        "ended" => Some(shell.t("webhook-ended")),
        "again" => Some(shell.t("webhook-again-done")),
        "gone" => Some(shell.t("webhook-again-gone")),
        _ => None,
    };
    page(&state, shell, None, None, notice).await
}

/// Subscribes an endpoint; the page is drawn again with the secret, shown this once.
pub async fn create(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let url = f.get("url");
    let events = f.all("events");
    let txn = state.db.begin().await?;
    match ops::subscribe_webhook(&txn, &state.keys, &me.actor, &url, &events).await? {
        Ok((_, secret)) => {
            txn.commit().await?;
            let notice = Some(shell.t("webhook-created"));
            Ok(page(&state, shell, None, Some(secret), notice)
                .await?
                .into_response())
        }
        Err((field, key)) => {
            txn.rollback().await?;
            let p = page(&state, shell, Some((url, events, field, key)), None, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
    }
}

/// Ends a subscription: nothing more is sent to it.
pub async fn end(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let txn = state.db.begin().await?;
    let done = ops::end_webhook(&txn, &state.keys, &me.actor, id).await?;
    txn.commit().await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/webhooks?done=ended").into_response())
}

/// Sends a delivery again (a replay with the same event id).
pub async fn again(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let txn = state.db.begin().await?;
    let done = ops::send_webhook_again(&txn, &state.keys, &me.actor, id).await?;
    txn.commit().await?;
    Ok(Redirect::to(if done {
        "/admin/webhooks?done=again"
    } else {
        "/admin/webhooks?done=gone"
    })
    .into_response())
}
