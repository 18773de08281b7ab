//! News for the public (issue 27): written by the communication staff (role `editor`),
//! reviewed by a second editor, published at a time and withdrawn; read at `/notizie`, in an
//! Atom feed and in `sitemap.xml`. Rules in rules.rs, operations in ops.rs, the editors'
//! pages in pages.rs, the public's in public.rs.

pub mod entities;
pub mod ops;
pub mod pages;
pub mod public;
pub mod rules;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let editors = Access::Permission(Permission::EditNews);
    Routes::new()
        .get("/notizie", Access::Public, public::list)
        .get("/notizie/feed.atom", Access::Public, public::feed)
        .get("/notizie/{id}", Access::Public, public::read)
        .get("/eventi", Access::Public, public::events)
        .get("/sitemap.xml", Access::Public, public::sitemap)
        .get("/redazione", editors, pages::desk)
        .get("/redazione/notizie/new", editors, pages::new)
        .post("/redazione/notizie", editors, pages::create)
        .get("/redazione/notizie/{id}", editors, pages::item)
        .post("/redazione/notizie/{id}", editors, pages::update)
        .post("/redazione/notizie/{id}/step", editors, pages::step)
}
