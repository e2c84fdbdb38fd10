//! Staff accounts: the first administrator, invitations and their
//! acceptance, listing and editing users, and the harnesses' `unsafe_`
//! callers.

use super::*;

impl App {
    /// Sets the first password of an invited user.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        let user_id = store::take_invitation(&mut tx, &hash_token(token), self.now())
            .await?
            .ok_or_else(|| AppError::NotFound("invitation (it may have expired or been used)"))?;
        let (user, _) = store::get_user(&mut tx, user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut errors = ValidationErrors::new();
        NewPassword {
            password: password.to_string(),
            confirmation: None,
        }
        .check(&mut errors, &user);
        errors.into_result(())?;
        let hash = hash_password(password.to_string()).await?;
        store::set_password(&mut tx, user.id, &hash, self.now()).await?;
        let mut e = self.password_event(
            Some(&user),
            Outcome::Allowed,
            None,
            "accepted invitation and set a password",
        );
        e.user_id = Some(user.id.to_string());
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates the organisation and its first administrator, with a password,
    /// on an installation that has no users yet.
    pub async fn bootstrap(
        &self,
        organisation: &str,
        kind: OrganisationKind,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(Organisation, User), AppError> {
        if self.is_initialised().await? {
            return Err(AppError::Conflict(
                "this installation already has an organisation".into(),
            ));
        }
        // The password is printed on the installer's terminal: the
        // administrator must choose their own at the first sign-in.
        self.add_tenant(organisation, kind, (email, name, password), true)
            .await
    }

    /// Adds another organisation with its administrator, without any
    /// caller's authority: for hosting several tenants and for tests.
    pub async fn unsafe_add_tenant(
        &self,
        organisation: &str,
        kind: OrganisationKind,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(Organisation, User), AppError> {
        self.add_tenant(organisation, kind, (email, name, password), false)
            .await
    }

    pub(super) async fn add_tenant(
        &self,
        organisation: &str,
        kind: OrganisationKind,
        (email, name, password): (&str, &str, &str),
        must_change_password: bool,
    ) -> Result<(Organisation, User), AppError> {
        let mut tx = self.store.write().await?;
        let org = self
            .create_organisation_in(&mut tx, organisation, kind)
            .await?;
        let user = self
            .new_user(
                org.id,
                &UserInput {
                    email: email.into(),
                    display_name: name.into(),
                    role: Role::Admin.as_str().into(),
                    locations: vec![],
                    all_locations: true,
                },
                &mut tx,
            )
            .await?;
        let local = user.email.split('@').next().unwrap_or("").to_string();
        check_new_password(password, &[&local, &user.display_name])
            .map_err(|m| ValidationErrors::single("password", m))?;
        store::insert_user(
            &mut tx,
            &user,
            &Credentials {
                password_hash: Some(hash_password(password.to_string()).await?),
                must_change_password,
                ..Credentials::default()
            },
        )
        .await?;
        let mut e = self.audit_event(None, AuditAction::Create, Resource::User, Outcome::Allowed);
        e.organisation_id = Some(org.id.to_string());
        e.resource_id = Some(user.id.to_string());
        e.detail = Some("first administrator created at installation".into());
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok((org, user))
    }

    /// Acts as a user without a session: for command-line tasks and demo
    /// seeding, never for requests. Named `unsafe_` because it skips sign-in.
    pub async fn unsafe_caller_for(&self, user: UserId) -> Result<Caller, AppError> {
        let mut tx = self.store.read().await?;
        let (user, _) = store::get_user(&mut tx, user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        Ok(Caller {
            actor: actor_of(&user, vec![]),
            display_name: user.display_name.clone(),
            source_ip: None,
        })
    }

    /// A signed-in session for a user without a password or code: for test
    /// harnesses only. Named `unsafe_` because it skips sign-in.
    pub async fn unsafe_session_for(&self, user: UserId) -> Result<SessionToken, AppError> {
        let mut tx = self.store.write().await?;
        let token = self
            .start_session(&mut tx, user, SessionStage::Full, None)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Validates a new account's fields against the organisation.
    pub(super) async fn new_user(
        &self,
        org: OrganisationId,
        input: &UserInput,
        tx: &mut Tx,
    ) -> Result<User, AppError> {
        let mut errors = ValidationErrors::new();
        let email = normalise_email(&input.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let name = validate_name(&mut errors, "display_name", &input.display_name);
        let role = input
            .role
            .parse::<Role>()
            .map_err(|m| errors.add("role", m))
            .ok();
        let locations = self
            .location_scope(tx, org, input.all_locations, &input.locations, &mut errors)
            .await?;
        errors.into_result(())?;
        let now = self.now();
        Ok(User {
            id: UserId::new(now, self.random_id_bits()),
            organisation_id: org,
            email: email.unwrap_or_default(),
            display_name: name.unwrap_or_default(),
            role: role.unwrap_or(Role::Auditor),
            locations,
            active: true,
            mfa_enrolled: false,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    pub(super) async fn location_scope(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
        all: bool,
        ids: &[String],
        errors: &mut ValidationErrors,
    ) -> Result<LocationScope, AppError> {
        if all {
            return Ok(LocationScope::All);
        }
        let mut set = BTreeSet::new();
        for raw in ids {
            let Ok(id) = raw.parse::<LocationId>() else {
                errors.add("locations", format!("{raw:?} is not a location ID"));
                continue;
            };
            if tenancy::get_location(tx, org, id).await?.is_none() {
                errors.add(
                    "locations",
                    "one of the chosen locations does not belong to this organisation",
                );
            } else {
                set.insert(id);
            }
        }
        Ok(LocationScope::Only(set))
    }

    /// Invites a staff member: the account exists at once, without a
    /// password; the returned token (sent by e-mail too) lets them set one.
    pub async fn invite_user(
        &self,
        caller: &Caller,
        input: &UserInput,
    ) -> Result<(User, String), AppError> {
        self.require(caller, Resource::User, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let user = self.new_user(org, input, &mut tx).await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::User,
        };
        let mut tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::Create, target, "staff account")
                    .id(user.id)
                    .new_value(&user_json(&user)),
            )
            .await?;
        store::insert_user(&mut tx, &user, &Credentials::default()).await?;
        let token = hex::encode(rand::rng().random::<[u8; 24]>());
        store::insert_invitation(
            &mut tx,
            &hash_token(&token),
            user.id,
            self.now().plus_micros(INVITATION_MICROS),
        )
        .await?;
        let id = MessageId::new(self.now(), self.random_id_bits()).to_string();
        kerato_store::outbox::queue_email(
            &mut tx,
            &id,
            &user.email,
            "Your Kerato account",
            &format!(
                "An account was created for you. Open {} within 7 days to choose your password.",
                self.link(&format!("/invite/{token}"))
            ),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok((user, token))
    }

    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::User, "staff accounts")
            .await?;
        let users = store::list_users(&mut tx, org).await?;
        tx.commit().await?;
        Ok(users)
    }

    pub async fn get_user(&self, caller: &Caller, id: UserId) -> Result<User, AppError> {
        let mut tx = self.store.read().await?;
        let (user, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let target = Target {
            organisation: user.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::View, target, "staff account").id(id),
            )
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user's name, role, locations or status. A change of role,
    /// locations or status is a privilege change: audited as such, and every
    /// session of that user ends so the new rights apply at once.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: UserId,
        version: i64,
        change: &UserInput,
        active: bool,
    ) -> Result<User, AppError> {
        self.require(caller, Resource::User, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let (current, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "display_name", &change.display_name);
        let role = change
            .role
            .parse::<Role>()
            .map_err(|m| errors.add("role", m))
            .ok();
        let locations = self
            .location_scope(
                &mut tx,
                current.organisation_id,
                change.all_locations,
                &change.locations,
                &mut errors,
            )
            .await?;
        errors.into_result(())?;
        if current.version != version {
            return Err(AppError::Conflict(
                "this account was changed by someone else; reload it and apply your change again"
                    .into(),
            ));
        }
        let updated = User {
            display_name: name.unwrap_or_default(),
            role: role.unwrap_or(current.role),
            locations,
            active,
            version: current.version + 1,
            updated_at: self.now(),
            ..current.clone()
        };
        if updated.id == caller.actor.user_id && (updated.role != current.role || !updated.active) {
            return Err(AppError::Conflict(
                "you cannot change your own role or deactivate yourself; ask another administrator"
                    .into(),
            ));
        }
        let privileged = updated.role != current.role
            || updated.locations != current.locations
            || updated.active != current.active;
        let target = Target {
            organisation: current.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let act = Act::new(Action::Update, target, "staff account")
            .id(id)
            .old(&user_json(&current))
            .new_value(&user_json(&updated));
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::update_user(&mut tx, &updated).await? {
            return Err(AppError::Conflict(
                "this account was changed by someone else; reload it".into(),
            ));
        }
        if privileged {
            store::revoke_user_sessions(&mut tx, id, self.now()).await?;
            let mut e = self.audit_event(
                Some(caller),
                AuditAction::PrivilegeChange,
                Resource::User,
                Outcome::Allowed,
            );
            e.resource_id = Some(id.to_string());
            e.old_value = serde_json::to_string(&user_json(&current)).ok();
            e.new_value = serde_json::to_string(&user_json(&updated)).ok();
            audit::append(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// Removes a user's authenticator and recovery codes; they enrol again at
    /// their next sign-in.
    pub async fn reset_mfa(&self, caller: &Caller, id: UserId) -> Result<(), AppError> {
        self.require(caller, Resource::User, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let (user, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let target = Target {
            organisation: user.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let mut act = Act::new(Action::Update, target, "staff account").id(id);
        act.new = Some("{\"mfa\":\"reset\"}".into());
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_mfa_secret(&mut tx, id, None, self.now()).await?;
        store::revoke_user_sessions(&mut tx, id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Display names of the organisation's users, for labelling lists.
    pub async fn user_names(&self, caller: &Caller) -> Result<HashMap<UserId, String>, AppError> {
        Ok(self
            .list_users(caller)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect())
    }

    /// Names of all the organisation's locations, for labelling and for
    /// assigning staff; a location's name is not protected data.
    pub async fn location_names(
        &self,
        caller: &Caller,
    ) -> Result<std::collections::BTreeMap<LocationId, String>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Location, "locations")
            .await?;
        let all = tenancy::list_locations(&mut tx, org).await?;
        tx.commit().await?;
        Ok(all.into_iter().map(|l| (l.id, l.name)).collect())
    }
}
