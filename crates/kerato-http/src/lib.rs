//! The HTTP pieces both web front ends share (the clinic's `kerato-web` and
//! the vendor site): security headers, CSRF protection for HTML forms, the
//! extractors that parse a request's body once into an input type, the
//! problem an error becomes and how its body is found, the frame of every
//! page, embedded assets with content-hashed names, the SMTP mailer both
//! send e-mail with, and the timing floor that keeps sign-in and recovery
//! answers alike.

pub mod assets;
pub mod csrf;
pub mod extract;
pub mod headers;
pub mod layout;
pub mod mail;
pub mod problem;
pub mod testing;
pub mod timing;

/// Whether the server speaks TLS, which decides `Secure` cookies, the
/// `__Host-` prefix and HSTS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls(pub bool);
