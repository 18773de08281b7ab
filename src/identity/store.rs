//! Queries of the identity area. Other areas call these functions, never the tables.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{membership, recovery_code, session, user};
use crate::platform::crypto::{self, KeyRing};
use crate::platform::policy::Role;

pub const DISPLAY_NAME: &str = "app_user.display_name";
pub const TOTP_SECRET: &str = "app_user.totp_secret";

/// Usernames: 3 to 64 of a–z, 0–9, dot, dash and underscore; stored lower-case.
pub fn normalise_username(raw: &str) -> Option<String> {
    let u = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        && u.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    ok.then_some(u)
}

// ---------- organisations ----------

// The organisations are the network's: accounts belong to one (identity area's ops create one
// through what the network publishes).
pub use crate::network::create_organisation;
pub use crate::network::organisation;
pub use crate::network::organisation_by_name;
pub use crate::network::organisations;

// ---------- users ----------

pub async fn user(db: &impl ConnectionTrait, id: i32) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// The usernames of the given accounts that exist.
pub async fn usernames_of(
    db: &impl ConnectionTrait,
    ids: std::collections::BTreeSet<i32>,
) -> Result<std::collections::BTreeMap<i32, String>, DbErr> {
    if ids.is_empty() {
        return Ok(std::collections::BTreeMap::new());
    }
    let rows: Vec<(i32, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Username])
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn user_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

pub async fn users(db: &DatabaseConnection) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(db)
        .await
}

pub fn display_name(keys: &KeyRing, u: &user::Model) -> String {
    display_name_of(keys, &u.display_name_enc)
}

/// Opens an account's sealed display name ("—" when it cannot be opened).
pub fn display_name_of(keys: &KeyRing, sealed: &[u8]) -> String {
    keys.decrypt_str(DISPLAY_NAME, sealed)
        .unwrap_or_else(|_| "—".to_owned())
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("username taken")]
    Taken,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
}

pub async fn create_user(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    username: &str,
    display_name: &str,
    password_hash: String,
) -> Result<user::Model, CreateUserError> {
    if user_by_username(db, username).await?.is_some() {
        return Err(CreateUserError::Taken);
    }
    let now = Utc::now();
    Ok(user::ActiveModel {
        username: Set(username.to_owned()),
        display_name_enc: Set(keys.encrypt_str(DISPLAY_NAME, display_name)?),
        password_hash: Set(password_hash),
        totp_secret_enc: Set(None),
        totp_last_step: Set(None),
        disabled: Set(false),
        locale: Set(None),
        created_at: Set(now),
        password_changed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    user_id: i32,
    hash: String,
) -> Result<(), DbErr> {
    if let Some(u) = user::Entity::find_by_id(user_id).one(db).await? {
        let mut am = u.into_active_model();
        am.password_hash = Set(hash);
        am.password_changed_at = Set(Utc::now());
        am.update(db).await?;
    }
    Ok(())
}

pub async fn set_disabled(
    db: &impl ConnectionTrait,
    user_id: i32,
    disabled: bool,
) -> Result<(), DbErr> {
    if let Some(u) = user::Entity::find_by_id(user_id).one(db).await? {
        let mut am = u.into_active_model();
        am.disabled = Set(disabled);
        am.update(db).await?;
    }
    Ok(())
}

pub async fn set_locale(
    db: &impl ConnectionTrait,
    user_id: i32,
    locale: Option<&str>,
) -> Result<(), DbErr> {
    if let Some(u) = user::Entity::find_by_id(user_id).one(db).await? {
        let mut am = u.into_active_model();
        am.locale = Set(locale.map(str::to_owned));
        am.update(db).await?;
    }
    Ok(())
}

/// Stores an enrolled TOTP secret (encrypted) and the step used to confirm it.
pub async fn set_totp(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    user_id: i32,
    secret: &[u8],
    step: i64,
) -> Result<(), CreateUserError> {
    if let Some(u) = user::Entity::find_by_id(user_id).one(db).await? {
        let mut am = u.into_active_model();
        am.totp_secret_enc = Set(Some(keys.encrypt(TOTP_SECRET, secret)?));
        am.totp_last_step = Set(Some(step));
        am.update(db).await?;
    }
    Ok(())
}

/// Records the last accepted TOTP step, only if it is newer (so a replay in a race loses).
pub async fn advance_totp_step(
    db: &impl ConnectionTrait,
    user_id: i32,
    step: i64,
) -> Result<bool, DbErr> {
    let r = user::Entity::update_many()
        .col_expr(
            user::Column::TotpLastStep,
            sea_orm::sea_query::Expr::value(step),
        )
        .filter(user::Column::Id.eq(user_id))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::TotpLastStep.is_null())
                .add(user::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Removes the second factor and the recovery codes: the user enrols again at next sign-in.
pub async fn reset_mfa(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DbErr> {
    if let Some(u) = user::Entity::find_by_id(user_id).one(db).await? {
        let mut am = u.into_active_model();
        am.totp_secret_enc = Set(None);
        am.totp_last_step = Set(None);
        am.update(db).await?;
    }
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

// ---------- memberships ----------

pub async fn memberships(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::OrganisationId)
        .order_by_asc(membership::Column::Role)
        .all(db)
        .await
}

/// The active accounts holding `role` in some organisation: (user id, username), by username.
pub async fn holders_of(
    db: &impl ConnectionTrait,
    role: Role,
) -> Result<Vec<(i32, String)>, DbErr> {
    let ids: Vec<i32> = membership::Entity::find()
        .filter(membership::Column::Role.eq(role.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let mut out: Vec<(i32, String)> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Disabled.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The roles a user holds in one organisation.
/// The active accounts of an organisation with their roles there, by username.
pub async fn members_of(
    db: &impl ConnectionTrait,
    organisation_id: i32,
) -> Result<Vec<(i32, String, Vec<Role>)>, DbErr> {
    let mut roles: std::collections::BTreeMap<i32, Vec<Role>> = Default::default();
    for m in membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation_id))
        .all(db)
        .await?
    {
        if let Some(r) = Role::from_code(&m.role) {
            roles.entry(m.user_id).or_default().push(r);
        }
    }
    let mut out: Vec<(i32, String, Vec<Role>)> = user::Entity::find()
        .filter(user::Column::Id.is_in(roles.keys().copied().collect::<Vec<_>>()))
        .filter(user::Column::Disabled.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            let r = roles.remove(&u.id).unwrap_or_default();
            (u.id, u.username, r)
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

pub async fn roles_in(
    db: &impl ConnectionTrait,
    user_id: i32,
    organisation_id: i32,
) -> Result<Vec<Role>, DbErr> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganisationId.eq(organisation_id))
        .all(db)
        .await?
        .iter()
        .filter_map(|m| Role::from_code(&m.role))
        .collect())
}

pub async fn grant(
    db: &impl ConnectionTrait,
    user_id: i32,
    organisation_id: i32,
    role: Role,
    granted_by: Option<i32>,
) -> Result<(), DbErr> {
    let row = membership::ActiveModel {
        user_id: Set(user_id),
        organisation_id: Set(organisation_id),
        role: Set(role.code().to_owned()),
        granted_at: Set(Utc::now()),
        granted_by: Set(granted_by),
        ..Default::default()
    };
    membership::Entity::insert(row)
        .on_conflict_do_nothing_on([
            membership::Column::UserId,
            membership::Column::OrganisationId,
            membership::Column::Role,
        ])
        .exec(db)
        .await?;
    Ok(())
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    user_id: i32,
    membership_id: i32,
) -> Result<bool, DbErr> {
    let r = membership::Entity::delete_many()
        .filter(membership::Column::Id.eq(membership_id))
        .filter(membership::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

// ---------- recovery codes ----------

/// Replaces the user's recovery codes with ten new ones and returns them (shown once).
pub async fn new_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<String>, DbErr> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut codes = Vec::new();
    for _ in 0..10 {
        let code = recovery_code_text();
        recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(crypto::sha256_hex(code.as_bytes())),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// 16 characters from an unambiguous alphabet (80 bits), grouped by four.
fn recovery_code_text() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalises what a person typed as a recovery code.
pub fn normalise_recovery_code(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    clean
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Uses a recovery code once. `true` if it was valid and unused.
pub async fn use_recovery_code(
    db: &impl ConnectionTrait,
    user_id: i32,
    raw: &str,
) -> Result<bool, DbErr> {
    let hash = crypto::sha256_hex(normalise_recovery_code(raw).as_bytes());
    let r = recovery_code::Entity::update_many()
        .col_expr(
            recovery_code::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

// ---------- sessions ----------

/// Starts a session and returns the cookie token (only its hash is stored).
pub async fn create_session(
    db: &impl ConnectionTrait,
    user_id: i32,
    organisation_id: Option<i32>,
    mfa_ok: bool,
) -> Result<String, DbErr> {
    let token = crypto::random_token(32);
    let now = Utc::now();
    session::ActiveModel {
        id: Set(crypto::sha256_hex(token.as_bytes())),
        user_id: Set(user_id),
        organisation_id: Set(organisation_id),
        csrf_token: Set(crypto::random_token(24)),
        mfa_ok: Set(mfa_ok),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// A session as every staff page needs it: the session row, its account (`None` when the
/// account no longer exists) and the account's roles in the session's organisation.
pub struct SignedIn {
    pub session: session::Model,
    pub user: Option<SessionUser>,
    pub roles: Vec<Role>,
    /// The registry's version, read in the same query (`network::registry`).
    pub registry_version: Option<i64>,
}

/// What a page needs of the signed-in account.
pub struct SessionUser {
    pub id: i32,
    pub username: String,
    /// Encrypted (`app_user.display_name`).
    pub display_name_enc: Vec<u8>,
    pub disabled: bool,
    pub locale: Option<String>,
}

#[derive(sea_orm::FromQueryResult)]
struct SessionRow {
    id: String,
    user_id: i32,
    organisation_id: Option<i32>,
    csrf_token: String,
    mfa_ok: bool,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    account_id: Option<i32>,
    username: Option<String>,
    display_name_enc: Option<Vec<u8>>,
    disabled: Option<bool>,
    locale: Option<String>,
    role: Option<String>,
    registry_version: Option<i64>,
}

/// The session whose cookie carries `token`, with its account and roles, in **one** query
/// (every staff page waits for it): the session left-joined to its account and to the
/// account's memberships in the session's organisation, one row per role.
pub async fn signed_in(db: &impl ConnectionTrait, token: &str) -> Result<Option<SignedIn>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
    use sea_orm::{FromQueryResult, StatementBuilder};
    let (s, u, m) = (Alias::new("s"), Alias::new("u"), Alias::new("m"));
    let c = |t: &Alias, name: &str| Expr::col((t.clone(), Alias::new(name)));
    let mut q = Query::select();
    for name in [
        "id",
        "user_id",
        "organisation_id",
        "csrf_token",
        "mfa_ok",
        "created_at",
        "last_seen_at",
    ] {
        q.expr_as(c(&s, name), Alias::new(name));
    }
    q.expr_as(c(&u, "id"), Alias::new("account_id"));
    for name in ["username", "display_name_enc", "disabled", "locale"] {
        q.expr_as(c(&u, name), Alias::new(name));
    }
    q.expr_as(c(&m, "role"), Alias::new("role"))
        .expr_as(
            crate::network::registry_version_expr(),
            Alias::new("registry_version"),
        )
        .from_as(session::Entity, s.clone())
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            u.clone(),
            c(&u, "id").equals((s.clone(), Alias::new("user_id"))),
        )
        .join_as(
            JoinType::LeftJoin,
            membership::Entity,
            m.clone(),
            c(&m, "user_id")
                .equals((s.clone(), Alias::new("user_id")))
                .and(c(&m, "organisation_id").equals((s.clone(), Alias::new("organisation_id")))),
        )
        .and_where(c(&s, "id").eq(crypto::sha256_hex(token.as_bytes())));
    let rows =
        SessionRow::find_by_statement(StatementBuilder::build(&q, &db.get_database_backend()))
            .all(db)
            .await?;
    // One row per role (a single row with no role when the account holds none there).
    let mut roles: Vec<Role> = rows
        .iter()
        .filter_map(|r| r.role.as_deref().and_then(Role::from_code))
        .collect();
    roles.sort();
    roles.dedup();
    let Some(first) = rows.into_iter().next() else {
        return Ok(None);
    };
    let user = match (first.account_id, first.username, first.display_name_enc) {
        (Some(id), Some(username), Some(display_name_enc)) => Some(SessionUser {
            id,
            username,
            display_name_enc,
            disabled: first.disabled.unwrap_or(true),
            locale: first.locale,
        }),
        _ => None,
    };
    Ok(Some(SignedIn {
        session: session::Model {
            id: first.id,
            user_id: first.user_id,
            organisation_id: first.organisation_id,
            csrf_token: first.csrf_token,
            mfa_ok: first.mfa_ok,
            created_at: first.created_at,
            last_seen_at: first.last_seen_at,
        },
        user,
        roles,
        registry_version: first.registry_version,
    }))
}

pub async fn touch_session(
    db: &impl ConnectionTrait,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(session::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_session(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, role change, disable, MFA reset).
pub async fn revoke_sessions(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
/// The encryption context of a person's notification address.
pub const NOTIFY_EMAIL: &str = "notify_pref.email";

/// The notification modes a person can choose.
pub const NOTIFY_MODES: &[&str] = &["off", "daily", "immediate"];

/// A person's notification choice, if they made one.
pub async fn notify_pref(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<super::entities::notify_pref::Model>, DbErr> {
    super::entities::notify_pref::Entity::find_by_id(user_id)
        .one(db)
        .await
}

/// Every choice other than `off`, with the person's account (active accounts only).
pub async fn notify_prefs_on(
    db: &impl ConnectionTrait,
) -> Result<Vec<(super::entities::notify_pref::Model, user::Model)>, DbErr> {
    use super::entities::notify_pref;
    let prefs = notify_pref::Entity::find()
        .filter(notify_pref::Column::Mode.ne("off"))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for p in prefs {
        if let Some(u) = user::Entity::find_by_id(p.user_id).one(db).await?
            && !u.disabled
        {
            out.push((p, u));
        }
    }
    Ok(out)
}

/// Saves a person's notification choice (the address already sealed).
pub async fn set_notify_pref(
    db: &impl ConnectionTrait,
    user_id: i32,
    email_enc: Option<Vec<u8>>,
    mode: &str,
) -> Result<(), DbErr> {
    use super::entities::notify_pref;
    use sea_orm::sea_query::OnConflict;
    notify_pref::Entity::insert(notify_pref::ActiveModel {
        user_id: Set(user_id),
        email_enc: Set(email_enc),
        mode: Set(mode.to_owned()),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(notify_pref::Column::UserId)
            .update_columns([
                notify_pref::Column::EmailEnc,
                notify_pref::Column::Mode,
                notify_pref::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "notify_pref",
        key: "user_id",
        column: "email_enc",
        context: NOTIFY_EMAIL,
    },
    crate::platform::keys::EncryptedColumn {
        table: "app_user",
        key: "id",
        column: "display_name_enc",
        context: DISPLAY_NAME,
    },
    crate::platform::keys::EncryptedColumn {
        table: "app_user",
        key: "id",
        column: "totp_secret_enc",
        context: TOTP_SECRET,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(normalise_username(" MRossi ").as_deref(), Some("mrossi"));
        assert_eq!(
            normalise_username("m.rossi-2").as_deref(),
            Some("m.rossi-2")
        );
        assert_eq!(normalise_username("ab"), None);
        assert_eq!(normalise_username("-rossi"), None);
        assert_eq!(normalise_username("m rossi"), None);
        assert_eq!(normalise_username("<script>"), None);
    }

    #[test]
    fn recovery_codes_are_long_and_typable() {
        let c = recovery_code_text();
        assert_eq!(c.len(), 19);
        assert_eq!(
            normalise_recovery_code(&c.to_lowercase().replace('-', " ")),
            c
        );
        assert_ne!(recovery_code_text(), c);
    }
}
