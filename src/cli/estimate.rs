//! `satis estimate mse`: the multiple-systems estimate of the people on no list, from a
//! published overlap table (`--input`) or from SATIS's own records of a period (`--from`,
//! `--to`, `--by`): see `stats::mse` for the method and `stats::estimate` for the lists.

use clap::ValueEnum;
use serde_json::Value;

use super::*;
use crate::stats::estimate::{By, estimate, from_records};
use crate::stats::mse::{Criterion, Table};

#[derive(Subcommand, Debug)]
pub(super) enum EstimateCommand {
    /// Multiple-systems estimation on a table of list overlaps: 0/1 columns, one per list, and
    /// a last column with the number of people on exactly that combination
    Mse {
        /// The overlap table (CSV; a first line of list names is optional)
        #[arg(long, conflicts_with_all = ["from", "to", "by"])]
        input: Option<PathBuf>,
        /// From SATIS's records: the first day of the period (YYYY-MM-DD, Italian days)
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// The last day of the period (YYYY-MM-DD)
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Estimate each group apart: gender, age, form (of exploitation) or province
        #[arg(long, value_enum)]
        by: Option<ByArg>,
        /// json or csv
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// How the model is chosen: Silverman's stepwise rule by AIC, or forward by BIC
        #[arg(long, value_enum, default_value_t = Choice::Stepwise)]
        criterion: Choice,
        /// The stepwise rule's p-value threshold for a new interaction
        #[arg(long, default_value_t = 0.05)]
        p_threshold: f64,
        /// Parametric bootstrap samples for a second interval (0: none)
        #[arg(long, default_value_t = 200)]
        bootstrap: usize,
        /// The bootstrap's random seed (the same seed gives the same interval)
        #[arg(long, default_value_t = 2013)]
        seed: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum ByArg {
    Gender,
    Age,
    Form,
    Province,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum Choice {
    Stepwise,
    Bic,
}

pub(super) async fn run(config: &Config, cmd: EstimateCommand) -> Result<(), Failure> {
    let EstimateCommand::Mse {
        input,
        from,
        to,
        by,
        format,
        criterion,
        p_threshold,
        bootstrap,
        seed,
    } = cmd;
    if !(0.0..=1.0).contains(&p_threshold) {
        return Err(Failure::Config(format!(
            "--p-threshold {p_threshold} is not between 0 and 1"
        )));
    }
    let criterion = match criterion {
        Choice::Stepwise => Criterion::StepwiseAic { p_threshold },
        Choice::Bic => Criterion::Bic,
    };
    let Some(input) = input else {
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Failure::Config(
                "give --input FILE.csv (a published overlap table) or --from and --to (SATIS's \
                 own records of that period)"
                    .into(),
            ));
        };
        let period = period(&from, &to)?;
        let by = by.map(|b| match b {
            ByArg::Gender => By::Gender,
            ByArg::Age => By::Age,
            ByArg::Form => By::Form,
            ByArg::Province => By::Province,
        });
        let conn = open_existing(config).await?;
        // Keys are compared as the holder of the linkage secret compares them.
        if !config.keys_file.exists() {
            return Err(Failure::Runtime(format!(
                "the key file {} does not exist: records are linked with the installation's \
                 own linkage secret",
                config.keys_file.display()
            )));
        }
        let keys = crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?;
        let result = from_records(&conn, &keys, period, by, criterion, bootstrap, seed)
            .await
            .map_err(runtime_db)?;
        match format {
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            ),
            Format::Csv => {
                let estimates: Vec<(Option<&str>, &Value)> = result["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|g| g["estimate"].is_object())
                    .map(|g| (g["group"].as_str(), &g["estimate"]))
                    .collect();
                print!("{}", to_csv(&estimates));
            }
        }
        return Ok(());
    };
    let text = std::fs::read_to_string(&input)
        .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", input.display())))?;
    let table = Table::from_csv(&text)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", input.display())))?;
    let estimate = estimate(&table, criterion, bootstrap, seed)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", input.display())))?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&estimate).unwrap_or_default()
        ),
        Format::Csv => print!("{}", to_csv(&[(None, &estimate)])),
    }
    Ok(())
}

/// The sensitivity tables as CSV, each group's chosen model first; a `group` column first
/// when the estimates are by group (`(group, estimate)` pairs; a group of `None` for one
/// estimate from a published table).
fn to_csv(estimates: &[(Option<&str>, &Value)]) -> String {
    let grouped = estimates.iter().any(|(g, _)| g.is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "role",
        "model",
        "parameters",
        "aic",
        "bic",
        "observed",
        "on_no_list",
        "total",
        "total_low_95",
        "total_high_95",
    ];
    if grouped {
        header.insert(0, "group");
    }
    let _ = w.write_record(&header);
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    for (group, estimate) in estimates {
        let mut rows: Vec<&Value> = estimate["sensitivity"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        rows.sort_by_key(|r| r["role"] != "chosen");
        for r in rows {
            let mut record = vec![
                text(&r["role"]),
                text(&r["model"]),
                text(&r["parameters"]),
                text(&r["aic"]),
                text(&r["bic"]),
                text(&estimate["observed"]),
                text(&r["on_no_list"]),
                text(&r["total"]),
                text(&r["total_low"]),
                text(&r["total_high"]),
            ];
            if grouped {
                record.insert(0, group.unwrap_or_default().to_owned());
            }
            let _ = w.write_record(&record);
        }
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}
