//! Static assets, embedded in the binary and served under names that carry
//! a hash of their content, so browsers may cache them forever and still
//! pick up a new release at once. Nothing is loaded from a CDN.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file: its name, bytes and content type.
pub type Source = (&'static str, &'static [u8], &'static str);

#[derive(Debug)]
struct Asset {
    name: &'static str,
    hashed: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

/// A front end's embedded files, with their hashed names.
#[derive(Debug)]
pub struct AssetSet {
    assets: Vec<Asset>,
}

impl AssetSet {
    pub fn new(sources: &[Source]) -> Self {
        let assets = sources
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
            .collect();
        Self { assets }
    }

    /// The cache-busting URL of an embedded asset, under `/assets/`.
    pub fn url(&self, name: &str) -> String {
        self.assets
            .iter()
            .find(|a| a.name == name)
            .map(|a| format!("/assets/{}", a.hashed))
            .unwrap_or_else(|| format!("/assets/{name}"))
    }

    /// The response for a hashed file name, or `None` when there is no such
    /// file (the caller answers 404 in its own format).
    pub fn response(&self, file: &str) -> Option<Response> {
        let asset = self.assets.iter().find(|a| a.hashed == file)?;
        Some(
            (
                [
                    (header::CONTENT_TYPE, asset.content_type),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                asset.bytes,
            )
                .into_response(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_a_content_hash_and_only_hashed_names_are_served() {
        let set = AssetSet::new(&[
            ("app.css", b"body{}", "text/css"),
            ("app.js", b"1", "text/javascript"),
        ]);
        let u = set.url("app.css");
        assert!(
            u.starts_with("/assets/app.") && u.ends_with(".css") && u.len() > 20,
            "{u}"
        );
        assert_ne!(set.url("app.js"), u);
        let hashed = u.trim_start_matches("/assets/");
        assert!(set.response(hashed).is_some());
        assert!(set.response("app.css").is_none());
    }
}
