//! Webhooks against a real HTTP receiver started by the test on a free port: an administrator
//! subscribes (a clear-text address refused), events written by the real operations, a
//! receiver that fails, goes away and comes back, every event delivered, signed, in order for
//! each record, nothing personal in any payload, a sender that dies after claiming, a replay
//! from the page, and another organisation's administrator who sees and replays nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use satis::platform::policy::Role;
use satis::platform::webhooks::{self, Event};

use crate::support::{TestApp, TestDb, scalar};

crate::tests![every_event_reaches_a_receiver_that_fails_goes_away_and_comes_back,];

/// What the receiver got: (event id, event type, signature header, body).
type Got = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A real HTTP receiver: answers 500 while `failing` is above zero (counting down), else 204.
struct Receiver {
    port: u16,
    got: Got,
    failing: Arc<AtomicUsize>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    async fn start(port: u16, got: Got, failing: Arc<AtomicUsize>) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let (g, f) = (got.clone(), failing.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (g, f) = (g.clone(), f.clone());
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    if f.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    g.lock().unwrap().push((
                        h("satis-event-id"),
                        h("satis-event-type"),
                        h("satis-signature"),
                        body,
                    ));
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            port,
            got,
            failing,
            task: Some(task),
        }
    }

    /// The receiver goes away: its port refuses connections.
    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }

    async fn restart(&mut self) {
        self.stop().await;
        *self = Receiver::start(self.port, self.got.clone(), self.failing.clone()).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn deliver(app: &TestApp, at: chrono::DateTime<Utc>) -> webhooks::Delivered {
    webhooks::deliver_due(&app.state.db, &app.state.keys, at)
        .await
        .unwrap()
}

/// A phase change of record `case` 77, written as an operation would.
async fn phase_event(app: &TestApp, org: i32) {
    webhooks::emit(
        &app.state.db,
        &[org],
        Event {
            kind: "case.phase_changed",
            record_type: "case",
            record_id: 77,
            at: Utc::now(),
        },
    )
    .await
    .unwrap();
}

fn secret_in(body: &str) -> String {
    let start = body.find("whsec_").expect("the secret is shown once");
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

async fn every_event_reaches_a_receiver_that_fails_goes_away_and_comes_back(db: TestDb) {
    let app = db.app().await;
    let (op, cat) = crate::hotline::operator(&app, "notte").await;
    app.runs_regional_hotline(cat).await;
    let admin = app.user("admin-cat", Role::Administrator, cat).await;
    let other = app.seed_org("Comune di Firenze").await;
    let admin_fi = app.user("admin-fi", Role::Administrator, other).await;
    let got: Got = Arc::default();
    let failing = Arc::new(AtomicUsize::new(0));
    let mut receiver = Receiver::start(free_port(), got.clone(), failing.clone()).await;
    let url = format!("http://127.0.0.1:{}/hook", receiver.port);

    // The administrator subscribes; an address in clear across the network is refused.
    app.sign_in(&admin).await;
    app.get("/admin/webhooks")
        .await
        .assert_status(200)
        .assert_contains("Nessun invio finora");
    app.post_form(
        "/admin/webhooks",
        &[
            ("url", "http://ente.example.org/hook"),
            ("events", "contact.recorded"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("in chiaro")
    .assert_contains("value=\"contact.recorded\" checked");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM webhook_subscription").await,
        0
    );
    let r = app
        .post_form(
            "/admin/webhooks",
            &[
                ("url", url.as_str()),
                ("events", "contact.recorded"),
                ("events", "public_report.received"),
                ("events", "case.phase_changed"),
            ],
        )
        .await;
    r.assert_status(200)
        .assert_contains("non sarà più mostrato");
    let secret = secret_in(&r.body);
    // Sealed at rest.
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM webhook_subscription WHERE secret_enc = '{secret}'"),
        )
        .await,
        0
    );
    app.get("/admin/webhooks")
        .await
        .assert_contains(&url)
        .assert_not_contains(&secret);

    // Three events of one record, then a hotline contact and a public report through the real
    // pages, each written with what caused it.
    for _ in 0..3 {
        phase_event(&app, cat).await;
    }
    app.sign_in(&op).await;
    let day = satis::platform::time::rome_today() - Duration::days(1);
    let started = format!("{day}T23:30");
    app.post_form(
        "/hotline/contacts",
        &crate::hotline::pertinent(&[
            ("started_at", started.as_str()),
            ("notes", "Zyxcanary Ioana Popescu, via Roma 3"),
        ]),
    )
    .await
    .assert_status(303);
    app.clear_cookies();
    crate::reports::submit(&app, "it", crate::reports::REPORT)
        .await
        .assert_status(200);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM webhook_delivery").await,
        5
    );

    // The receiver fails twice: the first phase change and the contact are retried, the later
    // phase changes wait behind the first, the report goes through.
    failing.store(2, Ordering::SeqCst);
    let t0 = Utc::now();
    let d = deliver(&app, t0).await;
    assert_eq!(
        (d.delivered, d.retried, d.held),
        (1, 2, 2),
        "first round: {d:?}"
    );
    // It goes away: nothing is lost, nothing is out of order.
    receiver.stop().await;
    let d = deliver(&app, t0 + Duration::minutes(3)).await;
    assert_eq!((d.delivered, d.retried, d.held), (0, 2, 2), "{d:?}");
    // It comes back.
    receiver.restart().await;
    let d = deliver(&app, t0 + Duration::minutes(10)).await;
    assert_eq!(d.delivered, 4, "{d:?}");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM webhook_delivery WHERE state <> 'delivered'"
        )
        .await,
        0
    );
    {
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 5);
        let now = Utc::now().timestamp();
        let mut ids = std::collections::BTreeSet::new();
        for (id, kind, sig, body) in got.iter() {
            assert!(webhooks::verify(&secret, sig, body, now), "signed: {body}");
            assert!(!webhooks::verify("whsec_other", sig, body, now));
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(v["id"], id.as_str());
            assert_eq!(v["type"], kind.as_str());
            for canary in ["Zyxcanary", "Popescu", "capannone", "zona industriale"] {
                assert!(!body.contains(canary), "{canary} in {body}");
            }
            ids.insert(id.clone());
        }
        assert_eq!(ids.len(), 5, "every event once");
        // The report is dated by its day only.
        let report = got
            .iter()
            .find(|g| g.1 == "public_report.received")
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&report.3).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(v["occurred_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            at,
            satis::platform::time::rome_midnight(satis::platform::time::rome_today())
        );
        // The three events of case 77 arrived in the order they happened.
        let received: Vec<String> = got
            .iter()
            .filter(|g| g.1 == "case.phase_changed")
            .map(|g| g.0.clone())
            .collect();
        let written: Vec<String> = {
            use sea_orm::{EntityTrait, QueryOrder};
            webhooks::delivery::Entity::find()
                .order_by_asc(webhooks::delivery::Column::Id)
                .all(&app.state.db)
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.event_type == "case.phase_changed")
                .map(|d| d.event_id)
                .collect()
        };
        assert_eq!(received, written);
    }

    // A sender that dies after claiming: the delivery waits for the lease, then goes once.
    phase_event(&app, cat).await;
    let t1 = Utc::now();
    let id = scalar(&app, "SELECT MAX(id) FROM webhook_delivery").await as i32;
    assert!(webhooks::claim(&app.state.db, id, t1).await.unwrap());
    assert_eq!(deliver(&app, t1).await, webhooks::Delivered::default());
    assert_eq!(deliver(&app, t1 + Duration::minutes(6)).await.delivered, 1);
    assert_eq!(got.lock().unwrap().len(), 6);

    // The administrator sees the deliveries in words and sends one again: same event id.
    app.sign_in(&admin).await;
    app.get("/admin/webhooks")
        .await
        .assert_contains("Consegnato")
        .assert_contains("Cambio di fase di un caso")
        .assert_contains("Segnalazione pubblica ricevuta")
        .assert_not_contains(">case.phase_changed");
    let first = scalar(&app, "SELECT MIN(id) FROM webhook_delivery").await;
    app.post_form(&format!("/admin/webhooks/deliveries/{first}/again"), &[])
        .await
        .assert_status(303);
    assert_eq!(deliver(&app, Utc::now()).await.delivered, 1);
    let replayed = {
        use sea_orm::EntityTrait;
        webhooks::delivery::Entity::find_by_id(first as i32)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .event_id
    };
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 7);
        assert_eq!(got[6].0, replayed, "a replay keeps the event id");
        assert_eq!(got.iter().filter(|g| g.0 == replayed).count(), 2);
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('webhook.subscribe', 'webhook.send_again')"
        )
        .await,
        2
    );

    // Another organisation's administrator sees none of it and replays nothing.
    app.sign_in(&admin_fi).await;
    app.get("/admin/webhooks")
        .await
        .assert_status(200)
        .assert_not_contains(&url)
        .assert_contains("Nessun invio finora");
    app.post_form(&format!("/admin/webhooks/deliveries/{first}/again"), &[])
        .await
        .assert_status(303);
    assert_eq!(deliver(&app, Utc::now()).await.delivered, 0);
    // Their case worker cannot open the page at all.
    let worker = app.user("operatrice-fi", Role::CaseWorker, other).await;
    app.sign_in(&worker).await;
    app.get("/admin/webhooks").await.assert_status(403);

    // Ending the subscription cancels what waits; nothing more is written for it.
    app.sign_in(&admin).await;
    phase_event(&app, cat).await;
    let sub = scalar(&app, "SELECT MIN(id) FROM webhook_subscription").await;
    app.post_form(&format!("/admin/webhooks/{sub}/end"), &[])
        .await
        .assert_status(303);
    phase_event(&app, cat).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM webhook_delivery WHERE state = 'cancelled'"
        )
        .await,
        1
    );
    assert_eq!(
        deliver(&app, Utc::now() + Duration::hours(1))
            .await
            .delivered,
        0
    );
    assert_eq!(got.lock().unwrap().len(), 7);
    receiver.stop().await;
}
