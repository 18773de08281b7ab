//! Referral pages: the desk (to decide, sent, received, and inbound requests from outside),
//! proposing a transfer from a case, the referral's page with its history and actions, the
//! directory of other regions' projects, and the statistics.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::entities::{counterpart, event, referral};
use super::report::{self, ReferralReport};
use super::rules::{self, Package, Party, Status};
use super::store::{self, ReferralError};
use crate::identity::session::StaffView;
use crate::platform::policy::Action;
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

pub use super::ops::NEEDED_SERVICES;

fn staff(shell: &Shell) -> Result<(StaffView, i32), AppError> {
    let s = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = s.actor.organisation_id.ok_or(AppError::Forbidden)?;
    Ok((s, org))
}

fn today() -> NaiveDate {
    crate::platform::time::rome_today()
}

fn internal(e: ReferralError) -> AppError {
    match e {
        ReferralError::Db(d) => AppError::from(d),
        _ => AppError::Internal("referral"),
    }
}

pub struct Row {
    pub id: i32,
    pub created: NaiveDate,
    pub ours: &'static str,
    pub counterpart: String,
    pub status: String,
    pub needed: String,
    pub urgent: bool,
    pub to_decide: bool,
}

/// Names the other side of a referral as the viewer sees it.
async fn counterpart_label(
    state: &SharedState,
    shell: &Shell,
    r: &referral::Model,
    org: i32,
) -> Result<String, AppError> {
    let other = if r.sender_org == Some(org) {
        r.receiver_org
    } else {
        r.sender_org
    };
    Ok(match (r.counterpart_kind.as_str(), other) {
        ("network_org", Some(o)) => crate::network::organisation(&state.db, o)
            .await?
            .map(|o| o.name)
            .unwrap_or_default(),
        ("other_region", _) => match r.counterpart_id {
            Some(id) => store::counterparts(&state.db)
                .await?
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| format!("{} ({})", c.name, c.region))
                .unwrap_or_default(),
            None => shell.label("referral-counterpart", "other_region"),
        },
        (kind, _) => shell.label("referral-counterpart", kind),
    })
}

// ---------- the desk ----------

#[derive(Template, WebTemplate)]
#[template(path = "referrals/templates/desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub rows: Vec<Row>,
    pub directory: Vec<counterpart::Model>,
    pub today: NaiveDate,
}

async fn desk_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<DeskPage, AppError> {
    let (_, org) = staff(&shell)?;
    let mut rows = Vec::new();
    for r in store::for_org(&state.db, org).await? {
        let parties = rules::parties(r.sender_org, r.receiver_org, r.recorded_by_org, org);
        let status = Status::from_code(&r.status).unwrap_or(Status::Proposed);
        let to_decide = status == Status::Proposed && parties.contains(&Party::Receiver);
        rows.push(Row {
            id: r.id,
            created: crate::platform::time::rome_date(r.created_at),
            ours: if r.sender_org == Some(org) {
                "sent"
            } else {
                "received"
            },
            counterpart: counterpart_label(state, &shell, &r, org).await?,
            status: shell.label("referral-status", &r.status),
            needed: shell.label("service-kind", &r.needed_service),
            urgent: r.urgency == "urgent",
            to_decide,
        });
    }
    rows.sort_by_key(|r| !r.to_decide);
    let directory = store::counterparts(&state.db)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .collect();
    Ok(DeskPage {
        shell,
        error,
        rows,
        directory,
        today: today(),
    })
}

pub async fn desk(State(state): State<SharedState>, shell: Shell) -> Result<DeskPage, AppError> {
    desk_page(&state, shell, None).await
}

async fn invalid(state: &SharedState, shell: Shell, key: &str) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        desk_page(state, shell, error).await?,
    )
        .into_response())
}

/// Reads the package fields typed on the inbound form.
fn typed_package(f: &Fields) -> Result<Package, &'static str> {
    let gender = f.get("gender");
    if !crate::cases::rules::GENDERS.contains(&gender.as_str()) {
        return Err("error-400");
    }
    let birth_year = crate::cases::rules::birth_year(&f.get("birth_year"), today())?;
    let forms = crate::cases::rules::codes(
        &f.all("exploitation_forms"),
        crate::cases::rules::EXPLOITATION_FORMS,
    )?;
    let text = |name: &str, max: usize| Some(f.text(name, max)).filter(|t| !t.is_empty());
    Ok(Package {
        names: text("names", 200),
        gender: Some(gender),
        birth_year,
        nationalities: Some(crate::cases::rules::iso_codes(&f.get("nationalities"))?),
        languages: Some(crate::cases::rules::iso_codes(&f.get("languages"))?),
        exploitation_forms: Some(forms),
        vulnerabilities: text("vulnerabilities", 2000),
        phone: text("phone", 40),
    })
}

/// `POST /referrals/inbound`: a transfer request received from the national hotline or from
/// another region's project, with the person's consent as the sender recorded it.
pub async fn create_inbound(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, _) = staff(&shell)?;
    let f = Fields::parse(&body);
    let read = (|| -> Result<super::ops::Inbound, &'static str> {
        Ok(super::ops::Inbound {
            counterpart_kind: f.get("counterpart_kind"),
            counterpart_id: f.get("counterpart_id").parse().ok(),
            consent: f.checked("consent"),
            consent_on: Some(f.required_date("consent_on")?),
            reason: f.get("reason"),
            needed_service: f.get("needed_service"),
            urgency: f.get("urgency"),
            package: typed_package(&f)?,
        })
    })();
    let input = match read {
        Ok(v) => v,
        Err(k) => return invalid(&state, shell, k).await,
    };
    let txn = state.db.begin().await?;
    let r = match super::ops::record_inbound(&state, &txn, &me.actor, &input).await {
        Ok(r) => r,
        Err(super::ops::ReferralOpError::Access(e) | super::ops::ReferralOpError::Failed(e)) => {
            return Err(e);
        }
        Err(e) => {
            txn.rollback().await?;
            return invalid(&state, shell, e.message_key()).await;
        }
    };
    txn.commit().await?;
    Ok(Redirect::to(&format!("/referrals/{}", r.id)).into_response())
}

// ---------- proposing a transfer from a case ----------

#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    case: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "referrals/templates/new.html")]
pub struct NewPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub case_id: i32,
    pub person_code: String,
    pub has_consent: bool,
    pub organisations: Vec<(i32, String)>,
    pub directory: Vec<counterpart::Model>,
}

async fn new_page(
    state: &SharedState,
    shell: Shell,
    case_id: i32,
    error: Option<String>,
) -> Result<NewPage, AppError> {
    let (me, org) = staff(&shell)?;
    let (case, person, _) = crate::cases::guard(state, &me.actor, case_id, Action::Read).await?;
    // Any consent to transfer in force (one given for a specific organisation is checked
    // against the receiver when the proposal is sent).
    let has_consent = crate::cases::consents(&state.db, case.id)
        .await?
        .iter()
        .any(|c| {
            c.purpose == "transfer"
                && c.withdrawn_on.is_none()
                && c.expires_on.is_none_or(|e| e >= today())
        });
    let organisations = crate::network::organisations(&state.db)
        .await?
        .into_iter()
        .filter(|o| o.id != org)
        .map(|o| (o.id, o.name))
        .collect();
    let directory = store::counterparts(&state.db)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .collect();
    Ok(NewPage {
        shell,
        error,
        case_id: case.id,
        person_code: person.code,
        has_consent,
        organisations,
        directory,
    })
}

pub async fn new_outbound(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<NewQuery>,
) -> Result<NewPage, AppError> {
    let case_id: i32 = q.case.parse().map_err(|_| AppError::NotFound)?;
    new_page(&state, shell, case_id, None).await
}

/// `POST /referrals/outbound`: a case worker proposes to transfer a person to another
/// organisation of the network, the national hotline or another region's project. Needs the
/// person's consent to transfer in force; carries only the configured package.
pub async fn create_outbound(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, _) = staff(&shell)?;
    let f = Fields::parse(&body);
    let case_id: i32 = f.get("case_id").parse().map_err(|_| AppError::NotFound)?;
    let input = super::ops::Proposal {
        case_id,
        counterpart_kind: f.get("counterpart_kind"),
        receiver_org: f.get("receiver_org").parse().ok(),
        counterpart_id: f.get("counterpart_id").parse().ok(),
        reason: f.get("reason"),
        needed_service: f.get("needed_service"),
        urgency: f.get("urgency"),
    };
    let txn = state.db.begin().await?;
    match super::ops::propose(&state, &txn, &me.actor, &input).await {
        Ok(r) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/referrals/{}", r.id)).into_response())
        }
        Err(super::ops::ReferralOpError::Access(e) | super::ops::ReferralOpError::Failed(e)) => {
            Err(e)
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                new_page(&state, shell, case_id, error).await?,
            )
                .into_response())
        }
    }
}

// ---------- one referral ----------

pub struct HistoryRow {
    pub at: String,
    pub status: String,
    pub organisation: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "referrals/templates/show.html")]
pub struct ShowPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub r: referral::Model,
    pub counterpart: String,
    pub ours: &'static str,
    pub history: Vec<HistoryRow>,
    pub package: Option<Package>,
    /// The states this viewer may move the referral to.
    pub actions: Vec<&'static str>,
    /// The viewer's own case for this person (sending or opened), to link to.
    pub own_case: Option<i32>,
}

use super::ops::visible;

async fn show_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
) -> Result<ShowPage, AppError> {
    let (me, org) = staff(&shell)?;
    let r = visible(state, org, id).await?;
    let parties = rules::parties(r.sender_org, r.receiver_org, r.recorded_by_org, org);
    let status = Status::from_code(&r.status).unwrap_or(Status::Proposed);
    let package = super::ops::read_package(state, &me.actor, org, &r).await?;
    let actions = Status::ALL
        .into_iter()
        .filter(|to| {
            parties
                .iter()
                .any(|p| rules::transition(status, *to, *p, Some("x")).is_ok())
        })
        .map(Status::code)
        .collect();
    let orgs = crate::network::organisations(&state.db).await?;
    let history = store::history(&state.db, r.id)
        .await?
        .into_iter()
        .map(|e: event::Model| HistoryRow {
            at: crate::platform::time::rome_time_zoned(&e.at),
            status: shell.label("referral-status", &e.status),
            organisation: orgs
                .iter()
                .find(|o| o.id == e.by_org)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            note: store::opened_note(&state.keys, &e).unwrap_or_default(),
        })
        .collect();
    let own_case = if r.sender_org == Some(org) {
        r.case_id
    } else if r.receiver_org == Some(org) {
        r.opened_case_id
    } else {
        None
    };
    Ok(ShowPage {
        counterpart: counterpart_label(state, &shell, &r, org).await?,
        ours: if r.sender_org == Some(org) {
            "sent"
        } else {
            "received"
        },
        shell,
        error,
        history,
        package,
        actions,
        own_case,
        r: store::opened(&state.keys, r).map_err(internal)?,
    })
}

pub async fn show(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ShowPage, AppError> {
    show_page(&state, shell, id, None).await
}

/// `POST /referrals/{id}/status`: accept, refuse (with a reason), withdraw or complete.
pub async fn change_status(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    visible(&state, org, id).await?;
    let f = Fields::parse(&body);
    let fail = |shell: Shell, status: StatusCode, key: &'static str| {
        let state = state.clone();
        async move {
            let error = Some(shell.t(key));
            Ok::<Response, AppError>(
                (status, show_page(&state, shell, id, error).await?).into_response(),
            )
        }
    };
    let Some(to) = Status::from_code(&f.get("to")) else {
        return fail(
            shell,
            StatusCode::UNPROCESSABLE_ENTITY,
            "referral-error-transition",
        )
        .await;
    };
    let change = super::ops::StatusChange {
        to,
        note: Some(f.text("note", 2000)),
        version: f.get("version").parse().unwrap_or(-1),
    };
    use super::ops::ReferralOpError as E;
    match super::ops::change_status(&state, &me.actor, id, &change).await {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
        Err(E::Access(e) | E::Failed(e)) => Err(e),
        Err(E::Stale) => fail(shell, StatusCode::CONFLICT, "referral-error-conflict").await,
        Err(e) => fail(shell, StatusCode::UNPROCESSABLE_ENTITY, e.message_key()).await,
    }
}

// ---------- the directory ----------

#[derive(Template, WebTemplate)]
#[template(path = "referrals/templates/counterparts.html")]
pub struct CounterpartsPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub list: Vec<counterpart::Model>,
}

pub async fn counterparts(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<CounterpartsPage, AppError> {
    Ok(CounterpartsPage {
        list: store::counterparts(&state.db).await?,
        shell,
        error: None,
    })
}

pub async fn add_counterpart(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, _) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let done = super::ops::add_counterpart(
        &state,
        &txn,
        &me.actor,
        &f.get("name"),
        &f.get("region"),
        &f.get("contact"),
    )
    .await;
    match done {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to("/referrals/counterparts").into_response())
        }
        Err(super::ops::ReferralOpError::Access(e) | super::ops::ReferralOpError::Failed(e)) => {
            Err(e)
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            let list = store::counterparts(&state.db).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                CounterpartsPage { shell, error, list },
            )
                .into_response())
        }
    }
}

// ---------- statistics ----------

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn period(q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), &'static str> {
    let t = today();
    crate::platform::web::form::period(&q.from, &q.to, t - Duration::days(365), t)
}

pub async fn load_report(
    db: &impl sea_orm::ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ReferralReport, sea_orm::DbErr> {
    // Italian days: 00:00–24:00 in Rome.
    let (start, end) = crate::platform::time::rome_days(from, to);
    let created = store::created_in(db, start, end).await?;
    let events = store::events_in(db, start, end).await?;
    let all = store::all(db).await?;
    Ok(report::build(&created, &events, &all))
}

#[derive(Template, WebTemplate)]
#[template(path = "referrals/templates/stats.html")]
pub struct StatsPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub report: ReferralReport,
}

impl StatsPage {
    pub fn n(&self, v: &i64) -> String {
        crate::stats::shown(*v)
    }

    pub fn share(&self, c: &report::Counts) -> String {
        c.published_share()
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "—".into())
    }

    pub fn value_label(&self, dim: &str, value: &str) -> String {
        match dim {
            "direction" => self.shell.label("referral-direction", value),
            "counterpart" => self.shell.label("referral-counterpart", value),
            _ => value.to_owned(),
        }
    }
}

pub async fn stats(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (status, error, (from, to)) = match period(&q) {
        Ok(p) => (StatusCode::OK, None, p),
        Err(k) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(shell.t(k)),
            (today() - Duration::days(365), today()),
        ),
    };
    let report = load_report(&state.db, from, to).await?;
    Ok((
        status,
        StatsPage {
            shell,
            error,
            from,
            to,
            report,
        },
    )
        .into_response())
}

/// The referral figures as a spreadsheet user reads them: headers, dimensions and values in the
/// page's language with the code beside each value, the period on every row (no comment line a
/// spreadsheet would take for data), small counts hidden as on the page.
pub fn labelled_csv(
    r: &report::ReferralReport,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    shell: &Shell,
) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |_| AppError::Internal("writing the CSV");
    w.write_record([
        shell.t("stats-csv-from"),
        shell.t("stats-csv-to"),
        shell.t("stats-csv-dimension"),
        shell.t("stats-csv-value"),
        shell.t("stats-csv-code"),
        shell.t("referral-stat-opened"),
        shell.t("referral-stat-accepted"),
        shell.t("referral-stat-refused"),
        shell.t("referral-stat-completed"),
        shell.t("referral-stat-withdrawn"),
        shell.t("referral-stat-positive"),
    ])
    .map_err(fail)?;
    let (from, to) = (from.to_string(), to.to_string());
    let n = crate::stats::shown;
    let mut row = |dimension: String, value: String, code: &str, c: &report::Counts| {
        w.write_record([
            from.clone(),
            to.clone(),
            dimension,
            value,
            code.to_owned(),
            n(c.opened),
            n(c.accepted),
            n(c.refused),
            n(c.completed),
            n(c.withdrawn),
            c.published_share()
                .map(|p| format!("{p}%"))
                .unwrap_or_default(),
        ])
    };
    row(shell.t("referral-total"), String::new(), "", &r.total).map_err(fail)?;
    for ((dim, value), c) in &r.by {
        let label = match dim.as_str() {
            "direction" => shell.label("referral-direction", value),
            "counterpart" => shell.label("referral-counterpart", value),
            _ => value.clone(),
        };
        row(shell.label("referral-dim", dim), label, value, c).map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|_| AppError::Internal("writing the CSV"))?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal("writing the CSV"))
}

pub async fn stats_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (from, to) = match period(&q) {
        Ok(p) => p,
        Err(k) => return Ok((StatusCode::UNPROCESSABLE_ENTITY, shell.t(k)).into_response()),
    };
    let report = load_report(&state.db, from, to).await?;
    Ok(crate::platform::web::download(
        labelled_csv(&report, from, to, &shell)?,
        "text/csv; charset=utf-8",
        "satis-referrals.csv",
    ))
}
