//! What was published and what came: qos0-publish, publish-abandoned, retained-replay,
//! packet-id-reuse, batched-replay.

use super::{broker_at, broker_facts, filter_matches, finding, list, name, secs, T};
use crate::check::QOS0_PUBLISH_CHECK;
use crate::diagnostics::history::MessageRecord;
use crate::diagnostics::{DeviceFacts, Finding, Severity};
use crate::time::Millis;
use std::collections::HashMap;

/// A replay is judged this long after the CONNACK that starts it.
const REPLAY_SETTLE_MS: Millis = 2_000;
/// A pause this long between arrivals separates replay batches.
const BATCH_GAP_MS: Millis = 2_000;
/// An ack this late is the client's own pacing.
const SLOW_ACK_MS: Millis = 1_000;
/// A batch that starts this soon after one of the client's acks was waiting for that ack.
const AFTER_ACK_MS: Millis = 500;

/// `qos0-publish`: QoS 0 messages published while a persistent subscriber (on the same
/// broker) was offline. A warning while it is away (most brokers keep no QoS 0 for an
/// offline session: mosquitto's default, not RabbitMQ's); an error once it came back with
/// its session and they did not; nothing when they came back. A later QoS 1 publish to the
/// topic means the sender changed: older ones no longer count.
pub(super) fn qos0_publish(now: Millis, devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    // Whether a return brought back what was published to a topic while the receiver was
    // away: (receiver, return connect, topic) -> came back.
    let mut came_back_cache: HashMap<(u32, Millis, &str), bool> = HashMap::new();
    for s in devices {
        let pubs = &s.history.publishes;
        // The latest QoS>0 publish per topic: QoS 0 ones before it no longer count.
        let mut last_qos1: HashMap<&str, Millis> = HashMap::new();
        for p in pubs.iter().filter(|p| p.qos >= 1) {
            last_qos1.insert(&p.topic, p.at);
        }
        // (receiver, lost, pending, first at, topics)
        let mut per_receiver: Vec<(u32, usize, usize, Millis, Vec<&str>)> = Vec::new();
        for p in pubs.iter().filter(|p| p.qos == 0 && !p.retain) {
            if last_qos1
                .get(p.topic.as_str())
                .is_some_and(|at| *at >= p.at)
            {
                continue;
            }
            let broker = broker_at(s, p.at);
            for r in devices.iter().filter(|r| r.device != s.device) {
                let rh = r.history;
                if rh.online_at(p.at)
                    || broker_at(r, p.at) != broker
                    || !rh
                        .held_at(p.at)
                        .any(|x| filter_matches(&x.filter, &p.topic))
                {
                    continue;
                }
                let ret = rh.connects.iter().find(|c| c.at > p.at);
                let outcome = match ret {
                    None => Some(false),
                    Some(c) if !c.session_present => None, // session-lost says it
                    Some(c) if now < c.at + REPLAY_SETTLE_MS => Some(false),
                    Some(c) => {
                        let came_back = *came_back_cache
                            .entry((r.device, c.at, p.topic.as_str()))
                            .or_insert_with(|| {
                                // Arrivals on the topic after the return, before anyone
                                // published to it again, are what the broker kept.
                                let bound = devices
                                    .iter()
                                    .flat_map(|d| d.history.publishes.iter())
                                    .filter(|q| q.topic == p.topic && q.at >= c.at)
                                    .map(|q| q.at)
                                    .min();
                                rh.messages.iter().any(|m| {
                                    !m.dead
                                        && m.topic == p.topic
                                        && m.at >= c.at
                                        && bound.is_none_or(|b| m.at < b)
                                })
                            });
                        (!came_back).then_some(true)
                    }
                };
                let Some(lost) = outcome else { continue };
                let entry = match per_receiver.iter_mut().find(|e| e.0 == r.device) {
                    Some(e) => e,
                    None => {
                        per_receiver.push((r.device, 0, 0, p.at, Vec::new()));
                        per_receiver.last_mut().expect("just pushed")
                    }
                };
                if lost {
                    entry.1 += 1;
                } else {
                    entry.2 += 1;
                }
                entry.3 = entry.3.min(p.at);
                if !entry.4.contains(&p.topic.as_str()) {
                    entry.4.push(&p.topic);
                }
            }
        }
        for (receiver, lost, pending, first, topics) in per_receiver {
            let (en, zh) = name(receiver);
            let Some(r) = devices.iter().find(|r| r.device == receiver) else {
                continue;
            };
            let facts = broker_facts(devices, r, first);
            let label = facts.label(&facts.qos0_publish_kept, QOS0_PUBLISH_CHECK);
            let kept = *facts.qos0_publish_kept.value();
            let (severity, ev_en, ev_zh) = if lost > 0 {
                (Severity::Error,
                 format!("{lost} QoS 0 message(s) to {} were published while {en} (a persistent subscriber) was offline, and did not arrive when it came back with its session", list(&topics, 3)),
                 format!("{zh}(持久订阅者)离线时以 QoS 0 发布到 {} 的 {lost} 条消息,在它带着会话回来后没有到达", list(&topics, 3)))
            } else {
                // A broker measured to keep QoS 0 offline will deliver them: advice, not loss.
                (if kept { Severity::Info } else { Severity::Warning },
                 format!("{pending} QoS 0 message(s) to {} were published while {en} (a persistent subscriber) was offline", list(&topics, 3)),
                 format!("{zh}(持久订阅者)离线时以 QoS 0 发布了 {pending} 条消息到 {}", list(&topics, 3)))
            };
            let explanation = match (kept, lost > 0) {
                (false, _) => T::new(
                    format!("This broker keeps no QoS 0 message for an offline session ({}; mosquitto's default is queue_qos0_messages false, while RabbitMQ keeps them): they are lost for that receiver.", label.en),
                    format!("该服务端不为离线会话保留 QoS 0 消息({};mosquitto 默认 queue_qos0_messages 为 false,而 RabbitMQ 会保留):对该接收端而言它们已丢失。", label.zh)),
                (true, false) => T::new(
                    format!("This broker keeps QoS 0 messages for an offline persistent session ({}): expect them when {en} comes back, at QoS 0, never acknowledged or resent.", label.en),
                    format!("该服务端会为离线持久会话保留 QoS 0 消息({}):{zh} 回来时应会收到,但以 QoS 0 投递,不确认也不重发。", label.zh)),
                (true, true) => T::new(
                    format!("This broker keeps QoS 0 messages for an offline persistent session ({}), so they were not dropped for being QoS 0: look for an offline queue limit, a subscription granted at QoS 0, or messages that expired.", label.en),
                    format!("该服务端会为离线持久会话保留 QoS 0 消息({}),所以它们并非因 QoS 0 被丢弃:请检查离线队列上限、以 QoS 0 授予的订阅或消息过期。", label.zh)),
            };
            out.push(finding(
                "qos0-publish",
                severity,
                s.device,
                Some(first),
                T::new(ev_en, ev_zh),
                explanation,
                T::new(
                    "Publish at QoS 1 (and subscribe at QoS 1).",
                    "以 QoS 1 发布(并以 QoS 1 订阅)。",
                ),
            ));
        }
    }
}

/// `publish-abandoned`: unacknowledged QoS 1/2 publishes the client gave up because the
/// broker answered Session Present = 0.
pub(super) fn publish_abandoned(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let all: Vec<&(u16, Option<String>)> = d
        .history
        .abandoned
        .iter()
        .flat_map(|a| a.publishes.iter())
        .collect();
    let Some(last) = d.history.abandoned.last() else {
        return;
    };
    let ids: Vec<String> = all.iter().map(|(id, _)| id.to_string()).collect();
    let mut topics: Vec<&str> = all.iter().filter_map(|(_, t)| t.as_deref()).collect();
    topics.sort_unstable();
    topics.dedup();
    out.push(finding("publish-abandoned", Severity::Warning, d.device, Some(last.at),
        T::new(format!("Session Present = 0: {} unacknowledged QoS 1/2 publish(es) given up (packet ids {}; topics {})", all.len(), list(&ids, 8), list(&topics, 3)),
               format!("Session Present = 0:放弃了 {} 条未确认的 QoS 1/2 发布(报文 ID {};主题 {})", all.len(), list(&ids, 8), list(&topics, 3))),
        T::new("Without its session the broker cannot take a resend (DUP=1) of them, so the client drops them. Whether the broker got each before the connection ended is unknown (only its ack is missing): each may be lost.",
               "没有会话,服务端无法接收它们的重发(DUP=1),客户端因此丢弃了它们。服务端在连接断开前是否已收到无从得知(只是缺少确认):每条都可能已丢失。"),
        T::new("Publish them again as new messages after a Session Present = 0; keep the sender's session persistent (cleanSession=0) so unacknowledged messages are resent after a reconnect.",
               "在 Session Present = 0 之后把它们作为新消息重新发布;发送端保持持久会话(cleanSession=0),重连后未确认的消息才会重发。")));
}

/// `retained-replay`: a retained message this device had already received, delivered again
/// (the resubscribe after each connect, MQTT 3.1.1 3.8.4-3).
pub(super) fn retained_replay(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let replays: Vec<&MessageRecord> = d
        .history
        .messages
        .iter()
        .filter(|m| m.retain && !m.dead && (m.seen_before || m.retained_copy))
        .collect();
    let Some(last) = replays.last() else {
        return;
    };
    let (pair_en, pair_zh) = if last.retained_copy {
        (
            " right after its stored copy (RETAIN=0) in the same replay",
            ",紧跟在同一次重放中它的缓存副本(RETAIN=0)之后",
        )
    } else {
        ("", "")
    };
    out.push(finding("retained-replay", Severity::Info, d.device, Some(last.at),
        T::new(format!("{} retained message(s) arrived again (RETAIN=1) after this device had received them, the last on {}{pair_en}", replays.len(), last.topic),
               format!("{} 条保留消息在本设备已收到后再次到达(RETAIN=1),最后一条在 {}{pair_zh}", replays.len(), last.topic)),
        T::new("Every SUBSCRIBE makes the broker send the topic's retained message again (MQTT 3.1.1, 3.8.4-3), so a client that resubscribes after each connect gets it each time; a retained message published while a persistent subscriber was away even arrives twice: the stored copy, then the retained one.",
               "每次 SUBSCRIBE 都会让服务端再次发送该主题的保留消息(MQTT 3.1.1,3.8.4-3),所以每次连接后都重新订阅的客户端每次都会收到它;持久订阅者离开期间发布的保留消息甚至会到达两次:先是缓存副本,再是保留副本。"),
        T::new("Make the consumer idempotent; skip the resubscribe when Session Present = 1 (the broker kept the subscriptions); or clear the retained message (an empty retained publish) once handled.",
               "让消费端幂等;Session Present = 1 时不必重新订阅(服务端保留了订阅);或在处理后清除保留消息(发布一条空的保留消息)。")));
}

/// `packet-id-reuse`: the broker sent a new PUBLISH (DUP=0) with a packet id still
/// unacknowledged.
pub(super) fn packet_id_reuse(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let reuses = &d.history.id_reuse;
    let Some((at, _)) = reuses.last() else {
        return;
    };
    let ids: Vec<String> = reuses.iter().map(|(_, id)| id.to_string()).collect();
    out.push(finding("packet-id-reuse", Severity::Error, d.device, Some(*at),
        T::new(format!("The broker sent {} new PUBLISH(es) (DUP=0) with a packet id still unacknowledged: {}", reuses.len(), list(&ids, 8)),
               format!("服务端发送了 {} 个新的 PUBLISH(DUP=0),其报文 ID 仍未被确认:{}", reuses.len(), list(&ids, 8))),
        T::new("A packet id stays in use until its ack (MQTT 3.1.1, 2.3.1). Reusing one makes the ack ambiguous: a client may take the new message for a resend of the old or ack the wrong one, and delivery stalls. mosquitto 2.0.11 does this past 65,535 queued messages.",
               "报文 ID 在收到确认前一直被占用(MQTT 3.1.1,2.3.1)。重用它会让确认产生歧义:客户端可能把新消息当成旧消息的重发,或确认错消息,投递随之停滞。mosquitto 2.0.11 在排队消息超过 65,535 条时会这样。"),
        T::new("Keep the offline queue well below 65,535 messages (max_queued_messages), ack promptly, and upgrade the broker.",
               "让离线队列远低于 65,535 条(max_queued_messages),及时确认,并升级服务端。")));
}

/// Whether an arrival counts as part of a replay: returned with the session, or a probe sent
/// before the CONNACK.
fn replayed(m: &MessageRecord, connack_at: Millis) -> bool {
    m.returned
        || m.probe
            .as_ref()
            .is_some_and(|(_, _, sent)| *sent < connack_at)
}

/// `batched-replay`: after the latest Session Present = 1, stored messages came in batches
/// with pauses between them (Alibaba: 30 every 5 s). Not when the pauses were waiting for
/// this device's own late acks.
pub(super) fn batched_replay(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let Some(c) = h.connects.last().filter(|c| c.session_present) else {
        return;
    };
    let arrivals: Vec<&MessageRecord> = h
        .messages
        .iter()
        .filter(|m| m.at >= c.at && !m.dead && !m.retain && m.qos >= 1)
        .collect();
    let mut bursts: Vec<Vec<&MessageRecord>> = Vec::new();
    for m in arrivals {
        match bursts.last_mut() {
            Some(b) if m.at.saturating_sub(b.last().map_or(0, |x| x.at)) < BATCH_GAP_MS => {
                b.push(m)
            }
            _ => bursts.push(vec![m]),
        }
    }
    let profile_batch = d.settings.profile.replay_batch;
    let mut replay: Vec<&Vec<&MessageRecord>> = Vec::new();
    for b in &bursts {
        let qualifies = match replay.last() {
            None => b.iter().any(|m| replayed(m, c.at)),
            Some(prev) => {
                let expected = profile_batch.map_or(prev.len(), |(n, _)| n);
                let interval = profile_batch.map_or(BATCH_GAP_MS * 5, |(_, ms)| ms);
                let paced = prev.len() == expected
                    && (profile_batch.is_some() || prev.len() >= 10)
                    && b[0].at.saturating_sub(prev[0].at) <= interval * 3 / 2;
                b.iter().any(|m| replayed(m, c.at)) || paced
            }
        };
        if !qualifies {
            break;
        }
        replay.push(b);
    }
    if replay.len() < 2 {
        return;
    }
    // A batch that starts right after one of this device's late acks waited for that ack.
    let client_paced = replay.windows(2).any(|w| {
        let start = w[1][0].at;
        w[0].iter().any(|m| {
            m.acked_at.is_some_and(|a| {
                a.saturating_sub(m.at) >= SLOW_ACK_MS && a <= start && start - a <= AFTER_ACK_MS
            })
        })
    });
    if client_paced {
        return;
    }
    let sizes: Vec<String> = replay.iter().map(|b| b.len().to_string()).collect();
    let span = replay
        .last()
        .and_then(|b| b.last())
        .map_or(0, |m| m.at.saturating_sub(c.at));
    let pacing = profile_batch
        .map(|(n, ms)| {
            (
                format!(" (profile: {n} every {})", secs(ms)),
                format!("(服务端配置:每 {} {n} 条)", secs(ms)),
            )
        })
        .unwrap_or_default();
    out.push(finding("batched-replay", Severity::Info, d.device, Some(c.at),
        T::new(format!("Offline messages arrived in {} batches of {} over {}{}", replay.len(), sizes.join(", "), secs(span), pacing.0),
               format!("离线消息在 {} 内分 {} 批到达:{}{}", secs(span), replay.len(), sizes.join("、"), pacing.1)),
        T::new("The broker paces the replay of queued messages (Alibaba: 30 every 5 s): a long queue takes a while to drain. They are not lost.",
               "服务端分批重放缓存消息(阿里云:每 5 秒 30 条):队列较长时需要一段时间才能取完。消息并未丢失。"),
        T::new("Wait for the last batch; keep queues short by keeping consumers online.", "等待最后一批到达;让消费端保持在线以缩短队列。")));
}
