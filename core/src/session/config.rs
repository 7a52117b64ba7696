//! How a device connects: everything the session needs before the first byte.

use crate::framing::DEFAULT_MAX_PACKET_BYTES;
use crate::profile::BrokerProfile;
use crate::time::Millis;

/// QoS as a number 0..=2.
pub type Qos = u8;

/// The will message the broker publishes when the connection ends without DISCONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: Qos,
    pub retain: bool,
}

/// Automatic reconnect after an unexpected loss: exponential backoff with jitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    pub enabled: bool,
    pub initial_delay_ms: Millis,
    pub max_delay_ms: Millis,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            enabled: true,
            initial_delay_ms: 1_000,
            max_delay_ms: 30_000,
        }
    }
}

/// MQTT protocol level in CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProtocolVersion {
    /// MQTT 3.1 (`MQIsdp`, level 3).
    V31,
    /// MQTT 3.1.1 (`MQTT`, level 4).
    #[default]
    V311,
}

/// A device's connection settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    pub url: String,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub clean_session: bool,
    pub keepalive_secs: u16,
    pub protocol: ProtocolVersion,
    pub will: Option<Will>,
    /// Send every subscription again after each CONNACK (the seed article's rule).
    pub resubscribe_on_connect: bool,
    /// Withhold PUBACK / PUBREC of incoming QoS 1 and 2 messages until the user acks.
    pub manual_ack: bool,
    /// The client's own ack timeout for outgoing QoS>0 messages.
    pub ack_timeout_ms: Millis,
    pub connack_timeout_ms: Millis,
    /// How long to wait for PINGRESP before the connection is declared lost.
    pub ping_timeout_ms: Millis,
    /// Outgoing QoS>0 messages in flight at once; more wait in a queue.
    pub max_inflight: usize,
    pub max_packet_bytes: usize,
    pub reconnect: ReconnectPolicy,
    pub profile: BrokerProfile,
    /// Seed for reconnect jitter (the core has no randomness of its own).
    pub seed: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            url: "ws://127.0.0.1:9001/mqtt".into(),
            client_id: String::new(),
            username: None,
            password: None,
            clean_session: true,
            keepalive_secs: 60,
            protocol: ProtocolVersion::V311,
            will: None,
            resubscribe_on_connect: true,
            manual_ack: false,
            ack_timeout_ms: 10_000,
            connack_timeout_ms: 10_000,
            ping_timeout_ms: 10_000,
            max_inflight: 20,
            max_packet_bytes: DEFAULT_MAX_PACKET_BYTES,
            reconnect: ReconnectPolicy::default(),
            profile: BrokerProfile::default(),
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

impl SessionConfig {
    pub fn keepalive_ms(&self) -> Millis {
        Millis::from(self.keepalive_secs) * 1_000
    }

    /// When the broker gives up on a silent client: 1.5 x keepalive (MQTT 3.1.1 section 3.1.2.10).
    pub fn broker_grace_ms(&self) -> Millis {
        self.keepalive_ms() * 3 / 2
    }
}
