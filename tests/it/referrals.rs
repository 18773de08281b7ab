//! Referrals: consent first, the minimum data seen by the receiver only after accepting, a real
//! state machine, the receiver's new case and the sender's closed one, and the statistics.

use satis::platform::policy::Role;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, TestDb};

crate::tests![
    an_outbound_transfer_accepted_by_another_tuscan_organisation,
    an_inbound_request_from_the_national_hotline_becomes_a_case,
    refusals_withdrawals_and_wrong_steps,
    referral_statistics_count_each_step_in_its_period,
];

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .unwrap()
}

async fn open_case(app: &TestApp, org: i32, by: i32, names: &str) -> (String, i32) {
    let person = crate::support::Person::named(names)
        .born(1999)
        .from("NG")
        .speaking("EN")
        .vulnerable("gravidanza")
        .phone("+39 333 0000000");
    let (p, c) = app.open_case(org, by, person).await;
    (p.code, c.id)
}

fn version(body: &str) -> String {
    crate::support::find_value(body, "name=\"version\" value=\"").unwrap()
}

async fn an_outbound_transfer_accepted_by_another_tuscan_organisation(db: TestDb) {
    let app = db.app().await;
    let a = app.organisation("Associazione Mittente").await;
    let b = app.organisation("Cooperativa Ricevente").await;
    let c = app.organisation("Terza Organizzazione").await;
    let sender = app.user("mittente", Role::CaseWorker, a).await;
    let receiver = app.user("ricevente", Role::CaseWorker, b).await;
    let stranger = app.user("estranea", Role::CaseWorker, c).await;
    let (code, case_id) = open_case(&app, a, sender.id, "Nome Riservato Trasferita").await;
    // Both organisations' systems listen (the third's too, and hears nothing).
    let every: Vec<String> = satis::platform::webhooks::EVENTS
        .iter()
        .map(|e| (*e).to_owned())
        .collect();
    for org in [a, b, c] {
        satis::platform::webhooks::subscribe(
            &app.state.db,
            &app.state.keys,
            org,
            "https://ente.example.org/satis",
            &every,
            sender.id,
        )
        .await
        .unwrap();
    }
    app.sign_in(&sender).await;
    let propose = |receiver_org: i32| {
        vec![
            ("case_id", case_id.to_string()),
            ("counterpart_kind", "network_org".to_owned()),
            ("receiver_org", receiver_org.to_string()),
            ("reason", "safety".to_owned()),
            ("needed_service", "shelter".to_owned()),
            ("urgency", "urgent".to_owned()),
        ]
    };
    let pairs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    let send = |v: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let p: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
            app.post_form("/referrals/outbound", &p).await
        }
    };
    // No consent to transfer yet: refused, nothing saved.
    app.get(&format!("/referrals/new?case={case_id}"))
        .await
        .assert_status(200)
        .assert_contains("id=\"no-consent\"");
    send(pairs(&propose(b)))
        .await
        .assert_status(422)
        .assert_contains("Manca il consenso");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM referral").await, 0);
    let today = satis::platform::time::rome_today();
    // A consent to transfer to another organisation does not cover this one.
    satis::cases::store::add_consent(&app.state.db, case_id, "transfer", Some(c), today, None)
        .await
        .unwrap();
    send(pairs(&propose(b))).await.assert_status(422);
    satis::cases::store::add_consent(&app.state.db, case_id, "transfer", None, today, None)
        .await
        .unwrap();
    // Not to itself.
    send(pairs(&propose(a)))
        .await
        .assert_status(422)
        .assert_contains("Scegli a chi");
    let r = send(pairs(&propose(b))).await;
    r.assert_status(303);
    let page_path = r.header("location").to_owned();
    let id: i32 = page_path.trim_start_matches("/referrals/").parse().unwrap();

    // The receiver sees the request, not the person, until it accepts.
    app.sign_in(&receiver).await;
    app.get("/referrals")
        .await
        .assert_contains(&format!("R-{id}"))
        .assert_contains("da decidere");
    let before = app.get(&page_path).await;
    before
        .assert_status(200)
        .assert_contains("id=\"package-hidden\"");
    assert!(!before.body.contains("Nome Riservato"));
    // A third organisation sees nothing.
    app.sign_in(&stranger).await;
    app.get(&page_path).await.assert_status(403);
    app.post_form(&format!("{page_path}/status"), &[("to", "accepted")])
        .await
        .assert_status(403);

    app.sign_in(&receiver).await;
    let v = version(&before.body);
    let accept = app
        .post_form(
            &format!("{page_path}/status"),
            &[("to", "accepted"), ("version", &v)],
        )
        .await;
    accept.assert_status(303);
    // The same stale form again: a conflict, nothing changed twice.
    app.post_form(
        &format!("{page_path}/status"),
        &[("to", "accepted"), ("version", &v)],
    )
    .await
    .assert_status(422);
    let after = app.get(&page_path).await;
    after
        .assert_contains("Nome Riservato Trasferita")
        .assert_contains("NG")
        .assert_contains("gravidanza")
        .assert_contains("id=\"own-case\"");
    // The minimum package: no phone number for a network organisation by default.
    assert!(!after.body.contains("333 0000000"));
    let opened = scalar(
        &app,
        &format!("SELECT opened_case_id FROM referral WHERE id = {id}"),
    )
    .await;
    let owner = scalar(
        &app,
        &format!("SELECT owner_org FROM case_file WHERE id = {opened}"),
    )
    .await;
    assert_eq!(owner, i64::from(b));
    app.get(&format!("/cases/{opened}"))
        .await
        .assert_status(200)
        .assert_contains("Nome Riservato Trasferita");
    // The sending case is closed as transferred.
    let closed = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM case_file WHERE id = {case_id} AND phase = 'closed' AND closure_reason = 'transfer'"),
    )
    .await;
    assert_eq!(closed, 1);
    // Someone completing it from a page loaded before the acceptance: a conflict (409).
    app.post_form(
        &format!("{page_path}/status"),
        &[("to", "completed"), ("version", "0")],
    )
    .await
    .assert_status(409)
    .assert_contains("qualcun altro");
    // The receiver completes it; both sides see every step, dated.
    let v = version(&after.body);
    app.post_form(
        &format!("{page_path}/status"),
        &[
            ("to", "completed"),
            ("version", &v),
            ("note", "arrivata in struttura"),
        ],
    )
    .await
    .assert_status(303);
    app.sign_in(&sender).await;
    let seen = app.get(&page_path).await;
    seen.assert_contains("Conclusa")
        .assert_contains("arrivata in struttura")
        .assert_contains("Cooperativa Ricevente");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM referral_event WHERE referral_id = {id}")
        )
        .await,
        3
    );
    let audit = satis::platform::audit::search(
        &app.state.db,
        &satis::platform::audit::Filter {
            subject: Some(code),
            ..Default::default()
        },
        50,
    )
    .await
    .unwrap();
    assert!(audit.iter().any(|e| e.action == "referral.propose"));
    // The webhooks written with each step, for the parties only; refused attempts wrote none.
    let hooks = |org: i32| {
        let app = &app;
        async move {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
            satis::platform::webhooks::delivery::Entity::find()
                .filter(satis::platform::webhooks::delivery::Column::OrganisationId.eq(org))
                .order_by_asc(satis::platform::webhooks::delivery::Column::Id)
                .all(&app.state.db)
                .await
                .unwrap()
                .into_iter()
                .map(|d| format!("{} {}", d.event_type, d.record_type))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        hooks(a).await,
        [
            "referral.proposed referral",
            "case.phase_changed case",
            "referral.accepted referral"
        ]
    );
    assert_eq!(
        hooks(b).await,
        ["referral.proposed referral", "referral.accepted referral"]
    );
    assert!(hooks(c).await.is_empty());
}

async fn an_inbound_request_from_the_national_hotline_becomes_a_case(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Progetto Accoglienza").await;
    let worker = app.user("accoglienza", Role::CaseWorker, org).await;
    app.sign_in(&worker).await;
    let mut fields = vec![
        ("counterpart_kind", "national_hotline"),
        ("reason", "safety"),
        ("needed_service", "emergency_shelter"),
        ("urgency", "urgent"),
        ("consent_on", "2026-11-20"),
        ("names", "Persona Dal Nazionale"),
        ("gender", "female"),
        ("birth_year", "2001"),
        ("nationalities", "ng"),
        ("languages", "en"),
        ("exploitation_forms", "sexual"),
    ];
    // Without the declared consent: refused.
    app.post_form("/referrals/inbound", &fields)
        .await
        .assert_status(422)
        .assert_contains("Manca il consenso");
    fields.push(("consent", "1"));
    let mut bad = fields.clone();
    bad.retain(|(k, _)| *k != "nationalities");
    bad.push(("nationalities", "Nigeria"));
    app.post_form("/referrals/inbound", &bad)
        .await
        .assert_status(422);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM referral").await, 0);
    let r = app.post_form("/referrals/inbound", &fields).await;
    r.assert_status(303);
    let path = r.header("location").to_owned();
    let page = app.get(&path).await;
    page.assert_contains("Numero Verde nazionale")
        .assert_contains("Persona Dal Nazionale");
    let v = version(&page.body);
    app.post_form(
        &format!("{path}/status"),
        &[("to", "accepted"), ("version", &v)],
    )
    .await
    .assert_status(303);
    let opened = scalar(&app, "SELECT opened_case_id FROM referral").await;
    let case = app.get(&format!("/cases/{opened}")).await;
    case.assert_status(200)
        .assert_contains("Persona Dal Nazionale");
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) FROM case_file WHERE id = {opened} AND exploitation_forms = 'sexual'")).await,
        1
    );
}

async fn refusals_withdrawals_and_wrong_steps(db: TestDb) {
    let app = db.app().await;
    let a = app.organisation("Mittente Due").await;
    let b = app.organisation("Ricevente Due").await;
    let sender = app.user("mittente-due", Role::CaseWorker, a).await;
    let receiver = app.user("ricevente-due", Role::CaseWorker, b).await;
    let today = satis::platform::time::rome_today();
    let mut paths = Vec::new();
    for names in ["Prima Persona", "Seconda Persona"] {
        let (_, case_id) = open_case(&app, a, sender.id, names).await;
        satis::cases::store::add_consent(&app.state.db, case_id, "transfer", None, today, None)
            .await
            .unwrap();
        app.sign_in(&sender).await;
        let r = app
            .post_form(
                "/referrals/outbound",
                &[
                    ("case_id", &case_id.to_string()),
                    ("counterpart_kind", "network_org"),
                    ("receiver_org", &b.to_string()),
                    ("reason", "services"),
                    ("needed_service", "semi_autonomy"),
                    ("urgency", "ordinary"),
                ],
            )
            .await;
        r.assert_status(303);
        paths.push(r.header("location").to_owned());
    }
    // The sender cannot accept its own proposal; it may withdraw it.
    let page = app.get(&paths[0]).await;
    let v = version(&page.body);
    app.post_form(
        &format!("{}/status", paths[0]),
        &[("to", "accepted"), ("version", &v)],
    )
    .await
    .assert_status(422)
    .assert_contains("non è possibile");
    app.post_form(
        &format!("{}/status", paths[0]),
        &[("to", "withdrawn"), ("version", &v)],
    )
    .await
    .assert_status(303);
    // Nothing leaves a withdrawn referral.
    app.sign_in(&receiver).await;
    let page = app.get(&paths[0]).await;
    page.assert_contains("Ritirata");
    assert!(!page.body.contains("name=\"to\""), "no action is offered");
    app.post_form(
        &format!("{}/status", paths[0]),
        &[("to", "accepted"), ("version", "1")],
    )
    .await
    .assert_status(422);
    // A refusal needs a reason, which both sides then see.
    let page = app.get(&paths[1]).await;
    let v = version(&page.body);
    app.post_form(
        &format!("{}/status", paths[1]),
        &[("to", "refused"), ("version", &v)],
    )
    .await
    .assert_status(422)
    .assert_contains("serve un motivo");
    app.post_form(
        &format!("{}/status", paths[1]),
        &[
            ("to", "refused"),
            ("version", &v),
            ("note", "nessun posto libero"),
        ],
    )
    .await
    .assert_status(303);
    app.sign_in(&sender).await;
    app.get(&paths[1])
        .await
        .assert_contains("nessun posto libero")
        .assert_contains("Rifiutata");
    // The reason may describe the person's situation: it is sealed at rest.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM referral WHERE refusal_reason LIKE '%posto%'"
        )
        .await
            + scalar(
                &app,
                "SELECT COUNT(*) FROM referral_event WHERE note LIKE '%posto%'"
            )
            .await,
        0
    );
    // Refused or withdrawn: the sending cases stay open, no case was opened.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM case_file WHERE phase = 'closed'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM case_file WHERE owner_org = {b}")
        )
        .await,
        0
    );
}

async fn referral_statistics_count_each_step_in_its_period(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Progetto Statistiche").await;
    let worker = app.user("statistiche", Role::CaseWorker, org).await;
    let analyst = app
        .user("analista-referral", Role::RegionalAnalyst, org)
        .await;
    app.sign_in(&worker).await;
    for (names, to) in [("Uno", "accepted"), ("Due", "refused"), ("Tre", "")] {
        let r = app
            .post_form(
                "/referrals/inbound",
                &[
                    ("counterpart_kind", "national_hotline"),
                    ("reason", "safety"),
                    ("needed_service", "shelter"),
                    ("urgency", "ordinary"),
                    ("consent", "1"),
                    ("consent_on", "2026-11-01"),
                    ("names", names),
                    ("gender", "male"),
                ],
            )
            .await;
        r.assert_status(303);
        let path = r.header("location").to_owned();
        if !to.is_empty() {
            let v = version(&app.get(&path).await.body);
            app.post_form(
                &format!("{path}/status"),
                &[("to", to), ("version", &v), ("note", "motivo")],
            )
            .await
            .assert_status(303);
        }
        if to == "accepted" {
            let v = version(&app.get(&path).await.body);
            app.post_form(
                &format!("{path}/status"),
                &[("to", "completed"), ("version", &v)],
            )
            .await
            .assert_status(303);
        }
    }
    app.get("/stats/referrals").await.assert_status(403);
    app.sign_in(&analyst).await;
    let today = satis::platform::time::rome_today();
    let q = format!("from={}&to={}", today - chrono::Duration::days(1), today);
    let page = app.get(&format!("/stats/referrals?{q}")).await;
    page.assert_status(200);
    let total = &page.body[page.body.find("id=\"row-total\"").unwrap()..];
    let total = &total[..total.find("</tr>").unwrap()];
    // opened 3, accepted 1, refused 1, completed 1, withdrawn 0: every non-zero cell is under
    // 5, so shown as "<5", and the share (of 2 ended) is not published.
    assert!(
        total.contains(
            "<td>&#60;5</td><td>&#60;5</td><td>&#60;5</td><td>&#60;5</td><td>0</td><td>—</td>"
        ),
        "{total}"
    );
    for name in ["Uno", "Due", "Tre"] {
        assert!(!page.body.contains(&format!(">{name}<")));
    }
    // The download is labelled in the page's language, codes only beside their labels.
    let period = format!("{},{}", today - chrono::Duration::days(1), today);
    let csv = app.get(&format!("/stats/referrals.csv?{q}")).await;
    csv.assert_contains(&format!("{period},Totale,,,<5,<5,<5,<5,0,\n"))
        .assert_contains("Direzione,in arrivo,inbound,<5,<5,<5,<5,0,\n")
        .assert_contains("Controparte,Numero Verde nazionale antitratta,national_hotline,<5");
    assert!(!csv.body.starts_with('#'), "{}", csv.body);
    assert!(!csv.body.contains("dimension,value"), "{}", csv.body);
    app.get("/stats/referrals?from=2026-11-30&to=2026-11-01")
        .await
        .assert_status(422);
}
