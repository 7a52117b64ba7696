//! View state: what the page shows of a device, built one way from the core's events.

pub mod charts;
pub mod clock;
pub mod export;
mod form;
pub mod glance;
pub mod latency;
pub mod list_window;
mod log;
pub mod message_filter;
pub mod pace;
pub mod payload;
pub mod preset;
pub mod profile;
pub mod recording;
pub mod report;
pub mod ring;

pub use form::{DeviceForm, FormError};
pub use log::{DeviceLog, MessageRow, Notice, PacketRow};
