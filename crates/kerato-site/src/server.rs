//! Wiring: the site's routes with their middleware, its timers and its
//! start-up. It depends on every area and nothing depends on it.

use axum::extract::DefaultBodyLimit;
use axum::{Router, middleware};
use kerato_http::Tls;

use crate::{MAX_BODY_BYTES, Site, SiteError, schema};

impl Site {
    /// Starts the site's timers: every minute, the privacy requests'
    /// alarms; once a day, the retention job and the month's invoices
    /// (issuing is idempotent, so every day of the month after the first
    /// finds nothing new, and a subscription started mid-month is invoiced
    /// the next day). The first daily run is a minute after start, so a
    /// restart does not skip a day.
    pub fn start_timers(&self) {
        let site = self.clone();
        tokio::spawn(async move {
            loop {
                match crate::rights::alarms::send_alarms(&site).await {
                    Ok(0) => {}
                    Ok(sent) => tracing::info!(sent, "privacy request alarms sent"),
                    Err(e) => tracing::error!(error = %e, "sending privacy request alarms failed"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
        });
        let site = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            loop {
                let today = crate::retention::rules::utc_date(site.now());
                match crate::retention::run::run(&site, today, false).await {
                    Ok(report) => tracing::info!(
                        deleted = report.classes.iter().map(|c| c.deleted).sum::<u64>(),
                        "site retention run"
                    ),
                    Err(e) => tracing::error!(error = %e, "site retention run failed"),
                }
                match crate::billing::invoices::issue_invoices(
                    &site,
                    crate::billing::rules::month_of(today),
                )
                .await
                {
                    Ok(0) => {}
                    Ok(issued) => tracing::info!(issued, "invoices issued"),
                    Err(e) => tracing::error!(error = %e, "issuing invoices failed"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
            }
        });
    }

    /// Brings the schema up to date and puts the first policy documents in
    /// place; safe to run at every start.
    pub async fn prepare(&self) -> Result<(), SiteError> {
        self.store
            .apply_migrations(schema::MIGRATIONS, None, self.now())
            .await?;
        crate::policies::publishing::seed(self).await?;
        crate::policies::publishing::refresh_notices(self).await
    }
}

/// The vendor site's routes, with its security headers and CSRF layer.
pub fn router(mut site: Site, tls: bool) -> Router {
    site.tls = tls;
    let r = Router::new();
    let r = crate::public::pages::routes(r);
    let r = crate::policies::pages::routes(r);
    let r = crate::demo_requests::pages::routes(r);
    let r = crate::accounts::pages::routes(r);
    let r = crate::portal::pages::routes(r);
    let r = crate::billing::pages::routes(r);
    let r = crate::staff::pages::routes(r);
    let r = crate::telemetry::pages::routes(r);
    let r = crate::consents::pages::routes(r);
    let r = crate::analytics::pages::routes(r);
    let r = crate::rights::pages::routes(r);
    let r = crate::marketing::pages::routes(r);
    let r = crate::tickets::pages::routes(r);
    r.fallback(crate::web::not_found)
        // Innermost, so the error page it writes passes the other layers
        // (security headers, the usage log) like any page.
        .layer(middleware::from_fn(crate::web::render))
        .layer(middleware::from_fn_with_state(
            (site.clone(), Tls(tls)),
            crate::consents::pages::layer,
        ))
        .layer(middleware::from_fn_with_state(
            Tls(tls),
            kerato_http::csrf::layer,
        ))
        .layer(middleware::from_fn_with_state(
            Tls(tls),
            kerato_http::headers::layer,
        ))
        .layer(middleware::from_fn_with_state(
            site.clone(),
            crate::usage_log::pages::layer,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(site)
}
