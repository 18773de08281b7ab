//! Queries of the hotline.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{contact, emergency, interview, mediator_request, shift_note};
use crate::platform::crypto::KeyRing;

pub const NOTES: &str = "hotline_contact.notes";
pub const SHIFT_NOTE: &str = "shift_note.text";

/// Why a contact was not saved.
#[derive(Debug, thiserror::Error)]
pub enum AddContactError {
    /// A follow-up was asked for, but the caller has no earlier contact.
    #[error("no earlier contact of this caller")]
    NoEarlierContact,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl AddContactError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            AddContactError::NoEarlierContact => "hotline-error-no-earlier-contact",
            AddContactError::Db(_) => "error-500",
        }
    }
}

/// Saves a contact in its situation, as the operator said: a new one of its own, or the
/// situation of the caller's latest contact before it (same caller reference or phone index)
/// that it follows up. A contact entered after the fact then takes its place in time.
pub async fn add_contact(
    db: &impl ConnectionTrait,
    mut c: contact::ActiveModel,
    situation: super::rules::Situation,
) -> Result<contact::Model, AddContactError> {
    use super::rules::Situation;
    // Written first, then linked: the transaction takes the write lock before it reads (on
    // SQLite a transaction that reads and then writes can be refused beside another writer).
    c.new_situation = Set(situation == Situation::New);
    let saved = c.insert(db).await?;
    let previous = match situation {
        Situation::New => None,
        Situation::FollowUpOf(id) => {
            // Only an earlier contact of the same organisation can be followed up.
            let named = contact::Entity::find_by_id(id).one(db).await?.filter(|p| {
                p.id != saved.id
                    && p.organisation_id == saved.organisation_id
                    && p.started_at <= saved.started_at
            });
            if named.is_none() {
                return Err(AddContactError::NoEarlierContact);
            }
            named
        }
        Situation::FollowUp | Situation::Unsaid => {
            latest_of_caller(
                db,
                saved.organisation_id,
                saved.caller_ref.as_deref(),
                saved.phone_index.as_deref(),
                saved.started_at,
            )
            .await?
        }
    };
    if situation == Situation::FollowUp && previous.is_none() {
        return Err(AddContactError::NoEarlierContact);
    }
    let own = saved.id;
    let mut am = saved.into_active_model();
    am.previous_contact_id = Set(previous.as_ref().map(|p| p.id));
    am.situation_id = Set(Some(
        previous.map_or(own, |p| p.situation_id.unwrap_or(p.id)),
    ));
    let saved = am.update(db).await?;
    if !saved.new_situation {
        relink_later(db, &saved).await?;
    }
    // The statistics' daily summaries of every day of the situation: the contact can change
    // which of its contacts is the first pertinent one.
    let days = contact::Entity::find()
        .select_only()
        .column(contact::Column::StartedAt)
        .filter(contact::Column::SituationId.eq(saved.situation_id.unwrap_or(saved.id)))
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await?
        .into_iter()
        .map(crate::platform::time::rome_date)
        .collect();
    crate::stats::refresh_days(db, &days).await?;
    Ok(saved)
}

/// A contact entered after the fact takes its place in time: the caller's next contact, if it
/// followed up the contact before this one (or started a situation by default, nobody having
/// said "new"), now follows up this one, and a situation it started joins this one's. Entering
/// contacts out of order so gives the same situations as entering them in time order.
async fn relink_later(db: &impl ConnectionTrait, c: &contact::Model) -> Result<(), DbErr> {
    let mut any = Condition::any();
    if let Some(r) = &c.caller_ref {
        any = any.add(contact::Column::CallerRef.eq(r.clone()));
    }
    if let Some(p) = &c.phone_index {
        any = any.add(contact::Column::PhoneIndex.eq(p.clone()));
    }
    if c.caller_ref.is_none() && c.phone_index.is_none() {
        return Ok(());
    }
    let Some(next) = contact::Entity::find()
        .filter(any)
        .filter(contact::Column::OrganisationId.eq(c.organisation_id))
        .filter(contact::Column::Id.ne(c.id))
        .filter(
            Condition::any()
                .add(contact::Column::StartedAt.gt(c.started_at))
                .add(
                    Condition::all()
                        .add(contact::Column::StartedAt.eq(c.started_at))
                        .add(contact::Column::Id.gt(c.id)),
                ),
        )
        .order_by_asc(contact::Column::StartedAt)
        .order_by_asc(contact::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let situation = c.situation_id.unwrap_or(c.id);
    match next.previous_contact_id {
        // It followed up the same contact this one follows up (or none, by default): it
        // follows this one now.
        p if p == c.previous_contact_id && !next.new_situation => {
            contact::Entity::update_many()
                .col_expr(contact::Column::PreviousContactId, Expr::value(c.id))
                .filter(contact::Column::Id.eq(next.id))
                .exec(db)
                .await?;
            if p.is_none() {
                // The situation it started by default is this one's.
                let old = next.situation_id.unwrap_or(next.id);
                contact::Entity::update_many()
                    .col_expr(contact::Column::SituationId, Expr::value(situation))
                    .filter(contact::Column::SituationId.eq(old))
                    .exec(db)
                    .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Gives every contact saved without a situation (bulk-loaded data) a situation of its own.
pub async fn own_situations(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    contact::Entity::update_many()
        .col_expr(contact::Column::SituationId, Expr::col(contact::Column::Id))
        .filter(contact::Column::SituationId.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn contact(db: &impl ConnectionTrait, id: i32) -> Result<Option<contact::Model>, DbErr> {
    contact::Entity::find_by_id(id).one(db).await
}

/// Contacts linked to a case, newest first.
pub async fn of_case(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::CaseId.eq(case_id))
        .order_by_desc(contact::Column::StartedAt)
        .all(db)
        .await
}

/// Contacts of an organisation from `since`, newest first.
/// The organisation's contacts since `since` whose caller waits to be called back (outcome
/// `call_back` not yet cleared), oldest first: all of them, however many calls came since.
pub async fn waiting_call_backs(
    db: &impl ConnectionTrait,
    org: i32,
    since: DateTime<Utc>,
) -> Result<Vec<contact::Model>, DbErr> {
    Ok(contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(org))
        .filter(contact::Column::StartedAt.gte(since))
        .filter(contact::Column::Outcomes.contains("call_back"))
        .order_by_asc(contact::Column::StartedAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|c| crate::platform::codes::contains(&c.outcomes, "call_back"))
        .collect())
}

pub async fn recent(
    db: &impl ConnectionTrait,
    org: i32,
    since: DateTime<Utc>,
) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(org))
        .filter(contact::Column::StartedAt.gte(since))
        .order_by_desc(contact::Column::StartedAt)
        .limit(200)
        .all(db)
        .await
}

/// Contacts in a period, for the report.
pub async fn in_period(
    db: &impl ConnectionTrait,
    org: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(org))
        .filter(contact::Column::StartedAt.gte(from))
        .filter(contact::Column::StartedAt.lt(to))
        .order_by_asc(contact::Column::StartedAt)
        .all(db)
        .await
}

/// One page of an organisation's contacts started in `[from, to)`, newest first.
pub async fn page_in_period(
    db: &impl ConnectionTrait,
    org: i32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    (limit, offset): (u64, u64),
    after: Option<(DateTime<Utc>, i32)>,
) -> Result<Vec<contact::Model>, DbErr> {
    let mut q = contact::Entity::find();
    if let Some((at, id)) = after {
        q = q.filter(
            Condition::any().add(contact::Column::StartedAt.lt(at)).add(
                Condition::all()
                    .add(contact::Column::StartedAt.eq(at))
                    .add(contact::Column::Id.lt(id)),
            ),
        );
    }
    q.filter(contact::Column::OrganisationId.eq(org))
        .filter(contact::Column::StartedAt.gte(from))
        .filter(contact::Column::StartedAt.lt(to))
        .order_by_desc(contact::Column::StartedAt)
        .order_by_desc(contact::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await
}

/// Earlier contacts of the same caller: by caller reference or by the phone's blind index.
pub async fn same_caller(
    db: &impl ConnectionTrait,
    c: &contact::Model,
) -> Result<Vec<contact::Model>, DbErr> {
    let mut any = Condition::any();
    let mut has = false;
    if let Some(r) = &c.caller_ref {
        any = any.add(contact::Column::CallerRef.eq(r.clone()));
        has = true;
    }
    if let Some(p) = &c.phone_index {
        any = any.add(contact::Column::PhoneIndex.eq(p.clone()));
        has = true;
    }
    if !has {
        return Ok(Vec::new());
    }
    contact::Entity::find()
        .filter(any)
        .filter(contact::Column::OrganisationId.eq(c.organisation_id))
        .filter(contact::Column::Id.ne(c.id))
        .order_by_desc(contact::Column::StartedAt)
        .all(db)
        .await
}

/// The caller's latest contact *before* `before` (to suggest, or link, a follow-up: a contact
/// entered after the fact never follows one that came later).
pub async fn latest_of_caller(
    db: &impl ConnectionTrait,
    org: i32,
    caller_ref: Option<&str>,
    phone_index: Option<&str>,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Option<contact::Model>, DbErr> {
    let mut any = Condition::any();
    if let Some(r) = caller_ref {
        any = any.add(contact::Column::CallerRef.eq(r));
    }
    if let Some(p) = phone_index {
        any = any.add(contact::Column::PhoneIndex.eq(p));
    }
    if caller_ref.is_none() && phone_index.is_none() {
        return Ok(None);
    }
    contact::Entity::find()
        .filter(any)
        .filter(contact::Column::OrganisationId.eq(org))
        .filter(contact::Column::StartedAt.lt(before))
        .order_by_desc(contact::Column::StartedAt)
        .order_by_desc(contact::Column::Id)
        .one(db)
        .await
}

/// Updates the outcomes and notes of a contact if `version` is current; `false` if stale.
pub async fn update_contact(
    db: &impl ConnectionTrait,
    id: i32,
    version: i32,
    outcomes: String,
    notes_enc: Option<Vec<u8>>,
) -> Result<bool, DbErr> {
    let r = contact::Entity::update_many()
        .col_expr(contact::Column::Outcomes, Expr::value(outcomes))
        .col_expr(contact::Column::NotesEnc, Expr::value(notes_enc))
        .col_expr(
            contact::Column::Version,
            Expr::col(contact::Column::Version).add(1),
        )
        .filter(contact::Column::Id.eq(id))
        .filter(contact::Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Adds a mediation request; its place is sealed here (`place` stays empty).
pub async fn add_mediator_request(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    mut m: mediator_request::ActiveModel,
    place: &str,
) -> Result<mediator_request::Model, DbErr> {
    m.place = Set(String::new());
    m.place_enc = Set(seal(keys, MEDIATION_PLACE, place)?);
    m.insert(db).await
}

pub async fn mediator_request(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<mediator_request::Model>, DbErr> {
    mediator_request::Entity::find_by_id(id).one(db).await
}

pub async fn pending_mediators(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<Vec<mediator_request::Model>, DbErr> {
    mediator_request::Entity::find()
        .filter(mediator_request::Column::OrganisationId.eq(org))
        .filter(mediator_request::Column::Status.is_in(["requested", "assigned"]))
        .order_by_asc(mediator_request::Column::NeededAt)
        .all(db)
        .await
}

/// The requests assigned to a mediator's account: the open ones by the time they are needed,
/// then the last 20 she closed.
pub async fn mediations_of(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<mediator_request::Model>, DbErr> {
    let mut open = mediator_request::Entity::find()
        .filter(mediator_request::Column::MediatorUserId.eq(user_id))
        .filter(mediator_request::Column::Status.eq("assigned"))
        .order_by_asc(mediator_request::Column::NeededAt)
        .all(db)
        .await?;
    let done = mediator_request::Entity::find()
        .filter(mediator_request::Column::MediatorUserId.eq(user_id))
        .filter(mediator_request::Column::Status.is_in(["done", "cancelled"]))
        .order_by_desc(mediator_request::Column::NeededAt)
        .limit(20)
        .all(db)
        .await?;
    open.extend(done);
    Ok(open)
}

/// What work a contact has already started: (a mediator request, an emergency activation).
pub async fn work_started(
    db: &impl ConnectionTrait,
    contact_id: i32,
) -> Result<(bool, bool), DbErr> {
    let mediator = mediator_request::Entity::find()
        .filter(mediator_request::Column::ContactId.eq(contact_id))
        .one(db)
        .await?
        .is_some();
    let emergency = emergency::Entity::find()
        .filter(emergency::Column::ContactId.eq(contact_id))
        .one(db)
        .await?
        .is_some();
    Ok((mediator, emergency))
}

pub async fn set_mediator_status(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    current: mediator_request::Model,
    status: &str,
    mediator: Option<(Option<i32>, String)>,
    outcome: Option<String>,
) -> Result<(), DbErr> {
    let mut am = current.into_active_model();
    am.status = Set(status.to_owned());
    if let Some((account, name)) = mediator {
        am.mediator = Set(name);
        am.mediator_user_id = Set(account);
    }
    if let Some(o) = outcome {
        am.outcome = Set(String::new());
        am.outcome_enc = Set(seal(keys, MEDIATION_OUTCOME, &o)?);
    }
    am.update(db).await?;
    Ok(())
}

/// Starts an emergency; the description of the danger is sealed here.
pub async fn add_emergency(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    mut e: emergency::ActiveModel,
    danger: &str,
) -> Result<emergency::Model, DbErr> {
    e.danger = Set(String::new());
    e.danger_enc = Set(seal(keys, DANGER, danger)?);
    e.insert(db).await
}

pub async fn emergency(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<emergency::Model>, DbErr> {
    emergency::Entity::find_by_id(id).one(db).await
}

/// How many emergencies are open in the whole network.
pub async fn open_emergencies_everywhere(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    emergency::Entity::find()
        .filter(emergency::Column::ClosedAt.is_null())
        .count(db)
        .await
}

pub async fn open_emergencies(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<Vec<emergency::Model>, DbErr> {
    emergency::Entity::find()
        .filter(emergency::Column::OrganisationId.eq(org))
        .filter(emergency::Column::ClosedAt.is_null())
        .order_by_asc(emergency::Column::StartedAt)
        .all(db)
        .await
}

pub async fn save_emergency(
    db: &impl ConnectionTrait,
    e: emergency::ActiveModel,
) -> Result<(), DbErr> {
    e.update(db).await?;
    Ok(())
}

pub async fn add_shift_note(
    db: &impl ConnectionTrait,
    n: shift_note::ActiveModel,
) -> Result<(), DbErr> {
    n.insert(db).await?;
    Ok(())
}

pub async fn shift_notes(
    db: &impl ConnectionTrait,
    org: i32,
    limit: u64,
) -> Result<Vec<shift_note::Model>, DbErr> {
    shift_note::Entity::find()
        .filter(shift_note::Column::OrganisationId.eq(org))
        .order_by_desc(shift_note::Column::WrittenAt)
        .limit(limit)
        .all(db)
        .await
}

pub async fn add_interview(
    db: &impl ConnectionTrait,
    i: interview::ActiveModel,
) -> Result<interview::Model, DbErr> {
    i.insert(db).await
}

pub async fn interview(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<interview::Model>, DbErr> {
    interview::Entity::find_by_id(id).one(db).await
}

/// Interviews still to hold or to report on, soonest first.
pub async fn open_interviews(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<Vec<interview::Model>, DbErr> {
    interview::Entity::find()
        .filter(interview::Column::OrganisationId.eq(org))
        .filter(interview::Column::ReportSentOn.is_null())
        .order_by_asc(interview::Column::ScheduledOn)
        .all(db)
        .await
}

/// Saves an identification interview; its outcome is sealed here.
pub async fn save_interview(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    mut i: interview::ActiveModel,
    outcome: &str,
) -> Result<(), DbErr> {
    i.outcome = Set(String::new());
    i.outcome_enc = Set(seal(keys, INTERVIEW_OUTCOME, outcome)?);
    i.update(db).await?;
    Ok(())
}

/// Links a contact to a case if `version` is current; `false` if stale.
pub async fn link_case(
    db: &impl ConnectionTrait,
    id: i32,
    version: i32,
    case_id: i32,
) -> Result<bool, DbErr> {
    let r = contact::Entity::update_many()
        .col_expr(contact::Column::CaseId, Expr::value(case_id))
        .col_expr(
            contact::Column::Version,
            Expr::col(contact::Column::Version).add(1),
        )
        .filter(contact::Column::Id.eq(id))
        .filter(contact::Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Every organisation's contacts in a period (for regional statistics).
pub async fn all_in_period(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::StartedAt.gte(from))
        .filter(contact::Column::StartedAt.lt(to))
        .all(db)
        .await
}

/// Free text of the hotline's procedures, sealed like identity: what the danger is, where a
/// mediator is needed and how it went, what an identification interview found.
pub const DANGER: &str = "emergency_activation.danger";
pub const MEDIATION_PLACE: &str = "mediator_request.place";
pub const MEDIATION_OUTCOME: &str = "mediator_request.outcome";
pub const INTERVIEW_OUTCOME: &str = "identification_interview.outcome";

/// Seals free text (`None` when empty).
fn seal(keys: &KeyRing, ctx: &str, text: &str) -> Result<Option<Vec<u8>>, DbErr> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    keys.encrypt_str(ctx, text)
        .map(Some)
        .map_err(|e| DbErr::Custom(format!("sealing {ctx}: {e}")))
}

fn open_text(
    keys: &crate::platform::crypto::KeyRing,
    ctx: &str,
    sealed: &Option<Vec<u8>>,
) -> Result<String, crate::platform::crypto::CryptoError> {
    match sealed {
        Some(b) => keys.decrypt_str(ctx, b),
        None => Ok(String::new()),
    }
}

/// A mediation request with its place and outcome opened, for showing.
pub fn opened_mediator(
    keys: &crate::platform::crypto::KeyRing,
    mut m: mediator_request::Model,
) -> Result<mediator_request::Model, crate::platform::crypto::CryptoError> {
    m.place = open_text(keys, MEDIATION_PLACE, &m.place_enc)?;
    m.outcome = open_text(keys, MEDIATION_OUTCOME, &m.outcome_enc)?;
    Ok(m)
}

/// An emergency with its danger opened, for showing.
pub fn opened_emergency(
    keys: &crate::platform::crypto::KeyRing,
    mut e: emergency::Model,
) -> Result<emergency::Model, crate::platform::crypto::CryptoError> {
    e.danger = open_text(keys, DANGER, &e.danger_enc)?;
    Ok(e)
}

/// An identification interview with its outcome opened, for showing.
pub fn opened_interview(
    keys: &crate::platform::crypto::KeyRing,
    mut i: interview::Model,
) -> Result<interview::Model, crate::platform::crypto::CryptoError> {
    i.outcome = open_text(keys, INTERVIEW_OUTCOME, &i.outcome_enc)?;
    Ok(i)
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "emergency_activation",
        key: "id",
        column: "danger_enc",
        context: DANGER,
    },
    crate::platform::keys::EncryptedColumn {
        table: "mediator_request",
        key: "id",
        column: "place_enc",
        context: MEDIATION_PLACE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "mediator_request",
        key: "id",
        column: "outcome_enc",
        context: MEDIATION_OUTCOME,
    },
    crate::platform::keys::EncryptedColumn {
        table: "identification_interview",
        key: "id",
        column: "outcome_enc",
        context: INTERVIEW_OUTCOME,
    },
    crate::platform::keys::EncryptedColumn {
        table: "hotline_contact",
        key: "id",
        column: "notes_enc",
        context: NOTES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "shift_note",
        key: "id",
        column: "text_enc",
        context: SHIFT_NOTE,
    },
];
