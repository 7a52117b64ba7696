//! Yew components: they render view state and send intents to a `Device`; no protocol rules.

pub mod aliyun;
pub mod app;
pub mod broker_check;
pub mod broker_confirm;
pub mod charts;
pub mod connection;
pub mod device_panel;
pub mod diagnostics;
pub mod fields;
pub mod inflight;
pub mod journey;
pub mod messages;
pub mod overview;
pub mod packet_log;
pub mod probe_summary;
pub mod publish;
pub mod recording;
pub mod subscriptions;
pub mod summary;
pub mod timeline;

use crate::edge::device::{Device, DeviceSnapshot};
use crate::i18n::Lang;
use yew::Properties;

/// Props shared by every section of a device panel.
#[derive(Properties, PartialEq)]
pub struct SectionProps {
    /// Where intents go, and the view state (form, log) to read.
    pub device: Device,
    /// The session as shown; a new one only when the device changed.
    pub snapshot: DeviceSnapshot,
    pub lang: Lang,
    /// The page clock's tick while this device has a countdown running, else 0: moves
    /// countdowns on without re-rendering idle devices.
    pub tick: u64,
}

/// The clock a device's views read: the page's, or a recording's moment (in a recording the
/// session snapshot was taken then, see view::recording::replay).
pub fn device_now(device: &Device, snapshot: &DeviceSnapshot) -> ackscope_core::time::Millis {
    crate::view::clock::view_now(
        device.is_recorded().then_some(snapshot.session.taken_at),
        crate::edge::clock::now(),
    )
}

impl SectionProps {
    /// This device's clock ([`device_now`]).
    pub fn now(&self) -> ackscope_core::time::Millis {
        device_now(&self.device, &self.snapshot)
    }
}
