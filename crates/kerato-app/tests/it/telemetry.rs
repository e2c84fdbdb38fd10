//! Usage telemetry: a day's report counts what was planted that day and
//! nothing from another day, the installation ID is made once, and the
//! report arrives at a local endpoint as exactly the shared schema.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use kerato_app::telemetry::send_report;
use kerato_domain::scheduling::BookingRequest;
use kerato_domain::telemetry::{Counts, Report};
use tokio::sync::mpsc;

use crate::scheduling::setup;
use crate::{PASSWORD, world};

const DAY_MICROS: i64 = 24 * 3600 * 1_000_000;

fn utc_day(w: &crate::World) -> jiff::civil::Date {
    w.app
        .now()
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_counts_what_happened_that_day_only() {
    let w = world().await;
    // The setup registers one patient; two more make three.
    let s = setup(&w, "America/New_York").await;
    w.patient("Ann", "Lee", "1980-01-02").await;
    w.patient("Bo", "Ray", "1990-03-04").await;
    for time in ["09:00", "09:30"] {
        crate::book(
            &w.app,
            &w.admin,
            &BookingRequest {
                time: time.into(),
                ..s.req.clone()
            },
        )
        .await
        .unwrap();
    }
    // Two sign-ins of the same user are one active user.
    for _ in 0..2 {
        w.app
            .sign_in("owner@capital.example", PASSWORD, None)
            .await
            .unwrap();
    }
    let first_day = utc_day(&w);

    // The next day: one booking and one patient, counted on that day only.
    w.clock.advance_micros(DAY_MICROS);
    w.patient("Cy", "Day", "1970-05-06").await;
    crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            time: "10:00".into(),
            ..s.req.clone()
        },
    )
    .await
    .unwrap();
    let second_day = utc_day(&w);

    let installation = w.app.telemetry_installation().await.unwrap();
    assert_eq!(
        w.app.telemetry_installation().await.unwrap(),
        installation,
        "the installation ID is made once and kept"
    );
    let report = w
        .app
        .telemetry_report(first_day, installation)
        .await
        .unwrap();
    assert_eq!(report.day, first_day);
    assert_eq!(report.installation, installation);
    assert_eq!(report.version, env!("CARGO_PKG_VERSION"));
    report.validate().unwrap();
    assert_eq!(
        report.counts,
        Counts {
            appointments_booked: 2,
            patients_registered: 3,
            active_users: 1,
            ..Counts::default()
        }
    );
    let next = w
        .app
        .telemetry_report(second_day, installation)
        .await
        .unwrap();
    assert_eq!(
        next.counts,
        Counts {
            appointments_booked: 1,
            patients_registered: 1,
            ..Counts::default()
        }
    );
    let before = w
        .app
        .telemetry_report(first_day.yesterday().unwrap(), installation)
        .await
        .unwrap();
    assert_eq!(before.counts, Counts::default());
}

/// A local stand-in for the vendor's endpoint: answers `status` and hands
/// each body it receives to the test.
async fn endpoint(status: StatusCode) -> (SocketAddr, mpsc::UnboundedReceiver<Bytes>) {
    let (sent, received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/api/telemetry",
            post(
                |State((sent, status)): State<(mpsc::UnboundedSender<Bytes>, StatusCode)>,
                 body: Bytes| async move {
                    sent.send(body).unwrap();
                    status
                },
            ),
        )
        .with_state((sent, status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

fn report() -> Report {
    Report {
        installation: uuid::Uuid::from_bytes([9; 16]),
        version: env!("CARGO_PKG_VERSION").into(),
        day: jiff::civil::date(2026, 11, 26),
        counts: Counts {
            appointments_booked: 2,
            patients_registered: 3,
            ..Counts::default()
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_arrives_as_exactly_the_schema() {
    let (addr, mut received) = endpoint(StatusCode::NO_CONTENT).await;
    let url = format!("http://{addr}/api/telemetry");
    send_report(&url, &report()).await.unwrap();
    let body = received.recv().await.unwrap();
    // `Report` refuses unknown fields, so this proves nothing else was sent.
    let got: Report = serde_json::from_slice(&body).unwrap();
    assert_eq!(got, report());

    let (addr, _received) = endpoint(StatusCode::INTERNAL_SERVER_ERROR).await;
    let err = send_report(&format!("http://{addr}/api/telemetry"), &report())
        .await
        .unwrap_err();
    assert!(err.contains("500"), "{err}");
}

#[tokio::test]
async fn plain_http_off_this_host_is_refused() {
    let err = send_report("http://telemetry.kerato.example/api/telemetry", &report())
        .await
        .unwrap_err();
    assert!(err.contains("https://"), "{err}");
    let err = send_report("not a url", &report()).await.unwrap_err();
    assert!(err.contains("not valid"), "{err}");
}
