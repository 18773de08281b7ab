//! A hotline operator's night, as the desk, the follow-ups and the report see it.

use satis::platform::policy::Role;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, TestDb, TestUser, scalar};

crate::tests![
    an_emergency_left_a_day_and_a_mediator_request_nobody_took_are_due,
    a_nuisance_call_takes_one_action,
    a_caller_who_calls_again_is_recognised_without_keeping_the_number,
    bad_contact_input_is_refused_and_nothing_saved,
    a_refused_call_names_every_problem_at_once_and_keeps_what_was_typed,
    two_operators_editing_one_contact,
    callers_to_call_back_wait_in_the_queue_until_done,
    a_contact_links_only_to_a_case_the_operator_may_see,
    mediators_emergencies_and_the_shift_hand_over,
    the_period_report_counts_right,
    periods_are_cut_at_italian_midnight_in_winter_summer_and_on_clock_changes,
    a_calls_outcomes_open_its_work_filled_in_and_linked,
    a_caller_accompanied_twice_by_the_hotline_is_one_person,
    identification_interviews_need_consent_and_leave_the_queue_when_reported,
    a_mediation_reaches_the_mediators_desk_and_she_records_how_it_went,
];

async fn identification_interviews_need_consent_and_leave_the_queue_when_reported(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    app.post_form(
        "/hotline/interviews",
        &[
            ("requester", "commission_fi"),
            ("person_code", ""),
            ("scheduled_on", "2026-11-25"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("codice pseudonimo");
    app.post_form(
        "/hotline/interviews",
        &[
            ("requester", "commission_fi"),
            ("person_code", "TOS-2026-00007"),
            ("scheduled_on", "2026-11-25"),
            ("mediator", "Ioana"),
        ],
    )
    .await
    .assert_status(303);
    app.get("/hotline")
        .await
        .assert_contains("Commissione Territoriale di Firenze")
        .assert_contains("TOS-2026-00007");
    let id = scalar(&app, "SELECT MAX(id) FROM identification_interview").await;
    let path = format!("/hotline/interviews/{id}");
    app.post_form(&path, &[("outcome", "indicatori presenti")])
        .await
        .assert_status(422)
        .assert_contains("Senza il consenso");
    app.post_form(
        &path,
        &[
            ("consent", "1"),
            ("outcome", "indicatori presenti"),
            ("report_sent_on", "2026-11-20"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("prima del colloquio");
    app.post_form(
        &path,
        &[
            ("consent", "1"),
            ("indicators", "debt"),
            ("indicators", "document_withholding"),
            ("outcome", "indicatori presenti"),
        ],
    )
    .await
    .assert_status(303);
    app.get("/hotline")
        .await
        .assert_contains("value=\"debt\" checked");
    app.post_form(
        &path,
        &[
            ("consent", "1"),
            ("indicators", "debt"),
            ("outcome", "indicatori presenti"),
            ("report_sent_on", "2026-11-26"),
        ],
    )
    .await
    .assert_status(303);
    assert!(
        !app.get("/hotline").await.body.contains("TOS-2026-00007"),
        "reported interviews leave the queue"
    );
}

pub(crate) async fn operator(app: &TestApp, name: &str) -> (TestUser, i32) {
    let org =
        satis::identity::store::organisation_by_name(&app.state.db, "CAT Coop. sociale Onlus")
            .await
            .unwrap()
            .unwrap()
            .id;
    (app.user(name, Role::HotlineOperator, org).await, org)
}

pub(crate) fn pertinent<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("channel", "phone"),
        ("relevance", "pertinent"),
        ("duration", "12"),
        ("caller_kind", "presumed_victim"),
        ("language", "ro"),
        ("province", "PO"),
        ("municipality", "Prato"),
        ("reasons", "help_to_leave"),
        ("exploitation_forms", "labour"),
        ("labour_sector", "manufacturing"),
        ("outcomes", "mediator_request"),
        ("outcomes", "emergency_activation"),
    ];
    // A single-valued field given in `extra` replaces the default.
    for (k, _) in extra {
        if !["outcomes", "reasons", "exploitation_forms"].contains(k) {
            v.retain(|(d, _)| d != k);
        }
    }
    v.extend_from_slice(extra);
    v
}

async fn a_nuisance_call_takes_one_action(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    let r = app
        .post_form("/hotline/quick", &[("relevance", "nuisance")])
        .await;
    r.assert_status(303);
    app.get(r.header("location"))
        .await
        .assert_contains("registrato")
        .assert_contains("Molesta o muta");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM hotline_contact WHERE relevance = 'nuisance'"
        )
        .await,
        1
    );
}

async fn a_caller_who_calls_again_is_recognised_without_keeping_the_number(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    app.post_form(
        "/hotline/contacts",
        &pertinent(&[
            ("phone", "+39 351 765 4321"),
            ("notes", "ha paura del datore di lavoro"),
        ]),
    )
    .await
    .assert_status(303);
    let r = app
        .post_form(
            "/hotline/contacts",
            &pertinent(&[("phone", "3517654321"), ("outcomes", "listening")]),
        )
        .await;
    r.assert_status(303);
    let second = scalar(&app, "SELECT MAX(id) FROM hotline_contact").await;
    let first = scalar(&app, "SELECT MIN(id) FROM hotline_contact").await;
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT previous_contact_id FROM hotline_contact WHERE id = {second}")
        )
        .await,
        first
    );
    let page = app.get(&format!("/hotline/contacts/{second}")).await;
    page.assert_contains("Contatto successivo")
        .assert_contains(&format!("/hotline/contacts/{first}"));
    assert!(!page.body.contains("765"), "the number is never shown");
    app.get(&format!("/hotline/contacts/{first}"))
        .await
        .assert_contains("ha paura del datore di lavoro");
    // The number and the notes are not stored in clear.
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT phone_index, notes_enc FROM hotline_contact".to_owned(),
        ))
        .await
        .unwrap();
    for row in rows {
        let index: Option<String> = row.try_get_by_index(0).unwrap();
        assert!(!index.unwrap_or_default().contains("3517654321"));
        let notes: Option<Vec<u8>> = row.try_get_by_index(1).unwrap();
        assert!(!notes.unwrap_or_default().windows(5).any(|w| w == b"paura"));
    }
}

async fn bad_contact_input_is_refused_and_nothing_saved(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    for (extra, message) in [
        (
            vec![
                ("started_at", "2026-11-20T03:10"),
                ("ended_at", "2026-11-20T02:50"),
            ],
            "La fine non può precedere",
        ),
        (vec![("duration", "-5")], "non può essere negativa"),
        (vec![("province", "RM")], "dieci province"),
        (vec![("language", "romeno")], "due lettere"),
    ] {
        let mut fields = pertinent(&[]);
        fields.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        fields.extend(extra);
        app.post_form("/hotline/contacts", &fields)
            .await
            .assert_status(422)
            .assert_contains(message);
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM hotline_contact").await,
        0
    );
}

/// At 3 a.m. the operator must not type a call twice: a refused contact comes back as typed,
/// with every problem named next to its field and listed on top, and nothing saved.
async fn a_refused_call_names_every_problem_at_once_and_keeps_what_was_typed(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Europe::Rome)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let page = app
        .post_form(
            "/hotline/contacts",
            &[
                ("channel", "email"),
                ("relevance", "pertinent"),
                ("started_at", tomorrow.as_str()),
                ("duration", "14"),
                ("language", "ti"),
                ("province", "LI"),
                ("municipality", "Piombino"),
                ("exploitation_forms", "labour"),
                ("labour_sector", "agriculture"),
                ("notes", "Chiama dal porto, richiamare dopo le 22"),
            ],
        )
        .await;
    assert_eq!(
        page.body.matches("<li><a href=\"#").count(),
        4,
        "{}",
        page.body
    );
    page.assert_status(422)
        .assert_contains("dati da correggere")
        .assert_contains("non può essere nel futuro")
        .assert_contains("Indica chi ha chiamato")
        .assert_contains("almeno un motivo")
        .assert_contains("almeno un esito");
    // Each message sits next to its field, which says so to assistive technology.
    for field in ["started_at", "caller_kind", "reasons", "outcomes"] {
        page.assert_contains(&format!("id=\"{field}-error\""));
        page.assert_contains(&format!("href=\"#{field}\""));
    }
    page.assert_contains("aria-invalid=\"true\"");
    // What was typed is still there.
    page.assert_contains(&format!("value=\"{tomorrow}\""))
        .assert_contains("value=\"email\" selected")
        .assert_contains("value=\"LI\" selected")
        .assert_contains("value=\"Piombino\"")
        .assert_contains("value=\"14\"")
        .assert_contains("value=\"labour\" checked")
        .assert_contains("value=\"agriculture\" selected")
        .assert_contains("Chiama dal porto, richiamare dopo le 22");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM hotline_contact").await,
        0
    );
    // Corrected, it is saved.
    app.post_form(
        "/hotline/contacts",
        &pertinent(&[("started_at", "2026-11-20T02:10")]),
    )
    .await
    .assert_status(303);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM hotline_contact").await,
        1
    );
}

async fn two_operators_editing_one_contact(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    app.post_form("/hotline/contacts", &pertinent(&[]))
        .await
        .assert_status(303);
    let id = scalar(&app, "SELECT MAX(id) FROM hotline_contact").await;
    let path = format!("/hotline/contacts/{id}");
    app.post_form(
        &path,
        &[
            ("version", "1"),
            ("outcomes", "sent_to_service"),
            ("notes", "inviata al servizio"),
        ],
    )
    .await
    .assert_status(303);
    let r = app
        .post_form(
            &path,
            &[
                ("version", "1"),
                ("outcomes", "listening"),
                ("notes", "solo ascolto"),
            ],
        )
        .await;
    r.assert_status(409)
        .assert_contains("Un&#39;altra persona ha modificato")
        .assert_contains("inviata al servizio");
    assert!(!app.get(&path).await.body.contains("solo ascolto"));
}

async fn mediators_emergencies_and_the_shift_hand_over(db: TestDb) {
    let app = db.app().await;
    let (night, org) = operator(&app, "notte").await;
    let morning = app.user("mattina", Role::HotlineOperator, org).await;
    app.sign_in(&night).await;
    app.post_form(
        "/hotline/mediators",
        &[
            ("language", "ro"),
            ("place", "Prato, stazione"),
            ("needed_at", "2026-11-24T09:00"),
        ],
    )
    .await
    .assert_status(303);
    let m = scalar(&app, "SELECT MAX(id) FROM mediator_request").await;
    let mp = format!("/hotline/mediators/{m}");
    app.post_form(&mp, &[("status", "done")])
        .await
        .assert_status(422)
        .assert_contains("non è possibile");
    app.post_form(&mp, &[("status", "assigned")])
        .await
        .assert_status(422)
        .assert_contains("chi svolgerà");
    app.post_form(&mp, &[("status", "assigned"), ("mediator", "Ioana")])
        .await
        .assert_status(303);

    app.post_form(
        "/hotline/emergencies",
        &[("danger", "alto: datore di lavoro la cerca")],
    )
    .await
    .assert_status(303);
    let e = scalar(&app, "SELECT MAX(id) FROM emergency_activation").await;
    let ep = format!("/hotline/emergencies/{e}");
    app.post_form(&ep, &[("step", "danger_assessed")])
        .await
        .assert_status(303);
    app.post_form(&ep, &[("step", "shelter_found")])
        .await
        .assert_status(303);
    app.post_form(
        "/hotline/notes",
        &[(
            "text",
            "Emergenza in corso a Prato: manca il passaggio all'ente attuatore.",
        )],
    )
    .await
    .assert_status(303);

    // The morning shift sees what is pending.
    app.sign_in(&morning).await;
    let desk = app.get("/hotline").await;
    desk.assert_contains("manca il passaggio all&#39;ente attuatore")
        .assert_contains("Prato, stazione")
        .assert_contains("Ioana")
        .assert_contains("alto: datore di lavoro la cerca")
        .assert_contains("✓ Pericolo valutato");
    // Shown to the shift, sealed at rest: the danger and the place say where someone is.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM emergency_activation WHERE danger LIKE '%datore%'"
        )
        .await
            + scalar(
                &app,
                "SELECT COUNT(*) FROM mediator_request WHERE place LIKE '%stazione%'"
            )
            .await,
        0
    );
    app.post_form(&ep, &[])
        .await
        .assert_status(422)
        .assert_contains("ente che prende in carico");
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    // A shelter without a free bed cannot be chosen.
    let full = satis::network::store::add_service(
        &app.state.db,
        arcobaleno,
        "emergency_shelter",
        "Pronta accoglienza piena",
        Some("PO".into()),
        "",
        "",
        false,
        None,
        &[],
    )
    .await
    .unwrap();
    app.post_form(
        &ep,
        &[
            ("handed_over_to", &arcobaleno.to_string()),
            ("service_id", &full.id.to_string()),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Non ci sono posti liberi");
    app.post_form(&ep, &[("handed_over_to", &arcobaleno.to_string())])
        .await
        .assert_status(303);
    app.post_form(&mp, &[("status", "done")])
        .await
        .assert_status(303);
    let desk = app.get("/hotline").await;
    assert!(
        !desk.body.contains("alto: datore di lavoro la cerca")
            && !desk.body.contains("Prato, stazione")
    );
    app.post_form(&ep, &[("step", "handed_over")])
        .await
        .assert_status(422)
        .assert_contains("già chiusa");
}

async fn the_period_report_counts_right(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    app.post_form("/hotline/quick", &[("relevance", "nuisance")])
        .await
        .assert_status(303);
    app.post_form("/hotline/quick", &[("relevance", "not_pertinent")])
        .await
        .assert_status(303);
    app.post_form("/hotline/contacts", &pertinent(&[("caller_ref", "R-1")]))
        .await
        .assert_status(303);
    app.post_form(
        "/hotline/contacts",
        &pertinent(&[
            ("caller_ref", "R-1"),
            ("province", "FI"),
            ("language", "en"),
        ]),
    )
    .await
    .assert_status(303);
    let today = satis::platform::time::rome_today();
    let q = format!("from={}&to={}", today - chrono::Duration::days(1), today);
    let page = app.get(&format!("/hotline/report?{q}")).await;
    page.assert_status(200)
        .assert_contains("Contatti nel periodo: 4");
    let table = |dim: &str| {
        let start = page.body.find(&format!("id=\"table-{dim}\"")).unwrap();
        page.body[start..start + page.body[start..].find("</table>").unwrap()].to_owned()
    };
    assert!(table("relevance").contains("<th scope=\"row\">Pertinente</th><td>2</td>"));
    assert!(table("relevance").contains("<th scope=\"row\">Molesta o muta</th><td>1</td>"));
    assert!(
        table("first_or_follow_up")
            .contains("<th scope=\"row\">Contatto successivo</th><td>1</td>")
    );
    assert!(table("province").contains("<th scope=\"row\">PO</th><td>1</td>"));
    assert!(table("language").contains("<th scope=\"row\">RO</th><td>1</td>"));
    assert!(table("outcome").contains("<th scope=\"row\">Richiesta di mediazione</th><td>2</td>"));
    assert!(table("exploitation").contains("<th scope=\"row\">Lavorativo</th><td>2</td>"));
    let csv = app.get(&format!("/hotline/report.csv?{q}")).await;
    csv.assert_status(200)
        .assert_contains("Dal,Al,Dettaglio,Valore,Numero\n")
        .assert_contains(",Totale,,4\n")
        .assert_contains(",Pertinenza,Pertinente,2\n");
    // A period before any call counts nothing.
    app.get("/hotline/report?from=2020-01-01&to=2020-01-31")
        .await
        .assert_contains("Contatti nel periodo: 0");
}

async fn periods_are_cut_at_italian_midnight_in_winter_summer_and_on_clock_changes(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "mezzanotte").await;
    app.sign_in(&op).await;
    // Times as an operator types them: Italian wall-clock time.
    for at in [
        "2025-12-31T23:30", // last call of 2025
        "2026-01-01T00:20", // first of 2026 (23:20 UTC the day before)
        "2026-03-29T00:30", // the night summer time starts, before the change
        "2026-03-29T03:30", // after it (01:30 UTC)
        "2026-06-30T23:30", // last of the first half-year
        "2026-07-01T00:40", // first of July (22:40 UTC on 30 June)
        "2026-10-25T02:30", // the night summer time ends (first 02:30, 00:30 UTC)
        "2026-10-25T23:30", // same Italian day, already 22:30 UTC
    ] {
        let r = app
            .post_form(
                "/hotline/contacts",
                &pertinent(&[("started_at", at), ("caller_ref", at)]),
            )
            .await;
        r.assert_status(303);
        // The contact page shows the time typed, in Italian time.
        let saved = r.header("location").to_owned();
        if at == "2026-07-01T00:40" {
            let id = saved
                .split("saved=")
                .nth(1)
                .unwrap()
                .split(['&', '#'])
                .next()
                .unwrap();
            app.get(&format!("/hotline/contacts/{id}"))
                .await
                .assert_status(200)
                .assert_contains("2026-07-01 00:40");
        }
    }
    let total = |from: &str, to: &str| {
        let app = &app;
        let q = format!("/hotline/report?from={from}&to={to}");
        async move {
            let page = app.get(&q).await;
            page.assert_status(200);
            let body = page.body.clone();
            let at = body.find("Contatti nel periodo: ").unwrap() + "Contatti nel periodo: ".len();
            body[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        }
    };
    assert_eq!(total("2025-01-01", "2025-12-31").await, "1");
    assert_eq!(total("2026-01-01", "2026-06-30").await, "4");
    assert_eq!(total("2026-07-01", "2026-07-31").await, "1");
    assert_eq!(total("2026-03-29", "2026-03-29").await, "2");
    assert_eq!(total("2026-03-28", "2026-03-28").await, "0");
    assert_eq!(total("2026-10-25", "2026-10-25").await, "2");
    assert_eq!(total("2026-10-24", "2026-10-24").await, "0");
    // The month breakdown puts the call at 00:40 on 1 July in July.
    let csv = app
        .get("/hotline/report.csv?from=2026-06-01&to=2026-07-31")
        .await;
    csv.assert_status(200)
        .assert_contains("Contatti pertinenti per mese,2026-06,1")
        .assert_contains("Contatti pertinenti per mese,2026-07,1");
    // A day that is not a date is refused with a message, not replaced by the last 30 days.
    app.get("/hotline/report?from=31/12/2025&to=2026-01-31")
        .await
        .assert_status(400)
        .assert_contains("data");
    // A time that does not exist in Italy (the hour skipped in March) is refused.
    app.post_form(
        "/hotline/contacts",
        &pertinent(&[("started_at", "2026-03-29T02:30")]),
    )
    .await
    .assert_status(422);
}

/// Ticking "mediation" and "emergency" on a call opens both, filled in from the call and linked
/// to it; each is offered until started, never twice; another organisation's call cannot be
/// linked.
async fn a_calls_outcomes_open_its_work_filled_in_and_linked(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "turno").await;
    app.sign_in(&op).await;
    let r = app
        .post_form(
            "/hotline/contacts",
            &pertinent(&[
                ("language", "ro"),
                ("province", "PO"),
                ("municipality", "Prato"),
            ]),
        )
        .await;
    r.assert_status(303);
    let next = r.header("location").to_owned();
    assert!(next.contains("&work="), "{next}");
    let id = next
        .split("work=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let desk = app.get(&next).await;
    desk.assert_status(200)
        .assert_contains("id=\"follow-up\"")
        .assert_contains(&format!("name=\"contact_id\" value=\"{id}\""))
        .assert_contains("id=\"m-language\" name=\"language\" type=\"text\" maxlength=\"2\" required value=\"RO\"")
        .assert_contains("value=\"Prato (PO)\"");
    // The mediator request is sent as filled in: linked to the call, and the desk still offers
    // the emergency, not the mediator again.
    let r = app
        .post_form(
            "/hotline/mediators",
            &[
                ("contact_id", id.as_str()),
                ("language", "RO"),
                ("place", "Prato (PO)"),
                ("needed_at", "2026-11-30T10:00"),
            ],
        )
        .await;
    r.assert_status(303);
    let back = r.header("location").to_owned();
    let desk = app.get(&back).await;
    desk.assert_contains("id=\"follow-up\"")
        .assert_contains("href=\"#emergency-form\"");
    assert!(
        !desk.body.contains("href=\"#mediator-form\""),
        "not offered twice"
    );
    let linked = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM mediator_request WHERE contact_id = {id}"),
    )
    .await;
    assert_eq!(linked, 1);
    app.post_form(
        "/hotline/emergencies",
        &[("contact_id", id.as_str()), ("danger", "Alto")],
    )
    .await
    .assert_status(303);
    let desk = app.get(&format!("/hotline?work={id}")).await;
    assert!(!desk.body.contains("id=\"follow-up\""), "all started");
    // A call of another organisation cannot be linked.
    let elsewhere = app.organisation("Altra Associazione").await;
    let other = app.user("altrove", Role::HotlineOperator, elsewhere).await;
    app.sign_in(&other).await;
    app.post_form(
        "/hotline/emergencies",
        &[("contact_id", id.as_str()), ("danger", "Alto")],
    )
    .await
    .assert_status(403);
    // A call without those outcomes goes back to the desk as before.
    let r = app
        .post_form("/hotline/quick", &[("relevance", "nuisance")])
        .await;
    assert!(!r.header("location").contains("work="));
}

/// The seed counts people accompanied to social and health services: a caller the hotline
/// accompanies twice (two calls, no case) is one person, recognised by the caller reference;
/// another caller is another person.
async fn a_caller_accompanied_twice_by_the_hotline_is_one_person(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "accompagna").await;
    app.sign_in(&op).await;
    let today = satis::platform::time::rome_today();
    let mut contacts = Vec::new();
    for caller in ["R-7", "R-7", "R-8"] {
        let r = app
            .post_form("/hotline/contacts", &pertinent(&[("caller_ref", caller)]))
            .await;
        r.assert_status(303);
        let id: i32 = r
            .header("location")
            .split("saved=")
            .nth(1)
            .unwrap()
            .split(['&', '#'])
            .next()
            .unwrap()
            .parse()
            .unwrap();
        contacts.push(id);
    }
    for (i, id) in contacts.iter().enumerate() {
        let key = format!("hotline-acc-{i:04}-abcdef");
        app.post_form(
            &format!("/hotline/contacts/{id}/accompaniments"),
            &[
                ("happened_on", &today.to_string()),
                ("service_kind", "health"),
                ("outcome", "done"),
                ("idempotency_key", &key),
            ],
        )
        .await
        .assert_status(303);
    }
    let linked = scalar(
        &app,
        "SELECT COUNT(*) FROM accompaniment WHERE hotline_contact_id IS NOT NULL",
    )
    .await;
    assert_eq!(linked, 3);
    let r = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    let accompanied = r
        .figures
        .iter()
        .find(|f| f.key == "accompaniments")
        .unwrap()
        .value;
    assert_eq!(accompanied, Some(2), "R-7 twice is one person, R-8 another");
}

async fn a_contact_links_only_to_a_case_the_operator_may_see(db: TestDb) {
    let app = db.app().await;
    let (op, org) = operator(&app, "notte").await;
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let person = crate::support::Person::named("Qualcuna");
    let (_, other) = app.open_case(arcobaleno, op.id, person.clone()).await;
    let (_, own) = app.open_case(org, op.id, person).await;
    app.sign_in(&op).await;
    app.post_form("/hotline/contacts", &pertinent(&[]))
        .await
        .assert_status(303);
    let id = scalar(&app, "SELECT MAX(id) FROM hotline_contact").await;
    let path = format!("/hotline/contacts/{id}/case");
    app.post_form(
        &path,
        &[("version", "1"), ("case_id", &other.id.to_string())],
    )
    .await
    .assert_status(403);
    app.post_form(&path, &[("version", "1"), ("case_id", "99999")])
        .await
        .assert_status(422);
    app.post_form(&path, &[("version", "1"), ("case_id", &own.id.to_string())])
        .await
        .assert_status(303);
    app.get(&format!("/hotline/contacts/{id}"))
        .await
        .assert_contains(&format!("href=\"/cases/{}\"", own.id));
}

async fn callers_to_call_back_wait_in_the_queue_until_done(db: TestDb) {
    let app = db.app().await;
    let (op, _) = operator(&app, "notte").await;
    app.sign_in(&op).await;
    app.post_form(
        "/hotline/contacts",
        &pertinent(&[("outcomes", "call_back"), ("caller_ref", "R-CB")]),
    )
    .await
    .assert_status(303);
    let id = scalar(&app, "SELECT MAX(id) FROM hotline_contact").await;
    let desk = app.get("/hotline").await;
    assert!(
        desk.body.contains("id=\"call-backs\"")
            && desk.body.contains(&format!("/hotline/contacts/{id}\">"))
    );
    // Called back: the operator clears the outcome and the queue empties.
    app.post_form(
        &format!("/hotline/contacts/{id}"),
        &[("version", "1"), ("outcomes", "listening")],
    )
    .await
    .assert_status(303);
    assert!(!app.get("/hotline").await.body.contains("id=\"call-backs\""));
}

/// A request assigned to a mediator's account is on her desk (place, time, language), nobody
/// else's; she records the outcome (sealed), through the page or the API.
async fn a_mediation_reaches_the_mediators_desk_and_she_records_how_it_went(db: TestDb) {
    let app = db.app().await;
    let (operator_user, _) = operator(&app, "turno").await;
    let mediators = app.organisation("Cooperativa Mediatori Toscana").await;
    let ioana = app.user("ioana", Role::Mediator, mediators).await;
    let other = app.user("amal", Role::Mediator, mediators).await;
    app.sign_in(&operator_user).await;
    for (language, place, at) in [
        ("ro", "Prato, stazione", "2026-11-24T09:00"),
        ("ar", "Firenze, questura", "2026-11-25T15:30"),
    ] {
        app.post_form(
            "/hotline/mediators",
            &[("language", language), ("place", place), ("needed_at", at)],
        )
        .await
        .assert_status(303);
    }
    let first = scalar(&app, "SELECT MIN(id) FROM mediator_request").await;
    let second = scalar(&app, "SELECT MAX(id) FROM mediator_request").await;
    // The desk offers the mediators' accounts; an account that is not a mediator is refused.
    app.get("/hotline")
        .await
        .assert_contains(&format!("<option value=\"{}\">ioana</option>", ioana.id));
    app.post_form(
        &format!("/hotline/mediators/{first}"),
        &[
            ("status", "assigned"),
            ("mediator_user_id", &operator_user.id.to_string()),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("tra gli account attivi");
    for (m, who) in [(first, &ioana), (second, &ioana)] {
        app.post_form(
            &format!("/hotline/mediators/{m}"),
            &[
                ("status", "assigned"),
                ("mediator_user_id", &who.id.to_string()),
            ],
        )
        .await
        .assert_status(303);
    }

    app.sign_in(&ioana).await;
    let desk = app.get("/mediazioni").await;
    desk.assert_status(200)
        .assert_contains("Prato, stazione")
        .assert_contains("Firenze, questura")
        .assert_contains("href=\"/mediazioni\"");
    assert!(
        desk.body.find("Prato, stazione") < desk.body.find("Firenze, questura"),
        "the next one first"
    );
    let record = format!("/mediazioni/{first}");
    app.post_form(&record, &[("outcome", "  ")])
        .await
        .assert_status(422)
        .assert_contains("com&#39;è andata");
    app.post_form(
        &record,
        &[("outcome", "Colloquio svolto, chiede accoglienza")],
    )
    .await
    .assert_status(303);
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM mediator_request WHERE id = {first} AND status = 'done'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM mediator_request WHERE outcome LIKE '%Colloquio%'"
        )
        .await,
        0,
        "the outcome is sealed at rest"
    );
    // A colleague sees none of it and cannot close it.
    app.sign_in(&other).await;
    let theirs = app.get("/mediazioni").await;
    theirs.assert_status(200);
    assert!(!theirs.body.contains("Firenze, questura"));
    app.post_form(&format!("/mediazioni/{second}"), &[("outcome", "Non mia")])
        .await
        .assert_status(403);
    // Through the API, the mediator's own list and the outcome.
    let token = app
        .token(&ioana, mediators, &["hotline:read", "hotline:write"])
        .await;
    let r = app
        .api("GET", "/api/v1/mediations", &token, None, &[])
        .await;
    r.assert_status(200);
    assert!(r.body.contains("Firenze, questura"));
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/mediations/{second}"),
            &token,
            Some(&serde_json::json!({"outcome": "Svolta con l'interprete"})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert!(r.body.contains("\"done\""));
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'hotline.mediator.outcome' \
             AND outcome = 'denied'"
        )
        .await,
        1
    );
}

async fn an_emergency_left_a_day_and_a_mediator_request_nobody_took_are_due(db: TestDb) {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;
    let app = db.app().await;
    let (night, _) = operator(&app, "notte-lunga").await;
    app.sign_in(&night).await;
    // A request needed in three hours that nobody has taken, and one far ahead.
    let soon =
        satis::platform::time::rome_input(&(chrono::Utc::now() + chrono::Duration::hours(3)));
    let later =
        satis::platform::time::rome_input(&(chrono::Utc::now() + chrono::Duration::days(4)));
    for needed in [&soon, &later] {
        app.post_form(
            "/hotline/mediators",
            &[
                ("language", "ro"),
                ("place", "Prato, stazione"),
                ("needed_at", needed),
            ],
        )
        .await
        .assert_status(303);
    }
    let first_request = scalar(&app, "SELECT MIN(id) FROM mediator_request").await;
    // Two emergencies: one started 25 hours ago, never handed over; one handed over.
    for danger in ["alto: la cercano", "medio"] {
        app.post_form("/hotline/emergencies", &[("danger", danger)])
            .await
            .assert_status(303);
    }
    let (old, handed) = (
        scalar(&app, "SELECT MIN(id) FROM emergency_activation").await,
        scalar(&app, "SELECT MAX(id) FROM emergency_activation").await,
    );
    use satis::hotline::entities::emergency;
    emergency::Entity::update_many()
        .col_expr(
            emergency::Column::StartedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(25)),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    app.post_form(
        &format!("/hotline/emergencies/{handed}"),
        &[("step", "handed_over")],
    )
    .await
    .assert_status(303);
    // A caller promised a call back 25 hours ago, with 250 calls since: still waiting, on the
    // list and in the desk's queue.
    app.post_form(
        "/hotline/contacts",
        &pertinent(&[("outcomes", "call_back"), ("caller_ref", "R-LATE")]),
    )
    .await
    .assert_status(303);
    let promised = scalar(&app, "SELECT MAX(id) FROM hotline_contact").await;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE hotline_contact SET started_at = {} WHERE id = {promised}",
            sql_time(&app, chrono::Utc::now() - chrono::Duration::hours(25))
        ))
        .await
        .unwrap();
    let cols = "organisation_id, operator_id, channel, started_at, duration_minutes, \
                caller_kind, language, mediator_used, relevance, province, municipality, \
                reasons, exploitation_forms, labour_sector, outcomes, version";
    for _ in 0..250 {
        app.state
            .db
            .execute_unprepared(&format!(
                "INSERT INTO hotline_contact ({cols}) SELECT organisation_id, operator_id, \
                 channel, {}, duration_minutes, caller_kind, language, mediator_used, \
                 relevance, province, municipality, reasons, exploitation_forms, \
                 labour_sector, 'listening', version FROM hotline_contact WHERE id = {promised}",
                sql_time(&app, chrono::Utc::now() - chrono::Duration::hours(1))
            ))
            .await
            .unwrap();
    }
    app.get("/hotline")
        .await
        .assert_contains(&format!("/hotline/contacts/{promised}\">"));
    let inbox = app.get("/reminders").await;
    inbox
        .assert_status(200)
        .assert_contains("Persona da richiamare")
        .assert_contains(&format!("href=\"/hotline/contacts/{promised}\""))
        .assert_contains("Emergenza aperta da oltre 24 ore")
        .assert_contains(&format!("href=\"/hotline#emergency-{old}\""))
        .assert_contains("Richiesta di mediazione senza mediatore")
        .assert_contains(&format!("href=\"/hotline#mediator-{first_request}\""));
    assert!(
        !inbox
            .body
            .contains(&format!("/hotline#emergency-{handed}\"")),
        "handed over"
    );
    assert_eq!(
        inbox
            .body
            .matches("Richiesta di mediazione senza mediatore")
            .count(),
        1,
        "four days ahead is not due yet"
    );
    // Taken by a mediator: it leaves the list by itself.
    app.post_form(
        &format!("/hotline/mediators/{first_request}"),
        &[("status", "assigned"), ("mediator", "Ioana")],
    )
    .await
    .assert_status(303);
    let inbox = app.get("/reminders").await;
    assert!(!inbox.body.contains("senza mediatore"));
    // The emergency's anchor exists on the desk the item links to.
    app.get("/hotline")
        .await
        .assert_contains(&format!("id=\"emergency-{old}\""))
        .assert_contains(&format!("id=\"mediator-{first_request}\""));
}

/// A time as a literal of this backend's timestamp column.
pub(crate) fn sql_time(app: &TestApp, t: chrono::DateTime<chrono::Utc>) -> String {
    match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => format!("'{}'::timestamptz", t.to_rfc3339()),
        _ => format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.f%:z")),
    }
}
