//! First-party analytics: page views per day and path, counted from a
//! beacon that only visitors who agreed to analytics send.
//!
//! No identifier is kept and no analytics cookie is set: a count per day
//! and path answers "which pages are read", which is all the site asks.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use kerato_db::execute;

use crate::Site;
use crate::cookies::Visitor;
use crate::web::SiteError;

/// The longest path counted; longer ones are refused, not cut, so two
/// pages never share a count.
pub const MAX_PATH: usize = 200;
/// A beacon is `{"path": "…"}`; anything much larger is not one.
const MAX_BEACON_BYTES: usize = 1024;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Beacon {
    path: String,
}

/// Whether the request comes from a page of this site: the browser's
/// `Sec-Fetch-Site` says same-origin, or its `Origin` is this host. One of
/// the two must be present, since every browser that runs the script
/// sends at least one on a POST.
fn same_origin(headers: &HeaderMap, tls: bool) -> bool {
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

fn valid_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().count() <= MAX_PATH
        && !path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '?' || c == '#')
}

async fn pageview(
    State(site): State<Site>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, SiteError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(SiteError::UnsupportedMediaType(
            "a page view is sent as JSON (Content-Type: application/json)".into(),
        ));
    }
    if !same_origin(&headers, visitor.tls) {
        return Err(SiteError::Forbidden(
            "page views are only counted from this site's own pages".into(),
        ));
    }
    if !visitor.analytics() {
        return Err(SiteError::Forbidden(
            "page views are only counted for visitors who agreed to analytics and send no Global Privacy Control signal".into(),
        ));
    }
    let beacon: Beacon = serde_json::from_slice(&body).map_err(|_| {
        SiteError::BadRequest("a page view is {\"path\": \"/page\"} and nothing else".into())
    })?;
    if !valid_path(&beacon.path) {
        return Err(SiteError::BadRequest(format!(
            "the path must start with / and be at most {MAX_PATH} characters, without a query or spaces"
        )));
    }
    let day = site.now().to_jiff().strftime("%Y-%m-%d").to_string();
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO page_views_daily (day, path, views) VALUES ($1, $2, 1) \
             ON CONFLICT (day, path) DO UPDATE SET views = page_views_daily.views + 1"
        )
        .bind(&day)
        .bind(&beacon.path)
    )?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route(
        "/analytics/pageview",
        post(pageview).layer(DefaultBodyLimit::max(MAX_BEACON_BYTES)),
    )
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
