//! Street units and drop-in desks: outings saved once whatever the resends, tallies that must
//! add up, anonymous contacts recognised across outings and linked to a case, and the report.

use satis::platform::policy::Role;

use crate::support::{TestApp, TestDb, TestUser, scalar};

crate::tests![
    an_outing_sent_twice_is_saved_once,
    bad_outings_are_refused_and_nothing_saved,
    anonymous_contacts_are_recognised_across_outings_and_linked_to_a_case,
    places_belong_to_the_unit_and_its_organisation,
    interviews_and_accompaniments_are_checked_and_saved_once,
    the_period_report_counts_contacts_interviews_and_accompaniments,
    accompaniments_recorded_before_the_outreach_area_are_kept_and_counted_once,
];

/// An organisation with a street unit and a desk in `province`, and its outreach operator.
pub(crate) struct Unit {
    pub(crate) org: i32,
    pub(crate) street: i32,
    pub(crate) desk: i32,
    pub(crate) operator: TestUser,
}

pub(crate) async fn unit(app: &TestApp, name: &str, province: &str) -> Unit {
    let org = app.organisation(name).await;
    let add = |kind: &'static str, label: String| {
        let db = app.state.db.clone();
        let province = province.to_owned();
        async move {
            satis::network::store::add_service(
                &db,
                org,
                kind,
                &label,
                Some(province),
                "",
                "",
                false,
                None,
                &[],
            )
            .await
            .unwrap()
            .id
        }
    };
    let street = add("street_unit", format!("Unità {name}")).await;
    let desk = add("drop_in", format!("Sportello {name}")).await;
    let operator = app
        .user(
            &format!("strada-{}", name.to_lowercase().replace(' ', "-")),
            Role::OutreachOperator,
            org,
        )
        .await;
    Unit {
        org,
        street,
        desk,
        operator,
    }
}

/// A consistent outing: 5 people (4 women, 1 transgender; 3 aged 18–24, 2 unknown; 2 new).
pub(crate) fn outing(
    service: i32,
    key: &str,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = vec![
        ("service_id", service.to_string()),
        ("idempotency_key", key.to_owned()),
        ("started_at", "2026-11-20T21:00".into()),
        ("ended_at", "2026-11-21T01:00".into()),
        ("area", "Cascine".into()),
        ("people_met", "5".into()),
        ("gender_female", "4".into()),
        ("gender_transgender", "1".into()),
        ("age_18_24", "3".into()),
        ("age_unknown", "2".into()),
        ("status_new", "2".into()),
        ("status_known", "3".into()),
        ("nat_code", "ng".into()),
        ("nat_count", "3".into()),
        ("nat_code", "RO".into()),
        ("nat_count", "2".into()),
        ("material_condoms", "60".into()),
        ("topic_sti", "2".into()),
        ("languages", "en, ro".into()),
    ];
    for (k, val) in extra {
        v.retain(|(name, _)| name != k);
        v.push((k, (*val).to_owned()));
    }
    v
}

pub(crate) fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, val)| (*k, val.as_str())).collect()
}

async fn send_json(
    app: &TestApp,
    fields: &[(&'static str, String)],
) -> crate::support::TestResponse {
    let token = app.csrf().await;
    let mut all = vec![("_csrf", token.as_str())];
    all.extend(pairs(fields));
    app.post_raw(
        "/outreach/outings",
        &all,
        &[
            ("origin", "http://satis.test"),
            ("accept", "application/json"),
        ],
    )
    .await
}

async fn an_outing_sent_twice_is_saved_once(db: TestDb) {
    let app = db.app().await;
    let u = unit(&app, "Strada Uno", "FI").await;
    app.sign_in(&u.operator).await;
    app.get("/outreach/outings/new")
        .await
        .assert_status(200)
        .assert_contains("data-offline-outbox")
        .assert_contains("/static/outreach.js");
    let fields = outing(u.street, "0f8c2a9e-1b2c-4d5e-8f90-1a2b3c4d5e6f", &[]);
    let first = send_json(&app, &fields).await;
    first
        .assert_status(201)
        .assert_contains("\"status\":\"saved\"");
    // The phone did not hear the answer and sends again: recognised, not saved twice.
    let again = send_json(&app, &fields).await;
    again
        .assert_status(200)
        .assert_contains("\"status\":\"duplicate\"");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outing").await, 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT COALESCE(SUM(count), 0) FROM outing_count WHERE dimension = 'gender'"
        )
        .await,
        5
    );
    // Without JavaScript the form posts and lands on the outing; a double submission of the
    // same page (same key) lands on the same outing.
    let form = outing(u.street, "form-key-000000001", &[]);
    let r = app.post_form("/outreach/outings", &pairs(&form)).await;
    r.assert_status(303);
    let location = r.header("location").to_owned();
    assert!(location.contains("saved=saved"), "{location}");
    let r2 = app.post_form("/outreach/outings", &pairs(&form)).await;
    assert!(r2.header("location").contains("saved=duplicate"));
    assert_eq!(
        r2.header("location").split('?').next(),
        location.split('?').next()
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outing").await, 2);
    let page = app.get(&location).await;
    page.assert_status(200)
        .assert_contains("id=\"people-met\">5<")
        .assert_contains("Persona transgender")
        .assert_contains("EN,RO");
    app.get("/outreach").await.assert_contains("Cascine");
}

async fn bad_outings_are_refused_and_nothing_saved(db: TestDb) {
    let app = db.app().await;
    let u = unit(&app, "Strada Due", "PI").await;
    let other = unit(&app, "Strada Altra", "LU").await;
    app.sign_in(&u.operator).await;
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (
            outing(
                u.street,
                "bad-key-00000001",
                &[("ended_at", "2026-11-20T20:00")],
            ),
            "finire dopo l&#39;inizio",
        ),
        (
            outing(u.street, "bad-key-00000002", &[("gender_female", "3")]),
            "per genere non sommano",
        ),
        (
            outing(u.street, "bad-key-00000003", &[("age_unknown", "0")]),
            "per età apparente non sommano",
        ),
        (
            outing(u.street, "bad-key-00000004", &[("status_new", "4")]),
            "nuove e già conosciute non sommano",
        ),
        (
            outing(other.street, "bad-key-00000005", &[]),
            "Scegli un&#39;unità di strada",
        ),
        (
            outing(u.street, "bad-key-00000006", &[("people_met", "tanti")]),
            "numeri interi",
        ),
        (outing(u.street, "", &[]), "ricarica la pagina"),
        (
            outing(
                u.street,
                "bad-key-00000007",
                &[("codes", "A1, A2, A3, A4, A5, A6")],
            ),
            "più codici anonimi",
        ),
    ];
    for (fields, message) in &cases {
        app.post_form("/outreach/outings", &pairs(fields))
            .await
            .assert_status(422)
            .assert_contains(message);
    }
    // Several problems at once: all of them named, each beside its part of the form, and
    // everything typed kept (the save key too, so that the corrected outing is saved once).
    let many = outing(
        u.street,
        "bad-key-00000008",
        &[
            ("ended_at", "2026-11-20T20:00"),
            ("gender_female", "3"),
            ("codes", "A1, B 2!"),
            ("area", "Rotonda <Est>"),
        ],
    );
    let page = app.post_form("/outreach/outings", &pairs(&many)).await;
    page.assert_status(422)
        .assert_contains("id=\"outing-problems\"")
        .assert_contains("finire dopo l&#39;inizio")
        .assert_contains("per genere non sommano")
        .assert_contains("può contenere solo lettere")
        .assert_contains("href=\"#by-gender\"")
        .assert_contains("id=\"ended_at-error\"")
        .assert_contains("value=\"Rotonda &#60;Est&#62;\"")
        .assert_contains("value=\"bad-key-00000008\"")
        .assert_contains("value=\"ng\"")
        .assert_contains("A1, B 2!</textarea>");
    let r = send_json(&app, &many).await;
    r.assert_status(422)
        .assert_contains("\"field\":\"ended_at\"")
        .assert_contains("\"field\":\"by-gender\"")
        .assert_contains("\"field\":\"codes\"");
    // The outbox gets the same refusal as JSON, translated, with a reference.
    let r = send_json(&app, &cases[1].0).await;
    r.assert_status(422)
        .assert_contains("\"error\":\"outreach-error-tally-gender\"")
        .assert_contains("non sommano")
        .assert_contains("\"reference\"");
    for table in [
        "outing",
        "outing_count",
        "outreach_contact",
        "outreach_encounter",
    ] {
        assert_eq!(
            scalar(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
}

async fn anonymous_contacts_are_recognised_across_outings_and_linked_to_a_case(db: TestDb) {
    let app = db.app().await;
    let u = unit(&app, "Strada Tre", "FI").await;
    let worker = app.user("operatrice-tre", Role::CaseWorker, u.org).await;
    let elsewhere = app.organisation("Altra Associazione").await;
    let stranger = app
        .user("operatrice-altra", Role::CaseWorker, elsewhere)
        .await;
    app.sign_in(&u.operator).await;
    for (key, day) in [("night-one-000001", "20"), ("night-two-000002", "27")] {
        let start = format!("2026-11-{day}T21:00");
        let end = format!("2026-11-{day}T23:30");
        let fields = outing(
            u.street,
            key,
            &[
                ("codes", "luna-07\nSOLE-3"),
                ("started_at", &start),
                ("ended_at", &end),
            ],
        );
        app.post_form("/outreach/outings", &pairs(&fields))
            .await
            .assert_status(303);
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM outreach_contact").await,
        2
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM outreach_encounter WHERE new_contact = TRUE"
        )
        .await,
        2
    );
    let luna = scalar(
        &app,
        "SELECT id FROM outreach_contact WHERE code = 'LUNA-07'",
    )
    .await;
    let page = app.get(&format!("/outreach/contacts/{luna}")).await;
    page.assert_status(200).assert_contains("LUNA-07");
    let listed = page.body.matches("/outreach/outings/").count();
    assert_eq!(listed, 2, "both outings listed");

    // The person is later taken into care by the same organisation…
    let person = crate::support::Person::named("Persona Riservata")
        .born_about(2001)
        .from("NG");
    let (p, _) = app.open_case(u.org, worker.id, person.clone()).await;
    // …and by another organisation, whose case the unit cannot reach.
    let (p2, _) = app.open_case(elsewhere, stranger.id, person).await;
    let link = format!("/outreach/contacts/{luna}/link");
    app.post_form(&link, &[("person_code", "TOS-1999-99999")])
        .await
        .assert_status(422)
        .assert_contains("Nessuna presa in carico");
    app.post_form(&link, &[("person_code", &p2.code)])
        .await
        .assert_status(422);
    app.post_form(&link, &[("person_code", &p.code.to_lowercase())])
        .await
        .assert_status(303);
    app.get(&format!("/outreach/contacts/{luna}"))
        .await
        .assert_contains(&p.code);
    app.post_form(&link, &[("person_code", &p.code)])
        .await
        .assert_status(422)
        .assert_contains("già collegato");
    let audited = satis::platform::audit::search(
        &app.state.db,
        &satis::platform::audit::Filter {
            subject: Some(p.code.clone()),
            ..Default::default()
        },
        20,
    )
    .await
    .unwrap();
    assert!(audited.iter().any(|e| e.action == "outreach.contact_link"));
    // Another organisation's outreach operator sees neither the contact nor the outing.
    let other = unit(&app, "Strada Quattro", "FI").await;
    app.sign_in(&other.operator).await;
    app.get(&format!("/outreach/contacts/{luna}"))
        .await
        .assert_status(403);
    app.post_form(&link, &[("person_code", &p.code)])
        .await
        .assert_status(403);
}

async fn places_belong_to_the_unit_and_its_organisation(db: TestDb) {
    let app = db.app().await;
    let u = unit(&app, "Strada Cinque", "FI").await;
    let other = unit(&app, "Strada Sei", "FI").await;
    app.sign_in(&u.operator).await;
    app.post_form(
        "/outreach/places",
        &[
            ("service_id", &u.street.to_string()),
            ("name", "Viale dei Mille"),
        ],
    )
    .await
    .assert_status(303);
    app.post_form(
        "/outreach/places",
        &[
            ("service_id", &other.street.to_string()),
            ("name", "Altrove"),
        ],
    )
    .await
    .assert_status(422);
    let place = scalar(
        &app,
        "SELECT id FROM outreach_place WHERE name = 'Viale dei Mille'",
    )
    .await;
    app.get("/outreach/outings/new")
        .await
        .assert_contains("Viale dei Mille");
    // An observation at the place is kept with the outing; its note is encrypted.
    let fields = outing(
        u.street,
        "obs-key-00000001",
        &[
            ("places", &place.to_string()),
            ("obs_place", &place.to_string()),
            ("obs_people", "7"),
            ("obs_flags", "new_groups,control_signs"),
            ("obs_note", "gruppo nuovo sorvegliato da un'auto"),
        ],
    )
    .into_iter()
    .collect::<Vec<_>>();
    app.post_form("/outreach/outings", &pairs(&fields))
        .await
        .assert_status(303);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM place_observation WHERE control_signs = TRUE AND people_seen = 7"
        )
        .await,
        1
    );
    // Taken off the list: no longer offered for new outings, still shown on old ones.
    app.post_form(
        &format!("/outreach/places/{place}"),
        &[("name", "Viale dei Mille")],
    )
    .await
    .assert_status(303);
    let form = app.get("/outreach/outings/new").await;
    assert!(!form.body.contains("Viale dei Mille"));
    app.sign_in(&other.operator).await;
    app.post_form(&format!("/outreach/places/{place}"), &[("name", "Preso")])
        .await
        .assert_status(403);
}

async fn interviews_and_accompaniments_are_checked_and_saved_once(db: TestDb) {
    let app = db.app().await;
    let u = unit(&app, "Strada Sette", "FI").await;
    app.sign_in(&u.operator).await;
    let desk = u.desk.to_string();
    let interview = |day: &'static str, key: &'static str| {
        vec![
            ("service_id", desk.clone()),
            ("held_on", day.to_owned()),
            ("contact_code", "luna-07".to_owned()),
            ("language", "en".to_owned()),
            ("topics", "sti".to_owned()),
            ("topics", "documents".to_owned()),
            ("outcome", "accompaniment_arranged".to_owned()),
            ("idempotency_key", key.to_owned()),
        ]
    };
    let to_pairs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    app.post_form(
        "/outreach/interviews",
        &pairs(&to_pairs(&interview("2999-01-01", "intv-key-0001"))),
    )
    .await
    .assert_status(422)
    .assert_contains("La data del colloquio manca o non è valida");
    let mut wrong_desk = interview("2026-11-20", "intv-key-0002");
    wrong_desk[0].1 = u.street.to_string();
    app.post_form("/outreach/interviews", &pairs(&wrong_desk))
        .await
        .assert_status(422)
        .assert_contains("sportello");
    // Three things wrong at once: each beside its field, what was typed kept, the form's key
    // kept so that the corrected form still saves once.
    let mut several = interview("2026-11-20", "intv-key-0009");
    several[0].1 = u.street.to_string();
    several[3].1 = "ENG".to_owned();
    several.push(("person_code", "TOS-2026-99999".to_owned()));
    app.post_form("/outreach/interviews", &pairs(&several))
        .await
        .assert_status(422)
        .assert_contains("id=\"interview-problems\"")
        .assert_contains("id=\"i-service_id-error\"")
        .assert_contains("id=\"i-language-error\"")
        .assert_contains("id=\"i-person_code-error\"")
        .assert_contains("value=\"ENG\"")
        .assert_contains("value=\"luna-07\"")
        .assert_contains("value=\"intv-key-0009\"")
        .assert_contains("value=\"sti\" checked");
    let good = interview("2026-11-20", "intv-key-0003");
    app.post_form("/outreach/interviews", &pairs(&good))
        .await
        .assert_status(303);
    let again = app.post_form("/outreach/interviews", &pairs(&good)).await;
    assert!(again.header("location").contains("saved=duplicate"));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM drop_in_interview").await,
        1
    );
    // An interview with a person the organisation has a case for, instead of a code.
    let worker = app.user("operatrice-sette", Role::CaseWorker, u.org).await;
    let (p, case) = app
        .open_case(
            u.org,
            worker.id,
            crate::support::Person::named("Persona Sette").gender("male"),
        )
        .await;
    let with_person = |code: &str, key: &'static str| {
        vec![
            ("service_id", desk.clone()),
            ("held_on", "2026-11-21".to_owned()),
            ("person_code", code.to_owned()),
            ("outcome", "follow_up".to_owned()),
            ("idempotency_key", key.to_owned()),
        ]
    };
    app.post_form(
        "/outreach/interviews",
        &pairs(&with_person("TOS-1999-00001", "intv-key-0004")),
    )
    .await
    .assert_status(422)
    .assert_contains("Nessuna presa in carico");
    app.post_form(
        "/outreach/interviews",
        &pairs(&with_person(&p.code, "intv-key-0005")),
    )
    .await
    .assert_status(303);
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM drop_in_interview WHERE case_id = {}",
                case.id
            )
        )
        .await,
        1
    );
    app.get("/outreach?saved=duplicate")
        .await
        .assert_contains("non è stato registrato due volte")
        .assert_contains("LUNA-07");
    let acc = |key: &'static str, service: &'static str| {
        vec![
            ("happened_on", "2026-11-21".to_owned()),
            ("contact_code", "LUNA-07".to_owned()),
            ("service_kind", service.to_owned()),
            ("outcome", "done".to_owned()),
            ("source", "drop_in".to_owned()),
            ("idempotency_key", key.to_owned()),
        ]
    };
    app.post_form(
        "/outreach/accompaniments",
        &pairs(&acc("acc-key-00001", "spa")),
    )
    .await
    .assert_status(422);
    app.post_form(
        "/outreach/accompaniments",
        &pairs(&acc("acc-key-00002", "health")),
    )
    .await
    .assert_status(303);
    app.post_form(
        "/outreach/accompaniments",
        &pairs(&acc("acc-key-00002", "health")),
    )
    .await
    .assert_status(303);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM accompaniment").await, 1);
    // The interview and the accompaniment found the same anonymous contact.
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM outreach_contact").await,
        1
    );
}

async fn the_period_report_counts_contacts_interviews_and_accompaniments(db: TestDb) {
    let app = db.app().await;
    let fi = unit(&app, "Strada Otto", "FI").await;
    let pi = unit(&app, "Strada Nove", "PI").await;
    let coordinator = app
        .user("coordinamento-otto", Role::TerritorialCoordinator, fi.org)
        .await;
    let analyst = app
        .user("analista-otto", Role::RegionalAnalyst, fi.org)
        .await;
    app.sign_in(&fi.operator).await;
    // Two outings in November (5 + 5 people, codes A and B then A again), one in October.
    for (key, start, end, codes) in [
        (
            "rep-key-000001",
            "2026-11-03T21:00",
            "2026-11-03T23:00",
            "A-1, B-2",
        ),
        (
            "rep-key-000002",
            "2026-11-10T21:00",
            "2026-11-10T23:00",
            "A-1",
        ),
        (
            "rep-key-000003",
            "2026-10-10T21:00",
            "2026-10-10T23:00",
            "C-3",
        ),
    ] {
        let f = outing(
            fi.street,
            key,
            &[("started_at", start), ("ended_at", end), ("codes", codes)],
        );
        app.post_form("/outreach/outings", &pairs(&f))
            .await
            .assert_status(303);
    }
    for (key, day) in [
        ("rep-int-000001", "2026-11-04"),
        ("rep-int-000002", "2026-11-05"),
    ] {
        app.post_form(
            "/outreach/interviews",
            &[
                ("service_id", &fi.desk.to_string()),
                ("held_on", day),
                ("outcome", "information_given"),
                ("idempotency_key", key),
            ],
        )
        .await
        .assert_status(303);
    }
    app.post_form(
        "/outreach/accompaniments",
        &[
            ("happened_on", "2026-11-06"),
            ("service_kind", "health"),
            ("outcome", "done"),
            ("source", "street_unit"),
            ("idempotency_key", "rep-acc-000001"),
        ],
    )
    .await
    .assert_status(303);
    // Pisa's unit: one outing in November, outside a Florence-only report.
    app.sign_in(&pi.operator).await;
    let f = outing(
        pi.street,
        "rep-key-000004",
        &[
            ("started_at", "2026-11-12T21:00"),
            ("ended_at", "2026-11-12T23:00"),
        ],
    );
    app.post_form("/outreach/outings", &pairs(&f))
        .await
        .assert_status(303);

    app.sign_in(&coordinator).await;
    let q = "from=2026-11-01&to=2026-11-30&province=FI";
    let page = app.get(&format!("/outreach/report?{q}")).await;
    page.assert_status(200)
        .assert_contains("id=\"fig-outings\">2<")
        .assert_contains("id=\"fig-people-met\">10<")
        .assert_contains("id=\"fig-new\">4<")
        .assert_contains("id=\"fig-known\">6<")
        .assert_contains("id=\"fig-individual\">2<")
        .assert_contains("id=\"fig-interviews\">2<")
        .assert_contains("id=\"fig-accompaniments\">1<");
    let csv = app.get(&format!("/outreach/report.csv?{q}")).await;
    // In Italian, as on the page, with the code beside each value and no comment line.
    csv.assert_status(200)
        .assert_contains("Dal,Al,Indicatore,Dettaglio,Valore,Codice,Numero\n")
        .assert_contains(
            "2026-11-01,2026-11-30,Contatti su strada (persone incontrate),Totale,,,10",
        )
        .assert_contains("Suddivisione,Per genere,Donna,female,8")
        .assert_contains("Suddivisione,Per nazionalità,NG,NG,6")
        .assert_contains("Suddivisione,Materiali distribuiti,Preservativi,condoms,120");
    assert!(!csv.body.starts_with('#'), "no comment line");
    // The whole region: the Pisa outing too.
    app.get("/outreach/report?from=2026-11-01&to=2026-11-30")
        .await
        .assert_contains("id=\"fig-people-met\">15<");
    // One unit only.
    app.get(&format!(
        "/outreach/report?from=2026-11-01&to=2026-11-30&unit={}",
        pi.street
    ))
    .await
    .assert_contains("id=\"fig-outings\">1<");
    // Bad input: a clear message.
    app.get("/outreach/report?from=2026-11-30&to=2026-11-01")
        .await
        .assert_status(422)
        .assert_contains("finire dopo l&#39;inizio");
    app.get("/outreach/report?unit=99999")
        .await
        .assert_status(422);
    app.get("/outreach/report?province=XX")
        .await
        .assert_status(422);
    // The network's activity report counts the same street contacts and interviews.
    app.sign_in(&analyst).await;
    let csv = app
        .get("/stats/activity.csv?from=2026-11-01&to=2026-11-30")
        .await;
    csv.assert_contains("Contatti delle unità di strada,Totale,,,15")
        .assert_contains("Contatti delle unità di strada,Provincia,Firenze,FI,10")
        .assert_contains("Colloqui agli sportelli (drop-in),Totale,,,<5");
}

/// Migration 0010 moves accompaniments that case workers recorded as case events into the one
/// accompaniment record type: an upgrade loses none and counts none twice.
async fn accompaniments_recorded_before_the_outreach_area_are_kept_and_counted_once(db: TestDb) {
    use sea_orm_migration::MigratorTrait;
    let conn = satis::platform::db::connect(&db.url).await.unwrap();
    satis::platform::migrations::Migrator::up(&conn, Some(9))
        .await
        .unwrap();
    // Read with SQL: today's organisation entity has columns migration 9 does not.
    let id = |n: i64| i32::try_from(n).unwrap();
    let org = id(crate::support::scalar_on(
        &conn,
        "SELECT id FROM organisation WHERE name = 'CAT Coop. sociale Onlus'",
    )
    .await);
    let keys = satis::platform::crypto::KeyRing::generate();
    // The person and the case as the schema of migration 9 holds them (today's store writes
    // columns that schema does not have yet).
    let insert = |sql: String| {
        let conn = conn.clone();
        async move { id(crate::support::scalar_on(&conn, &sql).await) }
    };
    let person_id = insert(format!(
        "INSERT INTO person (code, gender, birth_year_estimated, presumed_minor, nationalities, \
         languages, vulnerabilities, created_by_org, created_at) VALUES ('TOS-2026-00001', \
         'female', FALSE, FALSE, '', '', '', {org}, CURRENT_TIMESTAMP) RETURNING id"
    ))
    .await;
    let case_id = insert(format!(
        "INSERT INTO case_file (person_id, owner_org, phase, exploitation_forms, \
         means_of_control, recruitment, route, transit_countries, places, opened_at, \
         last_activity_at, version) VALUES ({person_id}, {org}, 'emersion', '', '', '', '', '', \
         '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1) RETURNING id"
    ))
    .await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
    for kind in ["accompaniment", "accompaniment", "follow_up"] {
        satis::cases::store::add_event(&conn, &keys, case_id, kind, day, "ASL", 1)
            .await
            .unwrap();
    }
    satis::platform::db::migrate(&conn).await.unwrap();
    let rows = satis::outreach::store::accompaniments_of_case(&conn, case_id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|a| a.source == "case" && a.happened_on == day && a.organisation_id == org)
    );
    assert_ne!(rows[0].idempotency_key, rows[1].idempotency_key);
}
