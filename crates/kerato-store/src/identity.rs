//! Staff accounts, sessions, invitations, break-glass grants, the inbox and
//! the e-mail outbox; password reset links in [`recovery`].

pub mod recovery;

use std::collections::BTreeSet;

use kerato_domain::identity::{Credentials, EmergencyGrant, GrantEntry, LocationScope, User};
use kerato_domain::ids::{LocationId, OrganisationId, UserId};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

macro_rules! user_columns {
    () => {
        "id, organisation_id, email, display_name, role, all_locations, active, mfa_secret, \
         version, created_at, updated_at, password_hash, mfa_last_step, failed_logins, locked_until, \
         must_change_password"
    };
    (u) => {
        "u.id, u.organisation_id, u.email, u.display_name, u.role, u.all_locations, u.active, \
         u.mfa_secret, u.version, u.created_at, u.updated_at, u.password_hash, u.mfa_last_step, \
         u.failed_logins, u.locked_until, u.must_change_password"
    };
}

type UserRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
    i64,
);

async fn user_locations(tx: &mut Tx, user: &str) -> Result<BTreeSet<LocationId>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT location_id FROM user_locations WHERE user_id = $1"
    )
    .bind(user)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(l,)| l.parse().map_err(corrupt))
        .collect()
}

async fn user_from_row(tx: &mut Tx, row: UserRow) -> Result<(User, Credentials), StoreError> {
    let (
        id,
        org,
        email,
        name,
        role,
        all,
        active,
        secret,
        version,
        created,
        updated,
        hash,
        step,
        failed,
        locked,
        must_change,
    ) = row;
    let locations = if all != 0 {
        LocationScope::All
    } else {
        LocationScope::Only(user_locations(tx, &id).await?)
    };
    let user = User {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        email,
        display_name: name,
        role: role.parse().map_err(corrupt)?,
        locations,
        active: active != 0,
        mfa_enrolled: secret.is_some(),
        version,
        created_at: Timestamp::from_micros(created),
        updated_at: Timestamp::from_micros(updated),
    };
    let credentials = Credentials {
        password_hash: hash,
        mfa_secret: secret,
        mfa_last_step: step,
        failed_logins: failed,
        locked_until: locked.map(Timestamp::from_micros),
        must_change_password: must_change != 0,
    };
    Ok((user, credentials))
}

mod sessions;
pub use sessions::*;

async fn write_locations(tx: &mut Tx, user: &User) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM user_locations WHERE user_id = $1").bind(user.id.to_string())
    )?;
    if let LocationScope::Only(set) = &user.locations {
        for loc in set {
            execute!(
                tx,
                sqlx::query("INSERT INTO user_locations (user_id, location_id) VALUES ($1, $2)")
                    .bind(user.id.to_string())
                    .bind(loc.to_string())
            )?;
        }
    }
    Ok(())
}

fn email_conflict(err: sqlx::Error, email: &str) -> StoreError {
    if StoreError::is_unique_violation(&err) {
        StoreError::Conflict(format!(
            "a user with the e-mail address {email} already exists"
        ))
    } else {
        StoreError::Database(err)
    }
}

pub async fn insert_user(tx: &mut Tx, user: &User, creds: &Credentials) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO users (",
        user_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    );
    execute!(
        tx,
        sqlx::query(sql)
            .bind(user.id.to_string())
            .bind(user.organisation_id.to_string())
            .bind(&user.email)
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(i64::from(user.locations == LocationScope::All))
            .bind(i64::from(user.active))
            .bind(creds.mfa_secret.as_deref())
            .bind(user.version)
            .bind(user.created_at.as_micros())
            .bind(user.updated_at.as_micros())
            .bind(creds.password_hash.as_deref())
            .bind(creds.mfa_last_step)
            .bind(creds.failed_logins)
            .bind(creds.locked_until.map(Timestamp::as_micros))
            .bind(i64::from(creds.must_change_password))
    )
    .map_err(|e| email_conflict(e, &user.email))?;
    write_locations(tx, user).await
}

pub async fn get_user(tx: &mut Tx, id: UserId) -> Result<Option<(User, Credentials)>, StoreError> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    let row: Option<UserRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **c)
        .await)?;
    match row {
        Some(r) => Ok(Some(user_from_row(tx, r).await?)),
        None => Ok(None),
    }
}

pub async fn find_user_by_email(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<(User, Credentials)>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE lower(email) = lower($1)"
    );
    let row: Option<UserRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(email)
        .fetch_optional(&mut **c)
        .await)?;
    match row {
        Some(r) => Ok(Some(user_from_row(tx, r).await?)),
        None => Ok(None),
    }
}

pub async fn list_users(tx: &mut Tx, org: OrganisationId) -> Result<Vec<User>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE organisation_id = $1 ORDER BY lower(display_name), id"
    );
    let rows: Vec<UserRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(org.to_string())
        .fetch_all(&mut **c)
        .await)?;
    let mut users = Vec::with_capacity(rows.len());
    for r in rows {
        users.push(user_from_row(tx, r).await?.0);
    }
    Ok(users)
}

/// Writes the account fields (not the secrets) if the row is still at
/// `user.version - 1`; returns false when someone else changed it first.
pub async fn update_user(tx: &mut Tx, user: &User) -> Result<bool, StoreError> {
    let n = execute!(
        tx,
        sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, all_locations = $3, active = $4, \
         version = $5, updated_at = $6 WHERE id = $7 AND version = $8"
        )
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(i64::from(user.locations == LocationScope::All))
        .bind(i64::from(user.active))
        .bind(user.version)
        .bind(user.updated_at.as_micros())
        .bind(user.id.to_string())
        .bind(user.version - 1)
    )?;
    if n == 1 {
        write_locations(tx, user).await?;
    }
    Ok(n == 1)
}

/// Sets a password the user chose: the lockout and any demand to change
/// the password are cleared with it.
pub async fn set_password(
    tx: &mut Tx,
    user: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, \
         must_change_password = 0, updated_at = $2 WHERE id = $3"
        )
        .bind(hash)
        .bind(now.as_micros())
        .bind(user.to_string())
    )?;
    Ok(())
}

/// Demands that the user choose a new password at their next sign-in
/// (their current one was chosen by someone else).
pub async fn require_password_change(tx: &mut Tx, user: UserId) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
            .bind(user.to_string())
    )?;
    Ok(())
}

/// Sets (or with `None`, clears) the TOTP secret; recovery codes go with it.
pub async fn set_mfa_secret(
    tx: &mut Tx,
    user: UserId,
    secret: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE users SET mfa_secret = $1, mfa_last_step = NULL, updated_at = $2 WHERE id = $3"
        )
        .bind(secret)
        .bind(now.as_micros())
        .bind(user.to_string())
    )?;
    execute!(
        tx,
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.to_string())
    )?;
    Ok(())
}

/// Records the TOTP step just used, only if it is later than the last one:
/// returns false for a replayed (or older) code.
pub async fn advance_mfa_step(tx: &mut Tx, user: UserId, step: i64) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE users SET mfa_last_step = $1 WHERE id = $2 AND (mfa_last_step IS NULL OR mfa_last_step < $1)"
    )
    .bind(step)
    .bind(user.to_string()))?;
    Ok(n == 1)
}

pub async fn record_login_failure(
    tx: &mut Tx,
    user: UserId,
    failures: i64,
    locked_until: Option<Timestamp>,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(failures)
            .bind(locked_until.map(Timestamp::as_micros))
            .bind(user.to_string())
    )?;
    Ok(())
}

pub async fn clear_login_failures(tx: &mut Tx, user: UserId) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user.to_string())
    )?;
    Ok(())
}

pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user: UserId,
    hashes: &[String],
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.to_string())
    )?;
    for h in hashes {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)"
            )
            .bind(user.to_string())
            .bind(h)
        )?;
    }
    Ok(())
}

/// Marks an unused recovery code used; false if it does not exist or was used.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
    )
    .bind(now.as_micros())
    .bind(user.to_string())
    .bind(hash))?;
    Ok(n == 1)
}

pub async fn unused_recovery_codes(tx: &mut Tx, user: UserId) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
    )
    .bind(user.to_string())
    .fetch_one(&mut **c)
    .await)?;
    Ok(n)
}

pub async fn insert_invitation(
    tx: &mut Tx,
    token_hash: &str,
    user: UserId,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO invitations (token_hash, user_id, expires_at, used_at) VALUES ($1, $2, $3, NULL)"
    )
    .bind(token_hash)
    .bind(user.to_string())
    .bind(expires_at.as_micros()))?;
    Ok(())
}

/// Uses an invitation if it exists, is unused and unexpired; returns its user.
pub async fn take_invitation(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<UserId>, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id FROM invitations WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    )
    .bind(token_hash)
    .bind(now.as_micros())
    .fetch_optional(&mut **c)
    .await)?;
    let Some((user,)) = row else { return Ok(None) };
    execute!(
        tx,
        sqlx::query("UPDATE invitations SET used_at = $1 WHERE token_hash = $2")
            .bind(now.as_micros())
            .bind(token_hash)
    )?;
    Ok(Some(user.parse().map_err(corrupt)?))
}

pub async fn insert_grant(
    tx: &mut Tx,
    org: OrganisationId,
    g: &GrantEntry,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO emergency_grants (id, organisation_id, user_id, location_id, reason, started_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(g.id.to_string())
    .bind(org.to_string())
    .bind(g.user_id.to_string())
    .bind(g.location_id.to_string())
    .bind(&g.reason)
    .bind(g.started_at.as_micros())
    .bind(g.expires_at.as_micros()))?;
    Ok(())
}

pub async fn active_grants(
    tx: &mut Tx,
    user: UserId,
    now: Timestamp,
) -> Result<Vec<EmergencyGrant>, StoreError> {
    let rows: Vec<(String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT location_id, expires_at FROM emergency_grants WHERE user_id = $1 AND expires_at > $2"
    )
    .bind(user.to_string())
    .bind(now.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(l, e)| {
            Ok(EmergencyGrant {
                location: l.parse().map_err(corrupt)?,
                expires_at: Timestamp::from_micros(e),
            })
        })
        .collect()
}

pub async fn list_grants(tx: &mut Tx, org: OrganisationId) -> Result<Vec<GrantEntry>, StoreError> {
    let rows: Vec<(String, String, String, String, i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, user_id, location_id, reason, started_at, expires_at FROM emergency_grants \
         WHERE organisation_id = $1 ORDER BY started_at DESC"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(id, u, l, reason, s, e)| {
            Ok(GrantEntry {
                id: id.parse().map_err(corrupt)?,
                user_id: u.parse().map_err(corrupt)?,
                location_id: l.parse().map_err(corrupt)?,
                reason,
                started_at: Timestamp::from_micros(s),
                expires_at: Timestamp::from_micros(e),
            })
        })
        .collect()
}

pub async fn insert_inbox_message(
    tx: &mut Tx,
    id: &str,
    user: UserId,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO inbox_messages (id, user_id, subject, body, created_at, read_at) VALUES ($1, $2, $3, $4, $5, NULL)"
    )
    .bind(id)
    .bind(user.to_string())
    .bind(subject)
    .bind(body)
    .bind(now.as_micros()))?;
    Ok(())
}

/// (subject, body, created_at) of a user's messages, newest first.
pub async fn inbox(
    tx: &mut Tx,
    user: UserId,
) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
    let rows: Vec<(String, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT subject, body, created_at FROM inbox_messages WHERE user_id = $1 ORDER BY created_at DESC, id"
    )
    .bind(user.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(s, b, t)| (s, b, Timestamp::from_micros(t)))
        .collect())
}

pub async fn organisation_security(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<(bool, i64), StoreError> {
    let (mfa, idle): (i64, i64) = on_tx!(tx, c => sqlx::query_as(
        "SELECT mfa_required_for_all, session_idle_minutes FROM organisations WHERE id = $1"
    )
    .bind(org.to_string())
    .fetch_one(&mut **c)
    .await)?;
    Ok((mfa != 0, idle))
}

pub async fn set_organisation_security(
    tx: &mut Tx,
    org: OrganisationId,
    mfa_required_for_all: bool,
    idle_minutes: i64,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "UPDATE organisations SET mfa_required_for_all = $1, session_idle_minutes = $2 WHERE id = $3"
    )
    .bind(i64::from(mfa_required_for_all))
    .bind(idle_minutes)
    .bind(org.to_string()))?;
    Ok(())
}

/// Active users of an organisation with the given role (to notify them).
pub async fn users_with_role(
    tx: &mut Tx,
    org: OrganisationId,
    role: &str,
) -> Result<Vec<(UserId, String)>, StoreError> {
    let rows: Vec<(String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, email FROM users WHERE organisation_id = $1 AND role = $2 AND active = 1 ORDER BY id"
    )
    .bind(org.to_string())
    .bind(role)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(id, email)| Ok((id.parse().map_err(corrupt)?, email)))
        .collect()
}
