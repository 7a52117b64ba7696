//! The browser edge: everything that touches web-sys lives here, and nothing else does.

pub mod clock;
pub mod device;
pub mod download;
pub mod socket;
pub mod storage;
