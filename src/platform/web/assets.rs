//! Static assets, embedded in the binary at compile time. Project-written only: no third-party
//! files, no fonts fetched from anywhere (the system font stack is used).

use std::io::Write;
use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

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

/// Appended to asset URLs (`?v=`): a hash of every asset's content, so that a changed file has
/// a new URL and an unchanged one stays cached across releases.
pub fn version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        let mut h = Sha256::new();
        for a in ASSETS {
            h.update(a.name.as_bytes());
            h.update(a.body.as_bytes());
        }
        hex::encode(&h.finalize()[..6])
    });
    VERSION.as_str()
}

/// Each asset gzip-compressed once, for browsers that accept it (static files carry no
/// secret, so compressing them cannot leak one; pages are not compressed: see
/// docs/ARCHITECTURE.md, "Compression").
fn gzipped(name: &str) -> Option<&'static [u8]> {
    static GZ: LazyLock<Vec<(&'static str, Vec<u8>)>> = LazyLock::new(|| {
        ASSETS
            .iter()
            .filter_map(|a| {
                let mut e = GzEncoder::new(Vec::new(), Compression::best());
                e.write_all(a.body.as_bytes()).ok()?;
                Some((a.name, e.finish().ok()?))
            })
            .collect()
    });
    GZ.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b.as_slice())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[derive(serde::Deserialize)]
struct AssetQuery {
    v: Option<String>,
}

pub fn routes() -> Routes {
    Routes::new()
        .get("/static/{name}", Access::Public, serve)
        .get("/favicon.ico", Access::Public, |headers: HeaderMap| {
            serve(
                Path("favicon.svg".to_owned()),
                Query(AssetQuery { v: None }),
                headers,
            )
        })
}

async fn serve(
    Path(name): Path<String>,
    Query(q): Query<AssetQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or(AppError::NotFound)?;
    let mut r = match gzipped(asset.name).filter(|_| accepts_gzip(&headers)) {
        Some(gz) => {
            let mut r = gz.into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        None => asset.body.into_response(),
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // The URL with the current content hash never changes meaning: cached for a year. Any
    // other (an old page, a hand-typed address) only briefly.
    let cache = if q.v.as_deref() == Some(version()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_sent_only_where_the_browser_accepts_it() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br")));
        assert!(accepts_gzip(&h("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&h("*")));
        assert!(!accepts_gzip(&h("br")));
        assert!(!accepts_gzip(&h("gzip;q=0, br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_version_is_a_content_hash_and_every_asset_compresses() {
        assert_eq!(version().len(), 12);
        for a in ASSETS {
            let gz = gzipped(a.name).unwrap();
            assert!(gz.len() < a.body.len(), "{} does not shrink", a.name);
        }
    }
}
