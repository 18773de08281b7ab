//! `satis token`: API tokens for integrations, created, listed and revoked.

use super::*;
use crate::identity::{store, tokens};

#[derive(Subcommand, Debug)]
pub(super) enum TokenCommand {
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

pub(super) async fn run(config: &Config, cmd: TokenCommand) -> Result<(), Failure> {
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
