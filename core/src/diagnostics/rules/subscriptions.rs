//! What the broker holds and granted: qos0-granted, subscription-limit, subscription-refused,
//! overlapping-subscriptions, topic-mismatch, published-before-subscribe.

use super::{
    broker_at, broker_facts, effective_filter, filter_matches, finding, list, name, secs, T,
};
use crate::check::{Fact, QOS0_GRANT_CHECK};
use crate::diagnostics::{DeviceFacts, Finding, Severity};
use crate::profile::BrokerKind;
use crate::time::Millis;
use crate::verdicts::VerdictKind;
use std::collections::HashMap;

/// Without its PUBACK, a publish this close before the SUBSCRIBE went out may still have
/// reached the broker after it: a race of one round trip, not a message published before the
/// subscription.
const RACE_MS: Millis = 1_000;
/// Messages looked at for overlapping filters (the newest).
const OVERLAP_LOOKBACK: usize = 1_000;
/// Two copies of one message this close together come from two matching filters.
const COPY_MS: Millis = 1_000;

/// `qos0-granted`: the broker holds a subscription at QoS 0 for a persistent session: most
/// brokers queue nothing for it while the device is offline (a warning); on a broker the
/// check measured to keep them (`offline-p1-s0`), advice that they come unacknowledged.
pub(super) fn qos0_granted(
    d: &DeviceFacts<'_>,
    devices: &[DeviceFacts<'_>],
    out: &mut Vec<Finding>,
) {
    let persistent = d.history.connects.last().is_some_and(|c| !c.clean_session);
    if !persistent {
        return;
    }
    for s in d.history.held_now().filter(|s| s.granted == 0) {
        let facts = broker_facts(devices, d, s.from);
        let label = facts.label(&facts.qos0_grant_kept, QOS0_GRANT_CHECK);
        let (severity, en, zh) = match facts.qos0_grant_kept {
            Fact::Measured(true) => (Severity::Info,
                format!("Delivered QoS is min(published, granted). This broker does keep messages for a QoS 0 subscription of an offline persistent session ({}), but they arrive at QoS 0: never acknowledged, never resent.", label.en),
                format!("实际投递 QoS = min(发布 QoS, 授予 QoS)。该服务端确实会为离线持久会话的 QoS 0 订阅保留消息({}),但以 QoS 0 投递:不确认,也不重发。", label.zh)),
            _ => (Severity::Warning,
                format!("Delivered QoS is min(published, granted). With QoS 0 granted, nothing is queued for this device while it is offline, even with cleanSession=0 ({}).", label.en),
                format!("实际投递 QoS = min(发布 QoS, 授予 QoS)。授予 QoS 0 时,即使 cleanSession=0,设备离线期间也不会为其缓存任何消息({})。", label.zh)),
        };
        out.push(finding("qos0-granted", severity, d.device, Some(s.from),
            T::new(format!("SUBACK granted QoS 0 for {} (asked {})", s.filter, s.requested),
                   format!("SUBACK 为 {} 授予 QoS 0(请求 {})", s.filter, s.requested)),
            T::new(en, zh),
            T::new(if s.requested == 0 { "Subscribe at QoS 1." } else { "Subscribe at QoS 1, and check the broker's ACL or maximum QoS: it granted less than asked." },
                   if s.requested == 0 { "以 QoS 1 订阅。" } else { "以 QoS 1 订阅;并检查服务端的 ACL 或最大 QoS 设置:它授予的低于请求。" })));
    }
}

/// `subscription-limit`: more subscriptions held by the broker than the profile allows
/// (counting those unsubscribed on the page while offline, which the broker still holds).
pub(super) fn subscription_limit(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let mut held: Vec<&str> = d.history.held_now().map(|s| s.filter.as_str()).collect();
    held.sort_unstable();
    held.dedup();
    let count = held.len();
    let Some(max) = d.settings.profile.max_subscriptions.filter(|m| count > *m) else {
        return;
    };
    let rows = d.settings.subscriptions.len();
    let (extra_en, extra_zh) = if rows != count {
        (
            format!(" (the page lists {rows}: unsubscribing while offline changes the page only)"),
            format!("(页面列出 {rows} 个:离线时取消订阅只改变页面)"),
        )
    } else {
        (String::new(), String::new())
    };
    out.push(finding("subscription-limit", Severity::Warning, d.device, None,
        T::new(format!("The broker holds {count} subscriptions for this device; the broker profile allows {max}{extra_en}"),
               format!("服务端为该设备保留了 {count} 个订阅;服务端配置上限为 {max}{extra_zh}")),
        T::new("Subscriptions beyond the limit may be dropped silently: their messages never arrive.",
               "超出上限的订阅可能被静默丢弃:其消息永远不会到达。"),
        T::new("Merge filters with wildcards (a wildcard filter counts as one); unsubscribe while connected so the broker drops them too.",
               "用通配符合并主题过滤器(一个通配符过滤器算一个);在连接状态下取消订阅,服务端才会一并删除。")));
}

/// `subscription-refused`: SUBACK 0x80 for a filter, not granted since.
pub(super) fn subscription_refused(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let mut seen: Vec<&str> = Vec::new();
    for r in h.refusals.iter().rev() {
        if seen.contains(&r.filter.as_str()) {
            continue;
        }
        seen.push(&r.filter);
        let granted_since = h.held.iter().any(|s| s.filter == r.filter && s.from > r.at);
        let dropped_since = h
            .unsubscribes
            .iter()
            .any(|(at, f, _)| *at > r.at && *f == r.filter);
        if granted_since || dropped_since {
            continue;
        }
        let wildcard = r.filter.contains(['+', '#']);
        let (hint_en, hint_zh) = if r.filter.starts_with("$share/")
            || r.filter.starts_with("$queue/")
        {
            (
                " Shared subscriptions are not part of MQTT 3.1.1; many brokers refuse them.",
                " 共享订阅不属于 MQTT 3.1.1;许多服务端会拒绝。",
            )
        } else if wildcard {
            (" Brokers limit wildcards (Alibaba: at most 100 wildcard subscriptions per parent topic, and wildcards only at some levels).", " 服务端会限制通配符(阿里云:每个父主题最多 100 个通配符订阅,且通配符只能出现在部分层级)。")
        } else {
            ("", "")
        };
        out.push(finding("subscription-refused", Severity::Error, d.device, Some(r.at),
            T::new(format!("SUBACK 0x80 (failure) for {} (asked QoS {})", r.filter, r.requested),
                   format!("SUBACK 对 {} 返回 0x80(失败)(请求 QoS {})", r.filter, r.requested)),
            T::new(format!("The broker refused this subscription: nothing published to it reaches this device. Usual reasons: an ACL that denies the topic, a filter or QoS the broker does not allow.{hint_en}"),
                   format!("服务端拒绝了该订阅:发布到它的消息都不会到达本设备。常见原因:ACL 拒绝该主题,或服务端不允许该过滤器或 QoS。{hint_zh}")),
            T::new("Check the broker's ACL for this ClientId and username, and the filter's form; subscribe again once fixed.",
                   "检查服务端对该 ClientId 和用户名的 ACL 以及过滤器的格式;修正后重新订阅。")));
    }
}

/// `overlapping-subscriptions`: one message matched by two or more filters the broker held,
/// both still held. MQTT 3.1.1 (3.3.5) allows one copy per matching subscription.
pub(super) fn overlapping_subscriptions(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let mut now_held: Vec<&str> = h.held_now().map(|s| s.filter.as_str()).collect();
    now_held.sort_unstable();
    now_held.dedup();
    // Only filters that some other held filter can overlap matter; usually none do.
    let overlapping: Vec<&str> = now_held
        .iter()
        .copied()
        .filter(|a| {
            now_held
                .iter()
                .any(|b| a != b && filters_overlap(effective_filter(a), effective_filter(b)))
        })
        .collect();
    if overlapping.len() < 2 {
        return;
    }
    let mut by_topic: HashMap<&str, Vec<&str>> = HashMap::new();
    let recent = h.messages.iter().enumerate().rev().take(OVERLAP_LOOKBACK);
    for (i, m) in recent.filter(|(_, m)| !m.dead) {
        // Filters held now that match, then only those the broker also held on arrival.
        let mut filters = by_topic
            .entry(&m.topic)
            .or_insert_with(|| {
                overlapping
                    .iter()
                    .copied()
                    .filter(|f| filter_matches(f, &m.topic))
                    .collect()
            })
            .clone();
        if filters.len() < 2 {
            continue;
        }
        filters.retain(|f| h.held_at(m.at).any(|s| s.filter == *f));
        if filters.len() < 2 {
            continue;
        }
        let copies = h.messages[..i]
            .iter()
            .rev()
            .take(50)
            .any(|o| o.key == m.key && !o.dead && m.at.saturating_sub(o.at) <= COPY_MS)
            || m.kind == VerdictKind::Duplicate;
        let (sev, got_en, got_zh) = if copies {
            (
                Severity::Warning,
                " and it arrived more than once",
                ",且收到了不止一份",
            )
        } else {
            (Severity::Info, "", "")
        };
        out.push(finding("overlapping-subscriptions", sev, d.device, Some(m.at),
            T::new(format!("A message on {} matched {} filters: {}{got_en}", m.topic, filters.len(), list(&filters, 4)),
                   format!("{} 上的一条消息匹配了 {} 个过滤器:{}{got_zh}", m.topic, filters.len(), list(&filters, 4))),
            T::new("When several subscriptions of one client match a message, the broker may deliver one copy per subscription (MQTT 3.1.1, 3.3.5): the application sees duplicates, each at its subscription's QoS.",
                   "同一客户端的多个订阅匹配同一条消息时,服务端可以按每个订阅各投递一份(MQTT 3.1.1,3.3.5):应用会看到重复消息,每份按对应订阅的 QoS 投递。"),
            T::new("Keep one filter per topic (drop the narrower one), or make the consumer idempotent.",
                   "每个主题只保留一个过滤器(去掉较窄的那个),或让消费端幂等。")));
        return;
    }
}

/// Whether some topic matches both filters.
fn filters_overlap(a: &str, b: &str) -> bool {
    let (mut x, mut y) = (a.split('/'), b.split('/'));
    loop {
        match (x.next(), y.next()) {
            (Some("#"), _) | (_, Some("#")) | (None, None) => return true,
            (Some(p), Some(q)) if p == "+" || q == "+" || p == q => {}
            _ => return false,
        }
    }
}

fn normalised(topic: &str) -> String {
    topic.trim_matches('/').to_lowercase()
}

/// Leading levels two topics share.
fn common_levels(a: &str, b: &str) -> usize {
    a.split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y || *x == "+" || *x == "#")
        .count()
}

/// `topic-mismatch`: the latest publish matches no subscription of the other devices on the
/// same broker (refused ones do not count; pending ones do). Alibaba P2P topics need no
/// subscription.
pub(super) fn topic_mismatch(devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for sender in devices {
        let Some(p) = sender.history.publishes.last() else {
            continue;
        };
        let levels: Vec<&str> = p.topic.split('/').collect();
        if sender.settings.profile.kind == BrokerKind::Aliyun
            && levels.len() >= 3
            && levels[1] == "p2p"
        {
            continue; // <parent>/p2p/<ClientId>: delivered to that client, no subscription
        }
        let broker = broker_at(sender, p.at);
        let filters: Vec<&str> = devices
            .iter()
            .filter(|r| r.device != sender.device && broker_at(r, p.at) == broker)
            .flat_map(|r| {
                r.history
                    .held_now()
                    .map(|s| s.filter.as_str())
                    .chain(r.history.pending_filters())
            })
            .collect();
        if filters.is_empty() || filters.iter().any(|f| filter_matches(f, &p.topic)) {
            continue;
        }
        let closest = filters
            .iter()
            .find(|f| normalised(effective_filter(f)) == normalised(&p.topic))
            .or_else(|| {
                filters
                    .iter()
                    .max_by_key(|f| common_levels(effective_filter(f), &p.topic))
            })
            .copied()
            .unwrap_or_default();
        out.push(finding("topic-mismatch", Severity::Warning, sender.device, Some(p.at),
            T::new(format!("Published to \"{}\", which matches no subscription on this page (closest: \"{closest}\")", p.topic),
                   format!("发布到“{}”,与本页任何订阅都不匹配(最接近:“{closest}”)", p.topic)),
            T::new("Topics match level by level and exactly: a trailing slash (as in topic + \"/notice/\") or a different case is another topic.",
                   "主题逐级精确匹配:末尾多一个斜杠(如 topic + \"/notice/\")或大小写不同都是另一个主题。"),
            T::new("Publish to exactly the subscribed topic, or subscribe with a wildcard that covers it.",
                   "发布到与订阅完全一致的主题,或用覆盖它的通配符订阅。")));
    }
}

/// `published-before-subscribe`: a QoS>0, non-retained message published to a topic before
/// the receiver's first subscription to it, while its new session (Session Present = 0) held
/// nothing matching: the broker had nowhere to queue it for that receiver.
pub(super) fn published_before_subscribe(devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for r in devices {
        let h = r.history;
        let mut firsts: Vec<&crate::diagnostics::history::HeldSub> = Vec::new();
        for s in &h.held {
            if !firsts.iter().any(|f| f.filter == s.filter) {
                firsts.push(s);
            }
        }
        for first in firsts {
            let Some(c) = h.connects.get(first.connect) else {
                continue;
            };
            if c.session_present {
                continue; // the session existed: what was published arrives as offline
            }
            let subscribe_sent = h
                .subscribes
                .iter()
                .rev()
                .find(|s| s.filter == first.filter && s.at <= first.from)
                .map_or(first.from, |s| s.at);
            let broker = broker_at(r, first.from);
            // Publishes are in time order: only those before the SUBSCRIBE can count.
            let mut early = devices
                .iter()
                .filter(|s| s.device != r.device)
                .flat_map(|s| {
                    let pubs = &s.history.publishes;
                    let before = pubs.partition_point(|p| p.at < subscribe_sent);
                    pubs[..before].iter().map(move |p| (s, p))
                })
                .filter(|(s, p)| {
                    p.qos >= 1
                        && !p.retain
                        && match p.acked_at {
                            // The broker acknowledged it before the SUBSCRIBE left: certain.
                            Some(acked) => acked < subscribe_sent,
                            None => p.at + RACE_MS < subscribe_sent,
                        }
                        && filter_matches(&first.filter, &p.topic)
                        && broker_at(s, p.at) == broker
                        && !h.held_at(p.at).any(|x| filter_matches(&x.filter, &p.topic))
                });
            let Some((sender, p)) = early.next() else {
                continue;
            };
            let more = early.count();
            let (en, zh) = name(sender.device);
            out.push(finding("published-before-subscribe", Severity::Error, r.device, Some(p.at),
                T::new(format!("{en} published to {} {} before this device first subscribed to {} (on a new session, Session Present = 0){}", p.topic, secs(subscribe_sent.saturating_sub(p.at)), first.filter, if more > 0 { format!("; {more} more like it") } else { String::new() }),
                       format!("{zh} 在本设备首次订阅 {}(新会话,Session Present = 0)之前 {} 发布到了 {}{}", first.filter, secs(subscribe_sent.saturating_sub(p.at)), p.topic, if more > 0 { format!(";另有 {more} 条类似") } else { String::new() })),
                T::new("A broker queues messages only for sessions that already have a matching subscription: what was published earlier is never delivered here (a retained message would be).",
                       "服务端只为已有匹配订阅的会话缓存消息:之前发布的消息永远不会投递到这里(保留消息除外)。"),
                T::new("Start consumers (subscribe once with cleanSession off) before producers publish.",
                       "先启动消费端(以 cleanSession 关闭订阅一次),再让生产端发布。")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::filters_overlap;

    #[test]
    fn filters_overlap_when_one_topic_can_match_both() {
        for (a, b) in [
            ("a/#", "a/b"),
            ("a/+", "a/b"),
            ("+/b", "a/+"),
            ("a/#", "a"),
            ("#", "x/y"),
            ("a/b", "a/b"),
        ] {
            assert!(filters_overlap(a, b), "{a} {b}");
        }
        for (a, b) in [
            ("a/#", "b/#"),
            ("a/+", "a/b/c"),
            ("a/b", "a/c"),
            ("a", "a/b"),
        ] {
            assert!(!filters_overlap(a, b), "{a} {b}");
        }
    }
}
