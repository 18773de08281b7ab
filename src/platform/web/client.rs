//! The client's network address, for throttling only. Never stored, never logged. Staff
//! sign-in throttles by address ([`ClientAddr`]); public pages see only [`PublicClient`], a
//! keyed hash of the address under an in-memory key rotated hourly, so that one abuser can be
//! slowed down without the public form ever knowing who sent a report.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::SharedState;

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

impl FromRequestParts<SharedState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(peer(parts, state)))
    }
}

/// The client's address as the throttles see it (the peer, or behind a trusted proxy the
/// address it forwards).
fn peer(parts: &Parts, state: &SharedState) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    resolve(peer, &parts.headers, &state.config.trusted_proxies)
}

/// The client's address: the peer, or, when the peer is a trusted reverse proxy, the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

/// An anonymous visitor as the public pages' throttles know them: a keyed hash of the address
/// (see `throttle::ClientKeys`), never the address.
#[derive(Clone, Debug)]
pub struct PublicClient(pub String);

impl FromRequestParts<SharedState> for PublicClient {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        Ok(PublicClient(
            state
                .client_keys
                .key(&state.db, &state.keys, peer(parts, state))
                .await,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7, 10.0.0.2"),
        );
        let proxy = ip("10.0.0.1");
        // No proxy trusted: the peer is the client, whatever the header says.
        assert_eq!(resolve(Some(proxy), &h, &[]), Some(proxy));
        // Trusted proxy: the nearest untrusted address (a forged left part is ignored).
        assert_eq!(resolve(Some(proxy), &h, &[proxy]), Some(ip("10.0.0.2")));
        assert_eq!(
            resolve(Some(proxy), &h, &[proxy, ip("10.0.0.2")]),
            Some(ip("198.51.100.7"))
        );
        // A client that is not the proxy cannot choose its address with the header.
        assert_eq!(
            resolve(Some(ip("192.0.2.5")), &h, &[proxy]),
            Some(ip("192.0.2.5"))
        );
        assert_eq!(resolve(None, &h, &[proxy]), None);
    }
}
