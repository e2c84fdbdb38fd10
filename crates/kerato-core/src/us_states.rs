//! US states and territories by their postal codes, shared by every rule
//! that varies by state (prescription expiry, record retention, addresses).

/// Two-letter USPS codes for the states, DC and the inhabited territories.
pub const US_STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
];

/// The code of the federal rows, used where no state row applies.
pub const FEDERAL: &str = "US";

/// The two-letter code in upper case, [`FEDERAL`] included, or a message
/// that says what to enter.
pub fn parse_state_code(state: &str) -> Result<&'static str, String> {
    let code = state.trim().to_ascii_uppercase();
    if code == FEDERAL {
        return Ok(FEDERAL);
    }
    US_STATES
        .iter()
        .find(|c| **c == code)
        .copied()
        .ok_or_else(|| {
            format!(
                "{:?} is not a US state code; enter the two-letter postal code, e.g. CA",
                state.trim().chars().take(16).collect::<String>()
            )
        })
}
