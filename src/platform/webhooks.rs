//! Webhooks for integrators (issue 25): an organisation subscribes an HTTPS endpoint to event
//! types, and each event is written to an outbox (`webhook_delivery`) **in the transaction
//! that caused it**, one row per subscription that wants it, then delivered as a small signed
//! JSON document.
//!
//! - **Nothing personal.** A payload carries the event's id and type, the record's type and
//!   id, the organisation and the time: never a name, a code that identifies a person, or free
//!   text. A public report's time is its day (its reporter's moment is not kept anywhere).
//! - **Signed, timestamped.** `SATIS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//!   "<t>.<body>">` with the subscription's secret; the receiver recomputes it and refuses a
//!   timestamp more than five minutes away from its clock ([`verify`], docs/WEBHOOKS.md), so a
//!   captured delivery cannot be replayed later.
//! - **Never lost, never out of order for a record.** A delivery is claimed with a lease (two
//!   instances never send the same row at once; one that dies mid-send leaves it to the next
//!   round once the lease ends), retried with exponential backoff until `GIVE_UP` attempts,
//!   and not sent while an earlier event of the same record for the same subscription waits.
//!   The event id is the same on every attempt, for the receiver to deduplicate.
//! - **No redirect followed, no response body read**: a subscription cannot be used to read
//!   another service's answers. `http://` only to this machine (a local relay).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect};
use sha2::Sha256;

use crate::platform::crypto::KeyRing;

pub mod subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_subscription")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        pub url: String,
        pub secret_enc: Vec<u8>,
        pub events: String,
        pub active: bool,
        pub created_by: i32,
        pub created_at: ChronoDateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_delivery")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub event_id: String,
        pub subscription_id: i32,
        pub organisation_id: i32,
        pub event_type: String,
        pub record_type: String,
        pub record_id: i32,
        pub occurred_at: ChronoDateTimeUtc,
        pub body: String,
        pub state: String,
        pub attempts: i32,
        pub next_at: ChronoDateTimeUtc,
        pub last_error: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub delivered_at: Option<ChronoDateTimeUtc>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The encryption context of a subscription's signing secret.
pub const SECRET: &str = "webhook_subscription.secret";

pub const SEALED: &[crate::platform::keys::EncryptedColumn] =
    &[crate::platform::keys::EncryptedColumn {
        table: "webhook_subscription",
        key: "id",
        column: "secret_enc",
        context: SECRET,
    }];

/// The event types an organisation can subscribe to.
pub const EVENTS: &[&str] = &[
    "contact.recorded",
    "public_report.received",
    "referral.proposed",
    "referral.accepted",
    "referral.refused",
    "case.phase_changed",
    "project.decided",
];

/// Attempts before a delivery is given up (about two days of backoff), as for e-mail.
pub const GIVE_UP: i32 = crate::platform::mail::GIVE_UP;
/// How long a claimed delivery is left to its sender before another may try.
const LEASE_MINUTES: i64 = 5;
/// How far a receiver should accept a signature's timestamp from its own clock.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why an endpoint or a choice of events is refused: the message key shown to the person.
pub fn check_subscription(
    url: &str,
    events: &[String],
) -> Result<(), (&'static str, &'static str)> {
    check_url(url).map_err(|k| ("url", k))?;
    if events.is_empty() || events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
        return Err(("events", "webhook-error-events"));
    }
    Ok(())
}

/// Whether `url` is an endpoint SATIS will call: `https://` with a host, or `http://` to this
/// machine only; no user or password in it; at most 500 characters.
pub fn check_url(url: &str) -> Result<(), &'static str> {
    if url.len() > 500 {
        return Err("webhook-error-url");
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return Err("webhook-error-url");
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("webhook-error-url");
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => return Err("webhook-error-url"),
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err("webhook-error-clear"),
        _ => Err("webhook-error-url"),
    }
}

fn mac(secret: &str) -> Option<Hmac<Sha256>> {
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()
}

/// The `SATIS-Signature` header of `body` sent at `t` (unix seconds).
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    let hex = mac(secret)
        .map(|mut m| {
            m.update(format!("{t}.").as_bytes());
            m.update(body.as_bytes());
            hex::encode(m.finalize().into_bytes())
        })
        .unwrap_or_default();
    format!("t={t},v1={hex}")
}

/// What a receiver does with a delivery: `true` when `header` signs `body` with `secret` and
/// its time is within [`TOLERANCE_SECONDS`] of `now` (unix seconds). Comparison in constant
/// time.
pub fn verify(secret: &str, header: &str, body: &str, now: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > TOLERANCE_SECONDS {
        return false;
    }
    let Some(mut m) = mac(secret) else {
        return false;
    };
    m.update(format!("{t}.").as_bytes());
    m.update(body.as_bytes());
    m.verify_slice(&v1).is_ok()
}

/// A new signing secret, shown once to the administrator who creates the subscription.
pub fn new_secret() -> String {
    format!("whsec_{}", crate::platform::crypto::random_token(32))
}

/// An event about a record, as written by the operation that caused it.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// One of [`EVENTS`].
    pub kind: &'static str,
    pub record_type: &'a str,
    pub record_id: i32,
    pub at: DateTime<Utc>,
}

/// The JSON document sent for `event` to `organisation`.
pub fn payload(event_id: &str, organisation: i32, e: &Event<'_>) -> String {
    serde_json::json!({
        "id": event_id,
        "type": e.kind,
        "occurred_at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "organisation_id": organisation,
        "record": { "type": e.record_type, "id": e.record_id },
    })
    .to_string()
}

/// Writes `event` to the outbox of every active subscription of `organisations` that wants
/// its type, in the caller's transaction; how many deliveries were written.
pub async fn emit(
    db: &impl ConnectionTrait,
    organisations: &[i32],
    event: Event<'_>,
) -> Result<usize, DbErr> {
    let mut orgs: Vec<i32> = organisations.to_vec();
    orgs.sort_unstable();
    orgs.dedup();
    if orgs.is_empty() {
        return Ok(0);
    }
    let subs = subscription::Entity::find()
        .filter(subscription::Column::OrganisationId.is_in(orgs))
        .filter(subscription::Column::Active.eq(true))
        .order_by_asc(subscription::Column::Id)
        .all(db)
        .await?;
    let event_id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let mut written = 0;
    for s in subs
        .iter()
        .filter(|s| s.events.split(',').any(|e| e == event.kind))
    {
        delivery::Entity::insert(delivery::ActiveModel {
            event_id: Set(event_id.clone()),
            subscription_id: Set(s.id),
            organisation_id: Set(s.organisation_id),
            event_type: Set(event.kind.to_owned()),
            record_type: Set(event.record_type.to_owned()),
            record_id: Set(event.record_id),
            occurred_at: Set(event.at),
            body: Set(payload(&event_id, s.organisation_id, &event)),
            state: Set("pending".into()),
            attempts: Set(0),
            next_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        written += 1;
    }
    Ok(written)
}

/// Subscribes `url` of `organisation` to `events` (already checked); the subscription and its
/// secret, which is shown once and kept sealed.
pub async fn subscribe(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    organisation: i32,
    url: &str,
    events: &[String],
    by: i32,
) -> Result<(subscription::Model, String), DbErr> {
    let secret = new_secret();
    let secret_enc = keys
        .encrypt_str(SECRET, &secret)
        .map_err(|_| DbErr::Custom("the secret cannot be sealed".into()))?;
    let kept: Vec<&str> = EVENTS
        .iter()
        .copied()
        .filter(|e| events.iter().any(|x| x == e))
        .collect();
    let s = subscription::ActiveModel {
        organisation_id: Set(organisation),
        url: Set(url.trim().to_owned()),
        secret_enc: Set(secret_enc),
        events: Set(kept.join(",")),
        active: Set(true),
        created_by: Set(by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((s, secret))
}

/// Ends a subscription of `organisation`: nothing more is written for it and what waits is
/// cancelled; `false` when there is no such active subscription.
pub async fn end(db: &impl ConnectionTrait, organisation: i32, id: i32) -> Result<bool, DbErr> {
    let r = subscription::Entity::update_many()
        .col_expr(subscription::Column::Active, Expr::value(false))
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::OrganisationId.eq(organisation))
        .filter(subscription::Column::Active.eq(true))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Ok(false);
    }
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value("cancelled"))
        .filter(delivery::Column::SubscriptionId.eq(id))
        .filter(delivery::Column::State.eq("pending"))
        .exec(db)
        .await?;
    Ok(true)
}

/// The subscriptions of an organisation, newest first.
pub async fn subscriptions(
    db: &impl ConnectionTrait,
    organisation: i32,
) -> Result<Vec<subscription::Model>, DbErr> {
    subscription::Entity::find()
        .filter(subscription::Column::OrganisationId.eq(organisation))
        .order_by_desc(subscription::Column::Id)
        .all(db)
        .await
}

/// The latest deliveries of an organisation, newest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    organisation: i32,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::Column::OrganisationId.eq(organisation))
        .order_by_desc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Puts a delivery of `organisation` back in line (a replay, also of one already delivered:
/// the receiver sees the same event id), with its attempts counted afresh; `false` when there
/// is no such delivery or its subscription has ended.
pub async fn send_again(
    db: &impl ConnectionTrait,
    organisation: i32,
    id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value("pending"))
        .col_expr(delivery::Column::Attempts, Expr::value(0))
        .col_expr(delivery::Column::NextAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::OrganisationId.eq(organisation))
        .filter(delivery::Column::State.is_in(["failed", "pending", "delivered"]))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Claims a due delivery by moving its next attempt past the lease, if nobody did first.
pub async fn claim(db: &impl ConnectionTrait, id: i32, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let claimed = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::NextAt,
            Expr::value(now + Duration::minutes(LEASE_MINUTES)),
        )
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::State.eq("pending"))
        .filter(delivery::Column::NextAt.lte(now))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Whether an earlier event of the same record waits for the same subscription.
async fn earlier_waiting(db: &impl ConnectionTrait, d: &delivery::Model) -> Result<bool, DbErr> {
    Ok(delivery::Entity::find()
        .filter(delivery::Column::SubscriptionId.eq(d.subscription_id))
        .filter(delivery::Column::RecordType.eq(d.record_type.as_str()))
        .filter(delivery::Column::RecordId.eq(d.record_id))
        .filter(delivery::Column::Id.lt(d.id))
        .filter(delivery::Column::State.eq("pending"))
        .count(db)
        .await?
        > 0)
}

/// What one delivery round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
    /// Left for later behind an earlier event of the same record.
    pub held: usize,
}

fn client() -> Result<reqwest::Client, DbErr> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .connect_timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("SATIS-Webhooks/1")
        .build()
        .map_err(|_| DbErr::Custom("the webhook client cannot start".into()))
}

/// Sends one delivery; `Err` with the failure's class (never the receiver's words).
async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    d: &delivery::Model,
) -> Result<(), String> {
    let t = Utc::now().timestamp();
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .header("satis-event-id", &d.event_id)
        .header("satis-event-type", &d.event_type)
        .header("satis-signature", sign(secret, t, &d.body))
        .body(d.body.clone())
        .send()
        .await;
    match r {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("http {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err("timeout".to_owned()),
        Err(e) if e.is_connect() => Err("connection".to_owned()),
        Err(_) => Err("request".to_owned()),
    }
}

/// Delivers what is due at `now` (at most 100 a round), oldest first, holding back an event
/// while an earlier one of the same record waits for the same subscription.
pub async fn deliver_due(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    now: DateTime<Utc>,
) -> Result<Delivered, DbErr> {
    let mut done = Delivered::default();
    let due = delivery::Entity::find()
        .filter(delivery::Column::State.eq("pending"))
        .filter(delivery::Column::NextAt.lte(now))
        .order_by_asc(delivery::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(done);
    }
    let client = client()?;
    let mut endpoints: HashMap<i32, Option<(String, String)>> = HashMap::new();
    for d in due {
        if earlier_waiting(db, &d).await? {
            done.held += 1;
            continue;
        }
        if !claim(db, d.id, now).await? {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = endpoints.entry(d.subscription_id)
        {
            let s = subscription::Entity::find_by_id(d.subscription_id)
                .one(db)
                .await?;
            let open = s.filter(|s| s.active).and_then(|s| {
                keys.decrypt_str(SECRET, &s.secret_enc)
                    .ok()
                    .map(|secret| (s.url, secret))
            });
            slot.insert(open);
        }
        let outcome = match endpoints.get(&d.subscription_id).and_then(Option::as_ref) {
            Some((url, secret)) => send(&client, url, secret, &d).await,
            None => Err("subscription".to_owned()),
        };
        let attempts = d.attempts + 1;
        match outcome {
            Ok(()) => {
                delivery::Entity::update_many()
                    .col_expr(delivery::Column::State, Expr::value("delivered"))
                    .col_expr(delivery::Column::DeliveredAt, Expr::value(Some(Utc::now())))
                    .col_expr(delivery::Column::Attempts, Expr::value(attempts))
                    .col_expr(delivery::Column::LastError, Expr::value(None::<String>))
                    .filter(delivery::Column::Id.eq(d.id))
                    .exec(db)
                    .await?;
                done.delivered += 1;
            }
            Err(class) => {
                let give_up = attempts >= GIVE_UP || class == "subscription";
                tracing::warn!(
                    delivery_id = d.id,
                    attempts,
                    reason = class.as_str(),
                    "a webhook could not be delivered"
                );
                delivery::Entity::update_many()
                    .col_expr(
                        delivery::Column::State,
                        Expr::value(if give_up { "failed" } else { "pending" }),
                    )
                    .col_expr(delivery::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        delivery::Column::NextAt,
                        Expr::value(now + crate::platform::mail::backoff(attempts)),
                    )
                    .col_expr(delivery::Column::LastError, Expr::value(Some(class)))
                    .filter(delivery::Column::Id.eq(d.id))
                    .exec(db)
                    .await?;
                if give_up {
                    done.given_up += 1;
                } else {
                    done.retried += 1;
                }
            }
        }
    }
    Ok(done)
}

/// Deliveries waiting and given up, over every organisation: (pending, failed), for `/metrics`.
pub async fn queue_lengths(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    let count = |state: &'static str| {
        delivery::Entity::find()
            .filter(delivery::Column::State.eq(state))
            .count(db)
    };
    Ok((count("pending").await?, count("failed").await?))
}

/// While the server runs: every 10 seconds, what is due is delivered.
pub fn spawn(state: crate::platform::web::SharedState) {
    tokio::spawn(async move {
        loop {
            match deliver_due(&state.db, &state.keys, Utc::now()).await {
                Ok(d) if d.delivered + d.retried + d.given_up > 0 => tracing::info!(
                    delivered = d.delivered,
                    retried = d.retried,
                    given_up = d.given_up,
                    held = d.held,
                    "webhooks"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "webhooks could not be delivered"
                ),
            }
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_a_recent_time() {
        let body = r#"{"id":"e1","type":"case.phase_changed"}"#;
        let h = sign("whsec_a", 1_800_000_000, body);
        assert!(h.starts_with("t=1800000000,v1="));
        assert!(verify("whsec_a", &h, body, 1_800_000_000));
        assert!(verify(
            "whsec_a",
            &h,
            body,
            1_800_000_000 + TOLERANCE_SECONDS
        ));
        assert!(
            !verify("whsec_a", &h, body, 1_800_000_000 + TOLERANCE_SECONDS + 1),
            "a replay after five minutes"
        );
        assert!(
            !verify("whsec_b", &h, body, 1_800_000_000),
            "another secret"
        );
        assert!(!verify("whsec_a", &h, "{}", 1_800_000_000), "another body");
        let moved = h.replace("t=1800000000", "t=1800000100");
        assert!(
            !verify("whsec_a", &moved, body, 1_800_000_100),
            "a new time"
        );
        assert!(!verify("whsec_a", "v1=00", body, 1_800_000_000));
    }

    #[test]
    fn endpoints_are_https_or_this_machine_and_events_known() {
        assert!(check_url("https://ente.example.org/hooks/satis").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://localhost/hook").is_ok());
        assert_eq!(
            check_url("http://ente.example.org/hook"),
            Err("webhook-error-clear")
        );
        assert_eq!(
            check_url("http://10.0.0.5/hook"),
            Err("webhook-error-clear")
        );
        assert_eq!(
            check_url("ftp://ente.example.org"),
            Err("webhook-error-url")
        );
        assert_eq!(
            check_url("https://u:p@ente.example.org/"),
            Err("webhook-error-url")
        );
        assert_eq!(check_url("not a url"), Err("webhook-error-url"));
        let ok = vec!["case.phase_changed".to_owned()];
        assert!(check_subscription("https://e.org/h", &ok).is_ok());
        assert_eq!(
            check_subscription("https://e.org/h", &[]),
            Err(("events", "webhook-error-events"))
        );
        assert_eq!(
            check_subscription("https://e.org/h", &["case.deleted".to_owned()]),
            Err(("events", "webhook-error-events"))
        );
    }

    #[test]
    fn a_payload_holds_ids_types_and_times_only() {
        let at = DateTime::parse_from_rfc3339("2026-12-04T23:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let body = payload(
            "0b0e",
            7,
            &Event {
                kind: "referral.accepted",
                record_type: "referral",
                record_id: 42,
                at,
            },
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(v["id"], "0b0e");
        assert_eq!(v["type"], "referral.accepted");
        assert_eq!(v["occurred_at"], "2026-12-04T23:30:00Z");
        assert_eq!(v["organisation_id"], 7);
        assert_eq!(v["record"]["type"], "referral");
        assert_eq!(v["record"]["id"], 42);
        assert_eq!(v.as_object().map(|o| o.len()), Some(5));
    }
}
