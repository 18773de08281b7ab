//! Idempotent creation: a creating request sent with `Idempotency-Key` is answered once; a
//! resend with the same key (a phone that lost the answer, a retrying integration) gets the
//! first answer again and creates nothing. The key is recorded in the same transaction as the
//! record it created, so a crash cannot leave one without the other. A key reused for a
//! different request is refused (422), not answered with the wrong record.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, TransactionTrait};

use super::{Answer, ApiError, Caller};
use crate::platform::crypto;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_idempotency")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub token_id: i32,
        pub idem_key: String,
        pub fingerprint: String,
        pub status: i32,
        pub location: Option<String>,
        pub body: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The key a request carries, checked: 1 to 100 visible ASCII characters.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v.to_str().map(str::trim).unwrap_or("");
    if k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "api-error-idempotency-key",
            Some("Idempotency-Key"),
        ));
    }
    Ok(Some(k.to_owned()))
}

/// What the request was, so that a key is never answered for another request.
pub fn fingerprint(operation: &str, body: &[u8]) -> String {
    let mut data = operation.as_bytes().to_vec();
    data.push(0);
    data.extend_from_slice(body);
    crypto::sha256_hex(&data)
}

/// A creating request in progress: its transaction and its key.
pub struct Creation {
    pub txn: DatabaseTransaction,
    caller_token: i32,
    key: Option<String>,
    fingerprint: String,
}

/// Opens the transaction of a create; `Err(replay)` when the key has answered before.
pub async fn begin(
    db: &DatabaseConnection,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
) -> Result<Result<Creation, Response>, ApiError> {
    if let Some(k) = &key
        && let Some(done) = find(db, caller.token_id, k).await?
    {
        return Ok(Err(replay(&done, &fingerprint)?));
    }
    let txn = db.begin().await?;
    Ok(Ok(Creation {
        txn,
        caller_token: caller.token_id,
        key,
        fingerprint,
    }))
}

/// A create as it arrives: either the answer already given under its key, or the typed body
/// and the transaction to write it in.
pub enum Started<T> {
    Replayed(Response),
    New(Creation, T),
}

/// Starts a create: reads the `Idempotency-Key`, fingerprints the request (`operation` names it,
/// with the record it is under when there is one), decodes the JSON body, and either answers
/// again what the key answered before or opens the create's transaction.
pub async fn start<T: serde::de::DeserializeOwned>(
    db: &DatabaseConnection,
    caller: &Caller,
    headers: &HeaderMap,
    body: &[u8],
    operation: &str,
) -> Result<Started<T>, ApiError> {
    let key = key(headers)?;
    let fingerprint = fingerprint(operation, body);
    let input: T = super::json_body(headers, body)?;
    Ok(match begin(db, caller, key, fingerprint).await? {
        Ok(creation) => Started::New(creation, input),
        Err(replayed) => Started::Replayed(replayed),
    })
}

impl Creation {
    /// Records the answer under the key and commits the record with it. When a concurrent
    /// request with the same key won the race, this one is rolled back and the winner's answer
    /// given.
    pub async fn commit(
        self,
        db: &DatabaseConnection,
        answer: Answer,
    ) -> Result<Response, ApiError> {
        let Some(k) = self.key.clone() else {
            self.txn.commit().await?;
            return Ok(answer.into_response());
        };
        let body =
            serde_json::to_string(&answer.body).map_err(|_| ApiError::internal("encoding"))?;
        let row = entity::ActiveModel {
            token_id: Set(self.caller_token),
            idem_key: Set(k.clone()),
            fingerprint: Set(self.fingerprint.clone()),
            status: Set(i32::from(answer.status.as_u16())),
            location: Set(answer.location.clone()),
            body: Set(body),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        let stored = match row.insert(&self.txn).await {
            Ok(_) => self.txn.commit().await,
            Err(e) => Err(e),
        };
        match stored {
            Ok(()) => Ok(answer.into_response()),
            Err(e) => {
                // Lost a race on the unique key: the other request's record stands.
                if let Some(done) = find(db, self.caller_token, &k).await? {
                    replay(&done, &self.fingerprint)
                } else {
                    Err(e.into())
                }
            }
        }
    }
}

async fn find(
    db: &impl ConnectionTrait,
    token: i32,
    key: &str,
) -> Result<Option<entity::Model>, ApiError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::TokenId.eq(token))
        .filter(entity::Column::IdemKey.eq(key))
        .one(db)
        .await?)
}

fn replay(done: &entity::Model, fingerprint: &str) -> Result<Response, ApiError> {
    if done.fingerprint != fingerprint {
        return Err(ApiError::invalid(
            "api-error-idempotency-reused",
            Some("Idempotency-Key"),
        ));
    }
    let body: serde_json::Value =
        serde_json::from_str(&done.body).map_err(|_| ApiError::internal("stored answer"))?;
    let status = u16::try_from(done.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut r = Answer {
        status,
        location: done.location.clone(),
        body,
    }
    .into_response();
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(r)
}
