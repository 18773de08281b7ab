//! Keyed throttling with growing delays and no permanent lockout.
//!
//! After `free` failures for a key, each further attempt must wait `2^(n - free)` seconds since
//! the last failure (capped at `max_delay`). A success clears the key; keys forgotten after an
//! hour of quiet.
//!
//! One instance (SQLite) keeps the counts in memory: after a restart everyone starts afresh,
//! which is the price of keeping no trace of who tried what. Several instances on one
//! PostgreSQL share them (issue 24), or an attacker would get one allowance per instance: the
//! counts live in `throttle_count` under the SHA-256 of their key, forgotten after an hour of
//! quiet, and the hourly secret that keys anonymous clients lives sealed in `throttle_secret`,
//! forgotten after two hours.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, OnConflict};
use sea_orm::{ActiveValue::Set, DatabaseConnection};

use crate::platform::crypto::KeyRing;

pub mod count {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "throttle_count")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub scope: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub failures: i32,
        pub last_at: ChronoDateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod secret {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "throttle_secret")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hour: i64,
        pub key_enc: Vec<u8>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The encryption context of the hourly client secret.
pub const SECRET: &str = "throttle_secret.key";

/// The shared hourly secret is sealed like any other secret column (and re-sealed by key
/// rotation).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] =
    &[crate::platform::keys::EncryptedColumn {
        table: "throttle_secret",
        key: "hour",
        column: "key_enc",
        context: SECRET,
    }];

/// How long a quiet key is remembered.
const QUIET: Duration = Duration::from_secs(3600);

/// Whether throttles are shared through the database: with PostgreSQL, where several instances
/// may serve together; never with SQLite, which one process serves.
pub fn shared_for(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == sea_orm::DbBackend::Postgres
}

fn stored_key(key: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

#[derive(Debug)]
pub struct Throttle {
    free: u32,
    max_delay: Duration,
    state: Mutex<HashMap<String, (u32, Instant)>>,
    /// The throttle's name in `throttle_count` when shared through the database.
    shared: Option<&'static str>,
}

impl Throttle {
    /// A throttle kept in this process's memory.
    pub fn new(free: u32, max_delay: Duration) -> Throttle {
        Throttle {
            free,
            max_delay,
            state: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// The same throttle, its counts kept in the database under `scope` when `shared`.
    pub fn shared_as(mut self, scope: &'static str, shared: bool) -> Throttle {
        self.shared = shared.then_some(scope);
        self
    }

    fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let exp = (failures - self.free + 1).min(20);
        Duration::from_secs(1u64 << exp).min(self.max_delay)
    }

    /// `Err(wait)` when `key` must wait before trying again, at time `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        match state.get(key) {
            Some((failures, last)) => {
                let ready = *last + self.delay(*failures);
                if now < ready {
                    Err(ready - now)
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// `Err(wait)` when `key` must wait before trying again. A database that cannot answer
    /// lets the attempt through (and says so in the log): the attempt itself needs the database
    /// and fails there.
    pub async fn check(&self, db: &DatabaseConnection, key: &str) -> Result<(), Duration> {
        let Some(scope) = self.shared else {
            return self.check_at(key, Instant::now());
        };
        match count::Entity::find_by_id((scope.to_owned(), stored_key(key)))
            .one(db)
            .await
        {
            Ok(Some(row)) => {
                let failures = u32::try_from(row.failures).unwrap_or(0);
                let ready = row.last_at
                    + chrono::Duration::from_std(self.delay(failures)).unwrap_or_default();
                let now = Utc::now();
                if now < ready {
                    Err((ready - now).to_std().unwrap_or_default())
                } else {
                    Ok(())
                }
            }
            Ok(None) => Ok(()),
            Err(e) => {
                tracing::warn!(
                    scope,
                    error = crate::platform::db::describe(&e),
                    "throttle unread"
                );
                Ok(())
            }
        }
    }

    pub fn fail_at(&self, key: &str, now: Instant) {
        if let Ok(mut state) = self.state.lock() {
            state.retain(|_, (_, last)| now.duration_since(*last) < Duration::from_secs(3600));
            let entry = state.entry(key.to_owned()).or_insert((0, now));
            entry.0 = entry.0.saturating_add(1);
            entry.1 = now;
        }
    }

    /// Clears `key` in this process's memory.
    pub fn forget(&self, key: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.remove(key);
        }
    }

    /// Counts a failure of `key`.
    pub async fn fail(&self, db: &DatabaseConnection, key: &str) {
        let Some(scope) = self.shared else {
            return self.fail_at(key, Instant::now());
        };
        if let Err(e) = shared_fail(db, scope, &stored_key(key), Utc::now()).await {
            tracing::warn!(
                scope,
                error = crate::platform::db::describe(&e),
                "throttle unwritten"
            );
        }
    }

    /// Clears `key` after a success.
    pub async fn succeed(&self, db: &DatabaseConnection, key: &str) {
        let Some(scope) = self.shared else {
            return self.forget(key);
        };
        if let Err(e) = count::Entity::delete_by_id((scope.to_owned(), stored_key(key)))
            .exec(db)
            .await
        {
            tracing::warn!(
                scope,
                error = crate::platform::db::describe(&e),
                "throttle unwritten"
            );
        }
    }
}

/// One more failure of `key` in the shared counts: keys quiet for an hour are forgotten first
/// (so a key's count restarts after an hour of quiet), then one upsert adds the failure,
/// atomic however many instances count at once.
async fn shared_fail(
    db: &DatabaseConnection,
    scope: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::ExprTrait;
    let quiet = chrono::Duration::from_std(QUIET).unwrap_or_default();
    count::Entity::delete_many()
        .filter(count::Column::LastAt.lt(now - quiet))
        .exec(db)
        .await?;
    count::Entity::insert(count::ActiveModel {
        scope: Set(scope.to_owned()),
        key: Set(key.to_owned()),
        failures: Set(1),
        last_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([count::Column::Scope, count::Column::Key])
            .value(
                count::Column::Failures,
                Expr::col((Alias::new("throttle_count"), count::Column::Failures)).add(1),
            )
            .update_column(count::Column::LastAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 wrong passwords in an hour against one account: how many are evaluated?
    #[test]
    fn a_brute_force_hour_gets_few_evaluations_and_no_lockout() {
        let t = Throttle::new(5, Duration::from_secs(15 * 60));
        let start = Instant::now();
        let mut evaluated = 0;
        for i in 0..1000u64 {
            let now = start + Duration::from_millis(i * 3600); // spread over one hour
            if t.check_at("acct", now).is_ok() {
                evaluated += 1;
                t.fail_at("acct", now);
            }
        }
        assert!(evaluated <= 100, "{evaluated} evaluations");
        assert!(evaluated >= 5);
        // Fifteen minutes after the attack stops, the owner gets in.
        let later = start + Duration::from_secs(3600 + 15 * 60);
        assert!(t.check_at("acct", later).is_ok());
        t.forget("acct");
        assert!(t.check_at("acct", later).is_ok());
        // Other keys were never affected.
        assert!(t.check_at("other", start).is_ok());
    }
}

/// Throttling keys for anonymous clients that keep nothing about them: an address becomes an
/// HMAC under a random key that lives only in memory and is replaced every hour (with it, the
/// throttle state of the old keys is unreachable and forgotten). The address itself is never
/// stored, logged or returned; IPv6 addresses count by their /64, which one subscriber holds.
/// An hour (since 1970, UTC) and its secret.
type HourSecret = (i64, [u8; 32]);

#[derive(Debug)]
pub struct ClientKeys {
    current: Mutex<([u8; 32], Instant)>,
    rotate_every: Duration,
    /// Shared through the database: every instance keys a client alike within an hour of UTC
    /// (the hour and its secret, cached).
    shared: Option<Mutex<Option<HourSecret>>>,
}

impl Default for ClientKeys {
    fn default() -> Self {
        ClientKeys::new(Duration::from_secs(3600))
    }
}

impl ClientKeys {
    pub fn new(rotate_every: Duration) -> ClientKeys {
        ClientKeys {
            current: Mutex::new((fresh_key(), Instant::now())),
            rotate_every,
            shared: None,
        }
    }

    /// Keys shared by every instance on the database when `shared`.
    pub fn shared(shared: bool) -> ClientKeys {
        ClientKeys {
            shared: shared.then(|| Mutex::new(None)),
            ..ClientKeys::default()
        }
    }

    /// The key of `addr` at `now` (`None`: an unknown address, one shared key).
    pub fn key_at(&self, addr: Option<std::net::IpAddr>, now: Instant) -> String {
        let key = match self.current.lock() {
            Ok(mut cur) => {
                if now.duration_since(cur.1) >= self.rotate_every {
                    *cur = (fresh_key(), now);
                }
                cur.0
            }
            // A poisoned lock still gives a key, never a panic.
            Err(poisoned) => poisoned.into_inner().0,
        };
        keyed(&key, addr)
    }

    /// The key of `addr` now: this process's own, or when shared, the hour's secret every
    /// instance reads from the database (one that cannot be read falls back to this process's
    /// own key, which throttles per instance rather than not at all).
    pub async fn key(
        &self,
        db: &DatabaseConnection,
        ring: &KeyRing,
        addr: Option<std::net::IpAddr>,
    ) -> String {
        let Some(cache) = &self.shared else {
            return self.key_at(addr, Instant::now());
        };
        let hour = Utc::now().timestamp().div_euclid(3600);
        let cached = cache
            .lock()
            .ok()
            .and_then(|c| c.filter(|(h, _)| *h == hour).map(|(_, k)| k));
        let secret = match cached {
            Some(k) => Some(k),
            None => match hour_secret(db, ring, hour).await {
                Ok(k) => {
                    if let Ok(mut c) = cache.lock() {
                        *c = Some((hour, k));
                    }
                    Some(k)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "shared client key unread");
                    None
                }
            },
        };
        match secret {
            Some(k) => keyed(&k, addr),
            None => self.key_at(addr, Instant::now()),
        }
    }
}

/// The keyed hash of an address (its /64 for IPv6) under `key`.
fn keyed(key: &[u8; 32], addr: Option<std::net::IpAddr>) -> String {
    use hmac::{Hmac, Mac};
    let Some(addr) = addr else {
        return "client:unknown".to_owned();
    };
    let bytes: Vec<u8> = match addr {
        std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    };
    let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) else {
        return "client:unknown".to_owned();
    };
    mac.update(&bytes);
    format!("client:{}", hex::encode(&mac.finalize().into_bytes()[..16]))
}

#[derive(Debug, thiserror::Error)]
enum SecretError {
    #[error("database: {0}")]
    Db(&'static str),
    #[error("the hour's secret cannot be unsealed")]
    Sealed,
}

/// The secret of `hour`, made by whichever instance asks first (one insert that the others'
/// lose), sealed at rest; secrets older than the previous hour are dropped.
async fn hour_secret(
    db: &DatabaseConnection,
    ring: &KeyRing,
    hour: i64,
) -> Result<[u8; 32], SecretError> {
    let db_err = |e: DbErr| SecretError::Db(crate::platform::db::describe(&e));
    let sealed = ring
        .encrypt(SECRET, &fresh_key())
        .map_err(|_| SecretError::Sealed)?;
    secret::Entity::insert(secret::ActiveModel {
        hour: Set(hour),
        key_enc: Set(sealed),
    })
    .on_conflict(
        OnConflict::column(secret::Column::Hour)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map_err(db_err)?;
    secret::Entity::delete_many()
        .filter(secret::Column::Hour.lt(hour - 1))
        .exec(db)
        .await
        .map_err(db_err)?;
    let row = secret::Entity::find_by_id(hour)
        .one(db)
        .await
        .map_err(db_err)?
        .ok_or(SecretError::Sealed)?;
    let plain = ring
        .decrypt(SECRET, &row.key_enc)
        .map_err(|_| SecretError::Sealed)?;
    <[u8; 32]>::try_from(plain.as_slice()).map_err(|_| SecretError::Sealed)
}

fn fresh_key() -> [u8; 32] {
    use rand::RngCore;
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    k
}

#[cfg(test)]
mod client_key_tests {
    use super::*;
    use std::net::IpAddr;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn keys_separate_clients_hide_the_address_and_change_every_hour() {
        let keys = ClientKeys::new(Duration::from_secs(3600));
        let t0 = Instant::now();
        let a = keys.key_at(ip("127.0.0.2"), t0);
        assert_eq!(a, keys.key_at(ip("127.0.0.2"), t0));
        assert_ne!(a, keys.key_at(ip("127.0.0.3"), t0));
        assert!(
            !a.contains("127.0.0.2") && a.len() == "client:".len() + 32,
            "{a}"
        );
        // One subscriber's /64 is one client.
        assert_eq!(
            keys.key_at(ip("2001:db8:1:2::1"), t0),
            keys.key_at(ip("2001:db8:1:2:ffff::9"), t0)
        );
        assert_ne!(
            keys.key_at(ip("2001:db8:1:2::1"), t0),
            keys.key_at(ip("2001:db8:1:3::1"), t0)
        );
        // An hour later the same address has another key: nothing links the two hours.
        let later = t0 + Duration::from_secs(3601);
        assert_ne!(a, keys.key_at(ip("127.0.0.2"), later));
        // Another process's keys are unrelated.
        assert_ne!(a, ClientKeys::default().key_at(ip("127.0.0.2"), t0));
    }
}
