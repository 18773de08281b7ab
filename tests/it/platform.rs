//! The web shell and the database layer, as a visitor and an operator notice them.

use axum::body::Body;
use axum::http::Method;
use satis::platform::settings::{self, Mode};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{Backend, TestDb};

crate::tests![
    a_daily_job_goes_to_one_instance_at_a_time,
    every_page_links_the_privacy_notice_legal_notes_and_accessibility_statement,
    home_page_is_italian_by_default_with_hotline_numbers,
    english_is_chosen_by_browser_cookie_or_switch,
    login_page_is_reachable_in_both_languages,
    failed_sign_in_is_translated_and_escapes_input,
    unknown_route_gets_translated_404_with_reference,
    wrong_method_gets_translated_page,
    oversized_body_is_refused_with_413,
    every_response_carries_security_headers,
    pages_load_nothing_from_other_origins,
    static_assets_are_cached_and_typed,
    healthz_names_backend_and_reports_outage,
    readyz_says_whether_this_version_may_serve_this_database,
    migrations_are_idempotent,
    database_without_durability_is_refused,
    demo_database_is_marked_and_real_one_refused,
    every_text_column_is_sealed_or_declared,
    a_cases_records_and_an_organisations_lists_are_found_by_index,
    metrics_count_routes_and_queues_and_carry_nothing_personal,
    a_backup_restores_on_either_backend_only_after_its_checks,
    scheduled_backups_are_pruned_and_shown_on_the_administrators_desk,
];

/// The server's own daily backup: written encrypted into the configured directory, the
/// scheduled ones beyond `keep` deleted (nothing else there touched), and the administrator's
/// desk says when the newest good one was taken, or that the last one failed and why.
async fn scheduled_backups_are_pruned_and_shown_on_the_administrators_desk(db: TestDb) {
    use satis::platform::backup;
    let dir = db.dir.path().join("copie");
    let (_, public) = backup::new_identity();
    let config = db.config_with(&[
        ("SATIS_BACKUP_SCHEDULE", "02:30"),
        ("SATIS_BACKUP_KEEP", "2"),
        ("SATIS_BACKUP_DIR", dir.to_str().unwrap()),
        ("SATIS_BACKUP_RECIPIENTS", &public),
    ]);
    let app = db.app_with(config, Mode::Production).await;
    let regione = app.organisation("Regione Toscana").await;
    let admin = app
        .user(
            "amministra",
            satis::platform::policy::Role::Administrator,
            regione,
        )
        .await;
    app.sign_in(&admin).await;
    app.get("/")
        .await
        .assert_status(200)
        .assert_contains("Nessuna copia di sicurezza riuscita registrata")
        .assert_contains("ogni giorno alle 02:30");
    std::fs::create_dir_all(&dir).unwrap();
    for old in [
        "satis-20250101-023000.age",
        "satis-20250102-023000.age",
        "satis-20250103-023000.age",
    ] {
        std::fs::write(dir.join(old), b"old").unwrap();
    }
    std::fs::write(dir.join("appunti.txt"), b"not a backup").unwrap();
    let schedule = app.state.config.backup.clone();
    let written = backup::run_scheduled(
        &app.state.db,
        &app.state.keys,
        &app.state.config.database_url,
        &schedule,
    )
    .await
    .unwrap();
    assert!(
        std::fs::read(&written)
            .unwrap()
            .starts_with(b"age-encryption.org/v1")
    );
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 3, "{left:?}");
    assert_eq!(left[0], "appunti.txt");
    assert_eq!(left[1], "satis-20250103-023000.age");
    let page = app.get("/").await;
    page.assert_contains("Ultima copia di sicurezza riuscita");
    assert!(!page.body.contains("non è riuscita"));
    // A directory that cannot be made: the failure is recorded and shown, with its reason.
    let blocker = db_dir_file(&app);
    let broken = satis::platform::config::BackupSchedule {
        dir: blocker.join("sotto"),
        ..schedule
    };
    assert!(
        backup::run_scheduled(
            &app.state.db,
            &app.state.keys,
            &app.state.config.database_url,
            &broken,
        )
        .await
        .is_err()
    );
    app.get("/")
        .await
        .assert_contains("L&#39;ultima copia di sicurezza programmata non è riuscita")
        .assert_contains("creating the backup directory");
}

/// A plain file in the test's directory (a path under it cannot be a directory).
fn db_dir_file(app: &crate::support::TestApp) -> std::path::PathBuf {
    let f = app.db.dir.path().join("un-file");
    std::fs::write(&f, b"x").unwrap();
    f
}

/// A backup restores into another database of the same backend (PostgreSQL through
/// `pg_restore`, after a check in a scratch database): what was written before it is there
/// once, nothing after; a database holding data is replaced only with `force`; an archive whose
/// audit trail does not verify with the installation's keys is refused and changes nothing.
async fn a_backup_restores_on_either_backend_only_after_its_checks(db: TestDb) {
    use satis::platform::backup;
    let app = db.app().await;
    let db = &app.db;
    let org = app.organisation("Ente del ripristino").await;
    app.user(
        "prima_del_backup",
        satis::platform::policy::Role::CaseWorker,
        org,
    )
    .await;
    // The audit trail the restore checks against the installation's keys.
    for action in ["login.success", "audit.read"] {
        satis::platform::audit::append(
            &app.state.db,
            &app.state.keys,
            satis::platform::audit::Entry::new(None, action, "session"),
        )
        .await
        .unwrap();
    }
    let (identity_text, public) = backup::new_identity();
    let identity = db.dir.path().join("identity.txt");
    std::fs::write(&identity, identity_text).unwrap();
    let archive = db.dir.path().join("satis.age");
    let recipients = backup::recipients(&[public]).unwrap();
    backup::backup(&app.state.db, &db.url, &archive, &recipients)
        .await
        .unwrap();
    app.user(
        "dopo_il_backup",
        satis::platform::policy::Role::CaseWorker,
        org,
    )
    .await;
    let users = |url: String| async move {
        let conn = satis::platform::db::connect(&url).await.unwrap();
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT username FROM app_user",
            ))
            .await
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.try_get_by_index::<String>(0).ok())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let _ = conn.close().await;
        rows
    };

    let target = db.sibling().await;
    // Keys that are not the installation's: the audit trail does not verify, nothing restored.
    let stranger = satis::platform::crypto::KeyRing::generate();
    let refused = backup::restore(&target, &archive, &identity, &stranger, false).await;
    assert!(
        matches!(&refused, Err(backup::BackupError::Refused(m)) if m.contains("audit trail")),
        "{refused:?}"
    );
    assert!(
        users(target.clone()).await.is_empty(),
        "nothing was put in place"
    );

    let report = backup::restore(&target, &archive, &identity, &app.state.keys, false)
        .await
        .unwrap();
    assert!(
        report.audit_entries > 0 && report.migrations > 0,
        "{report:?}"
    );
    let restored = users(target.clone()).await;
    assert_eq!(
        restored.iter().filter(|u| *u == "prima_del_backup").count(),
        1,
        "{restored:?}"
    );
    assert!(
        !restored.iter().any(|u| u == "dopo_il_backup"),
        "{restored:?}"
    );
    let conn = satis::platform::db::connect(&target).await.unwrap();
    let verified = satis::platform::audit::verify(&conn, &app.state.keys)
        .await
        .unwrap();
    assert!(verified.is_ok(), "the restored audit trail verifies");
    let _ = conn.close().await;

    // A database holding data is replaced only when asked to.
    let again = backup::restore(&target, &archive, &identity, &app.state.keys, false).await;
    assert!(
        matches!(&again, Err(backup::BackupError::Refused(m)) if m.contains("--force")),
        "{again:?}"
    );
    backup::restore(&target, &archive, &identity, &app.state.keys, true)
        .await
        .unwrap();
    assert_eq!(
        users(target.clone())
            .await
            .iter()
            .filter(|u| *u == "prima_del_backup")
            .count(),
        1
    );
    crate::support::drop_sibling(&target).await;
}

/// The lookups every case page and the retention sweep make, and the organisation's lists by
/// time, are answered from an index, not by reading whole tables (SQLite's plan is stable on
/// an empty database; PostgreSQL's planner rightly scans tiny tables, so it is not asked).
async fn a_cases_records_and_an_organisations_lists_are_found_by_index(db: TestDb) {
    use sea_orm::{ConnectionTrait, Statement};
    if db.backend != Backend::Sqlite {
        return;
    }
    let app = db.app().await;
    let conn = &app.state.db;
    for (sql, index) in [
        (
            "SELECT id FROM case_file WHERE person_id = 1",
            "ix_case_person",
        ),
        (
            "SELECT id FROM case_event WHERE case_id = 1",
            "ix_event_case",
        ),
        (
            "SELECT id FROM consent WHERE case_id = 1",
            "ix_consent_case",
        ),
        ("SELECT id FROM permit WHERE case_id = 1", "ix_permit_case"),
        (
            "SELECT id FROM placement WHERE case_id = 1",
            "ix_placement_case",
        ),
        (
            "SELECT id FROM case_share WHERE case_id = 1",
            "ix_share_case",
        ),
        (
            "SELECT id FROM hotline_contact WHERE organisation_id = 1 \
             AND started_at >= '2026-01-01' ORDER BY started_at DESC, id DESC LIMIT 100",
            "ix_contact_org_started",
        ),
        (
            "SELECT id FROM outing WHERE organisation_id = 1 \
             AND started_at >= '2026-01-01' ORDER BY started_at DESC, id DESC LIMIT 100",
            "ix_outing_org_started",
        ),
    ] {
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                format!("EXPLAIN QUERY PLAN {sql}"),
            ))
            .await
            .unwrap();
        let plan: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String>("", "detail").unwrap_or_default())
            .collect();
        assert!(plan.iter().any(|d| d.contains(index)), "{sql}: {plan:?}");
    }
}

/// Every text column of the live schema is sealed, declared plain with a reason
/// (`platform::keys::PLAIN_TEXT`), or on the shrinking list of personal text still in clear:
/// a new column of free text cannot reach the database unnoticed. And every sealed column
/// really is binary.
async fn every_text_column_is_sealed_or_declared(db: TestDb) {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.backend;
    let app = db.app().await;
    let conn = &app.state.db;
    let mut columns: Vec<(String, String, String)> = Vec::new();
    match backend {
        Backend::Sqlite => {
            let tables = conn
                .query_all_raw(Statement::from_string(
                    conn.get_database_backend(),
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%'"
                        .to_owned(),
                ))
                .await
                .unwrap();
            for t in tables {
                let table: String = t.try_get_by_index(0).unwrap();
                let cols = conn
                    .query_all_raw(Statement::from_string(
                        conn.get_database_backend(),
                        format!("PRAGMA table_info(\"{table}\")"),
                    ))
                    .await
                    .unwrap();
                for c in cols {
                    let name: String = c.try_get("", "name").unwrap();
                    let ty: String = c.try_get("", "type").unwrap();
                    columns.push((table.clone(), name, ty.to_lowercase()));
                }
            }
        }
        Backend::Postgres => {
            let rows = conn
                .query_all_raw(Statement::from_string(
                    conn.get_database_backend(),
                    "SELECT table_name::text, column_name::text, data_type::text \
                     FROM information_schema.columns WHERE table_schema = 'public'"
                        .to_owned(),
                ))
                .await
                .unwrap();
            for r in rows {
                columns.push((
                    r.try_get_by_index(0).unwrap(),
                    r.try_get_by_index(1).unwrap(),
                    r.try_get_by_index::<String>(2).unwrap().to_lowercase(),
                ));
            }
        }
    }
    assert!(
        columns.len() > 200,
        "the schema was read: {}",
        columns.len()
    );
    let sealed_columns = satis::app::encrypted_columns();
    let is_text = |ty: &str| ty.contains("char") || ty.contains("text");
    let undeclared: Vec<String> = columns
        .iter()
        .filter(|(_, _, ty)| is_text(ty))
        .filter(|(t, c, _)| !satis::platform::keys::text_column_declared(&sealed_columns, t, c))
        .map(|(t, c, _)| format!("{t}.{c}"))
        .collect();
    assert!(
        undeclared.is_empty(),
        "text columns neither sealed nor declared non-personal with a reason \
         (platform/keys.rs): {undeclared:?}"
    );
    for sealed in &sealed_columns {
        let found = columns
            .iter()
            .find(|(t, c, _)| t == sealed.table && c == sealed.column)
            .unwrap_or_else(|| panic!("{}.{} is not in the schema", sealed.table, sealed.column));
        assert!(
            !is_text(&found.2),
            "{}.{} is sealed but typed {}",
            sealed.table,
            sealed.column,
            found.2
        );
    }
}

async fn home_page_is_italian_by_default_with_hotline_numbers(db: TestDb) {
    let app = db.app().await;
    let r = app.get("/").await;
    r.assert_status(200)
        .assert_contains("<html lang=\"it\">")
        .assert_contains("Rete antitratta della Toscana")
        .assert_contains("800 600 500")
        .assert_contains("800 290 290")
        .assert_contains("href=\"tel:800290290\"")
        .assert_contains("href=\"tel:0555365612\">055 536 56 12</a>")
        .assert_contains("non chiama i numeri verdi")
        .assert_contains("href=\"#main\"");
    app.get("/rete")
        .await
        .assert_contains("href=\"tel:0555365612\"");
    assert!(
        !r.body.contains("AMBIENTE DIMOSTRATIVO"),
        "a real instance must not say demo"
    );
    let form = app.get("/segnala").await;
    assert!(
        !form.body.contains("AMBIENTE DIMOSTRATIVO"),
        "nor its public report form"
    );
}

async fn english_is_chosen_by_browser_cookie_or_switch(db: TestDb) {
    let app = db.app().await;
    let r = app
        .get_with("/", &[("accept-language", "en-GB,en;q=0.9,it;q=0.5")])
        .await;
    r.assert_status(200)
        .assert_contains("<html lang=\"en\">")
        .assert_contains("Tuscan anti-trafficking network");

    // The switch remembers the choice in a cookie and returns to the page it came from.
    let r = app.get("/lang/en?next=%2Flogin").await;
    r.assert_status(303);
    assert_eq!(r.header("location"), "/login");
    assert!(r.header("set-cookie").starts_with("satis_lang=en;"));
    let r = app.get_with("/", &[("accept-language", "it")]).await;
    r.assert_contains("<html lang=\"en\">");

    // And back to Italian; an open redirect is not possible.
    let r = app.get("/lang/it?next=https%3A%2F%2Fevil.example").await;
    assert_eq!(r.header("location"), "/");
    app.get("/").await.assert_contains("<html lang=\"it\">");
    app.get("/lang/xx").await.assert_status(404);
}

async fn login_page_is_reachable_in_both_languages(db: TestDb) {
    let app = db.app().await;
    let it = app.get("/login").await;
    it.assert_status(200)
        .assert_contains("<h1>Accesso all&#39;area riservata</h1>")
        .assert_contains("<label for=\"username\">")
        .assert_contains("autocomplete=\"current-password\"");
    let en = app.get_with("/login", &[("accept-language", "en")]).await;
    en.assert_status(200)
        .assert_contains("Sign in to the reserved area");
    // The home page links to the sign-in page in the navigation.
    app.get("/").await.assert_contains("href=\"/login\"");
}

async fn failed_sign_in_is_translated_and_escapes_input(db: TestDb) {
    let app = db.app().await;
    let r = app
        .post_form(
            "/login",
            &[
                ("username", "<script>alert(1)</script>"),
                ("password", "wrong"),
            ],
        )
        .await;
    r.assert_status(401)
        .assert_contains("Nome utente o password non validi.");
    assert!(
        !r.body.contains("<script>alert(1)"),
        "user input must be escaped"
    );
    assert!(r.body.contains("&#60;script&#62;") || r.body.contains("&lt;script&gt;"));
}

async fn unknown_route_gets_translated_404_with_reference(db: TestDb) {
    let app = db.app().await;
    let r = app.get("/no/such/page").await;
    r.assert_status(404)
        .assert_contains("Pagina non trovata")
        .assert_contains("Codice di riferimento:");
    assert!(r.header("content-type").starts_with("text/html"));
    let r = app
        .get_with("/no/such/page", &[("accept-language", "en")])
        .await;
    r.assert_status(404)
        .assert_contains("Page not found")
        .assert_contains("Reference code:");
}

async fn wrong_method_gets_translated_page(db: TestDb) {
    let app = db.app().await;
    let token = app.csrf().await;
    let r = app
        .request(
            Method::DELETE,
            "/login",
            &[
                ("origin", "http://satis.test"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Body::from(format!("_csrf={token}")),
        )
        .await;
    r.assert_status(405).assert_contains("non è consentita");
    // Without the token, or from another site, it is refused before anything else.
    let r = app
        .request(Method::DELETE, "/login", &[], Body::empty())
        .await;
    r.assert_status(403);
    assert!(!r.header("allow").is_empty(), "405 keeps its Allow header");
}

async fn oversized_body_is_refused_with_413(db: TestDb) {
    let config = db.config_with(&[("SATIS_MAX_BODY_BYTES", "4096")]);
    let app = db.app_with(config, Mode::Production).await;
    let big = "a".repeat(10_000);
    let r = app
        .post_form("/login", &[("username", big.as_str()), ("password", "x")])
        .await;
    r.assert_status(413)
        .assert_contains("Nulla è stato salvato");
    // A streamed body without a length is cut off too.
    let stream = futures_util_stream(big.into_bytes());
    let r = app
        .request(
            Method::POST,
            "/login",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", "http://satis.test"),
            ],
            stream,
        )
        .await;
    r.assert_status(413);
    // The server is still there.
    app.get("/").await.assert_status(200);
}

fn futures_util_stream(bytes: Vec<u8>) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

async fn every_response_carries_security_headers(db: TestDb) {
    let app = db.app().await;
    for path in ["/", "/login", "/nowhere", "/healthz", "/static/satis.css"] {
        let r = app.get(path).await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("http"),
            "{path}: CSP names another origin: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("referrer-policy"), "no-referrer", "{path}");
        assert!(
            r.header("strict-transport-security").contains("max-age="),
            "{path}"
        );
        if path.starts_with("/static/") {
            assert!(r.header("cache-control").contains("max-age"), "{path}");
        } else {
            assert_eq!(r.header("cache-control"), "no-store", "{path}");
        }
    }
    // The nonce differs per request and is the one on the page's script tag.
    let a = app.get("/").await;
    let b = app.get("/").await;
    let nonce = |r: &crate::support::TestResponse| {
        let csp = r.header("content-security-policy").to_owned();
        let start = csp.find("'nonce-").unwrap() + 7;
        csp[start..start + csp[start..].find('\'').unwrap()].to_owned()
    };
    assert_ne!(nonce(&a), nonce(&b));
    a.assert_contains(&format!("nonce=\"{}\"", nonce(&a)));
}

async fn pages_load_nothing_from_other_origins(db: TestDb) {
    let app = db.app().await;
    for path in ["/", "/login", "/nowhere"] {
        let r = app.get(path).await;
        for attr in ["src=\"", "href=\"", "action=\""] {
            for (i, _) in r.body.match_indices(attr) {
                let value = &r.body[i + attr.len()..];
                let value = &value[..value.find('"').unwrap()];
                let local = value.starts_with('/') && !value.starts_with("//")
                    || value.starts_with('#')
                    || value.starts_with("tel:");
                assert!(local, "{path} refers to another origin: {value}");
            }
        }
    }
}

async fn static_assets_are_cached_and_typed(db: TestDb) {
    let app = db.app().await;
    let css = app.get("/static/satis.css").await;
    css.assert_status(200).assert_contains("--primary");
    assert!(css.header("content-type").starts_with("text/css"));
    let js = app.get("/static/satis.js").await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    app.get("/static/../Cargo.toml").await.assert_status(404);
    app.get("/static/nothing.css").await.assert_status(404);

    // Pages name the stylesheet by a hash of its content: that address is cached for a year,
    // any other briefly; a browser that accepts gzip gets it compressed.
    let page = app.get("/").await;
    let start = page
        .body
        .find("/static/satis.css?v=")
        .expect("versioned stylesheet")
        + 20;
    let v: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(v.len(), 12, "a content hash: {v}");
    let url = format!("/static/satis.css?v={v}");
    let cached = app.get(&url).await;
    assert_eq!(
        cached.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(css.header("cache-control").contains("max-age=300"));
    let gz = app
        .get_with(&url, &[("accept-encoding", "gzip, deflate, br")])
        .await;
    gz.assert_status(200);
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert_eq!(gz.header("vary"), "accept-encoding");
    let size =
        |r: &crate::support::TestResponse| -> usize { r.header("content-length").parse().unwrap() };
    assert!(size(&gz) < size(&cached) / 2, "compressed");
    assert!(!gz.body.contains("--primary"));
    assert_eq!(cached.header("content-encoding"), "");
}

async fn healthz_names_backend_and_reports_outage(db: TestDb) {
    let backend = db.backend;
    let app = db.app().await;
    let r = app.get("/healthz").await;
    r.assert_status(200);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["status"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(json["database"], expected);
    // The database goes away: the check says so, and pages fail politely.
    app.state.db.close_by_ref().await.unwrap();
    let r = app.get("/healthz").await;
    r.assert_status(503);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["status"], "unavailable");
}

/// A load balancer sends traffic only to instances that can serve: the database answers and
/// holds exactly the migrations this version knows (not one still to apply, none from a newer
/// version).
async fn readyz_says_whether_this_version_may_serve_this_database(db: TestDb) {
    let app = db.app().await;
    let ready = app.get("/readyz").await;
    ready.assert_status(200).assert_contains("\"ready\"");
    let conn = &app.state.db;
    let sql = |q: &str| Statement::from_string(conn.get_database_backend(), q.to_owned());
    conn.execute_raw(sql(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_from_the_future', 0)",
    ))
    .await
    .unwrap();
    app.get("/readyz")
        .await
        .assert_status(503)
        .assert_contains("newer version");
    app.get("/healthz").await.assert_status(200);
    conn.execute_raw(sql(
        "DELETE FROM seaql_migrations WHERE version = 'm29990101_000001_from_the_future'",
    ))
    .await
    .unwrap();
    let last = satis::platform::db::migration_names().pop().unwrap();
    conn.execute_raw(sql(&format!(
        "DELETE FROM seaql_migrations WHERE version = '{last}'"
    )))
    .await
    .unwrap();
    app.get("/readyz")
        .await
        .assert_status(503)
        .assert_contains("migrations pending");
    conn.close_by_ref().await.unwrap();
    app.get("/readyz")
        .await
        .assert_status(503)
        .assert_contains("database unreachable");
}

async fn migrations_are_idempotent(db: TestDb) {
    let url = db.url.clone();
    let first = satis::platform::db::open(&url).await.unwrap();
    satis::platform::settings::set(&first, "probe", "1")
        .await
        .unwrap();
    first.close().await.unwrap();
    let again = satis::platform::db::open(&url).await.unwrap();
    assert_eq!(
        settings::get(&again, "probe").await.unwrap().as_deref(),
        Some("1")
    );
}

async fn database_without_durability_is_refused(db: TestDb) {
    let url = match db.backend {
        Backend::Sqlite => "sqlite::memory:".to_owned(),
        Backend::Postgres => {
            let sep = if db.url.contains('?') { '&' } else { '?' };
            format!("{}{sep}options=-c%20synchronous_commit%3Doff", db.url)
        }
    };
    let err = satis::platform::db::open(&url)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("durable"), "{err}");
    // The properly configured database is accepted.
    satis::platform::db::open(&db.url).await.unwrap();
}

async fn demo_database_is_marked_and_real_one_refused(db: TestDb) {
    let url = db.url.clone();
    let conn = satis::platform::db::open(&url).await.unwrap();
    let keys = satis::platform::crypto::KeyRing::generate();
    satis::demo::load(&conn, &keys).await.unwrap();
    // Loading twice is harmless.
    let accounts = satis::demo::load(&conn, &keys).await.unwrap();
    assert_eq!(
        accounts.len(),
        satis::platform::policy::Role::ALL.len(),
        "one account per role"
    );
    assert_eq!(settings::mode(&conn).await.unwrap(), Some(Mode::Demo));
    // The demonstration has people seen by several bodies: linked, and an estimate exists of
    // the ones no body reached (200 invented people, some recorded nowhere).
    let today = satis::platform::time::rome_today();
    let estimate = satis::stats::estimate::from_records(
        &conn,
        &keys,
        (today - chrono::Duration::days(365), today),
        None,
        satis::stats::mse::Criterion::StepwiseAic { p_threshold: 0.05 },
        0,
        1,
    )
    .await
    .unwrap();
    let linked = estimate["linking"]["linked"].as_u64().unwrap();
    let observed = estimate["groups"][0]["estimate"]["observed"]
        .as_i64()
        .unwrap();
    let total = estimate["groups"][0]["estimate"]["total"].as_i64().unwrap();
    assert!(linked > 50, "{linked} records linked");
    assert!((120..200).contains(&observed), "{observed} people known");
    // Linkage finds exactly the people the demonstration recorded: every record of one
    // invented person joined (names swapped, a letter doubled or missed, the year off by one
    // or unknown), no two people joined — plus the demo's other people, one record each.
    let plan = satis::demo_people::plan();
    let mut planned: Vec<usize> = plan.iter().map(|r| r.person).collect();
    planned.sort_unstable();
    planned.dedup();
    let records = estimate["linking"]["records"].as_u64().unwrap() as usize;
    let others = records - plan.len();
    assert_eq!(
        estimate["linking"]["people"].as_u64().unwrap() as usize,
        planned.len() + others,
        "{} records: {} invented people and {others} others",
        records,
        planned.len()
    );
    assert!(total > observed, "{total} estimated");
    // The demo's case worker has records of two bodies, shared with her, to review.
    let worker = satis::identity::store::user_by_username(&conn, "operatrice")
        .await
        .unwrap()
        .unwrap();
    let host = satis::network::organisation_by_name(&conn, "Associazione Progetto Arcobaleno")
        .await
        .unwrap()
        .unwrap();
    let actor = satis::platform::policy::Actor {
        user_id: worker.id,
        username: worker.username.clone(),
        organisation_id: Some(host.id),
        province: None,
        roles: vec![satis::platform::policy::Role::CaseWorker],
    };
    let pairs = satis::cases::link_review::candidates(&conn, &keys, &actor)
        .await
        .unwrap();
    assert!(pairs.len() >= 2, "{} pairs to review", pairs.len());
    conn.close().await.unwrap();
    // Even when opened by `satis serve`, a demonstration database says so on every page.
    let config = db.config();
    let app = db.app_with(config, Mode::Production).await;
    app.get("/").await.assert_contains("AMBIENTE DIMOSTRATIVO");
    app.get("/nowhere")
        .await
        .assert_contains("AMBIENTE DIMOSTRATIVO");
    // The public report form too, in the reporter's language: nobody sends a real report
    // to a demonstration.
    app.get("/segnala")
        .await
        .assert_contains("AMBIENTE DIMOSTRATIVO");
    app.get("/segnala?lang=en")
        .await
        .assert_contains("DEMONSTRATION. The data are invented");
    // Leaflets to download in several languages, a picture on the first news item.
    app.get("/materiali")
        .await
        .assert_contains("العربية")
        .assert_contains("Français")
        .assert_contains("PDF, ");

    // A real database is never filled with demonstration data.
    let real = tempfile::tempdir().unwrap();
    let real_url = format!("sqlite://{}", real.path().join("real.sqlite").display());
    let conn = satis::platform::db::open(&real_url).await.unwrap();
    settings::claim(&conn, Mode::Production).await.unwrap();
    let err = satis::demo::load(&conn, &keys)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("real data"), "{err}");
}

/// The footer of every page, the public report form included and in any of its languages,
/// links the three pages an Italian public service must have; each answers in Italian and in
/// English, names the data controller, and the accessibility statement gives its feedback
/// mechanism and the AgID procedure.
async fn every_page_links_the_privacy_notice_legal_notes_and_accessibility_statement(db: TestDb) {
    let app = db.app().await;
    for page in [
        "/",
        "/login",
        "/segnala?lang=it",
        "/segnala?lang=ar",
        "/rete",
    ] {
        let r = app.get(page).await;
        for link in [
            "href=\"/privacy\"",
            "href=\"/note-legali\"",
            "href=\"/accessibilita\"",
        ] {
            assert!(r.body.contains(link), "{page} lacks {link}");
        }
    }
    app.get("/segnala?lang=ar")
        .await
        .assert_contains("بيان إمكانية الوصول");
    let privacy = app.get("/privacy").await;
    privacy
        .assert_status(200)
        .assert_contains("Informativa sul trattamento dei dati personali")
        .assert_contains("Il titolare del trattamento è Regione Toscana")
        .assert_contains("indirizzo IP")
        .assert_contains("Garante per la protezione dei dati personali");
    app.get("/note-legali")
        .await
        .assert_status(200)
        .assert_contains("EUPL");
    let statement = app.get("/accessibilita").await;
    statement
        .assert_status(200)
        .assert_contains("Dichiarazione di accessibilità")
        .assert_contains("Meccanismo di feedback")
        .assert_contains("https://form.agid.gov.it/");
    app.get_with("/accessibilita", &[("accept-language", "en")])
        .await
        .assert_contains("<html lang=\"en\">")
        .assert_contains("Accessibility statement")
        .assert_contains("Feedback mechanism");
}

/// `/metrics` (on its own listener) counts requests by route template and status and
/// measures the queues now; no concrete path, identifier or typed text reaches it.
async fn metrics_count_routes_and_queues_and_carry_nothing_personal(db: TestDb) {
    use tower::ServiceExt;
    let app = db.app().await;
    app.get("/rete").await.assert_status(200);
    app.get("/rete").await;
    app.get("/cases/987654").await;
    app.get("/segnala?cosa=Zyxcanary+Quellvorname").await;
    app.get("/Zyxcanary-Quellvorname").await.assert_status(404);
    let scrape = async || {
        let r = satis::app::metrics_router(app.state.clone())
            .oneshot(
                axum::http::Request::builder()
                    .uri("/metrics")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = http_body_util::BodyExt::collect(r.into_body())
            .await
            .unwrap()
            .to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    let text = scrape().await;
    assert!(
        text.contains("satis_http_requests_total{route=\"/rete\",method=\"GET\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(text.contains("route=\"/cases/{id}\""), "{text}");
    assert!(text.contains("route=\"(unmatched)\""), "{text}");
    for secret in ["987654", "Zyxcanary", "Quellvorname"] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
    assert!(text.contains("satis_public_reports_untriaged 0"), "{text}");
    assert!(
        text.contains("satis_backup_newest_age_seconds -1"),
        "{text}"
    );
    assert!(text.contains("satis_database_up 1"), "{text}");
    // The pool: at least the connection that served the page, never more than its maximum.
    let gauge = |t: &str, name: &str| -> f64 {
        t.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing: {t}"))
            .parse()
            .unwrap()
    };
    let (open, in_use, max) = (
        gauge(&text, "satis_db_pool_connections"),
        gauge(&text, "satis_db_pool_in_use"),
        gauge(&text, "satis_db_pool_max"),
    );
    assert!(
        open >= 1.0 && in_use <= open && open <= max && max >= 8.0,
        "{text}"
    );
    let chain = |t: &str| -> i64 {
        t.lines()
            .find_map(|l| l.strip_prefix("satis_audit_chain_length "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = chain(&text);
    satis::platform::audit::append(
        &app.state.db,
        &app.state.keys,
        satis::platform::audit::Entry::new(None, "backup.create", "backup"),
    )
    .await
    .unwrap();
    let text = scrape().await;
    assert_eq!(chain(&text), before + 1);
    assert!(
        !text.contains("satis_backup_newest_age_seconds -1"),
        "a backup now: {text}"
    );
}

/// Two instances on one database wake for the same daily job: one claims it, the other skips;
/// the holder may claim again; once the lease has run out, the other gets it. Ten claims at
/// once: exactly one wins.
async fn a_daily_job_goes_to_one_instance_at_a_time(db: TestDb) {
    use satis::platform::jobs::claim;
    let app = db.app().await;
    let db = &app.state.db;
    let now = chrono::Utc::now();
    let day = chrono::Duration::hours(20);
    assert!(claim(db, "retention", "a", now, day).await.unwrap());
    assert!(!claim(db, "retention", "b", now, day).await.unwrap());
    assert!(
        claim(db, "retention", "a", now, day).await.unwrap(),
        "its own"
    );
    // Another job is another lease.
    assert!(claim(db, "backup", "b", now, day).await.unwrap());
    let tomorrow = now + chrono::Duration::hours(24);
    assert!(claim(db, "retention", "b", tomorrow, day).await.unwrap());
    assert!(!claim(db, "retention", "a", tomorrow, day).await.unwrap());
    let later = tomorrow + chrono::Duration::hours(24);
    let claims = (0..10).map(|i| {
        let db = db.clone();
        async move {
            claim(&db, "race", &format!("instance-{i}"), later, day)
                .await
                .unwrap()
        }
    });
    let won = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .filter(|w| *w)
        .count();
    assert_eq!(won, 1);
}
