//! The SQL of accounts, users and sessions.

use kerato_core::password::reset;
use kerato_core::time::Timestamp;
use kerato_core::{ValidationErrors, session};
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::accounts::rules::{User, new_token, token_hash, *};
use crate::demo_requests::rules::Specialty;
use crate::web::SiteError;

pub(crate) type UserRow = (
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

pub(crate) const USER_COLUMNS: &str = "id, account_id, email, name, role, status, password_hash, totp_secret, totp_last_step, failed_logins, locked_until";

pub(crate) fn user(r: UserRow) -> Result<User, StoreError> {
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

pub(crate) type AccountRow = (String, String, String, i64, String, Option<i64>);

pub(crate) fn account(r: AccountRow) -> Result<Account, StoreError> {
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

/// A user row to insert.
pub(crate) struct NewUser<'a> {
    pub(crate) account_id: Option<&'a str>,
    pub(crate) email: &'a str,
    pub(crate) name: &'a str,
    pub(crate) role: Role,
    pub(crate) status: &'a str,
    pub(crate) password_hash: Option<&'a str>,
}

pub(crate) async fn insert_user(
    tx: &mut Tx,
    now: Timestamp,
    u: NewUser<'_>,
) -> Result<String, SiteError> {
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

pub(crate) async fn create_session(
    tx: &mut Tx,
    user_id: &str,
    mfa_pending: bool,
    now: Timestamp,
) -> Result<String, SiteError> {
    let token = new_token();
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_sessions (token_hash, user_id, created_at, last_seen_at, mfa_pending) VALUES ($1, $2, $3, $3, $4)"
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(now.as_micros())
        .bind(i64::from(mfa_pending))
    )?;
    Ok(token)
}

/// The session a request carries, if it is valid.
pub(crate) struct Session {
    pub(crate) token_hash: String,
    pub(crate) user: User,
    pub(crate) mfa_pending: bool,
}

/// Counts a failed password or code towards the lockout; returns the end
/// of the lock if this failure started one.
pub(crate) async fn count_failure(
    tx: &mut Tx,
    user: &User,
    now: Timestamp,
) -> Result<Option<Timestamp>, SiteError> {
    let (failures, lock) = session::after_failed_login(user.failed_logins, now);
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(failures)
            .bind(lock.map(|l| l.as_micros()))
            .bind(&user.id)
    )?;
    Ok(lock)
}

/// A successful password: the count of failures starts again.
pub(crate) async fn clear_failures(tx: &mut Tx, user_id: &str) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
    )?;
    Ok(())
}

/// A second factor accepted: its time step cannot be used again.
pub(crate) async fn second_factor_passed(
    tx: &mut Tx,
    user_id: &str,
    step: i64,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET totp_last_step = $1, failed_logins = 0 WHERE id = $2")
            .bind(step)
            .bind(user_id)
    )?;
    Ok(())
}

/// A stored session: its user, when it began and was last seen, and
/// whether it still waits for the second factor.
pub(crate) async fn session_row(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<(String, i64, i64, i64)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, created_at, last_seen_at, mfa_pending FROM site_sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?)
}

pub(crate) async fn touch_session(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now.as_micros())
            .bind(token_hash)
    )?;
    Ok(())
}

pub(crate) async fn delete_session(tx: &mut Tx, token_hash: &str) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM site_sessions WHERE token_hash = $1").bind(token_hash)
    )?;
    Ok(())
}

/// Turns the second factor on with its secret and the step of the code
/// that proved it, so that code cannot sign in again.
pub(crate) async fn set_second_factor(
    tx: &mut Tx,
    user_id: &str,
    secret: &str,
    step: i64,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3")
            .bind(secret)
            .bind(step)
            .bind(user_id)
    )?;
    Ok(())
}

/// Ends every open link of a user (a newer link or a new password
/// replaces them).
pub(crate) async fn spend_links(
    tx: &mut Tx,
    user_id: &str,
    now: Timestamp,
) -> Result<(), SiteError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE site_password_resets SET used_at = $1 \
             WHERE user_id = $2 AND token_hash IS NOT NULL AND used_at IS NULL"
        )
        .bind(now.as_micros())
        .bind(user_id)
    )?;
    Ok(())
}

/// Records a request (with its link, if one is sent).
pub(crate) async fn insert_request(
    tx: &mut Tx,
    now: Timestamp,
    keys: (&str, &str),
    user_id: Option<&str>,
    token: Option<&str>,
) -> Result<(), SiteError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_password_resets (id, requested_at, address_key, client_key, user_id, token_hash, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(kerato_core::ids::uuid_v7(now, rand::random()).to_string())
        .bind(now.as_micros())
        .bind(keys.0)
        .bind(keys.1)
        .bind(user_id)
        .bind(token.map(token_hash))
        .bind(token.map(|_| reset::expires_at(now).as_micros()))
    )?;
    Ok(())
}

/// The active user behind a link that still works.
pub(crate) async fn link_owner(
    tx: &mut Tx,
    token: &str,
    now: Timestamp,
) -> Result<Option<User>, SiteError> {
    if !reset::token_shape_ok(token) {
        return Ok(None);
    }
    let row: Option<(String, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM site_password_resets \
         WHERE token_hash = $1 AND user_id IS NOT NULL AND expires_at IS NOT NULL"
    )
    .bind(token_hash(token))
    .fetch_optional(&mut **c)
    .await)?;
    let Some((user_id, expires, used)) = row else {
        return Ok(None);
    };
    if !reset::usable(
        Timestamp::from_micros(expires),
        used.map(Timestamp::from_micros),
        now,
    ) {
        return Ok(None);
    }
    Ok(crate::accounts::store::user_by_id(tx, &user_id)
        .await?
        .filter(|u| u.status == "active"))
}

/// Stores a password the person chose: the lockout is cleared, open links
/// are spent and every session ends; returns how many sessions ended.
pub(crate) async fn set_password(
    tx: &mut Tx,
    user: &User,
    hash: &str,
    now: Timestamp,
) -> Result<u64, SiteError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE site_users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2"
        )
        .bind(hash)
        .bind(&user.id)
    )?;
    spend_links(tx, &user.id, now).await?;
    Ok(execute!(
        tx,
        sqlx::query("DELETE FROM site_sessions WHERE user_id = $1").bind(&user.id)
    )?)
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

/// Spends an unused, unexpired reset link; returns its user.
pub(crate) async fn spend_link(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(String,)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "UPDATE site_password_resets SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id"
    )
    .bind(now.as_micros())
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?)
}

/// Forgets reset requests past their keep time, then counts the recent
/// ones from an address and from a client, for the rate limit.
pub(crate) async fn recent_resets(
    tx: &mut Tx,
    address_key: &str,
    client_key: &str,
    now: Timestamp,
) -> Result<(i64, i64), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM site_password_resets WHERE requested_at < $1")
            .bind(now.plus_micros(-reset::KEEP_MICROS).as_micros())
    )?;
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM site_password_resets WHERE address_key = $1 AND requested_at > $3), \
           (SELECT count(*) FROM site_password_resets WHERE client_key = $2 AND requested_at > $3)"
    )
    .bind(address_key)
    .bind(client_key)
    .bind(now.plus_micros(-reset::WINDOW_MICROS).as_micros())
    .fetch_one(&mut **c)
    .await)?)
}

pub(crate) async fn set_totp_secret(
    tx: &mut Tx,
    user_id: &str,
    secret: &str,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET totp_secret = $1 WHERE id = $2")
            .bind(secret)
            .bind(user_id)
    )?;
    Ok(())
}

pub(crate) async fn insert_account(
    tx: &mut Tx,
    id: &str,
    practice_name: &str,
    specialty: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO accounts (id, practice_name, specialty, created_at, status, last_activity_at) \
             VALUES ($1, $2, $3, $4, 'active', $4)"
        )
        .bind(id)
        .bind(practice_name)
        .bind(specialty)
        .bind(now.as_micros())
    )?;
    Ok(())
}

/// An invited user's password is set and their invitation spent.
pub(crate) async fn accept_invitation_row(
    tx: &mut Tx,
    user_id: &str,
    password_hash: &str,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET password_hash = $1, status = 'active' WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
    )?;
    execute!(
        tx,
        sqlx::query("UPDATE site_invitations SET used_at = $1 WHERE token_hash = $2")
            .bind(now.as_micros())
            .bind(token_hash)
    )?;
    Ok(())
}

pub(crate) async fn insert_invitation(
    tx: &mut Tx,
    token_hash: &str,
    user_id: &str,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_invitations (token_hash, user_id, expires_at) VALUES ($1, $2, $3)"
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at.as_micros())
    )?;
    Ok(())
}

/// An account closes: its users are disabled and their sessions end.
pub(crate) async fn close_account_rows(
    tx: &mut Tx,
    account_id: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query("UPDATE accounts SET status = 'closed', closed_at = $1, last_activity_at = $1 WHERE id = $2").bind(now.as_micros()).bind(account_id))?;
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET status = 'disabled' WHERE account_id = $1")
            .bind(account_id)
    )?;
    execute!(tx, sqlx::query("DELETE FROM site_sessions WHERE user_id IN (SELECT id FROM site_users WHERE account_id = $1)").bind(account_id))?;
    Ok(())
}
