//! The browser edge: everything that touches web-sys lives here, and nothing else does.

pub mod broker_check;
pub mod clipboard;
pub mod clock;
pub mod console;
pub mod device;
pub mod download;
pub mod js_error;
pub mod location;
pub mod network;
pub mod panic;
pub mod recording_file;
pub mod recording_keeper;
pub mod recording_store;
pub mod redraw;
pub mod socket;
pub mod storage;
