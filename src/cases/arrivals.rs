//! Cases that arrive from outside the organisation's own pages — an HTCDS document imported by
//! the exchange area, a referral accepted by the receiving project — and the cases other areas
//! read whole: what the cases area publishes so that no other area writes or reads its tables.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};

use super::entities::{case, consent, permit, person, placement};
use super::rules::Phase;
use super::store::{self, CaseError, Identity, NewPerson};
use crate::platform::crypto::KeyRing;

/// What an arriving record says of the case beyond the person (each `None` or empty list is
/// "not recorded": the case keeps its default).
#[derive(Clone, Debug, Default)]
pub struct ArrivedFacts {
    /// The phase the record was in; `None` opens the case in emersion.
    pub phase: Option<String>,
    pub closure_reason: Option<String>,
    pub trafficking_status: Option<String>,
    pub exploitation_forms: Vec<String>,
    pub labour_sector: Option<String>,
    pub means_of_control: Vec<String>,
    pub recruitment: Vec<String>,
    /// The person's consent to processing travelled with the record.
    pub processing_consent: bool,
}

/// A case arriving from outside: the person, their identity and what the record says.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub person: NewPerson,
    pub identity: Identity,
    pub facts: ArrivedFacts,
}

/// Opens the case of an arrival in `org`, today in Italy (neither a document nor a referral
/// carries the day the receiving organisation takes the person in charge), in one transaction
/// inside the caller's. The caller has decided the access and appends the audit entry.
pub async fn open_arrived_case<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &KeyRing,
    arrival: &Arrival,
    org: i32,
    by_user: i32,
) -> Result<i32, CaseError> {
    let txn = db.begin().await?;
    let today = crate::platform::time::rome_today();
    let (_, opened) = store::open_case(
        &txn,
        keys,
        &arrival.person,
        &arrival.identity,
        org,
        by_user,
        today,
    )
    .await?;
    let f = &arrival.facts;
    let mut update = case::Entity::update_many()
        .col_expr(
            case::Column::ClosureReason,
            Expr::value(f.closure_reason.clone()),
        )
        .col_expr(
            case::Column::TraffickingStatus,
            Expr::value(f.trafficking_status.clone()),
        )
        .col_expr(
            case::Column::ExploitationForms,
            Expr::value(crate::platform::codes::join(&f.exploitation_forms)),
        )
        .col_expr(
            case::Column::LabourSector,
            Expr::value(f.labour_sector.clone()),
        )
        .col_expr(
            case::Column::MeansOfControl,
            Expr::value(crate::platform::codes::join(&f.means_of_control)),
        )
        .col_expr(
            case::Column::Recruitment,
            Expr::value(crate::platform::codes::join(&f.recruitment)),
        )
        .filter(case::Column::Id.eq(opened.id));
    if let Some(phase) = &f.phase {
        update = update.col_expr(case::Column::Phase, Expr::value(phase.clone()));
        if phase == Phase::Closed.code() {
            update = update.col_expr(case::Column::ClosedAt, Expr::value(Utc::now()));
        }
    }
    update.exec(&txn).await?;
    if f.processing_consent {
        store::add_consent(&txn, opened.id, "processing", None, today, None).await?;
    }
    txn.commit().await?;
    Ok(opened.id)
}

/// Closes the sending organisation's case when a transfer is completed (today in Italy), unless
/// it is already closed. Inside the caller's transaction; the referral area audits the transfer.
pub async fn close_on_transfer<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    case_id: i32,
    by_user: i32,
) -> Result<(), CaseError> {
    let Some(current) = store::case(db, case_id).await? else {
        return Ok(());
    };
    if current.phase == Phase::Closed.code() {
        return Ok(());
    }
    store::change_phase(
        db,
        &current,
        Phase::Closed,
        Some("transfer"),
        crate::platform::time::rome_today(),
        by_user,
        current.version,
    )
    .await?;
    crate::platform::webhooks::emit(
        db,
        &[current.owner_org],
        crate::platform::webhooks::Event {
            kind: "case.phase_changed",
            record_type: "case",
            record_id: case_id,
            at: chrono::Utc::now(),
        },
    )
    .await?;
    Ok(())
}

/// A case with its person and identity opened, and whether a consent to processing is in force
/// today: what an exchange document carries. The caller has decided and audited reading the
/// identity.
#[derive(Clone, Debug)]
pub struct CaseWithIdentity {
    pub case: case::Model,
    pub person: person::Model,
    pub identity: Identity,
    pub processing_consent: bool,
}

pub async fn case_with_identity(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    case_id: i32,
) -> Result<Option<CaseWithIdentity>, DbErr> {
    let Some(case) = store::case(db, case_id).await? else {
        return Ok(None);
    };
    let Some(person) = store::person(db, case.person_id).await? else {
        return Ok(None);
    };
    let person = store::opened_person(keys, person)
        .map_err(|e| DbErr::Custom(format!("person text cannot be decrypted: {e}")))?;
    let identity = match store::identity(db, person.id).await? {
        Some(m) => store::open_identity(keys, &m).ok(),
        None => None,
    }
    .unwrap_or_default();
    let today = crate::platform::time::rome_today();
    let processing_consent = store::consents(db, case.id).await?.iter().any(|c| {
        c.purpose == "processing"
            && c.withdrawn_on.is_none()
            && c.expires_on.is_none_or(|e| e >= today)
    });
    Ok(Some(CaseWithIdentity {
        case,
        person,
        identity,
        processing_consent,
    }))
}

/// Every case with its person's non-identifying attributes, latest placement's service and
/// permits: what the statistics, the national file and the open data count. No identity and no
/// sealed text is read (the person's sealed columns stay sealed).
#[derive(Clone, Debug)]
pub struct CountedCase {
    pub case: case::Model,
    pub person: person::Model,
    pub placements: Vec<placement::Model>,
    pub permits: Vec<permit::Model>,
}

pub async fn counted_cases(db: &impl ConnectionTrait) -> Result<Vec<CountedCase>, DbErr> {
    use std::collections::HashMap;
    let people: HashMap<i32, person::Model> = person::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut placements: HashMap<i32, Vec<placement::Model>> = HashMap::new();
    for p in placement::Entity::find().all(db).await? {
        placements.entry(p.case_id).or_default().push(p);
    }
    let mut permits: HashMap<i32, Vec<permit::Model>> = HashMap::new();
    for p in permit::Entity::find().all(db).await? {
        permits.entry(p.case_id).or_default().push(p);
    }
    let mut cases = case::Entity::find().all(db).await?;
    cases.sort_by_key(|c| c.id);
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        // A person has one case per organisation that took them in charge: cloned, not moved.
        let Some(p) = people.get(&c.person_id).cloned() else {
            continue;
        };
        out.push(CountedCase {
            placements: placements.remove(&c.id).unwrap_or_default(),
            permits: permits.remove(&c.id).unwrap_or_default(),
            person: p,
            case: c,
        });
    }
    Ok(out)
}

/// A consent as recorded, for areas that check one before acting (e.g. a transfer).
pub type Consent = consent::Model;
