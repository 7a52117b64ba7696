//! A device's profile as typed into its panel, and the session settings it becomes.

use ackscope_core::auth::{credentials, AuthError, AuthInput, AuthMode};
use ackscope_core::diagnostics::{DeviceSettings, SubscriptionFact};
use ackscope_core::probe::{ProbePlan, ProbePlanError};
use ackscope_core::profile::{BrokerKind, BrokerProfile};
use ackscope_core::session::SessionConfig;
use ackscope_core::session::{ProtocolVersion, SubscriptionRow, Will};
use ackscope_core::text::Bilingual;
use ackscope_core::topic::{validate_name, TopicError};

/// The fields of a device panel. Secrets live here only while the page is open.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceForm {
    pub broker_url: String,
    pub auth: AuthInput,
    pub broker: BrokerKind,
    pub clean_session: bool,
    pub keepalive: String,
    pub manual_ack: bool,
    pub sub_topic: String,
    pub sub_qos: u8,
    pub pub_topic: String,
    pub pub_payload: String,
    pub pub_format: super::payload::PayloadFormat,
    pub pub_qos: u8,
    pub pub_retain: bool,
    pub probe_count: String,
    pub probe_interval_ms: String,
    /// Alibaba helpers: ClientId builder and endpoint helper inputs.
    pub group_id: String,
    pub device_id: String,
    pub endpoint_host: String,
    pub endpoint_tls: bool,
    /// Show the secret in the calculator (masked by default).
    pub reveal_secret: bool,
    /// Keep secrets in this browser's localStorage (explicit opt-in).
    pub keep_secrets: bool,
    /// Send every subscription again after each CONNACK.
    pub resubscribe: bool,
    /// MQTT 3.1 (`MQIsdp`) instead of 3.1.1.
    pub mqtt31: bool,
    pub will_topic: String,
    pub will_payload: String,
    pub will_qos: u8,
    pub will_retain: bool,
    /// The broker URL came from a link or an imported file and the user has not confirmed
    /// it yet: the first connect that sends credentials asks first (`broker-confirm`).
    /// Cleared on accepting, or when the user edits the broker URL.
    pub broker_needs_confirm: bool,
    /// The part this device was offered when it was made (receiver, sender); not saved.
    pub role: Option<super::preset::Role>,
}

impl DeviceForm {
    /// A fresh panel, pre-filled for the local broker that `make serve` starts.
    pub fn new(index: usize, broker_url: &str) -> Self {
        DeviceForm {
            broker_url: broker_url.to_string(),
            auth: AuthInput {
                mode: AuthMode::None,
                client_id: format!("ackscope-device-{}", index + 1),
                ..Default::default()
            },
            broker: BrokerKind::Generic,
            clean_session: true,
            keepalive: "60".into(),
            manual_ack: false,
            sub_topic: "ackscope/test".into(),
            sub_qos: 1,
            pub_topic: "ackscope/test".into(),
            pub_payload: "hello".into(),
            pub_format: Default::default(),
            pub_qos: 1,
            pub_retain: false,
            probe_count: "5".into(),
            probe_interval_ms: "200".into(),
            group_id: "GID_test".into(),
            device_id: format!("device{}", index + 1),
            endpoint_host: String::new(),
            endpoint_tls: true,
            reveal_secret: false,
            keep_secrets: false,
            resubscribe: true,
            mqtt31: false,
            will_topic: String::new(),
            will_payload: String::new(),
            will_qos: 0,
            will_retain: false,
            broker_needs_confirm: false,
            role: None,
        }
    }

    /// What the diagnostics read of this device's panel: advice for the next connect (ClientId,
    /// credentials), the broker profile and URL, and the subscription rows as shown (failed
    /// and pending included). What the session actually did, they read from its history; the
    /// caller adds the probe series being sent (`sending`) from the session's view.
    pub fn diagnostic_settings(&self, subscriptions: &[SubscriptionRow]) -> DeviceSettings {
        DeviceSettings {
            clean_session: self.clean_session,
            auth: self.auth.clone(),
            profile: BrokerProfile::for_kind(self.broker),
            broker_url: self.broker_url.trim().to_string(),
            resubscribe: self.resubscribe,
            subscriptions: subscriptions
                .iter()
                .map(|s| SubscriptionFact {
                    filter: s.filter.clone(),
                    requested: s.requested,
                    granted: s.granted,
                    failed: s.failed,
                    pending: s.pending,
                })
                .collect(),
            sending: None,
            broker_check: None,
        }
    }

    /// The probe series typed into the panel, or why it cannot run (the bounds are the core's).
    pub fn probe_plan(&self) -> Result<ProbePlan, ProbePlanError> {
        ProbePlan::parse(&self.probe_count, &self.probe_interval_ms)
    }

    /// The session settings for the next connection, or why they cannot be made.
    pub fn session_config(&self, seed: u64) -> Result<SessionConfig, FormError> {
        let keepalive = self
            .keepalive
            .trim()
            .parse::<u16>()
            .map_err(|_| FormError::Keepalive(self.keepalive.clone()))?;
        let url = self.broker_url.trim();
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(FormError::Url(url.to_string()));
        }
        let creds = credentials(&self.auth).map_err(FormError::Auth)?;
        let will_topic = self.will_topic.trim();
        let will = if will_topic.is_empty() {
            None
        } else {
            validate_name(will_topic).map_err(FormError::WillTopic)?;
            Some(Will {
                topic: will_topic.to_string(),
                payload: self.will_payload.clone().into_bytes(),
                qos: self.will_qos.min(2),
                retain: self.will_retain,
            })
        };
        Ok(SessionConfig {
            url: url.to_string(),
            client_id: self.auth.client_id.clone(),
            username: creds.username,
            password: creds.password,
            clean_session: self.clean_session,
            keepalive_secs: keepalive,
            manual_ack: self.manual_ack,
            resubscribe_on_connect: self.resubscribe,
            protocol: if self.mqtt31 {
                ProtocolVersion::V31
            } else {
                ProtocolVersion::V311
            },
            will,
            profile: BrokerProfile::for_kind(self.broker),
            seed,
            ..Default::default()
        })
    }
}

/// Why a panel's fields cannot make a connection.
#[derive(Clone, Debug, PartialEq)]
pub enum FormError {
    Keepalive(String),
    Url(String),
    Auth(AuthError),
    WillTopic(TopicError),
}

impl FormError {
    pub fn text(&self) -> Bilingual {
        match self {
            FormError::Keepalive(v) => Bilingual::new(
                format!("Keepalive \"{v}\" is not a number of seconds from 0 to 65535."),
                format!("Keepalive“{v}”不是 0 到 65535 之间的秒数。"),
            ),
            FormError::Url(v) => Bilingual::new(
                format!("Broker URL \"{v}\" must start with ws:// or wss://, for example ws://127.0.0.1:9001/mqtt."),
                format!("服务端 URL“{v}”必须以 ws:// 或 wss:// 开头,例如 ws://127.0.0.1:9001/mqtt。"),
            ),
            FormError::Auth(e) => e.text(),
            FormError::WillTopic(e) => e.text().prefixed("Will topic: ", "遗嘱主题:"),
        }
    }
}
