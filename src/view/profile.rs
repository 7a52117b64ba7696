//! Device profiles: saved in localStorage, exported and imported as JSON, shared as links.
//!
//! Secrets (password, AccessKeySecret, tokens) are kept only in localStorage and only when
//! the user opts in per device; exports and share links never carry them.

use super::form::DeviceForm;
use ackscope_core::auth::AuthMode;
use ackscope_core::profile::BrokerKind;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Version tag of the stored and exported format.
pub const FORMAT: &str = "ackscope-profiles/1";

/// One device's settings, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Profile {
    pub broker_url: String,
    pub client_id: String,
    pub auth_mode: String,
    pub username: String,
    pub access_key_id: String,
    pub instance_id: String,
    pub broker_profile: String,
    pub clean_session: bool,
    pub keepalive: String,
    pub manual_ack: bool,
    pub sub_topic: String,
    pub pub_topic: String,
    pub group_id: String,
    pub device_id: String,
    pub resubscribe: Option<bool>,
    pub mqtt31: bool,
    pub will_topic: String,
    pub will_payload: String,
    pub will_qos: u8,
    pub will_retain: bool,
    /// Only in localStorage, only with `keep_secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Secrets>,
    pub keep_secrets: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Secrets {
    pub password: String,
    pub access_key_secret: String,
    pub token_read: String,
    pub token_write: String,
}

/// A file of profiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileFile {
    pub format: String,
    pub devices: Vec<Profile>,
}

impl Profile {
    /// The profile of a form; secrets only when `with_secrets` and the user opted in.
    pub fn of(f: &DeviceForm, with_secrets: bool) -> Self {
        Self::from_form(f, f.keep_secrets, with_secrets)
    }

    fn from_form(f: &DeviceForm, keep_secrets: bool, with_secrets: bool) -> Self {
        Profile {
            broker_url: f.broker_url.clone(),
            client_id: f.auth.client_id.clone(),
            auth_mode: f.auth.mode.as_str().to_string(),
            username: f.auth.username.clone(),
            access_key_id: f.auth.access_key_id.clone(),
            instance_id: f.auth.instance_id.clone(),
            broker_profile: if f.broker == BrokerKind::Aliyun {
                "aliyun"
            } else {
                "generic"
            }
            .into(),
            clean_session: f.clean_session,
            keepalive: f.keepalive.clone(),
            manual_ack: f.manual_ack,
            sub_topic: f.sub_topic.clone(),
            pub_topic: f.pub_topic.clone(),
            group_id: f.group_id.clone(),
            device_id: f.device_id.clone(),
            resubscribe: Some(f.resubscribe),
            mqtt31: f.mqtt31,
            will_topic: f.will_topic.clone(),
            will_payload: f.will_payload.clone(),
            will_qos: f.will_qos,
            will_retain: f.will_retain,
            secrets: (keep_secrets && with_secrets).then(|| Secrets {
                password: f.auth.password.clone(),
                access_key_secret: f.auth.access_key_secret.clone(),
                token_read: f.auth.token_read.clone(),
                token_write: f.auth.token_write.clone(),
            }),
            keep_secrets,
        }
    }

    /// Applies this profile onto a fresh form.
    pub fn apply(&self, f: &mut DeviceForm) {
        let set = |target: &mut String, v: &str| {
            if !v.is_empty() {
                *target = v.to_string();
            }
        };
        set(&mut f.broker_url, &self.broker_url);
        set(&mut f.auth.client_id, &self.client_id);
        f.auth.mode = self.auth_mode.parse().unwrap_or(AuthMode::None);
        f.auth.username = self.username.clone();
        f.auth.access_key_id = self.access_key_id.clone();
        f.auth.instance_id = self.instance_id.clone();
        f.broker = if self.broker_profile == "aliyun" {
            BrokerKind::Aliyun
        } else {
            BrokerKind::Generic
        };
        f.clean_session = self.clean_session;
        set(&mut f.keepalive, &self.keepalive);
        f.manual_ack = self.manual_ack;
        f.keep_secrets = self.keep_secrets;
        f.resubscribe = self.resubscribe.unwrap_or(true);
        f.mqtt31 = self.mqtt31;
        f.will_topic = self.will_topic.clone();
        f.will_payload = self.will_payload.clone();
        f.will_qos = self.will_qos.min(2);
        f.will_retain = self.will_retain;
        set(&mut f.sub_topic, &self.sub_topic);
        set(&mut f.pub_topic, &self.pub_topic);
        set(&mut f.group_id, &self.group_id);
        set(&mut f.device_id, &self.device_id);
        if let Some(s) = &self.secrets {
            f.auth.password = s.password.clone();
            f.auth.access_key_secret = s.access_key_secret.clone();
            f.auth.token_read = s.token_read.clone();
            f.auth.token_write = s.token_write.clone();
        }
    }

    /// The `?profile=` value of a share link (no secrets).
    pub fn to_link_param(&self) -> String {
        let mut p = self.clone();
        p.secrets = None;
        let json = serde_json::to_string(&p).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn from_link_param(param: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(param.trim())
            .map_err(|e| format!("the link's profile is not valid Base64: {e}"))?;
        let mut p: Profile = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the link's profile is not valid: {e}"))?;
        p.secrets = None;
        Ok(p)
    }
}

/// Profiles to a JSON file.
pub fn to_json(devices: Vec<Profile>) -> String {
    serde_json::to_string_pretty(&ProfileFile {
        format: FORMAT.into(),
        devices,
    })
    .unwrap_or_default()
}

/// Profiles from a JSON file, or a clear reason why not.
pub fn from_json(text: &str) -> Result<Vec<Profile>, String> {
    let file: ProfileFile =
        serde_json::from_str(text).map_err(|e| format!("not an ackscope profile file: {e}"))?;
    if file.format != FORMAT {
        return Err(format!(
            "unknown format \"{}\" (expected \"{FORMAT}\")",
            file.format
        ));
    }
    Ok(file.devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_with_secret() -> DeviceForm {
        let mut f = DeviceForm::new(0, "ws://b/mqtt");
        f.auth.mode = AuthMode::AliyunSignature;
        f.auth.access_key_secret = "s3cret".into();
        f.clean_session = false;
        f
    }

    #[test]
    fn exports_and_links_never_carry_secrets() {
        let f = form_with_secret();
        let exported = to_json(vec![Profile::from_form(&f, true, false)]);
        assert!(!exported.contains("s3cret"));
        let link = Profile::from_form(&f, true, true).to_link_param();
        let back = Profile::from_link_param(&link).expect("valid");
        assert_eq!(back.secrets, None);
    }

    #[test]
    fn storage_keeps_secrets_only_when_opted_in() {
        let f = form_with_secret();
        assert!(Profile::from_form(&f, false, true).secrets.is_none());
        let kept = Profile::from_form(&f, true, true);
        let mut g = DeviceForm::new(1, "ws://other/mqtt");
        kept.apply(&mut g);
        assert_eq!(g.auth.access_key_secret, "s3cret");
        assert!(!g.clean_session);
        assert_eq!(g.auth.mode, AuthMode::AliyunSignature);
    }

    #[test]
    fn bad_files_give_reasons() {
        assert!(from_json("{")
            .unwrap_err()
            .contains("not an ackscope profile file"));
        assert!(from_json(r#"{"format":"x","devices":[]}"#)
            .unwrap_err()
            .contains("unknown format"));
        assert!(Profile::from_link_param("!!!").is_err());
    }
}
