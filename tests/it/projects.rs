//! Individual projects: drafting, evaluation, expenses and the edition's budget.

use satis::platform::policy::Role;
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, TestDb, TestUser, find_value};

crate::tests![
    a_project_goes_from_draft_to_expenses_and_the_budget_shows_it,
    bad_project_input_changes_nothing,
    the_lead_entity_grants_each_line_and_the_author_edits_draft_lines,
    each_decision_on_a_project_tells_both_sides,
];

/// Each decision of the lead entity (changes requested, approved) writes a `project.decided`
/// delivery for the subscriptions of the organisation holding the project and of the
/// deciding municipality; submitting is not a decision, and a third organisation hears
/// nothing.
async fn each_decision_on_a_project_tells_both_sides(db: TestDb) {
    let app = db.app().await;
    let w = world(&app).await;
    let mut subscriptions = Vec::new();
    for name in [
        "Associazione Progetto Arcobaleno",
        "Comune di Viareggio",
        "CAT Coop. sociale Onlus",
    ] {
        let s = satis::platform::webhooks::subscribe(
            &app.state.db,
            &app.state.keys,
            app.organisation(name).await,
            "https://ente.example.org/hook",
            &["project.decided".to_owned()],
            w.worker.id,
        )
        .await
        .unwrap()
        .0;
        subscriptions.push(s.id);
    }
    let deliveries = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT subscription_id, record_id FROM webhook_delivery \
                     WHERE event_type = 'project.decided' ORDER BY id",
                ))
                .await
                .unwrap();
            rows.iter()
                .map(|r| {
                    (
                        r.try_get_by_index::<i32>(0).unwrap(),
                        r.try_get_by_index::<i32>(1).unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    app.post_form(
        &format!("/projects/{}/interventions", w.project),
        &[
            ("kind", "italian_course"),
            ("amount", "800"),
            ("months", ""),
            ("provider", "CPIA Firenze"),
        ],
    )
    .await
    .assert_status(303);
    status(&app, w.project, "submitted", "")
        .await
        .assert_status(303);
    assert_eq!(
        deliveries(&app).await,
        vec![],
        "submitting is not a decision"
    );
    app.sign_in(&w.evaluator).await;
    status(&app, w.project, "changes_requested", "Rivedere il corso")
        .await
        .assert_status(303);
    let both = vec![(subscriptions[0], w.project), (subscriptions[1], w.project)];
    assert_eq!(deliveries(&app).await, both);
    app.sign_in(&w.worker).await;
    status(&app, w.project, "submitted", "")
        .await
        .assert_status(303);
    app.sign_in(&w.evaluator).await;
    status(&app, w.project, "approved", "")
        .await
        .assert_status(303);
    assert_eq!(deliveries(&app).await, [both.clone(), both].concat());
}

struct World {
    worker: TestUser,
    evaluator: TestUser,
    project: i32,
    edition: i32,
}

async fn world(app: &TestApp) -> World {
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let viareggio =
        satis::identity::store::organisation_by_name(&app.state.db, "Comune di Viareggio")
            .await
            .unwrap()
            .unwrap()
            .id;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let evaluator = app
        .user("capofila", Role::CapofilaEvaluator, viareggio)
        .await;
    let (_, case) = app
        .open_case(
            arcobaleno,
            worker.id,
            crate::support::Person::named("Nome Riservato"),
        )
        .await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let edition = satis::projects::store::add_edition(
        &app.state.db,
        "SATIS 2026",
        day,
        day + chrono::Duration::days(364),
        10_000_000,
        2_000_000,
    )
    .await
    .unwrap();
    app.sign_in(&worker).await;
    let r = app
        .post_form(
            "/projects",
            &[
                ("case_id", &case.id.to_string()),
                ("edition_id", &edition.id.to_string()),
                ("objectives", "Autonomia abitativa e lavorativa"),
            ],
        )
        .await;
    r.assert_status(303);
    let project = r
        .header("location")
        .trim_start_matches("/projects/")
        .parse()
        .unwrap();
    // The objectives describe the person's life: sealed at rest, shown on the page.
    assert_eq!(
        crate::support::scalar(
            app,
            "SELECT COUNT(*) FROM project WHERE objectives LIKE '%Autonomia%'"
        )
        .await,
        0
    );
    app.get(&format!("/projects/{project}"))
        .await
        .assert_contains("Autonomia abitativa e lavorativa");
    World {
        worker,
        evaluator,
        project,
        edition: edition.id,
    }
}

async fn status(
    app: &TestApp,
    project: i32,
    to: &str,
    reason: &str,
) -> crate::support::TestResponse {
    let page = app.get(&format!("/projects/{project}")).await;
    let version = find_value(&page.body, "name=\"version\" value=\"").unwrap_or_else(|| "0".into());
    app.post_form(
        &format!("/projects/{project}/status"),
        &[("to", to), ("reason", reason), ("version", &version)],
    )
    .await
}

async fn a_project_goes_from_draft_to_expenses_and_the_budget_shows_it(db: TestDb) {
    let app = db.app().await;
    let w = world(&app).await;
    let path = format!("/projects/{}/interventions", w.project);
    for (kind, amount, months) in [
        ("italian_course", "800", ""),
        ("rent_support", "3.600,00", "12"),
        ("vocational_course", "1500", ""),
    ] {
        app.post_form(
            &path,
            &[
                ("kind", kind),
                ("amount", amount),
                ("months", months),
                ("provider", "CPIA Firenze"),
            ],
        )
        .await
        .assert_status(303);
    }
    status(&app, w.project, "submitted", "")
        .await
        .assert_status(303);
    // The worker cannot approve their own project.
    status(&app, w.project, "approved", "")
        .await
        .assert_status(422)
        .assert_contains("Solo chi valuta");

    app.sign_in(&w.evaluator).await;
    // The evaluator's desk counts the queue exactly: one project waiting, not "<5".
    app.get("/")
        .await
        .assert_status(200)
        .assert_contains("<th scope=\"row\">Presentato</th><td>1</td>");
    let page = app.get(&format!("/projects/{}", w.project)).await;
    page.assert_status(200).assert_contains("TOS-");
    assert!(
        !page.body.contains("Nome Riservato"),
        "the evaluator sees the pseudonym only"
    );
    status(&app, w.project, "changes_requested", "")
        .await
        .assert_status(422)
        .assert_contains("serve una motivazione");
    status(
        &app,
        w.project,
        "changes_requested",
        "Ridurre il corso professionale",
    )
    .await
    .assert_status(303);

    app.sign_in(&w.worker).await;
    app.get(&format!("/projects/{}", w.project))
        .await
        .assert_contains("Ridurre il corso professionale");
    status(&app, w.project, "submitted", "")
        .await
        .assert_status(303);
    app.sign_in(&w.evaluator).await;
    status(&app, w.project, "approved", "")
        .await
        .assert_status(303);

    app.sign_in(&w.worker).await;
    status(&app, w.project, "active", "")
        .await
        .assert_status(303);
    let db = &app.state.db;
    let course = satis::projects::store::interventions(db, w.project)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kind == "italian_course")
        .unwrap();
    assert_eq!(course.approved_cents, 80_000);
    let expenses = format!("/interventions/{}/expenses", course.id);
    app.post_form(
        &expenses,
        &[
            ("amount", "500"),
            ("spent_on", "2026-03-01"),
            ("document", "Fattura 12"),
        ],
    )
    .await
    .assert_status(303);
    app.post_form(
        &expenses,
        &[
            ("amount", "300,01"),
            ("spent_on", "2026-04-01"),
            ("document", "Fattura 13"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("supera l&#39;importo approvato");

    app.sign_in(&w.evaluator).await;
    let budget = app.get(&format!("/editions/{}/budget", w.edition)).await;
    budget.assert_status(200);
    assert!(
        budget.body.contains("<dd id=\"committed\">5.900,00 €</dd>"),
        "committed: 800 + 3,600 + 1,500"
    );
    assert!(budget.body.contains("<dd id=\"spent\">500,00 €</dd>"));
    assert!(
        budget
            .body
            .contains("<dd id=\"available\">94.100,00 €</dd>")
    );
    let csv = app
        .get(&format!("/editions/{}/budget.csv", w.edition))
        .await;
    csv.assert_contains("type,italian_course,800.00,500.00")
        .assert_contains("province,FI,5900.00,500.00");
    let xlsx = app
        .get(&format!("/editions/{}/budget.xlsx", w.edition))
        .await;
    xlsx.assert_status(200);
    assert!(xlsx.header("content-type").contains("spreadsheetml"));
    assert!(
        xlsx.body.starts_with("PK"),
        "an Office Open XML workbook is a zip file"
    );
}

async fn bad_project_input_changes_nothing(db: TestDb) {
    let app = db.app().await;
    let w = world(&app).await;
    let path = format!("/projects/{}/interventions", w.project);
    for (fields, message) in [
        (
            vec![
                ("kind", "rent_support"),
                ("amount", "2000"),
                ("months", "13"),
            ],
            "al massimo 12 mesi",
        ),
        (
            vec![("kind", "rent_support"), ("amount", "2000")],
            "numero di mesi",
        ),
        (
            vec![("kind", "italian_course"), ("amount", "1500,01")],
            "supera il massimo",
        ),
        (
            vec![("kind", "italian_course"), ("amount", "-10")],
            "importo positivo",
        ),
        (
            vec![("kind", "yacht"), ("amount", "10")],
            "catalogo regionale",
        ),
    ] {
        app.post_form(&path, &fields)
            .await
            .assert_status(422)
            .assert_contains(message);
    }
    assert!(
        satis::projects::store::interventions(&app.state.db, w.project)
            .await
            .unwrap()
            .is_empty()
    );
    // Nothing to submit yet; expenses need an approved line.
    status(&app, w.project, "submitted", "")
        .await
        .assert_status(422)
        .assert_contains("almeno un intervento");
    app.post_form(&path, &[("kind", "basic_necessities"), ("amount", "200")])
        .await
        .assert_status(303);
    let line = satis::projects::store::interventions(&app.state.db, w.project)
        .await
        .unwrap()[0]
        .id;
    app.post_form(
        &format!("/interventions/{line}/expenses"),
        &[("amount", "10"), ("spent_on", "2026-02-01")],
    )
    .await
    .assert_status(422)
    .assert_contains("progetti in corso");
    // Someone else's organisation sees nothing; a draft is not shown to evaluators.
    app.sign_in(&w.evaluator).await;
    app.get(&format!("/projects/{}", w.project))
        .await
        .assert_status(403);
    let cat =
        satis::identity::store::organisation_by_name(&app.state.db, "CAT Coop. sociale Onlus")
            .await
            .unwrap()
            .unwrap()
            .id;
    let other = app.user("altra", Role::CaseWorker, cat).await;
    app.sign_in(&other).await;
    app.get(&format!("/projects/{}", w.project))
        .await
        .assert_status(403);
}

/// The author changes and removes draft lines; the lead entity decides line by line, is told
/// what is missing, and a line granted less than asked carries its reason to the author.
async fn the_lead_entity_grants_each_line_and_the_author_edits_draft_lines(db: TestDb) {
    let app = db.app().await;
    let w = world(&app).await;
    let path = format!("/projects/{}/interventions", w.project);
    for (kind, amount, months) in [
        ("italian_course", "800", ""),
        ("rent_support", "3.600,00", "12"),
        ("vocational_course", "1500", ""),
    ] {
        app.post_form(
            &path,
            &[("kind", kind), ("amount", amount), ("months", months)],
        )
        .await
        .assert_status(303);
    }
    let lines = |app: &TestApp| {
        let db = app.state.db.clone();
        let project = w.project;
        async move {
            satis::projects::store::interventions(&db, project)
                .await
                .unwrap()
        }
    };
    let before = lines(&app).await;
    let (course, rent, vocational) = (before[0].id, before[1].id, before[2].id);
    // A draft line is changed (the amount typed as Italians write it) and another removed.
    app.post_form(
        &format!("/interventions/{rent}"),
        &[
            ("amount", "3.000,00"),
            ("months", "10"),
            ("provider", "Agenzia casa"),
        ],
    )
    .await
    .assert_status(303);
    app.post_form(&format!("/interventions/{vocational}"), &[("remove", "1")])
        .await
        .assert_status(303);
    let after = lines(&app).await;
    assert_eq!(after.len(), 2);
    assert_eq!(
        (
            after[1].requested_cents,
            after[1].months,
            after[1].provider.as_str()
        ),
        (300_000, Some(10), "Agenzia casa")
    );
    // Over the catalogue's cap: refused, the line as it was.
    app.post_form(&format!("/interventions/{course}"), &[("amount", "900000")])
        .await
        .assert_status(422)
        .assert_contains("supera il massimo");
    assert_eq!(lines(&app).await[0].requested_cents, 80_000);
    status(&app, w.project, "submitted", "")
        .await
        .assert_status(303);
    // Once submitted, lines are not changed any more.
    app.post_form(&format!("/interventions/{course}"), &[("remove", "1")])
        .await
        .assert_status(422)
        .assert_contains("non si modifica");

    app.sign_in(&w.evaluator).await;
    let page = app.get(&format!("/projects/{}", w.project)).await;
    page.assert_contains(&format!("id=\"grant-{rent}\""))
        .assert_contains("value=\"3000,00\"");
    let version = find_value(&page.body, "name=\"version\" value=\"").unwrap();
    let decide = |to: &'static str, rent_grant: &'static str, reason: &'static str| {
        let version = version.clone();
        let project = w.project;
        let app = &app;
        async move {
            app.post_form(
                &format!("/projects/{project}/status"),
                &[
                    ("version", version.as_str()),
                    ("to", to),
                    ("line", &course.to_string()),
                    ("grant", "800,00"),
                    ("line", &rent.to_string()),
                    ("grant", rent_grant),
                    ("reason", reason),
                ],
            )
            .await
        }
    };
    decide("", "3000,00", "")
        .await
        .assert_status(422)
        .assert_contains("Scegli una decisione");
    // Refused, the decision comes back as typed: the choice and the grants are not retyped.
    decide("approved", "2.400,00", "")
        .await
        .assert_status(422)
        .assert_contains("scrivi il motivo")
        .assert_contains("value=\"2.400,00\"")
        .assert_contains(
            "id=\"to-approved\" name=\"to\" type=\"radio\" value=\"approved\" checked",
        );
    decide("approved", "3.500,00", "x")
        .await
        .assert_status(422)
        .assert_contains("da 0 a quanto richiesto");
    assert!(
        lines(&app).await.iter().all(|l| l.approved_cents == 0),
        "a refused decision grants nothing"
    );
    decide(
        "approved",
        "2.400,00",
        "Affitto coperto per otto mesi dal Comune",
    )
    .await
    .assert_status(303);
    let granted: Vec<i64> = lines(&app).await.iter().map(|l| l.approved_cents).collect();
    assert_eq!(granted, [80_000, 240_000]);

    app.sign_in(&w.worker).await;
    app.get(&format!("/projects/{}", w.project))
        .await
        .assert_contains("2.400,00 €")
        .assert_contains("Affitto coperto per otto mesi dal Comune");
    // The person's case lists the project, approved, with its link.
    let case = crate::support::scalar(
        &app,
        &format!("SELECT case_id FROM project WHERE id = {}", w.project),
    )
    .await;
    let page = app.get(&format!("/cases/{case}")).await;
    let section = page
        .body
        .split("id=\"h-projects\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default();
    assert!(
        section.contains(&format!("href=\"/projects/{}\"", w.project))
            && section.contains("Approvato"),
        "{section}"
    );
}
