//! The integration suite: one binary, every test on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Run with `cargo test`; see `support.rs` for how PostgreSQL is found or skipped.

mod access;
mod api;
mod cases;
mod cli;
mod estimate;
mod exchange;
mod hotline;
mod identity;
mod indicators;
mod network;
mod news;
mod newsletter;
mod notify;
mod outreach;
mod platform;
mod projects;
mod referrals;
mod reports;
mod stats;
mod support;
mod webhooks;

use libtest_mimic::{Arguments, Failed, Trial};
use support::Backend;

fn main() {
    let args = Arguments::from_args();
    let groups: Vec<(&str, Vec<(&'static str, support::TestFn)>)> = vec![
        ("platform", platform::tests()),
        ("identity", identity::tests()),
        ("network", network::tests()),
        ("cases", cases::tests()),
        ("hotline", hotline::tests()),
        ("outreach", outreach::tests()),
        ("reports", reports::tests()),
        ("projects", projects::tests()),
        ("referrals", referrals::tests()),
        ("exchange", exchange::tests()),
        ("stats", stats::tests()),
        ("estimate", estimate::tests()),
        ("news", news::tests()),
        ("newsletter", newsletter::tests()),
        ("indicators", indicators::tests()),
        ("notify", notify::tests()),
        ("webhooks", webhooks::tests()),
        ("access", access::tests()),
        ("api", api::tests()),
    ];

    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let pg = support::probe_postgres();
    let mut trials = Vec::new();
    for (group, tests) in groups {
        for (name, f) in tests {
            trials.push(Trial::test(format!("sqlite::{group}::{name}"), move || {
                support::run(Backend::Sqlite, f)
            }));
            let pg_trial = match &pg {
                Ok(()) => Trial::test(format!("postgres::{group}::{name}"), move || {
                    support::run(Backend::Postgres, f)
                }),
                Err(reason) if ci => {
                    let reason = reason.clone();
                    Trial::test(format!("postgres::{group}::{name}"), move || {
                        Err(Failed::from(format!(
                            "CI=true requires PostgreSQL at {}: {reason}",
                            support::pg_admin_url()
                        )))
                    })
                }
                Err(_) => Trial::test(format!("postgres::{group}::{name}"), || Ok(()))
                    .with_ignored_flag(true),
            };
            trials.push(pg_trial);
        }
    }
    trials.extend(cli::trials());

    let conclusion = libtest_mimic::run(&args, trials);
    if let Err(reason) = &pg {
        let verdict = if ci {
            "FAILING (CI=true makes them mandatory)"
        } else {
            "SKIPPED"
        };
        eprintln!(
            "\n*** PostgreSQL tests {verdict}: no server at {} ({reason}).\n*** Set SATIS_TEST_DATABASE_URL to a PostgreSQL server to run them.\n",
            support::pg_admin_url()
        );
    }
    conclusion.exit();
}
