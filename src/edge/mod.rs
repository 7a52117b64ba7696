//! The browser edge: everything that touches web-sys lives here, and nothing else does.

pub mod clipboard;
pub mod clock;
pub mod console;
pub mod device;
pub mod download;
pub mod location;
pub mod network;
pub mod socket;
pub mod storage;
