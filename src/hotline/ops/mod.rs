//! The hotline area's operations, served by the pages and the API: reading a contact into the
//! row to store, requesting a mediator and starting an emergency from a call. Rows are built
//! here and written with their audit entry in one transaction; pages and API only parse.

mod work;

pub use work::*;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::TransactionTrait;

use super::entities::{contact, emergency, mediator_request};
use super::{rules, store};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::Actor;
use crate::platform::web::{AppError, SharedState};

/// A contact with nothing but its organisation, operator and relevance filled in; callers set the rest.
pub fn new_contact(org: i32, operator: i32, relevance: &str) -> contact::ActiveModel {
    contact::ActiveModel {
        organisation_id: Set(org),
        operator_id: Set(operator),
        channel: Set("phone".into()),
        started_at: Set(Utc::now()),
        duration_minutes: Set(0),
        caller_kind: Set(None),
        language: Set(None),
        mediator_used: Set(false),
        relevance: Set(relevance.to_owned()),
        previous_contact_id: Set(None),
        caller_ref: Set(None),
        phone_index: Set(None),
        reasons: Set(String::new()),
        exploitation_forms: Set(String::new()),
        labour_sector: Set(None),
        province: Set(None),
        municipality: Set(String::new()),
        outcomes: Set(String::new()),
        notes_enc: Set(None),
        case_id: Set(None),
        version: Set(1),
        ..Default::default()
    }
}

/// A contact as the desk's form or the API gives it, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct ContactDraft {
    pub channel: String,
    pub relevance: String,
    pub caller_kind: Option<String>,
    /// When the call began; absent, the moment it is recorded (a call logged while on the
    /// phone).
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i64>,
    pub language: Option<String>,
    pub mediator_used: bool,
    pub caller_ref: Option<String>,
    /// The caller's number: never stored, only its blind index (to suggest follow-ups).
    pub phone: String,
    /// `new` or `follow_up`; absent, a known caller's contact follows up their latest.
    pub situation: Option<String>,
    /// The earlier contact of the organisation this one follows up, when the operator names
    /// it (the caller's latest earlier one otherwise).
    pub follows_contact_id: Option<i32>,
    pub reasons: Vec<String>,
    pub exploitation_forms: Vec<String>,
    pub labour_sector: Option<String>,
    pub province: String,
    pub municipality: String,
    pub outcomes: Vec<String>,
    pub notes: String,
}

/// A field of a form and the Fluent key of what is wrong with it.
pub type Problem = (&'static str, &'static str);

/// Who is recording a contact: what the rules may ask of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorder {
    /// The operator on the call, at the desk: a pertinent call is not saved without who
    /// called, why and what was done (the operator can always say; "other" exists for each).
    Desk,
    /// Another system through the API (a transfer from the national hotline, an import of
    /// calls kept elsewhere): it records what it knows, and what it does not know stays
    /// unknown rather than invented.
    Integration,
}

/// A contact may be logged a few minutes ahead of the server's clock (a phone or a PC a little
/// fast), never later than that.
const FUTURE_TOLERANCE_MINUTES: i64 = 5;

/// Every problem of a contact at once, each with its field, in the form's order: the desk
/// shows them all next to their fields, the API answers the first. `now` is the moment of
/// recording.
pub fn contact_problems(d: &ContactDraft, recorder: Recorder, now: DateTime<Utc>) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    if !rules::CHANNELS.contains(&d.channel.as_str()) {
        out.push(("channel", "form-error-choice"));
    }
    if !rules::RELEVANCE.contains(&d.relevance.as_str()) {
        out.push(("relevance", "form-error-choice"));
    }
    if let Some(start) = d.started_at
        && start > now + chrono::Duration::minutes(FUTURE_TOLERANCE_MINUTES)
    {
        out.push(("started_at", "hotline-error-future-start"));
    }
    let start = d.started_at.unwrap_or(now);
    if let Err(key) = rules::duration(start, d.ended_at, d.duration_minutes) {
        out.push(("duration", key));
    }
    let caller_kind = d.caller_kind.as_deref().filter(|k| !k.is_empty());
    let pertinent = d.relevance == "pertinent" && recorder == Recorder::Desk;
    match caller_kind {
        Some(k) if !rules::CALLER_KINDS.contains(&k) => {
            out.push(("caller_kind", "form-error-choice"))
        }
        None if pertinent => out.push(("caller_kind", "hotline-error-caller-kind-needed")),
        _ => {}
    }
    if d.language.as_deref().map(str::trim).is_some_and(|l| {
        !l.is_empty() && (l.len() != 2 || !l.chars().all(|c| c.is_ascii_alphabetic()))
    }) {
        out.push(("language", "case-error-iso"));
    }
    if let Err(key) = crate::network::rules::province(&d.province) {
        out.push(("province", key));
    }
    if rules::Situation::read(d.situation.as_deref().unwrap_or(""), d.follows_contact_id).is_none()
    {
        out.push(("situation", "form-error-choice"));
    }
    if let Err(key) = codes(d.reasons.clone(), rules::REASONS) {
        out.push(("reasons", key));
    } else if pertinent && d.reasons.iter().all(|r| r.trim().is_empty()) {
        out.push(("reasons", "hotline-error-reason-needed"));
    }
    if let Err(key) = codes(
        d.exploitation_forms.clone(),
        crate::cases::rules::EXPLOITATION_FORMS,
    ) {
        out.push(("exploitation_forms", key));
    }
    if d.labour_sector
        .as_deref()
        .is_some_and(|s| !s.is_empty() && !crate::cases::rules::LABOUR_SECTORS.contains(&s))
    {
        out.push(("labour_sector", "form-error-choice"));
    }
    if let Err(key) = codes(d.outcomes.clone(), rules::OUTCOMES) {
        out.push(("outcomes", key));
    } else if pertinent && d.outcomes.iter().all(|o| o.trim().is_empty()) {
        out.push(("outcomes", "hotline-error-outcome-needed"));
    }
    out
}

/// Checks a contact into the row to store with what the operator said of its situation, or
/// every problem found: `unreadable` (fields the form or the API could not even read, e.g. a
/// time that is not one) first, then [`contact_problems`] for the other fields, one per field;
/// `("notes", "error-500")` when the notes cannot be sealed. The desk and the API share it.
pub fn check_contact(
    state: &SharedState,
    d: &ContactDraft,
    unreadable: Vec<Problem>,
    recorder: Recorder,
    org: i32,
    operator: i32,
) -> Result<(contact::ActiveModel, rules::Situation), Vec<Problem>> {
    let mut problems = unreadable;
    for p in contact_problems(d, recorder, Utc::now()) {
        if !problems.iter().any(|(f, _)| *f == p.0) {
            problems.push(p);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    build_contact(state, d, org, operator).map_err(|p| vec![p])
}

/// The row of a contact [`contact_problems`] found nothing wrong with.
fn build_contact(
    state: &SharedState,
    d: &ContactDraft,
    org: i32,
    operator: i32,
) -> Result<(contact::ActiveModel, rules::Situation), Problem> {
    let caller_kind = d.caller_kind.clone().filter(|k| !k.is_empty());
    let started = d.started_at.unwrap_or_else(Utc::now);
    let duration =
        rules::duration(started, d.ended_at, d.duration_minutes).map_err(|k| ("duration", k))?;
    let province = crate::network::rules::province(&d.province).map_err(|k| ("province", k))?;
    let language = d
        .language
        .as_deref()
        .map(|l| l.trim().to_uppercase())
        .filter(|l| !l.is_empty());
    let caller_ref = d
        .caller_ref
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(40).collect::<String>());
    let digits = rules::phone_key(&d.phone);
    let phone_index =
        (!digits.is_empty()).then(|| state.keys.blind_index("hotline.phone", &digits));
    let situation =
        rules::Situation::read(d.situation.as_deref().unwrap_or(""), d.follows_contact_id)
            .ok_or(("situation", "error-400"))?;
    let forms = codes(
        d.exploitation_forms.clone(),
        crate::cases::rules::EXPLOITATION_FORMS,
    )
    .map_err(|k| ("exploitation_forms", k))?;
    let sector = d.labour_sector.clone().filter(|s| !s.is_empty());
    let notes = d.notes.trim();
    let notes_enc = if notes.is_empty() {
        None
    } else {
        Some(
            state
                .keys
                .encrypt_str(store::NOTES, notes)
                .map_err(|_| ("notes", "error-500"))?,
        )
    };
    let mut c = new_contact(org, operator, &d.relevance);
    c.channel = Set(d.channel.clone());
    c.started_at = Set(started);
    c.duration_minutes = Set(duration);
    c.caller_kind = Set(caller_kind);
    c.language = Set(language);
    c.mediator_used = Set(d.mediator_used);
    c.caller_ref = Set(caller_ref);
    c.phone_index = Set(phone_index);
    c.reasons = Set(codes(d.reasons.clone(), rules::REASONS).map_err(|k| ("reasons", k))?);
    c.labour_sector = Set(if crate::platform::codes::contains(&forms, "labour") {
        sector
    } else {
        None
    });
    c.exploitation_forms = Set(forms);
    c.province = Set(province);
    c.municipality = Set(d.municipality.trim().chars().take(100).collect());
    c.outcomes = Set(codes(d.outcomes.clone(), rules::OUTCOMES).map_err(|k| ("outcomes", k))?);
    c.notes_enc = Set(notes_enc);
    Ok((c, situation))
}

/// Records a contact checked by [`check_contact`] (or a quick one from [`new_contact`]) in its
/// situation, with its audit entry, in the caller's transaction. `via` says where it came
/// from when not the desk (e.g. `api`).
pub async fn record_contact<C: sea_orm::ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    model: contact::ActiveModel,
    situation: rules::Situation,
    via: Option<&str>,
) -> Result<contact::Model, HotlineOpError> {
    let c = match store::add_contact(txn, model, situation).await {
        Ok(c) => c,
        Err(store::AddContactError::Db(e)) => return Err(e.into()),
        Err(e) => {
            return Err(HotlineOpError::Invalid {
                key: e.message_key(),
                field: "situation",
            });
        }
    };
    let mut entry =
        Entry::new(Some(actor), "hotline.contact.create", "hotline_contact").record(c.id);
    if let Some(v) = via {
        entry = entry.reason(v);
    }
    audit::append(txn, &state.keys, entry).await?;
    crate::platform::webhooks::emit(
        txn,
        &[c.organisation_id],
        crate::platform::webhooks::Event {
            kind: "contact.recorded",
            record_type: "hotline_contact",
            record_id: c.id,
            at: c.started_at,
        },
    )
    .await?;
    Ok(c)
}

/// A change of a contact's outcomes and notes (both replaced), as read at `version`.
#[derive(Clone, Debug)]
pub struct ContactChange {
    pub outcomes: Vec<String>,
    pub notes: String,
    pub version: i32,
}

/// Changes a contact's outcomes and notes (the notes sealed), refusing a stale version, with
/// its audit entry, in the caller's transaction. The caller has decided the access.
pub async fn update_contact<C: sea_orm::ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    id: i32,
    change: &ContactChange,
    via: Option<&str>,
) -> Result<(), HotlineOpError> {
    let outcomes =
        codes(change.outcomes.clone(), rules::OUTCOMES).map_err(|key| HotlineOpError::Invalid {
            key,
            field: "outcomes",
        })?;
    let notes = change.notes.trim();
    let notes_enc = if notes.is_empty() {
        None
    } else {
        Some(
            state
                .keys
                .encrypt_str(store::NOTES, notes)
                .map_err(|_| AppError::Internal("sealing notes"))?,
        )
    };
    if !store::update_contact(txn, id, change.version, outcomes, notes_enc).await? {
        return Err(HotlineOpError::Stale);
    }
    let mut entry = Entry::new(Some(actor), "hotline.contact.update", "hotline_contact").record(id);
    if let Some(v) = via {
        entry = entry.reason(v);
    }
    audit::append(txn, &state.keys, entry).await?;
    Ok(())
}

/// Checked codes as the comma-separated list a row keeps.
pub fn codes(values: Vec<String>, allowed: &[&str]) -> Result<String, &'static str> {
    crate::cases::rules::codes(&values, allowed).map(|v| v.join(","))
}

/// The organisation's own contact a request is linked to, if one is named; another
/// organisation's contact is refused rather than linked.
async fn own_contact(
    state: &SharedState,
    org: i32,
    id: Option<i32>,
) -> Result<Option<i32>, AppError> {
    let Some(id) = id else {
        return Ok(None);
    };
    match store::contact(&state.db, id).await? {
        Some(c) if c.organisation_id == org => Ok(Some(c.id)),
        _ => Err(AppError::Forbidden),
    }
}

/// A mediator wanted for a language, place and time, as typed on the desk (from a call or not).
#[derive(Clone, Debug)]
pub struct MediatorRequest {
    pub contact_id: Option<i32>,
    pub language: String,
    pub needed_at: DateTime<Utc>,
    pub place: String,
    pub requester: String,
}

/// Checks a mediator request: the first wrong field, with its message key. The language is
/// an ISO 639-1 code (kept in capitals), the place is needed.
pub fn check_mediator_request(m: &MediatorRequest) -> Result<(), (&'static str, &'static str)> {
    if m.language.len() != 2 || !m.language.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(("case-error-iso", "language"));
    }
    if m.place.trim().is_empty() || m.place.chars().count() > 200 {
        return Err(("network-error-required", "place"));
    }
    if m.requester.chars().count() > 200 {
        return Err(("error-400", "requester"));
    }
    Ok(())
}

/// Records a mediator request of the organisation, linked to its call when there is one, in
/// the caller's transaction, with its audit entry.
pub async fn request_mediator<C: sea_orm::ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    input: &MediatorRequest,
) -> Result<mediator_request::Model, HotlineOpError> {
    check_mediator_request(input).map_err(|(key, field)| HotlineOpError::Invalid { key, field })?;
    let contact_id = own_contact(state, org, input.contact_id).await?;
    let m = store::add_mediator_request(
        txn,
        &state.keys,
        mediator_request::ActiveModel {
            organisation_id: Set(org),
            contact_id: Set(contact_id),
            language: Set(input.language.clone()),
            needed_at: Set(input.needed_at),
            requester: Set(input.requester.trim().to_owned()),
            mediator: Set(String::new()),
            status: Set("requested".into()),
            outcome: Set(String::new()),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
        input.place.trim(),
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.mediator.request", "mediator_request").record(m.id),
    )
    .await?;
    Ok(m)
}

/// An emergency activation: the danger as assessed, linked to its call when there is one.
#[derive(Clone, Debug)]
pub struct EmergencyStart {
    pub contact_id: Option<i32>,
    pub danger: String,
}

/// Checks an emergency activation: the danger is described, in at most 2,000 characters.
pub fn check_emergency(e: &EmergencyStart) -> Result<(), (&'static str, &'static str)> {
    if e.danger.trim().is_empty() || e.danger.chars().count() > 2000 {
        return Err(("hotline-error-danger", "danger"));
    }
    Ok(())
}

/// Starts an emergency activation of the organisation, in its queue until handed over: in the
/// caller's transaction, with its audit entry.
pub async fn start_emergency<C: sea_orm::ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    input: &EmergencyStart,
) -> Result<emergency::Model, HotlineOpError> {
    check_emergency(input).map_err(|(key, field)| HotlineOpError::Invalid { key, field })?;
    let contact_id = own_contact(state, org, input.contact_id).await?;
    let e = store::add_emergency(
        txn,
        &state.keys,
        emergency::ActiveModel {
            organisation_id: Set(org),
            contact_id: Set(contact_id),
            started_at: Set(Utc::now()),
            steps: Set(String::new()),
            service_id: Set(None),
            handed_over_to: Set(None),
            closed_at: Set(None),
            ..Default::default()
        },
        input.danger.trim(),
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.emergency.start", "emergency").record(e.id),
    )
    .await?;
    Ok(e)
}

/// Why a hotline operation did not happen.
#[derive(Debug)]
pub enum HotlineOpError {
    /// Someone else changed the record since it was read.
    Stale,
    /// A field is wrong: its message key and the field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    Failed(AppError),
}

impl HotlineOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            HotlineOpError::Stale => "case-error-conflict",
            HotlineOpError::Invalid { key, .. } => key,
            HotlineOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for HotlineOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        HotlineOpError::Failed(e.into())
    }
}

impl From<AppError> for HotlineOpError {
    fn from(e: AppError) -> Self {
        HotlineOpError::Failed(e)
    }
}

/// Loads a contact and decides `action` on it for `actor` through the policy (audited as
/// the policy says); not found when there is none.
pub async fn contact_for(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    action: crate::platform::policy::Action,
) -> Result<contact::Model, AppError> {
    let c = store::contact(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rid = c.id.to_string();
    crate::platform::access::authorize(
        state,
        actor,
        action,
        &crate::platform::policy::Resource {
            owner_organisation_id: c.organisation_id,
            shared_with: Vec::new(),
        },
        None,
        crate::platform::access::Target {
            kind: "hotline_contact",
            id: &rid,
            subject: c.caller_ref.as_deref(),
        },
    )
    .await?;
    Ok(c)
}

/// The hotline accompanied a caller to a service, arranged from a call.
#[derive(Clone, Debug)]
pub struct CallAccompaniment {
    pub happened_on: chrono::NaiveDate,
    /// One of the outreach area's service kinds (`health`, `social`, …).
    pub service_kind: String,
    /// `done`, `missed` or `postponed`.
    pub outcome: String,
    /// Recording it again with this key saves nothing twice.
    pub idempotency_key: String,
}

/// Checks an accompaniment from a call: the first wrong field, with its message key.
pub fn check_accompaniment(
    a: &CallAccompaniment,
    today: chrono::NaiveDate,
) -> Result<(), (&'static str, &'static str)> {
    crate::outreach::rules::check_accompaniment(
        a.happened_on,
        &a.service_kind,
        &a.outcome,
        &a.idempotency_key,
        today,
    )
}

/// Records, in the caller's transaction, that the hotline accompanied the caller of contact
/// `c` (already read with the access decided): the network's one accompaniment record, filed
/// under the contact (so that the same caller accompanied twice is one person in the
/// figures) and its case when it has one; audited when new.
pub async fn accompany<C: sea_orm::ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    c: &contact::Model,
    input: &CallAccompaniment,
) -> Result<crate::outreach::Saved, HotlineOpError> {
    check_accompaniment(input, crate::platform::time::rome_today())
        .map_err(|(key, field)| HotlineOpError::Invalid { key, field })?;
    let saved = crate::outreach::record_accompaniment(
        txn,
        crate::outreach::NewAccompaniment {
            organisation_id: c.organisation_id,
            happened_on: input.happened_on,
            service_kind: input.service_kind.clone(),
            outcome: input.outcome.clone(),
            source: "hotline",
            contact_id: None,
            case_id: c.case_id,
            hotline_contact_id: Some(c.id),
            by_user: actor.user_id,
            idempotency_key: input.idempotency_key.clone(),
        },
    )
    .await?;
    if let crate::outreach::Saved::Created(a) = saved {
        audit::append(
            txn,
            &state.keys,
            Entry::new(Some(actor), "hotline.accompaniment", "accompaniment").record(a),
        )
        .await?;
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> ContactDraft {
        ContactDraft {
            channel: "phone".into(),
            relevance: "pertinent".into(),
            caller_kind: Some("citizen".into()),
            reasons: vec!["information".into()],
            outcomes: vec!["listening".into()],
            ..ContactDraft::default()
        }
    }

    fn fields(p: Vec<Problem>) -> Vec<&'static str> {
        p.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_pertinent_call_at_the_desk_says_who_called_why_and_what_was_done() {
        let now = Utc::now();
        assert!(contact_problems(&call(), Recorder::Desk, now).is_empty());
        let bare = ContactDraft {
            caller_kind: None,
            reasons: vec![],
            outcomes: vec![String::new()],
            ..call()
        };
        assert_eq!(
            contact_problems(&bare, Recorder::Desk, now),
            vec![
                ("caller_kind", "hotline-error-caller-kind-needed"),
                ("reasons", "hotline-error-reason-needed"),
                ("outcomes", "hotline-error-outcome-needed"),
            ]
        );
        // Another system records what it knows; a nuisance call needs none of it.
        assert!(contact_problems(&bare, Recorder::Integration, now).is_empty());
        let nuisance = ContactDraft {
            relevance: "nuisance".into(),
            ..bare
        };
        assert!(contact_problems(&nuisance, Recorder::Desk, now).is_empty());
    }

    #[test]
    fn a_contact_cannot_start_in_the_future_beyond_a_fast_clock() {
        let now = Utc::now();
        let at = |minutes: i64| ContactDraft {
            started_at: Some(now + chrono::Duration::minutes(minutes)),
            ..call()
        };
        assert!(contact_problems(&at(-600), Recorder::Desk, now).is_empty());
        assert!(contact_problems(&at(4), Recorder::Desk, now).is_empty());
        for recorder in [Recorder::Desk, Recorder::Integration] {
            assert_eq!(
                contact_problems(&at(6), recorder, now),
                vec![("started_at", "hotline-error-future-start")]
            );
        }
    }

    #[test]
    fn every_problem_of_a_contact_is_named_at_once_in_the_forms_order() {
        let wrong = ContactDraft {
            channel: "telepathy".into(),
            started_at: Some(Utc::now() + chrono::Duration::days(1)),
            duration_minutes: Some(-3),
            caller_kind: None,
            language: Some("italiano".into()),
            province: "XX".into(),
            exploitation_forms: vec!["piracy".into()],
            outcomes: vec![],
            ..call()
        };
        assert_eq!(
            fields(contact_problems(&wrong, Recorder::Desk, Utc::now())),
            vec![
                "channel",
                "started_at",
                "duration",
                "caller_kind",
                "language",
                "province",
                "exploitation_forms",
                "outcomes"
            ]
        );
    }

    fn ask() -> MediatorRequest {
        MediatorRequest {
            contact_id: None,
            language: "TI".into(),
            needed_at: Utc::now(),
            place: "Questura".into(),
            requester: String::new(),
        }
    }

    #[test]
    fn a_mediator_request_names_its_language_and_place() {
        assert_eq!(check_mediator_request(&ask()), Ok(()));
        for language in ["ti", "TIG", "T1", ""] {
            let bad = MediatorRequest {
                language: language.into(),
                ..ask()
            };
            assert_eq!(
                check_mediator_request(&bad).map_err(|e| e.1),
                Err("language"),
                "{language}"
            );
        }
        let nowhere = MediatorRequest {
            place: "   ".into(),
            ..ask()
        };
        assert_eq!(
            check_mediator_request(&nowhere).map_err(|e| e.1),
            Err("place")
        );
    }

    #[test]
    fn an_emergency_says_what_the_danger_is() {
        let e = |d: &str| EmergencyStart {
            contact_id: None,
            danger: d.into(),
        };
        assert_eq!(check_emergency(&e("minacce del datore")), Ok(()));
        assert!(check_emergency(&e(" ")).is_err());
        assert!(check_emergency(&e(&"x".repeat(2001))).is_err());
    }

    #[test]
    fn an_accompaniment_from_a_call_is_checked() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let a = CallAccompaniment {
            happened_on: day("2026-03-01"),
            service_kind: "health".into(),
            outcome: "done".into(),
            idempotency_key: "call-000001".into(),
        };
        assert_eq!(check_accompaniment(&a, day("2026-03-01")), Ok(()));
        assert_eq!(
            check_accompaniment(&a, day("2026-02-28")).map_err(|e| e.1),
            Err("happened_on")
        );
        let spa = CallAccompaniment {
            service_kind: "spa".into(),
            ..a
        };
        assert_eq!(
            check_accompaniment(&spa, day("2026-03-01")).map_err(|e| e.1),
            Err("service_kind")
        );
    }
}
