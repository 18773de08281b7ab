//! The `satis` command line. `satis` alone serves; see `satis --help`.
//! Exit codes: 0 success, 1 runtime failure (database, network), 2 usage or configuration error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::identity::ops::{
    self, AccountChange, AdminError, NewOrganisation, NewUser, OneTimePassword,
};
use crate::identity::{store, tokens};
use crate::platform::audit;
use crate::platform::config::{Config, LogFormat, default_database_url};
use crate::platform::db;
use crate::platform::policy::Role;
use crate::platform::settings::Mode;
use sea_orm::TransactionTrait;

#[derive(Parser, Debug)]
#[command(
    name = "satis",
    version,
    about = "SATIS, the information system of the Tuscan anti-trafficking network",
    long_about = "SATIS, the information system of the Tuscan anti-trafficking network.\n\n\
        Configuration comes from built-in defaults, then satis.toml (or --config), then \
        SATIS_* environment variables and DATABASE_URL. See satis.example.toml."
)]
pub struct Cli {
    /// Configuration file (default: ./satis.toml if it exists; also SATIS_CONFIG)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (the default when no command is given)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Validate the configuration, print it (secrets redacted) and exit
    CheckConfig,
    /// Load demonstration data into a separate demo database and serve it
    Demo {
        /// Only load the data; do not start the server
        #[arg(long)]
        no_serve: bool,
        /// `national` adds a reproducible ten-year, national-scale history (for benchmarks:
        /// 2 million street contacts, 300,000 hotline contacts, 50,000 cases, 20,000 projects)
        #[arg(long, default_value = "small", value_parser = ["small", "national"])]
        scale: String,
    },
    /// Manage staff accounts (for the first administrator of a fresh install)
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for integrations
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the field-encryption keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Apply the retention policy to closed cases
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Print a report of the network's activity
    #[command(subcommand)]
    Report(ReportCommand),
    /// Import historical records
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print exchange formats
    #[command(subcommand)]
    Export(ExportCommand),
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
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
enum ImportCommand {
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

#[derive(Subcommand, Debug)]
enum ReportCommand {
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

#[derive(Subcommand, Debug)]
enum RetentionCommand {
    /// Erase identity data and notes of cases closed longer ago than `retention_days`
    Run,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create an account with one role; prints a one-time password
    Add {
        #[arg(long)]
        username: String,
        /// Full name (stored encrypted)
        #[arg(long)]
        name: String,
        /// Organisation name; created (as a region) if it does not exist
        #[arg(long)]
        organisation: String,
        /// Role code, e.g. administrator, hotline_operator, case_worker
        #[arg(long)]
        role: String,
    },
    /// Disable an account and end its sessions
    Disable { username: String },
    /// Remove an account's second factor: it enrols again at next sign-in
    ResetMfa { username: String },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token acting as a staff account in one of its organisations; it is printed
    /// once and stored only as a hash
    Create {
        /// Organisation name the token acts for
        #[arg(long)]
        organisation: String,
        /// The staff account the token acts as (its roles in the organisation decide)
        #[arg(long)]
        user: String,
        /// What the token is for
        #[arg(long)]
        name: String,
        /// A scope (repeat for several), e.g. --scope hotline:read
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until the token stops working (1 to 730)
        #[arg(long, value_name = "DAYS", default_value_t = crate::identity::tokens::DEFAULT_DAYS)]
        expires: i64,
    },
    /// List the tokens: what each is for, whom it acts as, when it expires and was last used
    List,
    /// Revoke a token by its id
    Revoke { id: i32 },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk the keyed hash chain: exit 0 if intact, 1 naming the first broken entry
    Verify {
        /// A checkpoint written by `satis audit checkpoint` (repeatable): also prove that
        /// nothing up to it changed
        #[arg(long = "checkpoint", value_name = "FILE")]
        checkpoints: Vec<std::path::PathBuf>,
    },
    /// Sign the chain's current head with the installation's key and print it (or write it
    /// to --out): the DPO keeps it outside the system
    Checkpoint {
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Add a new key and re-encrypt every encrypted field with it
    Rotate,
}

/// A failure, and the exit code it deserves.
#[derive(Debug)]
enum Failure {
    Config(String),
    Runtime(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("satis: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(m)) => {
            eprintln!("satis: configuration error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(m)) => {
            eprintln!("satis: {m}");
            ExitCode::from(1)
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config, Failure> {
    let loaded =
        Config::from_process(cli.config.as_deref()).map_err(|e| Failure::Config(e.to_string()))?;
    for w in &loaded.warnings {
        eprintln!("satis: warning: {w}");
    }
    Ok(loaded.config)
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SATIS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second initialisation (in tests) is harmless, so its error is ignored.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn ensure_data_dir(config: &Config) -> Result<(), Failure> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Failure::Runtime(format!(
            "cannot create the data directory {}: {e}",
            config.data_dir.display()
        ))
    })
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let mut config = load_config(&cli)?;
    match cli.command {
        None | Some(Command::Serve) => {
            init_logging(config.log_format);
            ensure_data_dir(&config)?;
            serve(config, Mode::Production).await
        }
        Some(Command::Migrate) => {
            init_logging(config.log_format);
            ensure_data_dir(&config)?;
            let conn = db::open(&config.database_url)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            crate::platform::settings::claim(&conn, Mode::Production)
                .await
                .map_err(|e| Failure::Runtime(db::describe(&e).to_owned()))?;
            println!("database {} is up to date", config.backend_name());
            Ok(())
        }
        Some(Command::CheckConfig) => {
            println!("configuration is valid:\n{config:#?}");
            Ok(())
        }
        Some(Command::User(cmd)) => user_command(&config, cmd).await,
        Some(Command::Token(cmd)) => token_command(&config, cmd).await,
        Some(Command::Audit(cmd)) => audit_command(&config, cmd).await,
        Some(Command::Report(ReportCommand::Activity {
            from,
            to,
            format,
            province,
        })) => {
            let day = |flag: &str, v: &str| {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    Failure::Config(format!("--{flag} `{v}` is not a date YYYY-MM-DD"))
                })
            };
            let (from, to) = (day("from", &from)?, day("to", &to)?);
            if to < from {
                return Err(Failure::Config("--to comes before --from".into()));
            }
            if format != "json" && format != "csv" {
                return Err(Failure::Config(format!(
                    "--format `{format}` is not json or csv"
                )));
            }
            let province = crate::network::rules::province(province.as_deref().unwrap_or(""))
                .map_err(|_| {
                    Failure::Config(format!(
                        "--province `{}` is not a Tuscan province (use one of {})",
                        province.clone().unwrap_or_default(),
                        crate::network::rules::PROVINCES.join(", ")
                    ))
                })?;
            let conn = open_existing(&config).await?;
            let report = crate::stats::activity(&conn, from, to, province.as_deref())
                .await
                .map_err(runtime_db)?;
            if format == "csv" {
                print!("{}", crate::stats::to_csv(&report));
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&crate::stats::to_json(&report))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        Some(Command::Import(command)) => {
            let (file, source, options, htcds) = match command {
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
            let conn = open_existing(&config).await?;
            let outcome = if htcds {
                crate::exchange::import_htcds_csv(&conn, &data, &source, options).await
            } else {
                crate::exchange::import_ctdc(&conn, &data, &source, options).await
            }
            .map_err(runtime_db)?;
            print!("{}", crate::exchange::describe(&outcome, lang));
            match outcome {
                crate::exchange::Outcome::Refused { .. }
                | crate::exchange::Outcome::Unreadable(_) => {
                    Err(Failure::Config(lang.t("import-nothing-saved")))
                }
                _ => Ok(()),
            }
        }
        Some(Command::Export(ExportCommand::National { from, to, mapping })) => {
            let day = |flag: &str, v: &str| {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    Failure::Config(format!("--{flag} `{v}` is not a date YYYY-MM-DD"))
                })
            };
            let (from, to) = (day("from", &from)?, day("to", &to)?);
            if to < from {
                return Err(Failure::Config("--to comes before --from".into()));
            }
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
            let conn = open_existing(&config).await?;
            let csv = crate::stats::national::export(&conn, from, to, &mapping)
                .await
                .map_err(runtime_db)?;
            print!("{csv}");
            Ok(())
        }
        Some(Command::Export(ExportCommand::OpenData { out, k })) => {
            let lang = config.default_locale;
            let conn = open_existing(&config).await?;
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
        Some(Command::Export(ExportCommand::HtcdsSchema)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::exchange::htcds::schema()).unwrap_or_default()
            );
            Ok(())
        }
        Some(Command::Export(ExportCommand::Openapi)) => {
            println!("{}", crate::app::openapi());
            Ok(())
        }
        Some(Command::Retention(RetentionCommand::Run)) => {
            let conn = open_existing(&config).await?;
            let keys = crate::open_keys(&config).map_err(|e| Failure::Runtime(e.to_string()))?;
            let report = crate::cases::retention(&conn, &keys, config.retention_days)
                .await
                .map_err(runtime_db)?;
            println!(
                "retention ({} days): {} identities and {} notes erased",
                config.retention_days, report.identities_erased, report.notes_erased
            );
            let reports = crate::reports::retention(&conn, config.report_retention_days)
                .await
                .map_err(runtime_db)?;
            println!(
                "public reports ({} days after triage): {reports} texts erased",
                config.report_retention_days
            );
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Rotate)) => {
            let conn = open_existing(&config).await?;
            let mut ring =
                crate::open_keys(&config).map_err(|e| Failure::Runtime(e.to_string()))?;
            let id = ring.add_key();
            // The key file is written first: if re-encryption fails half-way, every value is
            // still readable with the keys in the file.
            ring.save(&config.keys_file)
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let n = crate::platform::keys::reencrypt_all(
                &conn,
                &ring,
                &crate::app::encrypted_columns(),
            )
            .await
            .map_err(|e| Failure::Runtime(e.to_string()))?;
            audit::append(
                &conn,
                &ring,
                audit::Entry::new(None, "keys.rotate", "key").record(id),
            )
            .await
            .map_err(runtime_db)?;
            println!(
                "new key {id} in {}; {n} values re-encrypted",
                config.keys_file.display()
            );
            Ok(())
        }
        Some(Command::Demo { no_serve, scale }) => {
            init_logging(config.log_format);
            if std::env::var_os("SATIS_DATA_DIR").is_none()
                && config.data_dir.as_path() == std::path::Path::new("data")
            {
                config.data_dir = PathBuf::from("data-demo");
                if config.database_url_is_default {
                    config.database_url = default_database_url(&config.data_dir);
                }
                // The demonstration's key file lives beside its own database, never at the
                // production key path (./data/satis.keys), unless one was named on purpose.
                if std::env::var_os("SATIS_KEYS_FILE").is_none()
                    && config.keys_file == std::path::Path::new("data").join("satis.keys")
                {
                    config.keys_file = config.data_dir.join("satis.keys");
                }
            }
            // A local demonstration is served over plain http: cookies cannot require HTTPS.
            if config.listen.ip().is_loopback() {
                config.cookie_secure = false;
            }
            ensure_data_dir(&config)?;
            let db = db::open(&config.database_url)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let keys = crate::open_keys(&config).map_err(|e| Failure::Runtime(e.to_string()))?;
            let accounts = crate::demo::load(&db, &keys)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            if scale == "national" {
                let started = std::time::Instant::now();
                let g = crate::demo_scale::generate(
                    &db,
                    crate::demo_scale::Scale::NATIONAL,
                    2026,
                    |what| eprintln!("satis: generating {what}…"),
                )
                .await
                .map_err(runtime_db)?;
                println!(
                    "national-scale history: {} street contacts in {} outings, {} hotline contacts, {} people and cases, {} projects, {} interviews, {} accompaniments, in {:.0} s",
                    g.street_contacts,
                    g.outings,
                    g.hotline_contacts,
                    g.people,
                    g.projects,
                    g.interviews,
                    g.accompaniments,
                    started.elapsed().as_secs_f64()
                );
            }
            db.close().await.ok();
            print_demo_banner(&config, &accounts);
            if no_serve {
                return Ok(());
            }
            serve(config, Mode::Demo).await
        }
    }
}

fn runtime_db(e: sea_orm::DbErr) -> Failure {
    Failure::Runtime(db::describe(&e).to_owned())
}

async fn open_existing(config: &Config) -> Result<sea_orm::DatabaseConnection, Failure> {
    ensure_data_dir(config)?;
    db::open(&config.database_url)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))
}

async fn find_user(
    conn: &sea_orm::DatabaseConnection,
    username: &str,
) -> Result<crate::identity::entities::user::Model, Failure> {
    let name = store::normalise_username(username)
        .ok_or_else(|| Failure::Config(format!("`{username}` is not a valid username")))?;
    store::user_by_username(conn, &name)
        .await
        .map_err(runtime_db)?
        .ok_or_else(|| Failure::Runtime(format!("no user `{name}`")))
}

async fn user_command(config: &Config, cmd: UserCommand) -> Result<(), Failure> {
    let conn = open_existing(config).await?;
    let keys = crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?;
    crate::platform::settings::claim(&conn, Mode::Production)
        .await
        .map_err(runtime_db)?;
    match cmd {
        UserCommand::Add {
            username,
            name,
            organisation,
            role,
        } => {
            let username = store::normalise_username(&username).ok_or_else(|| {
                Failure::Config(format!(
                    "--username `{username}`: use 3 to 64 of a-z, 0-9, dot, dash, underscore"
                ))
            })?;
            let role = Role::from_code(&role).ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
                Failure::Config(format!(
                    "--role `{role}` is not one of: {}",
                    known.join(", ")
                ))
            })?;
            let name = name.trim();
            if name.is_empty() {
                return Err(Failure::Config("--name must not be empty".into()));
            }
            let password = OneTimePassword::new()
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let txn = conn.begin().await.map_err(runtime_db)?;
            let org = match store::organisation_by_name(&txn, organisation.trim())
                .await
                .map_err(runtime_db)?
            {
                Some(o) => o,
                None => {
                    let regional = NewOrganisation {
                        name: organisation.trim().to_owned(),
                        kind: "region".into(),
                        province: String::new(),
                        is_public: true,
                    };
                    ops::create_organisation(&txn, &keys, None, &regional)
                        .await
                        .map_err(|e| Failure::Config(format!("--organisation: {e}")))?
                }
            };
            let input = NewUser {
                username: username.clone(),
                display_name: name.to_owned(),
                organisation_id: org.id,
                role: Some(role),
            };
            let user = ops::provision_user(&txn, &keys, None, &input, &password)
                .await
                .map_err(|e| match e {
                    AdminError::Invalid("admin-error-username-taken") => {
                        Failure::Config(format!("--username `{username}` is taken"))
                    }
                    other => Failure::Runtime(other.to_string()),
                })?;
            txn.commit().await.map_err(runtime_db)?;
            let password = password.plain;
            println!(
                "user {} created ({} at {})",
                user.username,
                role.code(),
                org.name
            );
            println!("one-time password: {password}");
            println!("At first sign-in the user enrols a second factor (TOTP).");
            Ok(())
        }
        UserCommand::Disable { username } => {
            let user = find_user(&conn, &username).await?;
            change_user(&conn, &keys, user.id, AccountChange::Disable).await?;
            println!("user {} disabled; sessions ended", user.username);
            Ok(())
        }
        UserCommand::ResetMfa { username } => {
            let user = find_user(&conn, &username).await?;
            change_user(&conn, &keys, user.id, AccountChange::ResetMfa).await?;
            println!(
                "second factor of {} removed; they enrol again at next sign-in",
                user.username
            );
            Ok(())
        }
    }
}

/// One change to an account from the command line, in one transaction with its audit entry.
async fn change_user(
    conn: &sea_orm::DatabaseConnection,
    keys: &crate::platform::crypto::KeyRing,
    user_id: i32,
    change: AccountChange<'_>,
) -> Result<(), Failure> {
    let txn = conn.begin().await.map_err(runtime_db)?;
    ops::change_user(&txn, keys, None, user_id, change)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    txn.commit().await.map_err(runtime_db)
}

/// The key file of an installation that already has one: verifying the audit trail with a
/// newly created key would call every entry altered.
fn existing_keys(config: &Config) -> Result<crate::platform::crypto::KeyRing, Failure> {
    if !config.keys_file.exists() {
        return Err(Failure::Runtime(format!(
            "the key file {} does not exist: the audit trail can only be checked with the \
             installation's own key file",
            config.keys_file.display()
        )));
    }
    crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))
}

async fn audit_command(config: &Config, cmd: AuditCommand) -> Result<(), Failure> {
    let conn = open_existing(config).await?;
    let keys = existing_keys(config)?;
    match cmd {
        AuditCommand::Verify { checkpoints } => {
            let mut read = Vec::new();
            for path in &checkpoints {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Failure::Config(format!("--checkpoint {}: {e}", path.display()))
                })?;
                let cp: audit::Checkpoint = serde_json::from_str(&text).map_err(|e| {
                    Failure::Config(format!(
                        "--checkpoint {}: not a SATIS audit checkpoint ({e})",
                        path.display()
                    ))
                })?;
                read.push((path, cp));
            }
            let verified = match audit::verify(&conn, &keys).await.map_err(runtime_db)? {
                Ok(v) => v,
                Err(broken) => {
                    return Err(Failure::Runtime(format!("audit trail BROKEN: {broken}")));
                }
            };
            for (path, cp) in &read {
                if let Err(broken) = audit::check_checkpoint(&conn, &keys, cp)
                    .await
                    .map_err(runtime_db)?
                {
                    return Err(Failure::Runtime(format!(
                        "audit trail BROKEN against checkpoint {}: {broken}",
                        path.display()
                    )));
                }
                println!(
                    "checkpoint {} (entry {}, {}): nothing up to it changed",
                    path.display(),
                    cp.seq,
                    cp.at.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
            println!("audit trail intact: {} entries", verified.entries);
            if verified.unkeyed > 0 {
                println!(
                    "note: the first {} entries were written before the chain was keyed; \
                     only a checkpoint taken after them protects them",
                    verified.unkeyed
                );
            }
            Ok(())
        }
        AuditCommand::Checkpoint { out } => {
            let cp = match audit::checkpoint(&conn, &keys).await.map_err(runtime_db)? {
                Ok(cp) => cp,
                Err(broken) => {
                    return Err(Failure::Runtime(format!(
                        "audit trail BROKEN, no checkpoint written: {broken}"
                    )));
                }
            };
            let text =
                serde_json::to_string_pretty(&cp).map_err(|e| Failure::Runtime(e.to_string()))?;
            match out {
                Some(path) => {
                    std::fs::write(&path, format!("{text}\n")).map_err(|e| {
                        Failure::Runtime(format!("cannot write {}: {e}", path.display()))
                    })?;
                    println!(
                        "checkpoint of entry {} written to {}; keep it outside this system",
                        cp.seq,
                        path.display()
                    );
                }
                None => println!("{text}"),
            }
            eprintln!("public key: {}", cp.public_key);
            Ok(())
        }
    }
}

async fn token_command(config: &Config, cmd: TokenCommand) -> Result<(), Failure> {
    let conn = open_existing(config).await?;
    let keys = crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?;
    match cmd {
        TokenCommand::Create {
            organisation,
            user,
            name,
            scopes,
            expires,
        } => {
            let org = store::organisation_by_name(&conn, organisation.trim())
                .await
                .map_err(runtime_db)?
                .ok_or_else(|| {
                    Failure::Config(format!("--organisation `{organisation}` does not exist"))
                })?;
            let account = store::user_by_username(&conn, user.trim())
                .await
                .map_err(runtime_db)?
                .ok_or_else(|| Failure::Config(format!("--user `{user}` does not exist")))?;
            let (id, token) = tokens::create(&conn, org.id, account.id, &name, &scopes, expires)
                .await
                .map_err(|e| match e {
                    tokens::TokenError::Db(d) => runtime_db(d),
                    tokens::TokenError::Lifetime => Failure::Config(format!("--expires: {e}")),
                    other => Failure::Config(other.to_string()),
                })?;
            audit::append(
                &conn,
                &keys,
                audit::Entry::new(None, "token.create", "api_token").record(id),
            )
            .await
            .map_err(runtime_db)?;
            println!(
                "token {id} for {} as {}: {token}",
                account.username, org.name
            );
            println!(
                "It expires in {expires} days. Store it now: it is kept only as a hash and \
                 cannot be shown again."
            );
            Ok(())
        }
        TokenCommand::List => {
            let now = chrono::Utc::now();
            let names = crate::network::store::names(&conn)
                .await
                .map_err(runtime_db)?;
            println!("id\tname\torganisation\taccount\tscopes\texpires\tlast used\tstate");
            for t in tokens::all(&conn).await.map_err(runtime_db)? {
                let account = match t.user_id {
                    Some(u) => store::user(&conn, u)
                        .await
                        .map_err(runtime_db)?
                        .map(|u| u.username)
                        .unwrap_or_default(),
                    None => String::new(),
                };
                let expiry = tokens::expiry(&t);
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if expiry <= now {
                    "expired"
                } else {
                    "live"
                };
                let when = |t: chrono::DateTime<chrono::Utc>| crate::platform::time::rome_time(&t);
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.name,
                    names.get(&t.organisation_id).cloned().unwrap_or_default(),
                    account,
                    t.scopes,
                    when(expiry),
                    t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            if tokens::revoke(&conn, id).await.map_err(runtime_db)? {
                audit::append(
                    &conn,
                    &keys,
                    audit::Entry::new(None, "token.revoke", "api_token").record(id),
                )
                .await
                .map_err(runtime_db)?;
                println!("token {id} revoked");
                Ok(())
            } else {
                Err(Failure::Runtime(format!("no live token with id {id}")))
            }
        }
    }
}

fn print_demo_banner(config: &Config, accounts: &[crate::demo::DemoAccount]) {
    println!();
    println!("==================================================================");
    println!(" SATIS DEMONSTRATION — invented data only, never real people");
    println!("==================================================================");
    println!(
        " Database : {}",
        crate::platform::config::redact_url(&config.database_url)
    );
    println!(" Open     : http://{}/", config.listen);
    println!(
        " Sign in at http://{}/login — one account per role, password {}",
        config.listen,
        crate::demo::DEMO_PASSWORD
    );
    for a in accounts {
        println!("   {:<16} {:<26} {}", a.username, a.role, a.organisation);
    }
    println!(" Second factor: the demonstration's sign-in page shows the current code");
    println!(
        " (or add the key {} to an authenticator app).",
        crate::identity::totp::secret_base32(crate::demo::DEMO_TOTP_SECRET)
    );
    println!(
        " JSON API: http://{}/api/v1/openapi.json — a token for an account, e.g.",
        config.listen
    );
    println!(
        "   satis token create --user numeroverde --organisation \"CAT Coop. sociale Onlus\" --name prova --scope hotline:read"
    );
    println!(
        " Public report form: http://{}/segnala — the receipt {} opens an invented",
        config.listen,
        crate::demo::DEMO_RECEIPT
    );
    println!("   report's thread at /segnala/ricevuta; the hotline triages it at /reports.");
    println!(" Real data: run `satis serve` (the default) with its own data directory.");
    println!("==================================================================");
    println!();
}

async fn serve(config: Config, wanted: Mode) -> Result<(), Failure> {
    let listen = config.listen;
    let backend = config.backend_name();
    let (router, state) = crate::build_app(config, wanted)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot listen on {listen}: {e}")))?;
    tracing::info!(%listen, backend, demo = state.demo, "SATIS is listening");
    crate::cases::spawn_daily_retention(state.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| Failure::Runtime(format!("server stopped: {e}")))?;
    tracing::info!("SATIS stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
