//! People and cases as case workers, other organisations and the hotline meet them.

use satis::platform::policy::Role;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, TestDb, find_value, scalar};

crate::tests![
    a_case_file_whose_read_cannot_be_audited_shows_nothing,
    a_shelter_added_or_closed_through_another_instance_shows_at_the_next_page,
    the_desk_lists_what_is_due_most_overdue_first,
    due_items_are_done_snoozed_and_handed_over_within_the_organisation,
    a_person_goes_from_emersion_to_a_closed_case,
    another_organisation_sees_neither_case_nor_identity,
    duplicates_are_flagged_without_revealing_identities,
    concurrent_edits_are_detected_and_nothing_is_overwritten,
    sharing_needs_the_persons_consent,
    roles_that_cannot_see_identities_cannot_send_them_away,
    notes_are_read_by_their_author_and_the_workers_who_hold_the_story,
    impossible_dates_are_refused_naming_the_field,
    a_write_whose_audit_entry_fails_is_not_saved,
    permits_placements_and_the_workers_desk,
    the_last_free_bed_goes_to_one_placement_only,
    the_hotline_desk_shows_each_emergency_shelters_free_beds,
    bad_case_input_is_refused_and_nothing_saved,
    retention_erases_identity_after_closure,
    identity_and_notes_are_encrypted_at_rest,
    a_permit_is_renewed_or_refused_and_keeps_its_history,
    a_persons_details_are_corrected_with_history_and_every_error_at_once,
    a_case_file_audits_its_read_and_identity_read_in_one_commit,
    a_phase_change_tells_only_the_owners_subscription,
];

/// A phase change through the page writes one `case.phase_changed` delivery for each
/// subscription of the organisation holding the case that asked for it, in the change's
/// transaction; a refused change, another organisation's subscription or one to other events
/// get nothing, and the body names the case, never the person.
async fn a_phase_change_tells_only_the_owners_subscription(db: TestDb) {
    let app = db.app().await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let other = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, cat).await;
    let hook = |org: i32, events: &[&str]| {
        let app = &app;
        let events: Vec<String> = events.iter().map(|e| (*e).to_owned()).collect();
        let by = worker.id;
        async move {
            satis::platform::webhooks::subscribe(
                &app.state.db,
                &app.state.keys,
                org,
                "https://ente.example.org/hook",
                &events,
                by,
            )
            .await
            .unwrap()
            .0
            .id
        }
    };
    let owners = hook(cat, &["case.phase_changed"]).await;
    hook(cat, &["contact.recorded"]).await;
    hook(other, &["case.phase_changed"]).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let path = format!("/cases/{id}/phase");
    let today = satis::platform::time::rome_today().to_string();
    let v = version(&app.get(&format!("/cases/{id}")).await.body);
    // A refused change (a phase skipped) tells no one.
    app.post_form(
        &path,
        &[
            ("to", "protection"),
            ("version", &v),
            ("effective_on", &today),
        ],
    )
    .await
    .assert_status(422);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM webhook_delivery").await,
        0
    );
    app.post_form(
        &path,
        &[
            ("to", "identification"),
            ("version", &v),
            ("effective_on", &today),
        ],
    )
    .await
    .assert_status(303);
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT subscription_id, event_type, record_type, record_id, body FROM webhook_delivery",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one delivery, to the owner's subscription");
    let r = &rows[0];
    assert_eq!(r.try_get_by_index::<i32>(0).unwrap(), owners);
    assert_eq!(
        r.try_get_by_index::<String>(1).unwrap(),
        "case.phase_changed"
    );
    assert_eq!(r.try_get_by_index::<String>(2).unwrap(), "case");
    assert_eq!(r.try_get_by_index::<i32>(3).unwrap(), id);
    let body = r.try_get_by_index::<String>(4).unwrap();
    assert!(body.contains(&id.to_string()), "{body}");
    assert!(!body.contains("Blessing"), "{body}");
}

/// Opening a case file with the person's identity writes two audit entries, the read and the
/// identity read, in that order and in one durable commit (the page waits for one commit, not
/// two); the page shows the identity only after both are written.
async fn a_case_file_audits_its_read_and_identity_read_in_one_commit(db: TestDb) {
    let app = db.app().await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let worker = app.user("operatrice", Role::CaseWorker, cat).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let before = app.state.audit_group.commits();
    app.get(&format!("/cases/{id}"))
        .await
        .assert_status(200)
        .assert_contains("Blessing Okafor");
    assert_eq!(app.state.audit_group.commits() - before, 1);
    let last: Vec<String> = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT action FROM audit_event ORDER BY seq DESC LIMIT 2",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert_eq!(last, vec!["case.identity.read", "case.read"]);
}

/// The case page reads its sections while the read's audit entries are being committed; when
/// that commit fails, the reader gets an error page with nothing of the case on it (no
/// identity, no section), and the next reading, audited again, shows the file.
async fn a_case_file_whose_read_cannot_be_audited_shows_nothing(db: TestDb) {
    let app = db.app().await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let worker = app.user("operatrice", Role::CaseWorker, cat).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_status(200).assert_contains("Blessing Okafor");
    // The phase history is one of the sections read alongside the commit.
    let phase = satis::platform::i18n::Lang::It.t("phase-emersion");
    page.assert_contains(&phase);
    for action in ["case.identity.read", "case.read"] {
        crate::support::fail_audit_of(&app, action).await;
        let r = app.get(&format!("/cases/{id}")).await;
        assert_eq!(r.status.as_u16(), 500, "{action}: {}", r.body);
        r.assert_not_contains("Blessing Okafor")
            .assert_not_contains("333 1234567")
            .assert_not_contains(&phase);
    }
    crate::support::fail_audit_of(&app, "nothing").await;
    app.get(&format!("/cases/{id}"))
        .await
        .assert_status(200)
        .assert_contains("Blessing Okafor")
        .assert_contains(&phase);
}

/// The case page keeps the registry's organisations and services in memory between two
/// changes: a shelter opened or closed, or an organisation added, through another instance on
/// the same database shows at this instance's very next page.
async fn a_shelter_added_or_closed_through_another_instance_shows_at_the_next_page(db: TestDb) {
    let config = db.config();
    let app = db.app().await;
    let (_, other) = satis::build_app(config, satis::platform::settings::Mode::Production)
        .await
        .unwrap();
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let worker = app.user("operatrice", Role::CaseWorker, cat).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let page = format!("/cases/{id}");
    app.get(&page)
        .await
        .assert_status(200)
        .assert_not_contains("Casa Nuova Alba");
    let kept = |app: &TestApp| {
        let state = app.state.clone();
        async move {
            let v = satis::network::store::registry_version(&state.db)
                .await
                .unwrap();
            state.registry.get::<satis::network::Registry>(v).is_some()
        }
    };
    assert!(kept(&app).await, "the page keeps the registry it read");
    let shelter = satis::network::store::add_service(
        &other.db,
        cat,
        "shelter",
        "Casa Nuova Alba",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[("women", 4)],
    )
    .await
    .unwrap();
    assert!(
        !kept(&app).await,
        "the other instance's change is a new version"
    );
    app.get(&page)
        .await
        .assert_status(200)
        .assert_contains("Casa Nuova Alba");
    satis::network::store::update_service(
        &other.db,
        shelter,
        String::new(),
        String::new(),
        false,
        &[],
    )
    .await
    .unwrap();
    app.get(&page)
        .await
        .assert_status(200)
        .assert_not_contains("Casa Nuova Alba");
    // An organisation joining the network is one the case can be shared with at once; a change
    // to an organisation is a new version too.
    let joined = satis::network::create_organisation(
        &other.db,
        "Associazione Nuova Rete",
        "ngo",
        Some("PI"),
        false,
    )
    .await
    .unwrap();
    app.get(&page)
        .await
        .assert_status(200)
        .assert_contains("Associazione Nuova Rete");
    assert!(kept(&app).await);
    satis::network::store::update_organisation(
        &other.db,
        joined,
        satis::network::store::OrganisationChange {
            kind: "ngo".into(),
            province: Some("LU".into()),
            is_public: false,
            register_section2: false,
            register_number: None,
            excluded_from_stats: false,
        },
    )
    .await
    .unwrap();
    assert!(!kept(&app).await, "a changed organisation is a new version");
}

async fn org(app: &TestApp, name: &str) -> i32 {
    satis::identity::store::organisation_by_name(&app.state.db, name)
        .await
        .unwrap()
        .map_or_else(|| panic!("{name}"), |o| o.id)
}

const PERSON: &[(&str, &str)] = &[
    ("gender", "female"),
    ("birth_year", "2001"),
    ("nationalities", "NG"),
    ("languages", "EN"),
    ("names", "Blessing Okafor"),
    ("birth_date", "2001-03-04"),
    ("phone", "+39 333 1234567"),
    ("documents", "Passport A1234567"),
];

/// Opens a case through the form and returns its id.
async fn open_case(app: &TestApp, fields: &[(&str, &str)]) -> i32 {
    let r = app.post_form("/cases", fields).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    r.header("location")
        .trim_start_matches("/cases/")
        .parse()
        .unwrap()
}

fn version(body: &str) -> String {
    find_value(body, "name=\"version\" value=\"").unwrap()
}

async fn a_person_goes_from_emersion_to_a_closed_case(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    app.get("/cases/new").await.assert_status(200);
    // "PCM" is not a two-letter code.
    let mut bad = PERSON.to_vec();
    bad[3] = ("languages", "EN, PCM");
    app.post_form("/cases", &bad)
        .await
        .assert_status(422)
        .assert_contains("due lettere");
    // Three things wrong at once: all named together, each beside its field, what was typed
    // (the ticked estimate too) kept.
    let mut bad = PERSON.to_vec();
    bad[1] = ("birth_year", "3001");
    bad[3] = ("languages", "EN, PCM");
    bad[4] = ("names", "");
    bad.push(("birth_year_estimated", "1"));
    app.post_form("/cases", &bad)
        .await
        .assert_status(422)
        .assert_contains("id=\"form-problems\"")
        .assert_contains("id=\"birth_year-error\"")
        .assert_contains("id=\"languages-error\"")
        .assert_contains("id=\"names-error\"")
        .assert_contains("value=\"3001\"")
        .assert_contains("value=\"+39 333 1234567\"")
        .assert_contains("name=\"birth_year_estimated\" type=\"checkbox\" value=\"1\" checked");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person").await, 0);
    let id = open_case(&app, PERSON).await;
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_status(200)
        .assert_contains("TOS-")
        .assert_contains("Blessing Okafor")
        .assert_contains("Emersione");

    let path = format!("/cases/{id}/phase");
    let today = satis::platform::time::rome_today().to_string();
    let today = today.as_str();
    // Skipping a phase or going to an unknown one is refused, and nothing changes.
    let v = version(&page.body);
    app.post_form(
        &path,
        &[
            ("to", "protection"),
            ("version", &v),
            ("effective_on", today),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("non è possibile");
    for to in [
        "identification",
        "first_assistance",
        "protection",
        "inclusion",
    ] {
        let v = version(&app.get(&format!("/cases/{id}")).await.body);
        app.post_form(
            &path,
            &[("to", to), ("version", &v), ("effective_on", today)],
        )
        .await
        .assert_status(303);
    }
    let v = version(&app.get(&format!("/cases/{id}")).await.body);
    app.post_form(
        &path,
        &[("to", "closed"), ("version", &v), ("effective_on", today)],
    )
    .await
    .assert_status(422)
    .assert_contains("indica un motivo");
    app.post_form(
        &path,
        &[
            ("to", "closed"),
            ("reason", "autonomy"),
            ("version", &v),
            ("effective_on", today),
        ],
    )
    .await
    .assert_status(303);
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_contains("Autonomia raggiunta")
        .assert_contains("Chiusa il");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM case_phase WHERE case_id = {id}")
        )
        .await,
        6
    );
    // A closed case stays closed.
    let v = version(&page.body);
    app.post_form(
        &path,
        &[
            ("to", "identification"),
            ("version", &v),
            ("effective_on", today),
        ],
    )
    .await
    .assert_status(422);
}

async fn another_organisation_sees_neither_case_nor_identity(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let owner = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let stranger = app.user("estranea", Role::CaseWorker, cat).await;
    let mediator = app.user("mediatrice", Role::Mediator, arcobaleno).await;
    let hotline = app.user("notte", Role::HotlineOperator, cat).await;
    app.sign_in(&owner).await;
    let id = open_case(&app, PERSON).await;
    let code = find_value(&app.get(&format!("/cases/{id}")).await.body, "<h1>").unwrap();

    app.sign_in(&stranger).await;
    let r = app.get(&format!("/cases/{id}")).await;
    r.assert_status(403);
    assert!(!r.body.contains("Blessing") && !r.body.contains(code.trim()));
    let list = app.get("/cases").await;
    assert!(
        !list.body.contains(code.trim()),
        "another organisation's case is listed"
    );
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "note"),
            ("text", "intrusione"),
            ("happened_on", "2026-11-30"),
        ],
    )
    .await
    .assert_status(403);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM case_event").await, 0);
    let denied = scalar(&app, "SELECT COUNT(*) FROM audit_event WHERE outcome = 'denied' AND action LIKE 'case.%' AND actor_username = 'estranea'").await;
    assert_eq!(denied, 2, "each refused access is audited");

    // A mediator of the owning organisation works on the case but does not see the identity.
    app.sign_in(&mediator).await;
    let r = app.get(&format!("/cases/{id}")).await;
    r.assert_status(200)
        .assert_contains("non sono visibili al tuo ruolo");
    assert!(!r.body.contains("Blessing") && !r.body.contains("A1234567"));

    // The hotline at night, with an emergency access and its reason: read only, audited.
    app.sign_in(&hotline).await;
    // Refused, with the choice to open it for an emergency (reason and time limit).
    app.get(&format!("/cases/{id}"))
        .await
        .assert_status(403)
        .assert_contains("id=\"break-glass-form\"")
        .assert_contains("name=\"minutes\"");
    app.post_form(
        "/break-glass",
        &[
            ("record_kind", "case"),
            ("record_id", &id.to_string()),
            (
                "reason",
                "persona in pericolo, ente titolare irraggiungibile",
            ),
            ("minutes", "45"),
        ],
    )
    .await
    .assert_status(400);
    app.post_form(
        "/break-glass",
        &[
            ("record_kind", "case"),
            ("record_id", &id.to_string()),
            (
                "reason",
                "persona in pericolo, ente titolare irraggiungibile",
            ),
            ("minutes", "30"),
            ("next", &format!("/cases/{id}")),
        ],
    )
    .await
    .assert_status(303);
    {
        use sea_orm::EntityTrait;
        let grants = satis::identity::entities::break_glass::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap();
        assert_eq!(grants.len(), 1, "the refused time limit opened nothing");
        assert_eq!(
            grants[0].expires_at - grants[0].started_at,
            chrono::Duration::minutes(30),
            "the time limit chosen"
        );
    }
    // The DPO finds it on the review page.
    let dpo_org = app.organisation("Regione Toscana").await;
    let dpo = app.user("dpo", Role::Auditor, dpo_org).await;
    app.sign_in(&dpo).await;
    app.get("/break-glass/review")
        .await
        .assert_status(200)
        .assert_contains(&format!("case {id}"));
    app.sign_in(&hotline).await;
    let r = app.get(&format!("/cases/{id}")).await;
    r.assert_status(200)
        .assert_contains("Blessing Okafor")
        .assert_contains("Accesso di emergenza");
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "note"),
            ("text", "scrittura"),
            ("happened_on", "2026-11-30"),
        ],
    )
    .await
    .assert_status(403);
    let reads = scalar(&app, "SELECT COUNT(*) FROM audit_event WHERE action = 'case.identity.read' AND actor_username = 'notte' AND reason = 'emergency access'").await;
    assert_eq!(reads, 1);
}

async fn duplicates_are_flagged_without_revealing_identities(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let first = app.user("prima", Role::CaseWorker, arcobaleno).await;
    let second = app.user("seconda", Role::CaseWorker, cat).await;
    app.sign_in(&first).await;
    open_case(&app, PERSON).await;

    app.sign_in(&second).await;
    // Same phone, different name and documents typed differently.
    let again = [
        ("gender", "female"),
        ("names", "B. O."),
        ("phone", "+39333 123 4567"),
    ];
    let r = app.post_form("/cases", &again).await;
    r.assert_status(409)
        .assert_contains("Possibili persone già note")
        .assert_contains("Associazione Progetto Arcobaleno");
    assert!(
        r.body.contains("TOS-"),
        "the code of the known person is shown"
    );
    assert!(
        !r.body.contains("Blessing") && !r.body.contains("A1234567"),
        "but not their identity"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person").await, 1);
    let mut confirmed = again.to_vec();
    confirmed.push(("confirm_new", "1"));
    open_case(&app, &confirmed).await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person").await, 2);
    // Someone with nothing in common is not flagged.
    open_case(&app, &[("gender", "male"), ("names", "Ion Popescu")]).await;
}

async fn concurrent_edits_are_detected_and_nothing_is_overwritten(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let v = version(&app.get(&format!("/cases/{id}")).await.body);
    let path = format!("/cases/{id}/assessment");
    app.post_form(
        &path,
        &[
            ("version", &v),
            ("trafficking_status", "presumed"),
            ("exploitation_forms", "sexual"),
            ("means_of_control", "debt_bondage"),
            ("means_of_control", "withholds_documents"),
            ("recruitment", "job_offer"),
            ("route", "Libia, Lampedusa"),
        ],
    )
    .await
    .assert_status(303);
    // A colleague submits the form she opened before that change.
    let r = app
        .post_form(
            &path,
            &[
                ("version", &v),
                ("trafficking_status", "possible"),
                ("route", "sconosciuta"),
            ],
        )
        .await;
    r.assert_status(409)
        .assert_contains("Un&#39;altra persona ha modificato")
        .assert_contains("Libia, Lampedusa");
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_contains("value=\"presumed\" selected")
        .assert_contains("Libia, Lampedusa")
        .assert_contains("value=\"debt_bondage\" checked")
        .assert_contains("value=\"withholds_documents\" checked")
        .assert_contains("Status valutato da operatrice");
    assert!(!page.body.contains("sconosciuta"));
    // Codes outside the HTCDS-aligned lists are refused.
    let v2 = version(&page.body);
    app.post_form(&path, &[("version", &v2), ("means_of_control", "magic")])
        .await
        .assert_status(422);
}

async fn sharing_needs_the_persons_consent(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let owner = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let partner = app.user("partner", Role::CaseWorker, cat).await;
    app.sign_in(&owner).await;
    let id = open_case(&app, PERSON).await;
    let cat_id = cat.to_string();
    app.post_form(
        &format!("/cases/{id}/share"),
        &[("organisation_id", &cat_id)],
    )
    .await
    .assert_status(422)
    .assert_contains("Manca il consenso");
    // A consent for another purpose, or for another organisation, is not enough.
    app.post_form(
        &format!("/cases/{id}/consents"),
        &[("purpose", "processing"), ("given_on", "2026-11-01")],
    )
    .await
    .assert_status(303);
    app.post_form(
        &format!("/cases/{id}/share"),
        &[("organisation_id", &cat_id)],
    )
    .await
    .assert_status(422);
    app.post_form(
        &format!("/cases/{id}/consents"),
        &[
            ("purpose", "sharing"),
            ("organisation_id", &cat_id),
            ("given_on", "2026-11-01"),
        ],
    )
    .await
    .assert_status(303);
    app.post_form(
        &format!("/cases/{id}/share"),
        &[("organisation_id", &cat_id)],
    )
    .await
    .assert_status(303);
    app.sign_in(&partner).await;
    app.get(&format!("/cases/{id}"))
        .await
        .assert_status(200)
        .assert_contains("condivisa con la tua organizzazione");
    // The partner cannot share it further.
    app.post_form(
        &format!("/cases/{id}/share"),
        &[("organisation_id", &arcobaleno.to_string())],
    )
    .await
    .assert_status(403);
    // The owner records the consent's withdrawal on the day it happened: not before it was
    // given, not without a date.
    app.sign_in(&owner).await;
    let consent = scalar(
        &app,
        &format!("SELECT id FROM consent WHERE case_id = {id} AND purpose = 'sharing'"),
    )
    .await;
    let withdraw = format!("/consents/{consent}/withdraw");
    app.post_form(&withdraw, &[]).await.assert_status(422);
    app.post_form(&withdraw, &[("withdrawn_on", "2026-10-31")])
        .await
        .assert_status(422)
        .assert_contains("non può essere precedente al consenso");
    app.post_form(&withdraw, &[("withdrawn_on", "2026-11-15")])
        .await
        .assert_status(303);
    let withdrawn: String = {
        use sea_orm::ConnectionTrait;
        app.state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.state.db.get_database_backend(),
                format!("SELECT CAST(withdrawn_on AS TEXT) FROM consent WHERE id = {consent}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    };
    assert_eq!(withdrawn, "2026-11-15", "the day entered, not today");
}

/// A mediator or a street-unit operator of the owning organisation works on the case without
/// its identity; they must not be able to record a consent to share or transfer it, share it,
/// or export it, since the receiving organisation would then read what they may not.
async fn roles_that_cannot_see_identities_cannot_send_them_away(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let owner = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let partner = app.user("partner", Role::CaseWorker, cat).await;
    app.sign_in(&owner).await;
    let id = open_case(&app, PERSON).await;
    let cat_id = cat.to_string();
    for (name, role) in [
        ("mediatrice", Role::Mediator),
        ("strada", Role::OutreachOperator),
    ] {
        let who = app.user(name, role, arcobaleno).await;
        app.sign_in(&who).await;
        let page = app.get(&format!("/cases/{id}")).await;
        page.assert_status(200);
        assert!(!page.body.contains("Blessing"), "{name} sees the identity");
        assert!(
            !page.body.contains(&format!("/cases/{id}/share")),
            "{name} is offered the share form"
        );
        assert!(
            !page.body.contains("value=\"sharing\""),
            "{name} is offered a sharing consent"
        );
        for purpose in ["sharing", "transfer"] {
            app.post_form(
                &format!("/cases/{id}/consents"),
                &[
                    ("purpose", purpose),
                    ("organisation_id", &cat_id),
                    ("given_on", "2026-11-01"),
                ],
            )
            .await
            .assert_status(403);
        }
        app.post_form(
            &format!("/cases/{id}/share"),
            &[("organisation_id", &cat_id)],
        )
        .await
        .assert_status(403);
        app.get(&format!("/cases/{id}/htcds.json"))
            .await
            .assert_status(403);
        // A consent to processing stays theirs to record.
        app.post_form(
            &format!("/cases/{id}/consents"),
            &[("purpose", "processing"), ("given_on", "2026-11-01")],
        )
        .await
        .assert_status(303);
    }
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM consent WHERE case_id = {id} AND purpose <> 'processing'"
            )
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM case_share WHERE case_id = {id}")
        )
        .await,
        0
    );
    assert!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'case.consent' AND outcome = 'denied'"
        )
        .await
            >= 4
    );
    // The receiving organisation never got it.
    app.sign_in(&partner).await;
    app.get(&format!("/cases/{id}")).await.assert_status(403);
    // The case worker who may see the identity still can.
    app.sign_in(&owner).await;
    app.post_form(
        &format!("/cases/{id}/consents"),
        &[
            ("purpose", "sharing"),
            ("organisation_id", &cat_id),
            ("given_on", "2026-11-01"),
        ],
    )
    .await
    .assert_status(303);
    app.post_form(
        &format!("/cases/{id}/share"),
        &[("organisation_id", &cat_id)],
    )
    .await
    .assert_status(303);
}

async fn notes_are_read_by_their_author_and_the_workers_who_hold_the_story(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let owner = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let colleague = app.user("collega", Role::CaseWorker, arcobaleno).await;
    let mediator = app.user("mediatrice", Role::Mediator, arcobaleno).await;
    let street = app.user("strada", Role::OutreachOperator, arcobaleno).await;
    app.sign_in(&owner).await;
    let id = open_case(&app, PERSON).await;
    let note = "Ha raccontato della madame a Benin City";
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "note"),
            ("text", note),
            ("happened_on", "2026-11-30"),
        ],
    )
    .await
    .assert_status(303);
    for who in [&mediator, &street] {
        app.sign_in(who).await;
        let page = app.get(&format!("/cases/{id}")).await;
        page.assert_status(200)
            .assert_contains("2026-11-30")
            .assert_contains("Testo riservato");
        assert!(!page.body.contains(note), "{} reads the note", who.username);
    }
    // The mediator's own note is hers to read, and the case workers read it too.
    app.sign_in(&mediator).await;
    let own = "Colloquio in lingua edo, serve un secondo incontro";
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "note"),
            ("text", own),
            ("happened_on", "2026-12-01"),
        ],
    )
    .await
    .assert_status(303);
    app.get(&format!("/cases/{id}")).await.assert_contains(own);
    app.sign_in(&colleague).await;
    app.get(&format!("/cases/{id}"))
        .await
        .assert_contains(note)
        .assert_contains(own);
    app.sign_in(&street).await;
    let page = app.get(&format!("/cases/{id}")).await;
    assert!(!page.body.contains(own) && !page.body.contains(note));
}

/// A consent "given" on 0000-00-00 used to be saved with today's date, a placement could
/// start in year 262143, an event in the future: each is refused with a message naming the
/// field, and nothing is saved. Dates are entered, never defaulted.
async fn impossible_dates_are_refused_naming_the_field(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let page = app.get(&format!("/cases/{id}")).await;
    // The forms offer today's Italian date rather than assuming it.
    let today = satis::platform::time::rome_today().to_string();
    page.assert_contains(&format!(
        "name=\"given_on\" type=\"date\" required value=\"{today}\""
    ));
    for given in ["0000-00-00", "2999-01-01", ""] {
        app.post_form(
            &format!("/cases/{id}/consents"),
            &[("purpose", "processing"), ("given_on", given)],
        )
        .await
        .assert_status(422)
        .assert_contains("La data del consenso manca o non è valida");
    }
    // The date is checked before the shelter: any service id will do.
    let shelter = "1".to_owned();
    for since in ["+262143-01-01", "-262143-01-01", "1899-12-31", ""] {
        app.post_form(
            &format!("/cases/{id}/placements"),
            &[
                ("service_id", &shelter),
                ("bed_kind", "women"),
                ("since", since),
            ],
        )
        .await
        .assert_status(422)
        .assert_contains("La data di inizio manca o non è valida");
    }
    let tomorrow = (satis::platform::time::rome_today() + chrono::Duration::days(1)).to_string();
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "note"),
            ("text", "domani"),
            ("happened_on", &tomorrow),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("La data dell’evento manca o non è valida")
    // The message stands in the diary's own section, where the focus goes, and the form
    // keeps what was typed.
    .assert_contains("</h2>\n<div class=\"alert alert-danger\" role=\"alert\" id=\"form-error\" tabindex=\"-1\" autofocus>La data dell’evento")
    .assert_contains("required>domani</textarea>")
    .assert_contains(&format!("name=\"happened_on\" type=\"date\" required value=\"{tomorrow}\""));
    let page = app
        .post_form(
            &format!("/cases/{id}/permits"),
            &[
                ("kind", "art18_social"),
                ("status", "issued"),
                ("issued_on", "0000-01-01"),
                ("office", "Questura di Prato"),
            ],
        )
        .await;
    page.assert_status(422)
        .assert_contains("La data di rilascio non è valida")
        .assert_contains("value=\"Questura di Prato\"")
        .assert_contains("<option value=\"issued\" selected>");
    let at = |needle: &str| page.body.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(
        at("id=\"h-permits\"") < at("La data di rilascio non è valida"),
        "the message is in the permits' section, not at the top of the page"
    );
    for table in ["consent", "placement", "case_event", "permit"] {
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM {table} WHERE case_id = {id}")
            )
            .await,
            0,
            "{table}"
        );
    }
}

/// Every change to a case and its audit entry are one transaction: when the audit entry
/// cannot be written (fault injected in the database), the change is not saved either.
/// Before, the change was committed first and the entry appended after.
async fn a_write_whose_audit_entry_fails_is_not_saved(db: TestDb) {
    use crate::support::post_with_audit_fault;
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let cat = org(&app, "CAT Coop. sociale Onlus").await.to_string();
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let shelter = satis::network::store::add_service(
        &app.state.db,
        arcobaleno,
        "emergency_shelter",
        "Casa",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[("women", 3)],
    )
    .await
    .unwrap()
    .id
    .to_string();
    let snapshot = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            let mut out = Vec::new();
            for sql in [
                "SELECT COUNT(*) FROM person".to_owned(),
                format!("SELECT COUNT(*) FROM case_phase WHERE case_id = {id}"),
                format!("SELECT COUNT(*) FROM consent WHERE case_id = {id}"),
                format!("SELECT COUNT(*) FROM case_share WHERE case_id = {id}"),
                format!("SELECT COUNT(*) FROM permit WHERE case_id = {id}"),
                format!("SELECT COUNT(*) FROM placement WHERE case_id = {id}"),
                format!("SELECT COUNT(*) FROM case_event WHERE case_id = {id}"),
                format!(
                    "SELECT COUNT(*) FROM placement WHERE until IS NOT NULL AND case_id = {id}"
                ),
                format!("SELECT version FROM case_file WHERE id = {id}"),
            ] {
                let row = db
                    .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap();
                out.push(
                    row.try_get_by_index::<i64>(0)
                        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
                        .unwrap(),
                );
            }
            out
        }
    };
    // "VERSION" stands for the case's version when the request is sent.
    let v = "VERSION";
    let today = satis::platform::time::rome_today().to_string();
    let today = today.as_str();
    type Write<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);
    let writes: Vec<Write> = vec![
        ("case.create", "/cases".into(), {
            let mut p = PERSON.to_vec();
            p.push(("confirm_new", "1"));
            p
        }),
        (
            "case.phase",
            format!("/cases/{id}/phase"),
            vec![
                ("to", "identification"),
                ("version", v),
                ("effective_on", today),
            ],
        ),
        (
            "case.assessment",
            format!("/cases/{id}/assessment"),
            vec![("version", v), ("route", "Lagos, Agadez")],
        ),
        (
            "case.consent",
            format!("/cases/{id}/consents"),
            vec![
                ("purpose", "sharing"),
                ("organisation_id", &cat),
                ("given_on", "2026-11-01"),
            ],
        ),
        (
            "case.permit",
            format!("/cases/{id}/permits"),
            vec![("kind", "art18_social"), ("status", "applied")],
        ),
        (
            "case.placement",
            format!("/cases/{id}/placements"),
            vec![
                ("service_id", &shelter),
                ("bed_kind", "women"),
                ("since", "2026-11-01"),
            ],
        ),
        (
            "case.event",
            format!("/cases/{id}/events"),
            vec![
                ("kind", "note"),
                ("text", "nota"),
                ("happened_on", "2026-11-01"),
            ],
        ),
    ];
    for (action, path, fields) in &writes {
        let current = version(&app.get(&format!("/cases/{id}")).await.body);
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, val)| {
                (
                    *k,
                    if *val == "VERSION" {
                        current.as_str()
                    } else {
                        *val
                    },
                )
            })
            .collect();
        let fields = &fields;
        let before = snapshot(&app).await;
        post_with_audit_fault(&app, action, path, fields).await;
        assert_eq!(
            snapshot(&app).await,
            before,
            "{action} was saved without its entry"
        );
        // Without the fault, the same request goes through.
        let again = app.post_form(path, fields).await;
        assert_eq!(again.status.as_u16(), 303, "{action}: {}", again.body);
        assert_ne!(snapshot(&app).await, before, "{action}");
    }
    // Sharing (with the consent now in force) and ending the placement, the same way.
    let placement = scalar(
        &app,
        &format!("SELECT MAX(id) FROM placement WHERE case_id = {id}"),
    )
    .await;
    for (action, path, fields) in [
        (
            "case.share",
            format!("/cases/{id}/share"),
            vec![("organisation_id", cat.as_str())],
        ),
        (
            "case.placement_end",
            format!("/placements/{placement}/end"),
            vec![("until", today)],
        ),
    ] {
        let before = snapshot(&app).await;
        post_with_audit_fault(&app, action, &path, &fields).await;
        assert_eq!(
            snapshot(&app).await,
            before,
            "{action} was saved without its entry"
        );
    }
    assert!(
        satis::platform::audit::verify(&app.state.db, &app.state.keys)
            .await
            .unwrap()
            .is_ok()
    );
}

/// Arcobaleno's case worker, signed in, with a shelter of one bed for women and two cases.
async fn one_bed_and_two_cases(
    app: &TestApp,
) -> (
    i32,
    crate::support::TestUser,
    satis::network::Service,
    [i32; 2],
) {
    let arcobaleno = org(app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let shelter = satis::network::store::add_service(
        &app.state.db,
        arcobaleno,
        "shelter",
        "Casa Una",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[("women", 1)],
    )
    .await
    .unwrap();
    app.sign_in(&worker).await;
    let first = open_case(app, PERSON).await;
    let second = open_case(
        app,
        &[
            ("gender", "female"),
            ("names", "Seconda Persona"),
            ("confirm_new", "1"),
        ],
    )
    .await;
    (arcobaleno, worker, shelter, [first, second])
}

/// Two placements asked at the same moment for a shelter's last free bed: the first takes it,
/// the second waits for the first to be saved and is told the shelter is full. Never two
/// people in one bed (the check used to read outside the write's transaction).
async fn the_last_free_bed_goes_to_one_placement_only(db: TestDb) {
    use sea_orm::TransactionTrait;
    let app = db.app().await;
    let (arcobaleno, worker, shelter, [first, second]) = one_bed_and_two_cases(&app).await;
    let actor = satis::platform::policy::Actor {
        user_id: worker.id,
        username: "operatrice".into(),
        organisation_id: Some(arcobaleno),
        province: Some("FI".into()),
        roles: vec![Role::CaseWorker],
    };
    let input = satis::cases::ops::NewPlacement {
        service_id: shelter.id,
        bed_kind: "women".into(),
        emergency: false,
        since: satis::platform::time::rome_today() - chrono::Duration::days(1),
        until: None,
    };
    let state = app.state.clone();
    let taking = state.db.begin().await.unwrap();
    satis::cases::ops::place(&state, &taking, &actor, first, &input)
        .await
        .unwrap();
    // The second asks while the first is not yet saved.
    let asking = tokio::spawn({
        let (state, actor, input) = (state.clone(), actor.clone(), input.clone());
        async move {
            let txn = state.db.begin().await.unwrap();
            let r = satis::cases::ops::place(&state, &txn, &actor, second, &input).await;
            let refused = matches!(
                r,
                Err(satis::cases::ops::CaseOpError::NotAllowed(
                    "case-error-shelter-full"
                ))
            );
            if r.is_ok() {
                txn.commit().await.unwrap();
            } else {
                txn.rollback().await.unwrap();
            }
            refused
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    taking.commit().await.unwrap();
    assert!(
        asking.await.unwrap(),
        "the second placement was not refused"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM placement").await, 1);
    // The page says so too.
    app.post_form(
        &format!("/cases/{second}/placements"),
        &[
            ("service_id", &shelter.id.to_string()),
            ("bed_kind", "women"),
            ("since", &input.since.to_string()),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Non ci sono posti liberi");
}

async fn permits_placements_and_the_workers_desk(db: TestDb) {
    let app = db.app().await;
    let (_, _, shelter, [first, second]) = one_bed_and_two_cases(&app).await;

    let today = satis::platform::time::rome_today();
    let soon = (today + chrono::Duration::days(20)).to_string();
    let issued = (today - chrono::Duration::days(160)).to_string();
    app.post_form(
        &format!("/cases/{first}/permits"),
        &[
            ("kind", "art18_social"),
            ("status", "issued"),
            ("issued_on", &issued),
            (
                "expires_on",
                &(today - chrono::Duration::days(200)).to_string(),
            ),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("non può scadere prima");
    app.post_form(
        &format!("/cases/{first}/permits"),
        &[
            ("kind", "art18_social"),
            ("status", "issued"),
            ("issued_on", &issued),
            ("expires_on", &soon),
            ("office", "Questura di Firenze"),
        ],
    )
    .await
    .assert_status(303);
    let desk = app.get("/cases").await;
    desk.assert_contains("Permessi in scadenza entro 30 giorni")
        .assert_contains(&soon);

    let sid = shelter.id.to_string();
    app.post_form(
        &format!("/cases/{first}/placements"),
        &[
            ("service_id", &sid),
            ("bed_kind", "women"),
            ("since", "2026-11-01"),
        ],
    )
    .await
    .assert_status(303);
    app.get("/network/services")
        .await
        .assert_contains("Donne: 0/1");
    // The shelter is full now.
    app.post_form(
        &format!("/cases/{second}/placements"),
        &[
            ("service_id", &sid),
            ("bed_kind", "women"),
            ("since", "2026-11-01"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Non ci sono posti liberi");
    let placement = scalar(&app, "SELECT id FROM placement").await;
    let end = format!("/placements/{placement}/end");
    // A stay ends on the day entered: not before it began, not without a date.
    app.post_form(&end, &[]).await.assert_status(422);
    app.post_form(&end, &[("until", "2026-10-31")])
        .await
        .assert_status(422)
        .assert_contains("non può essere precedente all");
    app.post_form(&end, &[("until", "2026-11-20")])
        .await
        .assert_status(303);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM placement WHERE until IS NULL").await,
        0,
        "ended on the day entered, not today"
    );
    app.get("/network/services")
        .await
        .assert_contains("Donne: 1/1");
}

async fn the_hotline_desk_shows_each_emergency_shelters_free_beds(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let operator = app
        .user("centralino", Role::HotlineOperator, arcobaleno)
        .await;
    let mut ids = Vec::new();
    for (kind, name, beds) in [
        (
            "emergency_shelter",
            "Pronta accoglienza Est",
            &[("women", 2)][..],
        ),
        (
            "emergency_shelter",
            "Pronta accoglienza Ovest",
            &[("women", 1), ("men", 1)][..],
        ),
        ("shelter", "Casa Due", &[("women", 3)][..]),
    ] {
        let s = satis::network::store::add_service(
            &app.state.db,
            arcobaleno,
            kind,
            name,
            Some("FI".into()),
            "",
            "",
            false,
            None,
            beds,
        )
        .await
        .unwrap();
        ids.push(s.id.to_string());
    }
    app.sign_in(&worker).await;
    // One bed taken in the first shelter, one in the ordinary shelter, and a stay in the
    // second shelter that has already ended.
    for (n, (sid, until)) in [
        (&ids[0], None),
        (&ids[2], None),
        (&ids[1], Some("2026-11-10")),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("Persona Accolta {n}");
        let case = open_case(
            &app,
            &[
                ("gender", "female"),
                ("names", name.as_str()),
                ("confirm_new", "1"),
            ],
        )
        .await;
        app.post_form(
            &format!("/cases/{case}/placements"),
            &[
                ("service_id", sid.as_str()),
                ("bed_kind", "women"),
                ("emergency", "1"),
                ("since", "2026-11-01"),
            ],
        )
        .await
        .assert_status(303);
        if let Some(day) = until {
            let placement = scalar(
                &app,
                &format!("SELECT MAX(id) FROM placement WHERE service_id = {sid}"),
            )
            .await;
            app.post_form(&format!("/placements/{placement}/end"), &[("until", day)])
                .await
                .assert_status(303);
        }
    }
    // The shelters are offered at the hand-over of an emergency in progress.
    app.sign_in(&operator).await;
    app.post_form("/hotline/emergencies", &[("danger", "alto")])
        .await
        .assert_status(303);
    let desk = app.get("/hotline").await;
    desk.assert_contains("Pronta accoglienza Est · 1 posti liberi")
        .assert_contains("Pronta accoglienza Ovest · 2 posti liberi");
    assert!(
        !desk.body.contains("Casa Due ·"),
        "only emergency shelters are offered at the hand-over"
    );
}

async fn bad_case_input_is_refused_and_nothing_saved(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let next_year = (satis::platform::time::rome_today() + chrono::Duration::days(400))
        .format("%Y")
        .to_string();
    for (field, value, message) in [
        ("birth_year", next_year.as_str(), "nel futuro"),
        ("gender", "robot", "Indica il genere"),
        ("names", "", "almeno un nome"),
        (
            "birth_date",
            "2999-01-01",
            "La data di nascita non è valida",
        ),
    ] {
        let mut fields = PERSON.to_vec();
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        app.post_form("/cases", &fields)
            .await
            .assert_status(422)
            .assert_contains(message);
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person").await, 0);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM person_identity").await,
        0
    );
}

async fn retention_erases_identity_after_closure(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let old = open_case(&app, PERSON).await;
    let recent = open_case(&app, &[("gender", "male"), ("names", "Ancora Seguito")]).await;
    // A corrected phone number: the number it replaced is identity too.
    let v = version(&app.get(&format!("/cases/{old}")).await.body);
    let mut corrected = PERSON.to_vec();
    corrected.retain(|(k, _)| *k != "phone");
    corrected.extend([
        ("phone", "+39 333 7654321"),
        ("with_identity", "1"),
        ("version", &v),
    ]);
    app.post_form(&format!("/cases/{old}/person"), &corrected)
        .await
        .assert_status(303);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM person_change WHERE previous_enc IS NOT NULL"
        )
        .await,
        1
    );
    for id in [old, recent] {
        app.post_form(
            &format!("/cases/{id}/events"),
            &[
                ("kind", "note"),
                ("text", "nota riservata"),
                ("happened_on", "2026-11-30"),
            ],
        )
        .await
        .assert_status(303);
        let v = version(&app.get(&format!("/cases/{id}")).await.body);
        app.post_form(
            &format!("/cases/{id}/phase"),
            &[
                ("to", "closed"),
                ("reason", "lost_contact"),
                ("version", &v),
                (
                    "effective_on",
                    &satis::platform::time::rome_today().to_string(),
                ),
            ],
        )
        .await
        .assert_status(303);
    }
    let long_ago = chrono::Utc::now() - chrono::Duration::days(800);
    let db = &app.state.db;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE case_file SET closed_at = $1 WHERE id = $2",
        [long_ago.into(), old.into()],
    ))
    .await
    .unwrap();
    let report = satis::cases::retention(&app.state.db, &app.state.keys, 730)
        .await
        .unwrap();
    assert_eq!(report.identities_erased, 1);
    assert_eq!(report.notes_erased, 1);
    // The correction stays as a fact (which fields, when), its old values are gone.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM person_change WHERE previous_enc IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person_change").await, 1);
    let page = app.get(&format!("/cases/{old}")).await;
    page.assert_status(200)
        .assert_contains("cancellati alla scadenza");
    assert!(!page.body.contains("Blessing") && !page.body.contains("nota riservata"));
    app.get(&format!("/cases/{recent}"))
        .await
        .assert_contains("Ancora Seguito")
        .assert_contains("nota riservata");
    // The pseudonymous record stays for statistics; running again erases nothing more.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person").await, 2);
    let again = satis::cases::retention(&app.state.db, &app.state.keys, 730)
        .await
        .unwrap();
    assert_eq!((again.identities_erased, again.notes_erased), (0, 0));
    // The recent case closes long ago too: its person and note go in the next sweep.
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE case_file SET closed_at = $1 WHERE id = $2",
        [long_ago.into(), recent.into()],
    ))
    .await
    .unwrap();
    let later = satis::cases::retention(&app.state.db, &app.state.keys, 730)
        .await
        .unwrap();
    assert_eq!((later.identities_erased, later.notes_erased), (1, 1));
    assert!(
        !app.get(&format!("/cases/{recent}"))
            .await
            .body
            .contains("Ancora Seguito")
    );
}

async fn identity_and_notes_are_encrypted_at_rest(db: TestDb) {
    let backend = db.backend;
    let url = db.url.clone();
    let dir = db.dir.path().to_owned();
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let canary = |field: &str| format!("C{}{field}", uuid::Uuid::new_v4().simple());
    let fields: Vec<(&str, String)> = ["names", "aliases", "documents", "phone", "address"]
        .iter()
        .map(|f| (*f, canary(f)))
        .collect();
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.push(("gender", "unknown"));
    // Free text workers fill with health facts, places and offices is sealed too.
    let vulnerabilities = canary("vulnerabilities");
    form.push(("vulnerabilities", &vulnerabilities));
    let id = open_case(&app, &form).await;
    let (route, places, office) = (canary("route"), canary("places"), canary("office"));
    let v = version(&app.get(&format!("/cases/{id}")).await.body);
    app.post_form(
        &format!("/cases/{id}/assessment"),
        &[("version", &v), ("route", &route), ("places", &places)],
    )
    .await
    .assert_status(303);
    app.post_form(
        &format!("/cases/{id}/permits"),
        &[
            ("kind", "art18_social"),
            ("status", "applied"),
            ("office", &office),
        ],
    )
    .await
    .assert_status(303);
    let note = canary("note");
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "legal_consultation"),
            ("text", &note),
            ("happened_on", "2026-11-30"),
        ],
    )
    .await
    .assert_status(303);
    let page = app.get(&format!("/cases/{id}")).await;
    for (_, v) in &fields {
        page.assert_contains(v);
    }
    page.assert_contains(&note);
    page.assert_contains(&route);
    page.assert_contains(&places);
    page.assert_contains(&office);
    let mut needles: Vec<String> = fields.into_iter().map(|(_, v)| v).collect();
    needles.extend([note, vulnerabilities, route, places, office]);
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
            assert!(out.status.success());
            vec![out.stdout]
        }
    };
    for hay in &haystacks {
        for n in &needles {
            assert!(
                !hay.windows(n.len()).any(|w| w == n.as_bytes()),
                "plaintext at rest"
            );
        }
    }
    // Text an older version left in clear is sealed at the next start, and still shown.
    let db = &app.state.db;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!(
            "UPDATE case_file SET places = 'legacy-place-canary', places_enc = NULL WHERE id = {id}"
        ),
    ))
    .await
    .unwrap();
    let sealed =
        satis::platform::keys::seal_legacy_text(db, &app.state.keys, &satis::app::legacy_plain())
            .await
            .unwrap();
    assert_eq!(sealed, 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM case_file WHERE places = 'legacy-place-canary'"
        )
        .await,
        0
    );
    app.get(&format!("/cases/{id}"))
        .await
        .assert_contains("legacy-place-canary");
}

/// A permit recorded on a case is later renewed, or refused, from the case page: the decision
/// keeps its day, the permit shows its new state and expiry, the history lists each decision,
/// and what the state does not allow is refused with a message saying what is missing.
async fn a_permit_is_renewed_or_refused_and_keeps_its_history(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let today = satis::platform::time::rome_today();
    let issued = (today - chrono::Duration::days(170)).to_string();
    let expires = (today + chrono::Duration::days(10)).to_string();
    app.post_form(
        &format!("/cases/{id}/permits"),
        &[
            ("kind", "art18_social"),
            ("status", "issued"),
            ("issued_on", &issued),
            ("expires_on", &expires),
        ],
    )
    .await
    .assert_status(303);
    let permit = scalar(&app, &format!("SELECT id FROM permit WHERE case_id = {id}")).await;
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_contains(&format!("action=\"/permits/{permit}/decision\""))
        .assert_contains("Rinnovato");
    let decide = format!("/permits/{permit}/decision");
    let today_s = today.to_string();
    // Renewed without the new expiry: refused, saying what is missing; nothing written.
    app.post_form(&decide, &[("status", "renewed"), ("decided_on", &today_s)])
        .await
        .assert_status(422)
        .assert_contains("ha bisogno della nuova scadenza");
    // Before the permit was issued, or tomorrow: refused.
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let before = (today - chrono::Duration::days(400)).to_string();
    let next_year = (today + chrono::Duration::days(365)).to_string();
    for day in [before.as_str(), tomorrow.as_str()] {
        app.post_form(
            &decide,
            &[
                ("status", "renewed"),
                ("decided_on", day),
                ("expires_on", &next_year),
            ],
        )
        .await
        .assert_status(422);
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM permit_change").await, 0);
    // Renewed for a year: the permit is renewed and expires next year.
    app.post_form(
        &decide,
        &[
            ("status", "renewed"),
            ("decided_on", &today_s),
            ("expires_on", &next_year),
        ],
    )
    .await
    .assert_status(303);
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_contains("Art. 18 – percorso sociale — Rinnovato")
        .assert_contains(&format!("{today_s} · Rinnovato · Scade il {next_year}"))
        .assert_contains("Decisioni registrate");
    let stored = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM permit WHERE id = {permit} AND status = 'renewed'"),
    )
    .await;
    assert_eq!(stored, 1);
    // Then its renewal refused: no expiry may be given with a refusal, and afterwards nothing
    // more can be decided (a new application is a new permit).
    app.post_form(
        &decide,
        &[
            ("status", "refused"),
            ("decided_on", &today_s),
            ("expires_on", &next_year),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("solo per un permesso rilasciato o rinnovato");
    app.post_form(&decide, &[("status", "refused"), ("decided_on", &today_s)])
        .await
        .assert_status(303);
    app.post_form(
        &decide,
        &[
            ("status", "renewed"),
            ("decided_on", &today_s),
            ("expires_on", &next_year),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("un permesso rifiutato non cambia più");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM permit_change").await, 2);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'case.permit_decision'"
        )
        .await,
        2
    );
    // Another organisation's worker decides nothing on it.
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let other = app.user("altra", Role::CaseWorker, cat).await;
    app.sign_in(&other).await;
    let r = app
        .post_form(&decide, &[("status", "expired"), ("decided_on", &today_s)])
        .await;
    assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM permit_change").await, 2);
}

/// The person's attributes and identity are corrected on the case page: every problem of the
/// form at once beside its field with what was typed kept; a correction records which fields
/// changed, who and when, with the old values sealed; a stale form is refused; the case lists
/// the person's accompaniments.
async fn a_persons_details_are_corrected_with_history_and_every_error_at_once(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let id = open_case(&app, PERSON).await;
    let page = app.get(&format!("/cases/{id}")).await;
    // The form starts from what is recorded, identity included for who may read it.
    page.assert_contains(&format!("action=\"/cases/{id}/person\""))
        .assert_contains("id=\"fix-names\" name=\"names\" type=\"text\" value=\"Blessing Okafor\"")
        .assert_contains("href=\"#h-permits\"");
    let v = version(&page.body);
    let path = format!("/cases/{id}/person");
    // Three things wrong at once: each is named, beside its field, and what was typed stays.
    let r = app
        .post_form(
            &path,
            &[
                ("gender", "female"),
                ("birth_year", "3001"),
                ("nationalities", "NGA"),
                ("languages", "EN"),
                ("with_identity", "1"),
                ("names", ""),
                ("phone", "+39 333 0000000"),
                ("version", &v),
            ],
        )
        .await;
    r.assert_status(422)
        .assert_contains("id=\"fix-birth_year-error\"")
        .assert_contains("id=\"fix-nationalities-error\"")
        .assert_contains("id=\"fix-names-error\"")
        .assert_contains("value=\"3001\"")
        .assert_contains("value=\"+39 333 0000000\"");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person_change").await, 0);
    // A real correction: the new name and phone, a second nationality.
    let fix = |version: &str| {
        vec![
            ("gender".to_owned(), "female".to_owned()),
            ("birth_year".to_owned(), "2001".to_owned()),
            ("nationalities".to_owned(), "NG, GH".to_owned()),
            ("languages".to_owned(), "EN".to_owned()),
            ("with_identity".to_owned(), "1".to_owned()),
            ("names".to_owned(), "Blessing Ada Okafor".to_owned()),
            ("birth_date".to_owned(), "2001-03-04".to_owned()),
            ("phone".to_owned(), "+39 333 7654321".to_owned()),
            ("documents".to_owned(), "Passport A1234567".to_owned()),
            ("version".to_owned(), version.to_owned()),
        ]
    };
    let body = fix(&v);
    let pairs: Vec<(&str, &str)> = body.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    app.post_form(&path, &pairs).await.assert_status(303);
    let page = app.get(&format!("/cases/{id}")).await;
    page.assert_contains("Blessing Ada Okafor")
        .assert_contains("+39 333 7654321")
        .assert_contains("Correzioni registrate")
        .assert_contains("Nazionalità, Nome e cognome, Telefono");
    // The old values are kept sealed, never in clear.
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT previous_enc FROM person_change",
        ))
        .await
        .unwrap()
        .unwrap();
    let sealed: Vec<u8> = row.try_get("", "previous_enc").unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("333 1234567"));
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'person.corrected'"
        )
        .await,
        1
    );
    // The same form sent again changes nothing and is not an error (a resend); another change
    // from the old page is refused: someone changed the case since.
    app.post_form(&path, &pairs).await.assert_status(303);
    let mut stale = pairs.clone();
    stale.retain(|(k, _)| *k != "phone");
    stale.push(("phone", "+39 333 1111111"));
    app.post_form(&path, &stale).await.assert_status(409);
    // Sending what is already recorded writes nothing.
    let v = version(&page.body);
    let body = fix(&v);
    let pairs: Vec<(&str, &str)> = body.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    app.post_form(&path, &pairs).await.assert_status(303);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person_change").await, 1);
    // An accompaniment recorded in the diary is listed in the case's accompaniments.
    app.post_form(
        &format!("/cases/{id}/events"),
        &[
            ("kind", "accompaniment"),
            (
                "happened_on",
                &satis::platform::time::rome_today().to_string(),
            ),
            ("service_kind", "health"),
            ("accompaniment_outcome", "done"),
            ("text", "Accompagnata al consultorio"),
        ],
    )
    .await
    .assert_status(303);
    let page = app.get(&format!("/cases/{id}")).await;
    let section = page
        .body
        .split("id=\"h-accompaniments\"")
        .nth(1)
        .unwrap_or_default();
    assert!(!section.contains("Nessun accompagnamento"), "{section}");
    // Another organisation's worker corrects nothing.
    let cat = org(&app, "CAT Coop. sociale Onlus").await;
    let other = app.user("altra", Role::CaseWorker, cat).await;
    app.sign_in(&other).await;
    let v = version(&page.body);
    let body = fix(&v);
    let pairs: Vec<(&str, &str)> = body.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = app.post_form(&path, &pairs).await;
    assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person_change").await, 1);
}

/// The deadline engine on a case worker's desk: a permit about to expire and a case left
/// without activity appear under "Da fare", the late one first with how late it is, each a
/// link to the record; a renewed permit and a closed case leave the list by themselves.
async fn the_desk_lists_what_is_due_most_overdue_first(db: TestDb) {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    app.sign_in(&worker).await;
    let empty = app.get("/").await;
    empty.assert_status(200);
    assert!(!empty.body.contains("id=\"due\""), "nothing due, no list");
    let first = open_case(&app, PERSON).await;
    let today = satis::platform::time::rome_today();
    let soon = (today + chrono::Duration::days(20)).to_string();
    let issued = (today - chrono::Duration::days(160)).to_string();
    app.post_form(
        &format!("/cases/{first}/permits"),
        &[
            ("kind", "art18_social"),
            ("status", "issued"),
            ("issued_on", &issued),
            ("expires_on", &soon),
        ],
    )
    .await
    .assert_status(303);
    // A permit expiring in 90 days is not due yet.
    let later = (today + chrono::Duration::days(90)).to_string();
    app.post_form(
        &format!("/cases/{first}/permits"),
        &[
            ("kind", "international_protection"),
            ("status", "issued"),
            ("issued_on", &issued),
            ("expires_on", &later),
        ],
    )
    .await
    .assert_status(303);
    let second = open_case(
        &app,
        &[
            ("gender", "female"),
            ("names", "Seconda Persona"),
            ("confirm_new", "1"),
        ],
    )
    .await;
    // The second case's last activity was 70 Italian days ago (at noon in Rome, so that the
    // test means the same at any hour, across a change of summer time): due for 10 days.
    let seventy = satis::platform::time::rome_midnight(
        satis::platform::time::rome_today() - chrono::Duration::days(70),
    ) + chrono::Duration::hours(12);
    satis::cases::entities::case::Entity::update_many()
        .col_expr(
            satis::cases::entities::case::Column::LastActivityAt,
            Expr::value(seventy),
        )
        .filter(satis::cases::entities::case::Column::Id.eq(second))
        .exec(&app.state.db)
        .await
        .unwrap();
    let desk = app.get("/").await;
    desk.assert_status(200)
        .assert_contains("Da fare: 2 scadenze")
        .assert_contains("Presa in carico senza attività")
        .assert_contains("in ritardo di 10 giorni")
        .assert_contains("Permesso in scadenza a breve")
        .assert_contains(&format!("href=\"/cases/{first}#permit-"));
    let body = &desk.body;
    let at = |needle: &str| body.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(
        at("senza attività") < at("in scadenza a breve"),
        "the late item comes first"
    );
    assert!(
        !body.contains("Permesso in scadenza ·"),
        "90 days away is not due"
    );
}

/// The hidden form value of each item on the to-do page, in the order shown.
fn inbox_keys(body: &str) -> Vec<String> {
    let mut keys: Vec<String> = body
        .split("name=\"key\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(|k| k.replace("&#124;", "|")))
        .collect();
    keys.dedup();
    keys
}

async fn due_items_are_done_snoozed_and_handed_over_within_the_organisation(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = org(&app, "Associazione Progetto Arcobaleno").await;
    let other_org = app.organisation("Associazione Altrove").await;
    let anna = app.user("anna", Role::CaseWorker, arcobaleno).await;
    let bruno = app.user("bruno", Role::CaseWorker, arcobaleno).await;
    let stranger = app.user("estranea", Role::CaseWorker, other_org).await;
    let coordinator = app
        .user("coordina", Role::TerritorialCoordinator, arcobaleno)
        .await;
    app.sign_in(&anna).await;
    let today = satis::platform::time::rome_today();
    let issued = (today - chrono::Duration::days(160)).to_string();
    let mut cases = Vec::new();
    for (i, names) in ["Prima Persona", "Seconda Persona", "Terza Persona"]
        .iter()
        .enumerate()
    {
        let case = open_case(
            &app,
            &[("gender", "female"), ("names", names), ("confirm_new", "1")],
        )
        .await;
        let expires = (today + chrono::Duration::days(10 + i as i64)).to_string();
        app.post_form(
            &format!("/cases/{case}/permits"),
            &[
                ("kind", "art18_social"),
                ("status", "issued"),
                ("issued_on", &issued),
                ("expires_on", &expires),
            ],
        )
        .await
        .assert_status(303);
        cases.push(case);
    }
    let inbox = app.get("/reminders").await;
    inbox.assert_status(200).assert_contains("Da fare");
    // Every page's navigation counts them.
    app.get("/cases").await.assert_contains(
        "Da fare <span class=\"nav-count\">3<span class=\"visually-hidden\"> scadenze</span>",
    );
    let keys = inbox_keys(&inbox.body);
    assert_eq!(keys.len(), 3, "{keys:?}");
    // The nearest expiry first; "bruno" can take any of them, "estranea" none.
    assert!(
        keys[0].contains(&format!("/cases/{}#", cases[0])),
        "{keys:?}"
    );
    assert!(
        inbox
            .body
            .contains(&format!("<option value=\"{}\">bruno</option>", bruno.id))
    );
    assert!(!inbox.body.contains("estranea"));

    // Bad input changes nothing and says why, beside the item.
    let marks = || crate::support::count_rows(&app, "reminder_mark");
    for (fields, message) in [
        (
            vec![
                ("step", "snooze"),
                ("until", "domani"),
                ("reason", "attesa questura"),
            ],
            "a partire da domani",
        ),
        (
            vec![
                ("step", "snooze"),
                ("until", &*today.to_string()),
                ("reason", "x"),
            ],
            "a partire da domani",
        ),
        (
            vec![
                ("step", "snooze"),
                ("until", &*(today + chrono::Duration::days(5)).to_string()),
                ("reason", "  "),
            ],
            "Scrivi il motivo",
        ),
        (
            vec![("step", "hand_over"), ("to", &*stranger.id.to_string())],
            "Scegli un collega",
        ),
        (
            vec![("step", "hand_over"), ("to", &*anna.id.to_string())],
            "Scegli un collega",
        ),
    ] {
        let mut form = vec![("key", keys[0].as_str())];
        form.extend(fields);
        app.post_form("/reminders/mark", &form)
            .await
            .assert_status(422)
            .assert_contains(message);
        assert_eq!(marks().await, 0);
    }
    app.post_form(
        "/reminders/mark",
        &[
            ("key", "permit-expired|/cases/999|2020-01-01"),
            ("step", "done"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("non è più sulla tua lista");

    // Done: gone from every desk of the organisation.
    app.post_form("/reminders/mark", &[("key", &keys[0]), ("step", "done")])
        .await
        .assert_status(303);
    // Snoozed: gone until the day, with its reason.
    let until = (today + chrono::Duration::days(3)).to_string();
    app.post_form(
        "/reminders/mark",
        &[
            ("key", &keys[1]),
            ("step", "snooze"),
            ("until", &until),
            ("reason", "rinnovo chiesto in questura"),
        ],
    )
    .await
    .assert_status(303);
    // Handed over: only on bruno's desk, saying by whom.
    app.post_form(
        "/reminders/mark",
        &[
            ("key", &keys[2]),
            ("step", "hand_over"),
            ("to", &bruno.id.to_string()),
        ],
    )
    .await
    .assert_status(303);
    let inbox = app.get("/reminders").await;
    assert!(inbox_keys(&inbox.body).is_empty(), "nothing left for anna");
    inbox.assert_contains("Niente da fare");
    assert!(!inbox.body.contains("nav-count"), "her count went at once");
    app.sign_in(&bruno).await;
    let theirs = app.get("/reminders").await;
    assert_eq!(inbox_keys(&theirs.body), vec![keys[2].clone()]);
    theirs
        .assert_contains("passata da anna")
        .assert_contains("<span class=\"nav-count\">1<");
    // Each step is in the audit trail, and the reason is sealed at rest.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'reminder.%'"
        )
        .await,
        3
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM reminder_mark WHERE reason_enc IS NOT NULL"
        )
        .await,
        1
    );

    // The coordinator sees the team's items and what became of them; others may not.
    app.get("/reminders/team").await.assert_status(403);
    app.sign_in(&coordinator).await;
    let team = app.get("/reminders/team").await;
    team.assert_status(200)
        .assert_contains(&format!(
            "rimandata al {}",
            (today + chrono::Duration::days(3)).format("%d/%m/%Y")
        ))
        .assert_contains("rinnovo chiesto in questura")
        .assert_contains("passata a bruno");
    assert!(
        !team.body.contains(&format!("/cases/{}#", cases[0])),
        "done is gone"
    );
}
