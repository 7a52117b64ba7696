//! Broker profiles: the limits and clocks of the broker a device talks to.

use crate::text::Bilingual;
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

/// A broker limit that a message or subscription breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitProblem {
    PayloadTooLarge { bytes: usize, limit: usize },
    TopicTooLong { chars: usize, limit: usize },
    Qos2Persistent,
    TooManySubscriptions { count: usize, limit: usize },
}

impl LimitProblem {
    /// The form field it belongs to (a `data-testid`).
    pub fn field(&self) -> &'static str {
        match self {
            LimitProblem::PayloadTooLarge { .. } => "pub-payload",
            LimitProblem::TopicTooLong { .. } => "pub-topic",
            LimitProblem::Qos2Persistent => "pub-qos",
            LimitProblem::TooManySubscriptions { .. } => "sub-topic",
        }
    }

    pub fn text(&self) -> Bilingual {
        match self {
            LimitProblem::PayloadTooLarge { bytes, limit } => Bilingual::new(
                format!("{bytes} bytes: this broker discards payloads over {limit} bytes."),
                format!("{bytes} 字节:该服务端会丢弃超过 {limit} 字节的消息体。"),
            ),
            LimitProblem::TopicTooLong { chars, limit } => Bilingual::new(
                format!("{chars} characters: this broker allows topics of {limit} at most."),
                format!("{chars} 个字符:该服务端的主题最多 {limit} 个字符。"),
            ),
            LimitProblem::Qos2Persistent => Bilingual::new(
                "This broker does not support QoS 2 with cleanSession off: use QoS 1.",
                "该服务端不支持 cleanSession 关闭时的 QoS 2:请使用 QoS 1。",
            ),
            LimitProblem::TooManySubscriptions { count, limit } => Bilingual::new(
                format!(
                    "{count} subscriptions: this broker allows {limit}; more may be dropped silently."
                ),
                format!("{count} 个订阅:该服务端上限为 {limit},超出部分可能被静默丢弃。"),
            ),
        }
    }
}

impl BrokerProfile {
    /// Limits a publish breaks on this broker.
    pub fn check_publish(
        &self,
        topic: &str,
        payload_bytes: usize,
        qos: u8,
        clean_session: bool,
    ) -> Vec<LimitProblem> {
        let mut out = Vec::new();
        if let Some(limit) = self.max_payload_bytes.filter(|l| payload_bytes > *l) {
            out.push(LimitProblem::PayloadTooLarge {
                bytes: payload_bytes,
                limit,
            });
        }
        let chars = topic.chars().count();
        if let Some(limit) = self.max_topic_chars.filter(|l| chars > *l) {
            out.push(LimitProblem::TopicTooLong { chars, limit });
        }
        if qos == 2 && !clean_session && !self.supports_qos2_persistent {
            out.push(LimitProblem::Qos2Persistent);
        }
        out
    }

    /// Whether `count` subscriptions break this broker's limit.
    pub fn check_subscription_count(&self, count: usize) -> Option<LimitProblem> {
        self.max_subscriptions
            .filter(|l| count > *l)
            .map(|limit| LimitProblem::TooManySubscriptions { count, limit })
    }
}

impl Default for BrokerProfile {
    fn default() -> Self {
        Self::generic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alibaba_limits_are_checked_and_generic_has_none() {
        let a = BrokerProfile::aliyun();
        let topic = "t".repeat(65);
        let problems = a.check_publish(&topic, 64 * 1024 + 1, 2, false);
        assert_eq!(problems.len(), 3);
        assert!(a.check_publish("ok", 64 * 1024, 1, false).is_empty());
        assert!(BrokerProfile::generic()
            .check_publish(&topic, 1 << 20, 2, false)
            .is_empty());
        assert_eq!(
            a.check_subscription_count(31).map(|p| p.field()),
            Some("sub-topic")
        );
        assert_eq!(a.check_subscription_count(30), None);
        assert!(problems
            .iter()
            .all(|p| !p.text().en.is_empty() && !p.text().zh.is_empty()));
    }
}
