//! Eye care pages: a patient's exams and trends, the exam screen (one page
//! per visit, keyboard-first, each section saved as it is left), signing
//! and the prescriptions it releases ([`exams`]); a prescription, its
//! confirmation of receipt and printable PDF ([`prescriptions`]); the
//! sellers' and agents' request inbox, the FTC report and the
//! prescriber's credentials ([`requests`]).

mod exams;
mod prescriptions;
mod requests;
mod trends;

use axum::routing::{get, post};
use kerato_domain::identity::{Action, Resource};

use crate::error::WebError;
use crate::routes::{Access, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let note = Resource::ClinicalNote;
    let rx = Resource::Prescription;
    r.add(
        "GET",
        "/patients/{id}/exams",
        Needs(note, Action::Query),
        get(exams::exams_page),
    )
    .add(
        "POST",
        "/patients/{id}/exams",
        Needs(note, Action::Create),
        post(exams::start_exam),
    )
    .add(
        "GET",
        "/exams/{id}",
        Needs(note, Action::View),
        get(exams::exam_page),
    )
    .add(
        "POST",
        "/exams/{id}/sections/{section}",
        Needs(note, Action::Update),
        post(exams::save_section),
    )
    .add(
        "POST",
        "/exams/{id}/pull/{section}",
        Needs(note, Action::Update),
        post(exams::pull_forward),
    )
    .add(
        "POST",
        "/exams/{id}/amend/{section}",
        Needs(note, Action::Update),
        post(exams::amend),
    )
    .add(
        "POST",
        "/exams/{id}/sign",
        Needs(rx, Action::Create),
        post(exams::sign),
    )
    .add(
        "GET",
        "/prescriptions/{id}",
        Needs(rx, Action::View),
        get(prescriptions::prescription_page),
    )
    .add(
        "GET",
        "/prescriptions/{id}/pdf",
        Needs(rx, Action::Print),
        get(prescriptions::prescription_pdf),
    )
    .add(
        "POST",
        "/prescriptions/{id}/confirmation",
        Needs(rx, Action::Update),
        post(prescriptions::confirmation),
    )
    .add(
        "GET",
        "/rx-requests",
        Needs(rx, Action::Query),
        get(requests::requests_page),
    )
    .add(
        "POST",
        "/rx-requests",
        Needs(rx, Action::Create),
        post(requests::receive_request),
    )
    .add(
        "POST",
        "/rx-requests/{id}/answer",
        Needs(rx, Action::Update),
        post(requests::answer_request),
    )
    .add(
        "GET",
        "/reports/ftc",
        Needs(rx, Action::Query),
        get(requests::ftc_report_page),
    )
    .add(
        "POST",
        "/patients/{id}/rx-consent",
        Needs(Resource::Patient, Action::Update),
        post(prescriptions::digital_consent),
    )
    .add(
        "GET",
        "/settings/prescriber",
        Needs(rx, Action::Create),
        get(requests::prescriber_page),
    )
    .add(
        "POST",
        "/settings/prescriber",
        Needs(rx, Action::Create),
        post(requests::save_prescriber),
    )
}

/// The record named by a path segment, parsed once; a malformed one is
/// not found, as a missing one is.
fn id_of<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T, WebError> {
    raw.parse().map_err(|_| WebError::NotFound(what))
}

/// An instant as shown on these pages (UTC, labelled as such).
fn local(t: kerato_domain::time::Timestamp) -> String {
    t.to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}
