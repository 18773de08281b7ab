//! Storage shapes of referrals.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

/// Another region's anti-trafficking project (a configurable directory).
pub mod counterpart {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_counterpart")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub region: String,
        pub contact: String,
        pub active: bool,
    }
    no_relations!();
}

/// One referral. Seen by the sending and the receiving organisation when both are in the
/// network; with an outside counterpart, the network's side records the other side's answers.
pub mod referral {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// `outbound` (a network organisation sends) or `inbound` (one receives from outside).
        pub direction: String,
        /// `network_org`, `national_hotline` or `other_region`.
        pub counterpart_kind: String,
        /// The other region's project, for `other_region`.
        pub counterpart_id: Option<i32>,
        pub sender_org: Option<i32>,
        pub receiver_org: Option<i32>,
        pub recorded_by_org: i32,
        /// The sending case (outbound).
        pub case_id: Option<i32>,
        /// The case the receiving organisation opened on acceptance.
        pub opened_case_id: Option<i32>,
        pub status: String,
        pub reason: String,
        pub needed_service: String,
        pub urgency: String,
        /// The sending case's consent to transfer (outbound).
        pub consent_id: Option<i32>,
        /// The day the person consented to the transfer.
        pub consent_on: ChronoDate,
        /// Encrypted (`referral.package`): the minimum data package, JSON.
        pub package_enc: Vec<u8>,
        /// Always empty once sealed: the reason is in `refusal_reason_enc`.
        pub refusal_reason: Option<String>,
        pub created_by: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub version: i32,
        pub refusal_reason_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub referral_id: i32,
        pub status: String,
        pub at: ChronoDateTimeUtc,
        pub by_user: i32,
        pub by_org: i32,
        pub note: Option<String>,
        /// Sealed note (`note` stays empty).
        pub note_enc: Option<Vec<u8>>,
    }
    no_relations!();
}
