//! Rules of plans, prices, invoices and card data: pure, no I/O.

use jiff::civil::Date;
use kerato_core::ValidationErrors;
use kerato_core::time::Timestamp;
use kerato_http::extract::FormFields;

use crate::web::SiteError;

kerato_core::string_enum!(
    /// The plans on offer.
    PlanId {
        Solo = "solo", "Solo";
        Practice = "practice", "Practice";
        Group = "group", "Group";
    }
);

/// A plan: its price per location per month and what it includes.
#[derive(Debug)]
pub struct Plan {
    pub id: PlanId,
    pub location_cents: i64,
    pub max_locations: i64,
    /// Seats included in the price; `None` is unlimited.
    pub included_seats: Option<i64>,
    /// The monthly price of each seat beyond the included ones.
    pub extra_seat_cents: i64,
    pub points: &'static [&'static str],
}

pub const PLANS: &[Plan] = &[
    Plan {
        id: PlanId::Solo,
        location_cents: 14_900,
        max_locations: 1,
        included_seats: Some(3),
        extra_seat_cents: 2_500,
        points: &["One location", "One specialty", "E-mail support"],
    },
    Plan {
        id: PlanId::Practice,
        location_cents: 34_900,
        max_locations: 3,
        included_seats: Some(15),
        extra_seat_cents: 2_000,
        points: &[
            "Up to three locations",
            "Dermatology, eye care and optical",
            "Phone and e-mail support",
        ],
    },
    Plan {
        id: PlanId::Group,
        location_cents: 89_900,
        max_locations: MAX_LOCATIONS,
        included_seats: None,
        extra_seat_cents: 0,
        points: &[
            "Any number of locations",
            "PostgreSQL for larger groups",
            "A named support engineer",
        ],
    },
];

/// The most locations any subscription may have.
pub const MAX_LOCATIONS: i64 = 50;

/// The most seats any subscription may have.
pub const MAX_SEATS: i64 = 500;

/// Invoices are in US dollars.
pub const CURRENCY: &str = "usd";

impl Plan {
    pub fn of(id: PlanId) -> &'static Plan {
        // PLANS lists every PlanId; the test below keeps it that way.
        PLANS.iter().find(|p| p.id == id).unwrap_or(&PLANS[0])
    }

    pub fn name(&self) -> &'static str {
        self.id.label()
    }

    pub fn price(&self) -> String {
        money(self.location_cents)
    }

    /// What the pricing page says about users.
    pub fn seats(&self) -> String {
        match self.included_seats {
            Some(n) => format!(
                "{n} users included, {} a month per extra user",
                money(self.extra_seat_cents)
            ),
            None => "unlimited users".into(),
        }
    }
}

/// Cents as dollars: `$1,234.50`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let dollars = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, d) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub amount_cents: i64,
}

impl Line {
    pub(crate) fn new(description: String, quantity: i64, unit_cents: i64) -> Self {
        Self {
            description,
            quantity,
            unit_cents,
            amount_cents: quantity * unit_cents,
        }
    }

    pub fn unit(&self) -> String {
        money(self.unit_cents)
    }

    pub fn amount(&self) -> String {
        money(self.amount_cents)
    }
}

/// The lines a month of a plan costs: the plan per location, and the seats
/// beyond the included ones if there are any.
pub fn lines(plan: &Plan, locations: i64, seats: i64) -> Vec<Line> {
    let mut out = vec![Line::new(
        format!("{} plan, per location", plan.name()),
        locations,
        plan.location_cents,
    )];
    if let Some(included) = plan.included_seats {
        let extra = seats - included;
        if extra > 0 {
            out.push(Line::new(
                format!("Users beyond the {included} included"),
                extra,
                plan.extra_seat_cents,
            ));
        }
    }
    out
}

pub fn total(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.amount_cents).sum()
}

/// What the billing form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInput {
    pub plan: String,
    pub locations: String,
    pub seats: String,
}

/// A checked choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub plan: PlanId,
    pub locations: i64,
    pub seats: i64,
}

pub(crate) fn whole(
    errors: &mut ValidationErrors,
    field: &str,
    what: &str,
    value: &str,
    max: i64,
) -> Option<i64> {
    match value.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            errors.add(
                field,
                format!("enter the number of {what} as a whole number from 1 to {max}"),
            );
            None
        }
    }
}

impl SubscriptionInput {
    pub(crate) fn from_form(f: &FormFields) -> Self {
        Self {
            plan: f.get("plan"),
            locations: f.get("locations"),
            seats: f.get("seats"),
        }
    }

    /// Every problem at once, by field; seats may not fall below the
    /// account's active users.
    pub fn validate(&self, active_users: i64) -> Result<Choice, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let plan = self.plan.parse::<PlanId>().ok();
        if plan.is_none() {
            e.add("plan", "choose one of the plans: Solo, Practice or Group");
        }
        let locations = whole(
            &mut e,
            "locations",
            "locations",
            &self.locations,
            MAX_LOCATIONS,
        );
        let seats = whole(&mut e, "seats", "seats", &self.seats, MAX_SEATS);
        if let (Some(p), Some(l)) = (plan.map(Plan::of), locations)
            && l > p.max_locations
        {
            e.add(
                "locations",
                format!(
                    "the {} plan covers up to {} location(s); choose a larger plan or fewer locations",
                    p.name(),
                    p.max_locations
                ),
            );
        }
        if let Some(s) = seats
            && s < active_users
        {
            e.add(
                "seats",
                format!(
                    "the account has {active_users} active users; choose at least {active_users} seats"
                ),
            );
        }
        match (plan, locations, seats) {
            (Some(plan), Some(locations), Some(seats)) if e.is_empty() => Ok(Choice {
                plan,
                locations,
                seats,
            }),
            _ => Err(e),
        }
    }
}

/// An account's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub plan: PlanId,
    pub locations: i64,
    pub seats: i64,
    pub status: String,
}

impl Subscription {
    /// What the next invoice will charge.
    pub fn monthly(&self) -> String {
        money(total(&lines(
            Plan::of(self.plan),
            self.locations,
            self.seats,
        )))
    }
}

kerato_core::string_enum!(
    /// Where an invoice stands: open until paid or voided.
    InvoiceStatus {
        Open = "open", "Open";
        Paid = "paid", "Paid";
        Void = "void", "Void";
    }
);

/// An issued invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub period_start: String,
    pub period_end: String,
    pub currency: String,
    pub total_cents: i64,
    pub status: InvoiceStatus,
    pub issued_at: Timestamp,
}

impl Invoice {
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
}

/// The monthly billing period that holds `day`: its first day and the
/// first day of the next month (not included).
pub fn month_of(day: Date) -> (Date, Date) {
    let start = day.first_of_month();
    let end = start
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(Date::MAX);
    (start, end)
}

/// A payment attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub attempt: i64,
    pub intent_id: String,
    pub amount_cents: i64,
    pub status: String,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub error_code: Option<String>,
}

impl Payment {
    pub fn amount(&self) -> String {
        money(self.amount_cents)
    }
}

/// Field names that would carry card data. The form never has them; a
/// request that does is refused before anything is stored.
pub(crate) const CARD_FIELDS: &[&str] = &[
    "cardnumber",
    "number",
    "ccnumber",
    "cardno",
    "pan",
    "cvc",
    "cvv",
    "cvc2",
    "cvv2",
    "securitycode",
    "exp",
    "expiry",
    "expmonth",
    "expyear",
    "expiration",
];

/// Whether a value holds twelve digits or more in a row, with the spaces
/// and dashes people type between them. A run that touches a letter is part
/// of a word or a hex token (the CSRF token has long digit runs by chance),
/// not a card number.
pub(crate) fn has_card_like_number(v: &str) -> bool {
    let mut digits = 0;
    let mut glued = false;
    for c in v.chars() {
        if c.is_ascii_digit() {
            digits += 1;
        } else if !((c == ' ' || c == '-') && digits > 0) {
            if digits >= 12 && !glued && !c.is_ascii_alphabetic() {
                return true;
            }
            digits = 0;
            glued = c.is_ascii_alphabetic();
        }
    }
    digits >= 12 && !glued
}

/// Refuses a request that carries a card number, expiry or security code,
/// by field name or by a value with twelve digits or more.
pub fn refuse_card_data(pairs: &[(String, String)]) -> Result<(), SiteError> {
    let carries_card = pairs.iter().any(|(k, v)| {
        let name: String = k
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        CARD_FIELDS.contains(&name.as_str()) || has_card_like_number(v)
    });
    if carries_card {
        return Err(SiteError::BadRequest(
            "this site never accepts card numbers, expiry dates or security codes: card details go only to the payment processor. Nothing was stored; pay from the invoice's payment page".into(),
        ));
    }
    Ok(())
}

/// What became of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    AlreadyPaid,
    /// Declined or not completed, with what to tell the payer.
    Unpaid(String),
}

pub const DECLINED: &str = "The card was declined; try another card";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_months() {
        let d = |y, m, day| jiff::civil::date(y, m, day);
        assert_eq!(month_of(d(2026, 11, 27)), (d(2026, 11, 1), d(2026, 12, 1)));
        assert_eq!(month_of(d(2026, 12, 31)), (d(2026, 12, 1), d(2027, 1, 1)));
        assert_eq!(month_of(d(2028, 2, 29)), (d(2028, 2, 1), d(2028, 3, 1)));
    }

    #[test]
    fn every_plan_id_has_a_plan() {
        for id in PlanId::ALL {
            assert_eq!(Plan::of(*id).id, *id);
        }
    }

    #[test]
    fn money_is_shown_in_dollars_with_grouping() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(14_900), "$149.00");
        assert_eq!(money(123_456_789), "$1,234,567.89");
        assert_eq!(money(-5), "-$0.05");
    }

    #[test]
    fn extra_seats_are_a_line_only_when_there_are_some() {
        let solo = Plan::of(PlanId::Solo);
        assert_eq!(lines(solo, 1, 3).len(), 1);
        let l = lines(solo, 1, 5);
        assert_eq!(l[1].quantity, 2);
        assert_eq!(total(&l), 14_900 + 2 * 2_500);
        assert_eq!(lines(Plan::of(PlanId::Group), 7, 400).len(), 1);
    }

    #[test]
    fn the_choice_is_checked_field_by_field() {
        let ok = SubscriptionInput {
            plan: "practice".into(),
            locations: "2".into(),
            seats: "5".into(),
        };
        assert_eq!(
            ok.validate(3),
            Ok(Choice {
                plan: PlanId::Practice,
                locations: 2,
                seats: 5
            })
        );
        let e = ok.validate(6).unwrap_err();
        assert!(
            e.for_field("seats")
                .is_some_and(|m| m.contains("at least 6"))
        );
        let bad = SubscriptionInput {
            plan: "platinum".into(),
            locations: "abc".into(),
            seats: "0".into(),
        };
        let e = bad.validate(1).unwrap_err();
        for f in ["plan", "locations", "seats"] {
            assert!(e.for_field(f).is_some(), "{f}");
        }
        let too_many = SubscriptionInput {
            plan: "solo".into(),
            locations: "2".into(),
            seats: "1".into(),
        };
        assert!(
            too_many
                .validate(1)
                .unwrap_err()
                .for_field("locations")
                .is_some_and(|m| m.contains("Solo plan covers up to 1"))
        );
    }

    #[test]
    fn card_data_is_refused_by_name_or_by_value() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(refuse_card_data(&p("card_number", "4242")).is_err());
        assert!(refuse_card_data(&p("CVC", "123")).is_err());
        assert!(refuse_card_data(&p("note", "4242 4242 4242 4242")).is_err());
        assert!(refuse_card_data(&p("payment_method", "tok_visa")).is_ok());
        assert!(refuse_card_data(&p("attempt", "2")).is_ok());
        assert!(refuse_card_data(&p("csrf", &format!("a{}b", "1".repeat(20)))).is_ok());
        assert!(refuse_card_data(&p("note", "pay 4242-4242-4242-4242.")).is_err());
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_lines(
            plan in 0usize..3,
            locations in 1i64..=MAX_LOCATIONS,
            seats in 1i64..=MAX_SEATS,
        ) {
            let plan = &PLANS[plan];
            let l = lines(plan, locations, seats);
            let sum: i64 = l.iter().map(|x| x.quantity * x.unit_cents).sum();
            prop_assert_eq!(total(&l), sum);
            prop_assert!(l.iter().all(|x| x.amount_cents == x.quantity * x.unit_cents && x.quantity > 0));
            let extra = plan.included_seats.map_or(0, |i| (seats - i).max(0));
            prop_assert_eq!(sum, locations * plan.location_cents + extra * plan.extra_seat_cents);
        }
    }
}
