//! Broker profiles: the limits and clocks of the broker a device talks to.

use crate::time::Millis;

/// Which kind of broker a device talks to; it decides the limits checked as the user types
/// and the broker-side clocks shown in the ack timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BrokerKind {
    /// Any MQTT 3.1.1 broker (mosquitto, EMQX, ...): no extra limits.
    #[default]
    Generic,
    /// Alibaba Cloud MQ for IoT (ApsaraMQ for MQTT).
    Aliyun,
}

/// Limits and timings of a broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerProfile {
    pub kind: BrokerKind,
    /// How long the broker waits for an ack before it treats a pushed message as undelivered.
    pub ack_timeout_ms: Millis,
    pub max_subscriptions: Option<usize>,
    pub max_payload_bytes: Option<usize>,
    pub max_topic_chars: Option<usize>,
    /// QoS 2 together with cleanSession=false.
    pub supports_qos2_persistent: bool,
    /// Offline replay pacing: (messages per batch, milliseconds between batches).
    pub replay_batch: Option<(usize, Millis)>,
}

impl BrokerProfile {
    /// A generic broker; the ack timeout is the user's guess (mosquitto resends only on reconnect).
    pub fn generic() -> Self {
        BrokerProfile {
            kind: BrokerKind::Generic,
            ack_timeout_ms: 10_000,
            max_subscriptions: None,
            max_payload_bytes: None,
            max_topic_chars: None,
            supports_qos2_persistent: true,
            replay_batch: None,
        }
    }

    /// Alibaba Cloud MQ for IoT, from reference/aliyun-mq-for-iot.md.
    pub fn aliyun() -> Self {
        BrokerProfile {
            kind: BrokerKind::Aliyun,
            ack_timeout_ms: 10_000,
            max_subscriptions: Some(30),
            max_payload_bytes: Some(64 * 1024),
            max_topic_chars: Some(64),
            supports_qos2_persistent: false,
            replay_batch: Some((30, 5_000)),
        }
    }

    pub fn for_kind(kind: BrokerKind) -> Self {
        match kind {
            BrokerKind::Generic => Self::generic(),
            BrokerKind::Aliyun => Self::aliyun(),
        }
    }
}

impl Default for BrokerProfile {
    fn default() -> Self {
        Self::generic()
    }
}
