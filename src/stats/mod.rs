//! Knowledge of the phenomenon: the network's periodic activity report, computed from every
//! area's records without reading any identity data, with small cells suppressed. Each figure's
//! definition is in `docs/INDICATORS.md`.

pub mod api;
pub mod daily;
pub mod definitions;
pub mod estimate;
pub mod estimate_page;
pub mod mse;
pub mod national;
pub mod open_data;
pub mod pages;
pub mod period;
pub mod public;
pub mod queries;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
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

/// Counts by dimension and value. Adding to a pair already there allocates nothing: a
/// national report adds a few hundred thousand times to a few hundred pairs.
type Breakdown = BTreeMap<String, BTreeMap<String, i64>>;

fn count(map: &mut Breakdown, dim: &str, value: &str) {
    add(map, dim, value, 1);
}

fn add(map: &mut Breakdown, dim: &str, value: &str, n: i64) {
    let values = match map.get_mut(dim) {
        Some(values) => values,
        None => map.entry(dim.to_owned()).or_default(),
    };
    match values.get_mut(value) {
        Some(c) => *c += n,
        None => {
            values.insert(value.to_owned(), n);
        }
    }
}

fn set(map: &mut Breakdown, dim: &str, value: &str, n: i64) {
    map.entry(dim.to_owned())
        .or_default()
        .insert(value.to_owned(), n);
}

/// (dimension, value, count), by dimension then value.
fn flatten(map: Breakdown) -> Vec<(String, String, i64)> {
    map.into_iter()
        .flat_map(|(d, values)| values.into_iter().map(move |(v, n)| (d.clone(), v, n)))
        .collect()
}

/// The activity report as a member of staff reads it: the reading (its period, and `via`
/// where it was asked: `None` on the pages) is audited, then the report is built.
pub async fn read_activity(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    (from, to): (NaiveDate, NaiveDate),
    province: Option<&str>,
    via: Option<&str>,
) -> Result<ActivityReport, crate::platform::web::AppError> {
    let reason = match via {
        Some(via) => format!("{from} – {to} ({via})"),
        None => format!("{from} – {to}"),
    };
    crate::platform::audit::append(
        &state.db,
        &state.keys,
        crate::platform::audit::Entry::new(Some(actor), "stats.activity", "report").reason(reason),
    )
    .await?;
    Ok(activity(&state.db, from, to, province).await?)
}

/// Builds the activity report for `[from, to]` (both days included), for one province or
/// (`None`) the whole region. A record's province is the hotline contact's, the unit's or
/// desk's, or that of the organisation following the person.
pub async fn activity(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
    province: Option<&str>,
) -> Result<ActivityReport, DbErr> {
    let source = if daily::built(db).await? {
        Source::Summaries
    } else {
        Source::Records
    };
    activity_from(db, from, to, province, source).await
}

/// The activity report counted from the records themselves: the reference the per-day
/// summaries are checked against (`satis stats check`, the tests, the benchmark).
pub async fn activity_raw(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
    province: Option<&str>,
) -> Result<ActivityReport, DbErr> {
    activity_from(db, from, to, province, Source::Records).await
}

/// Where the additive figures are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Summaries,
    Records,
}

/// Recounts the summaries of the given Italian days in the caller's transaction: every write
/// that adds a hotline contact or an outing calls it (see `daily`).
pub async fn refresh_days(
    db: &impl ConnectionTrait,
    days: &BTreeSet<NaiveDate>,
) -> Result<(), DbErr> {
    daily::refresh_days(db, days).await
}

/// Brings the summaries of the figures about people (protection, emergency reception) up to
/// date for `people` in the caller's transaction: every write that gives a person a protection
/// entry or an emergency stay, ends a stay, or changes their attributes or their case's calls
/// it (see `daily::refresh_people`).
pub async fn refresh_people(
    db: &impl ConnectionTrait,
    people: impl IntoIterator<Item = i32>,
) -> Result<(), DbErr> {
    let people: BTreeSet<i64> = people.into_iter().map(i64::from).collect();
    daily::refresh_people(db, &people).await
}

/// Marks the summaries for rebuilding in the caller's transaction: called by the registry when
/// an organisation's province or its exclusion from statistics changes (see
/// `daily::registry_moved`); after committing, [`spawn_summary_build`] rebuilds them.
pub async fn registry_moved(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    daily::registry_moved(db).await
}

/// In the background, at start and after a registry change that moves counts: builds the
/// per-day summaries of a database whose summaries are not built (upgraded from before them,
/// loaded in bulk, or an organisation's province or exclusion changed); the report counts the
/// records meanwhile. Never blocks start-up or the request.
pub fn spawn_summary_build(state: crate::platform::web::SharedState) {
    tokio::spawn(async move {
        match daily::built(&state.db).await {
            Ok(true) => {}
            Ok(false) => {
                let started = std::time::Instant::now();
                match daily::rebuild(&state.db).await {
                    Ok(done) => tracing::info!(
                        months = done.months,
                        rows = done.rows,
                        seconds = started.elapsed().as_secs_f64(),
                        "statistics summaries built"
                    ),
                    Err(e) => tracing::error!(
                        reason = crate::platform::db::describe(&e),
                        "statistics summaries could not be built; the report counts the records"
                    ),
                }
            }
            Err(e) => tracing::error!(
                reason = crate::platform::db::describe(&e),
                "statistics summaries state unreadable"
            ),
        }
    });
}

/// A person's age band at the end of the report's period (by birth year).
fn age_band(birth_year: Option<i64>, to: NaiveDate) -> &'static str {
    match birth_year.map(|y| i64::from(chrono::Datelike::year(&to)) - y) {
        Some(a) if a < 18 => "0-17",
        Some(a) if a < 25 => "18-24",
        Some(a) if a < 35 => "25-34",
        Some(a) if a < 50 => "35-49",
        Some(_) => "50+",
        None => "—",
    }
}

/// Who an accompaniment was for, to count each person once (see figure 6).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Person(i64),
    Contact(i64),
    Caller(i64, String),
    Record(i64),
}

/// Runs `read` on a clone of the pool in a task of its own (see `activity_from`).
async fn apart<T, Fut>(
    db: &DatabaseConnection,
    read: impl FnOnce(DatabaseConnection) -> Fut,
) -> Result<T, DbErr>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = Result<T, DbErr>> + Send + 'static,
{
    tokio::spawn(read(db.clone()))
        .await
        .map_err(|e| DbErr::Custom(format!("a figure of the report could not be read: {e}")))?
}

async fn activity_from(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
    province: Option<&str>,
    source: Source,
) -> Result<ActivityReport, DbErr> {
    let summaries = source == Source::Summaries;
    let keep = |p: &str| province.is_none_or(|x| x == p);
    let n = |s: usize| i64::try_from(s).unwrap_or(i64::MAX);
    // Italian days: 00:00–24:00 in Rome.
    let (start, end) = crate::platform::time::rome_days(from, to);
    // Every figure's rows are read at once, each in a task of its own: each query runs on its
    // own connection of the pool (SQLite readers do not wait for each other in WAL mode) and
    // its rows are decoded on whichever core is free, so the report takes about as long as
    // its slowest figure rather than the sum of all of them.
    let by_unit = province.is_some();
    let (
        orgs,
        units,
        other,
        first,
        emergency,
        emergency_single,
        protection,
        protection_single,
        met,
        tallies,
        interviews,
        accompaniments,
        other_accompaniments,
    ) = tokio::try_join!(
        apart(
            db,
            |db| async move { crate::network::organisations(&db).await }
        ),
        apart(db, |db| async move { crate::network::services(&db).await }),
        apart(db, move |db| async move {
            if summaries {
                daily::hotline_other_calls(&db, from, to).await
            } else {
                queries::hotline_other_calls(&db, start, end).await
            }
        }),
        apart(db, move |db| async move {
            if summaries {
                daily::hotline_first_pertinent(&db, from, to).await
            } else {
                queries::hotline_first_pertinent(&db, start, end).await
            }
        }),
        apart(db, move |db| async move {
            queries::emergency_people(&db, from, to, summaries).await
        }),
        apart(db, move |db| async move {
            if summaries {
                daily::emergency(&db, from, to).await
            } else {
                Ok(daily::EmergencySingles::default())
            }
        }),
        apart(db, move |db| async move {
            queries::people_entering(&db, "protection", from, to, summaries).await
        }),
        apart(db, move |db| async move {
            if summaries {
                daily::protection(&db, from, to).await
            } else {
                Ok(Vec::new())
            }
        }),
        apart(db, move |db| async move {
            if summaries {
                daily::people_met_by_unit(&db, from, to).await
            } else {
                queries::people_met_by_unit(&db, start, end).await
            }
        }),
        apart(db, move |db| async move {
            if summaries {
                daily::tallies_by_unit(&db, from, to, by_unit).await
            } else {
                queries::tallies_by_unit(&db, start, end, by_unit).await
            }
        }),
        apart(db, move |db| async move {
            queries::interviews_by_desk(&db, from, to).await
        }),
        apart(db, move |db| async move {
            queries::accompaniments(&db, from, to).await
        }),
        apart(db, move |db| async move {
            queries::other_accompaniments(&db, from, to).await
        }),
    )?;
    let province_of = |org: i32| {
        orgs.iter()
            .find(|o| o.id == org)
            .and_then(|o| o.province.clone())
            .unwrap_or_else(|| "—".into())
    };
    // A record's province: where the work was done (the call's, the shelter's), else the
    // organisation's.
    let or_org = |own: Option<String>, org: i64| {
        own.filter(|p| !p.is_empty()).unwrap_or_else(|| {
            i32::try_from(org)
                .map(&province_of)
                .unwrap_or_else(|_| "—".into())
        })
    };

    // 1b. Hotline calls that were not cases: non-pertinent and nuisance, never counted above.
    let mut other_calls = 0i64;
    let mut ob = Breakdown::new();
    for (relevance, prov, n) in other {
        if !keep(&prov) {
            continue;
        }
        other_calls += n;
        add(&mut ob, "relevance", &relevance, n);
        add(&mut ob, "province", &prov, n);
    }

    // 1. Hotline: first pertinent contacts, by form of exploitation and province.
    let mut hotline_total = 0i64;
    let mut hb = Breakdown::new();
    for (forms, prov, sector, n) in first {
        if !keep(&prov) {
            continue;
        }
        hotline_total += n;
        for f in crate::platform::codes::iter(&forms) {
            add(&mut hb, "exploitation", f, n);
        }
        add(&mut hb, "province", &prov, n);
        if let Some(s) = sector.filter(|s| !s.is_empty()) {
            add(&mut hb, "sector", &s, n);
        }
    }

    // Cases: people described by their non-identifying attributes only.
    let person_dims = |p: &queries::PersonRow, map: &mut Breakdown| {
        count(map, "gender", &p.gender);
        for n in crate::platform::codes::iter(&p.nationalities) {
            count(map, "nationality", n);
        }
        count(map, "age_band", age_band(p.birth_year, to));
    };
    let org_province = |org: i64| {
        i32::try_from(org)
            .map(&province_of)
            .unwrap_or_else(|_| "—".into())
    };

    // 4. Emergency and first reception ("hanno fatto ricorso"): people who used an emergency
    // bed in the period (a stay overlapping it), each once; beside it, how many of them
    // entered in the period. From the summaries, the people with a single stay come as
    // marginals by province, and the few with several from the records, each once as below.
    let mut emergency_people = BTreeSet::new();
    let mut entered = BTreeSet::new();
    let mut eb = Breakdown::new();
    let (mut single_people, mut single_entered) = (0i64, 0i64);
    for (prov, dim, value, people) in emergency_single.people {
        if !keep(&prov) {
            continue;
        }
        match dim.as_str() {
            "people" => {
                single_people += people;
                add(&mut eb, "province", &prov, people);
            }
            "birth_year" => {
                let year = value.and_then(|y| y.parse::<i64>().ok());
                add(&mut eb, "age_band", age_band(year, to), people);
            }
            _ => add(&mut eb, &dim, &value.unwrap_or_default(), people),
        }
    }
    for (prov, people) in emergency_single.entered {
        if keep(&prov) {
            single_entered += people;
        }
    }
    for (p, began_in_period, shelter) in emergency {
        let prov = or_org(shelter, p.owner_org);
        if !keep(&prov) {
            continue;
        }
        if began_in_period {
            entered.insert(p.person_id);
        }
        if emergency_people.insert(p.person_id) {
            count(&mut eb, "province", &prov);
            person_dims(&p, &mut eb);
        }
    }
    let emergency_total = single_people + n(emergency_people.len());
    let entered_total = single_entered + n(entered.len());
    add(&mut eb, "entry", "entered", entered_total);
    add(
        &mut eb,
        "entry",
        "continuing",
        emergency_total - entered_total,
    );

    // 5. Protection programmes: people whose case entered the protection phase. From the
    //    summaries, the people with a single entry come as marginals (each counted once by
    //    construction), and the few with several from the records, each once as below.
    let mut protected = BTreeSet::new();
    let mut pb = Breakdown::new();
    let mut protected_single = 0i64;
    for (prov, dim, value, n) in protection_single {
        if !keep(&prov) {
            continue;
        }
        match dim.as_str() {
            "people" => {
                protected_single += n;
                add(&mut pb, "province", &prov, n);
            }
            "birth_year" => {
                let year = value.and_then(|y| y.parse::<i64>().ok());
                add(&mut pb, "age_band", age_band(year, to), n);
            }
            _ => add(&mut pb, &dim, &value.unwrap_or_default(), n),
        }
    }
    for p in protection {
        let prov = org_province(p.owner_org);
        if keep(&prov) && protected.insert(p.person_id) {
            count(&mut pb, "province", &prov);
            for f in crate::platform::codes::iter(&p.exploitation_forms) {
                count(&mut pb, "exploitation", f);
            }
            if let Some(s) = p.labour_sector.as_deref().filter(|s| !s.is_empty()) {
                count(&mut pb, "sector", s);
            }
            person_dims(&p, &mut pb);
        }
    }

    // 2. Street-unit contacts: people met on outings, as the units tallied them.
    let unit_province = |id: i64| {
        units
            .iter()
            .find(|s| i64::from(s.id) == id)
            .and_then(|s| s.province.clone())
            .unwrap_or_else(|| "—".into())
    };
    let mut street_total = 0i64;
    let mut sb = Breakdown::new();
    for (unit, people) in met {
        let prov = unit_province(unit);
        if keep(&prov) {
            street_total += people;
            add(&mut sb, "province", &prov, people);
        }
    }
    let (mut new_people, mut known_people) = (0i64, 0i64);
    for (unit, dim, value, n) in tallies {
        if province.is_some() && !keep(&unit_province(unit)) {
            continue;
        }
        match dim.as_str() {
            "gender" | "age_band" | "nationality" => add(&mut sb, &dim, &value, n),
            "status" if value == "new" => new_people += n,
            "status" => known_people += n,
            _ => {}
        }
    }
    if street_total > 0 {
        set(&mut sb, "status", "new", new_people);
        set(&mut sb, "status", "known", known_people);
    }

    // 3. Drop-in interviews, by province of the desk and outcome.
    let mut interviews_total = 0i64;
    let mut ib = Breakdown::new();
    for (desk, outcome, n) in interviews {
        let prov = unit_province(desk);
        if keep(&prov) {
            interviews_total += n;
            add(&mut ib, "province", &prov, n);
            add(&mut ib, "outcome", &outcome, n);
        }
    }

    // 6. Accompaniments ("accompagnamento ai servizi socio-sanitari"): people accompanied to
    //    a social or health service with the accompaniment done, each person once (by case,
    //    else by anonymous code, else by the caller reference of the hotline call it came
    //    from, else each accompaniment is a person), whatever the source.
    //    Other services and outcomes (missed, postponed; legal, police…) are in the
    //    breakdown, counted as accompaniments, never in the headline.
    let mut accompanied = BTreeSet::new();
    let mut ab = Breakdown::new();
    for (org, service, outcome, n) in other_accompaniments {
        if keep(&org_province(org)) {
            add(
                &mut ab,
                "other_accompaniment",
                &format!("{service}:{outcome}"),
                n,
            );
        }
    }
    for (id, org, service, contact, person, caller) in accompaniments {
        let prov = org_province(org);
        if !keep(&prov) {
            continue;
        }
        let who = match (person, contact, caller) {
            (Some(p), _, _) => Who::Person(p),
            (None, Some(c), _) => Who::Contact(c),
            (None, None, Some(r)) => Who::Caller(org, r),
            (None, None, None) => Who::Record(id),
        };
        if accompanied.insert(who) {
            count(&mut ab, "province", &prov);
            count(&mut ab, "service", &service);
        }
    }

    Ok(ActivityReport {
        from,
        to,
        province: province.map(str::to_owned),
        figures: vec![
            Figure {
                key: "hotline_cases",
                value: Some(hotline_total),
                breakdown: flatten(hb),
            },
            Figure {
                key: "hotline_other_calls",
                value: Some(other_calls),
                breakdown: flatten(ob),
            },
            Figure {
                key: "street_unit_contacts",
                value: Some(street_total),
                breakdown: flatten(sb),
            },
            Figure {
                key: "drop_in_interviews",
                value: Some(interviews_total),
                breakdown: flatten(ib),
            },
            Figure {
                key: "emergency_reception",
                value: Some(emergency_total),
                breakdown: flatten(eb),
            },
            Figure {
                key: "protection_programmes",
                value: Some(protected_single + n(protected.len())),
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
        .get("/stats/estimate", aggregates, estimate_page::page)
        .get("/dati-aperti", Access::Public, public::page)
        .get("/stats/definizioni", Access::Public, definitions::page)
        .get(
            "/dati-aperti/microdati.csv",
            Access::Public,
            public::microdata,
        )
        .get(
            "/dati-aperti/aggregati.csv",
            Access::Public,
            public::aggregates,
        )
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
