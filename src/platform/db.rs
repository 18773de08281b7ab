//! Database connection: SQLite (default, embedded) or PostgreSQL, chosen from the URL at runtime.
//!
//! SQLite connections are opened with WAL, `synchronous=FULL`, foreign keys and a busy timeout on
//! every connection of the pool. Before serving, [`verify_durability`] checks that those settings
//! (or, on PostgreSQL, `fsync` and `synchronous_commit`) are really in force.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    SqlxSqliteConnector, Statement,
};
use sea_orm_migration::MigratorTrait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::platform::config::redact_url;
use crate::platform::migrations::Migrator;

/// Why the database cannot be used. Messages never contain passwords or data.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the database does not guarantee durable writes: {0}")]
    NotDurable(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(String),
}

/// A short description of a database error that cannot carry personal data: the error kind only.
/// Full messages may quote values (for example a unique-constraint violation) and must not be
/// logged.
pub fn describe(err: &DbErr) -> &'static str {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => "database connection unavailable",
        DbErr::RecordNotFound(_) => "record not found",
        DbErr::RecordNotInserted | DbErr::RecordNotUpdated => "record not written",
        DbErr::Exec(_) | DbErr::Query(_) => "database statement failed",
        DbErr::Migration(_) => "database migration failed",
        _ => "database error",
    }
}

/// Why the database cannot take a request now, when that is a passing condition rather than a
/// fault: the answer is 503 with `Retry-After`, and the server goes on without a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// No connection free within the pool's timeout, or the database is locked.
    Busy,
    /// The disk (or the database's size limit) is full: nothing was written.
    StorageFull,
}

/// Classifies `err` as a passing unavailability, by the database's own error code.
pub fn unavailability(err: &DbErr) -> Option<Unavailable> {
    use sea_orm::RuntimeErr;
    use sqlx::Error as SqlxError;
    if matches!(err, DbErr::ConnectionAcquire(_)) {
        return Some(Unavailable::Busy);
    }
    let runtime = match err {
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => r,
        _ => return None,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return None;
    };
    match &**sqlx {
        SqlxError::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // SQLite: 13 SQLITE_FULL (also its extended codes); 5/6 BUSY/LOCKED.
            // PostgreSQL: 53100 disk_full, 53xxx insufficient resources.
            match code.as_str() {
                "13" => Some(Unavailable::StorageFull),
                "53100" => Some(Unavailable::StorageFull),
                "5" | "6" | "517" | "261" | "262" | "53000" | "53200" | "53300" => {
                    Some(Unavailable::Busy)
                }
                _ => None,
            }
        }
        SqlxError::PoolTimedOut | SqlxError::PoolClosed => Some(Unavailable::Busy),
        _ => None,
    }
}

/// Opens a pool on `url`. For SQLite the file (and its directory) is created if missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbError> {
    let shown = redact_url(url);
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbError::Connect {
                url: shown.clone(),
                reason: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = opts.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| DbError::Connect {
                url: shown.clone(),
                reason: format!("cannot create directory {}: {e}", parent.display()),
            })?;
        }
        // No liveness test when a connection is taken from the pool: the database is a file
        // in this process, there is no link to lose, and the driver's test is one more
        // round trip to the connection's thread before every query (issue 23: the case page
        // runs some fifteen queries; docs/BENCHMARKS.md).
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(opts)
            .await
            .map_err(|e| DbError::Connect {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        let mut opts = ConnectOptions::new(postgres_url(url));
        opts.max_connections(16)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Database::connect(opts).await.map_err(|e| DbError::Connect {
            url: shown,
            reason: match e {
                DbErr::Conn(inner) => inner.to_string(),
                DbErr::ConnectionAcquire(inner) => inner.to_string(),
                other => describe(&other).to_owned(),
            },
        })
    }
}

/// The connection pool's use now: (open connections, of which idle, the most it may open);
/// `None` for a connection that is not a pool.
pub fn pool_use(db: &DatabaseConnection) -> Option<(u32, usize, u32)> {
    use sea_orm::DatabaseConnectionType as Kind;
    // The pool is asked for only on the variant that holds it (the getters panic otherwise).
    match &db.inner {
        Kind::SqlxSqlitePoolConnection(_) => {
            let p = db.get_sqlite_connection_pool();
            Some((p.size(), p.num_idle(), p.options().get_max_connections()))
        }
        Kind::SqlxPostgresPoolConnection(_) => {
            let p = db.get_postgres_connection_pool();
            Some((p.size(), p.num_idle(), p.options().get_max_connections()))
        }
        _ => None,
    }
}

/// The PostgreSQL URL as SATIS connects with it: the URL's own `sslmode` is followed when
/// given; without one, a server on this machine (loopback address, `localhost` or a Unix
/// socket) is reached without TLS, which it does not need and which cost about 100 ms per
/// connection and 45–50 ms pauses after small writes (issue 23). A remote server keeps the
/// driver's default (`prefer`); production deployments across a network set
/// `sslmode=verify-full` (docs/OPERATIONS.md).
pub fn postgres_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    if parsed
        .query_pairs()
        .any(|(k, _)| k == "sslmode" || k == "ssl-mode")
    {
        return url.to_owned();
    }
    let socket = parsed
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'));
    let local = match parsed.host() {
        None => true,
        // A `postgres:` URL's host is opaque to the parser: an address comes as a domain.
        Some(url::Host::Domain(d)) => {
            d.is_empty()
                || d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
        }
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
    };
    if socket || local {
        parsed.query_pairs_mut().append_pair("sslmode", "disable");
        parsed.to_string()
    } else {
        url.to_owned()
    }
}

/// Refreshes the planner's statistics after a bulk load (the national-scale demonstration, an
/// import), so that PostgreSQL does not plan large sorts on stale estimates (they spilled
/// 600,000-row sorts to disk, issue 23) and SQLite chooses its indexes on real figures.
pub async fn analyze(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, "ANALYZE".to_owned()))
        .await
        .map(|_| ())
}

/// The backend's name as shown in `/healthz`.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgresql",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

async fn query_text(db: &DatabaseConnection, sql: &str) -> Result<String, DbError> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .map_err(|e| DbError::Query(describe(&e).to_owned()))?
        .ok_or_else(|| DbError::Query(format!("`{sql}` returned nothing")))?;
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .map_err(|_| DbError::Query(format!("`{sql}` returned an unexpected value")))
}

/// Refuses a database whose settings could lose an acknowledged write.
pub async fn verify_durability(db: &DatabaseConnection) -> Result<(), DbError> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let journal = query_text(db, "PRAGMA journal_mode").await?;
            if !journal.eq_ignore_ascii_case("wal") {
                return Err(DbError::NotDurable(format!(
                    "SQLite journal_mode is `{journal}`, not WAL (an in-memory database cannot be used)"
                )));
            }
            let sync = query_text(db, "PRAGMA synchronous").await?;
            if sync != "2" && sync != "3" {
                return Err(DbError::NotDurable(format!(
                    "SQLite synchronous is {sync}, not FULL (2)"
                )));
            }
            let fk = query_text(db, "PRAGMA foreign_keys").await?;
            if fk != "1" {
                return Err(DbError::NotDurable("SQLite foreign keys are off".into()));
            }
        }
        DbBackend::Postgres => {
            let fsync = query_text(db, "SHOW fsync").await?;
            if fsync != "on" {
                return Err(DbError::NotDurable("PostgreSQL fsync is off".into()));
            }
            let commit = query_text(db, "SHOW synchronous_commit").await?;
            if commit == "off" {
                return Err(DbError::NotDurable(
                    "PostgreSQL synchronous_commit is off".into(),
                ));
            }
        }
        _ => return Err(DbError::NotDurable("unsupported database backend".into())),
    }
    Ok(())
}

/// Whether this instance can serve: what `/readyz` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database does not answer.
    Unreachable,
    /// Migrations this version knows are not applied yet (another instance is migrating, or
    /// `satis migrate` has not run).
    Pending(usize),
    /// The database was migrated by a newer version: this one must not write to it.
    Newer,
}

impl Readiness {
    /// The reason given in `/readyz`'s answer.
    pub fn reason(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::Unreachable => "database unreachable",
            Readiness::Pending(_) => "migrations pending",
            Readiness::Newer => "database migrated by a newer version",
        }
    }
}

/// Checks the database answers and carries exactly the migrations this version knows, without
/// changing anything.
pub async fn readiness(db: &DatabaseConnection) -> Readiness {
    if db.ping().await.is_err() {
        return Readiness::Unreachable;
    }
    match Migrator::get_pending_migrations_read_only(db).await {
        Ok(p) if p.is_empty() => Readiness::Ready,
        Ok(p) => Readiness::Pending(p.len()),
        // Applied migrations whose file this version lacks (or the table cannot be read).
        Err(_) => match db.ping().await {
            Ok(()) => Readiness::Newer,
            Err(_) => Readiness::Unreachable,
        },
    }
}

/// The names of the migrations this version knows, as recorded in `seaql_migrations`.
pub fn migration_names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None)
        .await
        .map_err(|e| DbError::Migration(describe(&e).to_owned() + ": " + &migration_detail(&e)))
}

/// Migration errors describe schema statements, never data, so their text is safe to show.
fn migration_detail(err: &DbErr) -> String {
    match err {
        DbErr::Migration(m) => m.clone(),
        DbErr::Exec(e) => e.to_string(),
        DbErr::Query(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// Connects, checks durability and migrates: what every command that touches data does first.
pub async fn open(url: &str) -> Result<DatabaseConnection, DbError> {
    let db = connect(url).await?;
    verify_durability(&db).await?;
    migrate(&db).await?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_postgres_is_reached_without_tls_unless_the_url_says_otherwise() {
        assert_eq!(
            postgres_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
        );
        assert_eq!(
            postgres_url("postgresql://u:p@localhost/satis?application_name=satis"),
            "postgresql://u:p@localhost/satis?application_name=satis&sslmode=disable"
        );
        assert!(postgres_url("postgres://u@[::1]/db").ends_with("?sslmode=disable"));
        assert!(
            postgres_url("postgres:///satis?host=/var/run/postgresql")
                .ends_with("&sslmode=disable")
        );
        // The URL's own choice is kept, and a remote server keeps the driver's default.
        assert_eq!(
            postgres_url("postgres://u@127.0.0.1/db?sslmode=require"),
            "postgres://u@127.0.0.1/db?sslmode=require"
        );
        assert_eq!(
            postgres_url("postgres://u@db.regione.toscana.it/satis"),
            "postgres://u@db.regione.toscana.it/satis"
        );
    }
}
