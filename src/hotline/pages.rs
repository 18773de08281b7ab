//! The hotline desk: log a call while on the phone, follow callers up, coordinate mediators
//! and emergencies, hand over the shift, and report on any period.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::entities::{contact, emergency, interview, mediator_request};
use super::{rules, store};
use crate::identity::session::StaffView;
use crate::platform::access::{Target, authorize};
use crate::platform::policy::{Action, Resource};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

fn staff(shell: &Shell) -> Result<(StaffView, i32), AppError> {
    let s = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = s.actor.organisation_id.ok_or(AppError::Forbidden)?;
    Ok((s, org))
}

/// Whether a comma-separated list of codes holds `code`.
pub fn listed(list: &str, code: &str) -> bool {
    list.split(',').any(|v| v == code)
}

// ---------- the desk ----------

pub struct ContactRow {
    pub id: i32,
    pub at: String,
    pub relevance: String,
    pub caller: String,
    pub province: String,
    pub follow_up: bool,
}

/// The steps of the emergency procedure, each with the local time it was done (if done).
pub type Checklist = Vec<(String, String, Option<String>)>;

/// A step's label: its translation when the network uses a standard step, else its code
/// written as words (steps are configurable, see `hotline.emergency_steps`).
fn step_label(shell: &Shell, code: &str) -> String {
    let key = format!("step-{}", code.replace('_', "-"));
    let label = shell.t(&key);
    if label == key {
        code.replace('_', " ")
    } else {
        label
    }
}

pub struct NoteRow {
    pub at: String,
    pub author: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub now_local: String,
    pub contacts: Vec<ContactRow>,
    pub mediators: Vec<mediator_request::Model>,
    pub emergencies: Vec<(emergency::Model, Checklist)>,
    pub notes: Vec<NoteRow>,
    pub error: Option<String>,
    pub saved: Option<String>,
    /// Organisations that can take a person over, and emergency shelters with free beds.
    pub organisations: Vec<(i32, String)>,
    pub shelters: Vec<(i32, String)>,
    pub interviews: Vec<interview::Model>,
    pub today: String,
    /// Contacts of the last 30 days still waiting to be called back.
    pub call_backs: Vec<ContactRow>,
    /// The work a just-saved call asked for (its outcomes), to start from the call's data.
    pub follow: Option<FollowUp>,
}

/// What a call's outcomes start: the mediator request and the emergency activation forms,
/// filled in from the call (its language, its place, its time) and linked to it.
pub struct FollowUp {
    pub contact_id: i32,
    pub mediator: bool,
    pub emergency: bool,
    pub language: String,
    pub place: String,
    pub needed_local: String,
}

impl FollowUp {
    /// From a saved contact, when its outcomes ask for a mediator or an emergency activation.
    pub fn of(c: &contact::Model) -> Option<FollowUp> {
        let mediator = listed(&c.outcomes, "mediator_request");
        let emergency = listed(&c.outcomes, "emergency_activation");
        if !mediator && !emergency {
            return None;
        }
        let place = match (c.municipality.trim(), c.province.as_deref()) {
            ("", Some(p)) => p.to_owned(),
            (m, Some(p)) => format!("{m} ({p})"),
            (m, None) => m.to_owned(),
        };
        Some(FollowUp {
            contact_id: c.id,
            mediator,
            emergency,
            language: c.language.clone().unwrap_or_default().to_uppercase(),
            place,
            needed_local: crate::platform::time::rome_input(&Utc::now()),
        })
    }
}

async fn desk_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    saved: Option<String>,
) -> Result<DeskPage, AppError> {
    desk_with(state, shell, error, saved, None).await
}

async fn desk_with(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    saved: Option<String>,
    follow: Option<FollowUp>,
) -> Result<DeskPage, AppError> {
    let (_, org) = staff(&shell)?;
    let since = Utc::now() - Duration::hours(24);
    let contacts = store::recent(&state.db, org, since)
        .await?
        .into_iter()
        .map(|c| ContactRow {
            id: c.id,
            at: crate::platform::time::rome_time(&c.started_at),
            relevance: shell.label("relevance", &c.relevance),
            caller: c
                .caller_kind
                .as_deref()
                .map(|k| shell.label("caller", k))
                .unwrap_or_default(),
            province: c.province.unwrap_or_default(),
            follow_up: c.previous_contact_id.is_some(),
        })
        .collect();
    let mut notes = Vec::new();
    for n in store::shift_notes(&state.db, org, 10).await? {
        let author = crate::identity::store::user(&state.db, n.author_id)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        notes.push(NoteRow {
            at: crate::platform::time::rome_time(&n.written_at),
            author,
            text: state
                .keys
                .decrypt_str(store::SHIFT_NOTE, &n.text_enc)
                .map_err(|_| AppError::Internal("shift note cannot be decrypted"))?,
        });
    }
    let emergencies = store::open_emergencies(&state.db, org)
        .await?
        .into_iter()
        .map(|e| store::opened_emergency(&state.keys, e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::Internal("emergency cannot be decrypted"))?
        .into_iter()
        .map(|e| {
            let steps = state
                .config
                .hotline
                .emergency_steps
                .iter()
                .map(|s| (s.clone(), step_label(&shell, s), step_time(&e.steps, s)))
                .collect();
            (e, steps)
        })
        .collect();
    let mut shelters = Vec::new();
    for s in crate::network::store::services(&state.db).await? {
        if s.kind != "emergency_shelter" || !s.active {
            continue;
        }
        let capacity: i32 = crate::network::beds_of(&state.db, s.id)
            .await?
            .iter()
            .map(|b| b.capacity)
            .sum();
        let taken: i32 =
            crate::cases::occupied_beds(&state.db, s.id, crate::platform::time::rome_today())
                .await?
                .iter()
                .map(|(_, n)| n)
                .sum();
        let free = (capacity - taken).max(0);
        shelters.push((
            s.id,
            shell.t1(
                "hotline-shelter-free",
                "name",
                &format!("{} · {}", s.name, free),
            ),
        ));
    }
    let call_backs = store::recent(&state.db, org, Utc::now() - Duration::days(30))
        .await?
        .into_iter()
        .filter(|c| listed(&c.outcomes, "call_back"))
        .map(|c| ContactRow {
            id: c.id,
            at: crate::platform::time::rome_time(&c.started_at),
            relevance: shell.label("relevance", &c.relevance),
            caller: c
                .caller_kind
                .as_deref()
                .map(|k| shell.label("caller", k))
                .unwrap_or_default(),
            province: c.province.unwrap_or_default(),
            follow_up: c.previous_contact_id.is_some(),
        })
        .collect();
    Ok(DeskPage {
        call_backs,
        interviews: store::open_interviews(&state.db, org)
            .await?
            .into_iter()
            .map(|i| store::opened_interview(&state.keys, i))
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::Internal("interview cannot be decrypted"))?,
        today: crate::platform::time::rome_today().to_string(),
        organisations: crate::network::names(&state.db)
            .await?
            .into_iter()
            .collect(),
        shelters,
        now_local: crate::platform::time::rome_input(&Utc::now()),
        contacts,
        mediators: store::pending_mediators(&state.db, org)
            .await?
            .into_iter()
            .map(|m| store::opened_mediator(&state.keys, m))
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::Internal("mediation request cannot be decrypted"))?,
        emergencies,
        notes,
        shell,
        error,
        saved,
        follow,
    })
}

fn step_time(steps: &str, code: &str) -> Option<String> {
    steps
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{code}=")))
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|d| crate::platform::time::rome_time(&d.with_timezone(&Utc)))
                .unwrap_or_default()
        })
}

#[derive(Deserialize, Default)]
pub struct DeskQuery {
    #[serde(default)]
    saved: Option<i32>,
    /// A just-saved contact whose outcomes start work (a mediator, an emergency).
    #[serde(default)]
    work: Option<i32>,
}

pub async fn desk(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<DeskQuery>,
) -> Result<DeskPage, AppError> {
    let saved = q
        .saved
        .map(|id| shell.t1("hotline-saved", "id", &id.to_string()));
    let (_, org) = staff(&shell)?;
    // Only the organisation's own contact starts its work here.
    let mut follow = match q.work {
        Some(id) => store::contact(&state.db, id)
            .await?
            .filter(|c| c.organisation_id == org)
            .as_ref()
            .and_then(FollowUp::of),
        None => None,
    };
    // Work already started from the call is not offered twice.
    if let Some(w) = follow.as_mut() {
        let (mediator, emergency) = store::work_started(&state.db, w.contact_id).await?;
        w.mediator &= !mediator;
        w.emergency &= !emergency;
    }
    let follow = follow.filter(|w| w.mediator || w.emergency);
    desk_with(&state, shell, None, saved, follow).await
}

async fn invalid(state: &SharedState, shell: Shell, key: &str) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        desk_page(state, shell, error, None).await?,
    )
        .into_response())
}

/// `POST /hotline/quick`: a nuisance, silent or not pertinent call in one action.
pub async fn quick(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let relevance = f.get("relevance");
    if relevance != "nuisance" && relevance != "not_pertinent" {
        return invalid(&state, shell, "error-400").await;
    }
    let txn = state.db.begin().await?;
    let c = super::ops::record_contact(
        &state,
        &txn,
        &me.actor,
        super::ops::new_contact(org, me.actor.user_id, &relevance),
        rules::Situation::Unsaid,
        None,
    )
    .await
    .map_err(|_| AppError::Internal("saving a contact"))?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/hotline?saved={}", c.id)).into_response())
}

/// Reads the desk's contact form into the draft the operations check; a time or a duration
/// that cannot be read is refused here.
fn contact_draft(f: &Fields) -> Result<super::ops::ContactDraft, &'static str> {
    let time = |name: &str| match f.opt(name) {
        Some(s) => crate::platform::time::parse_rome_time(&s)
            .map(Some)
            .ok_or("network-error-date"),
        None => Ok(None),
    };
    let duration_minutes = match f.opt("duration") {
        Some(m) => Some(m.parse::<i64>().map_err(|_| "hotline-error-duration")?),
        None => None,
    };
    Ok(super::ops::ContactDraft {
        channel: f.get("channel"),
        relevance: f.get("relevance"),
        caller_kind: f.opt("caller_kind"),
        started_at: time("started_at")?,
        ended_at: time("ended_at")?,
        duration_minutes,
        language: f.opt("language"),
        mediator_used: f.checked("mediator_used"),
        caller_ref: f.opt("caller_ref"),
        phone: f.get("phone"),
        situation: f.opt("situation"),
        follows_contact_id: f.get("follows_contact_id").parse().ok(),
        reasons: f.all("reasons"),
        exploitation_forms: f.all("exploitation_forms"),
        labour_sector: f.opt("labour_sector"),
        province: f.get("province"),
        municipality: f.get("municipality"),
        outcomes: f.all("outcomes"),
        notes: f.get("notes"),
    })
}

/// `POST /hotline/contacts`: a full call, logged from the keyboard while on the phone.
pub async fn create(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let checked = contact_draft(&f)
        .and_then(|d| super::ops::check_contact(&state, &d, org, me.actor.user_id));
    let (model, situation) = match checked {
        Ok(m) => m,
        Err("error-500") => return Err(AppError::Internal("saving a contact")),
        Err(key) => return invalid(&state, shell, key).await,
    };
    let txn = state.db.begin().await?;
    let c = match super::ops::record_contact(&state, &txn, &me.actor, model, situation, None).await
    {
        Ok(c) => c,
        Err(super::ops::HotlineOpError::Failed(e)) => return Err(e),
        Err(e) => {
            // Undone before the desk is drawn again.
            txn.rollback().await?;
            return invalid(&state, shell, e.message_key()).await;
        }
    };
    txn.commit().await?;
    // A call whose outcomes start work opens that work, filled in from the call.
    let next = if FollowUp::of(&c).is_some() {
        format!("/hotline?saved={id}&work={id}#follow-up", id = c.id)
    } else {
        format!("/hotline?saved={}", c.id)
    };
    Ok(Redirect::to(&next).into_response())
}

// ---------- one contact ----------

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/contact.html")]
pub struct ContactPage {
    pub shell: Shell,
    pub c: contact::Model,
    pub at: String,
    pub notes: String,
    pub earlier: Vec<ContactRow>,
    pub error: Option<String>,
}

impl ContactPage {
    /// A fresh idempotency key for the page's accompaniment form.
    pub fn fresh_key(&self) -> String {
        crate::platform::crypto::random_token(18)
    }

    pub fn has_outcome(&self, code: &str) -> bool {
        self.c.outcomes.split(',').any(|o| o == code)
    }
    pub fn list(&self, prefix: &str, codes: &str) -> String {
        codes
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| self.shell.label(prefix, c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn contact_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    action: Action,
    error: Option<String>,
) -> Result<ContactPage, AppError> {
    let (me, _) = staff(&shell)?;
    let c = store::contact(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let resource = Resource {
        owner_organisation_id: c.organisation_id,
        shared_with: Vec::new(),
    };
    let rid = c.id.to_string();
    authorize(
        &state.db,
        &state.keys,
        &me.actor,
        action,
        &resource,
        None,
        Target {
            kind: "hotline_contact",
            id: &rid,
            subject: c.caller_ref.as_deref(),
        },
    )
    .await?;
    let notes = match &c.notes_enc {
        Some(sealed) => state
            .keys
            .decrypt_str(store::NOTES, sealed)
            .map_err(|_| AppError::Internal("notes cannot be decrypted"))?,
        None => String::new(),
    };
    let earlier = store::same_caller(&state.db, &c)
        .await?
        .into_iter()
        .map(|e| ContactRow {
            id: e.id,
            at: crate::platform::time::rome_time(&e.started_at),
            relevance: shell.label("relevance", &e.relevance),
            caller: e
                .caller_kind
                .as_deref()
                .map(|k| shell.label("caller", k))
                .unwrap_or_default(),
            province: e.province.unwrap_or_default(),
            follow_up: e.previous_contact_id.is_some(),
        })
        .collect();
    Ok(ContactPage {
        at: crate::platform::time::rome_time(&c.started_at),
        shell,
        c,
        notes,
        earlier,
        error,
    })
}

pub async fn show(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ContactPage, AppError> {
    contact_page(&state, shell, id, Action::Read, None).await
}

/// `POST /hotline/contacts/{id}`: outcomes and notes, with stale-form detection.
pub async fn update(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let page = contact_page(&state, shell, id, Action::Write, None).await?;
    let me = page.shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let change = super::ops::ContactChange {
        outcomes: f.all("outcomes"),
        notes: f.get("notes"),
        version: f.get("version").parse().unwrap_or(-1),
    };
    let txn = state.db.begin().await?;
    match super::ops::update_contact(&state, &txn, &me.actor, id, &change, None).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/hotline/contacts/{id}")).into_response())
        }
        Err(super::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(super::ops::HotlineOpError::Stale) => {
            txn.rollback().await?;
            let shell = page.shell;
            let error = Some(shell.t("case-error-conflict"));
            let fresh = contact_page(&state, shell, id, Action::Read, error).await?;
            Ok((StatusCode::CONFLICT, fresh).into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(page.shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ContactPage { error, ..page },
            )
                .into_response())
        }
    }
}

/// `POST /hotline/contacts/{id}/accompaniments`: the hotline accompanied the caller to a
/// service. The same record type as the street units' and case workers' accompaniments.
pub async fn add_accompaniment(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let page = contact_page(&state, shell, id, Action::Write, None).await?;
    let me = page.shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let on = f.required_date("happened_on");
    let input = on.map(|on| super::ops::CallAccompaniment {
        happened_on: on,
        service_kind: f.get("service_kind"),
        outcome: f.get("outcome"),
        idempotency_key: f.get("idempotency_key"),
    });
    let txn = state.db.begin().await?;
    let saved = match &input {
        Ok(input) => super::ops::accompany(&state, &txn, &me.actor, &page.c, input)
            .await
            .map_err(|e| match e {
                super::ops::HotlineOpError::Failed(e) => Err(e),
                e => Ok(e.message_key()),
            }),
        Err(k) => Err(Ok(*k)),
    };
    match saved {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/hotline/contacts/{id}")).into_response())
        }
        Err(Err(e)) => Err(e),
        Err(Ok(k)) => {
            let error = Some(page.shell.t(k));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ContactPage { error, ..page },
            )
                .into_response())
        }
    }
}

/// `POST /hotline/contacts/{id}/case`: links the contact to a person's case the operator may
/// see (the case's own access rule decides, and is audited).
pub async fn link_case(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let page = contact_page(&state, shell, id, Action::Write, None).await?;
    let me = page.shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let Ok(case_id) = f.get("case_id").parse::<i32>() else {
        let error = Some(page.shell.t("hotline-error-case"));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ContactPage { error, ..page },
        )
            .into_response());
    };
    let version: i32 = f.get("version").parse().unwrap_or(-1);
    let txn = state.db.begin().await?;
    match super::ops::link_case(&state, &txn, &me.actor, id, version, case_id).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/hotline/contacts/{id}")).into_response())
        }
        Err(super::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(super::ops::HotlineOpError::Stale) => {
            txn.rollback().await?;
            let shell = page.shell;
            let error = Some(shell.t("case-error-conflict"));
            Ok((
                StatusCode::CONFLICT,
                contact_page(&state, shell, id, Action::Read, error).await?,
            )
                .into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(page.shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ContactPage { error, ..page },
            )
                .into_response())
        }
    }
}

// ---------- mediators, emergencies, shift notes ----------

pub async fn request_mediator(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let Some(needed_at) = crate::platform::time::parse_rome_time(&f.get("needed_at")) else {
        return invalid(&state, shell, "network-error-date").await;
    };
    let input = super::ops::MediatorRequest {
        contact_id: f.get("contact_id").parse().ok(),
        language: f.get("language").to_uppercase(),
        needed_at,
        place: f.get("place"),
        requester: f.get("requester"),
    };
    let txn = state.db.begin().await?;
    match super::ops::request_mediator(&state, &txn, &me.actor, org, &input).await {
        Ok(m) => {
            txn.commit().await?;
            Ok(back_to_work(m.contact_id))
        }
        Err(super::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => invalid(&state, shell, e.message_key()).await,
    }
}

pub async fn update_mediator(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let change = super::ops::MediatorChange {
        status: f.get("status"),
        mediator: f.opt("mediator"),
        outcome: f.opt("outcome"),
    };
    let txn = state.db.begin().await?;
    let done = super::ops::change_mediator(&state, &txn, &me.actor, org, id, &change).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}

/// Back to the desk once a desk operation is done, or the desk again with its message.
async fn desk_outcome(
    state: &SharedState,
    shell: Shell,
    txn: sea_orm::DatabaseTransaction,
    done: Result<(), super::ops::HotlineOpError>,
) -> Result<Response, AppError> {
    match done {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to("/hotline").into_response())
        }
        Err(super::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            invalid(state, shell, e.message_key()).await
        }
    }
}

/// Back to the desk, with what the call still asks to start when the work came from a call.
fn back_to_work(contact_id: Option<i32>) -> Response {
    match contact_id {
        Some(id) => Redirect::to(&format!("/hotline?work={id}#follow-up")).into_response(),
        None => Redirect::to("/hotline").into_response(),
    }
}

pub async fn start_emergency(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = super::ops::EmergencyStart {
        contact_id: f.get("contact_id").parse().ok(),
        danger: f.get("danger"),
    };
    let txn = state.db.begin().await?;
    match super::ops::start_emergency(&state, &txn, &me.actor, org, &input).await {
        Ok(e) => {
            txn.commit().await?;
            Ok(back_to_work(e.contact_id))
        }
        Err(super::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => invalid(&state, shell, e.message_key()).await,
    }
}

/// `POST /hotline/emergencies/{id}`: tick a step, or close with the shelter and the body that
/// takes over.
pub async fn update_emergency(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let change = match f.opt("step") {
        Some(step) => super::ops::EmergencyChange::Step(step),
        None => super::ops::EmergencyChange::HandOver {
            service_id: f.get("service_id").parse().ok(),
            handed_over_to: f.get("handed_over_to").parse().ok(),
        },
    };
    let txn = state.db.begin().await?;
    let done = super::ops::change_emergency(&state, &txn, &me.actor, org, id, &change).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}

pub async fn add_shift_note(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let done = super::ops::add_shift_note(&state, &txn, &me.actor, org, &f.get("text")).await;
    desk_outcome(&state, shell, txn, done).await
}

// ---------- the period report ----------

#[derive(Deserialize, Default, Clone)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: i64,
    /// (dimension key, [(value label, count)])
    pub tables: Vec<(&'static str, Vec<(String, i64)>)>,
}

/// The period asked for (by default the last 30 Italian days); a day that is not a date is
/// refused with its message, never replaced by the default.
fn period(q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), AppError> {
    let default = crate::platform::time::Period::last_days(crate::platform::time::rome_today(), 31);
    crate::platform::time::Period::parse(&q.from, &q.to, default)
        .map(|p| (p.from, p.to))
        .map_err(|e| AppError::BadRequest(e.key()))
}

/// Counts the contacts of an organisation in a period along every dimension of the report.
pub async fn build_report(
    state: &SharedState,
    shell: &Shell,
    org: i32,
    q: &PeriodQuery,
) -> Result<Report, AppError> {
    let (from, to) = period(q)?;
    // Italian days: 00:00–24:00 in Rome.
    let (start, end) = crate::platform::time::rome_days(from, to);
    let contacts = store::in_period(&state.db, org, start, end).await?;
    let mut dims: Vec<(&'static str, BTreeMap<String, i64>)> = [
        "relevance",
        "first_or_follow_up",
        "caller",
        "reason",
        "outcome",
        "language",
        "province",
        "exploitation",
        "pertinent_by_month",
    ]
    .into_iter()
    .map(|d| (d, BTreeMap::new()))
    .collect();
    let mut add = |dim: &str, value: String| {
        if let Some((_, m)) = dims.iter_mut().find(|(d, _)| *d == dim) {
            *m.entry(value).or_insert(0) += 1;
        }
    };
    for c in &contacts {
        add("relevance", shell.label("relevance", &c.relevance));
        add(
            "first_or_follow_up",
            shell.t(if c.previous_contact_id.is_some() {
                "hotline-follow-up"
            } else {
                "hotline-first"
            }),
        );
        if let Some(k) = &c.caller_kind {
            add("caller", shell.label("caller", k));
        }
        for r in c.reasons.split(',').filter(|x| !x.is_empty()) {
            add("reason", shell.label("reason", r));
        }
        for o in c.outcomes.split(',').filter(|x| !x.is_empty()) {
            add("outcome", shell.label("outcome", o));
        }
        if let Some(l) = &c.language {
            add("language", l.clone());
        }
        if let Some(p) = &c.province {
            add("province", p.clone());
        }
        for x in c.exploitation_forms.split(',').filter(|x| !x.is_empty()) {
            add("exploitation", shell.label("exploitation", x));
        }
        if c.relevance == "pertinent" {
            add(
                "pertinent_by_month",
                crate::platform::time::rome_date(c.started_at)
                    .format("%Y-%m")
                    .to_string(),
            );
        }
    }
    Ok(Report {
        from,
        to,
        total: i64::try_from(contacts.len()).unwrap_or(i64::MAX),
        tables: dims
            .into_iter()
            .map(|(d, m)| (d, m.into_iter().collect()))
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/report.html")]
pub struct ReportPage {
    pub shell: Shell,
    pub report: Report,
}

pub async fn report(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<ReportPage, AppError> {
    let (_, org) = staff(&shell)?;
    let report = build_report(&state, &shell, org, &q).await?;
    Ok(ReportPage { shell, report })
}

pub async fn report_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (_, org) = staff(&shell)?;
    let report = build_report(&state, &shell, org, &q).await?;
    let mut out = String::from("dimension,value,count\n");
    out.push_str(&format!("total,,{}\n", report.total));
    for (dim, rows) in &report.tables {
        for (value, n) in rows {
            out.push_str(&format!("{dim},\"{}\",{n}\n", value.replace('"', "\"\"")));
        }
    }
    Ok(crate::platform::web::download(
        out,
        "text/csv; charset=utf-8",
        "satis-hotline.csv",
    ))
}

// ---------- identification interviews ----------

/// `POST /hotline/interviews`: an interview requested by a Commission or a CAS.
pub async fn request_interview(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let day = match f.required_date("scheduled_on") {
        Ok(d) => d,
        Err(key) => return invalid(&state, shell, key).await,
    };
    let input = super::ops::InterviewRequest {
        requester: f.get("requester"),
        person_code: f.get("person_code"),
        scheduled_on: day,
        mediator: f.get("mediator"),
    };
    let txn = state.db.begin().await?;
    let done = super::ops::request_interview(&state, &txn, &me.actor, org, &input).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}

/// `POST /hotline/interviews/{id}`: consent, indicators found, outcome, report sent. An outcome
/// or a report needs the person's consent to the interview.
pub async fn record_interview(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let sent = match f.past_date("report_sent_on") {
        Ok(d) => d,
        Err(key) => return invalid(&state, shell, key).await,
    };
    let input = super::ops::InterviewRecord {
        consent: f.checked("consent"),
        indicators: f.all("indicators"),
        outcome: f.get("outcome"),
        report_sent_on: sent,
    };
    let txn = state.db.begin().await?;
    let done = super::ops::record_interview(&state, &txn, &me.actor, org, id, &input).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}
