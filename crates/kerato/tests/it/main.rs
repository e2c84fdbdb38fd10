//! The `kerato` binary as an operator runs it: child processes, real ports,
//! real TLS, SIGKILL.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod audit;
mod browser;
mod cli;
mod config;
mod crash;
mod data_dirs;
mod demo;
mod demo_mail;
mod first_sign_in;
mod go_live;
mod import;
mod phi;
mod shape;
mod site_browser;
mod support;
mod tls;
