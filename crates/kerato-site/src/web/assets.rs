//! The site's bundled assets, with content-hashed names.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::Response;
use kerato_http::assets::{AssetSet, Source};

use super::SiteError;

const SOURCES: &[Source] = &[
    (
        "site.css",
        include_bytes!("../../assets/site.css"),
        "text/css; charset=utf-8",
    ),
    (
        "analytics.js",
        include_bytes!("../../assets/analytics.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "favicon.svg",
        include_bytes!("../../assets/favicon.svg"),
        "image/svg+xml",
    ),
    (
        "phi-guard.js",
        include_bytes!("../../assets/phi-guard.js"),
        "text/javascript; charset=utf-8",
    ),
];

pub(crate) static ASSETS: LazyLock<AssetSet> = LazyLock::new(|| AssetSet::new(SOURCES));

pub(crate) async fn asset(Path(file): Path<String>) -> Result<Response, SiteError> {
    ASSETS.response(&file).ok_or(SiteError::NotFound)
}
