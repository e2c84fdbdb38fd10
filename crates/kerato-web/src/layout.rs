//! What every page's frame needs: assets, the CSRF token, who is signed in
//! and the navigation their role allows.

use kerato_app::Caller;
use kerato_domain::identity::{Action, Resource, role_permits};

use crate::WebState;
use crate::assets;
use crate::error::WebError;
use kerato_http::csrf::CsrfToken;
use kerato_http::layout::{Frame, Notice};

#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub section: &'static str,
}

/// The clinic's page frame: the shared [`Frame`] (stylesheet, icon, CSRF
/// token, policy notices), which it dereferences to, and what only the
/// clinic shows.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub frame: Frame,
    pub js: String,
    pub htmx: String,
    pub organisation: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    /// The signed-in user's name, if any.
    pub user: Option<String>,
    pub nav: Vec<NavItem>,
    /// Whether the header shows the patient search box.
    pub patient_search: bool,
}

impl std::ops::Deref for Layout {
    type Target = Frame;

    fn deref(&self) -> &Frame {
        &self.frame
    }
}

const NAV: &[(&str, &str, &str, Resource, Action)] = &[
    (
        "/schedule",
        "Schedule",
        "schedule",
        Resource::Appointment,
        Action::Query,
    ),
    (
        "/schedule/week",
        "Week",
        "week",
        Resource::Appointment,
        Action::Query,
    ),
    (
        "/flow",
        "Flow board",
        "flow",
        Resource::Appointment,
        Action::Query,
    ),
    (
        "/waitlist",
        "Waitlist",
        "waitlist",
        Resource::Appointment,
        Action::Query,
    ),
    (
        "/recalls",
        "Recalls",
        "recalls",
        Resource::Appointment,
        Action::Query,
    ),
    (
        "/biopsies",
        "Biopsies",
        "biopsies",
        Resource::Pathology,
        Action::Query,
    ),
    (
        "/rx-requests",
        "Rx requests",
        "rx-requests",
        Resource::Prescription,
        Action::Query,
    ),
    (
        "/setup",
        "Set-up",
        "setup-wizard",
        Resource::Organisation,
        Action::Update,
    ),
    (
        "/setup/providers",
        "Providers",
        "providers",
        Resource::Organisation,
        Action::Update,
    ),
    (
        "/setup/scheduling",
        "Scheduling set-up",
        "setup",
        Resource::Organisation,
        Action::Update,
    ),
    (
        "/privacy",
        "Privacy",
        "privacy",
        Resource::PrivacyRequest,
        Action::Query,
    ),
    (
        "/settings/coding",
        "Payer coding",
        "setup",
        Resource::Organisation,
        Action::Update,
    ),
    (
        "/locations",
        "Locations",
        "locations",
        Resource::Location,
        Action::Query,
    ),
    (
        "/disclosures",
        "Disclosures",
        "disclosures",
        Resource::Disclosure,
        Action::Query,
    ),
    (
        "/emergency",
        "Emergency access",
        "emergency",
        Resource::EmergencyAccess,
        Action::Create,
    ),
    (
        "/admin/users",
        "Staff",
        "users",
        Resource::User,
        Action::Query,
    ),
    (
        "/admin/sessions",
        "Sessions",
        "sessions",
        Resource::Session,
        Action::Query,
    ),
    (
        "/admin/audit",
        "Audit trail",
        "audit",
        Resource::Audit,
        Action::Query,
    ),
    (
        "/admin/emergency",
        "Break-glass log",
        "breakglass",
        Resource::EmergencyAccess,
        Action::Query,
    ),
    (
        "/admin/roles",
        "Roles",
        "roles",
        Resource::User,
        Action::Query,
    ),
    (
        "/admin/import",
        "Import",
        "import",
        Resource::Organisation,
        Action::Update,
    ),
    (
        "/admin/security",
        "Security",
        "security",
        Resource::Organisation,
        Action::View,
    ),
];

impl Layout {
    fn base(csrf: &CsrfToken, section: &'static str) -> Self {
        Self {
            frame: Frame::new(&assets::ASSETS, "app.css", csrf),
            js: assets::url("app.js"),
            htmx: assets::url("htmx.min.js"),
            organisation: String::new(),
            section,
            user: None,
            nav: Vec::new(),
            patient_search: false,
        }
    }

    /// The frame with the banner of policy changes announced and not yet
    /// in force.
    pub fn with_announcements(mut self, list: &[kerato_app::policies::Announcement]) -> Self {
        self.frame.notices = list
            .iter()
            .map(|a| Notice {
                what: a.kind.label().to_lowercase(),
                effective_at: a.effective_at,
                summary: a.summary.clone(),
                href: None,
            })
            .collect();
        self
    }

    /// The frame for pages seen before signing in.
    pub fn public(csrf: &CsrfToken, section: &'static str) -> Self {
        Self::base(csrf, section)
    }

    /// The frame for a signed-in user.
    pub async fn signed_in(
        state: &WebState,
        csrf: &CsrfToken,
        caller: &Caller,
        section: &'static str,
    ) -> Result<Self, WebError> {
        let org = state.app.organisation(caller).await?;
        let role = caller.actor.role;
        let mut nav: Vec<NavItem> = NAV
            .iter()
            .filter(|(_, _, _, res, act)| role_permits(role, *res, *act))
            .map(|(href, label, section, _, _)| NavItem {
                href,
                label,
                section,
            })
            .collect();
        nav.push(NavItem {
            href: "/inbox",
            label: "Inbox",
            section: "inbox",
        });
        nav.push(NavItem {
            href: "/account",
            label: "Account",
            section: "account",
        });
        let announcements = state.app.announcements(org.id).await?;
        Ok(Self {
            organisation: org.name,
            user: Some(caller.display_name.clone()),
            patient_search: role_permits(role, Resource::Patient, Action::Query),
            nav,
            ..Self::base(csrf, section)
        }
        .with_announcements(&announcements))
    }

    /// The frame for error pages, which show no forms and no organisation.
    pub fn bare() -> Self {
        Self::base(&CsrfToken(String::new()), "")
    }
}
