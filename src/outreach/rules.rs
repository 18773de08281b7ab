//! The rules of street-unit outings, drop-in interviews and accompaniments, as plain functions.
//! Errors are Fluent keys.

use chrono::{DateTime, Duration, Utc};

/// Apparent age bands a street unit tallies (age is estimated, never asked).
pub const AGE_BANDS: &[&str] = &["minor", "18_24", "25_34", "35_plus", "unknown"];

/// Whether a person met was already known to the unit.
pub const STATUSES: &[&str] = &["new", "known"];

/// Health topics discussed on an outing or at a desk.
pub const TOPICS: &[&str] = &[
    "sti",
    "hygiene",
    "condom_use",
    "contraception",
    "pregnancy_abortion",
    "substances",
];

/// Further topics of a drop-in interview.
pub const DESK_TOPICS: &[&str] = &[
    "sti",
    "hygiene",
    "condom_use",
    "contraception",
    "pregnancy_abortion",
    "substances",
    "legal",
    "documents",
    "housing",
    "work",
    "violence",
];

pub const INTERVIEW_OUTCOMES: &[&str] = &[
    "information_given",
    "referred_to_service",
    "accompaniment_arranged",
    "taken_into_care",
    "follow_up",
    "no_further_action",
];

/// Services a person is accompanied to.
pub const SERVICE_KINDS: &[&str] = &[
    "health",
    "social",
    "legal",
    "police",
    "immigration_office",
    "other",
];

pub const ACCOMPANIMENT_OUTCOMES: &[&str] = &["done", "missed", "postponed"];

/// Who recorded an accompaniment.
pub const SOURCES: &[&str] = &["street_unit", "drop_in", "hotline", "case"];

/// The largest count one outing may report for anything (a typo guard, not a policy).
pub const MAX_COUNT: i32 = 5_000;

/// One tally of an outing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub dimension: &'static str,
    pub value: String,
    pub count: i32,
}

/// An outing as typed, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct OutingInput {
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub people_met: String,
    /// (dimension, value, raw count) for gender, age band, status, nationality, material, topic.
    pub tallies: Vec<(&'static str, String, String)>,
    /// Anonymous codes of the individual contacts met.
    pub codes: Vec<String>,
}

/// A checked outing: its people met, its non-zero tallies and its distinct codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedOuting {
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub people_met: i32,
    pub tallies: Vec<Tally>,
    pub codes: Vec<String>,
}

/// A count typed in a form: empty is zero; anything else must be a whole number in range.
pub fn count(raw: &str) -> Result<i32, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    match raw.parse::<i32>() {
        Ok(n) if (0..=MAX_COUNT).contains(&n) => Ok(n),
        _ => Err("outreach-error-count"),
    }
}

/// An anonymous code chosen by a unit: 1–40 letters, digits, `-`, `_` or `.`, kept upper-case.
pub fn contact_code(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_uppercase();
    if code.is_empty()
        || code.chars().count() > 40
        || !code
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("outreach-error-code");
    }
    Ok(code)
}

/// The element of the outing form each problem belongs to, in the order the form shows them
/// (what a page lists first and links to).
pub const OUTING_FIELDS: &[&str] = &[
    "service_id",
    "started_at",
    "ended_at",
    "languages",
    "places",
    "people_met",
    "by-gender",
    "by-age",
    "by-status",
    "by-nationality",
    "by-material",
    "by-topic",
    "referrals_proposed",
    "accompaniments_proposed",
    "codes",
    "observations",
    "idempotency_key",
];

/// The form element that shows the tallies of one dimension.
fn tally_field(dimension: &str) -> &'static str {
    match dimension {
        "gender" => "by-gender",
        "age_band" => "by-age",
        "status" => "by-status",
        "nationality" => "by-nationality",
        "material" => "by-material",
        _ => "by-topic",
    }
}

/// Problems as (form element, Fluent key): one per element at most, so that a form with
/// twenty wrong counts in one box says it once.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<(&'static str, &'static str)>);

impl Problems {
    pub fn push(&mut self, field: &'static str, key: &'static str) {
        if !self.has(field) {
            self.0.push((field, key));
        }
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// In the order of the outing form.
    pub fn in_form_order(mut self) -> Vec<(&'static str, &'static str)> {
        self.0.sort_by_key(|(f, _)| {
            OUTING_FIELDS
                .iter()
                .position(|x| x == f)
                .unwrap_or(OUTING_FIELDS.len())
        });
        self.0
    }
}

/// Checks an outing: it ends after it starts and within a day; every breakdown of the people
/// met (gender, apparent age, new or known) adds up to the people met; nationalities and
/// anonymous contacts do not exceed them. The first problem (what the API answers); see
/// [`outing_problems`] for all of them.
pub fn check_outing(input: &OutingInput) -> Result<CheckedOuting, &'static str> {
    let mut problems = Problems::default();
    outing_problems(input, &mut problems).ok_or_else(|| {
        problems
            .in_form_order()
            .first()
            .map_or("error-400", |p| p.1)
    })
}

/// Checks an outing as [`check_outing`] does, adding every problem to `problems` (a sum is
/// checked only when its own counts and the people met could be read). `None` when anything
/// is wrong, here or before.
pub fn outing_problems(input: &OutingInput, problems: &mut Problems) -> Option<CheckedOuting> {
    if input.started.is_none() {
        problems.push("started_at", "network-error-date");
    }
    if input.ended.is_none() {
        problems.push("ended_at", "network-error-date");
    }
    if let (Some(started), Some(ended)) = (input.started, input.ended) {
        if ended <= started {
            problems.push("ended_at", "outreach-error-end-before-start");
        } else if ended - started > Duration::hours(24) {
            problems.push("ended_at", "outreach-error-too-long");
        }
    }
    let people_met = count(&input.people_met)
        .map_err(|k| problems.push("people_met", k))
        .ok();
    let mut tallies: Vec<Tally> = Vec::new();
    for (dimension, value, raw) in &input.tallies {
        let field = tally_field(dimension);
        let n = match count(raw) {
            Ok(n) => n,
            Err(k) => {
                problems.push(field, k);
                continue;
            }
        };
        if n == 0 {
            continue;
        }
        let known = match *dimension {
            "gender" => crate::cases::rules::GENDERS.contains(&value.as_str()),
            "age_band" => AGE_BANDS.contains(&value.as_str()),
            "status" => STATUSES.contains(&value.as_str()),
            "topic" => TOPICS.contains(&value.as_str()),
            "nationality" => value.len() == 2 && value.chars().all(|c| c.is_ascii_uppercase()),
            // Materials are configurable: the caller passes only configured codes.
            "material" => !value.is_empty(),
            _ => false,
        };
        if !known {
            problems.push(
                field,
                if *dimension == "nationality" {
                    "case-error-iso"
                } else {
                    "error-400"
                },
            );
            continue;
        }
        match tallies
            .iter_mut()
            .find(|t| t.dimension == *dimension && t.value == *value)
        {
            Some(t) => t.count += n,
            None => tallies.push(Tally {
                dimension,
                value: value.clone(),
                count: n,
            }),
        }
    }
    let sum = |d: &str| -> i32 {
        tallies
            .iter()
            .filter(|t| t.dimension == d)
            .map(|t| t.count)
            .sum()
    };
    if let Some(people_met) = people_met {
        let mut sum_check = |dimension: &str, wrong: bool, key: &'static str| {
            let field = tally_field(dimension);
            if wrong && !problems.has(field) {
                problems.push(field, key);
            }
        };
        sum_check(
            "gender",
            sum("gender") != people_met,
            "outreach-error-tally-gender",
        );
        sum_check(
            "age_band",
            sum("age_band") != people_met,
            "outreach-error-tally-age",
        );
        sum_check(
            "status",
            sum("status") != people_met,
            "outreach-error-tally-status",
        );
        sum_check(
            "nationality",
            sum("nationality") > people_met,
            "outreach-error-tally-nationality",
        );
        sum_check(
            "topic",
            tallies
                .iter()
                .any(|t| t.dimension == "topic" && t.count > people_met),
            "outreach-error-tally-topic",
        );
    }
    let mut codes: Vec<String> = Vec::new();
    for raw in &input.codes {
        if raw.trim().is_empty() {
            continue;
        }
        match contact_code(raw) {
            Ok(code) if !codes.contains(&code) => codes.push(code),
            Ok(_) => {}
            Err(k) => problems.push("codes", k),
        }
    }
    if let Some(people_met) = people_met
        && !problems.has("codes")
        && i32::try_from(codes.len()).unwrap_or(i32::MAX) > people_met
    {
        problems.push("codes", "outreach-error-codes");
    }
    let (Some(started), Some(ended), Some(people_met)) = (input.started, input.ended, people_met)
    else {
        return None;
    };
    if !problems.is_empty() {
        return None;
    }
    Some(CheckedOuting {
        started,
        ended,
        people_met,
        tallies,
        codes,
    })
}

/// An idempotency key sent by a device or a form: 8–64 letters, digits, `-` or `_`.
pub fn idempotency_key(raw: &str) -> Result<String, &'static str> {
    let k = raw.trim();
    if (8..=64).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(k.to_owned())
    } else {
        Err("outreach-error-key")
    }
}

/// Splits free codes typed one per line or separated by commas.
pub fn split_codes(raw: &str) -> Vec<String> {
    raw.split([',', '\n', ';'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Checks what every accompaniment says, whoever records it (a unit, a desk, the hotline, a
/// case worker): the day (not in the future, not before 1900), the service, the outcome and
/// the key that keeps a resend from saving it twice. The first wrong field, with its message
/// key.
pub fn check_accompaniment(
    happened_on: chrono::NaiveDate,
    service_kind: &str,
    outcome: &str,
    key: &str,
    today: chrono::NaiveDate,
) -> Result<(), (&'static str, &'static str)> {
    if happened_on > today {
        return Err(("outreach-error-future", "happened_on"));
    }
    if !crate::platform::time::date_in_range(happened_on, false, today) {
        return Err(("error-date-happened-on", "happened_on"));
    }
    if !SERVICE_KINDS.contains(&service_kind) {
        return Err(("error-400", "service_kind"));
    }
    if !ACCOMPANIMENT_OUTCOMES.contains(&outcome) {
        return Err(("error-400", "outcome"));
    }
    idempotency_key(key).map_err(|k| (k, "idempotency_key"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).single()
    }

    fn outing(people: &str, tallies: &[(&'static str, &str, &str)], codes: &[&str]) -> OutingInput {
        OutingInput {
            started: at(21),
            ended: at(23),
            people_met: people.into(),
            tallies: tallies
                .iter()
                .map(|(d, v, n)| (*d, (*v).to_owned(), (*n).to_owned()))
                .collect(),
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    const FIVE: &[(&str, &str, &str)] = &[
        ("gender", "female", "4"),
        ("gender", "transgender", "1"),
        ("age_band", "18_24", "3"),
        ("age_band", "unknown", "2"),
        ("status", "new", "2"),
        ("status", "known", "3"),
        ("nationality", "NG", "3"),
        ("material", "condoms", "40"),
        ("topic", "sti", "2"),
    ];

    #[test]
    fn every_problem_of_an_outing_is_named_once_in_form_order() {
        let mut input = outing(
            "5",
            &[
                ("gender", "female", "3"),
                ("age_band", "18_24", "tanti"),
                ("age_band", "unknown", "-1"),
                ("status", "new", "5"),
            ],
            &["ok-1", "no good"],
        );
        input.ended = at(20);
        let mut problems = Problems::default();
        assert!(outing_problems(&input, &mut problems).is_none());
        assert_eq!(
            problems.in_form_order(),
            vec![
                ("ended_at", "outreach-error-end-before-start"),
                ("by-gender", "outreach-error-tally-gender"),
                ("by-age", "outreach-error-count"),
                ("codes", "outreach-error-code"),
            ]
        );
        // The API's answer is the first of them.
        assert_eq!(check_outing(&input), Err("outreach-error-end-before-start"));
    }

    #[test]
    fn a_consistent_outing_is_accepted_with_its_non_zero_tallies() {
        let ok = check_outing(&outing("5", FIVE, &["ab-1", " AB-1 ", "cd-2"])).unwrap();
        assert_eq!(ok.people_met, 5);
        assert_eq!(ok.codes, vec!["AB-1", "CD-2"]);
        assert_eq!(ok.tallies.len(), FIVE.len());
        assert!(
            ok.tallies
                .iter()
                .any(|t| t.dimension == "material" && t.count == 40)
        );
    }

    #[test]
    fn tallies_that_do_not_add_up_are_refused_naming_the_breakdown() {
        let mut t = FIVE.to_vec();
        t[0] = ("gender", "female", "3");
        assert_eq!(
            check_outing(&outing("5", &t, &[])),
            Err("outreach-error-tally-gender")
        );
        let mut t = FIVE.to_vec();
        t[3] = ("age_band", "unknown", "1");
        assert_eq!(
            check_outing(&outing("5", &t, &[])),
            Err("outreach-error-tally-age")
        );
        let mut t = FIVE.to_vec();
        t[4] = ("status", "new", "9");
        assert_eq!(
            check_outing(&outing("5", &t, &[])),
            Err("outreach-error-tally-status")
        );
        let mut t = FIVE.to_vec();
        t[6] = ("nationality", "NG", "6");
        assert_eq!(
            check_outing(&outing("5", &t, &[])),
            Err("outreach-error-tally-nationality")
        );
        assert_eq!(
            check_outing(&outing(
                "1",
                &[
                    ("gender", "female", "1"),
                    ("age_band", "minor", "1"),
                    ("status", "new", "1")
                ],
                &["a", "b"]
            )),
            Err("outreach-error-codes")
        );
    }

    #[test]
    fn times_counts_codes_and_values_are_checked() {
        let mut o = outing("5", FIVE, &[]);
        o.ended = at(20);
        assert_eq!(check_outing(&o), Err("outreach-error-end-before-start"));
        o.ended = at(21);
        assert_eq!(check_outing(&o), Err("outreach-error-end-before-start"));
        o.started = Utc.with_ymd_and_hms(2026, 11, 18, 20, 0, 0).single();
        o.ended = at(23);
        assert_eq!(check_outing(&o), Err("outreach-error-too-long"));
        assert_eq!(count("-1"), Err("outreach-error-count"));
        assert_eq!(count("tre"), Err("outreach-error-count"));
        assert_eq!(count("5001"), Err("outreach-error-count"));
        assert_eq!(count(" "), Ok(0));
        assert_eq!(contact_code("a b"), Err("outreach-error-code"));
        assert_eq!(contact_code(&"x".repeat(41)), Err("outreach-error-code"));
        assert_eq!(
            check_outing(&outing("0", &[("gender", "robot", "1")], &[])),
            Err("error-400")
        );
        assert_eq!(
            check_outing(&outing("0", &[("nationality", "Nigeria", "1")], &[])),
            Err("case-error-iso")
        );
        assert_eq!(idempotency_key("short"), Err("outreach-error-key"));
        assert!(idempotency_key("0f8c2a9e-1b2c-4d5e-8f90-1a2b3c4d5e6f").is_ok());
        assert_eq!(split_codes("A1, b2\nc3;;"), vec!["A1", "b2", "c3"]);
    }
}
