//! The client's network address, for throttling staff sign-in only. Never stored, never logged,
//! and never taken on public pages (the public report form must not know who sent it).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The peer address, when the server was started with connection info (not in in-process tests).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// A throttling key: the address, or one shared key when it is unknown.
    pub fn key(&self) -> String {
        self.0
            .map_or_else(|| "client:unknown".to_owned(), |ip| format!("client:{ip}"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
