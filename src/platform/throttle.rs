//! Keyed, in-memory throttling with growing delays and no permanent lockout.
//!
//! After `free` failures for a key, each further attempt must wait `2^(n - free)` seconds since
//! the last failure (capped at `max_delay`). A success clears the key; keys forgotten after an
//! hour of quiet. Nothing is written to disk: after a restart everyone starts afresh, which is
//! the price of keeping no trace of who tried what.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Throttle {
    free: u32,
    max_delay: Duration,
    state: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    pub fn new(free: u32, max_delay: Duration) -> Throttle {
        Throttle {
            free,
            max_delay,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let exp = (failures - self.free + 1).min(20);
        Duration::from_secs(1u64 << exp).min(self.max_delay)
    }

    /// `Err(wait)` when `key` must wait before trying again, at time `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        match state.get(key) {
            Some((failures, last)) => {
                let ready = *last + self.delay(*failures);
                if now < ready {
                    Err(ready - now)
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn fail_at(&self, key: &str, now: Instant) {
        if let Ok(mut state) = self.state.lock() {
            state.retain(|_, (_, last)| now.duration_since(*last) < Duration::from_secs(3600));
            let entry = state.entry(key.to_owned()).or_insert((0, now));
            entry.0 = entry.0.saturating_add(1);
            entry.1 = now;
        }
    }

    pub fn fail(&self, key: &str) {
        self.fail_at(key, Instant::now());
    }

    pub fn succeed(&self, key: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 wrong passwords in an hour against one account: how many are evaluated?
    #[test]
    fn a_brute_force_hour_gets_few_evaluations_and_no_lockout() {
        let t = Throttle::new(5, Duration::from_secs(15 * 60));
        let start = Instant::now();
        let mut evaluated = 0;
        for i in 0..1000u64 {
            let now = start + Duration::from_millis(i * 3600); // spread over one hour
            if t.check_at("acct", now).is_ok() {
                evaluated += 1;
                t.fail_at("acct", now);
            }
        }
        assert!(evaluated <= 100, "{evaluated} evaluations");
        assert!(evaluated >= 5);
        // Fifteen minutes after the attack stops, the owner gets in.
        let later = start + Duration::from_secs(3600 + 15 * 60);
        assert!(t.check_at("acct", later).is_ok());
        t.succeed("acct");
        assert!(t.check_at("acct", later).is_ok());
        // Other keys were never affected.
        assert!(t.check_at("other", start).is_ok());
    }
}

/// Throttling keys for anonymous clients that keep nothing about them: an address becomes an
/// HMAC under a random key that lives only in memory and is replaced every hour (with it, the
/// throttle state of the old keys is unreachable and forgotten). The address itself is never
/// stored, logged or returned; IPv6 addresses count by their /64, which one subscriber holds.
#[derive(Debug)]
pub struct ClientKeys {
    current: Mutex<([u8; 32], Instant)>,
    rotate_every: Duration,
}

impl Default for ClientKeys {
    fn default() -> Self {
        ClientKeys::new(Duration::from_secs(3600))
    }
}

impl ClientKeys {
    pub fn new(rotate_every: Duration) -> ClientKeys {
        ClientKeys {
            current: Mutex::new((fresh_key(), Instant::now())),
            rotate_every,
        }
    }

    /// The key of `addr` at `now` (`None`: an unknown address, one shared key).
    pub fn key_at(&self, addr: Option<std::net::IpAddr>, now: Instant) -> String {
        use hmac::{Hmac, Mac};
        let Some(addr) = addr else {
            return "client:unknown".to_owned();
        };
        let bytes: Vec<u8> = match addr {
            std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets()[..8].to_vec(),
            },
        };
        let key = match self.current.lock() {
            Ok(mut cur) => {
                if now.duration_since(cur.1) >= self.rotate_every {
                    *cur = (fresh_key(), now);
                }
                cur.0
            }
            // A poisoned lock still gives a key, never a panic.
            Err(poisoned) => poisoned.into_inner().0,
        };
        let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key) else {
            return "client:unknown".to_owned();
        };
        mac.update(&bytes);
        format!("client:{}", hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    pub fn key(&self, addr: Option<std::net::IpAddr>) -> String {
        self.key_at(addr, Instant::now())
    }
}

fn fresh_key() -> [u8; 32] {
    use rand::RngCore;
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    k
}

#[cfg(test)]
mod client_key_tests {
    use super::*;
    use std::net::IpAddr;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn keys_separate_clients_hide_the_address_and_change_every_hour() {
        let keys = ClientKeys::new(Duration::from_secs(3600));
        let t0 = Instant::now();
        let a = keys.key_at(ip("127.0.0.2"), t0);
        assert_eq!(a, keys.key_at(ip("127.0.0.2"), t0));
        assert_ne!(a, keys.key_at(ip("127.0.0.3"), t0));
        assert!(
            !a.contains("127.0.0.2") && a.len() == "client:".len() + 32,
            "{a}"
        );
        // One subscriber's /64 is one client.
        assert_eq!(
            keys.key_at(ip("2001:db8:1:2::1"), t0),
            keys.key_at(ip("2001:db8:1:2:ffff::9"), t0)
        );
        assert_ne!(
            keys.key_at(ip("2001:db8:1:2::1"), t0),
            keys.key_at(ip("2001:db8:1:3::1"), t0)
        );
        // An hour later the same address has another key: nothing links the two hours.
        let later = t0 + Duration::from_secs(3601);
        assert_ne!(a, keys.key_at(ip("127.0.0.2"), later));
        // Another process's keys are unrelated.
        assert_ne!(a, ClientKeys::default().key_at(ip("127.0.0.2"), t0));
    }
}
