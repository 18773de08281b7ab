//! Outgoing mail (issue 25): an outbox every message goes through, and its delivery over SMTP
//! (`lettre`, TLS through rustls).
//!
//! A message is written to `mail_outbox` once per dedupe key (a second write of the same key
//! changes nothing), with the recipient's address sealed. The sender claims a due row by moving
//! its next attempt past a lease (one conditional update: atomic on SQLite and PostgreSQL, so
//! two instances never claim the same row), sends it with a `Message-ID` made from the row, and
//! marks it sent. A failure is kept with its SMTP reply class (never the server's text, which
//! may repeat the address) and retried with exponential backoff; after `GIVE_UP` attempts the
//! row is `failed` and counted on `/metrics` for administrators. An instance that dies between
//! sending and marking leaves the row pending: it is sent again when the lease runs out, with
//! the same `Message-ID`, so a receiving system that deduplicates by it sees it once.
//!
//! Nothing personal is in a message: `compose` writes counts and the desk's link only, with
//! counts above 9 written "9+", so that the subject's and body's length reveal almost nothing.

use chrono::{DateTime, Duration, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect};

use crate::platform::config::Mail;
use crate::platform::crypto::KeyRing;

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mail_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub dedupe_key: String,
        pub to_enc: Vec<u8>,
        pub subject: String,
        pub body: String,
        pub items: i32,
        pub state: String,
        pub attempts: i32,
        pub next_at: ChronoDateTimeUtc,
        pub last_error: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub sent_at: Option<ChronoDateTimeUtc>,
        /// The HTML part (the newsletter); notifications are plain text only.
        pub html: Option<String>,
        /// The one-click unsubscribe address (RFC 8058) of a newsletter message.
        pub list_unsubscribe: Option<String>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The encryption context of a recipient's address in the outbox.
pub const TO: &str = "mail_outbox.to";

pub const SEALED: &[crate::platform::keys::EncryptedColumn] =
    &[crate::platform::keys::EncryptedColumn {
        table: "mail_outbox",
        key: "id",
        column: "to_enc",
        context: TO,
    }];

/// Attempts before a message is given up (about two days of backoff).
pub const GIVE_UP: i32 = 12;
/// How long a claimed message is left to its sender before another may try.
const LEASE_MINUTES: i64 = 10;

/// Whether `url` names an SMTP server SATIS can use (the configuration's check).
pub fn check_url(url: &str) -> Result<(), String> {
    let scheme = url.split("://").next().unwrap_or_default();
    if !matches!(scheme, "smtp" | "smtps") {
        return Err(format!(
            "`{}` is not an smtp:// or smtps:// address",
            crate::platform::config::redact_url(url)
        ));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("not a usable SMTP address: {e}"))?;
    // In clear only to a relay on this machine: anywhere else, TLS from the start (smtps://)
    // or STARTTLS required (never "opportunistic", which a man in the middle can turn off).
    let parsed = url::Url::parse(url).map_err(|e| format!("not a usable SMTP address: {e}"))?;
    let loopback = match parsed.host() {
        // Outside http(s) the URL parser keeps hosts as names: "127.0.0.1" is read here.
        Some(url::Host::Domain(d)) => {
            d == "localhost"
                || d.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    };
    let required = parsed
        .query_pairs()
        .any(|(k, v)| k == "tls" && v == "required");
    if scheme == "smtp" && !loopback && !required {
        return Err(format!(
            "`{}` would send mail in clear across the network: use smtps://…:465 or \
             smtp://…:587?tls=required",
            crate::platform::config::redact_url(url)
        ));
    }
    Ok(())
}

/// Whether `from` is a sender address (`Name <address>` or `address`).
pub fn check_from(from: &str) -> Result<(), String> {
    from.trim().parse::<Mailbox>().map(|_| ()).map_err(|_| {
        format!("`{from}` is not a sender address such as `SATIS <satis@example.org>`")
    })
}

/// Whether `address` is an e-mail address a person may give for their notifications.
pub fn valid_address(address: &str) -> bool {
    let a = address.trim();
    a.len() <= 254 && a.parse::<lettre::Address>().is_ok()
}

/// A count as a message writes it: 0–9, then "9+".
fn small(n: usize) -> String {
    if n > 9 {
        "9+".to_owned()
    } else {
        n.to_string()
    }
}

/// The subject and plain-text body of a notification: counts and the desk's link, in Italian
/// and English, never a record.
pub fn compose(site_url: &str, waiting: usize, overdue: usize, digest: bool) -> (String, String) {
    let (w, o) = (small(waiting), small(overdue));
    let subject = format!("SATIS: {w} da fare ({o} in ritardo) / {w} waiting ({o} overdue)");
    let (it, en) = if digest {
        ("Il riepilogo di oggi", "Today's summary")
    } else {
        ("C'è qualcosa di nuovo", "Something new is waiting")
    };
    let body = format!(
        "{it}: {w} attività da fare, di cui {o} in ritardo.\n\
         Le trovi in SATIS, nella pagina \"Da fare\": {site_url}/reminders\n\
         Questo messaggio non contiene dati delle persone. Puoi disattivare gli avvisi nella \
         pagina del tuo account: {site_url}/account\n\
         \n\
         {en}: {w} items are waiting for you, {o} overdue.\n\
         See them in SATIS, on the \"Da fare\" page: {site_url}/reminders\n\
         This message holds no data about anyone. You can switch these messages off on your \
         account page: {site_url}/account\n"
    );
    (subject, body)
}

/// Writes a message to the outbox unless one with the same key exists; `true` when written.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    user_id: i32,
    dedupe_key: &str,
    to: &str,
    (subject, body): (String, String),
    items: usize,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let to_enc = keys
        .encrypt_str(TO, to.trim())
        .map_err(|_| DbErr::Custom("the address cannot be sealed".into()))?;
    let r = outbox::Entity::insert(outbox::ActiveModel {
        user_id: Set(user_id),
        dedupe_key: Set(dedupe_key.to_owned()),
        to_enc: Set(to_enc),
        subject: Set(subject),
        body: Set(body),
        items: Set(i32::try_from(items).unwrap_or(i32::MAX)),
        state: Set("pending".into()),
        attempts: Set(0),
        next_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        html: Set(None),
        list_unsubscribe: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(outbox::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(r == 1)
}

/// A message to someone who is not a staff account (a newsletter subscriber): a plain-text
/// and an HTML part, and where to unsubscribe in one click.
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: String,
}

/// Writes a letter to the outbox unless one with the same key exists; `true` when written.
/// Its `user_id` is 0: no account is behind it.
pub async fn enqueue_letter(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    dedupe_key: &str,
    to: &str,
    letter: Letter,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let to_enc = keys
        .encrypt_str(TO, to.trim())
        .map_err(|_| DbErr::Custom("the address cannot be sealed".into()))?;
    let r = outbox::Entity::insert(outbox::ActiveModel {
        user_id: Set(0),
        dedupe_key: Set(dedupe_key.to_owned()),
        to_enc: Set(to_enc),
        subject: Set(letter.subject),
        body: Set(letter.text),
        items: Set(0),
        state: Set("pending".into()),
        attempts: Set(0),
        next_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        html: Set(Some(letter.html).filter(|h| !h.is_empty())),
        list_unsubscribe: Set(Some(letter.list_unsubscribe).filter(|u| !u.is_empty())),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(outbox::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(r == 1)
}

/// Drops the messages not yet sent whose keys begin with `prefix` (a subscriber who left);
/// how many.
pub async fn cancel_pending(db: &impl ConnectionTrait, prefix: &str) -> Result<u64, DbErr> {
    Ok(outbox::Entity::delete_many()
        .filter(outbox::Column::DedupeKey.starts_with(prefix))
        .filter(outbox::Column::State.ne("sent"))
        .exec(db)
        .await?
        .rows_affected)
}

/// The message as it goes out: plain text, or plain text and HTML as alternatives; the
/// unsubscribe headers of RFC 2369 and RFC 8058 when the message has an unsubscribe address.
fn build(from: &Mailbox, to: Mailbox, m: &outbox::Model) -> Result<Message, String> {
    let mut b = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(format!(
            "<satis-{}-{}@{}>",
            m.id,
            m.created_at.timestamp(),
            sender_domain(from)
        )));
    if let Some(url) = &m.list_unsubscribe {
        let header = |name: &str, value: String| {
            lettre::message::header::HeaderName::new_from_ascii(name.to_owned())
                .map(|n| lettre::message::header::HeaderValue::new(n, value))
                .map_err(|_| "message refused".to_owned())
        };
        b = b
            .raw_header(header("List-Unsubscribe", format!("<{url}>"))?)
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            )?);
    }
    let built = match &m.html {
        Some(html) => b.multipart(lettre::message::MultiPart::alternative_plain_html(
            m.body.clone(),
            html.clone(),
        )),
        None => b.header(ContentType::TEXT_PLAIN).body(m.body.clone()),
    };
    built.map_err(|_| "message refused".to_owned())
}

/// The newest message written for a user under keys beginning with `prefix`.
pub async fn latest(
    db: &impl ConnectionTrait,
    user_id: i32,
    prefix: &str,
) -> Result<Option<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::UserId.eq(user_id))
        .filter(outbox::Column::DedupeKey.starts_with(prefix))
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await
}

/// What one delivery round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// The wait before attempt `attempts + 1`: 1, 2, 4… minutes, at most 6 hours.
pub fn backoff(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(0, 9);
    Duration::minutes(minutes.min(360))
}

/// The class of a failure, as kept in the outbox: the SMTP reply code when there is one, never
/// the server's words.
fn failure_class(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("smtp {code}"),
        None if e.is_timeout() => "timeout".to_owned(),
        None if e.is_tls() => "tls".to_owned(),
        None => "connection".to_owned(),
    }
}

fn sender_domain(from: &Mailbox) -> String {
    from.email.domain().to_owned()
}

/// Claims a due message for this sender by moving its next attempt past the lease, if nobody
/// did it first; `true` when claimed. A sender that dies after claiming leaves the message to
/// the next sender once the lease runs out.
pub async fn claim(db: &impl ConnectionTrait, id: i32, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let claimed = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::NextAt,
            Expr::value(now + Duration::minutes(LEASE_MINUTES)),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::State.eq("pending"))
        .filter(outbox::Column::NextAt.lte(now))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Sends every due message (at most 50 a round) through the configured server.
pub async fn deliver_due(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    mail: &Mail,
    now: DateTime<Utc>,
) -> Result<Delivered, DbErr> {
    let mut done = Delivered::default();
    let due = outbox::Entity::find()
        .filter(outbox::Column::State.eq("pending"))
        .filter(outbox::Column::NextAt.lte(now))
        .order_by_asc(outbox::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(done);
    }
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|_| DbErr::Custom("mail.from is not an address".into()))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&mail.smtp_url)
        .map_err(|_| DbErr::Custom("mail.smtp_url is not usable".into()))?
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    for m in due {
        if !claim(db, m.id, now).await? {
            continue;
        }
        let outcome = match keys.decrypt_str(TO, &m.to_enc) {
            Err(_) => Err("sealed address unreadable".to_owned()),
            Ok(to) => match to.parse::<Mailbox>() {
                Err(_) => Err("address refused".to_owned()),
                Ok(to) => match build(&from, to, &m) {
                    Err(e) => Err(e),
                    Ok(message) => transport
                        .send(message)
                        .await
                        .map(|_| ())
                        .map_err(|e| failure_class(&e)),
                },
            },
        };
        match outcome {
            Ok(()) => {
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::State, Expr::value("sent"))
                    .col_expr(outbox::Column::SentAt, Expr::value(Some(Utc::now())))
                    .col_expr(outbox::Column::Attempts, Expr::value(m.attempts + 1))
                    .col_expr(outbox::Column::LastError, Expr::value(None::<String>))
                    .filter(outbox::Column::Id.eq(m.id))
                    .exec(db)
                    .await?;
                done.sent += 1;
            }
            Err(class) => {
                let attempts = m.attempts + 1;
                let give_up = attempts >= GIVE_UP;
                tracing::warn!(
                    outbox_id = m.id,
                    attempts,
                    reason = class.as_str(),
                    "a notification could not be sent"
                );
                outbox::Entity::update_many()
                    .col_expr(
                        outbox::Column::State,
                        Expr::value(if give_up { "failed" } else { "pending" }),
                    )
                    .col_expr(outbox::Column::Attempts, Expr::value(attempts))
                    .col_expr(outbox::Column::NextAt, Expr::value(now + backoff(attempts)))
                    .col_expr(outbox::Column::LastError, Expr::value(Some(class)))
                    .filter(outbox::Column::Id.eq(m.id))
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

/// The messages an administrator should look at, newest first: given up, or waiting after a
/// failed attempt.
pub async fn problems(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(outbox::Column::State.eq("failed"))
                .add(
                    sea_orm::Condition::all()
                        .add(outbox::Column::State.eq("pending"))
                        .add(outbox::Column::Attempts.gt(0)),
                ),
        )
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Puts a message given up (or waiting for a retry) back in line to be sent at the next round,
/// with its attempts counted afresh; `false` when there is no such message or it was sent.
pub async fn send_again(
    db: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value("pending"))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::State.is_in(["failed", "pending"]))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Messages waiting to be sent and messages given up: (pending, failed), for `/metrics`.
pub async fn queue_lengths(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    let count = |state: &'static str| {
        outbox::Entity::find()
            .filter(outbox::Column::State.eq(state))
            .count(db)
    };
    Ok((count("pending").await?, count("failed").await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_hold_counts_and_links_only_and_their_length_barely_varies() {
        let (s1, b1) = compose("https://satis.example", 1, 0, true);
        let (s2, b2) = compose("https://satis.example", 37, 12, true);
        assert_eq!(
            s1,
            "SATIS: 1 da fare (0 in ritardo) / 1 waiting (0 overdue)"
        );
        assert_eq!(
            s2,
            "SATIS: 9+ da fare (9+ in ritardo) / 9+ waiting (9+ overdue)"
        );
        assert!(s2.len() - s1.len() <= 4);
        assert!(b1.len().abs_diff(b2.len()) <= 4);
        assert!(b1.contains("https://satis.example/reminders"));
        assert!(b1.contains("https://satis.example/account"));
        let (_, now) = compose("https://satis.example", 2, 1, false);
        assert!(now.starts_with("C'è qualcosa di nuovo"));
    }

    #[test]
    fn retries_back_off_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(2));
        assert_eq!(backoff(3), Duration::minutes(8));
        assert_eq!(backoff(9), Duration::minutes(360));
        assert_eq!(backoff(40), Duration::minutes(360));
    }

    #[test]
    fn addresses_and_servers_are_checked() {
        assert!(valid_address("operatrice@comune.firenze.it"));
        assert!(!valid_address("operatrice"));
        assert!(!valid_address("a@b@c"));
        assert!(check_from("SATIS <satis@regione.toscana.it>").is_ok());
        assert!(check_from("satis").is_err());
        assert!(
            check_url("smtp://127.0.0.1:2525").is_ok(),
            "a relay on this machine"
        );
        assert!(check_url("smtp://localhost:25").is_ok());
        assert!(check_url("smtp://[::1]:25").is_ok());
        assert!(check_url("smtp://10.0.0.5:25").is_err());
        assert!(check_url("smtps://u:p@mail.example.org:465").is_ok());
        assert!(check_url("http://mail.example.org").is_err());
        assert!(check_url("smtp://mail.example.org:25").is_err(), "in clear");
        assert!(check_url("smtp://mail.example.org:587?tls=opportunistic").is_err());
        assert!(check_url("smtp://mail.example.org:587?tls=required").is_ok());
    }
}
