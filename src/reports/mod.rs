pub mod api;
pub mod entities;
pub mod lang;
pub mod ops;
pub mod pow;
pub mod public;
pub mod staff;
pub mod store;
pub mod triage;

/// The untriaged queue in the order the hotline works it (the deadline engine reads it).
pub use store::untriaged_page;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let hotline = Access::Permission(Permission::Hotline);
    Routes::new()
        .get("/segnala", Access::Public, public::form)
        .post("/segnala", Access::Public, public::submit)
        .get("/segnala/ricevuta", Access::Public, public::follow_form)
        .post("/segnala/ricevuta", Access::Public, public::follow)
        .post("/segnala/aggiungi", Access::Public, public::add_info)
        .get("/reports", hotline, staff::queue)
        .get("/reports/{id}", hotline, staff::show)
        .post("/reports/{id}/reply", hotline, staff::reply)
        .post("/reports/{id}/triage", hotline, staff::triage)
}

/// The organisations whose hotline operators read public reports: those named in
/// `reports.readers`, or else those that run an active regional hotline service.
pub async fn readers(
    state: &crate::platform::web::SharedState,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    if state.config.reports_readers.is_empty() {
        return Ok(crate::network::services(&state.db)
            .await?
            .into_iter()
            .filter(|s| s.active && s.kind == "regional_hotline")
            .map(|s| s.organisation_id)
            .collect());
    }
    Ok(crate::network::organisations(&state.db)
        .await?
        .into_iter()
        .filter(|o| state.config.reports_readers.contains(&o.name))
        .map(|o| o.id)
        .collect())
}

/// Decides, in the policy, whether the actor reads public reports; a refusal is audited.
pub async fn guard(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
) -> Result<(), crate::platform::web::AppError> {
    let readers = readers(state).await?;
    if crate::platform::policy::may_read_public_reports(actor, &readers) {
        return Ok(());
    }
    crate::platform::audit::append(
        &state.db,
        &state.keys,
        crate::platform::audit::Entry::new(Some(actor), "report.read", "public_report").denied(),
    )
    .await?;
    Err(crate::platform::web::AppError::Forbidden)
}

/// How many public reports wait to be triaged (for the metrics).
pub async fn untriaged_count(db: &impl sea_orm::ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    store::untriaged(db).await
}

/// Deletes the text of reports triaged more than `days` ago (the counts stay).
pub async fn retention(db: &sea_orm::DatabaseConnection, days: u64) -> Result<u64, sea_orm::DbErr> {
    let days = i64::try_from(days).unwrap_or(i64::MAX / 2);
    store::erase_triaged_before(db, chrono::Utc::now() - chrono::Duration::days(days)).await
}
