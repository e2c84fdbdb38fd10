//! Request body extractors that say exactly what was wrong.
//!
//! axum's stock `Json` and `Form` rejections are terse and plain text; these
//! name the field, the limit, or the header to fix, and feed the one error
//! renderer so the body matches the route's format.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use kerato_domain::ValidationErrors;
use kerato_domain::input::ParseInput;
use serde::de::DeserializeOwned;

use crate::MAX_BODY_BYTES;
use crate::error::WebError;
use kerato_http::csrf;

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// The body, up to the route's limit: [`MAX_BODY_BYTES`], or what a route
/// that takes a file set with [`UploadLimit`].
async fn body_bytes(req: Request) -> Result<Bytes, WebError> {
    let limit = req
        .extensions()
        .get::<UploadLimit>()
        .map_or(MAX_BODY_BYTES, |l| l.0);
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| WebError::PayloadTooLarge(limit))
}

/// The name between the first pair of backticks in a serde message
/// (`unknown field `colour``), which is the field the message is about.
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// A JSON body deserialized into `T`, whose fields are checked strictly.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(&req);
        if ct != "application/json" {
            return Err(WebError::UnsupportedMediaType(format!(
                "send the body as JSON with the header Content-Type: application/json (got {:?})",
                if ct.is_empty() {
                    "nothing"
                } else {
                    ct.as_str()
                }
            )));
        }
        let bytes = body_bytes(req).await?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiJson)
            .map_err(|err| {
                if err.inner().is_syntax() || err.inner().is_eof() {
                    return WebError::BadRequest(format!(
                        "the body is not valid JSON: {}",
                        err.inner()
                    ));
                }
                field_error(err)
            })
    }
}

/// A JSON body parsed once into the domain input `T`: its text shape is
/// deserialized strictly, then `T` checks every field, and a refusal names
/// each problem (422) before the handler runs.
#[derive(Debug)]
pub(crate) struct ApiInput<T>(pub T);

impl<T: ParseInput, S: Send + Sync> FromRequest<S> for ApiInput<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(raw) = ApiJson::<T::Raw>::from_request(req, state).await?;
        T::parse(raw).map(ApiInput).map_err(WebError::Validation)
    }
}

/// An HTML form parsed once into the domain input `T`, after its CSRF token
/// was checked. A form the rules refuse is not an error here: the handler
/// renders its page again with `input`'s problems beside their fields and
/// `fields` to refill them, and builds that page only then.
#[derive(Debug)]
pub(crate) struct Form<T> {
    pub input: Result<T, ValidationErrors>,
    pub fields: FormFields,
}

impl<T: ParseInput, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let fields = FormFields::from_request(req, state).await?;
        let input = fields.parse::<T>();
        Ok(Self { input, fields })
    }
}

/// A value that did not deserialize, as a validation error naming the field.
fn field_error(err: serde_path_to_error::Error<serde_json::Error>) -> WebError {
    WebError::Validation(field_problem(err))
}

/// The problem of a value that did not deserialize, named by its field.
fn field_problem(err: serde_path_to_error::Error<serde_json::Error>) -> ValidationErrors {
    let path = err.path().to_string();
    let message = err.into_inner().to_string();
    // serde names unknown and missing fields in backticks; the path points
    // at the parent for a missing one, at the field itself for an unknown one.
    let field = if message.starts_with("unknown field") || message.starts_with("missing field") {
        let name = backticked(&message).unwrap_or("?");
        if path == "." {
            name.to_string()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path
        } else {
            format!("{path}.{name}")
        }
    } else {
        path
    };
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    ValidationErrors::single(field, message)
}

/// The query string of an API `GET`, deserialized into `T` (whose fields
/// are text, validated by `T` itself): an unknown or repeated parameter is
/// refused by name, so a misspelt filter is never silently ignored.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut map = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            if map.insert(k.to_string(), v.into_owned().into()).is_some() {
                return Err(WebError::Validation(ValidationErrors::single(
                    k,
                    "give this parameter once",
                )));
            }
        }
        serde_path_to_error::deserialize::<_, T>(serde_json::Value::Object(map))
            .map(ApiQuery)
            .map_err(field_error)
    }
}

/// The fields of a URL-encoded HTML form, after its CSRF token was checked.
#[derive(Debug)]
pub(crate) struct FormFields {
    pairs: Vec<(String, String)>,
}

impl FormFields {
    /// The first value of a field, or "" when absent.
    pub fn get(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The `version` field an edit form carries back: the version of the
    /// record the user started editing.
    pub fn version(&self, what: &str) -> Result<i64, WebError> {
        self.get("version").parse().map_err(|_| {
            WebError::BadRequest(format!(
                "the form is missing the {what}'s version; reload the page"
            ))
        })
    }

    /// The fields parsed into the domain input `T`. A field sent more than
    /// once arrives as a list (see `kerato_domain::input::one_or_many`); the
    /// CSRF token is not one of `T`'s fields.
    pub fn parse<T: ParseInput>(&self) -> Result<T, ValidationErrors> {
        let raw =
            serde_path_to_error::deserialize::<_, T::Raw>(self.as_json()).map_err(field_problem)?;
        T::parse(raw)
    }

    /// The fields in the text shape `R`, as typed: what the page of a
    /// refused form is refilled from. None if they do not fit it.
    pub fn raw<R: DeserializeOwned>(&self) -> Option<R> {
        serde_json::from_value(self.as_json()).ok()
    }

    /// The fields as a JSON object, a repeated field as a list; the CSRF
    /// token is left out.
    fn as_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (k, v) in self.pairs.iter().filter(|(k, _)| k != csrf::FIELD) {
            match map.get_mut(k) {
                None => {
                    map.insert(k.clone(), v.clone().into());
                }
                Some(serde_json::Value::Array(list)) => list.push(v.clone().into()),
                Some(first) => *first = vec![first.take(), v.clone().into()].into(),
            }
        }
        serde_json::Value::Object(map)
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if content_type(&req) != "application/x-www-form-urlencoded" {
            return Err(WebError::UnsupportedMediaType(
                "submit this form from its page (Content-Type: application/x-www-form-urlencoded)"
                    .into(),
            ));
        }
        let expected = csrf::expected(&req);
        let bytes = body_bytes(req).await?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        check_csrf(&pairs, &expected)?;
        Ok(Self { pairs })
    }
}

/// Refuses a form whose `csrf` field does not match the request's token.
fn check_csrf(pairs: &[(String, String)], expected: &str) -> Result<(), WebError> {
    if !csrf::form_matches(pairs, expected) {
        return Err(WebError::Forbidden(
            "this form has expired or was sent from another site; reload the page and submit it again"
                .into(),
        ));
    }
    Ok(())
}

/// The body limit of a route that takes one uploaded file of at most
/// `file_limit` bytes, with room for the form's other fields.
pub(crate) const fn upload_body_limit(file_limit: usize) -> usize {
    file_limit + MAX_BODY_BYTES
}

/// A `multipart/form-data` form with one file, after its CSRF token was
/// checked. The route sets its own body limit with
/// [`upload_body_limit`]; every field other than the file is small text.
#[derive(Debug)]
pub(crate) struct UploadForm {
    pub fields: FormFields,
    /// The file field's name and bytes, if a file was chosen.
    pub file: Option<(String, Bytes)>,
}

/// Text fields of an upload form are short: IDs, choices, a caption.
const MAX_UPLOAD_TEXT_FIELD: usize = 4 * 1024;

impl<S: Send + Sync> FromRequest<S> for UploadForm {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if content_type(&req) != "multipart/form-data" {
            return Err(WebError::UnsupportedMediaType(
                "submit this form from its page (Content-Type: multipart/form-data)".into(),
            ));
        }
        let expected = csrf::expected(&req);
        let limit = req
            .extensions()
            .get::<UploadLimit>()
            .map_or(MAX_BODY_BYTES, |l| l.0);
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| WebError::BadRequest(format!("the upload could not be read: {e}")))?;
        let too_large = |e: axum::extract::multipart::MultipartError| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                WebError::PayloadTooLarge(limit)
            } else {
                WebError::BadRequest(format!("the upload could not be read: {e}"))
            }
        };
        let mut pairs = Vec::new();
        let mut file = None;
        while let Some(field) = multipart.next_field().await.map_err(too_large)? {
            let name = field.name().unwrap_or("").to_string();
            if field.file_name().is_some() {
                if file.is_some() {
                    return Err(WebError::BadRequest("send one file at a time".into()));
                }
                let bytes = field.bytes().await.map_err(too_large)?;
                // A file input left empty still sends a part, with no bytes.
                if !bytes.is_empty() {
                    file = Some((name, bytes));
                }
            } else {
                let text = field.text().await.map_err(too_large)?;
                if text.len() > MAX_UPLOAD_TEXT_FIELD {
                    return Err(WebError::Validation(ValidationErrors::single(
                        name,
                        format!(
                            "this field is longer than {MAX_UPLOAD_TEXT_FIELD} characters; shorten it"
                        ),
                    )));
                }
                pairs.push((name, text));
            }
        }
        check_csrf(&pairs, &expected)?;
        Ok(Self {
            fields: FormFields { pairs },
            file,
        })
    }
}

/// The body limit a route set for [`UploadForm`], so its 413 message can
/// name the right figure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UploadLimit(pub usize);

#[cfg(test)]
mod tests {
    use super::backticked;

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            backticked("unknown field `colour`, expected one of `name`"),
            Some("colour")
        );
        assert_eq!(backticked("missing field `name`"), Some("name"));
        assert_eq!(backticked("no ticks"), None);
    }
}
