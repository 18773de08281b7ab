//! `satis import` and `satis export`: CTDC and HTCDS files in; the national export, open data
//! and schemas out.

use super::*;

#[derive(Subcommand, Debug)]
pub(super) enum ExportCommand {
    /// The JSON Schema of the HTCDS-aligned case document
    HtcdsSchema,
    /// The OpenAPI document of the JSON API (as served at /api/v1/openapi.json)
    Openapi,
    /// The national database (SIRIT) export: one pseudonymous row per person in charge in
    /// the period, through a configurable code mapping
    National {
        /// First day, YYYY-MM-DD
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD
        #[arg(long)]
        to: String,
        /// A TOML file mapping SATIS codes to the national ones (see docs/national-mapping.example.toml)
        #[arg(long)]
        mapping: Option<std::path::PathBuf>,
    },
    /// Open data: k-anonymous microdata in the CTDC layout and aggregate tables with cells
    /// under 5 suppressed, written to a directory (no identity data ever enters them)
    OpenData {
        /// Directory to write ctdc-microdata.csv and aggregates.csv into
        #[arg(long)]
        out: std::path::PathBuf,
        /// Every published combination of quasi-identifiers is shared by at least k records
        #[arg(long, default_value_t = crate::stats::open_data::DEFAULT_K)]
        k: usize,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum ImportCommand {
    /// A CSV file of IOM's CTDC data, into pseudonymous historical records. All or nothing;
    /// the same file imported again adds nothing. Every public release is read as
    /// published and named in the summary: the k-anonymised global dataset (2017, 2018,
    /// 2020 with its 63 columns and *Concatenated texts), the 2021 synthetic release (no
    /// Datasource, names cut at 32 characters) and the synthetic releases since 2022
    /// (means*, sectorOf*, Woman/Man, ISO alpha-3 countries). A leading row-index column
    /// (`X`, or unnamed) and columns SATIS does not use are listed and read past; -99, empty
    /// cells, `Unknown`, `Missing` and `NA` are "not recorded" (counted per column); flags
    /// may be 1/0, true/false or yes/no. A wrong value or a row with the wrong number of
    /// cells is named by line and column. See docs/INDICATORS.md, "CTDC layouts".
    Ctdc {
        /// The CSV file
        file: std::path::PathBuf,
        /// A name for where the file comes from (default: the file's name)
        #[arg(long)]
        source: Option<String>,
        /// Only report what would be imported and every rejected row
        #[arg(long)]
        dry_run: bool,
        /// Import the valid rows even if some are rejected
        #[arg(long)]
        skip_invalid: bool,
        /// The file is in Latin-1 (ISO 8859-1), not UTF-8: read it as such
        #[arg(long)]
        latin1: bool,
    },
    /// A CSV file whose columns carry HTCDS v2.0 field names (cas_IncomingDate, prs_Gender,
    /// prs_Citizenship, vic_TypeOfExploitation…), into pseudonymous historical records.
    Htcds {
        /// The CSV file
        file: std::path::PathBuf,
        /// A name for where the file comes from (default: the file's name)
        #[arg(long)]
        source: Option<String>,
        /// Only report what would be imported and every rejected row
        #[arg(long)]
        dry_run: bool,
        /// Import the valid rows even if some are rejected
        #[arg(long)]
        skip_invalid: bool,
        /// The file is in Latin-1 (ISO 8859-1), not UTF-8: read it as such
        #[arg(long)]
        latin1: bool,
    },
}

pub(super) async fn import(config: &Config, cmd: ImportCommand) -> Result<(), Failure> {
    let (file, source, options, htcds) = match cmd {
        ImportCommand::Ctdc {
            file,
            source,
            dry_run,
            skip_invalid,
            latin1,
        } => (file, source, (dry_run, skip_invalid, latin1), false),
        ImportCommand::Htcds {
            file,
            source,
            dry_run,
            skip_invalid,
            latin1,
        } => (file, source, (dry_run, skip_invalid, latin1), true),
    };
    let options = crate::exchange::Options {
        dry_run: options.0,
        skip_invalid: options.1,
        latin1: options.2,
    };
    let lang = config.default_locale;
    let data = std::fs::read(&file)
        .map_err(|e| Failure::Config(format!("cannot read {}: {e}", file.display())))?;
    let source = source.unwrap_or_else(|| {
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let conn = open_existing(config).await?;
    let outcome = if htcds {
        crate::exchange::import_htcds_csv(&conn, &data, &source, options).await
    } else {
        crate::exchange::import_ctdc(&conn, &data, &source, options).await
    }
    .map_err(runtime_db)?;
    if matches!(outcome, crate::exchange::Outcome::Imported { .. }) {
        crate::platform::db::analyze(&conn)
            .await
            .map_err(runtime_db)?;
    }
    print!("{}", crate::exchange::describe(&outcome, lang));
    match outcome {
        crate::exchange::Outcome::Refused { .. } | crate::exchange::Outcome::Unreadable(_) => {
            Err(Failure::Config(lang.t("import-nothing-saved")))
        }
        _ => Ok(()),
    }
}

pub(super) async fn export(config: &Config, cmd: ExportCommand) -> Result<(), Failure> {
    match cmd {
        ExportCommand::National { from, to, mapping } => {
            let (from, to) = period(&from, &to)?;
            let mapping = match mapping {
                None => crate::stats::national::Mapping::default(),
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        Failure::Config(format!("cannot read {}: {e}", path.display()))
                    })?;
                    crate::stats::national::Mapping::from_toml(&text).map_err(|errors| {
                        Failure::Config(format!("{}:\n  {}", path.display(), errors.join("\n  ")))
                    })?
                }
            };
            let conn = open_existing(config).await?;
            let csv = crate::stats::national::export(&conn, from, to, &mapping)
                .await
                .map_err(runtime_db)?;
            print!("{csv}");
            Ok(())
        }
        ExportCommand::OpenData { out, k } => {
            let lang = config.default_locale;
            let conn = open_existing(config).await?;
            let (micro, aggregates, report) = crate::stats::open_data::export(&conn, k)
                .await
                .map_err(runtime_db)?
                .map_err(|e| Failure::Config(lang.t(e.message_key())))?;
            std::fs::create_dir_all(&out)
                .and_then(|()| std::fs::write(out.join("ctdc-microdata.csv"), micro))
                .and_then(|()| std::fs::write(out.join("aggregates.csv"), aggregates))
                .map_err(|e| Failure::Runtime(format!("cannot write to {}: {e}", out.display())))?;
            println!(
                "{}",
                lang.t_args(
                    "open-data-written",
                    &[
                        ("k", &report.k.to_string()),
                        ("records_in", &report.records_in.to_string()),
                        ("records_out", &report.records_out.to_string()),
                        ("generalised", &report.values_generalised.to_string()),
                        ("suppressed", &report.records_suppressed.to_string()),
                    ]
                )
            );
            Ok(())
        }
        ExportCommand::HtcdsSchema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::exchange::htcds::schema()).unwrap_or_default()
            );
            Ok(())
        }
        ExportCommand::Openapi => {
            println!("{}", crate::app::openapi());
            Ok(())
        }
    }
}
