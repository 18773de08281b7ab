//! `satis audit`: verify the keyed hash chain, and sign checkpoints for the DPO.

use super::*;

#[derive(Subcommand, Debug)]
pub(super) enum AuditCommand {
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

pub(super) async fn run(config: &Config, cmd: AuditCommand) -> Result<(), Failure> {
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
