//! The connection and its session: clean-session, session-lost, client-id-changed,
//! client-id-conflict, reconnect-loop.

use super::{broker_at, broker_of, filter_matches, finding, list, name, secs, T};
use crate::diagnostics::history::{EndKind, EndRecord};
use crate::diagnostics::{DeviceFacts, Finding, Severity};
use crate::framing::PacketKind;
use crate::session::CloseReason;
use crate::time::Millis;

/// Look this far back for connections the broker closed.
const KICK_LOOKBACK_MS: Millis = 120_000;
/// A close this soon after this device's own PUBLISH is the broker answering that PUBLISH.
const OWN_PACKET_MS: Millis = 1_000;
/// A connection that stayed up this long was healthy (the session's own threshold).
const STABLE_MS: Millis = 30_000;
/// The same failure this many times in a row is a loop, not the network.
const LOOP_RUN: usize = 3;

/// `clean-session`: subscriptions made on a cleanSession=1 connection. Info while that
/// connection is up (a live dashboard loses nothing); a warning once the device went away
/// and came back (whatever was published meanwhile was not kept); an error when a device on
/// this page published matching messages while it was away.
pub(super) fn clean_session(devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for d in devices {
        let h = d.history;
        let clean_with_subs =
            |i: &usize| h.connects[*i].clean_session && h.held.iter().any(|s| s.connect == *i);
        // The latest clean connection with subscriptions that ended (the device went away
        // after it), else the live one.
        let Some(i) = (0..h.connects.len())
            .rev()
            .filter(clean_with_subs)
            .find(|&i| h.end_of(i).is_some())
            .or_else(|| (0..h.connects.len()).rev().find(clean_with_subs))
        else {
            continue;
        };
        let c = &h.connects[i];
        if h.connects[i + 1..]
            .iter()
            .any(|n| !n.clean_session && n.session_present)
        {
            continue; // a persistent session resumed since: fixed
        }
        let mut filters: Vec<&str> = h
            .held
            .iter()
            .filter(|s| s.connect == i)
            .map(|s| s.filter.as_str())
            .collect();
        filters.sort_unstable();
        filters.dedup();
        let broker = broker_of(d, c);
        let Some(end) = h.end_of(i) else {
            out.push(finding("clean-session", Severity::Info, d.device, Some(c.at),
                T::new(format!("Connected with cleanSession=1 as {} and subscribed to {}", c.client_id, list(&filters, 3)),
                       format!("以 cleanSession=1 连接({})并订阅了 {}", c.client_id, list(&filters, 3))),
                T::new("Fine for a live view. With cleanSession=1 the broker discards the session when the connection ends: subscriptions and every message published while the device is away are not kept.",
                       "用于实时查看没有问题。cleanSession=1 时连接一结束服务端就丢弃会话:订阅关系以及设备离开期间发布的消息都不会保留。"),
                T::new("If this device must get what is published while it is offline, connect it with cleanSession off (false) and subscribe at QoS 1.",
                       "若该设备需要收到离线期间发布的消息,请以 cleanSession 关闭(false)连接,并以 QoS 1 订阅。")));
            continue;
        };
        let away_from = end.at;
        let back = h.connects.get(i + 1);
        let away_to = back.map(|b| b.at);
        let mut lost = 0usize;
        let mut first: Option<(Millis, u32, &str)> = None;
        for s in devices.iter().filter(|s| s.device != d.device) {
            for p in s.history.publishes.iter().filter(|p| {
                p.qos >= 1
                    && p.at >= away_from
                    && away_to.is_none_or(|t| p.at < t)
                    && filters.iter().any(|f| filter_matches(f, &p.topic))
                    && broker_at(s, p.at) == broker
            }) {
                lost += 1;
                if first.is_none_or(|(at, _, _)| p.at < at) {
                    first = Some((p.at, s.device, p.topic.as_str()));
                }
            }
        }
        let back_text = match back {
            Some(b) if !b.clean_session => (
                " It came back with cleanSession=0 and got Session Present = 0: a session is kept only once it was created with cleanSession=0.".to_string(),
                "它以 cleanSession=0 回来,得到 Session Present = 0:会话只有在以 cleanSession=0 创建后才会保留。".to_string(),
            ),
            _ => (String::new(), String::new()),
        };
        let explanation = T::new(
            format!("With cleanSession=1 the broker discarded the session when the connection ended: its subscriptions, and every message published until it subscribed again, were not kept.{}", back_text.0),
            format!("cleanSession=1 时,连接一结束服务端就丢弃了会话:其订阅以及重新订阅之前发布的消息都没有保留。{}", back_text.1),
        );
        let fix = T::new(
            "Connect the receiver with cleanSession off (false), keep its ClientId stable, and subscribe at QoS 1.",
            "接收端以 cleanSession 关闭(false)连接,保持 ClientId 不变,并以 QoS 1 订阅。",
        );
        if let Some((at, sender, topic)) = first {
            let (en, zh) = name(sender);
            out.push(finding("clean-session", Severity::Error, d.device, Some(at),
                T::new(format!("{lost} QoS>0 message(s) matching {} were published while this device was away after a cleanSession=1 connection (first: {en} to {topic}); they are lost for it", list(&filters, 3)),
                       format!("本设备在 cleanSession=1 连接结束后离开期间,有 {lost} 条匹配 {} 的 QoS>0 消息被发布(第一条:{zh} 发布到 {topic});对它而言已丢失", list(&filters, 3))),
                explanation, fix));
        } else if let Some(b) = back {
            out.push(finding("clean-session", Severity::Warning, d.device, Some(b.at),
                T::new(format!("Subscribed to {} on a cleanSession=1 connection, then away for {}: nothing published meanwhile was kept", list(&filters, 3), secs(b.at.saturating_sub(away_from))),
                       format!("在 cleanSession=1 连接上订阅了 {},随后离开 {}:期间发布的消息均未保留", list(&filters, 3), secs(b.at.saturating_sub(away_from)))),
                explanation, fix));
        } else {
            out.push(finding("clean-session", Severity::Info, d.device, Some(away_from),
                T::new(format!("Subscribed to {} on a cleanSession=1 connection that ended: nothing is kept for this device while it is away", list(&filters, 3)),
                       format!("在已结束的 cleanSession=1 连接上订阅了 {}:设备离开期间不会为它保留任何消息", list(&filters, 3))),
                explanation, fix));
        }
    }
}

/// `session-lost`: cleanSession=0 and Session Present = 0. An error when the page saw this
/// ClientId's persistent session on the same broker before (with the subscriptions the
/// broker lost); info on the first persistent connect (a new ClientId, or a session that
/// expired: the page cannot tell); nothing when only the broker changed.
pub(super) fn session_lost(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let Some(last) = h.connects.last() else {
        return;
    };
    if last.clean_session || last.session_present {
        return;
    }
    let broker = broker_of(d, last);
    let earlier = &h.connects[..h.connects.len() - 1];
    let same_id = || earlier.iter().filter(|c| c.client_id == last.client_id);
    let persistent_here = same_id()
        .rev()
        .find(|c| !c.clean_session && broker_of(d, c) == broker);
    let resubscribed: Vec<&str> = h
        .subscribes
        .iter()
        .filter(|s| s.at >= last.at)
        .map(|s| s.filter.as_str())
        .collect();
    let rows = d.settings.subscriptions.len();
    let (resub_en, resub_zh, nothing_held) = if !resubscribed.is_empty() {
        (
            format!(" ackscope subscribed again after this CONNACK ({}): messages published from now on arrive; those queued before are gone.", list(&resubscribed, 3)),
            format!(" ackscope 在此 CONNACK 之后重新订阅了({}):此后发布的消息会到达;之前缓存的已丢失。", list(&resubscribed, 3)),
            false,
        )
    } else if rows > 0 {
        (
            format!(" Nothing was subscribed again after this CONNACK (resubscribe is off): the broker holds no subscription for this device now, though the page lists {rows}."),
            format!(" 此 CONNACK 之后没有重新订阅(自动重新订阅已关闭):服务端现在没有该设备的任何订阅,尽管页面仍列出 {rows} 个。"),
            true,
        )
    } else {
        (String::new(), String::new(), false)
    };
    let fix_resub = if nothing_held {
        T::new(
            "Subscribe again now (or turn resubscribe on); check session expiry and broker persistence; never connect this ClientId with cleanSession=1.",
            "现在重新订阅(或打开自动重新订阅);检查会话过期与服务端持久化;不要以 cleanSession=1 连接该 ClientId。",
        )
    } else {
        T::new(
            "Check session expiry (mosquitto: persistent_client_expiration) and broker persistence; never connect this ClientId with cleanSession=1.",
            "检查会话过期(mosquitto:persistent_client_expiration)与服务端持久化;不要以 cleanSession=1 连接该 ClientId。",
        )
    };
    let Some(p) = persistent_here else {
        if same_id().any(|c| !c.clean_session) {
            return; // the page saw its session on another broker: sessions do not move
        }
        out.push(finding("session-lost", if nothing_held { Severity::Warning } else { Severity::Info }, d.device, Some(last.at),
            T::new(format!("Session Present = 0 for {} (cleanSession=0): the broker had no session for this ClientId", last.client_id),
                   format!("{}(cleanSession=0)的 Session Present = 0:服务端没有该 ClientId 的会话", last.client_id)),
            T::new(format!("Either this ClientId never connected to this broker before (then this is expected), or its session expired or was wiped (for example overnight): then its subscriptions and offline messages are gone.{resub_en}"),
                   format!("要么该 ClientId 从未连接过此服务端(这是正常的),要么其会话已过期或被清除(例如隔夜):那样其订阅和离线消息都已丢失。{resub_zh}")),
            fix_resub));
        return;
    };
    let wiped_by_clean = same_id()
        .rev()
        .find(|c| c.at > p.at && c.clean_session && broker_of(d, c) == broker);
    let lost_subs: Vec<&str> = h
        .held
        .iter()
        .filter(|s| s.to == Some(last.at))
        .map(|s| s.filter.as_str())
        .collect();
    let lost_dead = h
        .dead
        .iter()
        .filter(|x| x.wiped_at == Some(last.at))
        .count();
    let cause = match wiped_by_clean {
        Some(c) => (
            format!(
                "a cleanSession=1 connect {} before this one wiped it",
                secs(last.at.saturating_sub(c.at))
            ),
            format!(
                "此前 {} 的一次 cleanSession=1 连接清除了它",
                secs(last.at.saturating_sub(c.at))
            ),
        ),
        None => (
            "expired, broker restarted without persistence, or wiped by a clean connect elsewhere"
                .to_string(),
            "过期、服务端无持久化重启,或在别处被一次 clean 连接清除".to_string(),
        ),
    };
    let ago = secs(last.at.saturating_sub(p.at));
    let mut ev_en = format!("CONNACK Session Present = 0 for {} with cleanSession=0, after a persistent session {ago} earlier", last.client_id);
    let mut ev_zh = format!(
        "{} 以 cleanSession=0 连接,CONNACK 的 Session Present = 0,而 {ago} 之前曾有持久会话",
        last.client_id
    );
    if !lost_subs.is_empty() {
        ev_en.push_str(&format!("; the broker dropped {}", list(&lost_subs, 3)));
        ev_zh.push_str(&format!(";服务端丢弃了 {}", list(&lost_subs, 3)));
    }
    if lost_dead > 0 {
        ev_en.push_str(&format!(
            "; {lost_dead} message(s) pushed into the dead connection will not come back"
        ));
        ev_zh.push_str(&format!(";推送到失效连接中的 {lost_dead} 条消息不会再回来"));
    }
    let severity = if lost_subs.is_empty() && lost_dead == 0 && !nothing_held {
        Severity::Warning
    } else {
        Severity::Error
    };
    out.push(finding("session-lost", severity, d.device, Some(last.at),
        T::new(ev_en, ev_zh),
        T::new(format!("The broker no longer had this ClientId's session ({}): its subscriptions and queued offline messages are gone.{resub_en}", cause.0),
               format!("服务端已没有该 ClientId 的会话({}):其订阅和缓存的离线消息都已丢失。{resub_zh}", cause.1)),
        fix_resub));
}

/// `client-id-changed`: a persistent session under one ClientId, then connects under
/// another with no session of its own. Clears once Session Present = 1 comes back.
pub(super) fn client_id_changed(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let Some(last) = h.connects.last() else {
        return;
    };
    if last.clean_session {
        return;
    }
    let broker = broker_of(d, last);
    let Some(earlier) =
        h.connects.iter().rev().skip(1).find(|c| {
            !c.clean_session && c.client_id != last.client_id && broker_of(d, c) == broker
        })
    else {
        return;
    };
    let resumed = h
        .connects
        .iter()
        .any(|c| c.at > earlier.at && c.client_id == last.client_id && c.session_present);
    if resumed {
        return;
    }
    out.push(finding("client-id-changed", Severity::Warning, d.device, Some(last.at),
        T::new(format!("Reconnected as {} (Session Present = 0) after a persistent session as {}", last.client_id, earlier.client_id),
               format!("此前以 {} 建立持久会话,现以 {} 重连(Session Present = 0)", earlier.client_id, last.client_id)),
        T::new("Sessions belong to a ClientId: messages queued for the old ClientId wait there, not here.",
               "会话属于 ClientId:为旧 ClientId 缓存的消息留在旧会话里,不会投递到这里。"),
        T::new("Keep the ClientId stable across restarts (no random or time-based ClientIds); connect once more as the old ClientId to collect what waits there.",
               "重启前后保持 ClientId 不变(不要使用随机或基于时间的 ClientId);如需取回旧会话中的消息,请再以旧 ClientId 连接一次。")));
}

/// Whether the broker closed this connection right after this device's own PUBLISH: an
/// answer to that PUBLISH (refused), not another client.
fn closed_after_own_publish(e: &EndRecord) -> bool {
    e.last_out.as_ref().is_some_and(|p| {
        p.kind == PacketKind::Publish && e.at.saturating_sub(p.at) <= OWN_PACKET_MS
    })
}

/// `client-id-conflict`: two devices of this page online with one ClientId on one broker
/// (error), or the broker closing this device's connections again and again with no packet
/// of its own to explain it (warning: another client with the same ClientId).
pub(super) fn client_id_conflict(now: Millis, devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for d in devices {
        let Some(last) = d.history.connects.last() else {
            continue;
        };
        let broker = broker_of(d, last);
        let twin = devices.iter().find(|o| {
            o.device != d.device
                && d.history.online_now()
                && o.history.online_now()
                && o.history
                    .connects
                    .last()
                    .is_some_and(|c| c.client_id == last.client_id && broker_of(o, c) == broker)
        });
        let kicks: Vec<&EndRecord> = d
            .history
            .ends
            .iter()
            .filter(|e| {
                e.at + KICK_LOOKBACK_MS >= now
                    && e.connack_at.is_some()
                    && e.client_id.as_deref() == Some(last.client_id.as_str())
                    && e.reason == Some(CloseReason::SocketClosed)
                    && !closed_after_own_publish(e)
            })
            .collect();
        let (severity, other_en, other_zh) = match twin {
            Some(o) => {
                let (en, zh) = name(o.device);
                (Severity::Error, en, zh)
            }
            None if kicks.len() >= 2 => (
                Severity::Warning,
                "another client".to_string(),
                "另一个客户端".to_string(),
            ),
            None => continue,
        };
        let lasted: Vec<String> = kicks
            .iter()
            .filter_map(|e| e.connack_at.map(|c| secs(e.at.saturating_sub(c))))
            .collect();
        let (mut ev_en, mut ev_zh) = (
            format!("ClientId {} is in use by {other_en} too", last.client_id),
            format!("ClientId {} 同时被{other_zh}使用", last.client_id),
        );
        if !kicks.is_empty() {
            ev_en.push_str(&format!(": the broker closed {} connection(s) in the last {} with no packet of this device to explain it (they lasted {})", kicks.len(), secs(KICK_LOOKBACK_MS), list(&lasted, 5)));
            ev_zh.push_str(&format!(
                ":最近 {} 内服务端关闭了 {} 个连接,本设备没有任何报文可以解释(分别持续 {})",
                secs(KICK_LOOKBACK_MS),
                kicks.len(),
                list(&lasted, 5)
            ));
        }
        out.push(finding("client-id-conflict", severity, d.device, Some(last.at),
            T::new(ev_en, ev_zh),
            T::new("A broker keeps one connection per ClientId: each new connection kicks the other, and both keep reconnecting. Messages go to whichever is connected at the time.",
                   "服务端每个 ClientId 只保留一个连接:新连接会踢掉旧连接,两者不断重连。消息只会发给当时在线的那个。"),
            T::new("Give every device its own ClientId (GroupId@@@DeviceId with a unique DeviceId); find the other client in the broker's connection log.",
                   "为每台设备使用独立的 ClientId(GroupId@@@DeviceId,DeviceId 唯一);可在服务端连接日志中找到另一个客户端。")));
    }
}

/// What made a connection end, to tell the same failure from another.
fn failure_signature(e: &EndRecord) -> Option<(String, String, String)> {
    let reason = e.reason.as_ref()?;
    if !reason.is_error() || matches!(reason, CloseReason::Refused(_)) {
        return None;
    }
    if let Some(p) = e
        .last_out
        .as_ref()
        .filter(|p| p.kind == PacketKind::Publish && e.at.saturating_sub(p.at) <= OWN_PACKET_MS)
    {
        let topic = p.topic.clone().unwrap_or_default();
        return Some((
            format!("{reason:?} after PUBLISH {topic}"),
            format!(
                "right after this device sent PUBLISH to {topic}{}",
                p.packet_id
                    .map(|i| format!(" (packet id {i})"))
                    .unwrap_or_default()
            ),
            format!(
                "紧接在本设备发送发布到 {topic} 的 PUBLISH{} 之后",
                p.packet_id
                    .map(|i| format!("(报文 ID {i})"))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(p) = e
        .last_in
        .as_ref()
        .filter(|p| p.kind == PacketKind::Publish && e.at.saturating_sub(p.at) <= OWN_PACKET_MS)
    {
        let topic = p.topic.clone().unwrap_or_default();
        return Some((
            format!("{reason:?} after incoming PUBLISH {topic}"),
            format!("right after a PUBLISH on {topic} arrived"),
            format!("紧接在收到 {topic} 上的一条 PUBLISH 之后"),
        ));
    }
    reason
        .is_protocol_failure()
        .then(|| (format!("{reason:?}"), String::new(), String::new()))
}

/// `reconnect-loop`: the same failure after every connect, several times in a row (a
/// message the broker refuses and the client resends, a poison message, a protocol error).
pub(super) fn reconnect_loop(now: Millis, d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let stable_now = h.online_now()
        && h.connects
            .last()
            .is_some_and(|c| now.saturating_sub(c.at) >= STABLE_MS);
    if stable_now {
        return;
    }
    let connected_ends: Vec<&EndRecord> = h
        .ends
        .iter()
        .filter(|e| e.connack_at.is_some() && e.kind != EndKind::Silent)
        .collect();
    let Some(last) = connected_ends.last() else {
        return;
    };
    let sig = failure_signature(last).unwrap_or_default();
    let run = if sig.0.is_empty() {
        0
    } else {
        connected_ends
            .iter()
            .rev()
            .take_while(|e| {
                e.connack_at
                    .is_some_and(|c| e.at.saturating_sub(c) < STABLE_MS)
                    && failure_signature(e).is_some_and(|s| s.0 == sig.0)
            })
            .count()
    };
    let stopped = h
        .reconnect_stopped
        .as_ref()
        .filter(|(at, _, _)| h.connects.last().is_none_or(|c| c.at <= *at));
    if run < LOOP_RUN && stopped.is_none() {
        return;
    }
    let reason = last.reason.as_ref().map(|r| r.text()).unwrap_or_default();
    let count = stopped.map_or(run as u32, |(_, _, n)| (*n).max(run as u32));
    let (trigger_en, trigger_zh) = (sig.1, sig.2);
    let stop_en = if stopped.is_some() {
        " ackscope stopped reconnecting."
    } else {
        ""
    };
    let stop_zh = if stopped.is_some() {
        " ackscope 已停止自动重连。"
    } else {
        ""
    };
    out.push(finding("reconnect-loop", Severity::Error, d.device, Some(last.at),
        T::new(format!("The connection ended the same way {count} times in a row, each within {} of CONNACK{}{}: {}{stop_en}", secs(STABLE_MS), if trigger_en.is_empty() { "" } else { ", " }, trigger_en, reason.en),
               format!("连接连续 {count} 次以同样的方式结束,每次都在 CONNACK 后 {} 内{}{}:{}{stop_zh}", secs(STABLE_MS), if trigger_zh.is_empty() { "" } else { "," }, trigger_zh, reason.zh)),
        T::new("The same failure after every connect is not the network: a message the broker refuses (ACL, size, topic) that the client sends again after each reconnect (unacknowledged, resent with DUP=1), a message this client cannot take that the broker redelivers each time (a poison message), or a protocol error.",
               "每次连接后都出现同样的失败,不是网络问题:可能是服务端拒绝的消息(ACL、大小、主题)在每次重连后被客户端重发(未确认,以 DUP=1 重发),或本客户端无法处理、服务端每次都重新投递的消息(毒消息),或协议错误。"),
        T::new("Read the last packets before each close in the packet log. Fix the refused topic or ACL; to drop an unacknowledged message the broker keeps refusing, connect once with cleanSession=1 (it wipes the session).",
               "在报文日志中查看每次关闭前的最后几个报文。修正被拒绝的主题或 ACL;若要丢弃服务端一直拒绝的未确认消息,可用 cleanSession=1 连接一次(会清除会话)。")));
}
