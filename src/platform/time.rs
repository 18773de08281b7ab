//! Italian time: a day runs 00:00–24:00 Europe/Rome (summer time included). Every "today",
//! every "not in the future" check and every date a record is given follows it, through the
//! time-zone database of `chrono-tz` rather than hand-written rules.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Rome;

/// The Italian calendar day of an instant.
pub fn rome_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Rome).date_naive()
}

/// Today in Italy.
pub fn rome_today() -> NaiveDate {
    rome_date(Utc::now())
}

/// The instant an Italian day begins (00:00 in Rome), in UTC.
pub fn rome_midnight(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Rome.from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

/// The next instant after `now` when it is `hour`:00 in Rome (a daily job's quiet hour). On the
/// day summer time starts, 02:00 does not exist: the job runs at the first instant after it.
pub fn next_rome_hour(now: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let mut day = rome_date(now);
    for _ in 0..3 {
        let naive = day.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default();
        let at = Rome
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            // A skipped hour (spring forward): one hour later is the same wall-clock moment.
            .or_else(|| {
                Rome.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            });
        if let Some(at) = at
            && at > now
        {
            return at;
        }
        day = day.succ_opt().unwrap_or(day);
    }
    now + chrono::Duration::hours(24)
}

/// The instants an Italian period of days `[from, to]` runs between: from 00:00 in Rome on
/// `from` to 00:00 in Rome the day after `to` (end excluded), summer time included.
pub fn rome_days(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        rome_midnight(from),
        rome_midnight(to.succ_opt().unwrap_or(to)),
    )
}

/// The earliest date a record may carry: nothing the network records happened before 1900.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// How far ahead a date may be where the field allows the future (expiries, appointments).
pub const FUTURE_YEARS: i32 = 30;

/// Whether `day` is a sane date for a field: from 1900 to today in Italy, or up to
/// [`FUTURE_YEARS`] ahead where the field allows the future.
pub fn date_in_range(day: NaiveDate, future_allowed: bool, today: NaiveDate) -> bool {
    use chrono::Datelike;
    let latest = if future_allowed {
        today
            .with_year(today.year() + FUTURE_YEARS)
            .unwrap_or(today)
    } else {
        today
    };
    day >= earliest_date() && day <= latest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_italian_day_turns_at_rome_midnight_in_winter_and_summer() {
        // 23:30 UTC on 31 December is already 1 January in Italy (CET, +1).
        assert_eq!(rome_date(utc("2026-12-31T23:30:00Z")), day("2027-01-01"));
        assert_eq!(rome_date(utc("2026-12-31T22:59:59Z")), day("2026-12-31"));
        // In summer (CEST, +2) the day turns at 22:00 UTC.
        assert_eq!(rome_date(utc("2026-07-14T22:00:00Z")), day("2026-07-15"));
        assert_eq!(rome_date(utc("2026-07-14T21:59:59Z")), day("2026-07-14"));
        assert_eq!(
            rome_midnight(day("2026-07-15")),
            utc("2026-07-14T22:00:00Z")
        );
        assert_eq!(
            rome_midnight(day("2026-01-01")),
            utc("2025-12-31T23:00:00Z")
        );
        // The night summer time starts (29 March 2026) still begins at 00:00 CET.
        assert_eq!(
            rome_midnight(day("2026-03-29")),
            utc("2026-03-28T23:00:00Z")
        );
    }

    #[test]
    fn a_period_of_days_runs_from_rome_midnight_to_rome_midnight() {
        // The day summer time begins has 23 hours, the day it ends 25.
        let (s, e) = rome_days(day("2026-03-29"), day("2026-03-29"));
        assert_eq!((e - s).num_hours(), 23);
        let (s, e) = rome_days(day("2026-10-25"), day("2026-10-25"));
        assert_eq!((e - s).num_hours(), 25);
        let (s, e) = rome_days(day("2026-12-01"), day("2026-12-31"));
        assert_eq!(s, utc("2026-11-30T23:00:00Z"));
        assert_eq!(e, utc("2026-12-31T23:00:00Z"));
    }

    #[test]
    fn dates_outside_a_sane_range_are_refused() {
        let today = day("2026-12-02");
        assert!(date_in_range(day("1900-01-01"), false, today));
        assert!(!date_in_range(day("1899-12-31"), false, today));
        assert!(date_in_range(today, false, today));
        assert!(!date_in_range(day("2026-12-03"), false, today));
        assert!(date_in_range(day("2027-06-01"), true, today));
        assert!(!date_in_range(day("2057-01-01"), true, today));
        assert!(!date_in_range(NaiveDate::MIN, true, today));
        assert!(!date_in_range(NaiveDate::MAX, true, today));
    }

    #[test]
    fn a_daily_job_waits_for_its_italian_hour_summer_and_winter() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Winter (UTC+1): at 10:00 in Rome the next 03:00 is tomorrow's, 02:00 UTC.
        assert_eq!(
            next_rome_hour(utc("2026-12-02T09:00:00Z"), 3),
            utc("2026-12-03T02:00:00Z")
        );
        // Just before 03:00 in Rome: today's.
        assert_eq!(
            next_rome_hour(utc("2026-12-02T01:59:00Z"), 3),
            utc("2026-12-02T02:00:00Z")
        );
        // Summer (UTC+2).
        assert_eq!(
            next_rome_hour(utc("2026-07-01T12:00:00Z"), 3),
            utc("2026-07-02T01:00:00Z")
        );
        // The night summer time starts (29 March 2026) 02:00 does not exist: 03:00 CEST.
        assert_eq!(
            next_rome_hour(utc("2026-03-28T12:00:00Z"), 2),
            utc("2026-03-29T01:00:00Z")
        );
        // Never now: exactly at the hour, the next day's.
        assert_eq!(
            next_rome_hour(utc("2026-12-03T02:00:00Z"), 3),
            utc("2026-12-04T02:00:00Z")
        );
    }
}
