//! Referral statistics for a period: opened, accepted, refused, completed, withdrawn, and the
//! share closed positively, in total and by direction, counterpart kind and month.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::entities::{event, referral};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Referrals created in the period.
    pub opened: i64,
    /// Referrals that reached each state in the period.
    pub accepted: i64,
    pub refused: i64,
    pub completed: i64,
    pub withdrawn: i64,
}

impl Counts {
    /// Completed among those that ended in the period (completed, refused or withdrawn), in
    /// whole percent; `None` when none ended.
    pub fn positive_share(&self) -> Option<i64> {
        let ended = self.completed + self.refused + self.withdrawn;
        (ended > 0).then(|| (self.completed * 100 + ended / 2) / ended)
    }

    /// The share as published: not when fewer than 5 referrals ended (it would let a reader
    /// work the small counts back out).
    pub fn published_share(&self) -> Option<i64> {
        let ended = self.completed + self.refused + self.withdrawn;
        self.positive_share()
            .filter(|_| ended >= crate::stats::SMALL_CELL)
    }

    fn add(&mut self, status: &str) {
        match status {
            "accepted" => self.accepted += 1,
            "refused" => self.refused += 1,
            "completed" => self.completed += 1,
            "withdrawn" => self.withdrawn += 1,
            _ => {}
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReferralReport {
    pub total: Counts,
    /// (dimension, value) → counts; dimensions `direction`, `counterpart`, `month`.
    pub by: BTreeMap<(String, String), Counts>,
}

/// Aggregates: `created` are the referrals created in the period; `events` the history lines
/// of the period; `all` lets an event find its referral's direction and counterpart.
pub fn build(
    created: &[referral::Model],
    events: &[event::Model],
    all: &[referral::Model],
) -> ReferralReport {
    let mut r = ReferralReport::default();
    let keys = |x: &referral::Model, month: NaiveDate| {
        [
            ("direction".to_owned(), x.direction.clone()),
            ("counterpart".to_owned(), x.counterpart_kind.clone()),
            ("month".to_owned(), month.format("%Y-%m").to_string()),
        ]
    };
    for x in created {
        r.total.opened += 1;
        for k in keys(x, crate::platform::time::rome_date(x.created_at)) {
            r.by.entry(k).or_default().opened += 1;
        }
    }
    for e in events.iter().filter(|e| e.status != "proposed") {
        r.total.add(&e.status);
        if let Some(x) = all.iter().find(|x| x.id == e.referral_id) {
            for k in keys(x, crate::platform::time::rome_date(e.at)) {
                r.by.entry(k).or_default().add(&e.status);
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_share_closed_positively_counts_completed_among_ended() {
        let c = Counts {
            opened: 9,
            accepted: 4,
            refused: 1,
            completed: 3,
            withdrawn: 0,
        };
        assert_eq!(c.positive_share(), Some(75));
        assert_eq!(c.published_share(), None, "4 ended: too few to publish");
        let five = Counts {
            completed: 4,
            refused: 1,
            ..c
        };
        assert_eq!(five.published_share(), Some(80));
        assert_eq!(Counts::default().positive_share(), None);
    }

    #[test]
    fn opened_and_state_changes_are_counted_by_direction_and_month() {
        let t = Utc.with_ymd_and_hms(2026, 10, 3, 9, 0, 0).unwrap();
        let r = |id, direction: &str| referral::Model {
            id,
            direction: direction.into(),
            counterpart_kind: "network_org".into(),
            counterpart_id: None,
            sender_org: Some(1),
            receiver_org: Some(2),
            recorded_by_org: 1,
            case_id: None,
            opened_case_id: None,
            status: "proposed".into(),
            reason: "safety".into(),
            needed_service: "shelter".into(),
            urgency: "urgent".into(),
            consent_id: None,
            consent_on: t.date_naive(),
            package_enc: vec![],
            refusal_reason: None,
            refusal_reason_enc: None,
            created_by: 1,
            created_at: t,
            updated_at: t,
            version: 0,
        };
        let e = |referral_id, status: &str| event::Model {
            id: 0,
            referral_id,
            status: status.into(),
            at: t,
            by_user: 1,
            by_org: 2,
            note: None,
            note_enc: None,
        };
        let all = [r(1, "outbound"), r(2, "inbound")];
        let rep = build(
            &all,
            &[
                e(1, "proposed"),
                e(1, "accepted"),
                e(1, "completed"),
                e(2, "refused"),
            ],
            &all,
        );
        assert_eq!(rep.total.opened, 2);
        assert_eq!(
            (rep.total.accepted, rep.total.completed, rep.total.refused),
            (1, 1, 1)
        );
        assert_eq!(rep.by[&("direction".into(), "inbound".into())].refused, 1);
        assert_eq!(rep.by[&("month".into(), "2026-10".into())].opened, 2);
        assert_eq!(rep.total.positive_share(), Some(50));
    }
}
