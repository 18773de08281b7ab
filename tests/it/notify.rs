//! E-mail notifications through a real SMTP server (Python's aiosmtpd, from
//! scripts/install-deps): a person's choice, the outbox, delivery, a server that goes away and
//! comes back, a sender that dies after claiming a message, and messages that name no one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use satis::platform::policy::Role;
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, TestDb, scalar};

crate::tests![
    a_person_is_told_how_many_items_wait_and_nothing_else,
    administrators_see_undelivered_messages_and_send_them_again,
];

/// A real SMTP server writing what it receives to a Maildir.
pub(crate) struct Smtp {
    child: Option<Child>,
    pub(crate) port: u16,
    maildir: PathBuf,
}

impl Smtp {
    pub(crate) fn start(port: u16, maildir: &Path) -> Smtp {
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd (scripts/install-deps installs python3-aiosmtpd)");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the SMTP server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Smtp {
            child: Some(child),
            port,
            maildir: maildir.to_owned(),
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message received so far, as text.
    pub(crate) fn received(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Delivers what is due at `at` through the app's configured server.
pub(crate) async fn deliver(
    app: &TestApp,
    at: chrono::DateTime<chrono::Utc>,
) -> satis::platform::mail::Delivered {
    let mail = app.state.config.mail.clone().unwrap();
    satis::platform::mail::deliver_due(&app.state.db, &app.state.keys, &mail, at)
        .await
        .unwrap()
}

/// Writes a digest-shaped message (waiting, late) for `user` under `key`; `true` if written.
async fn enqueue(
    app: &TestApp,
    user: i32,
    key: &str,
    to: &str,
    (waiting, late): (usize, usize),
    at: chrono::DateTime<chrono::Utc>,
) -> bool {
    satis::platform::mail::enqueue(
        &app.state.db,
        &app.state.keys,
        user,
        key,
        to,
        satis::platform::mail::compose("https://satis.test", waiting, late, true),
        waiting,
        at,
    )
    .await
    .unwrap()
}

/// A call promising a call back, two days ago (Italian time), with words that must never
/// reach a message.
async fn promised_call_back(app: &TestApp, caller: &str) {
    let day = satis::platform::time::rome_today() - chrono::Duration::days(2);
    let at = format!("{day}T10:00");
    app.post_form(
        "/hotline/contacts",
        &crate::hotline::pertinent(&[
            ("started_at", at.as_str()),
            ("outcomes", "call_back"),
            ("caller_ref", caller),
            ("notes", "Zyxcanary Maria Rossi chiede di essere richiamata"),
        ]),
    )
    .await
    .assert_status(303);
}

async fn a_person_is_told_how_many_items_wait_and_nothing_else(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut smtp = Smtp::start(port, &dir.path().join("maildir"));
    let mut config = db.config();
    config.mail = Some(satis::platform::config::Mail {
        smtp_url: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "SATIS <satis@satis.test>".into(),
        site_url: "https://satis.test".into(),
        digest_hour: 0,
    });
    let app = db
        .app_with(config, satis::platform::settings::Mode::Production)
        .await;
    let (op, _) = crate::hotline::operator(&app, "avvisi").await;
    app.sign_in(&op).await;

    // The choice: a bad address is refused, what was typed stays, nothing is saved.
    let r = app
        .post_form(
            "/account/notifications",
            &[("email", "non-un-indirizzo"), ("mode", "immediate")],
        )
        .await;
    r.assert_status(422)
        .assert_contains("Scrivi un indirizzo e-mail valido")
        .assert_contains("value=\"non-un-indirizzo\"");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM notify_pref").await, 0);
    let r = app
        .post_form(
            "/account/notifications",
            &[("email", "operatrice@ente.test"), ("mode", "immediate")],
        )
        .await;
    r.assert_status(303);
    app.get("/account")
        .await
        .assert_contains("value=\"operatrice@ente.test\"")
        .assert_contains("value=\"immediate\" checked");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'user.notifications'"
        )
        .await,
        1
    );
    // The address is sealed at rest.
    let stored = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT email_enc FROM notify_pref",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<Vec<u8>>(0)
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("operatrice@ente.test"));

    // Nothing due: nothing written.
    let now = chrono::Utc::now();
    let notify = satis::reminders::notify::enqueue_due;
    assert_eq!(notify(&app.state, now).await.unwrap(), 0);

    // A call back promised two days ago is due: one message, once.
    promised_call_back(&app, "R-AVVISO-1").await;
    assert_eq!(notify(&app.state, now).await.unwrap(), 1);
    assert_eq!(notify(&app.state, now).await.unwrap(), 0, "nothing new");
    assert_eq!(deliver(&app, now).await.sent, 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert!(
        m.contains("Subject: SATIS: 1 da fare (1 in ritardo)"),
        "{m}"
    );
    assert!(m.contains("To: operatrice@ente.test"), "{m}");
    assert!(m.contains("https://satis.test/reminders"), "{m}");
    assert!(m.contains("Message-ID: <satis-"), "{m}");

    // The server goes away: the next message waits and is retried, then goes out.
    smtp.stop();
    promised_call_back(&app, "R-AVVISO-2").await;
    assert_eq!(notify(&app.state, now).await.unwrap(), 1, "more is waiting");
    let d = deliver(&app, now).await;
    assert_eq!((d.sent, d.retried), (0, 1));
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE state = 'pending' AND attempts = 1 \
             AND last_error = 'connection'"
        )
        .await,
        1
    );
    let smtp = Smtp::start(port, &dir.path().join("maildir"));
    assert_eq!(
        deliver(&app, now).await.sent,
        0,
        "not before its retry time"
    );
    let later = now + chrono::Duration::minutes(3);
    assert_eq!(deliver(&app, later).await.sent, 1);
    assert_eq!(smtp.received().len(), 2);

    // A sender that claimed a message and died before sending it: the message goes out once
    // the claim runs out, not before.
    assert!(
        enqueue(
            &app,
            op.id,
            "test:claimed",
            "operatrice@ente.test",
            (4, 0),
            later
        )
        .await
    );
    assert!(
        !enqueue(
            &app,
            op.id,
            "test:claimed",
            "operatrice@ente.test",
            (4, 0),
            later
        )
        .await,
        "the same key is never written twice"
    );
    let claimed = scalar(
        &app,
        "SELECT id FROM mail_outbox WHERE dedupe_key = 'test:claimed'",
    )
    .await;
    let id = i32::try_from(claimed).unwrap();
    assert!(
        satis::platform::mail::claim(&app.state.db, id, later)
            .await
            .unwrap()
    );
    assert!(
        !satis::platform::mail::claim(&app.state.db, id, later)
            .await
            .unwrap(),
        "claimed once"
    );
    assert_eq!(deliver(&app, later).await.sent, 0);
    assert_eq!(
        deliver(&app, later + chrono::Duration::minutes(11))
            .await
            .sent,
        1
    );

    // The daily digest: once a day.
    let colleague = app
        .user(
            "avvisi-mattino",
            Role::HotlineOperator,
            crate::hotline::operator(&app, "x").await.1,
        )
        .await;
    app.sign_in(&colleague).await;
    app.post_form(
        "/account/notifications",
        &[("email", "mattino@ente.test"), ("mode", "daily")],
    )
    .await
    .assert_status(303);
    assert_eq!(notify(&app.state, later).await.unwrap(), 1);
    assert_eq!(notify(&app.state, later).await.unwrap(), 0);
    assert_eq!(
        deliver(&app, later + chrono::Duration::minutes(12))
            .await
            .sent,
        1
    );

    // Nothing in any message names anyone or anything recorded.
    let all = smtp.received();
    assert_eq!(all.len(), 4);
    for m in &all {
        for canary in [
            "Zyxcanary",
            "Maria",
            "Rossi",
            "R-AVVISO",
            "richiamata",
            "avvisi",
        ] {
            assert!(!m.contains(canary), "{canary} in a message:\n{m}");
        }
    }
    // Switched off: nothing more for the colleague; the operator, still waiting a day later,
    // hears again.
    app.post_form("/account/notifications", &[("email", ""), ("mode", "off")])
        .await
        .assert_status(303);
    assert_eq!(
        notify(&app.state, later + chrono::Duration::days(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM mail_outbox WHERE user_id = {}",
                colleague.id
            )
        )
        .await,
        1
    );
}

/// A server that refuses every connection: the message is retried, then given up after every
/// attempt; the administrators' page shows whose it was and why (no address, no text), and
/// "send again" puts it back in line, audited; it goes out once a server answers.
async fn administrators_see_undelivered_messages_and_send_them_again(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut config = db.config();
    let mail = satis::platform::config::Mail {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "SATIS <satis@satis.test>".into(),
        site_url: "https://satis.test".into(),
        digest_hour: 0,
    };
    config.mail = Some(mail.clone());
    let app = db
        .app_with(config, satis::platform::settings::Mode::Production)
        .await;
    let (op, org) = crate::hotline::operator(&app, "destinataria").await;
    let mut at = chrono::Utc::now();
    assert!(
        enqueue(
            &app,
            op.id,
            "test:undelivered",
            "destinataria@ente.test",
            (2, 1),
            at
        )
        .await
    );
    // Nobody listens on the port: every attempt fails, until SATIS gives up.
    for attempt in 1..=satis::platform::mail::GIVE_UP {
        let d = deliver(&app, at).await;
        if attempt < satis::platform::mail::GIVE_UP {
            assert_eq!(d.retried, 1, "attempt {attempt}");
        } else {
            assert_eq!(d.given_up, 1);
        }
        at += chrono::Duration::hours(7);
    }
    assert_eq!(
        deliver(&app, at).await,
        satis::platform::mail::Delivered::default()
    );

    // Only administrators see the page.
    let admin = app.user("posta-admin", Role::Administrator, org).await;
    app.sign_in(&op).await;
    app.get("/admin/mail").await.assert_status(403);
    app.sign_in(&admin).await;
    app.get("/admin/users")
        .await
        .assert_contains("href=\"/admin/mail\"");
    let page = app.get("/admin/mail").await;
    page.assert_status(200)
        .assert_contains("id=\"mail-failed\">1<")
        .assert_contains("destinataria")
        .assert_contains("connection")
        .assert_contains("Abbandonato");
    assert!(!page.body.contains("destinataria@ente.test"), "no address");
    assert!(!page.body.contains("da fare"), "no text");

    // Sent again once a server answers.
    let id = scalar(&app, "SELECT id FROM mail_outbox").await;
    let r = app.post_form(&format!("/admin/mail/{id}/again"), &[]).await;
    r.assert_status(303);
    assert!(r.header("location").ends_with("done=again"));
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'mail.send_again'"
        )
        .await,
        1
    );
    let smtp = Smtp::start(port, &dir.path().join("maildir"));
    assert_eq!(deliver(&app, chrono::Utc::now()).await.sent, 1);
    assert_eq!(smtp.received().len(), 1);
    app.get("/admin/mail")
        .await
        .assert_contains("id=\"mail-none\"");
    // Nothing left to send again.
    let r = app.post_form(&format!("/admin/mail/{id}/again"), &[]).await;
    assert!(r.header("location").ends_with("done=gone"));
}
