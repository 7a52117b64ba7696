//! Yew components: they render view state and send intents to a `Device`; no protocol rules.

pub mod aliyun;
pub mod app;
pub mod charts;
pub mod connection;
pub mod device_panel;
pub mod diagnostics;
pub mod fields;
pub mod inflight;
pub mod messages;
pub mod packet_log;
pub mod publish;
pub mod subscriptions;
pub mod timeline;
