//! The `satis` command line. `satis` alone serves; see `satis --help`.
//! Exit codes: 0 success, 1 runtime failure (database, network), 2 usage or configuration error.
//! One module per subcommand; this one parses, dispatches and serves.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::platform::audit;
use crate::platform::config::{Config, LogFormat, default_database_url};
use crate::platform::db;
use crate::platform::settings::Mode;

mod audit_trail;
mod backup;
mod demo;
mod estimate;
mod exchange;
mod maintenance;
mod report;
mod stats;
mod token;
mod user;

use audit_trail::AuditCommand;
use exchange::{ExportCommand, ImportCommand};
use maintenance::{KeysCommand, RetentionCommand};
use report::ReportCommand;
use token::TokenCommand;
use user::UserCommand;

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
    /// Write an encrypted snapshot of the database while the server runs (age format; the key
    /// file is not included: keep it apart)
    Backup {
        /// Where to write the backup
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// An age public key (age1…) the backup is encrypted to (repeatable)
        #[arg(long = "recipient", value_name = "AGE_PUBLIC_KEY")]
        recipients: Vec<String>,
        /// A file of age public keys, one per line
        #[arg(long, value_name = "FILE")]
        recipients_file: Option<PathBuf>,
    },
    /// Restore a backup into this installation's database, after checking it (stop the
    /// server first; the installation's key file must be in place)
    Restore {
        /// The backup to restore
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The age identity file the backup was encrypted to
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// Replace a database that already holds data
        #[arg(long)]
        force: bool,
    },
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
    /// Research estimates (not counts): how many people no list has seen
    #[command(subcommand)]
    Estimate(estimate::EstimateCommand),
    /// The activity report's per-day summaries: rebuild or check them against the records
    #[command(subcommand)]
    Stats(stats::StatsCommand),
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
    let config = load_config(&cli)?;
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
        Some(Command::User(cmd)) => user::run(&config, cmd).await,
        Some(Command::Token(cmd)) => token::run(&config, cmd).await,
        Some(Command::Audit(cmd)) => audit_trail::run(&config, cmd).await,
        Some(Command::Report(cmd)) => report::run(&config, cmd).await,
        Some(Command::Import(cmd)) => exchange::import(&config, cmd).await,
        Some(Command::Export(cmd)) => exchange::export(&config, cmd).await,
        Some(Command::Estimate(cmd)) => estimate::run(&config, cmd).await,
        Some(Command::Stats(cmd)) => stats::run(&config, cmd).await,
        Some(Command::Retention(RetentionCommand::Run)) => maintenance::retention(&config).await,
        Some(Command::Keys(KeysCommand::Rotate)) => maintenance::rotate_keys(&config).await,
        Some(Command::Keys(KeysCommand::BackupIdentity { to })) => backup::new_identity(&to),
        Some(Command::Keys(KeysCommand::Export {
            to,
            passphrase_file,
        })) => backup::export_keys(&config, &to, passphrase_file.as_deref()),
        Some(Command::Keys(KeysCommand::Import {
            from,
            passphrase_file,
        })) => backup::import_keys(&config, &from, passphrase_file.as_deref()),
        Some(Command::Backup {
            to,
            recipients,
            recipients_file,
        }) => backup::run_backup(&config, &to, &recipients, recipients_file.as_deref()).await,
        Some(Command::Restore {
            from,
            identity,
            force,
        }) => backup::run_restore(&config, &from, &identity, force).await,
        Some(Command::Demo { no_serve, scale }) => demo::run(config, no_serve, scale).await,
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

/// A day typed on the command line (YYYY-MM-DD): refused, never guessed, when it is not one.
fn day(flag: &str, v: &str) -> Result<chrono::NaiveDate, Failure> {
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| Failure::Config(format!("--{flag} `{v}` is not a date YYYY-MM-DD")))
}

/// A period typed as --from and --to, in that order.
fn period(from: &str, to: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Failure> {
    let (from, to) = (day("from", from)?, day("to", to)?);
    if to < from {
        return Err(Failure::Config("--to comes before --from".into()));
    }
    Ok((from, to))
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
    if let Some(at) = state.config.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(at)
            .await
            .map_err(|e| Failure::Runtime(format!("cannot listen on {at} for metrics: {e}")))?;
        tracing::info!(%at, "metrics are served");
        let router = crate::app::metrics_router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics, router).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    crate::cases::spawn_daily_retention(state.clone());
    crate::stats::spawn_summary_build(state.clone());
    crate::reminders::notify::spawn(state.clone());
    crate::platform::webhooks::spawn(state.clone());
    crate::news::spawn_daily(state.clone());
    {
        // People recorded before linkage keys existed get theirs (once; cheap when done).
        let state = state.clone();
        tokio::spawn(async move {
            match crate::cases::reencode_linkage_keys(&state.db, &state.keys).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(made = n, "linkage keys made"),
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "linkage keys could not be made"
                ),
            }
        });
    }
    crate::platform::backup::spawn_scheduled(state.clone());
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
