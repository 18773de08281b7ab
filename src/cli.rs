//! The `satis` command line. `satis` alone serves; see `satis --help`.
//! Exit codes: 0 success, 1 runtime failure (database, network), 2 usage or configuration error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::platform::config::{Config, LogFormat, default_database_url};
use crate::platform::db;
use crate::platform::settings::Mode;

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
    },
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
        Some(Command::Demo { no_serve }) => {
            init_logging(config.log_format);
            if std::env::var_os("SATIS_DATA_DIR").is_none()
                && config.data_dir.as_path() == std::path::Path::new("data")
            {
                config.data_dir = PathBuf::from("data-demo");
                if config.database_url_is_default {
                    config.database_url = default_database_url(&config.data_dir);
                }
            }
            ensure_data_dir(&config)?;
            let db = db::open(&config.database_url)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let accounts = crate::demo::load(&db)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            db.close().await.ok();
            print_demo_banner(&config, &accounts);
            if no_serve {
                return Ok(());
            }
            serve(config, Mode::Demo).await
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
    if accounts.is_empty() {
        println!(" Accounts : none yet (sign-in arrives with the identity issue)");
    } else {
        println!(
            " Accounts (one per role; password for all: {}):",
            crate::demo::DEMO_PASSWORD
        );
        for a in accounts {
            println!("   {:<16} {:<28} {}", a.username, a.role, a.organisation);
        }
    }
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
    axum::serve(listener, router)
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
