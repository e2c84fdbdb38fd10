//! Customer accounts and the people who sign in: a practice signs up, its
//! owner invites users with roles, and the owner can close the account,
//! which starts the "kept 1 year after closure" clock of the privacy
//! statement. Vendor staff sign in to the same site with vendor roles.
//!
//! Signing in follows the clinic's standards (`kerato_core::session`,
//! `kerato_core::password`): argon2id hashes, five failures lock for 15
//! minutes, TOTP second factor (always for vendor staff), server-side
//! sessions with idle and absolute limits.

use kerato_core::ValidationErrors;
use kerato_core::time::Timestamp;
use kerato_core::totp::TotpSecret;
use kerato_db::{StoreError, Tx, execute, on_tx};
use sha2::{Digest, Sha256};

use crate::Site;
use crate::audit::{self, Event};
use crate::demo_requests::Specialty;
use crate::outbox::{self, Outgoing};
use crate::web::{self, SiteError};

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

type UserRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
);

const USER_COLUMNS: &str = "id, account_id, email, name, role, status, password_hash, totp_secret, totp_last_step, failed_logins, locked_until";

fn user(r: UserRow) -> Result<User, StoreError> {
    Ok(User {
        id: r.0,
        account_id: r.1,
        email: r.2,
        name: r.3,
        role: r.4.parse().map_err(kerato_db::corrupt)?,
        status: r.5,
        password_hash: r.6,
        totp_secret: r.7,
        totp_last_step: r.8,
        failed_logins: r.9,
        locked_until: r.10.map(Timestamp::from_micros),
    })
}

pub async fn user_by_email(tx: &mut Tx, email: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM site_users WHERE email = $1");
    kerato_db::fetch_one_by!(tx, sql, email, UserRow, user)
}

pub async fn user_by_id(tx: &mut Tx, id: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM site_users WHERE id = $1");
    kerato_db::fetch_one_by!(tx, sql, id, UserRow, user)
}

pub async fn users_of(tx: &mut Tx, account_id: &str) -> Result<Vec<User>, StoreError> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM site_users WHERE account_id = $1 ORDER BY created_at");
    kerato_db::fetch_all_by!(tx, sql, account_id, UserRow, user)
}

/// Every vendor staff member (users without an account), by name.
pub async fn staff_users(tx: &mut Tx) -> Result<Vec<User>, StoreError> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM site_users WHERE account_id IS NULL ORDER BY name");
    let rows: Vec<UserRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(user).collect()
}

/// The addresses of every active customer user, for service notices such
/// as a policy change.
pub async fn active_customer_emails(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT email FROM site_users WHERE account_id IS NOT NULL AND status = 'active' ORDER BY email"
    )
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub practice_name: String,
    pub specialty: Specialty,
    pub created_at: Timestamp,
    pub status: String,
    pub closed_at: Option<Timestamp>,
}

type AccountRow = (String, String, String, i64, String, Option<i64>);

fn account(r: AccountRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: r.0,
        practice_name: r.1,
        specialty: r.2.parse().map_err(kerato_db::corrupt)?,
        created_at: Timestamp::from_micros(r.3),
        status: r.4,
        closed_at: r.5.map(Timestamp::from_micros),
    })
}

pub async fn account_by_id(tx: &mut Tx, id: &str) -> Result<Option<Account>, StoreError> {
    kerato_db::fetch_one_by!(
        tx,
        "SELECT id, practice_name, specialty, created_at, status, closed_at FROM accounts WHERE id = $1"
            .to_string(),
        id,
        AccountRow,
        account
    )
}

/// Every account, newest first, for vendor staff.
pub async fn all_accounts(tx: &mut Tx) -> Result<Vec<Account>, StoreError> {
    let rows: Vec<AccountRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, practice_name, specialty, created_at, status, closed_at FROM accounts ORDER BY created_at DESC"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(account).collect()
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

fn new_id(now: Timestamp) -> String {
    kerato_core::ids::uuid_v7(now, rand::random()).to_string()
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds.
pub(crate) async fn hash_password(password: String) -> Result<String, SiteError> {
    tokio::task::spawn_blocking(move || kerato_core::password::hash(&password))
        .await
        .map_err(|_| SiteError::Internal("the password hasher stopped".into()))?
        .map_err(|_| SiteError::Internal("the password could not be hashed".into()))
}

pub(crate) fn check_password(
    errors: &mut ValidationErrors,
    password: &str,
    confirm: &str,
    personal: &[&str],
) {
    kerato_core::password::check_new_password_twice(
        errors,
        ["password", "confirm"],
        password,
        Some(confirm),
        personal,
    );
}

/// A user row to insert.
struct NewUser<'a> {
    account_id: Option<&'a str>,
    email: &'a str,
    name: &'a str,
    role: Role,
    status: &'a str,
    password_hash: Option<&'a str>,
}

async fn insert_user(tx: &mut Tx, now: Timestamp, u: NewUser<'_>) -> Result<String, SiteError> {
    let NewUser {
        account_id,
        email,
        name,
        role,
        status,
        password_hash,
    } = u;
    let id = new_id(now);
    let inserted = execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_users (id, account_id, email, name, role, status, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email) DO NOTHING"
        )
        .bind(&id)
        .bind(account_id)
        .bind(email)
        .bind(name)
        .bind(role.as_str())
        .bind(status)
        .bind(password_hash)
        .bind(now.as_micros())
    )?;
    if inserted == 0 {
        return Err(SiteError::Validation(ValidationErrors::single(
            "email",
            "this e-mail address already has a user; sign in, or use another address",
        )));
    }
    Ok(id)
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

/// Creates the account and its owner, who is signed in; returns the
/// owner's user ID.
pub async fn sign_up(site: &Site, input: &SignupInput) -> Result<String, SiteError> {
    let mut e = ValidationErrors::new();
    let practice = web::text(
        &mut e,
        "practice_name",
        "the practice's name",
        &input.practice_name,
        true,
        150,
    );
    let specialty = input.specialty.parse::<Specialty>().map_err(|_| ()).ok();
    if specialty.is_none() {
        e.add("specialty", "choose the kind of practice");
    }
    let name = web::text(&mut e, "name", "your name", &input.name, true, 100);
    let email = web::email(&mut e, "email", &input.email);
    check_password(
        &mut e,
        &input.password,
        &input.confirm,
        &[&email, &name, &practice],
    );
    let Some(specialty) = specialty.filter(|_| e.is_empty()) else {
        return Err(SiteError::Validation(e));
    };
    let hash = hash_password(input.password.clone()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let account_id = new_id(now);
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO accounts (id, practice_name, specialty, created_at, status, last_activity_at) \
             VALUES ($1, $2, $3, $4, 'active', $4)"
        )
        .bind(&account_id)
        .bind(&practice)
        .bind(specialty.as_str())
        .bind(now.as_micros())
    )?;
    let user_id = insert_user(
        &mut tx,
        now,
        NewUser {
            account_id: Some(&account_id),
            email: &email,
            name: &name,
            role: Role::Owner,
            status: "active",
            password_hash: Some(&hash),
        },
    )
    .await?;
    let subject = format!("account:{account_id}");
    let actor = format!("user:{user_id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: "account.created",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}

/// Creates a vendor staff member with a second factor (staff always use
/// one); for `kerato site` set-up and the demo.
pub async fn create_staff(
    site: &Site,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
    totp: &TotpSecret,
) -> Result<String, SiteError> {
    if !role.is_vendor() {
        return Err(SiteError::BadRequest(format!(
            "{role} is not a vendor role"
        )));
    }
    let mut e = ValidationErrors::new();
    let email = web::email(&mut e, "email", email);
    check_password(&mut e, password, password, &[&email]);
    if !e.is_empty() {
        return Err(SiteError::Validation(e));
    }
    let hash = hash_password(password.to_string()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let id = insert_user(
        &mut tx,
        now,
        NewUser {
            account_id: None,
            email: &email,
            name,
            role,
            status: "active",
            password_hash: Some(&hash),
        },
    )
    .await?;
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_users SET totp_secret = $1 WHERE id = $2")
            .bind(totp.to_base32())
            .bind(&id)
    )?;
    let subject = format!("user:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("system:setup"),
            action: "staff.created",
            subject: Some(&subject),
            detail: Some(role.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;
const DAY_MICROS: i64 = 86_400_000_000;

/// Invites a user to the owner's account and e-mails the link.
pub async fn invite(
    site: &Site,
    owner: &User,
    email: &str,
    name: &str,
    role: &str,
) -> Result<(), SiteError> {
    let Some(account_id) = owner.account_id.as_deref() else {
        return Err(SiteError::Forbidden(
            "only a practice can invite users".into(),
        ));
    };
    let mut e = ValidationErrors::new();
    let email = web::email(&mut e, "email", email);
    let name = web::text(&mut e, "name", "their name", name, true, 100);
    let role = match role.parse::<Role>() {
        Ok(r) if Role::INVITABLE.contains(&r) => Some(r),
        _ => {
            e.add(
                "role",
                "choose physician, practice staff or billing contact",
            );
            None
        }
    };
    let Some(role) = role.filter(|_| e.is_empty()) else {
        return Err(SiteError::Validation(e));
    };
    let now = site.now();
    let token = new_token();
    let mut tx = site.store.write().await?;
    let id = insert_user(
        &mut tx,
        now,
        NewUser {
            account_id: Some(account_id),
            email: &email,
            name: &name,
            role,
            status: "invited",
            password_hash: None,
        },
    )
    .await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO site_invitations (token_hash, user_id, expires_at) VALUES ($1, $2, $3)"
        )
        .bind(token_hash(&token))
        .bind(&id)
        .bind(now.plus_micros(INVITATION_DAYS * DAY_MICROS).as_micros())
    )?;
    let body = format!(
        "Hello {name},\n\n{owner} has invited you to the Kerato customer portal as {role}.\n\
         Choose your password here (the link works for {INVITATION_DAYS} days):\n{url}/invitations/{token}\n\n{vendor}\n",
        owner = owner.name,
        role = role.label().to_lowercase(),
        url = site.config.public_url,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "invitation",
            recipient: &email,
            subject: "You are invited to the Kerato customer portal",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let subject = format!("user:{id}");
    let actor = format!("user:{}", owner.id);
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: "user.invited",
            subject: Some(&subject),
            detail: Some(role.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The invited user behind a valid, unused invitation token.
pub async fn invitation(
    tx: &mut Tx,
    token: &str,
    now: Timestamp,
) -> Result<Option<User>, SiteError> {
    let row: Option<(String, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM site_invitations WHERE token_hash = $1"
    )
    .bind(token_hash(token))
    .fetch_optional(&mut **c)
    .await)?;
    match row {
        Some((user_id, expires_at, None)) if now.as_micros() < expires_at => {
            Ok(user_by_id(tx, &user_id).await?)
        }
        _ => Ok(None),
    }
}

/// Accepts an invitation: sets the password and activates the user.
pub async fn accept_invitation(
    site: &Site,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<String, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let user = invitation(&mut tx, token, now).await?.ok_or_else(|| {
        SiteError::Forbidden("this invitation link has expired or was already used; ask your practice owner for a new one".into())
    })?;
    let mut e = ValidationErrors::new();
    check_password(&mut e, password, confirm, &[&user.email, &user.name]);
    if !e.is_empty() {
        return Err(SiteError::Validation(e));
    }
    let hash = hash_password(password.to_string()).await?;
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_users SET password_hash = $1, status = 'active' WHERE id = $2")
            .bind(&hash)
            .bind(&user.id)
    )?;
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_invitations SET used_at = $1 WHERE token_hash = $2")
            .bind(now.as_micros())
            .bind(token_hash(token))
    )?;
    let subject = format!("user:{}", user.id);
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&subject),
            action: "user.activated",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user.id)
}

/// Closes the owner's account: every user is disabled and signed out, and
/// the closure date starts the account data's retention clock.
pub async fn close_account(site: &Site, owner: &User, confirm_name: &str) -> Result<(), SiteError> {
    let Some(account_id) = owner.account_id.as_deref() else {
        return Err(SiteError::Forbidden(
            "only a practice account can be closed".into(),
        ));
    };
    let now = site.now();
    let mut tx = site.store.write().await?;
    let account = account_by_id(&mut tx, account_id)
        .await?
        .ok_or(SiteError::NotFound)?;
    if confirm_name.trim() != account.practice_name {
        return Err(SiteError::Validation(ValidationErrors::single(
            "confirm",
            format!(
                "type the practice's name exactly as shown ({}) to confirm",
                account.practice_name
            ),
        )));
    }
    if account.status == "closed" {
        return Err(SiteError::Conflict("this account is already closed".into()));
    }
    execute!(&mut tx, sqlx::query("UPDATE accounts SET status = 'closed', closed_at = $1, last_activity_at = $1 WHERE id = $2").bind(now.as_micros()).bind(account_id))?;
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_users SET status = 'disabled' WHERE account_id = $1")
            .bind(account_id)
    )?;
    execute!(&mut tx, sqlx::query("DELETE FROM site_sessions WHERE user_id IN (SELECT id FROM site_users WHERE account_id = $1)").bind(account_id))?;
    let subject = format!("account:{account_id}");
    let actor = format!("user:{}", owner.id);
    crate::billing::cancel(&mut tx, account_id, &actor, now).await?;
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: "account.closed",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
