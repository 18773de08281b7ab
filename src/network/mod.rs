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
    beds_of, create_organisation, names, organisation, organisation_by_name, organisations,
    service, services, services_of, trainings,
};

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
