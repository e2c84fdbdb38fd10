//! Changing IDs in URLs, forms and JSON bodies never reaches another
//! organisation's or another location's records, and every attempt is
//! audited as denied.

use kerato_domain::identity::Role;
use kerato_store::audit;
use reqwest::{Method, StatusCode};

use crate::support::{TestApp, Who, location_json, spawn_app};

async fn denials_by(t: &TestApp, who: Who) -> usize {
    let mut tx = t.app.store().read().await.unwrap();
    let user = t.user(who).id.to_string();
    audit::events_after(&mut tx, 0, 100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| {
            e.event.outcome.as_str() == "denied"
                && e.event.user_id.as_deref() == Some(user.as_str())
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisation_is_out_of_reach() {
    let t = spawn_app().await;
    let who = Who::OtherOrgAdmin;
    let l1 = t.l1.id;
    let before = denials_by(&t, who).await;
    let mut attempts = 0;

    let resp = t
        .req(Method::GET, &format!("/api/locations/{l1}"), who)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    attempts += 1;
    let mut body = location_json("Hijacked");
    body["version"] = serde_json::json!(1);
    let resp = t
        .req(Method::PUT, &format!("/api/locations/{l1}"), who)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    attempts += 1;
    let resp = t
        .req(Method::GET, &format!("/locations/{l1}/edit"), who)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    attempts += 1;
    let resp = t
        .form(
            &format!("/locations/{l1}"),
            who,
            &[
                ("name", "Hijacked"),
                ("version", "1"),
                ("time_zone", "UTC"),
                ("address_line1", "x"),
                ("city", "x"),
                ("state", "IL"),
                ("zip", "62701"),
                ("specialties", "eye_care"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    attempts += 1;
    let desk = t.user(Who::DeskAtL1).id;
    let resp = t
        .req(Method::GET, &format!("/admin/users/{desk}"), who)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    attempts += 1;
    // An ID in a form body: emergency access to the other organisation's location.
    let l1s = l1.to_string();
    let resp = t
        .form(
            "/emergency",
            who,
            &[
                ("location", l1s.as_str()),
                ("reason", "trying another practice's records"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    attempts += 1;
    // Its own list shows only its own location.
    let list: serde_json::Value = t
        .req(Method::GET, "/api/locations", who)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Hilltop"]);

    // An ID in a JSON-like form body: a location of the other organisation
    // cannot be assigned to a user here.
    let admin = Who::Role(Role::Admin);
    let other = t.other_location.id.to_string();
    let resp = t
        .form(
            "/admin/users",
            admin,
            &[
                ("email", "new@lakeside.example"),
                ("display_name", "New"),
                ("role", "billing"),
                ("locations", other.as_str()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let caller = t.app.unsafe_caller_for(t.user(admin).id).await.unwrap();
    assert_eq!(
        t.app.get_location(&caller, l1).await.unwrap().name,
        "North",
        "a cross-tenant write landed"
    );
    assert_eq!(
        denials_by(&t, who).await - before,
        attempts,
        "each attempt must be audited as denied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_outside_ones_own_is_out_of_reach() {
    let t = spawn_app().await;
    let l2 = t.l2.id;
    // Front desk at location 1: reads of location 2 are denied and audited.
    let desk = Who::DeskAtL1;
    let resp = t
        .req(Method::GET, &format!("/api/locations/{l2}"), desk)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let list: serde_json::Value = t
        .req(Method::GET, "/api/locations", desk)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(denials_by(&t, desk).await, 1);

    // An administrator of location 1 only cannot edit location 2.
    let admin = Who::AdminAtL1;
    let mut body = location_json("Renamed");
    body["version"] = serde_json::json!(1);
    let resp = t
        .req(Method::PUT, &format!("/api/locations/{l2}"), admin)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = t
        .req(Method::PUT, &format!("/api/locations/{}", t.l1.id), admin)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "their own location stays editable"
    );
    assert_eq!(denials_by(&t, admin).await, 1);
}
