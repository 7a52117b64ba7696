//! Why a command was refused, and what the page says about it.

use crate::text::Bilingual;
use crate::topic::TopicError;

/// Why a command was refused. Plain values, so they can sit in view state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CommandError {
    NotConnected,
    AlreadyConnected,
    Topic(TopicError),
    Qos(u8),
    PayloadTooLarge { bytes: usize, limit: usize },
    NoFreePacketId,
    UnknownPacketId(u16),
    EmptyClientIdNeedsCleanSession,
}

impl CommandError {
    pub fn text(&self) -> Bilingual {
        match self {
            Self::NotConnected => {
                Bilingual::new("Not connected: connect first.", "未连接:请先连接。")
            }
            Self::AlreadyConnected => {
                Bilingual::new("Already connected or connecting.", "已连接或正在连接。")
            }
            Self::Topic(e) => e.text(),
            Self::Qos(q) => Bilingual::new(
                format!("QoS {q} does not exist: use 0, 1 or 2 (3 is reserved)."),
                format!("不存在 QoS {q}:请使用 0、1 或 2(3 为保留值)。"),
            ),
            Self::PayloadTooLarge { bytes, limit } => Bilingual::new(
                format!("The payload is {bytes} bytes; the limit here is {limit}."),
                format!("消息体 {bytes} 字节,此处上限为 {limit} 字节。"),
            ),
            Self::NoFreePacketId => Bilingual::new(
                "All 65535 packet ids are in flight.",
                "65535 个报文标识符均在传输中。",
            ),
            Self::UnknownPacketId(id) => Bilingual::new(
                format!("No withheld message has packet id {id}."),
                format!("没有报文标识符为 {id} 的待确认消息。"),
            ),
            Self::EmptyClientIdNeedsCleanSession => Bilingual::new(
                "An empty ClientId needs cleanSession on (MQTT 3.1.1, 3.1.3.1).",
                "空 ClientId 需要开启 cleanSession(MQTT 3.1.1,3.1.3.1)。",
            ),
        }
    }
}
