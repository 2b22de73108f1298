//! Abuse limits: fixed-window counters. Each node counts in memory; the abuse limits (sign-in,
//! mail, invitations, device-code lookups, second factors) are also counted in the database, so
//! that they hold across every node sharing it (a hit this node already refuses is not sent
//! there). The token endpoint's throughput limit stays per node.
//!
//! They are built so that an attacker cannot turn them against other people:
//! - sign-in counts per client address (at most five times the per-account allowance), and per
//!   account *and* address; past the per-account allowance from all addresses together an
//!   attempt is slowed down, never refused, so nobody can lock a known e-mail address out;
//! - the token endpoint counts after client authentication: per confidential client, per
//!   public client *and* address (anyone can call a public client's endpoint), and failed
//!   authentications per address;
//! - the client address is the TCP peer, or, when the peer is a configured trusted proxy, the
//!   address it forwarded (`Forwarded` or `X-Forwarded-For`); IPv6 addresses count per /64;
//! - each window holds at most [`MAX_KEYS`] keys: when it is full of live keys, new keys share
//!   one overflow counter (so a flood of new keys is limited as one, and memory stays bounded).

use crate::config::RateLimits;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_core::model::now_millis;
use tessera_core::ports::Store;

/// Keys one window remembers; past this, new keys share the overflow counter.
pub const MAX_KEYS: usize = 50_000;
/// The longest a sign-in attempt is slowed down.
const MAX_SLOWDOWN: Duration = Duration::from_secs(10);

struct Window {
    max: u32,
    length: Duration,
    counts: Mutex<Counts>,
}

struct Counts {
    keys: HashMap<String, (Instant, u32)>,
    overflow: (Instant, u32),
}

/// Count one hit in a (start, count) window; the count in the current window.
fn bump(entry: &mut (Instant, u32), now: Instant, length: Duration) -> u32 {
    if now.duration_since(entry.0) >= length {
        *entry = (now, 0);
    }
    entry.1 = entry.1.saturating_add(1);
    entry.1
}

impl Window {
    fn new(max: u32, length: Duration) -> Self {
        let counts = Counts { keys: HashMap::new(), overflow: (Instant::now(), 0) };
        Window { max, length, counts: Mutex::new(counts) }
    }

    /// Count one hit for `key`; its count in the current window.
    fn hit(&self, key: &str) -> u32 {
        let now = Instant::now();
        let Ok(mut counts) = self.counts.lock() else { return 0 };
        let Counts { keys, overflow } = &mut *counts;
        if let Some(entry) = keys.get_mut(key) {
            return bump(entry, now, self.length);
        }
        if keys.len() >= MAX_KEYS {
            keys.retain(|_, (start, _)| now.duration_since(*start) < self.length);
            if keys.len() >= MAX_KEYS {
                return bump(overflow, now, self.length);
            }
        }
        keys.insert(key.to_string(), (now, 1));
        1
    }

    /// Count one hit; false when `key` is past its allowance.
    fn allows(&self, key: &str) -> bool {
        self.hit(key) <= self.max
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts.lock().map(|c| c.keys.len()).unwrap_or(0)
    }
}

/// What to do with a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Now,
    /// Many attempts for this account from everywhere: go on, but slowly.
    After(Duration),
    /// Too many from this address (for this account, or at all).
    Refused,
}

/// A range of addresses: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    /// `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse(s: &str) -> Result<Net, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("bad prefix in {s:?}"))?,
        };
        Ok(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u32, prefix: u8) -> u128 {
    let prefix = u32::from(prefix).min(width);
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

/// The key an address counts under: itself, or its /64 for IPv6 (one host's usual share).
fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!("{:x}/64", u128::from(v6) >> 64),
        },
    }
}

/// Mail-sending requests per target, and per client address, per 15 minutes.
const MAIL_PER_TARGET: u32 = 5;
const MAIL_PER_CLIENT: u32 = 30;
/// Invitations one person may send per 15 minutes.
const INVITES_PER_INVITER: u32 = 50;
/// Device user codes one person may look up per 15 minutes.
const DEVICE_LOOKUPS_PER_PERSON: u32 = 30;
/// Second-factor codes one person may try per 15 minutes (a million codes, one step of drift:
/// guessing one takes years).
const SECOND_FACTOR_TRIES: u32 = 10;
/// Single sign-on starts per client address per 15 minutes (each stores a pending sign-in).
const SSO_STARTS_PER_CLIENT: u32 = 60;

pub struct Limits {
    enabled: bool,
    /// Where abuse limits (sign-in, mail, invitations, device codes, second factors) are
    /// counted so that they hold on every node sharing it; `None`: on this node only.
    shared: Option<Arc<dyn Store>>,
    login_max: u32,
    login_address: Window,
    login_account_address: Window,
    login_account: Window,
    token: Window,
    mail_target: Window,
    mail_client: Window,
    invites: Window,
    device_lookups: Window,
    second_factor: Window,
    sso_starts: Window,
    trusted_proxies: Vec<Net>,
}

impl Limits {
    pub fn new(c: &RateLimits, shared: Option<Arc<dyn Store>>) -> Self {
        let quarter = Duration::from_secs(15 * 60);
        let max = c.login_attempts_per_15min;
        Limits {
            enabled: c.enabled,
            shared,
            login_max: max,
            login_address: Window::new(max.saturating_mul(5), quarter),
            login_account_address: Window::new(max, quarter),
            login_account: Window::new(max, quarter),
            token: Window::new(c.token_requests_per_minute, Duration::from_secs(60)),
            mail_target: Window::new(MAIL_PER_TARGET, quarter),
            mail_client: Window::new(MAIL_PER_CLIENT, quarter),
            invites: Window::new(INVITES_PER_INVITER, quarter),
            device_lookups: Window::new(DEVICE_LOOKUPS_PER_PERSON, quarter),
            second_factor: Window::new(SECOND_FACTOR_TRIES, quarter),
            sso_starts: Window::new(SSO_STARTS_PER_CLIENT, quarter),
            trusted_proxies: c.trusted_proxies.clone(),
        }
    }

    /// Count one hit of an abuse limit: on this node, and, unless this node alone already
    /// refuses it (a flood from one place never reaches the database), in the shared store.
    /// The store failing leaves this node's count.
    async fn count(&self, w: &Window, name: &str, key: &str) -> u32 {
        let here = w.hit(key);
        let Some(store) = self.shared.as_ref().filter(|_| here <= w.max) else { return here };
        let hashed = format!("{:x}", Sha256::digest(key.as_bytes()));
        let window = i64::try_from(w.length.as_millis()).unwrap_or(i64::MAX);
        match store.count_hit(name, &hashed, now_millis(), window).await {
            Ok(everywhere) => everywhere.max(here),
            Err(e) => {
                e.log("abuse limits: counting in the database failed; this node's count is used");
                here
            }
        }
    }

    async fn allows(&self, w: &Window, name: &str, key: &str) -> bool {
        self.count(w, name, key).await <= w.max
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }

    /// The address of the client: the TCP peer, or, when the peer is a trusted proxy, the
    /// nearest address in its forwarding headers that is not a trusted proxy itself.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let mut hops = forwarded_for(headers);
        // Nearest hop last: walk back from the proxy that talked to us.
        while let Some(hop) = hops.pop() {
            match hop {
                Some(ip) if self.trusted(ip) => continue,
                Some(ip) => return ip,
                // An obfuscated or unknown hop: stop at the last address we can vouch for.
                None => break,
            }
        }
        peer
    }

    /// Whether (and when) a sign-in attempt for `account` from `client` may go ahead.
    pub async fn login(&self, account: &str, client: IpAddr) -> Admission {
        if !self.enabled {
            return Admission::Now;
        }
        let address = address_key(client);
        if !self.allows(&self.login_address, "login address", &address).await
            || !self.allows(&self.login_account_address, "login account address", &format!("{account} {address}")).await
        {
            return Admission::Refused;
        }
        let all = self.count(&self.login_account, "login account", account).await;
        match all.checked_sub(self.login_max) {
            None | Some(0) => Admission::Now,
            Some(excess) => Admission::After((Duration::from_millis(500) * excess).min(MAX_SLOWDOWN)),
        }
    }

    /// Count one token-endpoint request under `key`; false when it is over the allowance.
    fn token_allows(&self, key: &str) -> bool {
        !self.enabled || self.token.allows(key)
    }

    /// A token request by an authenticated client: counted per confidential client, and per
    /// public client and address.
    pub fn token_allowed(&self, client_id: &str, public: bool, client: IpAddr) -> bool {
        if public {
            self.token_allows(&format!("{client_id} {}", address_key(client)))
        } else {
            self.token_allows(client_id)
        }
    }

    /// A failed client authentication, counted per address; false when it is over the allowance.
    pub fn failed_client_allowed(&self, client: IpAddr) -> bool {
        self.token_allows(&format!("failed {}", address_key(client)))
    }

    /// A request that sends mail (password reset, invitation, verification), counted per
    /// target (an address, or the inviter) and per client address; false when over either.
    pub async fn mail_allowed(&self, target: &str, client: IpAddr) -> bool {
        !self.enabled
            || (self.allows(&self.mail_client, "mail client", &address_key(client)).await
                && self.allows(&self.mail_target, "mail target", target).await)
    }

    /// A single sign-on started from `client`, counted on this node only (the count guards the
    /// database against a flood of pending sign-ins, so it must not write there itself).
    pub fn sso_start_allowed(&self, client: IpAddr) -> bool {
        !self.enabled || self.sso_starts.allows(&address_key(client))
    }

    /// An invitation, counted per inviter; false when over the allowance.
    pub async fn invite_allowed(&self, inviter: &str) -> bool {
        !self.enabled || self.allows(&self.invites, "invitations", inviter).await
    }

    /// A device user code looked up by a signed-in person; false when over the allowance.
    pub async fn device_lookup_allowed(&self, person: &str) -> bool {
        !self.enabled || self.allows(&self.device_lookups, "device lookups", person).await
    }

    /// A second-factor code tried for a person; false when over the allowance.
    pub async fn second_factor_allowed(&self, person: &str) -> bool {
        !self.enabled || self.allows(&self.second_factor, "second factor", person).await
    }

    /// A token exchange, counted per subject token (only its holder can spend its allowance).
    pub fn exchange_allowed(&self, subject_token_hash: &str) -> bool {
        self.token_allows(&format!("exchange {subject_token_hash}"))
    }
}

/// The addresses of `Forwarded` (RFC 7239) or else `X-Forwarded-For`, in order (client
/// first); `None` for a hop that is not an address (`unknown`, an obfuscated name, junk).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::to_string)
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then(|| parse_node(v.trim()))?
                })
            })
            .collect();
    }
    values("x-forwarded-for").iter().map(|v| parse_node(v.trim())).collect()
}

/// A forwarded node: `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:443"`, `2001:db8::1`.
fn parse_node(v: &str) -> Option<IpAddr> {
    let v = v.trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    v.rsplit_once(':').and_then(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().ok()).map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn limits(max: u32, proxies: &[&str]) -> Limits {
        let c = RateLimits {
            enabled: true,
            login_attempts_per_15min: max,
            token_requests_per_minute: max,
            trusted_proxies: proxies.iter().map(|p| Net::parse(p).expect("net")).collect(),
        };
        Limits::new(&c, None)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[tokio::test]
    async fn a_known_account_is_slowed_down_from_everywhere_but_refused_only_per_address() {
        let l = limits(3, &[]);
        let attacker = ip("203.0.113.9");
        for _ in 0..3 {
            assert_eq!(l.login("ada@x.test", attacker).await, Admission::Now);
        }
        assert_eq!(l.login("ada@x.test", attacker).await, Admission::Refused, "the attacker's own address is stopped");
        // Ada, from her address, is not locked out: her attempt goes ahead, slowed down.
        let ada = ip("198.51.100.7");
        assert!(matches!(l.login("ada@x.test", ada).await, Admission::After(_)));
        assert_eq!(l.login("bob@x.test", ada).await, Admission::Now);
        // One address may try at most five times the allowance, whatever the accounts.
        let sprayer = ip("192.0.2.1");
        let mut admitted = 0;
        for i in 0..40 {
            admitted += usize::from(l.login(&format!("u{i}@x.test"), sprayer).await != Admission::Refused);
        }
        assert_eq!(admitted, 15);
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let l = limits(3, &["10.0.0.0/8"]);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 10.1.2.3"));
        assert_eq!(l.client_address(ip("10.0.0.1"), &h), ip("203.0.113.9"), "through two trusted proxies");
        assert_eq!(
            l.client_address(ip("198.51.100.1"), &h),
            ip("198.51.100.1"),
            "an untrusted peer's header is ignored"
        );
        h.insert("x-forwarded-for", HeaderValue::from_static("1.1.1.1, 203.0.113.9"));
        assert_eq!(
            l.client_address(ip("10.0.0.1"), &h),
            ip("203.0.113.9"),
            "what the client itself claims is not trusted"
        );
        h.insert("forwarded", HeaderValue::from_static(r#"for="[2001:db8::1]:443";proto=https"#));
        assert_eq!(l.client_address(ip("10.0.0.1"), &h), ip("2001:db8::1"), "Forwarded wins over X-Forwarded-For");
        h.insert("forwarded", HeaderValue::from_static("for=_hidden"));
        assert_eq!(l.client_address(ip("10.0.0.1"), &h), ip("10.0.0.1"), "an obfuscated hop is not an address");
    }

    #[test]
    fn public_clients_are_counted_per_address_and_confidential_ones_per_client() {
        let l = limits(2, &[]);
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        assert!(l.token_allowed("app_pub", true, a) && l.token_allowed("app_pub", true, a));
        assert!(!l.token_allowed("app_pub", true, a), "the third from one address is limited");
        assert!(l.token_allowed("app_pub", true, b), "another address has its own allowance");
        assert!(l.token_allowed("app_conf", false, a) && l.token_allowed("app_conf", false, b));
        assert!(!l.token_allowed("app_conf", false, ip("192.0.2.3")), "a confidential client has one allowance");
        let off = Limits::new(&RateLimits { enabled: false, ..RateLimits::default() }, None);
        assert!((0..10).all(|_| off.token_allowed("c", false, a)));
    }

    #[test]
    fn windows_hold_a_bounded_number_of_keys() {
        let w = Window::new(2, Duration::from_secs(60));
        for i in 0..MAX_KEYS + 10 {
            w.hit(&format!("k{i}"));
        }
        assert_eq!(w.len(), MAX_KEYS);
        // New keys share the overflow counter; a known key keeps its own.
        assert!(!w.allows("new-a"), "the overflow counter is past its allowance");
        assert_eq!(w.hit("k1"), 2);
    }

    #[test]
    fn ipv6_counts_per_64_and_cidrs_parse() {
        assert_eq!(address_key(ip("2001:db8:1:2::1")), address_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(address_key(ip("2001:db8:1:2::1")), address_key(ip("2001:db8:1:3::1")));
        assert!(Net::parse("10.0.0.0/8").expect("net").contains(ip("10.200.0.1")));
        assert!(!Net::parse("10.0.0.0/8").expect("net").contains(ip("11.0.0.1")));
        assert!(Net::parse("::1").expect("net").contains(ip("::1")));
        assert!(Net::parse("0.0.0.0/0").expect("net").contains(ip("8.8.8.8")));
        assert!(Net::parse("10.0.0.0/33").is_err() && Net::parse("example.com").is_err());
    }
}
