//! Rules of demo requests: the form's input and the pipeline's stages.

use kerato_core::ValidationErrors;
use kerato_core::input::ParseInput;
use kerato_core::time::Timestamp;

kerato_core::string_enum!(
    /// The practice's kind, as the visitor picks it.
    Specialty {
        Dermatology = "dermatology", "Dermatology";
        EyeCare = "eye_care", "Eye care";
        Optical = "optical", "Optical shop";
        Several = "several", "More than one of these";
    }
);

kerato_core::string_enum!(
    /// Where a request stands in the sales pipeline.
    Stage {
        New = "new", "New";
        Contacted = "contacted", "Contacted";
        DemoHeld = "demo_held", "Demo held";
        Won = "won", "Won";
        Lost = "lost", "Lost";
    }
);

impl Stage {
    /// The stages a request may move to from this one: forward through
    /// the pipeline, or to lost from anywhere open. Won and lost are final.
    pub fn next(self) -> &'static [Stage] {
        match self {
            Stage::New => &[Stage::Contacted, Stage::Lost],
            Stage::Contacted => &[Stage::DemoHeld, Stage::Lost],
            Stage::DemoHeld => &[Stage::Won, Stage::Lost],
            Stage::Won | Stage::Lost => &[],
        }
    }
}

/// What the visitor typed, kept to show the form again with their text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct DemoInput {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub practice_name: String,
    pub specialty: String,
    pub message: String,
}

/// A checked request, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDemo {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub practice_name: String,
    pub specialty: Specialty,
    pub message: Option<String>,
}

/// Checks a phone number loosely: digits with the usual separators, 7 to
/// 15 digits (E.164's maximum).
pub(crate) fn phone(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(7..=15).contains(&digits) {
        errors.add(
            field,
            "enter a phone number of 7 to 15 digits, like 518-555-0100 or +1 518 555 0100",
        );
    }
    Some(v.to_string())
}

impl DemoInput {
    /// Every problem at once, by field.
    pub fn validate(&self) -> Result<ValidDemo, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = crate::fields::text(&mut e, "name", "your name", &self.name, true, 100);
        let email = crate::fields::email(&mut e, "email", &self.email);
        let phone = phone(&mut e, "phone", &self.phone);
        let practice_name = crate::fields::text(
            &mut e,
            "practice_name",
            "the practice's name",
            &self.practice_name,
            true,
            150,
        );
        let specialty = match self.specialty.parse::<Specialty>() {
            Ok(s) => Some(s),
            Err(_) => {
                e.add("specialty", "choose the kind of practice");
                None
            }
        };
        let message =
            crate::fields::text(&mut e, "message", "the message", &self.message, false, 2000);
        match specialty {
            Some(specialty) if e.is_empty() => Ok(ValidDemo {
                name,
                email,
                phone,
                practice_name,
                specialty,
                message: (!message.is_empty()).then_some(message),
            }),
            _ => Err(e),
        }
    }
}

/// A stored request, for the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRequest {
    pub id: String,
    pub received_at: Timestamp,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub practice_name: String,
    pub specialty: Specialty,
    pub message: Option<String>,
    pub stage: Stage,
}

/// The form and the JSON body parse once into a checked value: the
/// text shape is [`DemoInput`], checked by its `validate`.
impl ParseInput for ValidDemo {
    type Raw = DemoInput;

    fn parse(raw: DemoInput) -> Result<Self, ValidationErrors> {
        raw.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> DemoInput {
        DemoInput {
            name: "Ann Lee".into(),
            email: "ann@clinic.example".into(),
            phone: "518-555-0100".into(),
            practice_name: "Lee Eye Care".into(),
            specialty: "eye_care".into(),
            message: String::new(),
        }
    }

    #[test]
    fn a_complete_request_is_valid() {
        let v = good().validate().unwrap();
        assert_eq!(v.specialty, Specialty::EyeCare);
        assert_eq!(v.message, None);
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = DemoInput {
            name: String::new(),
            email: "nope".into(),
            phone: "12".into(),
            practice_name: "x".repeat(151),
            specialty: "surgery".into(),
            message: "y".repeat(2001),
        };
        let e = bad.validate().unwrap_err();
        for field in [
            "name",
            "email",
            "phone",
            "practice_name",
            "specialty",
            "message",
        ] {
            assert!(e.for_field(field).is_some(), "{field} not reported");
        }
    }

    #[test]
    fn the_pipeline_only_moves_forward_or_to_lost() {
        assert!(Stage::New.next().contains(&Stage::Contacted));
        assert!(!Stage::New.next().contains(&Stage::Won));
        assert!(Stage::Won.next().is_empty());
        for s in Stage::ALL {
            if !matches!(s, Stage::Won | Stage::Lost) {
                assert!(s.next().contains(&Stage::Lost));
            }
        }
    }
}
