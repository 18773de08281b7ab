//! Storage shapes of the identity area (hand-written SeaORM entities).

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_user")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub username: String,
        /// Encrypted (`app_user.display_name`).
        pub display_name_enc: Vec<u8>,
        pub password_hash: String,
        /// Encrypted (`app_user.totp_secret`); `None` until enrolled.
        pub totp_secret_enc: Option<Vec<u8>>,
        pub totp_last_step: Option<i64>,
        pub disabled: bool,
        pub locale: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub password_changed_at: ChronoDateTimeUtc,
    }
    no_relations!();
}

pub mod membership {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub organisation_id: i32,
        pub role: String,
        pub granted_at: ChronoDateTimeUtc,
        pub granted_by: Option<i32>,
    }
    no_relations!();
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_session")]
    pub struct Model {
        /// SHA-256 of the cookie's token: the token itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: i32,
        pub organisation_id: Option<i32>,
        pub csrf_token: String,
        /// Password and second factor both done.
        pub mfa_ok: bool,
        pub created_at: ChronoDateTimeUtc,
        pub last_seen_at: ChronoDateTimeUtc,
    }
    no_relations!();
}

pub mod recovery_code {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recovery_code")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub code_hash: String,
        pub used_at: Option<ChronoDateTimeUtc>,
    }
    no_relations!();
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_token")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// The public part after the prefix, used to find the row.
        pub lookup: String,
        /// SHA-256 of the whole token.
        pub token_hash: String,
        pub name: String,
        pub organisation_id: i32,
        /// Space-separated scopes.
        pub scopes: String,
        pub created_at: ChronoDateTimeUtc,
        pub revoked_at: Option<ChronoDateTimeUtc>,
        pub last_used_at: Option<ChronoDateTimeUtc>,
        /// The staff account the token acts as (tokens from before the API have none and are
        /// refused).
        pub user_id: Option<i32>,
        /// When it stops working (tokens made before expiry existed: 90 days after creation,
        /// see `tokens::expiry`).
        pub expires_at: Option<ChronoDateTimeUtc>,
    }
    no_relations!();
}

pub mod break_glass {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "break_glass")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub organisation_id: i32,
        pub record_kind: String,
        pub record_id: String,
        pub reason: String,
        pub started_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
        pub reviewed_by: Option<i32>,
        pub reviewed_at: Option<ChronoDateTimeUtc>,
        pub review_note: Option<String>,
        /// Sealed reason and review note (`reason` and `review_note` stay empty): a reason
        /// typed at 3 a.m. may name the person.
        pub reason_enc: Option<Vec<u8>>,
        pub review_note_enc: Option<Vec<u8>>,
    }
    no_relations!();
}

/// A person's choice of e-mail notifications (issue 25): the address (sealed) and the mode.
pub mod notify_pref {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notify_pref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        pub email_enc: Option<Vec<u8>>,
        /// `off`, `daily`, `immediate`.
        pub mode: String,
        pub updated_at: ChronoDateTimeUtc,
    }
    no_relations!();
}
