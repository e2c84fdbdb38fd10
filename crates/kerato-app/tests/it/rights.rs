//! Privacy rights requests and policy notices, clinic side, with a
//! simulated clock: received from the portal (with Global Privacy Control)
//! or by the privacy officer, verified against a chart, alarmed once when
//! due soon and overdue, fulfilled into the consent registry; a material
//! policy change needs 30 days' notice and is announced by e-mail.

use kerato_app::AppError;
use kerato_domain::consent::{ConsentInput, Purpose, Source};
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::policy::{AcknowledgementInput, PolicyInput, PolicyKind};
use kerato_domain::rights::input::RawRequest;
use kerato_domain::rights::{Channel, DisagreementInput, Regime, RequestInput, RequestStep};
use kerato_domain::time::Timestamp;

use crate::World;

fn at(text: &str) -> Timestamp {
    Timestamp::from_jiff(text.parse::<jiff::ZonedDateTime>().unwrap().timestamp())
}

fn raw_request(kind: &str) -> RawRequest {
    RawRequest {
        request_type: kind.into(),
        first_name: "Rosa".into(),
        last_name: "Quintero".into(),
        date_of_birth: "1961-04-02".into(),
        email: "rosa@example.net".into(),
        ..RawRequest::default()
    }
}

fn request(kind: &str) -> RequestInput {
    RequestInput::parse(raw_request(kind)).unwrap()
}

/// A practice with one location and a privacy officer, its clock at `at`.
async fn practice(at_time: &str) -> (World, kerato_app::Caller) {
    let w = crate::world().await;
    w.app
        .create_location(
            &w.admin,
            &crate::location_input("Skin Center").validate().unwrap(),
        )
        .await
        .unwrap();
    let po = officer(&w).await;
    w.clock.set(at(at_time));
    (w, po)
}

async fn officer(w: &World) -> kerato_app::Caller {
    let user = w
        .user("privacy@capital.example", Role::PrivacyOfficer, &[])
        .await;
    w.app.unsafe_caller_for(user.id).await.unwrap()
}

async fn inbox_count(w: &World, user: kerato_domain::ids::UserId, needle: &str) -> usize {
    let mut tx = w.app.store().read().await.unwrap();
    kerato_store::identity::inbox(&mut tx, user)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.0.contains(needle))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_request_with_gpc_runs_its_clock_alarms_once_and_records_the_opt_out() {
    let (w, po) = practice("2026-11-26T10:00:00-05:00[America/New_York]").await;
    let app = &w.app;
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    // Monday 7 September 2026 is Labor Day; received the Friday before.
    w.clock
        .set(at("2026-09-04T10:00:00-04:00[America/New_York]"));
    // Bad input is refused whole, before anything is stored.
    let err = RequestInput::parse(RawRequest {
        request_type: "everything".into(),
        date_of_birth: "04/02/1961".into(),
        email: "not an address".into(),
        ..raw_request("access")
    })
    .unwrap_err();
    let text = format!("{}", AppError::from(err));
    for field in ["request_type", "date_of_birth", "email"] {
        assert!(text.contains(field), "{field}: {text}");
    }
    assert!(app.rights_requests(&po).await.unwrap().is_empty());
    let row = app
        .receive_rights_request(None, Channel::Portal, &request("do_not_sell_share"), true)
        .await
        .unwrap();
    assert!(row.gpc);
    assert_eq!(
        row.regime(),
        Regime::Statement,
        "a PHI opt-out runs on the statement's 45 days"
    );
    // The receipt was confirmed by e-mail.
    {
        let mut tx = app.store().read().await.unwrap();
        let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
        assert!(queued.iter().any(|(to, subject)| to == "rosa@example.net"
            && subject.contains("received your privacy request")));
    }
    let views = app.rights_requests(&po).await.unwrap();
    assert_eq!(views[0].days_left, 45);
    // Nothing alarms until seven days before the deadline; then once.
    assert_eq!(app.send_rights_alarms().await.unwrap(), 0);
    w.clock.advance_secs(39 * 86_400);
    assert_eq!(app.send_rights_alarms().await.unwrap(), 1);
    assert_eq!(
        app.send_rights_alarms().await.unwrap(),
        0,
        "each alarm goes out once"
    );
    assert_eq!(inbox_count(&w, po.actor.user_id, "due soon").await, 1);
    // Verifying links the chart and applies the GPC signal as an opt-out.
    let candidates = app.request_candidates(&po, &row).await.unwrap();
    assert_eq!(candidates.len(), 1);
    let done = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::VerifyIdentity {
                patient,
                note: "photo ID at the front desk".into(),
            },
        )
        .await
        .unwrap();
    let consents = app.consents_of_patient(&po, patient).await;
    // The privacy officer may read charts; the opt-out came from GPC.
    let consents = consents.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].entry.purpose, Purpose::SaleShare);
    assert!(!consents[0].entry.granted);
    assert_eq!(consents[0].entry.source, Source::Gpc);
    // A stale version is a conflict; the overdue alarm follows the deadline.
    assert!(matches!(
        app.rights_request_step(&po, row.id, 1, RequestStep::StartWork)
            .await
            .unwrap_err(),
        AppError::Conflict(_)
    ));
    w.clock.advance_secs(8 * 86_400);
    assert_eq!(app.send_rights_alarms().await.unwrap(), 1);
    assert_eq!(inbox_count(&w, po.actor.user_id, "overdue").await, 1);
    assert!(app.rights_requests(&po).await.unwrap()[0].overdue);
    app.rights_request_step(
        &po,
        row.id,
        done.request.version,
        RequestStep::Fulfil {
            summary: "opt-out recorded".into(),
        },
    )
    .await
    .unwrap();
    let view = app.rights_request(&po, row.id).await.unwrap();
    assert!(view.request.state().is_closed());
    // Closed requests raise no more alarms; the front desk has no access.
    w.clock.advance_secs(30 * 86_400);
    assert_eq!(app.send_rights_alarms().await.unwrap(), 0);
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = app.unsafe_caller_for(desk.id).await.unwrap();
    assert!(matches!(
        app.rights_requests(&desk).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hipaa_access_request_is_due_in_30_days_and_extends_once_with_notice() {
    let (w, po) = practice("2026-03-02T09:00:00-05:00[America/New_York]").await;
    let app = &w.app;
    let row = app
        .receive_rights_request(Some(&po), Channel::Staff, &request("access"), false)
        .await
        .unwrap();
    assert_eq!(row.regime(), Regime::HipaaAccess);
    let view = app.rights_request(&po, row.id).await.unwrap();
    assert_eq!(view.days_left, 30);
    // An extension needs a verified identity and a reason, and is told.
    let err = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::Extend {
                reason: "old paper charts".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err}");
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    let v = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::VerifyIdentity {
                patient,
                note: "called back on the number in the chart".into(),
            },
        )
        .await
        .unwrap()
        .request
        .version;
    let err = app
        .rights_request_step(
            &po,
            row.id,
            v,
            RequestStep::Extend {
                reason: "  ".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err}");
    app.rights_request_step(
        &po,
        row.id,
        v,
        RequestStep::Extend {
            reason: "records in off-site storage".into(),
        },
    )
    .await
    .unwrap();
    let view = app.rights_request(&po, row.id).await.unwrap();
    assert_eq!(view.days_left, 60, "30 + 30 days");
    let mut tx = app.store().read().await.unwrap();
    let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
    assert!(queued.iter().any(|(_, s)| s.contains("needs more time")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_material_policy_change_needs_thirty_days_notice_and_is_announced() {
    let w = crate::world().await;
    let app = &w.app;
    let po = officer(&w).await;
    w.clock
        .set(at("2026-11-26T12:00:00-05:00[America/New_York]"));
    let patient = app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &kerato_domain::patients::PatientInput {
                    legal_first_name: "Rosa".into(),
                    legal_last_name: "Quintero".into(),
                    date_of_birth: "1961-04-02".into(),
                    email: Some("rosa@example.net".into()),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let input = |effective: &str, material: bool| PolicyInput {
        kind: PolicyKind::NoticeOfPrivacyPractices,
        effective_on: effective.parse().unwrap(),
        material,
        summary: "Photos may be used for teaching only with your consent.".into(),
        body: "The full notice.".into(),
    };
    // Ten days' notice of a material change is refused, saying how short.
    let err = app
        .publish_policy(&po, &input("2026-12-07", true))
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("at least 30 days' notice"),
        "{err}"
    );
    assert!(app.policies(&po).await.unwrap().is_empty());
    // A clinician may not publish.
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    assert!(matches!(
        app.publish_policy(&derm, &input("2027-01-05", true))
            .await
            .unwrap_err(),
        AppError::Forbidden(_)
    ));
    let v1 = app
        .publish_policy(&po, &input("2026-12-27", true))
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    let org = po.actor.organisation_id;
    let banner = app.announcements(org).await.unwrap();
    assert_eq!(banner.len(), 1, "announced and not yet in force");
    {
        let mut tx = app.store().read().await.unwrap();
        let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
        assert!(
            queued.iter().any(
                |(to, s)| to == "rosa@example.net" && s.contains("notice of privacy practices")
            )
        );
    }
    // In force from its day: the banner goes, the version is current, and
    // a patient's acknowledgement of it is kept.
    w.clock.advance_secs(31 * 86_400);
    assert!(app.announcements(org).await.unwrap().is_empty());
    let current = app
        .policy_in_force(
            org,
            kerato_domain::policy::PolicyKind::NoticeOfPrivacyPractices,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.version, 1);
    assert_eq!(
        app.notice_acknowledgement(&w.admin, patient).await.unwrap(),
        Some((1, false))
    );
    let acknowledged = |version| AcknowledgementInput {
        kind: PolicyKind::NoticeOfPrivacyPractices,
        version,
    };
    app.record_policy_acknowledgement(&w.admin, patient, &acknowledged(1))
        .await
        .unwrap();
    assert_eq!(
        app.notice_acknowledgement(&w.admin, patient).await.unwrap(),
        Some((1, true))
    );
    let err = app
        .record_policy_acknowledgement(&w.admin, patient, &acknowledged(7))
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("never published"), "{err}");
    // A minor, non-material fix needs no 30 days' notice.
    let v2 = app
        .publish_policy(&po, &input("2027-01-02", false))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_request_deletes_what_may_go_and_says_what_is_kept_until_when() {
    let (w, po) = practice("2026-11-26T10:00:00-05:00[America/New_York]").await;
    let app = &w.app;
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    // A clinical record inside its retention period, and a marketing
    // consent that may go at once.
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    app.record_lesion(
        &derm,
        patient,
        &crate::new_lesion(
            &kerato_domain::lesions::SiteInput {
                region: "cheek".into(),
                laterality: "left".into(),
                view: "face".into(),
                x: "600".into(),
                y: "500".into(),
                ..Default::default()
            },
            "F1",
            &kerato_domain::lesions::ObservationInput {
                size_mm: "4".into(),
                disposition: "monitor".into(),
                ..Default::default()
            },
        ),
    )
    .await
    .unwrap();
    app.record_consent(
        &w.admin,
        patient,
        &ConsentInput {
            purpose: Purpose::MarketingEmail,
            granted: true,
            source: Source::Form,
        },
    )
    .await
    .unwrap();
    let row = app
        .receive_rights_request(Some(&po), Channel::Staff, &request("deletion"), false)
        .await
        .unwrap();
    let v = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::VerifyIdentity {
                patient,
                note: "photo ID at the front desk".into(),
            },
        )
        .await
        .unwrap()
        .request
        .version;
    let done = app
        .rights_request_step(
            &po,
            row.id,
            v,
            RequestStep::Fulfil {
                summary: "deletion carried out".into(),
            },
        )
        .await
        .unwrap();
    // The marketing consent is gone; the lesion stays, and the answer
    // says why and until when (ten years after the last visit in NY's
    // default rules, or the state's own).
    assert!(
        app.consents_of_patient(&po, patient)
            .await
            .unwrap()
            .iter()
            .all(|c| c.entry.purpose != Purpose::MarketingEmail)
    );
    assert_eq!(
        app.lesions_of_patient(&derm, patient).await.unwrap().len(),
        1
    );
    let view = app.rights_request(&po, done.request.id).await.unwrap();
    let Some(kerato_domain::rights_request::Outcome::Fulfilled { summary, .. }) =
        view.request.timeline.outcome
    else {
        panic!("the request is fulfilled");
    };
    assert!(summary.contains("Deleted"), "{summary}");
    assert!(summary.contains("Kept:"), "{summary}");
    assert!(
        summary.contains("until 20"),
        "a kept class says until when: {summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounting_request_is_answered_from_the_disclosure_log() {
    let (w, po) = practice("2026-11-26T10:00:00-05:00[America/New_York]").await;
    let app = &w.app;
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    app.record_disclosure(
        &po,
        &kerato_domain::privacy::DisclosureInput {
            patient,
            disclosed_on: jiff::civil::date(2026, 10, 1),
            recipient: "County health department".into(),
            purpose: "required public health report".into(),
            description: "melanoma registry report".into(),
        },
    )
    .await
    .unwrap();
    let row = app
        .receive_rights_request(
            Some(&po),
            Channel::Staff,
            &request("accounting_of_disclosures"),
            false,
        )
        .await
        .unwrap();
    assert_eq!(row.regime(), Regime::HipaaAccounting);
    // Not before the requester's chart is known.
    let err = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::Fulfil {
                summary: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("verify the requester"), "{err}");
    let v = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::VerifyIdentity {
                patient,
                note: "signed letter matching the chart's signature".into(),
            },
        )
        .await
        .unwrap()
        .request
        .version;
    app.rights_request_step(
        &po,
        row.id,
        v,
        RequestStep::Fulfil {
            summary: "accounting sent by mail".into(),
        },
    )
    .await
    .unwrap();
    let view = app.rights_request(&po, row.id).await.unwrap();
    let Some(kerato_domain::rights_request::Outcome::Fulfilled { summary, .. }) =
        view.request.timeline.outcome
    else {
        panic!("the request is fulfilled");
    };
    assert!(
        summary
            .contains("1 disclosure in the last six years: 2026-10-01 to County health department"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amendment_is_appended_or_denied_with_the_patients_disagreement_attached() {
    let (w, po) = practice("2026-11-26T10:00:00-05:00[America/New_York]").await;
    let app = &w.app;
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    let ask = |details: &str| {
        RequestInput::parse(RawRequest {
            details: details.into(),
            ..raw_request("correction")
        })
        .unwrap()
    };
    let mut decided = Vec::new();
    for (details, accept) in [
        ("My allergy to penicillin is missing.", true),
        ("Remove the mole I had in 2019; it never existed.", false),
    ] {
        let row = app
            .receive_rights_request(Some(&po), Channel::Staff, &ask(details), false)
            .await
            .unwrap();
        assert_eq!(row.regime(), Regime::HipaaAmendment);
        let v = app
            .rights_request_step(
                &po,
                row.id,
                1,
                RequestStep::VerifyIdentity {
                    patient,
                    note: "photo ID".into(),
                },
            )
            .await
            .unwrap()
            .request
            .version;
        let step = if accept {
            RequestStep::Fulfil {
                summary: "Allergy: penicillin (hives), reported by the patient.".into(),
            }
        } else {
            RequestStep::Deny {
                reason: "the biopsy report of 2019 confirms the lesion".into(),
            }
        };
        app.rights_request_step(&po, row.id, v, step).await.unwrap();
        decided.push(row.id);
        // Decisions are days apart, and the chart lists them in order.
        w.clock.advance_secs(86_400);
    }
    // A statement answers only the denied request.
    let statement = |text: &str| DisagreementInput {
        statement: text.into(),
    };
    let err = app
        .attach_disagreement(&po, decided[0], &statement("I disagree."))
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("denied amendment"), "{err}");
    app.attach_disagreement(&po, decided[1], &statement("I never had that biopsy."))
        .await
        .unwrap();
    let entries = app.amendments_of_patient(&po, patient).await.unwrap();
    let decisions: Vec<&str> = entries.iter().map(|a| a.decision.as_str()).collect();
    assert_eq!(decisions, ["accepted", "denied", "disagreement"]);
    assert!(entries[0].body.contains("penicillin"));
    assert_eq!(
        entries[1].reason.as_deref(),
        Some("the biopsy report of 2019 confirms the lesion")
    );
    assert_eq!(entries[2].body, "I never had that biopsy.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_shows_the_schedule_the_holds_and_the_last_run() {
    let (w, po) = practice("2026-11-26T10:00:00-05:00[America/New_York]").await;
    let app = &w.app;
    let overview = app.retention_overview(&po).await.unwrap();
    assert_eq!(
        overview.schedule.len(),
        kerato_domain::retention::DataClass::ALL.len(),
        "one rule per class"
    );
    assert!(overview.schedule.iter().all(|r| !r.citation.is_empty()));
    assert!(overview.last_run.is_none());
    app.place_legal_hold(
        &po,
        &kerato_domain::retention::HoldInput {
            patient: None,
            class: None,
            reason: "subpoena 2026-117".into(),
        },
    )
    .await
    .unwrap();
    app.run_retention(true).await.unwrap();
    let overview = app.retention_overview(&po).await.unwrap();
    assert_eq!(overview.holds.len(), 1);
    // The workspace page reads the same in one transaction, and one audit
    // event says it was read.
    app.receive_rights_request(Some(&po), Channel::Staff, &request("access"), false)
        .await
        .unwrap();
    let events = |category: &'static str| async move {
        let mut tx = app.store().read().await.unwrap();
        kerato_store::audit::events_after(&mut tx, 0, 100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event.category == category)
            .count()
    };
    let before = events("privacy workspace").await;
    let workspace = app.privacy_workspace(&po).await.unwrap();
    assert_eq!(events("privacy workspace").await, before + 1);
    assert_eq!(workspace.retention, overview);
    assert_eq!(workspace.requests, app.rights_requests(&po).await.unwrap());
    assert_eq!(workspace.policies, app.policies(&po).await.unwrap());
    assert_eq!(workspace.requests.len(), 1);
    let (_, dry, _) = overview.last_run.expect("the run is recorded");
    assert!(dry);
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    assert!(matches!(
        app.retention_overview(&derm).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    assert!(matches!(
        app.privacy_workspace(&derm).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
}

/// The e-mail that tells a requester their records are ready carries the
/// whole address of the download page: a mail client has no page to read
/// a relative link against.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_ready_email_links_to_the_download_on_this_servers_address() {
    let (w, _files) = crate::world_with_photos().await;
    let app = w
        .app
        .clone()
        .with_public_url("https://clinic.example:8443/");
    app.create_location(
        &w.admin,
        &crate::location_input("Skin Center").validate().unwrap(),
    )
    .await
    .unwrap();
    let po = officer(&w).await;
    w.clock
        .set(at("2026-11-26T10:00:00-05:00[America/New_York]"));
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    let row = app
        .receive_rights_request(Some(&po), Channel::Staff, &request("access"), false)
        .await
        .unwrap();
    let v = app
        .rights_request_step(
            &po,
            row.id,
            1,
            RequestStep::VerifyIdentity {
                patient,
                note: "photo ID at the front desk".into(),
            },
        )
        .await
        .unwrap()
        .request
        .version;
    let done = app
        .rights_request_step(
            &po,
            row.id,
            v,
            RequestStep::Fulfil {
                summary: "package sent".into(),
            },
        )
        .await
        .unwrap();
    let token = done.download_token.expect("an access package link");
    let mut tx = app.store().read().await.unwrap();
    let bodies: Vec<(String, String)> = kerato_store::on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient, body FROM email_outbox WHERE subject = 'Your records are ready'"
    )
    .fetch_all(&mut **c)
    .await)
    .unwrap();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].0, "rosa@example.net");
    assert!(
        bodies[0].1.contains(&format!(
            "https://clinic.example:8443/privacy/download/{token}"
        )),
        "{}",
        bodies[0].1
    );
}
