//! `satis estimate mse`: the multiple-systems estimate of the people on no list, from a
//! published overlap table (see `stats::mse` for the method).

use clap::ValueEnum;
use serde_json::{Value, json};

use super::*;
use crate::stats::mse::{self, Criterion, Fit, Table};

#[derive(Subcommand, Debug)]
pub(super) enum EstimateCommand {
    /// Multiple-systems estimation on a table of list overlaps: 0/1 columns, one per list, and
    /// a last column with the number of people on exactly that combination
    Mse {
        /// The overlap table (CSV; a first line of list names is optional)
        #[arg(long)]
        input: Option<PathBuf>,
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
pub(super) enum Choice {
    Stepwise,
    Bic,
}

/// The interval's level.
const LEVEL: f64 = 0.95;

pub(super) fn run(cmd: EstimateCommand) -> Result<(), Failure> {
    let EstimateCommand::Mse {
        input,
        format,
        criterion,
        p_threshold,
        bootstrap,
        seed,
    } = cmd;
    let Some(input) = input else {
        return Err(Failure::Config(
            "--input FILE.csv is needed: estimating from SATIS's own records needs the \
             privacy-preserving linkage of people across organisations, which is not built yet"
                .into(),
        ));
    };
    if !(0.0..=1.0).contains(&p_threshold) {
        return Err(Failure::Config(format!(
            "--p-threshold {p_threshold} is not between 0 and 1"
        )));
    }
    let text = std::fs::read_to_string(&input)
        .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", input.display())))?;
    let table = Table::from_csv(&text)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", input.display())))?;
    let criterion = match criterion {
        Choice::Stepwise => Criterion::StepwiseAic { p_threshold },
        Choice::Bic => Criterion::Bic,
    };
    let estimate = estimate(&table, criterion, bootstrap, seed)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", input.display())))?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&estimate).unwrap_or_default()
        ),
        Format::Csv => print!("{}", to_csv(&estimate)),
    }
    Ok(())
}

/// A number of people, to the whole person.
fn whole(x: f64) -> i64 {
    // Estimates are far below i64's range; a non-finite one never reaches here.
    #[allow(clippy::cast_possible_truncation)]
    let n = x.round() as i64;
    n
}

fn three(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One model as the sensitivity table shows it.
fn model_row(table: &Table, f: &Fit) -> Value {
    let interval = mse::profile_interval(table, f, LEVEL).ok();
    json!({
        "model": table.model_name(&f.terms),
        "terms": f.terms.iter().map(|t| table.term_name(*t)).collect::<Vec<_>>(),
        "parameters": f.beta.len(),
        "aic": three(f.aic),
        "bic": three(f.bic),
        "deviance": three(f.deviance),
        "on_no_list": whole(f.on_no_list()),
        "total": whole(table.observed() + f.on_no_list()),
        "total_low": interval.map(|i| whole(i.low)),
        "total_high": interval.map(|i| whole(i.high)),
    })
}

/// The estimate as JSON: observed, on no list, total, its interval(s), the model and the
/// other models considered.
fn estimate(
    table: &Table,
    criterion: Criterion,
    samples: usize,
    seed: u64,
) -> Result<Value, mse::MseError> {
    let path = mse::select(table, criterion)?;
    let chosen = path.last().ok_or(mse::MseError::Empty)?;
    let interval = mse::profile_interval(table, chosen, LEVEL)?;
    let observed = table.observed();
    let bootstrap = (samples > 0)
        .then(|| mse::bootstrap(table, chosen, criterion, samples, LEVEL, seed))
        .flatten()
        .map(|(i, failed)| {
            json!({
                "samples": samples,
                "seed": seed,
                "total_low": whole(i.low),
                "total_high": whole(i.high),
                "left_out": failed,
                "left_out_why": "draws that left a list empty or had no estimate",
            })
        });
    // Other models: every step of the chosen path, and the other criterion's choice.
    let other = match criterion {
        Criterion::Bic => Criterion::StepwiseAic { p_threshold: 0.05 },
        Criterion::StepwiseAic { .. } => Criterion::Bic,
    };
    let mut considered: Vec<&Fit> = path.iter().collect();
    let other_path = mse::select(table, other).unwrap_or_default();
    for f in &other_path {
        if !considered.iter().any(|c| {
            let mut a = c.terms.clone();
            let mut b = f.terms.clone();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        }) {
            considered.push(f);
        }
    }
    let other_choice = other_path.last().map(|f| {
        json!({
            "selection": other.describe(),
            "model": table.model_name(&f.terms),
            "total": whole(observed + f.on_no_list()),
        })
    });
    let sensitivity: Vec<Value> = considered
        .iter()
        .map(|f| {
            let mut row = model_row(table, f);
            if let Value::Object(m) = &mut row {
                let how = if path.iter().any(|p| std::ptr::eq(p, *f)) {
                    if std::ptr::eq(*f, chosen) {
                        "chosen"
                    } else {
                        "a step of the chosen search"
                    }
                } else {
                    "chosen by the other criterion"
                };
                m.insert("role".into(), json!(how));
            }
            row
        })
        .collect();
    Ok(json!({
        "what": "a research estimate of the people on no list (multiple-systems estimation), not a count",
        "lists": table.lists,
        "observed": whole(observed),
        "on_no_list": whole(chosen.on_no_list()),
        "total": whole(observed + chosen.on_no_list()),
        "point_estimate": "observed + exp(intercept) of the chosen Poisson log-linear model",
        "interval": {
            "level": LEVEL,
            "method": "profile likelihood",
            "total_low": whole(interval.low),
            "total_high": whole(interval.high),
            "on_no_list_low": whole(interval.low - observed),
            "on_no_list_high": whole(interval.high - observed),
        },
        "bootstrap": bootstrap,
        "model": {
            "selection": criterion.describe(),
            "terms": chosen.terms.iter().map(|t| table.term_name(*t)).collect::<Vec<_>>(),
            "interactions": chosen.terms.iter().map(|(i, j)| [table.lists[*i].clone(), table.lists[*j].clone()]).collect::<Vec<_>>(),
            "parameters": chosen.beta.len(),
            "aic": three(chosen.aic),
            "bic": three(chosen.bic),
            "deviance": three(chosen.deviance),
        },
        "other_criterion": other_choice,
        "sensitivity": sensitivity,
        "caveats": [
            "closed population: the same people over the period of every list",
            "the same definition of victim on every list",
            "linkage errors: a person counted twice or two people taken for one move the estimate",
            "model dependence: the sensitivity table shows how much the choice of model matters",
        ],
    }))
}

/// The sensitivity table as CSV, the chosen model first.
fn to_csv(estimate: &Value) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
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
    ]);
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut rows: Vec<&Value> = estimate["sensitivity"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    rows.sort_by_key(|r| r["role"] != "chosen");
    for r in rows {
        let _ = w.write_record([
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
        ]);
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}
