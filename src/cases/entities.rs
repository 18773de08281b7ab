//! Storage shapes of people and cases.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod person {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// Pseudonymous code, unique in the region (e.g. `TOS-2026-00042`).
        pub code: String,
        pub gender: String,
        pub birth_year: Option<i32>,
        pub birth_year_estimated: bool,
        pub presumed_minor: bool,
        /// ISO 3166-1 alpha-2 codes, comma-separated.
        pub nationalities: String,
        /// ISO 639-1 codes, comma-separated.
        pub languages: String,
        /// Always empty once sealed: the text is in `vulnerabilities_enc`.
        pub vulnerabilities: String,
        pub vulnerabilities_enc: Option<Vec<u8>>,
        pub created_by_org: i32,
        pub created_at: ChronoDateTimeUtc,
        pub identity_erased_at: Option<ChronoDateTimeUtc>,
    }
    no_relations!();
}

pub mod identity {
    use sea_orm::entity::prelude::*;

    /// Identity data: every field sealed (`person_identity.<field>`), searched by blind index.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person_identity")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: i32,
        pub names_enc: Vec<u8>,
        pub aliases_enc: Option<Vec<u8>>,
        pub birth_date_enc: Option<Vec<u8>>,
        pub documents_enc: Option<Vec<u8>>,
        pub phone_enc: Option<Vec<u8>>,
        pub address_enc: Option<Vec<u8>>,
        pub name_index: Option<String>,
        pub phone_index: Option<String>,
        pub document_index: Option<String>,
    }
    no_relations!();
}

pub mod case {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_file")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub person_id: i32,
        pub owner_org: i32,
        pub phase: String,
        pub closure_reason: Option<String>,
        pub trafficking_status: Option<String>,
        pub status_assessed_by: Option<i32>,
        pub exploitation_forms: String,
        pub labour_sector: Option<String>,
        pub means_of_control: String,
        pub recruitment: String,
        pub route: String,
        pub transit_countries: String,
        pub places: String,
        pub legal_path: Option<String>,
        /// Sealed `route` and `places` (the plain columns stay empty).
        pub route_enc: Option<Vec<u8>>,
        pub places_enc: Option<Vec<u8>>,
        pub opened_at: ChronoDateTimeUtc,
        pub closed_at: Option<ChronoDateTimeUtc>,
        pub follow_up_due: Option<ChronoDate>,
        pub last_activity_at: ChronoDateTimeUtc,
        /// Bumped by every change: a form sent with an older version is refused.
        pub version: i32,
    }
    no_relations!();
}

pub mod phase_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_phase")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub from_phase: Option<String>,
        pub to_phase: String,
        pub reason: Option<String>,
        /// When it was recorded (audit).
        pub at: ChronoDateTimeUtc,
        /// The Italian day the change took effect, entered by the worker (it may be earlier
        /// than `at`: history entered after the fact). Counted by the statistics.
        pub effective_on: Option<Date>,
        pub by_user: i32,
    }
    no_relations!();
}

pub mod share {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_share")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub organisation_id: i32,
        pub since: ChronoDateTimeUtc,
    }
    no_relations!();
}

pub mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub purpose: String,
        pub organisation_id: Option<i32>,
        pub given_on: ChronoDate,
        pub expires_on: Option<ChronoDate>,
        pub withdrawn_on: Option<ChronoDate>,
    }
    no_relations!();
}

pub mod permit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "permit")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub kind: String,
        pub status: String,
        pub applied_on: Option<ChronoDate>,
        pub issued_on: Option<ChronoDate>,
        pub expires_on: Option<ChronoDate>,
        /// Always empty once sealed: the office is in `office_enc`.
        pub office: String,
        pub office_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

/// A decision on a permit after it was recorded (renewed, refused, expired…): its history.
pub mod permit_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "permit_change")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub permit_id: i32,
        pub status: String,
        /// The Italian day the decision took effect (entered).
        pub decided_on: ChronoDate,
        pub expires_on: Option<ChronoDate>,
        pub by_user: i32,
        pub at: ChronoDateTimeUtc,
    }
    no_relations!();
}

/// A correction of a person's attributes or identity: who, when, which fields; the values
/// before it sealed (erased with the identity).
pub mod person_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person_change")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub person_id: i32,
        /// The field names changed, comma-separated (never their values).
        pub fields: String,
        pub previous_enc: Option<Vec<u8>>,
        pub by_user: i32,
        pub at: ChronoDateTimeUtc,
    }
    no_relations!();
}

pub mod placement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "placement")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub service_id: i32,
        pub bed_kind: String,
        pub emergency: bool,
        pub since: ChronoDate,
        pub until: Option<ChronoDate>,
    }
    no_relations!();
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        /// `note`, an assessment, an accompaniment, a legal consultation, a follow-up.
        pub kind: String,
        pub happened_on: ChronoDate,
        /// Encrypted (`case_event.text`).
        pub text_enc: Option<Vec<u8>>,
        pub by_user: i32,
    }
    no_relations!();
}
