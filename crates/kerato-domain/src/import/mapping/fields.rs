//! The Kerato fields a mapping can fill, per kind of file.

use super::super::ImportKind;

/// A field a mapping can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    /// Must be read from a column or given a default.
    pub required: bool,
    pub about: &'static str,
}

const fn field(name: &'static str, required: bool, about: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        required,
        about,
    }
}

/// The fields of a patient row: those of the registration form.
pub const PATIENT_FIELDS: &[FieldSpec] = &[
    field("legal_first_name", true, "legal first name"),
    field("legal_middle_name", false, "legal middle name"),
    field("legal_last_name", true, "legal last name"),
    field("preferred_name", false, "the name the patient goes by"),
    field("date_of_birth", true, "date of birth"),
    field("sex_at_birth", false, "female, male or unknown"),
    field(
        "gender_identity",
        false,
        "gender identity, as the patient gave it",
    ),
    field("mobile_phone", false, "mobile phone (US)"),
    field("home_phone", false, "home phone (US)"),
    field("email", false, "e-mail address"),
    field("address_line1", false, "street address"),
    field("address_line2", false, "apartment, suite"),
    field("city", false, "city"),
    field("state", false, "two-letter USPS state code"),
    field("zip", false, "ZIP or ZIP+4"),
    field(
        "preferred_language",
        false,
        "language code such as en or es",
    ),
    field("emergency_contact_name", false, "emergency contact's name"),
    field(
        "emergency_contact_phone",
        false,
        "emergency contact's phone",
    ),
    field("reminder_channel", false, "email, sms, phone, mail or none"),
    field("results_channel", false, "email, sms, phone, mail or none"),
    field(
        "statement_channel",
        false,
        "email, sms, phone, mail or none",
    ),
    field("marketing_consent", false, "yes or no (no when absent)"),
];

/// The fields of an appointment row.
pub const APPOINTMENT_FIELDS: &[FieldSpec] = &[
    field(
        "patient_key",
        false,
        "the patient's ID in the other system, as a patient import of the same source remembered it",
    ),
    field("patient_mrn", false, "the patient's Kerato MRN"),
    field("provider", true, "the provider's name in Kerato"),
    field("location", true, "the location's name in Kerato"),
    field("visit_type", true, "the visit type's name in Kerato"),
    field("date", true, "the local date"),
    field("start_time", true, "the local start time"),
    field("end_time", false, "the local end time"),
    field("duration_minutes", false, "length in minutes"),
    field("duration_seconds", false, "length in seconds"),
    field(
        "status",
        false,
        "booked, arrived, pretest, with_provider, checkout, done, no_show or cancelled (booked when absent)",
    ),
    field(
        "cancel_reason",
        false,
        "why a cancelled appointment was cancelled",
    ),
    field(
        "repeats",
        false,
        "whether the row stands for a repeating series (empty, 0 or no for a single appointment)",
    ),
];

impl ImportKind {
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Patients => PATIENT_FIELDS,
            Self::Appointments => APPOINTMENT_FIELDS,
        }
    }

    pub(super) fn field(self, name: &str) -> Option<&'static str> {
        self.fields()
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.name)
    }
}
