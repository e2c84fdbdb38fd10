//! The clinic's static assets (see `kerato_http::assets` for how they are
//! named and served).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::Response;
use kerato_http::assets::{AssetSet, Source};

use crate::error::WebError;

const SOURCES: &[Source] = &[
    (
        "app.css",
        include_bytes!("../assets/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "app.js",
        include_bytes!("../assets/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "favicon.svg",
        include_bytes!("../assets/favicon.svg"),
        "image/svg+xml",
    ),
    (
        "htmx.min.js",
        include_bytes!("../assets/vendor/htmx-2.0.11.min.js"),
        "text/javascript; charset=utf-8",
    ),
];

pub(crate) static ASSETS: LazyLock<AssetSet> = LazyLock::new(|| AssetSet::new(SOURCES));

/// The cache-busting URL of an embedded asset.
pub fn url(name: &str) -> String {
    ASSETS.url(name)
}

pub(crate) async fn serve(Path(file): Path<String>) -> Result<Response, WebError> {
    ASSETS.response(&file).ok_or(WebError::NotFound("asset"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_a_content_hash() {
        let u = url("app.css");
        assert!(
            u.starts_with("/assets/app.") && u.ends_with(".css") && u.len() > 20,
            "{u}"
        );
        assert_ne!(url("app.js"), url("htmx.min.js"));
    }
}
