//! Outreach pages: the unit's desk, the outing form that works offline on a phone, outings and
//! anonymous contacts, drop-in interviews, accompaniments, and the period report.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::entities::{contact, outing, place};
use super::report::{self, OutreachReport, Scope};
use super::rules;
use super::store::{self, Saved};
use crate::identity::session::StaffView;
use crate::platform::time::rome_time;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

fn staff(shell: &Shell) -> Result<(StaffView, i32), AppError> {
    let s = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = s.actor.organisation_id.ok_or(AppError::Forbidden)?;
    Ok((s, org))
}

fn today() -> NaiveDate {
    crate::platform::time::rome_today()
}

/// A fresh idempotency key for a form rendered by the server (a double submission of the same
/// page is then recognised; the offline outbox gives each queued record its own key).
fn fresh_key() -> String {
    crate::platform::crypto::random_token(18)
}

async fn units(
    state: &SharedState,
    org: i32,
) -> Result<(Vec<crate::network::Service>, Vec<crate::network::Service>), AppError> {
    super::ops::units(state, org).await
}

/// A material's label: its translation for the standard ones, else its code as words.
pub fn material_label(shell: &Shell, code: &str) -> String {
    let key = format!("material-{}", code.replace('_', "-"));
    let label = shell.t(&key);
    if label == key {
        code.replace('_', " ")
    } else {
        label
    }
}

// ---------- the desk ----------

pub struct OutingRow {
    pub id: i32,
    pub at: String,
    pub unit: String,
    pub area: String,
    pub people_met: i32,
}

pub struct InterviewRow {
    pub on: NaiveDate,
    pub desk: String,
    pub code: String,
    pub outcome: String,
}

pub struct AccompanimentRow {
    pub on: NaiveDate,
    pub service: String,
    pub outcome: String,
    pub source: String,
    pub code: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub saved: Option<String>,
    pub outings: Vec<OutingRow>,
    pub interviews: Vec<InterviewRow>,
    pub accompaniments: Vec<AccompanimentRow>,
    pub streets: Vec<crate::network::Service>,
    pub desks: Vec<crate::network::Service>,
    /// (unit name, places)
    pub places: Vec<(String, Vec<place::Model>)>,
    pub today: NaiveDate,
    pub interview_key: String,
    pub accompaniment_key: String,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn desk_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    saved: Option<String>,
) -> Result<DeskPage, AppError> {
    let (_, org) = staff(&shell)?;
    let (streets, desks) = units(state, org).await?;
    let services = crate::network::services_of(&state.db, org).await?;
    let name_of = |id: i32| {
        services
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let outings = store::recent_outings(&state.db, org, 20)
        .await?
        .into_iter()
        .map(|o| OutingRow {
            id: o.id,
            at: rome_time(&o.started_at),
            unit: name_of(o.service_id),
            area: o.area,
            people_met: o.people_met,
        })
        .collect();
    let code_of = |c: Option<contact::Model>| c.map(|c| c.code).unwrap_or_default();
    let mut interviews = Vec::new();
    for i in store::recent_interviews(&state.db, org, 20).await? {
        let c = match i.contact_id {
            Some(id) => store::contact(&state.db, id).await?,
            None => None,
        };
        interviews.push(InterviewRow {
            on: i.held_on,
            desk: name_of(i.service_id),
            code: code_of(c),
            outcome: shell.label("interview-outcome", &i.outcome),
        });
    }
    let mut accompaniments = Vec::new();
    for a in store::recent_accompaniments(&state.db, org, 20).await? {
        let c = match a.contact_id {
            Some(id) => store::contact(&state.db, id).await?,
            None => None,
        };
        accompaniments.push(AccompanimentRow {
            on: a.happened_on,
            service: shell.label("accompaniment-service", &a.service_kind),
            outcome: shell.label("accompaniment-outcome", &a.outcome),
            source: shell.label("accompaniment-source", &a.source),
            code: code_of(c),
        });
    }
    let ids: Vec<i32> = streets.iter().map(|s| s.id).collect();
    let all_places = store::places_of(&state.db, &ids).await?;
    let places = streets
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                all_places
                    .iter()
                    .filter(|p| p.service_id == s.id)
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    Ok(DeskPage {
        shell,
        error,
        saved,
        outings,
        interviews,
        accompaniments,
        streets,
        desks,
        places,
        today: today(),
        interview_key: fresh_key(),
        accompaniment_key: fresh_key(),
    })
}

pub async fn desk(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<SavedQuery>,
) -> Result<DeskPage, AppError> {
    let saved = match q.saved.as_str() {
        "" => None,
        "duplicate" => Some(shell.t("outreach-already-saved")),
        _ => Some(shell.t("outreach-saved")),
    };
    desk_page(&state, shell, None, saved).await
}

async fn invalid(state: &SharedState, shell: Shell, key: &str) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        desk_page(state, shell, error, None).await?,
    )
        .into_response())
}

// ---------- places ----------

/// `POST /outreach/places`: a place a unit visits.
pub async fn add_place(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let service = f.get("service_id").parse().ok();
    let done = super::ops::add_place(&state, &txn, &me.actor, org, service, &f.get("name")).await;
    place_outcome(&state, shell, txn, done.map(|_| ())).await
}

/// Back to the desk once a place is saved, or the desk with the message.
async fn place_outcome(
    state: &SharedState,
    shell: Shell,
    txn: sea_orm::DatabaseTransaction,
    done: Result<(), super::ops::OutreachOpError>,
) -> Result<Response, AppError> {
    match done {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to("/outreach?saved=1").into_response())
        }
        Err(super::ops::OutreachOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            invalid(state, shell, e.message_key()).await
        }
    }
}

/// `POST /outreach/places/{id}`: rename a place or take it off the list (or back on it).
pub async fn update_place(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let done = super::ops::update_place(
        &state,
        &txn,
        &me.actor,
        org,
        id,
        &f.get("name"),
        f.checked("active"),
    )
    .await;
    place_outcome(&state, shell, txn, done).await
}

// ---------- outings ----------

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/outing_new.html")]
pub struct NewOutingPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub streets: Vec<crate::network::Service>,
    /// (place id, "unit — place")
    pub places: Vec<(i32, String)>,
    pub materials: Vec<(String, String)>,
    pub key: String,
    pub now_local: String,
    pub earlier_local: String,
}

async fn new_outing_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<NewOutingPage, AppError> {
    let (_, org) = staff(&shell)?;
    let (streets, _) = units(state, org).await?;
    let ids: Vec<i32> = streets.iter().map(|s| s.id).collect();
    let places = store::places_of(&state.db, &ids)
        .await?
        .into_iter()
        .filter(|p| p.active)
        .map(|p| {
            let unit = streets
                .iter()
                .find(|s| s.id == p.service_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (p.id, format!("{unit} — {}", p.name))
        })
        .collect();
    let materials = state
        .config
        .outreach
        .materials
        .iter()
        .map(|m| (m.clone(), material_label(&shell, m)))
        .collect();
    let now = Utc::now();
    Ok(NewOutingPage {
        shell,
        error,
        streets,
        places,
        materials,
        key: fresh_key(),
        now_local: local_input(now),
        earlier_local: local_input(now - Duration::hours(3)),
    })
}

fn local_input(t: chrono::DateTime<Utc>) -> String {
    crate::platform::time::rome_input(&t)
}

pub async fn new_outing(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<NewOutingPage, AppError> {
    new_outing_page(&state, shell, None).await
}

/// Whether the request comes from the offline outbox (which wants JSON back).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn json_error(shell: &Shell, key: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({"error": key, "message": shell.t(key), "reference": shell.request_id})),
    )
        .into_response()
}

/// Reads an outing form into the draft the area's operations check.
fn read_outing(state: &SharedState, f: &Fields) -> super::ops::OutingDraft {
    let mut tallies: Vec<(&'static str, String, String)> = Vec::new();
    for g in crate::cases::rules::GENDERS {
        tallies.push(("gender", (*g).to_owned(), f.get(&format!("gender_{g}"))));
    }
    for a in rules::AGE_BANDS {
        tallies.push(("age_band", (*a).to_owned(), f.get(&format!("age_{a}"))));
    }
    for s in rules::STATUSES {
        tallies.push(("status", (*s).to_owned(), f.get(&format!("status_{s}"))));
    }
    for (code, n) in f.all("nat_code").into_iter().zip(f.all("nat_count")) {
        let code = code.trim().to_uppercase();
        if code.is_empty() && n.trim().is_empty() {
            continue;
        }
        tallies.push(("nationality", code, n));
    }
    for m in &state.config.outreach.materials {
        tallies.push(("material", m.clone(), f.get(&format!("material_{m}"))));
    }
    for t in rules::TOPICS {
        tallies.push(("topic", (*t).to_owned(), f.get(&format!("topic_{t}"))));
    }
    let flagged = |flags: &str, code: &str| flags.split(',').any(|v| v == code);
    let observations = f
        .all("obs_place")
        .into_iter()
        .zip(f.all("obs_people"))
        .zip(f.all("obs_flags"))
        .zip(f.all("obs_note"))
        .map(
            |(((place, seen), flags), note)| super::ops::ObservationDraft {
                place,
                people_seen: seen,
                new_groups: flagged(&flags, "new_groups"),
                control_signs: flagged(&flags, "control_signs"),
                note,
            },
        )
        .collect();
    super::ops::OutingDraft {
        service_id: f.get("service_id").parse().ok(),
        started: crate::platform::time::parse_rome_time(&f.get("started_at")),
        ended: crate::platform::time::parse_rome_time(&f.get("ended_at")),
        area: f.get("area"),
        places: f.all_ids("places"),
        team: f.get("team"),
        mediators: f.get("mediators"),
        languages: f
            .get("languages")
            .split([',', ' '])
            .map(str::to_owned)
            .collect(),
        people_met: f.get("people_met"),
        tallies,
        codes: rules::split_codes(&f.get("codes")),
        referrals_proposed: f.get("referrals_proposed"),
        accompaniments_proposed: f.get("accompaniments_proposed"),
        notes: f.get("notes"),
        observations,
        idempotency_key: f.get("idempotency_key"),
    }
}

/// `POST /outreach/outings`: an outing, from the form or from the offline outbox (JSON answer).
/// A resend with the same idempotency key is answered as already saved and changes nothing.
pub async fn create_outing(
    State(state): State<SharedState>,
    shell: Shell,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let json = wants_json(&headers);
    let f = Fields::parse(&body);
    let draft = read_outing(&state, &f);
    let new = match super::ops::check_outing(&state, org, me.actor.user_id, &draft).await {
        Ok(n) => n,
        Err(key) if json => return Ok(json_error(&shell, key)),
        Err(key) => {
            let error = Some(shell.t(key));
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                new_outing_page(&state, shell, error).await?,
            )
                .into_response());
        }
    };
    let txn = state.db.begin().await?;
    let saved = super::ops::record_outing(&state, &txn, &me.actor, new, None).await?;
    txn.commit().await?;
    let status = match saved {
        Saved::Created(_) => "saved",
        Saved::AlreadySaved(_) => "duplicate",
    };
    if json {
        let code = match saved {
            Saved::Created(_) => StatusCode::CREATED,
            Saved::AlreadySaved(_) => StatusCode::OK,
        };
        return Ok((
            code,
            Json(serde_json::json!({"status": status, "id": saved.id()})),
        )
            .into_response());
    }
    Ok(Redirect::to(&format!("/outreach/outings/{}?saved={status}", saved.id())).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/outing.html")]
pub struct OutingPage {
    pub shell: Shell,
    pub saved: Option<String>,
    pub outing: outing::Model,
    pub unit: String,
    pub started: String,
    pub ended: String,
    pub places: Vec<String>,
    /// (dimension, [(label, count)])
    pub tallies: Vec<(&'static str, Vec<(String, i32)>)>,
    /// (contact id, code, first met on this outing)
    pub contacts: Vec<(i32, String, bool)>,
    /// (place, people seen, new groups, signs of control, note)
    pub observations: Vec<(String, i32, bool, bool, String)>,
    pub notes: String,
}

/// An outing of the actor's own organisation (others' outings are not theirs to read).
async fn own_outing(state: &SharedState, org: i32, id: i32) -> Result<outing::Model, AppError> {
    let o = store::outing(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if o.organisation_id != org {
        return Err(AppError::Forbidden);
    }
    Ok(o)
}

pub async fn show_outing(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    Query(q): Query<SavedQuery>,
) -> Result<OutingPage, AppError> {
    let (_, org) = staff(&shell)?;
    let o = own_outing(&state, org, id).await?;
    let unit = crate::network::service(&state.db, o.service_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let place_ids = [o.service_id];
    let unit_places = store::places_of(&state.db, &place_ids).await?;
    let place_name = |id: i32| {
        unit_places
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let places = o
        .places
        .split(',')
        .filter_map(|p| p.parse().ok())
        .map(place_name)
        .collect();
    let mut by_dim: BTreeMap<&'static str, Vec<(String, i32)>> = BTreeMap::new();
    for c in store::counts_of(&state.db, &[o.id]).await? {
        let Some(dim) = [
            "gender",
            "age_band",
            "status",
            "nationality",
            "material",
            "topic",
        ]
        .into_iter()
        .find(|d| *d == c.dimension) else {
            continue;
        };
        let label = match dim {
            "gender" => shell.label("gender", &c.value),
            "age_band" => shell.label("age", &c.value),
            "status" => shell.label("outreach-status", &c.value),
            "material" => material_label(&shell, &c.value),
            "topic" => shell.label("topic", &c.value),
            _ => c.value.clone(),
        };
        by_dim.entry(dim).or_default().push((label, c.count));
    }
    let tallies = [
        "gender",
        "age_band",
        "status",
        "nationality",
        "material",
        "topic",
    ]
    .into_iter()
    .map(|d| (d, by_dim.remove(d).unwrap_or_default()))
    .collect();
    let encounters = store::encounters_of_outings(&state.db, &[o.id]).await?;
    let ids: Vec<i32> = encounters.iter().map(|e| e.contact_id).collect();
    let contacts = store::contacts(&state.db, &ids)
        .await?
        .into_iter()
        .map(|c| {
            let first = encounters
                .iter()
                .any(|e| e.contact_id == c.id && e.new_contact);
            (c.id, c.code, first)
        })
        .collect();
    let mut observations = Vec::new();
    for ob in store::observations_of(&state.db, o.id).await? {
        let note = match &ob.note_enc {
            Some(n) => state
                .keys
                .decrypt_str(store::OBSERVATION_NOTE, n)
                .map_err(|_| AppError::Internal("observation note cannot be decrypted"))?,
            None => String::new(),
        };
        observations.push((
            place_name(ob.place_id),
            ob.people_seen,
            ob.new_groups,
            ob.control_signs,
            note,
        ));
    }
    let notes = match &o.notes_enc {
        Some(n) => state
            .keys
            .decrypt_str(store::OUTING_NOTES, n)
            .map_err(|_| AppError::Internal("outing notes cannot be decrypted"))?,
        None => String::new(),
    };
    let saved = match q.saved.as_str() {
        "" => None,
        "duplicate" => Some(shell.t("outreach-already-saved")),
        _ => Some(shell.t("outreach-saved")),
    };
    Ok(OutingPage {
        saved,
        unit,
        started: rome_time(&o.started_at),
        ended: rome_time(&o.ended_at),
        places,
        tallies,
        contacts,
        observations,
        notes,
        outing: o,
        shell,
    })
}

// ---------- anonymous contacts ----------

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/contact.html")]
pub struct ContactPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub contact: contact::Model,
    /// (outing id, when, first met)
    pub outings: Vec<(i32, String, bool)>,
    pub interviews: Vec<InterviewRow>,
    /// The linked case's person code, when linked.
    pub linked: Option<(i32, String)>,
}

async fn own_contact(state: &SharedState, org: i32, id: i32) -> Result<contact::Model, AppError> {
    let c = store::contact(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.organisation_id != org {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

async fn contact_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
) -> Result<ContactPage, AppError> {
    let (_, org) = staff(&shell)?;
    let c = own_contact(state, org, id).await?;
    let mut outings = Vec::new();
    for e in store::encounters_of_contact(&state.db, c.id).await? {
        if let Some(o) = store::outing(&state.db, e.outing_id).await? {
            outings.push((o.id, rome_time(&o.started_at), e.new_contact));
        }
    }
    let interviews = store::interviews_of_contact(&state.db, c.id)
        .await?
        .into_iter()
        .map(|i| InterviewRow {
            on: i.held_on,
            desk: String::new(),
            code: c.code.clone(),
            outcome: shell.label("interview-outcome", &i.outcome),
        })
        .collect();
    let linked = match c.case_id {
        Some(case_id) => crate::cases::person_code_of(&state.db, case_id)
            .await?
            .map(|code| (case_id, code)),
        None => None,
    };
    Ok(ContactPage {
        shell,
        error,
        contact: c,
        outings,
        interviews,
        linked,
    })
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// `GET /outreach/contacts?code=…`: finds one of the unit's anonymous contacts by its code.
pub async fn find_contact(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    let (_, org) = staff(&shell)?;
    let found = match rules::contact_code(&q.code) {
        Ok(code) => store::contact_by_code(&state.db, org, &code).await?,
        Err(_) => None,
    };
    match found {
        Some(c) => Ok(Redirect::to(&format!("/outreach/contacts/{}", c.id)).into_response()),
        None => invalid(&state, shell, "outreach-error-no-contact").await,
    }
}

pub async fn show_contact(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ContactPage, AppError> {
    contact_page(&state, shell, id, None).await
}

/// `POST /outreach/contacts/{id}/link`: the person behind an anonymous code now has a case (by
/// the person's code). The case must be one the actor may write to; the link is audited.
pub async fn link_contact(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    match super::ops::link_contact(&state, &txn, &me.actor, org, id, &f.get("person_code")).await {
        Ok(_) => txn.commit().await?,
        Err(super::ops::OutreachOpError::Failed(e)) => return Err(e),
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                contact_page(&state, shell, id, error).await?,
            )
                .into_response());
        }
    }
    Ok(Redirect::to(&format!("/outreach/contacts/{id}")).into_response())
}

// ---------- drop-in interviews and accompaniments ----------

/// Reads a drop-in interview's form into the draft the area's operations check. Nothing is
/// written: an anonymous code the unit has not used yet becomes a contact only when the
/// interview is saved, so a refused form leaves nothing behind.
fn read_interview(f: &Fields) -> Result<super::ops::InterviewDraft, &'static str> {
    Ok(super::ops::InterviewDraft {
        service_id: f.get("service_id").parse().ok(),
        held_on: f.required_date("held_on")?,
        itinerant: f.checked("itinerant"),
        contact_code: f.opt("contact_code"),
        person_code: f.opt("person_code"),
        mediator: f.get("mediator"),
        language: f.opt("language"),
        topics: f.all("topics"),
        outcome: f.get("outcome"),
        idempotency_key: f.get("idempotency_key"),
    })
}

/// `POST /outreach/interviews`: an interview at a drop-in desk, with an anonymous code or with
/// a person the organisation has a case for.
pub async fn create_interview(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let checked = match read_interview(&f) {
        Ok(draft) => super::ops::check_interview(&state, org, me.actor.user_id, &draft).await,
        Err(k) => Err(k),
    };
    let new = match checked {
        Ok(n) => n,
        Err(k) => return invalid(&state, shell, k).await,
    };
    let txn = state.db.begin().await?;
    let saved = super::ops::record_interview(&state, &txn, &me.actor, new, None).await?;
    txn.commit().await?;
    Ok(match saved {
        Saved::Created(_) => Redirect::to("/outreach?saved=1"),
        Saved::AlreadySaved(_) => Redirect::to("/outreach?saved=duplicate"),
    }
    .into_response())
}

/// `POST /outreach/accompaniments`: a person accompanied to a service.
pub async fn create_accompaniment(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let on = match f.required_date("happened_on") {
        Ok(d) => d,
        Err(k) => return invalid(&state, shell, k).await,
    };
    let input = super::ops::UnitAccompaniment {
        happened_on: on,
        service_kind: f.get("service_kind"),
        outcome: f.get("outcome"),
        source: f.get("source"),
        contact_code: f.opt("contact_code"),
        idempotency_key: f.get("idempotency_key"),
    };
    let txn = state.db.begin().await?;
    let saved = super::ops::accompany(&state, &txn, &me.actor, org, &input).await;
    match saved {
        Ok(saved) => {
            txn.commit().await?;
            Ok(match saved {
                Saved::Created(_) => Redirect::to("/outreach?saved=1"),
                Saved::AlreadySaved(_) => Redirect::to("/outreach?saved=duplicate"),
            }
            .into_response())
        }
        Err(super::ops::OutreachOpError::Failed(e)) => Err(e),
        Err(e) => invalid(&state, shell, e.message_key()).await,
    }
}

// ---------- the report ----------

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    province: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/report.html")]
pub struct ReportPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub report: OutreachReport,
    pub units: Vec<crate::network::Service>,
    pub unit: Option<i32>,
    pub province: String,
    /// (dimension, [(label, count)])
    pub tables: Vec<(&'static str, Vec<(String, i64)>)>,
    pub query: String,
}

/// Reads the period and scope: an unknown unit or province, or a period ending before it
/// starts, is an error (the key).
async fn report_request(
    state: &SharedState,
    q: &ReportQuery,
) -> Result<(NaiveDate, NaiveDate, Scope), &'static str> {
    let t = today();
    let (from, to) =
        crate::platform::web::form::period(&q.from, &q.to, t - Duration::days(180), t)?;
    let province = crate::network::rules::province(&q.province)?;
    let unit = if q.unit.trim().is_empty() {
        None
    } else {
        let id: i32 = q.unit.trim().parse().map_err(|_| "outreach-error-unit")?;
        let known = crate::network::service(&state.db, id)
            .await
            .map_err(|_| "error-500")?
            .is_some_and(|s| matches!(s.kind.as_str(), "street_unit" | "drop_in"));
        if !known {
            return Err("outreach-error-unit");
        }
        Some(id)
    };
    Ok((from, to, Scope { unit, province }))
}

fn label_for(shell: &Shell, dim: &str, value: &str) -> String {
    match dim {
        "gender" => shell.label("gender", value),
        "age_band" => shell.label("age", value),
        "material" => material_label(shell, value),
        "topic" | "interview_topic" => shell.label("topic", value),
        "interview_outcome" => shell.label("interview-outcome", value),
        "accompaniment_service" => shell.label("accompaniment-service", value),
        "accompaniment_outcome" => shell.label("accompaniment-outcome", value),
        "accompaniment_source" => shell.label("accompaniment-source", value),
        _ => value.to_owned(),
    }
}

pub async fn report(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let units: Vec<crate::network::Service> = crate::network::services(&state.db)
        .await?
        .into_iter()
        .filter(|s| matches!(s.kind.as_str(), "street_unit" | "drop_in"))
        .collect();
    let (status, error, from, to, scope) = match report_request(&state, &q).await {
        Ok((from, to, scope)) => (StatusCode::OK, None, from, to, scope),
        Err(key) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(shell.t(key)),
            today() - Duration::days(180),
            today(),
            Scope::default(),
        ),
    };
    let r = report::load(&state.db, from, to, &scope).await?;
    let tables = report::DIMENSIONS
        .iter()
        .map(|d| {
            (
                *d,
                r.breakdown
                    .iter()
                    .filter(|((dim, _), _)| dim == d)
                    .map(|((_, v), n)| (label_for(&shell, d, v), *n))
                    .collect(),
            )
        })
        .collect();
    let query = format!(
        "from={}&to={}&unit={}&province={}",
        r.from,
        r.to,
        scope.unit.map(|u| u.to_string()).unwrap_or_default(),
        scope.province.clone().unwrap_or_default()
    );
    Ok((
        status,
        ReportPage {
            shell,
            error,
            report: r,
            units,
            unit: scope.unit,
            province: scope.province.unwrap_or_default(),
            tables,
            query,
        },
    )
        .into_response())
}

/// The report as CSV (codes, not labels, so that it can be re-used).
pub fn to_csv(r: &OutreachReport) -> String {
    let mut out = format!(
        "# from {} to {}\nfigure,dimension,value,count\n",
        r.from, r.to
    );
    for (k, v) in [
        ("outings", r.outings),
        ("people_met", r.people_met),
        ("new_people", r.new_people),
        ("known_people", r.known_people),
        ("individual_contacts", r.individual_contacts),
        ("new_individual_contacts", r.new_individual_contacts),
        ("referrals_proposed", r.referrals_proposed),
        ("accompaniments_proposed", r.accompaniments_proposed),
        ("interviews", r.interviews),
        ("accompaniments", r.accompaniments),
    ] {
        out.push_str(&format!("{k},total,,{v}\n"));
    }
    for ((d, v), n) in &r.breakdown {
        out.push_str(&format!(
            "breakdown,{d},\"{}\",{n}\n",
            v.replace('"', "\"\"")
        ));
    }
    out
}

pub async fn report_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let (from, to, scope) = match report_request(&state, &q).await {
        Ok(v) => v,
        Err(key) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, shell.t(key)).into_response());
        }
    };
    let r = report::load(&state.db, from, to, &scope).await?;
    Ok(crate::platform::web::download(
        to_csv(&r),
        "text/csv; charset=utf-8",
        "satis-outreach.csv",
    ))
}

// ---------- offline ----------

/// `GET /outreach/sw.js`: the service worker that keeps the outing form available offline.
/// Served from `/outreach/` so that its scope is the outreach pages only.
pub async fn service_worker() -> Response {
    let mut r = include_str!("../../static/outreach-sw.js").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}
