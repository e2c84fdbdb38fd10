//! The clinic web application over real HTTP, on the backend the run selects.

mod api;
mod forms;
mod openapi;
mod security;
mod support;
