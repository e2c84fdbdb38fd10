//! Accounts and signing in: sign-up, invitations, lockout, the second
//! factor, closure, and the route × role matrix.

use kerato_core::totp::{self, TotpSecret};
use kerato_site::accounts::{self, Permission, Role};
use kerato_site::staff::STAFF_PAGES;

use crate::{Agent, TestSite, spawn};

pub const PASSWORD: &str = "correct horse battery staple";

fn signup_fields<'a>(email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("practice_name", "Lee Eye Care"),
        ("specialty", "eye_care"),
        ("name", "Ann Lee"),
        ("email", email),
        ("password", password),
        ("confirm", password),
    ]
}

/// Signs a practice up in a fresh browser; the browser is signed in.
pub(crate) async fn sign_up(t: &TestSite, email: &str) -> Agent {
    let a = t.agent();
    let (status, location) = a
        .post("/signup", "/signup", &signup_fields(email, PASSWORD))
        .await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    a
}

/// The owner invites a user with a role; the user accepts in a fresh
/// browser, which is then signed in.
/// The path of the invitation link e-mailed to `email`.
async fn invitation_link(t: &TestSite, email: &str) -> String {
    let mut tx = t.site.store.read().await.unwrap();
    let (body,): (String,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT body FROM site_outbox WHERE recipient = $1 AND kind = 'invitation'"
    )
    .bind(email)
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    let token = body
        .split("/invitations/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    format!("/invitations/{token}")
}

pub(crate) async fn invite_and_accept(
    t: &TestSite,
    owner: &Agent,
    email: &str,
    role: Role,
) -> Agent {
    owner
        .post(
            "/portal",
            "/portal/users",
            &[
                ("name", role.label()),
                ("email", email),
                ("role", role.as_str()),
            ],
        )
        .await;
    let page = invitation_link(t, email).await;
    let a = t.agent();
    let (status, _) = a
        .post(
            &page,
            &page,
            &[("password", PASSWORD), ("confirm", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303, "{email} could not accept the invitation");
    a
}

fn code(secret: &TotpSecret, t: &TestSite) -> String {
    totp::code_for_step(secret, totp::step_at(t.site.now()), totp::DIGITS)
}

/// Signs in a fresh browser, with the second step when a secret is given.
pub async fn sign_in(t: &TestSite, email: &str, secret: Option<&TotpSecret>) -> Agent {
    let a = t.agent();
    let (status, location) = a
        .post(
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303, "{email}: {location}");
    if let Some(secret) = secret {
        assert_eq!(location, "/login/mfa");
        let (status, _) = a
            .post("/login/mfa", "/login/mfa", &[("code", &code(secret, t))])
            .await;
        assert_eq!(status, 303);
    }
    a
}

/// Creates a vendor staff member and signs them in, second step included.
pub(crate) async fn staff(t: &TestSite, email: &str, name: &str, role: Role) -> Agent {
    let secret = TotpSecret::from_bytes([9; 20]);
    accounts::create_staff(&t.site, email, name, role, PASSWORD, &secret)
        .await
        .unwrap();
    sign_in(t, email, Some(&secret)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_practice_signs_up_and_bad_sign_ups_store_nothing() {
    let t = spawn().await;
    let owner = sign_up(&t, "ann@leeeye.example").await;
    let (status, body) = owner.get("/portal").await;
    assert_eq!(status, 200);
    assert!(body.contains("Lee Eye Care") && body.contains("Practice owner"));
    let long = "p".repeat(3000);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (signup_fields("bob@x.example", "short"), "at least 12"),
        (
            signup_fields("not an address", PASSWORD),
            "e-mail address like",
        ),
        (
            signup_fields("ann@leeeye.example", PASSWORD),
            "already has a user",
        ),
        (
            vec![
                ("practice_name", long.as_str()),
                ("specialty", "x"),
                ("email", "c@x.example"),
            ],
            "shorten it to 150",
        ),
        (
            vec![
                ("practice_name", "<script>alert(1)</script>"),
                ("specialty", "optical"),
                ("name", "C"),
                ("email", "c@x.example"),
                ("password", PASSWORD),
                ("confirm", "different password!!"),
            ],
            "the two passwords differ",
        ),
    ];
    for (fields, message) in cases {
        let (status, body) = t.agent().post("/signup", "/signup", &fields).await;
        assert_eq!(status, 422, "{message}");
        assert!(body.contains(message), "{message} missing");
        assert!(!body.contains("<script>alert(1)</script>"));
        assert!(!body.contains(PASSWORD), "a password was sent back");
    }
    assert_eq!(t.count("accounts").await, 1);
    assert_eq!(t.count("site_users").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_invites_a_colleague_who_accepts_once() {
    let t = spawn().await;
    let owner = sign_up(&t, "ann@leeeye.example").await;
    let (status, body) = owner
        .post(
            "/portal",
            "/portal/users",
            &[
                ("name", "Dr Bo Chen"),
                ("email", "bo@leeeye.example"),
                ("role", "physician"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("invitation is on its way"));
    let (status, body) = owner
        .post(
            "/portal",
            "/portal/users",
            &[
                ("name", "Eve"),
                ("email", "eve@leeeye.example"),
                ("role", "vendor_admin"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("choose physician"));
    let page = invitation_link(&t, "bo@leeeye.example").await;
    let bo = t.agent();
    let (status, _) = bo
        .post(&page, &page, &[("password", "short"), ("confirm", "short")])
        .await;
    assert_eq!(status, 422);
    let (status, location) = bo
        .post(
            &page,
            &page,
            &[("password", PASSWORD), ("confirm", PASSWORD)],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (_, body) = bo.get("/portal").await;
    assert!(body.contains("Dr Bo Chen"));
    assert!(!body.contains("Invite a user"), "a physician cannot invite");
    let (status, _) = t.agent().get(&page).await;
    assert_eq!(status, 403, "an invitation works once");
}

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_lock_a_user_for_fifteen_minutes() {
    let t = spawn().await;
    sign_up(&t, "ann@leeeye.example").await;
    let a = t.agent();
    for _ in 0..5 {
        let (status, body) = a
            .post(
                "/login",
                "/login",
                &[
                    ("email", "ann@leeeye.example"),
                    ("password", "wrong password here"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(body.contains("wrong"));
    }
    let (status, body) = a
        .post(
            "/login",
            "/login",
            &[("email", "ann@leeeye.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("locked"), "{body}");
    t.clock.advance_secs(15 * 60);
    sign_in(&t, "ann@leeeye.example", None).await;
    let (status, body) = a
        .post(
            "/login",
            "/login",
            &[("email", "nobody@x.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("the e-mail address or the password is wrong"));
}

#[tokio::test(flavor = "multi_thread")]
async fn vendor_staff_need_the_second_factor_and_a_code_works_once() {
    let t = spawn().await;
    let secret = TotpSecret::from_bytes([7; 20]);
    accounts::create_staff(
        &t.site,
        "sam@kerato.example",
        "Sam",
        Role::VendorSales,
        PASSWORD,
        &secret,
    )
    .await
    .unwrap();
    let a = t.agent();
    let (_, location) = a
        .post(
            "/login",
            "/login",
            &[("email", "sam@kerato.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location, "/login/mfa");
    let (status, location) = a.get("/staff").await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/login/mfa"),
        "no staff page before the code"
    );
    let (status, _) = a
        .post("/login/mfa", "/login/mfa", &[("code", "000000")])
        .await;
    assert_eq!(status, 422);
    let good = code(&secret, &t);
    let (status, location) = a.post("/login/mfa", "/login/mfa", &[("code", &good)]).await;
    assert_eq!((status, location.as_str()), (303, "/staff"));
    let (status, body) = a.get("/staff").await;
    assert_eq!(status, 200);
    assert!(body.contains("Demo requests") && !body.contains("Support tickets"));
    // The same code cannot finish a second sign-in.
    let b = t.agent();
    b.post(
        "/login",
        "/login",
        &[("email", "sam@kerato.example"), ("password", PASSWORD)],
    )
    .await;
    let (status, _) = b.post("/login/mfa", "/login/mfa", &[("code", &good)]).await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_an_account_signs_everyone_out_and_starts_the_clock() {
    let t = spawn().await;
    let owner = sign_up(&t, "ann@leeeye.example").await;
    let (status, body) = owner
        .post("/portal/close", "/portal/close", &[("confirm", "Lee")])
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("type the practice"));
    let (status, location) = owner
        .post(
            "/portal/close",
            "/portal/close",
            &[("confirm", "Lee Eye Care")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/portal/closed"));
    let (status, location) = owner.get("/portal").await;
    assert_eq!((status, location.as_str()), (303, "/login"));
    let (status, body) = t
        .agent()
        .post(
            "/login",
            "/login",
            &[("email", "ann@leeeye.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("account is closed"));
    let mut tx = t.site.store.read().await.unwrap();
    let (closed_at,): (Option<i64>,) =
        kerato_db::on_tx!(tx, c => sqlx::query_as("SELECT closed_at FROM accounts")
        .fetch_one(&mut **c)
        .await)
        .unwrap();
    assert_eq!(closed_at, Some(crate::NOW.as_micros()));
}

/// Every guarded page, and the permission it needs.
fn guarded() -> Vec<(&'static str, Permission)> {
    let mut pages = vec![
        ("/portal", Permission::UsePortal),
        ("/portal/security", Permission::UsePortal),
        ("/portal/close", Permission::CloseAccount),
        ("/portal/tickets", Permission::OpenTickets),
        ("/portal/tickets/new", Permission::OpenTickets),
        ("/portal/billing", Permission::Billing),
        ("/staff", Permission::StaffHome),
    ];
    // Every staff page the home page lists.
    pages.extend(STAFF_PAGES.iter().map(|(href, _, p)| (*href, *p)));
    pages
}

#[tokio::test(flavor = "multi_thread")]
async fn every_guarded_page_answers_each_role_by_the_matrix() {
    let t = spawn().await;
    let owner = sign_up(&t, "owner@leeeye.example").await;
    let secret = TotpSecret::from_bytes([3; 20]);
    let mut agents = vec![(Role::Owner, owner)];
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Owner) {
        let email = format!("{}@roles.example", role.as_str());
        if role.is_vendor() {
            accounts::create_staff(&t.site, &email, role.label(), role, PASSWORD, &secret)
                .await
                .unwrap();
            // Each vendor signs in in its own 30-second step, so no code is replayed.
            t.clock.advance_secs(30);
            agents.push((role, sign_in(&t, &email, Some(&secret)).await));
        } else {
            let (_, owner) = &agents[0];
            agents.push((role, invite_and_accept(&t, owner, &email, role).await));
        }
    }
    assert_eq!(agents.len(), Role::ALL.len());
    let anonymous = t.agent();
    for (path, permission) in guarded() {
        let (status, location) = anonymous.get(path).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/login"),
            "anonymous {path}"
        );
        for (role, agent) in &agents {
            let (status, _) = agent.get(path).await;
            let expected = if role.permits(permission) { 200 } else { 403 };
            assert_eq!(status, expected, "{role} on {path}");
        }
    }
}
