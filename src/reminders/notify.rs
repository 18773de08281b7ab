//! E-mail notifications of what is due (issue 25): for each person who chose them, how many
//! items wait on their desk (in every organisation they work for) and how many are late, as a
//! daily digest at `mail.digest_hour` (Italian time) or as soon as more items wait than at the
//! last message. Messages go through the outbox (`platform::mail`): one per dedupe key, so two
//! instances or a restart never write the same message twice; they carry counts and a link only.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use crate::platform::policy::Actor;
use crate::platform::time::rome_date;
use crate::platform::web::{AppError, SharedState};

/// Which message a person's choice asks for now, if any.
#[derive(Debug, PartialEq, Eq)]
pub enum Send {
    /// The day's digest (once per Italian day).
    Digest(NaiveDate),
    /// A message because more is waiting than at the last one (or a day went by).
    Now,
}

/// The rule: nothing when nothing waits; the digest once the day's hour has come; an
/// immediate message when more items wait than the last message announced, or when the last
/// one is a day old and items still wait.
pub fn decide(
    mode: &str,
    waiting: usize,
    now: DateTime<Utc>,
    digest_hour: u32,
    last_now: Option<(usize, DateTime<Utc>)>,
) -> Option<Send> {
    if waiting == 0 {
        return None;
    }
    match mode {
        "daily" => {
            let rome = now.with_timezone(&chrono_tz::Europe::Rome);
            (rome.hour() >= digest_hour).then(|| Send::Digest(rome_date(now)))
        }
        "immediate" => match last_now {
            None => Some(Send::Now),
            Some((n, _)) if waiting > n => Some(Send::Now),
            Some((_, at)) if now - at >= Duration::hours(24) => Some(Send::Now),
            Some(_) => None,
        },
        _ => None,
    }
}

/// Everything due for a person across the organisations they work for: (waiting, late).
async fn counts(
    state: &SharedState,
    user_id: i32,
    username: &str,
) -> Result<(usize, usize), AppError> {
    let mut seen = HashSet::new();
    let mut late = 0;
    for (org, roles) in crate::identity::roles_by_organisation(&state.db, user_id).await? {
        let actor = Actor {
            user_id,
            username: username.to_owned(),
            organisation_id: Some(org),
            province: None,
            roles,
        };
        for item in super::due_for(state, &actor).await? {
            if seen.insert(format!("{org}|{}", item.key())) && item.due.late_days > 0 {
                late += 1;
            }
        }
    }
    Ok((seen.len(), late))
}

/// One round: writes the messages due now to the outbox; returns how many were written.
pub async fn enqueue_due(state: &SharedState, now: DateTime<Utc>) -> Result<usize, AppError> {
    let Some(mail) = &state.config.mail else {
        return Ok(0);
    };
    let mut written = 0;
    for (user_id, username, email, mode) in
        crate::identity::notification_recipients(&state.db, &state.keys).await?
    {
        let (waiting, late) = counts(state, user_id, &username).await?;
        let prefix = format!("now:{user_id}:");
        let last = crate::platform::mail::latest(&state.db, user_id, &prefix)
            .await?
            .map(|m| (usize::try_from(m.items).unwrap_or(0), m.created_at));
        let (key, digest) = match decide(&mode, waiting, now, mail.digest_hour, last) {
            None => continue,
            Some(Send::Digest(day)) => (format!("digest:{user_id}:{day}"), true),
            // Two instances deciding in the same minute on the same count write one message.
            Some(Send::Now) => (format!("{prefix}{}:{waiting}", now.timestamp() / 60), false),
        };
        let message = crate::platform::mail::compose(&mail.site_url, waiting, late, digest);
        if crate::platform::mail::enqueue(
            &state.db,
            &state.keys,
            user_id,
            &key,
            &email,
            message,
            waiting,
            now,
        )
        .await?
        {
            written += 1;
        }
    }
    Ok(written)
}

/// While the server runs with `[mail]` configured: every 30 seconds (or at once when a page
/// wrote a message that should not wait, `mail_wake`), the messages due are written to the
/// outbox and the outbox is delivered.
pub fn spawn(state: SharedState) {
    let Some(mail) = state.config.mail.clone() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let now = Utc::now();
            if let Err(e) = enqueue_due(&state, now).await {
                tracing::error!(error = %e, "notifications could not be prepared");
            }
            match crate::platform::mail::deliver_due(&state.db, &state.keys, &mail, now).await {
                Ok(d) if d.sent + d.retried + d.given_up > 0 => tracing::info!(
                    sent = d.sent,
                    retried = d.retried,
                    given_up = d.given_up,
                    "notification e-mails"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "notification e-mails could not be delivered"
                ),
            }
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                () = state.mail_wake.notified() => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn nothing_is_sent_when_nothing_waits_or_the_person_said_off() {
        let now = at("2026-12-04T09:00:00Z");
        assert_eq!(decide("daily", 0, now, 7, None), None);
        assert_eq!(decide("immediate", 0, now, 7, None), None);
        assert_eq!(decide("off", 5, now, 7, None), None);
    }

    #[test]
    fn the_digest_comes_once_the_italian_hour_has_come() {
        // 05:30 UTC is 06:30 in Rome in winter: not yet at 7.
        assert_eq!(
            decide("daily", 3, at("2026-12-04T05:30:00Z"), 7, None),
            None
        );
        assert_eq!(
            decide("daily", 3, at("2026-12-04T06:00:00Z"), 7, None),
            Some(Send::Digest(
                NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default()
            ))
        );
        // 23:30 UTC on 4 December is already 5 December in Rome (00:30: a digest at midnight
        // is that day's, and a 7 o'clock one not yet due).
        assert_eq!(
            decide("daily", 1, at("2026-12-04T23:30:00Z"), 7, None),
            None
        );
        assert_eq!(
            decide("daily", 1, at("2026-12-04T23:30:00Z"), 0, None),
            Some(Send::Digest(
                NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default()
            ))
        );
        // Summer time: 05:00 UTC is 07:00 in Rome.
        assert!(decide("daily", 1, at("2026-07-01T05:00:00Z"), 7, None).is_some());
    }

    #[test]
    fn an_immediate_message_needs_more_waiting_than_last_time_or_a_day_gone() {
        let now = at("2026-12-04T10:00:00Z");
        assert_eq!(decide("immediate", 2, now, 7, None), Some(Send::Now));
        let an_hour_ago = now - Duration::hours(1);
        assert_eq!(decide("immediate", 2, now, 7, Some((2, an_hour_ago))), None);
        assert_eq!(decide("immediate", 1, now, 7, Some((2, an_hour_ago))), None);
        assert_eq!(
            decide("immediate", 3, now, 7, Some((2, an_hour_ago))),
            Some(Send::Now)
        );
        assert_eq!(
            decide("immediate", 2, now, 7, Some((2, now - Duration::hours(24)))),
            Some(Send::Now)
        );
    }
}
