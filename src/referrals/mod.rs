//! Referrals (messe in rete, domain.md §2.2): transfers of a person between the Tuscan
//! network's organisations, the national hotline and other regions' projects, with an
//! explicit state machine, the person's consent to transfer, the minimum data package
//! (configurable per counterpart kind, seen by the receiver only once accepted), and their
//! statistics.

pub mod api;
pub mod entities;
pub mod ops;
pub mod pages;
pub mod report;
pub mod rules;
pub mod store;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let referrals = Access::Permission(Permission::Referrals);
    Routes::new()
        .get("/referrals", referrals, pages::desk)
        .get("/referrals/new", referrals, pages::new_outbound)
        .post("/referrals/outbound", referrals, pages::create_outbound)
        .post("/referrals/inbound", referrals, pages::create_inbound)
        .get(
            "/referrals/counterparts",
            Access::Permission(Permission::ManageUsers),
            pages::counterparts,
        )
        .post(
            "/referrals/counterparts",
            Access::Permission(Permission::ManageUsers),
            pages::add_counterpart,
        )
        .get("/referrals/{id}", referrals, pages::show)
        .post("/referrals/{id}/status", referrals, pages::change_status)
        .get(
            "/stats/referrals",
            Access::Permission(Permission::ReadAggregates),
            pages::stats,
        )
        .get(
            "/stats/referrals.csv",
            Access::Permission(Permission::ReadAggregates),
            pages::stats_csv,
        )
}
