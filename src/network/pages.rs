//! Pages of the network registry: the public "La rete in Toscana", and the staff pages to
//! browse and edit organisations, governance roles, services with beds, meetings, training.

use sea_orm::TransactionTrait;
use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::entities::{governance_role, organisation};
use super::{rules, store};
use crate::identity::session::StaffView;
use crate::platform::audit;
use crate::platform::policy::{Permission, may_act_in_province};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

/// Province codes with their names.
pub const PROVINCE_NAMES: &[(&str, &str)] = &[
    ("AR", "Arezzo"),
    ("FI", "Firenze"),
    ("GR", "Grosseto"),
    ("LI", "Livorno"),
    ("LU", "Lucca"),
    ("MS", "Massa-Carrara"),
    ("PI", "Pisa"),
    ("PT", "Pistoia"),
    ("PO", "Prato"),
    ("SI", "Siena"),
];

pub fn province_name(code: &str) -> &'static str {
    PROVINCE_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| n)
}

fn staff(shell: &Shell) -> Result<StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

// ---------- the network as a map: provinces and their roles ----------

pub struct ProvinceView {
    pub code: &'static str,
    pub name: &'static str,
    pub coordinators: Vec<(i32, String)>,
    pub local: Vec<(i32, String)>,
    pub private: Vec<(i32, String)>,
}

impl ProvinceView {
    pub fn has_partnership(&self) -> bool {
        !(self.coordinators.is_empty() && self.local.is_empty() && self.private.is_empty())
    }
}

pub struct NetworkMap {
    pub provinces: Vec<ProvinceView>,
    pub capofila: Vec<(i32, String)>,
    pub coordinamento: Vec<(i32, String)>,
    pub legal: Vec<(i32, String)>,
}

pub async fn network_map(state: &SharedState) -> Result<NetworkMap, AppError> {
    let names = store::names(&state.db).await?;
    let roles = store::current_roles(&state.db).await?;
    let pick = |kind: &str, province: Option<&str>| -> Vec<(i32, String)> {
        roles
            .iter()
            .filter(|r| r.kind == kind && r.province.as_deref() == province)
            .filter_map(|r| {
                names
                    .get(&r.organisation_id)
                    .map(|n| (r.organisation_id, n.clone()))
            })
            .collect()
    };
    Ok(NetworkMap {
        provinces: PROVINCE_NAMES
            .iter()
            .map(|(code, name)| ProvinceView {
                code,
                name,
                coordinators: pick("territorial_coordinator", Some(code)),
                local: pick("local_network", Some(code)),
                private: pick("private_network", Some(code)),
            })
            .collect(),
        capofila: pick("capofila", None),
        coordinamento: pick("coordinamento_unico", None),
        legal: pick("legal_advice", None),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/public.html")]
pub struct PublicPage {
    pub shell: Shell,
    pub map: NetworkMap,
}

/// `GET /rete`: the public page. Names of organisations and their roles only; nothing secret.
pub async fn public(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<PublicPage, AppError> {
    Ok(PublicPage {
        shell,
        map: network_map(&state).await?,
    })
}

#[derive(Deserialize, Default)]
pub struct ProvinceQuery {
    #[serde(default)]
    province: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/overview.html")]
pub struct OverviewPage {
    pub shell: Shell,
    pub map: NetworkMap,
    pub organisations: Vec<organisation::Model>,
    pub province: String,
}

pub async fn overview(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<ProvinceQuery>,
) -> Result<OverviewPage, AppError> {
    let province = rules::province(&q.province)
        .ok()
        .flatten()
        .unwrap_or_default();
    let organisations = store::organisations(&state.db)
        .await?
        .into_iter()
        .filter(|o| province.is_empty() || o.province.as_deref() == Some(province.as_str()))
        .collect();
    Ok(OverviewPage {
        shell,
        map: network_map(&state).await?,
        organisations,
        province,
    })
}

// ---------- one organisation ----------

pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub detail: String,
}

pub struct ServiceRow {
    pub id: i32,
    pub name: String,
    pub kind: String,
    pub organisation: String,
    pub province: String,
    pub hours: String,
    pub languages: String,
    pub itinerant: bool,
    /// (bed kind, capacity, free)
    pub beds: Vec<(String, i32, i32)>,
    pub address: Option<String>,
    pub active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/organisation.html")]
pub struct OrganisationPage {
    pub shell: Shell,
    pub org: organisation::Model,
    pub roles: Vec<governance_role::Model>,
    pub services: Vec<ServiceRow>,
    pub history: Vec<HistoryRow>,
    pub may_edit: bool,
    pub error: Option<String>,
    /// Offered (not assumed) as the day a role ends.
    pub today: String,
}

async fn service_rows(
    state: &SharedState,
    services: Vec<super::entities::service::Model>,
    addresses: Option<&std::collections::HashMap<i32, String>>,
) -> Result<Vec<ServiceRow>, AppError> {
    let names = store::names(&state.db).await?;
    // Free beds = capacity − today's placements (recorded in the cases area), for every
    // listed service in two queries.
    let ids: Vec<i32> = services.iter().map(|s| s.id).collect();
    let (all_beds, taken) = tokio::try_join!(
        store::beds_of_services(&state.db, &ids),
        crate::cases::occupied_beds_of(&state.db, &ids, crate::platform::time::rome_today()),
    )?;
    let mut rows = Vec::new();
    for s in services {
        let beds = all_beds
            .iter()
            .filter(|b| b.service_id == s.id)
            .map(|b| {
                let used = taken
                    .iter()
                    .find(|(id, k, _)| *id == s.id && *k == b.bed_kind)
                    .map_or(0, |(_, _, n)| i32::try_from(*n).unwrap_or(i32::MAX));
                (
                    b.bed_kind.clone(),
                    b.capacity,
                    b.capacity.saturating_sub(used).max(0),
                )
            })
            .collect();
        let address = addresses.and_then(|a| a.get(&s.id).cloned());
        rows.push(ServiceRow {
            id: s.id,
            organisation: names.get(&s.organisation_id).cloned().unwrap_or_default(),
            name: s.name,
            kind: s.kind,
            province: s.province.unwrap_or_default(),
            hours: s.hours,
            languages: s.languages,
            itinerant: s.itinerant,
            beds,
            address,
            active: s.active,
        });
    }
    Ok(rows)
}

async fn organisation_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
) -> Result<OrganisationPage, AppError> {
    let me = staff(&shell)?;
    let org = store::organisation(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let listed = store::services_of(&state.db, id).await?;
    let addresses = super::ops::read_addresses(state, &me.actor, &listed, Some(id)).await?;
    let services = service_rows(state, listed, addresses.as_ref()).await?;
    let history = audit::search(
        &state.db,
        &audit::Filter {
            record_kind: Some("organisation".into()),
            record_id: Some(id.to_string()),
            ..Default::default()
        },
        50,
    )
    .await?
    .into_iter()
    .filter(|e| e.action != "service.address.read")
    .map(|e| HistoryRow {
        at: crate::platform::time::rome_time_zoned(&e.at),
        who: e.actor_username.unwrap_or_else(|| "satis".into()),
        action: e.action,
        detail: e.reason.unwrap_or_default(),
    })
    .collect();
    Ok(OrganisationPage {
        may_edit: may_act_in_province(&me.actor, Permission::EditNetwork, org.province.as_deref()),
        roles: store::roles_of(&state.db, id).await?,
        shell,
        org,
        services,
        history,
        error,
        today: crate::platform::time::rome_today().to_string(),
    })
}

pub async fn organisation(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<OrganisationPage, AppError> {
    organisation_page(&state, shell, id, None).await
}

async fn invalid(
    state: &SharedState,
    shell: Shell,
    id: i32,
    key: &str,
) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        organisation_page(state, shell, id, error).await?,
    )
        .into_response())
}

/// `POST /network/organisations/{id}`: kind, province, public, register details.
pub async fn update_organisation(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let edit = super::ops::OrganisationEdit {
        kind: f.get("kind"),
        province: f.get("province"),
        is_public: f.checked("is_public"),
        register_section2: f.checked("register_section2"),
        register_number: f.get("register_number"),
        excluded_from_stats: f.checked("excluded_from_stats"),
    };
    let txn = state.db.begin().await?;
    let done = super::ops::update_organisation(&state, &txn, &me.actor, id, &edit).await;
    let page = organisation_outcome(&state, shell, id, txn, done.map(|_| id)).await;
    // A province or exclusion changed: the statistics' summaries are rebuilt (committed).
    crate::stats::spawn_summary_build(state.clone());
    page
}

/// Back to the organisation once a registry operation is done, or its page with the message.
async fn organisation_outcome(
    state: &SharedState,
    shell: Shell,
    id: i32,
    txn: sea_orm::DatabaseTransaction,
    done: Result<i32, super::ops::NetworkOpError>,
) -> Result<Response, AppError> {
    match done {
        Ok(org) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/network/organisations/{org}")).into_response())
        }
        Err(super::ops::NetworkOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            invalid(state, shell, id, e.message_key()).await
        }
    }
}

/// `POST /network/organisations/{id}/roles`: a new governance role from a date.
pub async fn add_role(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = super::ops::NewRole {
        kind: f.get("kind"),
        province: f.get("province"),
        since: f.get("since"),
    };
    let txn = state.db.begin().await?;
    let done = super::ops::add_role(&state, &txn, &me.actor, id, &input).await;
    organisation_outcome(&state, shell, id, txn, done.map(|_| id)).await
}

/// `POST /network/roles/{id}/end`: the role ends on the day entered (kept in the history).
pub async fn end_role(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let org = store::role(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?
        .organisation_id;
    let txn = state.db.begin().await?;
    let done = super::ops::end_role(&state, &txn, &me.actor, id, &f.get("until")).await;
    organisation_outcome(&state, shell, org, txn, done).await
}

// ---------- services and beds ----------

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/services.html")]
pub struct ServicesPage {
    pub shell: Shell,
    pub services: Vec<ServiceRow>,
    pub show_address: bool,
    pub may_add: bool,
    pub organisations: Vec<organisation::Model>,
    pub free_total: i32,
    pub error: Option<String>,
}

async fn services_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<ServicesPage, AppError> {
    let me = staff(&shell)?;
    let listed = store::services(&state.db).await?;
    let addresses = super::ops::read_addresses(state, &me.actor, &listed, None).await?;
    let show_address = addresses.is_some();
    let services = service_rows(state, listed, addresses.as_ref()).await?;
    Ok(ServicesPage {
        free_total: services
            .iter()
            .filter(|s| s.active)
            .flat_map(|s| s.beds.iter().map(|b| b.2))
            .sum(),
        show_address,
        may_add: me.actor.can(Permission::EditNetwork),
        organisations: store::organisations(&state.db).await?,
        shell,
        services,
        error,
    })
}

pub async fn services(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<ServicesPage, AppError> {
    services_page(&state, shell, None).await
}

/// The beds typed on a service's form, per kind.
fn typed_beds(f: &Fields) -> super::ops::BedCounts {
    rules::BED_KINDS
        .iter()
        .map(|b| ((*b).to_owned(), f.get(&format!("beds_{b}"))))
        .collect()
}

pub async fn add_service(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = super::ops::NewService {
        organisation_id: f.get("organisation_id").parse().ok(),
        kind: f.get("kind"),
        name: f.get("name"),
        province: f.get("province"),
        hours: f.get("hours"),
        languages: f.get("languages"),
        itinerant: f.checked("itinerant"),
        address: f.get("address"),
        beds: typed_beds(&f),
    };
    let txn = state.db.begin().await?;
    let result = match super::ops::add_service(&state, &txn, &me.actor, &input).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(())
        }
        Err(super::ops::NetworkOpError::Failed(e)) => return Err(e),
        Err(e) => {
            txn.rollback().await?;
            Err(e.message_key())
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to("/network/services").into_response()),
        Err("error-500") => Err(AppError::Internal("saving a service")),
        Err(key) => {
            let error = Some(shell.t(key));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                services_page(&state, shell, error).await?,
            )
                .into_response())
        }
    }
}

// ---------- meetings ----------

pub struct MeetingRow {
    pub province: String,
    pub held_on: String,
    pub convener: String,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    pub invited: Vec<String>,
    pub present: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/meetings.html")]
pub struct MeetingsPage {
    pub shell: Shell,
    pub meetings: Vec<MeetingRow>,
    pub province: String,
    /// Provinces the signed-in person may record meetings for.
    pub my_provinces: Vec<&'static str>,
    pub organisations: Vec<organisation::Model>,
    pub error: Option<String>,
}

async fn meetings_page(
    state: &SharedState,
    shell: Shell,
    province: String,
    error: Option<String>,
) -> Result<MeetingsPage, AppError> {
    let me = staff(&shell)?;
    let names: BTreeMap<i32, String> = store::names(&state.db).await?;
    let mut rows = Vec::new();
    let filter = (!province.is_empty()).then_some(province.as_str());
    for m in store::meetings(&state.db, filter).await? {
        let people = store::participants(&state.db, m.id).await?;
        let name = |id: &i32| names.get(id).cloned().unwrap_or_default();
        rows.push(MeetingRow {
            province: m.province,
            held_on: m.held_on.to_string(),
            convener: name(&m.convener_id),
            agenda: m.agenda,
            minutes: m.minutes,
            decisions: m.decisions,
            invited: people.iter().map(|p| name(&p.organisation_id)).collect(),
            present: people
                .iter()
                .filter(|p| p.present)
                .map(|p| name(&p.organisation_id))
                .collect(),
        });
    }
    Ok(MeetingsPage {
        my_provinces: rules::PROVINCES
            .iter()
            .copied()
            .filter(|p| may_act_in_province(&me.actor, Permission::RecordMeetings, Some(p)))
            .collect(),
        organisations: store::organisations(&state.db).await?,
        shell,
        meetings: rows,
        province,
        error,
    })
}

pub async fn meetings(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<ProvinceQuery>,
) -> Result<MeetingsPage, AppError> {
    let province = rules::province(&q.province)
        .ok()
        .flatten()
        .unwrap_or_default();
    meetings_page(&state, shell, province, None).await
}

pub async fn add_meeting(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let draft = super::ops::MeetingDraft {
        province: f.get("province"),
        convener_id: f.get("convener_id").parse().ok(),
        held_on: f.get("held_on"),
        agenda: f.get("agenda"),
        minutes: f.get("minutes"),
        decisions: f.get("decisions"),
        invited: f.all_ids("invited"),
        present: f.all_ids("present"),
    };
    let txn = state.db.begin().await?;
    match super::ops::add_meeting(&state, &txn, &me.actor, &draft).await {
        Ok(meeting) => {
            txn.commit().await?;
            Ok(
                Redirect::to(&format!("/network/meetings?province={}", meeting.province))
                    .into_response(),
            )
        }
        Err(super::ops::NetworkOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            let province = f.get("province");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                meetings_page(&state, shell, province, error).await?,
            )
                .into_response())
        }
    }
}

// ---------- training ----------

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/training.html")]
pub struct TrainingPage {
    pub shell: Shell,
    pub events: Vec<super::entities::training::Model>,
    pub may_add: bool,
    pub error: Option<String>,
}

async fn training_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<TrainingPage, AppError> {
    let me = staff(&shell)?;
    Ok(TrainingPage {
        may_add: me.actor.can(Permission::RecordMeetings),
        events: store::trainings(&state.db).await?,
        shell,
        error,
    })
}

pub async fn training(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<TrainingPage, AppError> {
    training_page(&state, shell, None).await
}

pub async fn add_training(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let f = Fields::parse(&body);
    let draft = super::ops::TrainingDraft {
        title: f.get("title"),
        place: f.get("place"),
        held_on: f.get("held_on"),
        organisations: f.get("organisations"),
        participants: f.get("participants"),
    };
    let txn = state.db.begin().await?;
    match super::ops::add_training(&state, &txn, &me.actor, &draft).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to("/network/training").into_response())
        }
        Err(super::ops::NetworkOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                training_page(&state, shell, error).await?,
            )
                .into_response())
        }
    }
}

// ---------- editing one service ----------

#[derive(Template, WebTemplate)]
#[template(path = "network/templates/service_edit.html")]
pub struct ServiceEditPage {
    pub shell: Shell,
    pub service: super::entities::service::Model,
    /// (bed kind, capacity)
    pub beds: Vec<(&'static str, i32)>,
    pub error: Option<String>,
}

async fn editable_service(
    state: &SharedState,
    me: &StaffView,
    id: i32,
) -> Result<super::entities::service::Model, AppError> {
    super::ops::editable_service(state, &me.actor, id).await
}

async fn service_edit_page(
    state: &SharedState,
    shell: Shell,
    service: super::entities::service::Model,
    error: Option<String>,
) -> Result<ServiceEditPage, AppError> {
    let current = store::beds_of(&state.db, service.id).await?;
    let beds = rules::BED_KINDS
        .iter()
        .map(|k| {
            let n = current
                .iter()
                .find(|b| b.bed_kind == *k)
                .map_or(0, |b| b.capacity);
            (*k, n)
        })
        .collect();
    Ok(ServiceEditPage {
        shell,
        service,
        beds,
        error,
    })
}

pub async fn service_form(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ServiceEditPage, AppError> {
    let me = staff(&shell)?;
    let service = editable_service(&state, &me, id).await?;
    service_edit_page(&state, shell, service, None).await
}

/// `POST /network/services/{id}`: hours, languages, beds and whether the service is active.
pub async fn update_service(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = staff(&shell)?;
    let service = editable_service(&state, &me, id).await?;
    let f = Fields::parse(&body);
    let change = super::ops::ServiceChange {
        hours: f.get("hours"),
        languages: f.get("languages"),
        active: f.checked("active"),
        beds: typed_beds(&f),
    };
    let txn = state.db.begin().await?;
    match super::ops::update_service(&state, &txn, &me.actor, id, &change).await {
        Ok(()) => txn.commit().await?,
        Err(super::ops::NetworkOpError::Failed(e)) => return Err(e),
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            let page = service_edit_page(&state, shell, service, error).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    }
    Ok(Redirect::to("/network/services").into_response())
}
