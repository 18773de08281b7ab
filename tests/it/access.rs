//! The access matrix: every registered route, as every role from two organisations, as a
//! password-only session and as a stranger, compared with the policy. It grows with every area:
//! a new route is in it the moment it is registered (routes cannot be registered without an
//! access rule, see `platform::web::routes`).

use satis::platform::policy::{Role, role_has};
use satis::platform::web::routes::{Access, RouteSpec};

use crate::support::{TestApp, TestDb};

crate::tests![
    every_route_answers_every_actor_as_the_policy_says,
    record_decisions_are_audited_allowed_or_denied,
    forged_or_unknown_session_cookies_are_strangers,
    writes_in_every_area_are_saved_only_with_their_audit_entry,
    concurrent_reads_share_durable_audit_commits_and_keep_the_chain,
];

/// Forty readers opening records at once: each is audited before being answered, their
/// entries share a few durable commits instead of forty, and the chain still verifies entry
/// by entry.
async fn concurrent_reads_share_durable_audit_commits_and_keep_the_chain(db: TestDb) {
    use satis::platform::audit::{self, Entry};
    let app = db.app().await;
    let before = crate::support::scalar(&app, "SELECT COUNT(*) FROM audit_event").await;
    let state = app.state.clone();
    let reads = (0..40).map(|i| {
        let state = state.clone();
        async move {
            let entry = Entry::new(None, "case.read", "case").record(i);
            state
                .audit_group
                .append(&state.db, &state.keys, entry)
                .await
        }
    });
    for r in futures_util::future::join_all(reads).await {
        r.unwrap();
    }
    // Every entry is there as soon as its reader is answered.
    let after = crate::support::scalar(&app, "SELECT COUNT(*) FROM audit_event").await;
    assert_eq!(after - before, 40);
    let ids = crate::support::scalar(
        &app,
        "SELECT COUNT(DISTINCT record_id) FROM audit_event WHERE action = 'case.read'",
    )
    .await;
    assert_eq!(ids, 40);
    let commits = app.state.audit_group.commits();
    assert!(
        (1..40).contains(&commits),
        "40 concurrent reads made {commits} commits"
    );
    let verified = audit::verify(&app.state.db, &app.state.keys)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verified.entries, after);
}

/// Beyond cases (`cases::a_write_whose_audit_entry_fails_is_not_saved`): in the hotline, the
/// network registry, administration and public-report replies, a write whose audit entry
/// cannot be written (fault injected in the database) is not saved, and the user gets an
/// error page with a reference id.
async fn writes_in_every_area_are_saved_only_with_their_audit_entry(db: TestDb) {
    use crate::support::{post_with_audit_fault, scalar};
    let app = db.app().await;
    let cat = app.seed_org("CAT Coop. sociale Onlus").await;
    let firenze = app.seed_org("Comune di Firenze").await;
    let region = app.seed_org("Regione Toscana").await;
    app.runs_regional_hotline(cat).await;
    crate::reports::submit(&app, "it", crate::reports::REPORT)
        .await
        .assert_status(200);
    let hotline = app.user("notte", Role::HotlineOperator, cat).await;
    let coordinator = app
        .user("coord-fi", Role::TerritorialCoordinator, firenze)
        .await;
    let admin = app.user("admin", Role::Administrator, region).await;
    let target = app.user("bersaglio", Role::CaseWorker, cat).await;
    let roles_path = format!("/network/organisations/{firenze}/roles");
    let disable_path = format!("/admin/users/{}/disable", target.id);
    type Case<'a> = (
        &'a crate::support::TestUser,
        &'a str,
        &'a str,
        Vec<(&'a str, &'a str)>,
        String,
    );
    let cases: Vec<Case> = vec![
        (
            &hotline,
            "hotline.contact.create",
            "/hotline/quick",
            vec![("relevance", "nuisance")],
            "SELECT COUNT(*) FROM hotline_contact".into(),
        ),
        (
            &hotline,
            "report.reply",
            "/reports/1/reply",
            vec![("text", "Grazie, ci sai dire la via?")],
            "SELECT COUNT(*) FROM report_message".into(),
        ),
        (
            &coordinator,
            "governance_role.add",
            &roles_path,
            vec![
                ("kind", "local_network"),
                ("province", "FI"),
                ("since", "2026-01-01"),
            ],
            "SELECT COUNT(*) FROM governance_role".into(),
        ),
        (
            &admin,
            "user.disabled",
            &disable_path,
            vec![],
            format!(
                "SELECT COUNT(*) FROM app_user WHERE disabled = {} AND id = {}",
                if app.state.db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
                    "1"
                } else {
                    "TRUE"
                },
                target.id
            ),
        ),
    ];
    for (who, action, path, fields, count) in cases {
        app.sign_in(who).await;
        let before = scalar(&app, &count).await;
        post_with_audit_fault(&app, action, path, &fields).await;
        assert_eq!(
            scalar(&app, &count).await,
            before,
            "{action} saved without its entry"
        );
        let ok = app.post_form(path, &fields).await;
        assert_eq!(ok.status.as_u16(), 303, "{action}: {}", ok.body);
        assert_eq!(scalar(&app, &count).await, before + 1, "{action}");
    }
}

async fn record_decisions_are_audited_allowed_or_denied(db: TestDb) {
    use satis::platform::access::{Target, authorize};
    use satis::platform::policy::{Action, Actor, Resource};
    let app = db.app().await;
    let owner = Actor {
        user_id: 1,
        username: "own".into(),
        organisation_id: Some(1),
        province: None,
        roles: vec![Role::CaseWorker],
    };
    let stranger = Actor {
        user_id: 2,
        username: "other".into(),
        organisation_id: Some(2),
        province: None,
        roles: vec![Role::CaseWorker],
    };
    let analyst = Actor {
        user_id: 3,
        username: "analyst".into(),
        organisation_id: Some(1),
        province: None,
        roles: vec![Role::RegionalAnalyst],
    };
    let case = Resource {
        owner_organisation_id: 1,
        shared_with: vec![3],
    };
    let target = || Target {
        kind: "case",
        id: "C-7",
        subject: Some("P-7"),
    };
    assert!(
        authorize(
            &app.state,
            &owner,
            Action::ReadIdentity,
            &case,
            None,
            target()
        )
        .await
        .is_ok()
    );
    assert!(
        authorize(&app.state, &stranger, Action::Read, &case, None, target())
            .await
            .is_err()
    );
    assert!(
        authorize(&app.state, &analyst, Action::Read, &case, None, target())
            .await
            .is_err()
    );
    let entries = satis::platform::audit::search(
        &app.state.db,
        &satis::platform::audit::Filter {
            subject: Some("P-7".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e.actor_username.clone().unwrap(),
                e.action.clone(),
                e.outcome.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("own".into(), "case.identity.read".into(), "allowed".into()),
            ("other".into(), "case.read".into(), "denied".into()),
            ("analyst".into(), "case.read".into(), "denied".into()),
        ]
    );
    assert!(
        satis::platform::audit::verify(&app.state.db, &app.state.keys)
            .await
            .unwrap()
            .is_ok()
    );
}

async fn forged_or_unknown_session_cookies_are_strangers(db: TestDb) {
    let app = db.app().await;
    for forged in [
        "x",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "'; DROP TABLE user_session; --",
    ] {
        app.clear_cookies();
        app.cookies
            .lock()
            .unwrap()
            .insert("satis_session".into(), forged.into());
        let r = app.get("/account").await;
        assert_eq!(r.status.as_u16(), 303, "{forged}");
        assert!(r.header("location").starts_with("/login?next="));
    }
    app.get("/").await.assert_status(200);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Allowed,
    LoginRequired,
    SecondFactorRequired,
    Forbidden,
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Stranger,
    PasswordOnly,
    Staff(Role, usize),
}

/// The oracle. A page asks a stranger to sign in and a password-only session for its second
/// factor; a state-changing request without full sign-in is simply refused (401).
fn expected(access: Access, who: Who, is_get: bool) -> Seen {
    match (access, who) {
        (Access::Public, _) => Seen::Allowed,
        (_, Who::Stranger) => Seen::LoginRequired,
        (Access::PasswordOnly, _) => Seen::Allowed,
        (_, Who::PasswordOnly) if !is_get => Seen::LoginRequired,
        (_, Who::PasswordOnly) => Seen::SecondFactorRequired,
        (Access::SignedIn, Who::Staff(..)) => Seen::Allowed,
        (Access::Permission(p), Who::Staff(role, _)) => {
            if role_has(role, p) {
                Seen::Allowed
            } else {
                Seen::Forbidden
            }
        }
    }
}

fn seen(r: &crate::support::TestResponse) -> Seen {
    let location = r.header("location");
    match r.status.as_u16() {
        401 if r.body.contains("Devi accedere per continuare") => Seen::LoginRequired,
        303 if location.starts_with("/login?next=") => Seen::LoginRequired,
        303 if location.starts_with("/login/mfa?next=") => Seen::SecondFactorRequired,
        401 if r.body.contains("Devi accedere") => Seen::LoginRequired,
        403 if r.body.contains("Non hai i permessi") => Seen::Forbidden,
        _ => Seen::Allowed,
    }
}

/// A concrete path for a route template. Records sit in the coordinators' own province (FI):
/// the province rule is tested on its own in `network.rs`.
fn concrete(spec: &RouteSpec, ids: &Ids) -> String {
    let id = if spec.path.starts_with("/break-glass/") {
        ids.grant
    } else if spec.path.starts_with("/network/organisations/") {
        ids.organisation
    } else if spec.path.starts_with("/network/roles/") {
        ids.role
    } else if spec.path.starts_with("/network/services/") {
        ids.service
    } else if spec.path.starts_with("/cases/") {
        ids.case
    } else if spec.path.starts_with("/consents/") {
        ids.consent
    } else if spec.path.starts_with("/placements/") {
        ids.placement
    } else if spec.path.starts_with("/hotline/contacts/") {
        ids.contact
    } else if spec.path.starts_with("/hotline/mediators/") {
        ids.mediator
    } else if spec.path.starts_with("/hotline/emergencies/") {
        ids.emergency
    } else if spec.path.starts_with("/hotline/interviews/") {
        ids.interview
    } else if spec.path.starts_with("/outreach/outings/") {
        ids.outing
    } else if spec.path.starts_with("/outreach/places/") {
        ids.place
    } else if spec.path.starts_with("/outreach/contacts/") {
        ids.outreach_contact
    } else if spec.path.starts_with("/referrals/") {
        ids.referral
    } else if spec.path.starts_with("/reports/") {
        ids.report
    } else if spec.path.starts_with("/projects/") {
        ids.project
    } else if spec.path.starts_with("/interventions/") {
        ids.intervention
    } else if spec.path.starts_with("/editions/") {
        ids.edition
    } else {
        ids.user
    };
    if spec.path == "/referrals/new" {
        return format!("/referrals/new?case={}", ids.case);
    }
    if spec.path == "/projects/new" {
        return format!("/projects/new?case={}", ids.case);
    }
    spec.path
        .replace("{name}", "satis.css")
        .replace("{code}", "en")
        .replace("{id}", &id.to_string())
}

struct Ids {
    user: i32,
    grant: i32,
    organisation: i32,
    role: i32,
    service: i32,
    case: i32,
    consent: i32,
    placement: i32,
    contact: i32,
    mediator: i32,
    emergency: i32,
    interview: i32,
    report: i32,
    project: i32,
    intervention: i32,
    edition: i32,
    outing: i32,
    place: i32,
    outreach_contact: i32,
    referral: i32,
}

/// Project routes: the owning organisation's case worker, and for reading and deciding any
/// evaluator of the lead entity; nobody else.
fn project_rule(path: &str, role: Role, org: usize) -> Option<Seen> {
    let owner = role == Role::CaseWorker && org == 0;
    let evaluator = role == Role::CapofilaEvaluator;
    let evaluator_too = if path.starts_with("/interventions/")
        || path.ends_with("/interventions")
        || path.starts_with("/projects/new")
    {
        false
    } else if path.starts_with("/projects/") {
        true
    } else {
        return None;
    };
    if !role_has(role, satis::platform::policy::Permission::Projects) {
        return None;
    }
    let allowed = owner || (evaluator_too && evaluator);
    Some(if allowed {
        Seen::Allowed
    } else {
        Seen::Forbidden
    })
}

/// Routes about one case-like record: besides the route's own rule, only the owning
/// organisation (the first one in the matrix) may use them.
fn record_scoped(path: &str) -> bool {
    // The linkage review queue is every organisation's own (it lists only what the
    // reviewer's organisation may read; tests/it/estimate.rs checks what each one sees).
    (path.starts_with("/cases/") && path != "/cases/new" && !path.starts_with("/cases/collegamenti"))
        || path.starts_with("/consents/")
        || path.starts_with("/placements/")
        || path.starts_with("/hotline/contacts/")
        || path.starts_with("/hotline/mediators/")
        || path.starts_with("/hotline/emergencies/")
        || path.starts_with("/hotline/interviews/")
        || (path.starts_with("/outreach/outings/") && path != "/outreach/outings/new")
        || path.starts_with("/outreach/places/")
        || path.starts_with("/outreach/contacts/")
        || path.starts_with("/referrals/{id}")
        || path == "/referrals/new"
        // Public reports: only the organisation that runs the regional hotline.
        || path == "/reports"
        || path.starts_with("/reports/")
}

async fn as_who(
    app: &TestApp,
    who: Who,
    orgs: &[i32; 2],
    users: &[(Role, usize, i32)],
    partial_user: i32,
) {
    match who {
        Who::Stranger => app.clear_cookies(),
        Who::PasswordOnly => {
            app.clear_cookies();
            let token = satis::identity::store::create_session(
                &app.state.db,
                partial_user,
                Some(orgs[0]),
                false,
            )
            .await
            .unwrap();
            app.cookies
                .lock()
                .unwrap()
                .insert("satis_session".into(), token);
        }
        Who::Staff(role, org) => {
            let id = users
                .iter()
                .find(|(r, o, _)| *r == role && *o == org)
                .unwrap()
                .2;
            app.session_for(id, Some(orgs[org])).await;
        }
    }
}

async fn every_route_answers_every_actor_as_the_policy_says(db: TestDb) {
    let app = db.app().await;
    let orgs = [
        app.organisation("Organizzazione A").await,
        app.organisation("Organizzazione B").await,
    ];
    let mut users = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        for role in Role::ALL {
            let u = app
                .user(
                    &format!("{}-{i}", role.code().replace('_', "-")),
                    role,
                    *org,
                )
                .await;
            users.push((role, i, u.id));
        }
    }
    // The first organisation runs the regional hotline: its hotline operators read public
    // reports, the second one's do not (policy::may_read_public_reports).
    app.runs_regional_hotline(orgs[0]).await;
    let target = app.user("bersaglio", Role::CaseWorker, orgs[1]).await;
    let partial = app.user("a-meta", Role::CaseWorker, orgs[0]).await;
    let hotline = users
        .iter()
        .find(|(r, _, _)| *r == Role::HotlineOperator)
        .unwrap()
        .2;
    let hotline_actor = satis::platform::policy::Actor {
        user_id: hotline,
        username: "x".into(),
        organisation_id: Some(orgs[0]),
        province: None,
        roles: vec![Role::HotlineOperator],
    };
    let grant = satis::identity::ops::open_emergency(
        &app.state.db,
        &app.state.keys,
        &hotline_actor,
        "case",
        "C-1",
        "a reason that is long enough",
        chrono::Utc::now(),
        satis::identity::break_glass::DURATION_MINUTES,
    )
    .await
    .unwrap();
    let since = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let role = satis::network::store::add_role(
        &app.state.db,
        orgs[1],
        "local_network",
        Some("FI".into()),
        since,
    )
    .await
    .unwrap();
    let (case_id, consent_id, placement_id) = record_fixture(&app, orgs[0], target.id).await;
    let (contact, mediator, emergency) = hotline_fixture(&app, orgs[0], target.id).await;
    let interview = {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        satis::hotline::entities::interview::ActiveModel {
            organisation_id: Set(orgs[0]),
            requester: Set("cas".into()),
            person_code: Set("TOS-2026-00001".into()),
            scheduled_on: Set(satis::platform::time::rome_today()),
            mediator: Set(String::new()),
            consent: Set(false),
            indicators: Set(String::new()),
            outcome: Set(String::new()),
            report_sent_on: Set(None),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap()
        .id
    };
    let report = {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        satis::reports::entities::report::ActiveModel {
            received_on: Set(satis::platform::time::rome_today()),
            language: Set("it".into()),
            province: Set(None),
            urgency: Set("unknown".into()),
            people: Set(None),
            minors: Set("unknown".into()),
            kinds: Set(String::new()),
            anonymous: Set(true),
            status: Set("new".into()),
            triage_contact_id: Set(None),
            duplicate_of: Set(None),
            triaged_at: Set(None),
            receipt_lookup: Set("AAAA".into()),
            receipt_hash: Set("x".into()),
            submission_hash: Set("matrix".into()),
            what_enc: Set(None),
            place_enc: Set(None),
            since_enc: Set(None),
            gender_enc: Set(None),
            contact_enc: Set(None),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap()
        .id
    };
    let (project, intervention, edition) = project_fixture(&app, orgs[0], case_id, target.id).await;
    let (outing, place, outreach_contact) = outreach_fixture(&app, orgs[0], target.id).await;
    let referral = referral_fixture(&app, orgs[0], target.id).await;
    let ids = Ids {
        referral,
        outing,
        place,
        outreach_contact,
        project,
        intervention,
        edition,
        report,
        interview,
        contact,
        mediator,
        emergency,
        case: case_id,
        consent: consent_id,
        placement: placement_id,
        user: target.id,
        grant: grant.id,
        organisation: orgs[1],
        role: role.id,
        service: satis::network::store::add_service(
            &app.state.db,
            orgs[1],
            "shelter",
            "Casa",
            Some("FI".into()),
            "",
            "",
            false,
            None,
            &[("women", 2)],
        )
        .await
        .unwrap()
        .id,
    };

    let specs = satis::app::page_routes().specs().to_vec();
    assert!(specs.len() >= 30, "only {} routes registered", specs.len());
    let mut whos = vec![Who::Stranger, Who::PasswordOnly];
    for org in 0..2 {
        for role in Role::ALL {
            whos.push(Who::Staff(role, org));
        }
    }
    let mut checked = 0;
    let mut wrong = Vec::new();
    for spec in &specs {
        let path = concrete(spec, &ids);
        for who in &whos {
            as_who(&app, *who, &orgs, &users, partial.id).await;
            let r = if spec.method == axum::http::Method::GET {
                app.get(&path).await
            } else {
                app.post_form(&path, &[]).await
            };
            assert!(
                r.status.as_u16() < 500,
                "{} {path} as {who:?}: server error",
                spec.method
            );
            let mut want = expected(spec.access, *who, spec.method == axum::http::Method::GET);
            if let Who::Staff(_, org) = who
                && record_scoped(spec.path)
                && *org != 0
                && want == Seen::Allowed
            {
                want = Seen::Forbidden;
            }
            if let Who::Staff(role, org) = who
                && let Some(rule) = project_rule(&path, *role, *org)
            {
                want = rule;
            }
            let got = seen(&r);
            if got != want {
                wrong.push(format!(
                    "{} {path} as {who:?}: expected {want:?}, got {got:?} ({})",
                    spec.method, r.status
                ));
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} answers differ from the policy:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= 600, "{checked}");
}

/// A case owned by `owner`, with a consent and a placement, for the record-scoped routes.
pub(crate) async fn record_fixture(app: &TestApp, owner: i32, by_user: i32) -> (i32, i32, i32) {
    use satis::cases::store;
    let person = crate::support::Person::named("Matrice Persona")
        .born(2000)
        .from("NG")
        .speaking("EN");
    let (_, case) = app.open_case(owner, by_user, person).await;
    let today = satis::platform::time::rome_today();
    let consent = store::add_consent(&app.state.db, case.id, "processing", None, today, None)
        .await
        .unwrap();
    let service = satis::network::store::add_service(
        &app.state.db,
        owner,
        "shelter",
        "Casa Matrice",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[("women", 100)],
    )
    .await
    .unwrap();
    use sea_orm::ActiveValue::Set;
    let placement = store::add_placement(
        &app.state.db,
        satis::cases::entities::placement::ActiveModel {
            case_id: Set(case.id),
            service_id: Set(service.id),
            bed_kind: Set("women".into()),
            emergency: Set(false),
            since: Set(today),
            until: Set(None),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (case.id, consent.id, placement.id)
}

/// A contact, a mediator request and an emergency of `org`'s hotline.
async fn hotline_fixture(app: &TestApp, org: i32, operator: i32) -> (i32, i32, i32) {
    use satis::hotline::entities::{contact, emergency, mediator_request};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let now = chrono::Utc::now();
    let c = contact::ActiveModel {
        organisation_id: Set(org),
        operator_id: Set(operator),
        channel: Set("phone".into()),
        started_at: Set(now),
        duration_minutes: Set(3),
        caller_kind: Set(None),
        language: Set(None),
        mediator_used: Set(false),
        relevance: Set("pertinent".into()),
        previous_contact_id: Set(None),
        caller_ref: Set(None),
        phone_index: Set(None),
        reasons: Set(String::new()),
        exploitation_forms: Set(String::new()),
        labour_sector: Set(None),
        province: Set(None),
        municipality: Set(String::new()),
        outcomes: Set(String::new()),
        notes_enc: Set(None),
        case_id: Set(None),
        version: Set(1),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let m = mediator_request::ActiveModel {
        organisation_id: Set(org),
        contact_id: Set(Some(c.id)),
        language: Set("RO".into()),
        place: Set("Prato".into()),
        needed_at: Set(now),
        requester: Set(String::new()),
        mediator: Set(String::new()),
        status: Set("requested".into()),
        outcome: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let e = emergency::ActiveModel {
        organisation_id: Set(org),
        contact_id: Set(Some(c.id)),
        started_at: Set(now),
        danger: Set("alto".into()),
        steps: Set(String::new()),
        service_id: Set(None),
        handed_over_to: Set(None),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    (c.id, m.id, e.id)
}

/// A submitted project of `owner` on `case_id`, with one intervention, in a new edition.
async fn project_fixture(app: &TestApp, owner: i32, case_id: i32, by_user: i32) -> (i32, i32, i32) {
    use satis::projects::store;
    use sea_orm::ActiveValue::Set;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let edition = store::add_edition(
        &app.state.db,
        "SATIS 2026",
        day,
        day + chrono::Duration::days(364),
        10_000_000,
        2_000_000,
    )
    .await
    .unwrap();
    let p = store::create(
        &app.state.db,
        &app.state.keys,
        case_id,
        owner,
        edition.id,
        None,
        "",
        "obiettivi",
    )
    .await
    .unwrap();
    store::add_intervention(
        &app.state.db,
        satis::projects::entities::intervention::ActiveModel {
            project_id: Set(p.id),
            kind: Set("italian_course".into()),
            provider: Set(String::new()),
            months: Set(None),
            requested_cents: Set(50_000),
            approved_cents: Set(0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        store::move_to(
            &app.state.db,
            &app.state.keys,
            &p,
            "submitted",
            "",
            by_user,
            1
        )
        .await
        .unwrap()
    );
    let i = store::interventions(&app.state.db, p.id).await.unwrap()[0].id;
    (p.id, i, edition.id)
}

/// A street unit of `org` with a place, an outing and an anonymous contact met on it.
async fn outreach_fixture(app: &TestApp, org: i32, by_user: i32) -> (i32, i32, i32) {
    use satis::outreach::{rules, store};
    let unit = satis::network::store::add_service(
        &app.state.db,
        org,
        "street_unit",
        "Unità Matrice",
        Some("FI".into()),
        "",
        "",
        false,
        None,
        &[],
    )
    .await
    .unwrap();
    let place = store::add_place(&app.state.db, unit.id, "Luogo Matrice")
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let checked = rules::check_outing(&rules::OutingInput {
        started: Some(now - chrono::Duration::hours(2)),
        ended: Some(now),
        people_met: "1".into(),
        tallies: vec![
            ("gender", "female".into(), "1".into()),
            ("age_band", "unknown".into(), "1".into()),
            ("status", "new".into(), "1".into()),
        ],
        codes: vec!["MATRICE-1".into()],
    })
    .unwrap();
    let saved = store::save_outing(
        &app.state.db,
        store::NewOuting {
            organisation_id: org,
            service_id: unit.id,
            area: String::new(),
            places: vec![place.id],
            team: String::new(),
            mediators: String::new(),
            languages: vec![],
            referrals_proposed: 0,
            accompaniments_proposed: 0,
            notes_enc: None,
            idempotency_key: "matrix-outing-1".into(),
            created_by: by_user,
            checked,
            observations: vec![],
        },
    )
    .await
    .unwrap();
    let contact = store::contact_by_code(&app.state.db, org, "MATRICE-1")
        .await
        .unwrap()
        .unwrap();
    (saved.id(), place.id, contact.id)
}

/// An outbound referral of `org` to the national hotline.
async fn referral_fixture(app: &TestApp, org: i32, by_user: i32) -> i32 {
    use satis::referrals::{entities::referral, rules::Package, store};
    use sea_orm::ActiveValue::Set;
    let now = chrono::Utc::now();
    store::create(
        &app.state.db,
        referral::ActiveModel {
            direction: Set("outbound".into()),
            counterpart_kind: Set("national_hotline".into()),
            counterpart_id: Set(None),
            sender_org: Set(Some(org)),
            receiver_org: Set(None),
            recorded_by_org: Set(org),
            case_id: Set(None),
            opened_case_id: Set(None),
            status: Set("proposed".into()),
            reason: Set("safety".into()),
            needed_service: Set("shelter".into()),
            urgency: Set("urgent".into()),
            consent_id: Set(None),
            consent_on: Set(now.date_naive()),
            package_enc: Set(store::seal(&app.state.keys, &Package::default()).unwrap()),
            refusal_reason: Set(None),
            created_by: Set(by_user),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(0),
            ..Default::default()
        },
        by_user,
        org,
    )
    .await
    .unwrap()
    .id
}
