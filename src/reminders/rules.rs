//! The deadline engine's rules: plain functions from a record's dates and state to whether it
//! is due on someone's desk, when, and how late (Italian days; see docs/REMINDERS.md).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use crate::platform::config::Reminders;
use crate::platform::time::rome_date;

/// What is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// An emergency still open and not handed over to a service 24 hours after it started.
    EmergencyNotHandedOver,
    /// A permit past its expiry and not renewed.
    PermitExpired,
    /// A permit expiring within the urgent threshold.
    PermitExpiringSoon,
    /// A permit expiring within the first threshold.
    PermitExpiring,
    /// A consent expiring.
    ConsentExpiring,
    /// A referral proposed to the organisation and not decided in time.
    ReferralUndecided,
    /// A project waiting for the lead entity's decision for too long.
    ProjectWaiting,
    /// A mediator request nobody has taken, needed soon (or already past).
    MediatorUnassigned,
    /// A caller promised a call back, not yet called back.
    CallBackWaiting,
    /// A public report not yet triaged.
    ReportUntriaged,
    /// An open case without activity for too long.
    CaseInactive,
}

impl Kind {
    /// The code of its label (`reminder-<code>` in the locales).
    pub fn code(self) -> &'static str {
        match self {
            Kind::EmergencyNotHandedOver => "emergency-not-handed-over",
            Kind::MediatorUnassigned => "mediator-unassigned",
            Kind::CallBackWaiting => "call-back-waiting",
            Kind::PermitExpired => "permit-expired",
            Kind::PermitExpiringSoon => "permit-expiring-soon",
            Kind::PermitExpiring => "permit-expiring",
            Kind::ConsentExpiring => "consent-expiring",
            Kind::ReferralUndecided => "referral-undecided",
            Kind::ProjectWaiting => "project-waiting",
            Kind::ReportUntriaged => "report-untriaged",
            Kind::CaseInactive => "case-inactive",
        }
    }
}

/// A due item's timing: the day it falls due and whether that day has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub kind: Kind,
    /// The day that matters (a permit's expiry; the day a wait became too long).
    pub on: NaiveDate,
    /// Whole days past `on` (0 or less: not yet late).
    pub late_days: i64,
}

fn due(kind: Kind, on: NaiveDate, today: NaiveDate) -> Due {
    Due {
        kind,
        on,
        late_days: (today - on).num_days(),
    }
}

/// A permit that is in force (issued or renewed) and expires on `expires_on`: expired when the
/// day has passed, expiring soon within the urgent threshold, expiring within the first one.
pub fn permit(
    status: &str,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
    t: &Reminders,
) -> Option<Due> {
    let expires = expires_on?;
    if !matches!(status, "issued" | "renewed") {
        return None;
    }
    let left = (expires - today).num_days();
    let kind = if left < 0 {
        Kind::PermitExpired
    } else if left <= t.permit_urgent_days {
        Kind::PermitExpiringSoon
    } else if left <= t.permit_days {
        Kind::PermitExpiring
    } else {
        return None;
    };
    Some(due(kind, expires, today))
}

/// A consent not withdrawn that expires within the threshold (an expired one no longer
/// counts as given: it is not a reminder but a fact the case page shows).
pub fn consent(
    expires_on: Option<NaiveDate>,
    withdrawn: bool,
    today: NaiveDate,
    t: &Reminders,
) -> Option<Due> {
    let expires = expires_on?;
    let left = (expires - today).num_days();
    (!withdrawn && (0..=t.consent_days).contains(&left))
        .then(|| due(Kind::ConsentExpiring, expires, today))
}

/// The working day (Monday to Friday) `n` working days after `from`.
pub fn add_working_days(from: NaiveDate, n: i64) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// A referral proposed on `proposed_on` and still waiting: due once the working days to
/// decide have passed.
pub fn referral(
    status: &str,
    proposed_on: NaiveDate,
    today: NaiveDate,
    t: &Reminders,
) -> Option<Due> {
    let limit = add_working_days(proposed_on, t.referral_working_days);
    (status == "proposed" && today > limit).then(|| due(Kind::ReferralUndecided, limit, today))
}

/// A project submitted on `submitted_on` and still waiting for the lead entity's decision.
pub fn project(
    status: &str,
    submitted_on: NaiveDate,
    today: NaiveDate,
    t: &Reminders,
) -> Option<Due> {
    let limit = submitted_on + Duration::days(t.project_days);
    (status == "submitted" && today > limit).then(|| due(Kind::ProjectWaiting, limit, today))
}

/// A public report not yet triaged: always on the hotline's desk (it runs day and night),
/// late from the day after it arrived. Only the day of arrival is kept, on purpose.
pub fn report(status: &str, received_on: NaiveDate, today: NaiveDate) -> Option<Due> {
    (status == "new").then(|| due(Kind::ReportUntriaged, received_on, today))
}

/// An open case whose last activity was on `last_activity_on`.
pub fn inactive(
    closed: bool,
    last_activity_on: NaiveDate,
    today: NaiveDate,
    t: &Reminders,
) -> Option<Due> {
    let limit = last_activity_on + Duration::days(t.inactive_days);
    (!closed && today >= limit).then(|| due(Kind::CaseInactive, limit, today))
}

/// How long an emergency may stay open without being handed over to a service.
pub const EMERGENCY_HOURS: i64 = 24;

/// An emergency activation (`started_at`) still open and not handed over to a service: due
/// once [`EMERGENCY_HOURS`] have passed (`now`), on the Italian day they ran out.
pub fn emergency(
    started_at: DateTime<Utc>,
    handed_over: bool,
    closed: bool,
    now: DateTime<Utc>,
) -> Option<Due> {
    if handed_over || closed {
        return None;
    }
    let limit = started_at + Duration::hours(EMERGENCY_HOURS);
    (now >= limit).then(|| {
        due(
            Kind::EmergencyNotHandedOver,
            rome_date(limit),
            rome_date(now),
        )
    })
}

/// A mediator request still waiting for someone to take it (`requested`, no mediator's
/// account): due from `mediator_hours` before the time it is needed, on the Italian day it is
/// needed.
pub fn mediator(
    status: &str,
    assigned: bool,
    needed_at: DateTime<Utc>,
    now: DateTime<Utc>,
    t: &Reminders,
) -> Option<Due> {
    if status != "requested" || assigned {
        return None;
    }
    (needed_at - Duration::hours(t.mediator_hours) <= now).then(|| {
        due(
            Kind::MediatorUnassigned,
            rome_date(needed_at),
            rome_date(now),
        )
    })
}

/// A caller promised a call back during a contact that started at `started_at`, still waiting
/// (the outcome not cleared): due `call_back_hours` after the call, on that Italian day.
pub fn call_back(started_at: DateTime<Utc>, now: DateTime<Utc>, t: &Reminders) -> Option<Due> {
    let limit = started_at + Duration::hours(t.call_back_hours);
    (now >= limit).then(|| due(Kind::CallBackWaiting, rome_date(limit), rome_date(now)))
}

/// How far ahead an item may be snoozed: beyond that it is no longer a reminder put off but a
/// deadline ignored.
pub const SNOOZE_MAX_DAYS: i64 = 90;

/// The longest reason kept for a snooze.
pub const REASON_MAX: usize = 500;

/// What a person does with a due item on their desk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Dealt with: it leaves every desk of the organisation.
    Done,
    /// Off the desks until `until` (an Italian day), for a reason.
    Snooze { until: NaiveDate, reason: String },
    /// To a colleague of the same organisation: it leaves the others' desks.
    HandOver { to: i32 },
}

impl Step {
    /// The stored state (`reminder_mark.state`) and audit action suffix.
    pub fn code(&self) -> &'static str {
        match self {
            Step::Done => "done",
            Step::Snooze { .. } => "snoozed",
            Step::HandOver { .. } => "handed_over",
        }
    }
}

/// Checks a snooze: a reason, and a day after today no further than [`SNOOZE_MAX_DAYS`]; every
/// problem as (field, message key).
pub fn snooze_problems(
    until: Option<NaiveDate>,
    reason: &str,
    today: NaiveDate,
) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    match until {
        None => out.push(("until", "reminder-error-until")),
        Some(u) if u <= today || u > today + Duration::days(SNOOZE_MAX_DAYS) => {
            out.push(("until", "reminder-error-until"))
        }
        Some(_) => {}
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > REASON_MAX {
        out.push(("reason", "reminder-error-reason"));
    }
    out
}

/// How a mark left on an item shows for someone: hidden (done, snoozed until a later day,
/// handed over to someone else) or on their desk.
pub fn shows_for(
    state: &str,
    until: Option<NaiveDate>,
    assignee: Option<i32>,
    user_id: i32,
    today: NaiveDate,
) -> bool {
    match state {
        "done" => false,
        "snoozed" => until.is_none_or(|u| u <= today),
        "handed_over" => assignee == Some(user_id),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_permit_is_due_at_each_threshold_and_once_expired() {
        let t = Reminders::default();
        let today = d("2026-12-03");
        let at = |days: i64| {
            permit("issued", Some(today + Duration::days(days)), today, &t).map(|x| x.kind)
        };
        assert_eq!(at(61), None);
        assert_eq!(at(60), Some(Kind::PermitExpiring));
        assert_eq!(at(31), Some(Kind::PermitExpiring));
        assert_eq!(at(30), Some(Kind::PermitExpiringSoon));
        assert_eq!(at(0), Some(Kind::PermitExpiringSoon));
        assert_eq!(at(-1), Some(Kind::PermitExpired));
        let late = permit("renewed", Some(d("2026-11-20")), today, &t).unwrap();
        assert_eq!(late.late_days, 13);
        // Applied for, refused or recorded as expired: nothing to remind.
        for status in ["applied", "refused", "expired"] {
            assert_eq!(permit(status, Some(today), today, &t), None);
        }
        assert_eq!(permit("issued", None, today, &t), None);
    }

    #[test]
    fn a_consent_is_due_within_its_threshold_unless_withdrawn() {
        let t = Reminders::default();
        let today = d("2026-12-03");
        assert!(consent(Some(d("2027-01-02")), false, today, &t).is_some());
        assert!(consent(Some(d("2027-01-03")), false, today, &t).is_none());
        assert!(consent(Some(d("2027-01-02")), true, today, &t).is_none());
        assert!(consent(Some(d("2026-12-02")), false, today, &t).is_none());
    }

    #[test]
    fn a_referral_waits_five_working_days_weekends_not_counted() {
        let t = Reminders::default();
        // Proposed on Friday 27 November: five working days end on Friday 4 December.
        let friday = d("2026-11-27");
        assert_eq!(add_working_days(friday, 5), d("2026-12-04"));
        assert_eq!(referral("proposed", friday, d("2026-12-04"), &t), None);
        let late = referral("proposed", friday, d("2026-12-07"), &t).unwrap();
        assert_eq!((late.on, late.late_days), (d("2026-12-04"), 3));
        assert_eq!(referral("accepted", friday, d("2026-12-07"), &t), None);
    }

    #[test]
    fn projects_reports_and_inactive_cases_fall_due_at_their_threshold() {
        let t = Reminders::default();
        let today = d("2026-12-03");
        assert!(project("submitted", d("2026-11-13"), today, &t).is_none());
        assert!(project("submitted", d("2026-11-12"), today, &t).is_some());
        assert!(project("approved", d("2026-01-01"), today, &t).is_none());
        let r = report("new", today, today).unwrap();
        assert_eq!(r.late_days, 0, "today's report is due, not yet late");
        assert_eq!(report("new", d("2026-12-02"), today).unwrap().late_days, 1);
        assert!(report("contact", d("2026-12-02"), today).is_none());
        assert!(inactive(false, d("2026-10-04"), today, &t).is_some());
        assert!(inactive(false, d("2026-10-05"), today, &t).is_none());
        assert!(inactive(true, d("2026-01-01"), today, &t).is_none());
    }

    #[test]
    fn a_snooze_needs_a_reason_and_a_day_within_ninety() {
        let today = d("2026-12-04");
        assert!(snooze_problems(Some(d("2026-12-05")), "attendo la questura", today).is_empty());
        assert!(snooze_problems(Some(d("2027-03-04")), "x", today).is_empty());
        assert_eq!(
            snooze_problems(Some(d("2027-03-05")), "x", today),
            vec![("until", "reminder-error-until")]
        );
        assert_eq!(
            snooze_problems(Some(today), "x", today),
            vec![("until", "reminder-error-until")]
        );
        assert_eq!(
            snooze_problems(None, "  ", today),
            vec![
                ("until", "reminder-error-until"),
                ("reason", "reminder-error-reason")
            ]
        );
        assert_eq!(
            snooze_problems(Some(d("2026-12-10")), &"a".repeat(REASON_MAX + 1), today),
            vec![("reason", "reminder-error-reason")]
        );
    }

    #[test]
    fn marks_hide_an_item_until_it_is_due_again_or_for_whom_it_is() {
        let today = d("2026-12-04");
        assert!(!shows_for("done", None, None, 1, today));
        assert!(!shows_for("snoozed", Some(d("2026-12-05")), None, 1, today));
        assert!(shows_for("snoozed", Some(today), None, 1, today));
        assert!(shows_for("handed_over", None, Some(1), 1, today));
        assert!(!shows_for("handed_over", None, Some(2), 1, today));
        assert_eq!(Step::HandOver { to: 2 }.code(), "handed_over");
    }

    #[test]
    fn an_emergency_is_due_once_a_day_has_passed_without_a_hand_over() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Started at 23:30 in Rome on 3 December (22:30 UTC).
        let started = at("2026-12-03T22:30:00Z");
        assert_eq!(
            emergency(started, false, false, at("2026-12-04T22:29:59Z")),
            None
        );
        let d = emergency(started, false, false, at("2026-12-04T22:30:00Z")).unwrap();
        assert_eq!(d.kind, Kind::EmergencyNotHandedOver);
        assert_eq!(
            d.on,
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            "Italian day"
        );
        assert_eq!(d.late_days, 0);
        let d = emergency(started, false, false, at("2026-12-06T10:00:00Z")).unwrap();
        assert_eq!(d.late_days, 2);
        assert_eq!(
            emergency(started, true, false, at("2026-12-06T10:00:00Z")),
            None
        );
        assert_eq!(
            emergency(started, false, true, at("2026-12-06T10:00:00Z")),
            None
        );
    }

    #[test]
    fn a_mediator_request_is_due_from_its_threshold_until_someone_takes_it() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let t = Reminders::default();
        let needed = at("2026-12-05T09:00:00Z");
        assert_eq!(
            mediator("requested", false, needed, at("2026-12-04T08:59:59Z"), &t),
            None
        );
        let d = mediator("requested", false, needed, at("2026-12-04T09:00:00Z"), &t).unwrap();
        assert_eq!(d.kind, Kind::MediatorUnassigned);
        assert_eq!(d.on, NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
        assert!(d.late_days < 0, "not late yet");
        let d = mediator("requested", false, needed, at("2026-12-06T09:00:00Z"), &t).unwrap();
        assert_eq!(d.late_days, 1);
        assert_eq!(
            mediator("requested", true, needed, at("2026-12-05T09:00:00Z"), &t),
            None
        );
        assert_eq!(
            mediator("assigned", false, needed, at("2026-12-05T09:00:00Z"), &t),
            None
        );
        assert_eq!(
            mediator("cancelled", false, needed, at("2026-12-05T09:00:00Z"), &t),
            None
        );
    }

    #[test]
    fn a_promised_call_back_is_due_once_its_hours_have_passed() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let t = Reminders::default();
        // A call at 23:50 in Rome on 3 December (22:50 UTC, winter time).
        let call = at("2026-12-03T22:50:00Z");
        assert_eq!(call_back(call, at("2026-12-04T22:49:59Z"), &t), None);
        let d = call_back(call, at("2026-12-04T22:50:00Z"), &t).unwrap();
        assert_eq!(d.kind, Kind::CallBackWaiting);
        assert_eq!(d.on, NaiveDate::from_ymd_opt(2026, 12, 4).unwrap());
        assert_eq!(
            call_back(call, at("2026-12-07T12:00:00Z"), &t)
                .unwrap()
                .late_days,
            3
        );
    }
}
