//! The cases area's operations: one function per user action, served alike by the pages and
//! the API. Each decides access through the policy (audited), validates through `rules`,
//! writes and appends its audit entry in one transaction, and answers with a typed result or
//! a [`CaseOpError`]; neither pages nor API build rows or write.

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::entities;
use super::rules::{self, Phase};
use super::store::{self, CaseError};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Action, Actor, Permission};
use crate::platform::web::{AppError, SharedState};

/// Why an operation on a case did not happen.
#[derive(Debug)]
pub enum CaseOpError {
    /// Refused or not found, as the access decision said (already audited).
    Access(AppError),
    /// Someone else changed the case since it was read.
    Stale,
    /// The move is not allowed from here (a phase skipped, a closed case…).
    NotAllowed(&'static str),
    /// A field is wrong: its message key and the field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    /// People already recorded who may be the same person: confirm before opening another.
    PossibleDuplicates(Vec<(String, i32)>),
    Failed(AppError),
}

impl CaseOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            CaseOpError::Stale => "case-error-conflict",
            CaseOpError::NotAllowed(k) | CaseOpError::Invalid { key: k, .. } => k,
            CaseOpError::PossibleDuplicates(_) => "cases-duplicates-title",
            CaseOpError::Access(_) | CaseOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for CaseOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        CaseOpError::Failed(e.into())
    }
}

impl From<CaseError> for CaseOpError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Conflict => CaseOpError::Stale,
            CaseError::Db(e) => e.into(),
            CaseError::Crypto(_) => CaseOpError::Failed(AppError::Internal("case crypto")),
        }
    }
}

/// A move to another phase, as typed on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct PhaseChange {
    pub to: Phase,
    pub reason: Option<String>,
    /// The Italian day it took effect (entered, never stamped).
    pub effective_on: NaiveDate,
    /// The version of the case the person saw.
    pub version: i32,
}

/// Moves a case to another phase from the day it took effect. Returns the case and the person
/// as they are afterwards.
pub async fn change_phase(
    state: &SharedState,
    actor: &Actor,
    case_id: i32,
    change: &PhaseChange,
) -> Result<(entities::case::Model, entities::person::Model), CaseOpError> {
    let (c, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if change.version != c.version {
        return Err(CaseOpError::Stale);
    }
    let from = Phase::from_code(&c.phase).unwrap_or(Phase::Emersion);
    let reason = change.reason.as_deref().filter(|r| !r.is_empty());
    rules::transition(from, change.to, reason)
        .map_err(|e| CaseOpError::NotAllowed(e.message_key()))?;
    let history = store::phases(&state.db, c.id).await?;
    let day = |ph: &entities::phase_change::Model| {
        ph.effective_on
            .unwrap_or_else(|| crate::platform::time::rome_date(ph.at))
    };
    rules::effective_date(
        change.effective_on,
        history.first().map(day),
        history.iter().map(day).max(),
        crate::platform::time::rome_today(),
    )
    .map_err(|key| CaseOpError::Invalid {
        key,
        field: "effective_on",
    })?;
    let txn = state.db.begin().await?;
    let written = store::change_phase(
        &txn,
        &c,
        change.to,
        reason,
        change.effective_on,
        actor.user_id,
        change.version,
    )
    .await;
    if let Err(e) = written {
        // Undone before anything is drawn again (drawing a case audits the reading).
        txn.rollback().await?;
        return Err(e.into());
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "case.phase", "case")
            .record(case_id)
            .subject(&p.code)
            .reason(format!(
                "{} → {} effective {}",
                from.code(),
                change.to.code(),
                change.effective_on
            )),
    )
    .await?;
    crate::platform::webhooks::emit(
        &txn,
        &[c.owner_org],
        crate::platform::webhooks::Event {
            kind: "case.phase_changed",
            record_type: "case",
            record_id: case_id,
            at: chrono::Utc::now(),
        },
    )
    .await?;
    txn.commit().await?;
    let c = store::case(&state.db, case_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    Ok((c, p))
}

/// Ends a stay in a shelter on the day it ended (entered): from then the bed is free. Sent
/// again with the same day it changes nothing; a stay that already ended on another day is
/// refused (its end is part of the history the figures count).
pub async fn end_placement(
    state: &SharedState,
    actor: &Actor,
    placement_id: i32,
    ended_on: NaiveDate,
) -> Result<entities::placement::Model, CaseOpError> {
    let pl = store::placement_by_id(&state.db, placement_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    let (_, p, _) = super::guard(state, actor, pl.case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if let Some(until) = pl.until {
        return if until == ended_on {
            Ok(pl)
        } else {
            Err(CaseOpError::NotAllowed("case-error-placement-ended"))
        };
    }
    let today = crate::platform::time::rome_today();
    if ended_on < pl.since || ended_on > today {
        return Err(CaseOpError::Invalid {
            key: "case-error-placement-end",
            field: "until",
        });
    }
    let txn = state.db.begin().await?;
    if !store::end_placement(&txn, placement_id, ended_on).await? {
        // Ended by someone else between the read and this write.
        return Err(CaseOpError::Stale);
    }
    store::touch(&txn, pl.case_id).await?;
    // Emergency reception counts the person's stay until the day it ended.
    crate::stats::refresh_people(&txn, [p.id]).await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "case.placement_end", "case")
            .record(pl.case_id)
            .subject(&p.code)
            .reason(format!("ended {ended_on}")),
    )
    .await?;
    txn.commit().await?;
    Ok(entities::placement::Model {
        until: Some(ended_on),
        ..pl
    })
}

/// Records that a consent was withdrawn on a day (entered): from that day it no longer allows
/// what it allowed. Sent again with the same day it changes nothing; a consent already
/// withdrawn on another day is refused.
pub async fn withdraw_consent(
    state: &SharedState,
    actor: &Actor,
    consent_id: i32,
    withdrawn_on: NaiveDate,
) -> Result<entities::consent::Model, CaseOpError> {
    let k = store::consent_by_id(&state.db, consent_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    let (_, p, _) = super::guard(state, actor, k.case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if let Some(on) = k.withdrawn_on {
        return if on == withdrawn_on {
            Ok(k)
        } else {
            Err(CaseOpError::NotAllowed(
                "case-error-consent-already-withdrawn",
            ))
        };
    }
    if withdrawn_on < k.given_on || withdrawn_on > crate::platform::time::rome_today() {
        return Err(CaseOpError::Invalid {
            key: "case-error-consent-withdrawn",
            field: "withdrawn_on",
        });
    }
    let txn = state.db.begin().await?;
    if !store::withdraw_consent(&txn, consent_id, withdrawn_on).await? {
        return Err(CaseOpError::Stale);
    }
    store::touch(&txn, k.case_id).await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "case.consent_withdrawn", "case")
            .record(k.case_id)
            .subject(&p.code)
            .reason(format!("{} withdrawn {withdrawn_on}", k.purpose)),
    )
    .await?;
    txn.commit().await?;
    Ok(entities::consent::Model {
        withdrawn_on: Some(withdrawn_on),
        ..k
    })
}

/// A consent the person gave, as typed on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct NewConsent {
    /// One of [`rules::CONSENT_PURPOSES`].
    pub purpose: String,
    /// The organisation it names (needed for `sharing`).
    pub organisation_id: Option<i32>,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

/// Checks a consent through the rules: the first wrong field, with its message key.
pub fn check_consent(k: &NewConsent, today: NaiveDate) -> Result<(), (&'static str, &'static str)> {
    if !rules::CONSENT_PURPOSES.contains(&k.purpose.as_str()) {
        return Err(("error-400", "purpose"));
    }
    if k.purpose == "sharing" && k.organisation_id.is_none() {
        return Err(("case-error-consent-org", "organisation_id"));
    }
    if !crate::platform::time::date_in_range(k.given_on, false, today) {
        return Err(("error-date-given-on", "given_on"));
    }
    if k.expires_on
        .is_some_and(|e| !crate::platform::time::date_in_range(e, true, today))
    {
        return Err(("error-date-expires-on", "expires_on"));
    }
    if k.expires_on.is_some_and(|e| e < k.given_on) {
        return Err(("case-error-consent-dates", "expires_on"));
    }
    Ok(())
}

/// Records a consent on a case. A consent to share or transfer (it discloses the person to
/// another body) needs the permission to disclose; a refusal is audited.
pub async fn add_consent<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    input: &NewConsent,
) -> Result<entities::consent::Model, CaseOpError> {
    let (_, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if rules::consent_discloses(&input.purpose) && !actor.can(Permission::Disclose) {
        audit::append(
            &state.db,
            &state.keys,
            Entry::new(Some(actor), "case.consent", "case")
                .record(case_id)
                .subject(&p.code)
                .reason(&input.purpose)
                .denied(),
        )
        .await?;
        return Err(CaseOpError::Access(AppError::Forbidden));
    }
    check_consent(input, crate::platform::time::rome_today())
        .map_err(|(key, field)| CaseOpError::Invalid { key, field })?;
    let k = store::add_consent(
        txn,
        case_id,
        &input.purpose,
        input.organisation_id,
        input.given_on,
        input.expires_on,
    )
    .await?;
    store::touch(txn, case_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.consent", "case")
            .record(case_id)
            .subject(&p.code)
            .reason(&input.purpose),
    )
    .await?;
    Ok(k)
}

/// Shares a case with another organisation of the network: only the owner may, and only with
/// the person's consent in force naming that organisation. Sharing twice changes nothing.
pub async fn share<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    organisation_id: i32,
) -> Result<(), CaseOpError> {
    let (c, p, basis) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    if basis != crate::platform::policy::Basis::Owner {
        return Err(CaseOpError::Access(AppError::Forbidden));
    }
    if organisation_id == c.owner_org
        || crate::network::organisation(&state.db, organisation_id)
            .await?
            .is_none()
    {
        return Err(CaseOpError::Invalid {
            key: "admin-error-org",
            field: "organisation_id",
        });
    }
    let consents = store::consents(&state.db, case_id).await?;
    let today = crate::platform::time::rome_today();
    if !store::consent_in_force(&consents, "sharing", Some(organisation_id), today) {
        return Err(CaseOpError::NotAllowed("case-error-no-consent"));
    }
    store::share(txn, case_id, organisation_id).await?;
    store::touch(txn, case_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.share", "case")
            .record(case_id)
            .subject(&p.code)
            .reason(format!("organisation {organisation_id}")),
    )
    .await?;
    Ok(())
}

/// What the worker assessed of a person's situation, as typed on the page or sent to the API.
#[derive(Clone, Debug, Default)]
pub struct AssessmentInput {
    /// One of [`rules::TRAFFICKING_STATUSES`], when assessed.
    pub trafficking_status: Option<String>,
    pub exploitation_forms: Vec<String>,
    /// Kept only for labour exploitation.
    pub labour_sector: Option<String>,
    pub means_of_control: Vec<String>,
    pub recruitment: Vec<String>,
    /// Sealed at rest (up to 1,000 characters).
    pub route: String,
    /// ISO 3166 alpha-2 codes.
    pub transit_countries: Vec<String>,
    /// Sealed at rest (up to 1,000 characters).
    pub places: String,
    /// One of [`rules::PERMIT_KINDS`]: the legal path foreseen.
    pub legal_path: Option<String>,
}

/// Checks an assessment through the rules into what the case keeps, or the first wrong field
/// with its message key.
pub fn check_assessment(
    a: &AssessmentInput,
) -> Result<store::Assessment, (&'static str, &'static str)> {
    let one_of = |v: &Option<String>, allowed: &[&str], field: &'static str| match v
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(s) if !allowed.contains(&s) => Err(("error-400", field)),
        other => Ok(other.map(str::to_owned)),
    };
    let status = one_of(
        &a.trafficking_status,
        rules::TRAFFICKING_STATUSES,
        "trafficking_status",
    )?;
    let sector = one_of(&a.labour_sector, rules::LABOUR_SECTORS, "labour_sector")?;
    let legal = one_of(&a.legal_path, rules::PERMIT_KINDS, "legal_path")?;
    let forms = rules::codes(&a.exploitation_forms, rules::EXPLOITATION_FORMS)
        .map_err(|k| (k, "exploitation_forms"))?;
    let text = |v: &str, field: &'static str| {
        if v.chars().count() > 1000 {
            Err(("error-400", field))
        } else {
            Ok(v.trim().to_owned())
        }
    };
    Ok(store::Assessment {
        trafficking_status: status,
        labour_sector: if forms.iter().any(|x| x == "labour") {
            sector
        } else {
            None
        },
        exploitation_forms: forms,
        means_of_control: rules::codes(&a.means_of_control, rules::MEANS_OF_CONTROL)
            .map_err(|k| (k, "means_of_control"))?
            .join(","),
        recruitment: rules::codes(&a.recruitment, rules::RECRUITMENT)
            .map_err(|k| (k, "recruitment"))?
            .join(","),
        route: text(&a.route, "route")?,
        transit_countries: rules::iso_codes(&a.transit_countries.join(","))
            .map_err(|k| (k, "transit_countries"))?,
        places: text(&a.places, "places")?,
        legal_path: legal,
    })
}

/// Records the assessment of a case read at `version` (someone else's change since then is a
/// conflict); who assessed the trafficking status is kept with it.
pub async fn assess<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    input: &AssessmentInput,
    version: i32,
) -> Result<(), CaseOpError> {
    let (_, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    let a = check_assessment(input).map_err(|(key, field)| CaseOpError::Invalid { key, field })?;
    store::update_assessment(txn, &state.keys, case_id, &a, actor.user_id, version).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.assessment", "case")
            .record(case_id)
            .subject(&p.code),
    )
    .await?;
    Ok(())
}

/// A residence permit (applied for, issued, refused…), as typed on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct NewPermit {
    /// One of [`rules::PERMIT_KINDS`].
    pub kind: String,
    /// One of [`rules::PERMIT_STATUSES`].
    pub status: String,
    pub applied_on: Option<NaiveDate>,
    pub issued_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    /// The office handling it (sealed at rest), up to 200 characters.
    pub office: String,
}

/// Checks a permit through the rules: the first wrong field, with its message key.
pub fn check_permit(k: &NewPermit, today: NaiveDate) -> Result<(), (&'static str, &'static str)> {
    if !rules::PERMIT_KINDS.contains(&k.kind.as_str()) {
        return Err(("error-400", "kind"));
    }
    if !rules::PERMIT_STATUSES.contains(&k.status.as_str()) {
        return Err(("error-400", "status"));
    }
    for (day, field, key) in [
        (k.applied_on, "applied_on", "error-date-applied-on"),
        (k.issued_on, "issued_on", "error-date-issued-on"),
    ] {
        if day.is_some_and(|d| !crate::platform::time::date_in_range(d, false, today)) {
            return Err((key, field));
        }
    }
    if k.expires_on
        .is_some_and(|e| !crate::platform::time::date_in_range(e, true, today))
    {
        return Err(("error-date-expires-on", "expires_on"));
    }
    rules::permit_dates(k.issued_on, k.expires_on).map_err(|key| (key, "expires_on"))?;
    if k.office.chars().count() > 200 {
        return Err(("error-400", "office"));
    }
    Ok(())
}

/// Records a permit on a case, its office sealed.
pub async fn add_permit<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    input: &NewPermit,
) -> Result<entities::permit::Model, CaseOpError> {
    let (_, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    check_permit(input, crate::platform::time::rome_today())
        .map_err(|(key, field)| CaseOpError::Invalid { key, field })?;
    let permit = store::add_permit(
        txn,
        &state.keys,
        entities::permit::ActiveModel {
            case_id: Set(case_id),
            kind: Set(input.kind.clone()),
            status: Set(input.status.clone()),
            applied_on: Set(input.applied_on),
            issued_on: Set(input.issued_on),
            expires_on: Set(input.expires_on),
            ..Default::default()
        },
        input.office.trim(),
    )
    .await?;
    store::touch(txn, case_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.permit", "case")
            .record(case_id)
            .subject(&p.code),
    )
    .await?;
    Ok(permit)
}

/// A decision on a recorded permit (granted, renewed, lapsed, refused), as typed on the page
/// or sent to the API.
#[derive(Clone, Debug)]
pub struct PermitDecision {
    /// One of [`rules::permit_decisions`] of the permit's status.
    pub status: String,
    /// The Italian day it took effect (entered, never stamped).
    pub decided_on: NaiveDate,
    /// The new expiry, for a permit granted or renewed.
    pub expires_on: Option<NaiveDate>,
}

/// Records a decision on a permit: kept in its history, the permit's status and expiry
/// updated. A decision dated before one already recorded is refused (history stays in order).
pub async fn decide_permit<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    permit_id: i32,
    input: &PermitDecision,
) -> Result<entities::permit::Model, CaseOpError> {
    let permit = store::permit_by_id(&state.db, permit_id)
        .await?
        .ok_or(CaseOpError::Access(AppError::NotFound))?;
    let (_, p, _) = super::guard(state, actor, permit.case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    let history = store::permit_changes(&state.db, vec![permit.id]).await?;
    // The same decision sent again (a double click, a resent request) records nothing more.
    if history.last().is_some_and(|c| {
        c.status == input.status
            && c.decided_on == input.decided_on
            && c.expires_on == input.expires_on
    }) {
        return Ok(permit);
    }
    let last = history.last().map(|c| c.decided_on);
    let since = [permit.applied_on, permit.issued_on, last]
        .into_iter()
        .flatten()
        .max();
    let today = crate::platform::time::rome_today();
    if input
        .expires_on
        .is_some_and(|e| !crate::platform::time::date_in_range(e, true, today))
    {
        return Err(CaseOpError::Invalid {
            key: "error-date-expires-on",
            field: "expires_on",
        });
    }
    rules::check_permit_decision(
        &permit.status,
        since,
        &input.status,
        input.decided_on,
        input.expires_on,
        today,
    )
    .map_err(|(key, field)| CaseOpError::Invalid { key, field })?;
    let case_id = permit.case_id;
    let updated = store::decide_permit(
        txn,
        permit,
        entities::permit_change::ActiveModel {
            permit_id: Set(permit_id),
            status: Set(input.status.clone()),
            decided_on: Set(input.decided_on),
            expires_on: Set(input.expires_on),
            by_user: Set(actor.user_id),
            at: Set(chrono::Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    store::touch(txn, case_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.permit_decision", "case")
            .record(case_id)
            .subject(&p.code),
    )
    .await?;
    Ok(updated)
}

/// A correction of the person of a case, as typed on the page or sent to the API: the
/// attributes always, the identity only when the worker may read it (and it is not erased).
#[derive(Clone, Debug)]
pub struct PersonCorrection {
    pub gender: String,
    pub birth_year: Option<i32>,
    pub birth_year_estimated: bool,
    pub presumed_minor: bool,
    pub nationalities: Vec<String>,
    pub languages: Vec<String>,
    pub identity: Option<store::Identity>,
    /// The version of the case the person saw.
    pub version: i32,
}

/// Checks a correction through the rules: every wrong field at once, each with its message
/// key (field, key), in form order.
pub fn check_correction(
    c: &PersonCorrection,
    today: NaiveDate,
) -> Vec<(&'static str, &'static str)> {
    let mut problems = Vec::new();
    attribute_problems(
        &c.gender,
        c.birth_year,
        &c.nationalities,
        &c.languages,
        today,
        &mut problems,
    );
    if let Some(i) = &c.identity {
        if i.names.trim().is_empty() || i.names.chars().count() > 300 {
            problems.push(("names", "case-error-names"));
        }
        if !i.birth_date.trim().is_empty() {
            match NaiveDate::parse_from_str(i.birth_date.trim(), "%Y-%m-%d") {
                Ok(d) if crate::platform::time::date_in_range(d, false, today) => {}
                _ => problems.push(("birth_date", "error-date-birth-date")),
            }
        }
    }
    problems
}

/// ISO codes as stored: upper case, comma-separated (checked before).
fn normalised_codes(codes: &[String]) -> String {
    let all: Vec<String> = codes
        .iter()
        .flat_map(|c| rules::iso_codes(c).unwrap_or_default())
        .collect();
    crate::platform::codes::join(&all)
}

/// Corrects the person of a case read at `version`: the attributes, and the identity when
/// given (which needs the right to read it, decided and audited). Returns the names of the
/// fields changed; nothing changed writes nothing. The values replaced are kept sealed in the
/// person's history.
pub async fn correct_person<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    input: &PersonCorrection,
) -> Result<Vec<&'static str>, CaseOpError> {
    let (_, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    let identity_row = match &input.identity {
        Some(_) => {
            super::guard(state, actor, case_id, Action::ReadIdentity)
                .await
                .map_err(CaseOpError::Access)?;
            Some(
                store::identity(&state.db, p.id)
                    .await?
                    .ok_or(CaseOpError::NotAllowed("person-identity-erased"))?,
            )
        }
        None => None,
    };
    if let Some((field, key)) = check_correction(input, crate::platform::time::rome_today())
        .into_iter()
        .next()
    {
        return Err(CaseOpError::Invalid { key, field });
    }
    let before = store::PersonFacts {
        gender: p.gender.clone(),
        birth_year: p.birth_year,
        birth_year_estimated: p.birth_year_estimated,
        presumed_minor: p.presumed_minor,
        nationalities: p.nationalities.clone(),
        languages: p.languages.clone(),
        identity: match &identity_row {
            Some(row) => Some(
                store::open_identity(&state.keys, row)
                    .map(|i| store::IdentityFacts::from(&i))
                    .map_err(|_| CaseOpError::Failed(AppError::Internal("identity crypto")))?,
            ),
            None => None,
        },
    };
    let after = store::PersonFacts {
        gender: input.gender.clone(),
        birth_year: input.birth_year,
        birth_year_estimated: input.birth_year_estimated,
        presumed_minor: input.presumed_minor,
        nationalities: normalised_codes(&input.nationalities),
        languages: normalised_codes(&input.languages),
        identity: input.identity.as_ref().map(store::IdentityFacts::from),
    };
    let fields = store::changed_fields(&before, &after);
    if fields.is_empty() {
        return Ok(fields);
    }
    store::bump(txn, case_id, input.version).await?;
    let code = p.code.clone();
    store::correct_person(txn, &state.keys, p, &before, &after, &fields, actor.user_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "person.corrected", "case")
            .record(case_id)
            .subject(&code),
    )
    .await?;
    Ok(fields)
}

/// A case to open for a person met, as typed on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub person: store::NewPerson,
    pub identity: store::Identity,
    /// The day of emersion (entered: a case may be recorded after the fact).
    pub opened_on: NaiveDate,
    /// The worker saw the possible duplicates and confirms this is someone else.
    pub confirm_new: bool,
}

/// The problems of a person's attributes (gender, birth year, ISO codes), each as (field,
/// message key): shared by a new case and a correction.
fn attribute_problems(
    gender: &str,
    birth_year: Option<i32>,
    nationalities: &[String],
    languages: &[String],
    today: NaiveDate,
    problems: &mut Vec<(&'static str, &'static str)>,
) {
    if !rules::GENDERS.contains(&gender) {
        problems.push(("gender", "case-error-gender"));
    }
    if let Some(y) = birth_year
        && let Err(k) = rules::birth_year(&y.to_string(), today)
    {
        problems.push(("birth_year", k));
    }
    for (field, codes) in [("nationalities", nationalities), ("languages", languages)] {
        if let Some(k) = codes.iter().find_map(|code| rules::iso_codes(code).err()) {
            problems.push((field, k));
        }
    }
}

/// Every problem of a new case, through the area's rules, in form order: (field, message key).
pub fn new_case_problems(c: &NewCase, today: NaiveDate) -> Vec<(&'static str, &'static str)> {
    let mut problems = Vec::new();
    attribute_problems(
        &c.person.gender,
        c.person.birth_year,
        &c.person.nationalities,
        &c.person.languages,
        today,
        &mut problems,
    );
    if !crate::platform::time::date_in_range(c.opened_on, false, today) {
        problems.push(("opened_on", "error-date-opened-on"));
    }
    if c.identity.names.trim().is_empty() || c.identity.names.chars().count() > 300 {
        problems.push(("names", "case-error-names"));
    }
    problems
}

/// Checks what a new case says, through the area's rules: the field and message key of the
/// first thing wrong (the API names one field; the page shows them all).
pub fn check_new_case(c: &NewCase, today: NaiveDate) -> Result<(), (&'static str, &'static str)> {
    match new_case_problems(c, today).into_iter().next() {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// Opens a case for a person, in the caller's transaction (so that an API create and its
/// idempotency record commit together): the person, their sealed identity, the case in the
/// emersion phase from the day entered, and the audit entry. Possible duplicates are refused
/// (and the flag audited) unless the worker confirmed the person is someone else.
pub async fn open_case<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    input: &NewCase,
) -> Result<(entities::person::Model, entities::case::Model), CaseOpError> {
    let org = actor
        .organisation_id
        .filter(|_| actor.can(Permission::WorkOnRecords))
        .ok_or(CaseOpError::Access(AppError::Forbidden))?;
    check_new_case(input, crate::platform::time::rome_today())
        .map_err(|(field, key)| CaseOpError::Invalid { key, field })?;
    if !input.confirm_new {
        let found = store::possible_duplicates(&state.db, &state.keys, &input.identity).await?;
        if !found.is_empty() {
            // The flag is a fact of its own: recorded even though nothing is opened.
            audit::append(
                &state.db,
                &state.keys,
                Entry::new(Some(actor), "person.duplicate_flagged", "person"),
            )
            .await?;
            return Err(CaseOpError::PossibleDuplicates(found));
        }
    }
    let (p, c) = store::open_case(
        txn,
        &state.keys,
        &input.person,
        &input.identity,
        org,
        actor.user_id,
        input.opened_on,
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.create", "case")
            .record(c.id)
            .subject(&p.code),
    )
    .await?;
    Ok((p, c))
}

/// A stay in a shelter, as typed on the page or sent to the API: from `since`, and to `until`
/// when it is entered after it ended.
#[derive(Clone, Debug)]
pub struct NewPlacement {
    pub service_id: i32,
    pub bed_kind: String,
    pub emergency: bool,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// Places the person of a case in a shelter: a free bed of the kind asked for on the first
/// day, or refused; a stay entered after it ended carries its end day.
pub async fn place<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    input: &NewPlacement,
) -> Result<entities::placement::Model, CaseOpError> {
    let (_, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    let today = crate::platform::time::rome_today();
    if !crate::platform::time::date_in_range(input.since, false, today) {
        return Err(CaseOpError::Invalid {
            key: "error-date-since",
            field: "since",
        });
    }
    if input.until.is_some_and(|u| u < input.since || u > today) {
        return Err(CaseOpError::Invalid {
            key: "case-error-placement-end",
            field: "until",
        });
    }
    // The last free bed goes to one placement only: the case is written first (on SQLite the
    // transaction then holds the single writer's lock, so what follows reads every committed
    // stay), the service's beds are held (PostgreSQL's row locks), and the beds taken are
    // counted inside the transaction.
    store::touch(txn, case_id).await?;
    let beds = crate::network::beds_held(txn, input.service_id).await?;
    if beds.is_empty() {
        return Err(CaseOpError::Invalid {
            key: "case-error-service",
            field: "service_id",
        });
    }
    let capacity = beds
        .into_iter()
        .find(|b| b.bed_kind == input.bed_kind)
        .map_or(0, |b| b.capacity);
    let taken = store::occupied_beds(txn, input.service_id, input.since)
        .await?
        .into_iter()
        .find(|(k, _)| *k == input.bed_kind)
        .map_or(0, |(_, n)| n);
    if taken >= capacity {
        return Err(CaseOpError::NotAllowed("case-error-shelter-full"));
    }
    let placed = store::add_placement(
        txn,
        entities::placement::ActiveModel {
            case_id: Set(case_id),
            service_id: Set(input.service_id),
            bed_kind: Set(input.bed_kind.clone()),
            emergency: Set(input.emergency),
            since: Set(input.since),
            until: Set(input.until),
            ..Default::default()
        },
    )
    .await?;
    // Emergency reception counts the person from the day their stay began.
    crate::stats::refresh_people(txn, [p.id]).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.placement", "case")
            .record(case_id)
            .subject(&p.code)
            .reason(format!("service {}", input.service_id)),
    )
    .await?;
    Ok(placed)
}

/// An event of a case (a note, an assessment step, an accompaniment…), as typed on the page or
/// sent to the API.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// `note` or one of [`rules::EVENT_KINDS`].
    pub kind: String,
    pub happened_on: NaiveDate,
    pub text: String,
    /// For an accompaniment: the service and the outcome (by default `other`, `done`).
    pub service_kind: Option<String>,
    pub accompaniment_outcome: Option<String>,
}

/// Adds an event to a case, in the caller's transaction; an accompaniment is also one record of
/// the network's accompaniments (the outreach area's), counted once whatever its source.
pub async fn add_event<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    case_id: i32,
    input: &NewEvent,
) -> Result<entities::event::Model, CaseOpError> {
    let (c, p, _) = super::guard(state, actor, case_id, Action::Write)
        .await
        .map_err(CaseOpError::Access)?;
    let invalid = |key, field| CaseOpError::Invalid { key, field };
    if input.kind != "note" && !rules::EVENT_KINDS.contains(&input.kind.as_str()) {
        return Err(invalid("error-400", "kind"));
    }
    let today = crate::platform::time::rome_today();
    if !crate::platform::time::date_in_range(input.happened_on, false, today) {
        return Err(invalid("error-date-happened-on", "happened_on"));
    }
    let text = input.text.trim();
    if text.is_empty() || text.chars().count() > 20_000 {
        return Err(invalid("network-error-required", "text"));
    }
    let accompaniment = if input.kind == "accompaniment" {
        let service = input.service_kind.clone().unwrap_or_else(|| "other".into());
        let outcome = input
            .accompaniment_outcome
            .clone()
            .unwrap_or_else(|| "done".into());
        if !crate::outreach::rules::SERVICE_KINDS.contains(&service.as_str()) {
            return Err(invalid("error-400", "service_kind"));
        }
        if !crate::outreach::rules::ACCOMPANIMENT_OUTCOMES.contains(&outcome.as_str()) {
            return Err(invalid("error-400", "accompaniment_outcome"));
        }
        Some((service, outcome))
    } else {
        None
    };
    let event = store::add_event(
        txn,
        &state.keys,
        case_id,
        &input.kind,
        input.happened_on,
        text,
        actor.user_id,
    )
    .await?;
    if let Some((service_kind, outcome)) = accompaniment {
        crate::outreach::record_accompaniment(
            txn,
            crate::outreach::NewAccompaniment {
                organisation_id: c.owner_org,
                happened_on: input.happened_on,
                service_kind,
                outcome,
                source: "case",
                contact_id: None,
                case_id: Some(case_id),
                hotline_contact_id: None,
                by_user: actor.user_id,
                idempotency_key: format!("case-event-{}", event.id),
            },
        )
        .await?;
    }
    store::touch(txn, case_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "case.event", "case")
            .record(case_id)
            .subject(&p.code)
            .reason(&input.kind),
    )
    .await?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_consent_names_its_purpose_organisation_and_days() {
        let today = day("2026-03-01");
        let k = NewConsent {
            purpose: "sharing".into(),
            organisation_id: Some(4),
            given_on: day("2026-02-01"),
            expires_on: Some(day("2027-02-01")),
        };
        assert_eq!(check_consent(&k, today), Ok(()));
        let field = |k: &NewConsent| check_consent(k, today).map_err(|e| e.1);
        let no_org = NewConsent {
            organisation_id: None,
            ..k.clone()
        };
        assert_eq!(field(&no_org), Err("organisation_id"));
        let tomorrow = NewConsent {
            given_on: day("2026-03-02"),
            ..k.clone()
        };
        assert_eq!(field(&tomorrow), Err("given_on"));
        let lapsed_before = NewConsent {
            expires_on: Some(day("2026-01-01")),
            ..k.clone()
        };
        assert_eq!(field(&lapsed_before), Err("expires_on"));
        let unknown = NewConsent {
            purpose: "marketing".into(),
            ..k
        };
        assert_eq!(field(&unknown), Err("purpose"));
    }

    #[test]
    fn a_permit_has_known_codes_and_days_in_order() {
        let today = day("2026-03-01");
        let k = NewPermit {
            kind: "art18_social".into(),
            status: "issued".into(),
            applied_on: Some(day("2026-01-10")),
            issued_on: Some(day("2026-02-10")),
            expires_on: Some(day("2026-08-10")),
            office: "Questura".into(),
        };
        assert_eq!(check_permit(&k, today), Ok(()));
        let field = |k: &NewPermit| check_permit(k, today).map_err(|e| e.1);
        let backwards = NewPermit {
            expires_on: Some(day("2026-02-01")),
            ..k.clone()
        };
        assert_eq!(field(&backwards), Err("expires_on"));
        let future = NewPermit {
            issued_on: Some(day("2026-03-02")),
            ..k.clone()
        };
        assert_eq!(field(&future), Err("issued_on"));
        let unknown = NewPermit {
            status: "maybe".into(),
            ..k
        };
        assert_eq!(field(&unknown), Err("status"));
    }

    #[test]
    fn an_assessment_keeps_the_sector_only_with_labour_and_names_a_wrong_field() {
        let a = AssessmentInput {
            exploitation_forms: vec!["sexual".into()],
            labour_sector: Some("agriculture".into()),
            transit_countries: vec!["ly".into()],
            ..Default::default()
        };
        let kept = check_assessment(&a).unwrap();
        assert_eq!(kept.labour_sector, None);
        assert_eq!(kept.transit_countries, vec!["LY".to_owned()]);
        let labour = AssessmentInput {
            exploitation_forms: vec!["labour".into()],
            ..a.clone()
        };
        assert_eq!(
            check_assessment(&labour).unwrap().labour_sector.as_deref(),
            Some("agriculture")
        );
        let bad = AssessmentInput {
            trafficking_status: Some("certain".into()),
            ..a
        };
        assert_eq!(
            check_assessment(&bad).map(|_| ()).map_err(|e| e.1),
            Err("trafficking_status")
        );
    }
}
