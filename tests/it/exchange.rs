//! Historical records: a CTDC-layout file imported all or nothing, once, and counted right.

use satis::exchange::{Options, Outcome, ctdc, import_ctdc, store};
use satis::platform::policy::Role;
use std::collections::BTreeMap;

use crate::support::TestDb;

crate::tests![
    every_public_ctdc_layout_imports_with_the_counts_the_file_says,
    a_case_exported_and_imported_gives_back_the_same_record,
    a_ctdc_file_is_imported_once_and_its_counts_match,
    a_file_with_wrong_rows_or_header_saves_nothing,
    a_file_as_published_with_an_index_column_and_words_for_missing_is_imported,
    a_latin1_file_is_named_as_such_and_read_with_the_flag,
    flags_left_blank_by_the_source_are_published_as_not_recorded,
];

/// CTDC writes a flag the source left blank as -99. The open data used to publish it as 0
/// ("no": not forced labour) for every such record; it is kept apart from "no" from the import
/// to the published file.
async fn flags_left_blank_by_the_source_are_published_as_not_recorded(db: TestDb) {
    let app = db.app().await;
    let header = "yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,citizenship,\
                  isForcedLabour,isSexualExploit,isOtherExploit,CountryOfExploitation";
    let mut lines = vec![header.to_owned()];
    for _ in 0..6 {
        lines.push("2019,Case Management,Female,18--20,Adult,NG,-99,1,-99,IT".into());
    }
    for _ in 0..6 {
        lines.push("2019,Case Management,Female,18--20,Adult,NG,0,1,0,IT".into());
    }
    let data = lines.join("\n") + "\n";
    let o = import_ctdc(
        &app.state.db,
        data.as_bytes(),
        "flags.csv",
        Options::default(),
    )
    .await
    .unwrap();
    assert!(matches!(o, Outcome::Imported { imported: 12, .. }), "{o:?}");
    let (microdata, _, _) = satis::stats::open_data::export(&app.state.db, 5)
        .await
        .unwrap()
        .unwrap();
    let rows: Vec<&str> = microdata.lines().skip(1).collect();
    assert_eq!(rows.len(), 12);
    // yearOfRegistration … CountryOfExploitation, isForcedLabour, isSexualExploit, isOtherExploit
    let flags = |r: &str| r.split(',').skip(7).take(3).collect::<Vec<_>>().join(",");
    assert_eq!(rows.iter().filter(|r| flags(r) == "-99,1,-99").count(), 6);
    assert_eq!(rows.iter().filter(|r| flags(r) == "0,1,0").count(), 6);
}

/// A file written the way public copies of the CTDC releases are (an unnamed row-index
/// column from R, a column SATIS does not use, "Unknown" / "Missing" / -99 / empty for not
/// recorded, flags as 1/0 and as words): imported whole, the counts as the test counts them.
async fn a_file_as_published_with_an_index_column_and_words_for_missing_is_imported(db: TestDb) {
    let app = db.app().await;
    let header = "\"\",yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,citizenship,\
                  isForcedLabour,isSexualExploit,isOtherExploit,CountryOfExploitation,\
                  typeOfExploitConcatenated";
    let rows = [
        "1,2018,Case Management,Female,18--20,Adult,NG,0,1,0,IT,Sexual exploitation",
        "2,2018,Case Management,Female,Unknown,Unknown,NG,0,1,0,Missing,Sexual exploitation",
        "3,2019,Hotline,Male,-99,-99,RO,1,0,0,IT,Forced labour",
        "4,2019,Hotline,Unknown,,,Unknown,TRUE,FALSE,FALSE,-99,Forced labour",
        "5,2020,Case Management,Female,9--17,Minor,AL,0,1,0,IT,",
    ];
    let data = format!("{header}\n{}\n", rows.join("\n"));
    let dry = import_ctdc(
        &app.state.db,
        data.as_bytes(),
        "ctdc-2020.csv",
        Options {
            dry_run: true,
            skip_invalid: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let text = satis::exchange::describe(&dry, satis::platform::i18n::Lang::En);
    assert!(text.contains("5 records to import"), "{text}");
    assert!(text.contains("typeOfExploitConcatenated"), "{text}");
    assert!(text.contains("citizenship=1"), "{text}");
    let o = import_ctdc(
        &app.state.db,
        data.as_bytes(),
        "ctdc-2020.csv",
        Options::default(),
    )
    .await
    .unwrap();
    assert!(matches!(o, Outcome::Imported { imported: 5, .. }), "{o:?}");
    let got = store::summary(&app.state.db, 1990, 2100).await.unwrap();
    assert_eq!(got.total, 5);
    assert_eq!(got.gender.get("female"), Some(&3));
    assert_eq!(got.gender.get("male"), Some(&1));
    assert_eq!(got.gender.get("unknown"), Some(&1));
    assert_eq!(got.citizenship.get("NG"), Some(&2));
    assert_eq!(
        got.citizenship.get("—"),
        Some(&1),
        "Unknown is not recorded"
    );
    assert_eq!(got.form.get("sexual"), Some(&3));
    assert_eq!(got.form.get("forced_labour"), Some(&2));
}

async fn a_ctdc_file_is_imported_once_and_its_counts_match(db: TestDb) {
    let app = db.app().await;
    let (data, want) = ctdc::synthetic(3_000, 42);
    let dry = import_ctdc(
        &app.state.db,
        data.as_bytes(),
        "prova.csv",
        Options {
            dry_run: true,
            skip_invalid: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(&dry, Outcome::DryRun { plan, .. } if plan.new.len() == 3_000));
    assert_eq!(
        store::summary(&app.state.db, 1990, 2100)
            .await
            .unwrap()
            .total,
        0,
        "a dry run saves nothing"
    );
    let first = import_ctdc(
        &app.state.db,
        data.as_bytes(),
        "prova.csv",
        Options::default(),
    )
    .await
    .unwrap();
    assert!(matches!(
        first,
        Outcome::Imported {
            imported: 3_000,
            ..
        }
    ));
    let got = store::summary(&app.state.db, 1990, 2100).await.unwrap();
    assert_eq!(
        got, want,
        "counts by gender, form and citizenship match the file"
    );
    // The same file again: nothing twice.
    let again = import_ctdc(
        &app.state.db,
        data.as_bytes(),
        "prova.csv",
        Options::default(),
    )
    .await
    .unwrap();
    match again {
        Outcome::Imported { imported, plan, .. } => {
            assert_eq!((imported, plan.already), (0, 3_000));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store::summary(&app.state.db, 1990, 2100)
            .await
            .unwrap()
            .total,
        3_000
    );
    // Analysts see the counts, small cells hidden; others do not.
    let org = app.organisation("Regione Toscana").await;
    let analyst = app
        .user("analista-storico", Role::RegionalAnalyst, org)
        .await;
    let worker = app.user("operatrice-storico", Role::CaseWorker, org).await;
    app.sign_in(&worker).await;
    app.get("/stats/historical").await.assert_status(403);
    app.sign_in(&analyst).await;
    let page = app.get("/stats/historical?from=1990&to=2100").await;
    page.assert_status(422);
    let page = app.get("/stats/historical").await;
    page.assert_status(200)
        .assert_contains(&format!("id=\"historical-total\">{}<", want.total))
        .assert_contains(&format!(
            "<th scope=\"row\">NG (Nigeria)</th><td>{}</td>",
            want.citizenship["NG"]
        ));
}

async fn a_file_with_wrong_rows_or_header_saves_nothing(db: TestDb) {
    let app = db.app().await;
    let (data, _) = ctdc::synthetic(200, 9);
    let mut lines: Vec<String> = data.lines().map(str::to_owned).collect();
    lines[10] = lines[10].replacen("20", "18", 1);
    lines[20] = lines[20]
        .replace("Female", "Robot")
        .replace("Male", "Robot");
    let bad = lines.join("\n") + "\n";
    let refused = import_ctdc(
        &app.state.db,
        bad.as_bytes(),
        "rotto.csv",
        Options::default(),
    )
    .await
    .unwrap();
    let Outcome::Refused { plan } = &refused else {
        panic!("{refused:?}")
    };
    assert!(
        plan.rejected
            .iter()
            .any(|(line, e)| *line == 11 && e.key == "import-error-year")
    );
    let text = satis::exchange::describe(&refused, satis::platform::i18n::Lang::It);
    assert!(
        text.contains("riga 11, colonna yearOfRegistration"),
        "{text}"
    );
    assert!(text.contains("Nessuna registrazione importata"), "{text}");
    assert_eq!(
        store::summary(&app.state.db, 1990, 2100)
            .await
            .unwrap()
            .total,
        0
    );
    // With --skip-invalid the others go in.
    let partial = import_ctdc(
        &app.state.db,
        bad.as_bytes(),
        "rotto.csv",
        Options {
            dry_run: false,
            skip_invalid: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let Outcome::Imported { imported, plan, .. } = partial else {
        panic!()
    };
    assert_eq!(imported + plan.rejected.len(), 200);
    // A wrong header: every problem named, nothing saved.
    let header_bad = data.replacen("citizenship,", "nationality,", 1);
    let o = import_ctdc(
        &app.state.db,
        header_bad.as_bytes(),
        "x.csv",
        Options::default(),
    )
    .await
    .unwrap();
    let text = satis::exchange::describe(&o, satis::platform::i18n::Lang::En);
    assert!(text.contains("column citizenship is missing"), "{text}");
    // A column SATIS does not use is only listed; the missing one refuses the file.
    assert!(!text.contains("unknown column: nationality"), "{text}");
}

async fn a_case_exported_and_imported_gives_back_the_same_record(db: TestDb) {
    use satis::exchange::htcds::CaseRecord;
    let app = db.app().await;
    let a = app.organisation("Ente Esportatore").await;
    let b = app.organisation("Ente Importatore").await;
    let sender = app.user("esporta", Role::CaseWorker, a).await;
    let receiver = app.user("importa", Role::CaseWorker, b).await;
    let outsider = app.user("curiosa", Role::CaseWorker, b).await;
    let record = CaseRecord {
        names: "Persona Scambiata".into(),
        aliases: "Pat".into(),
        birth_date: "1999-04-02".into(),
        documents: "passaporto X123".into(),
        phone: "+39 333 1112222".into(),
        address: String::new(),
        gender: "female".into(),
        birth_year: Some(1999),
        birth_year_estimated: false,
        presumed_minor: false,
        nationalities: vec!["NG".into()],
        languages: vec!["EN".into(), "IT".into(), "YO".into()],
        vulnerabilities: "gravidanza".into(),
        phase: "protection".into(),
        closure_reason: None,
        trafficking_status: Some("presumed".into()),
        exploitation_forms: vec!["sexual".into(), "begging".into()],
        labour_sector: None,
        means_of_control: vec!["debt_bondage".into(), "threats".into()],
        recruitment: vec!["friend".into()],
        consent: true,
    };
    let id =
        satis::exchange::open_from_record(&app.state.db, &app.state.keys, &record, a, sender.id)
            .await
            .unwrap();
    app.sign_in(&outsider).await;
    app.get(&format!("/cases/{id}/htcds.json"))
        .await
        .assert_status(403);
    app.sign_in(&sender).await;
    let exported = app.get(&format!("/cases/{id}/htcds.json")).await;
    exported
        .assert_status(200)
        .assert_contains("\"prs_Gender\": \"Feminine\"");
    let doc1: serde_json::Value = serde_json::from_str(&exported.body).unwrap();

    app.sign_in(&receiver).await;
    // A document with wrong fields: every one listed, nothing saved.
    let mut wrong = doc1.clone();
    wrong["prs_Gender"] = "Robot".into();
    wrong["prs_Citizenship"] = serde_json::json!(["Nigeria"]);
    wrong["vic_MethodsOfControl"] = serde_json::json!(["MindControl"]);
    let before = crate::support::count_rows(&app, "case_file").await;
    let r = app
        .post_form("/exchange/import", &[("document", &wrong.to_string())])
        .await;
    r.assert_status(422)
        .assert_contains("prs_Gender")
        .assert_contains("prs_Citizenship[0]")
        .assert_contains("vic_MethodsOfControl[0]");
    app.post_form("/exchange/import", &[("document", "{not json")])
        .await
        .assert_status(422)
        .assert_contains("non è un documento JSON");
    assert_eq!(crate::support::count_rows(&app, "case_file").await, before);

    let r = app
        .post_form("/exchange/import", &[("document", &doc1.to_string())])
        .await;
    r.assert_status(303);
    let new_id: i32 = r
        .header("location")
        .trim_start_matches("/cases/")
        .parse()
        .unwrap();
    assert_ne!(new_id, id);
    let doc2: serde_json::Value =
        serde_json::from_str(&app.get(&format!("/cases/{new_id}/htcds.json")).await.body).unwrap();
    assert_eq!(doc1, doc2, "the round trip gives back the same document");
    let back = satis::exchange::case_record(&app.state.db, &app.state.keys, new_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, record, "and the same record");

    // An integrator sends the same document to the API: the same checks, a case opened once
    // whatever the resends, and the same record.
    let token = app
        .token(&receiver, b, &["cases:read", "cases:write"])
        .await;
    let r = app
        .api(
            "POST",
            "/api/v1/exchange/htcds-cases",
            &token,
            Some(&wrong),
            &[],
        )
        .await;
    r.assert_status(422);
    let error: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(error["error"]["field"], "prs_Gender", "{}", r.body);
    let key = [("idempotency-key", "htcds-persona-scambiata")];
    let first = app
        .api(
            "POST",
            "/api/v1/exchange/htcds-cases",
            &token,
            Some(&doc1),
            &key,
        )
        .await;
    first.assert_status(201);
    let created: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    let api_id = created["case_id"].as_i64().unwrap() as i32;
    assert!(created["person_code"].as_str().unwrap().starts_with("TOS-"));
    let again = app
        .api(
            "POST",
            "/api/v1/exchange/htcds-cases",
            &token,
            Some(&doc1),
            &key,
        )
        .await;
    assert_eq!(again.body, first.body, "a resend opens nothing more");
    let via_api = satis::exchange::case_record(&app.state.db, &app.state.keys, api_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(via_api, record);
    let outreach = app.user("strada-x", Role::OutreachOperator, b).await;
    let no_identity = app
        .token(&outreach, b, &["cases:read", "cases:write"])
        .await;
    let r = app
        .api(
            "POST",
            "/api/v1/exchange/htcds-cases",
            &no_identity,
            Some(&doc1),
            &[],
        )
        .await;
    assert!(
        matches!(r.status.as_u16(), 403),
        "a role that may not read identities imports none: {} {}",
        r.status,
        r.body
    );
}

/// A CTDC file saved by a spreadsheet in Latin-1 (a citizenship note, a datasource with an
/// accent): refused naming the line where it stops being UTF-8, nothing saved; with the
/// Latin-1 option it is read, the accented text intact.
async fn a_latin1_file_is_named_as_such_and_read_with_the_flag(db: TestDb) {
    let app = db.app().await;
    let mut data = b"yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,citizenship,\
isForcedLabour,isSexualExploit,isOtherExploit,CountryOfExploitation\n\
2019,Case Management,Female,18--20,Adult,NG,0,1,0,IT\n"
        .to_vec();
    // "Unità di strada" in Latin-1: the a with grave accent is the single byte 0xE0.
    data.extend_from_slice(b"2019,Unit\xe0 di strada,Male,18--20,Adult,RO,1,0,0,IT\n");
    let o = import_ctdc(&app.state.db, &data, "latin1.csv", Options::default())
        .await
        .unwrap();
    let text = satis::exchange::describe(&o, satis::platform::i18n::Lang::En);
    assert!(text.contains("From line 3 the file is not UTF-8"), "{text}");
    assert_eq!(
        store::summary(&app.state.db, 1990, 2100)
            .await
            .unwrap()
            .total,
        0
    );
    let o = import_ctdc(
        &app.state.db,
        &data,
        "latin1.csv",
        Options {
            latin1: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(o, Outcome::Imported { imported: 2, .. }), "{o:?}");
    assert_eq!(
        crate::support::scalar(
            &app,
            "SELECT COUNT(*) FROM historical_record WHERE datasource = 'Unità di strada'"
        )
        .await,
        1
    );
}

/// The counts a file says, read by the test itself from the raw cells (not by SATIS's
/// reader): records by year, gender, citizenship, and forced labour yes / no / not recorded.
#[derive(Default, Debug, PartialEq)]
struct Said {
    total: i64,
    year: BTreeMap<i32, i64>,
    gender: BTreeMap<String, i64>,
    citizenship: BTreeMap<String, i64>,
    labour: [i64; 3],
}

fn count_raw(data: &[u8], said: &mut Said) {
    let mut r = csv::ReaderBuilder::new().from_reader(data);
    let header: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (year, gender, citizenship, labour) = (
        col("yearOfRegistration"),
        col("gender"),
        col("citizenship"),
        col("isForcedLabour"),
    );
    for row in r.records() {
        let row = row.unwrap();
        said.total += 1;
        *said.year.entry(row[year].parse().unwrap()).or_insert(0) += 1;
        let g = match &row[gender] {
            "Female" | "Woman" => "female",
            "Male" | "Man" => "male",
            "Transgender" | "Trans/Transgender/NonConforming" => "transgender",
            _ => "unknown",
        };
        *said.gender.entry(g.into()).or_insert(0) += 1;
        let c = match &row[citizenship] {
            "NGA" => "NG",
            "ROU" => "RO",
            "BRA" => "BR",
            "PAK" => "PK",
            "XKX" => "XK",
            "-99" | "" | "Unknown" | "NA" => "",
            other => other,
        };
        *said.citizenship.entry(c.into()).or_insert(0) += 1;
        let i = match &row[labour] {
            "1" => 0,
            "0" => 1,
            _ => 2,
        };
        said.labour[i] += 1;
    }
}

/// One small file of my own in each public layout (the 2017 release as R writes it back, the
/// 2018 one as pandas does, the 63 columns of 2020, the 2021 synthetic release with names cut
/// at 32 characters, the current synthetic release with merged means and alpha-3 countries):
/// each is imported whole and the stored figures are what the test counts in the raw cells.
async fn every_public_ctdc_layout_imports_with_the_counts_the_file_says(db: TestDb) {
    let app = db.app().await;
    let mut said = Said::default();
    for (file, layout) in [
        ("global-2017.csv", "import-layout-global"),
        ("global-2018.csv", "import-layout-global"),
        ("global-2020.csv", "import-layout-global"),
        ("synthetic-2021.csv", "import-layout-synthetic-2021"),
        ("synthetic-2024.csv", "import-layout-synthetic"),
    ] {
        let path = format!("{}/tests/fixtures/ctdc/{file}", env!("CARGO_MANIFEST_DIR"));
        let data = std::fs::read(&path).unwrap();
        let before = said.total;
        count_raw(&data, &mut said);
        let o = import_ctdc(&app.state.db, &data, file, Options::default())
            .await
            .unwrap();
        let Outcome::Imported { imported, plan, .. } = &o else {
            panic!("{file}: {o:?}")
        };
        assert_eq!(*imported as i64, said.total - before, "{file}");
        assert_eq!(plan.layout, Some(layout), "{file}");
        let text = satis::exchange::describe(&o, satis::platform::i18n::Lang::It);
        assert!(text.contains("Formato riconosciuto"), "{text}");
    }
    let got = store::figures(&app.state.db, 1990, 2100).await.unwrap();
    assert_eq!(got.total, said.total);
    assert_eq!(got.year, said.year);
    let gender: BTreeMap<String, i64> = got.gender.clone();
    assert_eq!(gender, said.gender);
    assert_eq!(got.citizenship, said.citizenship);
    assert_eq!(
        got.form("forced_labour").map(|(_, n)| n),
        said.labour,
        "forced labour: yes, no, not recorded"
    );
    // The analyst reads the same figures on the page and in its CSV, labels translated.
    let org = app.organisation("Regione Toscana").await;
    let analyst = app
        .user("analista-layout", Role::RegionalAnalyst, org)
        .await;
    app.sign_in(&analyst).await;
    app.get("/stats/historical")
        .await
        .assert_status(200)
        .assert_contains("Per paese di sfruttamento")
        .assert_contains("Non registrato");
    let csv = app.get("/stats/historical.csv").await;
    csv.assert_status(200);
    let body = &csv.body;
    assert!(body.contains("Per genere,Donna,"), "{body}");
    assert!(body.contains("Lavoro forzato — Non registrato"), "{body}");
    assert!(!body.contains("forced_labour"), "no codes: {body}");
}
