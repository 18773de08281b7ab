//! The network registry as the public, coordinators, administrators and the hotline meet it.

use satis::platform::migrations::network_seed as seed;
use satis::platform::policy::Role;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, TestDb};

crate::tests![
    public_page_shows_the_whole_seed_network,
    coordinator_records_meetings_for_own_province_only,
    bad_network_input_is_refused_and_nothing_saved,
    shelter_addresses_are_secret_encrypted_and_audited,
    changes_are_kept_in_the_organisation_history,
    beds_are_updated_within_the_province_and_never_negative,
    a_coordinator_gives_roles_only_to_organisations_of_their_province,
];

/// The check used to look at the role's province only: a coordinator of Florence could give
/// an organisation of Pisa a role "in Florence", or end one of its roles.
async fn a_coordinator_gives_roles_only_to_organisations_of_their_province(db: TestDb) {
    let app = db.app().await;
    let firenze = app.seed_org("Comune di Firenze").await;
    let pisa = app.seed_org("SdS Zona Pisana").await;
    let coordinator = app
        .user("coord-fi", Role::TerritorialCoordinator, firenze)
        .await;
    app.sign_in(&coordinator).await;
    let before = count(&app, "governance_role").await;
    app.post_form(
        &format!("/network/organisations/{}/roles", pisa),
        &[
            ("kind", "local_network"),
            ("province", "FI"),
            ("since", "2026-01-01"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("solo ciò che riguarda la tua provincia");
    assert_eq!(count(&app, "governance_role").await, before);
    // Its own province's organisation: allowed.
    app.post_form(
        &format!("/network/organisations/{}/roles", firenze),
        &[
            ("kind", "local_network"),
            ("province", "FI"),
            ("since", "2026-01-01"),
        ],
    )
    .await
    .assert_status(303);
    // Nor can it end a role held by Pisa's organisation, even one placed in Florence.
    let pisa_role = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            format!(
                "INSERT INTO governance_role (organisation_id, kind, province, since) \
                 VALUES ({}, 'local_network', 'FI', '2026-01-01') RETURNING id",
                pisa
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i32>(0)
        .unwrap();
    app.post_form(
        &format!("/network/roles/{pisa_role}/end"),
        &[("until", "2026-06-30")],
    )
    .await
    .assert_status(403);
    // Its own role ends on the day entered, not on the day it is typed: not before it began,
    // not without a day.
    let own: i32 = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            format!(
                "SELECT id FROM governance_role WHERE organisation_id = {firenze} \
                 AND since = '2026-01-01' AND until IS NULL ORDER BY id DESC"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i32>(0)
        .unwrap();
    let end = format!("/network/roles/{own}/end");
    for until in ["", "2025-12-31"] {
        app.post_form(&end, &[("until", until)])
            .await
            .assert_status(422);
    }
    app.post_form(&end, &[("until", "2026-06-30")])
        .await
        .assert_status(303);
    let ended = satis::network::store::roles_of(&app.state.db, firenze)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == own)
        .unwrap();
    assert_eq!(ended.until, chrono::NaiveDate::from_ymd_opt(2026, 6, 30));
    app.get(&format!("/network/organisations/{firenze}"))
        .await
        .assert_contains("2026-06-30");
}

async fn beds_are_updated_within_the_province_and_never_negative(db: TestDb) {
    let app = db.app().await;
    let firenze = satis::identity::store::organisation_by_name(&app.state.db, "Comune di Firenze")
        .await
        .unwrap()
        .unwrap();
    let pisa = satis::identity::store::organisation_by_name(&app.state.db, "SdS Zona Pisana")
        .await
        .unwrap()
        .unwrap();
    let service = satis::network::store::add_service(
        &app.state.db,
        firenze.id,
        "shelter",
        "Casa Fiorentina",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[("women", 5)],
    )
    .await
    .unwrap();
    let path = format!("/network/services/{}", service.id);
    let other = app
        .user("coord-pi", Role::TerritorialCoordinator, pisa.id)
        .await;
    app.sign_in(&other).await;
    app.get(&path).await.assert_status(403);
    app.post_form(&path, &[("beds_women", "9"), ("active", "1")])
        .await
        .assert_status(403);

    let own = app
        .user("coord-fi", Role::TerritorialCoordinator, firenze.id)
        .await;
    app.sign_in(&own).await;
    app.get(&path)
        .await
        .assert_status(200)
        .assert_contains("value=\"5\"");
    app.post_form(&path, &[("beds_women", "-3"), ("active", "1")])
        .await
        .assert_status(422)
        .assert_contains("non può essere negativo");
    app.get("/network/services")
        .await
        .assert_contains("Donne: 5/5");
    app.post_form(
        &path,
        &[
            ("beds_women", "3"),
            ("beds_transgender", "1"),
            ("hours", "sempre"),
            ("active", "1"),
        ],
    )
    .await
    .assert_status(303);
    app.get("/network/services")
        .await
        .assert_contains("Donne: 3/3")
        .assert_contains("Persone transgender: 1/1");
    app.get(&format!("/network/organisations/{}", firenze.id))
        .await
        .assert_contains("service.update");
    // A service closed for now no longer counts in the free beds of the network.
    app.post_form(&path, &[("beds_women", "3")])
        .await
        .assert_status(303);
    app.get("/network/services")
        .await
        .assert_contains("Posti letto liberi nella rete: 0");
}

fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn public_page_shows_the_whole_seed_network(db: TestDb) {
    let app = db.app().await;
    let page = app.get("/rete").await;
    page.assert_status(200)
        .assert_contains("La rete in Toscana")
        .assert_contains("800 290 290");
    for (code, coordinator, local, private) in seed::PROVINCES {
        let start = page
            .body
            .find(&format!("id=\"provincia-{code}\""))
            .unwrap_or_else(|| panic!("{code} missing"));
        let section = &page.body[start..start + page.body[start..].find("</section>").unwrap()];
        if coordinator.is_empty() {
            assert!(
                section.contains("non è attivo al momento un partenariato"),
                "{code}"
            );
            assert!(
                section.contains("800 600 500"),
                "{code} points to the regional hotline"
            );
            continue;
        }
        for name in std::iter::once(coordinator)
            .chain(local.iter())
            .chain(private.iter())
        {
            assert!(section.contains(&escaped(name)), "{code} lacks {name}");
        }
    }
    for (org, _) in seed::REGIONAL_ROLES {
        page.assert_contains(&escaped(org));
    }
    // The English page too, without signing in.
    app.get_with("/rete", &[("accept-language", "en")])
        .await
        .assert_status(200)
        .assert_contains("The network in Tuscany")
        .assert_contains("No partnership is active in this province");
}

async fn meeting_fields<'a>(
    convener: &'a str,
    invited: &'a str,
    province: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("province", province),
        ("convener_id", convener),
        ("held_on", "2026-10-15"),
        (
            "agenda",
            "Casi emersi nel trimestre; protocollo con la Questura",
        ),
        ("minutes", "Presenti i referenti; discussione dei casi."),
        ("decisions", "Nuovo incontro a gennaio."),
        ("invited", invited),
        ("present", invited),
    ]
}

async fn coordinator_records_meetings_for_own_province_only(db: TestDb) {
    let app = db.app().await;
    let firenze = satis::identity::store::organisation_by_name(&app.state.db, "Comune di Firenze")
        .await
        .unwrap()
        .unwrap();
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap();
    let coordinator = app
        .user("coord-fi", Role::TerritorialCoordinator, firenze.id)
        .await;
    app.sign_in(&coordinator).await;
    let convener = firenze.id.to_string();
    let invited = arcobaleno.id.to_string();

    // The form offers only the coordinator's province.
    let page = app.get("/network/meetings").await;
    page.assert_status(200)
        .assert_contains("<option value=\"FI\">");
    assert!(!page.body.contains("<select id=\"province\" name=\"province\"><option value=\"FI\"></option><option value=\"PI\">"));

    let mut fields = meeting_fields(&convener, &invited, "FI").await;
    app.post_form("/network/meetings", &fields)
        .await
        .assert_status(303);
    let list = app.get("/network/meetings?province=FI").await;
    list.assert_contains("Casi emersi nel trimestre")
        .assert_contains("Associazione Progetto Arcobaleno");
    assert_eq!(count(&app, "network_meeting").await, 1);

    // Another province: refused, nothing saved.
    fields[0] = ("province", "PI");
    app.post_form("/network/meetings", &fields)
        .await
        .assert_status(422)
        .assert_contains("solo ciò che riguarda la tua provincia");
    // No convener: refused, nothing saved.
    let mut no_convener = meeting_fields("", &invited, "FI").await;
    no_convener.retain(|(k, _)| *k != "convener_id");
    app.post_form("/network/meetings", &no_convener)
        .await
        .assert_status(422)
        .assert_contains("ente che convoca");
    assert_eq!(count(&app, "network_meeting").await, 1);
    assert!(
        app.get("/network/meetings?province=PI")
            .await
            .body
            .contains("Nessun incontro registrato")
    );

    // An administrator records for any province; a case worker for none.
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    app.sign_in(&admin).await;
    fields[0] = ("province", "PI");
    app.post_form("/network/meetings", &fields)
        .await
        .assert_status(303);
    let worker = app
        .user("operatrice", Role::CaseWorker, arcobaleno.id)
        .await;
    app.sign_in(&worker).await;
    app.post_form(
        "/network/meetings",
        &meeting_fields(&convener, &invited, "FI").await,
    )
    .await
    .assert_status(403);
    assert_eq!(count(&app, "network_meeting").await, 2);
}

async fn bad_network_input_is_refused_and_nothing_saved(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    app.sign_in(&admin).await;
    let org = region.to_string();
    let service = |beds: &'static str| {
        vec![
            ("organisation_id", org.clone()),
            ("kind", "shelter".to_owned()),
            ("name", "Casa di prova".to_owned()),
            ("province", "FI".to_owned()),
            ("beds_women", beds.to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    let bad = as_refs(&service("-2"));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/network/services", &bad)
        .await
        .assert_status(422)
        .assert_contains("non può essere negativo");
    assert_eq!(count(&app, "network_service").await, 0);

    // A role in a province that does not exist, a provincial role without province.
    let path = format!("/network/organisations/{region}/roles");
    app.post_form(
        &path,
        &[
            ("kind", "local_network"),
            ("province", "RM"),
            ("since", "2026-01-01"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("dieci province");
    app.post_form(
        &path,
        &[
            ("kind", "local_network"),
            ("province", ""),
            ("since", "2026-01-01"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("appartiene a una provincia");
    app.post_form(
        &path,
        &[
            ("kind", "local_network"),
            ("province", "FI"),
            ("since", "ieri"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("data valida");
    let roles_before = count(&app, "governance_role").await;
    app.post_form(
        &path,
        &[
            ("kind", "local_network"),
            ("province", "FI"),
            ("since", "2026-01-01"),
        ],
    )
    .await
    .assert_status(303);
    assert_eq!(count(&app, "governance_role").await, roles_before + 1);

    // A duplicate organisation name.
    app.post_form(
        "/admin/organisations",
        &[
            ("name", "Comune di Firenze"),
            ("kind", "municipality"),
            ("province", "FI"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Esiste già");

    // A good service is saved with its beds, and the beds show as free.
    let good = as_refs(&service("4"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/network/services", &good)
        .await
        .assert_status(303);
    app.get("/network/services")
        .await
        .assert_contains("Donne: 4/4")
        .assert_contains("Posti letto liberi nella rete: 4");
}

async fn shelter_addresses_are_secret_encrypted_and_audited(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    let hotline = app.user("notte", Role::HotlineOperator, region).await;
    let analyst = app.user("analista", Role::RegionalAnalyst, region).await;
    app.sign_in(&admin).await;
    let secret = format!("Via Nascosta {}", uuid::Uuid::new_v4().simple());
    let org = region.to_string();
    app.post_form(
        "/network/services",
        &[
            ("organisation_id", org.as_str()),
            ("kind", "emergency_shelter"),
            ("name", "Pronta accoglienza Demo"),
            ("province", "FI"),
            ("beds_women", "3"),
            ("address", secret.as_str()),
        ],
    )
    .await
    .assert_status(303);
    // Neither the administrator, the analyst nor the public page shows it…
    assert!(!app.get("/network/services").await.body.contains(&secret));
    app.sign_in(&analyst).await;
    let page = app.get("/network/services").await;
    page.assert_contains("Pronta accoglienza Demo");
    assert!(!page.body.contains(&secret));
    assert!(!app.get("/rete").await.body.contains(&secret));
    // …the hotline does, and that reading is audited.
    app.sign_in(&hotline).await;
    app.get("/network/services").await.assert_contains(&secret);
    let db = &app.state.db;
    let reads = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM audit_event WHERE action = 'service.address.read' AND actor_username = 'notte'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(reads, 1);
    // Stored sealed.
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT address_enc FROM network_service".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    let sealed: Vec<u8> = row.try_get_by_index(0).unwrap();
    assert!(!sealed.windows(12).any(|w| w == b"Via Nascosta"));
}

async fn changes_are_kept_in_the_organisation_history(db: TestDb) {
    let app = db.app().await;
    let region = app.organisation("Regione Toscana").await;
    let admin = app.user("admin", Role::Administrator, region).await;
    app.sign_in(&admin).await;
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap();
    let path = format!("/network/organisations/{}", arcobaleno.id);
    app.post_form(
        &path,
        &[
            ("kind", "ngo"),
            ("province", "FI"),
            ("register_section2", "1"),
            ("register_number", "A/123/2019"),
        ],
    )
    .await
    .assert_status(303);
    let page = app.get(&path).await;
    page.assert_contains("n. A/123/2019")
        .assert_contains("organisation.update")
        .assert_contains(">admin<");
    // A coordinator of another province may look but not change it.
    let pisa = satis::identity::store::organisation_by_name(&app.state.db, "SdS Zona Pisana")
        .await
        .unwrap()
        .unwrap();
    let coordinator = app
        .user("coord-pi", Role::TerritorialCoordinator, pisa.id)
        .await;
    app.sign_in(&coordinator).await;
    let page = app.get(&path).await;
    page.assert_status(200);
    assert!(
        !page.body.contains(&format!("action=\"{path}\"")),
        "no edit form for another province"
    );
    app.post_form(&path, &[("kind", "ngo"), ("province", "PI")])
        .await
        .assert_status(403);
}
