//! The JSON API under /api/v1: tokens and scopes, the same policy as the pages (object-level
//! too), JSON errors that never echo input, idempotent creates, If-Match on updates, load
//! shedding and a full disk answered with a clean 503.

use satis::platform::policy::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, TestDb, count_rows, scalar};

crate::tests![
    public_reports_are_read_page_after_page_with_their_state_kept,
    hotline_cases_are_situations_counted_at_their_first_pertinent_contact,
    only_a_valid_token_with_its_scope_and_role_gets_in,
    hotline_contacts_are_created_once_and_updated_only_if_unchanged,
    another_organisations_records_are_refused_and_audited,
    bad_input_is_a_json_4xx_that_never_echoes_the_input,
    outings_and_case_phases_follow_the_forms_rules,
    drop_in_interviews_are_saved_once_and_seen_by_their_organisation_only,
    a_public_report_is_triaged_once_through_the_api,
    over_capacity_the_server_sheds_load_with_retry_after,
    a_full_disk_is_a_clean_503_and_writes_resume_when_space_returns,
    the_openapi_document_is_served_and_lists_every_operation,
    every_operation_answers_every_role_as_the_policy_says,
    a_case_is_opened_and_a_stay_entered_through_the_api_as_on_the_pages,
    a_transfer_is_proposed_and_accepted_through_the_api,
    accompaniments_are_recorded_once_from_the_unit_and_from_a_call,
    mediators_and_emergencies_are_requested_from_a_call_through_the_api,
    consents_shares_and_permits_follow_the_case_pages_rules,
    the_hotline_desks_work_goes_on_through_the_api,
    a_project_is_written_decided_and_spent_through_the_api,
    services_and_beds_are_kept_through_the_api_within_the_province_rule,
    a_request_from_the_national_hotline_is_received_through_the_api,
    every_documented_example_succeeds_and_leads_to_its_links,
    a_street_units_places_are_kept_through_the_api_by_its_own_organisation,
    the_registry_roles_meetings_and_training_are_kept_through_the_api,
    editions_and_the_counterparts_directory_are_kept_through_the_api,
    a_long_list_is_read_page_after_page_without_skipping_or_repeating,
    the_cases_an_organisation_follows_are_read_page_after_page,
];

/// A value that must never appear in an error body or a log line.
const CANARY: &str = "Zyxcanary Quellvorname";

fn json_of(r: &crate::support::TestResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

#[track_caller]
fn assert_error(r: &crate::support::TestResponse, status: u16, code: &str) {
    r.assert_status(status);
    let v = json_of(r);
    assert_eq!(v["error"]["code"], code, "{}", r.body);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        r.body
    );
    assert!(
        v["error"]["reference"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

async fn contact_body() -> Value {
    json!({
        "channel": "phone",
        "relevance": "pertinent",
        "caller_kind": "presumed_victim",
        "started_at": "2026-11-20T10:00:00Z",
        "duration_minutes": 12,
        "language": "en",
        "reasons": ["help_to_leave"],
        "exploitation_forms": ["sexual"],
        "province": "FI",
        "outcomes": ["listening"],
        "notes": "Chiede di essere richiamata"
    })
}

async fn hotline(app: &TestApp, org_name: &str, user: &str) -> (i32, String) {
    let org = app.organisation(org_name).await;
    let op = app.user(user, Role::HotlineOperator, org).await;
    let token = app
        .token(&op, org, &["hotline:read", "hotline:write"])
        .await;
    (org, token)
}

/// An organisation with one outreach service of `kind` (a street unit or a drop-in desk) and a
/// token of its outreach operator: (organisation, service, token).
async fn outreach_service(
    app: &TestApp,
    org_name: &str,
    kind: &str,
    user: &str,
) -> (i32, i32, String) {
    let org = app.organisation(org_name).await;
    let service = satis::network::store::add_service(
        &app.state.db,
        org,
        kind,
        &format!("{org_name}: servizio"),
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[],
    )
    .await
    .unwrap()
    .id;
    let op = app.user(user, Role::OutreachOperator, org).await;
    let token = app
        .token(&op, org, &["outreach:read", "outreach:write"])
        .await;
    (org, service, token)
}

async fn only_a_valid_token_with_its_scope_and_role_gets_in(db: TestDb) {
    let app = db.app().await;
    let (org, token) = hotline(&app, "Numero Verde", "centralino").await;
    let path = "/api/v1/hotline/contacts";

    let r = app.api("GET", path, "", None, &[]).await;
    assert_error(&r, 401, "unauthenticated");
    assert!(r.header("www-authenticate").starts_with("Bearer"));
    let r = app
        .api(
            "GET",
            path,
            "satis_forged_token",
            None,
            &[("accept-language", "en")],
        )
        .await;
    assert_error(&r, 401, "unauthenticated");
    assert!(
        json_of(&r)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("API token")
    );

    app.api("GET", path, &token, None, &[])
        .await
        .assert_status(200);

    // A token without the scope, then an account without the role.
    let op2 = app.user("centralino2", Role::HotlineOperator, org).await;
    let narrow = app.token(&op2, org, &["network:read"]).await;
    assert_error(
        &app.api("GET", path, &narrow, None, &[]).await,
        403,
        "scope_missing",
    );
    app.api("GET", "/api/v1/organisations", &narrow, None, &[])
        .await
        .assert_status(200);
    let worker = app.user("operatrice", Role::CaseWorker, org).await;
    let wrong_role = app.token(&worker, org, &["hotline:read"]).await;
    assert_error(
        &app.api("GET", path, &wrong_role, None, &[]).await,
        403,
        "forbidden",
    );

    // A session cookie is not an API credential.
    app.sign_in(&op2).await;
    let r = app
        .request(
            axum::http::Method::GET,
            path,
            &[],
            axum::body::Body::empty(),
        )
        .await;
    assert_error(&r, 401, "unauthenticated");

    // Disabling the account ends its tokens' powers; so does revoking the token.
    satis::identity::store::set_disabled(&app.state.db, op2.id, true)
        .await
        .unwrap();
    let to_disable = app.token(&worker, org, &["cases:read"]).await;
    assert_error(
        &app.api("GET", "/api/v1/organisations", &narrow, None, &[])
            .await,
        401,
        "unauthenticated",
    );
    let id = crate::support::scalar(&app, "SELECT MAX(id) FROM api_token").await as i32;
    app.api("GET", "/api/v1/cases", &to_disable, None, &[])
        .await
        .assert_status(200);
    satis::identity::tokens::revoke(&app.state.db, id)
        .await
        .unwrap();
    assert_error(
        &app.api("GET", "/api/v1/cases", &to_disable, None, &[])
            .await,
        401,
        "unauthenticated",
    );
}

async fn hotline_contacts_are_created_once_and_updated_only_if_unchanged(db: TestDb) {
    let app = db.app().await;
    let (_, token) = hotline(&app, "Numero Verde", "centralino").await;
    let body = contact_body().await;
    let key = [("idempotency-key", "phone-7f3a-0001")];
    let first = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&body),
            &key,
        )
        .await;
    first.assert_status(201);
    let created = json_of(&first);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        first.header("location"),
        format!("/api/v1/hotline/contacts/{id}")
    );
    // The answer was lost: the phone sends again. Same answer, nothing new.
    let again = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&body),
            &key,
        )
        .await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(json_of(&again)["id"], created["id"]);
    assert_eq!(count_rows(&app, "hotline_contact").await, 1);
    // The same key for another request is refused, not answered with the wrong record.
    let mut other = body.clone();
    other["duration_minutes"] = json!(30);
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&other),
            &key,
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(count_rows(&app, "hotline_contact").await, 1);

    // Reading one contact gives its notes and an ETag; the read is audited.
    let path = format!("/api/v1/hotline/contacts/{id}");
    let r = app.api("GET", &path, &token, None, &[]).await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["notes"], "Chiede di essere richiamata");
    let etag = r.header("etag").to_owned();
    assert_eq!(etag, "\"v1\"");
    let reads = count_rows(&app, "audit_event").await;
    assert!(reads >= 2);

    let patch = json!({"outcomes": ["listening", "call_back"], "notes": "Richiamata alle 18"});
    let r = app.api("PATCH", &path, &token, Some(&patch), &[]).await;
    assert_error(&r, 428, "if_match_required");
    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&patch),
            &[("if-match", "\"v9\"")],
        )
        .await;
    assert_error(&r, 412, "stale");
    let r = app
        .api("PATCH", &path, &token, Some(&patch), &[("if-match", &etag)])
        .await;
    r.assert_status(200);
    assert_eq!(r.header("etag"), "\"v2\"");
    assert_eq!(json_of(&r)["outcomes"], json!(["listening", "call_back"]));
    // A second writer with the old ETag does not overwrite the first.
    let late = json!({"outcomes": ["listening"], "notes": "sovrascrivo"});
    let r = app
        .api("PATCH", &path, &token, Some(&late), &[("if-match", &etag)])
        .await;
    assert_error(&r, 412, "stale");
    let r = app.api("GET", &path, &token, None, &[]).await;
    assert_eq!(json_of(&r)["notes"], "Richiamata alle 18");

    let r = app
        .api(
            "GET",
            "/api/v1/hotline/contacts?from=2026-11-01&to=2026-11-30",
            &token,
            None,
            &[],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r).as_array().unwrap().len(), 1);
    assert!(json_of(&r)[0]["notes"].is_null(), "lists carry no notes");
}

async fn another_organisations_records_are_refused_and_audited(db: TestDb) {
    let app = db.app().await;
    let (_, token_a) = hotline(&app, "Numero Verde", "centralino").await;
    let (_, token_b) = hotline(&app, "Altro Ente", "estraneo").await;
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token_a,
            Some(&contact_body().await),
            &[],
        )
        .await;
    r.assert_status(201);
    let id = json_of(&r)["id"].as_i64().unwrap();
    let path = format!("/api/v1/hotline/contacts/{id}");
    let r = app.api("GET", &path, &token_b, None, &[]).await;
    assert_error(&r, 403, "forbidden");
    assert!(!r.body.contains("richiamata"));
    let r = app
        .api(
            "PATCH",
            &path,
            &token_b,
            Some(&json!({"outcomes": [], "notes": "x"})),
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_error(&r, 403, "forbidden");
    let listed = json_of(
        &app.api(
            "GET",
            "/api/v1/hotline/contacts?from=2026-11-01&to=2026-11-30",
            &token_b,
            None,
            &[],
        )
        .await,
    );
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let denied = crate::support::scalar(
        &app,
        "SELECT COUNT(*) FROM audit_event WHERE outcome = 'denied'",
    )
    .await;
    assert_eq!(denied, 2, "both refusals are in the audit trail");

    // Cases: a case worker of another organisation neither lists nor reads the case.
    let owner = app.organisation("Casa Rifugio").await;
    let other = app.organisation("Altro Progetto").await;
    let w1 = app.user("operatrice1", Role::CaseWorker, owner).await;
    let w2 = app.user("operatrice2", Role::CaseWorker, other).await;
    let case_id = crate::access::record_fixture(&app, owner, w1.id).await.1;
    let t1 = app.token(&w1, owner, &["cases:read"]).await;
    let t2 = app.token(&w2, other, &["cases:read"]).await;
    let path = format!("/api/v1/cases/{case_id}");
    let r = app.api("GET", &path, &t1, None, &[]).await;
    r.assert_status(200);
    assert!(
        !r.body.contains("Matrice"),
        "the API never gives identity data"
    );
    assert_error(
        &app.api("GET", &path, &t2, None, &[]).await,
        403,
        "forbidden",
    );
    let listed = json_of(&app.api("GET", "/api/v1/cases", &t2, None, &[]).await);
    assert_eq!(listed.as_array().unwrap().len(), 0);
}

async fn bad_input_is_a_json_4xx_that_never_echoes_the_input(db: TestDb) {
    let app = db.app().await;
    let (_, token) = hotline(&app, "Numero Verde", "centralino").await;
    let post = |body: &'static str, ct: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let auth = format!("Bearer {token}");
            app.request(
                axum::http::Method::POST,
                "/api/v1/hotline/contacts",
                &[
                    ("authorization", &auth),
                    ("content-type", ct),
                    ("cookie", ""),
                ],
                axum::body::Body::from(body),
            )
            .await
        }
    };
    let wrong_type = format!(
        r#"{{"channel": "phone", "relevance": "pertinent", "duration_minutes": "{CANARY}"}}"#
    );
    let wrong_type: &'static str = Box::leak(wrong_type.into_boxed_str());
    let r = post(wrong_type, "application/json").await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "duration_minutes");
    assert!(!r.body.contains("Zyxcanary"), "{}", r.body);

    let r = post("{not json", "application/json").await;
    assert_error(&r, 422, "invalid");
    let r = post("{}", "text/plain").await;
    assert_error(&r, 415, "unsupported_media_type");
    let unknown = format!(r#"{{"channel": "phone", "relevance": "pertinent", "{CANARY}": 1}}"#);
    let r = post(Box::leak(unknown.into_boxed_str()), "application/json").await;
    assert_error(&r, 422, "invalid");
    let r = post(
        r#"{"channel": "telepathy", "relevance": "pertinent"}"#,
        "application/json",
    )
    .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(count_rows(&app, "hotline_contact").await, 0);

    assert_error(
        &app.api("GET", "/api/v1/nowhere", &token, None, &[]).await,
        404,
        "not_found",
    );
    assert_error(
        &app.api("GET", "/api/v1/hotline/contacts/abc", &token, None, &[])
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.api("GET", "/api/v1/hotline/contacts/99999", &token, None, &[])
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.api("DELETE", "/api/v1/hotline/contacts", &token, None, &[])
            .await,
        405,
        "method_not_allowed",
    );
    assert_error(
        &app.api(
            "GET",
            "/api/v1/hotline/contacts?from=2026-13-01",
            &token,
            None,
            &[],
        )
        .await,
        422,
        "invalid",
    );
    assert_error(
        &app.api(
            "GET",
            "/api/v1/hotline/contacts?from=2026-12-01&to=2026-01-01",
            &token,
            None,
            &[],
        )
        .await,
        422,
        "invalid",
    );
    let big = "x".repeat(2 * 1024 * 1024);
    let auth = format!("Bearer {token}");
    let r = app
        .request(
            axum::http::Method::POST,
            "/api/v1/hotline/contacts",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
                ("cookie", ""),
            ],
            axum::body::Body::from(big),
        )
        .await;
    assert_error(&r, 413, "too_large");
    // Italian by default, English when asked.
    let r = app
        .api(
            "GET",
            "/api/v1/nowhere",
            &token,
            None,
            &[("accept-language", "en")],
        )
        .await;
    assert!(
        json_of(&r)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not")
    );
}

async fn outings_and_case_phases_follow_the_forms_rules(db: TestDb) {
    let app = db.app().await;
    let (_, unit, token) = outreach_service(&app, "Unità di strada", "street_unit", "strada").await;
    let outing = json!({
        "service_id": unit,
        "started_at": "2026-11-20T20:00:00Z",
        "ended_at": "2026-11-21T00:00:00Z",
        "area": "Cascine",
        "people_met": 5,
        "gender": {"female": 4, "transgender": 1},
        "age_band": {"18_24": 3, "unknown": 2},
        "status": {"new": 2, "known": 3},
        "nationality": {"NG": 3, "RO": 2},
        "materials": {"condoms": 60},
        "languages": ["EN"],
        "codes": ["AB12", "CD34"]
    });
    let key = [("idempotency-key", "outing-2026-11-20-fi")];
    let r = app
        .api(
            "POST",
            "/api/v1/outreach/outings",
            &token,
            Some(&outing),
            &key,
        )
        .await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["people_met"], 5);
    let r = app
        .api(
            "POST",
            "/api/v1/outreach/outings",
            &token,
            Some(&outing),
            &key,
        )
        .await;
    r.assert_status(201);
    assert_eq!(count_rows(&app, "outing").await, 1);
    // Tallies that do not add up, and an unknown code, are refused; nothing saved.
    let mut bad = outing.clone();
    bad["gender"] = json!({"female": 1});
    let r = app
        .api("POST", "/api/v1/outreach/outings", &token, Some(&bad), &[])
        .await;
    assert_error(&r, 422, "invalid");
    let mut bad = outing.clone();
    bad["gender"] = json!({"female": 4, "martian": 1});
    let r = app
        .api("POST", "/api/v1/outreach/outings", &token, Some(&bad), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "gender.martian");
    assert_eq!(count_rows(&app, "outing").await, 1);
    let r = app
        .api(
            "GET",
            "/api/v1/outreach/outings?from=2026-11-01&to=2026-11-30",
            &token,
            None,
            &[],
        )
        .await;
    assert_eq!(json_of(&r).as_array().unwrap().len(), 1);

    // A case moves phase only along the state machine and only from the version read.
    let owner = app.organisation("Casa Rifugio").await;
    let w = app.user("operatrice", Role::CaseWorker, owner).await;
    let case_id = crate::access::record_fixture(&app, owner, w.id).await.1;
    let t = app.token(&w, owner, &["cases:read", "cases:write"]).await;
    let path = format!("/api/v1/cases/{case_id}");
    let r = app.api("GET", &path, &t, None, &[]).await;
    let etag = r.header("etag").to_owned();
    let today = satis::platform::time::rome_today();
    // The day a change took effect is entered, never stamped: missing or in the future, 422.
    let r = app
        .api(
            "PATCH",
            &path,
            &t,
            Some(&json!({"phase": "identification"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_error(&r, 422, "invalid");
    let tomorrow = today + chrono::Duration::days(1);
    let r = app
        .api(
            "PATCH",
            &path,
            &t,
            Some(&json!({"phase": "identification", "effective_on": tomorrow})),
            &[("if-match", &etag)],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "effective_on");
    let r = app
        .api(
            "PATCH",
            &path,
            &t,
            Some(&json!({"phase": "identification", "effective_on": today})),
            &[("if-match", &etag)],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["phase"], "identification");
    let r = app
        .api(
            "PATCH",
            &path,
            &t,
            Some(&json!({"phase": "protection", "effective_on": today})),
            &[("if-match", &etag)],
        )
        .await;
    assert_error(&r, 412, "stale");
    let fresh = r_etag(&app, &path, &t).await;
    let r = app
        .api(
            "PATCH",
            &path,
            &t,
            Some(&json!({"phase": "closed", "effective_on": today})),
            &[("if-match", &fresh)],
        )
        .await;
    assert_error(&r, 409, "conflict");
    let r = app
        .api(
            "PATCH",
            &path,
            &t,
            Some(&json!({"phase": "sideways", "effective_on": today})),
            &[("if-match", &fresh)],
        )
        .await;
    assert_error(&r, 422, "invalid");
    // Read-only token: no writes.
    let ro = app.token(&w, owner, &["cases:read"]).await;
    let r = app
        .api(
            "PATCH",
            &path,
            &ro,
            Some(&json!({"phase": "protection"})),
            &[("if-match", &fresh)],
        )
        .await;
    assert_error(&r, 403, "scope_missing");
}

async fn drop_in_interviews_are_saved_once_and_seen_by_their_organisation_only(db: TestDb) {
    let app = db.app().await;
    let (org, desk, token) =
        outreach_service(&app, "Sportello Ascolto", "drop_in", "sportello").await;
    let path = "/api/v1/outreach/interviews";
    let today = satis::platform::time::rome_today();
    let interview = json!({
        "service_id": desk,
        "held_on": today.to_string(),
        "contact_code": "zk77",
        "language": "ro",
        "topics": ["sti", "hygiene"],
        "outcome": "referred_to_service",
        "mediator": "Mediatrice\u{0} rumena"
    });
    let key = [("idempotency-key", "interview-prato-1")];
    let r = app.api("POST", path, &token, Some(&interview), &key).await;
    r.assert_status(201);
    let v = json_of(&r);
    assert_eq!(v["contact_code"], "ZK77");
    assert_eq!(v["language"], "RO");
    assert_eq!(v["topics"], json!(["sti", "hygiene"]));
    // A NUL character (which PostgreSQL cannot store in text) is dropped, not a server error.
    assert_eq!(v["mediator"], "Mediatrice rumena");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        format!("/api/v1/outreach/interviews/{id}")
    );
    // A resend after a lost answer saves nothing twice.
    let again = app.api("POST", path, &token, Some(&interview), &key).await;
    assert_eq!(json_of(&again)["id"], id);
    assert_eq!(count_rows(&app, "drop_in_interview").await, 1);
    assert_eq!(count_rows(&app, "outreach_contact").await, 1);
    assert_eq!(
        crate::support::scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'outreach.interview'"
        )
        .await,
        1
    );

    // Bad input is refused with the field at fault, and leaves nothing behind: not even the
    // anonymous contact a new code would have made.
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    for (change, field) in [
        (json!({"held_on": tomorrow}), None),
        // An impossible year is refused naming the field, not saved as year 0.
        (json!({"held_on": "0000-01-01"}), Some("held_on")),
        (json!({"held_on": "1899-12-31"}), Some("held_on")),
        (json!({"outcome": "sent_home"}), Some("outcome")),
        (json!({"topics": ["astrology"]}), Some("topics")),
        (json!({"service_id": 999_999}), None),
        (json!({"language": "romanian"}), None),
        (json!({"person_code": "TOS-2000-99999"}), None),
    ] {
        let mut bad = interview.clone();
        bad["contact_code"] = json!("NEW9");
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let r = app.api("POST", path, &token, Some(&bad), &[]).await;
        assert_error(&r, 422, "invalid");
        if let Some(f) = field {
            assert_eq!(json_of(&r)["error"]["field"], f, "{}", r.body);
        }
    }
    assert_eq!(count_rows(&app, "drop_in_interview").await, 1);
    assert_eq!(count_rows(&app, "outreach_contact").await, 1);

    // Read back by the organisation; another organisation's desk sees nothing of it.
    let list = json_of(&app.api("GET", path, &token, None, &[]).await);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["contact_code"], "ZK77");
    app.api("GET", &format!("{path}/{id}"), &token, None, &[])
        .await
        .assert_status(200);
    let other = app.organisation("Altro Sportello").await;
    let stranger = app
        .user("altro-sportello", Role::OutreachOperator, other)
        .await;
    let t2 = app.token(&stranger, other, &["outreach:read"]).await;
    assert_error(
        &app.api("GET", &format!("{path}/{id}"), &t2, None, &[])
            .await,
        404,
        "not_found",
    );
    let list = app.api("GET", path, &t2, None, &[]).await;
    assert!(json_of(&list).as_array().unwrap().is_empty());

    // An interview with a person the organisation follows is filed under their case.
    let worker = app.user("sportello-casi", Role::CaseWorker, org).await;
    let case_id = crate::access::record_fixture(&app, org, worker.id).await.0;
    let code = person_code(&app, case_id).await;
    let mut with_person = interview.clone();
    with_person["contact_code"] = Value::Null;
    with_person["person_code"] = json!(code);
    let r = app.api("POST", path, &token, Some(&with_person), &[]).await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["case_id"], case_id);
    // A person followed by another organisation only is not found for this desk.
    let elsewhere = app.user("altro-casi", Role::CaseWorker, other).await;
    let far_case = crate::access::record_fixture(&app, other, elsewhere.id)
        .await
        .0;
    with_person["person_code"] = json!(person_code(&app, far_case).await);
    let r = app.api("POST", path, &token, Some(&with_person), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(count_rows(&app, "drop_in_interview").await, 2);
}

async fn person_code(app: &TestApp, case_id: i32) -> String {
    let case = satis::cases::store::case(&app.state.db, case_id)
        .await
        .unwrap()
        .unwrap();
    satis::cases::store::person(&app.state.db, case.person_id)
        .await
        .unwrap()
        .unwrap()
        .code
}

async fn a_public_report_is_triaged_once_through_the_api(db: TestDb) {
    let app = db.app().await;
    for _ in 0..2 {
        crate::reports::submit(&app, "it", crate::reports::REPORT)
            .await
            .assert_status(200);
    }
    let org = app.organisation("Centralino Regionale").await;
    app.runs_regional_hotline(org).await;
    let op = app.user("triage", Role::HotlineOperator, org).await;
    let token = app
        .token(&op, org, &["reports:read", "reports:write"])
        .await;
    let queue = json_of(&app.api("GET", "/api/v1/reports", &token, None, &[]).await);
    let ids: Vec<i64> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let (first, second) = (ids[1], ids[0]);
    let path = format!("/api/v1/reports/{first}");
    let r = app.api("GET", &path, &token, None, &[]).await;
    r.assert_status(200);
    let etag = r.header("etag").to_owned();
    assert!(
        json_of(&r)["text"]["what"]
            .as_str()
            .unwrap()
            .contains("capannone")
    );

    // A reply to the reporter: sealed, read back with the report; an empty one is refused.
    let replies = format!("{path}/replies");
    let r = app
        .api(
            "POST",
            &replies,
            &token,
            Some(&json!({"text": "Grazie, vi richiamiamo."})),
            &[],
        )
        .await;
    r.assert_status(201);
    let r = app
        .api("POST", &replies, &token, Some(&json!({"text": "  "})), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "text");
    assert_error(
        &app.api(
            "POST",
            "/api/v1/reports/999999/replies",
            &token,
            Some(&json!({"text": "x"})),
            &[],
        )
        .await,
        404,
        "not_found",
    );
    let messages =
        json_of(&app.api("GET", &path, &token, None, &[]).await)["text"]["messages"].clone();
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages[0]["text"], "Grazie, vi richiamiamo.");
    assert_eq!(messages[0]["from_reporter"], false);

    let contact = json!({"outcome": "contact"});
    // Without If-Match: 428; with a read-only token: 403; an unknown outcome: 422.
    assert_error(
        &app.api("PATCH", &path, &token, Some(&contact), &[]).await,
        428,
        "if_match_required",
    );
    let ro = app.token(&op, org, &["reports:read"]).await;
    assert_error(
        &app.api("PATCH", &path, &ro, Some(&contact), &[("if-match", &etag)])
            .await,
        403,
        "scope_missing",
    );
    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"outcome": "escalate"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "outcome");

    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&contact),
            &[("if-match", &etag)],
        )
        .await;
    r.assert_status(200);
    let v = json_of(&r);
    assert_eq!(v["status"], "contact");
    let contact_id = v["triage_contact_id"].as_i64().unwrap();
    assert_ne!(r.header("etag"), etag);
    assert_eq!(
        crate::support::scalar(
            &app,
            &format!("SELECT organisation_id FROM hotline_contact WHERE id = {contact_id}")
        )
        .await,
        i64::from(org)
    );
    // The same request again (a resend, or a second operator): refused, no second contact.
    assert_error(
        &app.api(
            "PATCH",
            &path,
            &token,
            Some(&contact),
            &[("if-match", &etag)],
        )
        .await,
        412,
        "stale",
    );
    let fresh = r_etag(&app, &path, &token).await;
    assert_error(
        &app.api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"outcome": "not_pertinent"})),
            &[("if-match", &fresh)],
        )
        .await,
        409,
        "conflict",
    );
    assert_eq!(count_rows(&app, "hotline_contact").await, 1);

    // A duplicate names another existing report.
    let path2 = format!("/api/v1/reports/{second}");
    let etag2 = r_etag(&app, &path2, &token).await;
    for other in [second, 999_999] {
        let r = app
            .api(
                "PATCH",
                &path2,
                &token,
                Some(&json!({"outcome": "duplicate", "duplicate_of": other})),
                &[("if-match", &etag2)],
            )
            .await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], "duplicate_of");
    }
    let r = app
        .api(
            "PATCH",
            &path2,
            &token,
            Some(&json!({"outcome": "duplicate", "duplicate_of": first})),
            &[("if-match", &etag2)],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["duplicate_of"], first);
    assert_eq!(
        crate::support::scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'report.triage' AND reason LIKE '%(api)'"
        )
        .await,
        2
    );
}

async fn r_etag(app: &TestApp, path: &str, token: &str) -> String {
    app.api("GET", path, token, None, &[])
        .await
        .header("etag")
        .to_owned()
}

async fn over_capacity_the_server_sheds_load_with_retry_after(db: TestDb) {
    let app = db.app().await;
    let (_, token) = hotline(&app, "Numero Verde", "centralino").await;
    let all = app.state.config.max_in_flight as u32;
    let held = app
        .state
        .in_flight
        .clone()
        .acquire_many_owned(all)
        .await
        .unwrap();
    let r = app
        .api("GET", "/api/v1/hotline/contacts", &token, None, &[])
        .await;
    assert_error(&r, 503, "unavailable");
    assert!(r.header("retry-after").parse::<u32>().unwrap() >= 1);
    let page = app.get("/login").await;
    page.assert_status(503);
    assert!(!page.header("retry-after").is_empty());
    // The health check still answers, so the supervisor does not restart a busy server.
    app.get("/healthz").await.assert_status(200);
    drop(held);
    app.api("GET", "/api/v1/hotline/contacts", &token, None, &[])
        .await
        .assert_status(200);
}

/// A real SQLite database whose size limit is reached (what a full disk looks like to it):
/// the error is classified as storage full (a 503, not a 500), nothing half-written stays,
/// and writes resume on the same connection once space is back.
async fn a_full_disk_is_a_clean_503_and_writes_resume_when_space_returns(_db: TestDb) {
    use sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("full.db").display());
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(1).min_connections(1);
    let db = Database::connect(opts).await.unwrap();
    let be = db.get_database_backend();
    let exec = |sql: &str| Statement::from_string(be, sql.to_owned());
    // One connection, so that the page limit applies to every statement below.
    db.execute_raw(exec("CREATE TABLE t (v TEXT)"))
        .await
        .unwrap();
    db.execute_raw(exec("PRAGMA max_page_count = 8"))
        .await
        .unwrap();
    let mut failure = None;
    for _ in 0..200 {
        if let Err(e) = db
            .execute_raw(exec("INSERT INTO t VALUES (printf('%.2000c', 'x'))"))
            .await
        {
            failure = Some(e);
            break;
        }
    }
    let e = failure.expect("the size limit was reached");
    assert_eq!(
        satis::platform::db::unavailability(&e),
        Some(satis::platform::db::Unavailable::StorageFull)
    );
    let api: satis::platform::api::ApiError = e.into();
    assert_eq!(api.status().as_u16(), 503);
    db.execute_raw(exec("PRAGMA max_page_count = 100000"))
        .await
        .unwrap();
    db.execute_raw(exec("INSERT INTO t VALUES ('after')"))
        .await
        .unwrap();
    let ok = db
        .query_one_raw(exec("PRAGMA integrity_check"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(ok, "ok");
}

async fn the_openapi_document_is_served_and_lists_every_operation(db: TestDb) {
    let app = db.app().await;
    let r = app.get("/api/v1/openapi.json").await;
    r.assert_status(200);
    let doc = json_of(&r);
    assert_eq!(doc["openapi"], "3.0.3");
    let kept: Value = serde_json::from_str(include_str!("../../docs/api/openapi.json")).unwrap();
    assert_eq!(doc, kept, "served and checked-in documents differ");
    // Every documented operation exists: called without a token it asks for one (401),
    // never 404 or 405.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "1");
        for method in ops.as_object().unwrap().keys() {
            let r = app
                .api(&method.to_uppercase(), &concrete, "", None, &[])
                .await;
            assert_eq!(r.status.as_u16(), 401, "{method} {path}: {}", r.body);
        }
    }
}

/// The API's access matrix: every operation, called by an account of every role holding a
/// token with every scope, is refused (403) exactly when the policy module's table says the
/// role lacks the operation's permission; otherwise it gets past the door (a 2xx, or the
/// 404/422/428 its missing record, empty body or missing If-Match earns).
async fn every_operation_answers_every_role_as_the_policy_says(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Ente Matrice").await;
    // It runs the regional hotline, so that its hotline operator reads public reports.
    app.runs_regional_hotline(org).await;
    let every_scope: Vec<&str> = satis::identity::tokens::SCOPES.to_vec();
    let routes = satis::app::api_routes();
    for role in Role::ALL {
        let user = app
            .user(
                &format!("matrice-{}", role.code().replace('_', "-")),
                role,
                org,
            )
            .await;
        let token = app.token(&user, org, &every_scope).await;
        for spec in routes.specs() {
            let path = spec.full_path().replace("{id}", "999999");
            let body = (spec.body.is_some()).then(|| json!({}));
            let r = app
                .api(spec.method.as_str(), &path, &token, body.as_ref(), &[])
                .await;
            let allowed = spec
                .permission
                .is_none_or(|p| satis::platform::policy::role_has(role, p));
            let status = r.status.as_u16();
            if allowed {
                assert!(
                    [200, 404, 422, 428].contains(&status),
                    "{role:?} {} {path}: expected to get in, got {status}: {}",
                    spec.method,
                    r.body
                );
            } else {
                assert_eq!(status, 403, "{role:?} {} {path}: {}", spec.method, r.body);
            }
        }
    }
}

/// The seed counts *casi*: situations, not callers nor calls. Entered through the API, in
/// two orders, the same month of calls gives the same cases: a permit question followed by a
/// disclosure is one case (counted at the disclosure), a known caller's different situation is
/// a new case, follow-ups are not counted again, a call entered after the fact takes its place
/// in time, and non-pertinent or nuisance calls are counted apart.
async fn hotline_cases_are_situations_counted_at_their_first_pertinent_contact(db: TestDb) {
    let app = db.app().await;
    let (_, token) = hotline(&app, "Numero Verde", "centralino").await;
    let calls: Vec<(&str, &str, &str, Option<&str>)> = vec![
        // (caller, started at (Italian time), relevance, situation)
        ("A", "2025-03-10T10:00:00+01:00", "not_pertinent", None),
        ("A", "2025-03-12T10:00:00+01:00", "pertinent", None),
        ("A", "2025-03-20T10:00:00+01:00", "pertinent", Some("new")),
        (
            "A",
            "2025-03-25T10:00:00+01:00",
            "pertinent",
            Some("follow_up"),
        ),
        ("B", "2025-03-05T23:30:00+01:00", "pertinent", None),
        ("B", "2025-03-15T00:30:00+01:00", "pertinent", None),
        ("C", "2025-03-18T09:00:00+01:00", "nuisance", None),
    ];
    let post = |caller: &'static str,
                at: &'static str,
                relevance: &'static str,
                situation: Option<&'static str>| {
        let mut body = json!({
            "channel": "phone",
            "relevance": relevance,
            "caller_ref": caller,
            "started_at": at,
            "duration_minutes": 5,
            "province": "FI",
        });
        if relevance == "pertinent" {
            body["exploitation_forms"] = json!(["labour"]);
            body["labour_sector"] = json!("agriculture");
        }
        if let Some(s) = situation {
            body["situation"] = json!(s);
        }
        body
    };
    // B's two calls entered the wrong way round: the later one first.
    let order = [0usize, 1, 2, 3, 5, 4, 6];
    for i in order {
        let (caller, at, relevance, situation) = calls[i];
        let r = app
            .api(
                "POST",
                "/api/v1/hotline/contacts",
                &token,
                Some(&post(caller, at, relevance, situation)),
                &[],
            )
            .await;
        r.assert_status(201);
    }
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let report = satis::stats::activity(&app.state.db, d("2025-03-01"), d("2025-03-31"), None)
        .await
        .unwrap();
    let figure = |key: &str| {
        report
            .figures
            .iter()
            .find(|f| f.key == key)
            .and_then(|f| f.value)
    };
    // A: one case at the disclosure of 12 March, one new situation on 20 March; B: one.
    assert_eq!(figure("hotline_cases"), Some(3));
    assert_eq!(figure("hotline_other_calls"), Some(2));
    // Counted at the first pertinent contact: the period of 11–31 March still holds A's
    // first case (its first call, not pertinent, is outside it) and B's is counted on 5 March.
    let later = satis::stats::activity(&app.state.db, d("2025-03-11"), d("2025-03-31"), None)
        .await
        .unwrap();
    let later_cases = later
        .figures
        .iter()
        .find(|f| f.key == "hotline_cases")
        .and_then(|f| f.value);
    assert_eq!(later_cases, Some(2), "A's two cases; B began on 5 March");
    // B's later call follows up the earlier one, though entered first.
    let follow: i64 = scalar(
        &app,
        "SELECT COUNT(*) FROM hotline_contact WHERE caller_ref = 'B' AND previous_contact_id IS NOT NULL",
    )
    .await;
    assert_eq!(follow, 1);
    // A follow-up needs an earlier contact of the caller.
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&post(
                "D",
                "2025-03-26T10:00:00+01:00",
                "pertinent",
                Some("follow_up"),
            )),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    // A call whose place is not known counts under the organisation's province, not "—".
    let mut unplaced = post("E", "2025-03-27T10:00:00+01:00", "pertinent", None);
    unplaced["province"] = serde_json::Value::Null;
    app.api(
        "POST",
        "/api/v1/hotline/contacts",
        &token,
        Some(&unplaced),
        &[],
    )
    .await
    .assert_status(201);
    let r = satis::stats::activity(&app.state.db, d("2025-03-01"), d("2025-03-31"), None)
        .await
        .unwrap();
    let hotline = r.figures.iter().find(|f| f.key == "hotline_cases").unwrap();
    assert_eq!(hotline.value, Some(4));
    assert!(
        hotline
            .breakdown
            .iter()
            .any(|(dim, v, n)| dim == "province" && v == "FI" && *n == 4),
        "{:?}",
        hotline.breakdown
    );
    // "Follow-up of contact N": X reports two situations, then calls about the first one.
    let x1 = post("X", "2025-03-02T10:00:00+01:00", "pertinent", None);
    let x2 = post("X", "2025-03-03T10:00:00+01:00", "pertinent", Some("new"));
    let mut ids = Vec::new();
    for body in [x1, x2] {
        let r = app
            .api("POST", "/api/v1/hotline/contacts", &token, Some(&body), &[])
            .await;
        ids.push(json_of(&r)["id"].as_i64().unwrap());
    }
    let mut about_first = post("X", "2025-03-04T10:00:00+01:00", "pertinent", None);
    about_first["follows_contact_id"] = json!(ids[0]);
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&about_first),
            &[],
        )
        .await;
    r.assert_status(201);
    assert_eq!(
        json_of(&r)["previous_contact_id"],
        ids[0],
        "not the latest call, the one named"
    );
    // Naming a later contact, or calling it a new situation, is refused.
    let mut earlier = post("X", "2025-03-01T10:00:00+01:00", "pertinent", None);
    earlier["follows_contact_id"] = json!(ids[1]);
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&earlier),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    let mut contradictory = about_first.clone();
    contradictory["situation"] = json!("new");
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &token,
            Some(&contradictory),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    let r = satis::stats::activity(&app.state.db, d("2025-03-01"), d("2025-03-31"), None)
        .await
        .unwrap();
    let cases = r.figures.iter().find(|f| f.key == "hotline_cases").unwrap();
    assert_eq!(
        cases.value,
        Some(6),
        "X's two situations, the follow-up not counted again"
    );
}

/// An integrator opens a case and enters a stay that began (and ended) before today, as a
/// case worker does on the pages: same rules, same audit, identity never given back, a resent
/// create answered once, a possible duplicate refused until confirmed.
async fn a_case_is_opened_and_a_stay_entered_through_the_api_as_on_the_pages(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Progetto Arcobaleno").await;
    let worker = app.user("integrazione", Role::CaseWorker, org).await;
    let token = app
        .token(&worker, org, &["cases:read", "cases:write"])
        .await;
    let person = json!({
        "gender": "female",
        "names": CANARY,
        "birth_year": 1999,
        "nationalities": ["NG"],
        "languages": ["EN"],
        "phone": "+39 333 1234567",
        "opened_on": "2026-03-29"
    });
    let key = [("idempotency-key", "case-2026-03-29-a")];
    let r = app
        .api("POST", "/api/v1/cases", &token, Some(&person), &key)
        .await;
    r.assert_status(201);
    assert!(
        !r.body.contains(CANARY) && !r.body.contains("1234567"),
        "{}",
        r.body
    );
    let created = json_of(&r);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["phase"], "emersion");
    assert!(created["person_code"].as_str().unwrap().starts_with("TOS-"));
    assert_eq!(r.header("location"), format!("/api/v1/cases/{id}"));
    // Sent again with the same key: the same answer, one case.
    let again = app
        .api("POST", "/api/v1/cases", &token, Some(&person), &key)
        .await;
    assert_eq!(json_of(&again)["id"], created["id"]);
    assert_eq!(count_rows(&app, "case_file").await, 1);
    // The phase history starts on the day of emersion entered, not on the day it was typed.
    let history = satis::cases::store::phases(&app.state.db, id as i32)
        .await
        .unwrap();
    assert_eq!(
        history[0].effective_on,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 29)
    );
    // The same person again: 409 until the integrator confirms it is someone else.
    let r = app
        .api("POST", "/api/v1/cases", &token, Some(&person), &[])
        .await;
    assert_error(&r, 409, "conflict");
    let mut confirmed = person.clone();
    confirmed["confirm_new"] = json!(true);
    app.api("POST", "/api/v1/cases", &token, Some(&confirmed), &[])
        .await
        .assert_status(201);
    // Bad input is refused naming the field, never echoing it; nothing saved.
    for (field, value) in [
        ("gender", json!("martian")),
        ("names", json!("   ")),
        ("opened_on", json!("2999-01-01")),
        ("nationalities", json!(["Narnia"])),
    ] {
        let mut bad = person.clone();
        bad[field] = value;
        let r = app
            .api("POST", "/api/v1/cases", &token, Some(&bad), &[])
            .await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], field, "{}", r.body);
        assert!(!r.body.contains(CANARY));
    }
    assert_eq!(count_rows(&app, "case_file").await, 2);
    // A stay from February to March, entered now: the bed is free again today.
    let shelter = satis::network::store::add_service(
        &app.state.db,
        org,
        "emergency_shelter",
        "Casa rifugio",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[("women", 1)],
    )
    .await
    .unwrap()
    .id;
    let stay = json!({
        "service_id": shelter,
        "bed_kind": "women",
        "emergency": true,
        "since": "2026-02-10",
        "until": "2026-03-31"
    });
    let path = format!("/api/v1/cases/{id}/placements");
    let r = app.api("POST", &path, &token, Some(&stay), &[]).await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["until"], "2026-03-31");
    let today = satis::platform::time::rome_today();
    let taken = satis::cases::store::occupied_beds(&app.state.db, shelter, today)
        .await
        .unwrap();
    assert!(taken.iter().all(|(_, n)| *n == 0), "{taken:?}");
    // The one bed is taken from today: a second stay from today is refused.
    let now = json!({"service_id": shelter, "bed_kind": "women", "since": today.to_string()});
    app.api("POST", &path, &token, Some(&now), &[])
        .await
        .assert_status(201);
    let r = app.api("POST", &path, &token, Some(&now), &[]).await;
    assert_error(&r, 409, "conflict");
    // An end before the start, or a stay in a shelter without beds: refused, naming the field.
    let mut bad = stay.clone();
    bad["until"] = json!("2026-02-01");
    let r = app.api("POST", &path, &token, Some(&bad), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "until");
    assert_eq!(count_rows(&app, "placement").await, 2);
    // The stay from today ends today: sent twice, the same answer; another day, refused (the
    // end is history); an end before the start, refused naming the field.
    let open_stay: i64 = scalar(&app, "SELECT id FROM placement WHERE \"until\" IS NULL").await;
    let end = format!("/api/v1/cases/placements/{open_stay}");
    let today_end = json!({"until": today.to_string()});
    for _ in 0..2 {
        let r = app.api("PATCH", &end, &token, Some(&today_end), &[]).await;
        r.assert_status(200);
        assert_eq!(json_of(&r)["until"], today.to_string());
    }
    let yesterday = json!({"until": (today - chrono::Duration::days(1)).to_string()});
    assert_error(
        &app.api("PATCH", &end, &token, Some(&yesterday), &[]).await,
        409,
        "conflict",
    );
    assert_error(
        &app.api(
            "PATCH",
            "/api/v1/cases/placements/999999",
            &token,
            Some(&today_end),
            &[],
        )
        .await,
        404,
        "not_found",
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'case.placement_end'"
        )
        .await,
        1,
        "ended once, audited once"
    );
    // A note and an accompaniment, as a case worker writes them on the case page; resent with
    // its key, the accompaniment is saved and counted once.
    let events = format!("/api/v1/cases/{id}/events");
    let note = json!({"kind": "note", "happened_on": "2026-03-30", "text": CANARY});
    let r = app.api("POST", &events, &token, Some(&note), &[]).await;
    r.assert_status(201);
    assert!(!r.body.contains(CANARY), "the text is never given back");
    let trip = json!({
        "kind": "accompaniment",
        "happened_on": today.to_string(),
        "text": "ASL, visita",
        "service_kind": "health"
    });
    let key = [("idempotency-key", "trip-0001")];
    for _ in 0..2 {
        app.api("POST", &events, &token, Some(&trip), &key)
            .await
            .assert_status(201);
    }
    assert_eq!(count_rows(&app, "accompaniment").await, 1);
    let report = satis::stats::activity(&app.state.db, today, today, None)
        .await
        .unwrap();
    let accompanied = report
        .figures
        .iter()
        .find(|f| f.key == "accompaniments")
        .and_then(|f| f.value);
    assert_eq!(accompanied, Some(1));
    let mut bad = trip.clone();
    bad["service_kind"] = json!("spa");
    let r = app.api("POST", &events, &token, Some(&bad), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "service_kind");
    let mut bad = note.clone();
    bad["happened_on"] = json!("2999-01-01");
    let r = app.api("POST", &events, &token, Some(&bad), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "happened_on");
    // Each write is in the audit trail.
    let audited = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_event WHERE action IN ('case.create', 'case.placement')",
    )
    .await;
    assert_eq!(audited, 4);
}

/// The national hotline's and the provinces' systems move people between projects without the
/// pages: propose from a case (consent needed), read with its version, accept with `If-Match`.
async fn a_transfer_is_proposed_and_accepted_through_the_api(db: TestDb) {
    let app = db.app().await;
    let a = app.organisation("Associazione Mittente").await;
    let b = app.organisation("Cooperativa Ricevente").await;
    let sender = app.user("mittente", Role::CaseWorker, a).await;
    let receiver = app.user("ricevente", Role::CaseWorker, b).await;
    let scopes = [
        "cases:read",
        "cases:write",
        "referrals:read",
        "referrals:write",
    ];
    let send_token = app.token(&sender, a, &scopes).await;
    let receive_token = app.token(&receiver, b, &scopes).await;
    let r = app
        .api(
            "POST",
            "/api/v1/cases",
            &send_token,
            Some(&json!({"gender": "female", "names": CANARY, "opened_on": "2026-11-02"})),
            &[],
        )
        .await;
    r.assert_status(201);
    let case_id = json_of(&r)["id"].as_i64().unwrap();
    let proposal = json!({
        "case_id": case_id,
        "counterpart_kind": "network_org",
        "receiver_organisation_id": b,
        "reason": "safety",
        "needed_service": "shelter",
        "urgency": "urgent"
    });
    // Without the person's consent to transfer: refused, nothing saved.
    let r = app
        .api(
            "POST",
            "/api/v1/referrals",
            &send_token,
            Some(&proposal),
            &[],
        )
        .await;
    assert_error(&r, 409, "conflict");
    assert_eq!(count_rows(&app, "referral").await, 0);
    let today = satis::platform::time::rome_today();
    satis::cases::store::add_consent(&app.state.db, case_id as i32, "transfer", None, today, None)
        .await
        .unwrap();
    let mut bad = proposal.clone();
    bad["urgency"] = json!("yesterday");
    let r = app
        .api("POST", "/api/v1/referrals", &send_token, Some(&bad), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "urgency");
    let key = [("idempotency-key", "transfer-1")];
    let r = app
        .api(
            "POST",
            "/api/v1/referrals",
            &send_token,
            Some(&proposal),
            &key,
        )
        .await;
    r.assert_status(201);
    let id = json_of(&r)["id"].as_i64().unwrap();
    assert_eq!(json_of(&r)["status"], "proposed");
    assert!(
        !r.body.contains(CANARY),
        "the package is never in the API: {}",
        r.body
    );
    app.api(
        "POST",
        "/api/v1/referrals",
        &send_token,
        Some(&proposal),
        &key,
    )
    .await
    .assert_status(201);
    assert_eq!(count_rows(&app, "referral").await, 1);
    // The receiver reads it with its version and accepts it once.
    let path = format!("/api/v1/referrals/{id}");
    let r = app.api("GET", &path, &receive_token, None, &[]).await;
    r.assert_status(200);
    let tag = r.header("etag").to_owned();
    let accept = json!({"status": "accepted"});
    // The sender may not accept its own proposal.
    let r = app
        .api(
            "PATCH",
            &path,
            &send_token,
            Some(&accept),
            &[("if-match", &tag)],
        )
        .await;
    assert_error(&r, 409, "conflict");
    let r = app
        .api(
            "PATCH",
            &path,
            &receive_token,
            Some(&accept),
            &[("if-match", &tag)],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["status"], "accepted");
    // The same stale version again: 412, nothing changed twice.
    let r = app
        .api(
            "PATCH",
            &path,
            &receive_token,
            Some(&accept),
            &[("if-match", &tag)],
        )
        .await;
    assert_error(&r, 412, "stale");
    // Accepting opened the receiver's case and closed the sender's as transferred.
    let closed = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM case_file WHERE id = {case_id} AND phase = 'closed'"),
    )
    .await;
    assert_eq!(closed, 1);
    let received = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM case_file WHERE owner_org = {b}"),
    )
    .await;
    assert_eq!(received, 1);
    // Someone who is not a party gets 403, and an unknown referral 404.
    let c = app.organisation("Terza Organizzazione").await;
    let stranger = app.user("estranea", Role::CaseWorker, c).await;
    let stranger_token = app.token(&stranger, c, &scopes).await;
    // Both parties list it; nobody else does.
    for (t, expected) in [(&send_token, 1), (&receive_token, 1), (&stranger_token, 0)] {
        let list = app
            .api("GET", "/api/v1/referrals?limit=10", t, None, &[])
            .await;
        list.assert_status(200);
        let list = json_of(&list);
        assert_eq!(list.as_array().unwrap().len(), expected);
        if expected == 1 {
            assert_eq!(list[0]["id"], id);
        }
    }
    app.api("GET", &path, &stranger_token, None, &[])
        .await
        .assert_status(403);
    app.api("GET", "/api/v1/referrals/999999", &receive_token, None, &[])
        .await
        .assert_status(404);
}

/// Accompaniments sent by a street unit's phone and by the hotline's integration: saved once
/// per Idempotency-Key, refused naming the field when wrong (nothing saved), and a call of
/// another organisation cannot be used to file one.
async fn accompaniments_are_recorded_once_from_the_unit_and_from_a_call(db: TestDb) {
    let app = db.app().await;
    let (_, _, outreach) = outreach_service(&app, "Unità Luna", "street_unit", "luna").await;
    let path = "/api/v1/outreach/accompaniments";
    let trip = json!({"happened_on": "2026-03-01", "service_kind": "health", "outcome": "done",
                      "source": "street_unit", "contact_code": "luna-7"});
    let key = [("idempotency-key", "trip-luna-7-0301")];
    for _ in 0..2 {
        let r = app.api("POST", path, &outreach, Some(&trip), &key).await;
        r.assert_status(201);
        assert_eq!(json_of(&r)["contact_code"], "LUNA-7");
    }
    assert_eq!(count_rows(&app, "accompaniment").await, 1);
    for (field, value) in [
        ("source", json!("hotline")),
        ("service_kind", json!("spa")),
        ("contact_code", json!("not a code!")),
        ("happened_on", json!("2999-01-01")),
    ] {
        let mut bad = trip.clone();
        bad[field] = value;
        let r = app.api("POST", path, &outreach, Some(&bad), &[]).await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], field, "{}", r.body);
    }
    assert_eq!(count_rows(&app, "accompaniment").await, 1);
    assert_eq!(count_rows(&app, "outreach_contact").await, 1);
    // LUNA-7 turns out to be a person the organisation follows: linked once, by their code.
    let org: i64 = scalar(&app, "SELECT organisation_id FROM outreach_contact").await;
    let worker = app.user("cw-luna", Role::CaseWorker, org as i32).await;
    let case_id = crate::access::record_fixture(&app, org as i32, worker.id)
        .await
        .0;
    let code = person_code(&app, case_id).await;
    let contact: i64 = scalar(&app, "SELECT id FROM outreach_contact").await;
    let link = format!("/api/v1/outreach/contacts/{contact}/case");
    let r = app
        .api(
            "POST",
            &link,
            &outreach,
            Some(&json!({"person_code": "TOS-1900-00000"})),
            &[],
        )
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "person_code");
    let r = app
        .api(
            "POST",
            &link,
            &outreach,
            Some(&json!({"person_code": code.to_lowercase()})),
            &[],
        )
        .await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["case_id"], case_id);
    let r = app
        .api(
            "POST",
            &link,
            &outreach,
            Some(&json!({"person_code": code})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");

    let (_, nv) = hotline(&app, "Numero Verde", "nv-acc").await;
    let (_, other) = hotline(&app, "Altro Ente", "altro-acc").await;
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &nv,
            Some(&contact_body().await),
            &[],
        )
        .await;
    r.assert_status(201);
    let call = json_of(&r)["id"].as_i64().unwrap();
    let path = format!("/api/v1/hotline/contacts/{call}/accompaniments");
    let trip = json!({"happened_on": "2026-03-02", "service_kind": "social", "outcome": "done"});
    let r = app.api("POST", &path, &nv, Some(&trip), &[]).await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["contact_id"], call);
    let r = app.api("POST", &path, &other, Some(&trip), &[]).await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(count_rows(&app, "accompaniment").await, 2);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('outreach.accompaniment', 'hotline.accompaniment')"
        )
        .await,
        2
    );
}

/// The hotline's integration asks for a mediator and activates the emergency procedure from a
/// call, as the desk does: saved once per key, checked field by field, the place and the
/// danger sealed and never given back, another organisation's call refused.
async fn mediators_and_emergencies_are_requested_from_a_call_through_the_api(db: TestDb) {
    let app = db.app().await;
    let (_, nv) = hotline(&app, "Numero Verde", "nv-med").await;
    let (_, other) = hotline(&app, "Altro Ente", "altro-med").await;
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/contacts",
            &nv,
            Some(&contact_body().await),
            &[],
        )
        .await;
    let call = json_of(&r)["id"].as_i64().unwrap();
    let ask = json!({"contact_id": call, "language": "ti", "needed_at": "2026-03-01T09:00:00+01:00",
                     "place": CANARY, "requester": "Questura di Firenze"});
    let key = [("idempotency-key", "mediator-ti-0301")];
    for _ in 0..2 {
        let r = app
            .api("POST", "/api/v1/hotline/mediators", &nv, Some(&ask), &key)
            .await;
        r.assert_status(201);
        let v = json_of(&r);
        assert_eq!(v["language"], "TI");
        assert_eq!(v["status"], "requested");
        assert_eq!(v["needed_at"], "2026-03-01T08:00:00Z");
        assert!(!r.body.contains(CANARY), "the place is never given back");
    }
    assert_eq!(count_rows(&app, "mediator_request").await, 1);
    for (field, value) in [("language", json!("tigrinya")), ("place", json!("  "))] {
        let mut bad = ask.clone();
        bad[field] = value;
        let r = app
            .api("POST", "/api/v1/hotline/mediators", &nv, Some(&bad), &[])
            .await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], field);
    }
    let r = app
        .api("POST", "/api/v1/hotline/mediators", &other, Some(&ask), &[])
        .await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(count_rows(&app, "mediator_request").await, 1);

    let danger = json!({"contact_id": call, "danger": CANARY});
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/emergencies",
            &nv,
            Some(&danger),
            &[],
        )
        .await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["contact_id"], call);
    assert!(!r.body.contains(CANARY));
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/emergencies",
            &nv,
            Some(&json!({"danger": ""})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "danger");
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/emergencies",
            &other,
            Some(&danger),
            &[],
        )
        .await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(count_rows(&app, "emergency_activation").await, 1);
    // Sealed at rest: the stored columns do not hold the words.
    let clear: i64 = scalar(
        &app,
        "SELECT COUNT(*) FROM emergency_activation WHERE danger <> '' OR danger_enc IS NULL",
    )
    .await;
    assert_eq!(clear, 0);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('hotline.mediator.request', 'hotline.emergency.start')"
        )
        .await,
        2
    );
}

/// A case's consents, its sharing and its permits through the API: sharing needs a consent in
/// force naming the organisation, a consent to share needs a role that may disclose (refusal
/// audited), a withdrawal is dated and is history, a permit's dates are checked.
async fn consents_shares_and_permits_follow_the_case_pages_rules(db: TestDb) {
    let app = db.app().await;
    let owner = app.organisation("Casa Rifugio Owner").await;
    let partner = app.organisation("Progetto Partner").await;
    let worker = app.user("cw-owner", Role::CaseWorker, owner).await;
    let token = app
        .token(&worker, owner, &["cases:read", "cases:write"])
        .await;
    let r = app
        .api(
            "POST",
            "/api/v1/cases",
            &token,
            Some(&json!({"gender": "female", "names": "Persona Consenso", "opened_on": "2026-01-10"})),
            &[],
        )
        .await;
    r.assert_status(201);
    let id = json_of(&r)["id"].as_i64().unwrap();
    let shares = format!("/api/v1/cases/{id}/shares");
    let to_partner = json!({"organisation_id": partner});
    // No consent yet: refused, nothing shared.
    assert_error(
        &app.api("POST", &shares, &token, Some(&to_partner), &[])
            .await,
        409,
        "conflict",
    );
    let consents = format!("/api/v1/cases/{id}/consents");
    let consent =
        json!({"purpose": "sharing", "organisation_id": partner, "given_on": "2026-01-12"});
    // A mediator of the same organisation works on the case but may not take a consent that
    // discloses the person: refused and audited as denied.
    let mediator = app.user("med-owner", Role::Mediator, owner).await;
    let med_token = app.token(&mediator, owner, &["cases:write"]).await;
    assert_error(
        &app.api("POST", &consents, &med_token, Some(&consent), &[])
            .await,
        403,
        "forbidden",
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'case.consent' AND outcome = 'denied'"
        )
        .await,
        1
    );
    let mut no_org = consent.clone();
    no_org["organisation_id"] = Value::Null;
    let r = app.api("POST", &consents, &token, Some(&no_org), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "organisation_id");
    let r = app
        .api("POST", &consents, &token, Some(&consent), &[])
        .await;
    r.assert_status(201);
    let consent_id = json_of(&r)["id"].as_i64().unwrap();
    assert_eq!(count_rows(&app, "consent").await, 1);
    app.api("POST", &shares, &token, Some(&to_partner), &[])
        .await
        .assert_status(201);
    // The partner's worker now reads the case.
    let theirs = app.user("cw-partner", Role::CaseWorker, partner).await;
    let their_token = app.token(&theirs, partner, &["cases:read"]).await;
    app.api(
        "GET",
        &format!("/api/v1/cases/{id}"),
        &their_token,
        None,
        &[],
    )
    .await
    .assert_status(200);
    // Withdrawn on a day: again with that day, the same; another day, refused.
    let withdraw = format!("/api/v1/cases/consents/{consent_id}");
    for _ in 0..2 {
        let r = app
            .api(
                "PATCH",
                &withdraw,
                &token,
                Some(&json!({"withdrawn_on": "2026-02-01"})),
                &[],
            )
            .await;
        r.assert_status(200);
        assert_eq!(json_of(&r)["withdrawn_on"], "2026-02-01");
    }
    assert_error(
        &app.api(
            "PATCH",
            &withdraw,
            &token,
            Some(&json!({"withdrawn_on": "2026-02-02"})),
            &[],
        )
        .await,
        409,
        "conflict",
    );
    // Permits: dates checked, the office sealed and never given back.
    let permits = format!("/api/v1/cases/{id}/permits");
    let permit = json!({"kind": "art18_social", "status": "issued", "applied_on": "2026-01-20",
                        "issued_on": "2026-02-20", "expires_on": "2026-08-20", "office": CANARY});
    let r = app.api("POST", &permits, &token, Some(&permit), &[]).await;
    r.assert_status(201);
    assert!(!r.body.contains(CANARY));
    assert_eq!(json_of(&r)["expires_on"], "2026-08-20");
    let mut backwards = permit.clone();
    backwards["expires_on"] = json!("2026-01-01");
    let r = app
        .api("POST", &permits, &token, Some(&backwards), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "expires_on");
    let mut unknown = permit.clone();
    unknown["kind"] = json!("golden_visa");
    let r = app.api("POST", &permits, &token, Some(&unknown), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(count_rows(&app, "permit").await, 1);
    // A decision on it: the renewal needs its new expiry; given, the permit is renewed, and
    // the same decision resent records nothing more; a refused permit takes no decision.
    let permit_id = scalar(&app, "SELECT id FROM permit").await;
    let decision = format!("/api/v1/cases/permits/{permit_id}");
    let r = app
        .api(
            "PATCH",
            &decision,
            &token,
            Some(&json!({"status": "renewed", "decided_on": "2026-08-10"})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "expires_on");
    let renewal =
        json!({"status": "renewed", "decided_on": "2026-08-10", "expires_on": "2027-08-10"});
    for _ in 0..2 {
        let r = app
            .api("PATCH", &decision, &token, Some(&renewal), &[])
            .await;
        r.assert_status(200);
        assert_eq!(json_of(&r)["status"], "renewed");
        assert_eq!(json_of(&r)["expires_on"], "2027-08-10");
    }
    assert_eq!(count_rows(&app, "permit_change").await, 1);
    let refusal = json!({"status": "refused", "decided_on": "2026-09-01"});
    app.api("PATCH", &decision, &token, Some(&refusal), &[])
        .await
        .assert_status(200);
    let r = app
        .api("PATCH", &decision, &token, Some(&renewal), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "status");
    assert_eq!(count_rows(&app, "permit_change").await, 2);
    // The person's attributes corrected with the version last read: kept in the history.
    let person_path = format!("/api/v1/cases/{id}/person");
    let tag = app
        .api("GET", &format!("/api/v1/cases/{id}"), &token, None, &[])
        .await
        .header("etag")
        .to_owned();
    let fix = json!({"gender": "female", "birth_year": 2000, "birth_year_estimated": true,
                     "nationalities": ["ng", "GH"], "languages": ["en"]});
    let r = app
        .api(
            "PATCH",
            &person_path,
            &token,
            Some(&json!({"gender": "robot"})),
            &[("if-match", tag.as_str())],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "gender");
    let r = app
        .api(
            "PATCH",
            &person_path,
            &token,
            Some(&fix),
            &[("if-match", tag.as_str())],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["nationalities"], json!(["NG", "GH"]));
    assert_eq!(json_of(&r)["birth_year"], 2000);
    assert_eq!(count_rows(&app, "person_change").await, 1);
    let mut other = fix.clone();
    other["birth_year"] = json!(1999);
    let r = app
        .api(
            "PATCH",
            &person_path,
            &token,
            Some(&other),
            &[("if-match", tag.as_str())],
        )
        .await;
    r.assert_status(412);
    assert_eq!(count_rows(&app, "person_change").await, 1);
    // The assessment, with the version last read: the route is sealed, the sector kept only
    // with labour exploitation, an old version refused.
    let case_path = format!("/api/v1/cases/{id}");
    let etag = app
        .api("GET", &case_path, &token, None, &[])
        .await
        .header("etag")
        .to_owned();
    let assessment = format!("{case_path}/assessment");
    let body = json!({"trafficking_status": "presumed", "exploitation_forms": ["sexual"],
                      "labour_sector": "agriculture", "route": CANARY,
                      "transit_countries": ["LY", "NE"]});
    assert_error(
        &app.api("PATCH", &assessment, &token, Some(&body), &[])
            .await,
        428,
        "if_match_required",
    );
    let r = app
        .api(
            "PATCH",
            &assessment,
            &token,
            Some(&body),
            &[("if-match", etag.as_str())],
        )
        .await;
    r.assert_status(200);
    let v = json_of(&r);
    assert_eq!(v["exploitation_forms"], json!(["sexual"]));
    assert_eq!(v["labour_sector"], Value::Null);
    assert_eq!(v["trafficking_status"], "presumed");
    assert!(!r.body.contains(CANARY));
    let r = app
        .api(
            "PATCH",
            &assessment,
            &token,
            Some(&body),
            &[("if-match", etag.as_str())],
        )
        .await;
    r.assert_status(412);
    let mut bad = body.clone();
    bad["means_of_control"] = json!(["telepathy"]);
    let fresh = app
        .api("GET", &case_path, &token, None, &[])
        .await
        .header("etag")
        .to_owned();
    let r = app
        .api(
            "PATCH",
            &assessment,
            &token,
            Some(&bad),
            &[("if-match", fresh.as_str())],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "means_of_control");
}

/// What the desk does beside the calls, through the API: a mediator request assigned then done,
/// an emergency ticked then handed over (and closed), a note for the next shift, an
/// identification interview requested then recorded (consent first), a call linked to the
/// person's case with the version last read. Each refused as the desk refuses it.
async fn the_hotline_desks_work_goes_on_through_the_api(db: TestDb) {
    let app = db.app().await;
    let (org, nv) = hotline(&app, "Numero Verde", "nv-desk").await;
    let (_, other) = hotline(&app, "Altro Ente", "altro-desk").await;
    let call = json_of(
        &app.api(
            "POST",
            "/api/v1/hotline/contacts",
            &nv,
            Some(&contact_body().await),
            &[],
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    // A mediator: assigned (with a name), then done; then nothing more.
    let m = json_of(
        &app.api(
            "POST",
            "/api/v1/hotline/mediators",
            &nv,
            Some(
                &json!({"language": "ar", "needed_at": "2026-03-01T09:00:00+01:00",
                         "place": "Questura"}),
            ),
            &[],
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/hotline/mediators/{m}");
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"status": "assigned"})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "mediator");
    assert_error(
        &app.api(
            "PATCH",
            &path,
            &other,
            Some(&json!({"status": "cancelled"})),
            &[],
        )
        .await,
        403,
        "forbidden",
    );
    for (body, status) in [
        (
            json!({"status": "assigned", "mediator": "Amal"}),
            "assigned",
        ),
        (
            json!({"status": "done", "outcome": "Colloquio svolto"}),
            "done",
        ),
    ] {
        let r = app.api("PATCH", &path, &nv, Some(&body), &[]).await;
        r.assert_status(200);
        assert_eq!(json_of(&r)["status"], status);
    }
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"status": "cancelled"})),
            &[],
        )
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "status", "{}", r.body);
    // An emergency: a step, a hand-over without a taker (refused), the hand-over; then closed.
    let e = json_of(
        &app.api(
            "POST",
            "/api/v1/hotline/emergencies",
            &nv,
            Some(&json!({"contact_id": call, "danger": "Minacce"})),
            &[],
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/hotline/emergencies/{e}");
    app.api(
        "PATCH",
        &path,
        &nv,
        Some(&json!({"step": "danger_assessed"})),
        &[],
    )
    .await
    .assert_status(200);
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"step": "tea_served"})),
            &[],
        )
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "step");
    let r = app.api("PATCH", &path, &nv, Some(&json!({})), &[]).await;
    assert_eq!(json_of(&r)["error"]["field"], "handed_over_to");
    app.api(
        "PATCH",
        &path,
        &nv,
        Some(&json!({"handed_over_to": org})),
        &[],
    )
    .await
    .assert_status(200);
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"step": "transport_arranged"})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    let steps: i64 = scalar(
        &app,
        "SELECT COUNT(*) FROM emergency_activation WHERE closed_at IS NOT NULL AND steps LIKE 'danger_assessed=%'",
    )
    .await;
    assert_eq!(steps, 1);
    // A note for the next shift.
    app.api(
        "POST",
        "/api/v1/hotline/notes",
        &nv,
        Some(&json!({"text": "Richiamare A."})),
        &[],
    )
    .await
    .assert_status(201);
    let r = app
        .api(
            "POST",
            "/api/v1/hotline/notes",
            &nv,
            Some(&json!({"text": " "})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(count_rows(&app, "shift_note").await, 1);
    // An identification interview: an outcome without consent is refused.
    let i = json_of(
        &app.api(
            "POST",
            "/api/v1/hotline/interviews",
            &nv,
            Some(
                &json!({"requester": "commission_fi", "person_code": "CTRFI-114",
                         "scheduled_on": "2026-02-10"}),
            ),
            &[],
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/hotline/interviews/{i}");
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"consent": false, "outcome": "Indicatori presenti"})),
            &[],
        )
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "consent");
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"consent": true, "outcome": CANARY, "report_sent_on": "2026-02-12"})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["report_sent_on"], "2026-02-12");
    assert!(!r.body.contains(CANARY));
    // The call linked to the person's case, with the version last read.
    let worker = app.user("cw-desk", Role::CaseWorker, org).await;
    let cases = app.token(&worker, org, &["cases:write"]).await;
    let case = json_of(
        &app.api(
            "POST",
            "/api/v1/cases",
            &cases,
            Some(&json!({"gender": "female", "names": "Persona Chiamata", "opened_on": "2026-02-01"})),
            &[],
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/hotline/contacts/{call}/case");
    let etag = app
        .api(
            "GET",
            &format!("/api/v1/hotline/contacts/{call}"),
            &nv,
            None,
            &[],
        )
        .await
        .header("etag")
        .to_owned();
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"case_id": 999_999})),
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "case_id");
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"case_id": case})),
            &[("if-match", etag.as_str())],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["case_id"], case);
    let r = app
        .api(
            "PATCH",
            &path,
            &nv,
            Some(&json!({"case_id": case})),
            &[("if-match", etag.as_str())],
        )
        .await;
    r.assert_status(412);
}

/// An implementing body's system writes a project with its lines, submits it; the lead
/// municipality's evaluator decides it through the API (a worker cannot approve their own);
/// once active, expenses are recorded within what was approved. Versions guard each move.
async fn a_project_is_written_decided_and_spent_through_the_api(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Associazione Progetto Arcobaleno").await;
    let lead = app.organisation("Comune di Viareggio").await;
    let worker = app.user("cw-progetti", Role::CaseWorker, org).await;
    let evaluator = app.user("valuta", Role::CapofilaEvaluator, lead).await;
    let token = app
        .token(
            &worker,
            org,
            &["cases:write", "projects:read", "projects:write"],
        )
        .await;
    let judge = app
        .token(&evaluator, lead, &["projects:read", "projects:write"])
        .await;
    let case = json_of(
        &app.api(
            "POST",
            "/api/v1/cases",
            &token,
            Some(&json!({"gender": "female", "names": "Persona Progetto", "opened_on": "2026-01-05"})),
            &[],
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let edition = satis::projects::store::add_edition(
        &app.state.db,
        "SATIS 2026",
        day,
        day + chrono::Duration::days(364),
        10_000_000,
        0,
    )
    .await
    .unwrap()
    .id;
    let body = json!({"case_id": case, "edition_id": edition, "objectives": CANARY});
    let r = app
        .api("POST", "/api/v1/projects", &token, Some(&body), &[])
        .await;
    r.assert_status(201);
    assert!(!r.body.contains(CANARY), "objectives are never given back");
    let id = json_of(&r)["id"].as_i64().unwrap();
    assert_eq!(json_of(&r)["status"], "draft");
    // Without objectives, or for another organisation's case: refused.
    let mut bad = body.clone();
    bad["objectives"] = json!("");
    let r = app
        .api("POST", "/api/v1/projects", &token, Some(&bad), &[])
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "objectives");
    let lines = format!("/api/v1/projects/{id}/lines");
    let r = app
        .api(
            "POST",
            &lines,
            &token,
            Some(&json!({"kind": "italian_course", "requested_cents": 80_000})),
            &[],
        )
        .await;
    r.assert_status(201);
    let line = json_of(&r)["id"].as_i64().unwrap();
    let r = app
        .api(
            "POST",
            &lines,
            &token,
            Some(&json!({"kind": "italian_course", "requested_cents": 999_999_999})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_error(
        &app.api(
            "POST",
            &lines,
            &judge,
            Some(&json!({"kind": "italian_course", "requested_cents": 1000})),
            &[],
        )
        .await,
        403,
        "forbidden",
    );
    // A second line, changed and then removed while the project is a draft.
    let r = app
        .api(
            "POST",
            &lines,
            &token,
            Some(&json!({"kind": "italian_course", "requested_cents": 40_000})),
            &[],
        )
        .await;
    let second = format!("/api/v1/projects/lines/{}", json_of(&r)["id"]);
    let r = app
        .api(
            "PATCH",
            &second,
            &token,
            Some(&json!({"requested_cents": 30_000})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["requested_cents"], 110_000);
    let r = app
        .api(
            "PATCH",
            &second,
            &judge,
            Some(&json!({"remove": true})),
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "only the author edits lines");
    // The owner's list has the draft with its lines counted; the evaluator's list leaves
    // drafts out.
    let mine = json_of(
        &app.api("GET", "/api/v1/projects?limit=1", &token, None, &[])
            .await,
    );
    assert_eq!(mine[0]["id"], id);
    assert_eq!(mine[0]["requested_cents"], 110_000);
    let judged = app.api("GET", "/api/v1/projects", &judge, None, &[]).await;
    judged.assert_status(200);
    assert!(
        json_of(&judged)
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != id)
    );
    let r = app
        .api(
            "PATCH",
            &second,
            &token,
            Some(&json!({"remove": true})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["lines"].as_array().unwrap().len(), 1);
    // Moves, each with the version last read.
    let path = format!("/api/v1/projects/{id}");
    let mv = async |token: &str, to: &str, reason: Option<&str>| {
        let etag = app
            .api("GET", &path, token, None, &[])
            .await
            .header("etag")
            .to_owned();
        let mut b = json!({"to": to});
        if let Some(r) = reason {
            b["reason"] = json!(r);
        }
        app.api(
            "PATCH",
            &path,
            token,
            Some(&b),
            &[("if-match", etag.as_str())],
        )
        .await
    };
    mv(&token, "submitted", None).await.assert_status(200);
    let r = mv(&token, "approved", None).await;
    assert_eq!(
        json_of(&r)["error"]["field"],
        "to",
        "a worker cannot approve: {}",
        r.body
    );
    let r = mv(&judge, "rejected", None).await;
    assert_eq!(
        json_of(&r)["error"]["field"],
        "to",
        "a rejection needs a reason"
    );
    // Granting a line less than asked needs the reason.
    let etag = app
        .api("GET", &path, &judge, None, &[])
        .await
        .header("etag")
        .to_owned();
    let cut = json!({"to": "approved", "granted": [{"line_id": line, "approved_cents": 60_000}]});
    let r = app
        .api(
            "PATCH",
            &path,
            &judge,
            Some(&cut),
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "reason");
    let r = mv(&judge, "approved", None).await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["approved_cents"], 80_000);
    mv(&token, "active", None).await.assert_status(200);
    // A stale version is refused.
    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"to": "variation"})),
            &[("if-match", "\"v1\"")],
        )
        .await;
    r.assert_status(412);
    // Expenses within the approved amount.
    let expenses = format!("/api/v1/projects/lines/{line}/expenses");
    let r = app
        .api("POST", &expenses, &token, Some(&json!({"amount_cents": 50_000, "spent_on": "2026-03-01", "document": "Fattura 12"})), &[])
        .await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["project_id"], id);
    let r = app
        .api(
            "POST",
            &expenses,
            &token,
            Some(&json!({"amount_cents": 40_000, "spent_on": "2026-03-02"})),
            &[],
        )
        .await;
    assert_eq!(
        json_of(&r)["error"]["field"],
        "amount_cents",
        "over what was approved"
    );
    let r = app
        .api(
            "POST",
            &expenses,
            &token,
            Some(&json!({"amount_cents": 1_000, "spent_on": "2999-01-01"})),
            &[],
        )
        .await;
    assert_eq!(json_of(&r)["error"]["field"], "spent_on");
    assert_eq!(count_rows(&app, "project_expense").await, 1);
}

/// A territorial coordinator's system keeps its province's services and beds through the API:
/// a shelter added with its beds (its address never given back), another province's refused,
/// beds changed; roles that do not edit the registry get 403.
async fn services_and_beds_are_kept_through_the_api_within_the_province_rule(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Coordinamento Firenze").await;
    let coordinator = app
        .user("coord-fi", Role::TerritorialCoordinator, org)
        .await;
    let token = app
        .token(&coordinator, org, &["network:read", "network:write"])
        .await;
    let shelter = json!({"organisation_id": org, "kind": "emergency_shelter", "name": "Casa Iris",
                         "province": "FI", "address": CANARY, "beds": {"women": 4, "transgender": 1}});
    let r = app
        .api("POST", "/api/v1/services", &token, Some(&shelter), &[])
        .await;
    r.assert_status(201);
    assert!(!r.body.contains(CANARY), "the address is never given back");
    let v = json_of(&r);
    let id = v["id"].as_i64().unwrap();
    let women = v["beds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "women")
        .map(|b| b["capacity"].clone());
    assert_eq!(women, Some(json!(4)));
    for (field, value, named) in [
        ("province", json!("PI"), "province"),
        ("beds", json!({"dogs": 2}), "beds"),
        ("kind", json!("spa"), "kind"),
        ("name", json!(" "), "name"),
    ] {
        let mut bad = shelter.clone();
        bad[field] = value;
        let r = app
            .api("POST", "/api/v1/services", &token, Some(&bad), &[])
            .await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], named, "{}", r.body);
    }
    let path = format!("/api/v1/services/{id}");
    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"active": true, "hours": "24/7", "beds": {"women": 6}})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["hours"], "24/7");
    let taken = satis::network::beds_of(&app.state.db, id as i32)
        .await
        .unwrap();
    assert!(
        taken
            .iter()
            .any(|b| b.bed_kind == "women" && b.capacity == 6),
        "{taken:?}"
    );
    let operator = app.user("op-servizi", Role::HotlineOperator, org).await;
    let op_token = app
        .token(&operator, org, &["network:read", "network:write"])
        .await;
    assert_error(
        &app.api("POST", "/api/v1/services", &op_token, Some(&shelter), &[])
            .await,
        403,
        "forbidden",
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('service.create', 'service.update')"
        )
        .await,
        2
    );
}

/// The national hotline's transfer request arrives through the API: recorded with the consent
/// the sender states, the person's data sealed and never given back, nothing saved when the
/// consent or a code is missing; the receiving organisation then decides it like any other.
async fn a_request_from_the_national_hotline_is_received_through_the_api(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Casa Accoglienza Ricevente").await;
    let worker = app.user("cw-ricevente", Role::CaseWorker, org).await;
    let token = app
        .token(&worker, org, &["referrals:read", "referrals:write"])
        .await;
    let request = json!({
        "counterpart_kind": "national_hotline",
        "consent": true,
        "consent_on": "2026-03-01",
        "reason": "safety",
        "needed_service": "shelter",
        "urgency": "urgent",
        "person": {"names": CANARY, "gender": "female", "birth_year": 2001,
                   "nationalities": ["ng"], "exploitation_forms": ["sexual"]}
    });
    let path = "/api/v1/referrals/inbound";
    for (field, value, named) in [
        ("consent", json!(false), "consent"),
        ("counterpart_kind", json!("embassy"), "counterpart_kind"),
        ("urgency", json!("whenever"), "urgency"),
    ] {
        let mut bad = request.clone();
        bad[field] = value;
        let r = app.api("POST", path, &token, Some(&bad), &[]).await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], named, "{}", r.body);
    }
    let mut bad = request.clone();
    bad["person"]["gender"] = json!("martian");
    let r = app.api("POST", path, &token, Some(&bad), &[]).await;
    assert_eq!(json_of(&r)["error"]["field"], "gender");
    assert_eq!(count_rows(&app, "referral").await, 0);
    let r = app.api("POST", path, &token, Some(&request), &[]).await;
    r.assert_status(201);
    assert!(!r.body.contains(CANARY), "{}", r.body);
    let v = json_of(&r);
    assert_eq!(v["status"], "proposed");
    let id = v["id"].as_i64().unwrap();
    let stored = satis::referrals::store::referral(&app.state.db, id as i32)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.package_enc.windows(9).any(|w| w == b"Zyxcanary"),
        "sealed at rest"
    );
    let package = satis::referrals::store::open(&app.state.keys, &stored).unwrap();
    assert_eq!(
        package.names.as_deref(),
        Some(CANARY),
        "and kept for the receiver"
    );
    app.api("GET", &format!("/api/v1/referrals/{id}"), &token, None, &[])
        .await
        .assert_status(200);
}

/// The document's request examples are what an integrator copies first: each one, sent by an
/// account of the role the operation is for, creates its record (twice, since an example is
/// sent again and again), and the record's first link (its read, when there is one) answers.
async fn every_documented_example_succeeds_and_leads_to_its_links(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("CAT Coop. sociale").await;
    let worker = app.user("esempi-cw", Role::CaseWorker, org).await;
    let operator = app.user("esempi-hl", Role::HotlineOperator, org).await;
    let cases = app
        .token(&worker, org, &["cases:read", "cases:write"])
        .await;
    let hotline = app
        .token(
            &operator,
            org,
            &[
                "hotline:read",
                "hotline:write",
                "referrals:read",
                "referrals:write",
            ],
        )
        .await;
    let doc: Value = serde_json::from_str(&satis::app::openapi()).unwrap();
    let mut tried = 0;
    for spec in satis::app::api_routes().specs() {
        let Some(example) = spec.example else {
            continue;
        };
        let body: Value = serde_json::from_str(example).expect("the example is JSON");
        let token = if spec.scope.starts_with("cases") {
            &cases
        } else {
            &hotline
        };
        let path = spec.full_path();
        for _ in 0..2 {
            let r = app.api("POST", &path, token, Some(&body), &[]).await;
            assert_eq!(r.status.as_u16(), 201, "{}: {}", spec.operation_id, r.body);
            let created = json_of(&r);
            let links = &doc["paths"][&path]["post"]["responses"]["201"]["links"];
            if let Some(get) = links.as_object().and_then(|l| {
                l.values()
                    .find(|l| l["operationId"].as_str().unwrap_or("").starts_with("get"))
            }) {
                let id = created["id"].as_i64().expect("the answer names the record");
                let read = doc["paths"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(_, ops)| ops["get"]["operationId"] == get["operationId"])
                    .map(|(p, _)| p.replace("{id}", &id.to_string()))
                    .unwrap();
                let r = app.api("GET", &read, token, None, &[]).await;
                assert_eq!(r.status.as_u16(), 200, "{read}: {}", r.body);
            }
        }
        tried += 1;
    }
    assert!(tried >= 7, "{tried} examples");
}

/// The list of places a street unit visits is kept from the unit's tools as on the desk: added
/// once whatever the resends, renamed or taken off the list, never by another organisation.
async fn a_street_units_places_are_kept_through_the_api_by_its_own_organisation(db: TestDb) {
    let app = db.app().await;
    let (_, unit, token) = outreach_service(&app, "Unità Sole", "street_unit", "sole").await;
    let (_, other_unit, other) = outreach_service(&app, "Unità Luna", "street_unit", "luna").await;
    let r = app
        .api("GET", "/api/v1/outreach/places", &token, None, &[])
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r), json!([]));
    let body = json!({"service_id": unit, "name": "  Viale Belfiore, lato stazione  "});
    let key = [("idempotency-key", "place-belfiore")];
    let first = app
        .api("POST", "/api/v1/outreach/places", &token, Some(&body), &key)
        .await;
    first.assert_status(201);
    let place = json_of(&first);
    assert_eq!(place["name"], "Viale Belfiore, lato stazione");
    assert_eq!(place["active"], true);
    let again = app
        .api("POST", "/api/v1/outreach/places", &token, Some(&body), &key)
        .await;
    again.assert_status(201);
    assert_eq!(json_of(&again)["id"], place["id"], "a resend adds nothing");
    let id = place["id"].as_i64().unwrap();
    // Another organisation's unit is not this organisation's to fill, nor its places to change.
    let r = app
        .api(
            "POST",
            "/api/v1/outreach/places",
            &token,
            Some(&json!({"service_id": other_unit, "name": "Cascine"})),
            &[("idempotency-key", "place-not-mine")],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "service_id");
    let path = format!("/api/v1/outreach/places/{id}");
    let r = app
        .api(
            "PATCH",
            &path,
            &other,
            Some(&json!({"name": "Preso", "active": false})),
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(
        json_of(
            &app.api("GET", "/api/v1/outreach/places", &other, None, &[])
                .await
        ),
        json!([])
    );
    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"name": " ", "active": true})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "name");
    let r = app
        .api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"name": "Viale Belfiore", "active": false})),
            &[],
        )
        .await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["active"], false);
    let list = json_of(
        &app.api("GET", "/api/v1/outreach/places", &token, None, &[])
            .await,
    );
    assert_eq!(list[0]["name"], "Viale Belfiore");
    assert_eq!(list[0]["active"], false, "kept, off the list");
    assert_eq!(
        crate::support::count_rows(&app, "audit_event WHERE action LIKE 'outreach.place_%'").await,
        2,
        "one entry for the addition (not its resend), one for the change"
    );
}

/// What the network pages keep — an organisation's details, its governance roles, the local
/// networks' meetings and the training events — is kept through the API with the same rules:
/// a coordinator acts in her province only, days are Italian days never in the future, roles
/// end without being deleted.
async fn the_registry_roles_meetings_and_training_are_kept_through_the_api(db: TestDb) {
    let app = db.app().await;
    let org = app.organisation("Coordinamento Firenze").await;
    let coordinator = app
        .user("coord-fi", Role::TerritorialCoordinator, org)
        .await;
    let token = app
        .token(&coordinator, org, &["network:read", "network:write"])
        .await;
    let ngo = app.organisation("Associazione Giglio").await;
    let path = format!("/api/v1/organisations/{ngo}");
    let change = json!({"kind": "ngo", "province": "FI", "is_public": false,
                        "register_section2": true, "register_number": "  123/FI  "});
    let r = app.api("PATCH", &path, &token, Some(&change), &[]).await;
    r.assert_status(200);
    assert_eq!(json_of(&r)["register_section2"], true);
    let mut elsewhere = change.clone();
    elsewhere["province"] = json!("PI");
    let r = app.api("PATCH", &path, &token, Some(&elsewhere), &[]).await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "province");

    // A governance role from a day, then ended on a later one: kept in the history.
    let roles = format!("{path}/roles");
    let role = json!({"kind": "local_network", "province": "FI", "since": "2025-01-15"});
    let key = [("idempotency-key", "role-giglio-2025")];
    let r = app.api("POST", &roles, &token, Some(&role), &key).await;
    r.assert_status(201);
    let added = json_of(&r);
    let again = app.api("POST", &roles, &token, Some(&role), &key).await;
    assert_eq!(json_of(&again)["id"], added["id"], "a resend adds nothing");
    for (bad, field) in [
        (
            json!({"kind": "local_network", "since": "2025-01-15"}),
            "kind",
        ),
        (
            json!({"kind": "capofila", "province": "FI", "since": "2025-01-15"}),
            "kind",
        ),
        (
            json!({"kind": "local_network", "province": "PI", "since": "2025-01-15"}),
            "province",
        ),
        (
            json!({"kind": "local_network", "province": "FI", "since": "2999-01-01"}),
            "since",
        ),
    ] {
        let r = app.api("POST", &roles, &token, Some(&bad), &[]).await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], field, "{bad}: {}", r.body);
    }
    let end = format!("/api/v1/governance-roles/{}", added["id"]);
    let r = app
        .api(
            "PATCH",
            &end,
            &token,
            Some(&json!({"until": "2024-12-31"})),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(
        json_of(&r)["error"]["field"],
        "until",
        "not before it began"
    );
    let r = app
        .api(
            "PATCH",
            &end,
            &token,
            Some(&json!({"until": "2026-06-30"})),
            &[],
        )
        .await;
    r.assert_status(200);
    let listed = json_of(&app.api("GET", &roles, &token, None, &[]).await);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["until"], "2026-06-30");

    // A local network meeting and a training event.
    let meeting = json!({"province": "FI", "convener_id": org, "held_on": "2026-11-12",
                         "agenda": "Posti di pronta accoglienza per l'inverno",
                         "invited": [org, ngo], "present": [org]});
    let r = app
        .api("POST", "/api/v1/meetings", &token, Some(&meeting), &[])
        .await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["province"], "FI");
    let mut pisa = meeting.clone();
    pisa["province"] = json!("PI");
    let r = app
        .api("POST", "/api/v1/meetings", &token, Some(&pisa), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "province");
    let training = json!({"title": "Indicatori di tratta per gli sportelli", "place": "Firenze",
                          "held_on": "2026-10-03", "participants": 24});
    let r = app
        .api("POST", "/api/v1/trainings", &token, Some(&training), &[])
        .await;
    r.assert_status(201);
    assert_eq!(json_of(&r)["participants"], 24);
    let mut no_title = training.clone();
    no_title["title"] = json!("  ");
    let r = app
        .api("POST", "/api/v1/trainings", &token, Some(&no_title), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "title");

    // A street unit's operator reads the registry but changes none of it.
    let (_, _, outreach) = outreach_service(&app, "Unità Stella", "street_unit", "stella").await;
    let r = app
        .api("POST", "/api/v1/trainings", &outreach, Some(&training), &[])
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(
        crate::support::count_rows(
            &app,
            "audit_event WHERE action IN ('organisation.update', 'governance_role.add', \
             'governance_role.end', 'meeting.create', 'training.create')"
        )
        .await,
        5
    );
}

/// The lead entity opens an edition of the programme, and the administrator adds another
/// region's project to the directory, without the pages; nobody else can.
async fn editions_and_the_counterparts_directory_are_kept_through_the_api(db: TestDb) {
    let app = db.app().await;
    let lead = app.organisation("Comune di Firenze").await;
    let evaluator = app.user("capofila-ed", Role::CapofilaEvaluator, lead).await;
    let judge = app
        .token(&evaluator, lead, &["projects:read", "projects:write"])
        .await;
    let edition = json!({"name": "SATIS 2027", "starts_on": "2027-01-01",
                         "ends_on": "2027-12-31", "total_cents": 120_000_000});
    let key = [("idempotency-key", "edition-2027")];
    let r = app
        .api("POST", "/api/v1/editions", &judge, Some(&edition), &key)
        .await;
    r.assert_status(201);
    let made = json_of(&r);
    assert_eq!(made["cofunding_cents"], 0, "co-funding left out is none");
    let again = app
        .api("POST", "/api/v1/editions", &judge, Some(&edition), &key)
        .await;
    assert_eq!(
        json_of(&again)["id"],
        made["id"],
        "a resend opens nothing new"
    );
    // The same name again (not a resend): said, not a server error.
    let r = app
        .api("POST", "/api/v1/editions", &judge, Some(&edition), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "name");
    let mut backwards = edition.clone();
    backwards["ends_on"] = json!("2026-12-31");
    let r = app
        .api("POST", "/api/v1/editions", &judge, Some(&backwards), &[])
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "ends_on");

    let ngo = app.organisation("Associazione Edera").await;
    let worker = app.user("cw-edera", Role::CaseWorker, ngo).await;
    let token = app
        .token(
            &worker,
            ngo,
            &["projects:read", "projects:write", "referrals:read"],
        )
        .await;
    let r = app
        .api("POST", "/api/v1/editions", &token, Some(&edition), &[])
        .await;
    assert_eq!(r.status.as_u16(), 403, "a case worker opens no edition");
    let listed = json_of(&app.api("GET", "/api/v1/editions", &token, None, &[]).await);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["SATIS 2027"],
        "the worker sees the edition to write projects in"
    );

    let admin = app.user("admin-rubrica", Role::Administrator, lead).await;
    let directory = app.token(&admin, lead, &["referrals:write"]).await;
    let other = json!({"name": "Progetto Fuori Tratta", "region": "Liguria",
                       "contact": "055 000 000"});
    let r = app
        .api(
            "POST",
            "/api/v1/referrals/counterparts",
            &directory,
            Some(&other),
            &[],
        )
        .await;
    r.assert_status(201);
    let added = json_of(&r);
    assert_eq!(added["active"], true);
    let mut unnamed = other.clone();
    unnamed["name"] = json!("   ");
    let r = app
        .api(
            "POST",
            "/api/v1/referrals/counterparts",
            &directory,
            Some(&unnamed),
            &[],
        )
        .await;
    assert_error(&r, 422, "invalid");
    assert_eq!(json_of(&r)["error"]["field"], "name");
    let r = app
        .api(
            "POST",
            "/api/v1/referrals/counterparts",
            &token,
            Some(&other),
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    let listed = json_of(
        &app.api("GET", "/api/v1/referrals/counterparts", &token, None, &[])
            .await,
    );
    assert_eq!(
        listed[0]["id"], added["id"],
        "the worker can now name it in a referral"
    );
    assert_eq!(listed[0]["region"], "Liguria");
    assert_eq!(
        count_rows(
            &app,
            "audit_event WHERE action IN ('project.edition', 'referral.counterpart_add')"
        )
        .await,
        2
    );
}

/// Keyset pagination: the `Link: rel="next"` of each full page leads through the whole list,
/// newest first, and a call recorded meanwhile neither shifts nor repeats what follows.
async fn a_long_list_is_read_page_after_page_without_skipping_or_repeating(db: TestDb) {
    let app = db.app().await;
    let (_, token) = hotline(&app, "Numero Verde Pagine", "pagine").await;
    // Two calls at the same minute: the id decides their order.
    let times = [
        "2026-11-20T08:00:00Z",
        "2026-11-20T09:00:00Z",
        "2026-11-20T09:00:00Z",
        "2026-11-21T23:30:00Z",
        "2026-11-22T10:00:00Z",
    ];
    let mut ids = Vec::new();
    for at in times {
        let mut body = contact_body().await;
        body["started_at"] = json!(at);
        let r = app
            .api("POST", "/api/v1/hotline/contacts", &token, Some(&body), &[])
            .await;
        r.assert_status(201);
        ids.push(json_of(&r)["id"].as_i64().unwrap());
    }
    let mut expected = ids.clone();
    expected.sort_by_key(|id| {
        let i = ids.iter().position(|x| x == id).unwrap();
        (std::cmp::Reverse(times[i]), std::cmp::Reverse(*id))
    });
    let mut seen = Vec::new();
    let mut next =
        Some("/api/v1/hotline/contacts?from=2026-11-01&to=2026-11-30&limit=2".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let r = app.api("GET", &path, &token, None, &[]).await;
        r.assert_status(200);
        seen.extend(
            json_of(&r)
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        pages += 1;
        if pages == 1 {
            // A newer call arrives while the list is being read: it does not shift the pages.
            let mut body = contact_body().await;
            body["started_at"] = json!("2026-11-23T07:00:00Z");
            app.api("POST", "/api/v1/hotline/contacts", &token, Some(&body), &[])
                .await
                .assert_status(201);
        }
        let link = r.header("link").to_owned();
        if !link.is_empty() {
            assert!(link.ends_with("; rel=\"next\""), "{link}");
            next = Some(link[1..link.find('>').unwrap()].to_owned());
        }
        assert!(pages < 10, "the pages end");
    }
    assert_eq!(seen, expected, "every call once, newest first");
    assert_eq!(
        pages, 3,
        "2 + 2 + 1: the last page is not full and names no next one"
    );
    for bad in [
        "after=nonsense",
        "after=2026-11-20T09:00:00Z~x",
        "after=2026-11-20T09:00:00Z~3&offset=2",
    ] {
        let r = app
            .api(
                "GET",
                &format!("/api/v1/hotline/contacts?{bad}"),
                &token,
                None,
                &[],
            )
            .await;
        assert_error(&r, 422, "invalid");
        assert_eq!(json_of(&r)["error"]["field"], "after", "{bad}");
    }
}

/// The cases list by pages: following `Link: rel="next"` gives the same cases, in the same
/// order (newest opened first), as one page holding them all; another organisation's cases
/// never appear; a case opened while reading does not shift the pages.
async fn the_cases_an_organisation_follows_are_read_page_after_page(db: TestDb) {
    let app = db.app().await;
    let ours = app.organisation("Ente delle pagine").await;
    let theirs = app.organisation("Altro ente").await;
    let worker = app.user("cw-pagine", Role::CaseWorker, ours).await;
    let other = app.user("cw-altro", Role::CaseWorker, theirs).await;
    let token = app
        .token(&worker, ours, &["cases:read", "cases:write"])
        .await;
    let other_token = app
        .token(&other, theirs, &["cases:read", "cases:write"])
        .await;
    let open = |token: String, n: usize| {
        let app = &app;
        async move {
            let body = json!({"gender": "female", "names": format!("Persona {n}"),
                              "opened_on": "2026-11-10", "confirm_new": true});
            let r = app
                .api("POST", "/api/v1/cases", &token, Some(&body), &[])
                .await;
            r.assert_status(201);
            json_of(&r)["id"].as_i64().unwrap()
        }
    };
    let mut mine = Vec::new();
    for n in 0..5 {
        mine.push(open(token.clone(), n).await);
        open(other_token.clone(), 100 + n).await;
    }
    let ids = |r: &crate::support::TestResponse| -> Vec<i64> {
        json_of(r)
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let all = app
        .api("GET", "/api/v1/cases?limit=500", &token, None, &[])
        .await;
    all.assert_status(200);
    assert!(all.header("link").is_empty(), "one page holds them all");
    let mut expected = mine.clone();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids(&all), expected);
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/cases?limit=2".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let r = app.api("GET", &path, &token, None, &[]).await;
        r.assert_status(200);
        seen.extend(ids(&r));
        pages += 1;
        if pages == 1 {
            open(token.clone(), 99).await;
        }
        let link = r.header("link").to_owned();
        if !link.is_empty() {
            next = Some(link[1..link.find('>').unwrap()].to_owned());
        }
        assert!(pages < 10, "the pages end");
    }
    assert_eq!(seen, expected, "every case once, in the same order");
    assert_eq!(pages, 3);
    for bad in ["after=nonsense", "limit=0", "limit=501"] {
        let r = app
            .api("GET", &format!("/api/v1/cases?{bad}"), &token, None, &[])
            .await;
        assert_error(&r, 422, "invalid");
    }
}

/// The triage queue through the API: by pages, newest first, the filter kept in the next
/// page's address; beyond the old 500-row cap nothing is silently cut.
async fn public_reports_are_read_page_after_page_with_their_state_kept(db: TestDb) {
    use sea_orm::ConnectionTrait;
    let app = db.app().await;
    for _ in 0..5 {
        crate::reports::submit(&app, "it", crate::reports::REPORT)
            .await
            .assert_status(200);
    }
    // One report was a duplicate: it leaves the queue of new ones.
    let first = scalar(&app, "SELECT MIN(id) FROM public_report").await;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE public_report SET status = 'duplicate' WHERE id = {first}"
        ))
        .await
        .unwrap();
    let org = app.organisation("Centralino delle pagine").await;
    app.runs_regional_hotline(org).await;
    let op = app.user("pagine-triage", Role::HotlineOperator, org).await;
    let token = app.token(&op, org, &["reports:read"]).await;
    let ids = |r: &crate::support::TestResponse| -> Vec<i64> {
        json_of(r)
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let every = app.api("GET", "/api/v1/reports", &token, None, &[]).await;
    every.assert_status(200);
    let every = ids(&every);
    assert_eq!(every.len(), 5);
    assert!(every.windows(2).all(|w| w[0] > w[1]), "newest first");
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/reports?status=new&limit=3".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let r = app.api("GET", &path, &token, None, &[]).await;
        r.assert_status(200);
        seen.extend(ids(&r));
        pages += 1;
        let link = r.header("link").to_owned();
        if !link.is_empty() {
            assert!(link.contains("status=new"), "{link}");
            next = Some(link[1..link.find('>').unwrap()].to_owned());
        }
        assert!(pages < 5, "the pages end");
    }
    assert_eq!(pages, 2);
    let new_ones: Vec<i64> = every.iter().copied().filter(|id| *id != first).collect();
    assert_eq!(seen, new_ones, "every new report once, in order");
    for bad in ["status=triaged", "limit=501", "after=nonsense"] {
        let r = app
            .api("GET", &format!("/api/v1/reports?{bad}"), &token, None, &[])
            .await;
        assert_error(&r, 422, "invalid");
    }
}
