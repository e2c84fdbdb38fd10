//! A procedure as the chart keeps it, and the charge proposal the coding
//! engine writes for a patient's service date.

use jiff::civil::Date;

use super::coding::DistinctModifier;
use super::note::ProcedureRecord;
use crate::ids::{BiopsyId, LesionId, OrganisationId, PatientId, ProcedureId, UserId};
use crate::time::Timestamp;

string_enum!(
    /// Which template a procedure was recorded with; the name it is
    /// stored and listed under.
    ProcedureKind {
        Biopsy = "biopsy", "Biopsy";
        Destruction = "destruction", "Destruction";
        Excision = "excision", "Excision";
        Repair = "repair", "Repair";
        Mohs = "mohs", "Mohs surgery";
        Injection = "injection", "Intralesional injection";
        Phototherapy = "phototherapy", "Phototherapy";
    }
);

impl ProcedureRecord {
    /// The template this record belongs to.
    pub fn kind(&self) -> ProcedureKind {
        match self {
            ProcedureRecord::Biopsy(_) => ProcedureKind::Biopsy,
            ProcedureRecord::Destruction(_) => ProcedureKind::Destruction,
            ProcedureRecord::Excision(_) => ProcedureKind::Excision,
            ProcedureRecord::Repair(_) => ProcedureKind::Repair,
            ProcedureRecord::Mohs(_) => ProcedureKind::Mohs,
            ProcedureRecord::Injection(_) => ProcedureKind::Injection,
            ProcedureRecord::Phototherapy(_) => ProcedureKind::Phototherapy,
        }
    }
}

/// One procedure done in a visit: its structured record and the note its
/// template wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub id: ProcedureId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub lesion_id: Option<LesionId>,
    /// The specimen it sent to pathology, for a biopsy or excision.
    pub biopsy_id: Option<BiopsyId>,
    /// The visit's date in the practice's time zone: the coding engine
    /// codes a patient's procedures of one date together.
    pub service_date: Date,
    pub record: ProcedureRecord,
    pub note: String,
    pub performed_by: UserId,
    pub performed_at: Timestamp,
}

impl Procedure {
    pub fn kind(&self) -> ProcedureKind {
        self.record.kind()
    }
}

/// One line of a service date's charge proposal, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeProposalLine {
    pub n: i64,
    pub code: String,
    pub units: i64,
    /// Modifiers in order ("25"; "59" or "XS").
    pub modifiers: Vec<String>,
    /// Why the engine chose the line, for the coder.
    pub rationale: String,
    /// Why the line cannot be billed yet (pathology pending), if so.
    pub hold: Option<String>,
}

/// A payer's choice between modifier 59 and XS, by the payer's name as
/// [`super::coding::normalise_payer`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerModifier {
    pub payer: String,
    pub modifier: DistinctModifier,
}
