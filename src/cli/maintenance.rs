//! `satis retention run` and `satis keys rotate`: the retention policy and key rotation by hand.

use super::*;

#[derive(Subcommand, Debug)]
pub(super) enum RetentionCommand {
    /// Erase identity data and notes of cases closed longer ago than `retention_days`
    Run,
}

#[derive(Subcommand, Debug)]
pub(super) enum KeysCommand {
    /// Add a new key and re-encrypt every encrypted field with it
    Rotate,
    /// Create an age identity for backups and print its public key (for `satis backup
    /// --recipient`)
    BackupIdentity {
        /// Where to write the identity (never overwritten; keep it offline)
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// Write the key file protected by a passphrase, to keep apart from the backups (the
    /// passphrase from --passphrase-file, SATIS_KEYS_PASSPHRASE or typed on standard input)
    Export {
        /// Where to write the protected key file (never overwritten)
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
        /// A file whose first line is the passphrase (at least 12 characters)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<std::path::PathBuf>,
    },
    /// Put an exported key file in place as this installation's key file, before a restore
    /// (an existing key file is never overwritten)
    Import {
        /// The file written by `satis keys export`
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
        /// A file whose first line is the passphrase
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<std::path::PathBuf>,
    },
}

pub(super) async fn retention(config: &Config) -> Result<(), Failure> {
    let conn = open_existing(config).await?;
    let keys = crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?;
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

pub(super) async fn rotate_keys(config: &Config) -> Result<(), Failure> {
    let conn = open_existing(config).await?;
    let mut ring = crate::open_keys(config).map_err(|e| Failure::Runtime(e.to_string()))?;
    let id = ring.add_key();
    // The key file is written first: if re-encryption fails half-way, every value is
    // still readable with the keys in the file.
    ring.save(&config.keys_file)
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let n = crate::platform::keys::reencrypt_all(&conn, &ring, &crate::app::encrypted_columns())
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    // A new linkage secret came with the new key: every person's linkage key is made again.
    let linkage = crate::cases::reencode_linkage_keys(&conn, &ring)
        .await
        .map_err(runtime_db)?;
    audit::append(
        &conn,
        &ring,
        audit::Entry::new(None, "keys.rotate", "key").record(id),
    )
    .await
    .map_err(runtime_db)?;
    println!(
        "new key {id} in {}; {n} values re-encrypted; {linkage} linkage keys made again",
        config.keys_file.display()
    );
    Ok(())
}
