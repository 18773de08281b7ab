//! `satis demo`: a living network of invented data, so that a newcomer can walk every area.
//! Each area adds its own demonstration data here as it lands. The database is marked as a
//! demonstration database; a database that holds real data is refused.

use sea_orm::DatabaseConnection;

use crate::identity::{store, totp};
use crate::platform::crypto::{self, KeyRing};
use crate::platform::policy::Role;
use crate::platform::settings::{self, Mode};

/// The password of every demonstration account (shown on screen by `satis demo`).
pub const DEMO_PASSWORD: &str = "demo-satis-2026";

/// The second-factor secret of every demonstration account. In a demonstration database the
/// sign-in page shows the current code, so no authenticator app is needed to look around.
pub const DEMO_TOTP_SECRET: &[u8; 20] = b"satis-demo-totp-key!";

/// The receipt of the demonstration's first public report: `/segnala/ricevuta` opens its
/// thread with it (real receipts are random and shown once; this one is printed on screen).
pub const DEMO_RECEIPT: &str = "SATS-DEMA-2345-6789-KPQR";

/// A demonstration login, printed on screen.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub role: String,
    pub organisation: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "this database holds real data (mode: production); demonstration data is only loaded \
         into a new database or one created by `satis demo`"
    )]
    RealData,
    #[error("cannot load demonstration data: {0}")]
    Db(&'static str),
    #[error("cannot load demonstration data: {0}")]
    Other(String),
}

impl From<sea_orm::DbErr> for DemoError {
    fn from(e: sea_orm::DbErr) -> Self {
        DemoError::Db(crate::platform::db::describe(&e))
    }
}

/// Organisations of the demonstration network (public bodies and associations named in the
/// network's public pages; every person and figure attached to them is invented).
const ORGANISATIONS: &[(&str, &str, Option<&str>, bool)] = &[
    ("Regione Toscana", "region", None, true),
    ("Comune di Viareggio", "municipality", Some("LU"), true),
    ("Comune di Firenze", "municipality", Some("FI"), true),
    ("SdS Zona Pisana", "sds", Some("PI"), true),
    (
        "CAT Coop. sociale Onlus",
        "social_cooperative",
        Some("FI"),
        false,
    ),
    ("Associazione Progetto Arcobaleno", "ngo", Some("FI"), false),
];

/// One account per role: username, invented full name, organisation, role.
const ACCOUNTS: &[(&str, &str, &str, Role)] = &[
    (
        "admin",
        "Marco Neri (demo)",
        "Regione Toscana",
        Role::Administrator,
    ),
    (
        "numeroverde",
        "Sara Conti (demo)",
        "CAT Coop. sociale Onlus",
        Role::HotlineOperator,
    ),
    (
        "strada",
        "Luca Ferri (demo)",
        "Associazione Progetto Arcobaleno",
        Role::OutreachOperator,
    ),
    (
        "operatrice",
        "Giulia Bianchi (demo)",
        "Associazione Progetto Arcobaleno",
        Role::CaseWorker,
    ),
    (
        "mediatrice",
        "Amina Diallo (demo)",
        "CAT Coop. sociale Onlus",
        Role::Mediator,
    ),
    (
        "coordinamento",
        "Paolo Riva (demo)",
        "Comune di Firenze",
        Role::TerritorialCoordinator,
    ),
    (
        "capofila",
        "Elena Galli (demo)",
        "Comune di Viareggio",
        Role::CapofilaEvaluator,
    ),
    (
        "analista",
        "Franco Moretti (demo)",
        "Regione Toscana",
        Role::RegionalAnalyst,
    ),
    (
        "dpo",
        "Chiara Longo (demo)",
        "Regione Toscana",
        Role::Auditor,
    ),
    (
        "redazione",
        "Marta Sala (demo)",
        "Regione Toscana",
        Role::Editor,
    ),
];

/// Loads the demonstration data (idempotently) and returns the accounts to show.
pub async fn load(db: &DatabaseConnection, keys: &KeyRing) -> Result<Vec<DemoAccount>, DemoError> {
    let mode = settings::claim(db, Mode::Demo).await?;
    if mode != Mode::Demo {
        return Err(DemoError::RealData);
    }
    for (name, kind, province, public) in ORGANISATIONS {
        if store::organisation_by_name(db, name).await?.is_none() {
            store::create_organisation(db, name, kind, *province, *public).await?;
        }
    }
    let hash = crypto::hash_password_async(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|e| DemoError::Other(e.to_string()))?;
    let mut accounts = Vec::new();
    for (username, display, org_name, role) in ACCOUNTS {
        let org = store::organisation_by_name(db, org_name)
            .await?
            .ok_or(DemoError::Db("demo organisation missing"))?;
        let user = match store::user_by_username(db, username).await? {
            Some(u) => u,
            None => store::create_user(db, keys, username, display, hash.clone())
                .await
                .map_err(|e| DemoError::Other(e.to_string()))?,
        };
        store::grant(db, user.id, org.id, *role, None).await?;
        if user.totp_secret_enc.is_none() {
            store::set_totp(db, keys, user.id, DEMO_TOTP_SECRET, 0)
                .await
                .map_err(|e| DemoError::Other(e.to_string()))?;
        }
        accounts.push(DemoAccount {
            username: (*username).to_owned(),
            role: role.code().to_owned(),
            organisation: (*org_name).to_owned(),
        });
    }
    load_network(db, keys).await?;
    load_cases(db, keys).await?;
    load_hotline(db, keys).await?;
    load_projects(db, keys).await?;
    load_outreach(db).await?;
    load_referrals(db, keys).await?;
    load_reports(db, keys).await?;
    let admin = store::user_by_username(db, "admin")
        .await?
        .ok_or(DemoError::Db("demo administrator missing"))?;
    crate::demo_people::load(db, keys, admin.id)
        .await
        .map_err(DemoError::Other)?;
    load_news(db, admin.id).await?;
    // The demonstration's calls were written directly: count them into the statistics'
    // per-day summaries.
    crate::stats::daily::rebuild(db).await?;
    Ok(accounts)
}

/// The 2026 edition with an invented budget, and a submitted project for the demo case.
async fn load_projects(db: &DatabaseConnection, keys: &KeyRing) -> Result<(), DemoError> {
    use crate::projects::store as projects;
    use sea_orm::ActiveValue::Set;
    if !projects::editions(db).await?.is_empty() {
        return Ok(());
    }
    let day = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| DemoError::Other(e.to_string()))
    };
    let edition = projects::add_edition(
        db,
        "SATIS 2026 (demo)",
        day("2026-01-01")?,
        day("2026-12-31")?,
        25_000_000,
        5_000_000,
    )
    .await?;
    let (Some(arcobaleno), Some(worker)) = (
        store::organisation_by_name(db, "Associazione Progetto Arcobaleno").await?,
        store::user_by_username(db, "operatrice").await?,
    ) else {
        return Ok(());
    };
    let Some(case) = crate::cases::store::cases_for_org(db, arcobaleno.id)
        .await?
        .into_iter()
        .find(|c| c.phase == "protection")
    else {
        return Ok(());
    };
    let social = store::organisation_by_name(db, "SDS Firenze")
        .await?
        .map(|o| o.id);
    let p = projects::create(
        db,
        keys,
        case.id,
        arcobaleno.id,
        edition.id,
        social,
        "Assistente sociale (demo)",
        "Corso di italiano e ricerca di una casa in autonomia (demo).",
    )
    .await?;
    for (kind, cents, months) in [
        ("italian_course", 80_000, None),
        ("rent_support", 360_000, Some(12)),
    ] {
        projects::add_intervention(
            db,
            crate::projects::entities::intervention::ActiveModel {
                project_id: Set(p.id),
                kind: Set(kind.into()),
                provider: Set("Fornitore (demo)".into()),
                months: Set(months),
                requested_cents: Set(cents),
                approved_cents: Set(0),
                ..Default::default()
            },
        )
        .await?;
    }
    projects::move_to(db, keys, &p, "submitted", "", worker.id, p.version).await?;
    Ok(())
}

/// A few invented calls, a pending mediator request and a shift note at the hotline.
async fn load_hotline(db: &DatabaseConnection, keys: &KeyRing) -> Result<(), DemoError> {
    use crate::hotline::entities::{contact, mediator_request, shift_note};
    use crate::hotline::store as hl;
    use sea_orm::ActiveModelTrait;
    use sea_orm::ActiveValue::Set;
    let Some(cat) = store::organisation_by_name(db, "CAT Coop. sociale Onlus").await? else {
        return Ok(());
    };
    if !hl::recent(
        db,
        cat.id,
        chrono::Utc::now() - chrono::Duration::days(3650),
    )
    .await?
    .is_empty()
    {
        return Ok(());
    }
    let operator = store::user_by_username(db, "numeroverde")
        .await?
        .ok_or(DemoError::Db("demo hotline operator missing"))?;
    let now = chrono::Utc::now();
    // (relevance, caller kind, province, reason, form of exploitation, hours ago)
    let calls = [
        ("nuisance", None::<&str>, None::<&str>, "", "", 3i64),
        (
            "pertinent",
            Some("presumed_victim"),
            Some("PO"),
            "help_to_leave",
            "labour",
            2,
        ),
        (
            "pertinent",
            Some("citizen"),
            Some("FI"),
            "report_of_exploitation",
            "sexual",
            1,
        ),
        (
            "not_pertinent",
            Some("other_organisation"),
            None,
            "information",
            "",
            1,
        ),
    ];
    for (relevance, caller, province, reason, form, hours_ago) in calls {
        contact::ActiveModel {
            organisation_id: Set(cat.id),
            operator_id: Set(operator.id),
            channel: Set("phone".into()),
            started_at: Set(now - chrono::Duration::hours(hours_ago)),
            duration_minutes: Set(if relevance == "pertinent" { 15 } else { 1 }),
            caller_kind: Set(caller.map(str::to_owned)),
            language: Set(caller.map(|_| "IT".to_owned())),
            mediator_used: Set(false),
            relevance: Set(relevance.into()),
            previous_contact_id: Set(None),
            caller_ref: Set(None),
            phone_index: Set(None),
            reasons: Set(reason.into()),
            exploitation_forms: Set(form.into()),
            labour_sector: Set((form == "labour").then(|| "manufacturing".to_owned())),
            province: Set(province.map(str::to_owned)),
            municipality: Set(String::new()),
            outcomes: Set(if relevance == "pertinent" {
                "listening,mediator_request".into()
            } else {
                String::new()
            }),
            notes_enc: Set(None),
            case_id: Set(None),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    crate::hotline::store::add_mediator_request(
        db,
        keys,
        mediator_request::ActiveModel {
            organisation_id: Set(cat.id),
            contact_id: Set(None),
            language: Set("RO".into()),
            needed_at: Set(now + chrono::Duration::hours(10)),
            requester: Set("Numero Verde".into()),
            mediator: Set(String::new()),
            status: Set("requested".into()),
            outcome: Set(String::new()),
            created_at: Set(now),
            ..Default::default()
        },
        "Prato (demo)",
    )
    .await?;
    // One already assigned to the demo mediator's account: her desk opens on it.
    let mediatrice = store::user_by_username(db, "mediatrice").await?;
    crate::hotline::store::add_mediator_request(
        db,
        keys,
        mediator_request::ActiveModel {
            organisation_id: Set(cat.id),
            contact_id: Set(None),
            language: Set("EN".into()),
            needed_at: Set(now + chrono::Duration::hours(26)),
            requester: Set("Numero Verde".into()),
            mediator: Set("mediatrice".into()),
            mediator_user_id: Set(mediatrice.map(|u| u.id)),
            status: Set("assigned".into()),
            outcome: Set(String::new()),
            created_at: Set(now),
            ..Default::default()
        },
        "Firenze, sportello del Comune (demo)",
    )
    .await?;
    shift_note::ActiveModel {
        organisation_id: Set(cat.id),
        author_id: Set(operator.id),
        written_at: Set(now - chrono::Duration::hours(1)),
        text_enc: Set(keys
            .encrypt_str(
                hl::SHIFT_NOTE,
                "Nota dimostrativa: richiamare la persona di Prato al mattino.",
            )
            .map_err(|e| DemoError::Other(e.to_string()))?),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Two invented people followed by Associazione Progetto Arcobaleno.
async fn load_cases(db: &DatabaseConnection, keys: &KeyRing) -> Result<(), DemoError> {
    use crate::cases::rules::Phase;
    use crate::cases::store as cases;
    let Some(arcobaleno) =
        store::organisation_by_name(db, "Associazione Progetto Arcobaleno").await?
    else {
        return Ok(());
    };
    if !cases::cases_for_org(db, arcobaleno.id).await?.is_empty() {
        return Ok(());
    }
    let worker = store::user_by_username(db, "operatrice")
        .await?
        .ok_or(DemoError::Db("demo case worker missing"))?;
    let other = |e: cases::CaseError| DemoError::Other(e.to_string());
    let person = |gender: &str, year: i32, nat: &str, lang: &str| cases::NewPerson {
        gender: gender.into(),
        birth_year: Some(year),
        birth_year_estimated: true,
        presumed_minor: false,
        nationalities: vec![nat.into()],
        languages: vec![lang.into()],
        vulnerabilities: String::new(),
    };
    let identity = |names: &str| cases::Identity {
        names: names.into(),
        phone: "+39 300 0000000 (demo)".into(),
        ..Default::default()
    };
    // A history entered as it happened over four months.
    let today = crate::platform::time::rome_today();
    let days_ago = |n: i64| today - chrono::Duration::days(n);
    let (_, first) = cases::open_case(
        db,
        keys,
        &person("female", 1999, "NG", "EN"),
        &identity("Joy Demo"),
        arcobaleno.id,
        worker.id,
        days_ago(120),
    )
    .await
    .map_err(other)?;
    let mut current = first;
    for (to, n) in [
        (Phase::Identification, 100),
        (Phase::FirstAssistance, 80),
        (Phase::Protection, 60),
    ] {
        cases::change_phase(
            db,
            &current,
            to,
            None,
            days_ago(n),
            worker.id,
            current.version,
        )
        .await
        .map_err(other)?;
        current = cases::case(db, current.id)
            .await?
            .ok_or(DemoError::Db("demo case missing"))?;
    }
    cases::add_event(
        db,
        keys,
        current.id,
        "note",
        crate::platform::time::rome_today(),
        "Nota dimostrativa: dati inventati.",
        worker.id,
    )
    .await
    .map_err(other)?;
    // Her art. 18 permit expires in 25 days: the case worker's desk shows it as due.
    cases::add_permit(
        db,
        keys,
        crate::cases::entities::permit::ActiveModel {
            case_id: sea_orm::ActiveValue::Set(current.id),
            kind: sea_orm::ActiveValue::Set("art18_social".into()),
            status: sea_orm::ActiveValue::Set("issued".into()),
            applied_on: sea_orm::ActiveValue::Set(Some(days_ago(110))),
            issued_on: sea_orm::ActiveValue::Set(Some(days_ago(90))),
            expires_on: sea_orm::ActiveValue::Set(Some(today + chrono::Duration::days(25))),
            ..Default::default()
        },
        "Questura di Firenze (demo)",
    )
    .await
    .map_err(other)?;
    cases::open_case(
        db,
        keys,
        &person("transgender", 1994, "BR", "PT"),
        &identity("Ana Demo"),
        arcobaleno.id,
        worker.id,
        today,
    )
    .await
    .map_err(other)?;
    Ok(())
}

/// Invented services, beds, a meeting and the two 2012 training seminars of the seed report.
async fn load_network(db: &DatabaseConnection, keys: &KeyRing) -> Result<(), DemoError> {
    use crate::network::store as net;
    if !net::services(db).await?.is_empty() {
        return Ok(());
    }
    let org = |name: &'static str| async move {
        store::organisation_by_name(db, name)
            .await?
            .map(|o| o.id)
            .ok_or(DemoError::Db("demo organisation missing"))
    };
    let seal = |address: &str| {
        keys.encrypt_str(net::SERVICE_ADDRESS, address)
            .map(Some)
            .map_err(|e| DemoError::Other(e.to_string()))
    };
    let cat = org("CAT Coop. sociale Onlus").await?;
    let arcobaleno = org("Associazione Progetto Arcobaleno").await?;
    let viareggio = org("Comune di Viareggio").await?;
    net::add_service(
        db,
        cat,
        "regional_hotline",
        "Numero Verde Regionale Antitratta (demo)",
        None,
        "24 ore su 24, tutti i giorni",
        "italiano, inglese, francese, rumeno, albanese, spagnolo",
        false,
        None,
        &[],
    )
    .await?;
    net::add_service(
        db,
        arcobaleno,
        "street_unit",
        "Unità di strada Firenze (demo)",
        Some("FI".into()),
        "martedì e venerdì 22:00-02:00",
        "italiano, inglese, rumeno",
        true,
        None,
        &[],
    )
    .await?;
    net::add_service(
        db,
        arcobaleno,
        "drop_in",
        "Sportello di ascolto Firenze (demo)",
        Some("FI".into()),
        "lunedì 10:00-13:00, giovedì 15:00-18:00",
        "italiano, inglese",
        false,
        None,
        &[],
    )
    .await?;
    net::add_service(
        db,
        cat,
        "emergency_shelter",
        "Pronta accoglienza Firenze (demo)",
        Some("FI".into()),
        "24 ore su 24",
        "italiano, inglese",
        false,
        seal("Via Inventata 1, Firenze (demo)")?,
        &[("women", 4), ("women_with_children", 2)],
    )
    .await?;
    net::add_service(
        db,
        arcobaleno,
        "shelter",
        "Casa rifugio (demo)",
        Some("FI".into()),
        "24 ore su 24",
        "italiano",
        false,
        seal("Via Immaginaria 7, Firenze (demo)")?,
        &[("women", 6), ("transgender", 2)],
    )
    .await?;
    net::add_service(
        db,
        viareggio,
        "semi_autonomy",
        "Appartamento di semi-autonomia Versilia (demo)",
        Some("LU".into()),
        "su appuntamento",
        "italiano",
        false,
        seal("Via Fittizia 3, Viareggio (demo)")?,
        &[("women", 3), ("men", 2)],
    )
    .await?;
    let firenze = org("Comune di Firenze").await?;
    let date = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| DemoError::Other(e.to_string()))
    };
    net::add_meeting(
        db,
        &net::NewMeeting {
            province: "FI".into(),
            convener_id: firenze,
            held_on: date("2026-10-15")?,
            agenda:
                "Casi emersi nel trimestre; coordinamento delle uscite delle unità di strada (demo)"
                    .into(),
            minutes: "Incontro dimostrativo: dati inventati.".into(),
            decisions: "Prossimo incontro a gennaio (demo).".into(),
            invited: vec![arcobaleno, cat],
            present: vec![arcobaleno],
        },
        0,
    )
    .await?;
    net::add_training(
        db,
        "Seminario per operatori della rete",
        "Livorno",
        date("2012-06-15")?,
        "Operatori dei progetti della rete toscana (demo: giorno e partecipanti indicativi)",
        40,
    )
    .await?;
    net::add_training(
        db,
        "Seminario per operatori della rete",
        "Montecatini Terme",
        date("2012-10-15")?,
        "Operatori dei progetti della rete toscana (demo: giorno e partecipanti indicativi)",
        40,
    )
    .await?;
    Ok(())
}

/// The code the demonstration accounts' authenticator would show now.
pub fn current_demo_code() -> String {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    totp::code_at(DEMO_TOTP_SECRET, now)
}

/// The Florence street unit's places, a season of outings with tallies and anonymous contacts,
/// drop-in interviews and accompaniments (one of them linked to a demo case).
async fn load_outreach(db: &DatabaseConnection) -> Result<(), DemoError> {
    use crate::outreach::entities::{accompaniment, interview};
    use crate::outreach::rules::{OutingInput, check_outing};
    use crate::outreach::store as out;
    use sea_orm::ActiveValue::Set;
    let Some(org) = store::organisation_by_name(db, "Associazione Progetto Arcobaleno").await?
    else {
        return Ok(());
    };
    if !out::recent_outings(db, org.id, 1).await?.is_empty() {
        return Ok(());
    }
    let services = crate::network::store::services_of(db, org.id).await?;
    let (Some(unit), Some(desk)) = (
        services.iter().find(|s| s.kind == "street_unit"),
        services.iter().find(|s| s.kind == "drop_in"),
    ) else {
        return Ok(());
    };
    let operator = store::user_by_username(db, "strada")
        .await?
        .ok_or(DemoError::Db("demo outreach operator missing"))?;
    let mut places = Vec::new();
    for name in [
        "Viale Fratelli Rosselli",
        "Piazzale delle Cascine",
        "Via Pistoiese (Peretola)",
        "Stazione di Campo di Marte",
    ] {
        places.push(out::add_place(db, unit.id, name).await?.id);
    }
    let now = chrono::Utc::now();
    // (days ago, people met, [female, male, transgender], [minor, 18-24, 25-34, 35+, unknown],
    //  new, [(nationality, n)], anonymous codes, condoms, leaflets)
    type Night = (
        i64,
        i32,
        [i32; 3],
        [i32; 5],
        i32,
        &'static [(&'static str, i32)],
        &'static [&'static str],
        i32,
        i32,
    );
    let nights: [Night; 6] = [
        (
            3,
            14,
            [11, 0, 3],
            [1, 6, 5, 2, 0],
            4,
            &[("NG", 7), ("RO", 4), ("AL", 1)],
            &["LUNA-07", "STELLA-12"],
            180,
            30,
        ),
        (
            7,
            12,
            [10, 0, 2],
            [0, 5, 5, 2, 0],
            2,
            &[("NG", 6), ("RO", 4)],
            &["LUNA-07", "SOLE-03"],
            150,
            25,
        ),
        (
            10,
            9,
            [7, 1, 1],
            [0, 4, 3, 1, 1],
            3,
            &[("NG", 4), ("RO", 3), ("BR", 1)],
            &["STELLA-12"],
            120,
            20,
        ),
        (
            14,
            16,
            [13, 0, 3],
            [2, 7, 5, 2, 0],
            6,
            &[("NG", 9), ("RO", 5)],
            &["LUNA-07", "MARE-21", "SOLE-03"],
            200,
            40,
        ),
        (
            21,
            11,
            [9, 0, 2],
            [0, 4, 5, 2, 0],
            1,
            &[("NG", 5), ("RO", 4), ("AL", 2)],
            &["MARE-21"],
            140,
            15,
        ),
        (
            28,
            13,
            [11, 0, 2],
            [1, 5, 4, 3, 0],
            5,
            &[("NG", 7), ("RO", 3), ("CN", 2)],
            &["LUNA-07"],
            160,
            35,
        ),
    ];
    for (i, (days, people, genders, ages, new, nats, codes, condoms, leaflets)) in
        nights.iter().enumerate()
    {
        let start = now - chrono::Duration::days(*days) - chrono::Duration::hours(4);
        let mut tallies: Vec<(&'static str, String, String)> = Vec::new();
        for (g, n) in ["female", "male", "transgender"].iter().zip(genders) {
            tallies.push(("gender", (*g).into(), n.to_string()));
        }
        for (a, n) in crate::outreach::rules::AGE_BANDS.iter().zip(ages) {
            tallies.push(("age_band", (*a).into(), n.to_string()));
        }
        tallies.push(("status", "new".into(), new.to_string()));
        tallies.push(("status", "known".into(), (people - new).to_string()));
        for (c, n) in *nats {
            tallies.push(("nationality", (*c).into(), n.to_string()));
        }
        tallies.push(("material", "condoms".into(), condoms.to_string()));
        tallies.push(("material", "leaflets".into(), leaflets.to_string()));
        tallies.push(("topic", "sti".into(), (people / 2).to_string()));
        tallies.push(("topic", "condom_use".into(), (people / 3).to_string()));
        let checked = check_outing(&OutingInput {
            started: Some(start),
            ended: Some(start + chrono::Duration::hours(4)),
            people_met: people.to_string(),
            tallies,
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        })
        .map_err(|k| DemoError::Other(format!("demo outing does not add up: {k}")))?;
        out::save_outing(
            db,
            out::NewOuting {
                organisation_id: org.id,
                service_id: unit.id,
                area: "Firenze nord-ovest".into(),
                places: places.iter().take(2 + i % 3).copied().collect(),
                team: "Luca, Marta (demo)".into(),
                mediators: "Blessing (demo)".into(),
                languages: vec!["IT".into(), "EN".into()],
                referrals_proposed: i32::from(i % 2 == 0),
                accompaniments_proposed: i32::from(i % 3 == 0),
                notes_enc: None,
                idempotency_key: format!("demo-outing-{i:04}"),
                created_by: operator.id,
                checked,
                observations: vec![out::NewObservation {
                    place_id: places[0],
                    people_seen: people / 2,
                    new_groups: i == 3,
                    control_signs: i == 3,
                    note_enc: None,
                }],
            },
        )
        .await?;
    }
    let today = now.date_naive();
    let luna = out::contact_for_code(db, org.id, "LUNA-07").await?;
    let stella = out::contact_for_code(db, org.id, "STELLA-12").await?;
    // Link one contact to a demo case of the same organisation, as a case worker would.
    if let Some(case) = crate::cases::store::cases_for_org(db, org.id)
        .await?
        .first()
    {
        out::link_contact(db, luna.clone(), case.id, operator.id).await?;
    }
    let interviews = [
        (
            5,
            Some(luna.id),
            "EN",
            "sti,documents",
            "accompaniment_arranged",
        ),
        (12, Some(stella.id), "RO", "legal", "information_given"),
        (19, None, "EN", "housing,work", "referred_to_service"),
    ];
    for (i, (days, contact, language, topics, outcome)) in interviews.into_iter().enumerate() {
        let key = format!("demo-interview-{i:04}");
        out::save_interview(
            db,
            out::NewInterview {
                row: interview::ActiveModel {
                    organisation_id: Set(org.id),
                    service_id: Set(desk.id),
                    held_on: Set(today - chrono::Duration::days(days)),
                    itinerant: Set(false),
                    contact_id: Set(contact),
                    case_id: Set(None),
                    operator_id: Set(operator.id),
                    mediator: Set("Blessing (demo)".into()),
                    language: Set(Some(language.into())),
                    topics: Set(topics.into()),
                    outcome: Set(outcome.into()),
                    idempotency_key: Set(key.clone()),
                    created_at: Set(now),
                    ..Default::default()
                },
                organisation_id: org.id,
                key,
                contact_code: None,
            },
        )
        .await?;
    }
    for (i, (days, contact, service, source)) in [
        (4, Some(luna.id), "health", "drop_in"),
        (9, Some(stella.id), "legal", "street_unit"),
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("demo-accompaniment-{i:04}");
        out::save_accompaniment(
            db,
            accompaniment::ActiveModel {
                organisation_id: Set(org.id),
                happened_on: Set(today - chrono::Duration::days(days)),
                service_kind: Set(service.into()),
                outcome: Set("done".into()),
                source: Set(source.into()),
                contact_id: Set(contact),
                case_id: Set(None),
                by_user: Set(operator.id),
                idempotency_key: Set(key.clone()),
                created_at: Set(now),
                ..Default::default()
            },
            org.id,
            &key,
        )
        .await?;
    }
    Ok(())
}

/// Two invented projects of other regions in the directory, and a request from the national
/// hotline waiting for the Florence association to decide.
async fn load_referrals(db: &DatabaseConnection, keys: &KeyRing) -> Result<(), DemoError> {
    use crate::referrals::{entities::referral, rules::Package, store as rs};
    use sea_orm::ActiveValue::Set;
    if !rs::counterparts(db).await?.is_empty() {
        return Ok(());
    }
    rs::add_counterpart(
        db,
        "Progetto Antitratta Liguria (demo)",
        "Liguria",
        "referente@example.org",
    )
    .await?;
    rs::add_counterpart(
        db,
        "Progetto Antitratta Emilia-Romagna (demo)",
        "Emilia-Romagna",
        "referente@example.org",
    )
    .await?;
    let (Some(org), Some(worker)) = (
        store::organisation_by_name(db, "Associazione Progetto Arcobaleno").await?,
        store::user_by_username(db, "operatrice").await?,
    ) else {
        return Ok(());
    };
    let now = chrono::Utc::now();
    let package = Package {
        names: Some("Esther (demo)".into()),
        gender: Some("female".into()),
        birth_year: Some(2003),
        nationalities: Some(vec!["NG".into()]),
        languages: Some(vec!["EN".into()]),
        exploitation_forms: Some(vec!["sexual".into()]),
        vulnerabilities: None,
        phone: None,
    };
    let sealed = rs::seal(keys, &package).map_err(|e| DemoError::Other(e.to_string()))?;
    rs::create(
        db,
        referral::ActiveModel {
            direction: Set("inbound".into()),
            counterpart_kind: Set("national_hotline".into()),
            counterpart_id: Set(None),
            sender_org: Set(None),
            receiver_org: Set(Some(org.id)),
            recorded_by_org: Set(org.id),
            case_id: Set(None),
            opened_case_id: Set(None),
            status: Set("proposed".into()),
            reason: Set("safety".into()),
            needed_service: Set("emergency_shelter".into()),
            urgency: Set("urgent".into()),
            consent_id: Set(None),
            consent_on: Set(now.date_naive()),
            package_enc: Set(sealed),
            refusal_reason: Set(None),
            created_by: Set(worker.id),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(0),
            ..Default::default()
        },
        worker.id,
        org.id,
    )
    .await?;
    Ok(())
}

/// Invented public reports in the hotline's triage queue: three new ones (one with a question
/// from the hotline and the reporter's answer, opened by [`DEMO_RECEIPT`]) and one already
/// found to be a duplicate.
async fn load_reports(db: &DatabaseConnection, keys: &KeyRing) -> Result<(), DemoError> {
    use crate::reports::entities::{message, report};
    use crate::reports::store as rs;
    use sea_orm::ActiveValue::Set;
    use sea_orm::{EntityTrait, PaginatorTrait};
    if report::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let seal = |ctx: &str, text: &str| -> Result<Option<Vec<u8>>, DemoError> {
        if text.is_empty() {
            return Ok(None);
        }
        keys.encrypt_str(ctx, text)
            .map(Some)
            .map_err(|e| DemoError::Other(e.to_string()))
    };
    let today = crate::platform::time::rome_today();
    // (language, province, urgency, people, minors, kinds, what, place, since, days ago)
    let reports = [
        (
            "it",
            Some("FI"),
            "days",
            Some(6),
            "no",
            "labour",
            "In un capannone della zona industriale lavorano sei persone anche di notte; \
             dormono sul posto e qualcuno ritira loro i documenti.",
            "Zona industriale (nome inventato)",
            "da circa un mese",
            2i64,
        ),
        (
            "en",
            Some("PO"),
            "now",
            Some(2),
            "unknown",
            "sexual",
            "Two young women are brought to the same street every evening by a man who \
             keeps their phones.",
            "Via Inventata",
            "last week",
            1,
        ),
        (
            "ro",
            Some("LU"),
            "unknown",
            None,
            "no",
            "labour,begging",
            "Muncitori la cules fara contract, platiti foarte putin, transportati cu duba \
             in fiecare dimineata.",
            "Campuri langa drum",
            "de doua saptamani",
            4,
        ),
        (
            "it",
            Some("FI"),
            "days",
            Some(5),
            "no",
            "labour",
            "Di nuovo il capannone della zona industriale: stanotte le luci erano accese fino \
             alle quattro.",
            "Zona industriale (nome inventato)",
            "",
            1,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (lang, province, urgency, people, minors, kinds, what, place, since, ago)) in
        reports.iter().enumerate()
    {
        let receipt = if i == 0 {
            DEMO_RECEIPT.to_owned()
        } else {
            rs::new_receipt()
        };
        let receipt_hash = crypto::hash_password_async(receipt.clone())
            .await
            .map_err(|e| DemoError::Other(e.to_string()))?;
        let row = rs::add(
            db,
            report::ActiveModel {
                received_on: Set(today - chrono::Duration::days(*ago)),
                language: Set((*lang).to_owned()),
                province: Set(province.map(str::to_owned)),
                urgency: Set((*urgency).to_owned()),
                people: Set(*people),
                minors: Set((*minors).to_owned()),
                kinds: Set((*kinds).to_owned()),
                anonymous: Set(true),
                status: Set("new".into()),
                triage_contact_id: Set(None),
                duplicate_of: Set(None),
                triaged_at: Set(None),
                receipt_lookup: Set(rs::lookup_of(&receipt).to_owned()),
                receipt_hash: Set(receipt_hash),
                submission_hash: Set(crypto::sha256_hex(format!("demo-report-{i}").as_bytes())),
                what_enc: Set(seal(rs::WHAT, what)?),
                place_enc: Set(seal(rs::PLACE, place)?),
                since_enc: Set(seal(rs::SINCE, since)?),
                gender_enc: Set(None),
                contact_enc: Set(None),
                ..Default::default()
            },
        )
        .await?;
        ids.push(row.id);
    }
    let (Some(&first), Some(&again)) = (ids.first(), ids.get(3)) else {
        return Ok(());
    };
    let operator = store::user_by_username(db, "numeroverde")
        .await?
        .map(|u| u.id);
    let now = chrono::Utc::now();
    for (from_reporter, hours_ago, text) in [
        (
            false,
            30i64,
            "Grazie. Sa dire se tra le persone ci sono minorenni?",
        ),
        (true, 26, "Non credo, sembrano tutti adulti."),
    ] {
        rs::add_message(
            db,
            message::ActiveModel {
                report_id: Set(first),
                from_reporter: Set(from_reporter),
                at: Set(now - chrono::Duration::hours(hours_ago)),
                text_enc: Set(seal(rs::MESSAGE, text)?),
                by_user: Set(if from_reporter { None } else { operator }),
                ..Default::default()
            },
        )
        .await?;
    }
    rs::triage(db, again, "duplicate", None, Some(first)).await?;
    Ok(())
}

/// A few news items of the network: three published (one a week ago), one waiting for review.
async fn load_news(db: &DatabaseConnection, reviewer: i32) -> Result<(), DemoError> {
    use crate::news::entities::news_item;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
    if news_item::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let editor = store::user_by_username(db, "redazione")
        .await?
        .ok_or(DemoError::Db("demo editor missing"))?;
    let now = chrono::Utc::now();
    type Item<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        i64,
        &'a str,
    );
    let items: [Item; 4] = [
        (
            "Il Numero Verde antitratta risponde anche da Lyca Mobile",
            "Chi usa un operatore che non raggiunge i numeri verdi può chiamare un numero ordinario.",
            "Il **Numero Verde Regionale Antitratta 800 600 500** risponde 24 ore su 24.\n\n\
             Molte persone migranti usano operatori mobili che non raggiungono i numeri verdi: \
             per loro è attivo il numero ordinario **055 536 56 12**.\n\n\
             - gratuito e anonimo\n- con mediatrici e mediatori linguistici\n\n\
             *Notizia dimostrativa: dati inventati.*",
            "network",
            None,
            7,
            "published",
        ),
        (
            "Seminario per operatori e operatrici a Prato",
            "Due giornate sul riconoscimento delle vittime di sfruttamento lavorativo.",
            "La rete organizza un seminario sul riconoscimento degli indicatori di sfruttamento \
             lavorativo nel distretto tessile.\n\nIscrizioni presso il proprio ente.\n\n\
             *Notizia dimostrativa.*",
            "training",
            Some("PO"),
            3,
            "published",
        ),
        (
            "I dati del primo semestre",
            "Le persone incontrate dalla rete nei primi sei mesi dell'anno.",
            "Il rapporto semestrale è disponibile tra i [dati aperti](/dati-aperti).\n\n\
             *Notizia dimostrativa.*",
            "data",
            None,
            1,
            "published",
        ),
        (
            "Nuovo sportello a Viareggio",
            "Apre uno sportello di ascolto al porto.",
            "Bozza in attesa di revisione. *Notizia dimostrativa.*",
            "network",
            Some("LU"),
            0,
            "in_review",
        ),
    ];
    for (title, summary, body, topic, province, days, state) in items {
        let at = now - chrono::Duration::days(days);
        news_item::ActiveModel {
            title: Set(title.into()),
            summary: Set(summary.into()),
            body: Set(body.into()),
            topic: Set(topic.into()),
            province: Set(province.map(str::to_owned)),
            state: Set(state.into()),
            publish_at: Set((state == "published").then_some(at)),
            withdraw_at: Set(None),
            author_id: Set(editor.id),
            reviewer_id: Set((state == "published").then_some(reviewer)),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(0),
            // The first item shows how a picture looks in the article and its social card.
            image: Set((days == 7).then(crate::demo_materials::card_png)),
            image_type: Set((days == 7).then(|| "image/png".to_owned())),
            image_alt: Set((days == 7).then(|| {
                "Illustrazione dimostrativa: una scheda con i colori della rete".to_owned()
            })),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    crate::demo_materials::load(db, editor.id, reviewer).await?;
    Ok(())
}
