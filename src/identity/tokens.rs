//! API tokens for integrations: `satis_<lookup>_<secret>`, random, stored only as a SHA-256
//! hash, acting as one staff account in one organisation, narrowed to a list of scopes,
//! revocable, and expiring (90 days by default). The account's roles there decide what it may
//! do (the policy module), at each request: ending a role or disabling the account ends the
//! token's powers with it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

use super::entities::api_token;
use crate::platform::crypto;

pub const PREFIX: &str = "satis_";

/// How long a token lives unless told otherwise.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest life a token may be given.
pub const MAX_DAYS: i64 = 730;

/// When a token stops working: its expiry, or for a token made before expiry existed,
/// [`DEFAULT_DAYS`] after it was made.
pub fn expiry(token: &api_token::Model) -> DateTime<Utc> {
    token
        .expires_at
        .unwrap_or(token.created_at + Duration::days(DEFAULT_DAYS))
}

/// What a presented token turned out to be.
#[derive(Debug)]
pub enum Presented {
    Live(api_token::Model),
    /// Genuine but past its expiry: refused with a message saying so.
    Expired(api_token::Model),
    /// Unknown, malformed, wrong or revoked.
    Unknown,
}

/// Scopes a token may carry, one or two per area of the API (`docs/api/openapi.json`
/// gives each operation's scope as `x-scope`).
pub const SCOPES: &[&str] = &[
    "network:read",
    "network:write",
    "hotline:read",
    "hotline:write",
    "reports:read",
    "reports:write",
    "outreach:read",
    "outreach:write",
    "cases:read",
    "cases:write",
    "projects:read",
    "projects:write",
    "referrals:read",
    "referrals:write",
    "stats:read",
];

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("unknown scope `{0}` (known: {known})", known = SCOPES.join(", "))]
    Scope(String),
    #[error("a token needs a name of 1 to 100 characters")]
    Name,
    #[error("the account has no role in that organisation")]
    NoRole,
    #[error("a token lives from 1 to {MAX_DAYS} days")]
    Lifetime,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates a token and returns it with its id: the token is shown once and never again.
pub async fn create(
    db: &impl ConnectionTrait,
    organisation_id: i32,
    user_id: i32,
    name: &str,
    scopes: &[String],
    days: i64,
) -> Result<(i32, String), TokenError> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(TokenError::Lifetime);
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(TokenError::Scope(bad.clone()));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(TokenError::Name);
    }
    if super::store::roles_in(db, user_id, organisation_id)
        .await?
        .is_empty()
    {
        return Err(TokenError::NoRole);
    }
    let lookup = crypto::random_token(9).replace(['-', '_'], "x");
    let token = format!("{PREFIX}{lookup}_{}", crypto::random_token(32));
    let row = api_token::ActiveModel {
        lookup: Set(lookup),
        token_hash: Set(crypto::sha256_hex(token.as_bytes())),
        name: Set(name.to_owned()),
        organisation_id: Set(organisation_id),
        scopes: Set(scopes.join(" ")),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        last_used_at: Set(None),
        user_id: Set(Some(user_id)),
        expires_at: Set(Some(Utc::now() + Duration::days(days))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((row.id, token))
}

/// The token matching `presented`: live, expired, or unknown.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Presented, DbErr> {
    let Some(rest) = presented.strip_prefix(PREFIX) else {
        return Ok(Presented::Unknown);
    };
    let Some((lookup, _)) = rest.split_once('_') else {
        return Ok(Presented::Unknown);
    };
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::Lookup.eq(lookup))
        .one(db)
        .await?
    else {
        return Ok(Presented::Unknown);
    };
    let matches = crypto::constant_time_eq(
        crypto::sha256_hex(presented.as_bytes()).as_bytes(),
        row.token_hash.as_bytes(),
    );
    Ok(if !matches || row.revoked_at.is_some() {
        Presented::Unknown
    } else if expiry(&row) <= now {
        Presented::Expired(row)
    } else {
        Presented::Live(row)
    })
}

/// Every token, newest first, for `satis token list`.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, DbErr> {
    use sea_orm::QueryOrder;
    api_token::Entity::find()
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// Revokes a token; `false` if there was no such live token.
pub async fn revoke(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let r = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Notes when a token was last used (at most once a minute per token).
pub async fn touch(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_token::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub fn has_scope(token: &api_token::Model, scope: &str) -> bool {
    token.scopes.split(' ').any(|s| s == scope)
}

// ---------- the API's token layer ----------

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::platform::api::{ApiError, Caller};
use crate::platform::policy::Actor;
use crate::platform::web::SharedState;

/// Resolves the bearer token into a [`Caller`]; a request without a valid one goes on without
/// (and is refused by the API's access check, except the public OpenAPI document).
pub async fn authenticate_api(
    State(state): State<SharedState>,
    mut req: Request,
    next: Next,
) -> Response {
    let presented = crate::platform::api::bearer(req.headers());
    if let Some(presented) = presented {
        match caller_for(&state, &presented).await {
            Ok(Some(c)) => {
                req.extensions_mut().insert(c);
            }
            Ok(None) => {
                tracing::info!("API request with an unknown, revoked or orphan token");
                return ApiError::unauthenticated().into_response();
            }
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

async fn caller_for(state: &SharedState, presented: &str) -> Result<Option<Caller>, ApiError> {
    let token = match authenticate(&state.db, presented, Utc::now()).await? {
        Presented::Live(t) => t,
        Presented::Expired(_) => return Err(ApiError::token_expired()),
        Presented::Unknown => return Ok(None),
    };
    let Some(user_id) = token.user_id else {
        return Ok(None);
    };
    let Some(user) = super::store::user(&state.db, user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let roles = super::store::roles_in(&state.db, user.id, token.organisation_id).await?;
    let province = super::store::organisation(&state.db, token.organisation_id)
        .await?
        .and_then(|o| o.province);
    if token
        .last_used_at
        .is_none_or(|t| Utc::now() - t > Duration::seconds(60))
    {
        touch(&state.db, token.id).await?;
    }
    Ok(Some(Caller {
        actor: Actor {
            user_id: user.id,
            username: user.username,
            organisation_id: Some(token.organisation_id),
            province,
            roles,
        },
        token_id: token.id,
        scopes: token.scopes.split(' ').map(str::to_owned).collect(),
    }))
}
