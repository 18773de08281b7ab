//! The home page: for the public, what SATIS is and the hotline numbers; for signed-in staff,
//! their desk (each area adds its entry as it lands).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};

use crate::platform::web::Shell;
use crate::platform::web::routes::{Access, Routes};

#[derive(Template, WebTemplate)]
#[template(path = "home/templates/home.html")]
struct HomePage {
    shell: Shell,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/templates/dashboard.html")]
struct Dashboard {
    shell: Shell,
}

pub fn routes() -> Routes {
    Routes::new().get("/", Access::Public, home)
}

async fn home(shell: Shell) -> Response {
    if shell.staff.as_ref().is_some_and(|s| s.full) {
        Dashboard { shell }.into_response()
    } else {
        HomePage { shell }.into_response()
    }
}
