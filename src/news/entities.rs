//! The news area's tables: news items, information materials, newsletter subscribers and issues.

pub mod news_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "news_item")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub summary: String,
        pub body: String,
        pub topic: String,
        pub province: Option<String>,
        pub state: String,
        pub publish_at: Option<ChronoDateTimeUtc>,
        pub withdraw_at: Option<ChronoDateTimeUtc>,
        pub author_id: i32,
        pub reviewer_id: Option<i32>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub version: i32,
        /// The article's picture (PNG or JPEG written again without metadata).
        pub image: Option<Vec<u8>>,
        pub image_type: Option<String>,
        /// What the picture shows, for people who cannot see it.
        pub image_alt: Option<String>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod news_material {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "news_material")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub description: String,
        pub language: String,
        pub audience: String,
        pub topic: String,
        pub file_name: String,
        pub content_type: String,
        pub size: i64,
        pub file: Vec<u8>,
        pub state: String,
        pub published_at: Option<ChronoDateTimeUtc>,
        pub author_id: i32,
        pub reviewer_id: Option<i32>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub version: i32,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod newsletter_subscriber {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "newsletter_subscriber")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub address_enc: Vec<u8>,
        pub address_index: String,
        pub lang: String,
        pub state: String,
        pub consent_text: String,
        pub consent_at: ChronoDateTimeUtc,
        pub confirm_hash: String,
        pub confirm_until: ChronoDateTimeUtc,
        pub confirmed_at: Option<ChronoDateTimeUtc>,
        pub sent_confirmations: i32,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod newsletter_issue {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "newsletter_issue")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub month: String,
        pub introduction: String,
        pub state: String,
        pub assembled_at: ChronoDateTimeUtc,
        pub sent_by: Option<i32>,
        pub sent_at: Option<ChronoDateTimeUtc>,
        pub recipients: i32,
        pub version: i32,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
