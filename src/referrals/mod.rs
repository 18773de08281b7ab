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

/// The referrals an organisation sends, receives or recorded (the deadline engine reads them).
pub use store::for_org as referrals_of_org;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

/// The referrals a case was sent with or opened from: id, the Italian day it was proposed and
/// its status code, newest first. What the case page lists; opening one is decided by the
/// referral page.
pub async fn of_case(
    db: &impl sea_orm::ConnectionTrait,
    case_id: i32,
) -> Result<Vec<(i32, chrono::NaiveDate, String)>, sea_orm::DbErr> {
    Ok(store::of_case(db, case_id)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.id,
                crate::platform::time::rome_date(r.created_at),
                r.status,
            )
        })
        .collect())
}

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
