//! The referral state machine and the minimum data package, as plain functions.

use serde::{Deserialize, Serialize};

/// Where a referral is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Proposed,
    Accepted,
    Refused,
    Completed,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Proposed,
        Status::Accepted,
        Status::Refused,
        Status::Completed,
        Status::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Accepted => "accepted",
            Status::Refused => "refused",
            Status::Completed => "completed",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Which side of the referral acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Sender,
    Receiver,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionError {
    NotAllowed,
    ReasonNeeded,
}

impl TransitionError {
    pub fn message_key(self) -> &'static str {
        match self {
            TransitionError::NotAllowed => "referral-error-transition",
            TransitionError::ReasonNeeded => "referral-error-reason",
        }
    }
}

/// The state machine: the receiver accepts or refuses (with a reason) a proposal, the sender
/// may withdraw it while it is still proposed, and either side records an accepted referral as
/// completed. Nothing leaves refused, completed or withdrawn.
pub fn transition(
    from: Status,
    to: Status,
    party: Party,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    use Party::{Receiver, Sender};
    use Status::*;
    match (from, to, party) {
        (Proposed, Accepted, Receiver) | (Proposed, Withdrawn, Sender) => Ok(()),
        (Proposed, Refused, Receiver) => match reason.map(str::trim) {
            Some(r) if !r.is_empty() => Ok(()),
            _ => Err(TransitionError::ReasonNeeded),
        },
        (Accepted, Completed, _) => Ok(()),
        _ => Err(TransitionError::NotAllowed),
    }
}

/// The sides `org` may act for. A network organisation acts for itself; the organisation that
/// recorded a referral with an outside counterpart (national hotline, another region) also
/// records that counterpart's steps, since the counterpart does not use SATIS.
pub fn parties(sender: Option<i32>, receiver: Option<i32>, recorder: i32, org: i32) -> Vec<Party> {
    let mut out = Vec::new();
    if sender == Some(org) || (sender.is_none() && recorder == org) {
        out.push(Party::Sender);
    }
    if receiver == Some(org) || (receiver.is_none() && recorder == org) {
        out.push(Party::Receiver);
    }
    out
}

/// Whether `org` may see the shared data: the side that sent it (or typed it in) always, the
/// receiving side only once it has accepted.
pub fn may_see_package(
    sender: Option<i32>,
    recorder: i32,
    status: Status,
    parties: &[Party],
    org: i32,
) -> bool {
    sender == Some(org)
        || recorder == org
        || (parties.contains(&Party::Receiver)
            && matches!(status, Status::Accepted | Status::Completed))
}

/// Who a referral goes to, the fields a package may carry and what each kind receives unless
/// configured otherwise: configuration vocabulary, so it lives with the configuration.
pub use crate::platform::config::{
    REFERRAL_COUNTERPART_KINDS as COUNTERPART_KINDS, REFERRAL_PACKAGE_FIELDS as PACKAGE_FIELDS,
    default_referral_package as default_package,
};

/// Why the person moves.
pub const REASONS: &[&str] = &["safety", "services", "family", "other"];

pub const URGENCIES: &[&str] = &["ordinary", "urgent"];

/// The minimum data that travels with a referral. Absent fields were not shared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub names: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub birth_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nationalities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub languages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exploitation_forms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vulnerabilities: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phone: Option<String>,
}

impl Package {
    /// Keeps only the fields `allowed` lists.
    pub fn restricted_to(self, allowed: &[String]) -> Package {
        let has = |f: &str| allowed.iter().any(|a| a == f);
        Package {
            names: self.names.filter(|_| has("names")),
            gender: self.gender.filter(|_| has("gender")),
            birth_year: self.birth_year.filter(|_| has("birth_year")),
            nationalities: self.nationalities.filter(|_| has("nationalities")),
            languages: self.languages.filter(|_| has("languages")),
            exploitation_forms: self
                .exploitation_forms
                .filter(|_| has("exploitation_forms")),
            vulnerabilities: self.vulnerabilities.filter(|_| has("vulnerabilities")),
            phone: self.phone.filter(|_| has("phone")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_states_and_party_follows_the_machine() {
        use Party::*;
        use Status::*;
        let allowed = [
            (Proposed, Accepted, Receiver),
            (Proposed, Refused, Receiver),
            (Proposed, Withdrawn, Sender),
            (Accepted, Completed, Sender),
            (Accepted, Completed, Receiver),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                for party in [Sender, Receiver] {
                    let want = allowed.contains(&(from, to, party));
                    let got = transition(from, to, party, Some("no room")).is_ok();
                    assert_eq!(got, want, "{from:?} → {to:?} by {party:?}");
                }
            }
        }
    }

    #[test]
    fn who_acts_for_which_side() {
        // Between two network organisations: each for itself; a third for nobody.
        assert_eq!(parties(Some(1), Some(2), 1, 1), vec![Party::Sender]);
        assert_eq!(parties(Some(1), Some(2), 1, 2), vec![Party::Receiver]);
        assert!(parties(Some(1), Some(2), 1, 3).is_empty());
        // Outbound to the national hotline: the sender also records the answer.
        assert_eq!(
            parties(Some(1), None, 1, 1),
            vec![Party::Sender, Party::Receiver]
        );
        // Inbound from the national hotline: the receiver also records a withdrawal.
        assert_eq!(
            parties(None, Some(2), 2, 2),
            vec![Party::Sender, Party::Receiver]
        );
        assert!(parties(None, Some(2), 2, 5).is_empty());
    }

    #[test]
    fn the_receiver_sees_the_package_only_after_accepting() {
        let receiver = [Party::Receiver];
        assert!(!may_see_package(Some(1), 1, Status::Proposed, &receiver, 2));
        assert!(!may_see_package(Some(1), 1, Status::Refused, &receiver, 2));
        assert!(may_see_package(Some(1), 1, Status::Accepted, &receiver, 2));
        assert!(may_see_package(Some(1), 1, Status::Completed, &receiver, 2));
        assert!(may_see_package(
            Some(1),
            1,
            Status::Proposed,
            &[Party::Sender],
            1
        ));
        // Typed in by the receiver from a national-hotline call: theirs to see.
        assert!(may_see_package(None, 2, Status::Proposed, &receiver, 2));
        assert!(!may_see_package(Some(1), 1, Status::Accepted, &[], 3));
    }

    #[test]
    fn a_refusal_needs_a_reason() {
        assert_eq!(
            transition(Status::Proposed, Status::Refused, Party::Receiver, None),
            Err(TransitionError::ReasonNeeded)
        );
        assert_eq!(
            transition(
                Status::Proposed,
                Status::Refused,
                Party::Receiver,
                Some("  ")
            ),
            Err(TransitionError::ReasonNeeded)
        );
    }

    #[test]
    fn a_package_carries_only_the_configured_fields() {
        let full = Package {
            names: Some("N".into()),
            gender: Some("female".into()),
            birth_year: Some(2000),
            nationalities: Some(vec!["NG".into()]),
            languages: None,
            exploitation_forms: Some(vec!["sexual".into()]),
            vulnerabilities: Some("v".into()),
            phone: Some("123".into()),
        };
        let allowed: Vec<String> = default_package("national_hotline")
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let p = full.restricted_to(&allowed);
        assert_eq!(p.names, None);
        assert_eq!(p.phone, None);
        assert_eq!(p.vulnerabilities, None);
        assert_eq!(p.gender.as_deref(), Some("female"));
        assert_eq!(p.birth_year, Some(2000));
        let json = serde_json::to_string(&p).unwrap();
        assert!(!json.contains("names") && !json.contains("phone"), "{json}");
        for kind in COUNTERPART_KINDS {
            assert!(
                default_package(kind)
                    .iter()
                    .all(|f| PACKAGE_FIELDS.contains(f))
            );
            assert!(!default_package(kind).contains(&"phone"));
        }
    }
}
