//! Knowledge of the phenomenon: the network's periodic activity report, computed from every
//! area's records without reading any identity data, with small cells suppressed. Each figure's
//! definition is in `docs/INDICATORS.md`.

pub mod national;
pub mod open_data;
pub mod pages;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

/// Counts below this are shown as "<5" in every output analysts see (page, CSV, JSON):
/// a cell that would reveal fewer than 5 people is never shown (domain.md §5.4).
pub const SMALL_CELL: i64 = 5;

/// One figure of the report, with its breakdowns.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub key: &'static str,
    /// `None` when the area that records it does not exist yet.
    pub value: Option<i64>,
    /// (dimension, value, count)
    pub breakdown: Vec<(String, String, i64)>,
}

#[derive(Debug, Serialize)]
pub struct ActivityReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The province the report is limited to (`None`: all of Tuscany).
    pub province: Option<String>,
    pub figures: Vec<Figure>,
}

/// A count as published: small cells hidden.
pub fn shown(n: i64) -> String {
    if n > 0 && n < SMALL_CELL {
        format!("<{SMALL_CELL}")
    } else {
        n.to_string()
    }
}

fn count(map: &mut BTreeMap<(String, String), i64>, dim: &str, value: &str) {
    *map.entry((dim.to_owned(), value.to_owned())).or_insert(0) += 1;
}

fn flatten(map: BTreeMap<(String, String), i64>) -> Vec<(String, String, i64)> {
    map.into_iter().map(|((d, v), n)| (d, v, n)).collect()
}

/// Builds the activity report for `[from, to]` (both days included), for one province or
/// (`None`) the whole region. A record's province is the hotline contact's, the unit's or
/// desk's, or that of the organisation following the person.
pub async fn activity(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    province: Option<&str>,
) -> Result<ActivityReport, DbErr> {
    let keep = |p: &str| province.is_none_or(|x| x == p);
    let start = Utc.from_utc_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default());
    let end = Utc.from_utc_datetime(
        &(to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    let orgs = crate::network::store::organisations(db).await?;
    let province_of = |org: i32| {
        orgs.iter()
            .find(|o| o.id == org)
            .and_then(|o| o.province.clone())
            .unwrap_or_else(|| "—".into())
    };

    // 1. Hotline: first pertinent contacts, by form of exploitation and province.
    let contacts: Vec<_> = crate::hotline::store::all_in_period(db, start, end)
        .await?
        .into_iter()
        .filter(|c| c.relevance == "pertinent" && c.previous_contact_id.is_none())
        .filter(|c| keep(c.province.as_deref().unwrap_or("—")))
        .collect();
    let mut hb = BTreeMap::new();
    for c in &contacts {
        for f in c.exploitation_forms.split(',').filter(|f| !f.is_empty()) {
            count(&mut hb, "exploitation", f);
        }
        count(&mut hb, "province", c.province.as_deref().unwrap_or("—"));
    }

    // Cases: people described by their non-identifying attributes only.
    let person_dims = |db_person: &crate::cases::entities::person::Model,
                       map: &mut BTreeMap<(String, String), i64>| {
        count(map, "gender", &db_person.gender);
        for n in db_person.nationalities.split(',').filter(|n| !n.is_empty()) {
            count(map, "nationality", n);
        }
        let band = match db_person
            .birth_year
            .map(|y| chrono::Datelike::year(&to) - y)
        {
            Some(a) if a < 18 => "0-17",
            Some(a) if a < 25 => "18-24",
            Some(a) if a < 35 => "25-34",
            Some(a) if a < 50 => "35-49",
            Some(_) => "50+",
            None => "—",
        };
        count(map, "age_band", band);
    };

    // 4. Emergency and first reception: people placed in an emergency bed in the period.
    let mut emergency_people = BTreeSet::new();
    let mut eb = BTreeMap::new();
    for p in crate::cases::store::placements_started(db, from, to)
        .await?
        .into_iter()
        .filter(|p| p.emergency)
    {
        if let Some(c) = crate::cases::store::case(db, p.case_id).await?
            && keep(&province_of(c.owner_org))
            && emergency_people.insert(c.person_id)
        {
            count(&mut eb, "province", &province_of(c.owner_org));
            if let Some(person) = crate::cases::store::person(db, c.person_id).await? {
                person_dims(&person, &mut eb);
            }
        }
    }

    // 5. Protection programmes: people whose case entered the protection phase.
    let mut protected = BTreeSet::new();
    let mut pb = BTreeMap::new();
    for ch in crate::cases::store::entered_phase(db, "protection", start, end).await? {
        if let Some(c) = crate::cases::store::case(db, ch.case_id).await?
            && keep(&province_of(c.owner_org))
            && protected.insert(c.person_id)
        {
            count(&mut pb, "province", &province_of(c.owner_org));
            for f in c.exploitation_forms.split(',').filter(|f| !f.is_empty()) {
                count(&mut pb, "exploitation", f);
            }
            if let Some(person) = crate::cases::store::person(db, c.person_id).await? {
                person_dims(&person, &mut pb);
            }
        }
    }

    // 2. Street-unit contacts: people met on outings, as the units tallied them.
    let scope = crate::outreach::report::Scope {
        unit: None,
        province: province.map(str::to_owned),
    };
    let outreach = crate::outreach::report::load(db, from, to, &scope).await?;
    let outings = crate::outreach::store::outings_in(db, start, end, None).await?;
    let units = crate::network::store::services(db).await?;
    let mut sb = BTreeMap::new();
    for o in &outings {
        let province = units
            .iter()
            .find(|s| s.id == o.service_id)
            .and_then(|s| s.province.clone())
            .unwrap_or_else(|| "—".into());
        if !keep(&province) {
            continue;
        }
        *sb.entry(("province".to_owned(), province)).or_insert(0) += i64::from(o.people_met);
    }
    for ((d, v), c) in &outreach.breakdown {
        if matches!(d.as_str(), "gender" | "age_band" | "nationality") {
            *sb.entry((d.clone(), v.clone())).or_insert(0) += c;
        }
    }
    if outreach.people_met > 0 {
        sb.insert(("status".into(), "new".into()), outreach.new_people);
        sb.insert(("status".into(), "known".into()), outreach.known_people);
    }

    // 3. Drop-in interviews, by province of the desk and outcome.
    let mut ib = BTreeMap::new();
    for i in crate::outreach::store::interviews_in(db, from, to, None).await? {
        let province = units
            .iter()
            .find(|s| s.id == i.service_id)
            .and_then(|s| s.province.clone())
            .unwrap_or_else(|| "—".into());
        if !keep(&province) {
            continue;
        }
        count(&mut ib, "province", &province);
        count(&mut ib, "outcome", &i.outcome);
    }

    // 6. Accompaniments: people accompanied to services, each person once (by case, else by
    //    anonymous code, else each accompaniment is a person), whatever the source.
    let mut accompanied = BTreeSet::new();
    let mut ab = BTreeMap::new();
    for a in crate::outreach::store::accompaniments_in(db, from, to, None).await? {
        let contact_case = match a.contact_id {
            Some(id) => crate::outreach::store::contact(db, id)
                .await?
                .and_then(|c| c.case_id),
            None => None,
        };
        let who = match a.case_id.or(contact_case) {
            Some(case_id) => match crate::cases::store::case(db, case_id).await? {
                Some(c) => format!("person-{}", c.person_id),
                None => format!("case-{case_id}"),
            },
            None => match a.contact_id {
                Some(id) => format!("contact-{id}"),
                None => format!("record-{}", a.id),
            },
        };
        if keep(&province_of(a.organisation_id)) && accompanied.insert(who) {
            count(&mut ab, "province", &province_of(a.organisation_id));
            count(&mut ab, "service", &a.service_kind);
        }
    }

    let n = |s: usize| i64::try_from(s).unwrap_or(i64::MAX);
    Ok(ActivityReport {
        from,
        to,
        province: province.map(str::to_owned),
        figures: vec![
            Figure {
                key: "hotline_cases",
                value: Some(n(contacts.len())),
                breakdown: flatten(hb),
            },
            Figure {
                key: "street_unit_contacts",
                value: Some(outreach.people_met),
                breakdown: flatten(sb),
            },
            Figure {
                key: "drop_in_interviews",
                value: Some(outreach.interviews),
                breakdown: flatten(ib),
            },
            Figure {
                key: "emergency_reception",
                value: Some(n(emergency_people.len())),
                breakdown: flatten(eb),
            },
            Figure {
                key: "protection_programmes",
                value: Some(n(protected.len())),
                breakdown: flatten(pb),
            },
            Figure {
                key: "accompaniments",
                value: Some(n(accompanied.len())),
                breakdown: flatten(ab),
            },
        ],
    })
}

/// The report as CSV, small cells suppressed.
pub fn to_csv(r: &ActivityReport) -> String {
    let mut out = format!(
        "# from {} to {}\nfigure,dimension,value,count\n",
        r.from, r.to
    );
    if let Some(p) = &r.province {
        out.insert_str(0, &format!("# province {p}\n"));
    }
    for f in &r.figures {
        let total = f.value.map_or_else(|| "n/a".to_owned(), shown);
        out.push_str(&format!("{},total,,{total}\n", f.key));
        for (d, v, c) in &f.breakdown {
            out.push_str(&format!(
                "{},{d},\"{}\",{}\n",
                f.key,
                v.replace('"', "\"\""),
                shown(*c)
            ));
        }
    }
    out
}

/// The report as JSON, small cells suppressed (counts become strings like "<5").
pub fn to_json(r: &ActivityReport) -> serde_json::Value {
    serde_json::json!({
        "from": r.from,
        "to": r.to,
        "province": r.province,
        "small_cells_below": SMALL_CELL,
        "figures": r.figures.iter().map(|f| serde_json::json!({
            "figure": f.key,
            "total": f.value.map(shown),
            "breakdown": f.breakdown.iter().map(|(d, v, c)| serde_json::json!({"dimension": d, "value": v, "count": shown(*c)})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub fn routes() -> Routes {
    let aggregates = Access::Permission(Permission::ReadAggregates);
    Routes::new()
        .get("/stats/activity", aggregates, pages::activity)
        .get("/stats/activity.csv", aggregates, pages::activity_csv)
        .get("/stats/activity.xlsx", aggregates, pages::activity_xlsx)
        .get("/stats/open-data", aggregates, pages::open_data)
        .get(
            "/stats/open-data/microdata.csv",
            aggregates,
            pages::open_data_microdata,
        )
        .get(
            "/stats/open-data/aggregates.csv",
            aggregates,
            pages::open_data_aggregates,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cells_are_hidden_but_zero_and_larger_shown() {
        assert_eq!(shown(0), "0");
        assert_eq!(shown(1), "<5");
        assert_eq!(shown(4), "<5");
        assert_eq!(shown(5), "5");
        assert_eq!(shown(37), "37");
    }
}
