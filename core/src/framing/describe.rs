//! Decoded fields of a packet, for the packet log and the timeline.

use mqtt::packet::suback::SubscribeReturnCode;
use mqtt::packet::VariablePacket;
use mqtt::QualityOfService;

/// The MQTT control packet types, named as the packet log shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PacketKind {
    Connect,
    Connack,
    Publish,
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Pingreq,
    Pingresp,
    Disconnect,
}

impl PacketKind {
    /// The name used in `data-type` of the packet log.
    pub fn as_str(self) -> &'static str {
        match self {
            PacketKind::Connect => "CONNECT",
            PacketKind::Connack => "CONNACK",
            PacketKind::Publish => "PUBLISH",
            PacketKind::Puback => "PUBACK",
            PacketKind::Pubrec => "PUBREC",
            PacketKind::Pubrel => "PUBREL",
            PacketKind::Pubcomp => "PUBCOMP",
            PacketKind::Subscribe => "SUBSCRIBE",
            PacketKind::Suback => "SUBACK",
            PacketKind::Unsubscribe => "UNSUBSCRIBE",
            PacketKind::Unsuback => "UNSUBACK",
            PacketKind::Pingreq => "PINGREQ",
            PacketKind::Pingresp => "PINGRESP",
            PacketKind::Disconnect => "DISCONNECT",
        }
    }
}

/// A packet's type, packet id and decoded fields as `name=value` pairs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PacketSummary {
    pub kind: PacketKind,
    pub packet_id: Option<u16>,
    #[serde(deserialize_with = "crate::serde_names::fields")]
    pub fields: Vec<(&'static str, String)>,
}

pub fn qos_number(qos: QualityOfService) -> u8 {
    match qos {
        QualityOfService::Level0 => 0,
        QualityOfService::Level1 => 1,
        QualityOfService::Level2 => 2,
    }
}

/// The DUP flag of an encoded PUBLISH, read from its first byte.
///
/// Design: mqtt-protocol 0.12's `PublishPacket::dup()` tests bit 0x80 of a 4-bit flags
/// field and so always answers false; `set_dup` is right. The raw byte is the truth.
pub fn dup_flag(raw: &[u8]) -> bool {
    raw.first().is_some_and(|b| b & 0x08 != 0)
}

/// Describes a packet from its decoded form and its bytes. The CONNECT password is never
/// included: only its length.
pub fn describe(packet: &VariablePacket, raw: &[u8]) -> PacketSummary {
    use VariablePacket as P;
    let (kind, packet_id, fields): (PacketKind, Option<u16>, Vec<(&'static str, String)>) =
        match packet {
            P::ConnectPacket(p) => (
                PacketKind::Connect,
                None,
                vec![
                    (
                        "protocol",
                        format!("{} {}", p.protocol_name(), p.protocol_level() as u8),
                    ),
                    ("clientId", p.client_identifier().to_string()),
                    ("cleanSession", flag(p.clean_session())),
                    ("keepAlive", p.keep_alive().to_string()),
                    ("username", p.user_name().unwrap_or("").to_string()),
                    (
                        "password",
                        p.password()
                            .map(|pw| format!("({} characters, hidden)", pw.chars().count()))
                            .unwrap_or_default(),
                    ),
                    (
                        "will",
                        p.will()
                            .map(|(t, m)| format!("{t} ({} bytes, QoS {})", m.len(), p.will_qos()))
                            .unwrap_or_default(),
                    ),
                ],
            ),
            P::ConnackPacket(p) => (
                PacketKind::Connack,
                None,
                vec![
                    ("sessionPresent", flag(p.connack_flags().session_present)),
                    ("returnCode", p.connect_return_code().to_u8().to_string()),
                ],
            ),
            P::PublishPacket(p) => {
                let (qos, id) = p.qos().split();
                (
                    PacketKind::Publish,
                    id,
                    vec![
                        ("topic", p.topic_name().to_string()),
                        ("qos", qos_number(qos).to_string()),
                        ("dup", flag(dup_flag(raw))),
                        ("retain", flag(p.retain())),
                        ("payloadBytes", p.payload().len().to_string()),
                    ],
                )
            }
            P::PubackPacket(p) => (PacketKind::Puback, Some(p.packet_identifier()), vec![]),
            P::PubrecPacket(p) => (PacketKind::Pubrec, Some(p.packet_identifier()), vec![]),
            P::PubrelPacket(p) => (PacketKind::Pubrel, Some(p.packet_identifier()), vec![]),
            P::PubcompPacket(p) => (PacketKind::Pubcomp, Some(p.packet_identifier()), vec![]),
            P::SubscribePacket(p) => (
                PacketKind::Subscribe,
                Some(p.packet_identifier()),
                p.subscribes()
                    .iter()
                    .map(|(f, q)| {
                        (
                            "filter",
                            format!("{} (QoS {})", filter_str(f), qos_number(*q)),
                        )
                    })
                    .collect(),
            ),
            P::SubackPacket(p) => (
                PacketKind::Suback,
                Some(p.packet_identifier()),
                p.subscribes()
                    .iter()
                    .map(|c| ("granted", grant_text(*c)))
                    .collect(),
            ),
            P::UnsubscribePacket(p) => (
                PacketKind::Unsubscribe,
                Some(p.packet_identifier()),
                p.subscribes()
                    .iter()
                    .map(|f| ("filter", filter_str(f).to_string()))
                    .collect(),
            ),
            P::UnsubackPacket(p) => (PacketKind::Unsuback, Some(p.packet_identifier()), vec![]),
            P::PingreqPacket(_) => (PacketKind::Pingreq, None, vec![]),
            P::PingrespPacket(_) => (PacketKind::Pingresp, None, vec![]),
            P::DisconnectPacket(_) => (PacketKind::Disconnect, None, vec![]),
        };
    PacketSummary {
        kind,
        packet_id,
        fields,
    }
}

fn flag(on: bool) -> String {
    if on { "1" } else { "0" }.to_string()
}

fn grant_text(code: SubscribeReturnCode) -> String {
    match code {
        SubscribeReturnCode::MaximumQoSLevel0 => "0".into(),
        SubscribeReturnCode::MaximumQoSLevel1 => "1".into(),
        SubscribeReturnCode::MaximumQoSLevel2 => "2".into(),
        SubscribeReturnCode::Failure => "128 (failure)".into(),
    }
}

fn filter_str(filter: &mqtt::TopicFilter) -> &str {
    filter
}
