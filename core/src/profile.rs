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

/// What the page says about the broker's ack timeout: its value and where it comes from,
/// what the broker does when it runs out, and how it relates to the broker-notice clock.
/// Design: one home for these sentences, so the ack timers, the broker notice and the
/// diagnostics say the same thing.
impl BrokerProfile {
    /// Whether the ack timeout is this profile's assumption rather than the broker's own
    /// documentation. MQTT 3.1.1 sets no ack timeout; the broker check cannot time one on a
    /// broker that only resends when a session resumes, so on the generic profile it stays
    /// an assumption.
    pub fn ack_timeout_assumed(&self) -> bool {
        self.kind == BrokerKind::Generic
    }

    /// The ack timeout with its source: "10.0 s, assumed" / "10.0 s, Alibaba's offline
    /// visibility time".
    pub fn ack_timeout_text(&self) -> Bilingual {
        let (en, zh) = (
            crate::time::format_seconds(self.ack_timeout_ms),
            crate::time::format_seconds_zh(self.ack_timeout_ms),
        );
        if self.ack_timeout_assumed() {
            Bilingual::new(format!("{en}, assumed"), format!("{zh},假定"))
        } else {
            Bilingual::new(
                format!("{en}, Alibaba's offline visibility time"),
                format!("{zh},阿里云微消息队列 MQTT 版的离线消息可见时间"),
            )
        }
    }

    /// What the broker does when an incoming message's ack timeout runs out, or that
    /// nothing is known of it: short, for the row whose countdown reached zero.
    pub fn ack_timeout_outcome(&self) -> Bilingual {
        match self.kind {
            BrokerKind::Aliyun => Bilingual::new(
                "Run out: now an offline message, delivered again when this ClientId comes back with its session (cleanSession off).",
                "已到期:现为离线消息,该 ClientId 带着会话(cleanSession 关闭)回来时会再次投递。",
            ),
            BrokerKind::Generic => Bilingual::new(
                "Run out: what this broker does now is not known (the clock is assumed).",
                "已到期:该服务端此时如何处理尚不清楚(计时为假定)。",
            ),
        }
    }

    /// Why, for the same row: where the outcome comes from.
    pub fn ack_timeout_outcome_why(&self) -> Bilingual {
        match self.kind {
            BrokerKind::Aliyun => Bilingual::new(
                "Alibaba MQ for IoT lists an offline visibility time of 10 s: a pushed message not acknowledged within it becomes an offline message.",
                "阿里云微消息队列 MQTT 版的使用限制中离线消息可见时间为 10 秒:推送后在此时间内未被确认的消息会成为离线消息。",
            ),
            BrokerKind::Generic => Bilingual::new(
                "MQTT 3.1.1 sets no ack timeout; mosquitto, for one, resends an unacknowledged message only when the session resumes on a new connection. Run the broker check to see how this broker keeps offline messages.",
                "MQTT 3.1.1 没有规定确认超时;例如 mosquitto 只在会话于新连接上恢复时才重发未确认的消息。运行服务端检测可了解该服务端如何保留离线消息。",
            ),
        }
    }

    /// One sentence that relates the broker-notice clock of a silent device to the ack
    /// clocks of the messages pushed into its dead connection.
    pub fn notice_and_ack_clocks(&self) -> Bilingual {
        let ack = self.ack_timeout_text();
        Bilingual::new(
            format!("Until this clock runs out (1.5 × keepalive since the device last sent) the broker keeps pushing messages into the dead connection; each one pushed starts its own ack clock ({}) under Ack timers, and comes back when the device returns with its session: at once if the broker resends on the takeover (mosquitto), else once its own clock has run out (Alibaba MQ for IoT).", ack.en),
            format!("在该时钟走完(自设备最后发送起 1.5 倍 keepalive)之前,服务端会继续向失效连接推送消息;其间推送的每条消息都在“确认计时”中有自己的确认时钟({}),设备带着会话回来时它会再次到达:若服务端在接管时重发(mosquitto)则立即到达,否则要等它自己的时钟走完(阿里云微消息队列 MQTT 版)。", ack.zh),
        )
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

    #[test]
    fn the_generic_ack_timeout_says_it_is_assumed_and_alibabas_says_whose_it_is() {
        let g = BrokerProfile::generic();
        assert_eq!(g.ack_timeout_text().en, "10.0 s, assumed");
        assert_eq!(g.ack_timeout_text().zh, "10.0 秒,假定");
        assert!(g.ack_timeout_outcome().en.contains("not known"));
        assert!(g.notice_and_ack_clocks().en.contains("(10.0 s, assumed)"));
        let a = BrokerProfile::aliyun();
        assert!(!a.ack_timeout_assumed());
        assert!(a.ack_timeout_outcome().en.contains("offline message"));
        assert!(a
            .ack_timeout_outcome_why()
            .zh
            .contains("阿里云微消息队列 MQTT 版"));
        assert!(a.notice_and_ack_clocks().zh.contains("1.5 倍 keepalive"));
    }
}
