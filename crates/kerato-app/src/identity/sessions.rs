//! Sessions once signed in: authenticating a request on a read
//! transaction, signing out, the administrators' list of live sessions and
//! the security settings they follow; the caller's inbox.

use super::*;

impl App {
    /// The caller behind a fully signed-in session; refreshes its activity.
    pub async fn authenticate(
        &self,
        token: &str,
        source_ip: Option<String>,
    ) -> Result<Caller, AppError> {
        // Authentication only reads; it never waits for the writer.
        let mut tx = self.store.read().await?;
        let (session, user, _) = self.live_session(&mut tx, token).await?;
        match session.stage {
            SessionStage::Full => {}
            SessionStage::Password => return Err(AppError::PasswordChangeRequired),
            SessionStage::Mfa | SessionStage::Enrol => return Err(unauthenticated()),
        }
        let now = self.now();
        let last_seen = self.seen.latest(&session.token_hash, session.last_seen_at);
        if now.as_micros() - last_seen.as_micros() >= TOUCH_EVERY_MICROS {
            self.seen.saw(&session.token_hash, now);
            let hash = session.token_hash.clone();
            self.store.write_later(Box::new(move |w: &mut Tx| {
                Box::pin(async move { store::touch_session(w, &hash, now).await })
            }));
        }
        let grants = store::active_grants(&mut tx, user.id, now).await?;
        drop(tx);
        Ok(Caller {
            actor: actor_of(&user, grants),
            display_name: user.display_name.clone(),
            source_ip,
        })
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        let hash = hash_token(token);
        if let Some(s) = store::get_session(&mut tx, &hash).await? {
            store::revoke_session(&mut tx, &hash, self.now()).await?;
            if let Some((user, _)) = store::get_user(&mut tx, s.user_id).await? {
                let e = self.sign_in_event(
                    Some(&user),
                    AuditAction::Logout,
                    Outcome::Allowed,
                    s.source_ip,
                    "signed out",
                );
                audit::append(&mut tx, e).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller, on every device.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<u64, AppError> {
        let mut tx = self.store.write().await?;
        let n = store::revoke_user_sessions(&mut tx, caller.actor.user_id, self.now()).await?;
        let mut e = self.audit_event(
            Some(caller),
            AuditAction::Logout,
            Resource::Session,
            Outcome::Allowed,
        );
        e.detail = Some(format!("signed out everywhere ({n} sessions)"));
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn live_sessions(&self, caller: &Caller) -> Result<Vec<SessionView>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Session, "sessions")
            .await?;
        let policy = self.session_policy(&mut tx, org).await?;
        let users: HashMap<UserId, String> = store::list_users(&mut tx, org)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect();
        let now = self.now();
        let sessions = store::live_sessions(&mut tx, org)
            .await?
            .into_iter()
            .filter(|s| {
                session_state(policy, s.created_at, s.last_seen_at, now) == SessionState::Active
            })
            .map(|s| SessionView {
                user_name: users.get(&s.user_id).cloned().unwrap_or_default(),
                token_hash: s.token_hash,
                user_id: s.user_id,
                started_at: s.created_at,
                last_seen_at: s.last_seen_at,
                source_ip: s.source_ip,
            })
            .collect();
        tx.commit().await?;
        Ok(sessions)
    }

    /// Ends one session of the organisation (an administrator's kill switch).
    pub async fn revoke_session(&self, caller: &Caller, token_hash: &str) -> Result<(), AppError> {
        self.require(caller, Resource::Session, Action::Delete, None)
            .await?;
        let mut tx = self.store.write().await?;
        let session = store::get_session(&mut tx, token_hash)
            .await?
            .ok_or(AppError::NotFound("session"))?;
        let (owner, _) = store::get_user(&mut tx, session.user_id)
            .await?
            .ok_or(AppError::NotFound("session"))?;
        let target = Target {
            organisation: owner.organisation_id,
            location: None,
            resource: Resource::Session,
        };
        let mut tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::Delete, target, "session").id(owner.id),
            )
            .await?;
        store::revoke_session(&mut tx, token_hash, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's own inbox: no permission needed beyond being signed in.
    pub async fn inbox(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(String, String, Timestamp)>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(store::inbox(&mut tx, caller.actor.user_id).await?)
    }

    /// Whether every role must use MFA, and the idle timeout in minutes.
    pub async fn security_settings(&self, caller: &Caller) -> Result<(bool, i64), AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(
                caller,
                Action::View,
                Resource::Organisation,
                "security settings",
            )
            .await?;
        let settings = store::organisation_security(&mut tx, org).await?;
        tx.commit().await?;
        Ok(settings)
    }

    pub async fn set_security_settings(
        &self,
        caller: &Caller,
        mfa_required_for_all: bool,
        idle_minutes: i64,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        SessionPolicy::new(idle_minutes)
            .map_err(|m| ValidationErrors::single("idle_minutes", m))?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let old = store::organisation_security(&mut tx, org).await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::Organisation,
        };
        let act = Act::new(Action::Update, target, "security settings")
            .old(&serde_json::json!({"mfa_required_for_all": old.0, "idle_minutes": old.1}))
            .new_value(&serde_json::json!({"mfa_required_for_all": mfa_required_for_all, "idle_minutes": idle_minutes}));
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_organisation_security(&mut tx, org, mfa_required_for_all, idle_minutes).await?;
        tx.commit().await?;
        Ok(())
    }
}
