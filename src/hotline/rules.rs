//! The hotline's vocabulary and rules, as plain functions.

use chrono::{DateTime, Utc};

pub const CHANNELS: &[&str] = &[
    "phone",
    "national_transfer",
    "email",
    "public_report",
    "in_person",
];

pub const CALLER_KINDS: &[&str] = &[
    "presumed_victim",
    "citizen",
    "client_friend_colleague",
    "law_enforcement",
    "social_health_service",
    "anti_trafficking_project",
    "other_organisation",
    "protection_system",
    // The caller would not or could not say who they are: recorded as such, never guessed.
    "not_said",
];

pub const RELEVANCE: &[&str] = &["pertinent", "not_pertinent", "nuisance"];

/// What the operator says a contact is: a new situation (a new case, even from a known
/// caller), a follow-up of the caller's latest earlier contact, a follow-up of a named earlier
/// contact, or left unsaid (a known caller's contact follows up their latest earlier one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Situation {
    Unsaid,
    New,
    FollowUp,
    FollowUpOf(i32),
}

impl Situation {
    /// The situation from the form's or the API's code and the earlier contact named, if any:
    /// naming one is a follow-up of it (with `follow_up` or nothing said), never a new
    /// situation.
    pub fn read(code: &str, follows: Option<i32>) -> Option<Situation> {
        match (Situation::from_code(code)?, follows) {
            (s, None) => Some(s),
            (Situation::New, Some(_)) => None,
            (_, Some(id)) => Some(Situation::FollowUpOf(id)),
        }
    }

    /// The form's or the API's code (`""`, `new`, `follow_up`).
    pub fn from_code(code: &str) -> Option<Situation> {
        match code {
            "" => Some(Situation::Unsaid),
            "new" => Some(Situation::New),
            "follow_up" => Some(Situation::FollowUp),
            _ => None,
        }
    }
}

pub const REASONS: &[&str] = &[
    "help_to_leave",
    "information",
    "report_of_exploitation",
    "service_consultancy",
    "transfer_request",
    "other",
];

pub const OUTCOMES: &[&str] = &[
    "listening",
    "consultancy",
    "sent_to_service",
    "emergency_activation",
    "mediator_request",
    "identification_interview",
    "transfer_opened",
    "call_back",
];

/// Mediator requests: requested → assigned → done, or cancelled before done.
pub const MEDIATOR_STATUSES: &[&str] = &["requested", "assigned", "done", "cancelled"];

pub fn mediator_transition(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("requested", "assigned") | ("assigned", "done") | ("requested" | "assigned", "cancelled")
    )
}

/// Who asks the hotline for an identification interview.
pub const INTERVIEW_REQUESTERS: &[&str] = &["commission_fi", "commission_li", "cas", "other"];

/// Indicators of trafficking looked for in an identification interview.
pub const INDICATORS: &[&str] = &[
    "deception",
    "debt",
    "document_withholding",
    "restricted_movement",
    "violence_or_threats",
    "exploitative_work",
    "isolation",
    "fear_of_authorities",
];

/// A phone number reduced to what identifies it: digits only, without the Italian country
/// code, so that "+39 351 765 4321" and "3517654321" are the same caller.
pub fn phone_key(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = digits.strip_prefix("0039") {
        rest.to_owned()
    } else if raw.trim_start().starts_with('+') || digits.len() > 10 {
        digits
            .strip_prefix("39")
            .map_or(digits.clone(), str::to_owned)
    } else {
        digits
    }
}

/// A contact's times: the end cannot come before the start, and a call lasts 0 to 600 minutes.
pub fn duration(
    started: DateTime<Utc>,
    ended: Option<DateTime<Utc>>,
    minutes: Option<i64>,
) -> Result<i32, &'static str> {
    let m = match (ended, minutes) {
        (Some(e), _) if e < started => return Err("hotline-error-end-before-start"),
        (Some(e), _) => (e - started).num_minutes(),
        (None, Some(m)) => m,
        (None, None) => 0,
    };
    if m < 0 {
        return Err("hotline-error-negative-duration");
    }
    if m > 600 {
        return Err("hotline-error-duration");
    }
    i32::try_from(m).map_err(|_| "hotline-error-duration")
}

#[cfg(test)]
mod tests {

    #[test]
    fn naming_an_earlier_contact_is_a_follow_up_of_it_never_a_new_situation() {
        assert_eq!(Situation::read("", None), Some(Situation::Unsaid));
        assert_eq!(Situation::read("", Some(7)), Some(Situation::FollowUpOf(7)));
        assert_eq!(
            Situation::read("follow_up", Some(7)),
            Some(Situation::FollowUpOf(7))
        );
        assert_eq!(Situation::read("new", Some(7)), None);
        assert_eq!(Situation::read("maybe", None), None);
    }

    use super::*;
    use chrono::Duration;

    #[test]
    fn mediator_requests_follow_their_states() {
        assert!(mediator_transition("requested", "assigned"));
        assert!(mediator_transition("assigned", "done"));
        assert!(mediator_transition("requested", "cancelled"));
        assert!(!mediator_transition("requested", "done"));
        assert!(!mediator_transition("done", "cancelled"));
        assert!(!mediator_transition("cancelled", "assigned"));
    }

    #[test]
    fn phone_numbers_match_with_or_without_country_code() {
        assert_eq!(phone_key("+39 351 765 4321"), "3517654321");
        assert_eq!(phone_key("0039 351 7654321"), "3517654321");
        assert_eq!(phone_key("351-765-4321"), "3517654321");
        assert_eq!(phone_key("055 536 56 12"), "0555365612");
        assert_eq!(phone_key(""), "");
    }

    #[test]
    fn durations_are_sane() {
        let t = Utc::now();
        assert_eq!(duration(t, Some(t + Duration::minutes(12)), None), Ok(12));
        assert_eq!(
            duration(t, Some(t - Duration::minutes(1)), None),
            Err("hotline-error-end-before-start")
        );
        assert_eq!(
            duration(t, None, Some(-3)),
            Err("hotline-error-negative-duration")
        );
        assert_eq!(duration(t, None, Some(7)), Ok(7));
        assert_eq!(duration(t, None, None), Ok(0));
        assert_eq!(
            duration(t, None, Some(10_000)),
            Err("hotline-error-duration")
        );
    }

    #[test]
    fn a_situation_is_read_from_its_code_only() {
        assert_eq!(Situation::from_code(""), Some(Situation::Unsaid));
        assert_eq!(Situation::from_code("new"), Some(Situation::New));
        assert_eq!(Situation::from_code("follow_up"), Some(Situation::FollowUp));
        assert_eq!(Situation::from_code("followup"), None);
    }
}
