//! The pages of signing in and recovering a password.

use axum::Router;

use crate::Site;

pub(crate) mod recovery;
pub(crate) mod sign_in;

pub(crate) use sign_in::SignedIn;

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    recovery::routes(sign_in::routes(r))
}
