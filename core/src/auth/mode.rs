//! Authentication modes and what the user typed for them.

use std::fmt;
use std::str::FromStr;

/// How a device authenticates. The ids of [`AuthMode::as_str`] are the `auth-mode` select values.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum AuthMode {
    /// No username and no password.
    #[default]
    None,
    /// Plain username and password, sent as typed.
    Password,
    /// Alibaba `Signature|AccessKeyId|InstanceId`, password signs the full ClientId.
    AliyunSignature,
    /// Alibaba legacy: username is the bare AccessKeyId, password signs the GroupId only.
    AliyunLegacy,
    /// Alibaba `Token|AccessKeyId|InstanceId`, password `R|<token>|W|<token>`.
    AliyunToken,
    /// Alibaba `DeviceCredential|DeviceAccessKeyId|InstanceId`, password signs the full ClientId.
    AliyunDeviceCredential,
}

impl AuthMode {
    /// Every mode, in the order the select lists them.
    pub const ALL: [AuthMode; 6] = [
        AuthMode::None,
        AuthMode::Password,
        AuthMode::AliyunSignature,
        AuthMode::AliyunLegacy,
        AuthMode::AliyunToken,
        AuthMode::AliyunDeviceCredential,
    ];

    /// Stable id, used as the `auth-mode` select value and in saved profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::Password => "password",
            AuthMode::AliyunSignature => "aliyun-signature",
            AuthMode::AliyunLegacy => "aliyun-legacy",
            AuthMode::AliyunToken => "aliyun-token",
            AuthMode::AliyunDeviceCredential => "aliyun-device-credential",
        }
    }

    /// True for the four Alibaba modes, whose username and password ackscope builds.
    pub fn is_aliyun(self) -> bool {
        !matches!(self, AuthMode::None | AuthMode::Password)
    }

    /// The username form of an Alibaba mode, for messages; `None` for the other modes.
    pub fn username_form(self) -> Option<&'static str> {
        match self {
            AuthMode::AliyunSignature => Some("Signature|AccessKeyId|InstanceId"),
            AuthMode::AliyunLegacy => Some("AccessKeyId"),
            AuthMode::AliyunToken => Some("Token|AccessKeyId|InstanceId"),
            AuthMode::AliyunDeviceCredential => {
                Some("DeviceCredential|DeviceAccessKeyId|InstanceId")
            }
            AuthMode::None | AuthMode::Password => None,
        }
    }

    /// The first `|`-separated part of the username in the prefixed Alibaba modes.
    pub fn username_prefix(self) -> Option<&'static str> {
        match self {
            AuthMode::AliyunSignature => Some("Signature"),
            AuthMode::AliyunToken => Some("Token"),
            AuthMode::AliyunDeviceCredential => Some("DeviceCredential"),
            _ => None,
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `auth-mode` value that names no mode.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UnknownAuthMode(pub String);

impl fmt::Display for UnknownAuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown auth mode {:?}", self.0)
    }
}

impl std::error::Error for UnknownAuthMode {}

impl FromStr for AuthMode {
    type Err = UnknownAuthMode;

    /// Parses exactly the ids of [`AuthMode::as_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| UnknownAuthMode(s.to_owned()))
    }
}

/// What the user typed in the auth part of a device form.
///
/// In [`AuthMode::AliyunDeviceCredential`] `access_key_id`/`access_key_secret` hold the
/// device's own AccessKey pair.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct AuthInput {
    /// Selected mode.
    pub mode: AuthMode,
    /// The ClientId the CONNECT will carry (signed as is, never trimmed).
    pub client_id: String,
    /// Username typed by hand (used in [`AuthMode::Password`]).
    pub username: String,
    /// Password typed by hand (used in [`AuthMode::Password`]).
    pub password: String,
    /// Alibaba AccessKeyId (or DeviceAccessKeyId).
    pub access_key_id: String,
    /// Alibaba AccessKeySecret (or DeviceAccessKeySecret).
    pub access_key_secret: String,
    /// Alibaba instance id, e.g. `post-cn-xxxx`.
    pub instance_id: String,
    /// Token granting read (`R`) access.
    pub token_read: String,
    /// Token granting write (`W`) access.
    pub token_write: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_ids_round_trip_through_from_str() {
        let ids: Vec<&str> = AuthMode::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(
            ids,
            [
                "none",
                "password",
                "aliyun-signature",
                "aliyun-legacy",
                "aliyun-token",
                "aliyun-device-credential"
            ]
        );
        for mode in AuthMode::ALL {
            assert_eq!(mode.as_str().parse::<AuthMode>(), Ok(mode));
            assert_eq!(mode.to_string(), mode.as_str());
        }
    }

    #[test]
    fn unknown_mode_ids_are_rejected_not_guessed() {
        assert_eq!(
            "Aliyun-Signature".parse::<AuthMode>(),
            Err(UnknownAuthMode("Aliyun-Signature".into()))
        );
        assert!("".parse::<AuthMode>().is_err());
    }

    #[test]
    fn default_input_is_mode_none() {
        assert_eq!(AuthInput::default().mode, AuthMode::None);
    }
}
