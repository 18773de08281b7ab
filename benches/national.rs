//! Benchmark at national scale (issue 11): generate the ten-year history of
//! `satis demo --scale national` into a fresh database, then time the ten-year activity report
//! against the same figures computed by hand-written SQL, a regional analyst's and a hotline
//! operator's dashboard page through the whole web stack, and the k-anonymous open-data
//! export (checked). Run with `cargo bench --bench national` (add `-- postgres://…` for a
//! fresh PostgreSQL database too); results are recorded in docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use tower::ServiceExt;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn hand_sql(
    db: &sea_orm::DatabaseConnection,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> BTreeMap<&'static str, i64> {
    // Italian days, as the report counts them.
    let (start, end) = satis::platform::time::rome_days(from, to);
    let backend = db.get_database_backend();
    let p = |i: usize| {
        if backend == DatabaseBackend::Postgres {
            format!("${i}")
        } else {
            "?".into()
        }
    };
    let (ts, days): (Vec<Value>, Vec<Value>) =
        (vec![start.into(), end.into()], vec![from.into(), to.into()]);
    let queries: [(&str, String, &Vec<Value>); 7] = [
        (
            "hotline_other_calls",
            format!(
                "SELECT COUNT(*) FROM hotline_contact WHERE relevance <> 'pertinent' AND started_at >= {} AND started_at < {}",
                p(1),
                p(2)
            ),
            &ts,
        ),
        (
            "hotline_cases",
            format!(
                "SELECT COUNT(*) FROM hotline_contact h WHERE h.relevance = 'pertinent' AND h.started_at >= {} AND h.started_at < {} AND NOT EXISTS (SELECT 1 FROM hotline_contact e WHERE e.situation_id = h.situation_id AND e.relevance = 'pertinent' AND (e.started_at < h.started_at OR (e.started_at = h.started_at AND e.id < h.id)))",
                p(1),
                p(2)
            ),
            &ts,
        ),
        (
            "street_unit_contacts",
            format!(
                "SELECT COALESCE(SUM(people_met), 0) FROM outing WHERE started_at >= {} AND started_at < {}",
                p(1),
                p(2)
            ),
            &ts,
        ),
        (
            "drop_in_interviews",
            format!(
                "SELECT COUNT(*) FROM drop_in_interview WHERE held_on >= {} AND held_on <= {}",
                p(1),
                p(2)
            ),
            &days,
        ),
        (
            "emergency_reception",
            format!(
                "SELECT COUNT(DISTINCT c.person_id) FROM placement pl JOIN case_file c ON c.id = pl.case_id WHERE pl.emergency = TRUE AND (pl.until IS NULL OR pl.until >= {}) AND pl.since <= {}",
                p(1),
                p(2)
            ),
            &days,
        ),
        (
            "protection_programmes",
            format!(
                "SELECT COUNT(DISTINCT c.person_id) FROM case_phase ch JOIN case_file c ON c.id = ch.case_id WHERE ch.to_phase = 'protection' AND ch.effective_on >= {} AND ch.effective_on <= {}",
                p(1),
                p(2)
            ),
            &days,
        ),
        (
            "accompaniments",
            format!(
                "SELECT COUNT(DISTINCT COALESCE('p' || cf.person_id, 'c' || a.contact_id, 'r' || a.id)) FROM accompaniment a LEFT JOIN outreach_contact oc ON oc.id = a.contact_id LEFT JOIN case_file cf ON cf.id = COALESCE(a.case_id, oc.case_id) WHERE a.service_kind IN ('health', 'social') AND a.outcome = 'done' AND a.happened_on >= {} AND a.happened_on <= {}",
                p(1),
                p(2)
            ),
            &days,
        ),
    ];
    let mut out = BTreeMap::new();
    let detail = std::env::var_os("SATIS_BENCH_DETAIL").is_some();
    for (key, sql, values) in queries {
        let t = Instant::now();
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values.clone()))
            .await
            .unwrap()
            .unwrap();
        let n = row
            .try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .unwrap();
        if detail {
            println!("  {key}: {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
        }
        out.insert(key, n);
    }
    // The same breakdowns the report gives, grouped by the database.
    for sql in [
        format!(
            "SELECT h.province, h.exploitation_forms, h.labour_sector, COUNT(*) FROM hotline_contact h WHERE h.relevance = 'pertinent' AND h.started_at >= {} AND h.started_at < {} AND NOT EXISTS (SELECT 1 FROM hotline_contact e WHERE e.situation_id = h.situation_id AND e.relevance = 'pertinent' AND (e.started_at < h.started_at OR (e.started_at = h.started_at AND e.id < h.id))) GROUP BY h.province, h.exploitation_forms, h.labour_sector",
            p(1),
            p(2)
        ),
        format!(
            "SELECT service_id, dimension, value, SUM(count) FROM outing_count WHERE started_at >= {} AND started_at < {} GROUP BY service_id, dimension, value",
            p(1),
            p(2)
        ),
    ] {
        db.query_all_raw(Statement::from_sql_and_values(backend, sql, ts.clone()))
            .await
            .unwrap();
    }
    out
}

/// Times each part of the report read from the summaries (`SATIS_BENCH_DETAIL=1`): where the
/// ten-year report spends its time.
async fn report_parts(
    db: &sea_orm::DatabaseConnection,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) {
    use satis::stats::{daily, queries};
    macro_rules! part {
        ($name:expr, $e:expr) => {{
            let t = Instant::now();
            let rows = $e.await.unwrap().len();
            println!(
                "  report part {}: {:.0} ms ({rows} rows)",
                $name,
                t.elapsed().as_secs_f64() * 1000.0
            );
        }};
    }
    part!("organisations", satis::network::organisations(db));
    part!("services", satis::network::services(db));
    part!(
        "hotline other calls (summaries)",
        daily::hotline_other_calls(db, from, to)
    );
    part!(
        "hotline cases (summaries)",
        daily::hotline_first_pertinent(db, from, to)
    );
    part!(
        "street: people met (summaries)",
        daily::people_met_by_unit(db, from, to)
    );
    part!(
        "street: tallies (summaries)",
        daily::tallies_by_unit(db, from, to, false)
    );
    part!(
        "emergency reception (summaries: people with a single stay)",
        async { daily::emergency(db, from, to).await.map(|e| e.people) }
    );
    part!(
        "emergency reception (records: people with several stays)",
        queries::emergency_people(db, from, to, true)
    );
    part!(
        "emergency reception (records: everyone, the reference)",
        queries::emergency_people(db, from, to, false)
    );
    part!(
        "protection (summaries: people with a single entry)",
        daily::protection(db, from, to)
    );
    part!(
        "protection (records: people with several entries)",
        queries::people_entering(db, "protection", from, to, true)
    );
    part!(
        "protection (records: everyone, the reference)",
        queries::people_entering(db, "protection", from, to, false)
    );
    part!(
        "drop-in interviews (records)",
        queries::interviews_by_desk(db, from, to)
    );
    part!(
        "accompaniments, headline (records: each person once)",
        queries::accompaniments(db, from, to)
    );
    part!(
        "accompaniments, others (records, counted by the database)",
        queries::other_accompaniments(db, from, to)
    );
}

async fn run(url: &str, data_dir: &std::path::Path) {
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let db = satis::platform::db::open(url).await.unwrap();
    let t = Instant::now();
    let g = satis::demo_scale::generate(&db, satis::demo_scale::Scale::NATIONAL, 2026, |_| {})
        .await
        .unwrap();
    println!(
        "{backend}: generated {} street contacts ({} outings), {} hotline contacts, {} people and cases, {} projects, {} interviews, {} accompaniments in {:.1} s",
        g.street_contacts,
        g.outings,
        g.hotline_contacts,
        g.people,
        g.projects,
        g.interviews,
        g.accompaniments,
        t.elapsed().as_secs_f64()
    );
    // As `satis demo --scale national` does after a bulk load: the planner's statistics.
    let t = Instant::now();
    satis::platform::db::analyze(&db).await.unwrap();
    println!(
        "{backend}: statistics gathered (ANALYZE) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let to = Utc::now().date_naive();
    let from = to - chrono::Duration::days(3653);
    let mut report_times = Vec::new();
    let mut report = None;
    for _ in 0..5 {
        let t = Instant::now();
        report = Some(satis::stats::activity(&db, from, to, None).await.unwrap());
        report_times.push(t.elapsed());
    }
    if std::env::var_os("SATIS_BENCH_DETAIL").is_some() {
        report_parts(&db, from, to).await;
        let mut again = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            satis::stats::activity(&db, from, to, None).await.unwrap();
            again.push(t.elapsed());
        }
        println!(
            "{backend}: the same report again after its parts: {:.0} ms (median of 5)",
            median(again).as_secs_f64() * 1000.0
        );
    }
    // The same report counted from the records (the reference the summaries are checked
    // against).
    let mut raw_times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let raw = satis::stats::activity_raw(&db, from, to, None)
            .await
            .unwrap();
        raw_times.push(t.elapsed());
        assert_eq!(
            satis::stats::to_json(&raw),
            satis::stats::to_json(report.as_ref().unwrap()),
            "the same report from the summaries and from the records"
        );
    }
    println!(
        "{backend}: ten-year report counted from the records {:.0} ms (median of 5), the same figures",
        median(raw_times).as_secs_f64() * 1000.0
    );
    let mut sql_times = Vec::new();
    let mut sql = BTreeMap::new();
    if std::env::var_os("SATIS_BENCH_DETAIL").is_some() {
        hand_sql(&db, from, to).await;
    }
    for _ in 0..5 {
        let t = Instant::now();
        sql = hand_sql(&db, from, to).await;
        sql_times.push(t.elapsed());
    }
    let report = report.unwrap();
    for f in &report.figures {
        assert_eq!(
            f.value,
            sql.get(f.key).copied(),
            "{} matches the hand-written SQL",
            f.key
        );
    }
    let (r, s) = (median(report_times), median(sql_times));
    println!(
        "{backend}: ten-year activity report (summaries) {:.0} ms (median of 5); hand-written SQL {:.0} ms; ratio {:.2}; figures equal",
        r.as_secs_f64() * 1000.0,
        s.as_secs_f64() * 1000.0,
        r.as_secs_f64() / s.as_secs_f64()
    );

    // What a write adds for the summaries: the refresh of one busy day (as a hotline contact
    // or an outing of that day does, rolled back), against the recount of that day alone.
    write_refresh(&db, backend, to - chrono::Duration::days(40)).await;

    // Dashboards through the whole web stack, as signed-in staff.
    let mut env = BTreeMap::new();
    env.insert("DATABASE_URL".to_owned(), url.to_owned());
    env.insert("SATIS_DATA_DIR".to_owned(), data_dir.display().to_string());
    env.insert("SATIS_COOKIE_SECURE".to_owned(), "false".to_owned());
    let config = satis::platform::config::Config::load(&satis::platform::config::Sources {
        file: None,
        implicit_file: &data_dir.join("absent.toml"),
        env: &env,
    })
    .unwrap()
    .config;
    let (router, state) = satis::build_app(config, satis::platform::settings::Mode::Demo)
        .await
        .unwrap();
    let org = satis::identity::store::organisation_by_name(&state.db, "CAT Coop. sociale Onlus")
        .await
        .unwrap()
        .unwrap()
        .id;
    for (username, role) in [
        (
            "bench-analista",
            satis::platform::policy::Role::RegionalAnalyst,
        ),
        (
            "bench-numeroverde",
            satis::platform::policy::Role::HotlineOperator,
        ),
    ] {
        let hash =
            satis::platform::crypto::hash_password("una frase segreta abbastanza lunga").unwrap();
        let u =
            satis::identity::store::create_user(&state.db, &state.keys, username, "Bench", hash)
                .await
                .unwrap();
        satis::identity::store::grant(&state.db, u.id, org, role, None)
            .await
            .unwrap();
        let token = satis::identity::store::create_session(&state.db, u.id, Some(org), true)
            .await
            .unwrap();
        let mut times = Vec::new();
        for _ in 0..5 {
            let req = axum::http::Request::builder()
                .uri("/")
                .header("host", "satis.test")
                .header("cookie", format!("satis_session={token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let t = Instant::now();
            let resp = router.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            let _ = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            times.push(t.elapsed());
        }
        println!(
            "{backend}: dashboard page for {role:?}: {:.0} ms (median of 5)",
            median(times).as_secs_f64() * 1000.0
        );
    }

    let t = Instant::now();
    let (_, _, anon) = satis::stats::open_data::export(&db, 11)
        .await
        .unwrap()
        .unwrap();
    println!(
        "{backend}: open data, k = 11 checked: {} of {} records published, {} values generalised, {} left out, in {:.1} s",
        anon.records_out,
        anon.records_in,
        anon.values_generalised,
        anon.records_suppressed,
        t.elapsed().as_secs_f64()
    );
}

/// Times `stats::refresh_days` for one day in a transaction that is rolled back (median of
/// 20), beside the recount of the same day's raw rows: the difference is what the month and
/// year rows cost a write.
async fn write_refresh(db: &sea_orm::DatabaseConnection, backend: &str, day: chrono::NaiveDate) {
    use sea_orm::TransactionTrait;
    let days = std::collections::BTreeSet::from([day]);
    let mut refresh = Vec::new();
    let mut recount = Vec::new();
    for _ in 0..20 {
        let txn = db.begin().await.unwrap();
        let t = Instant::now();
        satis::stats::refresh_days(&txn, &days).await.unwrap();
        refresh.push(t.elapsed());
        txn.rollback().await.unwrap();
        let t = Instant::now();
        let next = day.succ_opt().unwrap();
        satis::stats::daily::recount(
            db,
            satis::platform::time::rome_midnight(day),
            satis::platform::time::rome_midnight(next),
        )
        .await
        .unwrap();
        recount.push(t.elapsed());
    }
    println!(
        "{backend}: a write's summary refresh of {day}: {:.1} ms (median of 20); the day's recount alone {:.1} ms",
        median(refresh).as_secs_f64() * 1000.0,
        median(recount).as_secs_f64() * 1000.0
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.path().join("national.sqlite").display()
    )];
    urls.extend(
        std::env::args()
            .skip(1)
            .filter(|a| a.starts_with("postgres")),
    );
    for url in urls {
        rt.block_on(run(&url, dir.path()));
    }
}
