//! The half-year a regional office reports on, entered through the API by operators of
//! several organisations as they would enter it — late, out of order, across midnight in
//! Italy — and then read back four ways: `satis report activity`, the web report, its CSV
//! download and the API. Every figure must be the count this test makes on its own from what
//! it entered (docs/INDICATORS.md gives the definitions).

use std::collections::BTreeMap;

use satis::platform::policy::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, TestDb};

crate::tests![a_half_year_entered_through_the_api_is_reported_exactly_everywhere];

const FROM: &str = "2026-01-01";
const TO: &str = "2026-06-30";

fn json_of(r: &crate::support::TestResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

/// Creates through the API and gives back the answer.
async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app.api("POST", path, token, Some(&body), &[]).await;
    assert_eq!(r.status.as_u16(), 201, "POST {path} {body}: {}", r.body);
    json_of(&r)
}

/// Whether an instant typed with its offset falls in the half-year, in Italian days.
fn in_period(at: &str) -> bool {
    let t = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let day = t.with_timezone(&chrono_tz::Europe::Rome).date_naive();
    in_days(&day.to_string())
}

fn in_days(day: &str) -> bool {
    (FROM..=TO).contains(&day)
}

/// A service of the registry (a street unit, a desk, a shelter with beds) of `org`.
async fn service(app: &TestApp, org: i32, kind: &str, province: &str, beds: i32) -> i32 {
    let beds: Vec<(&str, i32)> = if beds > 0 {
        vec![("women", beds)]
    } else {
        vec![]
    };
    satis::network::store::add_service(
        &app.state.db,
        org,
        kind,
        &format!("{kind} {org}"),
        Some(province.into()),
        "",
        "",
        false,
        None,
        &beds,
    )
    .await
    .unwrap()
    .id
}

/// A hotline call: (caller, start with its offset, relevance, situation, counted as a new
/// case in the half-year by this test's own reading of the rule).
type Call = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
);

/// An outing at `start` (with its offset) meeting `people`.
fn outing(unit: i32, start: &str, people: u32) -> Value {
    let started = chrono::DateTime::parse_from_rfc3339(start).unwrap();
    let ended = started + chrono::Duration::hours(3);
    json!({
        "service_id": unit,
        "started_at": started.to_rfc3339(),
        "ended_at": ended.to_rfc3339(),
        "area": "Stazione",
        "people_met": people,
        "gender": {"female": people},
        "age_band": {"unknown": people},
        "status": {"new": people},
    })
}

async fn a_half_year_entered_through_the_api_is_reported_exactly_everywhere(db: TestDb) {
    let app = db.app().await;
    let hotline_org = app.organisation("Numero Verde Regionale").await;
    let ponte = app.organisation("Associazione Il Ponte").await;
    let shelter_org = app.organisation("Casa delle Donne").await;
    let training = app.organisation("Ente Formazione Operatori").await;

    // ---------- the hotline ----------
    let operator = app
        .user("nv-notte", Role::HotlineOperator, hotline_org)
        .await;
    let hotline = app
        .token(&operator, hotline_org, &["hotline:read", "hotline:write"])
        .await;
    let calls: Vec<Call> = vec![
        // A asks about a permit, then discloses exploitation: one case, at the disclosure.
        (
            "A",
            "2026-02-10T10:00:00+01:00",
            "not_pertinent",
            None,
            false,
        ),
        ("A", "2026-02-20T10:00:00+01:00", "pertinent", None, true),
        // The same social worker with two different situations: two cases.
        ("B", "2026-03-01T09:00:00+01:00", "pertinent", None, true),
        (
            "B",
            "2026-03-15T09:00:00+01:00",
            "pertinent",
            Some("new"),
            true,
        ),
        // C's follow-up typed before the first call, which was entered late: one case.
        ("C", "2026-04-10T18:00:00+02:00", "pertinent", None, true),
        ("C", "2026-04-05T18:00:00+02:00", "pertinent", None, false),
        // Either side of midnight in Italy on both boundaries, winter and summer time.
        ("D", "2025-12-31T23:30:00+01:00", "pertinent", None, false),
        ("E", "2026-01-01T00:30:00+01:00", "pertinent", None, true),
        ("F", "2026-06-30T23:30:00+02:00", "pertinent", None, true),
        ("G", "2026-07-01T00:30:00+02:00", "pertinent", None, false),
        // Calls that are not cases.
        ("H", "2026-05-05T03:00:00+02:00", "nuisance", None, false),
        (
            "I",
            "2026-05-06T03:00:00+02:00",
            "not_pertinent",
            None,
            false,
        ),
        // J is accompanied twice by the hotline (below): one case, one person accompanied.
        ("J", "2026-05-10T11:00:00+02:00", "pertinent", None, true),
    ];
    let mut contact_of = BTreeMap::new();
    for (caller, at, relevance, situation, _) in &calls {
        let mut body = json!({
            "channel": "phone",
            "relevance": relevance,
            "caller_ref": caller,
            "started_at": at,
            "duration_minutes": 10,
            "province": "FI",
        });
        if *relevance == "pertinent" {
            body["exploitation_forms"] = json!(["sexual"]);
        }
        if let Some(s) = situation {
            body["situation"] = json!(s);
        }
        let c = create(&app, &hotline, "/api/v1/hotline/contacts", body).await;
        contact_of.insert(*caller, c["id"].as_i64().unwrap());
    }
    let hotline_cases = calls.iter().filter(|c| c.4).count() as i64;
    let other_calls = calls
        .iter()
        .filter(|c| c.2 != "pertinent" && in_period(c.1))
        .count() as i64;
    for day in ["2026-05-11", "2026-05-20"] {
        create(
            &app,
            &hotline,
            &format!(
                "/api/v1/hotline/contacts/{}/accompaniments",
                contact_of["J"]
            ),
            json!({"happened_on": day, "service_kind": "health", "outcome": "done"}),
        )
        .await;
    }

    // ---------- a street unit and a drop-in desk in Prato ----------
    let unit = service(&app, ponte, "street_unit", "PO", 0).await;
    let desk = service(&app, ponte, "drop_in", "PO", 0).await;
    let street = app
        .user("ponte-strada", Role::OutreachOperator, ponte)
        .await;
    let outreach = app
        .token(&street, ponte, &["outreach:read", "outreach:write"])
        .await;
    let outings = [
        ("2025-12-31T23:30:00+01:00", 3),
        ("2026-01-01T00:30:00+01:00", 4),
        ("2026-03-10T21:00:00+01:00", 6),
        ("2026-06-30T23:30:00+02:00", 5),
        ("2026-07-01T00:30:00+02:00", 2),
    ];
    // Entered newest first.
    for (start, people) in outings.iter().rev() {
        create(
            &app,
            &outreach,
            "/api/v1/outreach/outings",
            outing(unit, start, *people),
        )
        .await;
    }
    let street_contacts: i64 = outings
        .iter()
        .filter(|(at, _)| in_period(at))
        .map(|(_, n)| i64::from(*n))
        .sum();
    let interviews = [
        "2025-12-31",
        "2026-01-01",
        "2026-02-14",
        "2026-03-03",
        "2026-04-01",
        "2026-04-01",
        "2026-06-30",
        "2026-07-01",
    ];
    for day in interviews {
        create(
            &app,
            &outreach,
            "/api/v1/outreach/interviews",
            json!({"service_id": desk, "held_on": day, "outcome": "information_given"}),
        )
        .await;
    }
    let drop_in_interviews = interviews.iter().filter(|d| in_days(d)).count() as i64;
    // Accompaniments by the unit and the desk: (code, day, service, outcome, source).
    let unit_trips = [
        // LUNA-1 accompanied twice, by both services: one person.
        ("LUNA-1", "2026-02-01", "health", "done", "street_unit"),
        ("LUNA-1", "2026-03-01", "social", "done", "street_unit"),
        ("LUNA-1", "2026-04-01", "health", "done", "drop_in"),
        // Other services and outcomes are in the breakdown, not in the headline.
        ("SOLE-2", "2026-02-02", "legal", "done", "street_unit"),
        ("MARE-3", "2026-02-03", "health", "missed", "street_unit"),
        // Boundaries.
        ("NOTTE-4", "2025-12-31", "health", "done", "street_unit"),
        ("NEVE-7", "2026-01-01", "social", "done", "drop_in"),
        ("ESTATE-6", "2026-06-30", "health", "done", "street_unit"),
        ("ALBA-5", "2026-07-01", "health", "done", "street_unit"),
    ];
    for (code, day, service_kind, outcome, source) in unit_trips {
        create(
            &app,
            &outreach,
            "/api/v1/outreach/accompaniments",
            json!({"contact_code": code, "happened_on": day, "service_kind": service_kind,
                   "outcome": outcome, "source": source}),
        )
        .await;
    }

    // ---------- people in a shelter and in protection ----------
    let shelter = service(&app, shelter_org, "emergency_shelter", "SI", 20).await;
    let worker = app
        .user("casa-operatrice", Role::CaseWorker, shelter_org)
        .await;
    let cases = app
        .token(&worker, shelter_org, &["cases:read", "cases:write"])
        .await;
    // (name, opened on, protection from, emergency stays (since, until))
    type Person = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Vec<(&'static str, Option<&'static str>)>,
    );
    let people: Vec<Person> = vec![
        // Entered the programme on the first day of the period; her stay began before it.
        (
            "P2",
            "2026-02-01",
            Some("2026-03-01"),
            vec![
                ("2026-02-01", Some("2026-03-01")),
                ("2026-03-05", Some("2026-04-01")),
            ],
        ),
        (
            "P1",
            "2025-11-10",
            Some("2026-01-01"),
            vec![("2025-11-10", None)],
        ),
        (
            "P3",
            "2026-06-20",
            Some("2026-07-01"),
            vec![("2026-06-30", None)],
        ),
        ("P4", "2025-06-01", Some("2025-09-01"), vec![]),
        (
            "P5",
            "2026-04-01",
            Some("2026-05-01"),
            vec![("2026-04-02", Some("2026-04-20"))],
        ),
        (
            "P6",
            "2025-12-01",
            None,
            vec![("2025-12-01", Some("2025-12-31"))],
        ),
        ("P7", "2025-12-20", None, vec![("2025-12-20", None)]),
        ("P8", "2026-01-05", Some("2026-06-30"), vec![]),
        ("P9", "2026-01-10", Some("2026-02-15"), vec![]),
        ("P10", "2026-07-01", None, vec![("2026-07-01", None)]),
    ];
    let mut case_of = BTreeMap::new();
    for (name, opened, protection, stays) in &people {
        let c = create(
            &app,
            &cases,
            "/api/v1/cases",
            json!({"gender": "female", "names": format!("Persona {name}"), "birth_year": 1995,
                   "nationalities": ["NG"], "opened_on": opened, "confirm_new": true}),
        )
        .await;
        let id = c["id"].as_i64().unwrap();
        case_of.insert(*name, id);
        if let Some(day) = protection {
            let mut etag = format!("\"v{}\"", c["version"]);
            for phase in ["identification", "first_assistance", "protection"] {
                // Each step on its own day, the last on the day of the programme.
                let on = if phase == "protection" { *day } else { *opened };
                let r = app
                    .api(
                        "PATCH",
                        &format!("/api/v1/cases/{id}"),
                        &cases,
                        Some(&json!({"phase": phase, "effective_on": on})),
                        &[("if-match", etag.as_str())],
                    )
                    .await;
                assert_eq!(r.status.as_u16(), 200, "{name} {phase}: {}", r.body);
                etag = r.header("etag").to_owned();
            }
        }
        for (since, until) in stays {
            let mut body = json!({"service_id": shelter, "bed_kind": "women",
                                  "emergency": true, "since": since});
            if let Some(u) = until {
                body["until"] = json!(u);
            }
            create(
                &app,
                &cases,
                &format!("/api/v1/cases/{id}/placements"),
                body,
            )
            .await;
        }
    }
    // P1's stay, entered open, ended on 15 January: entered after the fact.
    let stay: i64 = crate::support::scalar(
        &app,
        &format!("SELECT id FROM placement WHERE case_id = {}", case_of["P1"]),
    )
    .await;
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/cases/placements/{stay}"),
            &cases,
            Some(&json!({"until": "2026-01-15"})),
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(json_of(&r)["until"], "2026-01-15");
    let overlaps =
        |(since, until): &(&str, Option<&str>)| *since <= TO && until.is_none_or(|u| u >= FROM);
    let emergency = people
        .iter()
        .filter(|p| {
            p.3.iter()
                .map(|s| {
                    if p.0 == "P1" {
                        (s.0, Some("2026-01-15"))
                    } else {
                        *s
                    }
                })
                .any(|s| overlaps(&s))
        })
        .count() as i64;
    let entered = people
        .iter()
        .filter(|p| p.3.iter().any(|s| in_days(s.0)))
        .count() as i64;
    let protection = people.iter().filter(|p| p.2.is_some_and(in_days)).count() as i64;
    // The case worker accompanies P1 to the health service twice: one person.
    for day in ["2026-05-05", "2026-05-06"] {
        create(
            &app,
            &cases,
            &format!("/api/v1/cases/{}/events", case_of["P1"]),
            json!({"kind": "accompaniment", "happened_on": day, "text": "ASL",
                   "service_kind": "health"}),
        )
        .await;
    }
    // People accompanied to a health or social service, accompaniment done, in the period:
    // LUNA-1, NEVE-7, ESTATE-6 (unit and desk), J (hotline), P1 (case).
    let accompanied = 5;

    // ---------- a training organisation's practice, left out of every figure ----------
    let t_operator = app.user("prova-nv", Role::HotlineOperator, training).await;
    let t_hotline = app.token(&t_operator, training, &["hotline:write"]).await;
    create(
        &app,
        &t_hotline,
        "/api/v1/hotline/contacts",
        json!({"channel": "phone", "relevance": "pertinent", "caller_ref": "PROVA",
               "started_at": "2026-03-01T10:00:00+01:00", "exploitation_forms": ["labour"]}),
    )
    .await;
    let t_unit = service(&app, training, "street_unit", "FI", 0).await;
    let t_desk = service(&app, training, "drop_in", "FI", 0).await;
    let t_street = app
        .user("prova-strada", Role::OutreachOperator, training)
        .await;
    let t_outreach = app.token(&t_street, training, &["outreach:write"]).await;
    create(
        &app,
        &t_outreach,
        "/api/v1/outreach/outings",
        outing(t_unit, "2026-03-01T21:00:00+01:00", 7),
    )
    .await;
    create(
        &app,
        &t_outreach,
        "/api/v1/outreach/interviews",
        json!({"service_id": t_desk, "held_on": "2026-03-01", "outcome": "information_given"}),
    )
    .await;
    create(
        &app,
        &t_outreach,
        "/api/v1/outreach/accompaniments",
        json!({"contact_code": "PROVA-1", "happened_on": "2026-03-01", "service_kind": "health",
               "outcome": "done", "source": "street_unit"}),
    )
    .await;
    let admin_org = app.organisation("Regione Toscana").await;
    let admin = app
        .user("admin-semestre", Role::Administrator, admin_org)
        .await;
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

    // ---------- what the test counted ----------
    let expected: BTreeMap<&str, i64> = [
        ("hotline_cases", hotline_cases),
        ("hotline_other_calls", other_calls),
        ("street_unit_contacts", street_contacts),
        ("drop_in_interviews", drop_in_interviews),
        ("emergency_reception", emergency),
        ("protection_programmes", protection),
        ("accompaniments", accompanied),
    ]
    .into();
    assert_eq!(
        [
            "hotline_cases",
            "hotline_other_calls",
            "street_unit_contacts",
            "drop_in_interviews",
            "emergency_reception",
            "protection_programmes",
            "accompaniments"
        ]
        .map(|k| expected[k]),
        [7, 3, 15, 6, 5, 5, 5],
        "the scenario is the one described above"
    );

    // 1. The report itself, and the breakdown beside the emergency figure.
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let report = satis::stats::activity(&app.state.db, d(FROM), d(TO), None)
        .await
        .unwrap();
    let got: BTreeMap<&str, i64> = report
        .figures
        .iter()
        .map(|f| (f.key, f.value.unwrap()))
        .collect();
    assert_eq!(got, expected, "the report");
    let reception = report
        .figures
        .iter()
        .find(|f| f.key == "emergency_reception")
        .unwrap();
    let entry = |v: &str| {
        reception
            .breakdown
            .iter()
            .find(|(d, value, _)| d == "entry" && value == v)
            .map(|c| c.2)
    };
    assert_eq!(entry("entered"), Some(entered), "P2, P3, P5 entered");
    assert_eq!(entry("continuing"), Some(emergency - entered));
    let other = report
        .figures
        .iter()
        .find(|f| f.key == "accompaniments")
        .unwrap();
    assert!(
        other
            .breakdown
            .iter()
            .any(|(d, v, n)| d == "other_accompaniment" && v == "legal:done" && *n == 1),
        "{:?}",
        other.breakdown
    );
    let shown = |n: i64| {
        if (1..5).contains(&n) {
            "<5".to_owned()
        } else {
            n.to_string()
        }
    };

    // 2. The API.
    let analyst = app
        .user("analista-semestre", Role::RegionalAnalyst, admin_org)
        .await;
    let stats = app.token(&analyst, admin_org, &["stats:read"]).await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/stats/activity?from={FROM}&to={TO}"),
            &stats,
            None,
            &[],
        )
        .await;
    r.assert_status(200);
    let api = json_of(&r);
    let keys: Vec<&str> = report.figures.iter().map(|f| f.key).collect();
    let api_totals: BTreeMap<&str, String> = api["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let key = keys.iter().find(|k| f["figure"] == **k).copied().unwrap();
            (key, f["total"].as_str().unwrap().to_owned())
        })
        .collect();
    let expected_shown: BTreeMap<&str, String> =
        expected.iter().map(|(k, v)| (*k, shown(*v))).collect();
    assert_eq!(api_totals, expected_shown, "the API");

    // 3. `satis report activity`, run as an operator runs it, on the same database.
    let url = app.db.url.clone();
    let dir = app.db.dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_satis"));
        for (k, _) in std::env::vars() {
            if k.starts_with("SATIS_") || k == "DATABASE_URL" {
                cmd.env_remove(k);
            }
        }
        cmd.args(["report", "activity", "--from", FROM, "--to", TO])
            .env("DATABASE_URL", url)
            .env("SATIS_DATA_DIR", &dir)
            .current_dir(&dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli_totals: BTreeMap<&str, String> = cli["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let key = keys.iter().find(|k| f["figure"] == **k).copied().unwrap();
            (key, f["total"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(cli_totals, expected_shown, "the command line");

    // 4. The web report and its CSV, as the analyst reads them.
    app.sign_in(&analyst).await;
    let page = app
        .get(&format!("/stats/activity?from={FROM}&to={TO}"))
        .await;
    page.assert_status(200);
    for (key, value) in &expected_shown {
        let marker = format!("id=\"fig-{key}\"");
        let at = page
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("{key} is on the page"));
        let rest = &page.body[at..];
        let total = rest
            .split("<span class=\"figure-total\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .replace("&lt;", "<")
            .replace("&#60;", "<");
        assert_eq!(&total, value, "the web report, {key}");
    }
    let csv = app
        .get(&format!("/stats/activity.csv?from={FROM}&to={TO}"))
        .await;
    csv.assert_status(200);
    let mut reader = csv::Reader::from_reader(csv.body.trim_start_matches('\u{feff}').as_bytes());
    let totals: Vec<String> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[4] == "Totale")
        .map(|r| r[7].to_owned())
        .collect();
    let in_order: Vec<String> = keys.iter().map(|k| expected_shown[k].clone()).collect();
    assert_eq!(totals, in_order, "the CSV download, figure by figure");
}
