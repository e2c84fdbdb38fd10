//! The page-view beacon's endpoint.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;

use crate::Site;
use crate::analytics::rules::*;
use crate::analytics::views::count_view;
use crate::web::SiteError;
use crate::web::visitor::Visitor;

pub(crate) async fn pageview(
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
    count_view(&site, &beacon.path).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route(
        "/analytics/pageview",
        post(pageview).layer(DefaultBodyLimit::max(MAX_BEACON_BYTES)),
    )
}
