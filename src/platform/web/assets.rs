//! Static assets, embedded in the binary at compile time. Project-written only: no third-party
//! files, no fonts fetched from anywhere (the system font stack is used).

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppError;
use super::routes::{Access, Routes};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "satis.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../static/satis.css"),
    },
    Asset {
        name: "satis.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/satis.js"),
    },
    Asset {
        name: "outreach.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/outreach.js"),
    },
    Asset {
        name: "segnala.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/segnala.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../../../static/favicon.svg"),
    },
];

/// Appended to asset URLs so that a new release is never served a stale cached file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn routes() -> Routes {
    Routes::new()
        .get("/static/{name}", Access::Public, serve)
        .get("/favicon.ico", Access::Public, || {
            serve(Path("favicon.svg".to_owned()))
        })
}

async fn serve(Path(name): Path<String>) -> Result<Response, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or(AppError::NotFound)?;
    let mut r = asset.body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(r)
}
