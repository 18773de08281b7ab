//! The registry's operations served by the network pages and the API alike: a service with
//! its beds, and its hours, languages, beds and activity changed. Each decides the province
//! rule (administrators everywhere, territorial coordinators in their province), checks
//! through `rules`, writes and audits in one transaction.

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::entities::service;
use super::{rules, store};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Actor, Permission, may_act_in_province};
use crate::platform::web::{AppError, SharedState};

/// Why a registry operation did not happen.
#[derive(Debug)]
pub enum NetworkOpError {
    /// A field is wrong: its message key and the field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    /// Refused (another province) or not found, or the database failed.
    Failed(AppError),
}

impl NetworkOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            NetworkOpError::Invalid { key, .. } => key,
            NetworkOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for NetworkOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        NetworkOpError::Failed(e.into())
    }
}

fn invalid(key: &'static str, field: &'static str) -> NetworkOpError {
    NetworkOpError::Invalid { key, field }
}

/// Beds per kind, as typed: each of [`rules::BED_KINDS`] with its count (absent is none).
pub type BedCounts = Vec<(String, String)>;

fn counts(beds: &BedCounts) -> Result<Vec<(&'static str, i32)>, NetworkOpError> {
    if beds
        .iter()
        .any(|(k, _)| !rules::BED_KINDS.contains(&k.as_str()))
    {
        return Err(invalid("error-400", "beds"));
    }
    let mut out = Vec::new();
    for kind in rules::BED_KINDS {
        let raw = beds
            .iter()
            .find(|(k, _)| k == kind)
            .map_or("", |(_, n)| n.as_str());
        out.push((
            *kind,
            rules::bed_count(raw).map_err(|k| invalid(k, "beds"))?,
        ));
    }
    Ok(out)
}

/// A service of the registry, as typed on the page or sent to the API.
#[derive(Clone, Debug, Default)]
pub struct NewService {
    pub organisation_id: Option<i32>,
    /// One of [`rules::SERVICE_KINDS`].
    pub kind: String,
    pub name: String,
    pub province: String,
    pub hours: String,
    pub languages: String,
    pub itinerant: bool,
    /// Sealed at rest and shown only to the roles that may see shelter addresses.
    pub address: String,
    pub beds: BedCounts,
}

/// Adds a service with its beds to an organisation, in a province the actor may edit.
pub async fn add_service<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    input: &NewService,
) -> Result<service::Model, NetworkOpError> {
    let org_id = input
        .organisation_id
        .ok_or(invalid("admin-error-org", "organisation_id"))?;
    store::organisation(&state.db, org_id)
        .await?
        .ok_or(invalid("admin-error-org", "organisation_id"))?;
    if !rules::SERVICE_KINDS.contains(&input.kind.as_str()) {
        return Err(invalid("network-error-service-kind", "kind"));
    }
    let name = rules::required_text(&input.name, 200).map_err(|k| invalid(k, "name"))?;
    let province = rules::province(&input.province).map_err(|k| invalid(k, "province"))?;
    if !may_act_in_province(actor, Permission::EditNetwork, province.as_deref()) {
        return Err(invalid("network-error-other-province", "province"));
    }
    let counts = counts(&input.beds)?;
    let address: String = input.address.trim().chars().take(300).collect();
    let address_enc = if address.is_empty() {
        None
    } else {
        Some(
            state
                .keys
                .encrypt_str(store::SERVICE_ADDRESS, &address)
                .map_err(|_| NetworkOpError::Failed(AppError::Internal("sealing an address")))?,
        )
    };
    let hours: String = input.hours.trim().chars().take(500).collect();
    let languages: String = input.languages.trim().chars().take(200).collect();
    let s = store::add_service(
        txn,
        org_id,
        &input.kind,
        &name,
        province,
        &hours,
        &languages,
        input.itinerant,
        address_enc,
        &counts,
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "service.create", "organisation")
            .record(org_id)
            .reason(format!("{}: {}", input.kind, s.name)),
    )
    .await?;
    Ok(s)
}

/// A service the actor may edit (its province's rule), or refused.
pub async fn editable_service(
    state: &SharedState,
    actor: &Actor,
    id: i32,
) -> Result<service::Model, AppError> {
    let service = store::service(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_act_in_province(actor, Permission::EditNetwork, service.province.as_deref()) {
        return Err(AppError::Forbidden);
    }
    Ok(service)
}

/// What changes on a service: its hours, languages, beds and whether it is active.
#[derive(Clone, Debug, Default)]
pub struct ServiceChange {
    pub hours: String,
    pub languages: String,
    pub active: bool,
    pub beds: BedCounts,
}

/// Changes a service the actor may edit.
pub async fn update_service<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    id: i32,
    change: &ServiceChange,
) -> Result<(), NetworkOpError> {
    let service = editable_service(state, actor, id)
        .await
        .map_err(NetworkOpError::Failed)?;
    let counts = counts(&change.beds)?;
    let org_id = service.organisation_id;
    let summary = counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let name = service.name.clone();
    store::update_service(
        txn,
        service,
        change.hours.trim().chars().take(500).collect(),
        change.languages.trim().chars().take(200).collect(),
        change.active,
        &counts,
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "service.update", "organisation")
            .record(org_id)
            .reason(format!("{name}: {summary}")),
    )
    .await?;
    Ok(())
}

/// What changes on an organisation, as typed on its page.
#[derive(Clone, Debug, Default)]
pub struct OrganisationEdit {
    pub kind: String,
    pub province: String,
    pub is_public: bool,
    pub register_section2: bool,
    pub register_number: String,
    /// Only an administrator (who edits the whole region) sets it; anyone else's edit keeps
    /// the organisation's flag as it is.
    pub excluded_from_stats: bool,
}

/// Changes an organisation of a province the actor may edit, without moving it out of that
/// province.
pub async fn update_organisation<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    id: i32,
    edit: &OrganisationEdit,
) -> Result<(), NetworkOpError> {
    let org = store::organisation(&state.db, id)
        .await?
        .ok_or(NetworkOpError::Failed(AppError::NotFound))?;
    if !may_act_in_province(actor, Permission::EditNetwork, org.province.as_deref()) {
        return Err(NetworkOpError::Failed(AppError::Forbidden));
    }
    let province = rules::province(&edit.province).map_err(|k| invalid(k, "province"))?;
    if !may_act_in_province(actor, Permission::EditNetwork, province.as_deref()) {
        return Err(invalid("network-error-other-province", "province"));
    }
    if !crate::identity::ops::ORG_KINDS.contains(&edit.kind.as_str()) {
        return Err(invalid("admin-error-org-kind", "kind"));
    }
    let number: String = edit.register_number.trim().chars().take(40).collect();
    let excluded = if may_act_in_province(actor, Permission::EditNetwork, None) {
        edit.excluded_from_stats
    } else {
        org.excluded_from_stats
    };
    // The statistics' summaries hold counts by the province records count in, without the
    // organisations kept out of statistics: either changing moves counts.
    let moves_counts = province != org.province || excluded != org.excluded_from_stats;
    let change = store::OrganisationChange {
        kind: edit.kind.clone(),
        province: province.clone(),
        is_public: edit.is_public,
        register_section2: edit.register_section2,
        register_number: Some(number).filter(|n| !n.is_empty()),
        excluded_from_stats: excluded,
    };
    store::update_organisation(txn, org, change).await?;
    if moves_counts {
        crate::stats::registry_moved(txn).await?;
    }
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "organisation.update", "organisation")
            .record(id)
            .reason(format!(
                "{}, {}{}",
                edit.kind,
                province.unwrap_or_else(|| "—".into()),
                if excluded {
                    ", excluded from statistics"
                } else {
                    ""
                }
            )),
    )
    .await?;
    Ok(())
}

/// A governance role of an organisation from a day (entered).
#[derive(Clone, Debug, Default)]
pub struct NewRole {
    pub kind: String,
    pub province: String,
    pub since: String,
}

/// Gives an organisation a governance role, both in provinces the actor may edit.
pub async fn add_role<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    organisation_id: i32,
    input: &NewRole,
) -> Result<super::entities::governance_role::Model, NetworkOpError> {
    let org = store::organisation(&state.db, organisation_id)
        .await?
        .ok_or(NetworkOpError::Failed(AppError::NotFound))?;
    let province =
        rules::governance_role(&input.kind, &input.province).map_err(|k| invalid(k, "kind"))?;
    if !may_act_in_province(actor, Permission::EditNetwork, province.as_deref())
        || !may_act_in_province(actor, Permission::EditNetwork, org.province.as_deref())
    {
        return Err(invalid("network-error-other-province", "province"));
    }
    let since = rules::date(&input.since).map_err(|k| invalid(k, "since"))?;
    let role = store::add_role(txn, organisation_id, &input.kind, province.clone(), since).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "governance_role.add", "organisation")
            .record(organisation_id)
            .reason(format!(
                "{} {} since {since}",
                input.kind,
                province.unwrap_or_default()
            )),
    )
    .await?;
    Ok(role)
}

/// Ends a governance role on the day entered (kept in the history): not before it began, not
/// in the future. Returns the organisation it belonged to.
pub async fn end_role<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    role_id: i32,
    until: &str,
) -> Result<i32, NetworkOpError> {
    let role = store::role(&state.db, role_id)
        .await?
        .ok_or(NetworkOpError::Failed(AppError::NotFound))?;
    let org = store::organisation(&state.db, role.organisation_id)
        .await?
        .ok_or(NetworkOpError::Failed(AppError::NotFound))?;
    if !may_act_in_province(actor, Permission::EditNetwork, role.province.as_deref())
        || !may_act_in_province(actor, Permission::EditNetwork, org.province.as_deref())
    {
        return Err(NetworkOpError::Failed(AppError::Forbidden));
    }
    let day = rules::date(until).map_err(|k| invalid(k, "until"))?;
    if day < role.since || day > crate::platform::time::rome_today() {
        return Err(invalid("network-error-role-end", "until"));
    }
    store::end_role(txn, role_id, day).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "governance_role.end", "organisation")
            .record(role.organisation_id)
            .reason(format!(
                "{} {} until {day}",
                role.kind,
                role.province.unwrap_or_default()
            )),
    )
    .await?;
    Ok(role.organisation_id)
}

/// A local-network meeting, as typed.
#[derive(Clone, Debug, Default)]
pub struct MeetingDraft {
    pub province: String,
    pub convener_id: Option<i32>,
    pub held_on: String,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    pub invited: Vec<i32>,
    pub present: Vec<i32>,
}

/// Records a meeting of a province's local network the actor may record meetings for.
pub async fn add_meeting<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    d: &MeetingDraft,
) -> Result<super::entities::meeting::Model, NetworkOpError> {
    let province = rules::province(&d.province)
        .map_err(|k| invalid(k, "province"))?
        .ok_or(invalid("network-error-province", "province"))?;
    if !may_act_in_province(actor, Permission::RecordMeetings, Some(&province)) {
        return Err(invalid("network-error-other-province", "province"));
    }
    let convener_id = d
        .convener_id
        .ok_or(invalid("network-error-convener", "convener_id"))?;
    store::organisation(&state.db, convener_id)
        .await?
        .ok_or(invalid("network-error-convener", "convener_id"))?;
    let m = store::NewMeeting {
        province,
        convener_id,
        held_on: rules::date(&d.held_on).map_err(|k| invalid(k, "held_on"))?,
        agenda: rules::required_text(&d.agenda, 5000).map_err(|k| invalid(k, "agenda"))?,
        minutes: d.minutes.trim().chars().take(20000).collect(),
        decisions: d.decisions.trim().chars().take(5000).collect(),
        invited: d.invited.clone(),
        present: d.present.clone(),
    };
    let row = store::add_meeting(txn, &m, actor.user_id).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "meeting.create", "meeting")
            .record(row.id)
            .reason(format!("{} {}", m.province, m.held_on)),
    )
    .await?;
    Ok(row)
}

/// A training event of the network, as typed.
#[derive(Clone, Debug, Default)]
pub struct TrainingDraft {
    pub title: String,
    pub place: String,
    pub held_on: String,
    pub organisations: String,
    pub participants: String,
}

/// Records a training event.
pub async fn add_training<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    d: &TrainingDraft,
) -> Result<super::entities::training::Model, NetworkOpError> {
    let participants = rules::bed_count(&d.participants)
        .map_err(|_| invalid("network-error-participants", "participants"))?;
    let title = rules::required_text(&d.title, 200).map_err(|k| invalid(k, "title"))?;
    let place = rules::required_text(&d.place, 200).map_err(|k| invalid(k, "place"))?;
    let held_on = rules::date(&d.held_on).map_err(|k| invalid(k, "held_on"))?;
    let orgs: String = d.organisations.trim().chars().take(2000).collect();
    let t = store::add_training(txn, &title, &place, held_on, &orgs, participants).await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "training.create", "training").record(t.id),
    )
    .await?;
    Ok(t)
}

/// Opens the shelter addresses of `services` for an actor whose role may see them (`None`
/// otherwise, and nothing is unsealed). The reading is audited once, before anything is
/// unsealed, against `organisation` when the services are one organisation's.
pub async fn read_addresses(
    state: &SharedState,
    actor: &Actor,
    services: &[service::Model],
    organisation: Option<i32>,
) -> Result<Option<std::collections::HashMap<i32, String>>, AppError> {
    if !actor.can(Permission::SeeShelterAddresses) {
        return Ok(None);
    }
    let sealed: Vec<(i32, &Vec<u8>)> = services
        .iter()
        .filter_map(|s| s.address_enc.as_ref().map(|a| (s.id, a)))
        .collect();
    if !sealed.is_empty() {
        let entry = match organisation {
            Some(id) => Entry::new(Some(actor), "service.address.read", "organisation").record(id),
            None => Entry::new(Some(actor), "service.address.read", "network_service"),
        };
        audit::append(&state.db, &state.keys, entry).await?;
    }
    let mut open = std::collections::HashMap::new();
    for (id, a) in sealed {
        let address = state
            .keys
            .decrypt_str(store::SERVICE_ADDRESS, a)
            .map_err(|_| AppError::Internal("service address cannot be decrypted"))?;
        open.insert(id, address);
    }
    Ok(Some(open))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beds_are_counted_per_known_kind_and_a_stranger_kind_is_refused() {
        let typed: BedCounts = vec![("women".into(), "4".into()), ("men".into(), String::new())];
        let c = counts(&typed).unwrap();
        assert!(c.contains(&("women", 4)));
        assert!(c.contains(&("men", 0)));
        assert_eq!(c.len(), rules::BED_KINDS.len());
        let odd: BedCounts = vec![("dogs".into(), "2".into())];
        assert!(matches!(
            counts(&odd),
            Err(NetworkOpError::Invalid { field: "beds", .. })
        ));
        let negative: BedCounts = vec![("women".into(), "-1".into())];
        assert!(counts(&negative).is_err());
    }
}
