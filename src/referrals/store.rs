//! Queries of referrals. A change of state is one transaction: the referral's new state and
//! version, its history line, and its effects (the receiving organisation's new case, the
//! sending case closed as transferred).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use super::entities::{counterpart, event, referral};
use super::rules::{Package, Status};
use crate::cases::CaseError;
use crate::platform::crypto::{CryptoError, KeyRing};

pub const PACKAGE: &str = "referral.package";

#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error("the referral was changed by someone else")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("the package cannot be read")]
    Package,
}

impl From<CaseError> for ReferralError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Conflict => ReferralError::Conflict,
            CaseError::Db(d) => ReferralError::Db(d),
            CaseError::Crypto(c) => ReferralError::Crypto(c),
        }
    }
}

pub fn seal(keys: &KeyRing, p: &Package) -> Result<Vec<u8>, ReferralError> {
    let json = serde_json::to_string(p).map_err(|_| ReferralError::Package)?;
    Ok(keys.encrypt_str(PACKAGE, &json)?)
}

/// A refusal reason or a history note, sealed like the package: both sides read it, and it
/// may name the person or their situation.
pub const NOTE: &str = "referral.note";

/// A referral with its refusal reason opened, for showing.
pub fn opened(keys: &KeyRing, mut r: referral::Model) -> Result<referral::Model, ReferralError> {
    r.refusal_reason = match &r.refusal_reason_enc {
        Some(b) => Some(keys.decrypt_str(NOTE, b)?),
        None => r.refusal_reason,
    };
    Ok(r)
}

/// A history note, opened.
pub fn opened_note(keys: &KeyRing, e: &event::Model) -> Result<String, ReferralError> {
    match &e.note_enc {
        Some(b) => keys.decrypt_str(NOTE, b).map_err(ReferralError::Crypto),
        None => Ok(e.note.clone().unwrap_or_default()),
    }
}

pub fn open(keys: &KeyRing, r: &referral::Model) -> Result<Package, ReferralError> {
    let json = keys.decrypt_str(PACKAGE, &r.package_enc)?;
    serde_json::from_str(&json).map_err(|_| ReferralError::Package)
}

/// Saves a new referral (proposed) with the first line of its history.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    row: referral::ActiveModel,
    by_user: i32,
    by_org: i32,
) -> Result<referral::Model, DbErr> {
    let txn = db.begin().await?;
    let r = row.insert(&txn).await?;
    event::ActiveModel {
        referral_id: Set(r.id),
        status: Set(Status::Proposed.code().to_owned()),
        at: Set(r.created_at),
        by_user: Set(by_user),
        by_org: Set(by_org),
        note: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(r)
}

pub async fn referral(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<referral::Model>, DbErr> {
    referral::Entity::find_by_id(id).one(db).await
}

/// Referrals an organisation sends, receives or recorded, newest first.
pub async fn for_org(db: &impl ConnectionTrait, org: i32) -> Result<Vec<referral::Model>, DbErr> {
    referral::Entity::find()
        .filter(
            Condition::any()
                .add(referral::Column::SenderOrg.eq(org))
                .add(referral::Column::ReceiverOrg.eq(org))
                .add(referral::Column::RecordedByOrg.eq(org)),
        )
        .order_by_desc(referral::Column::CreatedAt)
        .all(db)
        .await
}

/// A page of [`for_org`], newest first, continuing below the id `after` (the API's list: the
/// indexes on each organisation column and the id serve it at any depth).
pub async fn page_for_org(
    db: &impl ConnectionTrait,
    org: i32,
    limit: u64,
    after: Option<i32>,
) -> Result<Vec<referral::Model>, DbErr> {
    use sea_orm::QuerySelect;
    let mut q = referral::Entity::find().filter(
        Condition::any()
            .add(referral::Column::SenderOrg.eq(org))
            .add(referral::Column::ReceiverOrg.eq(org))
            .add(referral::Column::RecordedByOrg.eq(org)),
    );
    if let Some(after) = after {
        q = q.filter(referral::Column::Id.lt(after));
    }
    q.order_by_desc(referral::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn of_case(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<referral::Model>, DbErr> {
    referral::Entity::find()
        .filter(
            Condition::any()
                .add(referral::Column::CaseId.eq(case_id))
                .add(referral::Column::OpenedCaseId.eq(case_id)),
        )
        .order_by_desc(referral::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn history(
    db: &impl ConnectionTrait,
    referral_id: i32,
) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::ReferralId.eq(referral_id))
        .order_by_asc(event::Column::At)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
}

/// A change of state, checked against the machine by the caller.
pub struct Change<'a> {
    pub to: Status,
    pub note: Option<String>,
    pub version: i32,
    pub by_user: i32,
    pub by_org: i32,
    pub keys: &'a KeyRing,
}

/// Applies a change of state with its effects. Returns the case opened for the receiver, if
/// any. A stale version (someone else changed the referral) is a conflict and changes nothing.
pub async fn change<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    current: &referral::Model,
    c: Change<'_>,
) -> Result<Option<i32>, ReferralError> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let mut update = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(c.to.code()))
        .col_expr(referral::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            referral::Column::Version,
            Expr::col(referral::Column::Version).add(1),
        )
        .filter(referral::Column::Id.eq(current.id))
        .filter(referral::Column::Version.eq(c.version));
    let sealed_note = match c.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(c.keys.encrypt_str(NOTE, n)?),
        None => None,
    };
    if c.to == Status::Refused {
        update = update.col_expr(
            referral::Column::RefusalReasonEnc,
            Expr::value(sealed_note.clone()),
        );
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        return Err(ReferralError::Conflict);
    }
    event::ActiveModel {
        referral_id: Set(current.id),
        status: Set(c.to.code().to_owned()),
        at: Set(now),
        by_user: Set(c.by_user),
        by_org: Set(c.by_org),
        note: Set(None),
        note_enc: Set(sealed_note),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut opened = None;
    if c.to == Status::Accepted {
        if let Some(receiver) = current.receiver_org {
            let package = open(c.keys, current)?;
            let id =
                open_case_from(&txn, c.keys, &package, receiver, c.by_user, current.id).await?;
            referral::Entity::update_many()
                .col_expr(referral::Column::OpenedCaseId, Expr::value(id))
                .filter(referral::Column::Id.eq(current.id))
                .exec(&txn)
                .await?;
            opened = Some(id);
        }
        if let Some(case_id) = current.case_id {
            // The transfer is completed now: the sending case closes today.
            crate::cases::close_on_transfer(&txn, case_id, c.by_user).await?;
        }
    }
    txn.commit().await?;
    Ok(opened)
}

/// Opens the receiving organisation's case with the shared data only.
async fn open_case_from<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &KeyRing,
    p: &Package,
    org: i32,
    by_user: i32,
    referral_id: i32,
) -> Result<i32, ReferralError> {
    let arrival = crate::cases::Arrival {
        person: crate::cases::NewPerson {
            gender: p.gender.clone().unwrap_or_else(|| "unknown".into()),
            birth_year: p.birth_year,
            birth_year_estimated: false,
            presumed_minor: false,
            nationalities: p.nationalities.clone().unwrap_or_default(),
            languages: p.languages.clone().unwrap_or_default(),
            vulnerabilities: p.vulnerabilities.clone().unwrap_or_default(),
        },
        identity: crate::cases::Identity {
            names: p
                .names
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("R-{referral_id}")),
            phone: p.phone.clone().unwrap_or_default(),
            ..Default::default()
        },
        // Only what the package shares: the receiving project assesses the rest.
        facts: crate::cases::ArrivedFacts {
            exploitation_forms: p.exploitation_forms.clone().unwrap_or_default(),
            ..Default::default()
        },
    };
    Ok(crate::cases::open_arrived_case(db, keys, &arrival, org, by_user).await?)
}

// ---------- the directory of other regions' projects ----------

pub async fn counterparts(db: &impl ConnectionTrait) -> Result<Vec<counterpart::Model>, DbErr> {
    counterpart::Entity::find()
        .order_by_asc(counterpart::Column::Region)
        .order_by_asc(counterpart::Column::Name)
        .all(db)
        .await
}

pub async fn add_counterpart(
    db: &impl ConnectionTrait,
    name: &str,
    region: &str,
    contact: &str,
) -> Result<counterpart::Model, DbErr> {
    counterpart::ActiveModel {
        name: Set(name.to_owned()),
        region: Set(region.to_owned()),
        contact: Set(contact.to_owned()),
        active: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
}

// ---------- statistics ----------

/// Referrals created in `[from, to)`, and history lines of that period.
pub async fn created_in(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<referral::Model>, DbErr> {
    referral::Entity::find()
        .filter(referral::Column::CreatedAt.gte(from))
        .filter(referral::Column::CreatedAt.lt(to))
        .all(db)
        .await
}

pub async fn events_in(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::At.gte(from))
        .filter(event::Column::At.lt(to))
        .all(db)
        .await
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<referral::Model>, DbErr> {
    referral::Entity::find().all(db).await
}

/// The day a consent to transfer was given, if the case has one in force for `receiver`.
pub async fn transfer_consent(
    db: &impl ConnectionTrait,
    case_id: i32,
    receiver: Option<i32>,
    today: NaiveDate,
) -> Result<Option<crate::cases::Consent>, DbErr> {
    Ok(crate::cases::consents(db, case_id)
        .await?
        .into_iter()
        .filter(|c| c.purpose == "transfer")
        .filter(|c| c.withdrawn_on.is_none())
        .filter(|c| c.given_on <= today)
        .filter(|c| c.expires_on.is_none_or(|e| e >= today))
        .find(|c| c.organisation_id.is_none() || c.organisation_id == receiver))
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "referral",
        key: "id",
        column: "refusal_reason_enc",
        context: NOTE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "referral_event",
        key: "id",
        column: "note_enc",
        context: NOTE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "referral",
        key: "id",
        column: "package_enc",
        context: PACKAGE,
    },
];

/// Plain columns older versions wrote in clear, with the sealed column replacing each (migration
/// 0016 added the sealed ones; migrations have no keys, so they are sealed at start-up).
pub const SEALED_FROM_PLAIN: &[crate::platform::keys::LegacyPlain] = &[
    crate::platform::keys::LegacyPlain {
        table: "referral",
        plain: "refusal_reason",
        sealed: "refusal_reason_enc",
        context: NOTE,
    },
    crate::platform::keys::LegacyPlain {
        table: "referral_event",
        plain: "note",
        sealed: "note_enc",
        context: NOTE,
    },
];
