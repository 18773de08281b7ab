//! The rules of taking in charge, as plain functions: the phase state machine, vocabularies
//! (HTCDS-aligned, extended with forced criminality), and validation of dates and counts.

use chrono::{Datelike, NaiveDate};

/// The phases of the national referral mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Emersion,
    Identification,
    FirstAssistance,
    Protection,
    Inclusion,
    Closed,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Emersion,
        Phase::Identification,
        Phase::FirstAssistance,
        Phase::Protection,
        Phase::Inclusion,
        Phase::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Phase::Emersion => "emersion",
            Phase::Identification => "identification",
            Phase::FirstAssistance => "first_assistance",
            Phase::Protection => "protection",
            Phase::Inclusion => "inclusion",
            Phase::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The phase that normally follows (none after inclusion: the next step is closing).
    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Emersion => Some(Phase::Identification),
            Phase::Identification => Some(Phase::FirstAssistance),
            Phase::FirstAssistance => Some(Phase::Protection),
            Phase::Protection => Some(Phase::Inclusion),
            Phase::Inclusion | Phase::Closed => None,
        }
    }
}

pub const CLOSURE_REASONS: &[&str] = &[
    "autonomy",
    "transfer",
    "withdrawal",
    "repatriation",
    "lost_contact",
    "other",
];

/// Why a phase change is refused (Fluent keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// Not the next phase, a step back, or out of a closed case.
    NotAllowed,
    /// Closing needs one of [`CLOSURE_REASONS`].
    ReasonNeeded,
    /// A reason was given for a change that is not a closure.
    ReasonNotExpected,
}

impl TransitionError {
    pub fn message_key(self) -> &'static str {
        match self {
            TransitionError::NotAllowed => "case-error-transition",
            TransitionError::ReasonNeeded => "case-error-closure-reason",
            TransitionError::ReasonNotExpected => "case-error-transition",
        }
    }
}

/// The state machine. A case moves one phase forward at a time, or closes from any open phase
/// with a reason. It never goes back, and a closed case stays closed (follow-up is recorded
/// after closure, not as a phase).
pub fn transition(from: Phase, to: Phase, reason: Option<&str>) -> Result<(), TransitionError> {
    match (from, to) {
        (Phase::Closed, _) => Err(TransitionError::NotAllowed),
        (_, Phase::Closed) => match reason {
            Some(r) if CLOSURE_REASONS.contains(&r) => Ok(()),
            _ => Err(TransitionError::ReasonNeeded),
        },
        _ if from.next() == Some(to) => match reason {
            None => Ok(()),
            Some(_) => Err(TransitionError::ReasonNotExpected),
        },
        _ => Err(TransitionError::NotAllowed),
    }
}

/// The day a phase change took effect, as the worker enters it: history may be entered after
/// the fact, but not before the case's first day (`opened`), not before the previous change
/// took effect, not in the future (Italian days). Returns the message key of the problem.
pub fn effective_date(
    on: NaiveDate,
    opened: Option<NaiveDate>,
    previous: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), &'static str> {
    if on > today {
        Err("case-error-effective-future")
    } else if opened.is_some_and(|o| on < o) {
        Err("case-error-effective-before-opening")
    } else if previous.is_some_and(|p| on < p) {
        Err("case-error-effective-before-previous")
    } else if !crate::platform::time::date_in_range(on, false, today) {
        Err("error-date-effective-on")
    } else {
        Ok(())
    }
}

pub const TRAFFICKING_STATUSES: &[&str] = &["possible", "presumed", "identified"];

/// Forms of exploitation (HTCDS types, with forced criminality as its own form).
pub const EXPLOITATION_FORMS: &[&str] = &[
    "sexual",
    "labour",
    "begging",
    "forced_criminality",
    "forced_marriage",
    "other",
];

/// Labour sectors (CTDC `typeOfLabour*`).
pub const LABOUR_SECTORS: &[&str] = &[
    "agriculture",
    "aquafarming",
    "construction",
    "domestic_work",
    "hospitality",
    "manufacturing",
    "mining",
    "peddling",
    "transportation",
    "illicit_activities",
    "other",
];

/// Means of control (CTDC `meansOfControl*`, HTCDS `MethodsOfControl`).
pub const MEANS_OF_CONTROL: &[&str] = &[
    "debt_bondage",
    "takes_earnings",
    "restricts_financial_access",
    "threats",
    "psychological_abuse",
    "physical_abuse",
    "sexual_abuse",
    "false_promises",
    "psychoactive_substances",
    "restricts_movement",
    "restricts_medical_care",
    "excessive_working_hours",
    "uses_children",
    "threat_of_law_enforcement",
    "withholds_necessities",
    "withholds_documents",
    "other",
];

/// Recruitment (HTCDS `MethodOfRecruitment`, CTDC recruiter relationship).
pub const RECRUITMENT: &[&str] = &[
    "abduction",
    "intimate_partner",
    "friend",
    "family",
    "job_offer",
    "online",
    "other",
    "unknown",
];

pub const GENDERS: &[&str] = &["female", "male", "transgender", "other", "unknown"];

pub const CONSENT_PURPOSES: &[&str] = &["processing", "sharing", "transfer"];

/// Whether a consent of this purpose lets data leave the organisation (sharing, transfer):
/// recording one needs `Permission::Disclose`.
pub fn consent_discloses(purpose: &str) -> bool {
    matches!(purpose, "sharing" | "transfer")
}

pub const PERMIT_KINDS: &[&str] = &[
    "art18_social",
    "art18_judicial",
    "art18ter",
    "international_protection",
    "other",
];

pub const PERMIT_STATUSES: &[&str] = &["applied", "issued", "refused", "renewed", "expired"];

pub const EVENT_KINDS: &[&str] = &[
    "assessment_request",
    "assessment_motivation",
    "assessment_requirements",
    "accompaniment",
    "legal_consultation",
    "follow_up",
];

/// A birth year: not in the future and not before 1900.
pub fn birth_year(raw: &str, today: NaiveDate) -> Result<Option<i32>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let year: i32 = raw.parse().map_err(|_| "case-error-birth-year")?;
    if year > today.year() {
        return Err("case-error-birth-year-future");
    }
    if year < 1900 {
        return Err("case-error-birth-year");
    }
    Ok(Some(year))
}

/// A permit cannot expire before it was issued.
pub fn permit_dates(
    issued: Option<NaiveDate>,
    expires: Option<NaiveDate>,
) -> Result<(), &'static str> {
    match (issued, expires) {
        (Some(i), Some(e)) if e < i => Err("case-error-permit-dates"),
        _ => Ok(()),
    }
}

/// The decisions a recorded permit can still take, from its status: an application is
/// granted or refused; a permit in force (or lapsed) is renewed, lapses or has its renewal
/// refused. A refused permit takes none: a new application is a new permit.
pub fn permit_decisions(status: &str) -> &'static [&'static str] {
    match status {
        "applied" => &["issued", "refused"],
        "issued" | "renewed" => &["renewed", "expired", "refused"],
        "expired" => &["renewed", "refused"],
        _ => &[],
    }
}

/// Checks a decision on a permit: allowed from its status, on a day not in the future nor
/// before the permit was applied for or issued, and, when it grants (issued, renewed), with
/// the new expiry after that day. The message key and field of the first thing wrong.
pub fn check_permit_decision(
    permit_status: &str,
    since: Option<NaiveDate>,
    to: &str,
    decided_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), (&'static str, &'static str)> {
    if !permit_decisions(permit_status).contains(&to) {
        return Err(("case-error-permit-decision", "status"));
    }
    if decided_on > today || since.is_some_and(|s| decided_on < s) {
        return Err(("case-error-permit-decided-on", "decided_on"));
    }
    let grants = matches!(to, "issued" | "renewed");
    match expires_on {
        None if grants => Err(("case-error-permit-expiry-needed", "expires_on")),
        Some(e) if grants && e <= decided_on => {
            Err(("case-error-permit-expiry-needed", "expires_on"))
        }
        Some(_) if !grants => Err(("case-error-permit-expiry-not-granted", "expires_on")),
        _ => Ok(()),
    }
}

/// Codes from a fixed list, as submitted (unknown ones refused).
pub fn codes(values: &[String], allowed: &[&str]) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    for v in values {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if !allowed.contains(&v) {
            return Err("error-400");
        }
        if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    Ok(out)
}

/// ISO 3166-1 alpha-2 country codes or ISO 639-1 language codes typed as a list ("NG, RO").
pub fn iso_codes(raw: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    for part in raw.split([',', ' ', ';']).filter(|p| !p.is_empty()) {
        let code = part.trim().to_uppercase();
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err("case-error-iso");
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_and_forbidden_transition() {
        for from in Phase::ALL {
            for to in Phase::ALL {
                let forward = from != Phase::Closed && from.next() == Some(to);
                let close = from != Phase::Closed && to == Phase::Closed;
                let without_reason = transition(from, to, None);
                let with_reason = transition(from, to, Some("autonomy"));
                if forward {
                    assert_eq!(without_reason, Ok(()), "{from:?} → {to:?}");
                    assert_eq!(with_reason, Err(TransitionError::ReasonNotExpected));
                } else if close {
                    assert_eq!(
                        without_reason,
                        Err(TransitionError::ReasonNeeded),
                        "{from:?} → closed"
                    );
                    assert_eq!(with_reason, Ok(()), "{from:?} → closed");
                    assert_eq!(
                        transition(from, to, Some("bored")),
                        Err(TransitionError::ReasonNeeded)
                    );
                } else {
                    assert_eq!(
                        without_reason,
                        Err(TransitionError::NotAllowed),
                        "{from:?} → {to:?}"
                    );
                    assert_eq!(
                        with_reason,
                        Err(TransitionError::NotAllowed),
                        "{from:?} → {to:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_happy_path_reaches_closure() {
        let mut p = Phase::Emersion;
        while let Some(n) = p.next() {
            assert!(transition(p, n, None).is_ok());
            p = n;
        }
        assert_eq!(p, Phase::Inclusion);
        assert!(transition(p, Phase::Closed, Some("autonomy")).is_ok());
        assert_eq!(
            Phase::from_code("first_assistance"),
            Some(Phase::FirstAssistance)
        );
        assert_eq!(Phase::from_code("nonsense"), None);
    }

    #[test]
    fn birth_years_and_permits_are_plausible() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(birth_year("2001", today), Ok(Some(2001)));
        assert_eq!(birth_year("", today), Ok(None));
        assert_eq!(
            birth_year("2027", today),
            Err("case-error-birth-year-future")
        );
        assert_eq!(birth_year("1850", today), Err("case-error-birth-year"));
        assert_eq!(birth_year("ventuno", today), Err("case-error-birth-year"));
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day);
        assert_eq!(
            permit_dates(d(5, 1), d(4, 1)),
            Err("case-error-permit-dates")
        );
        assert_eq!(permit_dates(d(5, 1), d(11, 1)), Ok(()));
        assert_eq!(permit_dates(None, d(4, 1)), Ok(()));
    }

    #[test]
    fn codes_come_from_the_lists() {
        assert_eq!(
            iso_codes("ng, ro"),
            Ok(vec!["NG".to_string(), "RO".to_string()])
        );
        assert_eq!(iso_codes("Nigeria"), Err("case-error-iso"));
        assert_eq!(
            codes(&["sexual".into(), "sexual".into()], EXPLOITATION_FORMS),
            Ok(vec!["sexual".to_string()])
        );
        assert_eq!(
            codes(&["slavery".into()], EXPLOITATION_FORMS),
            Err("error-400")
        );
    }

    #[test]
    fn a_phase_takes_effect_between_the_previous_change_and_today() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-02");
        let opened = Some(d("2025-03-10"));
        // Entered today, effective last year: the point of entering history.
        assert_eq!(
            effective_date(d("2025-06-01"), opened, Some(d("2025-04-01")), today),
            Ok(())
        );
        assert_eq!(effective_date(today, opened, opened, today), Ok(()));
        assert_eq!(
            effective_date(d("2026-12-03"), opened, None, today),
            Err("case-error-effective-future")
        );
        assert_eq!(
            effective_date(d("2025-03-09"), opened, None, today),
            Err("case-error-effective-before-opening")
        );
        assert_eq!(
            effective_date(d("2025-03-31"), opened, Some(d("2025-04-01")), today),
            Err("case-error-effective-before-previous")
        );
        // The same day as the previous change is fine (two steps on one day).
        assert_eq!(
            effective_date(d("2025-04-01"), opened, Some(d("2025-04-01")), today),
            Ok(())
        );
    }

    #[test]
    fn permit_decisions_follow_the_permit() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let today = d(2026, 12, 3);
        // An application is granted with an expiry after the day of the decision.
        assert_eq!(
            check_permit_decision(
                "applied",
                Some(d(2026, 1, 5)),
                "issued",
                d(2026, 6, 1),
                Some(d(2026, 12, 1)),
                today
            ),
            Ok(())
        );
        // Renewing needs the new expiry, later than the day it was renewed.
        assert_eq!(
            check_permit_decision("issued", None, "renewed", d(2026, 11, 30), None, today),
            Err(("case-error-permit-expiry-needed", "expires_on"))
        );
        assert_eq!(
            check_permit_decision(
                "issued",
                None,
                "renewed",
                d(2026, 11, 30),
                Some(d(2026, 11, 30)),
                today
            ),
            Err(("case-error-permit-expiry-needed", "expires_on"))
        );
        // A refusal grants nothing: no expiry.
        assert_eq!(
            check_permit_decision(
                "renewed",
                None,
                "refused",
                d(2026, 11, 30),
                Some(d(2027, 1, 1)),
                today
            ),
            Err(("case-error-permit-expiry-not-granted", "expires_on"))
        );
        assert_eq!(
            check_permit_decision("renewed", None, "refused", d(2026, 11, 30), None, today),
            Ok(())
        );
        // Nothing follows a refusal; an application is not "renewed".
        assert_eq!(
            check_permit_decision(
                "refused",
                None,
                "renewed",
                d(2026, 11, 30),
                Some(d(2027, 1, 1)),
                today
            ),
            Err(("case-error-permit-decision", "status"))
        );
        assert_eq!(
            check_permit_decision(
                "applied",
                None,
                "renewed",
                d(2026, 11, 30),
                Some(d(2027, 1, 1)),
                today
            ),
            Err(("case-error-permit-decision", "status"))
        );
        // Not tomorrow, nor before the permit existed.
        assert_eq!(
            check_permit_decision("issued", None, "expired", d(2026, 12, 4), None, today),
            Err(("case-error-permit-decided-on", "decided_on"))
        );
        assert_eq!(
            check_permit_decision(
                "issued",
                Some(d(2026, 5, 1)),
                "expired",
                d(2026, 4, 30),
                None,
                today
            ),
            Err(("case-error-permit-decided-on", "decided_on"))
        );
    }
}
