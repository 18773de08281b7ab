//! `satis backup`, `satis restore` and `satis keys backup-identity`: encrypted snapshots of the
//! database and their checked restore (see `platform::backup` and docs/OPERATIONS.md).

use super::*;
use crate::platform::backup::{self, BackupError};

fn failure(e: BackupError) -> Failure {
    match e {
        BackupError::Usage(m) => Failure::Config(m),
        BackupError::Refused(m) => Failure::Runtime(format!("nothing restored: {m}")),
        BackupError::Failed(m) => Failure::Runtime(m),
    }
}

/// `satis backup --to PATH --recipient age1… [--recipients-file FILE]`.
pub(super) async fn run_backup(
    config: &Config,
    to: &std::path::Path,
    recipients: &[String],
    recipients_file: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let mut entries = recipients.to_vec();
    if let Some(file) = recipients_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Config(format!("--recipients-file {}: {e}", file.display())))?;
        entries.extend(text.lines().map(str::to_owned));
    }
    let recipients = backup::recipients(&entries).map_err(failure)?;
    let conn = open_existing(config).await?;
    let report = backup::backup(&conn, &config.database_url, to, &recipients)
        .await
        .map_err(failure)?;
    audit::append(
        &conn,
        &crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?,
        audit::Entry::new(None, "backup.create", "backup")
            .reason(format!("{} recipients", recipients.len())),
    )
    .await
    .map_err(runtime_db)?;
    println!(
        "backup of the {} database written to {} ({} bytes, encrypted to {} recipient(s)).\n\
         The key file {} is NOT in it: keep a copy of the key file apart from the backups \
         (a backup without keys cannot be read; keys beside the backup defeat the encryption).",
        config.backend_name(),
        report.path.display(),
        report.bytes,
        recipients.len(),
        config.keys_file.display()
    );
    Ok(())
}

/// `satis restore --from PATH --identity FILE [--force]`.
pub(super) async fn run_restore(
    config: &Config,
    from: &std::path::Path,
    identity: &std::path::Path,
    force: bool,
) -> Result<(), Failure> {
    if !config.keys_file.exists() {
        return Err(Failure::Config(format!(
            "the key file {} does not exist: put the installation's key file in place first \
             (the restored audit trail is checked with it)",
            config.keys_file.display()
        )));
    }
    let keys = crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?;
    ensure_data_dir(config)?;
    let report = backup::restore(&config.database_url, from, identity, &keys, force)
        .await
        .map_err(failure)?;
    // The restored trail records its own restore (and the database is brought up to date).
    let conn = open_existing(config).await?;
    audit::append(
        &conn,
        &keys,
        audit::Entry::new(None, "backup.restore", "backup").reason(if force {
            "replacing a database that held data"
        } else {
            "into an empty database"
        }),
    )
    .await
    .map_err(runtime_db)?;
    println!(
        "restored {} into the {} database: integrity checked, {} migrations known, audit \
         trail intact ({} entries). The server can be started.",
        from.display(),
        config.backend_name(),
        report.migrations,
        report.audit_entries
    );
    Ok(())
}

/// `satis keys backup-identity --to FILE`: a new age identity for backups.
pub(super) fn new_identity(to: &std::path::Path) -> Result<(), Failure> {
    if to.exists() {
        return Err(Failure::Config(format!(
            "{} exists: an identity is never overwritten (backups made for it would be lost)",
            to.display()
        )));
    }
    let (text, public) = backup::new_identity();
    write_private(to, &text)
        .map_err(|e| Failure::Runtime(format!("writing {}: {e}", to.display())))?;
    println!(
        "backup identity written to {} (keep it offline, apart from the backups).\n\
         Its public key, to give to `satis backup --recipient`:\n{public}",
        to.display()
    );
    Ok(())
}

/// The passphrase of a key file export: the first line of `file`, else
/// `SATIS_KEYS_PASSPHRASE`, else a line typed on standard input.
fn passphrase(file: Option<&std::path::Path>) -> Result<String, Failure> {
    let raw = if let Some(file) = file {
        std::fs::read_to_string(file)
            .map_err(|e| Failure::Config(format!("--passphrase-file {}: {e}", file.display())))?
    } else if let Ok(p) = std::env::var("SATIS_KEYS_PASSPHRASE") {
        p
    } else {
        eprintln!(
            "passphrase (at least {} characters; it is shown as typed: prefer \
             --passphrase-file or SATIS_KEYS_PASSPHRASE):",
            backup::MIN_PASSPHRASE
        );
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Failure::Config(format!("reading the passphrase: {e}")))?;
        line
    };
    Ok(raw.lines().next().unwrap_or_default().to_owned())
}

/// `satis keys export --to FILE`: the key file protected by a passphrase.
pub(super) fn export_keys(
    config: &Config,
    to: &std::path::Path,
    passphrase_file: Option<&std::path::Path>,
) -> Result<(), Failure> {
    if to.exists() {
        return Err(Failure::Config(format!(
            "{} exists: an export is never overwritten",
            to.display()
        )));
    }
    // Never created here: exporting a key file that does not exist would make a new one.
    let text = std::fs::read_to_string(&config.keys_file).map_err(|e| {
        Failure::Config(format!(
            "the key file {} cannot be read: {e}",
            config.keys_file.display()
        ))
    })?;
    let sealed = backup::seal_key_file(&text, &passphrase(passphrase_file)?).map_err(failure)?;
    write_private_bytes(to, &sealed)
        .map_err(|e| Failure::Runtime(format!("writing {}: {e}", to.display())))?;
    println!(
        "key file {} exported to {}, protected by the passphrase.\n\
         Keep it APART from the backups (another place and medium, e.g. a safe or the DPO's \
         office), and the passphrase apart from both: with the backups alone nothing can be \
         read, and with the key file beside them the backups' encryption is worth nothing.",
        config.keys_file.display(),
        to.display()
    );
    Ok(())
}

/// `satis keys import --from FILE`: an exported key file put in place, before a restore.
pub(super) fn import_keys(
    config: &Config,
    from: &std::path::Path,
    passphrase_file: Option<&std::path::Path>,
) -> Result<(), Failure> {
    if config.keys_file.exists() {
        return Err(Failure::Config(format!(
            "the key file {} exists: it is never overwritten (move it away first if it is \
             really to be replaced)",
            config.keys_file.display()
        )));
    }
    let sealed = std::fs::read(from)
        .map_err(|e| Failure::Config(format!("cannot read {}: {e}", from.display())))?;
    let text = backup::open_key_file(&sealed, &passphrase(passphrase_file)?).map_err(failure)?;
    if let Some(parent) = config.keys_file.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::Runtime(format!("creating {}: {e}", parent.display())))?;
    }
    write_private(&config.keys_file, &text)
        .map_err(|e| Failure::Runtime(format!("writing {}: {e}", config.keys_file.display())))?;
    println!(
        "key file put in place at {}: `satis restore` can now check and restore a backup.",
        config.keys_file.display()
    );
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    write_private_bytes(path, text.as_bytes())
}

/// Writes bytes to a new file only its owner can read, durably.
fn write_private_bytes(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
