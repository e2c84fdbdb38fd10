//! The biopsy forms over HTTP: ordering from a chart and each step of the
//! loop parse once into the domain's inputs, every wrong field named, and
//! a step taken on a page the biopsy has moved past is refused.

use kerato_domain::biopsies::BiopsyState;
use kerato_domain::identity::Role;
use reqwest::StatusCode;

use crate::photos::patient;
use crate::support::{Who, spawn_app};

const DERM: Who = Who::Role(Role::Physician);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_biopsy_is_ordered_and_moved_along_by_its_forms() {
    let t = spawn_app().await;
    let p = patient(&t).await;
    let l1 = t.l1.id.to_string();
    let order = format!("/patients/{p}/biopsies");
    let resp = t
        .form(
            &order,
            DERM,
            &[
                ("location_id", "nowhere"),
                ("site", " "),
                ("method", "laser"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = resp.text().await.unwrap();
    for message in [
        "choose the location",
        "name the anatomic site",
        "choose one of tangential, punch, incisional, excisional",
    ] {
        assert!(text.contains(message), "{message}: {text}");
    }
    let derm = t.app.unsafe_caller_for(t.user(DERM).id).await.unwrap();
    assert!(t.app.biopsy_queue(&derm).await.unwrap().is_empty());

    let resp = t
        .form(
            &order,
            DERM,
            &[
                ("location_id", &l1),
                ("site", "left cheek"),
                ("method", "punch"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let queue = t.app.biopsy_queue(&derm).await.unwrap();
    assert_eq!(queue.len(), 1);
    let b = &queue[0].biopsy;
    assert_eq!(b.site, "left cheek");
    let step = format!("/biopsies/{}/step", b.id);

    // A step without the page's version, with a wrong diagnosis and date,
    // names all three.
    let resp = t
        .form(
            &step,
            DERM,
            &[
                ("step", "result"),
                ("diagnosis", "odd"),
                ("received", "3/5"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = resp.text().await.unwrap();
    for message in ["reload the page", "choose benign", "YYYY-MM-DD"] {
        assert!(text.contains(message), "{message}: {text}");
    }
    let version = b.version.to_string();
    let resp = t
        .form(&step, DERM, &[("version", &version), ("step", "send")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // The page the user acted on showed the version before the send.
    let resp = t
        .form(
            &step,
            DERM,
            &[
                ("version", &version),
                ("step", "result"),
                ("diagnosis", "benign"),
                ("text", "Compound naevus"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let queue = t.app.biopsy_queue(&derm).await.unwrap();
    assert_eq!(queue[0].biopsy.state(), BiopsyState::Sent);
}
