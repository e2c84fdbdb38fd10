//! Break-glass access: opening a grant for a location, who may, and the
//! log of grants.

use super::*;

impl App {
    /// Break-glass: opens a location's records to the caller for an hour,
    /// with a reason; audited, and every privacy officer is told at once in
    /// the inbox and by e-mail.
    pub async fn open_emergency_access(
        &self,
        caller: &Caller,
        location: LocationId,
        reason: &str,
    ) -> Result<Timestamp, AppError> {
        self.require(caller, Resource::EmergencyAccess, Action::Create, None)
            .await?;
        let reason = reason.trim();
        if reason.chars().count() < 10 || reason.chars().count() > 500 {
            return Err(ValidationErrors::single(
                "reason",
                "describe the emergency in 10 to 500 characters",
            )
            .into());
        }
        let mut tx = self.store.write().await?;
        let loc = tenancy::find_location(&mut tx, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let target = Target {
            organisation: loc.organisation_id,
            location: None,
            resource: Resource::EmergencyAccess,
        };
        let mut tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::Create, target, "emergency access").id(location),
            )
            .await?;
        let now = self.now();
        let expires = now.plus_micros(EMERGENCY_ACCESS_MICROS);
        store::insert_grant(
            &mut tx,
            loc.organisation_id,
            &GrantEntry {
                id: EmergencyGrantId::new(now, self.random_id_bits()),
                user_id: caller.actor.user_id,
                location_id: location,
                reason: reason.to_string(),
                started_at: now,
                expires_at: expires,
            },
        )
        .await?;
        let mut e = self.audit_event(
            Some(caller),
            AuditAction::EmergencyAccess,
            Resource::EmergencyAccess,
            Outcome::Allowed,
        );
        e.resource_id = Some(location.to_string());
        e.emergency = true;
        e.detail = Some(reason.to_string());
        audit::append(&mut tx, e).await?;
        let (me, _) = store::get_user(&mut tx, caller.actor.user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        // Names and the location only: the reason may hold PHI, so it stays
        // in the audit trail and the in-app inbox, not in e-mail.
        let subject = "Emergency access opened";
        let body = format!(
            "{} opened emergency access to {} until {}.",
            me.display_name, loc.name, expires
        );
        for (officer, email) in
            store::users_with_role(&mut tx, loc.organisation_id, Role::PrivacyOfficer.as_str())
                .await?
        {
            let id = MessageId::new(now, self.random_id_bits()).to_string();
            store::insert_inbox_message(
                &mut tx,
                &id,
                officer,
                subject,
                &format!("{body} Reason: {reason}"),
                now,
            )
            .await?;
            let id = MessageId::new(now, self.random_id_bits()).to_string();
            kerato_store::outbox::queue_email(
                &mut tx,
                &id,
                &email,
                subject,
                &format!("{body} Review it in Kerato's break-glass log."),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(expires)
    }

    /// Every location of the organisation, for choosing where to open
    /// emergency access (it is meant for places outside one's own).
    pub async fn emergency_locations(
        &self,
        caller: &Caller,
    ) -> Result<Vec<kerato_domain::tenancy::Location>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(
                caller,
                Action::View,
                Resource::EmergencyAccess,
                "emergency access",
            )
            .await?;
        let all = tenancy::list_locations(&mut tx, org).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Every break-glass grant of the organisation, newest first.
    pub async fn emergency_log(&self, caller: &Caller) -> Result<Vec<GrantEntry>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::EmergencyAccess,
                "emergency access",
            )
            .await?;
        let grants = store::list_grants(&mut tx, org).await?;
        tx.commit().await?;
        Ok(grants)
    }
}

/// Whether a role may open break-glass access (for showing the button).
pub fn may_open_emergency_access(role: Role) -> bool {
    role_permits(role, Resource::EmergencyAccess, Action::Create)
}
