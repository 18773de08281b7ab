//! The newsletter as pages: the public's subscription form, confirmation and unsubscribe
//! (script-free, with the numbers to call); the editors' issues (assemble, review, send).

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use super::newsletter::{self, PublicError};
use super::ops::NewsError;
use super::public::base;
use crate::platform::web::client::PublicClient;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/newsletter.html")]
pub struct SubscribePage {
    pub shell: Shell,
    pub address: String,
    pub error: Option<String>,
}

/// `GET /newsletter`.
pub async fn form(shell: Shell) -> SubscribePage {
    SubscribePage {
        shell,
        address: String::new(),
        error: None,
    }
}

/// A short page with one message (and, for a link, the button that acts on it).
#[derive(Template, WebTemplate)]
#[template(path = "news/templates/newsletter_message.html")]
pub struct MessagePage {
    pub shell: Shell,
    pub title: String,
    pub message: String,
    /// Where the button posts, when the page asks to confirm an action.
    pub action: Option<String>,
    pub button: String,
}

fn message(shell: Shell, title: &str, key: &str) -> MessagePage {
    MessagePage {
        title: shell.t(title),
        message: shell.t(key),
        action: None,
        button: String::new(),
        shell,
    }
}

/// `POST /newsletter`: the address and the consent; the same answer whatever the address's
/// state, so that nobody learns from it who is subscribed.
pub async fn subscribe(
    State(state): State<SharedState>,
    shell: Shell,
    client: PublicClient,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    let address = f.text("address", 254);
    let refuse = |shell: Shell, key: &str, status: StatusCode| {
        let page = SubscribePage {
            error: Some(shell.t(key)),
            address: address.clone(),
            shell,
        };
        Ok((status, page).into_response())
    };
    if !f.checked("consent") {
        return refuse(
            shell,
            "newsletter-error-consent",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let key = format!("newsletter:{}", client.0);
    if state.public_throttle.check(&state.db, &key).await.is_err() {
        state.metrics.throttled("newsletter");
        return refuse(
            shell,
            "newsletter-error-busy",
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let consent = shell.t("newsletter-consent");
    match newsletter::subscribe(
        &state,
        &address,
        shell.lang.code(),
        &consent,
        &base(&state, &headers),
        Utc::now(),
    )
    .await
    {
        Ok(sent) => {
            state.public_throttle.fail(&state.db, &key).await;
            if sent == newsletter::Subscribed::ConfirmationSent {
                state.mail_wake.notify_one();
            }
            Ok(message(shell, "newsletter-title", "newsletter-check-inbox").into_response())
        }
        Err(PublicError::Refused(k)) => refuse(shell, k, StatusCode::UNPROCESSABLE_ENTITY),
        Err(PublicError::Failed(e)) => Err(e),
    }
}

/// `GET /newsletter/conferma/{token}`: a button, so that a mail program opening the link to
/// check it confirms nothing.
pub async fn confirm_page(shell: Shell, Path(token): Path<String>) -> MessagePage {
    MessagePage {
        title: shell.t("newsletter-confirm-title"),
        message: shell.t("newsletter-confirm-ask"),
        action: Some(format!("/newsletter/conferma/{}", url_part(&token))),
        button: shell.t("newsletter-confirm-button"),
        shell,
    }
}

/// Keeps a token as a path segment can carry it (tokens are URL-safe base64).
fn url_part(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(100)
        .collect()
}

/// `POST /newsletter/conferma/{token}`.
pub async fn confirm(
    State(state): State<SharedState>,
    shell: Shell,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match newsletter::confirm(&state, &token, Utc::now()).await {
        Ok(()) => {
            Ok(message(shell, "newsletter-confirm-title", "newsletter-confirmed").into_response())
        }
        Err(PublicError::Refused(k)) => Ok((
            StatusCode::GONE,
            message(shell, "newsletter-confirm-title", k),
        )
            .into_response()),
        Err(PublicError::Failed(e)) => Err(e),
    }
}

/// `GET /newsletter/disiscrizione/{id}/{token}`.
pub async fn unsubscribe_page(shell: Shell, Path((id, token)): Path<(i32, String)>) -> MessagePage {
    MessagePage {
        title: shell.t("newsletter-unsubscribe-title"),
        message: shell.t("newsletter-unsubscribe-ask"),
        action: Some(format!(
            "/newsletter/disiscrizione/{id}/{}",
            url_part(&token)
        )),
        button: shell.t("newsletter-unsubscribe-button"),
        shell,
    }
}

/// `POST /newsletter/disiscrizione/{id}/{token}`: from the page's button, or in one click from
/// the mail program (RFC 8058, body `List-Unsubscribe=One-Click`).
pub async fn unsubscribe(
    State(state): State<SharedState>,
    shell: Shell,
    Path((id, token)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    match newsletter::unsubscribe(&state, id, &token).await {
        Ok(_) => Ok(message(
            shell,
            "newsletter-unsubscribe-title",
            "newsletter-unsubscribed",
        )
        .into_response()),
        Err(PublicError::Refused(k)) => Ok((
            StatusCode::NOT_FOUND,
            message(shell, "newsletter-unsubscribe-title", k),
        )
            .into_response()),
        Err(PublicError::Failed(e)) => Err(e),
    }
}

/// An issue on the editors' list.
pub struct IssueRow {
    pub id: i32,
    pub month: String,
    pub state: String,
    pub recipients: i32,
    pub sent_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/newsletter_desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub issues: Vec<IssueRow>,
    pub confirmed: u64,
    pub pending: u64,
    pub month: String,
    pub error: Option<String>,
    pub mail_configured: bool,
}

fn me(shell: &Shell) -> Result<crate::platform::web::shell::StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

async fn desk_page(
    state: &SharedState,
    shell: Shell,
    error: Option<&'static str>,
) -> Result<DeskPage, AppError> {
    let (confirmed, pending) = newsletter::subscriber_counts(&state.db).await?;
    let issues = newsletter::issues(&state.db)
        .await?
        .into_iter()
        .map(|i| IssueRow {
            id: i.id,
            state: shell.t(&format!("newsletter-state-{}", i.state)),
            recipients: i.recipients,
            sent_at: i
                .sent_at
                .map(|t| crate::platform::time::rome_time(&t))
                .unwrap_or_default(),
            month: i.month,
        })
        .collect();
    Ok(DeskPage {
        issues,
        confirmed,
        pending,
        month: newsletter::previous_month(crate::platform::time::rome_today()),
        error: error.map(|k| shell.t(k)),
        mail_configured: state.config.mail.is_some(),
        shell,
    })
}

/// `GET /redazione/newsletter`.
pub async fn desk(State(state): State<SharedState>, shell: Shell) -> Result<DeskPage, AppError> {
    me(&shell)?;
    desk_page(&state, shell, None).await
}

/// `POST /redazione/newsletter`: assembles the draft of a month (or opens it if it exists).
pub async fn assemble(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    match newsletter::assemble(&state, Some(&me.actor), &f.get("month"), Utc::now()).await {
        Ok(id) => Ok(Redirect::to(&format!("/redazione/newsletter/{id}")).into_response()),
        Err(NewsError::Invalid(p)) => {
            let key = p.first().map_or("newsletter-error-month", |(_, k)| *k);
            let page = desk_page(&state, shell, Some(key)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(NewsError::Failed(e)) => Err(e),
        Err(_) => Err(AppError::Internal("assembling cannot be stale")),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/newsletter_issue.html")]
pub struct IssuePage {
    pub shell: Shell,
    pub id: i32,
    pub month: String,
    pub draft: bool,
    pub state: String,
    pub version: i32,
    pub introduction: String,
    pub subject: String,
    pub preview: String,
    pub confirmed: u64,
    pub recipients: i32,
    pub notice: Option<String>,
    pub mail_configured: bool,
}

async fn issue_page(
    state: &SharedState,
    shell: Shell,
    headers: &HeaderMap,
    id: i32,
    notice: Option<&'static str>,
) -> Result<IssuePage, AppError> {
    let i = newsletter::issue(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let first = newsletter::parse_month(&i.month).ok_or(AppError::Internal("bad month"))?;
    let site = base(state, headers);
    let contents = newsletter::contents(&state.db, first, &site, Utc::now()).await?;
    let letter = newsletter::compose(
        first,
        &i.introduction,
        &contents,
        &site,
        &format!("{site}/newsletter/disiscrizione/…"),
        &newsletter::numbers_line(&state.config.hotline),
    );
    let (confirmed, _) = newsletter::subscriber_counts(&state.db).await?;
    Ok(IssuePage {
        id: i.id,
        draft: i.state == "draft",
        state: shell.t(&format!("newsletter-state-{}", i.state)),
        version: i.version,
        introduction: i.introduction,
        subject: letter.subject,
        preview: letter.text,
        confirmed,
        recipients: i.recipients,
        notice: notice.map(|k| shell.t(k)),
        mail_configured: state.config.mail.is_some(),
        month: i.month,
        shell,
    })
}

/// `GET /redazione/newsletter/{id}`: the issue as subscribers will read it.
pub async fn issue(
    State(state): State<SharedState>,
    shell: Shell,
    headers: HeaderMap,
    Path(id): Path<i32>,
) -> Result<IssuePage, AppError> {
    me(&shell)?;
    issue_page(&state, shell, &headers, id, None).await
}

/// `POST /redazione/newsletter/{id}`: save the introduction, or send the issue.
pub async fn act(
    State(state): State<SharedState>,
    shell: Shell,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    let version = f.version();
    let outcome = if f.get("action") == "send" {
        newsletter::send(
            &state,
            &me.actor,
            id,
            version,
            &base(&state, &headers),
            Utc::now(),
        )
        .await
        .map(|_| state.mail_wake.notify_one())
    } else {
        let intro = f.all("introduction").into_iter().next().unwrap_or_default();
        newsletter::save_introduction(&state, &me.actor, id, version, &intro).await
    };
    let key = match outcome {
        Ok(()) => return Ok(Redirect::to(&format!("/redazione/newsletter/{id}")).into_response()),
        Err(NewsError::Invalid(p)) => p.first().map_or("error-400", |(_, k)| *k),
        Err(NewsError::Refused(k)) => k,
        Err(NewsError::Stale) => "news-error-stale",
        Err(NewsError::Failed(e)) => return Err(e),
    };
    let page = issue_page(&state, shell, &headers, id, Some(key)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
