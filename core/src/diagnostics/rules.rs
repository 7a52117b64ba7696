//! The rules, one function each. Rule ids are stable: the page shows them as `data-rule`.

use super::history::EndKind;
use super::{Bilingual as T, DeviceFacts, Finding, Severity};
use crate::auth::{check_aliyun_client_id, check_generic_client_id, check_shape};
use crate::profile::BrokerKind;
use crate::time::Millis;
use crate::topic::matches;

/// Two connects this close to a loss, repeated, look like a ClientId being kicked.
const KICK_WINDOW_MS: Millis = 5_000;
/// Look this far back for repeated kicks.
const KICK_LOOKBACK_MS: Millis = 60_000;
/// A pause this long between offline arrivals separates replay batches.
const BATCH_GAP_MS: Millis = 2_000;

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &'static str,
    severity: Severity,
    device: u32,
    at: Option<Millis>,
    evidence: T,
    explanation: T,
    fix: T,
) -> Finding {
    Finding {
        rule,
        severity,
        device,
        at,
        evidence,
        explanation,
        fix,
        remaining_ms: None,
    }
}

pub(super) fn per_device(now: Millis, d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    clean_session(d, out);
    qos0_granted(d, out);
    qos2_persistent(d, out);
    session_lost(d, out);
    client_id_invalid(d, out);
    client_id_changed(d, out);
    subscription_limit(d, out);
    ack_timeout_pending(now, d, out);
    batched_replay(d, out);
    auth_shape(d, out);
    qos_meaning(d, out);
}

pub(super) fn across_devices(now: Millis, devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    qos0_publish(devices, out);
    client_id_conflict(now, devices, out);
    published_before_subscribe(devices, out);
    topic_mismatch(devices, out);
}

fn clean_session(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let Some(last) = d.history.connects.last() else {
        return;
    };
    if last.clean_session && !d.settings.subscriptions.is_empty() {
        out.push(finding("clean-session", Severity::Warning, d.device, Some(last.at),
            T::new(format!("CONNECT with cleanSession=1 as {} while subscribing to {} filter(s)", last.client_id, d.settings.subscriptions.len()),
                   format!("以 cleanSession=1 连接({}),同时订阅了 {} 个主题过滤器", last.client_id, d.settings.subscriptions.len())),
            T::new("With cleanSession=1 the broker discards the session when the device goes away: subscriptions and every message published meanwhile are lost.",
                   "cleanSession=1 时,设备离开后服务端丢弃会话:订阅关系和期间发布的所有消息都会丢失。"),
            T::new("Connect the receiver with cleanSession off (false) and subscribe at QoS 1.",
                   "接收端以 cleanSession 关闭(false)连接,并以 QoS 1 订阅。")));
    }
}

fn qos0_granted(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    for s in d
        .settings
        .subscriptions
        .iter()
        .filter(|s| s.granted == Some(0))
    {
        out.push(finding("qos0-granted", Severity::Warning, d.device, None,
            T::new(format!("SUBACK granted QoS 0 for {} (asked {})", s.filter, s.requested),
                   format!("SUBACK 为 {} 授予 QoS 0(请求 {})", s.filter, s.requested)),
            T::new("Delivered QoS is min(published, granted). With QoS 0 granted, nothing is queued for this device while it is offline.",
                   "实际投递 QoS = min(发布 QoS, 授予 QoS)。授予 QoS 0 时,设备离线期间不会为其缓存任何消息。"),
            T::new("Subscribe at QoS 1, and check the broker's ACL or maximum QoS if it still grants 0.",
                   "以 QoS 1 订阅;若仍授予 0,请检查服务端的 ACL 或最大 QoS 设置。")));
    }
}

fn qos2_persistent(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let s = d.settings;
    let uses_qos2 = s.sub_qos_choice == 2
        || s.pub_qos_choice == 2
        || s.subscriptions.iter().any(|x| x.requested == 2);
    if !s.profile.supports_qos2_persistent && !s.clean_session && uses_qos2 {
        out.push(finding(
            "qos2-persistent",
            Severity::Error,
            d.device,
            None,
            T::new(
                "QoS 2 chosen with cleanSession off on a broker profile that does not support it",
                "在不支持的服务端配置下,cleanSession 关闭时选择了 QoS 2",
            ),
            T::new(
                "Alibaba Cloud MQ for IoT does not support QoS 2 with a persistent session.",
                "阿里云微消息队列 MQTT 版不支持持久会话下的 QoS 2。",
            ),
            T::new(
                "Use QoS 1 with cleanSession=false for offline messages.",
                "离线消息请使用 QoS 1 并设置 cleanSession=false。",
            ),
        ));
    }
}

fn session_lost(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let connects = &d.history.connects;
    let Some(last) = connects.last() else { return };
    let had_persistent = connects[..connects.len() - 1]
        .iter()
        .any(|c| !c.clean_session && c.client_id == last.client_id);
    if !last.clean_session && !last.session_present && had_persistent {
        out.push(finding("session-lost", Severity::Error, d.device, Some(last.at),
            T::new(format!("CONNACK Session Present = 0 for {} despite cleanSession=0 and an earlier persistent session", last.client_id),
                   format!("{} 以 cleanSession=0 重连,且此前有持久会话,但 CONNACK 的 Session Present = 0", last.client_id)),
            T::new("The broker no longer had this ClientId's session: its subscriptions and queued offline messages are gone (expired, broker restarted without persistence, or wiped by a clean connect).",
                   "服务端已没有该 ClientId 的会话:其订阅和缓存的离线消息都已丢失(过期、服务端无持久化重启,或被一次 clean 连接清除)。"),
            T::new("Check session expiry and broker persistence; never connect this ClientId with cleanSession=1; subscribe again (ackscope resubscribes on connect).",
                   "检查会话过期与服务端持久化;不要以 cleanSession=1 连接该 ClientId;重新订阅(ackscope 连接后会自动重新订阅)。")));
    }
}

fn client_id_invalid(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
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
                "Fix the ClientId: the broker refuses it or treats it as another device.",
                "修正 ClientId:服务端会拒绝它,或把它当作另一台设备。",
            ),
        ));
    }
}

fn client_id_changed(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let connects = &d.history.connects;
    let Some(last) = connects.last() else { return };
    if let Some(earlier) = connects
        .iter()
        .rev()
        .skip(1)
        .find(|c| !c.clean_session && c.client_id != last.client_id)
    {
        out.push(finding("client-id-changed", Severity::Warning, d.device, Some(last.at),
            T::new(format!("Reconnected as {} after a persistent session as {}", last.client_id, earlier.client_id),
                   format!("此前以 {} 建立持久会话,现以 {} 重连", earlier.client_id, last.client_id)),
            T::new("Sessions belong to a ClientId: messages queued for the old ClientId wait there, not here.",
                   "会话属于 ClientId:为旧 ClientId 缓存的消息留在旧会话里,不会投递到这里。"),
            T::new("Keep the ClientId stable across restarts (no random or time-based ClientIds).",
                   "重启前后保持 ClientId 不变(不要使用随机或基于时间的 ClientId)。")));
    }
}

fn subscription_limit(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let count = d.settings.subscriptions.len();
    if let Some(max) = d.settings.profile.max_subscriptions.filter(|m| count > *m) {
        out.push(finding("subscription-limit", Severity::Error, d.device, None,
            T::new(format!("{count} subscriptions; the broker profile allows {max}"), format!("{count} 个订阅;服务端配置上限为 {max}")),
            T::new("Subscriptions beyond the limit may be dropped silently: their messages never arrive.",
                   "超出上限的订阅可能被静默丢弃:其消息永远不会到达。"),
            T::new("Merge filters with wildcards (a wildcard filter counts as one).", "用通配符合并主题过滤器(一个通配符过滤器算一个)。")));
    }
}

fn ack_timeout_pending(now: Millis, d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let Some(last) = d.history.connects.last() else {
        return;
    };
    let ack_timeout = d.settings.profile.ack_timeout_ms;
    // A closed socket (Drop) is noticed by the broker at once; only a connection that went
    // silent or was lost to the network leaves messages waiting out the ack timeout.
    let Some((ended_at, kind)) = d
        .history
        .ends
        .iter()
        .rev()
        .find(|(at, k)| *at <= last.at && matches!(k, EndKind::Silent | EndKind::Lost))
    else {
        return;
    };
    let becomes_offline_at = ended_at + ack_timeout;
    if last.clean_session || last.at >= becomes_offline_at || now >= becomes_offline_at {
        return;
    }
    let how = match kind {
        EndKind::Silent => ("went silent", "静默"),
        _ => ("lost its connection", "连接丢失"),
    };
    let mut f = finding("ack-timeout-pending", Severity::Warning, d.device, Some(last.at),
        T::new(format!("Reconnected {:.1} s after it {}; the broker's ack timeout is {:.1} s", (last.at - ended_at) as f64 / 1000.0, how.0, ack_timeout as f64 / 1000.0),
               format!("{}后 {:.1} 秒即重连;服务端确认超时为 {:.1} 秒", how.1, (last.at - ended_at) as f64 / 1000.0, ack_timeout as f64 / 1000.0)),
        T::new("Messages pushed just before the connection went away count as in flight until the broker's ack timeout passes; only then do they become offline messages and come back.",
               "连接断开前刚推送的消息在服务端确认超时之前仍算作传输中;超时之后才会成为离线消息并重新投递。"),
        T::new("Expect them after the countdown; make devices close their connection cleanly so the broker knows at once.",
               "请在倒计时结束后等待它们到达;让设备正常关闭连接,使服务端立即知晓。"));
    f.remaining_ms = Some(becomes_offline_at - now);
    out.push(f);
}

fn batched_replay(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let arrivals = &d.history.offline_arrivals;
    let mut batches = vec![];
    let mut size = 0usize;
    for (i, at) in arrivals.iter().enumerate() {
        if i > 0 && at.saturating_sub(arrivals[i - 1]) >= BATCH_GAP_MS {
            batches.push(size);
            size = 0;
        }
        size += 1;
    }
    if size > 0 {
        batches.push(size);
    }
    if batches.len() >= 2 {
        let pacing = d
            .settings
            .profile
            .replay_batch
            .map(|(n, ms)| format!(" (profile: {n} every {:.0} s)", ms as f64 / 1000.0))
            .unwrap_or_default();
        out.push(finding("batched-replay", Severity::Info, d.device, arrivals.first().copied(),
            T::new(format!("Offline messages arrived in {} batches of {:?}{pacing}", batches.len(), batches),
                   format!("离线消息分 {} 批到达:{:?}", batches.len(), batches)),
            T::new("The broker paces the replay of queued messages (Alibaba: 30 every 5 s): a long queue takes a while to drain. They are not lost.",
                   "服务端分批重放缓存消息(阿里云:每 5 秒 30 条):队列较长时需要一段时间才能取完。消息并未丢失。"),
            T::new("Wait for the last batch; keep queues short by keeping consumers online.", "等待最后一批到达;让消费端保持在线以缩短队列。")));
    }
}

fn auth_shape(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    for p in check_shape(&d.settings.auth) {
        out.push(finding("auth-shape", Severity::Warning, d.device, None,
            p.text(),
            T::new("The broker compares the username and password with what it computes for this auth mode; a different shape is refused with CONNACK 4 or 5.",
                   "服务端按该鉴权模式计算并比对用户名与密码;形态不符会被 CONNACK 4 或 5 拒绝。"),
            p.fix()));
    }
}

fn qos_meaning(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let s = d.settings;
    if s.clean_session || (s.sub_qos_choice == 1 && s.pub_qos_choice == 1) {
        return;
    }
    out.push(finding("qos-meaning", Severity::Info, d.device, None,
        T::new(format!("cleanSession off with subscribe QoS {} and publish QoS {}", s.sub_qos_choice, s.pub_qos_choice),
               format!("cleanSession 关闭,订阅 QoS {},发布 QoS {}", s.sub_qos_choice, s.pub_qos_choice)),
        T::new("QoS 0: at most once, never queued for an offline device. QoS 1: at least once, queued and redelivered (duplicates possible). QoS 2: exactly once (not supported with persistent sessions on Alibaba). There is no QoS 3.",
               "QoS 0:最多一次,设备离线时不缓存。QoS 1:至少一次,会缓存并重投(可能重复)。QoS 2:仅一次(阿里云持久会话不支持)。不存在 QoS 3。"),
        T::new("For offline messages use QoS 1 on both the publish and the subscription.", "离线消息请在发布和订阅两端都使用 QoS 1。")));
}

fn qos0_publish(devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for sender in devices {
        // The latest publish to each topic decides: a later QoS 1 publish clears it. Walking
        // back, the first publish seen for a topic is its latest.
        let mut seen = std::collections::HashSet::new();
        let Some((at, topic, _)) = sender
            .history
            .publishes
            .iter()
            .rev()
            .filter(|(_, t, _)| seen.insert(t.as_str()))
            .find(|(_, _, q)| *q == 0)
        else {
            continue;
        };
        let receiver = devices.iter().find(|r| {
            r.device != sender.device
                && !r.settings.clean_session
                && r.settings
                    .subscriptions
                    .iter()
                    .any(|s| matches(&s.filter, topic))
                && !r.history.online_at(*at)
        });
        if let Some(r) = receiver {
            out.push(finding("qos0-publish", Severity::Error, sender.device, Some(*at),
                T::new(format!("Published to {topic} at QoS 0 while device {} (a persistent subscriber) was offline", r.device + 1),
                       format!("设备 {}(持久订阅者)离线时以 QoS 0 发布到 {topic}", r.device + 1)),
                T::new("QoS 0 messages are never queued for offline devices: this one is lost for that receiver.",
                       "QoS 0 消息不会为离线设备缓存:该接收端将丢失这条消息。"),
                T::new("Publish at QoS 1.", "以 QoS 1 发布。")));
        }
    }
}

fn client_id_conflict(now: Millis, devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for d in devices {
        let Some(last) = d.history.connects.last() else {
            continue;
        };
        let twin = devices.iter().find(|o| {
            o.device != d.device
                && o.history
                    .connects
                    .last()
                    .is_some_and(|c| c.client_id == last.client_id)
                && o.history.online_now()
                && d.history.online_now()
        });
        let kicks = d
            .history
            .connects
            .iter()
            .filter(|c| c.at + KICK_LOOKBACK_MS >= now && c.client_id == last.client_id)
            .filter(|c| {
                d.history.ends.iter().any(|(at, k)| {
                    *k == EndKind::Lost && *at >= c.at && *at <= c.at + KICK_WINDOW_MS
                })
            })
            .count();
        if twin.is_some() || kicks >= 2 {
            let other = twin
                .map(|o| format!("device {}", o.device + 1))
                .unwrap_or_else(|| "another client".into());
            let other_zh = twin
                .map(|o| format!("设备 {}", o.device + 1))
                .unwrap_or_else(|| "另一个客户端".into());
            out.push(finding("client-id-conflict", Severity::Error, d.device, Some(last.at),
                T::new(format!("ClientId {} is used by {other} too: closed right after connecting {kicks} time(s) in the last minute", last.client_id),
                       format!("ClientId {} 同时被{other_zh}使用:最近一分钟内 {kicks} 次连接后随即被断开", last.client_id)),
                T::new("A broker keeps one connection per ClientId: each new connection kicks the other, and both keep reconnecting. Messages go to whichever is connected.",
                       "服务端每个 ClientId 只保留一个连接:新连接会踢掉旧连接,两者不断重连。消息只会发给当时在线的那个。"),
                T::new("Give every device its own ClientId (GroupId@@@DeviceId with a unique DeviceId).",
                       "为每台设备使用独立的 ClientId(GroupId@@@DeviceId,DeviceId 唯一)。")));
        }
    }
}

fn published_before_subscribe(devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for r in devices {
        for (filter, subscribed_at) in &r.history.first_subscribed {
            let earlier = devices
                .iter()
                .filter(|s| s.device != r.device)
                .find_map(|s| {
                    s.history
                        .publishes
                        .iter()
                        .find(|(at, topic, qos)| {
                            *qos >= 1 && *at < *subscribed_at && matches(filter, topic)
                        })
                        .map(|p| (s.device, p))
                });
            if let Some((sender, (at, topic, _))) = earlier {
                out.push(finding("published-before-subscribe", Severity::Warning, r.device, Some(*at),
                    T::new(format!("Device {} published to {topic} before this device first subscribed to {filter}", sender + 1),
                           format!("设备 {} 在本设备首次订阅 {filter} 之前就发布到了 {topic}", sender + 1)),
                    T::new("A broker queues messages only for sessions that already have a matching subscription: what was published earlier is never delivered here.",
                           "服务端只为已有匹配订阅的会话缓存消息:之前发布的消息永远不会投递到这里。"),
                    T::new("Start consumers (subscribe once with cleanSession off) before producers publish.",
                           "先启动消费端(以 cleanSession 关闭订阅一次),再让生产端发布。")));
            }
        }
    }
}

fn normalised(topic: &str) -> String {
    topic.trim_matches('/').to_lowercase()
}

fn topic_mismatch(devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for sender in devices {
        let Some((at, topic, _)) = sender.history.publishes.last() else {
            continue;
        };
        let receivers: Vec<_> = devices
            .iter()
            .filter(|r| r.device != sender.device && !r.settings.subscriptions.is_empty())
            .collect();
        if receivers.is_empty()
            || receivers.iter().any(|r| {
                r.settings
                    .subscriptions
                    .iter()
                    .any(|s| matches(&s.filter, topic))
            })
        {
            continue;
        }
        let closest = receivers
            .iter()
            .flat_map(|r| r.settings.subscriptions.iter())
            .find(|s| normalised(&s.filter) == normalised(topic))
            .or_else(|| {
                receivers
                    .iter()
                    .flat_map(|r| r.settings.subscriptions.iter())
                    .next()
            })
            .map(|s| s.filter.clone())
            .unwrap_or_default();
        out.push(finding("topic-mismatch", Severity::Warning, sender.device, Some(*at),
            T::new(format!("Published to \"{topic}\", which matches no subscription on this page (closest: \"{closest}\")"),
                   format!("发布到“{topic}”,与本页任何订阅都不匹配(最接近:“{closest}”)")),
            T::new("Topics match level by level and exactly: a trailing slash (as in topic + \"/notice/\") or a different case is another topic.",
                   "主题逐级精确匹配:末尾多一个斜杠(如 topic + \"/notice/\")或大小写不同都是另一个主题。"),
            T::new("Publish to exactly the subscribed topic, or subscribe with a wildcard that covers it.",
                   "发布到与订阅完全一致的主题,或用覆盖它的通配符订阅。")));
    }
}
