//! Outcomes: each a pure function of what the check observed.

use super::catalog::CheckKind;
use super::record::{ClientLog, ConnectResult, Record, Seen};
use super::runner::KEEPAWAKE_MS;
use super::scripts::{Ctx, PAYLOAD_START, WINDOW_QUIET_MS};
use super::steps::Role::{Anonymous as A, Peer as P, Subject as S};
use crate::text::Bilingual;
use crate::time::Millis;

/// A check's outcome and the evidence that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The value the table defines (`1`, `lost`, `each`, a number, ...).
    pub outcome: String,
    /// `queue-limit`: which end the broker dropped, when it dropped some.
    pub dropped: Option<&'static str>,
    pub why: Vec<Bilingual>,
    /// Decided by a deadline, not by a positive signal (the evidence says so).
    pub timeout_based: bool,
}

impl Decision {
    fn new(outcome: impl Into<String>, why: Vec<Bilingual>) -> Self {
        Decision {
            outcome: outcome.into(),
            dropped: None,
            why,
            timeout_based: false,
        }
    }
}

fn rel(r: &Record, at: Millis) -> Millis {
    at.saturating_sub(r.started_at)
}

fn sp_text(sp: Option<bool>) -> &'static str {
    match sp {
        Some(true) => "1",
        Some(false) => "0",
        None => "?",
    }
}

fn granted_text(g: Option<Option<u8>>) -> String {
    match g {
        Some(Some(q)) => q.to_string(),
        Some(None) => "128 (failure)".into(),
        None => "?".into(),
    }
}

fn describe(m: &Seen) -> String {
    format!(
        "PUBLISH \"{}\" QoS {} DUP={} RETAIN={}",
        m.label,
        m.qos,
        u8::from(m.dup),
        u8::from(m.retain)
    )
}

/// The marker line: when it arrived, and that queued messages come before it.
fn marker_line(
    r: &Record,
    log: &ClientLog,
    topic: &str,
    tag: &str,
    what: &str,
    what_zh: &str,
) -> Bilingual {
    match log.marker(topic, tag) {
        Some(m) => Bilingual::new(
            format!(
                "Marker \"{}\" published after {what} arrived at +{} ms; the broker delivers queued messages before later ones, so nothing else is coming.",
                m.label,
                rel(r, m.at)
            ),
            format!(
                "在{what_zh}之后发布的标记消息“{}”于 +{} ms 到达;服务端先投递排队的消息,因此不会再有其他消息。",
                m.label,
                rel(r, m.at)
            ),
        ),
        None => Bilingual::new("No marker arrived.", "标记消息未到达。"),
    }
}

/// Decides `kind` from its rounds.
pub(crate) fn decide(kind: CheckKind, ctx: &Ctx<'_>, rounds: &[Record]) -> Decision {
    let Some(r) = rounds.first() else {
        return Decision::new(
            "error",
            vec![Bilingual::new("Nothing was observed.", "没有任何观测。")],
        );
    };
    let t = ctx.topic(kind);
    match kind {
        CheckKind::Offline { publish, subscribe } => offline(r, &t, publish, subscribe),
        CheckKind::SessionPresent => session_present(r),
        CheckKind::CleanSessionWipe => clean_session_wipe(r, &t),
        CheckKind::Retained => retained(r, &t),
        CheckKind::RetainedResubscribe => retained_resubscribe(r, &t),
        CheckKind::Redelivery => redelivery(r, &t),
        CheckKind::Will => will(r, &t),
        CheckKind::Overlapping => overlapping(r, &t),
        CheckKind::DollarTopics => dollar(r),
        CheckKind::ZeroLengthClientId => zero_length(r),
        CheckKind::KeepaliveClose => keepalive(r, ctx.options.keepalive_secs),
        CheckKind::QueueLimit => queue_limit(r, &t, ctx.options.queue_limit),
        CheckKind::InflightWindow => inflight_window(r, &t),
        CheckKind::MaxPayload => max_payload(rounds, ctx.options.max_payload),
    }
}

fn offline(r: &Record, t: &str, p: u8, s: u8) -> Decision {
    let log = r.client(S);
    let sp = log.accepted().nth(1).map(|(_, sp)| sp);
    let granted = granted_text(log.subacks.first().map(|s| s.granted));
    let setup = Bilingual::new(
        format!("chk1 subscribed at QoS {s} (granted {granted}) with cleanSession=0 and went away; chk2 published \"probe\" at QoS {p}; chk1 came back with Session Present = {}.", sp_text(sp)),
        format!("chk1 以 cleanSession=0 订阅 QoS {s}(授予 {granted})后离线;chk2 以 QoS {p} 发布“probe”;chk1 回来时 Session Present = {}。", sp_text(sp)),
    );
    let marker = marker_line(r, log, t, "back", "chk1 returned", "chk1 回来");
    match log.before_marker(t, "back").find(|m| m.label == "probe") {
        Some(m) => Decision::new(
            m.qos.to_string(),
            vec![
                Bilingual::new(
                    format!(
                        "The probe arrived at QoS {} at +{} ms: {}.",
                        m.qos,
                        rel(r, m.at),
                        describe(m)
                    ),
                    format!(
                        "probe 以 QoS {} 于 +{} ms 到达:{}。",
                        m.qos,
                        rel(r, m.at),
                        describe(m)
                    ),
                ),
                setup,
                marker,
            ],
        ),
        None => Decision::new(
            "lost",
            vec![
                Bilingual::new(
                    "The probe did not arrive before the marker: the broker did not keep it.",
                    "probe 未在标记消息之前到达:服务端没有保留它。",
                ),
                setup,
                marker,
            ],
        ),
    }
}

fn session_present(r: &Record) -> Decision {
    let log = r.client(S);
    match log.accepted().nth(1) {
        Some((c, sp)) => Decision::new(
            if sp { "1" } else { "0" },
            vec![Bilingual::new(
                format!("chk1 connected with cleanSession=0, subscribed, sent DISCONNECT and connected again: CONNACK at +{} ms has Session Present = {}.", rel(r, c.at), u8::from(sp)),
                format!("chk1 以 cleanSession=0 连接、订阅、发送 DISCONNECT 后再次连接:+{} ms 的 CONNACK 中 Session Present = {}。", rel(r, c.at), u8::from(sp)),
            )],
        ),
        None => error_no_connack(),
    }
}

fn error_no_connack() -> Decision {
    Decision::new(
        "error",
        vec![Bilingual::new(
            "The reconnect got no CONNACK.",
            "重连未收到 CONNACK。",
        )],
    )
}

fn clean_session_wipe(r: &Record, t: &str) -> Decision {
    let log = r.client(S);
    let accepted: Vec<bool> = log.accepted().map(|(_, sp)| sp).collect();
    let Some(&last) = accepted.get(2) else {
        return error_no_connack();
    };
    let probe = log.before_marker(t, "back").any(|m| m.label == "probe");
    let mut why = vec![Bilingual::new(
        format!(
            "chk1: cleanSession=0 + subscribe, DISCONNECT; cleanSession=1 (Session Present = {}), DISCONNECT; chk2 published \"probe\"; chk1 cleanSession=0 again: Session Present = {}.",
            sp_text(accepted.get(1).copied()),
            u8::from(last)
        ),
        format!(
            "chk1:cleanSession=0 并订阅,DISCONNECT;cleanSession=1(Session Present = {}),DISCONNECT;chk2 发布“probe”;chk1 再以 cleanSession=0 连接:Session Present = {}。",
            sp_text(accepted.get(1).copied()),
            u8::from(last)
        ),
    )];
    why.push(if probe {
        Bilingual::new(
            "The probe published while chk1 was away arrived: the old subscription survived.",
            "chk1 离线期间发布的 probe 到达了:旧订阅仍在。",
        )
    } else {
        Bilingual::new(
            "The probe published while chk1 was away did not arrive before the marker: the old subscription is gone.",
            "chk1 离线期间发布的 probe 未在标记消息之前到达:旧订阅已不存在。",
        )
    });
    why.push(marker_line(
        r,
        log,
        t,
        "back",
        "chk1 subscribed again",
        "chk1 重新订阅",
    ));
    Decision::new(if last || probe { "kept" } else { "wiped" }, why)
}

fn retained(r: &Record, t: &str) -> Decision {
    let log = r.client(S);
    let copy = log
        .before_marker(t, "after")
        .find(|m| m.label == "retained");
    let marker = marker_line(r, log, t, "after", "the SUBACK", "SUBACK");
    match copy {
        Some(m) => Decision::new(
            "delivered",
            vec![
                Bilingual::new(
                    format!("chk2 published \"retained\" with RETAIN=1; chk1 subscribed and got it at +{} ms: {}.", rel(r, m.at), describe(m)),
                    format!("chk2 以 RETAIN=1 发布“retained”;chk1 订阅后于 +{} ms 收到:{}。", rel(r, m.at), describe(m)),
                ),
                marker,
            ],
        ),
        None => Decision::new(
            "not-delivered",
            vec![
                Bilingual::new(
                    "chk2 published \"retained\" with RETAIN=1; chk1 subscribed and got no retained copy.",
                    "chk2 以 RETAIN=1 发布“retained”;chk1 订阅后没有收到保留消息。",
                ),
                marker,
            ],
        ),
    }
}

fn retained_resubscribe(r: &Record, t: &str) -> Decision {
    let log = r.client(S);
    let first = log.before_marker(t, "first").any(|m| m.label == "retained");
    let Some(second_suback) = log.subacks.get(1) else {
        return Decision::new(
            "error",
            vec![Bilingual::new(
                "The second SUBACK did not arrive.",
                "第二个 SUBACK 未到达。",
            )],
        );
    };
    let again = log
        .before_marker(t, "second")
        .find(|m| m.label == "retained" && m.seq > second_suback.seq);
    let mut why = vec![Bilingual::new(
        format!(
            "First SUBSCRIBE: the retained message {} delivered.",
            if first { "was" } else { "was not" }
        ),
        format!(
            "第一次 SUBSCRIBE:保留消息{}投递。",
            if first { "已" } else { "未" }
        ),
    )];
    let outcome = match again {
        Some(m) => {
            why.push(Bilingual::new(
                format!("The same filter subscribed again on the live connection: the retained message came again at +{} ms ({}).", rel(r, m.at), describe(m)),
                format!("在线连接上再次订阅同一过滤器:保留消息于 +{} ms 再次到达({})。", rel(r, m.at), describe(m)),
            ));
            "resent"
        }
        None => {
            why.push(Bilingual::new(
                "The same filter subscribed again on the live connection: no retained copy before the marker.",
                "在线连接上再次订阅同一过滤器:标记消息之前没有保留消息。",
            ));
            "not-resent"
        }
    };
    why.push(marker_line(
        r,
        log,
        t,
        "second",
        "the second SUBACK",
        "第二个 SUBACK",
    ));
    // The answer first, then how the first subscription went.
    why.swap(0, 1);
    Decision::new(outcome, why)
}

fn redelivery(r: &Record, t: &str) -> Decision {
    let log = r.client(S);
    let Some((back, sp)) = log.accepted().nth(1) else {
        return error_no_connack();
    };
    let first = log.messages.iter().find(|m| m.label == "probe");
    let again = log
        .before_marker(t, "back")
        .find(|m| m.label == "probe" && m.seq > back.seq);
    let mut why = vec![Bilingual::new(
        format!(
            "chk1 (cleanSession=0) received \"probe\" at QoS 1{} and withheld its PUBACK, then dropped the socket and reconnected: Session Present = {}.",
            first.map(|m| format!(" at +{} ms", rel(r, m.at))).unwrap_or_default(),
            u8::from(sp)
        ),
        format!(
            "chk1(cleanSession=0){}收到 QoS 1 的“probe”且不发 PUBACK,随后掐断连接并重连:Session Present = {}。",
            first.map(|m| format!("于 +{} ms ", rel(r, m.at))).unwrap_or_default(),
            u8::from(sp)
        ),
    )];
    let outcome = match again {
        Some(m) => {
            why.push(Bilingual::new(
                format!("It came again at +{} ms: {}.", rel(r, m.at), describe(m)),
                format!("它于 +{} ms 再次到达:{}。", rel(r, m.at), describe(m)),
            ));
            if m.dup {
                "dup"
            } else {
                "no-dup"
            }
        }
        None => {
            why.push(Bilingual::new(
                "It did not come again before the marker.",
                "它没有在标记消息之前再次到达。",
            ));
            "lost"
        }
    };
    why.push(marker_line(r, log, t, "back", "the reconnect", "重连"));
    why.swap(0, 1);
    Decision::new(outcome, why)
}

fn will(r: &Record, t: &str) -> Decision {
    let log = r.client(P);
    let will = log.before_marker(t, "after").find(|m| m.label == "will");
    let marker = marker_line(r, log, t, "after", "chk1 came back", "chk1 回来");
    match will {
        Some(m) => Decision::new(
            "published",
            vec![
                Bilingual::new(
                    format!("chk1 connected with a will and dropped its socket without DISCONNECT; chk2 received the will at +{} ms: {}.", rel(r, m.at), describe(m)),
                    format!("chk1 带遗嘱连接后未发 DISCONNECT 直接掐断;chk2 于 +{} ms 收到遗嘱:{}。", rel(r, m.at), describe(m)),
                ),
                marker,
            ],
        ),
        None => Decision::new(
            "not-published",
            vec![
                Bilingual::new(
                    "chk1 connected with a will and dropped its socket without DISCONNECT; chk2 received no will.",
                    "chk1 带遗嘱连接后未发 DISCONNECT 直接掐断;chk2 没有收到遗嘱。",
                ),
                marker,
            ],
        ),
    }
}

fn overlapping(r: &Record, t: &str) -> Decision {
    let log = r.client(S);
    let copies: Vec<&Seen> = log
        .messages
        .iter()
        .filter(|m| m.topic == t && m.label == "probe")
        .collect();
    let marker = marker_line(r, log, t, "after", "the probe", "probe");
    let why = |en: String, zh: String| vec![Bilingual::new(en, zh), marker.clone()];
    match copies.len() {
        0 => Decision::new(
            "error",
            why(
                "The probe did not arrive at all.".into(),
                "probe 完全没有到达。".into(),
            ),
        ),
        1 => Decision::new(
            "one",
            why(
                "chk1 subscribed two filters that both match the topic; one probe arrived (and no second copy within 300 ms of the marker).".into(),
                "chk1 订阅了两个都匹配该主题的过滤器;probe 只到达一份(标记消息后 300 ms 内无第二份)。".into(),
            ),
        ),
        n => Decision::new(
            "each",
            why(
                format!("chk1 subscribed two filters that both match the topic; the probe arrived {n} times."),
                format!("chk1 订阅了两个都匹配该主题的过滤器;probe 到达了 {n} 次。"),
            ),
        ),
    }
}

fn dollar(r: &Record) -> Decision {
    let Some((dollar_topic, filter, marker_topic)) = &r.dollar_probe else {
        let mut d = Decision::new(
            "unknown",
            vec![Bilingual::new(
                format!("chk2 subscribed to $SYS/# and saw no retained $ topic within {} s: nothing to test a wildcard against (a deadline, not a signal).", super::scripts::DOLLAR_WAIT_MS / 1000),
                format!("chk2 订阅 $SYS/# 后 {} 秒内没有看到任何保留的 $ 主题:无从测试通配符(按超时判断,非确定信号)。", super::scripts::DOLLAR_WAIT_MS / 1000),
            )],
        );
        d.timeout_based = true;
        return d;
    };
    let log = r.client(S);
    let leaked = log.messages.iter().find(|m| m.topic.starts_with('$'));
    let marker = marker_line(r, log, marker_topic, "after", "the SUBACK", "SUBACK");
    let intro = Bilingual::new(
        format!("chk2 saw the retained topic {dollar_topic}; chk1 subscribed {filter}, which matches it but for the $."),
        format!("chk2 看到保留主题 {dollar_topic};chk1 订阅 {filter},除 $ 外与之匹配。"),
    );
    match leaked {
        Some(m) => Decision::new(
            "included",
            vec![
                intro,
                Bilingual::new(
                    format!(
                        "chk1 received {} on {} at +{} ms.",
                        describe(m),
                        m.topic,
                        rel(r, m.at)
                    ),
                    format!(
                        "chk1 于 +{} ms 收到 {} 上的 {}。",
                        rel(r, m.at),
                        m.topic,
                        describe(m)
                    ),
                ),
            ],
        ),
        None => Decision::new(
            "excluded",
            vec![
                intro,
                Bilingual::new(
                    "chk1 received no $ topic before the marker.",
                    "chk1 在标记消息之前没有收到任何 $ 主题。",
                ),
                marker,
            ],
        ),
    }
}

fn zero_length(r: &Record) -> Decision {
    match r.client(A).connects.first().map(|c| &c.result) {
        Some(ConnectResult::Accepted { .. }) => Decision::new(
            "accepted",
            vec![Bilingual::new(
                "CONNECT with an empty ClientId and cleanSession=1: CONNACK 0 (accepted).",
                "空 ClientId 且 cleanSession=1 的 CONNECT:CONNACK 0(接受)。",
            )],
        ),
        Some(ConnectResult::Refused { code }) => Decision::new(
            "refused",
            vec![Bilingual::new(
                format!("CONNECT with an empty ClientId and cleanSession=1: CONNACK code {code}."),
                format!("空 ClientId 且 cleanSession=1 的 CONNECT:CONNACK 返回码 {code}。"),
            )],
        ),
        Some(ConnectResult::Failed(reason)) => Decision::new(
            "refused",
            vec![reason.text().prefixed(
                "CONNECT with an empty ClientId: no CONNACK. ",
                "空 ClientId 的 CONNECT:没有 CONNACK。",
            )],
        ),
        None => Decision::new(
            "error",
            vec![Bilingual::new(
                "The connect did not finish.",
                "连接未完成。",
            )],
        ),
    }
}

fn keepalive(r: &Record, k: u16) -> Decision {
    let grace = Millis::from(k) * 1_500;
    let close = r
        .client(S)
        .closes
        .iter()
        .find(|c| c.silent_predicted_at.is_some());
    match close.and_then(|c| Some((c.at, c.silent_predicted_at?))) {
        Some((at, predicted)) => {
            let last = predicted.saturating_sub(grace);
            let ms = at.saturating_sub(last);
            Decision::new(
                ms.to_string(),
                vec![Bilingual::new(
                    format!("chk1 connected with keepalive {k} s and went silent (socket open, nothing sent). The broker closed it {ms} ms after chk1's last packet; 1.5 x keepalive predicts {grace} ms ({:+} ms).", ms as i64 - grace as i64),
                    format!("chk1 以 keepalive {k} 秒连接后静默(连接保持,不再发送)。服务端在 chk1 最后一个报文后 {ms} ms 关闭连接;按 1.5 x keepalive 预计 {grace} ms({:+} ms)。", ms as i64 - grace as i64),
                )],
            )
        }
        None => {
            let waited = super::scripts::keepalive_timeout(k);
            let mut d = Decision::new(
                format!(">={waited}"),
                vec![Bilingual::new(
                    format!("chk1 went silent with keepalive {k} s; the broker had not closed the connection after {waited} ms (a deadline, not a signal)."),
                    format!("chk1 以 keepalive {k} 秒静默;{waited} ms 后服务端仍未关闭连接(按超时判断,非确定信号)。"),
                )],
            );
            d.timeout_based = true;
            d
        }
    }
}

/// `q:<n>` numbers received before the marker, deduplicated.
fn series_numbers<'a>(msgs: impl Iterator<Item = &'a Seen>) -> std::collections::BTreeSet<u32> {
    msgs.filter_map(|m| m.label.strip_prefix("q:")?.parse().ok())
        .collect()
}

fn queue_limit(r: &Record, t: &str, n: u32) -> Decision {
    let log = r.client(S);
    let got = series_numbers(log.before_marker(t, "back"));
    let kept = got.len() as u32;
    let sp = log.accepted().nth(1).map(|(_, sp)| sp);
    let mut why = vec![Bilingual::new(
        format!("chk1 (cleanSession=0, QoS 1) went away; chk2 published q:1 to q:{n} at QoS 1 (all acknowledged); chk1 came back with Session Present = {} and received {kept} of them before the marker.", sp_text(sp)),
        format!("chk1(cleanSession=0,QoS 1)离线;chk2 以 QoS 1 发布 q:1 到 q:{n}(均已确认);chk1 回来时 Session Present = {},在标记消息之前收到其中 {kept} 条。", sp_text(sp)),
    )];
    if let (Some(first), Some(last)) = (got.first(), got.last()) {
        why.push(Bilingual::new(
            format!("Received numbers run from q:{first} to q:{last}."),
            format!("收到的编号从 q:{first} 到 q:{last}。"),
        ));
    }
    why.push(marker_line(r, log, t, "back", "chk1 returned", "chk1 回来"));
    if kept >= n {
        return Decision::new(format!(">={n}"), why);
    }
    let dropped = match (got.contains(&1), got.contains(&n)) {
        (true, false) => Some("newest"),
        (false, true) => Some("oldest"),
        _ => None,
    };
    if let Some(end) = dropped {
        why.push(Bilingual::new(
            format!("The broker dropped the {end} messages."),
            format!(
                "服务端丢弃了{}的消息。",
                if end == "newest" { "最新" } else { "最旧" }
            ),
        ));
    }
    let mut d = Decision::new(kept.to_string(), why);
    d.dropped = dropped;
    d
}

fn inflight_window(r: &Record, t: &str) -> Decision {
    let log = r.client(S);
    let end = r.quiet_end_seq.unwrap_or(u64::MAX);
    let window =
        series_numbers(log.messages.iter().filter(|m| m.topic == t && m.seq <= end)).len() as u32;
    let total = series_numbers(log.before_marker(t, "after")).len() as u32;
    let probes = super::options::WINDOW_PROBES;
    let mut why = vec![Bilingual::new(
        format!("chk1 withheld its PUBACKs; chk2 published {probes} QoS 1 messages. chk1 received {window}, then nothing for {WINDOW_QUIET_MS} ms: the broker waits for acks (the quiet period is a deadline, not a signal)."),
        format!("chk1 不发 PUBACK;chk2 发布 {probes} 条 QoS 1 消息。chk1 收到 {window} 条后 {WINDOW_QUIET_MS} ms 内再无消息:服务端在等待确认(静默期按超时判断,非确定信号)。"),
    )];
    why.push(Bilingual::new(
        format!("After chk1 sent its acks, {total} of {probes} had arrived by the marker."),
        format!("chk1 发出确认后,到标记消息为止共收到 {total}/{probes} 条。"),
    ));
    let mut d = if window >= probes {
        Decision::new(format!(">={probes}"), why)
    } else {
        Decision::new(window.to_string(), why)
    };
    d.timeout_based = true;
    d
}

/// What one round of the payload search saw: `Some(true)` delivered, `Some(false)` not
/// delivered (the marker came without it), `None` nothing within the deadline (stalled).
pub(crate) fn payload_round(r: &Record) -> (usize, Option<bool>) {
    let size = r.payload_size;
    let log = r.client(S);
    if log
        .messages
        .iter()
        .any(|m| m.len == size && !m.label.starts_with("marker:"))
    {
        return (size, Some(true));
    }
    if log.messages.iter().any(|m| m.label.starts_with("marker:")) {
        return (size, Some(false));
    }
    (size, None)
}

/// How long the large payload of a delivered round took, from its publish to its arrival.
pub(crate) fn payload_delivery_ms(r: &Record) -> Option<Millis> {
    let sent = r.payload_sent_at?;
    let got = r
        .client(S)
        .messages
        .iter()
        .find(|m| m.len == r.payload_size && !m.label.starts_with("marker:"))?;
    Some(got.at.saturating_sub(sent))
}

/// A stalled size is tried this many times (on fresh connections, with a longer deadline)
/// before it counts as not delivered: one slow delivery must not end the search.
pub(crate) const PAYLOAD_ATTEMPTS: usize = 2;

/// What the rounds say of each size: delivered, or not (the marker came without it, or
/// every attempt stalled); `None` while a stalled size has attempts left.
fn payload_verdicts(rounds: &[Record]) -> (Vec<(usize, bool)>, Option<usize>) {
    let results: Vec<(usize, Option<bool>)> = rounds.iter().map(payload_round).collect();
    let mut sizes: Vec<usize> = results.iter().map(|r| r.0).collect();
    sizes.dedup();
    let mut verdicts = Vec::new();
    let mut retry = None;
    for size in sizes {
        let of_size = || results.iter().filter(move |r| r.0 == size);
        if of_size().any(|r| r.1 == Some(true)) {
            verdicts.push((size, true));
        } else if of_size().any(|r| r.1 == Some(false)) || of_size().count() >= PAYLOAD_ATTEMPTS {
            verdicts.push((size, false));
        } else {
            retry = Some(size);
        }
    }
    (verdicts, retry)
}

/// The next size to try, from the rounds so far: doubling from 1 KiB while they pass, then
/// the size just above the largest that passed (limits are often powers of two), then a
/// binary search; a stalled size once more first. `None` when the answer is known.
pub(crate) fn next_payload_size(rounds: &[Record], max: usize) -> Option<usize> {
    let (results, retry) = payload_verdicts(rounds);
    if retry.is_some() {
        return retry;
    }
    let lo = results
        .iter()
        .filter(|r| r.1)
        .map(|r| r.0)
        .max()
        .unwrap_or(0);
    let hi = results.iter().filter(|r| !r.1).map(|r| r.0).min();
    let tried = |s: usize| results.iter().any(|r| r.0 == s);
    match hi {
        None => {
            if lo >= max {
                return None;
            }
            let next = if lo == 0 {
                PAYLOAD_START.min(max)
            } else {
                (lo * 2).min(max)
            };
            Some(next)
        }
        Some(hi) => {
            // Right after the first failure, the size just above the largest that passed.
            let first_failure_last = results.iter().filter(|r| !r.1).count() == 1
                && results.last().is_some_and(|r| !r.1);
            if hi <= lo + 1 {
                None
            } else if first_failure_last && !tried(lo + 1) {
                Some(lo + 1)
            } else {
                Some(lo + (hi - lo) / 2)
            }
        }
    }
}

fn max_payload(rounds: &[Record], max: usize) -> Decision {
    let results: Vec<(usize, Option<bool>)> = rounds.iter().map(payload_round).collect();
    let lo = results
        .iter()
        .filter(|r| r.1 == Some(true))
        .map(|r| r.0)
        .max();
    let mut why = vec![Bilingual::new(
        format!("Each size on fresh connections: chk2 publishes it at QoS 1, then a small marker; chk1 subscribed. While it travels, chk2 publishes a tiny QoS 0 message every {KEEPAWAKE_MS} ms to an unused topic: some brokers (mosquitto over WebSocket) send a large message a slice per wake-up of their event loop, about 40 KB/s when idle, and the traffic keeps them awake."),
        format!("每个大小都使用新连接:chk2 以 QoS 1 发布该大小的消息,再发布一条小标记消息;chk1 已订阅。传输期间 chk2 每 {KEEPAWAKE_MS} ms 向无人订阅的主题发布一条极小的 QoS 0 消息:有些服务端(mosquitto 的 WebSocket)每次事件循环唤醒只发送大消息的一小段,空闲时约 40 KB/s,这些流量让它保持唤醒。"),
    )];
    // A deadline decided the answer only if a size counted as not delivered by stalls alone.
    let (verdicts, _) = payload_verdicts(rounds);
    let timeout_based = verdicts.iter().any(|(size, ok)| {
        !ok && !results.iter().any(|r| r.0 == *size && r.1 == Some(false))
            && lo.is_none_or(|lo| *size > lo)
    });
    for (r, (size, ok)) in rounds.iter().zip(&results) {
        let ms = payload_delivery_ms(r).unwrap_or_default();
        why.push(match ok {
            Some(true) => Bilingual::new(
                format!("{size} bytes: delivered in {ms} ms."),
                format!("{size} 字节:{ms} ms 后送达。"),
            ),
            Some(false) => Bilingual::new(
                format!("{size} bytes: not delivered (the marker came without it)."),
                format!("{size} 字节:未送达(标记消息到达而它没有)。"),
            ),
            None => Bilingual::new(
                format!("{size} bytes: nothing arrived, not even the marker, within {} ms: the connection stalled (a deadline, not a signal).", r.payload_deadline_ms),
                format!("{size} 字节:{} ms 内什么都没有到达,连标记消息也没有:连接停滞(按超时判断,非确定信号)。", r.payload_deadline_ms),
            ),
        });
    }
    let outcome = match lo {
        Some(lo) if lo >= max => format!(">={max}"),
        Some(lo) => lo.to_string(),
        None => "0".to_string(),
    };
    why.insert(
        0,
        match lo {
            Some(lo) => Bilingual::new(
                format!("Largest payload delivered: {lo} bytes (search up to {max})."),
                format!("送达的最大消息体:{lo} 字节(最多搜索到 {max})。"),
            ),
            None => Bilingual::new(
                "No payload size was delivered.",
                "没有任何大小的消息体送达。",
            ),
        },
    );
    if let Some(lo) = lo {
        let stalled_above = verdicts.iter().any(|(size, ok)| !ok && *size > lo);
        if stalled_above && timeout_based {
            why.push(Bilingual::new(
                format!("Sizes above {lo} bytes stalled on every attempt; this is a deadline-based answer."),
                format!("大于 {lo} 字节的大小每次尝试都停滞;这是按超时得出的结果。"),
            ));
        }
    }
    let mut d = Decision::new(outcome, why);
    d.timeout_based = timeout_based;
    d
}
