//! What the session tells its driver: actions to perform on sockets, and events to show.

use super::config::Qos;
use super::error::CommandError;
use crate::framing::{FramingError, PacketSummary};
use crate::text::Bilingual;
use crate::time::Millis;
use crate::verdicts::Verdict;

/// Identifies one WebSocket the driver opened for the session.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SocketId(pub u32);

/// I/O the driver must perform, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a WebSocket (subprotocol `mqtt`, binary frames) and report
    /// `handle_socket_open` or `handle_socket_closed`.
    Open {
        socket: SocketId,
        url: String,
    },
    Send {
        socket: SocketId,
        bytes: Vec<u8>,
    },
    /// Close the socket without a DISCONNECT packet (one was sent first if it was a clean disconnect).
    Close {
        socket: SocketId,
    },
}

/// The connection state, as `data-state` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConnState {
    Disconnected,
    Connecting,
    Connected,
    /// Waiting to try again; the time of the next attempt.
    Reconnecting {
        at: Millis,
    },
    /// Socket open, nothing sent: a device whose network died without the broker knowing.
    Silent,
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Disconnected => "disconnected",
            ConnState::Connecting => "connecting",
            ConnState::Connected => "connected",
            ConnState::Reconnecting { .. } => "reconnecting",
            ConnState::Silent => "silent",
        }
    }
}

/// Direction of a packet relative to this device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// One packet in the log, with its decoded fields and its bytes (the CONNECT password masked).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PacketRecord {
    pub at: Millis,
    pub direction: Direction,
    pub socket: SocketId,
    pub summary: PacketSummary,
    #[serde(with = "crate::serde_names::bytes")]
    pub raw: Vec<u8>,
}

/// A CONNACK refusal (return codes 1 to 5), or a code 3.1.1 reserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConnackRefusal {
    UnacceptableProtocolVersion,
    IdentifierRejected,
    ServerUnavailable,
    BadUsernameOrPassword,
    NotAuthorized,
    Reserved(u8),
}

impl ConnackRefusal {
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => return None,
            1 => Self::UnacceptableProtocolVersion,
            2 => Self::IdentifierRejected,
            3 => Self::ServerUnavailable,
            4 => Self::BadUsernameOrPassword,
            5 => Self::NotAuthorized,
            other => Self::Reserved(other),
        })
    }

    pub fn code(self) -> u8 {
        match self {
            Self::UnacceptableProtocolVersion => 1,
            Self::IdentifierRejected => 2,
            Self::ServerUnavailable => 3,
            Self::BadUsernameOrPassword => 4,
            Self::NotAuthorized => 5,
            Self::Reserved(c) => c,
        }
    }

    /// Trying again with the same settings cannot help: no automatic reconnect.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::ServerUnavailable)
    }

    pub fn text(self) -> Bilingual {
        match self {
            Self::UnacceptableProtocolVersion => Bilingual::new(
                "Refused (code 1): the broker does not speak this MQTT version. Try MQTT 3.1 or check the broker.",
                "连接被拒绝(代码 1):服务端不支持该 MQTT 版本。请尝试 MQTT 3.1 或检查服务端。",
            ),
            Self::IdentifierRejected => Bilingual::new(
                "Refused (code 2): the broker rejects this ClientId. Check its format and characters.",
                "连接被拒绝(代码 2):服务端拒绝该 ClientId。请检查其格式和字符。",
            ),
            Self::ServerUnavailable => Bilingual::new(
                "Refused (code 3): the broker is unavailable right now; ackscope will retry.",
                "连接被拒绝(代码 3):服务端暂不可用;ackscope 会自动重试。",
            ),
            Self::BadUsernameOrPassword => Bilingual::new(
                "Refused (code 4): bad username or password. Check the auth mode, AccessKey and signature.",
                "连接被拒绝(代码 4):用户名或密码错误。请检查鉴权模式、AccessKey 和签名。",
            ),
            Self::NotAuthorized => Bilingual::new(
                "Refused (code 5): not authorized. The username, password or signature is wrong, or this ClientId may not connect.",
                "连接被拒绝(代码 5):未授权。用户名、密码或签名错误,或该 ClientId 不允许连接。",
            ),
            Self::Reserved(c) => Bilingual::new(
                format!("Refused with code {c}, which MQTT 3.1.1 reserves: the broker is not speaking 3.1.1."),
                format!("连接被拒绝,代码 {c} 为 MQTT 3.1.1 保留值:服务端使用的不是 3.1.1。"),
            ),
        }
    }
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CloseReason {
    /// The user disconnected cleanly (DISCONNECT sent).
    UserDisconnect,
    /// The user dropped the socket without DISCONNECT.
    UserDrop,
    /// The socket closed from the other side (broker, proxy or network).
    SocketClosed,
    /// The socket could not be opened at all.
    SocketFailed,
    /// The WebSocket did not finish opening within the CONNACK timeout.
    OpenTimeout,
    ConnackTimeout,
    PingTimeout,
    Refused(ConnackRefusal),
    Protocol(FramingError),
    /// The broker sent a packet a client never receives, or one out of place.
    UnexpectedPacket(String),
    /// A SUBACK whose return codes do not match the SUBSCRIBE's filters one to one.
    SubackMismatch {
        filters: usize,
        codes: usize,
    },
}

impl CloseReason {
    /// Whether the close is bad news (not one the user asked for).
    pub fn is_error(&self) -> bool {
        !matches!(self, Self::UserDisconnect | Self::UserDrop)
    }

    /// A broker that breaks the protocol: trying again the same way gives the same failure.
    pub fn is_protocol_failure(&self) -> bool {
        matches!(
            self,
            Self::Protocol(_) | Self::UnexpectedPacket(_) | Self::SubackMismatch { .. }
        )
    }

    pub fn text(&self) -> Bilingual {
        match self {
            Self::UserDisconnect => Bilingual::new("Disconnected (DISCONNECT sent; the broker discards the will).", "已断开(已发送 DISCONNECT;服务端丢弃遗嘱)。"),
            Self::UserDrop => Bilingual::new("Dropped: socket closed without DISCONNECT. The broker notices at once and publishes the will.", "已强制断开(不发 DISCONNECT):直接关闭连接。服务端立即察觉并发布遗嘱。"),
            Self::SocketClosed => Bilingual::new("The connection was closed by the broker or the network.", "连接被服务端或网络关闭。"),
            Self::SocketFailed => Bilingual::new("Could not open the WebSocket: the broker is not running, the URL is wrong (ws://host:port/path), or the network is down.", "无法打开 WebSocket:服务端未运行、URL(ws://主机:端口/路径)有误,或网络不通。"),
            Self::OpenTimeout => Bilingual::new("The WebSocket did not open in time: the network drops the handshake, or the host does not answer.", "WebSocket 未能及时打开:网络丢弃了握手,或主机没有应答。"),
            Self::ConnackTimeout => Bilingual::new("No CONNACK arrived in time: the endpoint may not be an MQTT broker.", "未及时收到 CONNACK:该地址可能不是 MQTT 服务端。"),
            Self::PingTimeout => Bilingual::new("No PINGRESP in time: the connection is considered lost.", "未及时收到 PINGRESP:认为连接已断开。"),
            Self::Refused(r) => r.text(),
            Self::Protocol(e) => e.text().prefixed("Protocol error, connection closed: ", "协议错误,连接已关闭:"),
            Self::UnexpectedPacket(p) => Bilingual::new(
                format!("Protocol error: the broker sent {p}, which a client never receives here."),
                format!("协议错误:服务端发送了客户端此时不应收到的 {p}。"),
            ),
            Self::SubackMismatch { filters, codes } => Bilingual::new(
                format!("Protocol error: SUBACK carries {codes} return code(s) for {filters} filter(s) (MQTT 3.1.1 3.9.3: one per filter, in order)."),
                format!("协议错误:SUBACK 含 {codes} 个返回码,而订阅有 {filters} 个过滤器(MQTT 3.1.1 3.9.3:每个过滤器一个,按顺序)。"),
            ),
        }
    }
}

/// A message received on a connection.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncomingMessage {
    pub at: Millis,
    pub socket: SocketId,
    pub topic: String,
    #[serde(with = "crate::serde_names::bytes")]
    pub payload: Vec<u8>,
    pub qos: Qos,
    pub dup: bool,
    pub retain: bool,
    pub packet_id: Option<u16>,
    /// Probe header: (series, seq, sent_at), with latency = `at - sent_at`.
    pub probe: Option<(String, u32, Millis)>,
    pub verdict: Verdict,
    /// Pushed into a silent device's dead connection: recorded, never acknowledged.
    pub into_dead_connection: bool,
}

/// What happened, timestamped, in order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Event {
    State {
        at: Millis,
        state: ConnState,
    },
    Packet(PacketRecord),
    Connected {
        at: Millis,
        session_present: bool,
        clean_session: bool,
        client_id: String,
    },
    Refused {
        at: Millis,
        refusal: ConnackRefusal,
    },
    Closed {
        at: Millis,
        socket: SocketId,
        reason: CloseReason,
    },
    /// Unacknowledged outgoing messages resent with DUP=1 (or PUBREL) after a resumed session.
    Resent {
        at: Millis,
        packet_ids: Vec<u16>,
    },
    /// Unacknowledged outgoing messages given up because the broker had no session.
    Abandoned {
        at: Millis,
        packet_ids: Vec<u16>,
    },
    Subscribed {
        at: Millis,
        filter: String,
        requested: Qos,
        granted: Option<Qos>,
    },
    Unsubscribed {
        at: Millis,
        filter: String,
    },
    Message(IncomingMessage),
    /// An outgoing QoS>0 message finished its handshake.
    Delivered {
        at: Millis,
        packet_id: u16,
        after_ms: Millis,
    },
    /// The broker answered an outgoing QoS 2 PUBLISH with PUBACK: it downgraded the message
    /// to QoS 1 (RabbitMQ 3.10 has no QoS 2). The message is done; `Delivered` follows.
    Qos2AnsweredWithPuback {
        at: Millis,
        packet_id: u16,
        topic: String,
    },
    /// An outgoing message passed the client's ack timeout without an ack.
    AckOverdue {
        at: Millis,
        packet_id: u16,
    },
    /// A withheld or dead-connection delivery passed the broker's ack timeout: the broker
    /// now treats it as undelivered (offline).
    BrokerAckTimeout {
        at: Millis,
        packet_id: u16,
    },
    PingRoundTrip {
        at: Millis,
        rtt_ms: Millis,
    },
    /// The broker closed a silent connection; when, against the prediction.
    SilentConnectionClosed {
        at: Millis,
        socket: SocketId,
        predicted_at: Millis,
        silent_since: Millis,
        /// Closed after this device's new CONNECT went out on another socket: the broker
        /// closed it for the takeover, not for the keepalive.
        taken_over: bool,
    },
    /// The broker sent a new PUBLISH (DUP=0) with a packet id still unacknowledged.
    PacketIdReused {
        at: Millis,
        packet_id: u16,
    },
    /// This device started a probe series: how many it will publish.
    ProbeSeriesStarted {
        at: Millis,
        series: String,
        topic: String,
        qos: Qos,
        total: u32,
    },
    /// The browser says the network is gone (`offline` on window): live connections are
    /// silent from the broker's point of view until it comes back.
    NetworkDown {
        at: Millis,
    },
    /// The browser says the network is back (`online`): devices that want a connection
    /// reconnect at once.
    NetworkUp {
        at: Millis,
    },
    ReconnectScheduled {
        at: Millis,
        attempt_at: Millis,
        attempt: u32,
    },
    /// Automatic reconnects stopped: the same protocol failure after every connect.
    ReconnectStopped {
        at: Millis,
        reason: CloseReason,
        failures: u32,
    },
    /// A probe series stopped short: a probe could not be published.
    ProbeSeriesStopped {
        at: Millis,
        series: String,
        sent: u32,
        total: u32,
        error: CommandError,
    },
    /// Something the session does on its own (a resubscribe after CONNACK, a queued
    /// publish) could not be done; the page shows why instead of dropping it silently.
    NotSent {
        at: Millis,
        what: String,
        error: CommandError,
    },
}

/// What the page says when the broker answers a QoS 2 PUBLISH with PUBACK
/// ([`Event::Qos2AnsweredWithPuback`]).
pub fn qos2_puback_text(packet_id: u16, topic: &str) -> Bilingual {
    Bilingual::new(
        format!("The broker answered QoS 2 PUBLISH {packet_id} ({topic}) with PUBACK: it downgraded the message to QoS 1 (at least once, duplicates possible); taken as delivered."),
        format!("服务端以 PUBACK 应答 QoS 2 的 PUBLISH {packet_id}({topic}):它把消息降级为 QoS 1(至少一次,可能重复);按已送达处理。"),
    )
}
