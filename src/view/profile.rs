//! Device profiles: saved in localStorage, exported and imported as JSON, shared as links.
//!
//! Secrets (password, AccessKeySecret, tokens) are kept only in localStorage and only when
//! the user opts in per device; exports and share links never carry them, nor the opt-in
//! (`keepSecrets`): a file or a link cannot switch secret storage on. What comes from a file
//! or a link is not trusted: its broker URL may not carry `user:pass@`, and its broker host
//! is named in a confirmation before the first connect that sends credentials to it.

use super::form::DeviceForm;
use ackscope_core::auth::AuthMode;
use ackscope_core::profile::BrokerKind;
use ackscope_core::text::Bilingual;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Version tag of the stored and exported format.
pub const FORMAT: &str = "ackscope-profiles/1";

/// Larger files are refused before they are read.
pub const MAX_IMPORT_BYTES: f64 = 5.0 * 1024.0 * 1024.0;

/// The key of a share link's profile, in the URL fragment (`#profile=`): a fragment is never
/// sent to a server, so it stays out of server logs and `Referer` headers.
pub const LINK_KEY: &str = "profile";

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
    /// Only in localStorage: never exported, shared or imported.
    #[serde(skip_serializing_if = "is_false")]
    pub keep_secrets: bool,
    /// The broker URL came from a link or a file and was not confirmed yet (kept in
    /// localStorage so that a reload does not skip the confirmation).
    #[serde(skip_serializing_if = "is_false")]
    pub broker_unconfirmed: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// The profile of a form; secrets only when `with_secrets` (localStorage) and the user
    /// opted in. Without `with_secrets` (exports, links) the opt-in is left out as well.
    pub fn of(f: &DeviceForm, with_secrets: bool) -> Self {
        let mut p = Self::from_form(f, f.keep_secrets, with_secrets);
        if with_secrets {
            p.broker_unconfirmed = f.broker_needs_confirm;
        } else {
            p = p.shareable();
        }
        p
    }

    /// This profile without anything that must not leave the browser or come into it from
    /// outside: secrets, the opt-in to keep them, the unconfirmed mark.
    pub fn shareable(mut self) -> Self {
        self.secrets = None;
        self.keep_secrets = false;
        self.broker_unconfirmed = false;
        self
    }

    /// A profile from outside (a file, a link): made shareable, refused when its broker URL
    /// carries credentials, and its broker marked for confirmation.
    fn untrusted(self) -> Result<Self, String> {
        let mut p = self.shareable();
        if has_userinfo(&p.broker_url) {
            return Err(format!(
                "its broker URL carries a user name or password (user:pass@), which ackscope refuses: {}",
                without_userinfo(&p.broker_url)
            ));
        }
        p.broker_unconfirmed = !p.broker_url.trim().is_empty();
        Ok(p)
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
            broker_unconfirmed: false,
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
        f.broker_needs_confirm = self.broker_unconfirmed;
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

    /// The `#profile=` value of a share link (no secrets, no opt-in).
    pub fn to_link_param(&self) -> String {
        let p = self.clone().shareable();
        let json = serde_json::to_string(&p).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// A share link's profile: untrusted (see [`Profile::untrusted`]).
    pub fn from_link_param(param: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(param.trim())
            .map_err(|e| format!("the link's profile is not valid Base64: {e}"))?;
        let p: Profile = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the link's profile is not valid: {e}"))?;
        p.untrusted()
            .map_err(|e| format!("the link's profile was refused: {e}"))
    }
}

/// The share link of `profile` on the page at `page_address` (no query, no fragment).
pub fn share_link(page_address: &str, profile: &Profile) -> String {
    format!("{page_address}#{LINK_KEY}={}", profile.to_link_param())
}

/// The value of `name` in a query or fragment (`a=1&b=2`, with or without its `?` or `#`),
/// not yet percent-decoded.
pub fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .trim_start_matches(['?', '#'])
        .split('&')
        .find_map(|kv| {
            kv.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
        })
}

/// A query or fragment (with its `?` or `#`) without the parameter `name`; empty when
/// nothing else is left.
pub fn without_param(part: &str, mark: char, name: &str) -> String {
    let kept: Vec<&str> = part
        .trim_start_matches(mark)
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter(|kv| {
            kv.strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .is_none()
        })
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("{mark}{}", kept.join("&"))
    }
}

/// The authority of a `ws://` or `wss://` URL (`user:pass@host:port`), if it has a scheme.
fn authority(url: &str) -> Option<&str> {
    let rest = url.trim().split_once("://")?.1;
    Some(rest.split(['/', '?', '#']).next().unwrap_or_default())
}

/// Whether a broker URL carries credentials in its address (`ws://user:pass@host/`).
pub fn has_userinfo(url: &str) -> bool {
    authority(url).is_some_and(|a| a.contains('@'))
}

/// The URL with its `user:pass@` part removed, to name it without the secret.
fn without_userinfo(url: &str) -> String {
    match authority(url) {
        Some(a) if a.contains('@') => {
            let host = a.rsplit_once('@').map(|(_, h)| h).unwrap_or_default();
            url.trim().replacen(a, host, 1)
        }
        _ => url.trim().to_string(),
    }
}

/// The host (and port) of a broker URL, as named in the confirmation before connecting.
pub fn broker_host(url: &str) -> String {
    match authority(url) {
        Some(a) => a.rsplit_once('@').map_or(a, |(_, h)| h).to_string(),
        None => url.trim().to_string(),
    }
}

/// Why a typed broker URL is refused before connecting, shown at the `broker-url` field.
pub fn broker_url_problem(url: &str) -> Option<Bilingual> {
    has_userinfo(url).then(|| {
        Bilingual::new(
            "A broker URL with a user name or password in it (user:pass@host) is refused: the address would carry the secret. Use the Auth fields instead.",
            "不接受含用户名或密码的服务端 URL(user:pass@host):地址会携带密钥。请改用鉴权字段。",
        )
    })
}

/// Whether a broker URL points at this machine (`localhost`, `127.x`, `[::1]`): a link that
/// pre-fills such a broker cannot send credentials anywhere else.
pub fn is_loopback_broker(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether connecting this device must first ask the user to confirm the broker host: it
/// came from a link or a file, and this connect would send credentials to it.
pub fn needs_broker_confirm(f: &DeviceForm) -> bool {
    f.broker_needs_confirm && f.auth.mode != AuthMode::None
}

/// Why a file of `size` bytes is not imported, before reading it.
pub fn import_size_problem(size: f64) -> Option<String> {
    (size > MAX_IMPORT_BYTES).then(|| {
        format!(
            "the file is {:.1} MB; profile files over {:.0} MB are refused",
            size / 1024.0 / 1024.0,
            MAX_IMPORT_BYTES / 1024.0 / 1024.0
        )
    })
}

/// Profiles to a JSON file.
pub fn to_json(devices: Vec<Profile>) -> String {
    serde_json::to_string_pretty(&ProfileFile {
        format: FORMAT.into(),
        devices,
    })
    .unwrap_or_default()
}

/// Profiles saved by this page in localStorage (trusted: secrets and opt-ins are kept), or
/// a clear reason why not.
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

/// Profiles from an imported file: untrusted (no secrets, no opt-in to keep them, no
/// `user:pass@` broker URL, broker hosts to confirm), or a clear reason why not.
pub fn import_json(text: &str) -> Result<Vec<Profile>, String> {
    from_json(text)?
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.untrusted().map_err(|e| format!("device {}: {e}", i + 1)))
        .collect()
}

/// The localStorage key under which unreadable saved profiles are kept, at `now_ms`.
pub fn unreadable_backup_key(storage_key: &str, now_ms: u64) -> String {
    format!("{storage_key}.unreadable-{now_ms}")
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback_broker;

    #[test]
    fn only_this_machine_counts_as_loopback() {
        assert!(is_loopback_broker("ws://127.0.0.1:9001/mqtt"));
        assert!(is_loopback_broker("ws://localhost:9001"));
        assert!(is_loopback_broker("wss://[::1]:443/mqtt"));
        assert!(!is_loopback_broker("wss://broker.example.com/mqtt"));
        assert!(!is_loopback_broker("ws://127.0.0.1.evil.example:80/mqtt"));
    }
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

    #[test]
    fn exports_and_links_never_carry_the_opt_in() {
        let mut f = form_with_secret();
        f.keep_secrets = true;
        let exported = to_json(vec![Profile::of(&f, false)]);
        assert!(!exported.contains("keepSecrets") && !exported.contains("s3cret"));
        let stored = to_json(vec![Profile::of(&f, true)]);
        assert!(stored.contains("\"keepSecrets\": true") && stored.contains("s3cret"));
        let link = Profile::of(&f, true).to_link_param();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&link)
            .expect("base64");
        let json = String::from_utf8(json).expect("utf-8");
        assert!(
            !json.contains("keepSecrets") && !json.contains("s3cret"),
            "{json}"
        );
    }

    #[test]
    fn files_and_links_cannot_switch_secret_storage_on() {
        // A hostile file: secrets and the opt-in written by hand.
        let hostile = r#"{"format":"ackscope-profiles/1","devices":[{"brokerUrl":"wss://evil.example/mqtt","authMode":"password","username":"u","keepSecrets":true,"secrets":{"password":"planted"}}]}"#;
        let devices = import_json(hostile).expect("imported");
        assert!(!devices[0].keep_secrets && devices[0].secrets.is_none());
        assert!(devices[0].broker_unconfirmed);
        let mut f = DeviceForm::new(0, "ws://127.0.0.1:9001/mqtt");
        devices[0].apply(&mut f);
        assert!(!f.keep_secrets && f.auth.password.is_empty());
        assert!(f.broker_needs_confirm && needs_broker_confirm(&f));
        // The same through a link.
        let param = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            r#"{"brokerUrl":"wss://evil.example/mqtt","keepSecrets":true,"secrets":{"password":"planted"},"brokerUnconfirmed":false}"#,
        );
        let p = Profile::from_link_param(&param).expect("valid");
        assert!(!p.keep_secrets && p.secrets.is_none() && p.broker_unconfirmed);
        // localStorage (this page's own) keeps both.
        let stored = from_json(hostile).expect("read");
        assert!(stored[0].keep_secrets && stored[0].secrets.is_some());
    }

    #[test]
    fn broker_urls_with_credentials_are_refused() {
        assert!(has_userinfo("ws://user:pass@host:9001/mqtt"));
        assert!(has_userinfo(" wss://user@host/mqtt"));
        assert!(!has_userinfo("ws://host:9001/mqtt"));
        assert!(!has_userinfo("ws://host:9001/mqtt?x=a@b"));
        assert!(!has_userinfo("ws://host/path@thing"));
        assert!(broker_url_problem("ws://u:p@h/mqtt").is_some());
        assert!(broker_url_problem("ws://127.0.0.1:9001/mqtt").is_none());
        assert_eq!(
            broker_host("wss://u:p@broker.example:443/mqtt"),
            "broker.example:443"
        );
        assert_eq!(broker_host("ws://127.0.0.1:9001/mqtt"), "127.0.0.1:9001");
        let file = r#"{"format":"ackscope-profiles/1","devices":[{"brokerUrl":"ws://a/mqtt"},{"brokerUrl":"ws://admin:hunter2@b:1883/mqtt"}]}"#;
        let e = import_json(file).unwrap_err();
        assert!(e.contains("device 2") && e.contains("user:pass@"), "{e}");
        assert!(
            !e.contains("hunter2"),
            "the refusal does not repeat the password: {e}"
        );
        assert!(e.contains("ws://b:1883/mqtt"), "{e}");
        let param = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"brokerUrl":"ws://admin:hunter2@b/mqtt"}"#);
        let e = Profile::from_link_param(&param).unwrap_err();
        assert!(e.contains("refused") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn the_broker_to_confirm_depends_on_origin_and_credentials() {
        let mut f = DeviceForm::new(0, "ws://127.0.0.1:9001/mqtt");
        // Typed by the user: no confirmation.
        f.auth.mode = AuthMode::Password;
        assert!(!needs_broker_confirm(&f));
        // From a link, without credentials to send: no confirmation yet ...
        f.broker_needs_confirm = true;
        f.auth.mode = AuthMode::None;
        assert!(!needs_broker_confirm(&f));
        // ... but as soon as this connect would send some.
        f.auth.mode = AuthMode::AliyunSignature;
        assert!(needs_broker_confirm(&f));
        // A link without a broker URL keeps the page's own broker: nothing to confirm.
        let param = Profile {
            client_id: "c".into(),
            ..Default::default()
        }
        .to_link_param();
        assert!(
            !Profile::from_link_param(&param)
                .expect("valid")
                .broker_unconfirmed
        );
        // The mark survives a reload (localStorage) but never an export or a link.
        let stored = Profile::of(&f, true);
        assert!(stored.broker_unconfirmed);
        assert!(!to_json(vec![Profile::of(&f, false)]).contains("brokerUnconfirmed"));
        let mut g = DeviceForm::new(1, "ws://x/mqtt");
        from_json(&to_json(vec![stored])).expect("read")[0].apply(&mut g);
        assert!(g.broker_needs_confirm);
    }

    #[test]
    fn share_links_use_the_fragment() {
        let p = Profile {
            client_id: "dev".into(),
            ..Default::default()
        };
        let link = share_link("http://127.0.0.1:8080/", &p);
        assert!(
            link.starts_with("http://127.0.0.1:8080/#profile="),
            "{link}"
        );
        assert!(!link.contains('?'));
        let value = param(link.split_once('#').expect("fragment").1, LINK_KEY).expect("param");
        assert_eq!(
            Profile::from_link_param(value).expect("valid").client_id,
            "dev"
        );
        // Old links (`?profile=`) are still read.
        assert_eq!(param("?broker=x&profile=abc", "profile"), Some("abc"));
        assert_eq!(param("#profile=abc", "profile"), Some("abc"));
        assert_eq!(param("?profiles=abc", "profile"), None);
        assert_eq!(
            without_param("?broker=x&profile=abc", '?', "profile"),
            "?broker=x"
        );
        assert_eq!(without_param("#profile=abc", '#', "profile"), "");
        assert_eq!(without_param("", '#', "profile"), "");
        assert_eq!(without_param("?profiles=1", '?', "profile"), "?profiles=1");
    }

    #[test]
    fn big_files_are_refused_before_reading() {
        assert!(import_size_problem(1024.0).is_none());
        assert!(import_size_problem(MAX_IMPORT_BYTES).is_none());
        let e = import_size_problem(6.0 * 1024.0 * 1024.0).expect("refused");
        assert!(e.contains("6.0 MB") && e.contains("5 MB"), "{e}");
        assert_eq!(
            unreadable_backup_key("ackscope.profiles", 1700000000000),
            "ackscope.profiles.unreadable-1700000000000"
        );
    }
}
