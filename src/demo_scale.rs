//! A reproducible national-scale history for benchmarks (`satis demo --scale national`):
//! ten years ending today, 2 million street contacts (100,000 outings of 20 people on
//! average), 300,000 hotline contacts, 50,000 people with their cases and phase histories,
//! 20,000 projects, with drop-in interviews, accompaniments and emergency placements.
//! Invented and pseudonymous throughout: no identity rows are written. Rows go in with
//! multi-row inserts inside transactions; ids are read back in insertion order.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, TransactionSession, TransactionTrait};

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub years: i64,
    pub outings: usize,
    pub hotline_contacts: usize,
    pub people: usize,
    pub projects: usize,
}

impl Scale {
    pub const NATIONAL: Scale = Scale {
        years: 10,
        outings: 100_000,
        hotline_contacts: 300_000,
        people: 50_000,
        projects: 20_000,
    };
}

/// What was generated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Generated {
    pub street_contacts: i64,
    pub outings: usize,
    pub hotline_contacts: usize,
    pub people: usize,
    pub projects: usize,
    pub interviews: usize,
    /// People accompanied to a health or social service (the report's figure).
    pub accompaniments: usize,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % Ord::max(n, 1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len() as u64) as usize]
    }
}

const CHUNK: usize = 500;

async fn ids_after(db: &impl ConnectionTrait, table: &str, after: i64) -> Result<Vec<i32>, DbErr> {
    let q = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).gt(after))
        .order_by(Alias::new("id"), Order::Asc)
        .to_owned();
    db.query_all(&q)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<i32>(0))
        .collect()
}

async fn max_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let q = Query::select()
        .expr(ExprTrait::max(Expr::col(Alias::new("id"))))
        .from(Alias::new(table))
        .to_owned();
    Ok(match db.query_one(&q).await? {
        Some(r) => r
            .try_get_by_index::<Option<i32>>(0)?
            .map(i64::from)
            .unwrap_or(0),
        None => 0,
    })
}

/// Writes the history into `db` (a demonstration database). `step` reports progress.
pub async fn generate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scale: Scale,
    seed: u64,
    mut step: impl FnMut(&str),
) -> Result<Generated, DbErr> {
    use crate::cases::entities::{case, person, phase_change, placement};
    use crate::hotline::entities::contact;
    use crate::outreach::entities::{accompaniment, count, interview, outing};
    let mut rng = Rng(seed);
    let mut out = Generated::default();
    let now = Utc::now();
    let first_day = now - Duration::days(365 * scale.years);
    let span_s = Ord::max((now - first_day).num_seconds(), 1) as u64;
    let when =
        |rng: &mut Rng| -> DateTime<Utc> { first_day + Duration::seconds(rng.next(span_s) as i64) };
    let orgs: Vec<(i32, String)> = crate::network::store::organisations(db)
        .await?
        .into_iter()
        .filter_map(|o| o.province.map(|p| (o.id, p)))
        .collect();
    if orgs.is_empty() {
        return Err(DbErr::Custom("the network registry is empty".into()));
    }
    let provinces = crate::network::rules::PROVINCES;

    // Units, desks and shelters: one of each per province.
    step("services");
    let mut units = Vec::new();
    let mut desks = Vec::new();
    let mut shelters = Vec::new();
    for (i, p) in provinces.iter().enumerate() {
        let org = orgs
            .iter()
            .find(|(_, op)| op == p)
            .map(|(id, _)| *id)
            .unwrap_or(orgs[i % orgs.len()].0);
        for (kind, list) in [
            ("street_unit", &mut units),
            ("drop_in", &mut desks),
            ("emergency_shelter", &mut shelters),
        ] {
            let beds: &[(&str, i32)] = if kind == "emergency_shelter" {
                &[("women", 100_000)]
            } else {
                &[]
            };
            let s = crate::network::store::add_service(
                db,
                org,
                kind,
                &format!("{kind} {p} (scala nazionale)"),
                Some((*p).to_owned()),
                "",
                "",
                false,
                None,
                beds,
            )
            .await?;
            list.push((s.id, org));
        }
    }

    // Hotline contacts.
    step("hotline contacts");
    let forms = crate::cases::rules::EXPLOITATION_FORMS;
    let mut left = scale.hotline_contacts;
    while left > 0 {
        let n = left.min(CHUNK);
        let txn = db.begin().await?;
        let rows: Vec<contact::ActiveModel> = (0..n)
            .map(|_| {
                let (org, _) = orgs[rng.next(orgs.len() as u64) as usize].clone();
                let pertinent = rng.next(3) > 0;
                contact::ActiveModel {
                    organisation_id: Set(org),
                    operator_id: Set(0),
                    channel: Set("phone".into()),
                    started_at: Set(when(&mut rng)),
                    duration_minutes: Set(1 + rng.next(30) as i32),
                    caller_kind: Set(None),
                    language: Set(None),
                    mediator_used: Set(false),
                    relevance: Set(if pertinent { "pertinent" } else { "nuisance" }.into()),
                    previous_contact_id: Set(None),
                    caller_ref: Set(None),
                    phone_index: Set(None),
                    reasons: Set(String::new()),
                    exploitation_forms: Set(if pertinent {
                        rng.pick(forms).to_owned()
                    } else {
                        String::new()
                    }),
                    labour_sector: Set(None),
                    province: Set(Some(rng.pick(provinces).to_owned())),
                    municipality: Set(String::new()),
                    outcomes: Set(String::new()),
                    notes_enc: Set(None),
                    case_id: Set(None),
                    version: Set(0),
                    ..Default::default()
                }
            })
            .collect();
        contact::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        left -= n;
        out.hotline_contacts += n;
    }
    // Each generated contact is a situation of its own.
    crate::hotline::store::own_situations(db).await?;

    // Outings and their tallies: 2 million people met in all.
    step("outings");
    let mut left = scale.outings;
    let genders = ["female", "male", "transgender"];
    let nationalities = ["NG", "RO", "AL", "CN", "MA", "BR", "PE", "UA"];
    while left > 0 {
        let n = left.min(CHUNK);
        let txn = db.begin().await?;
        let before = max_id(&txn, "outing").await?;
        let mut people = Vec::with_capacity(n);
        let mut starts = Vec::with_capacity(n);
        let rows: Vec<outing::ActiveModel> = (0..n)
            .map(|i| {
                let (unit, org) = units[rng.next(units.len() as u64) as usize];
                let start = when(&mut rng);
                let met = 10 + rng.next(21) as i32;
                people.push(met);
                starts.push((start, unit));
                outing::ActiveModel {
                    organisation_id: Set(org),
                    service_id: Set(unit),
                    started_at: Set(start),
                    ended_at: Set(start + Duration::hours(3)),
                    area: Set(String::new()),
                    places: Set(String::new()),
                    team: Set(String::new()),
                    mediators: Set(String::new()),
                    languages: Set(String::new()),
                    people_met: Set(met),
                    referrals_proposed: Set(0),
                    accompaniments_proposed: Set(0),
                    notes_enc: Set(None),
                    idempotency_key: Set(format!("scale-{seed}-{}-{i}", out.outings)),
                    created_by: Set(0),
                    created_at: Set(start),
                    ..Default::default()
                }
            })
            .collect();
        outing::Entity::insert_many(rows).exec(&txn).await?;
        let ids = ids_after(&txn, "outing", before).await?;
        let mut tallies = Vec::with_capacity(n * 6);
        for ((id, met), (start, unit)) in ids.iter().zip(&people).zip(&starts) {
            let women = met * 3 / 4;
            let new = met / 4;
            for (d, v, c) in [
                ("gender", genders[0], women),
                ("gender", genders[1 + rng.next(2) as usize], met - women),
                ("age_band", "unknown", *met),
                ("status", "new", new),
                ("status", "known", met - new),
                ("nationality", rng.pick(&nationalities), met / 2),
            ] {
                tallies.push(count::ActiveModel {
                    outing_id: Set(*id),
                    dimension: Set(d.into()),
                    value: Set(v.into()),
                    count: Set(c),
                    started_at: Set(Some(*start)),
                    service_id: Set(Some(*unit)),
                    ..Default::default()
                });
            }
            out.street_contacts += i64::from(*met);
        }
        for chunk in tallies.chunks(CHUNK) {
            count::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        left -= n;
        out.outings += n;
    }

    // People and cases, with phase histories and emergency placements.
    step("people and cases");
    let mut case_ids: Vec<(i32, i32)> = Vec::with_capacity(scale.people);
    let mut left = scale.people;
    while left > 0 {
        let n = left.min(CHUNK);
        let txn = db.begin().await?;
        let before = max_id(&txn, "person").await?;
        let opened: Vec<(DateTime<Utc>, i32)> = (0..n)
            .map(|_| (when(&mut rng), orgs[rng.next(orgs.len() as u64) as usize].0))
            .collect();
        let persons: Vec<person::ActiveModel> = (0..n)
            .map(|i| person::ActiveModel {
                code: Set(format!("NAZ-{seed}-{:07}", out.people + i)),
                gender: Set(rng.pick(&genders).to_owned()),
                birth_year: Set(Some(1970 + rng.next(38) as i32)),
                birth_year_estimated: Set(true),
                presumed_minor: Set(false),
                nationalities: Set(rng.pick(&nationalities).to_owned()),
                languages: Set(String::new()),
                vulnerabilities: Set(String::new()),
                created_by_org: Set(opened[i].1),
                created_at: Set(opened[i].0),
                identity_erased_at: Set(None),
                ..Default::default()
            })
            .collect();
        person::Entity::insert_many(persons).exec(&txn).await?;
        let person_ids = ids_after(&txn, "person", before).await?;
        let before_cases = max_id(&txn, "case_file").await?;
        let phases = [
            "emersion",
            "identification",
            "first_assistance",
            "protection",
            "inclusion",
            "closed",
        ];
        let mut depth = Vec::with_capacity(n);
        let cases: Vec<case::ActiveModel> = person_ids
            .iter()
            .zip(&opened)
            .map(|(pid, (at, org))| {
                let d = rng.next(6) as usize;
                depth.push(d);
                case::ActiveModel {
                    person_id: Set(*pid),
                    owner_org: Set(*org),
                    phase: Set(phases[d].into()),
                    closure_reason: Set((d == 5).then(|| "autonomy".into())),
                    trafficking_status: Set(Some("presumed".into())),
                    status_assessed_by: Set(None),
                    exploitation_forms: Set(rng.pick(forms).to_owned()),
                    labour_sector: Set(None),
                    means_of_control: Set(String::new()),
                    recruitment: Set(String::new()),
                    route: Set(String::new()),
                    transit_countries: Set(String::new()),
                    places: Set(String::new()),
                    legal_path: Set(None),
                    opened_at: Set(*at),
                    closed_at: Set((d == 5).then(|| *at + Duration::days(300))),
                    follow_up_due: Set(None),
                    last_activity_at: Set(*at),
                    version: Set(0),
                    ..Default::default()
                }
            })
            .collect();
        case::Entity::insert_many(cases).exec(&txn).await?;
        let ids = ids_after(&txn, "case_file", before_cases).await?;
        let mut history = Vec::new();
        let mut beds = Vec::new();
        for ((id, d), (at, org)) in ids.iter().zip(&depth).zip(&opened) {
            for k in 1..=*d {
                history.push(phase_change::ActiveModel {
                    case_id: Set(*id),
                    from_phase: Set(Some(phases[k - 1].into())),
                    to_phase: Set(phases[k].into()),
                    reason: Set((k == 5).then(|| "autonomy".into())),
                    at: Set(*at + Duration::days(30 * k as i64)),
                    effective_on: Set(Some(crate::platform::time::rome_date(
                        *at + Duration::days(30 * k as i64),
                    ))),
                    by_user: Set(0),
                    ..Default::default()
                });
            }
            if *d >= 2 && rng.next(3) == 0 {
                let (shelter, _) = shelters[rng.next(shelters.len() as u64) as usize];
                beds.push(placement::ActiveModel {
                    case_id: Set(*id),
                    service_id: Set(shelter),
                    bed_kind: Set("women".into()),
                    emergency: Set(true),
                    since: Set((*at + Duration::days(40)).date_naive()),
                    until: Set(Some((*at + Duration::days(70)).date_naive())),
                    ..Default::default()
                });
            }
            case_ids.push((*id, *org));
        }
        for chunk in history.chunks(CHUNK) {
            phase_change::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in beds.chunks(CHUNK) {
            placement::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        left -= n;
        out.people += n;
    }

    // Drop-in interviews and accompaniments: one of each for two cases in five.
    step("interviews and accompaniments");
    let outcomes = crate::outreach::rules::INTERVIEW_OUTCOMES;
    let services = crate::outreach::rules::SERVICE_KINDS;
    for chunk in case_ids.chunks(CHUNK) {
        let txn = db.begin().await?;
        let mut talks = Vec::new();
        let mut trips = Vec::new();
        for (case_id, org) in chunk {
            if rng.next(5) >= 2 {
                continue;
            }
            let day: NaiveDate = when(&mut rng).date_naive();
            let (desk, _) = desks[rng.next(desks.len() as u64) as usize];
            talks.push(interview::ActiveModel {
                organisation_id: Set(*org),
                service_id: Set(desk),
                held_on: Set(day),
                itinerant: Set(false),
                contact_id: Set(None),
                case_id: Set(Some(*case_id)),
                operator_id: Set(0),
                mediator: Set(String::new()),
                language: Set(None),
                topics: Set(String::new()),
                outcome: Set(rng.pick(outcomes).to_owned()),
                idempotency_key: Set(format!("scale-int-{case_id}")),
                created_at: Set(now),
                ..Default::default()
            });
            trips.push(accompaniment::ActiveModel {
                organisation_id: Set(*org),
                happened_on: Set(day),
                service_kind: Set(rng.pick(services).to_owned()),
                outcome: Set("done".into()),
                source: Set("case".into()),
                contact_id: Set(None),
                case_id: Set(Some(*case_id)),
                by_user: Set(0),
                idempotency_key: Set(format!("scale-acc-{case_id}")),
                created_at: Set(now),
                ..Default::default()
            });
        }
        out.interviews += talks.len();
        // The figure counts the people accompanied to health or social services.
        out.accompaniments += trips
            .iter()
            .filter(|t| {
                matches!(
                    &t.service_kind,
                    sea_orm::ActiveValue::Set(k) if k == "health" || k == "social"
                )
            })
            .count();
        if !talks.is_empty() {
            interview::Entity::insert_many(talks).exec(&txn).await?;
            accompaniment::Entity::insert_many(trips).exec(&txn).await?;
        }
        txn.commit().await?;
    }

    // Projects, on the first cases, in one edition per year.
    step("projects");
    use crate::projects::entities::project;
    let mut editions = Vec::new();
    for y in 0..scale.years {
        let start = (first_day + Duration::days(365 * y)).date_naive();
        let e = crate::projects::store::add_edition(
            db,
            &format!("Bando {} (scala nazionale)", start.format("%Y")),
            start,
            start + Duration::days(364),
            500_000_000,
            50_000_000,
        )
        .await?;
        editions.push(e.id);
    }
    let statuses = ["draft", "submitted", "approved", "rejected"];
    for chunk in case_ids
        .iter()
        .take(scale.projects)
        .collect::<Vec<_>>()
        .chunks(CHUNK)
    {
        let txn = db.begin().await?;
        let rows: Vec<project::ActiveModel> = chunk
            .iter()
            .map(|(case_id, org)| project::ActiveModel {
                case_id: Set(*case_id),
                owner_org: Set(*org),
                edition_id: Set(editions[rng.next(editions.len() as u64) as usize]),
                social_service_org: Set(None),
                social_worker: Set(String::new()),
                objectives: Set(String::new()),
                status: Set(rng.pick(&statuses).to_owned()),
                decision_reason: Set(String::new()),
                version: Set(0),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        out.projects += rows.len();
        project::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
    }
    // The statistics' per-day summaries of everything loaded in bulk.
    step("statistics summaries");
    crate::stats::daily::rebuild(db).await?;
    step("done");
    Ok(out)
}
