//! Street units and drop-in desks (seed 004): outings with their tallies and anonymous
//! contacts, observations of the phenomenon per place, drop-in interviews, accompaniments
//! (one record type for every source), an outing form that works offline, and the period
//! report.

pub mod api;
pub mod entities;
pub mod pages;
pub mod report;
pub mod rules;
pub mod store;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let outreach = Access::Permission(Permission::Outreach);
    let report = Access::Permission(Permission::OutreachReport);
    Routes::new()
        .get("/outreach", outreach, pages::desk)
        .get("/outreach/outings/new", outreach, pages::new_outing)
        .post("/outreach/outings", outreach, pages::create_outing)
        .get("/outreach/outings/{id}", outreach, pages::show_outing)
        .post("/outreach/places", outreach, pages::add_place)
        .post("/outreach/places/{id}", outreach, pages::update_place)
        .get("/outreach/contacts", outreach, pages::find_contact)
        .get("/outreach/contacts/{id}", outreach, pages::show_contact)
        .post(
            "/outreach/contacts/{id}/link",
            outreach,
            pages::link_contact,
        )
        .post("/outreach/interviews", outreach, pages::create_interview)
        .post(
            "/outreach/accompaniments",
            outreach,
            pages::create_accompaniment,
        )
        .get("/outreach/report", report, pages::report)
        .get("/outreach/report.csv", report, pages::report_csv)
        .get("/outreach/sw.js", Access::Public, pages::service_worker)
}
