//! The activity report: right counts, no identity, small cells hidden.

use satis::platform::policy::Role;
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, TestDb};

crate::tests![
    the_figures_are_defined_on_a_page_anyone_can_read,
    the_activity_report_counts_people_once_and_hides_small_cells,
    open_data_is_k_anonymous_and_never_carries_identity,
    the_national_export_is_pseudonymous_and_mapped,
    dashboards_draw_each_role_its_figures,
    the_report_reproduces_every_figure_entered_through_the_pages,
    a_generated_history_is_counted_right_and_publishes_k_anonymous,
    the_public_open_data_page_explains_and_serves_only_once_published,
    unpublished_open_data_are_explained_not_served,
    history_entered_after_the_fact_counts_in_its_own_period,
    a_test_organisations_records_enter_no_figure,
    the_daily_summaries_give_the_report_counted_from_the_records,
    concurrent_writers_keep_the_daily_summaries_exact,
    summaries_built_before_year_rows_are_marked_for_rebuilding,
    people_in_protection_are_counted_once_from_the_summaries_as_from_the_records,
    people_in_emergency_beds_are_counted_once_from_the_summaries_as_from_the_records,
    moving_an_organisation_or_leaving_it_out_rebuilds_the_summaries,
    summaries_built_before_the_protection_marginals_are_marked_for_rebuilding,
];

async fn open(
    app: &TestApp,
    org: i32,
    by: i32,
    names: &str,
    year: i32,
) -> satis::cases::entities::case::Model {
    let person = crate::support::Person::named(names).born(year).from("NG");
    app.open_case(org, by, person).await.1
}

async fn the_activity_report_counts_people_once_and_hides_small_cells(db: TestDb) {
    let app = db.app().await;
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let worker = app.user("operatrice", Role::CaseWorker, arcobaleno).await;
    let analyst = app
        .user("analista", Role::RegionalAnalyst, arcobaleno)
        .await;
    // Five people enter the protection phase.
    let mut cases = Vec::new();
    for (i, name) in [
        "Alfa Riservata",
        "Beta Riservata",
        "Gamma Riservata",
        "Delta Riservata",
        "Epsilon Riservata",
    ]
    .iter()
    .enumerate()
    {
        cases.push(open(&app, arcobaleno, worker.id, name, 1990 + i as i32).await);
    }
    for c in &cases {
        let mut current = c.clone();
        for to in [
            satis::cases::rules::Phase::Identification,
            satis::cases::rules::Phase::FirstAssistance,
            satis::cases::rules::Phase::Protection,
        ] {
            satis::cases::store::change_phase(
                &app.state.db,
                &current,
                to,
                None,
                satis::platform::time::rome_today(),
                worker.id,
                current.version,
            )
            .await
            .unwrap();
            current = satis::cases::store::case(&app.state.db, current.id)
                .await
                .unwrap()
                .unwrap();
        }
    }
    // One accompaniment, recorded on the case page, for one person; the same person
    // accompanied again counts once.
    app.sign_in(&worker).await;
    let day = satis::platform::time::rome_today().to_string();
    for service in ["health", "legal"] {
        app.post_form(
            &format!("/cases/{}/events", cases[0].id),
            &[
                ("happened_on", &day),
                ("kind", "accompaniment"),
                ("service_kind", service),
                ("accompaniment_outcome", "done"),
                ("text", "ASL"),
            ],
        )
        .await
        .assert_status(303);
    }

    app.get("/stats/activity").await.assert_status(403);
    app.sign_in(&analyst).await;
    let today = satis::platform::time::rome_today();
    let q = format!("from={}&to={}", today - chrono::Duration::days(1), today);
    let page = app.get(&format!("/stats/activity?{q}")).await;
    page.assert_status(200);
    let section = |key: &str| {
        let start = page.body.find(&format!("id=\"figure-{key}\"")).unwrap();
        page.body[start..start + page.body[start..].find("</section>").unwrap()].to_owned()
    };
    assert!(section("protection_programmes").contains("<span class=\"figure-total\">5</span>"));
    // One person accompanied: published as "<5", never as 1.
    assert!(section("accompaniments").contains("<span class=\"figure-total\">&#60;5</span>"));
    assert!(section("street_unit_contacts").contains("<span class=\"figure-total\">0</span>"));
    for name in ["Alfa", "Beta", "Gamma", "Delta", "Epsilon"] {
        assert!(!page.body.contains(name), "no identity in statistics");
    }
    // Breakdown values read as words, not codes.
    let protection = section("protection_programmes");
    assert!(protection.contains("<td>Donna</td>"), "{protection}");
    assert!(!protection.contains("<td>female</td>"));
    let csv = app.get(&format!("/stats/activity.csv?{q}")).await;
    // The CSV is for people: headers, figures and values in Italian, codes beside the values,
    // the period on every row, no comment line.
    let protection_label = "Persone inserite in programmi di protezione sociale";
    csv.assert_contains("Dal,Al,Ambito,Indicatore,Dettaglio,Valore,Codice,Numero")
        .assert_contains(&format!("{protection_label},Totale,,,5"))
        .assert_contains("Persone accompagnate ai servizi socio-sanitari,Totale,,,<5")
        .assert_contains(&format!("{protection_label},Nazionalità,NG,NG,5"))
        .assert_contains(&format!("{protection_label},Genere,Donna,female,5"))
        .assert_contains(&format!("{protection_label},Provincia,Firenze,FI,5"));
    assert!(!csv.body.starts_with('#'), "{}", csv.body);
    assert!(
        !csv.body.contains("protection_programmes"),
        "figure codes are not labels"
    );
    // Each figure's breakdown by province is drawn, accessibly, beside its table.
    let chart_start = page
        .body
        .find("id=\"chart-protection_programmes\"")
        .unwrap();
    let chart =
        &page.body[chart_start..chart_start + page.body[chart_start..].find("</svg>").unwrap()];
    assert!(
        chart.contains("role=\"img\"") && chart.contains("FI: 5"),
        "{chart}"
    );
    // One province: the association is in Florence.
    app.get(&format!("/stats/activity.csv?{q}&province=FI"))
        .await
        .assert_contains(&format!("Firenze,{protection_label},Totale,,,5"));
    app.get(&format!("/stats/activity.csv?{q}&province=PI"))
        .await
        .assert_contains(&format!("Pisa,{protection_label},Totale,,,0"));
    // Bad input: a clear message, not a silent guess.
    app.get("/stats/activity?from=2026-11-30&to=2026-11-01")
        .await
        .assert_status(422)
        .assert_contains("finire dopo l&#39;inizio");
    app.get(&format!("/stats/activity?{q}&province=XX"))
        .await
        .assert_status(422);
    app.get("/stats/activity.csv?from=ieri")
        .await
        .assert_status(422);
    // The spreadsheet.
    let x = app.get(&format!("/stats/activity.xlsx?{q}")).await;
    x.assert_status(200);
    assert!(x.header("content-type").contains("spreadsheetml"));
    assert!(x.body.starts_with("PK"), "an XLSX is a zip");
}

async fn open_data_is_k_anonymous_and_never_carries_identity(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Ente Open Data").await;
    let worker = app.user("operatrice-od", Role::CaseWorker, org).await;
    let analyst = app.user("analista-od", Role::RegionalAnalyst, org).await;
    for (i, name) in ["Rara Persona Unica", "Seconda Persona Rara"]
        .iter()
        .enumerate()
    {
        open(&app, org, worker.id, name, 1970 + i as i32).await;
    }
    let (csv, _) = satis::exchange::ctdc::synthetic(2_000, 5);
    satis::exchange::import_ctdc(
        &app.state.db,
        csv.as_bytes(),
        "storico.csv",
        satis::exchange::Options::default(),
    )
    .await
    .unwrap();
    app.sign_in(&analyst).await;
    app.get("/stats/open-data?k=1")
        .await
        .assert_status(422)
        .assert_contains("tra 2 e 1000");
    app.get("/stats/open-data/microdata.csv?k=1")
        .await
        .assert_status(422);
    let page = app.get("/stats/open-data").await;
    page.assert_status(200)
        .assert_contains("id=\"records-in\">2002<");
    let micro = app.get("/stats/open-data/microdata.csv?k=11").await;
    micro.assert_status(200);
    assert!(!micro.body.contains("Rara") && !micro.body.contains("Persona"));
    // Checked here independently of the code that made it: every combination of the
    // quasi-identifiers appears at least 11 times.
    let mut lines = micro.body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let qi = [
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "majorityStatus",
        "citizenship",
        "CountryOfExploitation",
        "isForcedLabour",
        "isSexualExploit",
        "isOtherExploit",
    ];
    let idx: Vec<usize> = qi
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    let mut groups = std::collections::HashMap::new();
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let key: Vec<&str> = idx.iter().map(|i| f[*i]).collect();
        *groups.entry(key).or_insert(0) += 1;
        rows += 1;
    }
    assert!(rows > 1_500, "most records survive ({rows})");
    let smallest = groups.values().min().copied().unwrap_or(0);
    assert!(smallest >= 11, "a group of {smallest}");
    // The aggregates hide every cell under 5.
    let agg = app.get("/stats/open-data/aggregates.csv").await;
    for line in agg.body.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let Ok(n) = f[3].parse::<i64>() {
            assert!(n >= 5, "{line}");
        } else {
            assert_eq!(f[4], "1", "{line}");
        }
    }
}

async fn the_national_export_is_pseudonymous_and_mapped(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Ente Nazionale Prova").await;
    let worker = app.user("operatrice-naz", Role::CaseWorker, org).await;
    let case = open(&app, org, worker.id, "Nome Da Non Esportare", 2010).await;
    let code = satis::cases::store::person(&app.state.db, case.person_id)
        .await
        .unwrap()
        .unwrap()
        .code;
    let mapping = satis::stats::national::Mapping::from_toml(include_str!(
        "../../docs/national-mapping.example.toml"
    ))
    .unwrap();
    let today = satis::platform::time::rome_today();
    let csv = satis::stats::national::export(&app.state.db, today, today, &mapping)
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        satis::stats::national::COLUMNS.join(",")
    );
    let row = lines.find(|l| l.starts_with(&code)).unwrap();
    // Gender mapped to the national code; a minor at the start (born 2010).
    assert!(row.contains(",F,2010,1,NG,"), "{row}");
    assert!(!csv.contains("Non Esportare"));
    // Out of the period: not there.
    let old = chrono::NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    let none = satis::stats::national::export(&app.state.db, old, old, &mapping)
        .await
        .unwrap();
    assert!(!none.contains(&code));
}

async fn dashboards_draw_each_role_its_figures(db: TestDb) {
    let app = db.app().await;
    let cat = app.organisation("CAT Coop. sociale Onlus").await;
    let operator = app
        .user("numeroverde-dash", Role::HotlineOperator, cat)
        .await;
    let analyst = app.user("analista-dash", Role::RegionalAnalyst, cat).await;
    app.sign_in(&operator).await;
    for _ in 0..3 {
        app.post_form("/hotline/quick", &[("relevance", "nuisance")])
            .await
            .assert_status(303);
    }
    let home = app.get("/").await;
    home.assert_status(200)
        .assert_contains("id=\"panel-hotline\"")
        .assert_contains("role=\"img\"");
    let today = satis::platform::time::rome_today()
        .format("%d/%m")
        .to_string();
    assert!(
        home.body
            .contains(&format!("<th scope=\"row\">{today}</th><td>3</td>")),
        "today's three calls in the table"
    );
    assert!(
        !home.body.contains("panel-region"),
        "the hotline does not see the region's panel"
    );
    // Filtered by period and province.
    let day = satis::platform::time::rome_today();
    let filtered = app.get(&format!("/?from={day}&to={day}")).await;
    filtered.assert_status(200);
    assert!(
        filtered
            .body
            .contains(&format!("<th scope=\"row\">{today}</th><td>3</td>"))
    );
    let elsewhere = app.get(&format!("/?from={day}&to={day}&province=PI")).await;
    assert!(
        elsewhere
            .body
            .contains(&format!("<th scope=\"row\">{today}</th><td>0</td>")),
        "nuisance calls have no province"
    );
    app.get("/?province=XX").await.assert_status(422);
    app.get("/?from=2026-11-30&to=2026-11-01")
        .await
        .assert_status(422);
    app.sign_in(&analyst).await;
    let home = app.get("/").await;
    home.assert_contains("id=\"panel-region\"");
    assert!(!home.body.contains("panel-hotline"));
    // The public home page has no panel.
    app.clear_cookies();
    assert!(!app.get("/").await.body.contains("panel-"));
}

/// Every figure of the activity report, from records entered only through the pages.
async fn the_report_reproduces_every_figure_entered_through_the_pages(db: TestDb) {
    let app = db.app().await;
    let cat = app.organisation("CAT Coop. sociale Onlus").await;
    let arcobaleno = app.organisation("Associazione Progetto Arcobaleno").await;
    let operator = app
        .user("numeroverde-tutte", Role::HotlineOperator, cat)
        .await;
    let street = app
        .user("strada-tutte", Role::OutreachOperator, arcobaleno)
        .await;
    let worker = app
        .user("operatrice-tutte", Role::CaseWorker, arcobaleno)
        .await;
    let add = |org: i32, kind: &'static str, beds: &'static [(&'static str, i32)]| {
        let db = app.state.db.clone();
        async move {
            satis::network::store::add_service(
                &db,
                org,
                kind,
                kind,
                Some("FI".into()),
                "",
                "",
                false,
                None,
                beds,
            )
            .await
            .unwrap()
            .id
        }
    };
    let unit = add(arcobaleno, "street_unit", &[]).await;
    let desk = add(arcobaleno, "drop_in", &[]).await;
    let shelter = add(arcobaleno, "emergency_shelter", &[("women", 10)]).await;
    // Today in Italy: the report's days are Italian days.
    let today = satis::platform::time::rome_today();

    // Hotline: two pertinent first contacts (labour in Prato, sexual in Florence), a follow-up
    // of the first caller and a nuisance call, none of which two may count.
    app.sign_in(&operator).await;
    for (form, province, caller) in [
        ("labour", "PO", "A-1"),
        ("sexual", "FI", "B-2"),
        ("labour", "PO", "A-1"),
    ] {
        app.post_form(
            "/hotline/contacts",
            &[
                ("channel", "phone"),
                ("relevance", "pertinent"),
                ("caller_kind", "presumed_victim"),
                ("reasons", "help_to_leave"),
                ("outcomes", "listening"),
                ("exploitation_forms", form),
                ("province", province),
                ("caller_ref", caller),
                (
                    "labour_sector",
                    if form == "labour" { "agriculture" } else { "" },
                ),
            ],
        )
        .await
        .assert_status(303);
    }
    app.post_form("/hotline/quick", &[("relevance", "nuisance")])
        .await
        .assert_status(303);

    // Street unit: one outing with 7 people; two drop-in interviews.
    app.sign_in(&street).await;
    // Within today's Italian day (shortly after midnight, "three hours ago" was yesterday).
    let start = (chrono::Utc::now() - chrono::Duration::hours(3))
        .max(satis::platform::time::rome_midnight(today) + chrono::Duration::minutes(1));
    let local = |t: chrono::DateTime<chrono::Utc>| satis::platform::time::rome_input(&t);
    let end = (start + chrono::Duration::hours(2)).min(chrono::Utc::now());
    let (s_at, e_at) = (local(start), local(end));
    app.post_form(
        "/outreach/outings",
        &[
            ("service_id", &unit.to_string()),
            ("idempotency_key", "every-figure-0001"),
            ("started_at", &s_at),
            ("ended_at", &e_at),
            ("people_met", "7"),
            ("gender_female", "7"),
            ("age_unknown", "7"),
            ("status_new", "7"),
        ],
    )
    .await
    .assert_status(303);
    for key in ["every-int-0001", "every-int-0002"] {
        app.post_form(
            "/outreach/interviews",
            &[
                ("service_id", &desk.to_string()),
                ("held_on", &today.to_string()),
                ("outcome", "information_given"),
                ("idempotency_key", key),
            ],
        )
        .await
        .assert_status(303);
    }

    // Cases: one person placed in an emergency bed, taken to protection, accompanied twice
    // (one person); a second person accompanied by the street unit (by code).
    app.sign_in(&worker).await;
    let r = app
        .post_form(
            "/cases",
            &[
                ("gender", "female"),
                ("birth_year", "2001"),
                ("nationalities", "NG"),
                ("names", "Figura Completa"),
                ("confirm_new", "1"),
            ],
        )
        .await;
    r.assert_status(303);
    let case_path = r.header("location").to_owned();
    let case_id: i32 = case_path.trim_start_matches("/cases/").parse().unwrap();
    app.post_form(
        &format!("{case_path}/placements"),
        &[
            ("since", &today.to_string()),
            ("service_id", &shelter.to_string()),
            ("bed_kind", "women"),
            ("emergency", "1"),
        ],
    )
    .await
    .assert_status(303);
    for to in ["identification", "first_assistance", "protection"] {
        let version = satis::cases::store::case(&app.state.db, case_id)
            .await
            .unwrap()
            .unwrap()
            .version
            .to_string();
        app.post_form(
            &format!("{case_path}/phase"),
            &[
                ("to", to),
                ("version", &version),
                ("effective_on", &today.to_string()),
            ],
        )
        .await
        .assert_status(303);
    }
    for service in ["health", "legal"] {
        app.post_form(
            &format!("{case_path}/events"),
            &[
                ("happened_on", &today.to_string()),
                ("kind", "accompaniment"),
                ("service_kind", service),
                ("text", "accompagnata"),
            ],
        )
        .await
        .assert_status(303);
    }
    app.sign_in(&street).await;
    app.post_form(
        "/outreach/accompaniments",
        &[
            ("happened_on", &today.to_string()),
            ("contact_code", "SOLO-1"),
            ("service_kind", "health"),
            ("outcome", "done"),
            ("source", "street_unit"),
            ("idempotency_key", "every-acc-0001"),
        ],
    )
    .await
    .assert_status(303);

    let r = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    let figure = |key: &str| r.figures.iter().find(|f| f.key == key).unwrap();
    let value = |key: &str| figure(key).value;
    assert_eq!(value("hotline_cases"), Some(2));
    assert_eq!(value("street_unit_contacts"), Some(7));
    assert_eq!(value("drop_in_interviews"), Some(2));
    assert_eq!(value("emergency_reception"), Some(1));
    assert_eq!(value("protection_programmes"), Some(1));
    assert_eq!(value("accompaniments"), Some(2));
    let has = |key: &str, d: &str, v: &str, n: i64| {
        figure(key)
            .breakdown
            .iter()
            .any(|(dd, vv, c)| dd == d && vv == v && *c == n)
    };
    assert!(has("hotline_cases", "exploitation", "labour", 1));
    assert!(has("hotline_cases", "province", "PO", 1));
    assert!(has("hotline_cases", "sector", "agriculture", 1));
    assert!(has("street_unit_contacts", "gender", "female", 7));
    assert!(has("protection_programmes", "nationality", "NG", 1));
    // The same figures for Prato only: the Prato call, nothing else.
    let po = satis::stats::activity(&app.state.db, today, today, Some("PO"))
        .await
        .unwrap();
    let po_value = |key: &str| po.figures.iter().find(|f| f.key == key).unwrap().value;
    assert_eq!(po_value("hotline_cases"), Some(1));
    assert_eq!(po_value("street_unit_contacts"), Some(0));
    assert_eq!(po_value("protection_programmes"), Some(0));
}

/// The national-scale generator, at a small scale: the report counts what it wrote, and the
/// open data made from it pass the k-anonymity check.
async fn a_generated_history_is_counted_right_and_publishes_k_anonymous(db: TestDb) {
    let app = db.app().await;
    let scale = satis::demo_scale::Scale {
        years: 3,
        outings: 700,
        hotline_contacts: 900,
        people: 600,
        projects: 100,
    };
    let g = satis::demo_scale::generate(&app.state.db, scale, 7, |_| {})
        .await
        .unwrap();
    assert_eq!((g.outings, g.people, g.projects), (700, 600, 100));
    let today = satis::platform::time::rome_today();
    let from = today - chrono::Duration::days(365 * 3 + 1);
    let r = satis::stats::activity(&app.state.db, from, today, None)
        .await
        .unwrap();
    let value = |key: &str| {
        r.figures
            .iter()
            .find(|f| f.key == key)
            .unwrap()
            .value
            .unwrap()
    };
    assert_eq!(value("street_unit_contacts"), g.street_contacts);
    assert_eq!(value("drop_in_interviews"), g.interviews as i64);
    assert_eq!(
        value("accompaniments"),
        g.accompaniments as i64,
        "one per person"
    );
    let pertinent =
        crate::support::count_rows(&app, "hotline_contact WHERE relevance = 'pertinent'").await;
    assert_eq!(value("hotline_cases"), pertinent);
    let (_, _, report) = satis::stats::open_data::export(&app.state.db, 11)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.records_in, 600);
    assert!(report.records_out > 0);
}

/// A citizen's page: what is published, why numbers are missing, how to cite; the files only
/// when the Region has published them, and then no hidden cell alone in its table.
async fn the_public_open_data_page_explains_and_serves_only_once_published(db: TestDb) {
    let config = db.config_with(&[("SATIS_OPEN_DATA_PUBLIC", "true")]);
    let app = db
        .app_with(config, satis::platform::settings::Mode::Production)
        .await;
    let (csv, _) = satis::exchange::ctdc::synthetic(600, 11);
    satis::exchange::import_ctdc(
        &app.state.db,
        csv.as_bytes(),
        "storico.csv",
        satis::exchange::Options::default(),
    )
    .await
    .unwrap();
    let page = app.get("/dati-aperti").await;
    page.assert_status(200)
        .assert_contains("CC BY 4.0")
        .assert_contains("Fonte: Regione Toscana")
        .assert_contains("Non vuol dire «no»")
        .assert_contains("href=\"/dati-aperti/aggregati.csv\"");
    assert!(page.body.len() < 50_000, "{} bytes", page.body.len());
    let agg = app.get("/dati-aperti/aggregati.csv").await;
    agg.assert_status(200);
    // Counted here: in every table of every year, hidden cells are none or at least two.
    let mut hidden: std::collections::BTreeMap<(String, String), (usize, usize)> =
        std::collections::BTreeMap::new();
    for line in agg.body.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = hidden
            .entry((f[0].to_owned(), f[1].to_owned()))
            .or_default();
        e.0 += 1;
        if f[4] == "1" {
            e.1 += 1;
        } else {
            assert!(f[3].parse::<i64>().unwrap() >= 5, "{line}");
        }
    }
    assert!(
        hidden.values().any(|(_, h)| *h > 0),
        "the data have small cells"
    );
    for ((table, year), (_, h)) in &hidden {
        assert!(
            *h != 1,
            "{table} {year}: one hidden cell is the total minus the others"
        );
    }
    app.get("/dati-aperti/microdati.csv")
        .await
        .assert_status(200)
        .assert_contains("yearOfRegistration,");
}

/// Not published (the default): the page explains, the files are not there.
async fn unpublished_open_data_are_explained_not_served(db: TestDb) {
    let app = db.app().await;
    app.get("/dati-aperti")
        .await
        .assert_status(200)
        .assert_contains("id=\"open-data-not-published\"")
        .assert_contains("CC BY 4.0");
    app.get("/dati-aperti/microdati.csv")
        .await
        .assert_status(404);
}

/// Two people who entered a protection programme in spring 2025, their histories entered
/// today, the later one first: the report for the first half of 2025 counts both, the second
/// half and the current period count neither, and the phase history shows the day each step
/// took effect beside the day it was recorded.
async fn history_entered_after_the_fact_counts_in_its_own_period(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Ente Storia").await;
    let worker = app.user("operatrice-storia", Role::CaseWorker, org).await;
    app.sign_in(&worker).await;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let histories = [
        // Entered first, but its protection came later (May).
        ("2025-01-05", ["2025-01-10", "2025-01-20", "2025-05-20"]),
        ("2025-02-01", ["2025-02-10", "2025-03-01", "2025-04-15"]),
    ];
    let mut ids = Vec::new();
    for (opened, steps) in histories {
        let person = crate::support::Person::named(&format!("Persona {opened}"))
            .born(1998)
            .from("NG")
            .opened_on(d(opened));
        let (_, c) = app.open_case(org, worker.id, person).await;
        let path = format!("/cases/{}/phase", c.id);
        // Before the case opened: refused, nothing saved.
        let version =
            |body: &str| crate::support::find_value(body, "name=\"version\" value=\"").unwrap();
        let page = app.get(&format!("/cases/{}", c.id)).await;
        app.post_form(
            &path,
            &[
                ("to", "identification"),
                ("version", &version(&page.body)),
                ("effective_on", "2024-12-31"),
            ],
        )
        .await
        .assert_status(422)
        .assert_contains("precedente all");
        for (to, on) in ["identification", "first_assistance", "protection"]
            .into_iter()
            .zip(steps)
        {
            let page = app.get(&format!("/cases/{}", c.id)).await;
            app.post_form(
                &path,
                &[
                    ("to", to),
                    ("version", &version(&page.body)),
                    ("effective_on", on),
                ],
            )
            .await
            .assert_status(303);
        }
        ids.push(c.id);
    }
    let protection = |r: &satis::stats::ActivityReport| {
        r.figures
            .iter()
            .find(|f| f.key == "protection_programmes")
            .and_then(|f| f.value)
    };
    let first_half = satis::stats::activity(&app.state.db, d("2025-01-01"), d("2025-06-30"), None)
        .await
        .unwrap();
    assert_eq!(protection(&first_half), Some(2));
    let april = satis::stats::activity(&app.state.db, d("2025-04-01"), d("2025-04-30"), None)
        .await
        .unwrap();
    assert_eq!(protection(&april), Some(1), "one day of effect, one period");
    let second_half = satis::stats::activity(&app.state.db, d("2025-07-01"), d("2025-12-31"), None)
        .await
        .unwrap();
    assert_eq!(protection(&second_half), Some(0));
    let today = satis::platform::time::rome_today();
    let now = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    assert_eq!(
        protection(&now),
        Some(0),
        "recorded today is not effective today"
    );
    // A step before the previous one is refused.
    let page = app.get(&format!("/cases/{}", ids[0])).await;
    app.post_form(
        &format!("/cases/{}/phase", ids[0]),
        &[
            ("to", "inclusion"),
            (
                "version",
                &crate::support::find_value(&page.body, "name=\"version\" value=\"").unwrap(),
            ),
            ("effective_on", "2025-05-19"),
        ],
    )
    .await
    .assert_status(422);
    page.assert_contains("2025-05-20")
        .assert_contains("Registrato il");
}

/// A training organisation's practice records (a hotline case, a person in protection) are
/// left out of every figure once an administrator marks it (coordinators are not offered
/// the flag, and their form keeps it as it is).
async fn a_test_organisations_records_enter_no_figure(db: TestDb) {
    let app = db.app().await;
    let real = app.organisation("Ente Vero").await;
    let training = app.organisation("Ente Formazione").await;
    let today = satis::platform::time::rome_today();
    for org in [real, training] {
        let op = app
            .user(&format!("op-{org}"), Role::HotlineOperator, org)
            .await;
        let token = app.token(&op, org, &["hotline:write"]).await;
        app.api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&serde_json::json!({
                "channel": "phone",
                "relevance": "pertinent",
                "exploitation_forms": ["sexual"],
                "province": "FI",
            })),
            &[],
        )
        .await
        .assert_status(201);
        let worker = app.user(&format!("cw-{org}"), Role::CaseWorker, org).await;
        let mut case = open(&app, org, worker.id, &format!("Persona {org}"), 1990).await;
        for to in [
            satis::cases::rules::Phase::Identification,
            satis::cases::rules::Phase::FirstAssistance,
            satis::cases::rules::Phase::Protection,
        ] {
            satis::cases::store::change_phase(
                &app.state.db,
                &case,
                to,
                None,
                today,
                worker.id,
                case.version,
            )
            .await
            .unwrap();
            case = satis::cases::store::case(&app.state.db, case.id)
                .await
                .unwrap()
                .unwrap();
        }
    }
    let figures = |r: &satis::stats::ActivityReport| {
        ["hotline_cases", "protection_programmes"]
            .map(|k| r.figures.iter().find(|f| f.key == k).and_then(|f| f.value))
    };
    let before = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    assert_eq!(figures(&before), [Some(2), Some(2)]);
    // A coordinator's form leaves the flag as it is (the rule is the region's).
    let coordinator = app
        .user("coord-stat", Role::TerritorialCoordinator, real)
        .await;
    app.sign_in(&coordinator).await;
    app.post_form(
        &format!("/network/organisations/{training}"),
        &[
            ("kind", "ngo"),
            ("province", "FI"),
            ("excluded_from_stats", "1"),
        ],
    )
    .await
    .assert_status(303);
    let unchanged = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    assert_eq!(figures(&unchanged), [Some(2), Some(2)]);
    // An administrator marks the training organisation.
    let admin_org = app.organisation("Regione Toscana").await;
    let admin = app.user("admin-stat", Role::Administrator, admin_org).await;
    app.sign_in(&admin).await;
    app.post_form(
        &format!("/network/organisations/{training}"),
        &[
            ("kind", "ngo"),
            ("province", "FI"),
            ("excluded_from_stats", "1"),
        ],
    )
    .await
    .assert_status(303);
    let after = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    assert_eq!(
        figures(&after),
        [Some(1), Some(1)],
        "only the real organisation's"
    );
    let published = satis::stats::open_data::records(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        published.len(),
        1,
        "the open data hold the real organisation's case only"
    );
}

/// "Definitions are in docs/INDICATORS.md" was a developer's note on an operator's page: the
/// definitions are a page now, public, linked from the report, in Italian and English.
async fn the_figures_are_defined_on_a_page_anyone_can_read(db: TestDb) {
    let app = db.app().await;
    let page = app.get("/stats/definizioni").await;
    page.assert_status(200)
        .assert_contains("Definizioni delle cifre")
        .assert_contains("Casi gestiti dal Numero Verde")
        .assert_contains("Persone accompagnate ai servizi socio-sanitari")
        .assert_contains("non indicato")
        .assert_contains("&#60;5");
    assert!(!page.body.contains("docs/"));
    app.get_with("/stats/definizioni", &[("accept-language", "en")])
        .await
        .assert_contains("Definitions of the figures");
}

/// The report from the per-day summaries is the report counted from the records, whatever the
/// period (whole months, partial months, one day), the province, the Italian midnight, the
/// clock change and the order contacts were entered in; a rebuild gives the same summaries.
async fn the_daily_summaries_give_the_report_counted_from_the_records(db: TestDb) {
    let app = db.app().await;
    let scale = satis::demo_scale::Scale {
        years: 2,
        outings: 300,
        hotline_contacts: 400,
        people: 100,
        projects: 10,
    };
    satis::demo_scale::generate(&app.state.db, scale, 11, |_| {})
        .await
        .unwrap();
    let (op, _) = crate::hotline::operator(&app, "riepilogo").await;
    app.sign_in(&op).await;
    let call = |at: &'static str, caller: &'static str, province: &'static str| {
        crate::hotline::pertinent(&[
            ("started_at", at),
            ("caller_ref", caller),
            ("province", province),
        ])
    };
    for (at, caller, province) in [
        // Either side of Italian midnight (23:20 UTC on 31 December is 1 January in Rome).
        ("2025-12-31T23:30", "R-MID-1", "FI"),
        ("2026-01-01T00:20", "R-MID-2", "PI"),
        // The night summer time starts, and the night it ends (02:30 twice).
        ("2026-03-29T03:30", "R-DST-1", "LU"),
        ("2026-10-25T02:30", "R-DST-2", "PO"),
        // A follow-up first, and the earlier call of the same caller entered after it, in
        // another month: the situation's first pertinent contact moves to February (2023:
        // before the generated history).
        ("2023-03-10T10:00", "R-LATE", "AR"),
        ("2023-02-20T09:00", "R-LATE", "AR"),
    ] {
        app.post_form("/hotline/contacts", &call(at, caller, province))
            .await
            .assert_status(303);
    }
    app.post_form("/hotline/quick", &[("relevance", "nuisance")])
        .await
        .assert_status(303);
    let u = crate::outreach::unit(&app, "Strada Riepilogo", "GR").await;
    app.sign_in(&u.operator).await;
    for (key, start, end) in [
        (
            "7d0c2a9e-1b2c-4d5e-8f90-1a2b3c4d5e61",
            "2023-01-31T23:40",
            "2023-02-01T02:00",
        ),
        (
            "7d0c2a9e-1b2c-4d5e-8f90-1a2b3c4d5e62",
            "2023-02-01T00:10",
            "2023-02-01T02:00",
        ),
    ] {
        let fields =
            crate::outreach::outing(u.street, key, &[("started_at", start), ("ended_at", end)]);
        app.post_form("/outreach/outings", &crate::outreach::pairs(&fields))
            .await
            .assert_status(303);
    }
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let today = satis::platform::time::rome_today();
    let periods = [
        (today - chrono::Duration::days(3653), today),
        (d("2026-01-01"), d("2026-12-31")),
        (d("2026-01-01"), d("2026-01-31")),
        (d("2025-12-31"), d("2025-12-31")),
        (d("2026-01-01"), d("2026-01-01")),
        (d("2023-01-31"), d("2023-01-31")),
        (d("2023-02-01"), d("2023-02-01")),
        (d("2023-02-01"), d("2023-02-28")),
        (d("2023-01-15"), d("2023-03-31")),
        (d("2026-02-15"), d("2026-03-14")),
        (d("2026-03-29"), d("2026-03-29")),
        (d("2026-10-25"), d("2026-10-25")),
        (d("2025-11-17"), d("2026-10-03")),
        (
            today - chrono::Duration::days(400),
            today - chrono::Duration::days(3),
        ),
    ];
    let provinces = [None, Some("AR"), Some("GR"), Some("FI")];
    summaries_match_records(&app, &periods, &provinces, "as written").await;
    let value = |r: &satis::stats::ActivityReport, key: &str| {
        r.figures
            .iter()
            .find(|f| f.key == key)
            .unwrap()
            .value
            .unwrap()
    };
    // The caller who called first in February and again in March is one case, in February.
    let feb = satis::stats::activity(&app.state.db, d("2023-02-01"), d("2023-02-28"), Some("AR"))
        .await
        .unwrap();
    let march = satis::stats::activity(&app.state.db, d("2023-03-01"), d("2023-03-31"), Some("AR"))
        .await
        .unwrap();
    assert_eq!(value(&feb, "hotline_cases"), 1);
    assert_eq!(value(&march, "hotline_cases"), 0);
    // The outing that began at 23:40 on 31 January counts on that day in Rome, the one at
    // 00:10 on 1 February (23:10 UTC on 31 January) does not.
    let jan31 = satis::stats::activity(&app.state.db, d("2023-01-31"), d("2023-01-31"), Some("GR"))
        .await
        .unwrap();
    assert_eq!(value(&jan31, "street_unit_contacts"), 5);
    // The summaries are really read: a summary row changed by hand changes the report, and the
    // check finds the day.
    let summaries = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert!(summaries.consistent(), "{summaries:?}");
    assert!(summaries.months >= 24);
    app.state
        .db
        .execute_unprepared(
            "UPDATE stats_day SET n = n + 1000 WHERE figure = 'street_met' AND span = 'd' \
             AND day = '2023-01-31'",
        )
        .await
        .unwrap();
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert_eq!(broken.days, vec![d("2023-01-31")]);
    assert_eq!(broken.rolled_up, vec![d("2023-01-01")]);
    let jan31 = satis::stats::activity(&app.state.db, d("2023-01-31"), d("2023-01-31"), Some("GR"))
        .await
        .unwrap();
    assert_eq!(value(&jan31, "street_unit_contacts"), 1005);
    // A whole year is read from its year rows: one changed by hand changes the year's report
    // (not a month's inside it), and the check names the year.
    let y2025 = (d("2025-01-01"), d("2025-12-31"));
    let before = value(
        &satis::stats::activity(&app.state.db, y2025.0, y2025.1, None)
            .await
            .unwrap(),
        "street_unit_contacts",
    );
    app.state
        .db
        .execute_unprepared(
            "UPDATE stats_day SET n = n + 7 WHERE id = (SELECT MIN(id) FROM stats_day \
             WHERE figure = 'street_met' AND span = 'y' AND day = '2025-01-01')",
        )
        .await
        .unwrap();
    let after = satis::stats::activity(&app.state.db, y2025.0, y2025.1, None)
        .await
        .unwrap();
    assert_eq!(value(&after, "street_unit_contacts"), before + 7);
    let march = satis::stats::activity(&app.state.db, d("2025-03-01"), d("2025-03-31"), None)
        .await
        .unwrap();
    let march_raw =
        satis::stats::activity_raw(&app.state.db, d("2025-03-01"), d("2025-03-31"), None)
            .await
            .unwrap();
    assert_eq!(
        value(&march, "street_unit_contacts"),
        value(&march_raw, "street_unit_contacts")
    );
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert_eq!(broken.rolled_up, vec![d("2023-01-01"), d("2025-01-01")]);
    // A rebuild puts it right.
    let done = satis::stats::daily::rebuild(&app.state.db).await.unwrap();
    assert!(done.rows > 0);
    assert!(
        satis::stats::daily::check(&app.state.db)
            .await
            .unwrap()
            .consistent()
    );
    summaries_match_records(&app, &periods, &provinces, "after a rebuild").await;
}

/// The report from the per-day summaries is the report counted from the records for each of
/// `periods` and `provinces` (`None`: the whole region).
async fn summaries_match_records(
    app: &TestApp,
    periods: &[(chrono::NaiveDate, chrono::NaiveDate)],
    provinces: &[Option<&str>],
    what: &str,
) {
    for (from, to) in periods.iter().copied() {
        for province in provinces.iter().copied() {
            let summed = satis::stats::activity(&app.state.db, from, to, province)
                .await
                .unwrap();
            let counted = satis::stats::activity_raw(&app.state.db, from, to, province)
                .await
                .unwrap();
            assert_eq!(
                satis::stats::to_json(&summed),
                satis::stats::to_json(&counted),
                "{what}: {from} to {to}, {province:?}"
            );
        }
    }
}

/// Summaries and records agree for `periods` in the region, Florence and Pisa, and so do the
/// days and marks `stats check` compares.
async fn same(app: &TestApp, periods: &[(chrono::NaiveDate, chrono::NaiveDate)], what: &str) {
    summaries_match_records(app, periods, &[None, Some("FI"), Some("PI")], what).await;
    let check = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert!(check.consistent(), "{what}: {check:?}");
}

/// Writers adding calls and outings at once, on the same days: every summary stays exact
/// (on PostgreSQL two transactions could otherwise each recount a day without the other).
async fn concurrent_writers_keep_the_daily_summaries_exact(db: TestDb) {
    let app = db.app().await;
    let org =
        satis::identity::store::organisation_by_name(&app.state.db, "CAT Coop. sociale Onlus")
            .await
            .unwrap()
            .unwrap()
            .id;
    let mut tokens = Vec::new();
    for i in 0..4 {
        let u = app
            .user(&format!("concorrente-{i}"), Role::HotlineOperator, org)
            .await;
        tokens.push(app.token(&u, org, &["hotline:read", "hotline:write"]).await);
    }
    let writer = |i: usize, token: String| {
        let app = &app;
        async move {
            for j in 0..6 {
                let body = serde_json::json!({
                    "channel": "phone",
                    "started_at": format!("2026-11-20T1{i}:{:02}:00+01:00", j * 5),
                    "relevance": "pertinent",
                    "duration_minutes": 5,
                    "caller_kind": "presumed_victim",
                    "language": "it",
                    "province": "FI",
                    "reasons": ["help_to_leave"],
                    "exploitation_forms": ["sexual"],
                    "outcomes": ["listening"],
                    "caller_ref": format!("R-C-{i}-{}", j % 2),
                });
                let r = app
                    .api("POST", "/api/v1/hotline/contacts", &token, Some(&body), &[])
                    .await;
                assert_eq!(r.status.as_u16(), 201, "{}", r.body);
            }
        }
    };
    futures_util::future::join_all(
        tokens
            .into_iter()
            .enumerate()
            .map(|(i, token)| writer(i, token)),
    )
    .await;
    let check = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert!(check.consistent(), "{check:?}");
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let r = satis::stats::activity(&app.state.db, d, d, Some("FI"))
        .await
        .unwrap();
    let cases = r.figures.iter().find(|f| f.key == "hotline_cases").unwrap();
    // Four operators, two callers each.
    assert_eq!(cases.value, Some(8));
}

/// Migration 0036 adds year rows to the summaries: a database whose summaries were built
/// before (it has month rows) is marked as not built, so that the server rebuilds them at its
/// next start.
async fn summaries_built_before_year_rows_are_marked_for_rebuilding(db: TestDb) {
    use sea_orm_migration::MigratorTrait;
    let conn = satis::platform::db::connect(&db.url).await.unwrap();
    satis::platform::migrations::Migrator::up(&conn, Some(35))
        .await
        .unwrap();
    let built = |conn: sea_orm::DatabaseConnection| async move {
        crate::support::scalar_on(&conn, "SELECT COUNT(*) FROM stats_summary_state").await
    };
    assert_eq!(
        built(conn.clone()).await,
        1,
        "a new database's summaries are built"
    );
    // Summaries as migration 35 left them: a month row, no year row.
    conn.execute_unprepared(
        "INSERT INTO stats_day (span, day, figure, n) VALUES ('m', '2026-11-01', 'street_met', 4)",
    )
    .await
    .unwrap();
    satis::platform::migrations::Migrator::up(&conn, None)
        .await
        .unwrap();
    assert_eq!(
        built(conn.clone()).await,
        0,
        "summaries without year rows are to be rebuilt"
    );
    conn.close().await.unwrap();
}

/// The protection figure counts each person once in the period. The people with a single
/// entry are read from the summaries, the few with several from the records: the report is
/// the one counted from the records whatever the period and province, after entries on days
/// either side of a new year, corrections of the person and of the case (which move their
/// marginals), and a second entry for the same person (which takes them out of the
/// marginals); the check sees a wrong row or a wrong mark, and a rebuild puts them right.
async fn people_in_protection_are_counted_once_from_the_summaries_as_from_the_records(db: TestDb) {
    use satis::cases::rules::Phase;
    let app = db.app().await;
    let scale = satis::demo_scale::Scale {
        years: 2,
        outings: 20,
        hotline_contacts: 20,
        people: 120,
        projects: 5,
    };
    satis::demo_scale::generate(&app.state.db, scale, 23, |_| {})
        .await
        .unwrap();
    let arcobaleno = satis::identity::store::organisation_by_name(
        &app.state.db,
        "Associazione Progetto Arcobaleno",
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let worker = app.user("protezione", Role::CaseWorker, arcobaleno).await;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    // Two people enter protection, on the last day of a year and on a day in March (history
    // entered after the fact).
    let mut cases = Vec::new();
    for (name, year, day) in [
        ("Zeta Riservata", 1999, "2025-12-31"),
        ("Eta Riservata", 2004, "2025-03-10"),
    ] {
        let mut c = open(&app, arcobaleno, worker.id, name, year).await;
        for to in [
            Phase::Identification,
            Phase::FirstAssistance,
            Phase::Protection,
        ] {
            satis::cases::store::change_phase(
                &app.state.db,
                &c,
                to,
                None,
                d(day),
                worker.id,
                c.version,
            )
            .await
            .unwrap();
            c = satis::cases::store::case(&app.state.db, c.id)
                .await
                .unwrap()
                .unwrap();
        }
        cases.push(c);
    }
    let today = satis::platform::time::rome_today();
    let periods = [
        (today - chrono::Duration::days(3653), today),
        (d("2025-01-01"), d("2025-12-31")),
        (d("2025-12-31"), d("2025-12-31")),
        (d("2025-03-10"), d("2025-03-10")),
        (d("2025-03-01"), d("2025-03-31")),
        (d("2025-02-15"), d("2026-01-15")),
        (d("2026-01-01"), today),
    ];
    let value = |r: &satis::stats::ActivityReport| {
        r.figures
            .iter()
            .find(|f| f.key == "protection_programmes")
            .unwrap()
            .value
            .unwrap()
    };
    same(&app, &periods, "as entered").await;
    let new_year_eve =
        satis::stats::activity(&app.state.db, d("2025-12-31"), d("2025-12-31"), None)
            .await
            .unwrap();
    assert!(value(&new_year_eve) >= 1);
    // The summaries are read: the day's "people" row of Arcobaleno's province changed by hand
    // changes the report, and the check names the day. (One province's row: the generated
    // history is laid out from the hour the test runs, so people may enter in another province
    // that day too.)
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE stats_day SET n = n + 100 WHERE figure = 'protection' AND span = 'd' \
             AND day = '2025-12-31' AND k1 = 'people' \
             AND k3 = (SELECT COALESCE(province, '—') FROM organisation WHERE id = {arcobaleno})"
        ))
        .await
        .unwrap();
    let changed = satis::stats::activity(&app.state.db, d("2025-12-31"), d("2025-12-31"), None)
        .await
        .unwrap();
    assert_eq!(value(&changed), value(&new_year_eve) + 100);
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert_eq!(broken.days, vec![d("2025-12-31")]);
    satis::stats::daily::rebuild(&app.state.db).await.unwrap();
    same(&app, &periods, "after a rebuild").await;

    // Corrections move the person's marginals: another gender, birth year and nationality
    // (on the case page), other forms of exploitation and a sector (the assessment).
    app.sign_in(&worker).await;
    let version =
        |body: &str| crate::support::find_value(body, "name=\"version\" value=\"").unwrap();
    let (zeta, eta) = (cases[0].id, cases[1].id);
    let v = version(&app.get(&format!("/cases/{zeta}")).await.body);
    app.post_form(
        &format!("/cases/{zeta}/person"),
        &[
            ("gender", "male"),
            ("birth_year", "1960"),
            ("nationalities", "GH, MA"),
            ("languages", "EN"),
            ("version", &v),
        ],
    )
    .await
    .assert_status(303);
    let v = version(&app.get(&format!("/cases/{eta}")).await.body);
    app.post_form(
        &format!("/cases/{eta}/assessment"),
        &[
            ("version", &v),
            ("trafficking_status", "presumed"),
            ("exploitation_forms", "labour"),
            ("exploitation_forms", "begging"),
            ("labour_sector", "agriculture"),
        ],
    )
    .await
    .assert_status(303);
    same(&app, &periods, "after the corrections").await;
    let march = satis::stats::activity(&app.state.db, d("2025-03-10"), d("2025-03-10"), None)
        .await
        .unwrap();
    let breakdown = &march
        .figures
        .iter()
        .find(|f| f.key == "protection_programmes")
        .unwrap()
        .breakdown;
    assert!(
        breakdown.contains(&("sector".into(), "agriculture".into(), 1)),
        "{breakdown:?}"
    );

    // The same person entering protection again (history brought in from elsewhere): counted
    // once over a period holding both entries, from the records, and named as such.
    let zeta_person = cases[0].person_id;
    let both = (d("2025-01-01"), d("2026-06-30"));
    let before = value(
        &satis::stats::activity_raw(&app.state.db, both.0, both.1, None)
            .await
            .unwrap(),
    );
    app.state
        .db
        .execute_unprepared(&format!(
            "INSERT INTO case_phase (case_id, from_phase, to_phase, at, effective_on, by_user) \
             SELECT case_id, 'inclusion', 'protection', at, '2026-02-02', by_user \
             FROM case_phase WHERE case_id = {zeta} AND to_phase = 'protection'"
        ))
        .await
        .unwrap();
    satis::stats::refresh_people(&app.state.db, [zeta_person])
        .await
        .unwrap();
    same(&app, &periods, "with a second entry").await;
    let after = satis::stats::activity(&app.state.db, both.0, both.1, None)
        .await
        .unwrap();
    assert_eq!(value(&after), before, "one person, however many entries");
    let feb = satis::stats::activity(&app.state.db, d("2026-02-02"), d("2026-02-02"), None)
        .await
        .unwrap();
    assert!(value(&feb) >= 1);
    let marked = crate::support::scalar(&app, "SELECT COUNT(*) FROM stats_several").await;
    assert_eq!(marked, 1);
    // A lost mark is found by the check and put back by a rebuild.
    app.state
        .db
        .execute_unprepared("DELETE FROM stats_several")
        .await
        .unwrap();
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert_eq!(broken.several, 1);
    assert!(!broken.consistent());
    satis::stats::daily::rebuild(&app.state.db).await.unwrap();
    same(&app, &periods, "after the second rebuild").await;
}

/// A database whose summaries were built before the protection marginals (migration 38) holds
/// no protection rows: if it has protection entries, its summaries are marked to be rebuilt
/// (the report counts the records until the server has rebuilt them); without any, they stay
/// built.
async fn summaries_built_before_the_protection_marginals_are_marked_for_rebuilding(db: TestDb) {
    use sea_orm_migration::MigratorTrait;
    let app = db.app().await;
    let conn = &app.state.db;
    let built = || crate::support::scalar_on(conn, "SELECT COUNT(*) FROM stats_summary_state");
    // Back to before migrations 38 to 40, and up again, with no protection entry: built.
    satis::platform::migrations::Migrator::down(conn, Some(3))
        .await
        .unwrap();
    satis::platform::migrations::Migrator::up(conn, None)
        .await
        .unwrap();
    assert_eq!(built().await, 1, "nothing to recount");
    // A person enters protection; back to before them, and up again: to be rebuilt.
    let org =
        satis::identity::store::organisation_by_name(conn, "Associazione Progetto Arcobaleno")
            .await
            .unwrap()
            .unwrap()
            .id;
    let worker = app.user("prima", Role::CaseWorker, org).await;
    let mut c = open(&app, org, worker.id, "Theta Riservata", 1995).await;
    for to in [
        satis::cases::rules::Phase::Identification,
        satis::cases::rules::Phase::FirstAssistance,
        satis::cases::rules::Phase::Protection,
    ] {
        let today = satis::platform::time::rome_today();
        satis::cases::store::change_phase(conn, &c, to, None, today, worker.id, c.version)
            .await
            .unwrap();
        c = satis::cases::store::case(conn, c.id)
            .await
            .unwrap()
            .unwrap();
    }
    satis::platform::migrations::Migrator::down(conn, Some(3))
        .await
        .unwrap();
    satis::platform::migrations::Migrator::up(conn, None)
        .await
        .unwrap();
    assert_eq!(
        built().await,
        0,
        "summaries without protection rows are to be rebuilt"
    );
    // Until then the report counts the records: the person is there.
    let today = satis::platform::time::rome_today();
    let report = satis::stats::activity(conn, today, today, None)
        .await
        .unwrap();
    let protected = report
        .figures
        .iter()
        .find(|f| f.key == "protection_programmes")
        .and_then(|f| f.value);
    assert_eq!(protected, Some(1));
}

/// Places `case` in `shelter` from `since` (to `until` when entered after it ended) through the
/// case page, in an emergency bed or not.
async fn place(
    app: &TestApp,
    case: i32,
    shelter: i32,
    since: &str,
    until: Option<&str>,
    emergency: bool,
) {
    let shelter = shelter.to_string();
    let mut form = vec![
        ("since", since),
        ("service_id", shelter.as_str()),
        ("bed_kind", "women"),
    ];
    if let Some(until) = until {
        form.push(("until", until));
    }
    if emergency {
        form.push(("emergency", "1"));
    }
    app.post_form(&format!("/cases/{case}/placements"), &form)
        .await
        .assert_status(303);
}

/// Emergency reception counts each person using an emergency bed in the period once. The
/// people with a single stay are read from the summaries (the stays begun by the period's
/// last day less those ended before its first), the few with several from the records: the
/// report is the one counted from the records whatever the period and province, for a stay
/// still open, a stay ended through the page (counted up to its last day), a shelter without
/// a province of its own (its organisation's counts), a correction of the person and a second
/// stay (which takes the person out of the marginals); a bed that is not an emergency bed is
/// not counted; the check sees a wrong row or mark, and a rebuild puts them right; summaries
/// built before the emergency rows are marked for rebuilding.
async fn people_in_emergency_beds_are_counted_once_from_the_summaries_as_from_the_records(
    db: TestDb,
) {
    use sea_orm_migration::MigratorTrait;
    let app = db.app().await;
    let scale = satis::demo_scale::Scale {
        years: 2,
        outings: 20,
        hotline_contacts: 20,
        people: 150,
        projects: 5,
    };
    satis::demo_scale::generate(&app.state.db, scale, 29, |_| {})
        .await
        .unwrap();
    // A new organisation (in Florence) with shelters in Pisa, Florence and none named.
    let org = app.organisation("Ente Pronta Accoglienza").await;
    let mut shelters = Vec::new();
    for (name, province) in [
        ("Pronta accoglienza Pisa", Some("PI")),
        ("Pronta accoglienza senza provincia", None),
        ("Pronta accoglienza Firenze", Some("FI")),
    ] {
        let s = satis::network::store::add_service(
            &app.state.db,
            org,
            "emergency_shelter",
            name,
            province.map(str::to_owned),
            "",
            "",
            false,
            None,
            &[("women", 10)],
        )
        .await
        .unwrap();
        shelters.push(s.id);
    }
    let (pisa, unnamed, florence) = (shelters[0], shelters[1], shelters[2]);
    let worker = app.user("accoglienza", Role::CaseWorker, org).await;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let today = satis::platform::time::rome_today();
    let periods = [
        (today - chrono::Duration::days(3653), today),
        (d("2025-01-01"), d("2025-12-31")),
        (d("2025-04-30"), d("2025-04-30")),
        (d("2025-05-01"), d("2025-05-01")),
        (d("2025-03-10"), d("2025-03-10")),
        (d("2025-12-31"), d("2025-12-31")),
        (d("2025-01-20"), d("2025-06-01")),
        (d("2025-01-21"), d("2025-05-31")),
        (d("2025-02-15"), d("2026-01-15")),
        (d("2026-01-01"), today),
    ];
    let value = |r: &satis::stats::ActivityReport| {
        r.figures
            .iter()
            .find(|f| f.key == "emergency_reception")
            .unwrap()
            .value
            .unwrap()
    };
    let report = |from: &str, to: &str, province: Option<&'static str>| {
        let (db, from, to) = (app.state.db.clone(), d(from), d(to));
        async move {
            satis::stats::activity(&db, from, to, province)
                .await
                .unwrap()
        }
    };
    let mut cases = Vec::new();
    for (name, year) in [
        ("Iota Riservata", 1999),
        ("Kappa Riservata", 2004),
        ("Lambda Riservata", 1990),
        ("Mu Riservata", 2001),
    ] {
        cases.push(open(&app, org, worker.id, name, year).await.id);
    }
    let (iota, kappa, lambda, mu) = (cases[0], cases[1], cases[2], cases[3]);
    app.sign_in(&worker).await;

    // A stay from New Year's Eve, still open, in Pisa: one more person that day and after.
    let eve = value(&report("2025-12-31", "2025-12-31", Some("PI")).await);
    let since = value(&report("2026-01-01", "2026-12-31", Some("PI")).await);
    place(&app, iota, pisa, "2025-12-31", None, true).await;
    assert_eq!(
        value(&report("2025-12-31", "2025-12-31", Some("PI")).await),
        eve + 1
    );
    assert_eq!(
        value(&report("2026-01-01", "2026-12-31", Some("PI")).await),
        since + 1
    );
    // A stay in a shelter without a province, from 10 March, ended through the page on 30
    // April: counted in Florence (the organisation's) up to 30 April, not from 1 May.
    place(&app, kappa, unnamed, "2025-03-10", None, true).await;
    let (april, may) = (
        value(&report("2025-04-30", "2025-04-30", Some("FI")).await),
        value(&report("2025-05-01", "2025-05-01", Some("FI")).await),
    );
    let stay = crate::support::scalar(
        &app,
        &format!("SELECT id FROM placement WHERE case_id = {kappa}"),
    )
    .await;
    app.post_form(
        &format!("/placements/{stay}/end"),
        &[("until", "2025-04-30")],
    )
    .await
    .assert_status(303);
    assert_eq!(
        value(&report("2025-04-30", "2025-04-30", Some("FI")).await),
        april
    );
    assert_eq!(
        value(&report("2025-05-01", "2025-05-01", Some("FI")).await),
        may - 1
    );
    // A bed that is not an emergency bed is not emergency reception.
    let feb = value(&report("2025-02-01", "2025-02-28", None).await);
    place(&app, mu, florence, "2025-02-01", None, false).await;
    assert_eq!(value(&report("2025-02-01", "2025-02-28", None).await), feb);
    same(&app, &periods, "as entered").await;

    // The summaries are read: the 2025 year row of the stays begun, changed by hand, changes
    // the report of every later period, and the check names the year.
    let later = value(&report("2026-01-01", "2026-06-30", None).await);
    app.state
        .db
        .execute_unprepared(
            "UPDATE stats_day SET n = n + 100 WHERE id = (SELECT MIN(id) FROM stats_day \
             WHERE figure = 'emergency_began' AND span = 'y' AND day = '2025-01-01' \
             AND k1 = 'people')",
        )
        .await
        .unwrap();
    assert_eq!(
        value(&report("2026-01-01", "2026-06-30", None).await),
        later + 100
    );
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert_eq!(broken.rolled_up, vec![d("2025-01-01")]);
    satis::stats::daily::rebuild(&app.state.db).await.unwrap();
    same(&app, &periods, "after a rebuild").await;

    // A correction of the person moves their marginals.
    let version =
        |body: &str| crate::support::find_value(body, "name=\"version\" value=\"").unwrap();
    let v = version(&app.get(&format!("/cases/{iota}")).await.body);
    app.post_form(
        &format!("/cases/{iota}/person"),
        &[
            ("gender", "male"),
            ("birth_year", "1960"),
            ("nationalities", "GH, MA"),
            ("languages", "EN"),
            ("version", &v),
        ],
    )
    .await
    .assert_status(303);
    same(&app, &periods, "after a correction").await;

    // A second stay for the same person, entered after the fact in January, and a third from
    // June in Florence: one person over a period holding them, read from the records, and
    // named as such.
    let year = value(&report("2025-01-01", "2025-12-31", None).await);
    place(&app, lambda, pisa, "2025-01-05", Some("2025-01-20"), true).await;
    assert_eq!(
        value(&report("2025-01-01", "2025-12-31", None).await),
        year + 1
    );
    place(&app, lambda, florence, "2025-06-01", None, true).await;
    assert_eq!(
        value(&report("2025-01-01", "2025-12-31", None).await),
        year + 1,
        "one person, however many stays"
    );
    let marked = crate::support::scalar(
        &app,
        "SELECT COUNT(*) FROM stats_several WHERE figure = 'emergency'",
    )
    .await;
    assert_eq!(marked, 1);
    same(&app, &periods, "with several stays").await;
    // A lost mark is found by the check and put back by a rebuild.
    app.state
        .db
        .execute_unprepared("DELETE FROM stats_several WHERE figure = 'emergency'")
        .await
        .unwrap();
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert_eq!(broken.several, 1);
    satis::stats::daily::rebuild(&app.state.db).await.unwrap();
    same(&app, &periods, "after the second rebuild").await;

    // Summaries built before the emergency rows (migration 40) are to be rebuilt.
    let conn = &app.state.db;
    satis::platform::migrations::Migrator::down(conn, Some(1))
        .await
        .unwrap();
    satis::platform::migrations::Migrator::up(conn, None)
        .await
        .unwrap();
    let built = crate::support::scalar(&app, "SELECT COUNT(*) FROM stats_summary_state").await;
    assert_eq!(
        built, 0,
        "summaries without emergency rows are to be rebuilt"
    );
}

/// Waits for the summaries to be built again (the rebuild a registry change starts runs in the
/// background).
async fn until_built(app: &TestApp) {
    for _ in 0..1200 {
        if satis::stats::daily::built(&app.state.db).await.unwrap() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the summaries were not rebuilt");
}

/// The summaries count records by the province they count in and leave out the organisations
/// kept out of statistics, both resolved when written. An administrator moving an organisation
/// to another province, or leaving it out, marks them for rebuilding in the same transaction
/// (the report counts the records at once) and starts the rebuild; the figures are those
/// counted from the records before and after. A province changed behind the application's
/// back is found by the check.
async fn moving_an_organisation_or_leaving_it_out_rebuilds_the_summaries(db: TestDb) {
    let app = db.app().await;
    let scale = satis::demo_scale::Scale {
        years: 2,
        outings: 20,
        hotline_contacts: 300,
        people: 120,
        projects: 5,
    };
    satis::demo_scale::generate(&app.state.db, scale, 31, |_| {})
        .await
        .unwrap();
    assert!(satis::stats::daily::built(&app.state.db).await.unwrap());
    // The organisation with the most cases (it has calls too).
    let org = crate::support::scalar(
        &app,
        "SELECT owner_org FROM case_file GROUP BY owner_org \
         ORDER BY COUNT(*) DESC, owner_org LIMIT 1",
    )
    .await;
    let admin_org = app.organisation("Regione Toscana").await;
    let admin = app
        .user("admin-riepilogo", Role::Administrator, admin_org)
        .await;
    app.sign_in(&admin).await;
    let today = satis::platform::time::rome_today();
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let periods = [
        (today - chrono::Duration::days(3653), today),
        (d("2025-01-01"), d("2025-12-31")),
        (today - chrono::Duration::days(40), today),
    ];
    let provinces = [None, Some("MS"), Some("SI"), Some("FI")];
    let value = |r: &satis::stats::ActivityReport, key: &str| {
        r.figures
            .iter()
            .find(|f| f.key == key)
            .unwrap()
            .value
            .unwrap()
    };
    let ten_years = |province: Option<&'static str>| {
        let db = app.state.db.clone();
        async move {
            satis::stats::activity(&db, today - chrono::Duration::days(3653), today, province)
                .await
                .unwrap()
        }
    };
    let region = ten_years(None).await;
    for (province, excluded) in [("MS", false), ("SI", false), ("SI", true)] {
        let mut form = vec![("kind", "ngo"), ("province", province)];
        if excluded {
            form.push(("excluded_from_stats", "1"));
        }
        app.post_form(&format!("/network/organisations/{org}"), &form)
            .await
            .assert_status(303);
        // At once, whether the rebuild has ended or not: the figures counted from the records.
        summaries_match_records(&app, &periods, &provinces, "just after the change").await;
        until_built(&app).await;
        summaries_match_records(&app, &periods, &provinces, "rebuilt after the change").await;
        let check = satis::stats::daily::check(&app.state.db).await.unwrap();
        assert!(check.consistent(), "{province}, {excluded}: {check:?}");
        if !excluded {
            // Moved, not left out: the region's totals do not change (their provinces do).
            let moved = ten_years(None).await;
            for f in &region.figures {
                assert_eq!(value(&moved, f.key), f.value.unwrap(), "{}", f.key);
            }
            assert!(value(&ten_years(Some(province)).await, "protection_programmes") > 0);
        }
    }
    // Left out: its cases and calls are no longer in the region's figures.
    let without = ten_years(None).await;
    assert!(value(&without, "protection_programmes") < value(&region, "protection_programmes"));
    assert!(value(&without, "hotline_cases") <= value(&region, "hotline_cases"));
    // A province changed behind the application's back leaves summaries the check finds wrong;
    // a rebuild puts them right.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE organisation SET province = 'LU', excluded_from_stats = FALSE WHERE id = {org}"
        ))
        .await
        .unwrap();
    let broken = satis::stats::daily::check(&app.state.db).await.unwrap();
    assert!(!broken.days.is_empty());
    satis::stats::daily::rebuild(&app.state.db).await.unwrap();
    summaries_match_records(&app, &periods, &[None, Some("LU")], "after the rebuild").await;
}
