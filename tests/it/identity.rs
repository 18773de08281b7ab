//! Identity and access as staff and attackers meet them: sign-in with a second factor,
//! enrolment, sessions and their end, CSRF, throttling, administration, audit, encryption.

use chrono::{Duration, Utc};
use satis::identity::{break_glass, store, tokens};
use satis::platform::audit;
use satis::platform::policy::{self, Action, Resource, Role};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{PASSWORD, TestApp, TestDb, find_value, scalar};

crate::tests![
    the_audit_trail_is_read_page_after_page,
    sign_in_needs_password_and_second_factor,
    admin_creates_user_who_enrols_and_signs_in_again,
    recovery_codes_work_once,
    unknown_user_and_wrong_password_look_the_same,
    repeated_failures_are_throttled_without_lockout,
    throttles_hold_across_instances_on_one_postgresql,
    a_totp_code_cannot_be_replayed,
    sessions_end_on_logout_password_role_change_and_disable,
    sessions_expire_when_idle_or_too_old,
    a_session_holds_every_role_in_its_organisation_and_none_of_another,
    state_changes_need_same_origin_and_csrf_token,
    session_cookie_has_strict_flags,
    password_change_follows_the_rules,
    audit_chain_verifies_and_detects_tampering,
    a_rewritten_audit_chain_cannot_be_recomputed_without_the_key,
    an_installation_from_before_the_keyed_chain_keeps_its_old_entries_and_no_more,
    auditor_sees_who_touched_whose_data_and_exports_csv,
    emergency_access_needs_reason_expires_and_is_reviewed,
    api_tokens_are_hashed_scoped_and_revocable,
    identity_fields_are_encrypted_at_rest,
    tampered_ciphertext_fails_cleanly,
    a_signed_in_persons_language_preference_comes_first,
    key_rotation_reencrypts_every_encrypted_field,
];

async fn exec(app: &TestApp, sql: &str) {
    let db = &app.state.db;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap();
}

fn session_token(app: &TestApp) -> Option<String> {
    app.cookies.lock().unwrap().get("satis_session").cloned()
}

async fn sign_in_needs_password_and_second_factor(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Uno").await;
    let user = app.user("operatrice", Role::CaseWorker, org).await;

    let r = app
        .post_form(
            "/login",
            &[("username", "operatrice"), ("password", PASSWORD)],
        )
        .await;
    r.assert_status(303);
    assert!(r.header("location").starts_with("/login/mfa"));
    let partial = session_token(&app).unwrap();
    // Password alone opens nothing.
    let r = app.get("/account").await;
    r.assert_status(303);
    assert_eq!(r.header("location"), "/login/mfa?next=%2Faccount");
    app.get("/")
        .await
        .assert_contains("Rete antitratta della Toscana");

    let wrong = if user.code() == "000000" {
        "111111"
    } else {
        "000000"
    };
    app.post_form("/login/mfa", &[("code", wrong)])
        .await
        .assert_status(401)
        .assert_contains("Codice non valido");
    let r = app.post_form("/login/mfa", &[("code", &user.code())]).await;
    r.assert_status(303);
    let full = session_token(&app).unwrap();
    assert_ne!(
        partial, full,
        "the session token changes when the second factor is given"
    );
    app.get("/")
        .await
        .assert_contains("Benvenuta/o, operatrice Test");
    app.get("/account")
        .await
        .assert_status(200)
        .assert_contains("Associazione Uno");

    // The password-only token is dead.
    app.cookies
        .lock()
        .unwrap()
        .insert("satis_session".into(), partial);
    app.get("/account").await.assert_status(303);
}

async fn admin_creates_user_who_enrols_and_signs_in_again(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    app.sign_in(&admin).await;
    let ngo = app.organisation("Associazione Due").await;
    let r = app
        .post_form(
            "/admin/users",
            &[
                ("username", "NuovaUtente"),
                ("display_name", "Nuova Utente"),
                ("organisation_id", &ngo.to_string()),
                ("role", "hotline_operator"),
            ],
        )
        .await;
    r.assert_status(200).assert_contains("nuovautente");
    let password = find_value(&r.body, "id=\"new-user-password\">").unwrap();
    assert!(password.len() >= 20);

    // The new user, in another browser.
    app.clear_cookies();
    let r = app
        .post_form(
            "/login",
            &[("username", "nuovautente"), ("password", &password)],
        )
        .await;
    assert!(
        r.header("location").starts_with("/mfa/enrol"),
        "{}",
        r.header("location")
    );
    let page = app.get("/mfa/enrol").await;
    page.assert_status(200).assert_contains("<svg");
    let secret_b32 = find_value(&page.body, "id=\"totp-secret\">").unwrap();
    let pending = find_value(&page.body, "name=\"pending\" value=\"").unwrap();
    let secret = totp_rs::Secret::Encoded(secret_b32).to_bytes().unwrap();
    let now = Utc::now().timestamp() as u64;
    let code = satis::identity::totp::code_at(&secret, now);
    let r = app
        .post_form("/mfa/enrol", &[("code", &code), ("pending", &pending)])
        .await;
    r.assert_status(200)
        .assert_contains("id=\"recovery-codes\"");
    assert_eq!(r.body.matches("<li><code>").count(), 10);
    app.get("/")
        .await
        .assert_contains("Benvenuta/o, Nuova Utente");

    // A forged pending secret is refused.
    app.post_form("/logout", &[]).await.assert_status(303);
    app.get("/login?done=logout")
        .await
        .assert_contains("Sei uscita/o");

    // Signing in again asks for the code, not for enrolment; the used step cannot serve again.
    let r = app
        .post_form(
            "/login",
            &[("username", "nuovautente"), ("password", &password)],
        )
        .await;
    assert!(r.header("location").starts_with("/login/mfa"));
    app.post_form("/login/mfa", &[("code", &code)])
        .await
        .assert_status(401);
    let next = satis::identity::totp::code_at(&secret, now + 30);
    app.post_form("/login/mfa", &[("code", &next)])
        .await
        .assert_status(303);
    app.get("/").await.assert_contains("Nuova Utente");
}

async fn recovery_codes_work_once(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Tre").await;
    let user = app.user("mediatrice", Role::Mediator, org).await;
    let codes = store::new_recovery_codes(&app.state.db, user.id)
        .await
        .unwrap();
    app.post_form(
        "/login",
        &[("username", "mediatrice"), ("password", PASSWORD)],
    )
    .await;
    let typed = codes[3].to_lowercase().replace('-', " ");
    app.post_form("/login/mfa", &[("code", &typed)])
        .await
        .assert_status(303);
    app.get("/account").await.assert_status(200);
    app.clear_cookies();
    app.post_form(
        "/login",
        &[("username", "mediatrice"), ("password", PASSWORD)],
    )
    .await;
    app.post_form("/login/mfa", &[("code", &codes[3])])
        .await
        .assert_status(401);
}

async fn unknown_user_and_wrong_password_look_the_same(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Quattro").await;
    app.user("esistente", Role::CaseWorker, org).await;
    let a = app
        .post_form(
            "/login",
            &[
                ("username", "esistente"),
                ("password", "sbagliata-ma-lunga"),
            ],
        )
        .await;
    let b = app
        .post_form(
            "/login",
            &[
                ("username", "inesistente"),
                ("password", "sbagliata-ma-lunga"),
            ],
        )
        .await;
    assert_eq!(a.status, b.status);
    a.assert_status(401)
        .assert_contains("Nome utente o password non validi.");
    b.assert_contains("Nome utente o password non validi.");
    let strip = |s: &str, user: &str| {
        s.replace(user, "U")
            .lines()
            .filter(|l| !l.contains("nonce") && !l.contains("_csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&a.body, "esistente"), strip(&b.body, "inesistente"));
    // Both failures are in the audit trail; neither stores what was typed.
    let failed = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_event WHERE action = 'login.failed'",
    )
    .await;
    assert_eq!(failed, 2);
    let leaked = scalar(&app, "SELECT COUNT(*) FROM audit_event WHERE reason LIKE '%sbagliata%' OR actor_username = 'inesistente'").await;
    assert_eq!(leaked, 0);
}

async fn repeated_failures_are_throttled_without_lockout(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Cinque").await;
    app.user("bersaglio", Role::CaseWorker, org).await;
    let other = app.user("altra", Role::CaseWorker, org).await;
    for _ in 0..5 {
        app.post_form(
            "/login",
            &[
                ("username", "bersaglio"),
                ("password", "tentativo-sbagliato"),
            ],
        )
        .await
        .assert_status(401);
    }
    // Even the right password waits now, with a clear message.
    app.post_form(
        "/login",
        &[("username", "bersaglio"), ("password", PASSWORD)],
    )
    .await
    .assert_status(429)
    .assert_contains("Troppi tentativi");
    // The attack must not lock out colleagues behind the same address for ever: the client
    // limit is shared, so they wait too, but only for a while (the unit test of the throttle
    // measures the recovery); a different account is not marked.
    assert!(
        app.state
            .login_throttle
            .check(&app.state.db, "account:altra")
            .await
            .is_ok()
    );
    let _ = other;
}

/// Several instances on one PostgreSQL share their throttles: failures counted by one make
/// the other wait, and both key an anonymous client alike (one allowance, not one per
/// instance). One process on SQLite keeps them in memory and nothing on disk.
async fn throttles_hold_across_instances_on_one_postgresql(db: TestDb) {
    let postgres = db.backend == crate::support::Backend::Postgres;
    let config = db.config();
    let app = db.app().await;
    let (_, other) = satis::build_app(config, satis::platform::settings::Mode::Production)
        .await
        .unwrap();
    let org = app.organisation("Associazione Due Istanze").await;
    app.user("condiviso", Role::CaseWorker, org).await;
    for _ in 0..5 {
        app.post_form(
            "/login",
            &[("username", "condiviso"), ("password", "sbagliata")],
        )
        .await
        .assert_status(401);
    }
    let held = other
        .login_throttle
        .check(&other.db, "account:condiviso")
        .await
        .is_err();
    assert_eq!(held, postgres, "the other instance sees the failures");
    let ip = "198.51.100.7".parse().ok();
    let here = app
        .state
        .client_keys
        .key(&app.state.db, &app.state.keys, ip)
        .await;
    let there = other.client_keys.key(&other.db, &other.keys, ip).await;
    assert_eq!(
        here == there,
        postgres,
        "one key per client across instances"
    );
    assert!(!here.contains("198.51"), "{here}");
    // What is stored names no one: no address, no user name, the secret sealed.
    let stored = crate::support::count_rows(&app, "throttle_count").await;
    assert_eq!(stored > 0, postgres);
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT key FROM throttle_count",
        ))
        .await
        .unwrap();
    for r in rows {
        let key: String = r.try_get_by_index(0).unwrap();
        assert!(!key.contains("condiviso") && key.len() == 64, "{key}");
    }
    // A success on either instance clears the account for both (on SQLite, for itself).
    other
        .login_throttle
        .succeed(&other.db, "account:condiviso")
        .await;
    let cleared = app
        .state
        .login_throttle
        .check(&app.state.db, "account:condiviso")
        .await
        .is_ok();
    assert_eq!(cleared, postgres);
}

async fn a_totp_code_cannot_be_replayed(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Sei").await;
    let user = app.user("replay", Role::CaseWorker, org).await;
    let code = user.code();
    app.post_form("/login", &[("username", "replay"), ("password", PASSWORD)])
        .await;
    app.post_form("/login/mfa", &[("code", &code)])
        .await
        .assert_status(303);
    app.clear_cookies();
    app.post_form("/login", &[("username", "replay"), ("password", PASSWORD)])
        .await;
    app.post_form("/login/mfa", &[("code", &code)])
        .await
        .assert_status(401);
}

async fn sessions_end_on_logout_password_role_change_and_disable(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    let org = app.organisation("Associazione Sette").await;
    let user = app.user("utente", Role::CaseWorker, org).await;
    let dead = |app: &TestApp, token: String| {
        app.clear_cookies();
        app.cookies
            .lock()
            .unwrap()
            .insert("satis_session".into(), token);
    };

    // Logout.
    app.sign_in(&user).await;
    let t = session_token(&app).unwrap();
    app.post_form("/logout", &[]).await.assert_status(303);
    dead(&app, t);
    app.get("/account").await.assert_status(303);

    // Role change and disable, by an administrator in another browser.
    for action in ["grant", "disable"] {
        app.sign_in(&user).await;
        let t = session_token(&app).unwrap();
        app.sign_in(&admin).await;
        match action {
            "grant" => app
                .post_form(
                    &format!("/admin/users/{}/grant", user.id),
                    &[("organisation_id", &org.to_string()), ("role", "mediator")],
                )
                .await
                .assert_status(303),
            _ => app
                .post_form(&format!("/admin/users/{}/disable", user.id), &[])
                .await
                .assert_status(303),
        };
        dead(&app, t);
        let r = app.get("/account").await;
        assert_eq!(r.status.as_u16(), 303, "session survived {action}");
    }
    // The disabled user cannot sign in, and gets the same answer as a wrong password.
    app.clear_cookies();
    app.post_form("/login", &[("username", "utente"), ("password", PASSWORD)])
        .await
        .assert_status(401);

    // Password change ends every session, this one included.
    app.sign_in(&admin).await;
    let t = session_token(&app).unwrap();
    let r = app
        .post_form(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "un'altra frase lunga e nuova"),
                ("confirm", "un'altra frase lunga e nuova"),
            ],
        )
        .await;
    r.assert_status(303);
    assert_eq!(r.header("location"), "/login?done=password");
    dead(&app, t);
    app.get("/account").await.assert_status(303);
}

/// A session is read with its account and roles in one query: it holds every role the
/// account has in the session's organisation, and none it has in another.
async fn a_session_holds_every_role_in_its_organisation_and_none_of_another(db: TestDb) {
    let app = db.app().await;
    let a = app.organisation("Associazione Nove").await;
    let b = app.organisation("Associazione Dieci").await;
    let user = app.user("duplice", Role::CaseWorker, a).await;
    satis::identity::store::grant(&app.state.db, user.id, b, Role::Administrator, None)
        .await
        .unwrap();
    app.session_for(user.id, Some(a)).await;
    app.get("/cases").await.assert_status(200);
    app.get("/admin/users").await.assert_status(403);
    app.session_for(user.id, Some(b)).await;
    app.get("/admin/users").await.assert_status(200);
    app.get("/cases").await.assert_status(403);
    // A second role in the same organisation: both hold.
    satis::identity::store::grant(&app.state.db, user.id, a, Role::Administrator, None)
        .await
        .unwrap();
    app.session_for(user.id, Some(a)).await;
    app.get("/cases").await.assert_status(200);
    app.get("/admin/users").await.assert_status(200);
}

async fn sessions_expire_when_idle_or_too_old(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Otto").await;
    let user = app.user("sessione", Role::CaseWorker, org).await;
    for column in ["last_seen_at", "created_at"] {
        app.session_for(user.id, Some(org)).await;
        app.get("/account").await.assert_status(200);
        let old = match column {
            "last_seen_at" => Utc::now() - Duration::minutes(31),
            _ => Utc::now() - Duration::hours(13),
        };
        let db = &app.state.db;
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("UPDATE user_session SET {column} = $1 WHERE user_id = $2").as_str(),
            [old.into(), user.id.into()],
        ))
        .await
        .unwrap();
        let r = app.get("/account").await;
        assert_eq!(r.status.as_u16(), 303, "{column} expiry not enforced");
        let cleared = r.headers.get_all("set-cookie").iter().any(|v| {
            v.to_str().unwrap().starts_with("satis_session=;")
                && v.to_str().unwrap().contains("Max-Age=0")
        });
        assert!(cleared, "the dead cookie is cleared");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM user_session").await, 0);
}

async fn state_changes_need_same_origin_and_csrf_token(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Nove").await;
    let user = app.user("csrf", Role::CaseWorker, org).await;
    app.session_for(user.id, Some(org)).await;
    let token = app.csrf().await;
    let good_origin = [("origin", "http://satis.test")];
    // No token, wrong token, other site, no origin at all: refused, nothing changed.
    app.post_raw("/account/preferences", &[("locale", "en")], &good_origin)
        .await
        .assert_status(400)
        .assert_contains("nulla è stato salvato");
    app.post_raw(
        "/account/preferences",
        &[("_csrf", "x".repeat(32).as_str()), ("locale", "en")],
        &good_origin,
    )
    .await
    .assert_status(400);
    app.post_raw(
        "/account/preferences",
        &[("_csrf", &token), ("locale", "en")],
        &[("origin", "https://evil.example")],
    )
    .await
    .assert_status(403);
    app.post_raw(
        "/account/preferences",
        &[("_csrf", &token), ("locale", "en")],
        &[],
    )
    .await
    .assert_status(403);
    let locale = store::user(&app.state.db, user.id)
        .await
        .unwrap()
        .unwrap()
        .locale;
    assert_eq!(locale, None);
    // The real form works, and the preference takes effect.
    app.post_raw(
        "/account/preferences",
        &[("_csrf", &token), ("locale", "en")],
        &good_origin,
    )
    .await
    .assert_status(303);
    app.get("/account")
        .await
        .assert_contains("<html lang=\"en\">");
    // Sign-in itself is protected by the per-browser token.
    app.clear_cookies();
    app.post_raw(
        "/login",
        &[("username", "csrf"), ("password", PASSWORD)],
        &good_origin,
    )
    .await
    .assert_status(400);
}

async fn session_cookie_has_strict_flags(db: TestDb) {
    let config = db.config_with(&[("SATIS_COOKIE_SECURE", "true")]);
    let app = db
        .app_with(config, satis::platform::settings::Mode::Production)
        .await;
    let org = app.organisation("Associazione Dieci").await;
    app.user("cookie", Role::CaseWorker, org).await;
    let login = app.get("/login").await;
    let pre = login.header("set-cookie").to_owned();
    assert!(pre.starts_with("__Host-satis_csrf="), "{pre}");
    let token = find_value(&login.body, "name=\"_csrf\" value=\"").unwrap();
    let r = app
        .post_raw(
            "/login",
            &[
                ("_csrf", &token),
                ("username", "cookie"),
                ("password", PASSWORD),
            ],
            &[("origin", "http://satis.test")],
        )
        .await;
    r.assert_status(303);
    let c = r.header("set-cookie");
    assert!(c.starts_with("__Host-satis_session="), "{c}");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(c.contains(flag), "{c} lacks {flag}");
    }
    assert!(!c.contains("Domain"), "{c}");
}

async fn password_change_follows_the_rules(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Undici").await;
    let user = app.user("regole", Role::CaseWorker, org).await;
    app.session_for(user.id, Some(org)).await;
    for (new, confirm, message) in [
        ("corta", "corta", "almeno 12 caratteri"),
        ("password1234", "password1234", "troppo comune"),
        (
            "una frase lunga nuova",
            "una frase diversa",
            "non coincidono",
        ),
    ] {
        app.post_form(
            "/account/password",
            &[("current", PASSWORD), ("new", new), ("confirm", confirm)],
        )
        .await
        .assert_status(422)
        .assert_contains(message);
    }
    app.post_form(
        "/account/password",
        &[
            ("current", "sbagliata!!!!"),
            ("new", "una frase lunga nuova"),
            ("confirm", "una frase lunga nuova"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("non è corretta");
    // Nothing changed: the old password still works.
    let u = store::user(&app.state.db, user.id).await.unwrap().unwrap();
    assert!(satis::platform::crypto::verify_password(
        PASSWORD,
        Some(&u.password_hash)
    ));
}

/// A sign-in, a sign-out and `extra` appended entries: a chain to verify and tamper with.
async fn audit_trail_of_a_sign_in_and(app: &TestApp, extra: i32) {
    let org = app.organisation("Associazione Dodici").await;
    let user = app.user("audit", Role::CaseWorker, org).await;
    app.sign_in(&user).await;
    app.post_form("/logout", &[]).await;
    for i in 0..extra {
        audit::append(
            &app.state.db,
            &app.state.keys,
            audit::Entry::new(None, "test.event", "test").record(i),
        )
        .await
        .unwrap();
    }
}

async fn audit_chain_verifies_and_detects_tampering(db: TestDb) {
    let app = db.app().await;
    audit_trail_of_a_sign_in_and(&app, 5).await;
    let n = audit::verify(&app.state.db, &app.state.keys)
        .await
        .unwrap()
        .unwrap()
        .entries;
    assert!(n >= 7, "{n}");

    exec(
        &app,
        "UPDATE audit_event SET reason = 'changed' WHERE seq = 3",
    )
    .await;
    assert_eq!(
        audit::verify(&app.state.db, &app.state.keys).await.unwrap(),
        Err(audit::Broken::Altered { seq: 3 })
    );
    // Restoring by recomputing the hash is caught by the next link.
    exec(&app, "UPDATE audit_event SET reason = NULL WHERE seq = 3").await;
    let restored = audit::verify(&app.state.db, &app.state.keys).await.unwrap();
    assert!(restored.is_ok() || restored == Err(audit::Broken::Altered { seq: 3 }));

    let last = n;
    exec(&app, &format!("DELETE FROM audit_event WHERE seq = {last}")).await;
    let broken = audit::verify(&app.state.db, &app.state.keys)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            broken,
            audit::Broken::Truncated { .. } | audit::Broken::Altered { .. }
        ),
        "{broken:?}"
    );
    exec(&app, "DELETE FROM audit_event WHERE seq = 5").await;
    let broken = audit::verify(&app.state.db, &app.state.keys)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            broken,
            audit::Broken::Missing { expected: 5, .. } | audit::Broken::Altered { seq: 3 }
        ),
        "{broken:?}"
    );
}

/// What an attacker who can write the database (but not read the key file) does: changes an
/// entry, then recomputes its hash and every later one, and the head, with the published
/// algorithm. Before the chain was keyed this passed verification.
async fn rewrite_chain_from(app: &TestApp, from: i64, keyed_prefix: bool) {
    use sea_orm::{EntityTrait, QueryOrder};
    use sha2::{Digest, Sha256};
    let entries = audit::event::Entity::find()
        .order_by_asc(audit::event::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "\u{2205}".to_owned());
    let mut prev = String::new();
    for mut m in entries {
        if m.seq < from {
            prev = m.hash.clone();
            continue;
        }
        if m.seq > from {
            m.prev_hash = prev.clone();
        }
        let fields = [
            m.seq.to_string(),
            m.at.timestamp_micros().to_string(),
            opt(m.actor_user_id.map(|v| v.to_string())),
            opt(m.actor_username.clone()),
            opt(m.actor_organisation_id.map(|v| v.to_string())),
            m.action.clone(),
            m.record_kind.clone(),
            opt(m.record_id.clone()),
            opt(m.subject.clone()),
            opt(m.reason.clone()),
            m.outcome.clone(),
            m.prev_hash.clone(),
        ];
        let digest = hex::encode(Sha256::digest(fields.join("\u{1f}").as_bytes()));
        let hash = if keyed_prefix {
            format!("k1:{digest}")
        } else {
            digest
        };
        exec(
            app,
            &format!(
                "UPDATE audit_event SET prev_hash = '{}', hash = '{hash}' WHERE seq = {}",
                m.prev_hash, m.seq
            ),
        )
        .await;
        prev = hash;
    }
    exec(
        app,
        &format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1"),
    )
    .await;
}

async fn a_rewritten_audit_chain_cannot_be_recomputed_without_the_key(db: TestDb) {
    let app = db.app().await;
    audit_trail_of_a_sign_in_and(&app, 4).await;
    let intact = audit::verify(&app.state.db, &app.state.keys)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(intact.unkeyed, 0);
    let checkpoint = audit::checkpoint(&app.state.db, &app.state.keys)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.seq, intact.entries);
    assert_eq!(
        audit::check_checkpoint(&app.state.db, &app.state.keys, &checkpoint)
            .await
            .unwrap(),
        Ok(())
    );
    // A changed checkpoint (another entry, another time) is not genuine.
    let mut moved = checkpoint.clone();
    moved.seq -= 1;
    assert_eq!(
        audit::check_checkpoint(&app.state.db, &app.state.keys, &moved)
            .await
            .unwrap(),
        Err(audit::Broken::CheckpointSignature)
    );

    exec(
        &app,
        "UPDATE audit_event SET actor_username = 'someone-else' WHERE seq = 3",
    )
    .await;
    // Recomputed with the old, unkeyed algorithm…
    rewrite_chain_from(&app, 3, false).await;
    assert_eq!(
        audit::verify(&app.state.db, &app.state.keys).await.unwrap(),
        Err(audit::Broken::Unkeyed { seq: 3 })
    );
    // …or keeping the keyed marker…
    rewrite_chain_from(&app, 3, true).await;
    assert_eq!(
        audit::verify(&app.state.db, &app.state.keys).await.unwrap(),
        Err(audit::Broken::Altered { seq: 3 })
    );
    // …or the whole chain passed off as written before the chain was keyed.
    rewrite_chain_from(&app, 1, false).await;
    assert_eq!(
        audit::verify(&app.state.db, &app.state.keys).await.unwrap(),
        Err(audit::Broken::Unkeyed { seq: 1 })
    );
    // The checkpoint kept outside names the entry that is no longer what it was.
    assert_eq!(
        audit::check_checkpoint(&app.state.db, &app.state.keys, &checkpoint)
            .await
            .unwrap(),
        Err(audit::Broken::CheckpointDiffers {
            seq: checkpoint.seq
        })
    );
    // Another installation's key file does not accept this one's entries either.
    let other = satis::platform::crypto::KeyRing::generate();
    assert!(
        audit::check_checkpoint(&app.state.db, &other, &checkpoint)
            .await
            .unwrap()
            .is_err()
    );
}

/// An installation whose chain was written before it was keyed (unkeyed hashes, a key file
/// without `audit-legacy-until`): at start the boundary is written into the key file, the
/// old entries verify, new ones are keyed, and a later rewrite cannot pass as old.
async fn an_installation_from_before_the_keyed_chain_keeps_its_old_entries_and_no_more(db: TestDb) {
    use satis::platform::crypto::KeyRing;
    let app = db.app().await;
    audit_trail_of_a_sign_in_and(&app, 3).await;
    // As an older version left it: every hash unkeyed, a key file with no boundary.
    rewrite_chain_from(&app, 1, false).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("satis.keys");
    app.state.keys.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("audit-legacy-until 0"));
    std::fs::write(&path, text.replace("audit-legacy-until 0\n", "")).unwrap();
    let (mut old_ring, _) = KeyRing::open_or_create(&path).unwrap();
    assert_eq!(old_ring.audit_legacy_until(), None);
    let before = audit::verify(&app.state.db, &old_ring)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.unkeyed, before.entries);

    audit::record_legacy_boundary(&app.state.db, &mut old_ring, &path)
        .await
        .unwrap();
    assert_eq!(old_ring.audit_legacy_until(), Some(before.entries));
    let (reopened, _) = KeyRing::open_or_create(&path).unwrap();
    assert_eq!(reopened.audit_legacy_until(), Some(before.entries));
    audit::append(
        &app.state.db,
        &reopened,
        audit::Entry::new(None, "test.after", "test"),
    )
    .await
    .unwrap();
    let after = audit::verify(&app.state.db, &reopened)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (after.entries, after.unkeyed),
        (before.entries + 1, before.entries)
    );
    // The new entry, rewritten unkeyed, is past the boundary: caught.
    rewrite_chain_from(&app, 1, false).await;
    assert_eq!(
        audit::verify(&app.state.db, &reopened).await.unwrap(),
        Err(audit::Broken::Unkeyed {
            seq: before.entries + 1
        })
    );
}

async fn auditor_sees_who_touched_whose_data_and_exports_csv(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    let auditor = app.user("dpo", Role::Auditor, region).await;
    let org = app.organisation("Associazione Tredici").await;
    let target = app.user("osservata", Role::CaseWorker, org).await;
    app.sign_in(&admin).await;
    app.post_form(&format!("/admin/users/{}/reset-mfa", target.id), &[])
        .await
        .assert_status(303);

    app.sign_in(&auditor).await;
    let subject = format!("user:{}", target.id);
    let r = app.get(&format!("/audit?subject={subject}")).await;
    r.assert_status(200)
        .assert_contains("Secondo fattore azzerato")
        .assert_contains(">admin<")
        .assert_contains(&format!("<td>utente {}</td>", target.id))
        .assert_contains("<td>consentito</td>");
    assert!(
        !r.body.contains("user.mfa_reset") && !r.body.contains(">allowed<"),
        "actions, record kinds and outcomes are named, not coded"
    );
    assert!(!r.body.contains(">Accesso</td>") || r.body.contains(&subject));
    // Today's Italian day holds the reset; a search that ends before it starts, or a day that
    // is not a date, says so instead of quietly showing everything.
    let today = satis::platform::time::rome_today();
    app.get(&format!("/audit?subject={subject}&from={today}&to={today}"))
        .await
        .assert_status(200)
        .assert_contains("Secondo fattore azzerato");
    let yesterday = today.pred_opt().unwrap();
    let r = app
        .get(&format!("/audit?subject={subject}&to={yesterday}"))
        .await;
    r.assert_status(200);
    assert!(
        !r.body.contains("Secondo fattore azzerato"),
        "ended before the reset"
    );
    // A refused search comes back as typed, the problem beside its field, and reads nothing.
    let reads = crate::support::count_rows(&app, "audit_event WHERE action = 'audit.read'").await;
    app.get(&format!("/audit?from={today}&to={yesterday}"))
        .await
        .assert_status(422)
        .assert_contains("finire dopo")
        .assert_contains("aria-describedby=\"to-error\"")
        .assert_contains(&format!("value=\"{yesterday}\""));
    app.get("/audit?from=ieri&to=domani")
        .await
        .assert_status(422)
        .assert_contains("id=\"from-error\"")
        .assert_contains("id=\"to-error\"")
        .assert_contains("Indica una data valida");
    assert_eq!(
        crate::support::count_rows(&app, "audit_event WHERE action = 'audit.read'").await,
        reads
    );
    app.get(&format!("/audit.csv?from={today}&to={yesterday}"))
        .await
        .assert_status(400);
    let csv = app
        .get(&format!("/audit.csv?subject={subject}&actor=admin"))
        .await;
    // The code is the evidence; its name in the reader's language stands beside it.
    csv.assert_status(200)
        .assert_contains("\"user.mfa_reset\"")
        .assert_contains("\"Secondo fattore azzerato\"")
        .assert_contains(",\"azione (descrizione)\"\n");
    app.get(&format!("/audit?subject={subject}&actor=admin"))
        .await
        .assert_contains("<td>Secondo fattore azzerato</td>");
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("attachment"));
    assert!(
        csv.body
            .lines()
            .skip(1)
            .all(|l| l.contains(&format!("\"{subject}\"")))
    );
    // The auditor's reading is itself recorded: the five searches that ran (four pages, one
    // export), not the three refused.
    let reads = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_event WHERE action IN ('audit.read', 'audit.export')",
    )
    .await;
    assert_eq!(reads, 5);
    // Others may not read the trail.
    app.sign_in(&admin).await;
    app.get("/audit").await.assert_status(403);
}

async fn emergency_access_needs_reason_expires_and_is_reviewed(db: TestDb) {
    let app = db.app().await;
    let hotline_org = app.organisation("Numero Verde").await;
    let owner_org = app.organisation("Associazione Proprietaria").await;
    let operator = app.user("notte", Role::HotlineOperator, hotline_org).await;
    let coordinator = app
        .user("coord", Role::TerritorialCoordinator, owner_org)
        .await;
    app.sign_in(&operator).await;
    app.post_form(
        "/break-glass",
        &[
            ("record_kind", "case"),
            ("record_id", "C-42"),
            ("reason", "urgente"),
        ],
    )
    .await
    .assert_status(400)
    .assert_contains("almeno 15 caratteri");
    assert!(
        break_glass::active_grant(&app.state.db, operator.id, "case", "C-42", Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    app.post_form(
        "/break-glass",
        &[
            ("record_kind", "case"),
            ("record_id", "C-42"),
            (
                "reason",
                "persona in pericolo, ente titolare irraggiungibile di notte",
            ),
        ],
    )
    .await
    .assert_status(303);
    let grant = break_glass::active_grant(&app.state.db, operator.id, "case", "C-42", Utc::now())
        .await
        .unwrap()
        .expect("a live grant");
    let actor = policy::Actor {
        user_id: operator.id,
        username: "notte".into(),
        organisation_id: Some(hotline_org),
        province: None,
        roles: vec![Role::HotlineOperator],
    };
    let record = Resource {
        owner_organisation_id: owner_org,
        shared_with: vec![],
    };
    assert!(policy::decide(&actor, Action::Read, &record, Some(grant), Utc::now()).allowed());
    assert!(!policy::decide(&actor, Action::Read, &record, None, Utc::now()).allowed());
    let later = Utc::now() + Duration::minutes(61);
    assert!(
        break_glass::active_grant(&app.state.db, operator.id, "case", "C-42", later)
            .await
            .unwrap()
            .is_none()
    );

    // The coordinator sees it and reviews it; both steps are audited.
    app.sign_in(&coordinator).await;
    let page = app.get("/break-glass/review").await;
    page.assert_status(200)
        .assert_contains("persona in pericolo")
        .assert_contains("notte");
    let id = find_value(&page.body, "action=\"/break-glass/").unwrap();
    let id = id.split('/').next().unwrap().to_owned();
    app.post_form(
        &format!("/break-glass/{id}/review"),
        &[("note", "giustificato")],
    )
    .await
    .assert_status(303);
    app.get("/break-glass/review")
        .await
        .assert_contains("Verificato");
    let n = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'break_glass.%'",
    )
    .await;
    assert_eq!(n, 2);
}

async fn api_tokens_are_hashed_scoped_and_revocable(db: TestDb) {
    use tokens::Presented;
    let app = db.app().await;
    let org = app.organisation("Integrazione").await;
    let analyst = app.user("analista", Role::RegionalAnalyst, org).await;
    let elsewhere = app.organisation("Altrove").await;
    let now = Utc::now();
    let stats = ["stats:read".to_owned()];
    assert!(
        tokens::create(&app.state.db, elsewhere, analyst.id, "x", &stats, 90)
            .await
            .is_err(),
        "a token only acts where its account has a role"
    );
    let (id, token) = tokens::create(&app.state.db, org, analyst.id, "regione", &stats, 90)
        .await
        .unwrap();
    assert!(token.starts_with("satis_"));
    let Presented::Live(found) = tokens::authenticate(&app.state.db, &token, now)
        .await
        .unwrap()
    else {
        panic!("the new token is live")
    };
    assert!(tokens::has_scope(&found, "stats:read"));
    assert!(!tokens::has_scope(&found, "cases:read"));
    // It expires after 90 days, by default.
    let expiry = tokens::expiry(&found);
    assert!(expiry > now + Duration::days(89) && expiry <= now + Duration::days(91));
    assert!(matches!(
        tokens::authenticate(&app.state.db, &token, now + Duration::days(91))
            .await
            .unwrap(),
        Presented::Expired(_)
    ));
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(matches!(
        tokens::authenticate(&app.state.db, &forged, now)
            .await
            .unwrap(),
        Presented::Unknown
    ));
    assert!(matches!(
        tokens::authenticate(&app.state.db, "satis_nope_nope", now)
            .await
            .unwrap(),
        Presented::Unknown
    ));
    let stored = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM api_token WHERE token_hash = '{token}' OR lookup = '{token}'"
        ),
    )
    .await;
    assert_eq!(stored, 0, "the token itself is never stored");
    assert!(
        tokens::create(&app.state.db, org, analyst.id, "x", &["root".into()], 90)
            .await
            .is_err()
    );
    for days in [0, -1, tokens::MAX_DAYS + 1] {
        assert!(matches!(
            tokens::create(&app.state.db, org, analyst.id, "x", &stats, days).await,
            Err(tokens::TokenError::Lifetime)
        ));
    }
    assert!(tokens::revoke(&app.state.db, id).await.unwrap());
    assert!(matches!(
        tokens::authenticate(&app.state.db, &token, now)
            .await
            .unwrap(),
        Presented::Unknown
    ));
    assert!(!tokens::revoke(&app.state.db, id).await.unwrap());

    // Through the API: an expired token is refused with a message that says so, and a token
    // made before expiry existed lives 90 days from its creation.
    let (old, old_token) = tokens::create(&app.state.db, org, analyst.id, "vecchio", &stats, 30)
        .await
        .unwrap();
    let r = app
        .api("GET", "/api/v1/stats/activity", &old_token, None, &[])
        .await;
    assert_ne!(r.status.as_u16(), 401, "{}", r.body);
    exec(
        &app,
        &format!(
            "UPDATE api_token SET expires_at = NULL, created_at = '2020-01-01T00:00:00+00:00' \
             WHERE id = {old}"
        ),
    )
    .await;
    let r = app
        .api("GET", "/api/v1/stats/activity", &old_token, None, &[])
        .await;
    r.assert_status(401).assert_contains("token_expired");
    assert!(r.body.contains("scaduto"), "{}", r.body);
}

async fn identity_fields_are_encrypted_at_rest(db: TestDb) {
    let backend = db.backend;
    let url = db.url.clone();
    let dir = db.dir.path().to_owned();
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    app.sign_in(&admin).await;
    let canary = format!("CANARY{}", uuid::Uuid::new_v4().simple());
    app.post_form(
        "/admin/users",
        &[
            ("username", "canarino"),
            ("display_name", &canary),
            ("organisation_id", &region.to_string()),
            ("role", "case_worker"),
        ],
    )
    .await
    .assert_status(200);
    // The name reads back for those allowed to see it…
    app.get("/admin/users").await.assert_contains(&canary);
    // …and no stored byte holds it, nor the TOTP secret of any user.
    let secret_b32 = satis::identity::totp::secret_base32(&admin.secret);
    let needles = [canary.clone(), secret_b32];
    let haystacks: Vec<Vec<u8>> = match backend {
        crate::support::Backend::Sqlite => {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("satis.sqlite")
                {
                    files.push(std::fs::read(p).unwrap());
                }
            }
            assert!(files.len() >= 2, "database and WAL expected");
            files
        }
        crate::support::Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .arg(&url)
                .output()
                .expect("pg_dump");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("app_user"));
            vec![out.stdout]
        }
    };
    for hay in &haystacks {
        for needle in &needles {
            assert!(
                !hay.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "plaintext found at rest"
            );
        }
    }
}

async fn tampered_ciphertext_fails_cleanly(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Quattordici").await;
    let user = app.user("manomesso", Role::CaseWorker, org).await;
    let u = store::user(&app.state.db, user.id).await.unwrap().unwrap();
    let mut sealed = u.totp_secret_enc.unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 0x01;
    let db = &app.state.db;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE app_user SET totp_secret_enc = $1 WHERE id = $2",
        [sealed.into(), user.id.into()],
    ))
    .await
    .unwrap();
    app.post_form(
        "/login",
        &[("username", "manomesso"), ("password", PASSWORD)],
    )
    .await;
    let r = app.post_form("/login/mfa", &[("code", &user.code())]).await;
    r.assert_status(500)
        .assert_contains("Codice di riferimento");
    assert!(!r.body.contains("decrypt"), "no internals shown");
    app.get("/account").await.assert_status(303);
}

async fn key_rotation_reencrypts_every_encrypted_field(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Quindici").await;
    let user = app.user("ruota", Role::CaseWorker, org).await;
    let mut ring = app.state.keys.clone();
    let new_id = ring.add_key();
    let n = satis::platform::keys::reencrypt_all(
        &app.state.db,
        &ring,
        &satis::app::encrypted_columns(),
    )
    .await
    .unwrap();
    assert_eq!(n, 2, "display name and TOTP secret");
    let u = store::user(&app.state.db, user.id).await.unwrap().unwrap();
    assert_eq!(
        satis::platform::crypto::KeyRing::key_id_of(&u.display_name_enc),
        Some(new_id)
    );
    assert_eq!(store::display_name(&ring, &u), "ruota Test");
    let secret = ring
        .decrypt(store::TOTP_SECRET, u.totp_secret_enc.as_ref().unwrap())
        .unwrap();
    assert_eq!(secret, user.secret);
    // Nothing left to do the second time.
    assert_eq!(
        satis::platform::keys::reencrypt_all(
            &app.state.db,
            &ring,
            &satis::app::encrypted_columns()
        )
        .await
        .unwrap(),
        0
    );
}

async fn a_signed_in_persons_language_preference_comes_first(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Sedici").await;
    let user = app.user("lingua", Role::CaseWorker, org).await;
    app.session_for(user.id, Some(org)).await;
    app.post_form(
        "/account/preferences",
        &[("locale", "en"), ("next", "/network")],
    )
    .await
    .assert_status(303);
    // The stored preference beats a language cookie and the browser.
    app.cookies
        .lock()
        .unwrap()
        .insert("satis_lang".into(), "it".into());
    let page = app.get_with("/network", &[("accept-language", "it")]).await;
    page.assert_contains("<html lang=\"en\">");
    // The switch in the header changes the preference and comes back to the same page.
    page.assert_contains("name=\"locale\" value=\"it\"");
    let r = app
        .post_form(
            "/account/preferences",
            &[("locale", "it"), ("next", "/network")],
        )
        .await;
    assert_eq!(r.header("location"), "/network");
    app.get("/network")
        .await
        .assert_contains("<html lang=\"it\">");
    let stored = store::user(&app.state.db, user.id)
        .await
        .unwrap()
        .unwrap()
        .locale;
    assert_eq!(stored.as_deref(), Some("it"));
}

async fn the_audit_trail_is_read_page_after_page(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let auditor = app.user("dpo-pagine", Role::Auditor, region).await;
    let entries: Vec<audit::Entry> = (0..1_100)
        .map(|i| audit::Entry::new(None, "test.page", "test").record(i))
        .collect();
    audit::append_all(&app.state.db, &app.state.keys, entries)
        .await
        .unwrap();
    app.sign_in(&auditor).await;
    let mut seen: Vec<i64> = Vec::new();
    let mut next = Some("/audit?action=test.page".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let r = app.get(&path).await;
        r.assert_status(200);
        seen.extend(
            r.body
                .split("<tr><td>")
                .skip(1)
                .filter_map(|row| row.split('<').next()?.parse::<i64>().ok()),
        );
        pages += 1;
        assert!(pages < 5, "the pages end");
        next =
            find_value(&r.body, "<p class=\"pager\"><a href=\"").map(|h| h.replace("&#38;", "&"));
        if let Some(n) = &next {
            assert!(n.contains("action=test.page"), "the filter is kept: {n}");
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<i64> = scalar_list(
        &app,
        "SELECT seq FROM audit_event WHERE action = 'test.page' ORDER BY seq DESC",
    )
    .await;
    assert_eq!(expected.len(), 1_100);
    assert_eq!(seen, expected, "every entry once, newest first");
    app.get("/audit?before=nonsense").await.assert_status(400);
}

async fn scalar_list(app: &TestApp, sql: &str) -> Vec<i64> {
    app.state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0).unwrap())
        .collect()
}
