//! The prescriptions an exam issues, how each was handed over, the
//! patient's confirmation of receipt, and the inputs that sign an exam
//! and record a confirmation, a digital-delivery consent and a
//! prescriber's credentials.

use jiff::civil::Date;

use crate::ValidationErrors;
use crate::eye::exam::{MAX_REASON, SectionData};
use crate::eye::ftc::RxKind;
use crate::ids::{ExamId, OrganisationId, PatientId, PrescriptionId, UserId};
use crate::input::{ParseInput, non_blank};
use crate::providers::Npi;
use crate::time::Timestamp;

/// The model confirmation statement of 16 CFR 456.4(a).
pub const CONFIRMATION_STATEMENT: &str = "My eye care professional provided me with a copy of my prescription at the completion of my examination.";

string_enum!(
    /// How a prescription was handed over when it was released.
    Delivery {
        Paper = "paper", "On paper";
        Digital = "digital", "Digitally";
    }
);

string_enum!(
    /// What the patient did with the confirmation of receipt.
    ConfirmationOutcome {
        Signed = "signed", "Signed for their copy";
        Refused = "refused", "Declined to sign";
    }
);

string_enum!(
    /// Where a patient consented to receive prescriptions digitally.
    RxChannel {
        Email = "email", "E-mail";
    }
);

/// An issued prescription: its values as the exam's section held them at
/// signing, the prescriber as they were then, and its dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    pub id: PrescriptionId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub exam_id: ExamId,
    pub kind: RxKind,
    /// The two-letter state whose rules set its expiry.
    pub state: String,
    pub prescriber_user_id: UserId,
    pub prescriber_name: String,
    pub prescriber_license: String,
    pub prescriber_npi: String,
    /// The values by field key, in canonical text.
    pub body: SectionData,
    pub issued_on: Date,
    pub expires_on: Date,
    pub medical_reason: Option<String>,
    pub created_at: Timestamp,
}

/// One hand-over of a prescription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub released_at: Timestamp,
    pub delivery: Delivery,
}

/// The patient's confirmation of receipt, or the note of their refusal,
/// kept until `keep_until` (three years, 16 CFR 456.4(b), 315.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub prescription_id: PrescriptionId,
    pub organisation_id: OrganisationId,
    pub outcome: ConfirmationOutcome,
    pub signer_name: String,
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
    pub keep_until: Date,
}

/// How the prescriptions are handed over when an exam is signed, and a
/// contact lens expiry shorter than the rule's with the documented
/// medical reason that allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInput {
    pub delivery: Delivery,
    pub cl_months: Option<u32>,
    pub medical_reason: Option<String>,
}

/// Paper, the way a prescription is handed over unless the patient
/// consented to another.
impl Default for SignInput {
    fn default() -> Self {
        Self {
            delivery: Delivery::Paper,
            cl_months: None,
            medical_reason: None,
        }
    }
}

/// The text shape of [`SignInput`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SignRaw {
    #[serde(default)]
    pub delivery: Option<String>,
    #[serde(default)]
    pub cl_months: Option<String>,
    #[serde(default)]
    pub medical_reason: Option<String>,
}

impl ParseInput for SignInput {
    type Raw = SignRaw;

    fn parse(raw: SignRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let delivery = match non_blank(raw.delivery.as_deref()) {
            None => Delivery::Paper,
            Some(d) => d.parse().unwrap_or_else(|_| {
                e.add(
                    "delivery",
                    "hand the prescription over on paper or digitally",
                );
                Delivery::Paper
            }),
        };
        let cl_months = match non_blank(raw.cl_months.as_deref()) {
            None => None,
            Some(m) => m
                .parse::<u32>()
                .map_err(|_| {
                    e.add(
                        "cl_months",
                        "write the contact lens expiry as a whole number of months",
                    )
                })
                .ok(),
        };
        let medical_reason = non_blank(raw.medical_reason.as_deref()).map(str::to_string);
        if medical_reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON)
        {
            e.add(
                "medical_reason",
                format!("write the medical reason in at most {MAX_REASON} characters"),
            );
        }
        e.into_result(Self {
            delivery,
            cl_months,
            medical_reason,
        })
    }
}

/// The patient's confirmation of receipt as the staff record it: signed,
/// with the name they signed, or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationInput {
    pub outcome: ConfirmationOutcome,
    /// The name the patient signed with; empty for a refusal.
    pub signer_name: String,
}

/// The text shape of [`ConfirmationInput`]. `acknowledge` is the ticked
/// statement (`yes`), which a signed confirmation needs.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConfirmationRaw {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub signer_name: Option<String>,
    #[serde(default)]
    pub acknowledge: Option<String>,
}

impl ParseInput for ConfirmationInput {
    type Raw = ConfirmationRaw;

    fn parse(raw: ConfirmationRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let outcome = raw.outcome.trim().parse::<ConfirmationOutcome>().ok();
        let signer_name = non_blank(raw.signer_name.as_deref()).unwrap_or("");
        match outcome {
            None => e.add(
                "outcome",
                "record that the patient signed, or that they refused to sign",
            ),
            Some(ConfirmationOutcome::Signed) => {
                if non_blank(raw.acknowledge.as_deref()) != Some("yes") {
                    e.add(
                        "acknowledge",
                        "the patient must tick the statement to confirm receipt, or record that they declined",
                    );
                }
                if signer_name.is_empty() || signer_name.chars().count() > 200 {
                    e.add("signer_name", "type the name the patient signed with");
                }
            }
            Some(ConfirmationOutcome::Refused) => {}
        }
        match outcome {
            Some(outcome) if e.is_empty() => Ok(Self {
                outcome,
                signer_name: match outcome {
                    ConfirmationOutcome::Signed => signer_name.to_string(),
                    ConfirmationOutcome::Refused => String::new(),
                },
            }),
            _ => Err(e),
        }
    }
}

/// The patient's consent to receive prescriptions digitally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitalConsentInput {
    pub channel: RxChannel,
}

/// The text shape of [`DigitalConsentInput`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DigitalConsentRaw {
    #[serde(default)]
    pub channel: String,
}

impl ParseInput for DigitalConsentInput {
    type Raw = DigitalConsentRaw;

    fn parse(raw: DigitalConsentRaw) -> Result<Self, ValidationErrors> {
        raw.channel
            .trim()
            .parse()
            .map(|channel| Self { channel })
            .map_err(|_| {
                ValidationErrors::single(
                    "channel",
                    "digital delivery is by e-mail (the patient portal is not available yet)",
                )
            })
    }
}

/// A prescriber's state licence number and NPI, which every prescription
/// they issue carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrescriberCredentialsInput {
    pub license: String,
    pub npi: Npi,
}

/// The text shape of [`PrescriberCredentialsInput`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PrescriberCredentialsRaw {
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub npi: String,
}

impl ParseInput for PrescriberCredentialsInput {
    type Raw = PrescriberCredentialsRaw;

    fn parse(raw: PrescriberCredentialsRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let license = raw.license.trim();
        if license.is_empty() || license.chars().count() > 40 {
            e.add(
                "license",
                "write the licence number as on the state licence (1–40 characters)",
            );
        }
        let npi = Npi::parse(&raw.npi).map_err(|m| e.add("npi", m)).ok();
        match npi {
            Some(npi) if e.is_empty() => Ok(Self {
                license: license.to_string(),
                npi,
            }),
            _ => Err(e),
        }
    }
}

/// The columns of each kind of prescription, as (field, heading).
const SPECTACLE_COLUMNS: [(&str, &str); 5] = [
    ("sphere", "Sphere"),
    ("cylinder", "Cylinder"),
    ("axis", "Axis"),
    ("add", "Add"),
    ("prism", "Prism"),
];
const CONTACT_LENS_COLUMNS: [(&str, &str); 7] = [
    ("brand", "Brand"),
    ("base_curve", "Base curve"),
    ("diameter", "Diameter"),
    ("sphere", "Sphere"),
    ("cylinder", "Cylinder"),
    ("axis", "Axis"),
    ("add", "Add"),
];

/// A prescription's table: its headings, and one row per eye.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxTable {
    pub columns: Vec<String>,
    /// (OD or OS, one cell per column).
    pub rows: Vec<(String, Vec<String>)>,
}

impl Prescription {
    /// The table the prescription prints as, on the page, the PDF and in
    /// the e-mail alike.
    pub fn table(&self) -> RxTable {
        let columns: &[(&str, &str)] = match self.kind {
            RxKind::ContactLens => &CONTACT_LENS_COLUMNS,
            RxKind::Spectacle => &SPECTACLE_COLUMNS,
        };
        let rows = ["od", "os"]
            .iter()
            .map(|eye| {
                let cells = columns
                    .iter()
                    .map(|(f, _)| {
                        self.body
                            .get(&format!("{eye}.{f}"))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect();
                (eye.to_uppercase(), cells)
            })
            .collect();
        RxTable {
            columns: columns.iter().map(|(_, h)| (*h).to_string()).collect(),
            rows,
        }
    }
}
