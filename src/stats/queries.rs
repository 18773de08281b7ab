//! Set-based queries behind the activity report: each figure is one aggregate or one joined
//! scan, whatever the number of records (no query per record), written once with sea-query for
//! SQLite and PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

pub(super) fn a(name: &str) -> Alias {
    Alias::new(name)
}

pub(super) fn col(table: &str, column: &str) -> Expr {
    Expr::col((a(table), a(column)))
}

/// An integer column, whatever width the backend returns (COUNT and SUM are 64-bit on
/// PostgreSQL, plain columns 32-bit).
pub(super) fn int(row: &QueryResult, i: usize) -> Result<i64, DbErr> {
    row.try_get_by_index::<i64>(i)
        .or_else(|_| row.try_get_by_index::<i32>(i).map(i64::from))
        .or_else(|_| {
            row.try_get_by_index::<Option<i64>>(i)
                .map(|v| v.unwrap_or(0))
        })
}

pub(super) fn opt_text(row: &QueryResult, i: usize) -> Result<Option<String>, DbErr> {
    row.try_get_by_index::<Option<String>>(i)
}

/// Joins the organisation of `table`'s rows (its `column`) as `o`, for [`record_province`]
/// and [`organisation_province`].
pub(super) fn join_organisation(q: &mut SelectStatement, table: &str, column: &str) {
    q.join_as(
        JoinType::LeftJoin,
        a("organisation"),
        a("o"),
        col("o", "id").equals((a(table), a(column))),
    );
}

/// The province a record counts in: where the work was done (`table`'s `column`: the call's,
/// the shelter's), else its organisation's (joined as `o`), else "—". The database resolves
/// it, so that a figure's rows come back by province rather than by organisation (on SQLite
/// each row handed over costs more than the SQL that made it). Written out rather than built
/// with bound values, so that grouping by it repeats the selected expression word for word
/// (PostgreSQL sees two parameters as two expressions).
pub(super) fn record_province(table: &str, column: &str) -> Expr {
    Expr::cust(format!(
        r#"COALESCE(NULLIF("{table}"."{column}", ''), "o"."province", '—')"#
    ))
}

/// The organisations whose records no figure counts (test or training organisations).
pub(super) fn excluded_orgs() -> SelectStatement {
    Query::select()
        .expr(col("organisation", "id"))
        .from(a("organisation"))
        .and_where(col("organisation", "excluded_from_stats").eq(true))
        .to_owned()
}

/// The services of those organisations.
pub(super) fn excluded_services() -> SelectStatement {
    Query::select()
        .expr(col("network_service", "id"))
        .from(a("network_service"))
        .and_where(col("network_service", "organisation_id").in_subquery(excluded_orgs()))
        .to_owned()
}

async fn rows(db: &impl ConnectionTrait, q: &SelectStatement) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(q).await
}

/// Hotline cases in `[start, end)`: each situation counted once, at its first pertinent
/// contact (an earlier non-pertinent call of the same situation does not hide it, a follow-up
/// does not count again, a new situation from a known caller is a case of its own):
/// (forms, province, labour sector, count) of those first pertinent contacts.
pub async fn hotline_first_pertinent(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<(String, String, Option<String>, i64)>, DbErr> {
    let t = "hotline_contact";
    // An earlier pertinent contact of the same situation (earlier in time, or at the same
    // instant with a smaller id).
    let earlier = Query::select()
        .expr(Expr::val(1))
        .from_as(a(t), a("e"))
        .and_where(col("e", "situation_id").equals((a(t), a("situation_id"))))
        .and_where(col("e", "relevance").eq("pertinent"))
        .and_where(
            col("e", "started_at")
                .lt(col(t, "started_at"))
                .or(col("e", "started_at")
                    .equals((a(t), a("started_at")))
                    .and(col("e", "id").lt(col(t, "id")))),
        )
        .to_owned();
    let mut q = Query::select();
    q.expr(col(t, "exploitation_forms"))
        .expr(record_province(t, "province"))
        .expr(col(t, "labour_sector"))
        .expr(Func::count(col(t, "id")))
        .from(a(t));
    join_organisation(&mut q, t, "organisation_id");
    q.and_where(col(t, "relevance").eq("pertinent"))
        .and_where(col(t, "started_at").gte(start))
        .and_where(col(t, "started_at").lt(end))
        .and_where(Expr::exists(earlier).not())
        .and_where(col(t, "organisation_id").not_in_subquery(excluded_orgs()))
        .add_group_by([
            col(t, "exploitation_forms"),
            record_province(t, "province"),
            col(t, "labour_sector"),
        ]);
    let mut out = Vec::new();
    for r in rows(db, &q).await? {
        out.push((
            opt_text(&r, 0)?.unwrap_or_default(),
            opt_text(&r, 1)?.unwrap_or_default(),
            opt_text(&r, 2)?,
            int(&r, 3)?,
        ));
    }
    Ok(out)
}

/// Hotline contacts in `[start, end)` that were not cases: (relevance, province, count) of
/// the non-pertinent and nuisance calls.
pub async fn hotline_other_calls(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<(String, String, i64)>, DbErr> {
    let t = "hotline_contact";
    let mut q = Query::select();
    q.expr(col(t, "relevance"))
        .expr(record_province(t, "province"))
        .expr(Func::count(col(t, "id")))
        .from(a(t));
    join_organisation(&mut q, t, "organisation_id");
    q.and_where(col(t, "relevance").ne("pertinent"))
        .and_where(col(t, "started_at").gte(start))
        .and_where(col(t, "started_at").lt(end))
        .and_where(col(t, "organisation_id").not_in_subquery(excluded_orgs()))
        .add_group_by([col(t, "relevance"), record_province(t, "province")]);
    let mut out = Vec::new();
    for r in rows(db, &q).await? {
        out.push((
            opt_text(&r, 0)?.unwrap_or_default(),
            opt_text(&r, 1)?.unwrap_or_default(),
            int(&r, 2)?,
        ));
    }
    Ok(out)
}

/// A person behind a case, by their non-identifying attributes only.
#[derive(Clone, Debug)]
pub struct PersonRow {
    pub person_id: i64,
    pub owner_org: i64,
    pub gender: String,
    pub nationalities: String,
    pub birth_year: Option<i64>,
    pub exploitation_forms: String,
    pub labour_sector: Option<String>,
}

pub(super) fn person_columns(q: &mut SelectStatement) {
    q.expr(col("case_file", "person_id"))
        .expr(col("case_file", "owner_org"))
        .expr(col("person", "gender"))
        .expr(col("person", "nationalities"))
        .expr(col("person", "birth_year"))
        .expr(col("case_file", "exploitation_forms"))
        .expr(col("case_file", "labour_sector"))
        .inner_join(
            a("person"),
            col("person", "id").equals((a("case_file"), a("person_id"))),
        );
}

pub(super) fn person_row(r: &QueryResult) -> Result<PersonRow, DbErr> {
    Ok(PersonRow {
        person_id: int(r, 0)?,
        owner_org: int(r, 1)?,
        gender: opt_text(r, 2)?.unwrap_or_default(),
        nationalities: opt_text(r, 3)?.unwrap_or_default(),
        birth_year: r
            .try_get_by_index::<Option<i32>>(4)
            .map(|v| v.map(i64::from))
            .or_else(|_| r.try_get_by_index::<Option<i64>>(4))?,
        exploitation_forms: opt_text(r, 5)?.unwrap_or_default(),
        labour_sector: opt_text(r, 6)?,
    })
}

/// How `stats_several` names the people with several emergency stays (see `daily`).
pub const EMERGENCY: &str = "emergency";

/// Narrows `q` to the people the summaries name as having several entries or stays of
/// `figure` (`stats_several`).
fn only_several(q: &mut SelectStatement, figure: &str) {
    let s = "stats_several";
    q.inner_join(
        a(s),
        col(s, "person_id")
            .equals((a("case_file"), a("person_id")))
            .and(col(s, "figure").eq(figure)),
    );
}

/// People who used an emergency bed in `[from, to]` (a stay overlapping the period: begun
/// on or before its last day, not ended before its first), in order, each row with whether
/// that stay began in the period and the province of the shelter that gave it. With
/// `several`, only the people the summaries name as having several emergency stays
/// (`stats_several`): the others are counted from the summaries.
pub async fn emergency_people(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    several: bool,
) -> Result<Vec<(PersonRow, bool, Option<String>)>, DbErr> {
    let mut q = Query::select();
    q.from(a("placement")).inner_join(
        a("case_file"),
        col("case_file", "id").equals((a("placement"), a("case_id"))),
    );
    if several {
        only_several(&mut q, EMERGENCY);
    }
    q.left_join(
        a("network_service"),
        col("network_service", "id").equals((a("placement"), a("service_id"))),
    );
    person_columns(&mut q);
    q.expr(col("placement", "since"));
    q.expr(col("network_service", "province"));
    q.and_where(col("placement", "emergency").eq(true))
        .and_where(col("case_file", "owner_org").not_in_subquery(excluded_orgs()))
        .and_where(col("placement", "since").lte(to))
        .and_where(
            col("placement", "until")
                .is_null()
                .or(col("placement", "until").gte(from)),
        )
        .order_by((a("placement"), a("since")), Order::Asc)
        .order_by((a("placement"), a("id")), Order::Asc);
    let mut out = Vec::new();
    for r in rows(db, &q).await? {
        let since: NaiveDate = r.try_get_by_index(7)?;
        out.push((person_row(&r)?, since >= from, opt_text(&r, 8)?));
    }
    Ok(out)
}

/// People whose case entered `phase` with effect on an Italian day in `[from, to]`, in order
/// (the day the change took effect, as entered: history entered after the fact counts in its
/// own period, and entering it out of order gives the same figures). With `several`, only
/// the people the summaries name as having entered it more than once (`stats_several`): the
/// others are counted from the summaries.
pub async fn people_entering(
    db: &impl ConnectionTrait,
    phase: &str,
    from: NaiveDate,
    to: NaiveDate,
    several: bool,
) -> Result<Vec<PersonRow>, DbErr> {
    let mut q = Query::select();
    q.from(a("case_phase")).inner_join(
        a("case_file"),
        col("case_file", "id").equals((a("case_phase"), a("case_id"))),
    );
    if several {
        only_several(&mut q, phase);
    }
    person_columns(&mut q);
    q.and_where(col("case_phase", "to_phase").eq(phase))
        .and_where(col("case_file", "owner_org").not_in_subquery(excluded_orgs()))
        .and_where(col("case_phase", "effective_on").gte(from))
        .and_where(col("case_phase", "effective_on").lte(to))
        .order_by((a("case_phase"), a("effective_on")), Order::Asc)
        .order_by((a("case_phase"), a("id")), Order::Asc);
    rows(db, &q).await?.iter().map(person_row).collect()
}

/// People met on outings started in `[start, end)`, per unit: (service id, people met).
pub async fn people_met_by_unit(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, DbErr> {
    let q = Query::select()
        .expr(col("outing", "service_id"))
        .expr(Func::sum(col("outing", "people_met")))
        .from(a("outing"))
        .and_where(col("outing", "started_at").gte(start))
        .and_where(col("outing", "started_at").lt(end))
        .and_where(col("outing", "organisation_id").not_in_subquery(excluded_orgs()))
        .group_by_col((a("outing"), a("service_id")))
        .to_owned();
    let mut out = Vec::new();
    for r in rows(db, &q).await? {
        out.push((int(&r, 0)?, int(&r, 1)?));
    }
    Ok(out)
}

/// Outing tallies in `[start, end)` per unit: (service id, dimension, value, sum). With
/// `by_unit` false the units are not told apart (service id 0): a smaller grouping for the
/// whole region.
pub async fn tallies_by_unit(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    by_unit: bool,
) -> Result<Vec<(i64, String, String, i64)>, DbErr> {
    // Each tally carries its outing's start and unit (migration 0014): no join needed.
    let t = "outing_count";
    let mut q = Query::select();
    if by_unit {
        q.expr(Func::coalesce([col(t, "service_id"), Expr::val(0)]))
            .group_by_col((a(t), a("service_id")));
    } else {
        q.expr(Expr::val(0));
    }
    q.expr(col(t, "dimension"))
        .expr(col(t, "value"))
        .expr(Func::sum(col(t, "count")))
        .from(a(t))
        .and_where(col(t, "started_at").gte(start))
        .and_where(col(t, "started_at").lt(end))
        .and_where(col(t, "service_id").not_in_subquery(excluded_services()))
        .group_by_col((a("outing_count"), a("dimension")))
        .group_by_col((a("outing_count"), a("value")));
    rows(db, &q).await?.iter().map(counted).collect()
}

/// A row of (id, code, code, count).
fn counted(r: &QueryResult) -> Result<(i64, String, String, i64), DbErr> {
    Ok((
        int(r, 0)?,
        opt_text(r, 1)?.unwrap_or_default(),
        opt_text(r, 2)?.unwrap_or_default(),
        int(r, 3)?,
    ))
}

/// Drop-in interviews held in `[from, to]`: (desk, outcome, count).
pub async fn interviews_by_desk(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, String, i64)>, DbErr> {
    let t = "drop_in_interview";
    let q = Query::select()
        .expr(col(t, "service_id"))
        .expr(col(t, "outcome"))
        .expr(Func::count(col(t, "id")))
        .from(a(t))
        .and_where(col(t, "held_on").gte(from))
        .and_where(col(t, "held_on").lte(to))
        .and_where(col(t, "organisation_id").not_in_subquery(excluded_orgs()))
        .group_by_col((a(t), a("service_id")))
        .group_by_col((a(t), a("outcome")))
        .to_owned();
    let mut out = Vec::new();
    for r in rows(db, &q).await? {
        out.push((
            int(&r, 0)?,
            opt_text(&r, 1)?.unwrap_or_default(),
            int(&r, 2)?,
        ));
    }
    Ok(out)
}

/// A headline accompaniment with who it was for: (id, organisation, service kind, street
/// contact, person, caller reference of the hotline call it came from).
pub type AccompanimentRow = (i64, i64, String, Option<i64>, Option<i64>, Option<String>);

/// Whether an accompaniment is in the figure's headline: to a social or health service, done.
fn headline(t: &str) -> Expr {
    col(t, "service_kind")
        .is_in(["health", "social"])
        .and(col(t, "outcome").eq("done"))
}

/// The accompaniments in `[from, to]` outside the figure's headline (other services, missed
/// or postponed), counted by the database: (organisation, service kind, outcome, count). They
/// are counted as accompaniments, not people, so none of them needs reading one by one.
pub async fn other_accompaniments(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, String, String, i64)>, DbErr> {
    let t = "accompaniment";
    let q = Query::select()
        .expr(col(t, "organisation_id"))
        .expr(col(t, "service_kind"))
        .expr(col(t, "outcome"))
        .expr(Func::count(col(t, "id")))
        .from(a(t))
        .and_where(col(t, "happened_on").gte(from))
        .and_where(col(t, "happened_on").lte(to))
        .and_where(col(t, "organisation_id").not_in_subquery(excluded_orgs()))
        .and_where(headline(t).not())
        .group_by_col((a(t), a("organisation_id")))
        .group_by_col((a(t), a("service_kind")))
        .group_by_col((a(t), a("outcome")))
        .to_owned();
    rows(db, &q).await?.iter().map(counted).collect()
}

/// The accompaniments in `[from, to]` in the figure's headline (see [`other_accompaniments`]
/// for the rest), each with the person behind it when known (through its case, or the case
/// its anonymous contact was linked to), in order.
pub async fn accompaniments(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AccompanimentRow>, DbErr> {
    let t = "accompaniment";
    let case_of = Func::coalesce([col(t, "case_id"), col("outreach_contact", "case_id")]);
    let q = Query::select()
        .expr(col(t, "id"))
        .expr(col(t, "organisation_id"))
        .expr(col(t, "service_kind"))
        .expr(col(t, "contact_id"))
        .expr(col("case_file", "person_id"))
        .expr(col("hotline_contact", "caller_ref"))
        .from(a(t))
        .left_join(
            a("outreach_contact"),
            col("outreach_contact", "id").equals((a(t), a("contact_id"))),
        )
        .left_join(
            a("hotline_contact"),
            col("hotline_contact", "id").equals((a(t), a("hotline_contact_id"))),
        )
        .left_join(a("case_file"), col("case_file", "id").eq(case_of))
        .and_where(col(t, "happened_on").gte(from))
        .and_where(col(t, "happened_on").lte(to))
        .and_where(col(t, "organisation_id").not_in_subquery(excluded_orgs()))
        .and_where(headline(t))
        .order_by((a(t), a("happened_on")), Order::Asc)
        .order_by((a(t), a("id")), Order::Asc)
        .to_owned();
    let mut out = Vec::new();
    for r in rows(db, &q).await? {
        let opt = |i: usize| -> Result<Option<i64>, DbErr> {
            r.try_get_by_index::<Option<i32>>(i)
                .map(|v| v.map(i64::from))
                .or_else(|_| r.try_get_by_index::<Option<i64>>(i))
        };
        out.push((
            int(&r, 0)?,
            int(&r, 1)?,
            opt_text(&r, 2)?.unwrap_or_default(),
            opt(3)?,
            opt(4)?,
            opt_text(&r, 5)?.filter(|c| !c.is_empty()),
        ));
    }
    Ok(out)
}
