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

/// A report's period as typed in its query string; empty fields take the
/// defaults of [`period`].
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct PeriodQuery {
    pub from: String,
    pub until: String,
}

/// A report period from its two fields: by default from the first of this
/// month until (not including) tomorrow, in UTC days.
pub(crate) fn period(
    from: &str,
    until: &str,
    now: kerato_domain::time::Timestamp,
) -> Result<(jiff::civil::Date, jiff::civil::Date), crate::error::WebError> {
    let today = now
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let date = |field: &str, raw: &str, default: jiff::civil::Date| match raw.trim() {
        "" => Ok(default),
        d => d.parse::<jiff::civil::Date>().map_err(|_| {
            crate::error::WebError::Validation(ValidationErrors::single(
                field,
                "write the date as YYYY-MM-DD",
            ))
        }),
    };
    let until = date("until", until, today.tomorrow().unwrap_or(today))?;
    let from = date("from", from, today.first_of_month())?;
    Ok((from, until))
}

/// A file the browser keeps or shows: its type, how to show it
/// (`attachment` or `inline`) under which name, never cached (it is a
/// patient's record).
pub(crate) fn file_response(
    content_type: &str,
    disposition: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
