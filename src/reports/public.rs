//! The public side of Segnala: the form, the receipt, the follow-up with the receipt. No login,
//! no client address, no user agent, nothing that identifies the reporter unless they write it.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::entities::report;
use super::lang::PublicLang;
use super::store;
use crate::identity::session::CsrfToken;
use crate::platform::config::Hotline;
use crate::platform::crypto;
use crate::platform::web::client::PublicClient;
use crate::platform::web::form::Fields;
use crate::platform::web::shell::cookie;
use crate::platform::web::{AppError, RequestCtx, SharedState};

pub const LANG_COOKIE: &str = "satis_plang";

/// What a public page needs: its language (with direction), nonce, form token, hotline numbers.
#[derive(Clone)]
pub struct PublicShell {
    pub lang: PublicLang,
    pub nonce: String,
    pub csrf: String,
    pub hotline: Hotline,
    /// The instance holds demonstration data: the page says so, as staff pages do.
    pub demo: bool,
    /// Set when the language was chosen by the switch: remembered in a cookie (nothing else).
    remember: bool,
}

impl PublicShell {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    pub fn emergency(&self) -> String {
        self.lang
            .t2(
                "segnala-emergency",
                ("regional", &self.hotline.regional),
                ("national", &self.hotline.national),
            )
            .unwrap_or_else(|| "112".to_owned())
    }
    pub fn langs(&self) -> Vec<PublicLang> {
        PublicLang::ALL.to_vec()
    }
}

impl FromRequestParts<SharedState> for PublicShell {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let query_lang = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| PublicLang::from_code(&v))
        });
        let lang = query_lang
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|c| PublicLang::from_code(&c)))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(PublicLang::from_accept_language)
            })
            .unwrap_or(PublicLang::It);
        let ctx = parts.extensions.get::<RequestCtx>();
        Ok(PublicShell {
            lang,
            nonce: ctx.map(|c| c.nonce.clone()).unwrap_or_default(),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            hotline: state.config.hotline.clone(),
            demo: state.demo,
            remember: query_lang.is_some(),
        })
    }
}

fn respond(shell: &PublicShell, status: StatusCode, page: impl IntoResponse) -> Response {
    let mut r = (status, page).into_response();
    if shell.remember
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/segnala; Max-Age=31536000; SameSite=Strict; HttpOnly",
            shell.lang.code()
        ))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The throttle key of the ceiling of stamped reports.
const STAMPED: &str = "stamped";

pub const KINDS: &[&str] = &["sexual", "labour", "begging", "crime", "marriage", "other"];
pub const URGENCY: &[&str] = &["now", "days", "unknown"];
pub const MINORS: &[&str] = &["yes", "no", "unknown"];

#[derive(Template, WebTemplate)]
#[template(path = "reports/templates/form.html")]
pub struct FormPage {
    pub shell: PublicShell,
    pub error: Option<String>,
    pub submission: String,
    pub values: Vec<(String, String)>,
}

impl FormPage {
    pub fn value(&self, name: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }
}

/// `GET /segnala`.
pub async fn form(shell: PublicShell) -> Response {
    let page = FormPage {
        error: None,
        submission: crypto::random_token(24),
        values: Vec::new(),
        shell: shell.clone(),
    };
    respond(&shell, StatusCode::OK, page)
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/templates/receipt.html")]
pub struct ReceiptPage {
    pub shell: PublicShell,
    pub receipt: String,
}

const MAX_TEXT: usize = 5000;

pub use super::ops::ReportForm;

/// Checks the public form's fields (a plain function: unit-tested and fuzzed). The error is the
/// message key and the status to answer with; nothing is stored on an error.
pub fn read_report(f: &Fields) -> Result<ReportForm, (&'static str, StatusCode)> {
    let submission = f.get("submission");
    if submission.len() < 16 || submission.len() > 64 {
        return Err(("segnala-error-form", StatusCode::BAD_REQUEST));
    }
    let what = f.get("what");
    if what.chars().count() < 10 {
        return Err(("segnala-error-what", StatusCode::UNPROCESSABLE_ENTITY));
    }
    let texts = ["what", "place", "since", "gender", "contact"];
    if texts.iter().any(|k| f.get(k).chars().count() > MAX_TEXT) {
        return Err(("segnala-error-too-long", StatusCode::UNPROCESSABLE_ENTITY));
    }
    let anonymous = f.get("anonymous") != "no";
    let contact = f.get("contact");
    if !anonymous && contact.is_empty() {
        return Err(("segnala-error-contact", StatusCode::UNPROCESSABLE_ENTITY));
    }
    let people = match f.get("people") {
        p if p.is_empty() => None,
        p => match p.parse::<i32>() {
            Ok(n) if (1..=999).contains(&n) => Some(n),
            _ => return Err(("segnala-error-people", StatusCode::UNPROCESSABLE_ENTITY)),
        },
    };
    let kinds: Vec<String> = f
        .all("kinds")
        .into_iter()
        .filter(|k| KINDS.contains(&k.as_str()))
        .collect();
    let urgency = Some(f.get("urgency"))
        .filter(|u| URGENCY.contains(&u.as_str()))
        .unwrap_or_else(|| "unknown".into());
    let minors = Some(f.get("minors"))
        .filter(|u| MINORS.contains(&u.as_str()))
        .unwrap_or_else(|| "unknown".into());
    let province = crate::network::rules::province(&f.get("province"))
        .ok()
        .flatten();
    Ok(ReportForm {
        submission,
        what,
        anonymous,
        contact,
        people,
        kinds,
        urgency,
        minors,
        province,
    })
}

/// `POST /segnala`.
pub async fn submit(
    State(state): State<SharedState>,
    client: PublicClient,
    shell: PublicShell,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    let values = f.values();
    let again = |shell: PublicShell, key: &str, status: StatusCode| {
        let error = Some(shell.t(key));
        let submission = f.get("submission");
        respond(
            &shell,
            status,
            FormPage {
                error,
                submission,
                values: values.clone(),
                shell: shell.clone(),
            },
        )
    };
    // A filled honeypot is a robot: answer as if received, store nothing.
    if !f.get("website").is_empty() {
        let receipt = store::new_receipt();
        return Ok(respond(
            &shell,
            StatusCode::OK,
            ReceiptPage {
                receipt,
                shell: shell.clone(),
            },
        ));
    }
    let r = match read_report(&f) {
        Ok(c) => c,
        Err((key, status)) => return Ok(again(shell, key, status)),
    };
    let submission_hash = crypto::sha256_hex(r.submission.as_bytes());
    if store::by_submission(&state.db, &submission_hash)
        .await?
        .is_some()
    {
        return Ok(again(shell, "segnala-error-replay", StatusCode::CONFLICT));
    }
    // A stamped report (proof of work, see pow.rs) is held only to the ceiling of stamped
    // reports; any other to its own client's throttle, so one abuser slows only themselves.
    let stamped = super::pow::valid(&r.submission, &f.get("pow"), super::pow::BITS)
        && state
            .stamped_throttle
            .check(&state.db, STAMPED)
            .await
            .is_ok();
    if stamped {
        state.stamped_throttle.fail(&state.db, STAMPED).await;
    } else {
        let key = format!("submit:{}", client.0);
        if state.public_throttle.check(&state.db, &key).await.is_err() {
            state.metrics.throttled("public_form");
            return Ok(again(
                shell,
                "segnala-error-busy",
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
        state.public_throttle.fail(&state.db, &key).await;
    }
    let extra = super::ops::Details {
        place: f.get("place"),
        since: f.get("since"),
        gender: f.get("gender"),
    };
    let readers = super::readers(&state).await?;
    let receipt = match super::ops::submit(
        &state.db,
        &state.keys,
        &r,
        &extra,
        shell.lang.code(),
        &readers,
    )
    .await?
    {
        super::ops::Submitted::Stored { receipt } => receipt,
        super::ops::Submitted::Replay => {
            return Ok(again(shell, "segnala-error-replay", StatusCode::CONFLICT));
        }
    };
    Ok(respond(
        &shell,
        StatusCode::OK,
        ReceiptPage {
            receipt,
            shell: shell.clone(),
        },
    ))
}

// ---------- coming back with the receipt ----------

pub struct ThreadMessage {
    pub mine: bool,
    pub text: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/templates/thread.html")]
pub struct ThreadPage {
    pub shell: PublicShell,
    pub receipt: String,
    pub what: String,
    pub messages: Vec<ThreadMessage>,
    pub has_reply: bool,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/templates/follow.html")]
pub struct FollowPage {
    pub shell: PublicShell,
    pub error: Option<String>,
}

pub async fn follow_form(shell: PublicShell) -> Response {
    let s = shell.clone();
    respond(&s, StatusCode::OK, FollowPage { shell, error: None })
}

/// Finds the report a receipt opens, spending the same work whether or not it exists, and
/// throttling the guesses of each client (by its keyed client key only: a guesser slows
/// themselves down, never the holder of a valid receipt elsewhere).
async fn open_by_receipt(
    state: &SharedState,
    client: &PublicClient,
    raw: &str,
) -> Result<Option<report::Model>, AppError> {
    let key = format!("receipt:{}", client.0);
    if state.public_throttle.check(&state.db, &key).await.is_err() {
        state.metrics.throttled("receipt");
        return Err(AppError::TooManyAttempts);
    }
    let Some(receipt) = store::normalise_receipt(raw) else {
        state.public_throttle.fail(&state.db, &key).await;
        return Ok(None);
    };
    let lookup = store::lookup_of(&receipt).to_owned();
    let candidates = store::candidates(&state.db, &lookup).await?;
    let mut found = None;
    if candidates.is_empty() {
        crypto::verify_password_async(receipt.clone(), None).await;
    }
    for c in candidates {
        if crypto::verify_password_async(receipt.clone(), Some(c.receipt_hash.clone())).await {
            found = Some(c);
            break;
        }
    }
    if found.is_none() {
        state.public_throttle.fail(&state.db, &key).await;
    }
    Ok(found)
}

async fn thread_page(
    state: &SharedState,
    shell: PublicShell,
    r: &report::Model,
    receipt: String,
    error: Option<String>,
) -> Result<ThreadPage, AppError> {
    let open = |ctx: &str, v: &Option<Vec<u8>>| store::open_text(&state.keys, ctx, v);
    let mut messages = Vec::new();
    for m in store::messages(&state.db, r.id).await? {
        messages.push(ThreadMessage {
            mine: m.from_reporter,
            text: open(store::MESSAGE, &m.text_enc)?,
            at: crate::platform::time::rome_date(m.at).to_string(),
        });
    }
    Ok(ThreadPage {
        what: open(store::WHAT, &r.what_enc)?,
        has_reply: messages.iter().any(|m| !m.mine),
        shell,
        receipt,
        messages,
        error,
    })
}

/// `POST /segnala/ricevuta`: the receipt opens the thread (never in a URL, never logged).
pub async fn follow(
    State(state): State<SharedState>,
    client: PublicClient,
    shell: PublicShell,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    let raw = f.get("receipt");
    match open_by_receipt(&state, &client, &raw).await {
        Ok(Some(r)) => {
            let receipt = store::normalise_receipt(&raw).unwrap_or_default();
            let s = shell.clone();
            Ok(respond(
                &s,
                StatusCode::OK,
                thread_page(&state, shell, &r, receipt, None).await?,
            ))
        }
        Ok(None) => {
            let error = Some(shell.t("segnala-error-receipt"));
            let s = shell.clone();
            Ok(respond(
                &s,
                StatusCode::UNAUTHORIZED,
                FollowPage { shell, error },
            ))
        }
        Err(AppError::TooManyAttempts) => {
            let error = Some(shell.t("segnala-error-busy"));
            let s = shell.clone();
            Ok(respond(
                &s,
                StatusCode::TOO_MANY_REQUESTS,
                FollowPage { shell, error },
            ))
        }
        Err(e) => Err(e),
    }
}

/// `POST /segnala/aggiungi`: the reporter adds information.
pub async fn add_info(
    State(state): State<SharedState>,
    client: PublicClient,
    shell: PublicShell,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    let raw = f.get("receipt");
    let Some(r) = open_by_receipt(&state, &client, &raw).await.ok().flatten() else {
        let error = Some(shell.t("segnala-error-receipt"));
        let s = shell.clone();
        return Ok(respond(
            &s,
            StatusCode::UNAUTHORIZED,
            FollowPage { shell, error },
        ));
    };
    let receipt = store::normalise_receipt(&raw).unwrap_or_default();
    let text = f.get("text");
    if text.chars().count() < 2 || text.chars().count() > MAX_TEXT {
        let key = if text.chars().count() > MAX_TEXT {
            "segnala-error-too-long"
        } else {
            "segnala-error-what"
        };
        let error = Some(shell.t(key));
        let s = shell.clone();
        return Ok(respond(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            thread_page(&state, shell, &r, receipt, error).await?,
        ));
    }
    super::ops::add_reporter_message(&state.db, &state.keys, r.id, &text).await?;
    let s = shell.clone();
    Ok(respond(
        &s,
        StatusCode::OK,
        thread_page(&state, shell, &r, receipt, None).await?,
    ))
}
