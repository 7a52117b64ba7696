//! `probe-gap`: sequence numbers of a probe series that a receiver never got. The sender knows
//! how many it sent, so a loss at the tail is found as well as holes in the middle.

use super::{broker_at, broker_facts, filter_matches, finding, list, name, secs, T};
use crate::check::{
    BrokerFacts, DroppedEnd, Fact, PayloadLimit, QueueLimit, PAYLOAD_CHECK, QUEUE_CHECK,
};
use crate::diagnostics::history::{SeriesReceived, SeriesSent};
use crate::diagnostics::{DeviceFacts, Finding, Severity};
use crate::time::Millis;

/// Missing numbers listed in the evidence.
const LISTED: usize = 10;
/// The least time to wait after the last probe moved before calling the rest missing.
const MIN_SETTLE_MS: Millis = 5_000;
/// A probe's payload is its header line (`ackscope-probe/1 <series> <seq> <sent-ms>`): at
/// most 17 + 32 + 1 + 10 + 1 + 20 bytes.
const PROBE_MAX_BYTES: u64 = 81;

/// An offline queue limit as the cause of `end` missing (`got` kept), in the words of what is
/// known of the broker; `None` when what was measured rules it out.
fn queue_cause(facts: &BrokerFacts, end: DroppedEnd, got: u64) -> Option<(String, String)> {
    let label = facts.label(&facts.queue_limit, QUEUE_CHECK);
    let (end_en, end_zh) = match end {
        DroppedEnd::Newest => (
            "keeps the oldest and drops the newest",
            "保留最早的、丢弃最新的",
        ),
        DroppedEnd::Oldest => (
            "keeps the newest and drops the oldest",
            "保留最新的、丢弃最早的",
        ),
    };
    match (facts.queue_limit, end) {
        (Fact::Measured(QueueLimit::Kept { kept, dropped }), _) if dropped == Some(end) => Some((
            format!("the broker's offline queue limit: it {end_en}, {kept} kept ({}); here it kept {got}", label.en),
            format!("服务端的离线队列上限:{end_zh},保留 {kept} 条({});此处保留了 {got} 条", label.zh),
        )),
        (Fact::Measured(QueueLimit::AtLeast(n)), _) if got >= u64::from(n) => Some((
            format!("an offline queue limit above the {n} messages the broker check kept ({}); here it kept {got}", label.en),
            format!("高于服务端检测保留的 {n} 条的离线队列上限({});此处保留了 {got} 条", label.zh),
        )),
        // Measured otherwise: this broker does not drop this end at a limit that low.
        (Fact::Measured(_), _) => None,
        // The profile assumes the other end is dropped: not this cause.
        (Fact::Assumed(QueueLimit::Kept { dropped: Some(d), .. }), _) if d != end => None,
        (Fact::Assumed(QueueLimit::Kept { kept, dropped: Some(_) }), _) => Some((
            format!("an offline queue limit that {end_en} ({}: mosquitto's max_queued_messages, default {kept}; here it kept {got})", label.en),
            format!("离线队列上限:{end_zh}({}:mosquitto 的 max_queued_messages,默认 {kept} 条;此处保留了 {got} 条)", label.zh),
        )),
        (Fact::Assumed(_), _) => Some((
            format!("an offline queue limit that {end_en} ({}; here it kept {got})", label.en),
            format!("离线队列上限:{end_zh}({};此处保留了 {got} 条)", label.zh),
        )),
    }
}

/// A payload size limit as a cause, unless the broker check measured that probes fit.
fn payload_cause(facts: &BrokerFacts) -> Option<(String, String)> {
    let label = facts.label(&facts.max_payload, PAYLOAD_CHECK);
    match facts.max_payload {
        Fact::Measured(PayloadLimit::Bytes(n)) if n < PROBE_MAX_BYTES => Some((
            format!(
                "a payload size limit: only {n} bytes reach a subscriber ({})",
                label.en
            ),
            format!("消息体大小上限:只有 {n} 字节能到达订阅者({})", label.zh),
        )),
        Fact::Measured(_) => None,
        Fact::Assumed(PayloadLimit::Bytes(n)) => Some((
            format!("a payload size limit ({n} bytes, {})", label.en),
            format!("消息体大小上限({n} 字节,{})", label.zh),
        )),
        Fact::Assumed(_) => Some((
            format!(
                "a payload size limit ({}; Alibaba: 64 KB; mosquitto over WebSocket: 256 KB)",
                label.en
            ),
            format!(
                "消息体大小上限({};阿里云:64 KB;mosquitto 经 WebSocket:256 KB)",
                label.zh
            ),
        )),
    }
}

/// How many probes of `series` the sender sent, and whether it still sends: its progress on
/// the page, else what its events say.
fn sent_by(s: &DeviceFacts<'_>, series: &SeriesSent, latest: bool) -> (Option<u32>, bool) {
    if let Some(p) = s
        .settings
        .sending
        .as_ref()
        .filter(|p| p.series == series.series)
    {
        return (Some(p.sent), p.running);
    }
    if let Some((_, sent)) = series.stopped {
        return (Some(sent), false);
    }
    if series.published >= series.total {
        return (Some(series.total), false);
    }
    (None, latest)
}

pub(super) fn probe_gap(now: Millis, devices: &[DeviceFacts<'_>], out: &mut Vec<Finding>) {
    for s in devices {
        let count = s.history.series.len();
        for (i, series) in s.history.series.iter().enumerate() {
            let (sent, running) = sent_by(s, series, i + 1 == count);
            let broker = broker_at(s, series.started_at);
            for r in devices {
                if broker_at(r, series.started_at) != broker || !r.history.online_now() {
                    continue; // away: what is missing may still be queued for it
                }
                let rx = r.history.probes.get(&series.series);
                let subscribed = r
                    .history
                    .held_at(series.started_at)
                    .any(|h| h.to.is_none() && filter_matches(&h.filter, &series.topic));
                if rx.is_none() && !subscribed {
                    continue;
                }
                let facts = broker_facts(devices, r, series.started_at);
                check(now, s, series, sent, running, r, rx, &facts, out);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    now: Millis,
    s: &DeviceFacts<'_>,
    series: &SeriesSent,
    sent: Option<u32>,
    running: bool,
    r: &DeviceFacts<'_>,
    rx: Option<&SeriesReceived>,
    facts: &BrokerFacts,
    out: &mut Vec<Finding>,
) {
    let highest = rx.and_then(|x| x.seqs.highest()).unwrap_or(0);
    let upto = sent.unwrap_or(highest).max(highest);
    if upto == 0 {
        return;
    }
    let got = rx.map_or(0, |x| x.seqs.count_upto(upto));
    let missing = u64::from(upto) - got;
    if missing == 0 {
        return;
    }
    let middle = u64::from(highest) - rx.map_or(0, |x| x.seqs.count_upto(highest));
    let last_connect = r.history.connects.last().map_or(0, |c| c.at);
    let settle_from = rx
        .map_or(0, |x| x.last_at)
        .max(last_connect)
        .max(series.last_publish_at);
    let settle = r.settings.profile.ack_timeout_ms.max(MIN_SETTLE_MS);
    let settled = !running && now >= settle_from + settle;
    if !settled && middle == 0 {
        return; // the tail may still be on its way
    }
    let listed: Vec<String> = rx
        .map_or_else(
            || (1..=upto.min(LISTED as u32)).collect(),
            |x| x.seqs.missing_upto(upto, LISTED),
        )
        .iter()
        .map(|n| format!("#{n}"))
        .collect();
    let (sn_en, sn_zh) = name(s.device);
    let (rn_en, rn_zh) = name(r.device);
    let sent_text = sent.map_or_else(
        || ("sent at least".to_string(), "至少发送了".to_string()),
        |_| ("sent".to_string(), "发送了".to_string()),
    );
    let tail = (sent.is_some() && highest < upto).then(|| (highest + 1, upto));
    let (tail_en, tail_zh) = match tail {
        Some((a, b)) if a == b => (
            format!("; lost at the tail: #{a}"),
            format!(";尾部丢失:#{a}"),
        ),
        Some((a, b)) => (
            format!("; lost at the tail: #{a} to #{b}"),
            format!(";尾部丢失:#{a} 至 #{b}"),
        ),
        None => (String::new(), String::new()),
    };
    let evidence = T::new(
        format!("Probe series {} from {sn_en} on {}: {} {upto}, {rn_en} received {got}; {missing} missing ({}){tail_en}", series.series, series.topic, sent_text.0, list(&listed, LISTED)),
        format!("{sn_zh} 在 {} 上的探针序列 {}:{}{upto} 条,{rn_zh} 收到 {got} 条;缺少 {missing} 条({}){tail_zh}", series.topic, series.series, sent_text.1, list(&listed, LISTED)),
    );
    // The likely causes, from what the page saw and what is known of the broker (`facts`).
    let mut causes_en: Vec<String> = Vec::new();
    let mut causes_zh: Vec<String> = Vec::new();
    let qos0_grant = r
        .history
        .held_at(series.started_at)
        .any(|h| h.granted == 0 && filter_matches(&h.filter, &series.topic));
    if series.qos == 0 || qos0_grant || rx.is_some_and(|x| x.min_qos == 0) {
        causes_en.push(
            "a QoS 0 hop (published or granted at QoS 0: nothing is queued or resent)".into(),
        );
        causes_zh.push("某一段为 QoS 0(以 QoS 0 发布或授予:不缓存也不重发)".into());
    }
    let end = series.last_publish_at.max(series.started_at);
    let away = !r.history.online_at(series.started_at)
        || r.history
            .online_changes
            .iter()
            .any(|(t, on)| !on && *t >= series.started_at && *t <= end);
    if away {
        let returned = r.history.connects.iter().find(|c| c.at > series.started_at);
        if returned.is_some_and(|c| !c.session_present) {
            causes_en.push(format!("{rn_en} was away during the series and its session was gone when it came back (Session Present = 0)"));
            causes_zh.push(format!(
                "序列发送期间 {rn_zh} 不在线,回来时会话已丢失(Session Present = 0)"
            ));
        } else if got > 0 {
            // Which end is missing: the newest (a tail) or the oldest (exactly #1 to #k).
            let end = if tail.is_some() && middle == 0 {
                Some(DroppedEnd::Newest)
            } else if tail.is_none() && rx.is_some_and(|x| x.seqs.count_upto(missing as u32) == 0) {
                Some(DroppedEnd::Oldest)
            } else {
                None
            };
            if let Some((en, zh)) = end.and_then(|e| queue_cause(facts, e, got)) {
                causes_en.push(en);
                causes_zh.push(zh);
            }
        }
    }
    if s.history
        .abandoned
        .iter()
        .any(|a| a.at >= series.started_at)
    {
        causes_en.push(format!(
            "{sn_en} gave up unacknowledged probes after Session Present = 0 (publish-abandoned)"
        ));
        causes_zh.push(format!(
            "{sn_zh} 在 Session Present = 0 后放弃了未确认的探针(publish-abandoned)"
        ));
    }
    causes_en.push("message expiry (queued messages dropped after a while)".into());
    causes_zh.push("消息过期(缓存的消息过一段时间后被丢弃)".into());
    if let Some((en, zh)) = payload_cause(facts) {
        causes_en.push(en);
        causes_zh.push(zh);
    }
    let (severity, state_en, state_zh) = if settled {
        (
            Severity::Error,
            format!(
                "Nothing more came for {}: they are lost.",
                secs(now.saturating_sub(settle_from))
            ),
            format!(
                "已有 {} 没有新的到达:它们已丢失。",
                secs(now.saturating_sub(settle_from))
            ),
        )
    } else {
        (
            Severity::Warning,
            "Later probes arrived while these did not (yet).".to_string(),
            "后面的探针已到达,而这些(尚)未到达。".to_string(),
        )
    };
    out.push(finding("probe-gap", severity, r.device, Some(rx.map_or(series.started_at, |x| x.last_at)),
        evidence,
        T::new(format!("{state_en} Likely causes: {}.", causes_en.join("; ")),
               format!("{state_zh} 可能的原因:{}。", causes_zh.join(";"))),
        T::new("Publish and subscribe at QoS 1 with cleanSession=0; keep the consumer online or raise the broker's offline queue limit; check the broker log for dropped messages (mosquitto: \"Outgoing messages are being dropped\").",
               "以 QoS 1 发布和订阅,并使用 cleanSession=0;让消费端保持在线或提高服务端离线队列上限;查看服务端日志中的丢弃记录(mosquitto:\"Outgoing messages are being dropped\")。")));
}
