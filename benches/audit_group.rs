//! Audited reads: how many audit entries a second the server can make durable when many
//! requests read records at once (issue 23). Each read of personal data appends an entry that
//! must be committed before the page is shown; one commit each costs one fsync, the group
//! commit shares one among all the entries waiting. Runs on a fresh SQLite file in WAL with
//! `synchronous=FULL` (as `satis serve`), and on PostgreSQL URLs given as arguments.
//!
//! `cargo bench --bench audit_group [-- postgres://…]`; results in docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use satis::platform::audit::{self, Entry, GroupCommit};
use satis::platform::crypto::KeyRing;

const ENTRIES: usize = 4_000;

async fn run(url: &str) {
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let db = satis::platform::db::open(url).await.unwrap();
    let keys = KeyRing::generate();
    for readers in [1usize, 8, 32, 64] {
        for grouped in [false, true] {
            let group = Arc::new(GroupCommit::default());
            let per_reader = ENTRIES / readers;
            let t = Instant::now();
            let mut tasks = Vec::new();
            for r in 0..readers {
                let (db, keys, group) = (db.clone(), keys.clone(), group.clone());
                tasks.push(tokio::spawn(async move {
                    for i in 0..per_reader {
                        let entry = Entry::new(None, "case.read", "case").record(r * 100_000 + i);
                        if grouped {
                            group.append(&db, &keys, entry).await.unwrap();
                        } else {
                            audit::append(&db, &keys, entry).await.unwrap();
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let secs = t.elapsed().as_secs_f64();
            let n = per_reader * readers;
            println!(
                "{backend}: {readers:>2} readers, {}: {n} entries in {secs:.2} s = {:.0} a second{}",
                if grouped {
                    "group commit"
                } else {
                    "one commit each"
                },
                n as f64 / secs,
                if grouped {
                    format!(" ({} commits)", group.commits())
                } else {
                    String::new()
                }
            );
        }
    }
    let verified = audit::verify(&db, &keys).await.unwrap().unwrap();
    println!("{backend}: chain of {} entries verified", verified.entries);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.path().join("audit.sqlite").display()
    )];
    urls.extend(
        std::env::args()
            .skip(1)
            .filter(|a| a.starts_with("postgres")),
    );
    for url in urls {
        rt.block_on(run(&url));
    }
}
