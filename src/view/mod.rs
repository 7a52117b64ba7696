//! View state: what the page shows of a device, built one way from the core's events.

mod form;
mod log;

pub use form::{DeviceForm, FormError};
pub use log::{DeviceLog, MessageRow, Notice, PacketRow};
