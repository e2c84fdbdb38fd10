//! The SQL of telemetry reports.

use kerato_core::telemetry::Report;
use kerato_db::{StoreError, execute};

use crate::Site;
use crate::web::SiteError;

/// Stores a checked report.
pub async fn store(site: &Site, r: &Report) -> Result<(), SiteError> {
    r.validate().map_err(SiteError::Validation)?;
    let mut tx = site.store.write().await?;
    let c = r.counts;
    let n = |v: u32| i64::from(v);
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO telemetry_reports (installation, day, version, received_at, appointments_booked, patients_registered, eye_exams_signed, biopsies_logged, prescriptions_issued, active_users) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (installation, day) DO UPDATE SET version = $3, received_at = $4, appointments_booked = $5, patients_registered = $6, eye_exams_signed = $7, biopsies_logged = $8, prescriptions_issued = $9, active_users = $10"
        )
        .bind(r.installation.to_string())
        .bind(r.day.to_string())
        .bind(&r.version)
        .bind(site.now().as_micros())
        .bind(n(c.appointments_booked))
        .bind(n(c.patients_registered))
        .bind(n(c.eye_exams_signed))
        .bind(n(c.biopsies_logged))
        .bind(n(c.prescriptions_issued))
        .bind(n(c.active_users))
    )
    .map_err(StoreError::from)?;
    tx.commit().await?;
    Ok(())
}
