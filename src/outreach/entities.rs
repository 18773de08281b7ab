//! Storage shapes of street units and drop-in desks.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

/// A place a street unit visits (a list per unit, editable).
pub mod place {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outreach_place")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub service_id: i32,
        pub name: String,
        pub active: bool,
    }
    no_relations!();
}

/// One outing of a street unit.
pub mod outing {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outing")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        /// The street unit (a service of the network).
        pub service_id: i32,
        pub started_at: ChronoDateTimeUtc,
        pub ended_at: ChronoDateTimeUtc,
        pub area: String,
        /// Comma-separated ids of the places visited.
        pub places: String,
        pub team: String,
        pub mediators: String,
        /// Comma-separated ISO 639-1 codes.
        pub languages: String,
        pub people_met: i32,
        pub referrals_proposed: i32,
        pub accompaniments_proposed: i32,
        /// Encrypted (`outing.notes`).
        pub notes_enc: Option<Vec<u8>>,
        /// Chosen by the device that recorded the outing: a resend is recognised, not saved twice.
        pub idempotency_key: String,
        pub created_by: i32,
        pub created_at: ChronoDateTimeUtc,
    }
    no_relations!();
}

/// One tally of an outing: (dimension, value) → count. Dimensions: `gender`, `age_band`,
/// `nationality`, `status` (new/known), `material`, `topic`.
pub mod count {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outing_count")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub outing_id: i32,
        pub dimension: String,
        pub value: String,
        pub count: i32,
        /// The outing's start and unit, copied for the reports (migration 0014).
        pub started_at: Option<ChronoDateTimeUtc>,
        pub service_id: Option<i32>,
    }
    no_relations!();
}

/// A person met under an anonymous code chosen by the unit.
pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outreach_contact")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub code: String,
        pub created_at: ChronoDateTimeUtc,
        /// The case this contact was later linked to (the link is audited).
        pub case_id: Option<i32>,
        pub linked_at: Option<ChronoDateTimeUtc>,
        pub linked_by: Option<i32>,
    }
    no_relations!();
}

/// An anonymous contact met on an outing.
pub mod encounter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outreach_encounter")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub contact_id: i32,
        pub outing_id: i32,
        /// Whether the code was first recorded on this outing.
        pub new_contact: bool,
    }
    no_relations!();
}

/// What the unit saw at a place: the phenomenon, not the people.
pub mod observation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "place_observation")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub outing_id: i32,
        pub place_id: i32,
        pub people_seen: i32,
        pub new_groups: bool,
        pub control_signs: bool,
        /// Encrypted (`place_observation.note`).
        pub note_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

/// An interview at a drop-in desk (sportello di ascolto).
pub mod interview {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "drop_in_interview")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        /// The desk (a service of the network).
        pub service_id: i32,
        pub held_on: ChronoDate,
        pub itinerant: bool,
        pub contact_id: Option<i32>,
        pub case_id: Option<i32>,
        pub operator_id: i32,
        pub mediator: String,
        pub language: Option<String>,
        pub topics: String,
        pub outcome: String,
        pub idempotency_key: String,
        pub created_at: ChronoDateTimeUtc,
    }
    no_relations!();
}

/// An accompaniment to a health, social, legal, police or immigration-office service, from any
/// source (street unit, desk, hotline, case worker): one record type, counted once.
pub mod accompaniment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accompaniment")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub happened_on: ChronoDate,
        pub service_kind: String,
        pub outcome: String,
        pub source: String,
        /// The street unit's anonymous contact it was for, if any.
        pub contact_id: Option<i32>,
        pub case_id: Option<i32>,
        /// The hotline call it was arranged from, if any (its caller reference recognises the
        /// same person across accompaniments).
        pub hotline_contact_id: Option<i32>,
        pub by_user: i32,
        pub idempotency_key: String,
        pub created_at: ChronoDateTimeUtc,
    }
    no_relations!();
}
