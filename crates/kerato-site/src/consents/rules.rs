//! Rules of consent choices: who answers, where the banner returns to.

use kerato_core::consent::Source;
use kerato_http::extract::FormFields;

use crate::web::SiteError;

kerato_core::string_enum!(
    /// Whose answer it is.
    SubjectKind {
        Contact = "contact", "A contact, by e-mail address";
        Visitor = "visitor", "A website visitor, by the random ID in the consent cookie";
    }
);

/// A subject of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub kind: SubjectKind,
    /// A lower-cased e-mail address, or a visitor ID.
    pub id: &'a str,
}

impl<'a> Subject<'a> {
    pub fn contact(email: &'a str) -> Self {
        Self {
            kind: SubjectKind::Contact,
            id: email,
        }
    }

    pub fn visitor(id: &'a str) -> Self {
        Self {
            kind: SubjectKind::Visitor,
            id,
        }
    }
}

/// The longest return path the banner's form may send back to.
pub(crate) const MAX_RETURN: usize = 200;

/// A same-site path to go back to after the banner, or `/`. Only a path
/// starting with a single `/` is taken: `//host` and `/\host` are read by
/// browsers as another site, and a scheme (`https:`) is another site too.
pub(crate) fn safe_return(path: &str) -> &str {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= MAX_RETURN
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if ok { path } else { "/" }
}

/// The answers of the banner's form: accept all, reject all, or the
/// settings page's checkboxes.
pub(crate) fn answers(form: &FormFields) -> Result<(bool, bool), SiteError> {
    match form.get("choice").as_str() {
        "accept_all" => Ok((true, true)),
        "reject_all" => Ok((false, false)),
        "custom" => Ok((
            form.get("analytics") == "yes",
            form.get("preferences") == "yes",
        )),
        _ => Err(SiteError::BadRequest(
            "choose Accept all, Reject all, or Save my choices on the cookie settings page".into(),
        )),
    }
}

/// How an answer reached the registry, as the visitor reads it.
pub(crate) fn how(source: Source) -> &'static str {
    match source {
        Source::Gpc => "from the Global Privacy Control signal your browser sent",
        Source::Form => "from a form on this site",
        Source::Link => "from a link in an e-mail",
        Source::Portal => "from the customer portal",
        Source::Staff => "recorded by our staff",
    }
}
