//! The monthly newsletter (issue 27).
//!
//! Subscribing is a double opt-in: the form keeps the address sealed (found again by its blind
//! index, never in clear), the wording of the consent and its time, and sends one confirmation
//! message with a link valid for [`CONFIRM_DAYS`] days; only a confirmed address receives
//! issues. The same address typed again sends nothing while its link is valid, and the page
//! says the same whatever the address's state (nobody learns from it who subscribed).
//! Unsubscribing, from the link in every issue or in one click from the mail program
//! (`List-Unsubscribe` and `List-Unsubscribe-Post`, RFC 8058), deletes the subscriber and any
//! message still waiting for them.
//!
//! Each month's issue is assembled from that month's published news and the network's events,
//! reviewed by an editor (who may write an introduction) and sent: one message per subscriber
//! through the outgoing-mail layer (plain text and HTML, retries, a dedupe key per subscriber
//! and issue, so never twice). No tracking pixel, no rewritten link: the links are the site's.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, QueryOrder, TransactionTrait};

use super::entities::{news_item, newsletter_issue, newsletter_subscriber};
use super::ops::NewsError;
use crate::platform::audit::{self, Entry};
use crate::platform::crypto::{self, KeyRing};
use crate::platform::mail::{self, Letter};
use crate::platform::policy::{Actor, Permission};
use crate::platform::web::chart::esc;
use crate::platform::web::{AppError, SharedState};

/// How long a confirmation link works.
pub const CONFIRM_DAYS: i64 = 7;

/// The encryption context of a subscriber's address.
pub const ADDRESS: &str = "newsletter_subscriber.address";

pub const SEALED: &[crate::platform::keys::EncryptedColumn] =
    &[crate::platform::keys::EncryptedColumn {
        table: "newsletter_subscriber",
        key: "id",
        column: "address_enc",
        context: ADDRESS,
    }];

/// The blind index an address is found by (case of the address ignored).
pub fn address_index(keys: &KeyRing, address: &str) -> String {
    keys.blind_index("newsletter-address", &address.trim().to_lowercase())
}

/// The unsubscribe token of a subscriber: keyed, so that nobody can make one for another id,
/// and stable, so that every issue carries a working link without the token being stored.
pub fn unsubscribe_token(keys: &KeyRing, subscriber: i32) -> String {
    keys.blind_index("newsletter-unsubscribe", &subscriber.to_string())
}

/// The outbox keys of a subscriber's messages begin with this.
fn outbox_prefix(subscriber: i32) -> String {
    format!("nl:{subscriber}:")
}

/// What a subscription form did. The page says the same for all three.
#[derive(Debug, PartialEq, Eq)]
pub enum Subscribed {
    ConfirmationSent,
    AlreadyWaiting,
    AlreadyConfirmed,
}

/// Why a public newsletter action did not happen: a message key.
#[derive(Debug)]
pub enum PublicError {
    Refused(&'static str),
    Failed(AppError),
}

impl From<DbErr> for PublicError {
    fn from(e: DbErr) -> Self {
        PublicError::Failed(e.into())
    }
}

/// The confirmation message: the link, what it is for, what happens if ignored.
pub fn confirmation_letter(base: &str, token: &str) -> Letter {
    let link = format!("{base}/newsletter/conferma/{token}");
    let text = format!(
        "Per ricevere la newsletter mensile della rete antitratta toscana, conferma l'iscrizione \
         aprendo questo indirizzo entro {CONFIRM_DAYS} giorni:\n{link}\n\n\
         Se non sei stata o stato tu, ignora questo messaggio: senza conferma non riceverai \
         nulla e l'indirizzo sarà cancellato.\n\n\
         To receive the monthly newsletter of the Tuscan anti-trafficking network, confirm \
         your subscription by opening this address within {CONFIRM_DAYS} days:\n{link}\n\n\
         If it was not you, ignore this message: without confirmation you will receive nothing.\n"
    );
    let l = esc(&link);
    let html = format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>Conferma</title></head><body>\
         <p>Per ricevere la newsletter mensile della rete antitratta toscana, conferma \
         l'iscrizione entro {CONFIRM_DAYS} giorni:</p><p><a href=\"{l}\">{l}</a></p>\
         <p>Se non sei stata o stato tu, ignora questo messaggio.</p>\
         <p lang=\"en\">To receive the monthly newsletter of the Tuscan anti-trafficking network, \
         confirm your subscription within {CONFIRM_DAYS} days with the link above. If it was \
         not you, ignore this message.</p></body></html>"
    );
    Letter {
        subject: "Conferma l'iscrizione alla newsletter / Confirm your subscription".into(),
        text,
        html,
        list_unsubscribe: String::new(),
    }
}

/// Subscribes `address` (double opt-in). `consent` is the wording the page showed, recorded
/// with the time.
pub async fn subscribe(
    state: &SharedState,
    address: &str,
    lang: &str,
    consent: &str,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Subscribed, PublicError> {
    let address = address.trim();
    if !mail::valid_address(address) {
        return Err(PublicError::Refused("newsletter-error-address"));
    }
    let index = address_index(&state.keys, address);
    let token = crypto::random_token(24);
    let sealed = state
        .keys
        .encrypt_str(ADDRESS, address)
        .map_err(|_| PublicError::Failed(AppError::Internal("address not sealed")))?;
    let txn = state.db.begin().await?;
    let existing = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::AddressIndex.eq(&index))
        .one(&txn)
        .await?;
    let (id, sent) = match existing {
        Some(s) if s.state == "confirmed" => return Ok(Subscribed::AlreadyConfirmed),
        Some(s) if s.confirm_until > now => return Ok(Subscribed::AlreadyWaiting),
        Some(s) => {
            // Its link expired: a new one, the consent given again.
            let sent = s.sent_confirmations + 1;
            newsletter_subscriber::Entity::update_many()
                .col_expr(
                    newsletter_subscriber::Column::ConfirmHash,
                    Expr::value(crypto::sha256_hex(token.as_bytes())),
                )
                .col_expr(
                    newsletter_subscriber::Column::ConfirmUntil,
                    Expr::value(now + Duration::days(CONFIRM_DAYS)),
                )
                .col_expr(
                    newsletter_subscriber::Column::ConsentText,
                    Expr::value(consent),
                )
                .col_expr(newsletter_subscriber::Column::ConsentAt, Expr::value(now))
                .col_expr(newsletter_subscriber::Column::Lang, Expr::value(lang))
                .col_expr(
                    newsletter_subscriber::Column::SentConfirmations,
                    Expr::value(sent),
                )
                .filter(newsletter_subscriber::Column::Id.eq(s.id))
                .exec(&txn)
                .await?;
            (s.id, sent)
        }
        None => {
            let r = newsletter_subscriber::Entity::insert(newsletter_subscriber::ActiveModel {
                address_enc: Set(sealed),
                address_index: Set(index),
                lang: Set(lang.to_owned()),
                state: Set("pending".into()),
                consent_text: Set(consent.to_owned()),
                consent_at: Set(now),
                confirm_hash: Set(crypto::sha256_hex(token.as_bytes())),
                confirm_until: Set(now + Duration::days(CONFIRM_DAYS)),
                confirmed_at: Set(None),
                sent_confirmations: Set(1),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::column(newsletter_subscriber::Column::AddressIndex)
                    .do_nothing()
                    .to_owned(),
            )
            .exec(&txn)
            .await;
            match r {
                Ok(r) => (r.last_insert_id, 1),
                // The same address sent twice at once: the other request wrote it.
                Err(DbErr::RecordNotInserted) => return Ok(Subscribed::AlreadyWaiting),
                Err(e) => return Err(e.into()),
            }
        }
    };
    mail::enqueue_letter(
        &txn,
        &state.keys,
        &format!("{}confirm:{sent}", outbox_prefix(id)),
        address,
        confirmation_letter(base, &token),
        now,
    )
    .await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(None, "newsletter.subscribe", "newsletter_subscriber").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(Subscribed::ConfirmationSent)
}

/// Confirms the subscription a link names. A link used twice, unknown or expired is refused
/// with the message key of why.
pub async fn confirm(
    state: &SharedState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), PublicError> {
    let hash = crypto::sha256_hex(token.trim().as_bytes());
    let txn = state.db.begin().await?;
    let s = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::ConfirmHash.eq(hash))
        .one(&txn)
        .await?
        .ok_or(PublicError::Refused("newsletter-error-link"))?;
    if s.state == "confirmed" {
        return Err(PublicError::Refused("newsletter-error-used"));
    }
    if s.confirm_until <= now {
        return Err(PublicError::Refused("newsletter-error-expired"));
    }
    let r = newsletter_subscriber::Entity::update_many()
        .col_expr(
            newsletter_subscriber::Column::State,
            Expr::value("confirmed"),
        )
        .col_expr(
            newsletter_subscriber::Column::ConfirmedAt,
            Expr::value(Some(now)),
        )
        .filter(newsletter_subscriber::Column::Id.eq(s.id))
        .filter(newsletter_subscriber::Column::State.eq("pending"))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        return Err(PublicError::Refused("newsletter-error-used"));
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(None, "newsletter.confirm", "newsletter_subscriber").record(s.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Unsubscribes: deletes the subscriber and every message still waiting for them. `Ok(false)`
/// when they had already left; a token that is not this subscriber's is refused.
pub async fn unsubscribe(
    state: &SharedState,
    subscriber: i32,
    token: &str,
) -> Result<bool, PublicError> {
    let expected = unsubscribe_token(&state.keys, subscriber);
    if !crypto::constant_time_eq(expected.as_bytes(), token.trim().as_bytes()) {
        return Err(PublicError::Refused("newsletter-error-link"));
    }
    let txn = state.db.begin().await?;
    let gone = newsletter_subscriber::Entity::delete_many()
        .filter(newsletter_subscriber::Column::Id.eq(subscriber))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if gone {
        mail::cancel_pending(&txn, &outbox_prefix(subscriber)).await?;
        audit::append(
            &txn,
            &state.keys,
            Entry::new(None, "newsletter.unsubscribe", "newsletter_subscriber").record(subscriber),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(gone)
}

/// Subscribers by state: (confirmed, waiting for confirmation), for the editors' desk.
pub async fn subscriber_counts(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    let count = |s: &'static str| {
        newsletter_subscriber::Entity::find()
            .filter(newsletter_subscriber::Column::State.eq(s))
            .count(db)
    };
    Ok((count("confirmed").await?, count("pending").await?))
}

/// Forgets subscriptions never confirmed, a week after their link expired; how many.
pub async fn forget_unconfirmed(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(newsletter_subscriber::Entity::delete_many()
        .filter(newsletter_subscriber::Column::State.eq("pending"))
        .filter(newsletter_subscriber::Column::ConfirmUntil.lt(now - Duration::days(7)))
        .exec(db)
        .await?
        .rows_affected)
}

/// The first day of the month `YYYY-MM`.
pub fn parse_month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()
}

/// The month before the one `day` is in, as `YYYY-MM`.
pub fn previous_month(day: NaiveDate) -> String {
    let first = day.with_day(1).unwrap_or(day);
    let last = first - Duration::days(1);
    format!("{:04}-{:02}", last.year(), last.month())
}

/// The Italian name of a month, for the subject.
fn month_name(first: NaiveDate) -> String {
    const NAMES: [&str; 12] = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    let i = usize::try_from(first.month0()).unwrap_or(0);
    format!("{} {}", NAMES[i.min(11)], first.year())
}

/// The numbers to call, as every issue ends.
pub fn numbers_line(h: &crate::platform::config::Hotline) -> String {
    let mut line = format!(
        "Numero verde antitratta regionale {} · nazionale {} · emergenze 112",
        h.regional, h.national
    );
    if !h.ordinary.is_empty() {
        line.push_str(&format!(
            " · da operatori che non raggiungono i numeri verdi {}",
            h.ordinary
        ));
    }
    line
}

/// What an issue is made of.
#[derive(Clone, Debug, Default)]
pub struct Contents {
    /// (title, summary, link) of each news item published in the month.
    pub news: Vec<(String, String, String)>,
    /// (date, title, place) of the events of the month and of the next one.
    pub events: Vec<(String, String, String)>,
}

/// The issue's message for one subscriber: the introduction, the news, the events, and in
/// both parts the link to unsubscribe. Plain links to the site only.
pub fn compose(
    month: NaiveDate,
    introduction: &str,
    contents: &Contents,
    base: &str,
    unsubscribe_url: &str,
    numbers: &str,
) -> Letter {
    let name = month_name(month);
    let subject = format!("Newsletter della rete antitratta toscana: {name}");
    let mut text = format!("{subject}\n\n");
    let mut html = format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\
         <h1>{}</h1>",
        esc(&subject),
        esc(&subject)
    );
    if !introduction.trim().is_empty() {
        text.push_str(introduction.trim());
        text.push_str("\n\n");
        for p in introduction.trim().split("\n\n") {
            html.push_str(&format!("<p>{}</p>", esc(p.trim())));
        }
    }
    let news: Vec<(String, String)> = contents
        .news
        .iter()
        .map(|(title, summary, link)| {
            (
                format!("* {title}\n  {summary}\n  {link}\n"),
                format!(
                    "<a href=\"{}\">{}</a><br>{}",
                    esc(link),
                    esc(title),
                    esc(summary)
                ),
            )
        })
        .collect();
    section(
        &mut text,
        &mut html,
        "Notizie",
        "Nessuna notizia questo mese.",
        &news,
    );
    let events: Vec<(String, String)> = contents
        .events
        .iter()
        .map(|(date, title, place)| {
            (
                format!("* {date}: {title} ({place})"),
                format!("{}: {} ({})", esc(date), esc(title), esc(place)),
            )
        })
        .collect();
    section(
        &mut text,
        &mut html,
        "Eventi",
        "Nessun evento in programma.",
        &events,
    );
    text.push_str(&format!(
        "{numbers}\nTutte le notizie: {base}/notizie\n\n\
         Per non ricevere più la newsletter: {unsubscribe_url}\n\
         To stop receiving this newsletter: {unsubscribe_url}\n"
    ));
    html.push_str(&format!(
        "<p>{}</p><p><a href=\"{}/notizie\">Tutte le notizie</a></p>\
         <p><small><a href=\"{}\">Non ricevere più la newsletter</a> · \
         <a href=\"{}\" lang=\"en\">Unsubscribe</a></small></p></body></html>",
        esc(numbers),
        esc(base),
        esc(unsubscribe_url),
        esc(unsubscribe_url)
    ));
    Letter {
        subject,
        text,
        html,
        list_unsubscribe: unsubscribe_url.to_owned(),
    }
}

/// A section of an issue in both parts: its heading, then its items (plain text, HTML
/// already escaped), or the sentence that says there is none.
fn section(
    text: &mut String,
    html: &mut String,
    heading: &str,
    none: &str,
    items: &[(String, String)],
) {
    text.push_str(&format!("{}\n\n", heading.to_uppercase()));
    html.push_str(&format!("<h2>{}</h2>", esc(heading)));
    if items.is_empty() {
        text.push_str(&format!("{none}\n\n"));
        html.push_str(&format!("<p>{}</p>", esc(none)));
        return;
    }
    html.push_str("<ul>");
    for (plain, marked) in items {
        text.push_str(plain);
        text.push('\n');
        html.push_str(&format!("<li>{marked}</li>"));
    }
    html.push_str("</ul>");
    text.push('\n');
}

fn editor(actor: &Actor) -> Result<(), NewsError> {
    if actor.can(Permission::EditNews) {
        Ok(())
    } else {
        Err(NewsError::Failed(AppError::Forbidden))
    }
}

/// Every issue, newest month first.
pub async fn issues(db: &impl ConnectionTrait) -> Result<Vec<newsletter_issue::Model>, DbErr> {
    newsletter_issue::Entity::find()
        .order_by_desc(newsletter_issue::Column::Month)
        .all(db)
        .await
}

pub async fn issue(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<newsletter_issue::Model>, DbErr> {
    newsletter_issue::Entity::find_by_id(id).one(db).await
}

/// Assembles the draft of `month` (`YYYY-MM`) unless it exists; its id. `actor` is `None` for
/// the monthly job.
pub async fn assemble(
    state: &SharedState,
    actor: Option<&Actor>,
    month: &str,
    now: DateTime<Utc>,
) -> Result<i32, NewsError> {
    if let Some(a) = actor {
        editor(a)?;
    }
    let Some(first) = parse_month(month) else {
        return Err(NewsError::Invalid(vec![(
            "month",
            "newsletter-error-month",
        )]));
    };
    if first > crate::platform::time::rome_today() {
        return Err(NewsError::Invalid(vec![(
            "month",
            "newsletter-error-month",
        )]));
    }
    let month = format!("{:04}-{:02}", first.year(), first.month());
    let txn = state.db.begin().await?;
    let inserted = newsletter_issue::Entity::insert(newsletter_issue::ActiveModel {
        month: Set(month.clone()),
        introduction: Set(String::new()),
        state: Set("draft".into()),
        assembled_at: Set(now),
        sent_by: Set(None),
        sent_at: Set(None),
        recipients: Set(0),
        version: Set(0),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(newsletter_issue::Column::Month)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let issue = newsletter_issue::Entity::find()
        .filter(newsletter_issue::Column::Month.eq(&month))
        .one(&txn)
        .await?
        .ok_or(NewsError::Failed(AppError::Internal("issue not written")))?;
    if inserted == 1 {
        audit::append(
            &txn,
            &state.keys,
            Entry::new(actor, "newsletter.assemble", "newsletter_issue").record(issue.id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(issue.id)
}

/// What the issue of the month beginning `first` holds at `now`: the news published in that
/// month (Italian time) and still on the site, the events of that month and the next.
pub async fn contents(
    db: &impl ConnectionTrait,
    first: NaiveDate,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Contents, DbErr> {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let after = next
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(next);
    let (from, to) = (
        crate::platform::time::rome_midnight(first),
        crate::platform::time::rome_midnight(next),
    );
    let news = super::ops::without_image(news_item::Entity::find())
        .filter(news_item::Column::PublishAt.gte(from))
        .filter(news_item::Column::PublishAt.lt(to))
        .order_by_asc(news_item::Column::PublishAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|i| super::rules::is_public(&i.state, i.publish_at, i.withdraw_at, now))
        .map(|i| (i.title, i.summary, format!("{base}/notizie/{}", i.id)))
        .collect();
    let mut events: Vec<_> = crate::network::trainings(db)
        .await?
        .into_iter()
        .filter(|t| t.held_on >= first && t.held_on < after)
        .collect();
    events.sort_by_key(|t| (t.held_on, t.id));
    Ok(Contents {
        news,
        events: events
            .into_iter()
            .map(|t| (t.held_on.format("%d/%m/%Y").to_string(), t.title, t.place))
            .collect(),
    })
}

/// Saves the introduction of a draft read at `version`.
pub async fn save_introduction(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    version: i32,
    introduction: &str,
) -> Result<(), NewsError> {
    editor(actor)?;
    if introduction.chars().count() > 4000 {
        return Err(NewsError::Invalid(vec![(
            "introduction",
            "newsletter-error-introduction",
        )]));
    }
    let txn = state.db.begin().await?;
    let r = newsletter_issue::Entity::update_many()
        .col_expr(
            newsletter_issue::Column::Introduction,
            Expr::value(introduction.trim()),
        )
        .col_expr(newsletter_issue::Column::Version, Expr::value(version + 1))
        .filter(newsletter_issue::Column::Id.eq(id))
        .filter(newsletter_issue::Column::Version.eq(version))
        .filter(newsletter_issue::Column::State.eq("draft"))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        return Err(NewsError::Stale);
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "newsletter.update", "newsletter_issue").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a reviewed draft read at `version`: one message per confirmed subscriber into the
/// outbox, the issue marked sent, in one transaction; how many messages. A second press (or
/// a second editor at the same moment) finds it sent and sends nothing.
pub async fn send(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    version: i32,
    base: &str,
    now: DateTime<Utc>,
) -> Result<usize, NewsError> {
    editor(actor)?;
    let txn = state.db.begin().await?;
    let r = newsletter_issue::Entity::update_many()
        .col_expr(newsletter_issue::Column::State, Expr::value("sent"))
        .col_expr(
            newsletter_issue::Column::SentBy,
            Expr::value(Some(actor.user_id)),
        )
        .col_expr(newsletter_issue::Column::SentAt, Expr::value(Some(now)))
        .col_expr(newsletter_issue::Column::Version, Expr::value(version + 1))
        .filter(newsletter_issue::Column::Id.eq(id))
        .filter(newsletter_issue::Column::Version.eq(version))
        .filter(newsletter_issue::Column::State.eq("draft"))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        return Err(NewsError::Refused("newsletter-error-sent"));
    }
    let issue = newsletter_issue::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(NewsError::Failed(AppError::NotFound))?;
    let first = parse_month(&issue.month).ok_or(NewsError::Failed(AppError::Internal(
        "issue month unreadable",
    )))?;
    let contents = contents(&txn, first, base, now).await?;
    let subscribers = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::State.eq("confirmed"))
        .order_by_asc(newsletter_subscriber::Column::Id)
        .all(&txn)
        .await?;
    let numbers = numbers_line(&state.config.hotline);
    let mut sent = 0usize;
    for s in &subscribers {
        let Ok(address) = state.keys.decrypt_str(ADDRESS, &s.address_enc) else {
            tracing::warn!(subscriber = s.id, "a subscriber's address cannot be read");
            continue;
        };
        let url = format!(
            "{base}/newsletter/disiscrizione/{}/{}",
            s.id,
            unsubscribe_token(&state.keys, s.id)
        );
        let letter = compose(first, &issue.introduction, &contents, base, &url, &numbers);
        if mail::enqueue_letter(
            &txn,
            &state.keys,
            &format!("{}issue:{}", outbox_prefix(s.id), issue.id),
            &address,
            letter,
            now,
        )
        .await?
        {
            sent += 1;
        }
    }
    newsletter_issue::Entity::update_many()
        .col_expr(
            newsletter_issue::Column::Recipients,
            Expr::value(i32::try_from(sent).unwrap_or(i32::MAX)),
        )
        .filter(newsletter_issue::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "newsletter.send", "newsletter_issue").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_and_the_previous_one_found() {
        assert_eq!(parse_month("2026-11"), NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("novembre"), None);
        assert_eq!(
            previous_month(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            "2025-12"
        );
        assert_eq!(
            previous_month(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
            "2026-02"
        );
    }

    #[test]
    fn an_issue_has_both_parts_the_unsubscribe_link_and_no_tracking() {
        let c = Contents {
            news: vec![(
                "Corso per operatori <Prato>".into(),
                "Tre giornate & un seminario".into(),
                "https://satis.example/notizie/4".into(),
            )],
            events: vec![("12/12/2026".into(), "Seminario".into(), "Firenze".into())],
        };
        let unsub = "https://satis.example/newsletter/disiscrizione/7/abc";
        let l = compose(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            "Buone notizie.\n\nSecondo paragrafo.",
            &c,
            "https://satis.example",
            unsub,
            "Numero verde 800 600 500",
        );
        assert!(l.text.contains("Numero verde 800 600 500"));
        assert_eq!(
            l.subject,
            "Newsletter della rete antitratta toscana: novembre 2026"
        );
        assert!(l.text.contains("Corso per operatori <Prato>"));
        assert!(l.text.contains("https://satis.example/notizie/4"));
        assert!(l.text.contains(unsub));
        assert!(l.html.contains("Corso per operatori &lt;Prato&gt;"));
        assert!(l.html.contains("Tre giornate &amp; un seminario"));
        assert!(l.html.contains("<p>Secondo paragrafo.</p>"));
        assert!(l.html.contains(unsub));
        assert_eq!(l.list_unsubscribe, unsub);
        assert!(!l.html.contains("<img"), "no tracking pixel");
        // Every link points at the site itself.
        for part in l.html.split("href=\"").skip(1) {
            assert!(part.starts_with("https://satis.example/"), "{part}");
        }
        let empty = compose(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            "",
            &Contents::default(),
            "https://satis.example",
            unsub,
            "",
        );
        assert!(empty.text.contains("Nessuna notizia questo mese."));
    }

    #[test]
    fn the_confirmation_carries_its_link_in_both_parts() {
        let l = confirmation_letter("https://satis.example", "tok123");
        assert!(
            l.text
                .contains("https://satis.example/newsletter/conferma/tok123")
        );
        assert!(
            l.html
                .contains("https://satis.example/newsletter/conferma/tok123")
        );
        assert!(l.list_unsubscribe.is_empty());
    }
}
