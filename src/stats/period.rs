//! The period and province a report is asked for, in Italian days: one reading shared by the
//! report's page, its downloads, the API and the desks.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub province: String,
}

/// The period and province asked for: defaults (the last full semester, all of Tuscany) for
/// what is not given; a day that is not a date, a period ending before it starts or an unknown
/// province is an error (its Fluent key).
pub fn request(q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate, Option<String>), &'static str> {
    for raw in [&q.from, &q.to] {
        if !raw.trim().is_empty() && NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").is_err() {
            return Err("network-error-date");
        }
    }
    let (from, to) = period(q.from.trim(), q.to.trim());
    if let (Ok(f), Ok(t)) = (
        NaiveDate::parse_from_str(q.from.trim(), "%Y-%m-%d"),
        NaiveDate::parse_from_str(q.to.trim(), "%Y-%m-%d"),
    ) && t < f
    {
        return Err("outreach-error-period");
    }
    let province = crate::network::rules::province(&q.province)?;
    Ok((from, to, province))
}

/// The period asked for, or by default the year so far (Italian days): from 1 January to
/// today, or, in January, from 1 December, so that a desk opened early in the year still
/// shows a complete month of data instead of a fixed half-year the data may not cover.
pub fn period(from: &str, to: &str) -> (NaiveDate, NaiveDate) {
    default_period_on(from, to, crate::platform::time::rome_today())
}

fn default_period_on(from: &str, to: &str, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let dfrom = if today.month() == 1 {
        NaiveDate::from_ymd_opt(today.year() - 1, 12, 1)
    } else {
        NaiveDate::from_ymd_opt(today.year(), 1, 1)
    };
    let from = NaiveDate::parse_from_str(from, "%Y-%m-%d")
        .ok()
        .or(dfrom)
        .unwrap_or(today - Duration::days(182));
    let to = NaiveDate::parse_from_str(to, "%Y-%m-%d")
        .ok()
        .unwrap_or(today);
    (from, to.max(from))
}

#[cfg(test)]
mod default_period_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_default_period_is_the_year_so_far_or_from_december_in_january() {
        assert_eq!(
            default_period_on("", "", d("2026-12-02")),
            (d("2026-01-01"), d("2026-12-02"))
        );
        assert_eq!(
            default_period_on("", "", d("2027-01-05")),
            (d("2026-12-01"), d("2027-01-05"))
        );
        assert_eq!(
            default_period_on("2026-03-01", "2026-03-31", d("2026-12-02")),
            (d("2026-03-01"), d("2026-03-31"))
        );
    }
}
