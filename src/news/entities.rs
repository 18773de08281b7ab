//! The news area's table.

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
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
