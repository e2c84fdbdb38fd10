//! The OpenAPI 3.1 document of the JSON API, served at `/api/openapi.json`.

use axum::Json;
use kerato_domain::FieldError;
use utoipa::OpenApi;

use crate::error::Problem;
use crate::{identity, import, patients, providers, scheduling, setup, tenancy};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Kerato clinic API", description = "The clinic system's JSON API."),
    paths(
        tenancy::api::api_get_organisation,
        tenancy::api::api_rename_organisation,
        tenancy::api::api_list,
        tenancy::api::api_get,
        tenancy::api::api_create,
        tenancy::api::api_update,
        patients::api::api_search,
        patients::api::api_create,
        patients::api::api_get,
        patients::api::api_update,
        scheduling::book,
        scheduling::api_status,
        scheduling::api_next_available,
        scheduling::reads::api_get,
        scheduling::reads::api_visit_types,
        scheduling::reads::api_resources,
        scheduling::reads::api_closures,
        scheduling::reads::api_schedule,
        providers::api::api_list,
        providers::api::api_get,
        providers::api::api_create,
        providers::api::api_update,
        providers::api::api_hours,
        providers::api::api_get_hours,
        providers::api::api_add_hours,
        providers::api::api_replace_hours,
        providers::api::api_remove_hours,
        providers::api::api_time_off,
        setup::api::api_progress,
        setup::api::api_skip,
        setup::api::api_defaults,
        setup::api::api_notice,
        setup::api::api_opening_hours,
        setup::api::api_set_hours,
        setup::api::api_messaging,
        setup::api::api_save_messaging,
        setup::api::api_test_message,
        identity::recovery::api_forgot,
        identity::recovery::api_reset,
        identity::recovery::api_change,
        identity::recovery::api_admin_reset,
        identity::api::api_sign_in,
        identity::api::api_session,
        identity::api::api_sign_out,
        identity::api::api_code,
        identity::api::api_start_enrolment,
        identity::api::api_confirm_enrolment,
        identity::api::api_users,
        identity::api::api_user,
        identity::api::api_invite,
        identity::api::api_accept,
        import::api_start,
        import::api_job,
    ),
    components(schemas(Problem, FieldError, tenancy::api::LocationView, kerato_domain::tenancy::LocationBody,
        tenancy::api::OrganisationView, kerato_domain::tenancy::OrganisationBody, patients::api::PatientView,
        patients::api::PatientSearchPage, kerato_domain::patients::search::PatientSearchInput, kerato_domain::patients::PatientCreateBody, kerato_domain::patients::PatientUpdateBody,
        kerato_domain::patients::PatientInput, scheduling::AppointmentView,
        kerato_domain::scheduling::BookingRequest, kerato_domain::scheduling::RepeatedHour,
        scheduling::StatusBody, scheduling::NextAvailableBody, scheduling::NextAvailableView,
        kerato_domain::scheduling::VisitStatus, scheduling::reads::VisitTypeView,
        scheduling::reads::ResourceView, scheduling::reads::ClosureView,
        scheduling::reads::ScheduleView, scheduling::reads::ScheduleEntryView,
        providers::api::ProviderView, providers::api::HoursView,
        providers::api::WindowView, kerato_domain::providers::time_off::TimeOffInput, providers::api::TimeOffView,
        kerato_domain::providers::ProviderInput, kerato_domain::providers::hours::HoursInput,
        kerato_domain::providers::hours::DayHoursInput, setup::api::StepView, setup::api::SetupView,
        kerato_domain::setup::SpecialtyChoiceInput, setup::api::DefaultsView, kerato_domain::setup::NoticeInput, setup::api::NoticeView,
        kerato_domain::setup::OpeningWeekInput, kerato_domain::setup::OpeningHoursInput, setup::api::MessagingView,
        kerato_domain::setup::MessagingInput, kerato_domain::setup::TestMessageInput,
        identity::recovery::MessageView, identity::recovery::ForgotBody,
        identity::recovery::ResetBody, identity::recovery::ChangeBody,
        identity::recovery::AdminResetBody, identity::recovery::AdminResetView,
        identity::api::SessionView, kerato_domain::identity::SignInBody, kerato_domain::identity::CodeBody,
        identity::api::EnrolmentView, identity::api::EnrolledView, identity::api::UserView,
        identity::api::InviteBody, kerato_domain::identity::AcceptBody, import::ImportBody,
        import::ImportJobView, kerato_domain::import::ImportReport,
        kerato_domain::import::RowIssue, kerato_domain::import::DuplicateRow,
        kerato_domain::import::SkippedRows)),
    tags((name = "tenancy", description = "The organisation and its locations"),
        (name = "patients", description = "The patient registry"),
        (name = "scheduling", description = "Appointments, and what a booking needs: visit types, rooms and devices, closures, a day's schedule"),
        (name = "providers", description = "Providers, their working hours and time off"),
        (name = "setup", description = "The first-run set-up, opening hours and messaging"),
        (name = "identity", description = "Signing in, staff accounts and invitations, and passwords: recovery, changes and administrators' resets"),
        (name = "imports", description = "Imports from another system's CSV export (administrators)"))
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}

pub(crate) async fn serve() -> Json<serde_json::Value> {
    Json(serde_json::to_value(ApiDoc::openapi()).unwrap_or_default())
}
