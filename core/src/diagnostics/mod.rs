//! Diagnostics: "why didn't my offline messages arrive?"
//!
//! A pure function of every device's settings and event history: [`diagnose`] returns the
//! findings that hold now. A finding clears when its condition passes, because it is
//! recomputed, never stored.

mod history;
mod rules;

pub use history::{ConnectRecord, DeviceHistory, EndKind};

use crate::auth::AuthInput;
use crate::profile::BrokerProfile;
use crate::time::Millis;

/// How bad a finding is, as `data-severity` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A subscription as the device has it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionFact {
    pub filter: String,
    pub requested: u8,
    pub granted: Option<u8>,
}

/// What a device is configured to do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSettings {
    pub clean_session: bool,
    pub auth: AuthInput,
    pub profile: BrokerProfile,
    pub subscriptions: Vec<SubscriptionFact>,
    /// The QoS chosen in the subscribe and publish controls.
    pub sub_qos_choice: u8,
    pub pub_qos_choice: u8,
}

/// One device as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct DeviceFacts<'a> {
    pub device: u32,
    pub settings: &'a DeviceSettings,
    pub history: &'a DeviceHistory,
}

pub use crate::text::Bilingual;

/// A finding: what is wrong, the evidence, why it matters and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule id (`data-rule`).
    pub rule: &'static str,
    pub severity: Severity,
    pub device: u32,
    /// When the evidence happened, to find it in the timeline and packet log.
    pub at: Option<Millis>,
    pub evidence: Bilingual,
    pub explanation: Bilingual,
    pub fix: Bilingual,
    /// For clocks (ack-timeout-pending): time left.
    pub remaining_ms: Option<Millis>,
}

/// Every finding that holds now, errors first.
pub fn diagnose(now: Millis, devices: &[DeviceFacts<'_>]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for d in devices {
        rules::per_device(now, d, &mut findings);
    }
    rules::across_devices(now, devices, &mut findings);
    findings.sort_by_key(|f| (f.severity, f.device, f.rule));
    findings
}

#[cfg(test)]
mod tests;
