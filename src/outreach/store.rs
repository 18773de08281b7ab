//! Queries of street units and drop-in desks. Every creating write carries an idempotency key:
//! a record sent twice (a phone resending after a lost answer, a double click) is found, not
//! saved again.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionSession,
    TransactionTrait,
};

use super::entities::{
    accompaniment, contact, count, encounter, interview, observation, outing, place,
};
use super::rules::CheckedOuting;

pub const OUTING_NOTES: &str = "outing.notes";
pub const OBSERVATION_NOTE: &str = "place_observation.note";

/// Whether a write created the record or found it already saved under the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    Created(i32),
    AlreadySaved(i32),
}

impl Saved {
    pub fn id(self) -> i32 {
        match self {
            Saved::Created(id) | Saved::AlreadySaved(id) => id,
        }
    }
}

fn is_duplicate(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Saves a record once per idempotency key: `find` looks for a record already saved under the
/// key, `insert` saves it. When two copies race, the unique index refuses the second and the
/// first is returned.
async fn save_once<F, FF, I, IF>(find: F, insert: I) -> Result<Saved, DbErr>
where
    F: Fn() -> FF,
    FF: std::future::Future<Output = Result<Option<i32>, DbErr>>,
    I: FnOnce() -> IF,
    IF: std::future::Future<Output = Result<i32, DbErr>>,
{
    if let Some(id) = find().await? {
        return Ok(Saved::AlreadySaved(id));
    }
    match insert().await {
        Ok(id) => Ok(Saved::Created(id)),
        Err(e) if is_duplicate(&e) => match find().await? {
            Some(id) => Ok(Saved::AlreadySaved(id)),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

// ---------- places ----------

pub async fn places_of(
    db: &impl ConnectionTrait,
    service_ids: &[i32],
) -> Result<Vec<place::Model>, DbErr> {
    place::Entity::find()
        .filter(place::Column::ServiceId.is_in(service_ids.to_vec()))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await
}

pub async fn place(db: &impl ConnectionTrait, id: i32) -> Result<Option<place::Model>, DbErr> {
    place::Entity::find_by_id(id).one(db).await
}

pub async fn add_place(
    db: &impl ConnectionTrait,
    service_id: i32,
    name: &str,
) -> Result<place::Model, DbErr> {
    place::ActiveModel {
        service_id: Set(service_id),
        name: Set(name.to_owned()),
        active: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn update_place(
    db: &impl ConnectionTrait,
    current: place::Model,
    name: &str,
    active: bool,
) -> Result<place::Model, DbErr> {
    let mut am = current.into_active_model();
    am.name = Set(name.to_owned());
    am.active = Set(active);
    am.update(db).await
}

// ---------- outings ----------

/// An outing as checked, with what goes around it.
pub struct NewOuting {
    pub organisation_id: i32,
    pub service_id: i32,
    pub area: String,
    pub places: Vec<i32>,
    pub team: String,
    pub mediators: String,
    pub languages: Vec<String>,
    pub referrals_proposed: i32,
    pub accompaniments_proposed: i32,
    pub notes_enc: Option<Vec<u8>>,
    pub idempotency_key: String,
    pub created_by: i32,
    pub checked: CheckedOuting,
    pub observations: Vec<NewObservation>,
}

/// What the unit saw at one place on the outing.
pub struct NewObservation {
    pub place_id: i32,
    pub people_seen: i32,
    pub new_groups: bool,
    pub control_signs: bool,
    pub note_enc: Option<Vec<u8>>,
}

pub async fn outing_by_key(
    db: &impl ConnectionTrait,
    org: i32,
    key: &str,
) -> Result<Option<outing::Model>, DbErr> {
    outing::Entity::find()
        .filter(outing::Column::OrganisationId.eq(org))
        .filter(outing::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// Saves an outing with its tallies, contacts and observations in one transaction; an outing
/// already saved under the same key is returned as it is.
pub async fn save_outing<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    o: NewOuting,
) -> Result<Saved, DbErr> {
    let (org, key) = (o.organisation_id, o.idempotency_key.clone());
    save_once(
        || async { Ok(outing_by_key(db, org, &key).await?.map(|x| x.id)) },
        || insert_outing(db, o),
    )
    .await
}

async fn insert_outing<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    o: NewOuting,
) -> Result<i32, DbErr> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let places = o
        .places
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let row = outing::ActiveModel {
        organisation_id: Set(o.organisation_id),
        service_id: Set(o.service_id),
        started_at: Set(o.checked.started),
        ended_at: Set(o.checked.ended),
        area: Set(o.area),
        places: Set(places),
        team: Set(o.team),
        mediators: Set(o.mediators),
        languages: Set(crate::platform::codes::join(&o.languages)),
        people_met: Set(o.checked.people_met),
        referrals_proposed: Set(o.referrals_proposed),
        accompaniments_proposed: Set(o.accompaniments_proposed),
        notes_enc: Set(o.notes_enc),
        idempotency_key: Set(o.idempotency_key),
        created_by: Set(o.created_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for t in &o.checked.tallies {
        count::ActiveModel {
            outing_id: Set(row.id),
            dimension: Set(t.dimension.to_owned()),
            value: Set(t.value.clone()),
            count: Set(t.count),
            started_at: Set(Some(row.started_at)),
            service_id: Set(Some(row.service_id)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for code in &o.checked.codes {
        let (c, new_contact) = match contact_by_code(&txn, o.organisation_id, code).await? {
            Some(c) => (c, false),
            None => (
                contact::ActiveModel {
                    organisation_id: Set(o.organisation_id),
                    code: Set(code.clone()),
                    created_at: Set(now),
                    case_id: Set(None),
                    linked_at: Set(None),
                    linked_by: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?,
                true,
            ),
        };
        encounter::ActiveModel {
            contact_id: Set(c.id),
            outing_id: Set(row.id),
            new_contact: Set(new_contact),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for ob in o.observations {
        observation::ActiveModel {
            outing_id: Set(row.id),
            place_id: Set(ob.place_id),
            people_seen: Set(ob.people_seen),
            new_groups: Set(ob.new_groups),
            control_signs: Set(ob.control_signs),
            note_enc: Set(ob.note_enc),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // The statistics' daily summary of the outing's day, in the same transaction.
    crate::stats::refresh_days(
        &txn,
        &std::iter::once(crate::platform::time::rome_date(row.started_at)).collect(),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

pub async fn outing(db: &impl ConnectionTrait, id: i32) -> Result<Option<outing::Model>, DbErr> {
    outing::Entity::find_by_id(id).one(db).await
}

/// An organisation's latest outings, newest first.
pub async fn recent_outings(
    db: &impl ConnectionTrait,
    org: i32,
    limit: u64,
) -> Result<Vec<outing::Model>, DbErr> {
    outing::Entity::find()
        .filter(outing::Column::OrganisationId.eq(org))
        .order_by_desc(outing::Column::StartedAt)
        .limit(limit)
        .all(db)
        .await
}

/// One page of an organisation's outings started in `[from, to)`, newest first.
pub async fn outings_page(
    db: &impl ConnectionTrait,
    org: i32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    (limit, offset): (u64, u64),
    after: Option<(DateTime<Utc>, i32)>,
) -> Result<Vec<outing::Model>, DbErr> {
    let mut q = outing::Entity::find();
    if let Some((at, id)) = after {
        q = q.filter(
            Condition::any().add(outing::Column::StartedAt.lt(at)).add(
                Condition::all()
                    .add(outing::Column::StartedAt.eq(at))
                    .add(outing::Column::Id.lt(id)),
            ),
        );
    }
    q.filter(outing::Column::OrganisationId.eq(org))
        .filter(outing::Column::StartedAt.gte(from))
        .filter(outing::Column::StartedAt.lt(to))
        .order_by_desc(outing::Column::StartedAt)
        .order_by_desc(outing::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await
}

/// Outings started in `[from, to)` by the given units.
pub async fn outings_in(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    service_ids: Option<&[i32]>,
) -> Result<Vec<outing::Model>, DbErr> {
    let mut q = outing::Entity::find()
        .filter(outing::Column::StartedAt.gte(from))
        .filter(outing::Column::StartedAt.lt(to));
    if let Some(ids) = service_ids {
        q = q.filter(outing::Column::ServiceId.is_in(ids.to_vec()));
    }
    q.order_by_asc(outing::Column::StartedAt).all(db).await
}

/// The tallies of the given outings, in chunks (parameter limits differ by backend).
pub async fn counts_of(
    db: &impl ConnectionTrait,
    outing_ids: &[i32],
) -> Result<Vec<count::Model>, DbErr> {
    let mut all = Vec::new();
    for chunk in outing_ids.chunks(500) {
        all.extend(
            count::Entity::find()
                .filter(count::Column::OutingId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(all)
}

pub async fn encounters_of_outings(
    db: &impl ConnectionTrait,
    outing_ids: &[i32],
) -> Result<Vec<encounter::Model>, DbErr> {
    let mut all = Vec::new();
    for chunk in outing_ids.chunks(500) {
        all.extend(
            encounter::Entity::find()
                .filter(encounter::Column::OutingId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(all)
}

pub async fn observations_of(
    db: &impl ConnectionTrait,
    outing_id: i32,
) -> Result<Vec<observation::Model>, DbErr> {
    observation::Entity::find()
        .filter(observation::Column::OutingId.eq(outing_id))
        .all(db)
        .await
}

// ---------- anonymous contacts ----------

pub async fn contact(db: &impl ConnectionTrait, id: i32) -> Result<Option<contact::Model>, DbErr> {
    contact::Entity::find_by_id(id).one(db).await
}

pub async fn contact_by_code(
    db: &impl ConnectionTrait,
    org: i32,
    code: &str,
) -> Result<Option<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(org))
        .filter(contact::Column::Code.eq(code))
        .one(db)
        .await
}

/// A contact's code, created if the unit has not used it before.
pub async fn contact_for_code(
    db: &impl ConnectionTrait,
    org: i32,
    code: &str,
) -> Result<contact::Model, DbErr> {
    if let Some(c) = contact_by_code(db, org, code).await? {
        return Ok(c);
    }
    contact::ActiveModel {
        organisation_id: Set(org),
        code: Set(code.to_owned()),
        created_at: Set(Utc::now()),
        case_id: Set(None),
        linked_at: Set(None),
        linked_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn contacts(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(contact::Column::Code)
        .all(db)
        .await
}

pub async fn encounters_of_contact(
    db: &impl ConnectionTrait,
    contact_id: i32,
) -> Result<Vec<encounter::Model>, DbErr> {
    encounter::Entity::find()
        .filter(encounter::Column::ContactId.eq(contact_id))
        .order_by_asc(encounter::Column::Id)
        .all(db)
        .await
}

pub async fn link_contact(
    db: &impl ConnectionTrait,
    current: contact::Model,
    case_id: i32,
    by_user: i32,
) -> Result<contact::Model, DbErr> {
    let mut am = current.into_active_model();
    am.case_id = Set(Some(case_id));
    am.linked_at = Set(Some(Utc::now()));
    am.linked_by = Set(Some(by_user));
    am.update(db).await
}

// ---------- drop-in interviews ----------

/// A checked drop-in interview waiting to be saved, with the anonymous code it names.
pub struct NewInterview {
    pub row: interview::ActiveModel,
    pub organisation_id: i32,
    pub key: String,
    pub contact_code: Option<String>,
}

impl NewInterview {
    /// The person's case the interview will be filed under, if any.
    pub fn case_id(&self) -> Option<i32> {
        match &self.row.case_id {
            sea_orm::ActiveValue::Set(c) | sea_orm::ActiveValue::Unchanged(c) => *c,
            sea_orm::ActiveValue::NotSet => None,
        }
    }
}

/// Saves an interview once per idempotency key, with its anonymous contact (created the first
/// time the organisation uses the code) in the same transaction.
pub async fn save_interview<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewInterview,
) -> Result<Saved, DbErr> {
    let (org, key) = (new.organisation_id, new.key.clone());
    save_once(
        || async {
            Ok(interview::Entity::find()
                .filter(interview::Column::OrganisationId.eq(org))
                .filter(interview::Column::IdempotencyKey.eq(&key))
                .one(db)
                .await?
                .map(|x| x.id))
        },
        || async {
            let txn = db.begin().await?;
            let mut row = new.row;
            if let Some(code) = &new.contact_code {
                let c = contact_for_code(&txn, org, code).await?;
                row.contact_id = Set(Some(c.id));
            }
            let id = row.insert(&txn).await?.id;
            txn.commit().await?;
            Ok(id)
        },
    )
    .await
}

pub async fn interview(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<interview::Model>, DbErr> {
    interview::Entity::find_by_id(id).one(db).await
}

/// A page of the organisation's interviews held in `[from, to)`, newest first.
pub async fn interviews_page(
    db: &impl ConnectionTrait,
    org: i32,
    (from, to): (NaiveDate, NaiveDate),
    (limit, offset): (u64, u64),
    after: Option<(NaiveDate, i32)>,
) -> Result<Vec<interview::Model>, DbErr> {
    let mut q = interview::Entity::find();
    if let Some((day, id)) = after {
        q = q.filter(
            Condition::any().add(interview::Column::HeldOn.lt(day)).add(
                Condition::all()
                    .add(interview::Column::HeldOn.eq(day))
                    .add(interview::Column::Id.lt(id)),
            ),
        );
    }
    q.filter(interview::Column::OrganisationId.eq(org))
        .filter(interview::Column::HeldOn.gte(from))
        .filter(interview::Column::HeldOn.lt(to))
        .order_by_desc(interview::Column::HeldOn)
        .order_by_desc(interview::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await
}

pub async fn recent_interviews(
    db: &impl ConnectionTrait,
    org: i32,
    limit: u64,
) -> Result<Vec<interview::Model>, DbErr> {
    interview::Entity::find()
        .filter(interview::Column::OrganisationId.eq(org))
        .order_by_desc(interview::Column::HeldOn)
        .order_by_desc(interview::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn interviews_in(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    service_ids: Option<&[i32]>,
) -> Result<Vec<interview::Model>, DbErr> {
    let mut q = interview::Entity::find()
        .filter(interview::Column::HeldOn.gte(from))
        .filter(interview::Column::HeldOn.lte(to));
    if let Some(ids) = service_ids {
        q = q.filter(interview::Column::ServiceId.is_in(ids.to_vec()));
    }
    q.all(db).await
}

pub async fn interviews_of_contact(
    db: &impl ConnectionTrait,
    contact_id: i32,
) -> Result<Vec<interview::Model>, DbErr> {
    interview::Entity::find()
        .filter(interview::Column::ContactId.eq(contact_id))
        .order_by_asc(interview::Column::HeldOn)
        .all(db)
        .await
}

// ---------- accompaniments ----------

pub async fn save_accompaniment<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    row: accompaniment::ActiveModel,
    org: i32,
    key: &str,
) -> Result<Saved, DbErr> {
    save_once(
        || async {
            Ok(accompaniment::Entity::find()
                .filter(accompaniment::Column::OrganisationId.eq(org))
                .filter(accompaniment::Column::IdempotencyKey.eq(key))
                .one(db)
                .await?
                .map(|x| x.id))
        },
        // In a savepoint: inside the caller's transaction, a duplicate refused by PostgreSQL
        // must undo only this insert, so that the resend can still be found.
        || async {
            let sp = db.begin().await?;
            let id = row.insert(&sp).await?.id;
            sp.commit().await?;
            Ok(id)
        },
    )
    .await
}

pub async fn recent_accompaniments(
    db: &impl ConnectionTrait,
    org: i32,
    limit: u64,
) -> Result<Vec<accompaniment::Model>, DbErr> {
    accompaniment::Entity::find()
        .filter(accompaniment::Column::OrganisationId.eq(org))
        .order_by_desc(accompaniment::Column::HappenedOn)
        .order_by_desc(accompaniment::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Accompaniments in `[from, to]` (both days), of the given organisations if any.
pub async fn accompaniments_in(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    organisations: Option<&[i32]>,
) -> Result<Vec<accompaniment::Model>, DbErr> {
    let mut q = accompaniment::Entity::find()
        .filter(accompaniment::Column::HappenedOn.gte(from))
        .filter(accompaniment::Column::HappenedOn.lte(to));
    if let Some(ids) = organisations {
        q = q.filter(accompaniment::Column::OrganisationId.is_in(ids.to_vec()));
    }
    q.all(db).await
}

pub async fn accompaniments_of_case(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<accompaniment::Model>, DbErr> {
    accompaniment::Entity::find()
        .filter(accompaniment::Column::CaseId.eq(case_id))
        .order_by_asc(accompaniment::Column::HappenedOn)
        .all(db)
        .await
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "outing",
        key: "id",
        column: "notes_enc",
        context: OUTING_NOTES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "place_observation",
        key: "id",
        column: "note_enc",
        context: OBSERVATION_NOTE,
    },
];
