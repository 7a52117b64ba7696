//! Diagnostics: "why didn't my offline messages arrive?"
//!
//! A pure function of every device's settings and event history: [`diagnose`] returns the
//! findings that hold now. A finding clears when its condition passes, because it is
//! recomputed, never stored.
//!
//! Design: facts come from what the device actually sent and the broker actually answered
//! (the CONNECT, SUBSCRIBE / SUBACK, PUBLISH packets, CONNACK's Session Present), digested
//! by [`DeviceHistory`]; the form is only read for advice about the next connect
//! (ClientId shape, credentials) and for the broker profile. Severity follows one policy:
//! `error` = messages were or will be lost, and the evidence shows it; `warning` = likely to
//! lose or delay messages; `info` = advice.

mod fix_label;
mod history;
mod rules;

pub use fix_label::{fix_line, repeats_fix_label, FIX_LABEL};
pub use history::{broker_key, ConnectRecord, DeviceHistory, EndKind};

use crate::auth::AuthInput;
use crate::check::BrokerFacts;
use crate::profile::BrokerProfile;
use crate::session::ProbeSeriesProgress;
use crate::time::Millis;

/// How bad a finding is, as `data-severity` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// Every rule id, as `data-rule` spells it (the automation contract lists the same).
pub const RULES: [&str; 23] = [
    "clean-session",
    "qos0-publish",
    "qos0-granted",
    "qos2-persistent",
    "session-lost",
    "client-id-invalid",
    "client-id-changed",
    "client-id-conflict",
    "subscription-limit",
    "published-before-subscribe",
    "ack-timeout-pending",
    "batched-replay",
    "topic-mismatch",
    "auth-shape",
    "qos-meaning",
    "probe-gap",
    "subscription-refused",
    "publish-abandoned",
    "retained-replay",
    "overlapping-subscriptions",
    "packet-id-reuse",
    "reconnect-loop",
    "late-after-silence",
];

/// A subscription row as the page shows it (the broker may hold something else: the rules
/// read what it granted from the device's history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionFact {
    pub filter: String,
    pub requested: u8,
    pub granted: Option<u8>,
    /// SUBACK answered 0x80.
    pub failed: bool,
    /// SUBSCRIBE sent (or to be sent on connect), no SUBACK yet.
    pub pending: bool,
}

/// What a device is configured to do now (its form), and what the page shows of its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSettings {
    /// The form's cleanSession: only for advice about the next connect.
    pub clean_session: bool,
    pub auth: AuthInput,
    pub profile: BrokerProfile,
    /// The broker URL in the form: the broker of a connection whose URL the history does
    /// not know (see [`DeviceHistory::connecting_to`]).
    pub broker_url: String,
    /// Send every subscription again after each CONNACK.
    pub resubscribe: bool,
    /// Subscription rows as the page shows them (failed and pending included).
    pub subscriptions: Vec<SubscriptionFact>,
    /// The probe series this device is sending (or sent last): how many went out.
    pub sending: Option<ProbeSeriesProgress>,
    /// What this device's broker check measured (its broker in `BrokerFacts::broker`); the
    /// rules use it for every device on that broker, and the profile's assumptions otherwise.
    pub broker_check: Option<BrokerFacts>,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            clean_session: true,
            auth: AuthInput::default(),
            profile: BrokerProfile::generic(),
            broker_url: String::new(),
            resubscribe: true,
            subscriptions: Vec::new(),
            sending: None,
            broker_check: None,
        }
    }
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
        rules::per_device(now, d, devices, &mut findings);
    }
    rules::across_devices(now, devices, &mut findings);
    findings.sort_by_key(|f| (f.severity, f.device, f.rule));
    findings
}

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod truth;
#[cfg(test)]
mod truth_facts;
