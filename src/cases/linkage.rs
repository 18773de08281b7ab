//! People's linkage keys (issue 26): made from the identity when it is written (on the server
//! of the organisation that holds it) under the network's linkage secret, kept beside the
//! person, forgotten when the identity is erased, and made again for everyone when the secret
//! is rotated. Only the key is ever read by the estimate: never a name.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect};

use super::entities::{identity, person};
use crate::platform::crypto::KeyRing;
use crate::platform::linkage::{Encoder, Fields, Key};

pub mod person_linkage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person_linkage")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: i32,
        pub link_key: Vec<u8>,
        pub secret_tag: String,
        pub updated_at: ChronoDateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The linkage key of a person with these names.
pub fn key_of(encoder: &Encoder, p: &person::Model, names: &str) -> Key {
    let nationalities = crate::platform::codes::to_vec(&p.nationalities);
    let gender = Some(p.gender.as_str()).filter(|g| !g.is_empty() && *g != "unknown");
    encoder.encode(&Fields {
        names,
        birth_year: p.birth_year,
        gender,
        nationalities: &nationalities,
    })
}

/// Writes (or replaces) the linkage key of a person, in the caller's transaction.
pub async fn write(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    p: &person::Model,
    names: &str,
) -> Result<(), DbErr> {
    let key = key_of(keys.linkage_encoder(), p, names);
    person_linkage::Entity::insert(person_linkage::ActiveModel {
        person_id: Set(p.id),
        link_key: Set(key.to_bytes()),
        secret_tag: Set(keys.linkage_tag()),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(person_linkage::Column::PersonId)
            .update_columns([
                person_linkage::Column::LinkKey,
                person_linkage::Column::SecretTag,
                person_linkage::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Forgets the keys of people whose identity was erased.
pub async fn forget(db: &impl ConnectionTrait, people: &[i32]) -> Result<(), DbErr> {
    if people.is_empty() {
        return Ok(());
    }
    person_linkage::Entity::delete_many()
        .filter(person_linkage::Column::PersonId.is_in(people.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes the key of every person with an identity whose key is missing or was made under
/// another secret (all of them after `satis keys rotate`), in batches; how many were made.
pub async fn reencode(db: &impl ConnectionTrait, keys: &KeyRing) -> Result<u64, DbErr> {
    let tag = keys.linkage_tag();
    let mut after = 0;
    let mut made = 0u64;
    loop {
        // Only people without a key under the current secret: the database skips the rest
        // (a server start on a database where every key is current reads one empty batch).
        let current = sea_orm::sea_query::Query::select()
            .column(person_linkage::Column::PersonId)
            .from(person_linkage::Entity)
            .and_where(person_linkage::Column::SecretTag.eq(tag.as_str()))
            .to_owned();
        let people = person::Entity::find()
            .filter(person::Column::Id.gt(after))
            .filter(person::Column::IdentityErasedAt.is_null())
            .filter(person::Column::Id.not_in_subquery(current))
            .order_by_asc(person::Column::Id)
            .limit(500)
            .all(db)
            .await?;
        let Some(last) = people.last() else {
            break;
        };
        after = last.id;
        let ids: Vec<i32> = people.iter().map(|p| p.id).collect();
        let identities = identity::Entity::find()
            .filter(identity::Column::PersonId.is_in(ids))
            .all(db)
            .await?;
        for p in &people {
            let Some(i) = identities.iter().find(|i| i.person_id == p.id) else {
                continue;
            };
            let Ok(names) = keys.decrypt_str(super::store::NAMES, &i.names_enc) else {
                continue;
            };
            write(db, keys, p, &names).await?;
            made += 1;
        }
    }
    Ok(made)
}

/// The linkage keys of these people (those that have one).
pub async fn keys_of(db: &impl ConnectionTrait, people: &[i32]) -> Result<Vec<(i32, Key)>, DbErr> {
    let mut out = Vec::with_capacity(people.len());
    for chunk in people.chunks(500) {
        for row in person_linkage::Entity::find()
            .filter(person_linkage::Column::PersonId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some(k) = Key::from_bytes(&row.link_key) {
                out.push((row.person_id, k));
            }
        }
    }
    Ok(out)
}
