//! The activity report from the per-day summaries against the same report counted from the
//! records (issue 23), in the same run on the same database: both must give the same figures,
//! and the summaries must stay well ahead. The comparison is a ratio, never an absolute time,
//! so a slower or busier machine does not fail it; a change that makes the report read the
//! records again (or the summaries grow with the rows) does.
//!
//! `cargo bench --bench summaries` measures a ten-year history at a tenth of the national
//! scale on SQLite (add `-- postgres://…` for a fresh PostgreSQL database too);
//! `-- --ci` fails when the ratio is above `MAX_RATIO` (scripts/gate-summaries, in CI).
//! Results: docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

/// The four summarised figures must take at most this share of their time from the records.
const MAX_RATIO: f64 = 0.8;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(url: &str) -> f64 {
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let db = satis::platform::db::open(url).await.unwrap();
    let scale = satis::demo_scale::Scale {
        years: 10,
        outings: 10_000,
        hotline_contacts: 30_000,
        people: 5_000,
        projects: 500,
    };
    let t = Instant::now();
    let g = satis::demo_scale::generate(&db, scale, 2026, |_| {})
        .await
        .unwrap();
    println!(
        "{backend}: generated {} hotline contacts, {} outings ({} people met), {} people in {:.1} s",
        g.hotline_contacts,
        g.outings,
        g.street_contacts,
        g.people,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let rebuilt = satis::stats::daily::rebuild(&db).await.unwrap();
    println!(
        "{backend}: summaries rebuilt ({} months, {} rows) in {:.1} s",
        rebuilt.months,
        rebuilt.rows,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let check = satis::stats::daily::check(&db).await.unwrap();
    assert!(check.consistent(), "{check:?}");
    println!(
        "{backend}: summaries checked against the records in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let to = satis::platform::time::rome_today();
    // The gate reads the ten-year ratio: the shorter period is printed for the record (its
    // ratio is nearer 1 at this small scale, where a month holds few records per breakdown).
    let periods = [
        ("ten years", to - chrono::Duration::days(3653), to),
        ("one year", to - chrono::Duration::days(365), to),
    ];
    let mut worst: f64 = 0.0;
    for (name, from, to) in periods {
        // The four figures the summaries replace, alone: what the gate's ratio compares.
        let (mut parts_s, mut parts_c) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            let t = Instant::now();
            summarised_part(&db, from, to).await;
            parts_s.push(t.elapsed());
            let t = Instant::now();
            counted_part(&db, from, to).await;
            parts_c.push(t.elapsed());
        }
        let (ps, pc) = (median(parts_s), median(parts_c));
        let ratio = ps.as_secs_f64() / pc.as_secs_f64();
        if name == "ten years" {
            worst = worst.max(ratio);
        }
        println!(
            "{backend}: {name}: the four summarised figures from the summaries {:.1} ms, from the records {:.1} ms (medians of 7), ratio {ratio:.2}",
            ms(ps),
            ms(pc)
        );
        let (mut summed, mut counted) = (Vec::new(), Vec::new());
        // Interleaved, so that a busy moment of the machine weighs on both.
        for _ in 0..7 {
            let t = Instant::now();
            let a = satis::stats::activity(&db, from, to, None).await.unwrap();
            summed.push(t.elapsed());
            let t = Instant::now();
            let b = satis::stats::activity_raw(&db, from, to, None)
                .await
                .unwrap();
            counted.push(t.elapsed());
            assert_eq!(
                satis::stats::to_json(&a),
                satis::stats::to_json(&b),
                "the same figures from the summaries and from the records"
            );
        }
        let (s, c) = (median(summed), median(counted));
        println!(
            "{backend}: {name}: whole report from the summaries {:.1} ms, from the records {:.1} ms (medians of 7); figures equal",
            ms(s),
            ms(c)
        );
    }
    worst
}

async fn summarised_part(
    db: &sea_orm::DatabaseConnection,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) {
    use satis::stats::daily;
    daily::hotline_first_pertinent(db, from, to).await.unwrap();
    daily::hotline_other_calls(db, from, to).await.unwrap();
    daily::people_met_by_unit(db, from, to).await.unwrap();
    daily::tallies_by_unit(db, from, to, false).await.unwrap();
}

async fn counted_part(
    db: &sea_orm::DatabaseConnection,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) {
    use satis::stats::queries;
    let (start, end) = satis::platform::time::rome_days(from, to);
    queries::hotline_first_pertinent(db, start, end)
        .await
        .unwrap();
    queries::hotline_other_calls(db, start, end).await.unwrap();
    queries::people_met_by_unit(db, start, end).await.unwrap();
    queries::tallies_by_unit(db, start, end, false)
        .await
        .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ci = args.iter().any(|a| a == "--ci");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.path().join("summaries.sqlite").display()
    )];
    urls.extend(args.iter().filter(|a| a.starts_with("postgres")).cloned());
    let mut failed = false;
    for url in urls {
        let ratio = rt.block_on(run(&url));
        if ratio > MAX_RATIO {
            println!(
                "ratio {ratio:.2} is above {MAX_RATIO}: the report is not reading the summaries"
            );
            failed = true;
        }
    }
    if ci && failed {
        std::process::exit(1);
    }
}
