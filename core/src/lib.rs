//! ackscope-core: the sans-IO heart of ackscope.
//!
//! Nothing in this crate performs I/O or reads a clock. Every input carries `now`
//! (milliseconds on the page's clock) and every output is polled by the driver:
//! see [`session::Session`]. The compiler keeps web-sys, js-sys and yew out of here,
//! because this crate does not depend on them.

pub mod auth;
pub mod check;
pub mod diagnostics;
pub mod framing;
pub mod probe;
pub mod profile;
mod serde_names;
pub mod session;
pub mod text;
pub mod time;
pub mod topic;
pub mod verdicts;
