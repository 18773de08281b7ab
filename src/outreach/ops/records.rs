//! Outings and drop-in interviews as typed drafts (what a form or a phone sends), checked
//! into the records the area keeps, then written with their audit entry in the caller's
//! transaction. The unit's pages and the API both fill a draft and call these.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::super::entities::interview;
use super::super::rules::{self, OutingInput};
use super::super::store::{self, Saved};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::Actor;
use crate::platform::web::{AppError, SharedState};

/// The organisation's active street units and drop-in desks.
pub async fn units(
    state: &SharedState,
    org: i32,
) -> Result<(Vec<crate::network::Service>, Vec<crate::network::Service>), AppError> {
    let all = crate::network::services_of(&state.db, org).await?;
    let (streets, desks) = all
        .into_iter()
        .filter(|s| s.active)
        .filter(|s| matches!(s.kind.as_str(), "street_unit" | "drop_in"))
        .partition(|s| s.kind == "street_unit");
    Ok((streets, desks))
}

/// What the unit saw at one place, as typed (counts still as typed).
#[derive(Clone, Debug, Default)]
pub struct ObservationDraft {
    pub place: String,
    pub people_seen: String,
    pub new_groups: bool,
    pub control_signs: bool,
    pub note: String,
}

/// An outing as a form or a phone sends it, before it is checked. Counts are kept as typed so
/// that the rules can say which one is not a number.
#[derive(Clone, Debug, Default)]
pub struct OutingDraft {
    pub service_id: Option<i32>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub area: String,
    pub places: Vec<i32>,
    pub team: String,
    pub mediators: String,
    /// ISO 639-1 codes as typed.
    pub languages: Vec<String>,
    pub people_met: String,
    /// (dimension, code, count as typed): gender, age band, status, nationality, material,
    /// topic.
    pub tallies: Vec<(&'static str, String, String)>,
    pub codes: Vec<String>,
    pub referrals_proposed: String,
    pub accompaniments_proposed: String,
    pub notes: String,
    pub observations: Vec<ObservationDraft>,
    pub idempotency_key: String,
}

fn clip(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// Checks an outing of the organisation's own street unit into what is kept (notes sealed),
/// or the Fluent key of the first thing wrong (what the API answers). See [`outing_problems`].
pub async fn check_outing(
    state: &SharedState,
    org: i32,
    user: i32,
    d: &OutingDraft,
) -> Result<store::NewOuting, &'static str> {
    outing_problems(state, org, user, d)
        .await
        .map_err(|p| p.first().map_or("error-400", |(_, key)| *key))
}

/// Checks an outing of the organisation's own street unit into what is kept (notes sealed),
/// or every problem as (form element, Fluent key) in the form's order: what the unit's page
/// lists and shows beside each part of the form.
pub async fn outing_problems(
    state: &SharedState,
    org: i32,
    user: i32,
    d: &OutingDraft,
) -> Result<store::NewOuting, Vec<(&'static str, &'static str)>> {
    let mut problems = rules::Problems::default();
    let (streets, _) = units(state, org).await.map_err(broken("service_id"))?;
    let unit = d
        .service_id
        .and_then(|id| streets.iter().find(|s| s.id == id));
    let unit_places = match unit {
        Some(unit) => store::places_of(&state.db, &[unit.id])
            .await
            .map_err(broken("places"))?,
        None => {
            problems.push("service_id", "outreach-error-unit");
            Vec::new()
        }
    };
    if unit.is_some()
        && d.places
            .iter()
            .any(|p| !unit_places.iter().any(|u| u.id == *p))
    {
        problems.push("places", "outreach-error-place");
    }
    let key = rules::idempotency_key(&d.idempotency_key)
        .map_err(|k| problems.push("idempotency_key", k))
        .unwrap_or_default();
    // A record of what happened: it cannot end later than now (a few minutes of grace for a
    // phone's clock).
    if d.ended
        .is_some_and(|e| e > Utc::now() + chrono::Duration::minutes(5))
    {
        problems.push("ended_at", "outreach-error-future");
    }
    let checked = rules::outing_problems(
        &OutingInput {
            started: d.started,
            ended: d.ended,
            people_met: d.people_met.clone(),
            tallies: d.tallies.clone(),
            codes: d.codes.clone(),
        },
        &mut problems,
    );
    let mut languages = Vec::new();
    for l in &d.languages {
        let l = l.trim().to_uppercase();
        if l.is_empty() {
            continue;
        }
        if l.len() != 2 || !l.chars().all(|c| c.is_ascii_alphabetic()) {
            problems.push("languages", "case-error-iso");
        } else if !languages.contains(&l) {
            languages.push(l);
        }
    }
    let referrals_proposed = rules::count(&d.referrals_proposed)
        .map_err(|k| problems.push("referrals_proposed", k))
        .unwrap_or_default();
    let accompaniments_proposed = rules::count(&d.accompaniments_proposed)
        .map_err(|k| problems.push("accompaniments_proposed", k))
        .unwrap_or_default();
    let mut observations = Vec::new();
    for o in &d.observations {
        if o.place.trim().is_empty() {
            continue;
        }
        let place = o
            .place
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|place| unit.is_none() || unit_places.iter().any(|u| u.id == *place));
        let people_seen = rules::count(&o.people_seen);
        let (Some(place), Ok(people_seen)) = (place, people_seen) else {
            problems.push(
                "observations",
                people_seen.err().unwrap_or("outreach-error-place"),
            );
            continue;
        };
        let note = clip(&o.note, 2000);
        let note_enc = if note.is_empty() {
            None
        } else {
            Some(
                state
                    .keys
                    .encrypt_str(store::OBSERVATION_NOTE, &note)
                    .map_err(broken("observations"))?,
            )
        };
        observations.push(store::NewObservation {
            place_id: place,
            people_seen,
            new_groups: o.new_groups,
            control_signs: o.control_signs,
            note_enc,
        });
    }
    let (Some(unit), Some(checked)) = (unit, checked) else {
        return Err(problems.in_form_order());
    };
    if !problems.is_empty() {
        return Err(problems.in_form_order());
    }
    let notes = clip(&d.notes, 20_000);
    let notes_enc = if notes.is_empty() {
        None
    } else {
        Some(
            state
                .keys
                .encrypt_str(store::OUTING_NOTES, &notes)
                .map_err(broken("notes"))?,
        )
    };
    Ok(store::NewOuting {
        organisation_id: org,
        service_id: unit.id,
        area: clip(&d.area, 200),
        places: d.places.clone(),
        team: clip(&d.team, 300),
        mediators: clip(&d.mediators, 300),
        languages,
        referrals_proposed,
        accompaniments_proposed,
        notes_enc,
        idempotency_key: key,
        created_by: user,
        checked,
        observations,
    })
}

/// A failure of the server itself while checking a form, put beside the part being checked.
fn broken<E>(field: &'static str) -> impl FnOnce(E) -> Vec<(&'static str, &'static str)> {
    move |_| vec![(field, "error-500")]
}

/// Saves a checked outing once per key, audited when new (`via` says where it came from when
/// not the unit's pages).
pub async fn record_outing<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    new: store::NewOuting,
    via: Option<&str>,
) -> Result<Saved, AppError> {
    let saved = store::save_outing(txn, new).await?;
    if let Saved::Created(id) = saved {
        let mut entry = Entry::new(Some(actor), "outreach.outing", "outing").record(id);
        if let Some(v) = via {
            entry = entry.reason(v);
        }
        audit::append(txn, &state.keys, entry).await?;
    }
    Ok(saved)
}

/// A drop-in interview as a form or a phone sends it, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct InterviewDraft {
    pub service_id: Option<i32>,
    pub held_on: NaiveDate,
    pub itinerant: bool,
    pub contact_code: Option<String>,
    /// The pseudonymous code of a person the organisation follows.
    pub person_code: Option<String>,
    pub mediator: String,
    pub language: Option<String>,
    pub topics: Vec<String>,
    pub outcome: String,
    pub idempotency_key: String,
}

/// The case of the person with this code that the organisation follows (or shares), if any.
async fn case_of_person(state: &SharedState, org: i32, raw: &str) -> Result<Option<i32>, AppError> {
    let code = raw.trim().to_uppercase();
    Ok(crate::cases::followed_case_of_person(&state.db, org, &code).await?)
}

/// Checks an interview at one of the organisation's desks into what is kept, or the Fluent key
/// of the first thing wrong (what the API answers). See [`interview_problems`].
pub async fn check_interview(
    state: &SharedState,
    org: i32,
    user: i32,
    d: &InterviewDraft,
) -> Result<store::NewInterview, &'static str> {
    interview_problems(state, org, user, d)
        .await
        .map_err(|p| p.first().map_or("error-400", |(_, key)| *key))
}

/// Checks an interview at one of the organisation's desks into what is kept, or every problem
/// as (field, Fluent key), in form order (what the desk's page shows beside each field). A
/// person's code files it under their case (the caller decides the access to that case); an
/// anonymous code already linked to a case brings the case with it.
pub async fn interview_problems(
    state: &SharedState,
    org: i32,
    user: i32,
    d: &InterviewDraft,
) -> Result<store::NewInterview, Vec<(&'static str, &'static str)>> {
    let mut problems = Vec::new();
    let (_, desks) = units(state, org)
        .await
        .map_err(|_| vec![("service_id", "error-500")])?;
    let desk = d
        .service_id
        .and_then(|id| desks.iter().find(|s| s.id == id));
    if desk.is_none() {
        problems.push(("service_id", "outreach-error-desk"));
    }
    let today = crate::platform::time::rome_today();
    if d.held_on > today {
        problems.push(("held_on", "outreach-error-future"));
    } else if !crate::platform::time::date_in_range(d.held_on, false, today) {
        problems.push(("held_on", "error-date-held-on"));
    }
    let contact_code = match d.contact_code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(raw) => rules::contact_code(raw)
            .map_err(|k| problems.push(("contact_code", k)))
            .ok(),
        None => None,
    };
    let case = match d.person_code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => match case_of_person(state, org, code).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => {
                problems.push(("person_code", "outreach-error-person"));
                None
            }
            Err(_) => return Err(vec![("person_code", "error-500")]),
        },
        None => None,
    };
    let language = d
        .language
        .as_deref()
        .map(|l| l.trim().to_uppercase())
        .filter(|l| !l.is_empty());
    if language
        .as_deref()
        .is_some_and(|l| l.len() != 2 || !l.chars().all(|c| c.is_ascii_alphabetic()))
    {
        problems.push(("language", "case-error-iso"));
    }
    if !rules::INTERVIEW_OUTCOMES.contains(&d.outcome.as_str()) {
        problems.push(("outcome", "error-400"));
    }
    let topics = crate::cases::rules::codes(&d.topics, rules::DESK_TOPICS)
        .map_err(|k| problems.push(("topics", k)))
        .unwrap_or_default();
    let key = rules::idempotency_key(&d.idempotency_key)
        .map_err(|k| problems.push(("idempotency_key", k)))
        .unwrap_or_default();
    let Some(desk) = desk.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let contact_case = match &contact_code {
        Some(code) => store::contact_by_code(&state.db, org, code)
            .await
            .map_err(|_| vec![("contact_code", "error-500")])?
            .and_then(|c| c.case_id),
        None => None,
    };
    Ok(store::NewInterview {
        row: interview::ActiveModel {
            organisation_id: Set(org),
            service_id: Set(desk.id),
            held_on: Set(d.held_on),
            itinerant: Set(d.itinerant || desk.itinerant),
            case_id: Set(case.or(contact_case)),
            contact_id: Set(None),
            operator_id: Set(user),
            mediator: Set(clip(&d.mediator, 200)),
            language: Set(language),
            topics: Set(crate::platform::codes::join(&topics)),
            outcome: Set(d.outcome.clone()),
            idempotency_key: Set(key.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
        organisation_id: org,
        key,
        contact_code,
    })
}

/// Saves a checked interview once per key, audited when new. An interview filed under a case
/// needs the right to write on it (decided and audited by the cases area).
pub async fn record_interview<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    new: store::NewInterview,
    via: Option<&str>,
) -> Result<Saved, AppError> {
    if let Some(case_id) = new.case_id() {
        crate::cases::guard(
            state,
            actor,
            case_id,
            crate::platform::policy::Action::Write,
        )
        .await?;
    }
    let saved = store::save_interview(txn, new).await?;
    if let Saved::Created(id) = saved {
        let mut entry =
            Entry::new(Some(actor), "outreach.interview", "drop_in_interview").record(id);
        if let Some(v) = via {
            entry = entry.reason(v);
        }
        audit::append(txn, &state.keys, entry).await?;
    }
    Ok(saved)
}

/// Links one of the organisation's anonymous contacts to the case of the person with this
/// pseudonymous code (a case the organisation follows; the access to it is decided and
/// audited by the cases area). A contact is linked once.
pub async fn link_contact<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    contact_id: i32,
    person_code: &str,
) -> Result<i32, super::OutreachOpError> {
    use super::OutreachOpError as E;
    let c = store::contact(&state.db, contact_id)
        .await?
        .ok_or(E::Failed(AppError::NotFound))?;
    if c.organisation_id != org {
        return Err(E::Failed(AppError::Forbidden));
    }
    if c.case_id.is_some() {
        return Err(E::Invalid {
            key: "outreach-error-already-linked",
            field: "person_code",
        });
    }
    let code = person_code.trim().to_uppercase();
    let case_id = crate::cases::followed_case_of_person(&state.db, org, &code)
        .await?
        .ok_or(E::Invalid {
            key: "outreach-error-person",
            field: "person_code",
        })?;
    crate::cases::guard(
        state,
        actor,
        case_id,
        crate::platform::policy::Action::Write,
    )
    .await
    .map_err(E::Failed)?;
    store::link_contact(txn, c, case_id, actor.user_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "outreach.contact_link", "outreach_contact")
            .record(contact_id)
            .subject(&code),
    )
    .await?;
    Ok(case_id)
}

/// Adds a place one of the organisation's street units visits.
pub async fn add_place<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    service_id: Option<i32>,
    name: &str,
) -> Result<i32, super::OutreachOpError> {
    use super::OutreachOpError as E;
    let (streets, _) = units(state, org).await.map_err(E::Failed)?;
    let unit = service_id
        .and_then(|id| streets.iter().find(|s| s.id == id))
        .ok_or(E::Invalid {
            key: "outreach-error-unit",
            field: "service_id",
        })?;
    let name = clip(name, 120);
    if name.is_empty() {
        return Err(E::Invalid {
            key: "network-error-required",
            field: "name",
        });
    }
    let p = store::add_place(txn, unit.id, &name).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "outreach.place_add", "outreach_place").record(p.id),
    )
    .await?;
    Ok(p.id)
}

/// Renames a place of one of the organisation's units, or takes it off the list (or back on).
pub async fn update_place<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    id: i32,
    name: &str,
    active: bool,
) -> Result<(), super::OutreachOpError> {
    use super::OutreachOpError as E;
    let current = store::place(&state.db, id)
        .await?
        .ok_or(E::Failed(AppError::NotFound))?;
    let (streets, _) = units(state, org).await.map_err(E::Failed)?;
    if !streets.iter().any(|s| s.id == current.service_id) {
        return Err(E::Failed(AppError::Forbidden));
    }
    let name = clip(name, 120);
    if name.is_empty() {
        return Err(E::Invalid {
            key: "network-error-required",
            field: "name",
        });
    }
    store::update_place(txn, current, &name, active).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "outreach.place_update", "outreach_place").record(id),
    )
    .await?;
    Ok(())
}
