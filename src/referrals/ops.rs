//! The referrals area's operations, served alike by the pages and the API: proposing a
//! transfer from a case and moving a referral through its states. Each decides access,
//! validates through `rules`, writes and appends its audit entry in one transaction, and
//! answers with the referral or a [`ReferralOpError`].

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::entities::referral;
use super::rules::{self, Package, Status};
use super::store::{self, ReferralError};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Action, Actor};
use crate::platform::web::{AppError, SharedState};

/// What a referral may ask for.
pub const NEEDED_SERVICES: &[&str] = &["emergency_shelter", "shelter", "semi_autonomy", "other"];

/// Why an operation on a referral did not happen.
#[derive(Debug)]
pub enum ReferralOpError {
    /// Not found, or not a party to it (refused as the policy says).
    Access(AppError),
    /// Someone else changed the referral since it was read.
    Stale,
    /// Not allowed from here (a state skipped, a closed case, no consent…): its message key.
    NotAllowed(&'static str),
    /// A field is wrong: its message key and the field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    Failed(AppError),
}

impl ReferralOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            ReferralOpError::Stale => "referral-error-conflict",
            ReferralOpError::NotAllowed(k) | ReferralOpError::Invalid { key: k, .. } => k,
            ReferralOpError::Access(_) | ReferralOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for ReferralOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        ReferralOpError::Failed(e.into())
    }
}

impl From<ReferralError> for ReferralOpError {
    fn from(e: ReferralError) -> Self {
        match e {
            ReferralError::Conflict => ReferralOpError::Stale,
            ReferralError::Db(e) => e.into(),
            ReferralError::Crypto(_) | ReferralError::Package => {
                ReferralOpError::Failed(AppError::Internal("referral crypto"))
            }
        }
    }
}

/// A referral the organisation sent, received or recorded; 403 for anyone else's, 404 when
/// there is none.
pub async fn visible(state: &SharedState, org: i32, id: i32) -> Result<referral::Model, AppError> {
    let r = store::referral(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.sender_org != Some(org) && r.receiver_org != Some(org) && r.recorded_by_org != org {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

/// A move to another state, as chosen on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct StatusChange {
    pub to: Status,
    /// Needed to refuse (the reason); optional otherwise.
    pub note: Option<String>,
    /// The version of the referral the person saw.
    pub version: i32,
}

/// Writes a webhook event about a referral for both its parties in the network.
async fn announce(
    txn: &impl ConnectionTrait,
    r: &referral::Model,
    kind: &'static str,
) -> Result<(), sea_orm::DbErr> {
    let orgs: Vec<i32> = [r.sender_org, r.receiver_org, Some(r.recorded_by_org)]
        .into_iter()
        .flatten()
        .collect();
    crate::platform::webhooks::emit(
        txn,
        &orgs,
        crate::platform::webhooks::Event {
            kind,
            record_type: "referral",
            record_id: r.id,
            at: chrono::Utc::now(),
        },
    )
    .await?;
    Ok(())
}

/// Accepts, refuses, withdraws or completes a referral as one of its parties may; accepting
/// opens the receiver's case with the shared data and closes the sending case as transferred.
pub async fn change_status(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    change: &StatusChange,
) -> Result<referral::Model, ReferralOpError> {
    let org = actor
        .organisation_id
        .ok_or(ReferralOpError::Access(AppError::Forbidden))?;
    let r = visible(state, org, id)
        .await
        .map_err(ReferralOpError::Access)?;
    let from = Status::from_code(&r.status).unwrap_or(Status::Proposed);
    let note = change
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(2000).collect::<String>());
    let parties = rules::parties(r.sender_org, r.receiver_org, r.recorded_by_org, org);
    let mut verdict = Err(rules::TransitionError::NotAllowed);
    for p in &parties {
        verdict = rules::transition(from, change.to, *p, note.as_deref());
        if verdict.is_ok() {
            break;
        }
    }
    verdict.map_err(|e| ReferralOpError::NotAllowed(e.message_key()))?;
    let txn = state.db.begin().await?;
    let opened = match store::change(
        &txn,
        &r,
        store::Change {
            to: change.to,
            note,
            version: change.version,
            by_user: actor.user_id,
            by_org: org,
            keys: &state.keys,
        },
    )
    .await
    {
        Ok(o) => o,
        Err(e) => {
            txn.rollback().await?;
            return Err(e.into());
        }
    };
    audit::append(
        &txn,
        &state.keys,
        Entry::new(
            Some(actor),
            &format!("referral.{}", change.to.code()),
            "referral",
        )
        .record(id),
    )
    .await?;
    match change.to {
        Status::Accepted => announce(&txn, &r, "referral.accepted").await?,
        Status::Refused => announce(&txn, &r, "referral.refused").await?,
        _ => {}
    }
    if let Some(case) = opened {
        audit::append(
            &txn,
            &state.keys,
            Entry::new(Some(actor), "case.open_from_referral", "case").record(case),
        )
        .await?;
    }
    txn.commit().await?;
    store::referral(&state.db, id)
        .await?
        .ok_or(ReferralOpError::Access(AppError::NotFound))
}

/// A transfer proposed from a case, as typed on the page or sent to the API.
#[derive(Clone, Debug)]
pub struct Proposal {
    pub case_id: i32,
    /// `network_org`, `national_hotline` or `other_region`.
    pub counterpart_kind: String,
    /// The receiving organisation of the network (`network_org`).
    pub receiver_org: Option<i32>,
    /// The other region's project from the directory (`other_region`).
    pub counterpart_id: Option<i32>,
    pub reason: String,
    pub needed_service: String,
    pub urgency: String,
}

/// Checks the codes of a proposal through the area's rules: the field and message key of the
/// first thing wrong.
pub fn check_proposal(p: &Proposal) -> Result<(), (&'static str, &'static str)> {
    if !rules::REASONS.contains(&p.reason.as_str()) {
        return Err(("reason", "error-400"));
    }
    if !NEEDED_SERVICES.contains(&p.needed_service.as_str()) {
        return Err(("needed_service", "error-400"));
    }
    if !rules::URGENCIES.contains(&p.urgency.as_str()) {
        return Err(("urgency", "error-400"));
    }
    Ok(())
}

/// Proposes to transfer the person of a case, in the caller's transaction: needs the person's
/// consent to transfer in force for that receiver, and carries only the package configured
/// for the counterpart kind. Reading the identity to build it is decided and audited.
pub async fn propose<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    input: &Proposal,
) -> Result<referral::Model, ReferralOpError> {
    let org = actor
        .organisation_id
        .ok_or(ReferralOpError::Access(AppError::Forbidden))?;
    let (case, person, _) = crate::cases::guard(state, actor, input.case_id, Action::ReadIdentity)
        .await
        .map_err(ReferralOpError::Access)?;
    if case.phase == crate::cases::rules::Phase::Closed.code() {
        return Err(ReferralOpError::NotAllowed("referral-error-closed"));
    }
    check_proposal(input).map_err(|(field, key)| ReferralOpError::Invalid { key, field })?;
    let no_counterpart = ReferralOpError::Invalid {
        key: "referral-error-counterpart",
        field: "counterpart_kind",
    };
    let (receiver, counterpart_id) = match input.counterpart_kind.as_str() {
        "network_org" => {
            let found = match input.receiver_org {
                Some(id) if id != org => crate::network::organisation(&state.db, id).await?,
                _ => None,
            };
            match found {
                Some(o) => (Some(o.id), None),
                None => return Err(no_counterpart),
            }
        }
        "national_hotline" => (None, None),
        "other_region" => {
            let known = store::counterparts(&state.db)
                .await?
                .into_iter()
                .find(|c| Some(c.id) == input.counterpart_id && c.active);
            match known {
                Some(c) => (None, Some(c.id)),
                None => return Err(no_counterpart),
            }
        }
        _ => return Err(no_counterpart),
    };
    let today = crate::platform::time::rome_today();
    let Some(consent) = store::transfer_consent(&state.db, case.id, receiver, today).await? else {
        return Err(ReferralOpError::NotAllowed("referral-error-consent"));
    };
    let data = crate::cases::package_data(state, &person)
        .await
        .map_err(ReferralOpError::Failed)?;
    let list = |s: &str| -> Vec<String> { crate::platform::codes::to_vec(s) };
    let full = Package {
        names: data.names,
        gender: Some(person.gender.clone()),
        birth_year: person.birth_year,
        nationalities: Some(list(&person.nationalities)),
        languages: Some(list(&person.languages)),
        exploitation_forms: Some(list(&case.exploitation_forms)),
        vulnerabilities: data.vulnerabilities,
        phone: data.phone,
    };
    let allowed = state
        .config
        .referrals
        .packages
        .get(&input.counterpart_kind)
        .cloned()
        .unwrap_or_default();
    let package = full.restricted_to(&allowed);
    let now = Utc::now();
    let r = store::create(
        txn,
        referral::ActiveModel {
            direction: Set("outbound".into()),
            counterpart_kind: Set(input.counterpart_kind.clone()),
            counterpart_id: Set(counterpart_id),
            sender_org: Set(Some(org)),
            receiver_org: Set(receiver),
            recorded_by_org: Set(org),
            case_id: Set(Some(case.id)),
            opened_case_id: Set(None),
            status: Set(Status::Proposed.code().into()),
            reason: Set(input.reason.clone()),
            needed_service: Set(input.needed_service.clone()),
            urgency: Set(input.urgency.clone()),
            consent_id: Set(Some(consent.id)),
            consent_on: Set(consent.given_on),
            package_enc: Set(store::seal(&state.keys, &package)?),
            refusal_reason: Set(None),
            created_by: Set(actor.user_id),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(0),
            ..Default::default()
        },
        actor.user_id,
        org,
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "referral.propose", "referral")
            .record(r.id)
            .subject(&person.code),
    )
    .await?;
    announce(txn, &r, "referral.proposed").await?;
    Ok(r)
}

/// A transfer request received from outside the network's organisations (the national
/// hotline, or another region's project in the directory), with the person's consent as the
/// sender recorded it and the data the sender gave.
#[derive(Clone, Debug, Default)]
pub struct Inbound {
    /// `national_hotline` or `other_region`.
    pub counterpart_kind: String,
    /// The other region's project (`other_region`).
    pub counterpart_id: Option<i32>,
    /// The sender says the person consented to the transfer.
    pub consent: bool,
    pub consent_on: Option<chrono::NaiveDate>,
    pub reason: String,
    pub needed_service: String,
    pub urgency: String,
    pub package: Package,
}

/// Checks the data received with a request: codes known, years and lengths sane. The field
/// and message key of the first thing wrong.
pub fn check_package(p: &Package) -> Result<(), (&'static str, &'static str)> {
    use crate::cases::rules as c;
    let gender = p.gender.as_deref().unwrap_or("unknown");
    if !c::GENDERS.contains(&gender) {
        return Err(("gender", "error-400"));
    }
    if let Some(y) = p.birth_year {
        c::birth_year(&y.to_string(), crate::platform::time::rome_today())
            .map_err(|k| ("birth_year", k))?;
    }
    if let Some(forms) = &p.exploitation_forms {
        c::codes(forms, c::EXPLOITATION_FORMS).map_err(|k| ("exploitation_forms", k))?;
    }
    for (field, list) in [
        ("nationalities", &p.nationalities),
        ("languages", &p.languages),
    ] {
        if let Some(list) = list {
            c::iso_codes(&list.join(",")).map_err(|k| (field, k))?;
        }
    }
    for (field, text, max) in [
        ("names", &p.names, 200),
        ("vulnerabilities", &p.vulnerabilities, 2000),
        ("phone", &p.phone, 40),
    ] {
        if text.as_ref().is_some_and(|t| t.chars().count() > max) {
            return Err((field, "error-400"));
        }
    }
    Ok(())
}

/// Records a transfer request received by the actor's organisation, keeping of the data only
/// what a receiving project of the network may hold (the `network_org` package), sealed.
pub async fn record_inbound<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    input: &Inbound,
) -> Result<referral::Model, ReferralOpError> {
    let org = actor
        .organisation_id
        .ok_or(ReferralOpError::Access(AppError::Forbidden))?;
    let invalid = |key: &'static str, field: &'static str| ReferralOpError::Invalid { key, field };
    let counterpart_id = match input.counterpart_kind.as_str() {
        "national_hotline" => None,
        "other_region" => {
            let id = input
                .counterpart_id
                .ok_or(invalid("referral-error-counterpart", "counterpart_id"))?;
            let known = store::counterparts(&state.db)
                .await?
                .iter()
                .any(|c| c.id == id && c.active);
            if !known {
                return Err(invalid("referral-error-counterpart", "counterpart_id"));
            }
            Some(id)
        }
        _ => return Err(invalid("referral-error-counterpart", "counterpart_kind")),
    };
    if !input.consent {
        return Err(invalid("referral-error-consent", "consent"));
    }
    let consent_on = input
        .consent_on
        .filter(|d| {
            crate::platform::time::date_in_range(*d, false, crate::platform::time::rome_today())
        })
        .ok_or(invalid("error-date-consent-on", "consent_on"))?;
    if !rules::REASONS.contains(&input.reason.as_str()) {
        return Err(invalid("error-400", "reason"));
    }
    if !NEEDED_SERVICES.contains(&input.needed_service.as_str()) {
        return Err(invalid("error-400", "needed_service"));
    }
    if !rules::URGENCIES.contains(&input.urgency.as_str()) {
        return Err(invalid("error-400", "urgency"));
    }
    check_package(&input.package).map_err(|(field, key)| invalid(key, field))?;
    let allowed = state
        .config
        .referrals
        .packages
        .get("network_org")
        .cloned()
        .unwrap_or_default();
    let package = input.package.clone().restricted_to(&allowed);
    let sealed = store::seal(&state.keys, &package)
        .map_err(|_| ReferralOpError::Failed(AppError::Internal("sealing a package")))?;
    let now = Utc::now();
    let r = store::create(
        txn,
        referral::ActiveModel {
            direction: Set("inbound".into()),
            counterpart_kind: Set(input.counterpart_kind.clone()),
            counterpart_id: Set(counterpart_id),
            sender_org: Set(None),
            receiver_org: Set(Some(org)),
            recorded_by_org: Set(org),
            case_id: Set(None),
            opened_case_id: Set(None),
            status: Set(Status::Proposed.code().into()),
            reason: Set(input.reason.clone()),
            needed_service: Set(input.needed_service.clone()),
            urgency: Set(input.urgency.clone()),
            consent_id: Set(None),
            consent_on: Set(consent_on),
            package_enc: Set(sealed),
            refusal_reason: Set(None),
            created_by: Set(actor.user_id),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(0),
            ..Default::default()
        },
        actor.user_id,
        org,
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "referral.inbound", "referral").record(r.id),
    )
    .await?;
    announce(txn, &r, "referral.proposed").await?;
    Ok(r)
}

/// Adds another region's project to the directory a request can come from or go to.
pub async fn add_counterpart<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    name: &str,
    region: &str,
    contact: &str,
) -> Result<super::entities::counterpart::Model, ReferralOpError> {
    let clip = |t: &str, max: usize| t.trim().chars().take(max).collect::<String>();
    let (name, region, contact) = (clip(name, 200), clip(region, 60), clip(contact, 300));
    if name.is_empty() {
        return Err(ReferralOpError::Invalid {
            key: "network-error-required",
            field: "name",
        });
    }
    if region.is_empty() {
        return Err(ReferralOpError::Invalid {
            key: "network-error-required",
            field: "region",
        });
    }
    let c = store::add_counterpart(txn, &name, &region, &contact).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(
            Some(actor),
            "referral.counterpart_add",
            "referral_counterpart",
        )
        .record(c.id),
    )
    .await?;
    Ok(c)
}

/// Opens a referral's data package for a party the rules let see it; the reading is audited
/// before anything is unsealed. `None` when the rules keep it closed to this organisation.
pub async fn read_package(
    state: &SharedState,
    actor: &Actor,
    org: i32,
    r: &referral::Model,
) -> Result<Option<Package>, AppError> {
    let parties = rules::parties(r.sender_org, r.receiver_org, r.recorded_by_org, org);
    let status = Status::from_code(&r.status).unwrap_or(Status::Proposed);
    if !rules::may_see_package(r.sender_org, r.recorded_by_org, status, &parties, org) {
        return Ok(None);
    }
    audit::append(
        &state.db,
        &state.keys,
        Entry::new(Some(actor), "referral.package.read", "referral").record(r.id),
    )
    .await?;
    store::open(&state.keys, r)
        .map(Some)
        .map_err(|_| AppError::Internal("referral package"))
}
