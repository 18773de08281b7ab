//! Storage shapes of public reports.

pub mod report {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "public_report")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// The day only: a finer time could help match a reporter to a connection.
        pub received_on: ChronoDate,
        pub language: String,
        pub province: Option<String>,
        pub urgency: String,
        pub people: Option<i32>,
        pub minors: String,
        pub kinds: String,
        pub anonymous: bool,
        /// `new`, `contact`, `duplicate`, `not_pertinent`.
        pub status: String,
        pub triage_contact_id: Option<i32>,
        pub duplicate_of: Option<i32>,
        pub triaged_at: Option<ChronoDateTimeUtc>,
        /// The receipt's first group, to find the row; the rest is only in `receipt_hash`.
        pub receipt_lookup: String,
        /// Argon2id of the whole receipt.
        pub receipt_hash: String,
        /// SHA-256 of the form's one-time submission id: a replay stores nothing twice.
        pub submission_hash: String,
        pub what_enc: Option<Vec<u8>>,
        pub place_enc: Option<Vec<u8>>,
        pub since_enc: Option<Vec<u8>>,
        pub gender_enc: Option<Vec<u8>>,
        pub contact_enc: Option<Vec<u8>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_message")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub report_id: i32,
        pub from_reporter: bool,
        pub at: ChronoDateTimeUtc,
        pub text_enc: Option<Vec<u8>>,
        pub by_user: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
