//! Storage shapes of individual projects.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod edition {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "project_edition")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub starts_on: ChronoDate,
        pub ends_on: ChronoDate,
        pub total_cents: i64,
        pub cofunding_cents: i64,
    }
    no_relations!();
}

pub mod project {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "project")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub owner_org: i32,
        pub edition_id: i32,
        pub social_service_org: Option<i32>,
        pub social_worker: String,
        pub objectives: String,
        pub status: String,
        pub decision_reason: String,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        /// Sealed objectives and decision reason (`objectives` and `decision_reason` stay
        /// empty; opened for display by `store::opened`).
        pub objectives_enc: Option<Vec<u8>>,
        pub decision_reason_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

pub mod intervention {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "project_intervention")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub project_id: i32,
        pub kind: String,
        pub provider: String,
        pub months: Option<i32>,
        pub requested_cents: i64,
        /// Set when the project (or its variation) is approved.
        pub approved_cents: i64,
    }
    no_relations!();
}

pub mod transition {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "project_transition")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub project_id: i32,
        pub from_status: String,
        pub to_status: String,
        pub reason: String,
        pub at: ChronoDateTimeUtc,
        pub by_user: i32,
        /// Sealed reason (`reason` stays empty).
        pub reason_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

pub mod expense {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "project_expense")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub intervention_id: i32,
        pub spent_on: ChronoDate,
        pub amount_cents: i64,
        pub document: String,
    }
    no_relations!();
}
