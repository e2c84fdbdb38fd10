//! Rules of the usage log: what is kept of an address and a browser.

use std::net::{IpAddr, Ipv6Addr};

/// The longest path stored; a longer one (a probe, most likely) is cut, so
/// that no request can make a log row large.
pub(crate) const MAX_PATH: usize = 500;

/// The address with its host part removed: IPv4 to its /24 (the last
/// octet zeroed), IPv6 to its /48. An IPv4 address mapped into IPv6 is
/// treated as IPv4.
pub fn truncate_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_ip(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
            }
        },
    }
}

/// The browser family, coarsely: the order matters, since Edge and Opera
/// also say Chrome, and Chrome also says Safari.
pub fn browser(user_agent: &str) -> &'static str {
    let has = |s: &str| user_agent.contains(s);
    if has("Edg/") || has("Edge/") {
        "Edge"
    } else if has("OPR/") || has("Opera") {
        "Opera"
    } else if has("Firefox/") || has("FxiOS/") {
        "Firefox"
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "other"
    }
}

/// The device class, coarsely.
pub fn device(user_agent: &str) -> &'static str {
    let has = |s: &str| user_agent.contains(s);
    if user_agent.is_empty() {
        "other"
    } else if has("iPad") || has("Tablet") {
        "tablet"
    } else if has("Mobi") || has("iPhone") || has("Android") {
        "mobile"
    } else {
        "desktop"
    }
}

/// Whether a request is for a page (or a form or beacon) rather than a
/// static asset (one page loads several) or the health check (a monitor
/// calls it every minute). Only those are logged, and only those record a
/// GPC signal.
pub(crate) fn is_page_request(path: &str) -> bool {
    !path.starts_with("/assets/") && path != "/healthz"
}

/// What the log keeps of a page request: the address's prefix, the
/// browser's and device's family, the path and the status.
#[derive(Debug)]
pub(crate) struct LogLine {
    pub ip: Option<String>,
    pub browser: &'static str,
    pub device: &'static str,
    pub path: String,
    pub status: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    #[test]
    fn addresses_lose_their_host_part() {
        assert_eq!(truncate_ip("203.0.113.77".parse().unwrap()), "203.0.113.0");
        assert_eq!(
            truncate_ip("2001:db8:abcd:12:1:2:3:4".parse().unwrap()),
            "2001:db8:abcd::"
        );
        assert_eq!(
            truncate_ip("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0"
        );
    }

    #[test]
    fn browsers_and_devices_are_named_coarsely() {
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";
        let safari_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(
            (browser(chrome_android), device(chrome_android)),
            ("Chrome", "mobile")
        );
        assert_eq!(
            (browser(safari_mac), device(safari_mac)),
            ("Safari", "desktop")
        );
        assert_eq!((browser(firefox), device(firefox)), ("Firefox", "desktop"));
        assert_eq!(browser(edge), "Edge");
        assert_eq!((browser(""), device("")), ("other", "other"));
    }

    proptest! {
        #[test]
        fn any_ipv4_keeps_only_its_first_three_octets(o: [u8; 4]) {
            let ip = IpAddr::V4(Ipv4Addr::from(o));
            prop_assert_eq!(truncate_ip(ip), format!("{}.{}.{}.0", o[0], o[1], o[2]));
        }
    }
}
