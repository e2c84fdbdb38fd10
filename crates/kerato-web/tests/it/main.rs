//! The clinic web application over real HTTP, on the backend the run selects.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod api;
mod biopsies;
mod booking;
mod eye;
mod forms;
mod idor;
mod import;
mod matrix;
mod openapi;
mod patients;
mod photos;
mod providers;
mod recovery;
mod rights;
mod schedule_api;
mod security;
mod support;
