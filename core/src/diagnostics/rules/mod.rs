//! The rules, one function each, grouped by what they look at. Rule ids are stable: the page
//! shows them as `data-rule`.
//!
//! - `session`: the connection and its session (clean-session, session-lost,
//!   client-id-changed, client-id-conflict, reconnect-loop).
//! - `subscriptions`: what the broker holds and granted (qos0-granted, subscription-limit,
//!   subscription-refused, overlapping-subscriptions, topic-mismatch,
//!   published-before-subscribe).
//! - `delivery`: what was published and what came (qos0-publish, publish-abandoned,
//!   retained-replay, packet-id-reuse, batched-replay).
//! - `probes`: probe-gap.
//! - `silence`: a dead connection's messages (ack-timeout-pending, late-after-silence).
//! - `settings`: advice from the form and the QoS used (client-id-invalid, auth-shape,
//!   qos2-persistent, qos-meaning).

mod delivery;
mod probes;
mod session;
mod settings;
mod silence;
mod subscriptions;

use super::history::{broker_key, ConnectRecord};
use super::{Bilingual as T, DeviceFacts, Finding, Severity};
use crate::check::BrokerFacts;
use crate::time::{format_seconds, Millis};

/// A rule about one device, given the others too.
type DeviceRule = fn(Millis, &DeviceFacts<'_>, &[DeviceFacts<'_>], &mut Vec<Finding>);
/// A rule across all devices.
type PageRule = fn(Millis, &[DeviceFacts<'_>], &mut Vec<Finding>);

// The rules are called through these tables, not one after another, so that each stays a
// function of its own in the wasm: V8 optimizes a function once it has run hot enough, and
// with every rule inlined into one 48 KB function, a 10,000-message drain spent 135 ms on a
// background thread optimizing it, for 2.4 ms of work (issue 16). Now only a rule that runs
// hot is optimized, on its own.
const PER_DEVICE: [DeviceRule; 17] = [
    |_, d, _, out| session::session_lost(d, out),
    |_, d, _, out| session::client_id_changed(d, out),
    |now, d, _, out| session::reconnect_loop(now, d, out),
    |_, d, devices, out| subscriptions::qos0_granted(d, devices, out),
    |_, d, _, out| subscriptions::subscription_limit(d, out),
    |_, d, _, out| subscriptions::subscription_refused(d, out),
    |_, d, _, out| subscriptions::overlapping_subscriptions(d, out),
    |_, d, _, out| delivery::publish_abandoned(d, out),
    |_, d, _, out| delivery::retained_replay(d, out),
    |_, d, _, out| delivery::packet_id_reuse(d, out),
    |_, d, _, out| delivery::batched_replay(d, out),
    |now, d, _, out| silence::ack_timeout_pending(now, d, out),
    |_, d, _, out| silence::late_after_silence(d, out),
    |_, d, _, out| settings::client_id_invalid(d, out),
    |_, d, _, out| settings::auth_shape(d, out),
    |_, d, _, out| settings::qos2_persistent(d, out),
    |_, d, devices, out| settings::qos_meaning(d, devices, out),
];

const ACROSS_DEVICES: [PageRule; 6] = [
    // clean-session's evidence of loss is the others' publishes.
    |_, devices, out| session::clean_session(devices, out),
    |now, devices, out| session::client_id_conflict(now, devices, out),
    |now, devices, out| delivery::qos0_publish(now, devices, out),
    |_, devices, out| subscriptions::published_before_subscribe(devices, out),
    |_, devices, out| subscriptions::topic_mismatch(devices, out),
    |now, devices, out| probes::probe_gap(now, devices, out),
];

pub(super) fn per_device(
    now: Millis,
    d: &DeviceFacts<'_>,
    devices: &[DeviceFacts<'_>],
    out: &mut Vec<Finding>,
) {
    for rule in PER_DEVICE {
        rule(now, d, devices, out);
    }
}

pub(super) fn across_devices(now: Millis, devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for rule in ACROSS_DEVICES {
        rule(now, devices, out);
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &'static str,
    severity: Severity,
    device: u32,
    at: Option<Millis>,
    evidence: T,
    explanation: T,
    fix: T,
) -> Finding {
    Finding {
        rule,
        severity,
        device,
        at,
        evidence,
        explanation,
        fix,
        remaining_ms: None,
    }
}

/// Which broker a connection talked to: the key the driver gave ([`broker_key`]), or the
/// form's URL when it gave none. Compared without allocating in the usual cases.
#[derive(Clone, Copy, Debug)]
enum Broker<'a> {
    Key(&'a str),
    Url(&'a str),
}

impl Broker<'_> {
    fn key(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Broker::Key(k) => std::borrow::Cow::Borrowed(k),
            Broker::Url(u) => std::borrow::Cow::Owned(broker_key(u)),
        }
    }
}

impl PartialEq for Broker<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Broker::Key(a), Broker::Key(b)) => a == b,
            (Broker::Url(a), Broker::Url(b)) if a == b => true,
            _ => self.key() == other.key(),
        }
    }
}

/// The broker of a connect: as the driver said, else the form's URL.
fn broker_of<'a>(d: &DeviceFacts<'a>, c: &'a ConnectRecord) -> Broker<'a> {
    match &c.broker {
        Some(k) => Broker::Key(k),
        None => Broker::Url(&d.settings.broker_url),
    }
}

/// The broker the device was talking to at `at` (its last connect before then).
fn broker_at<'a>(d: &DeviceFacts<'a>, at: Millis) -> Broker<'a> {
    let h: &'a super::DeviceHistory = d.history;
    match h.connect_at(at) {
        Some(i) => broker_of(d, &h.connects[i]),
        None => Broker::Url(&d.settings.broker_url),
    }
}

/// What is known of the broker `d` talked to at `at`: what a broker check of any device on
/// that broker measured, else what `d`'s profile assumes (the facts say which).
fn broker_facts(devices: &[DeviceFacts<'_>], d: &DeviceFacts<'_>, at: Millis) -> BrokerFacts {
    let broker = broker_at(d, at);
    let key = broker.key();
    devices
        .iter()
        .filter_map(|x| x.settings.broker_check.as_ref())
        .find(|f| f.broker.as_deref() == Some(key.as_ref()))
        .cloned()
        .unwrap_or_else(|| BrokerFacts::assumed(&d.settings.profile))
}

/// "device 2" / "设备 2".
fn name(device: u32) -> (String, String) {
    (
        format!("device {}", device + 1),
        format!("设备 {}", device + 1),
    )
}

fn secs(ms: Millis) -> String {
    format_seconds(ms)
}

/// The filter a broker matches for `$share/<group>/<filter>` and EMQX's `$queue/<filter>`.
fn effective_filter(filter: &str) -> &str {
    if let Some(rest) = filter.strip_prefix("$share/") {
        return rest.split_once('/').map_or(rest, |(_, f)| f);
    }
    filter.strip_prefix("$queue/").unwrap_or(filter)
}

/// Whether `filter` (shared or not) matches `topic`.
fn filter_matches(filter: &str, topic: &str) -> bool {
    crate::topic::matches(effective_filter(filter), topic)
}

/// Up to `n` items joined by ", ", then "…" when there are more.
fn list<S: AsRef<str>>(items: &[S], n: usize) -> String {
    let mut s = items
        .iter()
        .take(n)
        .map(|i| i.as_ref())
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > n {
        s.push_str(", …");
    }
    s
}
