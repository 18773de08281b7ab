//! The desk's work beside the calls: mediator requests as they go on, emergencies ticked and
//! handed over, shift notes, identification interviews and a call's link to a case. Each
//! operation checks its input, decides the organisation's access, writes and audits in the
//! caller's transaction.

use chrono::{NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, IntoActiveModel, TransactionTrait};

use super::super::entities::{emergency, interview, mediator_request, shift_note};
use super::super::{rules, store};
use super::HotlineOpError;
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Action, Actor};
use crate::platform::web::{AppError, SharedState};

fn invalid(key: &'static str, field: &'static str) -> HotlineOpError {
    HotlineOpError::Invalid { key, field }
}

/// A mediator request moved on: assigned (to a mediator's account, or by name to a mediator
/// without one), done (with its outcome) or cancelled.
#[derive(Clone, Debug, Default)]
pub struct MediatorChange {
    pub status: String,
    /// The mediator's account: the request then reaches her desk.
    pub mediator_user_id: Option<i32>,
    pub mediator: Option<String>,
    pub outcome: Option<String>,
}

/// Moves one of the organisation's mediator requests on, as the rules allow.
pub async fn change_mediator<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    id: i32,
    change: &MediatorChange,
) -> Result<mediator_request::Model, HotlineOpError> {
    let m = store::mediator_request(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.organisation_id != org {
        return Err(AppError::Forbidden.into());
    }
    if !rules::mediator_transition(&m.status, &change.status) {
        return Err(invalid("hotline-error-mediator-status", "status"));
    }
    let named = change
        .mediator
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if named.is_some_and(|n| n.chars().count() > 200) {
        return Err(invalid("error-400", "mediator"));
    }
    let mediator = match change.mediator_user_id {
        Some(account) => {
            let mediators =
                crate::identity::holders_of(&state.db, crate::platform::policy::Role::Mediator)
                    .await?;
            let (_, username) =
                mediators
                    .into_iter()
                    .find(|(id, _)| *id == account)
                    .ok_or(invalid(
                        "hotline-error-mediator-account",
                        "mediator_user_id",
                    ))?;
            Some((Some(account), username))
        }
        None => named.map(|n| (None, n.to_owned())),
    };
    if change.status == "assigned" && mediator.is_none() {
        return Err(invalid("hotline-error-mediator-name", "mediator"));
    }
    store::set_mediator_status(
        txn,
        &state.keys,
        m,
        &change.status,
        mediator,
        change.outcome.clone().filter(|o| !o.trim().is_empty()),
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.mediator.status", "mediator_request")
            .record(id)
            .reason(&change.status),
    )
    .await?;
    store::mediator_request(txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// What is done on an open emergency: a step of the procedure ticked (once), or the hand-over
/// that closes it (to the body that takes over, and the shelter when there is one).
#[derive(Clone, Debug)]
pub enum EmergencyChange {
    Step(String),
    HandOver {
        service_id: Option<i32>,
        handed_over_to: Option<i32>,
    },
}

/// Ticks a step of one of the organisation's open emergencies or hands it over; a shelter with
/// no free bed today is refused.
pub async fn change_emergency<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    id: i32,
    change: &EmergencyChange,
) -> Result<emergency::Model, HotlineOpError> {
    let e = store::emergency(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if e.organisation_id != org {
        return Err(AppError::Forbidden.into());
    }
    if e.closed_at.is_some() {
        return Err(HotlineOpError::Invalid {
            key: "hotline-error-emergency-closed",
            field: "id",
        });
    }
    let mut am = e.clone().into_active_model();
    let what = match change {
        EmergencyChange::Step(step) => {
            if !state.config.hotline.emergency_steps.contains(step) {
                return Err(invalid("error-400", "step"));
            }
            let ticked = e.steps.lines().any(|l| l.starts_with(&format!("{step}=")));
            if !ticked {
                am.steps = Set(format!("{}{step}={}\n", e.steps, Utc::now().to_rfc3339()));
            }
            step.clone()
        }
        EmergencyChange::HandOver {
            service_id,
            handed_over_to,
        } => {
            if handed_over_to.is_none() {
                return Err(invalid("hotline-error-hand-over", "handed_over_to"));
            }
            if let Some(sid) = service_id {
                let capacity: i32 = crate::network::beds_of(&state.db, *sid)
                    .await?
                    .iter()
                    .map(|b| b.capacity)
                    .sum();
                let taken: i32 = crate::cases::occupied_beds(
                    &state.db,
                    *sid,
                    crate::platform::time::rome_today(),
                )
                .await?
                .iter()
                .map(|(_, n)| n)
                .sum();
                if taken >= capacity {
                    return Err(invalid("case-error-shelter-full", "service_id"));
                }
            }
            am.service_id = Set(*service_id);
            am.handed_over_to = Set(*handed_over_to);
            am.closed_at = Set(Some(Utc::now()));
            "closed".to_owned()
        }
    };
    store::save_emergency(txn, am).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.emergency.update", "emergency")
            .record(id)
            .reason(what),
    )
    .await?;
    store::emergency(txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// Leaves a note for the next shift of the organisation (sealed at rest).
pub async fn add_shift_note<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    text: &str,
) -> Result<(), HotlineOpError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(invalid("network-error-required", "text"));
    }
    store::add_shift_note(
        txn,
        shift_note::ActiveModel {
            organisation_id: Set(org),
            author_id: Set(actor.user_id),
            written_at: Set(Utc::now()),
            text_enc: Set(state
                .keys
                .encrypt_str(store::SHIFT_NOTE, text)
                .map_err(|_| AppError::Internal("sealing a note"))?),
            ..Default::default()
        },
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.shift_note", "shift_note"),
    )
    .await?;
    Ok(())
}

/// An identification interview asked for by a territorial commission, a reception centre…
#[derive(Clone, Debug)]
pub struct InterviewRequest {
    /// One of [`rules::INTERVIEW_REQUESTERS`].
    pub requester: String,
    /// The code the requester gives the person (1–40 characters).
    pub person_code: String,
    pub scheduled_on: NaiveDate,
    pub mediator: String,
}

/// Checks an interview request: the first wrong field, with its message key.
pub fn check_interview_request(i: &InterviewRequest) -> Result<(), (&'static str, &'static str)> {
    if !rules::INTERVIEW_REQUESTERS.contains(&i.requester.as_str()) {
        return Err(("error-400", "requester"));
    }
    let code = i.person_code.trim();
    if code.is_empty() || code.chars().count() > 40 {
        return Err(("hotline-error-person-code", "person_code"));
    }
    if i.mediator.chars().count() > 200 {
        return Err(("error-400", "mediator"));
    }
    Ok(())
}

/// Records an identification interview requested of the organisation.
pub async fn request_interview<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    input: &InterviewRequest,
) -> Result<interview::Model, HotlineOpError> {
    check_interview_request(input).map_err(|(key, field)| invalid(key, field))?;
    let i = store::add_interview(
        txn,
        interview::ActiveModel {
            organisation_id: Set(org),
            requester: Set(input.requester.clone()),
            person_code: Set(input.person_code.trim().to_owned()),
            scheduled_on: Set(input.scheduled_on),
            mediator: Set(input.mediator.trim().to_owned()),
            consent: Set(false),
            indicators: Set(String::new()),
            outcome: Set(String::new()),
            report_sent_on: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.interview.request", "interview").record(i.id),
    )
    .await?;
    Ok(i)
}

/// What an interview found: the person's consent, the indicators, the outcome (sealed) and
/// the day the report was sent.
#[derive(Clone, Debug)]
pub struct InterviewRecord {
    pub consent: bool,
    pub indicators: Vec<String>,
    pub outcome: String,
    pub report_sent_on: Option<NaiveDate>,
}

/// Records what an interview of the organisation found. An outcome or a report needs the
/// person's consent to the interview; a report is not sent before the interview.
pub async fn record_interview<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    id: i32,
    input: &InterviewRecord,
) -> Result<interview::Model, HotlineOpError> {
    let i = store::interview(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if i.organisation_id != org {
        return Err(AppError::Forbidden.into());
    }
    let outcome = input.outcome.trim();
    if outcome.chars().count() > 5000 {
        return Err(invalid("error-400", "outcome"));
    }
    if (!outcome.is_empty() || input.report_sent_on.is_some()) && !input.consent {
        return Err(invalid("hotline-error-interview-consent", "consent"));
    }
    if input
        .report_sent_on
        .is_some_and(|s| s < i.scheduled_on || s > crate::platform::time::rome_today())
    {
        return Err(invalid(
            "hotline-error-report-before-interview",
            "report_sent_on",
        ));
    }
    let indicators = super::codes(input.indicators.clone(), rules::INDICATORS)
        .map_err(|key| invalid(key, "indicators"))?;
    let mut am = i.into_active_model();
    am.consent = Set(input.consent);
    am.indicators = Set(indicators);
    am.report_sent_on = Set(input.report_sent_on);
    store::save_interview(txn, &state.keys, am, outcome).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.interview.record", "interview").record(id),
    )
    .await?;
    store::interview(txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// Links a contact (read at `version`, its access decided by the caller) to a person's case
/// the operator may read: the case's own access rule decides, and is audited.
pub async fn link_case<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    contact_id: i32,
    version: i32,
    case_id: i32,
) -> Result<(), HotlineOpError> {
    let (case, _, _) = crate::cases::guard(state, actor, case_id, Action::Read)
        .await
        .map_err(|e| match e {
            AppError::NotFound => invalid("hotline-error-case", "case_id"),
            e => HotlineOpError::Failed(e),
        })?;
    if !store::link_case(txn, contact_id, version, case.id).await? {
        return Err(HotlineOpError::Stale);
    }
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.contact.link_case", "hotline_contact")
            .record(contact_id)
            .reason(format!("case {}", case.id)),
    )
    .await?;
    Ok(())
}

/// A mediation on its mediator's desk: the request with its place unsealed.
pub struct Mediation {
    pub request: mediator_request::Model,
    pub place: String,
    pub outcome: String,
}

/// The mediator's own desk: the requests assigned to her account. The place of each is
/// unsealed for her, and that reading is audited once per look.
pub async fn my_mediations(
    state: &SharedState,
    actor: &Actor,
) -> Result<Vec<Mediation>, HotlineOpError> {
    if !actor.can(crate::platform::policy::Permission::Mediate) {
        return Err(AppError::Forbidden.into());
    }
    let list = store::mediations_of(&state.db, actor.user_id).await?;
    if !list.is_empty() {
        audit::append(
            &state.db,
            &state.keys,
            Entry::new(Some(actor), "hotline.mediator.read", "mediator_request")
                .reason(format!("{} requests", list.len())),
        )
        .await?;
    }
    let mut out = Vec::new();
    for m in list {
        let opened = store::opened_mediator(&state.keys, m.clone())
            .map_err(|_| AppError::Internal("mediation cannot be unsealed"))?;
        out.push(Mediation {
            place: opened.place,
            outcome: opened.outcome,
            request: m,
        });
    }
    Ok(out)
}

/// The mediator records how a mediation assigned to her went: it is done.
pub async fn record_mediation<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    id: i32,
    outcome: &str,
) -> Result<mediator_request::Model, HotlineOpError> {
    let m = store::mediator_request(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !crate::platform::policy::may_record_mediation(actor, m.mediator_user_id) {
        audit::append(
            &state.db,
            &state.keys,
            Entry::new(Some(actor), "hotline.mediator.outcome", "mediator_request")
                .record(id)
                .denied(),
        )
        .await?;
        return Err(AppError::Forbidden.into());
    }
    if !rules::mediator_transition(&m.status, "done") {
        return Err(invalid("hotline-error-mediator-status", "status"));
    }
    let outcome = outcome.trim();
    if outcome.is_empty() {
        return Err(invalid("hotline-error-mediation-outcome", "outcome"));
    }
    if outcome.chars().count() > 2000 {
        return Err(invalid("error-400", "outcome"));
    }
    store::set_mediator_status(txn, &state.keys, m, "done", None, Some(outcome.to_owned())).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "hotline.mediator.outcome", "mediator_request").record(id),
    )
    .await?;
    store::mediator_request(txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interview_request_names_who_asks_and_for_whom() {
        let ok = InterviewRequest {
            requester: "commission_fi".into(),
            person_code: "CTRFI-2026-114".into(),
            scheduled_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            mediator: String::new(),
        };
        assert_eq!(check_interview_request(&ok), Ok(()));
        let nobody = InterviewRequest {
            requester: "journalist".into(),
            ..ok.clone()
        };
        assert_eq!(
            check_interview_request(&nobody).map_err(|e| e.1),
            Err("requester")
        );
        let no_code = InterviewRequest {
            person_code: "  ".into(),
            ..ok
        };
        assert_eq!(
            check_interview_request(&no_code).map_err(|e| e.1),
            Err("person_code")
        );
    }
}
