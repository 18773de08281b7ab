//! People and cases: the taking in charge from emersion to autonomy.

pub mod api;
pub mod entities;
pub mod ops;
pub mod pages;
pub mod rules;
pub mod store;

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::platform::audit::{self, Entry};
use crate::platform::web::AppState;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let work = Access::Permission(Permission::WorkOnRecords);
    // Sending a case to another organisation: only roles that may read what they send.
    let disclose = Access::Permission(Permission::Disclose);
    Routes::new()
        .get("/cases", work, pages::list)
        .get("/cases/new", work, pages::new_form)
        .post("/cases", work, pages::create)
        .get("/cases/{id}", work, pages::show)
        .post("/cases/{id}/phase", work, pages::change_phase)
        .post("/cases/{id}/assessment", work, pages::assessment)
        .post("/cases/{id}/consents", work, pages::add_consent)
        .post("/consents/{id}/withdraw", work, pages::withdraw_consent)
        .post("/cases/{id}/share", disclose, pages::share)
        .post("/cases/{id}/permits", work, pages::add_permit)
        .post("/cases/{id}/placements", work, pages::add_placement)
        .post("/placements/{id}/end", work, pages::end_placement)
        .post("/cases/{id}/events", work, pages::add_event)
}

/// Applies the retention policy now, audits what it did and returns the report.
pub async fn retention<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &crate::platform::crypto::KeyRing,
    days: u64,
) -> Result<store::RetentionReport, DbErr> {
    let days = i64::try_from(days).unwrap_or(i64::MAX / 2);
    let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
    let report = store::run_retention(db, cutoff).await?;
    audit::append(
        db,
        keys,
        Entry::new(None, "retention.run", "case").reason(format!(
            "{} identities, {} notes erased",
            report.identities_erased, report.notes_erased
        )),
    )
    .await?;
    Ok(report)
}

/// Runs the retention policy once a day while the server runs, at the configured quiet hour
/// (`retention_hour`, Italian time), never at start-up.
pub fn spawn_daily_retention(state: Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            // Never at start-up: at the next quiet hour in Italy (`retention_hour`).
            let now = chrono::Utc::now();
            let at = crate::platform::time::next_rome_hour(now, state.config.retention_hour);
            let wait = (at - now)
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(3600));
            tokio::time::sleep(wait).await;
            match crate::reports::retention(&state.db, state.config.report_retention_days).await {
                Ok(n) => tracing::info!(reports = n, "public report retention run"),
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "report retention failed"
                ),
            }
            match retention(&state.db, &state.keys, state.config.retention_days).await {
                Ok(r) => tracing::info!(
                    identities = r.identities_erased,
                    notes = r.notes_erased,
                    "retention run"
                ),
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "retention run failed"
                ),
            }
        }
    });
}
