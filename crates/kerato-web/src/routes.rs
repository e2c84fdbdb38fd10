//! The route table: every route is registered with the access it needs, so
//! the router and the list the security tests walk are one and the same.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use kerato_domain::identity::{Action, Resource, role_permits};

use crate::WebState;
use crate::auth::{CurrentUser, authenticate};

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
    /// With a state, every route gets its access checked before its
    /// handler runs; without one (listing the table) nothing is served.
    state: Option<WebState>,
}

/// Enforces a route's declared access before anything else of the request
/// is read: a stranger or a role without the permission is turned away
/// before the body is parsed, so validation never tells them anything. The
/// handler's use case still makes the full decision (organisation,
/// location) and audits it; this is the first of two locks.
async fn enforce(
    State(state): State<WebState>,
    access: Access,
    req: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let caller = match authenticate(&state, &mut parts).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Access::Needs(resource, action) = access
        && !role_permits(caller.actor.role, resource, action)
        && let Err(e) = state.app.require(&caller, resource, action, None).await
    {
        return crate::error::WebError::from(e).into_response();
    }
    parts.extensions.insert(CurrentUser(caller));
    next.run(Request::from_parts(parts, body)).await
}

impl Routes {
    pub fn new(state: Option<WebState>) -> Self {
        Self {
            router: Router::new(),
            specs: Vec::new(),
            state,
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
        let handler = match &self.state {
            Some(state) => handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                move |s: State<WebState>, req: Request, next: Next| enforce(s, access, req, next),
            )),
            None => handler,
        };
        self.router = self.router.route(path, handler);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }
}
