//! Pages of people and cases. Every handler decides access on the record through
//! `platform::access::authorize`, which writes the decision to the audit trail.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::TransactionTrait;

use super::entities;
use super::entities::{consent, permit, placement};
use super::rules::{self, Phase};
use super::store;
use crate::identity::session::StaffView;
use crate::platform::policy::{self, Basis};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

fn staff(shell: &Shell) -> Result<StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

/// Today in Italy.
fn today() -> NaiveDate {
    crate::platform::time::rome_today()
}

// ---------- the worker's desk ----------

pub struct CaseRow {
    pub id: i32,
    pub code: String,
    pub phase: String,
    pub status: String,
    pub last_activity: String,
}

pub struct Alert {
    pub case_id: i32,
    pub code: String,
    pub what: String,
    pub when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/templates/list.html")]
pub struct ListPage {
    pub shell: Shell,
    pub cases: Vec<CaseRow>,
    /// (title key, alerts): permits expiring, consents expiring, follow-ups due, inactive.
    pub panels: Vec<(&'static str, Vec<Alert>)>,
}

pub async fn list(State(state): State<SharedState>, shell: Shell) -> Result<ListPage, AppError> {
    let me = staff(&shell)?;
    let org = me.actor.organisation_id.ok_or(AppError::Forbidden)?;
    let today = today();
    let soon = today + Duration::days(30);
    let (mut permits_expiring, mut consents_expiring, mut follow_ups, mut inactive) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut page = ListPage {
        shell,
        cases: Vec::new(),
        panels: Vec::new(),
    };
    // A few queries for the whole list, whatever its length (not three per case).
    let cases = store::cases_for_org(&state.db, org).await?;
    let case_ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let person_ids: Vec<i32> = cases.iter().map(|c| c.person_id).collect();
    let people = store::people_by_id(&state.db, &person_ids).await?;
    let mut permits = store::permits_expiring(&state.db, &case_ids, today, soon).await?;
    permits.sort_by_key(|p| std::cmp::Reverse(p.id));
    let mut consents = store::consents_expiring(&state.db, &case_ids, today, soon).await?;
    consents.sort_by_key(|k| std::cmp::Reverse(k.given_on));
    for c in cases {
        let code = people
            .get(&c.person_id)
            .map(|p| p.code.clone())
            .unwrap_or_default();
        let alert = |what: String, when: String| Alert {
            case_id: c.id,
            code: code.clone(),
            what,
            when,
        };
        for p in permits.iter().filter(|p| p.case_id == c.id) {
            if let Some(e) = p.expires_on {
                permits_expiring.push(alert(
                    page.shell
                        .t(&format!("permit-kind-{}", p.kind.replace('_', "-"))),
                    e.to_string(),
                ));
            }
        }
        for k in consents.iter().filter(|k| k.case_id == c.id) {
            if let Some(e) = k.expires_on {
                consents_expiring.push(alert(
                    page.shell.t(&format!("consent-purpose-{}", k.purpose)),
                    e.to_string(),
                ));
            }
        }
        if let Some(due) = c.follow_up_due
            && due <= today + Duration::days(7)
        {
            follow_ups.push(alert(page.shell.t("case-follow-up"), due.to_string()));
        }
        if c.closed_at.is_none() && c.last_activity_at < Utc::now() - Duration::days(60) {
            inactive.push(alert(
                page.shell.t("case-inactive"),
                crate::platform::time::rome_date(c.last_activity_at).to_string(),
            ));
        }
        page.cases.push(CaseRow {
            id: c.id,
            phase: page
                .shell
                .t(&format!("phase-{}", c.phase.replace('_', "-"))),
            status: c
                .trafficking_status
                .as_deref()
                .map(|s| page.shell.t(&format!("status-{s}")))
                .unwrap_or_else(|| "—".into()),
            last_activity: crate::platform::time::rome_date(c.last_activity_at).to_string(),
            code,
        });
    }
    page.panels = vec![
        ("cases-permits-expiring", permits_expiring),
        ("cases-consents-expiring", consents_expiring),
        ("cases-follow-ups", follow_ups),
        ("cases-inactive", inactive),
    ];
    Ok(page)
}

// ---------- opening a case ----------

#[derive(Template, WebTemplate)]
#[template(path = "cases/templates/new.html")]
pub struct NewPage {
    pub shell: Shell,
    pub error: Option<String>,
    /// Possible duplicates already known to the network: (code, organisation name).
    pub duplicates: Vec<(String, String)>,
    /// The submitted values, to fill the form again.
    pub values: Vec<(String, String)>,
    /// Every problem of the form (field, message), shown together and beside each field.
    pub problems: Vec<(String, String)>,
}

impl NewPage {
    pub fn value(&self, name: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// The message beside a field, if it is wrong.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

pub async fn new_form(shell: Shell) -> NewPage {
    NewPage {
        shell,
        error: None,
        duplicates: Vec::new(),
        values: Vec::new(),
        problems: Vec::new(),
    }
}

pub async fn create(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let values = f.values();
    let page = |shell: Shell, problems: Vec<(&str, &str)>, duplicates: Vec<(String, String)>| {
        let problems = problems
            .into_iter()
            .map(|(field, key)| (field.to_owned(), shell.t(key)))
            .collect();
        NewPage {
            shell,
            error: None,
            duplicates,
            values: values.clone(),
            problems,
        }
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (input, problems) = read_new_case(&f);
    if !problems.is_empty() {
        return Ok((unprocessable, page(shell, problems, Vec::new())).into_response());
    }
    // The case and its audit entry are committed together or not at all.
    let txn = state.db.begin().await?;
    match super::ops::open_case(&state, &txn, &me.actor, &input).await {
        Ok((_, c)) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/cases/{}", c.id)).into_response())
        }
        Err(super::ops::CaseOpError::PossibleDuplicates(found)) => {
            txn.rollback().await?;
            let names = crate::network::names(&state.db).await?;
            let duplicates = found
                .into_iter()
                .map(|(code, org)| (code, names.get(&org).cloned().unwrap_or_default()))
                .collect();
            Ok((StatusCode::CONFLICT, page(shell, Vec::new(), duplicates)).into_response())
        }
        Err(super::ops::CaseOpError::Invalid { key, field }) => {
            txn.rollback().await?;
            Ok((unprocessable, page(shell, vec![(field, key)], Vec::new())).into_response())
        }
        Err(super::ops::CaseOpError::Access(e) | super::ops::CaseOpError::Failed(e)) => Err(e),
        Err(e) => Err(AppError::BadRequest(e.message_key())),
    }
}

/// A person's attributes as typed (shared by a new case and a correction): the birth year and
/// ISO codes parsed, each problem added as (field, message key).
fn read_attributes(
    f: &Fields,
    problems: &mut Vec<(&'static str, &'static str)>,
) -> (Option<i32>, Vec<String>, Vec<String>) {
    let birth_year = rules::birth_year(&f.get("birth_year"), today()).unwrap_or_else(|k| {
        problems.push(("birth_year", k));
        None
    });
    let mut codes = |field: &'static str| {
        rules::iso_codes(&f.get(field)).unwrap_or_else(|k| {
            problems.push((field, k));
            Vec::new()
        })
    };
    let nationalities = codes("nationalities");
    let languages = codes("languages");
    (birth_year, nationalities, languages)
}

/// Adds the rules' problems not already found while reading the form (one per field).
fn merge_problems(
    problems: &mut Vec<(&'static str, &'static str)>,
    more: Vec<(&'static str, &'static str)>,
) {
    for p in more {
        if !problems.iter().any(|(field, _)| *field == p.0) {
            problems.push(p);
        }
    }
}

/// The new-case form as the typed input of [`super::ops::open_case`], with every problem of
/// the form (field, message key), its own parsing and the area's rules together.
fn read_new_case(f: &Fields) -> (super::ops::NewCase, Vec<(&'static str, &'static str)>) {
    let mut problems = Vec::new();
    let (birth_year, nationalities, languages) = read_attributes(f, &mut problems);
    let birth_date = match f.past_date("birth_date") {
        Ok(Some(d)) if d > today() => {
            problems.push(("birth_date", "case-error-birth-year-future"));
            None
        }
        Ok(d) => d,
        Err(key) => {
            problems.push(("birth_date", key));
            None
        }
    };
    // The day of emersion, when the case is entered after the fact; blank: the case opens
    // today (the day it is recorded).
    let opened_on = f.past_date("opened_on").unwrap_or_else(|key| {
        problems.push(("opened_on", key));
        None
    });
    let input = super::ops::NewCase {
        person: store::NewPerson {
            gender: f.get("gender"),
            birth_year,
            birth_year_estimated: f.checked("birth_year_estimated"),
            presumed_minor: f.checked("presumed_minor"),
            nationalities,
            languages,
            vulnerabilities: f.text("vulnerabilities", 1000),
        },
        identity: store::Identity {
            names: f.text("names", 300),
            aliases: f.text("aliases", 300),
            birth_date: birth_date.map(|d| d.to_string()).unwrap_or_default(),
            documents: f.text("documents", 300),
            phone: f.text("phone", 50),
            address: f.text("address", 300),
        },
        opened_on: opened_on.unwrap_or_else(today),
        confirm_new: f.checked("confirm_new"),
    };
    merge_problems(
        &mut problems,
        super::ops::new_case_problems(&input, today()),
    );
    (input, problems)
}

// ---------- one case ----------

pub struct PhaseRow {
    pub from: String,
    pub to: String,
    pub reason: String,
    /// The Italian day it took effect (entered).
    pub effective_on: String,
    /// When it was recorded, Italian time.
    pub at: String,
    pub by: String,
}

/// A record linked to the case, as listed on its page: the day, what it is (translated) and,
/// when the reader may open it, where.
pub struct LinkRow {
    pub on: String,
    pub what: String,
    pub href: Option<String>,
}

/// A correction of the person, as listed in their history: when, who, which fields.
pub struct CorrectionRow {
    pub at: String,
    pub by: String,
    pub fields: String,
}

/// A decision on a permit, as listed in its history.
pub struct DecisionRow {
    pub on: String,
    pub status: String,
    pub expires_on: Option<String>,
    pub by: String,
}

/// A permit with its history and the decisions it can still take.
pub struct PermitRow {
    pub permit: permit::Model,
    pub decisions: Vec<DecisionRow>,
    pub next: &'static [&'static str],
}

/// A refused correction, drawn again: every problem (field, message) and what was typed.
#[derive(Default)]
pub struct Correction {
    pub problems: Vec<(String, String)>,
    pub values: Vec<(String, String)>,
}

pub struct ServiceOption {
    pub id: i32,
    pub label: String,
}

pub struct EventRow {
    pub kind: String,
    pub on: String,
    /// `None` when the reader may not read it (see `policy::may_read_note`).
    pub text: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/templates/show.html")]
pub struct CasePage {
    pub shell: Shell,
    pub file: entities::case::Model,
    pub subject: entities::person::Model,
    pub owner: String,
    pub basis: String,
    /// Who assessed the trafficking status.
    pub assessed_by: Option<String>,
    pub identity: Option<store::Identity>,
    pub identity_erased: bool,
    pub phases: Vec<PhaseRow>,
    pub next_phase: Option<&'static str>,
    pub closed: bool,
    pub consents: Vec<consent::Model>,
    pub shared: Vec<String>,
    pub permits: Vec<PermitRow>,
    pub placements: Vec<(placement::Model, String)>,
    pub projects: Vec<LinkRow>,
    pub referrals: Vec<LinkRow>,
    pub accompaniments: Vec<LinkRow>,
    pub contacts: Vec<LinkRow>,
    pub corrections: Vec<CorrectionRow>,
    /// The correction form: every problem (field, message) and its values.
    pub problems: Vec<(String, String)>,
    pub values: Vec<(String, String)>,
    pub services: Vec<ServiceOption>,
    pub events: Vec<EventRow>,
    pub organisations: Vec<(i32, String)>,
    pub error: Option<String>,
    /// The section whose form was refused (where `error` is shown, next to the form) and what
    /// that form carried, to fill it again; empty when nothing was refused.
    pub refused_in: String,
    pub typed: Vec<(String, String)>,
    /// Today in Italy, offered (never assumed) as the date of what is recorded now.
    pub today: String,
}

impl CasePage {
    /// What the correction form shows in a field: what was typed, or what is recorded.
    pub fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, v)| v.as_str())
    }
    /// The message beside a field of the correction form, if it is wrong.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    /// What a field of a section's form shows: what was typed if that form was refused,
    /// otherwise `default`.
    pub fn kept<'a>(&'a self, section: &str, field: &str, default: &'a str) -> &'a str {
        if !self.keeps(section) {
            return default;
        }
        self.typed
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, v)| v.as_str())
    }
    /// Whether a section's form is drawn with what was typed (refused, and not because
    /// someone else changed the record meanwhile).
    pub fn keeps(&self, section: &str) -> bool {
        self.refused_in == section && !self.typed.is_empty()
    }
    /// Whether the refused form of a section had this field ticked or this option chosen.
    pub fn kept_is(&self, section: &str, field: &str, value: &str) -> bool {
        self.refused_in == section && self.typed.iter().any(|(f, v)| f == field && v == value)
    }
    /// The message of a refused form, shown in its own section (`permits` holds the new
    /// permit's form and `permits/decision`, a decision on one of them).
    pub fn error_in(&self, section: &str) -> Option<&str> {
        self.error.as_deref().filter(|_| {
            self.refused_in
                .strip_prefix(section)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
    pub fn has_form(&self, code: &str) -> bool {
        crate::platform::codes::contains(&self.file.exploitation_forms, code)
    }
    pub fn has_control(&self, code: &str) -> bool {
        crate::platform::codes::contains(&self.file.means_of_control, code)
    }
    pub fn has_recruitment(&self, code: &str) -> bool {
        crate::platform::codes::contains(&self.file.recruitment, code)
    }
    pub fn org_name(&self, id: &Option<i32>) -> String {
        id.and_then(|i| {
            self.organisations
                .iter()
                .find(|(o, _)| *o == i)
                .map(|(_, n)| n.clone())
        })
        .unwrap_or_default()
    }
}

async fn case_page(
    state: &SharedState,
    shell: Shell,
    case_id: i32,
    error: Option<String>,
) -> Result<CasePage, AppError> {
    case_file(state, shell, case_id, error, None).await
}

/// The values the correction form starts from: the person as recorded.
fn recorded_values(
    p: &entities::person::Model,
    identity: Option<&store::Identity>,
) -> Vec<(String, String)> {
    let flag = |b: bool| if b { "1" } else { "" }.to_owned();
    let mut v = vec![
        ("gender".to_owned(), p.gender.clone()),
        (
            "birth_year".to_owned(),
            p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
        ),
        (
            "birth_year_estimated".to_owned(),
            flag(p.birth_year_estimated),
        ),
        ("presumed_minor".to_owned(), flag(p.presumed_minor)),
        (
            "nationalities".to_owned(),
            p.nationalities.replace(',', ", "),
        ),
        ("languages".to_owned(), p.languages.replace(',', ", ")),
    ];
    if let Some(i) = identity {
        for (k, val) in [
            ("names", &i.names),
            ("aliases", &i.aliases),
            ("birth_date", &i.birth_date),
            ("documents", &i.documents),
            ("phone", &i.phone),
            ("address", &i.address),
        ] {
            v.push((k.to_owned(), val.clone()));
        }
    }
    v
}

/// The records of other areas linked to the case, listed with a link where the reader's
/// role opens them (each page decides access again).
async fn linked(
    state: &SharedState,
    shell: &Shell,
    case_id: i32,
) -> Result<[Vec<LinkRow>; 4], AppError> {
    use crate::platform::policy::Permission;
    // A record of another area: its day and translated status, linked when the role opens it.
    let rows = |list: Vec<(i32, NaiveDate, String)>, label: &str, opens: Permission, path: &str| {
        list.into_iter()
            .map(|(id, on, code)| LinkRow {
                on: on.to_string(),
                what: shell.label(label, &code),
                href: shell.can(opens).then(|| format!("{path}/{id}")),
            })
            .collect::<Vec<_>>()
    };
    let (projects, referrals, contacts, accompaniments) = tokio::try_join!(
        crate::projects::of_case(&state.db, case_id),
        crate::referrals::of_case(&state.db, case_id),
        crate::hotline::contacts_of_case(&state.db, case_id),
        crate::outreach::accompaniments_of_case(&state.db, case_id),
    )?;
    let projects = rows(
        projects,
        "project-status",
        Permission::Projects,
        "/projects",
    );
    let referrals = rows(
        referrals,
        "referral-status",
        Permission::Referrals,
        "/referrals",
    );
    let contacts = rows(
        contacts,
        "relevance",
        Permission::Hotline,
        "/hotline/contacts",
    );
    let accompaniments = accompaniments
        .into_iter()
        .map(|(on, service, outcome)| LinkRow {
            on: on.to_string(),
            what: format!(
                "{} — {}",
                shell.label("accompaniment-service", &service),
                shell.label("accompaniment-outcome", &outcome)
            ),
            href: None,
        })
        .collect();
    Ok([projects, referrals, accompaniments, contacts])
}

async fn case_file(
    state: &SharedState,
    shell: Shell,
    case_id: i32,
    error: Option<String>,
    correction: Option<Correction>,
) -> Result<CasePage, AppError> {
    let me = staff(&shell)?;
    let registry_version = me.registry_version;
    let shell_ref = &shell;
    // Everything else the page shows, read at once while the read's audit entries are made
    // durable (nothing is shown before they are), then who recorded what, in one query.
    let (
        super::OpenedFile {
            case: c,
            person: p,
            basis,
            shared_with,
            identity,
        },
        (
            (
                registry,
                phase_rows,
                placement_rows,
                event_rows,
                permit_rows,
                change_rows,
                linked_rows,
                consents,
                changes,
            ),
            users,
        ),
    ) = super::open_file(state, &me.actor, case_id, |c, p| {
        let (case_id, person_id, assessed_by) = (c.id, p.id, c.status_assessed_by);
        async move {
            let sections = tokio::try_join!(
                async {
                    Ok::<_, AppError>(crate::network::registry(state, registry_version).await?)
                },
                async { Ok(store::phases(&state.db, case_id).await?) },
                async { Ok(store::placements(&state.db, case_id).await?) },
                async { Ok(store::events(&state.db, case_id).await?) },
                async { Ok(store::permits(&state.db, case_id).await?) },
                async { Ok(store::person_changes(&state.db, person_id).await?) },
                linked(state, shell_ref, case_id),
                async { Ok(store::consents(&state.db, case_id).await?) },
                async { Ok(store::permit_changes_of_case(&state.db, case_id).await?) },
            )?;
            let (_, phase_rows, _, _, _, change_rows, _, _, changes) = &sections;
            let users = crate::identity::usernames_of(
                &state.db,
                phase_rows
                    .iter()
                    .map(|ph| ph.by_user)
                    .chain(changes.iter().map(|ch| ch.by_user))
                    .chain(change_rows.iter().map(|ch| ch.by_user))
                    .chain(assessed_by)
                    .collect(),
            )
            .await?;
            Ok((sections, users))
        }
    })
    .await?;
    let opened_permits = permit_rows
        .into_iter()
        .map(|p| store::opened_permit(&state.keys, p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::Internal("permit cannot be decrypted"))?;
    let username = |id: i32| users.get(&id).cloned().unwrap_or_default();
    let mut phases = Vec::new();
    for ph in phase_rows {
        let by = username(ph.by_user);
        let label = |code: &str| shell.t(&format!("phase-{}", code.replace('_', "-")));
        phases.push(PhaseRow {
            from: ph.from_phase.as_deref().map(label).unwrap_or_default(),
            to: label(&ph.to_phase),
            reason: ph
                .reason
                .as_deref()
                .map(|r| shell.t(&format!("closure-{}", r.replace('_', "-"))))
                .unwrap_or_default(),
            effective_on: ph
                .effective_on
                .unwrap_or_else(|| crate::platform::time::rome_date(ph.at))
                .to_string(),
            at: crate::platform::time::rome_time_zoned(&ph.at),
            by,
        });
    }
    let phase = Phase::from_code(&c.phase).unwrap_or(Phase::Emersion);
    let mut services = Vec::new();
    let names = registry.names();
    let all_services = &registry.services;
    for s in all_services {
        if !crate::network::rules::is_housing(&s.kind) || !s.active {
            continue;
        }
        services.push(ServiceOption {
            id: s.id,
            label: format!("{} ({})", s.name, s.province.clone().unwrap_or_default()),
        });
    }
    let placements = placement_rows
        .into_iter()
        .map(|pl| {
            let name = all_services
                .iter()
                .find(|s| s.id == pl.service_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (pl, name)
        })
        .collect();
    let mut events = Vec::new();
    for e in event_rows {
        let text = match &e.text_enc {
            _ if !policy::may_read_note(&me.actor, e.by_user) => None,
            Some(sealed) => Some(
                state
                    .keys
                    .decrypt_str(store::EVENT_TEXT, sealed)
                    .map_err(|_| AppError::Internal("note cannot be decrypted"))?,
            ),
            None => Some(String::new()),
        };
        events.push(EventRow {
            kind: e.kind,
            on: e.happened_on.to_string(),
            text,
        });
    }
    let assessed_by = c.status_assessed_by.and_then(|u| users.get(&u).cloned());
    let mut permits = Vec::new();
    for permit in opened_permits {
        let mut decisions = Vec::new();
        for ch in changes.iter().filter(|ch| ch.permit_id == permit.id) {
            decisions.push(DecisionRow {
                on: ch.decided_on.to_string(),
                status: ch.status.clone(),
                expires_on: ch.expires_on.map(|d| d.to_string()),
                by: username(ch.by_user),
            });
        }
        permits.push(PermitRow {
            next: rules::permit_decisions(&permit.status),
            permit,
            decisions,
        });
    }
    let mut corrections = Vec::new();
    for ch in change_rows {
        corrections.push(CorrectionRow {
            at: crate::platform::time::rome_time_zoned(&ch.at),
            by: username(ch.by_user),
            fields: crate::platform::codes::iter(&ch.fields)
                .map(|f| shell.label("person", f))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let [projects, referrals, accompaniments, contacts] = linked_rows;
    let Correction { problems, values } = correction.unwrap_or_default();
    let values = if values.is_empty() {
        recorded_values(&p, identity.as_ref())
    } else {
        values
    };
    Ok(CasePage {
        projects,
        referrals,
        accompaniments,
        contacts,
        corrections,
        problems,
        values,
        assessed_by,
        owner: names.get(&c.owner_org).cloned().unwrap_or_default(),
        basis: shell.t(match basis {
            Basis::Owner => "case-basis-owner",
            Basis::Shared => "case-basis-shared",
            Basis::Emergency => "case-basis-emergency",
        }),
        identity_erased: p.identity_erased_at.is_some(),
        identity,
        phases,
        next_phase: phase.next().map(Phase::code),
        closed: phase == Phase::Closed,
        consents,
        shared: shared_with
            .iter()
            .filter_map(|o| names.get(o).cloned())
            .collect(),
        permits,
        placements,
        services,
        events,
        organisations: names.into_iter().collect(),
        shell,
        file: store::opened_case(&state.keys, c)
            .map_err(|_| AppError::Internal("case text cannot be decrypted"))?,
        subject: p,
        error,
        refused_in: String::new(),
        typed: Vec::new(),
        today: crate::platform::time::rome_today().to_string(),
    })
}

pub async fn show(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    // A worker who may open records in an emergency is offered to, instead of a bare 403.
    let offer = shell.can(crate::platform::policy::Permission::BreakGlass);
    match case_page(&state, shell.clone(), id, None).await {
        Ok(page) => Ok(page.into_response()),
        Err(AppError::Forbidden) if offer => Ok(crate::identity::break_glass::offer(
            shell,
            "case",
            id.to_string(),
            format!("/cases/{id}"),
        )),
        Err(e) => Err(e),
    }
}

/// Re-renders the case with a message and a status (422 invalid, 409 stale).
/// The message is shown in the section of the form that was sent, which keeps what was typed.
async fn refuse(
    state: &SharedState,
    shell: Shell,
    id: i32,
    status: StatusCode,
    key: &str,
    at: At,
) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    let mut page = case_page(state, shell, id, error).await?;
    page.refused_in = at.section.to_owned();
    page.typed = at.typed;
    Ok((status, page).into_response())
}

/// Where a refused form was on the case page, and what it carried.
struct At {
    section: &'static str,
    typed: Vec<(String, String)>,
}

impl At {
    fn new(section: &'static str, f: &Fields) -> At {
        At {
            section,
            typed: f.values(),
        }
    }
}

fn back(id: i32) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}

pub async fn change_phase(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(to) = Phase::from_code(&f.get("to")) else {
        return refuse(
            &state,
            shell,
            id,
            unprocessable,
            "case-error-transition",
            At::new("phase", &f),
        )
        .await;
    };
    let effective_on = match f.required_past_date("effective_on") {
        Ok(d) => d,
        Err(key) => {
            return refuse(&state, shell, id, unprocessable, key, At::new("phase", &f)).await;
        }
    };
    let change = super::ops::PhaseChange {
        to,
        reason: Some(f.get("reason")).filter(|r| !r.is_empty()),
        effective_on,
        version: f.version(),
    };
    match super::ops::change_phase(&state, &me.actor, id, &change).await {
        Ok(_) => Ok(back(id)),
        Err(e) => op_refused(&state, shell, id, e, At::new("phase", &f)).await,
    }
}

/// A refused operation, re-drawn with its message (422 invalid, 409 stale).
async fn op_refused(
    state: &SharedState,
    shell: Shell,
    id: i32,
    e: super::ops::CaseOpError,
    at: At,
) -> Result<Response, AppError> {
    use super::ops::CaseOpError as E;
    let key = e.message_key();
    let (status, at) = match e {
        E::Access(a) | E::Failed(a) => return Err(a),
        // Someone else changed the record: the form shows what is recorded now, not what
        // was typed over an older version.
        E::Stale => (
            StatusCode::CONFLICT,
            At {
                section: at.section,
                typed: Vec::new(),
            },
        ),
        E::PossibleDuplicates(_) => (StatusCode::CONFLICT, at),
        E::NotAllowed(_) | E::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, at),
    };
    refuse(state, shell, id, status, key, at).await
}

pub async fn assessment(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = super::ops::AssessmentInput {
        trafficking_status: f.opt("trafficking_status"),
        exploitation_forms: f.all("exploitation_forms"),
        labour_sector: f.opt("labour_sector"),
        means_of_control: f.all("means_of_control"),
        recruitment: f.all("recruitment"),
        route: f.text("route", 1000),
        transit_countries: vec![f.get("transit_countries")],
        places: f.text("places", 1000),
        legal_path: f.opt("legal_path"),
    };
    let txn = state.db.begin().await?;
    match super::ops::assess(&state, &txn, &me.actor, id, &input, f.version()).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(back(id))
        }
        Err(e) => {
            // Undone before the page is drawn again (drawing it audits the reading).
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("assessment", &f)).await
        }
    }
}

pub async fn add_consent(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    // Dates are entered, never defaulted: the form offers today, the worker confirms it.
    let input = f
        .required_past_date("given_on")
        .and_then(|g| Ok((g, f.date("expires_on")?)))
        .map(|(given_on, expires_on)| super::ops::NewConsent {
            purpose: f.get("purpose"),
            organisation_id: f.get("organisation_id").parse::<i32>().ok(),
            given_on,
            expires_on,
        });
    let input = match input {
        Ok(v) => v,
        Err(key) => {
            return refuse(
                &state,
                shell,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("consents", &f),
            )
            .await;
        }
    };
    let txn = state.db.begin().await?;
    match super::ops::add_consent(&state, &txn, &me.actor, id, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(back(id))
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("consents", &f)).await
        }
    }
}

pub async fn withdraw_consent(
    State(state): State<SharedState>,
    shell: Shell,
    Path(consent_id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let k = store::consent_by_id(&state.db, consent_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let on = match f.required_past_date("withdrawn_on") {
        Ok(d) => d,
        Err(key) => {
            return refuse(
                &state,
                shell,
                k.case_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("consents/withdraw", &f),
            )
            .await;
        }
    };
    match super::ops::withdraw_consent(&state, &me.actor, consent_id, on).await {
        Ok(k) => Ok(back(k.case_id)),
        Err(e) => {
            op_refused(
                &state,
                shell,
                k.case_id,
                e,
                At::new("consents/withdraw", &f),
            )
            .await
        }
    }
}

/// Sharing with another organisation needs the person's consent naming it.
pub async fn share(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let Ok(org) = f.get("organisation_id").parse::<i32>() else {
        return refuse(
            &state,
            shell,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin-error-org",
            At::new("consents/share", &f),
        )
        .await;
    };
    let txn = state.db.begin().await?;
    match super::ops::share(&state, &txn, &me.actor, id, org).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(back(id))
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("consents/share", &f)).await
        }
    }
}

pub async fn add_permit(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = (|| {
        Ok(super::ops::NewPermit {
            kind: f.get("kind"),
            status: f.get("status"),
            applied_on: f.past_date("applied_on")?,
            issued_on: f.past_date("issued_on")?,
            expires_on: f.date("expires_on")?,
            office: f.text("office", 200),
        })
    })();
    let input = match input {
        Ok(v) => v,
        Err(key) => {
            return refuse(
                &state,
                shell,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("permits", &f),
            )
            .await;
        }
    };
    let txn = state.db.begin().await?;
    match super::ops::add_permit(&state, &txn, &me.actor, id, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(back(id))
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("permits", &f)).await
        }
    }
}

/// A decision on a permit (renewed, refused, lapsed…), from its form on the case page.
pub async fn decide_permit(
    State(state): State<SharedState>,
    shell: Shell,
    Path(permit_id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let case_id = store::permit_by_id(&state.db, permit_id)
        .await?
        .map(|p| p.case_id)
        .ok_or(AppError::NotFound)?;
    let f = Fields::parse(&body);
    let input = (|| {
        Ok(super::ops::PermitDecision {
            status: f.get("status"),
            decided_on: f.required_past_date("decided_on")?,
            expires_on: f.date("expires_on")?,
        })
    })();
    let input = match input {
        Ok(v) => v,
        Err(key) => {
            return refuse(
                &state,
                shell,
                case_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("permits/decision", &f),
            )
            .await;
        }
    };
    let txn = state.db.begin().await?;
    match super::ops::decide_permit(&state, &txn, &me.actor, permit_id, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/cases/{case_id}#permit-{permit_id}")).into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, case_id, e, At::new("permits/decision", &f)).await
        }
    }
}

/// The correction form as the typed input of [`super::ops::correct_person`], with every
/// problem of the form's own parsing (field, message key).
fn read_correction(
    f: &Fields,
) -> (
    super::ops::PersonCorrection,
    Vec<(&'static str, &'static str)>,
) {
    let mut problems = Vec::new();
    let (birth_year, nationalities, languages) = read_attributes(f, &mut problems);
    let identity = f.checked("with_identity").then(|| store::Identity {
        names: f.text("names", 300),
        aliases: f.text("aliases", 300),
        birth_date: f.get("birth_date").trim().to_owned(),
        documents: f.text("documents", 300),
        phone: f.text("phone", 50),
        address: f.text("address", 300),
    });
    let input = super::ops::PersonCorrection {
        gender: f.get("gender"),
        birth_year,
        birth_year_estimated: f.checked("birth_year_estimated"),
        presumed_minor: f.checked("presumed_minor"),
        nationalities,
        languages,
        identity,
        version: f.version(),
    };
    merge_problems(&mut problems, super::ops::check_correction(&input, today()));
    (input, problems)
}

/// A correction of the person's attributes and identity: every problem shown at once beside
/// its field, with what was typed kept.
pub async fn correct_person(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let (input, problems) = read_correction(&f);
    let again = |shell: Shell, problems: Vec<(&'static str, &'static str)>| Correction {
        problems: problems
            .into_iter()
            .map(|(field, key)| (field.to_owned(), shell.t(key)))
            .collect(),
        values: f.values(),
    };
    if !problems.is_empty() {
        let correction = again(shell.clone(), problems);
        let page = case_file(&state, shell, id, None, Some(correction)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let txn = state.db.begin().await?;
    match super::ops::correct_person(&state, &txn, &me.actor, id, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/cases/{id}#h-person")).into_response())
        }
        Err(super::ops::CaseOpError::Invalid { key, field }) => {
            txn.rollback().await?;
            let correction = again(shell.clone(), vec![(field, key)]);
            let page = case_file(&state, shell, id, None, Some(correction)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("person", &f)).await
        }
    }
}

/// A placement takes a free bed of the chosen kind, or is refused.
pub async fn add_placement(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = (|| {
        let service_id = f
            .get("service_id")
            .parse::<i32>()
            .map_err(|_| "case-error-service")?;
        Ok(super::ops::NewPlacement {
            service_id,
            bed_kind: f.get("bed_kind"),
            emergency: f.checked("emergency"),
            since: f.required_past_date("since")?,
            until: f.past_date("until")?,
        })
    })();
    let input = match input {
        Ok(v) => v,
        Err(key) => {
            return refuse(
                &state,
                shell,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("placements", &f),
            )
            .await;
        }
    };
    let txn = state.db.begin().await?;
    match super::ops::place(&state, &txn, &me.actor, id, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(back(id))
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("placements", &f)).await
        }
    }
}

pub async fn end_placement(
    State(state): State<SharedState>,
    shell: Shell,
    Path(placement_id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let pl = store::placement_by_id(&state.db, placement_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ended_on = match f.required_past_date("until") {
        Ok(d) => d,
        Err(key) => {
            // Drawing the case decides and audits the reading as usual.
            return refuse(
                &state,
                shell,
                pl.case_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("placements/end", &f),
            )
            .await;
        }
    };
    match super::ops::end_placement(&state, &me.actor, placement_id, ended_on).await {
        Ok(pl) => Ok(back(pl.case_id)),
        Err(e) => op_refused(&state, shell, pl.case_id, e, At::new("placements/end", &f)).await,
    }
}

pub async fn add_event(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let on = match f.required_past_date("happened_on") {
        Ok(d) => d,
        Err(key) => {
            return refuse(
                &state,
                shell,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                At::new("events", &f),
            )
            .await;
        }
    };
    let input = super::ops::NewEvent {
        kind: f.get("kind"),
        happened_on: on,
        text: f.text("text", 20_000),
        service_kind: f.opt("service_kind"),
        accompaniment_outcome: f.opt("accompaniment_outcome"),
    };
    let txn = state.db.begin().await?;
    match super::ops::add_event(&state, &txn, &me.actor, id, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(back(id))
        }
        Err(e) => {
            txn.rollback().await?;
            op_refused(&state, shell, id, e, At::new("events", &f)).await
        }
    }
}
