//! The hidden-population estimate from SATIS's own records (issue 26): linkage keys written
//! with every identity and following its corrections, people recorded by several bodies linked
//! without their names, their lists from the records, and the analyst's page.

use chrono::Duration;
use satis::cases::store::{Identity, NewPerson, open_case};
use satis::platform::policy::Role;
use satis::stats::estimate;
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, TestDb, scalar};

crate::tests![
    people_recorded_by_several_bodies_are_linked_by_keys_and_estimated,
    a_reviewer_who_reads_both_sides_links_or_separates_and_the_estimate_follows,
    the_analyst_types_a_period_and_reads_an_estimate_with_its_caveats,
];

fn person(year: Option<i32>, nationality: &str) -> NewPerson {
    NewPerson {
        gender: "female".into(),
        birth_year: year,
        birth_year_estimated: true,
        presumed_minor: false,
        nationalities: vec![nationality.into()],
        languages: vec![],
        vulnerabilities: String::new(),
    }
}

async fn org(app: &TestApp, name: &str) -> i32 {
    satis::identity::store::organisation_by_name(&app.state.db, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} is in the network's register"))
        .id
}

/// Records `names` (as this body writes them) at `org`, opened `days` ago.
async fn record(app: &TestApp, org: i32, names: &str, year: Option<i32>, nat: &str, days: i64) {
    let name = format!("u{org}");
    let by = match satis::identity::store::user_by_username(&app.state.db, &name)
        .await
        .unwrap()
    {
        Some(u) => u.id,
        None => app.user(&name, Role::CaseWorker, org).await.id,
    };
    open_case(
        &app.state.db,
        &app.state.keys,
        &person(year, nat),
        &Identity {
            names: names.into(),
            ..Default::default()
        },
        org,
        by,
        satis::platform::time::rome_today() - Duration::days(days),
    )
    .await
    .unwrap();
}

/// Four bodies of the register, each a list: an NGO, social services, health, justice.
async fn bodies(app: &TestApp) -> [i32; 4] {
    [
        org(app, "Arnera Coop. Sociale").await,
        org(app, "SdS Zona Pisana").await,
        org(app, "Azienda USL Toscana Centro").await,
        org(app, "Procura della Repubblica presso il Tribunale di Pisa").await,
    ]
}

async fn people_recorded_by_several_bodies_are_linked_by_keys_and_estimated(db: TestDb) {
    let app = db.app().await;
    let [ngo, social, health, justice] = bodies(&app).await;
    // Blessing is known to three bodies, each writing her name its own way; Ioana to two.
    record(&app, ngo, "Blessing Osagie", Some(1998), "NG", 30).await;
    record(&app, social, "Osagie Blessing", Some(1998), "NG", 20).await;
    record(&app, health, "Blessing Ossagie", None, "NG", 10).await;
    record(&app, ngo, "Ioana Popescu", Some(2001), "RO", 40).await;
    record(&app, justice, "Ioana Popesu", Some(2001), "RO", 5).await;
    // A namesake of another origin and age is another person.
    record(&app, justice, "Blessing Okafor", Some(1979), "NG", 15).await;

    // Every person has a key, made under the current linkage secret, holding no name.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person_linkage").await, 6);
    let tag = app.state.keys.linkage_tag();
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM person_linkage WHERE secret_tag = '{tag}'"),
        )
        .await,
        6
    );
    // Keys of the first layout were tagged by the secret alone: the tag now also names the
    // layout, so such keys are not current and are made again at the next start.
    let first_layout =
        satis::platform::crypto::sha256_hex(&app.state.keys.linkage_secret())[..16].to_owned();
    assert_ne!(tag, first_layout);
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE person_linkage SET secret_tag = '{first_layout}' WHERE person_id = 1"
        ))
        .await
        .unwrap();
    let remade = satis::cases::reencode_linkage_keys(&app.state.db, &app.state.keys)
        .await
        .unwrap();
    assert_eq!(remade, 1, "only the key of the first layout is made again");
    let keys = satis::cases::linkage_keys_of(&app.state.db, &[1, 2, 3, 4, 5, 6])
        .await
        .unwrap();
    for (_, k) in &keys {
        let bytes = k.to_bytes();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("Osagie"),
            "a key holds no name"
        );
    }

    let today = satis::platform::time::rome_today();
    let (people, linking) = estimate::people(
        &app.state.db,
        &app.state.keys,
        today - Duration::days(365),
        today,
        estimate::THRESHOLD,
    )
    .await
    .unwrap();
    assert_eq!(linking.records, 6);
    assert_eq!(linking.people, 3, "{linking:?}");
    assert_eq!(linking.linked, 3);
    let mut lists: Vec<Vec<&str>> = people
        .iter()
        .map(|p| {
            estimate::LISTS
                .iter()
                .enumerate()
                .filter(|(i, _)| p.lists & (1 << i) != 0)
                .map(|(_, l)| *l)
                .collect()
        })
        .collect();
    lists.sort();
    assert_eq!(
        lists,
        vec![
            vec!["justice"],
            vec!["ngo", "justice"],
            vec!["ngo", "social_services", "health"],
        ]
    );
    // A case opened after the period, or closed before it, is not on its lists.
    let (people, _) = estimate::people(
        &app.state.db,
        &app.state.keys,
        today - Duration::days(365),
        today - Duration::days(25),
        estimate::THRESHOLD,
    )
    .await
    .unwrap();
    assert_eq!(people.len(), 2, "Blessing (NGO) and Ioana (NGO) only");

    // The estimate from the records: one group, its overlap table of people.
    let result = estimate::from_records(
        &app.state.db,
        &app.state.keys,
        (today - Duration::days(365), today),
        None,
        satis::stats::mse::Criterion::StepwiseAic { p_threshold: 0.05 },
        0,
        1,
    )
    .await
    .unwrap();
    assert_eq!(result["linking"]["people"], 3);
    assert_eq!(result["groups"][0]["observed"], 3);
    assert!(result["groups"][0]["overlap"].is_array());

    // Rotating the keys brings a new linkage secret: every key is made again under it (from
    // the identities), none is left under the old one, and the same people are found.
    let mut rotated = app.state.keys.clone();
    rotated.add_key();
    assert_ne!(rotated.linkage_tag(), tag);
    let made = satis::cases::reencode_linkage_keys(&app.state.db, &rotated)
        .await
        .unwrap();
    assert_eq!(made, 6);
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM person_linkage WHERE secret_tag = '{tag}'"),
        )
        .await,
        0
    );
    let again = satis::cases::linkage_keys_of(&app.state.db, &[1])
        .await
        .unwrap();
    assert_ne!(again[0].1, keys.iter().find(|(p, _)| *p == 1).unwrap().1);
    // Compared under the new secret (a restarted server's), the same people are found.
    let (_, linking) = estimate::people(
        &app.state.db,
        &rotated,
        today - Duration::days(365),
        today,
        estimate::THRESHOLD,
    )
    .await
    .unwrap();
    assert_eq!(linking.people, 3);
    // Nothing left to make: a second pass makes none.
    assert_eq!(
        satis::cases::reencode_linkage_keys(&app.state.db, &rotated)
            .await
            .unwrap(),
        0
    );
}

async fn the_analyst_types_a_period_and_reads_an_estimate_with_its_caveats(db: TestDb) {
    let app = db.app().await;
    let [ngo, social, health, justice] = bodies(&app).await;
    // Sixty people, each on the lists their number says: overlaps of every kind.
    const GIVEN: [&str; 12] = [
        "Blessing", "Ioana", "Arta", "Fatima", "Mei", "Juliana", "Esther", "Elena", "Drita",
        "Samira", "Osas", "Adaeze",
    ];
    const FAMILY: [&str; 5] = ["Okafor", "Popescu", "Hoxha", "El Amrani", "Zhang"];
    for i in 0..60usize {
        let names = format!("{} {}", GIVEN[i % 12], FAMILY[i / 12]);
        let on: Vec<i32> = [ngo, social, health, justice]
            .into_iter()
            .enumerate()
            .filter(|(j, _)| (i + j) % 3 != 0 || (i * (j + 1)) % 5 == 0)
            .map(|(_, o)| o)
            .collect();
        for o in on {
            record(&app, o, &names, Some(1970 + i as i32 % 30), "NG", 50).await;
        }
    }
    let analyst_org = org(&app, "SdS Zona Pisana").await;
    let analyst = app
        .user("analista", Role::RegionalAnalyst, analyst_org)
        .await;
    app.sign_in(&analyst).await;
    app.get("/stats/activity")
        .await
        .assert_contains("href=\"/stats/estimate\"");
    // The form only, until a period is typed: dates are never defaulted.
    app.get("/stats/estimate")
        .await
        .assert_status(200)
        .assert_contains("Calcola la stima")
        .assert_not_contains("Stima del totale:");
    app.get("/stats/estimate?from=2026-06-30&to=2026-01-01")
        .await
        .assert_status(422)
        .assert_contains("viene prima del primo");
    app.get("/stats/estimate?from=2026-01-01&to=2999-01-01")
        .await
        .assert_status(422)
        .assert_contains("futuro");
    let today = satis::platform::time::rome_today();
    let from = today - Duration::days(365);
    let r = app
        .get(&format!("/stats/estimate?from={from}&to={today}"))
        .await;
    r.assert_status(200)
        .assert_contains("Stima del totale")
        .assert_contains("intervallo al 95%")
        .assert_contains("Privato sociale + Servizi sociali")
        .assert_contains("Popolazione chiusa")
        .assert_contains("Errori di collegamento")
        .assert_not_contains("social_services");
    assert!(r.body.contains("id=\"linking-people\">60<"), "sixty people");
    // The bootstrap's interval beside the profile likelihood's, around the point estimate.
    let number_after = |marker: &str| -> i64 {
        let at = r.body.find(marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len();
        r.body[at..]
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    r.assert_contains("bootstrap parametrico (200 estrazioni");
    let total = number_after("class=\"estimate-total\">");
    let low = number_after(
        "con il bootstrap parametrico (200 estrazioni dal modello scelto, con la scelta del modello ripetuta ogni volta: tiene conto anche dell&#39;incertezza sul modello):",
    );
    let high = {
        let at = r.body.find("id=\"bootstrap-1\"").unwrap();
        let line = &r.body[at..at + r.body[at..].find("</p>").unwrap()];
        line.rsplit("– ")
            .next()
            .unwrap()
            .trim()
            .parse::<i64>()
            .unwrap()
    };
    assert!(low <= total && total <= high, "{low} ≤ {total} ≤ {high}");
    // By gender: one group, everyone a woman, named in words.
    app.get(&format!("/stats/estimate?from={from}&to={today}&by=gender"))
        .await
        .assert_status(200)
        .assert_contains("<h2>Donna</h2>")
        .assert_contains("Stima del totale");
    // A case worker does not see it.
    let worker = app.user("operatrice", Role::CaseWorker, ngo).await;
    app.sign_in(&worker).await;
    app.get(&format!("/stats/estimate?from={from}&to={today}"))
        .await
        .assert_status(403);
}

/// Records a person at `org` by its case worker `by`; the case's id.
async fn case_of(app: &TestApp, org: i32, by: i32, names: &str, year: Option<i32>) -> i32 {
    let (_, c) = open_case(
        &app.state.db,
        &app.state.keys,
        &person(year, "NG"),
        &Identity {
            names: names.into(),
            ..Default::default()
        },
        org,
        by,
        satis::platform::time::rome_today() - Duration::days(3),
    )
    .await
    .unwrap();
    c.id
}

fn form_value(body: &str, marker: &str) -> Vec<String> {
    body.match_indices(marker)
        .map(|(at, _)| {
            body[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .collect()
}

async fn a_reviewer_who_reads_both_sides_links_or_separates_and_the_estimate_follows(db: TestDb) {
    let app = db.app().await;
    let [ngo, social, health, _] = bodies(&app).await;
    let worker = app.user("arnera", Role::CaseWorker, ngo).await;
    let colleague = app.user("sds", Role::CaseWorker, social).await;
    let outsider = app.user("usl", Role::CaseWorker, health).await;
    let analyst = app.user("analista", Role::RegionalAnalyst, social).await;
    let mine = case_of(&app, ngo, worker.id, "Blessing Osagie", Some(1998)).await;
    let theirs = case_of(&app, social, colleague.id, "Osagie Blesing", Some(1998)).await;
    // Another pair alike enough to be offered, that the reviewer will tell apart.
    let joy = case_of(&app, ngo, worker.id, "Joy Edosa", Some(1995)).await;
    let joy2 = case_of(&app, social, colleague.id, "Joy Edosa", Some(1995)).await;
    // A pair nobody may see both sides of: left to the threshold.
    case_of(&app, health, outsider.id, "Ioana Popescu", Some(2001)).await;
    case_of(&app, social, colleague.id, "Ioana Popescu", Some(2001)).await;

    // Before the social services share anything, the NGO's worker sees no pair.
    app.session_for(worker.id, Some(ngo)).await;
    app.get("/cases/collegamenti")
        .await
        .assert_status(200)
        .assert_contains("Nessuna coppia da decidere");
    // Shared with the NGO (as an accepted referral does): both sides readable, pairs offered
    // with both names, each read of an identity audited.
    satis::cases::store::share(&app.state.db, theirs, ngo)
        .await
        .unwrap();
    satis::cases::store::share(&app.state.db, joy2, ngo)
        .await
        .unwrap();
    let reads = "SELECT COUNT(*) FROM audit_event WHERE action = 'case.identity.read'";
    let before = scalar(&app, reads).await;
    let page = app.get("/cases/collegamenti").await;
    page.assert_status(200)
        .assert_contains("Blessing Osagie")
        .assert_contains("Osagie Blesing")
        .assert_contains("Joy Edosa")
        .assert_contains("SdS Zona Pisana")
        .assert_not_contains("Ioana Popescu");
    assert_eq!(
        scalar(&app, reads).await - before,
        4,
        "four identities shown, four reads"
    );
    // Another body's worker, an analyst: not theirs to see.
    app.session_for(outsider.id, Some(health)).await;
    app.get("/cases/collegamenti")
        .await
        .assert_not_contains("Blessing");
    app.session_for(analyst.id, Some(social)).await;
    app.get("/cases/collegamenti").await.assert_status(403);
    app.post_form(
        "/cases/collegamenti",
        &[
            ("case_a", &mine.to_string()),
            ("case_b", &theirs.to_string()),
            ("verdict", "same"),
        ],
    )
    .await
    .assert_status(403);

    // Nothing links by the threshold here (above any similarity): only decisions do.
    let today = satis::platform::time::rome_today();
    let count = |app: &TestApp, threshold: f64| {
        let db = app.state.db.clone();
        let keys = app.state.keys.clone();
        async move {
            estimate::people(&db, &keys, today - Duration::days(30), today, threshold)
                .await
                .unwrap()
                .1
                .people
        }
    };
    assert_eq!(count(&app, 1.01).await, 6);
    assert_eq!(
        count(&app, 0.5).await,
        3,
        "a loose threshold joins the three pairs"
    );

    app.session_for(worker.id, Some(ngo)).await;
    app.post_form(
        "/cases/collegamenti",
        &[
            ("case_a", &theirs.to_string()),
            ("case_b", &mine.to_string()),
            ("verdict", "same"),
        ],
    )
    .await
    .assert_status(303);
    app.post_form(
        "/cases/collegamenti",
        &[
            ("case_a", &joy.to_string()),
            ("case_b", &joy2.to_string()),
            ("verdict", "different"),
        ],
    )
    .await
    .assert_status(303);
    // The same pair again (a colleague's tab): refused, nothing written twice.
    app.post_form(
        "/cases/collegamenti",
        &[
            ("case_a", &mine.to_string()),
            ("case_b", &theirs.to_string()),
            ("verdict", "different"),
        ],
    )
    .await
    .assert_status(409)
    .assert_contains("già stata decisa");
    // Two records of one body are never offered nor linked.
    app.post_form(
        "/cases/collegamenti",
        &[
            ("case_a", &mine.to_string()),
            ("case_b", &joy.to_string()),
            ("verdict", "same"),
        ],
    )
    .await
    .assert_status(409)
    .assert_contains("stesso ente");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person_link").await, 2);
    let page = app.get("/cases/collegamenti").await;
    page.assert_contains("Nessuna coppia da decidere")
        .assert_contains("Persone diverse");

    // The estimate follows: Blessing is one person whatever the threshold; the two Joys stay
    // two even under a loose threshold; the pair nobody reviewed follows the threshold.
    assert_eq!(count(&app, 1.01).await, 5);
    assert_eq!(count(&app, 0.5).await, 4);
    // Nothing was merged: six person records, as written.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM person").await, 6);

    // Undone: Blessing's pair is back in the queue and the threshold decides again.
    let ids = form_value(&page.body, "/cases/collegamenti/");
    let versions = form_value(&page.body, "name=\"version\" value=\"");
    let link = {
        let same = scalar(&app, "SELECT id FROM person_link WHERE decision = 'same'")
            .await
            .to_string();
        let i = ids.iter().position(|x| *x == same).unwrap();
        (same, versions[i].clone())
    };
    app.post_form(
        &format!("/cases/collegamenti/{}/annulla", link.0),
        &[("version", &link.1)],
    )
    .await
    .assert_status(303);
    app.get("/cases/collegamenti")
        .await
        .assert_contains("Osagie Blesing")
        .assert_contains("annullata");
    assert_eq!(count(&app, 1.01).await, 6);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('link.same', 'link.different', 'link.undo')"
        )
        .await,
        3
    );
}
