//! Small view models shared by the form templates.

use kerato_domain::ValidationErrors;

/// One text input: its value, its error and its length limit.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldView {
    pub value: String,
    pub error: Option<String>,
    pub max: usize,
}

impl FieldView {
    pub fn new(value: &str, errors: &ValidationErrors, field: &str, max: usize) -> Self {
        Self {
            value: value.to_string(),
            error: errors.for_field(field).map(str::to_string),
            max,
        }
    }

    pub fn empty(max: usize) -> Self {
        Self {
            max,
            ..Self::default()
        }
    }
}

/// An option of a select or checkbox group.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
