//! Rules of page-view beacons.

use axum::http::HeaderMap;

/// The longest path counted; longer ones are refused, not cut, so two
/// pages never share a count.
pub const MAX_PATH: usize = 200;

/// A beacon is `{"path": "…"}`; anything much larger is not one.
pub(crate) const MAX_BEACON_BYTES: usize = 1024;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Beacon {
    pub(crate) path: String,
}

/// Whether the request comes from a page of this site: the browser's
/// `Sec-Fetch-Site` says same-origin, or its `Origin` is this host. One of
/// the two must be present, since every browser that runs the script
/// sends at least one on a POST.
pub(crate) fn same_origin(headers: &HeaderMap, tls: bool) -> bool {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let fetch_site = value("sec-fetch-site");
    let origin = value("origin");
    let host = value("host");
    let scheme = if tls { "https" } else { "http" };
    let origin_ok =
        origin.map(|o| host.is_some_and(|h| o.eq_ignore_ascii_case(&format!("{scheme}://{h}"))));
    match (fetch_site, origin_ok) {
        (None, None) => false,
        (fs, ok) => fs.is_none_or(|v| v == "same-origin") && ok.unwrap_or(true),
    }
}

pub(crate) fn valid_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().count() <= MAX_PATH
        && !path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '?' || c == '#')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_this_sites_pages_may_send_a_beacon() {
        let host = ("host", "site.example");
        assert!(same_origin(
            &headers(&[host, ("origin", "http://site.example")]),
            false
        ));
        assert!(same_origin(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "http://site.example")]),
            true
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(!same_origin(&headers(&[host]), false));
    }

    #[test]
    fn paths_are_checked_not_cut() {
        assert!(valid_path("/pricing"));
        assert!(valid_path(&format!("/{}", "a".repeat(MAX_PATH - 1))));
        for bad in [
            "",
            "pricing",
            "//evil",
            "/a?b=1",
            "/a b",
            &format!("/{}", "a".repeat(MAX_PATH)),
        ] {
            assert!(!valid_path(bad), "{bad:?}");
        }
    }
}
