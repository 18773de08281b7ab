pub mod api;
pub mod entities;
pub mod lang;
pub mod pow;
pub mod public;
pub mod staff;
pub mod store;
pub mod triage;

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

/// Deletes the text of reports triaged more than `days` ago (the counts stay).
pub async fn retention(db: &sea_orm::DatabaseConnection, days: u64) -> Result<u64, sea_orm::DbErr> {
    let days = i64::try_from(days).unwrap_or(i64::MAX / 2);
    store::erase_triaged_before(db, chrono::Utc::now() - chrono::Duration::days(days)).await
}
