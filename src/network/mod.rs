//! The network registry (rete): organisations, governance roles, services and beds,
//! local-network meetings, training events, and the public page "La rete in Toscana".

pub mod api;
pub mod entities;
pub mod ops;
pub mod pages;
pub mod rules;
pub mod store;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

/// What other areas may ask the registry (its published queries).
pub use entities::organisation::Model as Organisation;
pub use entities::service::Model as Service;
pub use entities::training::Model as Training;
pub use store::{
    beds_held, beds_of, beds_of_services, create_organisation, names, organisation,
    organisation_by_name, organisations, registry_version_expr, service, services, services_of,
    trainings,
};

/// The organisations (by name) and services (by province, then name) of the registry, as an
/// instance keeps them in memory between two changes (`registry`). Services are kept without
/// their sealed address (`address_enc` is `None`; a key rotation re-seals it in the database
/// without changing the registry): read one with `service` to show it.
#[derive(Debug)]
pub struct Registry {
    pub organisations: Vec<Organisation>,
    pub services: Vec<Service>,
}

impl Registry {
    /// Organisation names by id.
    pub fn names(&self) -> std::collections::BTreeMap<i32, String> {
        self.organisations
            .iter()
            .map(|o| (o.id, o.name.clone()))
            .collect()
    }

    pub fn organisation(&self, id: i32) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }
}

/// The registry at its current version: read again from the database only when an
/// organisation or a service was added or changed since this instance last read it (by any
/// instance: the version is in the database, changed in the writing transaction). `known` is
/// the version if the caller already read it in a query of its own (`registry_version_expr`,
/// e.g. with the session); otherwise it is read here, one single-row query.
pub async fn registry(
    state: &crate::platform::web::AppState,
    known: Option<i64>,
) -> Result<std::sync::Arc<Registry>, sea_orm::DbErr> {
    let version = match known {
        Some(v) => v,
        None => store::registry_version(&state.db).await?,
    };
    if let Some(kept) = state.registry.get::<Registry>(version) {
        return Ok(kept);
    }
    // Read after the version: a change committed meanwhile gives a newer version, so the
    // next request reads again rather than keeping these rows under a version they outlive.
    let (organisations, mut services) =
        tokio::try_join!(store::organisations(&state.db), store::services(&state.db))?;
    for s in &mut services {
        s.address_enc = None;
    }
    let registry = std::sync::Arc::new(Registry {
        organisations,
        services,
    });
    state.registry.put(version, registry.clone());
    Ok(registry)
}

pub fn routes() -> Routes {
    let edit = Access::Permission(Permission::EditNetwork);
    let meet = Access::Permission(Permission::RecordMeetings);
    Routes::new()
        .get("/rete", Access::Public, pages::public)
        .get("/network", Access::SignedIn, pages::overview)
        .get(
            "/network/organisations/{id}",
            Access::SignedIn,
            pages::organisation,
        )
        .post(
            "/network/organisations/{id}",
            edit,
            pages::update_organisation,
        )
        .post("/network/organisations/{id}/roles", edit, pages::add_role)
        .post("/network/roles/{id}/end", edit, pages::end_role)
        .get("/network/services", Access::SignedIn, pages::services)
        .post("/network/services", edit, pages::add_service)
        .get("/network/services/{id}", edit, pages::service_form)
        .post("/network/services/{id}", edit, pages::update_service)
        .get("/network/meetings", Access::SignedIn, pages::meetings)
        .post("/network/meetings", meet, pages::add_meeting)
        .get("/network/training", Access::SignedIn, pages::training)
        .post("/network/training", meet, pages::add_training)
}
