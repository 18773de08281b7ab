//! The regional hotline (Numero Verde): contacts logged while on the phone, follow-ups of the
//! same caller, mediator requests, emergency activations, shift hand-over, period report.

pub mod api;
pub mod entities;
pub mod ops;
pub mod pages;
pub mod rules;
pub mod store;

use crate::platform::policy::Permission;

/// How many emergency receptions are open in the whole network (for the metrics).
pub async fn open_emergencies_count(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<u64, sea_orm::DbErr> {
    store::open_emergencies_everywhere(db).await
}
use crate::platform::web::routes::{Access, Routes};

/// What other areas may ask the hotline (its published queries).
pub use store::in_period as contacts_in_period;
/// What the deadline engine reads: open emergencies, pending mediator requests and callers
/// waiting to be called back.
pub use store::{open_emergencies, pending_mediators, waiting_call_backs};

/// The hotline contacts linked to a case: id, the Italian day of the call and its relevance
/// code, newest first. What the case page lists; opening one is decided by the contact page.
pub async fn contacts_of_case(
    db: &impl sea_orm::ConnectionTrait,
    case_id: i32,
) -> Result<Vec<(i32, chrono::NaiveDate, String)>, sea_orm::DbErr> {
    Ok(store::of_case(db, case_id)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                crate::platform::time::rome_date(c.started_at),
                c.relevance,
            )
        })
        .collect())
}

pub fn routes() -> Routes {
    let hotline = Access::Permission(Permission::Hotline);
    Routes::new()
        .get("/hotline", hotline, pages::desk)
        .post("/hotline/quick", hotline, pages::quick)
        .post("/hotline/contacts", hotline, pages::create)
        .get("/hotline/contacts/{id}", hotline, pages::show)
        .post("/hotline/contacts/{id}", hotline, pages::update)
        .post("/hotline/contacts/{id}/case", hotline, pages::link_case)
        .post(
            "/hotline/contacts/{id}/accompaniments",
            hotline,
            pages::add_accompaniment,
        )
        .post("/hotline/mediators", hotline, pages::request_mediator)
        .post("/hotline/mediators/{id}", hotline, pages::update_mediator)
        .get(
            "/mediazioni",
            Access::Permission(Permission::Mediate),
            pages::mediations,
        )
        .post(
            "/mediazioni/{id}",
            Access::Permission(Permission::Mediate),
            pages::record_mediation,
        )
        .post("/hotline/emergencies", hotline, pages::start_emergency)
        .post(
            "/hotline/emergencies/{id}",
            hotline,
            pages::update_emergency,
        )
        .post("/hotline/notes", hotline, pages::add_shift_note)
        .post("/hotline/interviews", hotline, pages::request_interview)
        .post("/hotline/interviews/{id}", hotline, pages::record_interview)
        .get("/hotline/report", hotline, pages::report)
        .get("/hotline/report.csv", hotline, pages::report_csv)
}
