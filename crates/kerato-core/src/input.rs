//! Inputs parsed once: a form or a JSON body arrives as text, and one call
//! turns it into a checked domain value or every problem with it.
//!
//! A handler never picks fields out one by one. It names the input type; the
//! extractor deserializes the text shape ([`ParseInput::Raw`]) and calls
//! [`ParseInput::parse`], which reports every field's problem at once with the
//! field's name and a sentence on how to fix it. The same type serves the
//! HTML form and the JSON API, so the two can never disagree on a rule.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};

use crate::error::ValidationErrors;

/// A value that a request's fields parse into, exactly once.
pub trait ParseInput: Sized {
    /// The fields as sent. Keep them text (`String`, `Option<String>`,
    /// `Vec<String>` for repeated fields) so that a wrong value is reported by
    /// [`ParseInput::parse`] in the domain's words rather than by serde.
    type Raw: DeserializeOwned;

    /// Checks every field and builds the value, or names every problem.
    fn parse(raw: Self::Raw) -> Result<Self, ValidationErrors>;
}

/// Deserializes a repeated form field (checkboxes, a multi-select) into a
/// list whether it was sent once or many times: a URL-encoded form cannot
/// tell a one-element list from a single value.
///
/// Use it as `#[serde(default, deserialize_with = "one_or_many")]`.
pub fn one_or_many<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(de)? {
        OneOrMany::One(v) => vec![v],
        OneOrMany::Many(v) => v,
    })
}

/// The text of an optional field, `None` when it was absent or blank: a form
/// sends an empty string for a field left empty, JSON may omit it.
pub fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default, deserialize_with = "one_or_many")]
        tags: Vec<String>,
    }

    #[test]
    fn a_repeated_field_is_a_list_however_often_it_was_sent() {
        let one: Raw = serde_json::from_str(r#"{"tags":"a"}"#).expect("one");
        assert_eq!(one.tags, vec!["a"]);
        let many: Raw = serde_json::from_str(r#"{"tags":["a","b"]}"#).expect("many");
        assert_eq!(many.tags, vec!["a", "b"]);
        let none: Raw = serde_json::from_str("{}").expect("none");
        assert!(none.tags.is_empty());
    }

    #[test]
    fn a_blank_field_is_absent() {
        assert_eq!(non_blank(Some("  ")), None);
        assert_eq!(non_blank(None), None);
        assert_eq!(non_blank(Some(" x ")), Some("x"));
    }
}
