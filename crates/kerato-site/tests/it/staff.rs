//! The vendor staff pages: campaigns written and sent from the page, and
//! privacy requests moved through their clock.

use kerato_core::totp::TotpSecret;
use kerato_site::accounts::{self, Role};

use crate::accounts::{PASSWORD, sign_in};
use crate::spawn;

#[tokio::test(flavor = "multi_thread")]
async fn staff_write_and_send_a_campaign_and_step_a_privacy_request() {
    let t = spawn().await;
    let secret = TotpSecret::from_bytes([5; 20]);
    accounts::create_staff(
        &t.site,
        "admin@kerato.example",
        "Ada",
        Role::VendorAdmin,
        PASSWORD,
        &secret,
    )
    .await
    .unwrap();
    let admin = sign_in(&t, "admin@kerato.example", Some(&secret)).await;

    // A subscriber, then a campaign from the page.
    let (status, _) = t
        .post(
            "/newsletter",
            "/newsletter",
            &[
                ("name", "Ann"),
                ("email", "ann@leeeye.example"),
                ("practice", "Lee Eye"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, body) = admin
        .post(
            "/staff/campaigns",
            "/staff/campaigns",
            &[("kind", "marketing"), ("subject", ""), ("body", "x")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("enter the subject"), "{body}");
    let (status, _) = admin
        .post(
            "/staff/campaigns",
            "/staff/campaigns",
            &[
                ("kind", "marketing"),
                ("subject", "Spring update"),
                ("body", "New body maps."),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = admin.get("/staff/campaigns").await;
    let id = page
        .split("/staff/campaigns/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let (status, body) = admin
        .post(
            "/staff/campaigns",
            &format!("/staff/campaigns/{id}/send"),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("1 queued"), "{body}");
    let (status, _) = admin
        .post(
            "/staff/campaigns",
            &format!("/staff/campaigns/{id}/send"),
            &[],
        )
        .await;
    assert_eq!(status, 409, "a campaign is sent once");

    // A privacy request, verified by its link, then stepped by staff.
    let (status, _) = t
        .post(
            "/privacy-center",
            "/privacy-center",
            &[
                ("name", "Ann Lee"),
                ("email", "ann@leeeye.example"),
                ("kind", "access"),
                ("details", ""),
            ],
        )
        .await;
    assert!(status == 303 || status == 200, "{status}");
    let (_, page) = admin.get("/staff/privacy").await;
    assert!(
        page.contains("Ann Lee") && page.contains("45 days left"),
        "{page}"
    );
    let id = page
        .split("/staff/privacy/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let step = format!("/staff/privacy/{id}/step");
    let (status, _) = admin
        .post("/staff/privacy", &step, &[("step", "fulfil"), ("note", "")])
        .await;
    assert_eq!(status, 422, "a fulfilment needs its summary");
    let (status, _) = admin
        .post("/staff/privacy", &step, &[("step", "start"), ("note", "")])
        .await;
    assert_eq!(
        status, 409,
        "work cannot start before the e-mail is verified"
    );
}
