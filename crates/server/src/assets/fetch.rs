//! Fetching an asset's file from its `sourceUrl`, safely: only http(s); every address a name
//! resolves to, and every redirect's target, is checked before connecting, and loopback,
//! private, link-local (cloud metadata), shared, multicast and reserved ranges are refused
//! unless the operator allows them (`fetch_allow`); bounded in time, size and redirects.

use crate::web::limits::Net;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

const MAX_REDIRECTS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(30);

/// The ranges no fetch may reach unless allowed.
const REFUSED: [&str; 17] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/127",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "64:ff9b::/96",
    "2001:db8::/32",
];

/// Which addresses a fetch may connect to.
#[derive(Clone)]
struct Guard {
    refused: Arc<Vec<Net>>,
    allowed: Arc<Vec<Net>>,
}

impl Guard {
    fn permits(&self, ip: IpAddr) -> bool {
        // An IPv4 address written as IPv6 is judged as the IPv4 address it is.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.allowed.iter().any(|n| n.contains(ip)) || !self.refused.iter().any(|n| n.contains(ip))
    }
}

/// The error a refused address is, found again in the client's error chain.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

fn refused_host(host: &str) -> String {
    format!("{host} is on a private or reserved network, which tessera does not fetch from")
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = found.iter().copied().filter(|a| guard.permits(a.ip())).collect();
            if ok.is_empty() || ok.len() < found.len() {
                // A name with any refused address is refused whole (no racing between them).
                return Err(Box::new(Refused(refused_host(&host))) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    guard: Guard,
}

impl Fetcher {
    /// A client that identifies itself as `agent`.
    pub fn new(allowed: Vec<Net>, agent: &str) -> Result<Fetcher, String> {
        let refused = REFUSED.iter().map(|n| Net::parse(n)).collect::<Result<Vec<_>, _>>()?;
        let guard = Guard { refused: Arc::new(refused), allowed: Arc::new(allowed) };
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(guard.clone()))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(agent)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Fetcher { client, guard })
    }

    /// A URL tessera may fetch, as far as can be told before resolving it: http(s), a host,
    /// no credentials, and not an address literal in a refused range.
    pub fn check(&self, url: &str) -> Result<url::Url, String> {
        let u = url::Url::parse(url).map_err(|_| "sourceUrl is not a URL".to_string())?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err("sourceUrl must be an http or https URL".into());
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("sourceUrl must not hold credentials".into());
        }
        let ip = match u.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(u),
            None => return Err("sourceUrl has no host".into()),
        };
        if !self.guard.permits(ip) {
            return Err(refused_host(&ip.to_string()));
        }
        Ok(u)
    }

    /// The body at `url`, at most `max` bytes, following at most five redirects (each checked).
    pub async fn fetch(&self, url: &str, max: u64) -> Result<Vec<u8>, String> {
        let mut url = self.check(url)?;
        for _ in 0..=MAX_REDIRECTS {
            let mut res = self.client.get(url.clone()).send().await.map_err(describe)?;
            if res.status().is_redirection() {
                let location = res.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
                let next = location.and_then(|l| url.join(l).ok()).ok_or("the URL redirects nowhere")?;
                url = self.check(next.as_str())?;
                continue;
            }
            if !res.status().is_success() {
                return Err(format!("the URL answered HTTP {}", res.status().as_u16()));
            }
            if res.content_length().is_some_and(|n| n > max) {
                return Err(format!("the file is larger than the {max} bytes allowed"));
            }
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.map_err(describe)? {
                body.extend_from_slice(&chunk);
                if body.len() as u64 > max {
                    return Err(format!("the file is larger than the {max} bytes allowed"));
                }
            }
            return Ok(body);
        }
        Err(format!("the URL redirects more than {MAX_REDIRECTS} times"))
    }
}

impl Fetcher {
    /// POST a form to `url` (no redirects followed), with HTTP Basic credentials if given:
    /// the status and at most `max` bytes of the answer.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        max: u64,
    ) -> Result<(u16, Vec<u8>), String> {
        let url = self.check(url)?;
        let mut req = self.client.post(url).form(form).header(reqwest::header::ACCEPT, "application/json");
        if let Some((user, password)) = basic {
            req = req.basic_auth(user, Some(password));
        }
        let mut res = req.send().await.map_err(describe)?;
        let status = res.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(describe)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > max {
                return Err(format!("the answer is larger than the {max} bytes allowed"));
            }
        }
        Ok((status, body))
    }
}

/// A fetch error as the element shows it: a refusal says why; anything else only what kind.
fn describe(e: reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return r.0.clone();
        }
        source = s.source();
    }
    if e.is_timeout() {
        "the URL took too long to answer".into()
    } else if e.is_connect() {
        "the URL's server cannot be reached".into()
    } else {
        "the file cannot be fetched from the URL".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_refused_unless_allowed() {
        let f = Fetcher::new(vec![], "test").expect("fetcher");
        for bad in [
            "http://127.0.0.1/x",
            "http://10.1.2.3/",
            "http://172.20.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://0.0.0.0/",
            "ftp://example.com/",
            "file:///etc/passwd",
            "http://user:pw@example.com/",
        ] {
            assert!(f.check(bad).is_err(), "{bad} is refused");
        }
        assert!(f.check("https://93.184.216.34/a.png").is_ok());
        assert!(f.check("https://example.com/a.png").is_ok());
        let allowed = Fetcher::new(vec![Net::parse("127.0.0.0/8").expect("net")], "test").expect("fetcher");
        assert!(allowed.check("http://127.0.0.1:9/x").is_ok());
        assert!(allowed.check("http://10.0.0.1/").is_err());
    }
}
