//! What every page shares: the layout built on `kerato_http`'s frame, the
//! site's error type and its page, the visitor of the request, and the
//! bundled assets. The form extractors are `kerato_http::extract`'s.

mod assets;
mod error;
mod layout;
pub(crate) mod visitor;

pub(crate) use assets::asset;
pub use error::SiteError;
pub(crate) use error::{not_found, render};
pub(crate) use layout::{Layout, Section};
