//! Rules of customer and staff accounts: roles, permissions, users, tokens and the sign-up input.

use kerato_core::ValidationErrors;
use kerato_core::input::ParseInput;
use kerato_core::time::Timestamp;
use sha2::{Digest, Sha256};

kerato_core::string_enum!(
    /// What a person may do on the site.
    Role {
        Owner = "owner", "Practice owner";
        Physician = "physician", "Physician";
        Staff = "staff", "Practice staff";
        Billing = "billing", "Billing contact";
        VendorAdmin = "vendor_admin", "Vendor administrator";
        VendorSupport = "vendor_support", "Vendor support";
        VendorSales = "vendor_sales", "Vendor sales";
    }
);

kerato_core::string_enum!(
    /// What a route needs.
    Permission {
        UsePortal = "use_portal", "Use the customer portal";
        ManageUsers = "manage_users", "Invite and manage the practice's users";
        CloseAccount = "close_account", "Close the practice's account";
        Billing = "billing", "See invoices and pay";
        OpenTickets = "open_tickets", "Open and follow support tickets";
        StaffHome = "staff_home", "Use the vendor staff area";
        HandleTickets = "handle_tickets", "Answer and assign support tickets";
        SalesPipeline = "sales_pipeline", "Work the demo request pipeline";
        Campaigns = "campaigns", "Write and send e-mail campaigns";
        PrivacyRequests = "privacy_requests", "Handle privacy rights requests";
    }
);

impl Role {
    /// The roles a practice owner may give when inviting.
    pub const INVITABLE: &'static [Role] = &[Role::Physician, Role::Staff, Role::Billing];

    pub fn is_vendor(self) -> bool {
        matches!(
            self,
            Role::VendorAdmin | Role::VendorSupport | Role::VendorSales
        )
    }

    /// The permission matrix, in one place so the route tests can walk it.
    pub fn permits(self, p: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match p {
            P::UsePortal | P::OpenTickets => !self.is_vendor(),
            P::ManageUsers | P::CloseAccount => self == R::Owner,
            P::Billing => matches!(self, R::Owner | R::Billing),
            P::StaffHome => self.is_vendor(),
            P::HandleTickets => matches!(self, R::VendorAdmin | R::VendorSupport),
            P::SalesPipeline | P::Campaigns => matches!(self, R::VendorAdmin | R::VendorSales),
            P::PrivacyRequests => self == R::VendorAdmin,
        }
    }
}

/// A person who signs in.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub account_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash and the second-factor secret never reach a log.
        f.debug_struct("User")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// SHA-256 of a random token, as stored: a leaked table holds no usable
/// token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub(crate) fn new_id(now: Timestamp) -> String {
    kerato_core::ids::uuid_v7(now, rand::random()).to_string()
}

/// What a practice types to sign up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignupInput {
    pub practice_name: String,
    pub specialty: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub confirm: String,
}

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

pub(crate) const DAY_MICROS: i64 = 86_400_000_000;

pub(crate) fn cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-kerato_site_session"
    } else {
        "kerato_site_session"
    }
}

pub(crate) const WRONG: &str = "the e-mail address or the password is wrong";

/// Where a person lands after signing in.
pub(crate) fn landing(user: &User) -> &'static str {
    if user.role.is_vendor() {
        "/staff"
    } else {
        "/portal"
    }
}

/// What the sign-in form sends: the address as typed (compared
/// lower-cased) and the password, of which at most 1,024 characters are
/// checked so a huge one cannot hold a hashing thread.
#[derive(Debug)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct CredentialsRaw {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

impl ParseInput for Credentials {
    type Raw = CredentialsRaw;

    /// Never refuses: a wrong address or password is answered by the sign-in
    /// use case in the same words as a wrong pair, so the form cannot tell
    /// which accounts exist.
    fn parse(raw: CredentialsRaw) -> Result<Self, ValidationErrors> {
        Ok(Self {
            email: raw.email.trim().to_lowercase(),
            password: raw.password.chars().take(1024).collect(),
        })
    }
}

/// The code of the second step, spaces removed (apps show it in groups).
#[derive(Debug)]
pub struct SecondFactorCode(pub String);

#[derive(Debug, serde::Deserialize)]
pub struct SecondFactorRaw {
    #[serde(default)]
    code: String,
}

impl ParseInput for SecondFactorCode {
    type Raw = SecondFactorRaw;

    /// Never refuses: a malformed code is a wrong code, counted as such.
    fn parse(raw: SecondFactorRaw) -> Result<Self, ValidationErrors> {
        Ok(Self(raw.code.trim().replace(' ', "")))
    }
}

/// How a sign-in step ended: refused with the sentence to show, or a
/// session started (its token) and where to go next.
#[derive(Debug)]
pub enum SignIn {
    Refused(String),
    Started { token: String, to: &'static str },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn credentials_compare_the_address_lower_cased_and_codes_without_spaces() {
        let c = Credentials::parse(CredentialsRaw {
            email: "  Ann@Clinic.Example ".into(),
            password: "secret".into(),
        })
        .expect("credentials always parse");
        assert_eq!(
            (c.email.as_str(), c.password.as_str()),
            ("ann@clinic.example", "secret")
        );
        let code = SecondFactorCode::parse(SecondFactorRaw {
            code: " 123 456 ".into(),
        })
        .expect("codes always parse");
        assert_eq!(code.0, "123456");
    }

    proptest! {
        #[test]
        fn credentials_never_refuse_and_keep_at_most_1024_characters(
            email in "\\PC{0,80}",
            password in "\\PC{0,1500}",
        ) {
            let c = Credentials::parse(CredentialsRaw { email, password: password.clone() });
            let c = c.expect("credentials always parse");
            prop_assert!(c.password.chars().count() <= 1024);
            prop_assert!(password.starts_with(&c.password));
            prop_assert_eq!(c.email.trim(), c.email.as_str());
        }
    }

    #[test]
    fn vendor_and_customer_permissions_do_not_mix() {
        for role in Role::ALL {
            assert_ne!(
                role.permits(Permission::UsePortal),
                role.permits(Permission::StaffHome),
                "{role}"
            );
        }
        assert!(Role::Owner.permits(Permission::CloseAccount));
        assert!(!Role::Physician.permits(Permission::CloseAccount));
        assert!(Role::Billing.permits(Permission::Billing));
        assert!(!Role::Staff.permits(Permission::Billing));
        assert!(Role::VendorSales.permits(Permission::SalesPipeline));
        assert!(!Role::VendorSupport.permits(Permission::SalesPipeline));
        assert!(
            Role::INVITABLE
                .iter()
                .all(|r| !r.is_vendor() && *r != Role::Owner)
        );
    }

    #[test]
    fn tokens_are_stored_only_as_hashes() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_ne!(token_hash(&t), t);
        assert_eq!(token_hash(&t), token_hash(&t));
    }
}
