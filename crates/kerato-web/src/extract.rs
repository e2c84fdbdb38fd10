//! Request body extractors that say exactly what was wrong: the shared ones
//! of `kerato_http::extract`, under the names the clinic's handlers use.
//! Their refusals convert into [`WebError`](crate::error::WebError) and are
//! rendered by the one error renderer, so the body matches the route's
//! format.

pub use kerato_http::extract::{
    ApiJson, ApiQuery, FormFields, UploadForm, UploadLimit, upload_body_limit,
};
// The parse-once extractors, which each area's handlers take up as they move
// to input types; until then some builds of this crate name neither.
#[allow(unused_imports)]
pub use kerato_http::extract::{ApiInput, Form};
