//! `satis stats rebuild` and `satis stats check`: the activity report's per-day summaries
//! (issue 23), recounted from the records or compared with them.

use super::*;

#[derive(Subcommand, Debug)]
pub(super) enum StatsCommand {
    /// Recount the per-day summaries from the records (after a bulk load, or when `check`
    /// finds a difference); the server keeps answering, from the records until it is done
    Rebuild,
    /// Compare every day's summary with the records it counts, and the ten-year activity
    /// report from the summaries with the one counted from the records; exits 1 on a difference
    Check,
}

pub(super) async fn run(config: &Config, cmd: StatsCommand) -> Result<(), Failure> {
    let conn = open_existing(config).await?;
    match cmd {
        StatsCommand::Rebuild => {
            let started = std::time::Instant::now();
            let done = crate::stats::daily::rebuild(&conn)
                .await
                .map_err(runtime_db)?;
            println!(
                "statistics summaries rebuilt: {} months, {} rows, in {:.1} s",
                done.months,
                done.rows,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        StatsCommand::Check => {
            if !crate::stats::daily::built(&conn)
                .await
                .map_err(runtime_db)?
            {
                return Err(Failure::Runtime(
                    "statistics summaries are not built yet: the report counts the records \
                     (run `satis stats rebuild`, or start the server, which builds them)"
                        .into(),
                ));
            }
            let found = crate::stats::daily::check(&conn)
                .await
                .map_err(runtime_db)?;
            let to = crate::platform::time::rome_today();
            let from = to - chrono::Duration::days(3653);
            let summed = crate::stats::activity(&conn, from, to, None)
                .await
                .map_err(runtime_db)?;
            let counted = crate::stats::activity_raw(&conn, from, to, None)
                .await
                .map_err(runtime_db)?;
            let same_report = crate::stats::to_json(&summed) == crate::stats::to_json(&counted);
            if found.consistent() && same_report {
                println!(
                    "statistics summaries agree with the records: {} months checked, and the \
                     ten-year report ({from} to {to}) is the same either way",
                    found.months
                );
                return Ok(());
            }
            let list = |days: &[chrono::NaiveDate]| {
                days.iter()
                    .take(20)
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Err(Failure::Runtime(format!(
                "statistics summaries DIFFER from the records: days that differ: {} ({}); \
                 months rolled up wrong: {} ({}); people wrongly marked as entering \
                 protection more than once: {}; ten-year report {}; run `satis stats rebuild`",
                found.days.len(),
                list(&found.days),
                found.rolled_up.len(),
                list(&found.rolled_up),
                found.several,
                if same_report { "the same" } else { "different" }
            )))
        }
    }
}
