//! The route × role matrix, generated from the route table itself: every
//! route, called by every role and anonymously, answers as its declared
//! access says. A route cannot exist without a declared access, so a new
//! route is in this test the moment it is added.

use std::collections::BTreeSet;

use kerato_domain::identity::{Role, role_permits};
use kerato_web::{Access, RouteSpec};
use reqwest::{Method, RequestBuilder, StatusCode};

use crate::support::{CSRF, TestApp, Who, location_json, spawn_app};

/// The route's path with real IDs of the first organisation filled in.
pub fn concrete_path(t: &TestApp, template: &str) -> String {
    let asset = kerato_web::assets::url("app.css")
        .trim_start_matches("/assets/")
        .to_string();
    let id = if template.starts_with("/admin/users/") {
        t.user(Who::DeskAtL1).id.to_string()
    } else {
        t.l1.id.to_string()
    };
    template
        .replace("{id}", &id)
        .replace("{file}", &asset)
        .replace("{token}", &"ab".repeat(24))
}

/// A plausible body for the route: a form with the CSRF field, or JSON.
pub fn body_for(t: &TestApp, spec: &RouteSpec, req: RequestBuilder) -> RequestBuilder {
    match (spec.method, spec.path.starts_with("/api/")) {
        ("POST" | "PUT", true) => {
            let mut body = location_json("Matrix location");
            if spec.method == "PUT" {
                body["version"] = serde_json::json!(1);
            }
            if spec.path == "/api/organisation" {
                body = serde_json::json!({"name": "Lakeside Eye & Skin"});
            }
            req.json(&body)
        }
        ("POST", false) => {
            let l2 = t.l2.id.to_string();
            let fields: Vec<(&str, String)> = vec![
                ("csrf", CSRF.into()),
                ("location", l2),
                ("reason", "matrix test of the emergency form".into()),
                ("session", "0".repeat(64)),
                ("patient", "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f".into()),
                ("lookup", "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f".into()),
                ("idle_minutes", "15".into()),
                ("version", "1".into()),
            ];
            req.form(&fields)
        }
        _ => req,
    }
}

fn permitted(who: Who, access: Access) -> bool {
    let role = match who {
        Who::Anonymous => return matches!(access, Access::Public),
        Who::Role(r) => r,
        Who::AdminAtL1 => Role::Admin,
        Who::DeskAtL1 => Role::FrontDesk,
        Who::OtherOrgAdmin => Role::Admin,
    };
    match access {
        Access::Public | Access::SignedIn => true,
        Access::Needs(resource, action) => role_permits(role, resource, action),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_declared() {
    let t = spawn_app().await;
    let table = kerato_web::route_table();
    let unique: BTreeSet<(&str, &str)> = table.iter().map(|s| (s.method, s.path)).collect();
    assert_eq!(unique.len(), table.len(), "a route is registered twice");
    let mut callers = vec![Who::Anonymous];
    callers.extend(Role::ALL.iter().map(|r| Who::Role(*r)));
    let mut failures = Vec::new();
    let mut requests = 0;
    for spec in &table {
        for &who in &callers {
            let path = concrete_path(&t, spec.path);
            let method: Method = spec.method.parse().unwrap();
            let resp = body_for(&t, spec, t.req(method, &path, who).await)
                .send()
                .await
                .unwrap();
            requests += 1;
            let status = resp.status();
            let location = resp
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let ok = if who == Who::Anonymous && !matches!(spec.access, Access::Public) {
                if spec.path.starts_with("/api/") {
                    status == StatusCode::UNAUTHORIZED
                } else {
                    status == StatusCode::SEE_OTHER && location.as_deref() == Some("/login")
                }
            } else if spec.access == Access::Public {
                // A public route may still refuse a bad sign-in with 401.
                status != StatusCode::FORBIDDEN && !status.is_server_error()
            } else if permitted(who, spec.access) {
                status != StatusCode::UNAUTHORIZED
                    && status != StatusCode::FORBIDDEN
                    && !status.is_server_error()
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {who:?} ({:?}) -> {status}",
                    spec.method, spec.path, spec.access
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {requests} answers were wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(requests >= table.len() * 10);
}
