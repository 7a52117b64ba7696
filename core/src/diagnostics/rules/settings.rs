//! Advice from the form (before a connect) and from the QoS a device used: client-id-invalid,
//! auth-shape, qos2-persistent, qos-meaning.

use super::{broker_facts, finding, T};
use crate::auth::{
    check_aliyun_client_id, check_generic_client_id, check_shape, credentials, AuthInput, AuthMode,
};
use crate::check::{Fact, QOS0_PUBLISH_CHECK, QOS2_CHECK};
use crate::diagnostics::{DeviceFacts, Finding, Severity};
use crate::profile::BrokerKind;

pub(super) fn client_id_invalid(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let s = d.settings;
    let problems = match s.profile.kind {
        BrokerKind::Aliyun => check_aliyun_client_id(&s.auth.client_id),
        BrokerKind::Generic => check_generic_client_id(&s.auth.client_id, s.clean_session),
    };
    for p in problems {
        out.push(finding(
            "client-id-invalid",
            Severity::Error,
            d.device,
            None,
            T::new(
                format!("ClientId \"{}\"", s.auth.client_id),
                format!("ClientId“{}”", s.auth.client_id),
            ),
            p.text(),
            T::new(
                "Correct the ClientId: the broker refuses it or treats it as another device.",
                "更正 ClientId:服务端会拒绝它,或把它当作另一台设备。",
            ),
        ));
    }
}

/// `auth-shape`: the username and password the next CONNECT will carry, checked against the
/// form an Alibaba mode needs. In the Alibaba modes ackscope builds both (the hidden
/// username and password fields are not sent, so they are not checked); in password mode
/// they are sent as typed, whitespace included.
pub(super) fn auth_shape(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let auth = &d.settings.auth;
    let Ok(creds) = credentials(auth) else {
        return; // the fields say what is missing
    };
    let sent = AuthInput {
        mode: if auth.mode == AuthMode::None {
            AuthMode::None
        } else {
            AuthMode::Password
        },
        username: creds.username.clone().unwrap_or_default(),
        password: creds.password.clone().unwrap_or_default(),
        ..auth.clone()
    };
    let explanation = T::new(
        "The broker compares the username and password with what it computes for this auth mode; a different shape is refused with CONNACK 4 or 5.",
        "服务端按该鉴权模式计算并比对用户名与密码;形态不符会被 CONNACK 4 或 5 拒绝。",
    );
    let problems = check_shape(&sent);
    let asks_alibaba = auth.mode == AuthMode::Password
        && ["Signature|", "Token|", "DeviceCredential|"]
            .iter()
            .any(|p| sent.username.starts_with(p));
    let password = &sent.password;
    if asks_alibaba && password.trim() != password.as_str() {
        out.push(finding("auth-shape", Severity::Warning, d.device, None,
            T::new(format!("The password has {} space or line-break character(s) around it, and is sent as typed", password.chars().count() - password.trim().chars().count()),
                   format!("密码首尾有 {} 个空格或换行字符,会按原样发送", password.chars().count() - password.trim().chars().count())),
            explanation.clone(),
            T::new("Remove the spaces or line breaks around the password: a signature or token never has any.",
                   "删除密码首尾的空格或换行:签名和 Token 中都不会有这些字符。")));
    }
    for p in problems {
        out.push(finding(
            "auth-shape",
            Severity::Warning,
            d.device,
            None,
            p.text(),
            explanation.clone(),
            p.fix(),
        ));
    }
}

/// QoS values this device used on its latest connection, if that connection was persistent:
/// (subscribe QoS, publish QoS).
fn qos_used_persistently(d: &DeviceFacts<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    let c = d.history.connects.last().filter(|c| !c.clean_session)?;
    let mut sub: Vec<u8> = d
        .history
        .subscribes
        .iter()
        .filter(|s| s.at >= c.at)
        .map(|s| s.qos)
        .collect();
    let mut publ: Vec<u8> = d
        .history
        .publishes
        .iter()
        .filter(|p| p.at >= c.at)
        .map(|p| p.qos)
        .collect();
    for v in [&mut sub, &mut publ] {
        v.sort_unstable();
        v.dedup();
    }
    Some((sub, publ))
}

fn qos_list(v: &[u8]) -> String {
    v.iter().map(u8::to_string).collect::<Vec<_>>().join("/")
}

/// `qos2-persistent`: QoS 2 used (subscribed or published) on a persistent connection of a
/// broker that does not support it.
pub(super) fn qos2_persistent(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    if d.settings.profile.supports_qos2_persistent {
        return;
    }
    let Some((sub, publ)) = qos_used_persistently(d) else {
        return;
    };
    let what = match (sub.contains(&2), publ.contains(&2)) {
        (true, true) => ("subscribed and published", "订阅并发布"),
        (true, false) => ("subscribed", "订阅"),
        (false, true) => ("published", "发布"),
        (false, false) => return,
    };
    out.push(finding("qos2-persistent", Severity::Warning, d.device, d.history.connects.last().map(|c| c.at),
        T::new(format!("{} at QoS 2 with cleanSession=0 on a broker profile that does not support it", capitalised(what.0)),
               format!("在不支持的服务端上以 cleanSession=0 按 QoS 2 {}", what.1)),
        T::new("Alibaba Cloud MQ for IoT does not support QoS 2 with a persistent session: offline messages are not kept that way.",
               "阿里云微消息队列 MQTT 版不支持持久会话下的 QoS 2:这样不会保留离线消息。"),
        T::new("Use QoS 1 with cleanSession=false for offline messages.",
               "离线消息请使用 QoS 1 并设置 cleanSession=false。")));
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `qos-meaning`: a persistent device used a QoS other than 1 (what it actually sent). What
/// QoS 0 and QoS 2 mean offline is the broker's: measured when a check ran, else assumed.
pub(super) fn qos_meaning(
    d: &DeviceFacts<'_>,
    devices: &[DeviceFacts<'_>],
    out: &mut Vec<Finding>,
) {
    let Some((sub, publ)) = qos_used_persistently(d) else {
        return;
    };
    if sub.iter().chain(&publ).all(|q| *q == 1) {
        return;
    }
    let mut en = Vec::new();
    let mut zh = Vec::new();
    if !sub.is_empty() {
        en.push(format!("SUBSCRIBE at QoS {}", qos_list(&sub)));
        zh.push(format!("以 QoS {} 订阅", qos_list(&sub)));
    }
    if !publ.is_empty() {
        en.push(format!("PUBLISH at QoS {}", qos_list(&publ)));
        zh.push(format!("以 QoS {} 发布", qos_list(&publ)));
    }
    let at = d.history.connects.last().map(|c| c.at);
    let facts = broker_facts(devices, d, at.unwrap_or(0));
    let q0 = facts.label(&facts.qos0_publish_kept, QOS0_PUBLISH_CHECK);
    let (q0_en, q0_zh) = if *facts.qos0_publish_kept.value() {
        (format!("QoS 0: at most once; this broker keeps it for an offline persistent session ({}), but never acknowledges or resends it.", q0.en),
         format!("QoS 0:最多一次;该服务端会为离线持久会话保留它({}),但不确认也不重发。", q0.zh))
    } else {
        (
            format!(
                "QoS 0: at most once, never queued for an offline device ({}).",
                q0.en
            ),
            format!("QoS 0:最多一次,设备离线时不缓存({})。", q0.zh),
        )
    };
    let q2 = facts.label(&facts.qos2_downgraded, QOS2_CHECK);
    let (q2_en, q2_zh) = match facts.qos2_downgraded {
        Fact::Measured(Some(true)) => (
            format!("QoS 2: exactly once by the protocol, but this broker delivers it as QoS 1 ({}): expect duplicates.", q2.en),
            format!("QoS 2:协议上仅一次,但该服务端以 QoS 1 投递({}):可能重复。", q2.zh)),
        Fact::Measured(Some(false)) => (
            format!("QoS 2: exactly once, kept as QoS 2 by this broker ({}).", q2.en),
            format!("QoS 2:仅一次,该服务端按 QoS 2 保留({})。", q2.zh)),
        _ => ("QoS 2: exactly once (not supported with persistent sessions on Alibaba; some brokers, such as RabbitMQ, deliver it as QoS 1).".to_string(),
              "QoS 2:仅一次(阿里云持久会话不支持;部分服务端,例如 RabbitMQ,以 QoS 1 投递)。".to_string()),
    };
    out.push(finding("qos-meaning", Severity::Info, d.device, at,
        T::new(format!("cleanSession=0 with {}", en.join(" and ")),
               format!("cleanSession=0,{}", zh.join(","))),
        T::new(format!("{q0_en} QoS 1: at least once, queued and redelivered (duplicates possible). {q2_en} There is no QoS 3."),
               format!("{q0_zh}QoS 1:至少一次,会缓存并重投(可能重复)。{q2_zh}不存在 QoS 3。")),
        T::new("For offline messages use QoS 1 on both the publish and the subscription.", "离线消息请在发布和订阅两端都使用 QoS 1。")));
}
