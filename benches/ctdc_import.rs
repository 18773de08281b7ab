//! Benchmark: importing a 50,000-row file in the 63-column layout of the 2020 CTDC release into
//! a fresh SQLite database (the target of issue 19: under 5 s on the 2-core machine), and
//! checking that the imported counts
//! by gender, form of exploitation and citizenship match the file. Run with
//! `cargo bench --bench ctdc_import` (add `-- postgres://…` to measure PostgreSQL too);
//! results are recorded in docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use satis::exchange::{Options, Outcome, ctdc, import_ctdc, store};

fn main() {
    let rows = 50_000;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let (data, want) = ctdc::synthetic(rows, 2026);
    println!(
        "generated {rows} rows ({} KiB) in {:.2} s",
        data.len() / 1024,
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.path().join("bench.sqlite").display()
    )];
    urls.extend(
        std::env::args()
            .skip(1)
            .filter(|a| a.starts_with("postgres")),
    );
    for url in urls {
        rt.block_on(async {
            let db = satis::platform::db::open(&url).await.unwrap();
            let backend = if url.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" };
            let t = Instant::now();
            let outcome = import_ctdc(&db, data.as_bytes(), "bench.csv", Options::default())
                .await
                .unwrap();
            let first = t.elapsed().as_secs_f64();
            assert!(matches!(outcome, Outcome::Imported { imported, .. } if imported == rows));
            let got = store::summary(&db, 1990, 2100).await.unwrap();
            assert_eq!(got, want, "counts match the file");
            let t = Instant::now();
            let again = import_ctdc(&db, data.as_bytes(), "bench.csv", Options::default())
                .await
                .unwrap();
            let second = t.elapsed().as_secs_f64();
            assert!(matches!(again, Outcome::Imported { imported: 0, .. }));
            println!(
                "{backend}: imported {rows} rows in {first:.2} s; re-import (nothing new) in {second:.2} s; counts match"
            );
        });
    }
}
