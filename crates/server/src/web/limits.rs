//! Abuse limits: fixed-window counters in memory, per account and client address for sign-in
//! and per client for the token endpoint. Per node; with several nodes each limits alone.

use crate::config::RateLimits;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Window {
    max: u32,
    length: Duration,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Window {
    fn new(max: u32, length: Duration) -> Self {
        Window { max, length, hits: Mutex::new(HashMap::new()) }
    }

    /// Count one hit for `key`; false when the key is over its limit in the current window.
    fn hit(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(mut hits) = self.hits.lock() else { return true };
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.length);
        }
        let entry = hits.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.length {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.max
    }
}

pub struct Limits {
    enabled: bool,
    login_account: Window,
    login_address: Window,
    token_client: Window,
}

impl Limits {
    pub fn new(c: &RateLimits) -> Self {
        let quarter = Duration::from_secs(15 * 60);
        Limits {
            enabled: c.enabled,
            login_account: Window::new(c.login_attempts_per_15min, quarter),
            login_address: Window::new(c.login_attempts_per_15min.saturating_mul(5), quarter),
            token_client: Window::new(c.token_requests_per_minute, Duration::from_secs(60)),
        }
    }

    pub fn login_allowed(&self, account: &str, address: IpAddr) -> bool {
        if !self.enabled {
            return true;
        }
        // Count both, so that one exhausted key does not spare the other.
        let by_account = self.login_account.hit(account);
        let by_address = self.login_address.hit(&address.to_string());
        by_account && by_address
    }

    pub fn token_allowed(&self, client_id: &str) -> bool {
        !self.enabled || self.token_client.hit(client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_limit_and_can_be_turned_off() {
        let on = RateLimits { enabled: true, login_attempts_per_15min: 3, token_requests_per_minute: 2 };
        let l = Limits::new(&on);
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!((0..3).all(|_| l.login_allowed("a@x.test", ip)));
        assert!(!l.login_allowed("a@x.test", ip));
        assert!(l.login_allowed("b@x.test", ip));
        assert!(l.token_allowed("c") && l.token_allowed("c") && !l.token_allowed("c"));
        let off = Limits::new(&RateLimits { enabled: false, ..on });
        assert!((0..10).all(|_| off.token_allowed("c")));
    }
}
