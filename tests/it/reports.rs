//! The public report form as reporters use it, and the hotline's queue.

use satis::platform::policy::Role;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, TestDb, count_rows, find_value};

crate::tests![
    the_form_speaks_eight_languages_and_stays_light,
    a_report_comes_back_with_its_receipt_both_ways,
    replays_and_robots_store_nothing,
    bad_reports_get_a_message_in_the_reporters_language,
    no_client_metadata_is_stored_anywhere,
    the_hotline_triages_reports,
    two_operators_triaging_at_once_make_one_contact,
    one_client_cannot_shut_the_form_for_others,
    only_the_hotline_organisation_reads_public_reports,
    configured_readers_replace_the_default,
    a_long_queue_is_read_page_after_page_in_the_order_it_is_worked,
];

const LANGS: &[&str] = &["it", "en", "fr", "es", "ro", "sq", "zh", "ar"];

/// Submits the form as a browser would: the page first (for its tokens), then the post.
pub(crate) async fn submit(
    app: &TestApp,
    lang: &str,
    fields: &[(&str, &str)],
) -> crate::support::TestResponse {
    let page = app.get(&format!("/segnala?lang={lang}")).await;
    let submission = find_value(&page.body, "name=\"submission\" value=\"").unwrap();
    let csrf = find_value(&page.body, "name=\"_csrf\" value=\"").unwrap();
    let mut all = vec![
        ("_csrf", csrf.as_str()),
        ("submission", submission.as_str()),
    ];
    all.extend_from_slice(fields);
    app.post_raw(
        &format!("/segnala?lang={lang}"),
        &all,
        &[("origin", "http://satis.test")],
    )
    .await
}

pub(crate) const REPORT: &[(&str, &str)] = &[
    (
        "what",
        "Tre ragazze lavorano giorno e notte in un capannone e non possono uscire.",
    ),
    ("place", "zona industriale"),
    ("province", "PO"),
    ("people", "3"),
    ("minors", "unknown"),
    ("kinds", "labour"),
    ("urgency", "now"),
    ("anonymous", "yes"),
];

async fn the_form_speaks_eight_languages_and_stays_light(db: TestDb) {
    let app = db.app().await;
    let css = app.get("/static/satis.css").await.body.len();
    let mut titles = std::collections::BTreeSet::new();
    for lang in LANGS {
        let r = app.get(&format!("/segnala?lang={lang}")).await;
        r.assert_status(200)
            .assert_contains(&format!("<html lang=\"{lang}\""));
        let dir = if *lang == "ar" { "rtl" } else { "ltr" };
        r.assert_contains(&format!("dir=\"{dir}\""))
            .assert_contains("800 600 500")
            .assert_contains("800 290 290");
        assert!(
            r.header("set-cookie")
                .starts_with(&format!("satis_plang={lang};")),
            "the choice is remembered"
        );
        // The emergency numbers are tap-to-call links, as on the home page.
        assert!(r.body.contains("href=\"tel:112\""), "{lang}");
        assert!(r.body.contains("href=\"tel:800290290\""), "{lang}");
        // Callers whose operator cannot reach free numbers get the ordinary one, in their
        // language.
        assert!(r.body.contains("href=\"tel:0555365612\""), "{lang}");
        assert!(r.body.contains("Lyca Mobile"), "{lang}");
        // One small script of the project's own (the optional proof of work), nothing else.
        assert_eq!(r.body.matches("<script").count(), 1);
        assert!(r.body.contains("<script src=\"/static/segnala.js"));
        assert!(
            r.body.len() + css < 50_000,
            "{lang}: {} bytes",
            r.body.len() + css
        );
        titles.insert(find_value(&r.body, "<h1>").unwrap());
    }
    assert_eq!(titles.len(), LANGS.len(), "every language has its own text");
    // The remembered choice applies on the next visit, without the query.
    app.get("/segnala")
        .await
        .assert_contains("<html lang=\"ar\"");
}

async fn a_report_comes_back_with_its_receipt_both_ways(db: TestDb) {
    let app = db.app().await;
    let r = submit(&app, "ro", REPORT).await;
    r.assert_status(200).assert_contains("Semnalare primită");
    let receipt = find_value(&r.body, "id=\"receipt\" dir=\"ltr\">").unwrap();
    assert_eq!(receipt.len(), 24);
    assert_eq!(count_rows(&app, "public_report").await, 1);

    // The hotline reads and replies.
    let org =
        satis::identity::store::organisation_by_name(&app.state.db, "CAT Coop. sociale Onlus")
            .await
            .unwrap()
            .unwrap()
            .id;
    app.runs_regional_hotline(org).await;
    let operator = app.user("notte", Role::HotlineOperator, org).await;
    let reporter_cookies = app.cookies.lock().unwrap().clone();
    app.sign_in(&operator).await;
    app.get("/reports")
        .await
        .assert_contains("/reports/1")
        .assert_contains("Pericolo adesso");
    app.get("/reports/1")
        .await
        .assert_contains("non possono uscire");
    app.post_form(
        "/reports/1/reply",
        &[("text", "Grazie. Sai il nome della ditta?")],
    )
    .await
    .assert_status(303);

    // The reporter comes back with the receipt, typed loosely.
    *app.cookies.lock().unwrap() = reporter_cookies;
    let page = app.get("/segnala/ricevuta?lang=ro").await;
    let csrf = find_value(&page.body, "name=\"_csrf\" value=\"").unwrap();
    let typed = receipt.to_lowercase().replace('-', " ");
    let thread = app
        .post_raw(
            "/segnala/ricevuta?lang=ro",
            &[("_csrf", &csrf), ("receipt", &typed)],
            &[("origin", "http://satis.test")],
        )
        .await;
    thread
        .assert_status(200)
        .assert_contains("Sai il nome della ditta?")
        .assert_contains("non possono uscire");
    let more = app
        .post_raw(
            "/segnala/aggiungi?lang=ro",
            &[
                ("_csrf", &csrf),
                ("receipt", &receipt),
                ("text", "Si chiama Ditta Esempio."),
            ],
            &[("origin", "http://satis.test")],
        )
        .await;
    more.assert_status(200).assert_contains("Ditta Esempio");
    // The reporter's message keeps only its day, as the report does (it kept the nanosecond).
    {
        use satis::reports::entities::message;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let mine = message::Entity::find()
            .filter(message::Column::FromReporter.eq(true))
            .all(&app.state.db)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        let at = mine[0].at;
        assert_eq!(
            at,
            satis::platform::time::rome_midnight(satis::platform::time::rome_date(at)),
            "a reporter's message is stored at the start of its Italian day"
        );
    }
    // A wrong receipt opens nothing.
    let mut wrong = receipt.clone();
    wrong.replace_range(23..24, if receipt.ends_with('A') { "B" } else { "A" });
    app.post_raw(
        "/segnala/ricevuta?lang=ro",
        &[("_csrf", &csrf), ("receipt", &wrong)],
        &[("origin", "http://satis.test")],
    )
    .await
    .assert_status(401)
    .assert_contains("Chitanță nevalidă");
    // The receipt itself is never stored.
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT receipt_hash FROM public_report".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = row.try_get_by_index(0).unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&receipt[5..]));
}

async fn replays_and_robots_store_nothing(db: TestDb) {
    let app = db.app().await;
    let page = app.get("/segnala?lang=en").await;
    let submission = find_value(&page.body, "name=\"submission\" value=\"").unwrap();
    let csrf = find_value(&page.body, "name=\"_csrf\" value=\"").unwrap();
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("submission", submission.as_str()),
    ];
    fields.extend_from_slice(REPORT);
    app.post_raw(
        "/segnala?lang=en",
        &fields,
        &[("origin", "http://satis.test")],
    )
    .await
    .assert_status(200);
    app.post_raw(
        "/segnala?lang=en",
        &fields,
        &[("origin", "http://satis.test")],
    )
    .await
    .assert_status(409)
    .assert_contains("already been received");
    assert_eq!(count_rows(&app, "public_report").await, 1);
    // A filled honeypot looks received but stores nothing.
    let mut robot = REPORT.to_vec();
    robot.push(("website", "http://spam.example"));
    submit(&app, "en", &robot)
        .await
        .assert_status(200)
        .assert_contains("Report received");
    assert_eq!(count_rows(&app, "public_report").await, 1);
}

async fn bad_reports_get_a_message_in_the_reporters_language(db: TestDb) {
    let app = db.app().await;
    submit(&app, "fr", &[("what", "court")])
        .await
        .assert_status(422)
        .assert_contains("au moins 10 caractères");
    let long = "x".repeat(5001);
    submit(&app, "es", &[("what", &long)])
        .await
        .assert_status(422)
        .assert_contains("demasiado largo");
    submit(
        &app,
        "sq",
        &[
            ("what", "Një vajzë mbahet e mbyllur në shtëpi."),
            ("anonymous", "no"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("si të të kontaktojmë");
    submit(
        &app,
        "zh",
        &[("what", "有人被关在房子里不能出去。"), ("people", "-4")],
    )
    .await
    .assert_status(422)
    .assert_contains("1到999");
    let r = submit(&app, "ar", &[("what", "x")]).await;
    r.assert_status(422)
        .assert_contains("dir=\"rtl\"")
        .assert_contains("10 أحرف");
    assert_eq!(count_rows(&app, "public_report").await, 0);
}

async fn no_client_metadata_is_stored_anywhere(db: TestDb) {
    let backend = db.backend;
    let url = db.url.clone();
    let dir = db.dir.path().to_owned();
    let app = db.app().await;
    let ua = format!("CanaryAgent/{}", uuid::Uuid::new_v4().simple());
    let ip = "203.0.113.87";
    let page = app
        .get_with(
            "/segnala?lang=it",
            &[("user-agent", &ua), ("x-forwarded-for", ip)],
        )
        .await;
    let submission = find_value(&page.body, "name=\"submission\" value=\"").unwrap();
    let csrf = find_value(&page.body, "name=\"_csrf\" value=\"").unwrap();
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("submission", submission.as_str()),
    ];
    fields.extend_from_slice(REPORT);
    app.post_raw(
        "/segnala?lang=it",
        &fields,
        &[
            ("origin", "http://satis.test"),
            ("user-agent", &ua),
            ("x-forwarded-for", ip),
            ("x-real-ip", ip),
        ],
    )
    .await
    .assert_status(200);
    let haystacks: Vec<Vec<u8>> = match backend {
        crate::support::Backend::Sqlite => std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("satis.sqlite")
            })
            .map(|p| std::fs::read(p).unwrap())
            .collect(),
        crate::support::Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .arg(&url)
                .output()
                .unwrap();
            vec![out.stdout]
        }
    };
    for hay in &haystacks {
        for needle in [ua.as_bytes(), ip.as_bytes(), b"CanaryAgent"] {
            assert!(
                !hay.windows(needle.len()).any(|w| w == needle),
                "client metadata stored"
            );
        }
    }
    assert_eq!(count_rows(&app, "public_report").await, 1);
}

async fn the_hotline_triages_reports(db: TestDb) {
    let app = db.app().await;
    for _ in 0..3 {
        submit(&app, "it", REPORT).await.assert_status(200);
    }
    let org =
        satis::identity::store::organisation_by_name(&app.state.db, "CAT Coop. sociale Onlus")
            .await
            .unwrap()
            .unwrap()
            .id;
    app.runs_regional_hotline(org).await;
    let operator = app.user("notte", Role::HotlineOperator, org).await;
    let worker = app.user("operatrice", Role::CaseWorker, org).await;
    app.sign_in(&worker).await;
    app.get("/reports").await.assert_status(403);
    app.sign_in(&operator).await;
    app.post_form("/reports/1/triage", &[("outcome", "contact")])
        .await
        .assert_status(303);
    let page = app.get("/reports/1").await;
    page.assert_contains("Registrata come contatto");
    let contact = find_value(&page.body, "href=\"/hotline/contacts/").unwrap();
    // A report is triaged once: a second operator (or a double click) is told, and no second
    // contact is made.
    assert_eq!(count_rows(&app, "hotline_contact").await, 1);
    app.post_form("/reports/1/triage", &[("outcome", "contact")])
        .await
        .assert_status(409)
        .assert_contains("già stata smistata");
    app.post_form("/reports/1/triage", &[("outcome", "not_pertinent")])
        .await
        .assert_status(409);
    assert_eq!(count_rows(&app, "hotline_contact").await, 1);
    app.get("/reports/1")
        .await
        .assert_contains("Registrata come contatto");
    app.get(&format!("/hotline/contacts/{contact}"))
        .await
        .assert_contains("Segnalazione dal sito")
        .assert_contains("Lavorativo");
    app.post_form(
        "/reports/2/triage",
        &[("outcome", "duplicate"), ("duplicate_of", "2")],
    )
    .await
    .assert_status(422);
    app.post_form(
        "/reports/2/triage",
        &[("outcome", "duplicate"), ("duplicate_of", "1")],
    )
    .await
    .assert_status(303);
    app.post_form("/reports/3/triage", &[("outcome", "not_pertinent")])
        .await
        .assert_status(303);
    // Ninety days after triage, the texts are gone and the counts stay.
    let db = &app.state.db;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE public_report SET triaged_at = $1 WHERE id = 3",
        [(chrono::Utc::now() - chrono::Duration::days(91)).into()],
    ))
    .await
    .unwrap();
    assert_eq!(
        satis::reports::retention(&app.state.db, 90).await.unwrap(),
        1
    );
    assert!(
        !app.get("/reports/3")
            .await
            .body
            .contains("non possono uscire")
    );
    app.get("/reports/2")
        .await
        .assert_contains("non possono uscire");
    assert_eq!(count_rows(&app, "public_report").await, 3);
}

/// Two operators press "register as contact" on the same report at the same moment: the
/// database lets one triage through, the other is told it was triaged already, and exactly one
/// hotline contact exists.
async fn two_operators_triaging_at_once_make_one_contact(db: TestDb) {
    use satis::platform::policy::Actor;
    use satis::reports::triage::{self, Triage, TriageError};
    let app = db.app().await;
    submit(&app, "it", REPORT).await.assert_status(200);
    let org = app.organisation("Centralino Notturno").await;
    let mut actors = Vec::new();
    for name in ["prima", "seconda"] {
        let u = app.user(name, Role::HotlineOperator, org).await;
        actors.push(Actor {
            user_id: u.id,
            username: u.username.clone(),
            organisation_id: Some(org),
            province: None,
            roles: vec![Role::HotlineOperator],
        });
    }
    let r = satis::reports::store::get(&app.state.db, 1)
        .await
        .unwrap()
        .unwrap();
    let (a, b) = tokio::join!(
        triage::apply(&app.state, (&actors[0], org), &r, Triage::Contact, None),
        triage::apply(&app.state, (&actors[1], org), &r, Triage::Contact, None),
    );
    let outcomes = [a, b];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(TriageError::AlreadyTriaged))),
        "{outcomes:?}"
    );
    assert_eq!(count_rows(&app, "hotline_contact").await, 1);
    assert_eq!(
        crate::support::scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'report.triage'"
        )
        .await,
        1
    );
}

/// Follows a report with its receipt from the current client; returns the status.
async fn follow(app: &TestApp, receipt: &str) -> u16 {
    let page = app.get("/segnala/ricevuta?lang=it").await;
    let csrf = find_value(&page.body, "name=\"_csrf\" value=\"").unwrap();
    app.post_raw(
        "/segnala/ricevuta?lang=it",
        &[("_csrf", &csrf), ("receipt", receipt)],
        &[("origin", "http://satis.test")],
    )
    .await
    .status
    .as_u16()
}

/// A script sending a report a second from 127.0.0.2 (and guessing receipts) slows down only
/// itself: a reporter at 127.0.0.3 submits and follows up, a valid receipt always opens its
/// thread, and a browser that stamps its report (proof of work) gets through even from the
/// abuser's address. Before, about 60 submissions closed the form for everyone.
async fn one_client_cannot_shut_the_form_for_others(db: TestDb) {
    let app = db.app().await;
    app.connect_from("127.0.0.3");
    let honest = submit(&app, "it", REPORT).await;
    honest.assert_status(200);
    let receipt = find_value(&honest.body, "id=\"receipt\" dir=\"ltr\">").unwrap();

    app.connect_from("127.0.0.2");
    let mut refused = 0;
    for _ in 0..20 {
        if submit(&app, "it", REPORT).await.status.as_u16() == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 8, "the abuser is slowed down: {refused} refused");
    for guess in 0..20 {
        let status = follow(&app, &format!("AAAA-BBBB-CCCC-DDDD-EEEE-{guess:04}")).await;
        assert!(status == 401 || status == 429, "{status}");
    }
    assert_eq!(follow(&app, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF").await, 429);
    let from_abuser = count_rows(&app, "public_report").await - 1;

    // Meanwhile, another reporter is not affected at all.
    app.connect_from("127.0.0.3");
    for _ in 0..3 {
        submit(&app, "it", REPORT).await.assert_status(200);
    }
    assert_eq!(follow(&app, &receipt).await, 200);

    // A stamped report gets through from the abuser's own address; a wrong stamp does not.
    // The stamp is solved first: on a loaded machine solving it may take longer than the wait.
    app.connect_from("127.0.0.2");
    let page = app.get("/segnala?lang=it").await;
    let submission = find_value(&page.body, "name=\"submission\" value=\"").unwrap();
    let csrf = find_value(&page.body, "name=\"_csrf\" value=\"").unwrap();
    let stamp = satis::reports::pow::solve(&submission, satis::reports::pow::BITS);
    // (The abuser is made to wait again right now: on a slow machine the wait earned above
    // may have run out during the receipt guesses, which check Argon2 hashes.)
    let mut waiting = false;
    for _ in 0..40 {
        if submit(&app, "it", REPORT).await.status.as_u16() == 429 {
            waiting = true;
            break;
        }
    }
    assert!(waiting, "the abuser waits again");
    let before_stamps = count_rows(&app, "public_report").await;
    assert!(
        before_stamps >= 1 + from_abuser + 3,
        "the honest reporter's three are saved"
    );
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("pow", "1"),
    ];
    fields.extend_from_slice(REPORT);
    app.post_raw(
        "/segnala?lang=it",
        &fields,
        &[("origin", "http://satis.test")],
    )
    .await
    .assert_status(429);
    fields[2] = ("pow", stamp.as_str());
    app.post_raw(
        "/segnala?lang=it",
        &fields,
        &[("origin", "http://satis.test")],
    )
    .await
    .assert_status(200);
    assert_eq!(count_rows(&app, "public_report").await, before_stamps + 1);
}

/// Every hotline-role account of any organisation used to read every public report. Now the
/// policy lets in the hotline operators of the organisation that runs the regional hotline
/// service (or those configured in `reports.readers`), and audits a refusal.
async fn only_the_hotline_organisation_reads_public_reports(db: TestDb) {
    let app = db.app().await;
    submit(&app, "it", REPORT).await.assert_status(200);
    let hotline_org = app.organisation("Centralino Regionale").await;
    let other_org = app.organisation("Altro Ente").await;
    let nobody = app
        .user("nessuno", Role::HotlineOperator, hotline_org)
        .await;
    // No organisation runs the hotline yet: nobody reads reports.
    app.sign_in(&nobody).await;
    app.get("/reports").await.assert_status(403);
    app.runs_regional_hotline(hotline_org).await;
    let other = app.user("altro", Role::HotlineOperator, other_org).await;
    let token = app.token(&other, other_org, &["reports:read"]).await;
    app.sign_in(&other).await;
    app.get("/reports").await.assert_status(403);
    app.get("/reports/1").await.assert_status(403);
    app.post_form("/reports/1/reply", &[("text", "ciao")])
        .await
        .assert_status(403);
    app.api("GET", "/api/v1/reports", &token, None, &[])
        .await
        .assert_status(403);
    app.api("GET", "/api/v1/reports/1", &token, None, &[])
        .await
        .assert_status(403);
    assert!(
        crate::support::scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'report.read' AND outcome = 'denied'"
        )
        .await
            >= 5
    );
    assert_eq!(count_rows(&app, "report_message").await, 0);
    app.sign_in(&nobody).await;
    app.get("/reports")
        .await
        .assert_status(200)
        .assert_contains("/reports/1");
    app.get("/reports/1")
        .await
        .assert_status(200)
        .assert_contains("non possono uscire");
}

/// `reports.readers` names the reading organisations instead (the regional hotline's
/// organisation then reads only if it is named too).
async fn configured_readers_replace_the_default(db: TestDb) {
    let config = db.config_with(&[("SATIS_REPORTS_READERS", "Centralino Configurato")]);
    let app = db
        .app_with(config, satis::platform::settings::Mode::Production)
        .await;
    submit(&app, "it", REPORT).await.assert_status(200);
    let named = app.organisation("Centralino Configurato").await;
    let hotline_org = app.organisation("Centralino Regionale").await;
    app.runs_regional_hotline(hotline_org).await;
    let reader = app.user("letto", Role::HotlineOperator, named).await;
    let unnamed = app
        .user("non-letto", Role::HotlineOperator, hotline_org)
        .await;
    app.sign_in(&unnamed).await;
    app.get("/reports").await.assert_status(403);
    app.sign_in(&reader).await;
    app.get("/reports/1").await.assert_status(200);
}

/// The report ids a queue page links to, in the order shown.
fn queue_ids(body: &str) -> Vec<i32> {
    body.split("<a href=\"/reports/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

/// Follows the queue's "next page" links from `start`; the ids in the order shown.
async fn walk_queue(app: &TestApp, start: &str) -> (Vec<i32>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut next = Some(start.to_owned());
    while let Some(path) = next.take() {
        let page = app.get(&path).await;
        page.assert_status(200);
        seen.extend(queue_ids(&page.body));
        pages += 1;
        assert!(pages < 10, "the pages end");
        next = find_value(&page.body, "<p class=\"pager\"><a href=\"")
            .filter(|h| h.starts_with("/reports?"))
            .map(|h| h.replace("&amp;", "&"));
    }
    (seen, pages)
}

async fn a_long_queue_is_read_page_after_page_in_the_order_it_is_worked(db: TestDb) {
    let app = db.app().await;
    submit(&app, "it", REPORT).await.assert_status(200);
    // 256 reports (each doubling keeps the one-time submission ids distinct), some saying
    // someone is in danger now, some already triaged.
    for step in 1..=8 {
        app.state
            .db
            .execute_unprepared(&format!(
                "INSERT INTO public_report (received_on, language, province, urgency, people, \
                 minors, kinds, anonymous, status, receipt_lookup, receipt_hash, \
                 submission_hash) SELECT received_on, language, province, urgency, people, \
                 minors, kinds, anonymous, status, receipt_lookup, receipt_hash, \
                 SUBSTR(submission_hash, 1, 40) || CAST(id + {step}000 AS TEXT) \
                 FROM public_report"
            ))
            .await
            .unwrap();
    }
    app.state
        .db
        .execute_unprepared(
            "UPDATE public_report SET \
             urgency = CASE WHEN id % 7 = 0 THEN 'now' ELSE 'unknown' END, \
             status = CASE WHEN id % 5 = 0 THEN 'contact' ELSE 'new' END",
        )
        .await
        .unwrap();
    let all: Vec<i32> = (1..=256).collect();
    let new: Vec<i32> = all.iter().copied().filter(|id| id % 5 != 0).collect();
    let mut worked: Vec<i32> = new.iter().copied().filter(|id| id % 7 == 0).collect();
    worked.extend(new.iter().copied().filter(|id| id % 7 != 0));

    let org = app.organisation("Centralino della coda").await;
    app.runs_regional_hotline(org).await;
    let operator = app.user("coda-lunga", Role::HotlineOperator, org).await;
    app.sign_in(&operator).await;

    // The untriaged queue: danger now first, then the longest waiting, every one once.
    let (seen, pages) = walk_queue(&app, "/reports").await;
    assert_eq!(seen, worked);
    assert_eq!(pages, 3);
    // Every report, newest first.
    let (seen, _) = walk_queue(&app, "/reports?status=all").await;
    assert_eq!(seen, all.iter().rev().copied().collect::<Vec<_>>());
    // Those already answered, newest first.
    let (seen, pages) = walk_queue(&app, "/reports?status=contact").await;
    let contacted: Vec<i32> = all.iter().rev().copied().filter(|id| id % 5 == 0).collect();
    assert_eq!(seen, contacted);
    assert_eq!(pages, 1);
    for bad in [
        "status=new&after=42",
        "status=all&after=now-3",
        "status=new&after=soon-1",
    ] {
        app.get(&format!("/reports?{bad}")).await.assert_status(400);
    }
}
