//! The checks of the suite: their stable ids, what each measures, the values its outcome
//! takes, and which ones a broker profile forbids.

use crate::profile::{BrokerKind, BrokerProfile};
use crate::session::Qos;
use crate::text::Bilingual;

/// One experiment of the broker check; in files, its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum CheckKind {
    /// A persistent subscriber at QoS `subscribe` goes away; one message at QoS `publish`.
    Offline {
        publish: Qos,
        subscribe: Qos,
    },
    SessionPresent,
    CleanSessionWipe,
    Retained,
    RetainedResubscribe,
    Redelivery,
    Will,
    Overlapping,
    DollarTopics,
    ZeroLengthClientId,
    KeepaliveClose,
    QueueLimit,
    InflightWindow,
    MaxPayload,
}

impl CheckKind {
    /// Every check, in the order the suite runs them (and the table lists them).
    pub fn all() -> Vec<CheckKind> {
        let mut all = Vec::new();
        for publish in 0..=2 {
            for subscribe in 0..=2 {
                all.push(CheckKind::Offline { publish, subscribe });
            }
        }
        all.extend([
            CheckKind::SessionPresent,
            CheckKind::CleanSessionWipe,
            CheckKind::Retained,
            CheckKind::RetainedResubscribe,
            CheckKind::Redelivery,
            CheckKind::Will,
            CheckKind::Overlapping,
            CheckKind::DollarTopics,
            CheckKind::ZeroLengthClientId,
            CheckKind::KeepaliveClose,
            CheckKind::QueueLimit,
            CheckKind::InflightWindow,
            CheckKind::MaxPayload,
        ]);
        all
    }

    /// The stable id (`data-check`).
    pub fn id(self) -> String {
        match self {
            CheckKind::Offline { publish, subscribe } => format!("offline-p{publish}-s{subscribe}"),
            other => other.fixed_id().to_string(),
        }
    }

    fn fixed_id(self) -> &'static str {
        match self {
            CheckKind::Offline { .. } => "offline",
            CheckKind::SessionPresent => "session-present",
            CheckKind::CleanSessionWipe => "clean-session-wipe",
            CheckKind::Retained => "retained",
            CheckKind::RetainedResubscribe => "retained-resubscribe",
            CheckKind::Redelivery => "redelivery",
            CheckKind::Will => "will",
            CheckKind::Overlapping => "overlapping",
            CheckKind::DollarTopics => "dollar-topics",
            CheckKind::ZeroLengthClientId => "zero-length-client-id",
            CheckKind::KeepaliveClose => "keepalive-close",
            CheckKind::QueueLimit => "queue-limit",
            CheckKind::InflightWindow => "inflight-window",
            CheckKind::MaxPayload => "max-payload",
        }
    }

    /// The check with this id.
    pub fn from_id(id: &str) -> Option<CheckKind> {
        CheckKind::all().into_iter().find(|k| k.id() == id)
    }

    /// A short topic level for this check's private topics.
    pub(crate) fn topic_level(self) -> String {
        match self {
            CheckKind::Offline { publish, subscribe } => format!("p{publish}s{subscribe}"),
            other => other.fixed_id().to_string(),
        }
    }

    /// What is measured, in one line.
    pub fn title(self) -> Bilingual {
        match self {
            CheckKind::Offline { publish, subscribe } => Bilingual::new(
                format!("Subscriber (cleanSession=0, QoS {subscribe}) away; one message at QoS {publish}; it returns"),
                format!("订阅者(cleanSession=0,QoS {subscribe})离线;发布一条 QoS {publish} 消息;订阅者回来"),
            ),
            CheckKind::SessionPresent => Bilingual::new(
                "Reconnect of a persistent session: Session Present",
                "持久会话重连:Session Present",
            ),
            CheckKind::CleanSessionWipe => Bilingual::new(
                "Reconnect with cleanSession=1, then 0: is the stored session gone?",
                "以 cleanSession=1 重连,再以 0 重连:存储的会话是否被清除?",
            ),
            CheckKind::Retained => Bilingual::new(
                "A retained message on a new subscription",
                "新订阅收到保留消息吗",
            ),
            CheckKind::RetainedResubscribe => Bilingual::new(
                "The same filter subscribed again on a live session: retained message sent again?",
                "在线会话再次订阅同一过滤器:保留消息是否重发?",
            ),
            CheckKind::Redelivery => Bilingual::new(
                "PUBACK withheld, socket dropped, reconnect: redelivered with DUP?",
                "不发 PUBACK,掐断连接后重连:是否以 DUP 重投?",
            ),
            CheckKind::Will => Bilingual::new(
                "Socket dropped without DISCONNECT: is the will published?",
                "未发 DISCONNECT 直接掐断:遗嘱是否发布?",
            ),
            CheckKind::Overlapping => Bilingual::new(
                "One message, two matching filters of one client: copies delivered",
                "一条消息匹配同一客户端的两个过滤器:投递几份",
            ),
            CheckKind::DollarTopics => Bilingual::new(
                "A first-level wildcard against a $ topic ($SYS/...)",
                "首层通配符能否匹配 $ 主题($SYS/...)",
            ),
            CheckKind::ZeroLengthClientId => Bilingual::new(
                "CONNECT with an empty ClientId and cleanSession=1",
                "空 ClientId 且 cleanSession=1 的 CONNECT",
            ),
            CheckKind::KeepaliveClose => Bilingual::new(
                "A silent client: ms from its last packet to the broker's close",
                "静默客户端:从其最后一个报文到服务端关闭连接的毫秒数",
            ),
            CheckKind::QueueLimit => Bilingual::new(
                "QoS 1 messages kept for an offline subscriber, and which end is dropped",
                "为离线订阅者保留的 QoS 1 消息数,以及丢弃哪一端",
            ),
            CheckKind::InflightWindow => Bilingual::new(
                "Acks withheld: PUBLISHes the broker sends before it waits",
                "不发确认:服务端在等待前发出的 PUBLISH 数",
            ),
            CheckKind::MaxPayload => Bilingual::new(
                "Largest payload that reaches a subscriber over this WebSocket (bytes)",
                "经此 WebSocket 能送达订阅者的最大消息体(字节)",
            ),
        }
    }

    /// The values its outcome takes, as the table writes them.
    pub fn values(self) -> &'static str {
        match self {
            CheckKind::Offline { .. } => "0 | 1 | 2 | lost",
            CheckKind::SessionPresent => "1 | 0",
            CheckKind::CleanSessionWipe => "wiped | kept",
            CheckKind::Retained => "delivered | not-delivered",
            CheckKind::RetainedResubscribe => "resent | not-resent",
            CheckKind::Redelivery => "dup | no-dup | lost",
            CheckKind::Will => "published | not-published",
            CheckKind::Overlapping => "one | each",
            CheckKind::DollarTopics => "excluded | included",
            CheckKind::ZeroLengthClientId => "accepted | refused",
            CheckKind::KeepaliveClose => "ms",
            CheckKind::QueueLimit => "count | >=N",
            CheckKind::InflightWindow => "count | >=N",
            CheckKind::MaxPayload => "bytes | >=max",
        }
    }

    /// Why the broker's profile forbids this experiment, if it does (the row then shows
    /// `not-allowed` and is not run).
    pub fn not_allowed(self, profile: &BrokerProfile) -> Option<Bilingual> {
        match self {
            CheckKind::Offline { subscribe: 2, .. } if !profile.supports_qos2_persistent => {
                Some(Bilingual::new(
                    "Not run: this broker profile does not support QoS 2 with cleanSession=0 (Alibaba MQ for IoT: use QoS 1 with a persistent session).",
                    "未运行:该服务端配置不支持 cleanSession=0 时的 QoS 2(阿里云微消息队列 MQTT 版:持久会话请用 QoS 1)。",
                ))
            }
            CheckKind::ZeroLengthClientId if profile.kind == BrokerKind::Aliyun => Some(Bilingual::new(
                "Not run: Alibaba MQ for IoT requires ClientIds of the form GID_xxx@@@DeviceId, and its signatures sign the ClientId.",
                "未运行:阿里云微消息队列 MQTT 版要求 ClientId 形如 GID_xxx@@@DeviceId,且签名基于 ClientId。",
            )),
            CheckKind::DollarTopics if profile.kind == BrokerKind::Aliyun => Some(Bilingual::new(
                "Not run: on Alibaba MQ for IoT every filter starts with a parent topic; a first-level wildcard is not a valid subscription.",
                "未运行:阿里云微消息队列 MQTT 版的过滤器必须以一级父主题开头,首层通配符不是有效订阅。",
            )),
            _ => None,
        }
    }
}

impl From<CheckKind> for String {
    fn from(k: CheckKind) -> String {
        k.id()
    }
}

impl TryFrom<String> for CheckKind {
    type Error = String;
    fn try_from(id: String) -> Result<Self, String> {
        CheckKind::from_id(&id).ok_or_else(|| format!("unknown check {id:?}"))
    }
}
