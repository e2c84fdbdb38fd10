//! Static assets, embedded in the binary and served under names that carry
//! a hash of their content, so browsers may cache them forever and still
//! pick up a new release at once. Nothing is loaded from a CDN.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::WebError;

#[derive(Debug)]
struct Asset {
    name: &'static str,
    hashed: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

const SOURCES: &[(&str, &[u8], &str)] = &[
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

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(name, bytes, content_type)| {
            let digest = hex::encode(Sha256::digest(bytes));
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            Asset {
                name,
                hashed: format!("{stem}.{}.{ext}", &digest[..12]),
                bytes,
                content_type,
            }
        })
        .collect()
});

/// The cache-busting URL of an embedded asset.
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/assets/{}", a.hashed))
        .unwrap_or_else(|| format!("/assets/{name}"))
}

pub(crate) async fn serve(Path(file): Path<String>) -> Result<Response, WebError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.hashed == file)
        .ok_or(WebError::NotFound("asset"))?;
    Ok((
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.bytes,
    )
        .into_response())
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
