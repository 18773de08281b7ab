//! `satis demo`: the demonstration network, loaded into its own database and served, with every
//! login explained on screen.

use super::*;

pub(super) async fn run(mut config: Config, no_serve: bool, scale: String) -> Result<(), Failure> {
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
        let g =
            crate::demo_scale::generate(&db, crate::demo_scale::Scale::NATIONAL, 2026, |what| {
                eprintln!("satis: generating {what}…")
            })
            .await
            .map_err(runtime_db)?;
        crate::platform::db::analyze(&db)
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
    // The command as it can be typed in this directory: the binary that is running now.
    let binary = std::env::current_exe()
        .ok()
        .map(|p| {
            let p = std::env::current_dir()
                .ok()
                .and_then(|d| p.strip_prefix(d).ok().map(std::path::Path::to_path_buf))
                .unwrap_or(p);
            p.display().to_string()
        })
        .unwrap_or_else(|| "satis".to_owned());
    // In another terminal, the command reaches the demonstration's own database and keys.
    println!(
        "   SATIS_DATA_DIR={} {binary} token create --user numeroverde --organisation \"CAT Coop. sociale Onlus\" --name prova --scope hotline:read",
        config.data_dir.display()
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
