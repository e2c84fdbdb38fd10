//! The route table: every route is registered with the access it needs, so
//! the router and the list the security tests walk are one and the same.

use axum::Router;
use axum::routing::MethodRouter;
use kerato_domain::identity::{Action, Resource};

use crate::WebState;

/// What a route requires of its caller. The handler enforces it through
/// `kerato-app`; the route × role test checks that it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user whose role allows this action on this resource.
    Needs(Resource, Action),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Collects routes and their specs together.
#[derive(Debug)]
pub(crate) struct Routes {
    pub router: Router<WebState>,
    pub specs: Vec<RouteSpec>,
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    /// Registers `handler` (a method router for exactly `method`).
    pub fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: MethodRouter<WebState>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }
}
