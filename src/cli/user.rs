//! `satis user`: the first administrator of a fresh install, and disabling or resetting an
//! account from the machine.

use super::*;
use crate::identity::ops::{
    self, AccountChange, AdminError, NewOrganisation, NewUser, OneTimePassword,
};
use crate::identity::store;
use crate::platform::policy::Role;
use sea_orm::TransactionTrait;

#[derive(Subcommand, Debug)]
pub(super) enum UserCommand {
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

pub(super) async fn find_user(
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

pub(super) async fn run(config: &Config, cmd: UserCommand) -> Result<(), Failure> {
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
