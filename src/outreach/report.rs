//! The outreach report for a period and a unit or province: outings, people met (new or known),
//! by gender, apparent age and nationality, materials, health topics, individual contacts,
//! drop-in interviews, and accompaniments by service and outcome. Aggregation is a plain
//! function over the period's records ([`build`]); [`load`] fetches them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

use super::entities::{accompaniment, count, encounter, interview, outing};
use super::store;

/// Which units the report covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// One street unit or desk (a service id).
    pub unit: Option<i32>,
    /// Every unit and desk in a province.
    pub province: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OutreachReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub outings: i64,
    /// People met on outings (contacts): every meeting counts, as the units tally them.
    pub people_met: i64,
    pub new_people: i64,
    pub known_people: i64,
    /// Distinct anonymous codes met in the period, and those first recorded in it.
    pub individual_contacts: i64,
    pub new_individual_contacts: i64,
    pub referrals_proposed: i64,
    pub accompaniments_proposed: i64,
    pub interviews: i64,
    pub accompaniments: i64,
    /// (dimension, value) → count, for gender, age_band, nationality, material, topic (outings),
    /// interview_outcome, interview_topic, interview_language (desks),
    /// accompaniment_service, accompaniment_outcome, accompaniment_source.
    pub breakdown: BTreeMap<(String, String), i64>,
}

/// Aggregates a period's records (already restricted to the scope).
pub fn build(
    from: NaiveDate,
    to: NaiveDate,
    outings: &[outing::Model],
    counts: &[count::Model],
    encounters: &[encounter::Model],
    interviews: &[interview::Model],
    accompaniments: &[accompaniment::Model],
) -> OutreachReport {
    let mut r = OutreachReport {
        from,
        to,
        ..Default::default()
    };
    let add = |r: &mut OutreachReport, d: &str, v: &str, n: i64| {
        *r.breakdown.entry((d.to_owned(), v.to_owned())).or_insert(0) += n;
    };
    let ids: BTreeSet<i32> = outings.iter().map(|o| o.id).collect();
    for o in outings {
        r.outings += 1;
        r.people_met += i64::from(o.people_met);
        r.referrals_proposed += i64::from(o.referrals_proposed);
        r.accompaniments_proposed += i64::from(o.accompaniments_proposed);
    }
    for c in counts.iter().filter(|c| ids.contains(&c.outing_id)) {
        let n = i64::from(c.count);
        match c.dimension.as_str() {
            "status" if c.value == "new" => r.new_people += n,
            "status" => r.known_people += n,
            d => add(&mut r, d, &c.value, n),
        }
    }
    let mut met = BTreeSet::new();
    let mut first = BTreeSet::new();
    for e in encounters.iter().filter(|e| ids.contains(&e.outing_id)) {
        met.insert(e.contact_id);
        if e.new_contact {
            first.insert(e.contact_id);
        }
    }
    r.individual_contacts = met.len() as i64;
    r.new_individual_contacts = first.len() as i64;
    for i in interviews {
        r.interviews += 1;
        add(&mut r, "interview_outcome", &i.outcome, 1);
        for t in crate::platform::codes::iter(&i.topics) {
            add(&mut r, "interview_topic", t, 1);
        }
        add(
            &mut r,
            "interview_language",
            i.language.as_deref().unwrap_or("—"),
            1,
        );
    }
    for a in accompaniments {
        r.accompaniments += 1;
        add(&mut r, "accompaniment_service", &a.service_kind, 1);
        add(&mut r, "accompaniment_outcome", &a.outcome, 1);
        add(&mut r, "accompaniment_source", &a.source, 1);
    }
    r
}

/// The breakdown dimensions in the order pages and files show them.
pub const DIMENSIONS: &[&str] = &[
    "gender",
    "age_band",
    "nationality",
    "material",
    "topic",
    "interview_outcome",
    "interview_topic",
    "interview_language",
    "accompaniment_service",
    "accompaniment_outcome",
    "accompaniment_source",
];

/// Loads and aggregates the report. Accompaniments are those of the organisations running the
/// units in scope (every accompaniment when the scope is the whole region).
pub async fn load(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
) -> Result<OutreachReport, DbErr> {
    let services = crate::network::services(db).await?;
    let in_scope: Vec<_> = services
        .iter()
        .filter(|s| matches!(s.kind.as_str(), "street_unit" | "drop_in"))
        .filter(|s| scope.unit.is_none_or(|u| u == s.id))
        .filter(|s| {
            scope
                .province
                .as_deref()
                .is_none_or(|p| s.province.as_deref() == Some(p))
        })
        .collect();
    let whole_region = scope == &Scope::default();
    let ids: Vec<i32> = in_scope.iter().map(|s| s.id).collect();
    let orgs: Vec<i32> = in_scope.iter().map(|s| s.organisation_id).collect();
    // Italian days: 00:00–24:00 in Rome.
    let (start, end) = crate::platform::time::rome_days(from, to);
    let filter = (!whole_region).then_some(ids.as_slice());
    let outings = store::outings_in(db, start, end, filter).await?;
    let outing_ids: Vec<i32> = outings.iter().map(|o| o.id).collect();
    let counts = store::counts_of(db, &outing_ids).await?;
    let encounters = store::encounters_of_outings(db, &outing_ids).await?;
    let interviews = store::interviews_in(db, from, to, filter).await?;
    let accompaniments =
        store::accompaniments_in(db, from, to, (!whole_region).then_some(orgs.as_slice())).await?;
    Ok(build(
        from,
        to,
        &outings,
        &counts,
        &encounters,
        &interviews,
        &accompaniments,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outing(id: i32, people: i32) -> outing::Model {
        let t = chrono::Utc::now();
        outing::Model {
            id,
            organisation_id: 1,
            service_id: 1,
            started_at: t,
            ended_at: t,
            area: String::new(),
            places: String::new(),
            team: String::new(),
            mediators: String::new(),
            languages: String::new(),
            people_met: people,
            referrals_proposed: 1,
            accompaniments_proposed: 0,
            notes_enc: None,
            idempotency_key: format!("key-{id:06}"),
            created_by: 1,
            created_at: t,
        }
    }

    fn count(outing_id: i32, d: &str, v: &str, n: i32) -> count::Model {
        count::Model {
            id: 0,
            outing_id,
            dimension: d.into(),
            value: v.into(),
            count: n,
            started_at: None,
            service_id: None,
        }
    }

    #[test]
    fn outings_contacts_and_codes_are_summed_and_codes_counted_once() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let outings = [outing(1, 5), outing(2, 3)];
        let counts = [
            count(1, "status", "new", 2),
            count(1, "status", "known", 3),
            count(2, "status", "known", 3),
            count(1, "gender", "female", 5),
            count(2, "gender", "female", 2),
            count(2, "gender", "male", 1),
            // An outing outside the period is ignored.
            count(9, "gender", "male", 100),
        ];
        let enc = |contact_id, outing_id, new_contact| encounter::Model {
            id: 0,
            contact_id,
            outing_id,
            new_contact,
        };
        let encounters = [enc(10, 1, true), enc(10, 2, false), enc(11, 2, false)];
        let r = build(day, day, &outings, &counts, &encounters, &[], &[]);
        assert_eq!(r.outings, 2);
        assert_eq!(r.people_met, 8);
        assert_eq!((r.new_people, r.known_people), (2, 6));
        assert_eq!(r.referrals_proposed, 2);
        assert_eq!(r.breakdown[&("gender".into(), "female".into())], 7);
        assert_eq!(r.breakdown[&("gender".into(), "male".into())], 1);
        assert_eq!((r.individual_contacts, r.new_individual_contacts), (2, 1));
    }
}
