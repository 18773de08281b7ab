//! What people did with due items: one `reminder_mark` row per item and organisation, its
//! latest state (done, snoozed, handed over). The snooze reason is free text, sealed.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder};

pub mod mark {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reminder_mark")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub item_key: String,
        pub state: String,
        pub until: Option<ChronoDate>,
        pub reason_enc: Option<Vec<u8>>,
        pub assignee_id: Option<i32>,
        pub by_user_id: i32,
        pub at: ChronoDateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The encryption context of a snooze's reason.
pub const REASON: &str = "reminder_mark.reason";

pub const SEALED: &[crate::platform::keys::EncryptedColumn] =
    &[crate::platform::keys::EncryptedColumn {
        table: "reminder_mark",
        key: "id",
        column: "reason_enc",
        context: REASON,
    }];

/// Every mark of an organisation, newest first.
pub async fn marks_of(db: &impl ConnectionTrait, org: i32) -> Result<Vec<mark::Model>, DbErr> {
    mark::Entity::find()
        .filter(mark::Column::OrganisationId.eq(org))
        .order_by_desc(mark::Column::At)
        .all(db)
        .await
}

/// The new state of an item.
pub struct Put<'a> {
    pub org: i32,
    pub key: &'a str,
    pub state: &'static str,
    pub until: Option<NaiveDate>,
    pub reason_enc: Option<Vec<u8>>,
    pub assignee: Option<i32>,
    pub by: i32,
    pub at: DateTime<Utc>,
}

/// Writes an item's latest state (replacing the one before); its id.
pub async fn put(db: &impl ConnectionTrait, p: Put<'_>) -> Result<i32, DbErr> {
    let existing = mark::Entity::find()
        .filter(mark::Column::OrganisationId.eq(p.org))
        .filter(mark::Column::ItemKey.eq(p.key))
        .one(db)
        .await?;
    let mut am = match &existing {
        Some(m) => mark::ActiveModel {
            id: Set(m.id),
            ..Default::default()
        },
        None => mark::ActiveModel {
            organisation_id: Set(p.org),
            item_key: Set(p.key.to_owned()),
            ..Default::default()
        },
    };
    am.state = Set(p.state.to_owned());
    am.until = Set(p.until);
    am.reason_enc = Set(p.reason_enc);
    am.assignee_id = Set(p.assignee);
    am.by_user_id = Set(p.by);
    am.at = Set(p.at);
    Ok(match existing {
        Some(_) => am.update(db).await?.id,
        None => am.insert(db).await?.id,
    })
}
