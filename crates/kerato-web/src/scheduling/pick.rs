//! What the front desk's pages share: the location a page is for, the
//! patient it was opened for, and the options of their lists.

use jiff::civil::Date;
use kerato_app::Caller;
use kerato_domain::ValidationErrors;
use kerato_domain::ids::{LocationId, PatientId};
use kerato_domain::tenancy::Location;

use crate::WebState;
use crate::error::WebError;
use crate::view::Choice;

pub(crate) fn bad(field: &str, message: &str) -> WebError {
    WebError::Validation(ValidationErrors::single(field, message))
}

pub(crate) fn parse_date(field: &str, raw: &str) -> Result<Date, WebError> {
    raw.trim()
        .parse()
        .map_err(|_| bad(field, "write the date as YYYY-MM-DD"))
}

/// The chosen location (by ID in the query), else the first.
pub(crate) async fn pick_location(
    state: &WebState,
    caller: &Caller,
    raw: &str,
) -> Result<(Vec<Location>, Option<Location>), WebError> {
    let locations = state.app.list_locations(caller).await?;
    let chosen = raw
        .parse::<LocationId>()
        .ok()
        .and_then(|id| locations.iter().find(|l| l.id == id))
        .or(locations.first())
        .cloned();
    Ok((locations, chosen))
}

/// The patient a page was opened for (`?patient=`), if the ID is valid.
pub(crate) fn patient_param(raw: &str) -> String {
    raw.parse::<PatientId>()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

pub(crate) fn location_choices(locations: &[Location], chosen: Option<&Location>) -> Vec<Choice> {
    locations
        .iter()
        .map(|l| Choice {
            value: l.id.to_string(),
            label: l.name.clone(),
            selected: chosen.is_some_and(|c| c.id == l.id),
        })
        .collect()
}

/// An option that starts unselected.
pub(crate) fn plain(value: &str, label: &str) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
        selected: false,
    }
}
