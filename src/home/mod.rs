//! The public home page: what SATIS is, the hotline numbers, and the way in for staff.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;

use crate::platform::web::{SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "home/templates/home.html")]
struct HomePage {
    shell: Shell,
}

pub fn routes() -> Router<SharedState> {
    Router::new().route("/", get(home))
}

async fn home(shell: Shell) -> HomePage {
    HomePage { shell }
}
