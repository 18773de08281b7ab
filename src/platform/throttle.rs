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
