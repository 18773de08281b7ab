//! Public information (issue 27), written by the communication staff (role `editor`) and
//! reviewed by a second editor:
//!
//! - news, published at a time and withdrawn; read at `/notizie`, in an Atom feed and in
//!   `sitemap.xml` (rules.rs, ops.rs, pages.rs for the editors, public.rs for the public);
//! - information materials, leaflets and cards per language and audience, at `/materiali`
//!   (files.rs: what an upload becomes; materials.rs; material_pages.rs);
//! - the monthly newsletter, with double opt-in and one-click unsubscribe (newsletter.rs,
//!   newsletter_pages.rs), sent through the outgoing-mail layer.

pub mod entities;
pub mod files;
pub mod material_pages;
pub mod materials;
pub mod newsletter;
pub mod newsletter_pages;
pub mod ops;
pub mod pages;
pub mod public;
pub mod rules;

use crate::platform::policy::Permission;
use crate::platform::web::SharedState;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let editors = Access::Permission(Permission::EditNews);
    Routes::new()
        .get("/notizie", Access::Public, public::list)
        .get("/notizie/feed.atom", Access::Public, public::feed)
        .get("/notizie/{id}", Access::Public, public::read)
        .get("/notizie/{id}/immagine", Access::Public, public::image)
        .get("/eventi", Access::Public, public::events)
        .get("/sitemap.xml", Access::Public, public::sitemap)
        .get("/materiali", Access::Public, material_pages::public)
        .get(
            "/materiali/{id}/file",
            Access::Public,
            material_pages::download,
        )
        .get("/newsletter", Access::Public, newsletter_pages::form)
        .post("/newsletter", Access::Public, newsletter_pages::subscribe)
        .get(
            "/newsletter/conferma/{token}",
            Access::Public,
            newsletter_pages::confirm_page,
        )
        .post(
            "/newsletter/conferma/{token}",
            Access::Public,
            newsletter_pages::confirm,
        )
        .get(
            "/newsletter/disiscrizione/{id}/{token}",
            Access::Public,
            newsletter_pages::unsubscribe_page,
        )
        .post(
            "/newsletter/disiscrizione/{id}/{token}",
            Access::Public,
            newsletter_pages::unsubscribe,
        )
        .get("/redazione", editors, pages::desk)
        .get("/redazione/notizie/new", editors, pages::new)
        .post("/redazione/notizie", editors, pages::create)
        .get("/redazione/notizie/{id}", editors, pages::item)
        .post("/redazione/notizie/{id}", editors, pages::update)
        .post("/redazione/notizie/{id}/step", editors, pages::step)
        .get(
            "/redazione/notizie/{id}/immagine",
            editors,
            pages::editor_image,
        )
        .post(
            "/redazione/notizie/{id}/immagine",
            editors,
            pages::set_image,
        )
        .get("/redazione/materiali", editors, material_pages::desk)
        .post("/redazione/materiali", editors, material_pages::upload)
        .get("/redazione/materiali/{id}", editors, material_pages::item)
        .get(
            "/redazione/materiali/{id}/file",
            editors,
            material_pages::editor_file,
        )
        .post(
            "/redazione/materiali/{id}/step",
            editors,
            material_pages::step,
        )
        .get("/redazione/newsletter", editors, newsletter_pages::desk)
        .post("/redazione/newsletter", editors, newsletter_pages::assemble)
        .get(
            "/redazione/newsletter/{id}",
            editors,
            newsletter_pages::issue,
        )
        .post("/redazione/newsletter/{id}", editors, newsletter_pages::act)
}

/// Once a day at the quiet hour (Italian time), once per cluster: the draft of the previous
/// month's newsletter is assembled if it is not yet (for an editor to review and send), and
/// subscriptions never confirmed are forgotten a week after their link expired.
pub fn spawn_daily(state: SharedState) {
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            let at = crate::platform::time::next_rome_hour(now, state.config.retention_hour);
            let wait = (at - now)
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(3600));
            tokio::time::sleep(wait).await;
            if !crate::platform::jobs::claim_daily(&state.db, "newsletter").await {
                continue;
            }
            let now = chrono::Utc::now();
            let month = newsletter::previous_month(crate::platform::time::rome_today());
            if let Err(e) = newsletter::assemble(&state, None, &month, now).await {
                tracing::error!(?e, "the month's newsletter could not be assembled");
            }
            match newsletter::forget_unconfirmed(&state.db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "unconfirmed subscriptions forgotten"),
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "unconfirmed subscriptions could not be forgotten"
                ),
            }
        }
    });
}
