//! The middleware that logs each page request.

use crate::Site;
use crate::usage_log::rules::*;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::extract::State;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use kerato_db::execute;
use std::net::SocketAddr;

/// Appends the request's row once the response is known. The client
/// address comes from the connection (`ConnectInfo`), never from a
/// forwarded-for header a client could write; without it the prefix is
/// left empty.
pub(crate) async fn layer(State(site): State<Site>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !is_page_request(&path) {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| truncate_ip(a.ip()));
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (browser, device) = (browser(ua), device(ua));
    let resp = next.run(req).await;
    let status = i64::from(resp.status().as_u16());
    let at = site.now().as_micros();
    let result = async {
        let mut tx = site.store.write().await?;
        execute!(
            &mut tx,
            sqlx::query(
                "INSERT INTO usage_log (at, ip_prefix, browser, device, path, status) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            )
            .bind(at)
            .bind(&ip)
            .bind(browser)
            .bind(device)
            .bind(path.chars().take(MAX_PATH).collect::<String>())
            .bind(status)
        )?;
        tx.commit().await
    }
    .await;
    // The visitor's page matters more than its log line.
    if let Err(e) = result {
        tracing::error!(error = %e, "the usage log could not be written");
    }
    resp
}
