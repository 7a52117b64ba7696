//! Facts about a broker as the diagnostics use them: measured by a broker check when there
//! is one, else assumed from the broker profile, and labelled as such (DESIGN: "Facts about a
//! broker come from a check when there is one, and are labelled 'assumed' when they come
//! from a profile"). A check row that did not decide (not run, cancelled, an error, not
//! allowed) leaves its fact assumed.

use super::{BrokerCheck, CheckReport, CheckRow, RowStatus};
use crate::diagnostics::broker_key;
use crate::profile::{BrokerKind, BrokerProfile};
use crate::text::Bilingual;
use crate::time::Millis;

/// One fact and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact<T> {
    /// Measured on this broker by the broker check.
    Measured(T),
    /// Taken from the broker profile: what such brokers usually do.
    Assumed(T),
}

impl<T> Fact<T> {
    pub fn value(&self) -> &T {
        match self {
            Fact::Measured(v) | Fact::Assumed(v) => v,
        }
    }

    pub fn is_measured(&self) -> bool {
        matches!(self, Fact::Measured(_))
    }
}

/// Which end of an offline queue a broker drops at its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DroppedEnd {
    Oldest,
    Newest,
}

/// A broker's offline queue limit for one persistent session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueLimit {
    /// It kept `kept` messages and dropped the rest from one end (`None`: not one end).
    Kept {
        kept: u32,
        dropped: Option<DroppedEnd>,
    },
    /// It kept all of the `n` messages it was given: no limit up to `n`.
    AtLeast(u32),
    Unknown,
}

/// The largest payload that reaches a subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadLimit {
    Bytes(u64),
    /// Everything up to this size passed: no limit found below it.
    AtLeast(u64),
    Unknown,
}

/// What the diagnostics know about one broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerFacts {
    /// `broker_key` of the URL the check measured; `None` for a profile's assumptions.
    pub broker: Option<String>,
    /// The profile the assumed facts come from.
    pub profile: BrokerKind,
    /// `offline-p0-s1`: a QoS 0 publish is kept for an offline persistent session.
    pub qos0_publish_kept: Fact<bool>,
    /// `offline-p1-s0`: a subscription granted QoS 0 gets messages kept while offline.
    pub qos0_grant_kept: Fact<bool>,
    /// `offline-p2-s2`: QoS 2 arrives as QoS 1 (`None`: QoS 2 is not used on this broker).
    pub qos2_downgraded: Fact<Option<bool>>,
    /// `queue-limit`.
    pub queue_limit: Fact<QueueLimit>,
    /// `max-payload`.
    pub max_payload: Fact<PayloadLimit>,
    /// `keepalive-close`: ms from a silent client's last packet to the broker's close, at the
    /// keepalive (s) the check used.
    pub keepalive_close: Fact<Option<(Millis, u16)>>,
    /// The broker's ack timeout: never measured (the profile's).
    pub ack_timeout_ms: Fact<Millis>,
}

/// The check rows behind each fact, for labels.
pub const QOS0_PUBLISH_CHECK: &str = "offline-p0-s1";
pub const QOS0_GRANT_CHECK: &str = "offline-p1-s0";
pub const QOS2_CHECK: &str = "offline-p2-s2";
pub const QUEUE_CHECK: &str = "queue-limit";
pub const PAYLOAD_CHECK: &str = "max-payload";
pub const KEEPALIVE_CHECK: &str = "keepalive-close";

fn profile_name(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Generic => "generic",
        BrokerKind::Aliyun => "aliyun",
    }
}

/// `">=N"` as N.
fn at_least(outcome: &str) -> Option<u64> {
    outcome.strip_prefix(">=")?.parse().ok()
}

impl BrokerFacts {
    /// What a profile assumes. Generic brokers are assumed to behave like mosquitto's
    /// defaults (no QoS 0 for offline sessions, 1,000 queued, the newest dropped).
    pub fn assumed(profile: &BrokerProfile) -> Self {
        let generic = profile.kind == BrokerKind::Generic;
        BrokerFacts {
            broker: None,
            profile: profile.kind,
            qos0_publish_kept: Fact::Assumed(false),
            qos0_grant_kept: Fact::Assumed(false),
            qos2_downgraded: Fact::Assumed(profile.supports_qos2_persistent.then_some(false)),
            queue_limit: Fact::Assumed(if generic {
                QueueLimit::Kept {
                    kept: 1_000,
                    dropped: Some(DroppedEnd::Newest),
                }
            } else {
                QueueLimit::Unknown
            }),
            max_payload: Fact::Assumed(
                profile
                    .max_payload_bytes
                    .map_or(PayloadLimit::Unknown, |b| PayloadLimit::Bytes(b as u64)),
            ),
            keepalive_close: Fact::Assumed(None),
            ack_timeout_ms: Fact::Assumed(profile.ack_timeout_ms),
        }
    }

    /// The facts a check measured, the profile's assumptions for the rest.
    pub fn measured(report: &CheckReport, profile: &BrokerProfile) -> Self {
        Self::from_rows(&report.broker, report.keepalive_secs, &report.rows, profile)
    }

    /// The same from a run's rows (no copy of them): `broker` is the URL it ran against.
    pub fn from_rows(
        broker: &str,
        keepalive_secs: u16,
        rows: &[CheckRow],
        profile: &BrokerProfile,
    ) -> Self {
        let mut f = BrokerFacts::assumed(profile);
        f.broker = Some(broker_key(broker));
        let outcome = |id: &str| {
            rows.iter()
                .find(|r| r.id == id && r.status == RowStatus::Done)
                .map(|r| (r.outcome.as_str(), r.dropped))
        };
        let kept_at_any_qos = |o: &str| match o {
            "0" | "1" | "2" => Some(true),
            "lost" => Some(false),
            _ => None,
        };
        if let Some(v) = outcome(QOS0_PUBLISH_CHECK).and_then(|(o, _)| kept_at_any_qos(o)) {
            f.qos0_publish_kept = Fact::Measured(v);
        }
        if let Some(v) = outcome(QOS0_GRANT_CHECK).and_then(|(o, _)| kept_at_any_qos(o)) {
            f.qos0_grant_kept = Fact::Measured(v);
        }
        match outcome(QOS2_CHECK).map(|(o, _)| o) {
            Some("2") => f.qos2_downgraded = Fact::Measured(Some(false)),
            Some("1" | "0") => f.qos2_downgraded = Fact::Measured(Some(true)),
            _ => {}
        }
        if let Some((o, dropped)) = outcome(QUEUE_CHECK) {
            let dropped = match dropped {
                Some("oldest") => Some(DroppedEnd::Oldest),
                Some("newest") => Some(DroppedEnd::Newest),
                _ => None,
            };
            if let Some(n) = at_least(o) {
                f.queue_limit = Fact::Measured(QueueLimit::AtLeast(n.min(u32::MAX as u64) as u32));
            } else if let Ok(kept) = o.parse() {
                f.queue_limit = Fact::Measured(QueueLimit::Kept { kept, dropped });
            }
        }
        if let Some((o, _)) = outcome(PAYLOAD_CHECK) {
            if let Some(n) = at_least(o) {
                f.max_payload = Fact::Measured(PayloadLimit::AtLeast(n));
            } else if let Ok(n) = o.parse() {
                f.max_payload = Fact::Measured(PayloadLimit::Bytes(n));
            }
        }
        if let Some(ms) = outcome(KEEPALIVE_CHECK).and_then(|(o, _)| o.parse().ok()) {
            f.keepalive_close = Fact::Measured(Some((ms, keepalive_secs)));
        }
        f
    }

    /// Where a fact comes from, to follow a statement that uses it: "measured by the broker
    /// check (offline-p0-s1)" or "assumed (profile generic; no broker check yet)".
    pub fn label<T>(&self, fact: &Fact<T>, check: &str) -> Bilingual {
        match fact {
            Fact::Measured(_) => Bilingual::new(
                format!("measured by the broker check ({check})"),
                format!("由服务端检测实测({check})"),
            ),
            Fact::Assumed(_) => {
                let p = profile_name(self.profile);
                Bilingual::new(
                    format!("assumed (profile {p}; run the broker check to measure {check})"),
                    format!("假定(服务端配置 {p};运行服务端检测可实测 {check})"),
                )
            }
        }
    }
}

impl BrokerCheck {
    /// What this run measured so far (decided rows), the profile's assumptions for the rest.
    pub fn facts(&self) -> BrokerFacts {
        BrokerFacts::from_rows(
            &self.base.url,
            self.options.keepalive_secs,
            &self.rows,
            &self.base.profile,
        )
    }
}
