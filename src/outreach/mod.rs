//! Street units and drop-in desks (seed 004): outings with their tallies and anonymous
//! contacts, observations of the phenomenon per place, drop-in interviews, accompaniments
//! (one record type for every source), an outing form that works offline, and the period
//! report.

pub mod api;
pub mod entities;
pub mod ops;
pub mod pages;
pub mod report;
pub mod rules;
pub mod store;

pub use store::Saved;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

/// An accompaniment to a service, from whatever source (a street unit, the hotline, a case):
/// what other areas give to [`record_accompaniment`].
#[derive(Clone, Debug)]
pub struct NewAccompaniment {
    pub organisation_id: i32,
    pub happened_on: chrono::NaiveDate,
    /// One of [`rules::SERVICE_KINDS`].
    pub service_kind: String,
    /// One of [`rules::ACCOMPANIMENT_OUTCOMES`].
    pub outcome: String,
    /// `case`, `hotline` or `outreach`.
    pub source: &'static str,
    pub contact_id: Option<i32>,
    pub case_id: Option<i32>,
    /// The hotline call it was arranged from.
    pub hotline_contact_id: Option<i32>,
    pub by_user: i32,
    /// Recording the same accompaniment again with this key saves nothing twice.
    pub idempotency_key: String,
}

/// Records an accompaniment, once per organisation and key, in the caller's transaction: the
/// network's accompaniments are one record type whatever area they come from. The caller
/// has validated the codes with [`rules`] and appends its own audit entry.
pub async fn record_accompaniment<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    a: NewAccompaniment,
) -> Result<store::Saved, sea_orm::DbErr> {
    use sea_orm::ActiveValue::Set;
    let org = a.organisation_id;
    let key = a.idempotency_key.clone();
    store::save_accompaniment(
        db,
        entities::accompaniment::ActiveModel {
            organisation_id: Set(a.organisation_id),
            happened_on: Set(a.happened_on),
            service_kind: Set(a.service_kind),
            outcome: Set(a.outcome),
            source: Set(a.source.to_owned()),
            contact_id: Set(a.contact_id),
            case_id: Set(a.case_id),
            hotline_contact_id: Set(a.hotline_contact_id),
            by_user: Set(a.by_user),
            idempotency_key: Set(a.idempotency_key),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        },
        org,
        &key,
    )
    .await
}

pub use store::recent_outings;

/// The accompaniments recorded for a case, from whatever source: the Italian day, the service
/// and outcome codes, newest first. What the case page lists.
pub async fn accompaniments_of_case(
    db: &impl sea_orm::ConnectionTrait,
    case_id: i32,
) -> Result<Vec<(chrono::NaiveDate, String, String)>, sea_orm::DbErr> {
    Ok(store::accompaniments_of_case(db, case_id)
        .await?
        .into_iter()
        .rev()
        .map(|a| (a.happened_on, a.service_kind, a.outcome))
        .collect())
}

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
