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
    next_rome_time(now, hour, 0)
}

/// The next instant after `now` when it is `hour`:`minute` in Rome (a daily job's time), with
/// the same rule as [`next_rome_hour`] on the day summer time starts.
pub fn next_rome_time(now: DateTime<Utc>, hour: u32, minute: u32) -> DateTime<Utc> {
    let mut day = rome_date(now);
    for _ in 0..3 {
        let naive = day
            .and_hms_opt(hour.min(23), minute.min(59), 0)
            .unwrap_or_default();
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

/// An instant as Italian wall-clock time, `YYYY-MM-DD HH:MM` (lists, desks, forms' echoes).
pub fn rome_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Rome).format("%Y-%m-%d %H:%M").to_string()
}

/// An instant as Italian time with its zone stated (`2026-07-01 00:40 CEST`), for histories,
/// audit trails and threads where the same moment must read the same everywhere.
pub fn rome_time_zoned(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Rome)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// An instant as the value of a `datetime-local` input in Italian time (`YYYY-MM-DDTHH:MM`).
pub fn rome_input(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Rome).format("%Y-%m-%dT%H:%M").to_string()
}

/// A date-time typed in a form (`YYYY-MM-DDTHH:MM`, Italian wall-clock time) as an instant; an
/// RFC 3339 instant with its offset (as the API sends) is taken as it is. A time that does not
/// exist in Italy (02:30 the night summer time starts) is refused; one that happens twice (02:30
/// the night it ends) is the first of the two, as an operator typing during that hour means.
pub fn parse_rome_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Rome.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A period of whole Italian days, `from` to `to` included: the one vocabulary every report,
/// list filter, CLI option and API parameter speaks. Its instants run from 00:00 in Rome on
/// `from` to 00:00 in Rome after `to`, summer time included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a period typed by someone was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodError {
    /// A day that is not a date (`YYYY-MM-DD`).
    NotADate,
    /// The period ends before it starts.
    Backwards,
}

impl PeriodError {
    /// The Fluent key of the message shown to the user.
    pub fn key(self) -> &'static str {
        match self {
            PeriodError::NotADate => "network-error-date",
            PeriodError::Backwards => "outreach-error-period",
        }
    }
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if to < from {
            return Err(PeriodError::Backwards);
        }
        Ok(Period { from, to })
    }

    /// The `days` days up to and including `today`.
    pub fn last_days(today: NaiveDate, days: i64) -> Period {
        Period {
            from: today - chrono::Duration::days((days - 1).max(0)),
            to: today,
        }
    }

    /// A period typed as two optional days: a blank one takes the default's; a day that is not
    /// a date is refused, never silently replaced by the default.
    pub fn parse(from: &str, to: &str, default: Period) -> Result<Period, PeriodError> {
        let day = |raw: &str, fallback: NaiveDate| {
            let raw = raw.trim();
            if raw.is_empty() {
                Ok(fallback)
            } else {
                NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| PeriodError::NotADate)
            }
        };
        Period::new(day(from, default.from)?, day(to, default.to)?)
    }

    /// The instants the period runs between: start included, end excluded.
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        rome_days(self.from, self.to)
    }

    /// Whether an instant falls on one of the period's Italian days.
    pub fn holds(&self, t: DateTime<Utc>) -> bool {
        let d = rome_date(t);
        d >= self.from && d <= self.to
    }
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
    fn a_typed_period_is_refused_rather_than_defaulted() {
        let default = Period::last_days(day("2026-12-02"), 30);
        assert_eq!(default.from, day("2026-11-03"));
        assert_eq!(Period::parse("", "", default), Ok(default));
        assert_eq!(
            Period::parse("2026-07-01", "", default).map(|p| p.from),
            Ok(day("2026-07-01"))
        );
        assert_eq!(
            Period::parse("01/07/2026", "", default),
            Err(PeriodError::NotADate)
        );
        assert_eq!(
            Period::parse("2026-07-02", "2026-07-01", default),
            Err(PeriodError::Backwards)
        );
        // A call at 00:40 on 1 July (Italy) is in July, not in June.
        let july = Period::new(day("2026-07-01"), day("2026-07-31")).unwrap();
        let june = Period::new(day("2026-01-01"), day("2026-06-30")).unwrap();
        let call = utc("2026-06-30T22:40:00Z");
        assert!(july.holds(call) && !june.holds(call));
        let (s, e) = july.bounds();
        assert!(s <= call && call < e);
        // One at 00:20 on 1 January is in the new year.
        let year = Period::new(day("2027-01-01"), day("2027-12-31")).unwrap();
        assert!(year.holds(utc("2026-12-31T23:20:00Z")));
    }

    #[test]
    fn times_read_and_show_in_italian_time_across_the_clock_changes() {
        // 00:40 on 1 July in Italy is 22:40 UTC on 30 June.
        let t = parse_rome_time("2026-07-01T00:40").unwrap();
        assert_eq!(t, utc("2026-06-30T22:40:00Z"));
        assert_eq!(rome_time(&t), "2026-07-01 00:40");
        assert_eq!(rome_time_zoned(&t), "2026-07-01 00:40 CEST");
        assert_eq!(rome_input(&t), "2026-07-01T00:40");
        // 00:20 on 1 January is 23:20 UTC on 31 December, winter time.
        let t = parse_rome_time("2027-01-01T00:20").unwrap();
        assert_eq!(t, utc("2026-12-31T23:20:00Z"));
        assert_eq!(rome_time_zoned(&t), "2027-01-01 00:20 CET");
        // The night summer time starts, 02:30 does not exist; 03:30 is 01:30 UTC.
        assert_eq!(parse_rome_time("2026-03-29T02:30"), None);
        assert_eq!(
            parse_rome_time("2026-03-29T03:30"),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        // The night it ends, 02:30 happens twice: the first (still summer time) is taken.
        assert_eq!(
            parse_rome_time("2026-10-25T02:30"),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        // Between 01:00 and 02:00 UTC on the switch day the old hand-written rule was wrong.
        assert_eq!(rome_time(&utc("2026-10-25T00:30:00Z")), "2026-10-25 02:30");
        assert_eq!(rome_time(&utc("2026-10-25T01:30:00Z")), "2026-10-25 02:30");
        assert_eq!(rome_time(&utc("2026-03-29T00:30:00Z")), "2026-03-29 01:30");
        assert_eq!(rome_time(&utc("2026-03-29T01:30:00Z")), "2026-03-29 03:30");
        // An instant with an offset is taken as it is; nonsense is refused, never defaulted.
        assert_eq!(
            parse_rome_time("2026-07-01T00:40:00+02:00"),
            Some(utc("2026-06-30T22:40:00Z"))
        );
        assert_eq!(parse_rome_time("2026-02-30T10:00"), None);
        assert_eq!(parse_rome_time("yesterday"), None);
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
