//! Per-day summaries of the activity report's additive figures (issue 23).
//!
//! Four figures of the report are sums over records: hotline cases (first pertinent contact of
//! each situation) and other calls, people met by street units and the units' tallies. Each is
//! kept in `stats_day`, one row per Italian day and breakdown (`span = 'd'`), rolled up by month
//! (`span = 'm'`) and by year (`span = 'y'`, from the month rows), so that a ten-year report
//! reads ten rows per breakdown rather than 3,650 or 120; and refreshed in the transaction of
//! the record that changes it: a hotline
//! contact refreshes the days of its situation (a contact entered after the fact can move a
//! situation's first pertinent contact to another day), an outing refreshes its own day. A
//! refresh recounts the day from the raw rows (the reference), so a day can never drift, and
//! carries the difference between its old and new rows into its month and year rows (a write
//! costs the keys it changes, not a re-sum of a month and a year; `stats check` compares each
//! month and year with the sum of its days and months, `stats rebuild` re-sums them); on
//! PostgreSQL an advisory lock held to the end of the transaction serialises
//! refreshes (on SQLite the writer's lock already does), so two writers of the same day never
//! both recount without seeing each other.
//!
//! The hotline and case figures are keyed by the province their records count in (the call's
//! or shelter's, else the organisation's), resolved when written, and the records of the
//! organisations kept out of statistics are not written (ADR 0004): a ten-year report then
//! reads provinces × values rather than organisations × values. Changing an organisation's
//! province or its exclusion moves counts between keys, so it marks the summaries for
//! rebuilding in its own transaction ([`registry_moved`]): the report counts the records at
//! once, and the rebuild started after the change makes the summaries again. The street
//! figures keep their unit and organisation in the key and are filtered when reading.
//!
//! Figures about people count each person once in the period, which is not a sum over days
//! in general. Protection is summarised all the same, because nearly every person enters it
//! once in their life: for the people with a single entry the day rows keep the figure's
//! *marginals* (per province: the person, their gender, each nationality, birth
//! year, each form of exploitation, sector) on the day the entry took effect, which add up
//! over any period; the people with several entries are named in `stats_several` and the
//! report reads their entries from the records, each person once as before. A write that
//! gives a person an entry or changes what the figure breaks them down by calls
//! [`refresh_people`], which rewrites their mark and recounts every day holding one of their
//! entries.
//!
//! Emergency reception counts each person using an emergency bed in the period (a stay
//! overlapping it) once. Nearly every person has a single emergency stay; for them the day rows
//! keep the person's marginals twice, on the day the stay began (`emergency_began`) and on the
//! day it ended (`emergency_ended`), in the shelter's province (else the case's
//! organisation's): the people in `[from, to]` are the stays begun by `to` less those ended
//! before `from`, and those who entered in the period are the stays begun in it. The people
//! with several stays (or a stay ending before it began) are marked in `stats_several` and
//! read from the records. Accompaniments stay computed from the records.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, UnionType};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Statement, TransactionSession,
    TransactionTrait,
};

use super::queries::{
    EMERGENCY, PersonRow, a, col, excluded_orgs, excluded_services, int, opt_text, person_columns,
    person_row,
};
use crate::platform::time::{rome_date, rome_midnight};

const T: &str = "stats_day";
pub const HOTLINE_CASE: &str = "hotline_case";
pub const HOTLINE_OTHER: &str = "hotline_other";
pub const STREET_MET: &str = "street_met";
pub const STREET_TALLY: &str = "street_tally";
/// People entering protection, each once: the marginal counts of the people with a single
/// entry (see [`protection`]).
pub const PROTECTION: &str = "protection";
/// People using an emergency bed, each once: the marginals of the people with a single
/// emergency stay on the day it began, and on the day it ended (see [`emergency`]).
pub const EMERGENCY_BEGAN: &str = "emergency_began";
pub const EMERGENCY_ENDED: &str = "emergency_ended";
/// The people with several entries of a person-once figure, read from the records.
const SEVERAL: &str = "stats_several";

/// One summary row's identity: its figure, organisation, service and breakdown codes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub figure: &'static str,
    pub organisation: Option<i64>,
    pub service: Option<i64>,
    pub k1: Option<String>,
    pub k2: Option<String>,
    pub k3: Option<String>,
}

/// Counts by Italian day and key.
pub type Counts = BTreeMap<(NaiveDate, Key), i64>;

/// What the summaries of the case and hotline figures take from the network registry when
/// they are written: each organisation's province, and which organisations are kept out of
/// statistics (their records are not written at all). A change of either moves counts
/// between keys, so it marks the summaries for rebuilding ([`registry_moved`]).
struct Registry {
    provinces: BTreeMap<i64, Option<String>>,
    excluded: BTreeSet<i64>,
}

impl Registry {
    async fn read(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let q = Query::select()
            .expr(col("organisation", "id"))
            .expr(col("organisation", "province"))
            .expr(col("organisation", "excluded_from_stats"))
            .from(a("organisation"))
            .to_owned();
        let mut reg = Registry {
            provinces: BTreeMap::new(),
            excluded: BTreeSet::new(),
        };
        for r in db.query_all(&q).await? {
            let id = int(&r, 0)?;
            reg.provinces.insert(id, text(&r, 1)?);
            if r.try_get_by_index::<bool>(2)? {
                reg.excluded.insert(id);
            }
        }
        Ok(reg)
    }

    /// The province an organisation's records count in (its own, else "—"), or `None` when
    /// it is kept out of statistics. As `organisation_province` in the records' queries.
    fn organisation(&self, org: i64) -> Option<String> {
        if self.excluded.contains(&org) {
            return None;
        }
        let own = self.provinces.get(&org).cloned().flatten();
        Some(own.unwrap_or_else(|| "—".into()))
    }

    /// The province a record counts in: where the work was done (`own`: the call's, the
    /// shelter's), else its organisation's; `None` when the organisation is kept out of
    /// statistics. As `record_province` in the records' queries.
    fn record(&self, own: Option<String>, org: i64) -> Option<String> {
        let org_province = self.organisation(org)?;
        Some(own.filter(|p| !p.is_empty()).unwrap_or(org_province))
    }
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month.checked_add_months(Months::new(1)).unwrap_or(month)
}

fn year_of(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day)
}

fn next_year(year: NaiveDate) -> NaiveDate {
    year.checked_add_months(Months::new(12)).unwrap_or(year)
}

/// How a period `[from, to]` of days is read: the whole years inside it from the year rows
/// (`[y0, y1)`, years beginning on those days), the whole months before and after them from
/// the month rows (each `[m0, m1)`), and the days before and after those from the day rows
/// (each `[d0, d1]`, both included).
#[derive(Debug, PartialEq, Eq)]
pub struct Spans {
    pub years: Option<(NaiveDate, NaiveDate)>,
    pub months: Vec<(NaiveDate, NaiveDate)>,
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

pub fn spans(from: NaiveDate, to: NaiveDate) -> Spans {
    let m0 = if from.day() == 1 {
        from
    } else {
        next_month(month_of(from))
    };
    let after = to.succ_opt().unwrap_or(to);
    let m1 = month_of(after);
    if m0 >= m1 {
        return Spans {
            years: None,
            months: Vec::new(),
            days: vec![(from, to)],
        };
    }
    let mut days = Vec::new();
    if from < m0 {
        days.push((from, m0.pred_opt().unwrap_or(m0)));
    }
    if m1 <= to {
        days.push((m1, to));
    }
    let y0 = if m0.month() == 1 {
        m0
    } else {
        next_year(year_of(m0))
    };
    let y1 = year_of(m1);
    if y0 >= y1 {
        return Spans {
            years: None,
            months: vec![(m0, m1)],
            days,
        };
    }
    let mut months = Vec::new();
    if m0 < y0 {
        months.push((m0, y0));
    }
    if y1 < m1 {
        months.push((y1, m1));
    }
    Spans {
        years: Some((y0, y1)),
        months,
        days,
    }
}

/// `SUM(n)` as a 64-bit integer on both backends (PostgreSQL sums BIGINT as NUMERIC).
fn sum_n() -> Expr {
    Func::cast_as(Func::sum(col(T, "n")), a("BIGINT")).into()
}

fn ts(r: &QueryResult, i: usize) -> Result<DateTime<Utc>, DbErr> {
    r.try_get_by_index::<DateTime<Utc>>(i)
}

fn text(r: &QueryResult, i: usize) -> Result<Option<String>, DbErr> {
    opt_text(r, i)
}

/// Recounts every summarised figure from the raw rows of `[start, end)`, by Italian day, with
/// no organisation left out (that is decided when reading).
pub async fn recount(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Counts, DbErr> {
    let registry = Registry::read(db).await?;
    let mut out = Counts::new();
    let mut add = |at: DateTime<Utc>, key: Key, n: i64| {
        *out.entry((rome_date(at), key)).or_insert(0) += n;
    };
    let h = "hotline_contact";
    // An earlier pertinent contact of the same situation (as in `queries`).
    let earlier = Query::select()
        .expr(Expr::val(1))
        .from_as(a(h), a("e"))
        .and_where(col("e", "situation_id").equals((a(h), a("situation_id"))))
        .and_where(col("e", "relevance").eq("pertinent"))
        .and_where(
            col("e", "started_at")
                .lt(col(h, "started_at"))
                .or(col("e", "started_at")
                    .equals((a(h), a("started_at")))
                    .and(col("e", "id").lt(col(h, "id")))),
        )
        .to_owned();
    let first = Query::select()
        .expr(col(h, "started_at"))
        .expr(col(h, "exploitation_forms"))
        .expr(col(h, "province"))
        .expr(col(h, "labour_sector"))
        .expr(col(h, "organisation_id"))
        .from(a(h))
        .and_where(col(h, "relevance").eq("pertinent"))
        .and_where(col(h, "started_at").gte(start))
        .and_where(col(h, "started_at").lt(end))
        .and_where(Expr::exists(earlier).not())
        .to_owned();
    for r in db.query_all(&first).await? {
        // By the province the call counts in, resolved now (see [`Registry`]).
        let Some(province) = registry.record(text(&r, 2)?, int(&r, 4)?) else {
            continue;
        };
        add(
            ts(&r, 0)?,
            Key {
                figure: HOTLINE_CASE,
                organisation: None,
                service: None,
                k1: text(&r, 1)?,
                k2: Some(province),
                k3: text(&r, 3)?,
            },
            1,
        );
    }
    let other = Query::select()
        .expr(col(h, "started_at"))
        .expr(col(h, "relevance"))
        .expr(col(h, "province"))
        .expr(col(h, "organisation_id"))
        .from(a(h))
        .and_where(col(h, "relevance").ne("pertinent"))
        .and_where(col(h, "started_at").gte(start))
        .and_where(col(h, "started_at").lt(end))
        .to_owned();
    for r in db.query_all(&other).await? {
        let Some(province) = registry.record(text(&r, 2)?, int(&r, 3)?) else {
            continue;
        };
        add(
            ts(&r, 0)?,
            Key {
                figure: HOTLINE_OTHER,
                organisation: None,
                service: None,
                k1: text(&r, 1)?,
                k2: Some(province),
                k3: None,
            },
            1,
        );
    }
    let outings = Query::select()
        .expr(col("outing", "started_at"))
        .expr(col("outing", "service_id"))
        .expr(col("outing", "organisation_id"))
        .expr(col("outing", "people_met"))
        .from(a("outing"))
        .and_where(col("outing", "started_at").gte(start))
        .and_where(col("outing", "started_at").lt(end))
        .to_owned();
    for r in db.query_all(&outings).await? {
        add(
            ts(&r, 0)?,
            Key {
                figure: STREET_MET,
                organisation: Some(int(&r, 2)?),
                service: Some(int(&r, 1)?),
                k1: None,
                k2: None,
                k3: None,
            },
            int(&r, 3)?,
        );
    }
    let c = "outing_count";
    // A tally without its unit is in no unit's figures (as with the raw rows).
    let tallies = Query::select()
        .expr(col(c, "started_at"))
        .expr(col(c, "service_id"))
        .expr(col(c, "dimension"))
        .expr(col(c, "value"))
        .expr(col(c, "count"))
        .from(a(c))
        .and_where(col(c, "started_at").gte(start))
        .and_where(col(c, "started_at").lt(end))
        .and_where(col(c, "service_id").is_not_null())
        .to_owned();
    for r in db.query_all(&tallies).await? {
        add(
            ts(&r, 0)?,
            Key {
                figure: STREET_TALLY,
                organisation: None,
                service: Some(int(&r, 1)?),
                k1: text(&r, 2)?,
                k2: text(&r, 3)?,
                k3: None,
            },
            int(&r, 4)?,
        );
    }
    let (d0, d1) = (rome_date(start), rome_date(end));
    for (day, key) in protection_singles(db, &registry, d0, d1).await? {
        *out.entry((day, key)).or_insert(0) += 1;
    }
    for (day, key) in emergency_singles(db, &registry, d0, d1).await? {
        *out.entry((day, key)).or_insert(0) += 1;
    }
    // A sum of nothing (an outing meeting no one) is no row.
    out.retain(|_, n| *n != 0);
    Ok(out)
}

/// The marginals one person with a single entry (protection) or stay (emergency) adds to its
/// day, in the province they count in (`k3`): one per dimension and value the report breaks
/// the figure down by (`people` counts the person; the age band depends on the report's
/// period, so the birth year is kept). Only protection is broken down by the case's forms and
/// sector.
fn person_marginals(figure: &'static str, p: &PersonRow, province: &str) -> Vec<Key> {
    let key = |dim: &str, value: Option<&str>| Key {
        figure,
        organisation: None,
        service: None,
        k1: Some(dim.to_owned()),
        k2: value.map(str::to_owned),
        k3: Some(province.to_owned()),
    };
    let mut out = vec![key("people", None), key("gender", Some(&p.gender))];
    let nationalities = crate::platform::codes::iter(&p.nationalities);
    out.extend(nationalities.map(|n| key("nationality", Some(n))));
    let year = p.birth_year.map(|y| y.to_string());
    out.push(key("birth_year", year.as_deref()));
    if figure != PROTECTION {
        return out;
    }
    let forms = crate::platform::codes::iter(&p.exploitation_forms);
    out.extend(forms.map(|f| key("exploitation", Some(f))));
    if let Some(s) = p.labour_sector.as_deref().filter(|s| !s.is_empty()) {
        out.push(key("sector", Some(s)));
    }
    out
}

/// The mark of `case_file`'s person as having several entries or stays of `figure`
/// (`stats_several`, itself checked against the records by [`check`]). A lookup by key: a
/// correlated count of the person's entries would let SQLite, before `ANALYZE` (as right
/// after a bulk load), scan every entry once per row.
fn marked_several(figure: &str) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(a(SEVERAL))
        .and_where(col(SEVERAL, "figure").eq(figure))
        .and_where(col(SEVERAL, "person_id").equals((a("case_file"), a("person_id"))))
        .to_owned()
}

/// The marginals of the people whose only protection entry took effect in `[d0, d1)`, one
/// per entry and key, from the records (the reference) and the marks of the people with
/// several.
async fn protection_singles(
    db: &impl ConnectionTrait,
    registry: &Registry,
    d0: NaiveDate,
    d1: NaiveDate,
) -> Result<Vec<(NaiveDate, Key)>, DbErr> {
    let ph = "case_phase";
    let mut q = Query::select();
    q.from(a(ph)).inner_join(
        a("case_file"),
        col("case_file", "id").equals((a(ph), a("case_id"))),
    );
    person_columns(&mut q);
    q.expr(col(ph, "effective_on"))
        .and_where(col(ph, "to_phase").eq(PROTECTION))
        .and_where(col(ph, "effective_on").gte(d0))
        .and_where(col(ph, "effective_on").lt(d1))
        .and_where(Expr::exists(marked_several(PROTECTION)).not());
    let mut out = Vec::new();
    for r in db.query_all(&q).await? {
        let p = person_row(&r)?;
        let day: NaiveDate = r.try_get_by_index(7)?;
        // In the province of the case's organisation.
        let Some(province) = registry.organisation(p.owner_org) else {
            continue;
        };
        out.extend(
            person_marginals(PROTECTION, &p, &province)
                .into_iter()
                .map(|key| (day, key)),
        );
    }
    Ok(out)
}

/// The marginals of the people whose only emergency stay began (`emergency_began`) or ended
/// (`emergency_ended`) in `[d0, d1)`, one per stay and key, from the records and the marks of
/// the people with several.
async fn emergency_singles(
    db: &impl ConnectionTrait,
    registry: &Registry,
    d0: NaiveDate,
    d1: NaiveDate,
) -> Result<Vec<(NaiveDate, Key)>, DbErr> {
    let pl = "placement";
    let mut out = Vec::new();
    for (figure, day) in [(EMERGENCY_BEGAN, "since"), (EMERGENCY_ENDED, "until")] {
        let mut q = Query::select();
        q.from(a(pl)).inner_join(
            a("case_file"),
            col("case_file", "id").equals((a(pl), a("case_id"))),
        );
        q.left_join(
            a("network_service"),
            col("network_service", "id").equals((a(pl), a("service_id"))),
        );
        person_columns(&mut q);
        q.expr(col(pl, day))
            .expr(col("network_service", "province"))
            .and_where(col(pl, "emergency").eq(true))
            .and_where(col(pl, day).gte(d0))
            .and_where(col(pl, day).lt(d1))
            .and_where(Expr::exists(marked_several(EMERGENCY)).not());
        for r in db.query_all(&q).await? {
            let p = person_row(&r)?;
            let on: NaiveDate = r.try_get_by_index(7)?;
            // In the shelter's province, else the case's organisation's.
            let Some(province) = registry.record(text(&r, 8)?, p.owner_org) else {
                continue;
            };
            out.extend(
                person_marginals(figure, &p, &province)
                    .into_iter()
                    .map(|key| (on, key)),
            );
        }
    }
    Ok(out)
}

/// Each given person's emergency stays: (person, began, ended).
type Stay = (i64, NaiveDate, Option<NaiveDate>);

/// The rows of `table` (a case's phases or stays) with their case's person, of `people` (all
/// when `None`): the person first, then `columns`.
fn of_people(table: &str, columns: &[&str], people: Option<&BTreeSet<i64>>) -> SelectStatement {
    let mut q = Query::select();
    q.expr(col("case_file", "person_id"));
    for c in columns {
        q.expr(col(table, c));
    }
    q.from(a(table)).inner_join(
        a("case_file"),
        col("case_file", "id").equals((a(table), a("case_id"))),
    );
    if let Some(people) = people {
        q.and_where(col("case_file", "person_id").is_in(people.iter().copied()));
    }
    q
}

async fn emergency_stays(
    db: &impl ConnectionTrait,
    people: Option<&BTreeSet<i64>>,
) -> Result<Vec<Stay>, DbErr> {
    let mut q = of_people("placement", &["since", "until"], people);
    q.and_where(col("placement", "emergency").eq(true));
    let mut out = Vec::new();
    for r in db.query_all(&q).await? {
        out.push((
            int(&r, 0)?,
            r.try_get_by_index::<NaiveDate>(1)?,
            r.try_get_by_index::<Option<NaiveDate>>(2)?,
        ));
    }
    Ok(out)
}

/// The people the emergency marginals cannot count: several stays, or a stay recorded as
/// ending before it began (its end would be taken away without its beginning counted).
fn several_stays(stays: &[Stay]) -> BTreeSet<i64> {
    let mut seen = BTreeSet::new();
    let mut several = BTreeSet::new();
    for (person, since, until) in stays {
        if !seen.insert(*person) || until.is_some_and(|u| u < *since) {
            several.insert(*person);
        }
    }
    several
}

/// The days an emergency stay counts on: the day it began and the day it ended.
fn stay_days(stays: &[Stay]) -> impl Iterator<Item = NaiveDate> + '_ {
    stays
        .iter()
        .flat_map(|(_, since, until)| std::iter::once(*since).chain(*until))
}

/// Each given person's protection entries: (person, day it took effect, if entered).
async fn protection_entries(
    db: &impl ConnectionTrait,
    people: Option<&BTreeSet<i64>>,
) -> Result<Vec<(i64, Option<NaiveDate>)>, DbErr> {
    let mut q = of_people("case_phase", &["effective_on"], people);
    q.and_where(col("case_phase", "to_phase").eq(PROTECTION));
    let mut out = Vec::new();
    for r in db.query_all(&q).await? {
        out.push((int(&r, 0)?, r.try_get_by_index::<Option<NaiveDate>>(1)?));
    }
    Ok(out)
}

/// The people with several protection entries, from the records.
fn several_of(entries: &[(i64, Option<NaiveDate>)]) -> BTreeSet<i64> {
    let mut seen = BTreeSet::new();
    let mut several = BTreeSet::new();
    for (person, _) in entries {
        if !seen.insert(*person) {
            several.insert(*person);
        }
    }
    several
}

/// The people `stats_several` names for `figure`.
async fn stored_several(db: &impl ConnectionTrait, figure: &str) -> Result<BTreeSet<i64>, DbErr> {
    let q = Query::select()
        .expr(col(SEVERAL, "person_id"))
        .from(a(SEVERAL))
        .and_where(col(SEVERAL, "figure").eq(figure))
        .to_owned();
    let mut out = BTreeSet::new();
    for r in db.query_all(&q).await? {
        out.insert(int(&r, 0)?);
    }
    Ok(out)
}

/// Rewrites `stats_several` for `figure` and `people` (all when `None`) from their entries.
async fn write_several(
    db: &impl ConnectionTrait,
    figure: &'static str,
    people: Option<&BTreeSet<i64>>,
    several: &BTreeSet<i64>,
) -> Result<(), DbErr> {
    let mut del = Query::delete();
    del.from_table(a(SEVERAL))
        .and_where(col(SEVERAL, "figure").eq(figure));
    if let Some(people) = people {
        del.and_where(col(SEVERAL, "person_id").is_in(people.iter().copied()));
    }
    db.execute(&del).await?;
    let rows: Vec<i64> = several.iter().copied().collect();
    for chunk in rows.chunks(200) {
        let mut q = Query::insert();
        q.into_table(a(SEVERAL))
            .columns([a("figure"), a("person_id")]);
        for p in chunk {
            q.values([figure.into(), (*p).into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&q).await?;
    }
    Ok(())
}

/// Brings the summaries of the figures about people (protection, emergency reception) of
/// `people` up to date in the caller's transaction: called by every write that gives a person
/// a protection entry or an emergency stay, ends a stay, or changes what the figures break a
/// person down by (their case's organisation, forms of exploitation and sector; their gender,
/// nationalities and birth year). Whether each has several entries or stays is rewritten,
/// and every day holding one of their entries, or a beginning or end of one of their stays,
/// is recounted (a person gaining a second entry or stay leaves the marginals of the first).
pub async fn refresh_people(
    db: &impl ConnectionTrait,
    people: &BTreeSet<i64>,
) -> Result<(), DbErr> {
    if people.is_empty() {
        return Ok(());
    }
    lock(db).await?;
    let entries = protection_entries(db, Some(people)).await?;
    write_several(db, PROTECTION, Some(people), &several_of(&entries)).await?;
    let stays = emergency_stays(db, Some(people)).await?;
    write_several(db, EMERGENCY, Some(people), &several_stays(&stays)).await?;
    let mut days: BTreeSet<NaiveDate> = entries.iter().filter_map(|(_, d)| *d).collect();
    days.extend(stay_days(&stays));
    refresh_days(db, &days).await
}

/// Serialises summary refreshes until the end of the transaction: PostgreSQL takes an advisory
/// lock; SQLite's first write (the delete that follows) takes the database's writer lock.
async fn lock(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            // "SATIS stats_day", as a number.
            "SELECT pg_advisory_xact_lock(5347415449530001)",
        ))
        .await?;
    }
    Ok(())
}

/// Inserts `counts` as rows of `span`.
async fn insert_rows(db: &impl ConnectionTrait, span: &str, counts: &Counts) -> Result<(), DbErr> {
    let rows: Vec<_> = counts.iter().collect();
    for chunk in rows.chunks(200) {
        let mut q = Query::insert();
        q.into_table(a(T)).columns([
            a("span"),
            a("day"),
            a("figure"),
            a("organisation_id"),
            a("service_id"),
            a("k1"),
            a("k2"),
            a("k3"),
            a("n"),
        ]);
        for ((day, k), n) in chunk {
            q.values([
                span.into(),
                (*day).into(),
                k.figure.into(),
                k.organisation.into(),
                k.service.into(),
                k.k1.clone().into(),
                k.k2.clone().into(),
                k.k3.clone().into(),
                (**n).into(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&q).await?;
    }
    Ok(())
}

/// Deletes the rows of `span` for days in `[from, to]`.
async fn delete(
    db: &impl ConnectionTrait,
    span: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(), DbErr> {
    let q = Query::delete()
        .from_table(a(T))
        .and_where(col(T, "span").eq(span))
        .and_where(col(T, "day").gte(from))
        .and_where(col(T, "day").lte(to))
        .to_owned();
    db.execute(&q).await?;
    Ok(())
}

/// Rebuilds the `to` rows (`m` or `y`) of the span beginning on `first` and ending before
/// `end` from the `from` rows inside it (`d` or `m`).
async fn roll_up_span(
    db: &impl ConnectionTrait,
    (from, to): (&str, &str),
    first: NaiveDate,
    end: NaiveDate,
) -> Result<(), DbErr> {
    delete(db, to, first, first).await?;
    let keys = ["figure", "organisation_id", "service_id", "k1", "k2", "k3"];
    let mut select = Query::select();
    select.expr(Expr::val(to)).expr(Expr::val(first));
    for k in keys {
        select.expr(col(T, k));
    }
    select
        .expr(sum_n())
        .from(a(T))
        .and_where(col(T, "span").eq(from))
        .and_where(col(T, "day").gte(first))
        .and_where(col(T, "day").lt(end));
    for k in keys {
        select.group_by_col((a(T), a(k)));
    }
    let mut columns = vec![a("span"), a("day")];
    columns.extend(keys.iter().map(|k| a(k)));
    columns.push(a("n"));
    let insert = Query::insert()
        .into_table(a(T))
        .columns(columns)
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// Rebuilds a month's rows from its day rows.
async fn roll_up(db: &impl ConnectionTrait, month: NaiveDate) -> Result<(), DbErr> {
    roll_up_span(db, ("d", "m"), month, next_month(month)).await
}

/// Rebuilds a year's rows from its month rows.
async fn roll_up_year(db: &impl ConnectionTrait, year: NaiveDate) -> Result<(), DbErr> {
    roll_up_span(db, ("m", "y"), year, next_year(year)).await
}

/// Recounts the given Italian days in the caller's transaction and carries the difference into
/// their months' and years' rows: called by every write that adds or changes a record a
/// summarised figure counts. The day rows are recounted from the raw rows (the reference); the
/// month and year rows change by the day rows' difference, so that a write costs the keys it
/// changes rather than a re-sum of its month and year (`stats check` compares both with their
/// sums, `stats rebuild` re-sums them).
pub async fn refresh_days(
    db: &impl ConnectionTrait,
    days: &BTreeSet<NaiveDate>,
) -> Result<(), DbErr> {
    if days.is_empty() {
        return Ok(());
    }
    lock(db).await?;
    let mut months: BTreeMap<NaiveDate, BTreeMap<Key, i64>> = BTreeMap::new();
    for day in days {
        let old = stored(db, "d", *day, *day).await?;
        delete(db, "d", *day, *day).await?;
        let next = day.succ_opt().unwrap_or(*day);
        let new = recount(db, rome_midnight(*day), rome_midnight(next)).await?;
        insert_rows(db, "d", &new).await?;
        let change = months.entry(month_of(*day)).or_default();
        for ((_, k), n) in new {
            *change.entry(k).or_insert(0) += n;
        }
        for ((_, k), n) in old {
            *change.entry(k).or_insert(0) -= n;
        }
    }
    let mut years: BTreeMap<NaiveDate, BTreeMap<Key, i64>> = BTreeMap::new();
    for (month, change) in &months {
        let year = years.entry(year_of(*month)).or_default();
        for (k, n) in change {
            *year.entry(k.clone()).or_insert(0) += n;
        }
    }
    for (month, change) in months {
        add_to(db, "m", month, change).await?;
    }
    for (year, change) in years {
        add_to(db, "y", year, change).await?;
    }
    Ok(())
}

/// Narrows `q` to the rows of `key` (a missing code is `NULL`, matched with `IS NULL`).
fn of_key<Q: sea_orm::sea_query::ConditionalStatement>(q: &mut Q, key: &Key) {
    q.and_where(col(T, "figure").eq(key.figure));
    let ids = [
        ("organisation_id", key.organisation),
        ("service_id", key.service),
    ];
    for (c, v) in ids {
        q.and_where(match v {
            Some(v) => col(T, c).eq(v),
            None => col(T, c).is_null(),
        });
    }
    let codes = [("k1", &key.k1), ("k2", &key.k2), ("k3", &key.k3)];
    for (c, v) in codes {
        q.and_where(match v {
            Some(v) => col(T, c).eq(v.as_str()),
            None => col(T, c).is_null(),
        });
    }
}

/// Adds `change` to the `span` rows (`m` or `y`) of the span beginning on `first`: a key it
/// lacks gets a row, a row falling to zero goes (as a re-sum would leave it).
async fn add_to(
    db: &impl ConnectionTrait,
    span: &str,
    first: NaiveDate,
    change: BTreeMap<Key, i64>,
) -> Result<(), DbErr> {
    let mut fell = false;
    for (key, n) in change {
        if n == 0 {
            continue;
        }
        let mut q = Query::update();
        q.table(a(T))
            .value(a("n"), Expr::col(a("n")).add(n))
            .and_where(col(T, "span").eq(span))
            .and_where(col(T, "day").eq(first));
        of_key(&mut q, &key);
        if db.execute(&q).await?.rows_affected() == 0 {
            insert_rows(db, span, &Counts::from([((first, key), n)])).await?;
        }
        fell |= n < 0;
    }
    if fell {
        let q = Query::delete()
            .from_table(a(T))
            .and_where(col(T, "span").eq(span))
            .and_where(col(T, "day").eq(first))
            .and_where(col(T, "n").eq(0))
            .to_owned();
        db.execute(&q).await?;
    }
    Ok(())
}

/// Recounts the month beginning on `month` in one transaction of its own (rebuild).
async fn rebuild_month<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    month: NaiveDate,
) -> Result<(), DbErr> {
    let end = next_month(month);
    let txn = db.begin().await?;
    lock(&txn).await?;
    delete(&txn, "d", month, end.pred_opt().unwrap_or(end)).await?;
    let counts = recount(&txn, rome_midnight(month), rome_midnight(end)).await?;
    insert_rows(&txn, "d", &counts).await?;
    roll_up(&txn, month).await?;
    txn.commit().await
}

/// The months holding records a summarised figure counts, in order.
async fn months_with_records(db: &impl ConnectionTrait) -> Result<Vec<NaiveDate>, DbErr> {
    let mut first: Option<NaiveDate> = None;
    let mut last: Option<NaiveDate> = None;
    for table in ["hotline_contact", "outing"] {
        let q = Query::select()
            .expr(Func::min(col(table, "started_at")))
            .expr(Func::max(col(table, "started_at")))
            .from(a(table))
            .to_owned();
        if let Some(r) = db.query_one(&q).await? {
            let lo = r.try_get_by_index::<Option<DateTime<Utc>>>(0)?;
            let hi = r.try_get_by_index::<Option<DateTime<Utc>>>(1)?;
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let (lo, hi) = (month_of(rome_date(lo)), month_of(rome_date(hi)));
                first = Some(first.map_or(lo, |f| Ord::min(f, lo)));
                last = Some(last.map_or(hi, |l| Ord::max(l, hi)));
            }
        }
    }
    // Protection entries count on the day they took effect, as entered.
    let q = Query::select()
        .expr(Func::min(col("case_phase", "effective_on")))
        .expr(Func::max(col("case_phase", "effective_on")))
        .from(a("case_phase"))
        .and_where(col("case_phase", "to_phase").eq(PROTECTION))
        .to_owned();
    if let Some(r) = db.query_one(&q).await? {
        let lo = r.try_get_by_index::<Option<NaiveDate>>(0)?;
        let hi = r.try_get_by_index::<Option<NaiveDate>>(1)?;
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let (lo, hi) = (month_of(lo), month_of(hi));
            first = Some(first.map_or(lo, |f| Ord::min(f, lo)));
            last = Some(last.map_or(hi, |l| Ord::max(l, hi)));
        }
    }
    // Emergency stays count on the days they began and ended.
    let pl = "placement";
    let q = Query::select()
        .expr(Func::min(col(pl, "since")))
        .expr(Func::max(col(pl, "since")))
        .expr(Func::min(col(pl, "until")))
        .expr(Func::max(col(pl, "until")))
        .from(a(pl))
        .and_where(col(pl, "emergency").eq(true))
        .to_owned();
    if let Some(r) = db.query_one(&q).await? {
        for i in 0..4 {
            if let Some(day) = r.try_get_by_index::<Option<NaiveDate>>(i)? {
                let m = month_of(day);
                first = Some(first.map_or(m, |f| Ord::min(f, m)));
                last = Some(last.map_or(m, |l| Ord::max(l, m)));
            }
        }
    }
    let mut months = Vec::new();
    if let (Some(mut m), Some(last)) = (first, last) {
        while m <= last {
            months.push(m);
            m = next_month(m);
        }
    }
    Ok(months)
}

/// `stats_summary_state` holds `BUILT` once the summaries cover every record, and `MOVED`
/// when the registry changed counts since the last rebuild began.
const BUILT: i32 = 1;
const MOVED: i32 = 2;

async fn has_state(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let s = "stats_summary_state";
    let q = Query::select()
        .expr(Func::count(col(s, "id")))
        .from(a(s))
        .and_where(col(s, "id").eq(id))
        .to_owned();
    Ok(match db.query_one(&q).await? {
        Some(r) => int(&r, 0)? > 0,
        None => false,
    })
}

/// Whether the summaries cover every record (else the report counts the raw rows).
pub async fn built(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    has_state(db, BUILT).await
}

/// Sets the state to exactly `ids`.
async fn set_state(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    let del = Query::delete()
        .from_table(a("stats_summary_state"))
        .to_owned();
    db.execute(&del).await?;
    for id in ids {
        let ins = Query::insert()
            .into_table(a("stats_summary_state"))
            .columns([a("id")])
            .values([(*id).into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        db.execute(&ins).await?;
    }
    Ok(())
}

/// Marks the summaries for rebuilding in the caller's transaction: an organisation's province
/// or its exclusion from statistics changed, which moves counts between the summaries' keys
/// (see [`Registry`]). The report counts the records until a rebuild ends; a rebuild running
/// meanwhile starts again rather than end as built.
pub async fn registry_moved(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    lock(db).await?;
    set_state(db, &[MOVED]).await
}

/// One rebuild at a time in this process (the page that moves the registry starts one, the
/// server at start, the command line).
static REBUILDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a rebuild did.
#[derive(Debug, Default)]
pub struct Rebuilt {
    pub months: usize,
    pub rows: i64,
}

/// Recounts every summary from the raw rows, a month at a time (writers keep refreshing their
/// own days meanwhile, and the report counts the raw rows until the end). When the registry
/// moves counts while it runs ([`registry_moved`]), it starts again (three times at most,
/// then the summaries stay marked for the next rebuild).
pub async fn rebuild<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<Rebuilt, DbErr> {
    let _one = REBUILDING.lock().await;
    for _ in 0..3 {
        let done = rebuild_once(db).await?;
        // Built, unless the registry moved since this rebuild began (the writer's lock is
        // taken first, so that a change and this end are one after the other).
        let txn = db.begin().await?;
        lock(&txn).await?;
        let q = Query::delete()
            .from_table(a("stats_summary_state"))
            .and_where(col("stats_summary_state", "id").eq(BUILT))
            .to_owned();
        txn.execute(&q).await?;
        let moved = has_state(&txn, MOVED).await?;
        if !moved {
            set_state(&txn, &[BUILT]).await?;
        }
        txn.commit().await?;
        if !moved {
            return Ok(done);
        }
    }
    Err(DbErr::Custom(
        "the registry kept changing while the statistics summaries were rebuilt".into(),
    ))
}

async fn rebuild_once<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<Rebuilt, DbErr> {
    set_state(db, &[]).await?;
    let all = Query::delete().from_table(a(T)).to_owned();
    db.execute(&all).await?;
    let txn = db.begin().await?;
    lock(&txn).await?;
    let entries = protection_entries(&txn, None).await?;
    write_several(&txn, PROTECTION, None, &several_of(&entries)).await?;
    let stays = emergency_stays(&txn, None).await?;
    write_several(&txn, EMERGENCY, None, &several_stays(&stays)).await?;
    txn.commit().await?;
    let months = months_with_records(db).await?;
    for m in &months {
        rebuild_month(db, *m).await?;
    }
    let years: BTreeSet<NaiveDate> = months.iter().map(|m| year_of(*m)).collect();
    for y in years {
        let txn = db.begin().await?;
        lock(&txn).await?;
        roll_up_year(&txn, y).await?;
        txn.commit().await?;
    }
    let q = Query::select()
        .expr(Func::count(col(T, "id")))
        .from(a(T))
        .to_owned();
    let rows = match db.query_one(&q).await? {
        Some(r) => int(&r, 0)?,
        None => 0,
    };
    Ok(Rebuilt {
        months: months.len(),
        rows,
    })
}

/// Where the summaries and the raw rows disagree.
#[derive(Debug, Default)]
pub struct Check {
    pub months: usize,
    /// Days whose day rows differ from the raw rows.
    pub days: Vec<NaiveDate>,
    /// Months whose month rows are not the sum of their day rows, and years (their first
    /// day) whose year rows are not the sum of their month rows.
    pub rolled_up: Vec<NaiveDate>,
    /// How many people are wrongly named, or wrongly not named, as having several entries
    /// of a person-once figure.
    pub several: usize,
}

impl Check {
    pub fn consistent(&self) -> bool {
        self.days.is_empty() && self.rolled_up.is_empty() && self.several == 0
    }
}

async fn stored(
    db: &impl ConnectionTrait,
    span: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Counts, DbErr> {
    let q = Query::select()
        .expr(col(T, "day"))
        .expr(col(T, "figure"))
        .expr(col(T, "organisation_id"))
        .expr(col(T, "service_id"))
        .expr(col(T, "k1"))
        .expr(col(T, "k2"))
        .expr(col(T, "k3"))
        .expr(col(T, "n"))
        .from(a(T))
        .and_where(col(T, "span").eq(span))
        .and_where(col(T, "day").gte(from))
        .and_where(col(T, "day").lte(to))
        .to_owned();
    let mut out = Counts::new();
    for r in db.query_all(&q).await? {
        let figure = match text(&r, 1)?.as_deref() {
            Some(HOTLINE_CASE) => HOTLINE_CASE,
            Some(HOTLINE_OTHER) => HOTLINE_OTHER,
            Some(STREET_MET) => STREET_MET,
            Some(STREET_TALLY) => STREET_TALLY,
            Some(PROTECTION) => PROTECTION,
            Some(EMERGENCY_BEGAN) => EMERGENCY_BEGAN,
            Some(EMERGENCY_ENDED) => EMERGENCY_ENDED,
            _ => "unknown",
        };
        let opt = |i: usize| -> Result<Option<i64>, DbErr> {
            r.try_get_by_index::<Option<i32>>(i)
                .map(|v| v.map(i64::from))
                .or_else(|_| r.try_get_by_index::<Option<i64>>(i))
        };
        let key = Key {
            figure,
            organisation: opt(2)?,
            service: opt(3)?,
            k1: text(&r, 4)?,
            k2: text(&r, 5)?,
            k3: text(&r, 6)?,
        };
        *out.entry((r.try_get_by_index::<NaiveDate>(0)?, key))
            .or_insert(0) += int(&r, 7)?;
    }
    Ok(out)
}

/// Compares every day's summary with a recount of its raw rows, every month's roll-up with
/// its days and every year's with its months. Read-only; a write committed during the check can show as a difference (run it
/// again, or on a quiet system).
pub async fn check(db: &impl ConnectionTrait) -> Result<Check, DbErr> {
    let mut report = Check::default();
    let months = months_with_records(db).await?;
    for m in &months {
        let end = next_month(*m);
        let last = end.pred_opt().unwrap_or(end);
        let raw = recount(db, rome_midnight(*m), rome_midnight(end)).await?;
        let days = stored(db, "d", *m, last).await?;
        let mut wrong: BTreeSet<NaiveDate> = BTreeSet::new();
        for (k, n) in &raw {
            if days.get(k) != Some(n) {
                wrong.insert(k.0);
            }
        }
        for (k, n) in &days {
            if raw.get(k) != Some(n) {
                wrong.insert(k.0);
            }
        }
        report.days.extend(wrong);
        let mut summed: BTreeMap<Key, i64> = BTreeMap::new();
        for ((_, k), n) in &days {
            *summed.entry(k.clone()).or_insert(0) += n;
        }
        let rolled: BTreeMap<Key, i64> = stored(db, "m", *m, *m)
            .await?
            .into_iter()
            .map(|((_, k), n)| (k, n))
            .collect();
        if rolled != summed {
            report.rolled_up.push(*m);
        }
    }
    let years: BTreeSet<NaiveDate> = months.iter().map(|m| year_of(*m)).collect();
    for y in years {
        let last = next_year(y).pred_opt().unwrap_or(y);
        let mut summed: BTreeMap<Key, i64> = BTreeMap::new();
        for ((_, k), n) in stored(db, "m", y, last).await? {
            *summed.entry(k).or_insert(0) += n;
        }
        summed.retain(|_, n| *n != 0);
        let rolled: BTreeMap<Key, i64> = stored(db, "y", y, y)
            .await?
            .into_iter()
            .map(|((_, k), n)| (k, n))
            .collect();
        if rolled != summed {
            report.rolled_up.push(y);
        }
    }
    let several = several_of(&protection_entries(db, None).await?);
    let stored = stored_several(db, PROTECTION).await?;
    report.several = several.symmetric_difference(&stored).count();
    let several = several_stays(&emergency_stays(db, None).await?);
    let stored = stored_several(db, EMERGENCY).await?;
    report.several += several.symmetric_difference(&stored).count();
    report.months = months.len();
    Ok(report)
}

// ---------- reading ----------

/// The query of `figure`'s rows counting in `[from, to]`: whole years from the year rows,
/// whole months from the month rows, the days before and after from the day rows, each one
/// range of the covering index, read as one table (`UNION ALL`, under the summaries' own name
/// so that a figure's columns, filter and grouping apply to it unchanged). The groups then
/// come back once, added up by the database, rather than once per span: on SQLite each row
/// the driver hands over costs more than the SQL that made it (docs/BENCHMARKS.md). Each arm
/// names only the index's columns so that PostgreSQL can answer it from the index alone.
/// `None` for an empty period.
fn period_query(figure: &str, from: NaiveDate, to: NaiveDate) -> Option<SelectStatement> {
    let s = spans(from, to);
    let mut ranges = Vec::new();
    if let Some((y0, y1)) = s.years {
        ranges.push(("y", y0, y1.pred_opt().unwrap_or(y1)));
    }
    for (m0, m1) in s.months {
        ranges.push(("m", m0, m1.pred_opt().unwrap_or(m1)));
    }
    for (d0, d1) in s.days {
        ranges.push(("d", d0, d1));
    }
    let arm = |(span, lo, hi): (&str, NaiveDate, NaiveDate)| {
        let mut q = Query::select();
        for c in [
            "span",
            "day",
            "figure",
            "organisation_id",
            "service_id",
            "k1",
            "k2",
            "k3",
            "n",
        ] {
            q.expr(col(T, c));
        }
        q.from(a(T))
            .and_where(col(T, "figure").eq(figure))
            .and_where(col(T, "span").eq(span))
            .and_where(col(T, "day").gte(lo))
            .and_where(col(T, "day").lte(hi));
        q
    };
    let mut ranges = ranges.into_iter();
    let mut union = arm(ranges.next()?);
    for r in ranges {
        union.union(UnionType::All, arm(r));
    }
    Some(Query::select().from_subquery(union, a(T)).to_owned())
}

/// Runs `figure`'s query for `[from, to]` with `shape` (its columns, filter and grouping;
/// the sum last), by `key`. The database's groups are still added up here: a key may merge
/// two of them (a value left empty and one not recorded both read as "").
async fn summed<K: Ord>(
    db: &impl ConnectionTrait,
    figure: &str,
    (from, to): (NaiveDate, NaiveDate),
    shape: impl Fn(&mut SelectStatement),
    key: impl Fn(&QueryResult) -> Result<(K, i64), DbErr>,
) -> Result<BTreeMap<K, i64>, DbErr> {
    let mut out = BTreeMap::new();
    if let Some(mut q) = period_query(figure, from, to) {
        shape(&mut q);
        for r in db.query_all(&q).await? {
            let (k, n) = key(&r)?;
            *out.entry(k).or_insert(0) += n;
        }
    }
    Ok(out)
}

/// As [`super::queries::hotline_first_pertinent`], from the summaries.
pub async fn hotline_first_pertinent(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, String, Option<String>, i64)>, DbErr> {
    let groups = summed(
        db,
        HOTLINE_CASE,
        (from, to),
        |q| {
            q.expr(col(T, "k1"))
                .expr(col(T, "k2"))
                .expr(col(T, "k3"))
                .expr(sum_n());
            for k in ["k1", "k2", "k3"] {
                q.group_by_col((a(T), a(k)));
            }
        },
        |r| {
            Ok((
                (
                    text(r, 0)?.unwrap_or_default(),
                    text(r, 1)?.unwrap_or_default(),
                    text(r, 2)?,
                ),
                int(r, 3)?,
            ))
        },
    )
    .await?;
    Ok(groups
        .into_iter()
        .map(|((f, p, s), n)| (f, p, s, n))
        .collect())
}

/// As [`super::queries::hotline_other_calls`], from the summaries.
pub async fn hotline_other_calls(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, String, i64)>, DbErr> {
    let groups = summed(
        db,
        HOTLINE_OTHER,
        (from, to),
        |q| {
            q.expr(col(T, "k1")).expr(col(T, "k2")).expr(sum_n());
            for k in ["k1", "k2"] {
                q.group_by_col((a(T), a(k)));
            }
        },
        |r| {
            Ok((
                (
                    text(r, 0)?.unwrap_or_default(),
                    text(r, 1)?.unwrap_or_default(),
                ),
                int(r, 2)?,
            ))
        },
    )
    .await?;
    Ok(groups
        .into_iter()
        .map(|((rel, p), n)| (rel, p, n))
        .collect())
}

/// The protection figure's marginals in `[from, to]` of the people with a single entry, by
/// the province of the case's organisation: (province, dimension, value, people). The people
/// with several entries are read from the records (`queries::people_entering` with
/// `several`).
pub async fn protection(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, String, Option<String>, i64)>, DbErr> {
    let groups = summed(
        db,
        PROTECTION,
        (from, to),
        |q| {
            q.expr(col(T, "k3"))
                .expr(col(T, "k1"))
                .expr(col(T, "k2"))
                .expr(sum_n());
            for k in ["k3", "k1", "k2"] {
                q.group_by_col((a(T), a(k)));
            }
        },
        |r| {
            Ok((
                (
                    text(r, 0)?.unwrap_or_default(),
                    text(r, 1)?.unwrap_or_default(),
                    text(r, 2)?,
                ),
                int(r, 3)?,
            ))
        },
    )
    .await?;
    Ok(groups
        .into_iter()
        .map(|((o, d, v), n)| (o, d, v, n))
        .collect())
}

/// The sums of an emergency series (`figure`) over `[from, to]`, by province (the shelter's,
/// else the organisation's, resolved when written), dimension and value (only the `people`
/// rows with `people_only`).
async fn emergency_series(
    db: &impl ConnectionTrait,
    figure: &str,
    (from, to): (NaiveDate, NaiveDate),
    people_only: bool,
) -> Result<BTreeMap<(String, String, Option<String>), i64>, DbErr> {
    summed(
        db,
        figure,
        (from, to),
        |q| {
            q.expr(col(T, "k3"))
                .expr(col(T, "k1"))
                .expr(col(T, "k2"))
                .expr(sum_n());
            for k in ["k3", "k1", "k2"] {
                q.group_by_col((a(T), a(k)));
            }
            if people_only {
                q.and_where(col(T, "k1").eq("people"));
            }
        },
        |r| {
            Ok((
                (
                    text(r, 0)?.unwrap_or_default(),
                    text(r, 1)?.unwrap_or_default(),
                    text(r, 2)?,
                ),
                int(r, 3)?,
            ))
        },
    )
    .await
}

/// Emergency reception in `[from, to]` of the people with a single emergency stay, from the
/// marginals (the people with several are read from the records, `queries::emergency_people`
/// with `several`).
#[derive(Debug, Default)]
pub struct EmergencySingles {
    /// (province, dimension, value, people) of the people whose stay overlaps the period:
    /// the stays begun by its last day less those ended before its first.
    pub people: Vec<(String, String, Option<String>, i64)>,
    /// (province, people) of those whose stay began in the period.
    pub entered: Vec<(String, i64)>,
}

/// The first day the emergency series are summed from: before any date a stay can have.
fn dawn() -> NaiveDate {
    NaiveDate::from_ymd_opt(1000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// See [`EmergencySingles`].
pub async fn emergency(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<EmergencySingles, DbErr> {
    let began = emergency_series(db, EMERGENCY_BEGAN, (dawn(), to), false);
    let ended = async {
        match from.pred_opt().filter(|d| *d >= dawn()) {
            Some(before) => emergency_series(db, EMERGENCY_ENDED, (dawn(), before), false).await,
            None => Ok(BTreeMap::new()),
        }
    };
    let entered = emergency_series(db, EMERGENCY_BEGAN, (from, to), true);
    let (mut people, ended, entered) = tokio::try_join!(began, ended, entered)?;
    for (k, n) in ended {
        *people.entry(k).or_insert(0) -= n;
    }
    Ok(EmergencySingles {
        people: people
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((p, d, v), n)| (p, d, v, n))
            .collect(),
        entered: entered.into_iter().map(|((p, _, _), n)| (p, n)).collect(),
    })
}

/// As [`super::queries::people_met_by_unit`], from the summaries.
pub async fn people_met_by_unit(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, i64)>, DbErr> {
    let groups = summed(
        db,
        STREET_MET,
        (from, to),
        |q| {
            q.expr(col(T, "service_id"))
                .expr(sum_n())
                .and_where(col(T, "organisation_id").not_in_subquery(excluded_orgs()))
                .group_by_col((a(T), a("service_id")));
        },
        |r| Ok((int(r, 0)?, int(r, 1)?)),
    )
    .await?;
    Ok(groups.into_iter().collect())
}

/// As [`super::queries::tallies_by_unit`], from the summaries.
pub async fn tallies_by_unit(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    by_unit: bool,
) -> Result<Vec<(i64, String, String, i64)>, DbErr> {
    let groups = summed(
        db,
        STREET_TALLY,
        (from, to),
        |q| {
            if by_unit {
                q.expr(col(T, "service_id"))
                    .group_by_col((a(T), a("service_id")));
            } else {
                q.expr(Expr::val(0));
            }
            q.expr(col(T, "k1"))
                .expr(col(T, "k2"))
                .expr(sum_n())
                .and_where(col(T, "service_id").not_in_subquery(excluded_services()))
                .group_by_col((a(T), a("k1")))
                .group_by_col((a(T), a("k2")));
        },
        |r| {
            Ok((
                (
                    int(r, 0)?,
                    text(r, 1)?.unwrap_or_default(),
                    text(r, 2)?.unwrap_or_default(),
                ),
                int(r, 3)?,
            ))
        },
    )
    .await?;
    Ok(groups
        .into_iter()
        .map(|((u, d, v), n)| (u, d, v, n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_figures_filter_applies_to_every_span_of_the_period() {
        let mut q = period_query("hotline_case", d("2016-12-04"), d("2026-12-03"))
            .unwrap_or_else(Query::select);
        q.and_where(col(T, "organisation_id").eq(7));
        let sql = q.to_string(sea_orm::sea_query::SqliteQueryBuilder);
        // The first days, the years, the months and the last days as one table, then the
        // figure's own filter on all of it.
        assert_eq!(sql.matches("UNION ALL").count(), 3, "{sql}");
        assert!(
            sql.ends_with(") AS \"stats_day\" WHERE \"stats_day\".\"organisation_id\" = 7"),
            "{sql}"
        );
    }

    #[test]
    fn a_period_reads_whole_years_then_whole_months_then_days() {
        // Ten years from the 4th: the first and last partial months by day, the months up to
        // the first new year and after the last by month, the nine years between by year.
        assert_eq!(
            spans(d("2016-12-04"), d("2026-12-03")),
            Spans {
                years: Some((d("2017-01-01"), d("2026-01-01"))),
                months: vec![(d("2026-01-01"), d("2026-12-01"))],
                days: vec![
                    (d("2016-12-04"), d("2016-12-31")),
                    (d("2026-12-01"), d("2026-12-03"))
                ],
            }
        );
        // From the middle of a year to the middle of another, on month boundaries.
        assert_eq!(
            spans(d("2019-04-01"), d("2022-08-31")),
            Spans {
                years: Some((d("2020-01-01"), d("2022-01-01"))),
                months: vec![
                    (d("2019-04-01"), d("2020-01-01")),
                    (d("2022-01-01"), d("2022-09-01"))
                ],
                days: vec![],
            }
        );
        // One calendar year exactly: one year row per breakdown.
        assert_eq!(
            spans(d("2025-01-01"), d("2025-12-31")),
            Spans {
                years: Some((d("2025-01-01"), d("2026-01-01"))),
                months: vec![],
                days: vec![],
            }
        );
        // Whole months inside one year: no year rows.
        assert_eq!(
            spans(d("2026-01-01"), d("2026-06-30")),
            Spans {
                years: None,
                months: vec![(d("2026-01-01"), d("2026-07-01"))],
                days: vec![],
            }
        );
        // Across a new year without a whole year: months on both sides, no year.
        assert_eq!(
            spans(d("2025-11-01"), d("2026-02-28")),
            Spans {
                years: None,
                months: vec![(d("2025-11-01"), d("2026-03-01"))],
                days: vec![],
            }
        );
        // Within one month, or across two partial ones: days only.
        assert_eq!(spans(d("2026-03-02"), d("2026-03-30")).months, vec![]);
        assert_eq!(
            spans(d("2026-02-15"), d("2026-03-14")),
            Spans {
                years: None,
                months: vec![],
                days: vec![(d("2026-02-15"), d("2026-03-14"))],
            }
        );
        // One whole month, February of a leap year, and one day.
        assert_eq!(
            spans(d("2028-02-01"), d("2028-02-29")).months,
            vec![(d("2028-02-01"), d("2028-03-01"))]
        );
        assert_eq!(
            spans(d("2026-05-31"), d("2026-05-31")),
            Spans {
                years: None,
                months: vec![],
                days: vec![(d("2026-05-31"), d("2026-05-31"))],
            }
        );
        // From the first of a month to the middle of the next: one month and some days.
        assert_eq!(
            spans(d("2026-04-01"), d("2026-05-10")),
            Spans {
                years: None,
                months: vec![(d("2026-04-01"), d("2026-05-01"))],
                days: vec![(d("2026-05-01"), d("2026-05-10"))],
            }
        );
    }

    #[test]
    fn every_day_of_a_period_is_read_once_whatever_its_bounds() {
        // The spans cover [from, to] exactly, without overlap, for bounds on and off month
        // and year boundaries.
        let bounds = [
            "2016-12-04",
            "2017-01-01",
            "2017-01-31",
            "2017-02-01",
            "2019-12-31",
            "2020-01-01",
            "2020-02-29",
            "2020-03-01",
            "2023-06-15",
            "2024-12-31",
            "2025-01-01",
            "2026-12-03",
        ];
        for f in bounds {
            for t in bounds {
                let (from, to) = (d(f), d(t));
                if from > to {
                    continue;
                }
                let s = spans(from, to);
                let mut covered = Vec::new();
                let mut add = |lo: NaiveDate, hi_excl: NaiveDate| {
                    let mut x = lo;
                    while x < hi_excl {
                        covered.push(x);
                        x = x.succ_opt().unwrap();
                    }
                };
                if let Some((y0, y1)) = s.years {
                    add(y0, y1);
                }
                for (m0, m1) in &s.months {
                    add(*m0, *m1);
                }
                for (d0, d1) in &s.days {
                    add(*d0, d1.succ_opt().unwrap());
                }
                covered.sort();
                let n = covered.len();
                covered.dedup();
                assert_eq!(covered.len(), n, "{f}..{t}: a day read twice");
                assert_eq!(covered.first(), Some(&from), "{f}..{t}");
                assert_eq!(covered.last(), Some(&to), "{f}..{t}");
                assert_eq!(
                    i64::try_from(n).unwrap(),
                    (to - from).num_days() + 1,
                    "{f}..{t}: a day missed"
                );
            }
        }
    }
}
