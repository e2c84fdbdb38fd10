//! Signing in step by step: the password, the second factor or its
//! enrolment, and the session each step leaves.

use super::*;

impl App {
    pub(super) async fn session_policy(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
    ) -> Result<SessionPolicy, AppError> {
        let (_, idle) = store::organisation_security(tx, org).await?;
        Ok(SessionPolicy::new(idle).unwrap_or_default())
    }

    pub(super) async fn mfa_required(&self, tx: &mut Tx, user: &User) -> Result<bool, AppError> {
        let (all, _) = store::organisation_security(tx, user.organisation_id).await?;
        Ok(user.role.mfa_always_required() || all)
    }

    pub(super) async fn start_session(
        &self,
        tx: &mut Tx,
        user: UserId,
        stage: SessionStage,
        source_ip: Option<String>,
    ) -> Result<SessionToken, AppError> {
        let token = new_token();
        let now = self.now();
        store::insert_session(
            tx,
            &SessionRow {
                token_hash: hash_token(&token.0),
                user_id: user,
                stage,
                created_at: now,
                last_seen_at: now,
                source_ip,
                revoked_at: None,
            },
        )
        .await?;
        Ok(token)
    }

    pub(super) fn sign_in_event(
        &self,
        user: Option<&User>,
        action: AuditAction,
        outcome: Outcome,
        ip: Option<String>,
        detail: &str,
    ) -> kerato_domain::audit::NewAuditEvent {
        let mut e = self.audit_event(None, action, Resource::Session, outcome);
        e.organisation_id = user.map(|u| u.organisation_id.to_string());
        e.user_id = user.map(|u| u.id.to_string());
        e.resource = Resource::Session.as_str().into();
        e.category = "authentication".into();
        e.source_ip = ip;
        e.detail = Some(detail.into());
        e
    }

    pub(super) async fn fail_sign_in(
        &self,
        tx: &mut Tx,
        user: Option<(&User, &Credentials)>,
        ip: Option<String>,
        detail: &str,
    ) -> Result<(), AppError> {
        if let Some((u, c)) = user {
            let (failures, locked) = after_failed_login(c.failed_logins, self.now());
            store::record_login_failure(tx, u.id, failures, locked.or(c.locked_until)).await?;
            if locked.is_some() {
                store::revoke_user_sessions(tx, u.id, self.now()).await?;
            }
        }
        let event = self.sign_in_event(
            user.map(|(u, _)| u),
            AuditAction::LoginFailed,
            Outcome::Denied,
            ip,
            detail,
        );
        audit::append(tx, event).await?;
        Ok(())
    }

    /// Checks a password. Every failure answers [`SIGN_IN_FAILED`] after the
    /// same argon2 work, is audited, and counts towards the lockout.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        source_ip: Option<String>,
    ) -> Result<SignIn, AppError> {
        let started = std::time::Instant::now();
        let result = self.check_sign_in(email, password, source_ip).await;
        if matches!(result, Err(AppError::Unauthenticated(_))) {
            kerato_http::timing::pad_to(started, FAILED_SIGN_IN_FLOOR).await;
        }
        result
    }

    pub(super) async fn check_sign_in(
        &self,
        email: &str,
        password: &str,
        source_ip: Option<String>,
    ) -> Result<SignIn, AppError> {
        let now = self.now();
        let ip_key = source_ip.clone().unwrap_or_else(|| "unknown".into());
        if !self.limiter.allow(&ip_key, now) {
            let event = self.sign_in_event(
                None,
                AuditAction::LoginFailed,
                Outcome::Denied,
                source_ip,
                "rate limited",
            );
            self.audit_now(event).await?;
            return Err(AppError::TooManyRequests(
                "too many sign-in attempts from this address; wait 5 minutes and try again".into(),
            ));
        }
        let email_norm = email.trim().to_lowercase();
        let mut tx = self.store.write().await?;
        let found = if email_norm.len() <= 254 {
            store::find_user_by_email(&mut tx, &email_norm).await?
        } else {
            None
        };
        let hash = match found.as_ref().and_then(|(_, c)| c.password_hash.clone()) {
            Some(h) => h,
            None => dummy_hash().await,
        };
        let password_ok = verify_password(password.chars().take(1024).collect(), hash).await;
        let Some((user, creds)) = found else {
            self.fail_sign_in(&mut tx, None, source_ip, "unknown e-mail address")
                .await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated(SIGN_IN_FAILED.into()));
        };
        let locked = creds.locked_until.is_some_and(|t| t > now);
        if locked || !password_ok || !user.active || creds.password_hash.is_none() {
            let why = if locked {
                "account locked"
            } else if !user.active {
                "account deactivated"
            } else {
                "wrong password"
            };
            // A locked account's failures do not extend the lock.
            let counted = if locked { None } else { Some((&user, &creds)) };
            if counted.is_none() {
                let event = self.sign_in_event(
                    Some(&user),
                    AuditAction::LoginFailed,
                    Outcome::Denied,
                    source_ip,
                    why,
                );
                audit::append(&mut tx, event).await?;
            } else {
                self.fail_sign_in(&mut tx, counted, source_ip, why).await?;
            }
            tx.commit().await?;
            return Err(AppError::Unauthenticated(SIGN_IN_FAILED.into()));
        }
        store::clear_login_failures(&mut tx, user.id).await?;
        let outcome = if user.mfa_enrolled {
            SignIn::NeedsCode(
                self.start_session(&mut tx, user.id, SessionStage::Mfa, source_ip)
                    .await?,
            )
        } else if self.mfa_required(&mut tx, &user).await? {
            SignIn::NeedsEnrolment(
                self.start_session(&mut tx, user.id, SessionStage::Enrol, source_ip)
                    .await?,
            )
        } else if creds.must_change_password {
            SignIn::NeedsPasswordChange(
                self.start_session(&mut tx, user.id, SessionStage::Password, source_ip)
                    .await?,
            )
        } else {
            let token = self
                .start_session(&mut tx, user.id, SessionStage::Full, source_ip.clone())
                .await?;
            let event = self.sign_in_event(
                Some(&user),
                AuditAction::Login,
                Outcome::Allowed,
                source_ip,
                "password",
            );
            audit::append(&mut tx, event).await?;
            SignIn::Done(token)
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// The live session behind a token, at any stage, if it has not expired.
    pub(super) async fn live_session(
        &self,
        tx: &mut Tx,
        token: &str,
    ) -> Result<(SessionRow, User, Credentials), AppError> {
        let hash = hash_token(token);
        let store::SessionWithUser {
            session,
            user,
            credentials: creds,
            idle_minutes,
        } = store::session_with_user(tx, &hash)
            .await?
            .ok_or_else(unauthenticated)?;
        if session.revoked_at.is_some() || !user.active {
            return Err(unauthenticated());
        }
        let policy = SessionPolicy::new(idle_minutes).unwrap_or_default();
        let last_seen = self.seen.latest(&hash, session.last_seen_at);
        match session_state(policy, session.created_at, last_seen, self.now()) {
            SessionState::Active => Ok((session, user, creds)),
            SessionState::IdleExpired | SessionState::AbsoluteExpired => {
                // The session is refused either way; a reader leaves the
                // record of it to the next shared commit.
                let now = self.now();
                if tx.is_read_only() {
                    self.store.write_later(Box::new(move |w: &mut Tx| {
                        Box::pin(async move { store::revoke_session(w, &hash, now).await })
                    }));
                } else {
                    store::revoke_session(tx, &hash, now).await?;
                }
                Err(AppError::Unauthenticated(
                    "your session has expired; sign in again".into(),
                ))
            }
        }
    }

    /// The stage of a session part-way through sign-in, if it is alive.
    pub async fn sign_in_stage(&self, token: &str) -> Result<Option<SessionStage>, AppError> {
        let mut tx = self.store.write().await?;
        let stage = match self.live_session(&mut tx, token).await {
            Ok((s, _, _)) => Some(s.stage),
            Err(AppError::Unauthenticated(_)) => None,
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        Ok(stage)
    }

    /// Moves a session that passed MFA to a fresh, fully signed-in one: the
    /// token changes at sign-in, so one planted before it is worthless. A
    /// user who must choose a new password gets a session that may do only
    /// that; the sign-in is complete (and audited) once they have.
    pub(super) async fn promote(
        &self,
        tx: &mut Tx,
        session: &SessionRow,
        (user, creds): (&User, &Credentials),
        via: &str,
    ) -> Result<SessionToken, AppError> {
        store::revoke_session(tx, &session.token_hash, self.now()).await?;
        if creds.must_change_password {
            return self
                .start_session(
                    tx,
                    user.id,
                    SessionStage::Password,
                    session.source_ip.clone(),
                )
                .await;
        }
        let token = self
            .start_session(tx, user.id, SessionStage::Full, session.source_ip.clone())
            .await?;
        let event = self.sign_in_event(
            Some(user),
            AuditAction::Login,
            Outcome::Allowed,
            session.source_ip.clone(),
            via,
        );
        audit::append(tx, event).await?;
        Ok(token)
    }

    /// Checks a TOTP code (each used once) or a recovery code (each used
    /// once) for a session at the MFA stage. Wrong codes count towards the
    /// account lockout.
    pub async fn submit_code(&self, token: &str, code: &str) -> Result<SessionToken, AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, creds) = self.live_session(&mut tx, token).await?;
        if session.stage != SessionStage::Mfa {
            return Err(unauthenticated());
        }
        if creds.locked_until.is_some_and(|t| t > self.now()) {
            return Err(AppError::Unauthenticated(SIGN_IN_FAILED.into()));
        }
        let secret = creds
            .mfa_secret
            .as_deref()
            .map(TotpSecret::from_base32)
            .transpose()
            .map_err(AppError::NotReady)?
            .ok_or_else(unauthenticated)?;
        let accepted = match matching_step(&secret, code, self.clock.outside_now()) {
            Some(step) => store::advance_mfa_step(&mut tx, user.id, step)
                .await?
                .then_some("totp"),
            None => {
                let h = hash_token(&normalise_recovery(code));
                store::use_recovery_code(&mut tx, user.id, &h, self.now())
                    .await?
                    .then_some("recovery code")
            }
        };
        match accepted {
            Some(via) => {
                store::clear_login_failures(&mut tx, user.id).await?;
                let token = self
                    .promote(&mut tx, &session, (&user, &creds), via)
                    .await?;
                tx.commit().await?;
                Ok(token)
            }
            None => {
                self.fail_sign_in(
                    &mut tx,
                    Some((&user, &creds)),
                    session.source_ip.clone(),
                    "wrong, used or expired code",
                )
                .await?;
                tx.commit().await?;
                Err(AppError::Unauthenticated(
                    "that code is not right, or was already used; enter the current code from your app, or an unused recovery code".into(),
                ))
            }
        }
    }

    /// A new TOTP secret for a session that must enrol, or a signed-in user
    /// replacing theirs; kept on the session until a code confirms it.
    pub async fn start_enrolment(&self, token: &str) -> Result<Enrolment, AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, _) = self.live_session(&mut tx, token).await?;
        if !matches!(session.stage, SessionStage::Enrol | SessionStage::Full) {
            return Err(unauthenticated());
        }
        let secret = TotpSecret::from_bytes(rand::rng().random());
        store::set_pending_secret(&mut tx, &session.token_hash, Some(&secret.to_base32())).await?;
        tx.commit().await?;
        let uri = secret.otpauth_uri(ISSUER, &user.email);
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map(|q| {
                q.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(200, 200)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default();
        Ok(Enrolment {
            secret_base32: secret.to_base32(),
            otpauth_uri: uri,
            qr_svg,
        })
    }

    /// Confirms enrolment with a code from the new secret; returns the
    /// session token to use from now on and the one-time recovery codes.
    pub async fn confirm_enrolment(
        &self,
        token: &str,
        code: &str,
    ) -> Result<(SessionToken, Vec<String>), AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, creds) = self.live_session(&mut tx, token).await?;
        let pending = store::pending_secret(&mut tx, &session.token_hash)
            .await?
            .ok_or_else(|| {
                AppError::Conflict("start the enrolment again: no code is waiting".into())
            })?;
        let secret = TotpSecret::from_base32(&pending).map_err(AppError::NotReady)?;
        let Some(step) = matching_step(&secret, code, self.clock.outside_now()) else {
            return Err(AppError::Validation(ValidationErrors::single(
                "code",
                "that code does not match; enter the 6 digits your app shows now",
            )));
        };
        store::set_mfa_secret(&mut tx, user.id, Some(&pending), self.now()).await?;
        store::advance_mfa_step(&mut tx, user.id, step).await?;
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| hash_token(&normalise_recovery(c)))
            .collect();
        store::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
        store::set_pending_secret(&mut tx, &session.token_hash, None).await?;
        let mut e = self.audit_event(None, AuditAction::Update, Resource::User, Outcome::Allowed);
        e.organisation_id = Some(user.organisation_id.to_string());
        e.user_id = Some(user.id.to_string());
        e.resource_id = Some(user.id.to_string());
        e.category = "authentication".into();
        e.detail = Some("enrolled multi-factor authentication".into());
        audit::append(&mut tx, e).await?;
        let token = if session.stage == SessionStage::Full {
            SessionToken(token.to_string())
        } else {
            self.promote(&mut tx, &session, (&user, &creds), "enrolled totp")
                .await?
        };
        tx.commit().await?;
        Ok((token, codes))
    }
}
