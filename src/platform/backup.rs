//! Encrypted backups and checked restores of the database.
//!
//! A backup is a consistent snapshot taken while the server serves and writes (SQLite's
//! `VACUUM INTO`; `pg_dump` in custom format for PostgreSQL), encrypted with the age format to
//! the recipients the administrator names: whoever holds the backup file without one of their
//! identities reads nothing. The key file of the installation is not in the backup, on purpose
//! (docs/OPERATIONS.md says how to keep it apart).
//!
//! A restore checks before it swaps anything in: the archive decrypts with the given identity,
//! SQLite's integrity check passes, every migration it has applied is one this version knows,
//! and its audit chain verifies with the installation's keys. It refuses to replace a database
//! that holds anything unless told to (`force`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::platform::crypto::KeyRing;

/// Why a backup or a restore did not happen. Nothing was replaced.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// What the administrator typed cannot be used (a recipient, an identity, a path).
    #[error("{0}")]
    Usage(String),
    /// The archive or the database it holds fails a check.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

fn failed(what: &str) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Failed(format!("{what}: {e}"))
}

/// The shortest passphrase a key file export accepts (characters).
pub const MIN_PASSPHRASE: usize = 12;

/// The key file sealed with a passphrase (age's scrypt recipient), to keep apart from the
/// backups: the backups are useless without it, and it is useless without the passphrase.
/// The text must be a key file this version reads.
pub fn seal_key_file(key_text: &str, passphrase: &str) -> Result<Vec<u8>, BackupError> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(BackupError::Usage(format!(
            "the passphrase must have at least {MIN_PASSPHRASE} characters"
        )));
    }
    KeyRing::from_text(key_text, "key file").map_err(|e| BackupError::Refused(e.to_string()))?;
    let recipient =
        age::scrypt::Recipient::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    age::encrypt(&recipient, key_text.as_bytes())
        .map_err(|e| BackupError::Failed(format!("sealing the key file: {e}")))
}

/// Opens a key file sealed by [`seal_key_file`]: its text, checked to be a key file.
pub fn open_key_file(sealed: &[u8], passphrase: &str) -> Result<String, BackupError> {
    let identity =
        age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    let text = age::decrypt(&identity, sealed)
        .map_err(|_| {
            BackupError::Refused(
                "the file does not open with this passphrase (or is not an exported key file)"
                    .to_owned(),
            )
        })
        .and_then(|b| {
            String::from_utf8(b)
                .map_err(|_| BackupError::Refused("the file is not a key file".to_owned()))
        })?;
    KeyRing::from_text(&text, "exported key file")
        .map_err(|e| BackupError::Refused(e.to_string()))?;
    Ok(text)
}

/// Reads age recipients (`age1…`), one per entry; blank entries and `#` comments are skipped,
/// as in an age recipients file.
pub fn recipients(entries: &[String]) -> Result<Vec<age::x25519::Recipient>, BackupError> {
    let mut out = Vec::new();
    for e in entries.iter().map(|e| e.trim()) {
        if e.is_empty() || e.starts_with('#') {
            continue;
        }
        out.push(age::x25519::Recipient::from_str(e).map_err(|_| {
            BackupError::Usage(format!(
                "`{e}` is not an age recipient (a public key starting with age1)"
            ))
        })?);
    }
    if out.is_empty() {
        return Err(BackupError::Usage(
            "name at least one age recipient: a backup is never written in clear".into(),
        ));
    }
    Ok(out)
}

/// A new age identity for backups: (the identity file's text, its public recipient).
pub fn new_identity() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    let public = id.to_public().to_string();
    let text = format!(
        "# SATIS backup identity, created {}\n# public key: {public}\n{}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        id.to_string().expose_secret()
    );
    (text, public)
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
}

/// A file removed when dropped (a snapshot in the clear never outlives the command).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// The SQLite file a `sqlite:` URL names.
fn sqlite_file(url: &str) -> Result<PathBuf, BackupError> {
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| BackupError::Usage(format!("the database URL cannot be read: {e}")))?;
    Ok(opts.get_filename().to_path_buf())
}

/// A scratch file beside `near` (same file system, same protection as the database itself).
fn scratch_beside(near: &Path, what: &str) -> Scratch {
    let dir = near
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Scratch(dir.join(format!(
        ".satis-{what}-{}.tmp",
        crate::platform::crypto::random_token(12)
    )))
}

fn encrypt_to(
    mut source: impl Read,
    to: &Path,
    recipients: &[age::x25519::Recipient],
) -> Result<u64, BackupError> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| BackupError::Usage(format!("the recipients cannot be used: {e}")))?;
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = std::fs::File::create(&partial).map_err(failed("creating the backup file"))?;
    let mut writer = encryptor
        .wrap_output(std::io::BufWriter::new(file))
        .map_err(failed("writing the backup"))?;
    std::io::copy(&mut source, &mut writer).map_err(failed("writing the backup"))?;
    let file = writer
        .finish()
        .map_err(failed("writing the backup"))?
        .into_inner()
        .map_err(|e| BackupError::Failed(format!("writing the backup: {}", e.error())))?;
    file.sync_all().map_err(failed("writing the backup"))?;
    std::fs::rename(&partial, to).map_err(failed("naming the backup"))?;
    Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
}

/// Takes a consistent snapshot of the database behind `db` (whose URL is `url`) and writes it
/// to `to`, encrypted to `recipients`.
pub async fn backup(
    db: &DatabaseConnection,
    url: &str,
    to: &Path,
    recipients: &[age::x25519::Recipient],
) -> Result<BackupReport, BackupError> {
    if recipients.is_empty() {
        return Err(BackupError::Usage(
            "name at least one age recipient: a backup is never written in clear".into(),
        ));
    }
    let bytes = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let live = sqlite_file(url)?;
            let snapshot = scratch_beside(&live, "backup");
            let target = snapshot.0.to_string_lossy().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
                .await
                .map_err(|e| {
                    BackupError::Failed(format!(
                        "taking the snapshot: {}",
                        crate::platform::db::describe(&e)
                    ))
                })?;
            let file = std::fs::File::open(&snapshot.0).map_err(failed("reading the snapshot"))?;
            encrypt_to(std::io::BufReader::new(file), to, recipients)?
        }
        _ => {
            // pg_dump reads the URL itself; its custom format goes straight into the
            // encryption, never to disk in clear. The shared throttles' counts and hourly
            // secret are left out: they live an hour, and with them a copy could turn a
            // client's key back into an address.
            let source = crate::platform::db::postgres_url(url);
            let mut child = std::process::Command::new("pg_dump")
                .args([
                    "--format=custom",
                    "--no-owner",
                    "--exclude-table-data=throttle_count",
                    "--exclude-table-data=throttle_secret",
                    "--dbname",
                    &source,
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| {
                    BackupError::Usage(format!(
                        "pg_dump cannot be run ({e}): install PostgreSQL's client tools, or \
                         back up with the tools docs/OPERATIONS.md names"
                    ))
                })?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| BackupError::Failed("pg_dump gave no output".into()))?;
            let written = encrypt_to(stdout, to, recipients);
            let out = child
                .wait_with_output()
                .map_err(failed("running pg_dump"))?;
            if !out.status.success() {
                let _ = std::fs::remove_file(to);
                return Err(BackupError::Failed(format!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            written?
        }
    };
    Ok(BackupReport {
        path: to.to_path_buf(),
        bytes,
    })
}

/// The archive opened for reading in clear with the identities of `identity_file`.
fn open_archive(
    from: &Path,
    identity_file: &Path,
) -> Result<age::stream::StreamReader<std::io::BufReader<std::fs::File>>, BackupError> {
    let ids = identities(identity_file)?;
    let archive = std::fs::File::open(from)
        .map_err(|e| BackupError::Usage(format!("{}: {e}", from.display())))?;
    let decryptor = age::Decryptor::new(std::io::BufReader::new(archive)).map_err(|e| {
        BackupError::Refused(format!("{} is not an age archive: {e}", from.display()))
    })?;
    decryptor
        .decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| {
            BackupError::Refused(format!("the archive does not open with this identity: {e}"))
        })
}

/// Decrypts the archive into a new file (a scratch file beside the database), durably.
fn decrypt_to_file(from: &Path, identity_file: &Path, to: &Path) -> Result<(), BackupError> {
    let mut reader = open_archive(from, identity_file)?;
    let mut out = std::fs::File::create(to).map_err(failed("writing the restored database"))?;
    std::io::copy(&mut reader, &mut out)
        .map_err(|e| BackupError::Refused(format!("the archive is damaged or truncated: {e}")))?;
    out.flush()
        .map_err(failed("writing the restored database"))?;
    out.sync_all()
        .map_err(failed("writing the restored database"))
}

/// Decrypts the archive into `pg_restore` for the database at `url` (with `clean`, the
/// objects it holds are dropped first). Nothing reaches the disk in clear.
fn pg_restore_into(
    url: &str,
    from: &Path,
    identity_file: &Path,
    clean: bool,
) -> Result<(), BackupError> {
    let mut reader = open_archive(from, identity_file)?;
    let mut args = vec![
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        "--dbname",
    ];
    let target = crate::platform::db::postgres_url(url);
    args.push(&target);
    if clean {
        args.extend(["--clean", "--if-exists"]);
    }
    let mut child = std::process::Command::new("pg_restore")
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            BackupError::Usage(format!(
                "pg_restore cannot be run ({e}): install PostgreSQL's client tools"
            ))
        })?;
    // What pg_restore says is read beside the copy, so that neither side waits on the other.
    let stderr = child.stderr.take();
    let said = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let copied = match child.stdin.take() {
        Some(mut stdin) => std::io::copy(&mut reader, &mut stdin).map(|_| ()),
        None => Ok(()),
    };
    let status = child.wait().map_err(failed("running pg_restore"))?;
    let said = said.join().unwrap_or_default();
    copied
        .map_err(|e| BackupError::Refused(format!("the archive is damaged or truncated: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(BackupError::Refused(format!(
            "pg_restore refused the archive (nothing changed: it runs in one transaction): {}",
            said.trim()
        )))
    }
}

/// Restores a PostgreSQL archive: first into a scratch database on the same server, where it is
/// checked (known migrations, audit chain with this installation's keys); only then into the
/// database at `url`, in one transaction. The scratch database is dropped in every case.
async fn restore_postgres(
    url: &str,
    from: &Path,
    identity_file: &Path,
    keys: &KeyRing,
    force: bool,
) -> Result<RestoreReport, BackupError> {
    // The identity file is read (and checked) here, used in the synchronous restores: an
    // identity is not held across a wait.
    drop(identities(identity_file)?);
    if holds_data(url).await? && !force {
        return Err(BackupError::Refused(
            "the database already holds data: nothing replaced (add --force to replace it, \
             after backing it up)"
                .to_owned(),
        ));
    }
    let mut scratch_url = url::Url::parse(url)
        .map_err(|e| BackupError::Usage(format!("the database URL cannot be read: {e}")))?;
    // A name that needs no quoting: lower-case letters, digits and `_` only.
    let scratch = format!(
        "satis_restore_{}",
        crate::platform::crypto::random_token(12)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            })
            .collect::<String>()
    );
    scratch_url.set_path(&scratch);
    let admin = crate::platform::db::connect(url)
        .await
        .map_err(|e| BackupError::Failed(e.to_string()))?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {scratch}"))
        .await
        .map_err(|e| {
            BackupError::Usage(format!(
                "a scratch database to check the archive cannot be created ({}): the \
                 database user needs CREATEDB",
                crate::platform::db::describe(&e)
            ))
        })?;
    let checked = async {
        pg_restore_into(scratch_url.as_str(), from, identity_file, false)?;
        let db = crate::platform::db::connect(scratch_url.as_str())
            .await
            .map_err(|e| BackupError::Failed(e.to_string()))?;
        let report = check_database(&db, keys).await;
        let _ = db.close().await;
        report
    }
    .await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
        .await;
    let report = checked?;
    // The target may hold the tables of an earlier start (empty) or, with --force, data:
    // the archive's objects are dropped and recreated in the same transaction.
    let has_tables = admin
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0)
        > 0;
    let _ = admin.close().await;
    pg_restore_into(url, from, identity_file, has_tables)?;
    // The planner's statistics are not in a dump: refreshed before the service opens.
    if let Ok(db) = crate::platform::db::connect(url).await {
        let _ = crate::platform::db::analyze(&db).await;
        let _ = db.close().await;
    }
    Ok(report)
}

/// The file name of a scheduled backup taken at `at` (Italian time): sorting by name sorts by
/// time.
pub fn scheduled_name(at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "satis-{}.age",
        at.with_timezone(&chrono_tz::Europe::Rome)
            .format("%Y%m%d-%H%M%S")
    )
}

/// The scheduled backups in `dir` beyond the newest `keep`, oldest first: what pruning deletes
/// (only files named as [`scheduled_name`] makes them; anything else is left alone).
pub fn beyond_keep(dir: &Path, keep: usize) -> Vec<PathBuf> {
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.len() == "satis-20261203-023000.age".len()
                            && n.starts_with("satis-")
                            && n.ends_with(".age")
                            && n[6..21].chars().all(|c| c.is_ascii_digit() || c == '-')
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    ours.sort();
    let extra = ours.len().saturating_sub(keep);
    ours.truncate(extra);
    ours
}

/// Takes the scheduled backup now: into the configured directory (created, owner only),
/// encrypted to the configured recipients, then deletes the scheduled backups beyond `keep`.
/// The outcome is recorded in the audit trail (`backup.create`, or `backup.failed` with the
/// reason), which the administrator's desk and the metrics read. Returns the file written.
pub async fn run_scheduled(
    db: &DatabaseConnection,
    keys: &KeyRing,
    url: &str,
    schedule: &crate::platform::config::BackupSchedule,
) -> Result<PathBuf, BackupError> {
    let taken = async {
        let recipients = recipients(&schedule.recipients)?;
        std::fs::create_dir_all(&schedule.dir).map_err(failed("creating the backup directory"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&schedule.dir, std::fs::Permissions::from_mode(0o700))
                .map_err(failed("protecting the backup directory"))?;
        }
        let to = schedule.dir.join(scheduled_name(chrono::Utc::now()));
        backup(db, url, &to, &recipients).await?;
        for old in beyond_keep(&schedule.dir, schedule.keep) {
            std::fs::remove_file(&old).map_err(failed("deleting an old backup"))?;
        }
        Ok::<_, BackupError>(to)
    }
    .await;
    let entry = match &taken {
        Ok(_) => crate::platform::audit::Entry::new(None, "backup.create", "backup").reason(
            format!("scheduled, {} recipients", schedule.recipients.len()),
        ),
        Err(e) => crate::platform::audit::Entry::new(None, "backup.failed", "backup")
            .reason(e.to_string()),
    };
    crate::platform::audit::append(db, keys, entry)
        .await
        .map_err(|e| {
            BackupError::Failed(format!(
                "recording the backup: {}",
                crate::platform::db::describe(&e)
            ))
        })?;
    taken
}

/// Runs the scheduled backup every day at the configured Italian time, if one is configured:
/// never at start-up. With several instances on one database, an instance that finds a good
/// backup recorded in the last 30 minutes (another instance's) takes none.
pub fn spawn_scheduled(state: crate::platform::web::SharedState) {
    let Some((hour, minute)) = state.config.backup.at else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            let at = crate::platform::time::next_rome_time(now, hour, minute);
            let wait = (at - now)
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(3600));
            tokio::time::sleep(wait).await;
            // Once per cluster: the instance that claims today's lease takes it.
            if !crate::platform::jobs::claim_daily(&state.db, "backup").await {
                continue;
            }
            let recent = crate::platform::audit::last_success(&state.db, "backup.create")
                .await
                .ok()
                .flatten()
                .is_some_and(|t| chrono::Utc::now() - t < chrono::Duration::minutes(30));
            if recent {
                tracing::info!("scheduled backup skipped: another instance has just taken one");
                continue;
            }
            match run_scheduled(
                &state.db,
                &state.keys,
                &state.config.database_url,
                &state.config.backup,
            )
            .await
            {
                Ok(path) => tracing::info!(file = %path.display(), "scheduled backup taken"),
                Err(e) => tracing::error!(reason = %e, "scheduled backup failed"),
            }
        }
    });
}

/// What a restore checked and put in place.
#[derive(Debug)]
pub struct RestoreReport {
    pub audit_entries: i64,
    pub migrations: usize,
}

/// Reads the identities of an age identity file.
fn identities(path: &Path) -> Result<Vec<Box<dyn age::Identity>>, BackupError> {
    let file = age::IdentityFile::from_file(path.to_string_lossy().into_owned())
        .map_err(|e| BackupError::Usage(format!("the identity file {}: {e}", path.display())))?;
    file.into_identities().map_err(|e| {
        BackupError::Usage(format!(
            "the identity file {} holds no usable identity: {e}",
            path.display()
        ))
    })
}

/// Whether the database at `url` holds anything a restore would throw away.
async fn holds_data(url: &str) -> Result<bool, BackupError> {
    if url.starts_with("sqlite:") && !sqlite_file(url)?.exists() {
        return Ok(false);
    }
    let db = crate::platform::db::connect(url)
        .await
        .map_err(|e| BackupError::Failed(e.to_string()))?;
    let backend = db.get_database_backend();
    // No audit table yet (a file never migrated) holds nothing either.
    let rows = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM audit_event",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    let _ = db.close().await;
    Ok(rows > 0)
}

/// Checks a decrypted SQLite snapshot: integrity, known migrations, an intact audit chain.
async fn check_snapshot(path: &Path, keys: &KeyRing) -> Result<RestoreReport, BackupError> {
    let url = format!("sqlite://{}", path.display());
    let db = crate::platform::db::connect(&url)
        .await
        .map_err(|e| BackupError::Refused(format!("the archive is not a SATIS database: {e}")))?;
    let result = check_database(&db, keys).await;
    let _ = db.close().await;
    result
}

/// Checks a restored database before it is put in place: SQLite's integrity check (SQLite),
/// every migration applied known to this version, an audit chain that verifies with `keys`.
async fn check_database(
    db: &DatabaseConnection,
    keys: &KeyRing,
) -> Result<RestoreReport, BackupError> {
    let backend = db.get_database_backend();
    async {
        if backend == DbBackend::Sqlite {
            let integrity: String = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "PRAGMA integrity_check",
                ))
                .await
                .ok()
                .flatten()
                .and_then(|r| r.try_get_by_index::<String>(0).ok())
                .unwrap_or_default();
            if integrity != "ok" {
                return Err(BackupError::Refused(format!(
                    "the archived database fails SQLite's integrity check: {integrity}"
                )));
            }
        }
        let applied: Vec<String> = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT version FROM seaql_migrations ORDER BY version",
            ))
            .await
            .map_err(|_| {
                BackupError::Refused(
                    "the archive holds no SATIS migrations: not a SATIS database".into(),
                )
            })?
            .iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
        let known = crate::platform::db::migration_names();
        if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
            return Err(BackupError::Refused(format!(
                "the archive was written by a newer SATIS (migration {unknown} is unknown to \
                 this version): restore it with that version or a later one"
            )));
        }
        let verified = match crate::platform::audit::verify(db, keys).await {
            Ok(Ok(v)) => v,
            Ok(Err(broken)) => {
                return Err(BackupError::Refused(format!(
                    "the archive's audit trail does not verify with this installation's keys \
                     ({broken}): is the key file the one of the installation backed up?"
                )));
            }
            Err(e) => {
                return Err(BackupError::Refused(format!(
                    "the archive's audit trail cannot be read: {}",
                    crate::platform::db::describe(&e)
                )));
            }
        };
        // Everything in the main file: no write-ahead log left beside it to lose.
        if backend == DbBackend::Sqlite {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .map_err(|e| {
                    BackupError::Failed(format!(
                        "checkpointing the restored database: {}",
                        crate::platform::db::describe(&e)
                    ))
                })?;
        }
        Ok(RestoreReport {
            audit_entries: verified.entries,
            migrations: applied.len(),
        })
    }
    .await
}

/// Restores the archive `from` (decrypted with the identities of `identity_file`) as the
/// database at `url`, after checking it with the installation's `keys`. The server must be
/// stopped. Replaces a database holding data only with `force`.
pub async fn restore(
    url: &str,
    from: &Path,
    identity_file: &Path,
    keys: &KeyRing,
    force: bool,
) -> Result<RestoreReport, BackupError> {
    if !url.starts_with("sqlite:") {
        return restore_postgres(url, from, identity_file, keys, force).await;
    }
    drop(identities(identity_file)?);
    let target = sqlite_file(url)?;
    if holds_data(url).await? && !force {
        return Err(BackupError::Refused(format!(
            "{} already holds data: nothing replaced (add --force to replace it, after \
             backing it up)",
            target.display()
        )));
    }
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed("creating the data directory"))?;
    }
    let scratch = scratch_beside(&target, "restore");
    decrypt_to_file(from, identity_file, &scratch.0)?;
    let report = check_snapshot(&scratch.0, keys).await?;
    for suffix in ["-wal", "-shm"] {
        let mut p = target.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&scratch.0, &target)
        .map_err(failed("putting the restored database in place"))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exported_key_file_opens_only_with_its_passphrase() {
        let text = KeyRing::generate().to_text();
        assert!(matches!(
            seal_key_file(&text, "short"),
            Err(BackupError::Usage(_))
        ));
        assert!(matches!(
            seal_key_file("not a key file", "a long enough passphrase"),
            Err(BackupError::Refused(_))
        ));
        let sealed = seal_key_file(&text, "correct horse battery").unwrap();
        assert!(sealed.starts_with(b"age-encryption.org/v1"));
        let key_line = text.lines().find(|l| l.starts_with("key ")).unwrap();
        let secret = key_line.split_whitespace().last().unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains(secret));
        assert!(open_key_file(&sealed, "wrong horse battery").is_err());
        assert_eq!(
            open_key_file(&sealed, "correct horse battery").unwrap(),
            text
        );
    }
}
