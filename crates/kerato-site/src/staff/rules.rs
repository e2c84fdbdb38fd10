//! The staff pages and what each needs.

use crate::accounts::rules::Permission;

/// The staff pages and the permission each needs, in the order the home
/// page lists them.
pub const STAFF_PAGES: &[(&str, &str, Permission)] = &[
    (
        "/staff/demo-requests",
        "Demo requests",
        Permission::SalesPipeline,
    ),
    (
        "/staff/tickets",
        "Support tickets",
        Permission::HandleTickets,
    ),
    (
        "/staff/campaigns",
        "E-mail campaigns",
        Permission::Campaigns,
    ),
    (
        "/staff/privacy",
        "Privacy rights requests",
        Permission::PrivacyRequests,
    ),
];
