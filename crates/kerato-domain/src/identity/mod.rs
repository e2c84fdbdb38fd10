//! Who may do what: roles, the permission matrix, location scope, sessions,
//! lockout and emergency access, as pure rules.
//!
//! The matrix is minimum-necessary by default: each role gets the actions its
//! work needs and nothing else (billing sees no clinical photos, the front
//! desk no exam notes). `kerato-app` asks [`decide`] before every read or
//! write and audits the answer either way.

pub use kerato_core::session::{
    LOCKOUT_MICROS, LOCKOUT_THRESHOLD, MAX_IDLE_MINUTES, MINUTE_MICROS, SessionPolicy,
    SessionState, after_failed_login, normalise_email, session_state,
};
mod input;

use std::collections::BTreeSet;
use std::fmt;

use crate::ids::{LocationId, OrganisationId, UserId};
use crate::time::Timestamp;

pub use input::{
    AcceptBody, ChosenPassword, CodeBody, EmergencyInput, EmergencyRequest, OneTimeCode,
    SecurityInput, SecuritySettings, SessionKey, SessionKeyInput, SignInBody, SignInCredentials,
};

string_enum!(
    /// A staff member's role. Each user has exactly one.
    Role {
        Admin = "admin", "Owner / administrator";
        Physician = "physician", "Physician (dermatologist, ophthalmologist)";
        Optometrist = "optometrist", "Optometrist";
        Technician = "technician", "Technician / scribe";
        Optician = "optician", "Optician";
        FrontDesk = "front_desk", "Front desk";
        Billing = "billing", "Billing";
        PrivacyOfficer = "privacy_officer", "Privacy officer";
        Auditor = "auditor", "Auditor (read-only)";
    }
);

string_enum!(
    /// What is being acted on.
    Resource {
        Organisation = "organisation", "Organisation settings";
        Location = "location", "Locations";
        User = "user", "Staff accounts";
        Session = "session", "Sessions";
        Audit = "audit", "Audit trail";
        Disclosure = "disclosure", "Disclosures";
        EmergencyAccess = "emergency_access", "Emergency access";
        Patient = "patient", "Patient demographics";
        Appointment = "appointment", "Appointments";
        ClinicalNote = "clinical_note", "Exam and visit notes";
        Prescription = "prescription", "Prescriptions";
        ClinicalPhoto = "clinical_photo", "Clinical photos";
        Pathology = "pathology", "Biopsies and pathology";
        OpticalOrder = "optical_order", "Optical orders";
        Billing = "billing", "Claims and statements";
        Payment = "payment", "Payments";
        PrivacyRequest = "privacy_request", "Privacy rights requests";
    }
);

string_enum!(
    /// What is being done; the ASTM E2147 action types.
    Action {
        View = "view", "View";
        Create = "create", "Create";
        Update = "update", "Update";
        Delete = "delete", "Delete";
        Print = "print", "Print";
        Export = "export", "Export";
        Query = "query", "Query";
    }
);

/// A break-glass grant as the log shows it: who opened it, where, why,
/// and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantEntry {
    pub id: crate::ids::EmergencyGrantId,
    pub user_id: UserId,
    pub location_id: LocationId,
    pub reason: String,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How far a session has come through sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; a TOTP or recovery code is due.
    Mfa,
    /// The password was right; MFA is required and must be enrolled first.
    Enrol,
    /// Password and second factor passed, but the password was chosen by
    /// someone else: choosing a new one is all this session may do.
    Password,
    /// Signed in.
    Full,
}

impl SessionStage {
    /// The stage as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Mfa => "mfa",
            SessionStage::Enrol => "enrol",
            SessionStage::Password => "password",
            SessionStage::Full => "full",
        }
    }

    /// A stored stage; `None` for text Kerato never writes.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mfa" => Some(SessionStage::Mfa),
            "enrol" => Some(SessionStage::Enrol),
            "password" => Some(SessionStage::Password),
            "full" => Some(SessionStage::Full),
            _ => None,
        }
    }
}

use Action::{Create, Delete, Export, Print, Query, Update, View};

const READ: &[Action] = &[View, Query];
const READ_PRINT: &[Action] = &[View, Query, Print];
const EDIT: &[Action] = &[View, Query, Create, Update];
const EDIT_PRINT: &[Action] = &[View, Query, Create, Update, Print];
const EDIT_PRINT_EXPORT: &[Action] = &[View, Query, Create, Update, Print, Export];
const ALL: &[Action] = &[View, Query, Create, Update, Delete, Print, Export];
const AUDIT_READ: &[Action] = &[View, Query, Print, Export];

/// The permission matrix. A (role, resource) pair absent here has no
/// actions: the default is no access.
const MATRIX: &[(Role, Resource, &[Action])] = &[
    // Administration of the practice, not its clinical content.
    (Role::Admin, Resource::Organisation, &[View, Update]),
    (Role::Admin, Resource::Location, ALL),
    (Role::Admin, Resource::User, ALL),
    (Role::Admin, Resource::Session, &[View, Query, Delete]),
    (Role::Admin, Resource::Audit, AUDIT_READ),
    (Role::Admin, Resource::Disclosure, READ),
    (
        Role::Admin,
        Resource::EmergencyAccess,
        &[View, Query, Create],
    ),
    (Role::Admin, Resource::Patient, EDIT_PRINT_EXPORT),
    (Role::Admin, Resource::Appointment, ALL),
    (Role::Admin, Resource::Billing, READ_PRINT),
    (Role::Admin, Resource::Payment, READ_PRINT),
    // Clinicians.
    (Role::Physician, Resource::Location, READ),
    (Role::Physician, Resource::EmergencyAccess, &[View, Create]),
    (
        Role::Physician,
        Resource::Disclosure,
        &[View, Query, Create],
    ),
    (Role::Physician, Resource::Patient, EDIT_PRINT_EXPORT),
    (Role::Physician, Resource::Appointment, EDIT),
    (Role::Physician, Resource::ClinicalNote, EDIT_PRINT_EXPORT),
    (Role::Physician, Resource::Prescription, EDIT_PRINT_EXPORT),
    (Role::Physician, Resource::ClinicalPhoto, EDIT_PRINT_EXPORT),
    (Role::Physician, Resource::Pathology, EDIT_PRINT_EXPORT),
    (Role::Physician, Resource::OpticalOrder, READ),
    (Role::Physician, Resource::Billing, READ),
    (Role::Optometrist, Resource::Location, READ),
    (
        Role::Optometrist,
        Resource::EmergencyAccess,
        &[View, Create],
    ),
    (
        Role::Optometrist,
        Resource::Disclosure,
        &[View, Query, Create],
    ),
    (Role::Optometrist, Resource::Patient, EDIT_PRINT_EXPORT),
    (Role::Optometrist, Resource::Appointment, EDIT),
    (Role::Optometrist, Resource::ClinicalNote, EDIT_PRINT_EXPORT),
    (Role::Optometrist, Resource::Prescription, EDIT_PRINT_EXPORT),
    (Role::Optometrist, Resource::ClinicalPhoto, EDIT_PRINT),
    (Role::Optometrist, Resource::OpticalOrder, EDIT_PRINT),
    (Role::Optometrist, Resource::Billing, READ),
    (Role::Technician, Resource::Location, READ),
    (Role::Technician, Resource::Patient, &[View, Query, Update]),
    (
        Role::Technician,
        Resource::Appointment,
        &[View, Query, Update],
    ),
    (Role::Technician, Resource::ClinicalNote, EDIT),
    (Role::Technician, Resource::Prescription, READ),
    (
        Role::Technician,
        Resource::ClinicalPhoto,
        &[View, Query, Create],
    ),
    (
        Role::Technician,
        Resource::Pathology,
        &[View, Query, Update],
    ),
    // The optical counter: prescriptions to fill, orders, sales.
    (Role::Optician, Resource::Location, READ),
    (Role::Optician, Resource::Patient, &[View, Query, Update]),
    (Role::Optician, Resource::Appointment, READ),
    (Role::Optician, Resource::Prescription, READ_PRINT),
    (Role::Optician, Resource::OpticalOrder, EDIT_PRINT),
    (
        Role::Optician,
        Resource::Payment,
        &[View, Query, Create, Print],
    ),
    // The front desk: registration and scheduling, no clinical content.
    (Role::FrontDesk, Resource::Location, READ),
    (Role::FrontDesk, Resource::Patient, EDIT_PRINT),
    (Role::FrontDesk, Resource::Appointment, ALL),
    (Role::FrontDesk, Resource::Billing, READ),
    (
        Role::FrontDesk,
        Resource::Payment,
        &[View, Query, Create, Print],
    ),
    // Billing: claims and money, no photos and no notes.
    (Role::Billing, Resource::Location, READ),
    (Role::Billing, Resource::Patient, READ),
    (Role::Billing, Resource::Appointment, READ),
    (Role::Billing, Resource::Billing, EDIT_PRINT_EXPORT),
    (Role::Billing, Resource::Payment, EDIT_PRINT_EXPORT),
    (Role::Billing, Resource::Disclosure, &[View, Query, Create]),
    // Oversight.
    (Role::PrivacyOfficer, Resource::Location, READ),
    (Role::PrivacyOfficer, Resource::User, READ),
    (
        Role::PrivacyOfficer,
        Resource::Session,
        &[View, Query, Delete],
    ),
    (Role::PrivacyOfficer, Resource::Audit, AUDIT_READ),
    (
        Role::PrivacyOfficer,
        Resource::Disclosure,
        EDIT_PRINT_EXPORT,
    ),
    (Role::PrivacyOfficer, Resource::EmergencyAccess, READ),
    (Role::PrivacyOfficer, Resource::Patient, READ),
    (
        Role::PrivacyOfficer,
        Resource::PrivacyRequest,
        EDIT_PRINT_EXPORT,
    ),
    (Role::Auditor, Resource::Location, READ),
    (Role::Auditor, Resource::User, READ),
    (Role::Auditor, Resource::Session, READ),
    (Role::Auditor, Resource::Audit, AUDIT_READ),
    (Role::Auditor, Resource::Disclosure, READ_PRINT),
    (Role::Auditor, Resource::EmergencyAccess, READ),
];

/// Whether the role's matrix entry allows the action on the resource.
pub fn role_permits(role: Role, resource: Resource, action: Action) -> bool {
    MATRIX
        .iter()
        .any(|(r, res, actions)| *r == role && *res == resource && actions.contains(&action))
}

/// The actions a role has on a resource, for the read-only matrix view.
pub fn role_actions(role: Role, resource: Resource) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| role_permits(role, resource, *a))
        .collect()
}

impl Role {
    /// Roles for which multi-factor sign-in cannot be relaxed.
    pub fn mfa_always_required(self) -> bool {
        matches!(self, Role::Admin | Role::PrivacyOfficer)
    }
}

/// The locations a user works at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationScope {
    All,
    Only(BTreeSet<LocationId>),
}

impl LocationScope {
    pub fn includes(&self, location: LocationId) -> bool {
        match self {
            LocationScope::All => true,
            LocationScope::Only(set) => set.contains(&location),
        }
    }
}

/// A staff account, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    /// Lower-case; the sign-in name, unique across the installation.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub locations: LocationScope,
    pub active: bool,
    pub mfa_enrolled: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What signing in checks, kept apart from [`User`] so it is never rendered.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// PHC string (argon2id); `None` until an invitation is accepted.
    pub password_hash: Option<String>,
    /// Base32 TOTP secret; `None` until enrolled.
    pub mfa_secret: Option<String>,
    /// The last TOTP time step accepted, so a code cannot be replayed.
    pub mfa_last_step: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
    /// Someone else chose the password (`kerato init`, an administrator's
    /// temporary password): the user must choose their own at sign-in.
    pub must_change_password: bool,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("password_set", &self.password_hash.is_some())
            .field("mfa_enrolled", &self.mfa_secret.is_some())
            .field("failed_logins", &self.failed_logins)
            .field("locked_until", &self.locked_until)
            .field("must_change_password", &self.must_change_password)
            .finish()
    }
}

/// Emergency ("break-glass") access a user opened, for a time, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyGrant {
    pub location: LocationId,
    pub expires_at: Timestamp,
}

/// How long a break-glass grant lasts.
pub const EMERGENCY_ACCESS_MICROS: i64 = 60 * 60 * 1_000_000;

/// The signed-in user on whose behalf a use case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub role: Role,
    pub locations: LocationScope,
    pub emergency: Vec<EmergencyGrant>,
}

/// What is being acted on, with the scope that decides access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub organisation: OrganisationId,
    pub location: Option<LocationId>,
    pub resource: Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The target belongs to another organisation.
    OtherOrganisation,
    /// The role has no such permission.
    Role,
    /// The target is at a location the user does not work at.
    Location,
}

impl Denial {
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::OtherOrganisation => "other_organisation",
            Denial::Role => "role",
            Denial::Location => "location",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; `emergency` when only a break-glass grant allowed it.
    Allowed {
        emergency: bool,
    },
    Denied(Denial),
}

/// The access decision. Organisation first (no role crosses tenants), then
/// the role matrix, then location scope, where an unexpired break-glass grant
/// for that location stands in for an assignment.
pub fn decide(actor: &Actor, action: Action, target: &Target, now: Timestamp) -> Decision {
    if actor.organisation_id != target.organisation {
        return Decision::Denied(Denial::OtherOrganisation);
    }
    if !role_permits(actor.role, target.resource, action) {
        return Decision::Denied(Denial::Role);
    }
    match target.location {
        None => Decision::Allowed { emergency: false },
        Some(loc) if actor.locations.includes(loc) => Decision::Allowed { emergency: false },
        Some(loc) => {
            let granted = actor
                .emergency
                .iter()
                .any(|g| g.location == loc && g.expires_at > now);
            if granted {
                Decision::Allowed { emergency: true }
            } else {
                Decision::Denied(Denial::Location)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn actor(role: Role, scope: LocationScope) -> Actor {
        Actor {
            user_id: UserId::new(Timestamp::from_micros(1), [1; 10]),
            organisation_id: OrganisationId::new(Timestamp::from_micros(1), [2; 10]),
            role,
            locations: scope,
            emergency: vec![],
        }
    }

    #[test]
    fn minimum_necessary_holds() {
        assert!(!role_permits(
            Role::Billing,
            Resource::ClinicalPhoto,
            Action::View
        ));
        assert!(!role_permits(
            Role::FrontDesk,
            Resource::ClinicalNote,
            Action::View
        ));
        assert!(!role_permits(
            Role::Auditor,
            Resource::Patient,
            Action::View
        ));
        assert!(!role_permits(Role::Admin, Resource::Audit, Action::Delete));
        assert!(role_permits(
            Role::Physician,
            Resource::ClinicalNote,
            Action::Update
        ));
        for role in Role::ALL {
            assert!(
                !role_permits(*role, Resource::Audit, Action::Update),
                "{role} may change audit"
            );
            assert!(
                !role_permits(*role, Resource::Audit, Action::Delete),
                "{role} may delete audit"
            );
        }
    }

    #[test]
    fn the_auditor_only_reads() {
        for res in Resource::ALL {
            for a in [Action::Create, Action::Update, Action::Delete] {
                assert!(
                    !role_permits(Role::Auditor, *res, a),
                    "auditor may {a} {res}"
                );
            }
        }
    }

    #[test]
    fn location_scope_and_break_glass() {
        let now = Timestamp::from_micros(1_000);
        let (l1, l2) = (LocationId::new(now, [3; 10]), LocationId::new(now, [4; 10]));
        let mut a = actor(Role::Physician, LocationScope::Only([l1].into()));
        let target = |loc| Target {
            organisation: a.organisation_id,
            location: Some(loc),
            resource: Resource::Patient,
        };
        assert_eq!(
            decide(&a, Action::View, &target(l1), now),
            Decision::Allowed { emergency: false }
        );
        assert_eq!(
            decide(&a, Action::View, &target(l2), now),
            Decision::Denied(Denial::Location)
        );
        a.emergency.push(EmergencyGrant {
            location: l2,
            expires_at: now.plus_micros(10),
        });
        let t2 = Target {
            organisation: a.organisation_id,
            location: Some(l2),
            resource: Resource::Patient,
        };
        assert_eq!(
            decide(&a, Action::View, &t2, now),
            Decision::Allowed { emergency: true }
        );
        assert_eq!(
            decide(&a, Action::View, &t2, now.plus_micros(10)),
            Decision::Denied(Denial::Location)
        );
        // Break-glass widens locations, never the role.
        assert_eq!(
            decide(&a, Action::Delete, &t2, now),
            Decision::Denied(Denial::Role)
        );
    }

    #[test]
    fn sessions_expire_idle_and_absolute() {
        let p = SessionPolicy::default();
        let t0 = Timestamp::from_micros(0);
        let at = |min: i64| Timestamp::from_micros(min * MINUTE_MICROS);
        assert_eq!(session_state(p, t0, at(10), at(24)), SessionState::Active);
        assert_eq!(
            session_state(p, t0, at(10), at(25)),
            SessionState::IdleExpired
        );
        assert_eq!(
            session_state(p, t0, at(719), at(720)),
            SessionState::AbsoluteExpired
        );
        assert!(SessionPolicy::new(31).is_err() && SessionPolicy::new(0).is_err());
        assert_eq!(
            SessionPolicy::new(30).unwrap().idle_micros,
            30 * MINUTE_MICROS
        );
    }

    proptest! {
        #[test]
        fn another_organisation_is_always_denied(role_i in 0usize..9, res_i in 0usize..17, act_i in 0usize..7) {
            let a = actor(Role::ALL[role_i], LocationScope::All);
            let other = OrganisationId::new(Timestamp::from_micros(5), [9; 10]);
            let t = Target { organisation: other, location: None, resource: Resource::ALL[res_i] };
            prop_assert_eq!(decide(&a, Action::ALL[act_i], &t, Timestamp::from_micros(0)), Decision::Denied(Denial::OtherOrganisation));
        }

        #[test]
        fn names_round_trip(role_i in 0usize..9) {
            let r = Role::ALL[role_i];
            prop_assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
    }
}
