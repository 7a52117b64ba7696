//! What the user may set for a check run, and what the run derives from the device: the
//! ClientIds of its extra connections and its private topic prefix.

use crate::auth::{check_aliyun_client_id, AuthInput, AuthMode, CLIENT_ID_SEPARATOR};
use crate::profile::BrokerKind;
use crate::session::SessionConfig;
use crate::text::Bilingual;

/// Default for `queue_limit`: QoS 1 messages published while the subscriber is away.
pub const DEFAULT_QUEUE_LIMIT: u32 = 2_000;
/// Bounds of `queue_limit` (packet ids are 16 bits; the publisher pipelines them).
pub const QUEUE_LIMIT_RANGE: std::ops::RangeInclusive<u32> = 10..=50_000;
/// Default keepalive of the `keepalive-close` client, in seconds.
pub const DEFAULT_KEEPALIVE_SECS: u16 = 5;
/// The payload search stops here (4 MiB).
pub const DEFAULT_MAX_PAYLOAD: usize = 4 * 1024 * 1024;
/// Messages published at a subscriber whose acks are withheld (`inflight-window`).
pub const WINDOW_PROBES: u32 = 100;

/// Settings of a check run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// `queue-limit`: how many QoS 1 messages to publish while the subscriber is away.
    pub queue_limit: u32,
    /// `keepalive-close`: the silent client's keepalive, in seconds.
    pub keepalive_secs: u16,
    /// `max-payload`: the largest payload tried.
    pub max_payload: usize,
    /// First topic level of every topic the check uses (on Alibaba: a parent topic of the
    /// instance). A random level follows it, so runs never meet.
    pub topic_root: String,
    /// Randomness from the driver (the core has none): the topic prefix.
    pub seed: u64,
    /// Only these check ids (all when empty).
    pub only: Vec<String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            queue_limit: DEFAULT_QUEUE_LIMIT,
            keepalive_secs: DEFAULT_KEEPALIVE_SECS,
            max_payload: DEFAULT_MAX_PAYLOAD,
            topic_root: "ackscope-check".into(),
            seed: 0x5eed,
            only: Vec::new(),
        }
    }
}

/// Why a run cannot start with these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionsError {
    QueueLimit(String),
    Keepalive(String),
    TopicRoot(String),
    /// The derived ClientId breaks the profile's rules.
    ClientId {
        client_id: String,
        why: Bilingual,
    },
    /// Credentials for a derived ClientId cannot be computed.
    Auth(Bilingual),
}

impl OptionsError {
    pub fn text(&self) -> Bilingual {
        match self {
            OptionsError::QueueLimit(v) => Bilingual::new(
                format!(
                    "Queue-limit N \"{v}\" must be a number from {} to {}.",
                    QUEUE_LIMIT_RANGE.start(),
                    QUEUE_LIMIT_RANGE.end()
                ),
                format!(
                    "队列上限 N“{v}”必须是 {} 到 {} 之间的数字。",
                    QUEUE_LIMIT_RANGE.start(),
                    QUEUE_LIMIT_RANGE.end()
                ),
            ),
            OptionsError::Keepalive(v) => Bilingual::new(
                format!("Check keepalive \"{v}\" must be 1 to 600 seconds."),
                format!("检测用 keepalive“{v}”必须是 1 到 600 秒。"),
            ),
            OptionsError::TopicRoot(v) => Bilingual::new(
                format!(
                    "Topic root \"{v}\" must be one topic level without wildcards, '/' or '$'."
                ),
                format!("主题根“{v}”必须是单个主题层级,不含通配符、'/' 或 '$'。"),
            ),
            OptionsError::ClientId { client_id, why } => why.prefixed(
                &format!("Check ClientId {client_id}: "),
                &format!("检测用 ClientId {client_id}:"),
            ),
            OptionsError::Auth(t) => t.prefixed("Check credentials: ", "检测用凭据:"),
        }
    }
}

impl CheckOptions {
    /// Reads the two numbers the page lets the user type.
    pub fn parse(queue_limit: &str, keepalive: &str) -> Result<(u32, u16), OptionsError> {
        let n = queue_limit
            .trim()
            .replace([',', '_'], "")
            .parse::<u32>()
            .ok()
            .filter(|n| QUEUE_LIMIT_RANGE.contains(n))
            .ok_or_else(|| OptionsError::QueueLimit(queue_limit.to_string()))?;
        let k = keepalive
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|k| (1..=600).contains(k))
            .ok_or_else(|| OptionsError::Keepalive(keepalive.to_string()))?;
        Ok((n, k))
    }

    pub(crate) fn validate(&self) -> Result<(), OptionsError> {
        if !QUEUE_LIMIT_RANGE.contains(&self.queue_limit) {
            return Err(OptionsError::QueueLimit(self.queue_limit.to_string()));
        }
        if !(1..=600).contains(&self.keepalive_secs) {
            return Err(OptionsError::Keepalive(self.keepalive_secs.to_string()));
        }
        let root = &self.topic_root;
        if root.is_empty() || root.contains(['/', '+', '#', '$', '\0']) || root.len() > 32 {
            return Err(OptionsError::TopicRoot(root.clone()));
        }
        Ok(())
    }

    /// `<root>/<random>`: every topic of the run lives under it.
    pub(crate) fn prefix(&self) -> String {
        format!("{}/{}", self.topic_root, base36(self.seed, 8))
    }
}

/// `n` characters of `seed` in base 36 (lower case).
pub(crate) fn base36(seed: u64, n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut x = seed;
    (0..n)
        .map(|_| {
            let d = DIGITS[(x % 36) as usize] as char;
            x /= 36;
            d
        })
        .collect()
}

/// Whether the device talks to Alibaba MQ for IoT (its profile or its auth mode).
pub(crate) fn is_aliyun(base: &SessionConfig, auth: Option<&AuthInput>) -> bool {
    base.profile.kind == BrokerKind::Aliyun || auth.is_some_and(|a| a.mode.is_aliyun())
}

/// The ClientId of check connection `n` (1, 2, ...), derived from the device's and valid
/// under the profile: `GID_x@@@<device>-chk<n>` on Alibaba (at most 64 characters, the
/// DeviceId shortened if need be), `<clientid>-chk<n>` elsewhere.
pub fn derived_client_id(device: &str, n: u32, aliyun: bool) -> String {
    let suffix = format!("-chk{n}");
    if aliyun {
        let (group, dev) = device
            .split_once(CLIENT_ID_SEPARATOR)
            .unwrap_or(("GID_ackscope", device));
        let dev: String = dev
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let room = crate::auth::ALIYUN_CLIENT_ID_MAX_CHARS
            .saturating_sub(group.chars().count() + CLIENT_ID_SEPARATOR.len() + suffix.len());
        let dev: String = dev.chars().take(room).collect();
        format!("{group}{CLIENT_ID_SEPARATOR}{dev}{suffix}")
    } else if device.is_empty() {
        format!("ackscope{suffix}")
    } else {
        format!("{device}{suffix}")
    }
}

/// The CONNECT username and password for a check connection with `client_id`: signatures
/// that sign the ClientId are computed again for it; other modes reuse the device's.
pub(crate) fn credentials_for(
    base: &SessionConfig,
    auth: Option<&AuthInput>,
    client_id: &str,
) -> Result<(Option<String>, Option<String>), OptionsError> {
    match auth {
        Some(a) if a.mode != AuthMode::None && a.mode != AuthMode::Password => {
            let input = AuthInput {
                client_id: client_id.to_string(),
                ..a.clone()
            };
            let c = crate::auth::credentials(&input).map_err(|e| OptionsError::Auth(e.text()))?;
            Ok((c.username, c.password))
        }
        _ => Ok((base.username.clone(), base.password.clone())),
    }
}

/// Checks a derived ClientId against the profile's rules.
pub(crate) fn check_client_id(client_id: &str, aliyun: bool) -> Result<(), OptionsError> {
    if aliyun {
        if let Some(p) = check_aliyun_client_id(client_id).first() {
            return Err(OptionsError::ClientId {
                client_id: client_id.to_string(),
                why: p.text(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_client_ids_follow_the_profile() {
        assert_eq!(derived_client_id("dev1", 1, false), "dev1-chk1");
        assert_eq!(derived_client_id("", 2, false), "ackscope-chk2");
        assert_eq!(
            derived_client_id("GID_test@@@device1", 1, true),
            "GID_test@@@device1-chk1"
        );
        let long = format!("GID_test@@@{}", "d".repeat(60));
        let id = derived_client_id(&long, 2, true);
        assert_eq!(id.chars().count(), 64);
        assert!(id.ends_with("-chk2"));
        assert!(check_aliyun_client_id(&id).is_empty(), "{id}");
    }

    #[test]
    fn the_numbers_the_page_lets_the_user_type_are_bounded() {
        assert_eq!(CheckOptions::parse("2,000", "5"), Ok((2_000, 5)));
        assert!(CheckOptions::parse("0", "5").is_err());
        assert!(CheckOptions::parse("100", "0").is_err());
        assert!(CheckOptions::parse("x", "5").is_err());
    }

    #[test]
    fn signatures_are_computed_again_for_each_check_client_id() {
        let auth = AuthInput {
            mode: AuthMode::AliyunSignature,
            client_id: "GID_test@@@device1".into(),
            access_key_id: "LTAIkey".into(),
            access_key_secret: "secret".into(),
            instance_id: "post-cn-abc".into(),
            ..Default::default()
        };
        let base = SessionConfig::default();
        let (u, p) = credentials_for(&base, Some(&auth), "GID_test@@@device1").unwrap();
        assert_eq!(u.as_deref(), Some("Signature|LTAIkey|post-cn-abc"));
        assert_eq!(p.as_deref(), Some("NW5TXLVdZ6euy8PHOr5pOHx1NjY="));
        let (_, p2) = credentials_for(&base, Some(&auth), "GID_test@@@device1-chk1").unwrap();
        assert_ne!(p2, p, "another ClientId, another signature");
    }
}
