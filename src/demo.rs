//! `satis demo`: a living network of invented data, so that a newcomer can walk every area.
//! Each area adds its own demonstration data here as it lands. The database is marked as a
//! demonstration database; a database that holds real data is refused.

use sea_orm::DatabaseConnection;

use crate::identity::{store, totp};
use crate::platform::crypto::{self, KeyRing};
use crate::platform::policy::Role;
use crate::platform::settings::{self, Mode};

/// The password of every demonstration account (shown on screen by `satis demo`).
pub const DEMO_PASSWORD: &str = "demo-satis-2026";

/// The second-factor secret of every demonstration account. In a demonstration database the
/// sign-in page shows the current code, so no authenticator app is needed to look around.
pub const DEMO_TOTP_SECRET: &[u8; 20] = b"satis-demo-totp-key!";

/// A demonstration login, printed on screen.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub role: String,
    pub organisation: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "this database holds real data (mode: production); demonstration data is only loaded \
         into a new database or one created by `satis demo`"
    )]
    RealData,
    #[error("cannot load demonstration data: {0}")]
    Db(&'static str),
    #[error("cannot load demonstration data: {0}")]
    Other(String),
}

impl From<sea_orm::DbErr> for DemoError {
    fn from(e: sea_orm::DbErr) -> Self {
        DemoError::Db(crate::platform::db::describe(&e))
    }
}

/// Organisations of the demonstration network (public bodies and associations named in the
/// network's public pages; every person and figure attached to them is invented).
const ORGANISATIONS: &[(&str, &str, Option<&str>, bool)] = &[
    ("Regione Toscana", "region", None, true),
    ("Comune di Viareggio", "municipality", Some("LU"), true),
    ("Comune di Firenze", "municipality", Some("FI"), true),
    ("SdS Zona Pisana", "sds", Some("PI"), true),
    (
        "CAT Coop. sociale Onlus",
        "social_cooperative",
        Some("FI"),
        false,
    ),
    ("Associazione Progetto Arcobaleno", "ngo", Some("FI"), false),
];

/// One account per role: username, invented full name, organisation, role.
const ACCOUNTS: &[(&str, &str, &str, Role)] = &[
    (
        "admin",
        "Marco Neri (demo)",
        "Regione Toscana",
        Role::Administrator,
    ),
    (
        "numeroverde",
        "Sara Conti (demo)",
        "CAT Coop. sociale Onlus",
        Role::HotlineOperator,
    ),
    (
        "strada",
        "Luca Ferri (demo)",
        "Associazione Progetto Arcobaleno",
        Role::OutreachOperator,
    ),
    (
        "operatrice",
        "Giulia Bianchi (demo)",
        "Associazione Progetto Arcobaleno",
        Role::CaseWorker,
    ),
    (
        "mediatrice",
        "Amina Diallo (demo)",
        "CAT Coop. sociale Onlus",
        Role::Mediator,
    ),
    (
        "coordinamento",
        "Paolo Riva (demo)",
        "Comune di Firenze",
        Role::TerritorialCoordinator,
    ),
    (
        "capofila",
        "Elena Galli (demo)",
        "Comune di Viareggio",
        Role::CapofilaEvaluator,
    ),
    (
        "analista",
        "Franco Moretti (demo)",
        "Regione Toscana",
        Role::RegionalAnalyst,
    ),
    (
        "dpo",
        "Chiara Longo (demo)",
        "Regione Toscana",
        Role::Auditor,
    ),
];

/// Loads the demonstration data (idempotently) and returns the accounts to show.
pub async fn load(db: &DatabaseConnection, keys: &KeyRing) -> Result<Vec<DemoAccount>, DemoError> {
    let mode = settings::claim(db, Mode::Demo).await?;
    if mode != Mode::Demo {
        return Err(DemoError::RealData);
    }
    for (name, kind, province, public) in ORGANISATIONS {
        if store::organisation_by_name(db, name).await?.is_none() {
            store::create_organisation(db, name, kind, *province, *public).await?;
        }
    }
    let hash = crypto::hash_password_async(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|e| DemoError::Other(e.to_string()))?;
    let mut accounts = Vec::new();
    for (username, display, org_name, role) in ACCOUNTS {
        let org = store::organisation_by_name(db, org_name)
            .await?
            .ok_or(DemoError::Db("demo organisation missing"))?;
        let user = match store::user_by_username(db, username).await? {
            Some(u) => u,
            None => store::create_user(db, keys, username, display, hash.clone())
                .await
                .map_err(|e| DemoError::Other(e.to_string()))?,
        };
        store::grant(db, user.id, org.id, *role, None).await?;
        if user.totp_secret_enc.is_none() {
            store::set_totp(db, keys, user.id, DEMO_TOTP_SECRET, 0)
                .await
                .map_err(|e| DemoError::Other(e.to_string()))?;
        }
        accounts.push(DemoAccount {
            username: (*username).to_owned(),
            role: role.code().to_owned(),
            organisation: (*org_name).to_owned(),
        });
    }
    Ok(accounts)
}

/// The code the demonstration accounts' authenticator would show now.
pub fn current_demo_code() -> String {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    totp::code_at(DEMO_TOTP_SECRET, now)
}
