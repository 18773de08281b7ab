//! `satis report activity`: the periodic activity report as JSON or CSV.

use super::*;

#[derive(Subcommand, Debug)]
pub(super) enum ReportCommand {
    /// The periodic activity report (aggregates only, small cells hidden)
    Activity {
        /// First day, YYYY-MM-DD
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD
        #[arg(long)]
        to: String,
        /// json or csv
        #[arg(long, default_value = "json")]
        format: String,
        /// Limit to one province (two-letter code, e.g. FI)
        #[arg(long)]
        province: Option<String>,
    },
}

pub(super) async fn run(config: &Config, cmd: ReportCommand) -> Result<(), Failure> {
    let ReportCommand::Activity {
        from,
        to,
        format,
        province,
    } = cmd;
    let (from, to) = period(&from, &to)?;
    if format != "json" && format != "csv" {
        return Err(Failure::Config(format!(
            "--format `{format}` is not json or csv"
        )));
    }
    let province =
        crate::network::rules::province(province.as_deref().unwrap_or("")).map_err(|_| {
            Failure::Config(format!(
                "--province `{}` is not a Tuscan province (use one of {})",
                province.clone().unwrap_or_default(),
                crate::network::rules::PROVINCES.join(", ")
            ))
        })?;
    let conn = open_existing(config).await?;
    let report = crate::stats::activity(&conn, from, to, province.as_deref())
        .await
        .map_err(runtime_db)?;
    if format == "csv" {
        print!("{}", crate::stats::to_csv(&report));
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::stats::to_json(&report)).unwrap_or_default()
        );
    }
    Ok(())
}
