//! Storage shapes of the hotline.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_contact")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub operator_id: i32,
        pub channel: String,
        pub started_at: ChronoDateTimeUtc,
        pub duration_minutes: i32,
        pub caller_kind: Option<String>,
        pub language: Option<String>,
        pub mediator_used: bool,
        pub relevance: String,
        /// The earlier contact this one follows up (same caller).
        pub previous_contact_id: Option<i32>,
        /// The situation (case) the contact belongs to: the id of its first contact. Set on
        /// insert ([`crate::hotline::store::add_contact`]).
        pub situation_id: Option<i32>,
        /// The operator said this is a new situation (not a follow-up), so it never joins an
        /// earlier contact's situation, even one entered later.
        pub new_situation: bool,
        /// A pseudonymous reference the operators give a caller.
        pub caller_ref: Option<String>,
        /// Blind index of the caller's phone number: the number itself is never stored.
        pub phone_index: Option<String>,
        pub reasons: String,
        pub exploitation_forms: String,
        pub labour_sector: Option<String>,
        pub province: Option<String>,
        pub municipality: String,
        pub outcomes: String,
        /// Encrypted (`hotline_contact.notes`).
        pub notes_enc: Option<Vec<u8>>,
        pub case_id: Option<i32>,
        pub version: i32,
    }
    no_relations!();
}

pub mod mediator_request {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mediator_request")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub contact_id: Option<i32>,
        pub language: String,
        pub place: String,
        pub needed_at: ChronoDateTimeUtc,
        pub requester: String,
        pub mediator: String,
        pub status: String,
        pub outcome: String,
        pub created_at: ChronoDateTimeUtc,
        /// The mediator's account the request is assigned to (her desk lists it).
        pub mediator_user_id: Option<i32>,
        /// Sealed place and outcome (`place` and `outcome` stay empty; `store::opened_*`).
        pub place_enc: Option<Vec<u8>>,
        pub outcome_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

pub mod emergency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emergency_activation")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub contact_id: Option<i32>,
        pub started_at: ChronoDateTimeUtc,
        pub danger: String,
        /// Completed steps of the procedure: `code=RFC 3339 time` lines.
        pub steps: String,
        pub service_id: Option<i32>,
        pub handed_over_to: Option<i32>,
        pub closed_at: Option<ChronoDateTimeUtc>,
        /// Sealed description of the danger (`danger` stays empty).
        pub danger_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

pub mod shift_note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shift_note")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub author_id: i32,
        pub written_at: ChronoDateTimeUtc,
        /// Encrypted (`shift_note.text`).
        pub text_enc: Vec<u8>,
    }
    no_relations!();
}

pub mod interview {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identification_interview")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        /// `commission_fi`, `commission_li`, `cas` or `other`.
        pub requester: String,
        /// The person's pseudonymous code (never a name).
        pub person_code: String,
        pub scheduled_on: ChronoDate,
        pub mediator: String,
        pub consent: bool,
        pub indicators: String,
        pub outcome: String,
        pub report_sent_on: Option<ChronoDate>,
        pub created_at: ChronoDateTimeUtc,
        /// Sealed outcome (`outcome` stays empty).
        pub outcome_enc: Option<Vec<u8>>,
    }
    no_relations!();
}
