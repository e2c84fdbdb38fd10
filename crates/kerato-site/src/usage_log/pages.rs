//! The middleware that logs each page request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::Site;
use crate::usage_log::logging::record;
use crate::usage_log::rules::{LogLine, *};

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
    let line = LogLine {
        ip,
        browser,
        device,
        path,
        status,
    };
    let result = record(&site, line).await;
    // The visitor's page matters more than its log line.
    if let Err(e) = result {
        tracing::error!(error = %e, "the usage log could not be written");
    }
    resp
}
