//! The locations pages as a browser without JavaScript uses them: plain
//! GET and POST, with the CSRF token from the page.

use reqwest::StatusCode;

use crate::support::{TestApp, spawn_app};

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("form has a csrf field") + marker.len();
    html[start..start + 64].to_string()
}

async fn new_form_token(t: &TestApp) -> String {
    let resp = t.client.get(t.url("/locations/new")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    hidden_csrf(&resp.text().await.unwrap())
}

fn fields<'a>(csrf: &'a str, name: &'a str, tz: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("address_line1", "1 Lake Rd"),
        ("address_line2", ""),
        ("city", "Madison"),
        ("state", "WI"),
        ("zip", "53703"),
        ("time_zone", tz),
        ("specialties", "optical_shop"),
        ("specialties", "eye_care"),
    ]
}

#[tokio::test]
async fn add_then_edit_a_location_through_the_forms() {
    let t = spawn_app().await;
    let csrf = new_form_token(&t).await;
    let resp = t
        .client
        .post(t.url("/locations"))
        .form(&fields(&csrf, "Lakeside Optical", "America/Chicago"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/locations?notice=created");

    let list = t
        .client
        .get(t.url("/locations?notice=created"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Lakeside Optical") && list.contains("Location added."),
        "{list}"
    );
    assert!(list.contains("Optical shop") && list.contains("America/Chicago"));

    let org = t.app.home_organisation().await.unwrap();
    let loc = t.app.list_locations(org.id).await.unwrap().remove(0);
    let edit = t
        .client
        .get(t.url(&format!("/locations/{}/edit", loc.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(edit.contains("value=\"Lakeside Optical\""));
    assert!(edit.contains("name=\"version\" value=\"1\""));
    let mut form = fields(&csrf, "Lakeside Optical & Eye", "America/Chicago");
    form.push(("version", "1"));
    let resp = t
        .client
        .post(t.url(&format!("/locations/{}", loc.id)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        t.app.get_location(org.id, loc.id).await.unwrap().name,
        "Lakeside Optical & Eye"
    );
}

#[tokio::test]
async fn a_bad_form_comes_back_with_the_message_next_to_the_field() {
    let t = spawn_app().await;
    let csrf = new_form_token(&t).await;
    let resp = t
        .client
        .post(t.url("/locations"))
        .form(&fields(&csrf, "<script>alert(1)</script>", "Moon/Base"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"time_zone-error\""), "{html}");
    assert!(html.contains("is not a known IANA time zone"));
    assert!(html.contains("aria-invalid=\"true\""));
    // What the user typed is kept, escaped.
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert_eq!(t.location_count().await, 0);
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let t = spawn_app().await;
    let _ = new_form_token(&t).await;
    for token in [
        "",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let resp = t
            .client
            .post(t.url("/locations"))
            .form(&fields(token, "Forged", "America/Chicago"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert!(resp.text().await.unwrap().contains("reload the page"));
    }
    assert_eq!(t.location_count().await, 0);
}

#[tokio::test]
async fn unknown_pages_get_an_html_404() {
    let t = spawn_app().await;
    let resp = t.client.get(t.url("/no/such/page")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("no such page"));
    let resp = t
        .client
        .get(t.url("/locations/not-an-id/edit"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
