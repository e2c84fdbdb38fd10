//! Support tickets: the PHI guard on the way in, who may see what, the
//! staff side (replies by e-mail, status, assignment, the under-13 flag),
//! bad input, and e-mail intake from a maildir.

use std::path::Path;

use kerato_core::phi_guard;
use kerato_site::accounts::{self, Role};
use kerato_site::tickets::{self, Status};

use crate::accounts::{sign_up, staff};
use crate::{Agent, TestSite, spawn};

const SSN: &str = "123-45-6789";
const PHI_BODY: &str =
    "Jane Doe, DOB 03/04/1961, cannot be found. SSN 123-45-6789 was typed in the search box.";
const SSN_MARKER: &str = "[redacted: Social Security number]";

/// Opens a ticket from the portal; the ticket's ID.
async fn open_ticket(a: &Agent, subject: &str, message: &str) -> String {
    let (status, location) = a
        .post(
            "/portal/tickets/new",
            "/portal/tickets/new",
            &[("subject", subject), ("message", message)],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    location
        .strip_prefix("/portal/tickets/")
        .unwrap()
        .to_string()
}

/// Every stored text a ticket can reach: tickets, messages, the audit
/// trail and the outbox; the rows that contain `needle`.
async fn rows_containing(t: &TestSite, needle: &str) -> Vec<String> {
    let mut tx = t.site.store.read().await.unwrap();
    let mut found = Vec::new();
    for sql in [
        "SELECT subject || ' ' || from_email FROM tickets",
        "SELECT body || ' ' || COALESCE(redaction_note, '') FROM ticket_messages",
        "SELECT action || ' ' || COALESCE(subject, '') || ' ' || COALESCE(detail, '') FROM site_audit",
        "SELECT subject || ' ' || body FROM site_outbox",
    ] {
        let rows: Vec<(String,)> = kerato_db::on_tx!(tx, c => sqlx::query_as(sql)
            .fetch_all(&mut **c)
            .await)
        .unwrap();
        found.extend(
            rows.into_iter()
                .map(|(r,)| r)
                .filter(|r| r.contains(needle)),
        );
    }
    found
}

async fn ticket(t: &TestSite, id: &str) -> tickets::Ticket {
    let mut tx = t.site.store.read().await.unwrap();
    tickets::by_id(&mut tx, id).await.unwrap().unwrap()
}

async fn thread(t: &TestSite, id: &str) -> Vec<tickets::Message> {
    let mut tx = t.site.store.read().await.unwrap();
    tickets::messages(&mut tx, id).await.unwrap()
}

async fn audit_actions(t: &TestSite, id: &str) -> Vec<(String, Option<String>)> {
    let mut tx = t.site.store.read().await.unwrap();
    kerato_site::audit::about(&mut tx, &format!("ticket:{id}"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn patient_information_is_redacted_before_anything_is_stored() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let id = open_ticket(&ann, "Search fails for SSN 123-45-6789", PHI_BODY).await;
    let stored = thread(&t, &id).await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].body.contains(SSN_MARKER), "{}", stored[0].body);
    assert!(stored[0].body.contains("[redacted: date of birth]"));
    assert!(stored[0].body.contains("Jane Doe"), "a bare name is kept");
    assert!(!stored[0].body.contains("1961"));
    assert!(ticket(&t, &id).await.subject.contains(SSN_MARKER));
    assert!(
        rows_containing(&t, SSN).await.is_empty(),
        "the SSN was stored somewhere"
    );
    assert!(rows_containing(&t, "03/04/1961").await.is_empty());
    let summary = "2 Social Security numbers, 1 date of birth";
    assert_eq!(
        phi_guard::summary(&phi_guard::scan(&format!("SSN {SSN} {PHI_BODY}"))),
        summary
    );
    let events = audit_actions(&t, &id).await;
    assert!(
        events.contains(&("ticket.redacted".to_string(), Some(summary.to_string()))),
        "{events:?}"
    );
    assert!(events.contains(&("ticket.opened".to_string(), None)));
    assert!(kerato_site::audit::verify(&t.site.store).await.is_ok());
    let (status, page) = ann.get(&format!("/portal/tickets/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!(
        "We removed what looked like patient information ({summary}) before saving your message."
    )));
    assert!(!page.contains(SSN));
    // A reply is redacted the same way, and a clean one carries no notice.
    let page_path = format!("/portal/tickets/{id}");
    let (status, _) = ann
        .post(
            &page_path,
            &format!("{page_path}/reply"),
            &[("message", "Also MRN 00123456.")],
        )
        .await;
    assert_eq!(status, 303);
    let replies = thread(&t, &id).await;
    assert_eq!(replies.len(), 2);
    assert!(
        replies
            .iter()
            .any(|m| m.body == "Also MRN [redacted: medical record number]."
                && m.redaction_note.as_deref() == Some("1 medical record number"))
    );
    assert!(rows_containing(&t, "00123456").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_forms_carry_the_browser_phi_guard() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let (status, page) = ann.get("/portal/tickets/new").await;
    assert_eq!(status, 200);
    for markup in [
        "data-phi-guard",
        "data-phi-check",
        "data-phi-warning role=\"alert\"",
        "<label for=\"subject\">",
        "<label for=\"message\">",
    ] {
        assert!(page.contains(markup), "{markup} missing");
    }
    let src_at = page.find("<script src=\"").unwrap() + 13;
    let src = &page[src_at..src_at + page[src_at..].find('"').unwrap()];
    assert!(src.starts_with("/assets/phi-guard."), "{src}");
    let r = t
        .client
        .get(format!("{}{src}", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(r.text().await.unwrap().contains("data-phi-warning"));
    let id = open_ticket(&ann, "Printer", "The label printer stops.").await;
    let (_, page) = ann.get(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains("data-phi-guard") && page.contains(src));
    assert!(!page.contains("We removed"), "no notice without redaction");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_account_cannot_see_or_answer_a_ticket() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let id = open_ticket(&ann, "Printer", "The label printer stops.").await;
    let (_, list) = ann.get("/portal/tickets").await;
    assert!(list.contains("Printer"));
    let eve = sign_up(&t, "eve@othereye.example").await;
    let path = format!("/portal/tickets/{id}");
    assert_eq!(eve.get(&path).await.0, 404);
    let (_, list) = eve.get("/portal/tickets").await;
    assert!(!list.contains("Printer"));
    let (status, _) = eve
        .post(
            "/portal/tickets/new",
            &format!("{path}/reply"),
            &[("message", "mine now")],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(t.count("ticket_messages").await, 1);
    assert_eq!(eve.get("/portal/tickets/not-a-ticket").await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_answer_by_e_mail_move_and_assign_and_a_customer_reply_reopens() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let id = open_ticket(&ann, "Printer", "The label printer stops.").await;
    let sue = staff(&t, "sue@kerato.example", "Sue Support", Role::VendorSupport).await;
    staff(&t, "al@kerato.example", "Al Admin", Role::VendorAdmin).await;
    staff(&t, "sam@kerato.example", "Sam Sales", Role::VendorSales).await;
    let page = format!("/staff/tickets/{id}");
    let (status, queue) = sue.get("/staff/tickets?status=open").await;
    assert_eq!(status, 200);
    assert!(queue.contains("Printer") && queue.contains("Lee Eye Care"));
    let (_, body) = sue.get(&page).await;
    assert!(body.contains("data-phi-guard"));
    assert!(body.contains("Al Admin") && body.contains("Sue Support"));
    assert!(!body.contains("Sam Sales"), "sales do not handle tickets");

    t.clock.advance_secs(60);
    let (status, _) = sue
        .post(
            &page,
            &format!("{page}/reply"),
            &[(
                "message",
                "Please check SSN 123-45-6789 is not in the label.",
            )],
        )
        .await;
    assert_eq!(status, 303);
    let mut tx = t.site.store.read().await.unwrap();
    let (recipient, subject, mail): (String, String, String) =
        kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient, subject, body FROM site_outbox WHERE kind = 'ticket_reply'"
    )
    .fetch_one(&mut **c)
    .await)
        .unwrap();
    drop(tx);
    let tk = ticket(&t, &id).await;
    assert_eq!(recipient, "ann@leeeye.example");
    assert_eq!(subject, format!("Re: [ticket #{}] Printer", tk.reference()));
    assert!(mail.contains(SSN_MARKER) && !mail.contains(SSN));
    assert_eq!(tk.status, Status::WaitingOnCustomer);
    let (_, staff_view) = sue.get(&page).await;
    assert!(staff_view.contains("Redacted on intake: 1 Social Security number."));
    let (_, customer_view) = ann.get(&format!("/portal/tickets/{id}")).await;
    assert!(customer_view.contains("Support (Sue Support)"));
    assert!(
        !customer_view.contains("We removed"),
        "staff redactions are not the customer's"
    );

    let status_path = format!("{page}/status");
    assert_eq!(
        sue.post(&page, &status_path, &[("status", "resolved")])
            .await
            .0,
        303
    );
    assert_eq!(ticket(&t, &id).await.status, Status::Resolved);
    let (_, queue) = sue.get("/staff/tickets?status=resolved").await;
    assert!(queue.contains("Printer"));
    let (_, queue) = sue.get("/staff/tickets?status=open").await;
    assert!(!queue.contains("Printer"));
    assert_eq!(sue.get("/staff/tickets?status=lost").await.0, 400);
    assert_eq!(
        sue.post(&page, &status_path, &[("status", "waiting_on_customer")])
            .await
            .0,
        409,
        "resolved cannot go back to waiting"
    );

    let mut tx = t.site.store.read().await.unwrap();
    let al = accounts::user_by_email(&mut tx, "al@kerato.example")
        .await
        .unwrap()
        .unwrap();
    let sam = accounts::user_by_email(&mut tx, "sam@kerato.example")
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    let assign = format!("{page}/assign");
    assert_eq!(
        sue.post(&page, &assign, &[("assignee", &al.id)]).await.0,
        303
    );
    let tk = ticket(&t, &id).await;
    assert_eq!(tk.assigned_to.as_deref(), Some(al.id.as_str()));
    assert_eq!(tk.assignee_name.as_deref(), Some("Al Admin"));
    assert_eq!(
        sue.post(&page, &assign, &[("assignee", &sam.id)]).await.0,
        400
    );
    assert_eq!(
        ticket(&t, &id).await.assigned_to.as_deref(),
        Some(al.id.as_str())
    );

    t.clock.advance_secs(60);
    let portal_page = format!("/portal/tickets/{id}");
    let (status, _) = ann
        .post(
            &portal_page,
            &format!("{portal_page}/reply"),
            &[("message", "Still stops on Mondays.")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(ticket(&t, &id).await.status, Status::Open, "reopened");
    let messages = thread(&t, &id).await;
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2].body, "Still stops on Mondays.");

    assert_eq!(
        sue.post(&page, &status_path, &[("status", "closed")])
            .await
            .0,
        303
    );
    let (_, closed) = ann.get(&portal_page).await;
    assert!(closed.contains("This ticket is closed"));
    let (status, _) = ann
        .post(
            "/portal",
            &format!("{portal_page}/reply"),
            &[("message", "One more thing.")],
        )
        .await;
    assert_eq!(status, 409, "a closed ticket takes no replies");
    let events: Vec<String> = audit_actions(&t, &id)
        .await
        .into_iter()
        .map(|(a, d)| format!("{a} {}", d.unwrap_or_default()))
        .collect();
    for expected in [
        "ticket.status open -> waiting_on_customer",
        "ticket.status waiting_on_customer -> resolved",
        &format!("ticket.assigned staff:{}", al.id),
        "ticket.status resolved -> open",
        "ticket.status open -> closed",
        "ticket.redacted 1 Social Security number",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected} in {events:?}"
        );
    }
    // A customer may not use the staff side.
    assert_eq!(ann.get(&page).await.0, 403);
    assert_eq!(
        ann.post("/portal", &status_path, &[("status", "open")])
            .await
            .0,
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_s_ticket_is_flagged_and_deleted_with_its_messages() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let child = open_ticket(&ann, "hi", "i am 11 and i like your website").await;
    let keep = open_ticket(&ann, "Printer", "The label printer stops.").await;
    let sue = staff(&t, "sue@kerato.example", "Sue Support", Role::VendorSupport).await;
    let page = format!("/staff/tickets/{child}");
    let (_, body) = sue.get(&page).await;
    assert!(body.contains("Mark as from a child under 13"));
    let flag = format!("{page}/under-13");
    assert_eq!(sue.post(&page, &flag, &[]).await.0, 303);
    assert!(ticket(&t, &child).await.under_13);
    assert_eq!(sue.post(&page, &flag, &[]).await.0, 409);
    assert!(
        audit_actions(&t, &child)
            .await
            .contains(&("ticket.under_13".to_string(), None))
    );
    // The retention job's next run deletes it, whatever the date.
    let today = kerato_site::retention::utc_date(t.site.now());
    let report = kerato_site::retention::run(&t.site, today, false)
        .await
        .unwrap();
    assert_eq!(
        report.deleted(kerato_core::retention::DataClass::ChildNonClinical),
        1
    );
    assert_eq!(t.count("tickets").await, 1);
    assert_eq!(t.count("ticket_messages").await, 1);
    assert_eq!(ticket(&t, &keep).await.subject, "Printer");
    assert_eq!(sue.get(&page).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_clear_messages_and_nothing_is_stored() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let long = "x".repeat(10_001);
    let script = "<script>alert(1)</script>";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("message", "The printer stops.")], "enter a subject"),
        (
            vec![("subject", "Printer"), ("message", "  ")],
            "enter your message",
        ),
        (
            vec![("subject", "Printer"), ("message", long.as_str())],
            "shorten it to 10000",
        ),
        (
            vec![("subject", &long[..151]), ("message", script)],
            "shorten it to 150",
        ),
        (
            vec![("subject", "bell\u{7}"), ("message", "x")],
            "control characters",
        ),
    ];
    for (fields, message) in cases {
        let (status, body) = ann
            .post("/portal/tickets/new", "/portal/tickets/new", &fields)
            .await;
        assert_eq!(status, 422, "{message}");
        assert!(body.contains(message), "{message} not in the page");
        assert!(body.contains("Nothing was saved"), "{message}");
        assert!(!body.contains(script), "echoed unescaped");
    }
    let r = ann
        .client
        .post(format!("{}/portal/tickets/new", t.url))
        .form(&[("subject", "Printer"), ("message", "stops")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = ann
        .client
        .post(format!("{}/portal/tickets/new", t.url))
        .json(&serde_json::json!({"subject": "Printer", "message": "stops"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let huge = "y".repeat(70 * 1024);
    let (status, _) = ann
        .post(
            "/portal/tickets/new",
            "/portal/tickets/new",
            &[("subject", "Printer"), ("message", &huge)],
        )
        .await;
    assert_eq!(status, 413);
    assert_eq!(t.count("tickets").await, 0);
    assert_eq!(t.count("ticket_messages").await, 0);

    // Markup is stored as text and shown escaped, never run.
    let id = open_ticket(&ann, script, script).await;
    let path = format!("/portal/tickets/{id}");
    let (_, page) = ann.get(&path).await;
    assert!(!page.contains(script));
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"));
    let (status, body) = ann
        .post(&path, &format!("{path}/reply"), &[("message", "")])
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("enter your message") && body.contains("Nothing was saved"));
    assert_eq!(t.count("ticket_messages").await, 1);
    let sue = staff(&t, "sue@kerato.example", "Sue Support", Role::VendorSupport).await;
    let staff_page = format!("/staff/tickets/{id}");
    let (status, body) = sue
        .post(
            &staff_page,
            &format!("{staff_page}/reply"),
            &[("message", &long)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("shorten it to 10000"));
    assert_eq!(
        sue.post(
            &staff_page,
            &format!("{staff_page}/status"),
            &[("status", "won")]
        )
        .await
        .0,
        400
    );
    assert_eq!(t.count("ticket_messages").await, 1);
    assert_eq!(t.count("site_outbox").await, 0);
}

fn write(dir: &Path, name: &str, raw: &str) {
    std::fs::write(dir.join("new").join(name), raw).unwrap();
}

fn files(dir: &Path, sub: &str) -> usize {
    std::fs::read_dir(dir.join(sub)).unwrap().count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_maildir_importer_opens_threads_decodes_redacts_and_skips() {
    let t = spawn().await;
    let ann = sign_up(&t, "ann@leeeye.example").await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("new")).unwrap();
    let first = "From: Ann Lee <Ann@LeeEye.example>\r\nTo: support@kerato.example\r\nSubject: Label printer\r\nMessage-ID: <m1@leeeye.example>\r\n\r\nThe label printer stops.\r\n";
    write(dir, "1000.a", first);
    write(
        dir,
        "1001.b",
        "From: bob@elsewhere.example\nSubject: Help\nMessage-ID: <m2@elsewhere.example>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nMy SSN is 123-45-6789 and the caf=C3=A9 menu =\nis wrong.\n",
    );
    write(dir, "1002.c", "\u{0}\u{1}this is not an e-mail at all");
    let report = kerato_site::import_maildir(&t.site, dir).await.unwrap();
    assert_eq!(report.opened, 2);
    assert_eq!(report.redacted, 1);
    assert_eq!(
        report.bad.get("a header line has no colon"),
        Some(&1),
        "{report:?}"
    );
    assert_eq!(
        (files(dir, "new"), files(dir, "cur"), files(dir, "bad")),
        (0, 2, 1)
    );
    assert!(rows_containing(&t, SSN).await.is_empty());

    let mut tx = t.site.store.read().await.unwrap();
    let ann_user = accounts::user_by_email(&mut tx, "ann@leeeye.example")
        .await
        .unwrap()
        .unwrap();
    let ours = tickets::of_account(&mut tx, ann_user.account_id.as_deref().unwrap())
        .await
        .unwrap();
    let all = tickets::queue(&mut tx, None).await.unwrap();
    drop(tx);
    assert_eq!(ours.len(), 1);
    let printer = ours[0].clone();
    assert_eq!(printer.subject, "Label printer");
    assert_eq!(
        printer.author_user_id.as_deref(),
        Some(ann_user.id.as_str())
    );
    let (_, list) = ann.get("/portal/tickets").await;
    assert!(list.contains("Label printer"));
    let unknown = all.iter().find(|x| x.sender_unknown()).unwrap();
    assert_eq!(unknown.from_email, "bob@elsewhere.example");
    let body = &thread(&t, &unknown.id).await[0].body;
    assert_eq!(
        body,
        &format!("My SSN is {SSN_MARKER} and the caf\u{e9} menu is wrong.")
    );
    let sue = staff(&t, "sue@kerato.example", "Sue Support", Role::VendorSupport).await;
    let (_, queue) = sue.get("/staff/tickets").await;
    assert!(queue.contains("From e-mail, sender unknown"));

    // Replies: by the tag (base64 inside multipart/alternative), by
    // In-Reply-To, a re-delivered original, and a stranger who guesses the tag.
    let tag = printer.tag();
    write(
        dir,
        "2000.d",
        &format!(
            "From: ann@leeeye.example\nSubject: Re: {tag} Label printer\nMessage-ID: <m3@leeeye.example>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"xyz\"\n\n--xyz\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSXQgc3RvcHBlZCBhZ2Fpbi4=\n--xyz\nContent-Type: text/html\n\n<p>It stopped again.</p>\n--xyz--\n"
        ),
    );
    write(
        dir,
        "2001.e",
        "From: ann@leeeye.example\nSubject: Re: Label printer\nMessage-ID: <m4@leeeye.example>\nIn-Reply-To: <m1@leeeye.example>\n\nAnd once more.\n",
    );
    write(dir, "2002.f", first);
    write(
        dir,
        "2003.g",
        &format!(
            "From: eve@evil.example\nSubject: {tag} hello\nMessage-ID: <m5@evil.example>\n\nlet me in\n"
        ),
    );
    t.clock.advance_secs(60);
    let report = kerato_site::import_maildir(&t.site, dir).await.unwrap();
    assert_eq!(
        (report.threaded, report.duplicates, report.opened),
        (2, 1, 1),
        "{report:?}"
    );
    assert!(report.bad.is_empty());
    let messages = thread(&t, &printer.id).await;
    let mut bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies.remove(0), "The label printer stops.");
    // Both replies arrived in the same run, at the same (test) instant.
    bodies.sort_unstable();
    assert_eq!(bodies, ["And once more.", "It stopped again."]);
    assert_eq!(
        t.count("tickets").await,
        3,
        "the stranger got a ticket of their own"
    );
    // Importing again finds nothing new.
    let report = kerato_site::import_maildir(&t.site, dir).await.unwrap();
    assert_eq!(report, kerato_site::ImportReport::default());
    assert_eq!(files(dir, "cur"), 6);

    // An answer to a staff reply threads by the Message-ID the reply was
    // sent with, and reopens the ticket.
    let page = format!("/staff/tickets/{}", printer.id);
    sue.post(
        &page,
        &format!("{page}/reply"),
        &[("message", "Try the new driver.")],
    )
    .await;
    assert_eq!(
        ticket(&t, &printer.id).await.status,
        Status::WaitingOnCustomer
    );
    let mut tx = t.site.store.read().await.unwrap();
    let (headers,): (String,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT headers FROM site_outbox WHERE kind = 'ticket_reply'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    drop(tx);
    let headers: Vec<(String, String)> = serde_json::from_str(&headers).unwrap();
    let (name, sent_id) = &headers[0];
    assert_eq!(name, "Message-ID");
    // Delivered over SMTP, the reply carries that ID, once.
    let (url, inbox) = crate::smtp_sink().await;
    let mailer =
        kerato_site::mail::Mailer::from_url(&url, "Kerato <support@kerato.example>").unwrap();
    kerato_site::mail::deliver_outbox(&t.site, &mailer, 50)
        .await
        .unwrap();
    let raw = inbox
        .lock()
        .unwrap()
        .iter()
        .find(|m| m.contains("Try the new driver."))
        .cloned()
        .unwrap();
    let ids: Vec<&str> = raw
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .collect();
    assert_eq!(ids, [format!("Message-ID: {sent_id}").as_str()], "{raw}");
    write(
        dir,
        "3000.h",
        &format!(
            "From: ann@leeeye.example\nSubject: Re: driver\nIn-Reply-To: {sent_id}\n\nThat fixed it... almost.\n"
        ),
    );
    let report = kerato_site::import_maildir(&t.site, dir).await.unwrap();
    assert_eq!((report.threaded, report.opened), (1, 0), "{report:?}");
    assert_eq!(ticket(&t, &printer.id).await.status, Status::Open);
}
