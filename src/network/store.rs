//! Queries of the network registry. Other areas call these functions, never the tables.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{
    beds, governance_role, meeting, organisation, participant, service, training,
};

pub const SERVICE_ADDRESS: &str = "network_service.address";

fn registry_version_query() -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    Query::select()
        .column(Alias::new("version"))
        .from(Alias::new("registry_version"))
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned()
}

/// The registry's version: a value that changes whenever an organisation or a service is
/// added or changed (migration 0037).
pub async fn registry_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    match db.query_one(&registry_version_query()).await? {
        Some(row) => row.try_get_by_index::<i64>(0),
        None => Err(DbErr::RecordNotFound("registry_version".into())),
    }
}

/// The registry's version as a value of another area's query (the session's, so that a page
/// knows it without a query of its own).
pub fn registry_version_expr() -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::QueryStatementBuilder;
    sea_orm::sea_query::Expr::from(registry_version_query().into_sub_query_statement())
}

/// Gives the registry a new version, in the caller's transaction: every instance reads the
/// organisations and services again at its next request. Called after the change it marks.
async fn registry_changed(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let version: i64 = rand::random();
    let q = Query::update()
        .table(Alias::new("registry_version"))
        .value(Alias::new("version"), version)
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    db.execute(&q).await?;
    Ok(())
}

pub async fn organisations(db: &impl ConnectionTrait) -> Result<Vec<organisation::Model>, DbErr> {
    organisation::Entity::find()
        .order_by_asc(organisation::Column::Name)
        .all(db)
        .await
}

pub async fn organisation(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find_by_id(id).one(db).await
}

pub async fn organisation_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name))
        .one(db)
        .await
}

pub async fn create_organisation(
    db: &impl ConnectionTrait,
    name: &str,
    kind: &str,
    province: Option<&str>,
    is_public: bool,
) -> Result<organisation::Model, DbErr> {
    let org = organisation::ActiveModel {
        name: Set(name.to_owned()),
        kind: Set(kind.to_owned()),
        province: Set(province.map(str::to_owned)),
        is_public: Set(is_public),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    registry_changed(db).await?;
    Ok(org)
}

/// What the organisation page changes.
#[derive(Clone, Debug)]
pub struct OrganisationChange {
    pub kind: String,
    pub province: Option<String>,
    pub is_public: bool,
    pub register_section2: bool,
    /// Kept only when registered in the second section.
    pub register_number: Option<String>,
    /// A test or training organisation, left out of every figure.
    pub excluded_from_stats: bool,
}

/// Saves an organisation's change.
pub async fn update_organisation(
    db: &impl ConnectionTrait,
    org: organisation::Model,
    c: OrganisationChange,
) -> Result<organisation::Model, DbErr> {
    use sea_orm::IntoActiveModel;
    let mut am = org.into_active_model();
    am.kind = Set(c.kind);
    am.province = Set(c.province);
    am.is_public = Set(c.is_public);
    am.register_section2 = Set(c.register_section2);
    am.register_number = Set(c.register_number.filter(|_| c.register_section2));
    am.excluded_from_stats = Set(c.excluded_from_stats);
    let org = am.update(db).await?;
    registry_changed(db).await?;
    Ok(org)
}

pub async fn names(db: &impl ConnectionTrait) -> Result<BTreeMap<i32, String>, DbErr> {
    Ok(organisations(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// Roles held today (no end date).
pub async fn current_roles(
    db: &impl ConnectionTrait,
) -> Result<Vec<governance_role::Model>, DbErr> {
    governance_role::Entity::find()
        .filter(governance_role::Column::Until.is_null())
        .order_by_asc(governance_role::Column::Id)
        .all(db)
        .await
}

pub async fn roles_of(
    db: &impl ConnectionTrait,
    organisation_id: i32,
) -> Result<Vec<governance_role::Model>, DbErr> {
    governance_role::Entity::find()
        .filter(governance_role::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(governance_role::Column::Since)
        .all(db)
        .await
}

pub async fn role(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<governance_role::Model>, DbErr> {
    governance_role::Entity::find_by_id(id).one(db).await
}

pub async fn add_role(
    db: &impl ConnectionTrait,
    organisation_id: i32,
    kind: &str,
    province: Option<String>,
    since: NaiveDate,
) -> Result<governance_role::Model, DbErr> {
    governance_role::ActiveModel {
        organisation_id: Set(organisation_id),
        kind: Set(kind.to_owned()),
        province: Set(province),
        since: Set(since),
        until: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn end_role(db: &impl ConnectionTrait, id: i32, until: NaiveDate) -> Result<(), DbErr> {
    governance_role::Entity::update_many()
        .col_expr(
            governance_role::Column::Until,
            sea_orm::sea_query::Expr::value(until),
        )
        .filter(governance_role::Column::Id.eq(id))
        .filter(governance_role::Column::Until.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn services(db: &impl ConnectionTrait) -> Result<Vec<service::Model>, DbErr> {
    service::Entity::find()
        .order_by_asc(service::Column::Province)
        .order_by_asc(service::Column::Name)
        .all(db)
        .await
}

pub async fn services_of(
    db: &impl ConnectionTrait,
    organisation_id: i32,
) -> Result<Vec<service::Model>, DbErr> {
    service::Entity::find()
        .filter(service::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(service::Column::Name)
        .all(db)
        .await
}

pub async fn beds_of(
    db: &impl ConnectionTrait,
    service_id: i32,
) -> Result<Vec<beds::Model>, DbErr> {
    beds::Entity::find()
        .filter(beds::Column::ServiceId.eq(service_id))
        .order_by_asc(beds::Column::BedKind)
        .all(db)
        .await
}

/// The beds of a service, held until the end of the caller's transaction so that two
/// placements cannot both take its last free bed: PostgreSQL locks the rows (`FOR UPDATE`);
/// SQLite has one writer at a time and ignores the lock, so the caller writes before it reads
/// (`cases::ops::place`).
pub async fn beds_held(
    txn: &impl ConnectionTrait,
    service_id: i32,
) -> Result<Vec<beds::Model>, DbErr> {
    beds::Entity::find()
        .filter(beds::Column::ServiceId.eq(service_id))
        .order_by_asc(beds::Column::BedKind)
        .lock_exclusive()
        .all(txn)
        .await
}

/// The beds of several services at once (one query, whatever their number), by service and
/// bed kind.
pub async fn beds_of_services(
    db: &impl ConnectionTrait,
    service_ids: &[i32],
) -> Result<Vec<beds::Model>, DbErr> {
    if service_ids.is_empty() {
        return Ok(Vec::new());
    }
    beds::Entity::find()
        .filter(beds::Column::ServiceId.is_in(service_ids.iter().copied()))
        .order_by_asc(beds::Column::ServiceId)
        .order_by_asc(beds::Column::BedKind)
        .all(db)
        .await
}

#[allow(clippy::too_many_arguments)]
pub async fn add_service(
    db: &impl ConnectionTrait,
    organisation_id: i32,
    kind: &str,
    name: &str,
    province: Option<String>,
    hours: &str,
    languages: &str,
    itinerant: bool,
    address_enc: Option<Vec<u8>>,
    bed_counts: &[(&str, i32)],
) -> Result<service::Model, DbErr> {
    let s = service::ActiveModel {
        organisation_id: Set(organisation_id),
        kind: Set(kind.to_owned()),
        name: Set(name.to_owned()),
        province: Set(province),
        hours: Set(hours.to_owned()),
        languages: Set(languages.to_owned()),
        itinerant: Set(itinerant),
        address_enc: Set(address_enc),
        active: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (kind, capacity) in bed_counts {
        if *capacity > 0 {
            beds::ActiveModel {
                service_id: Set(s.id),
                bed_kind: Set((*kind).to_owned()),
                capacity: Set(*capacity),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    registry_changed(db).await?;
    Ok(s)
}

pub async fn meetings(
    db: &impl ConnectionTrait,
    province: Option<&str>,
) -> Result<Vec<meeting::Model>, DbErr> {
    let mut q = meeting::Entity::find();
    if let Some(p) = province {
        q = q.filter(meeting::Column::Province.eq(p));
    }
    q.order_by_desc(meeting::Column::HeldOn).all(db).await
}

pub async fn participants(
    db: &impl ConnectionTrait,
    meeting_id: i32,
) -> Result<Vec<participant::Model>, DbErr> {
    participant::Entity::find()
        .filter(participant::Column::MeetingId.eq(meeting_id))
        .all(db)
        .await
}

/// A meeting as recorded by a coordinator.
pub struct NewMeeting {
    pub province: String,
    pub convener_id: i32,
    pub held_on: NaiveDate,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    pub invited: Vec<i32>,
    pub present: Vec<i32>,
}

pub async fn add_meeting(
    db: &impl ConnectionTrait,
    m: &NewMeeting,
    by: i32,
) -> Result<meeting::Model, DbErr> {
    let row = meeting::ActiveModel {
        province: Set(m.province.clone()),
        convener_id: Set(m.convener_id),
        held_on: Set(m.held_on),
        agenda: Set(m.agenda.clone()),
        minutes: Set(m.minutes.clone()),
        decisions: Set(m.decisions.clone()),
        created_by: Set(by),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut everyone: Vec<i32> = m.invited.iter().chain(m.present.iter()).copied().collect();
    everyone.sort_unstable();
    everyone.dedup();
    for org in everyone {
        participant::ActiveModel {
            meeting_id: Set(row.id),
            organisation_id: Set(org),
            present: Set(m.present.contains(&org)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(row)
}

pub async fn trainings(db: &impl ConnectionTrait) -> Result<Vec<training::Model>, DbErr> {
    training::Entity::find()
        .order_by_desc(training::Column::HeldOn)
        .all(db)
        .await
}

pub async fn add_training(
    db: &impl ConnectionTrait,
    title: &str,
    place: &str,
    held_on: NaiveDate,
    organisations: &str,
    participants: i32,
) -> Result<training::Model, DbErr> {
    training::ActiveModel {
        title: Set(title.to_owned()),
        place: Set(place.to_owned()),
        held_on: Set(held_on),
        organisations: Set(organisations.to_owned()),
        participants: Set(participants),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn service(db: &impl ConnectionTrait, id: i32) -> Result<Option<service::Model>, DbErr> {
    service::Entity::find_by_id(id).one(db).await
}

/// Updates a service and replaces its bed counts, in one transaction.
pub async fn update_service<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    current: service::Model,
    hours: String,
    languages: String,
    active: bool,
    bed_counts: &[(&str, i32)],
) -> Result<(), DbErr> {
    use sea_orm::{IntoActiveModel, TransactionSession};
    let txn = db.begin().await?;
    let id = current.id;
    let mut am = current.into_active_model();
    am.hours = Set(hours);
    am.languages = Set(languages);
    am.active = Set(active);
    am.update(&txn).await?;
    beds::Entity::delete_many()
        .filter(beds::Column::ServiceId.eq(id))
        .exec(&txn)
        .await?;
    for (kind, capacity) in bed_counts {
        if *capacity > 0 {
            beds::ActiveModel {
                service_id: Set(id),
                bed_kind: Set((*kind).to_owned()),
                capacity: Set(*capacity),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    registry_changed(&txn).await?;
    txn.commit().await
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] =
    &[crate::platform::keys::EncryptedColumn {
        table: "network_service",
        key: "id",
        column: "address_enc",
        context: SERVICE_ADDRESS,
    }];
