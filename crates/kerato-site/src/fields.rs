//! The checks free-text and e-mail fields share across the site's forms: pure rules, no I/O.

use kerato_core::ValidationErrors;

/// Checks a free-text field: trimmed, required or not, at most `max`
/// characters, no control characters other than line breaks and tabs.
/// Markup is not refused (it is escaped wherever it is shown) but the field
/// is named in the error so the visitor knows which one to fix.
pub(crate) fn text(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.add(field, format!("enter {label}"));
        }
        return String::new();
    }
    if v.chars().count() > max {
        errors.add(
            field,
            format!(
                "{label} is {} characters long; shorten it to {max} or fewer",
                v.chars().count()
            ),
        );
    } else if v
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(
            field,
            format!("{label} contains control characters; type it again without them"),
        );
    }
    v.to_string()
}

/// Checks an e-mail address with the shared sign-in rule (one `@`, a
/// dotted domain, no spaces, at most 254 characters) and also refuses the
/// characters that could smuggle markup or extra recipients into a mail
/// header. Returned lower-cased.
pub(crate) fn email(errors: &mut ValidationErrors, field: &str, value: &str) -> String {
    if value.trim().is_empty() {
        errors.add(field, "enter an e-mail address");
        return String::new();
    }
    match kerato_core::session::normalise_email(value) {
        Ok(e) if !e.chars().any(|c| "<>\"',;()[]\\".contains(c)) => e,
        _ => {
            errors.add(
                field,
                "enter an e-mail address like name@practice.com (no spaces, one @)",
            );
            value.trim().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_checked_and_lower_cased() {
        let mut e = ValidationErrors::new();
        assert_eq!(
            email(&mut e, "email", " Ann@Clinic.Example "),
            "ann@clinic.example"
        );
        assert!(e.is_empty());
        for bad in [
            "",
            "ann",
            "ann@clinic",
            "a b@clinic.example",
            "<script>@x.example",
            "a@@b.example",
            "a@.example",
        ] {
            let mut e = ValidationErrors::new();
            email(&mut e, "email", bad);
            assert!(e.for_field("email").is_some(), "{bad:?} accepted");
        }
    }

    #[test]
    fn text_fields_report_length_and_control_characters() {
        let mut e = ValidationErrors::new();
        text(&mut e, "name", "your name", "", true, 10);
        assert_eq!(e.for_field("name"), Some("enter your name"));
        let mut e = ValidationErrors::new();
        text(&mut e, "name", "your name", &"x".repeat(11), true, 10);
        assert!(
            e.for_field("name")
                .is_some_and(|m| m.contains("11 characters"))
        );
        let mut e = ValidationErrors::new();
        text(&mut e, "name", "your name", "a\u{7}b", true, 10);
        assert!(e.for_field("name").is_some_and(|m| m.contains("control")));
    }

    proptest! {
        #[test]
        fn text_never_panics_and_keeps_valid_input(s in "\\PC{0,40}") {
            let mut e = ValidationErrors::new();
            let out = text(&mut e, "f", "it", &s, false, 40);
            if e.is_empty() {
                prop_assert_eq!(out, s.trim());
            }
        }
    }
}
