//! Storage shapes of the network registry.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod organisation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organisation")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub kind: String,
        pub province: Option<String>,
        pub is_public: bool,
        pub created_at: ChronoDateTimeUtc,
        /// Registered in the second section of the register of bodies working for immigrants.
        pub register_section2: bool,
        pub register_number: Option<String>,
        /// A test or training organisation: its records are left out of every figure.
        pub excluded_from_stats: bool,
    }
    no_relations!();
}

pub mod governance_role {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "governance_role")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub kind: String,
        pub province: Option<String>,
        pub since: ChronoDate,
        /// `None` while the role is held.
        pub until: Option<ChronoDate>,
    }
    no_relations!();
}

pub mod service {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "network_service")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub kind: String,
        pub name: String,
        pub province: Option<String>,
        pub hours: String,
        pub languages: String,
        pub itinerant: bool,
        /// Encrypted (`network_service.address`): secret for housing.
        pub address_enc: Option<Vec<u8>>,
        pub active: bool,
    }
    no_relations!();
}

pub mod beds {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_beds")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub service_id: i32,
        pub bed_kind: String,
        pub capacity: i32,
    }
    no_relations!();
}

pub mod meeting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "network_meeting")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub province: String,
        pub convener_id: i32,
        pub held_on: ChronoDate,
        pub agenda: String,
        pub minutes: String,
        pub decisions: String,
        pub created_by: i32,
    }
    no_relations!();
}

pub mod participant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_participant")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub meeting_id: i32,
        pub organisation_id: i32,
        pub present: bool,
    }
    no_relations!();
}

pub mod training {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "training_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub place: String,
        pub held_on: ChronoDate,
        pub organisations: String,
        pub participants: i32,
    }
    no_relations!();
}
