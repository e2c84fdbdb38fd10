//! An input that creates a record or edits one: the same fields either way,
//! with the version an edit started from (optimistic locking), which a new
//! record must not carry.

use crate::ValidationErrors;

/// Checked fields and, for an edit, the version of the record it started
/// from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub fields: T,
    pub version: Option<i64>,
}

impl<T> Versioned<T> {
    /// The fields of a new record (`what`, such as "provider"), which has
    /// no version yet.
    pub fn for_new(self, what: &str) -> Result<T, ValidationErrors> {
        match self.version {
            Some(_) => Err(ValidationErrors::single(
                "version",
                format!("a new {what} has no version yet; leave version out"),
            )),
            None => Ok(self.fields),
        }
    }

    /// The version an edit started from, and its fields.
    pub fn for_edit(self) -> Result<(i64, T), ValidationErrors> {
        match self.version {
            Some(version) => Ok((version, self.fields)),
            None => Err(ValidationErrors::single(
                "version",
                "send the version you edited, as returned by GET",
            )),
        }
    }
}

/// Reads the version a form carries back as text, adding a problem when it
/// is not a number (a damaged page).
pub fn form_version(errors: &mut ValidationErrors, raw: Option<&str>) -> Option<i64> {
    let raw = crate::input::non_blank(raw)?;
    raw.parse()
        .map_err(|_| errors.add("version", "the form's version is damaged; reload the page"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_record_has_no_version_and_an_edit_needs_one() {
        let new = Versioned {
            fields: "x",
            version: None,
        };
        assert_eq!(new.clone().for_new("location").unwrap(), "x");
        assert!(new.for_edit().unwrap_err().for_field("version").is_some());
        let edit = Versioned {
            fields: "x",
            version: Some(4),
        };
        let refused = edit.clone().for_new("location").unwrap_err();
        assert!(
            refused
                .for_field("version")
                .unwrap()
                .contains("new location")
        );
        assert_eq!(edit.for_edit().unwrap(), (4, "x"));
        let mut errors = ValidationErrors::new();
        assert_eq!(form_version(&mut errors, Some(" 7 ")), Some(7));
        assert_eq!(form_version(&mut errors, Some("")), None);
        assert!(errors.is_empty());
        assert_eq!(form_version(&mut errors, Some("seven")), None);
        assert!(errors.for_field("version").is_some());
    }
}
