//! A report for a ticket: a recording summarised in Markdown, or in one self-contained HTML
//! file with the same content. Short enough to paste: settings, the timeline of connects,
//! Session Present and closes, the findings with their evidence and fix, the probe series,
//! and each device's broker-check table.
//!
//! Design: the report is built once as a small document (headings, paragraphs, lists,
//! tables) and written out twice, so the two files cannot say different things.

use super::clock::time_of_day;
use super::recording::{date_time, event_time, Recording};
use crate::i18n::Lang;
use ackscope_core::diagnostics::Finding;
use ackscope_core::session::{ConnState, Event};
use ackscope_core::verdicts::VerdictKind;

/// Timeline entries a report lists at most (the latest ones).
const MAX_TIMELINE: usize = 60;

enum Block {
    Heading(String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

fn device_name(l: Lang, index: usize, client_id: &str) -> String {
    format!("{} {} ({client_id})", l.t("device", "设备"), index + 1)
}

fn timeline(l: Lang, rec: &Recording) -> (Vec<String>, usize) {
    let mut items: Vec<(u64, String)> = Vec::new();
    for (index, d) in rec.devices.iter().enumerate() {
        let who = format!("{} {}", l.t("device", "设备"), index + 1);
        for e in &d.events {
            let text = match e {
                Event::Connected {
                    session_present,
                    clean_session,
                    client_id,
                    ..
                } => format!(
                    "CONNACK 0 {} {client_id}, cleanSession={}, Session Present={}",
                    l.t("as", "ClientId"),
                    u8::from(*clean_session),
                    u8::from(*session_present)
                ),
                Event::Refused { refusal, .. } => l.text(&refusal.text()),
                Event::Closed { reason, .. } => l.text(&reason.text()),
                Event::State {
                    state: ConnState::Silent,
                    ..
                } => l
                    .t(
                        "went silent (socket open, nothing sent)",
                        "进入静默(连接保持打开,不再发送)",
                    )
                    .to_string(),
                Event::SilentConnectionClosed {
                    at,
                    silent_since,
                    taken_over,
                    ..
                } => {
                    let after = l.duration(at.saturating_sub(*silent_since) as i64);
                    if *taken_over {
                        format!(
                            "{} ({after})",
                            l.t(
                                "the broker closed the silent connection for the takeover",
                                "服务端因接管关闭了静默连接"
                            )
                        )
                    } else {
                        format!(
                            "{} {after} {}",
                            l.t(
                                "the broker closed the silent connection",
                                "服务端关闭了静默连接,静默后"
                            ),
                            l.t("after the silence began", "")
                        )
                    }
                }
                Event::Resent { packet_ids, .. } => format!(
                    "{} {packet_ids:?}",
                    l.t("resent with DUP=1:", "以 DUP=1 重发:")
                ),
                Event::Abandoned { packet_ids, .. } => format!(
                    "{} {packet_ids:?}",
                    l.t(
                        "no session: unacknowledged messages given up:",
                        "无会话:放弃未确认消息:"
                    )
                ),
                Event::NetworkDown { .. } => {
                    l.t("the browser went offline", "浏览器离线").to_string()
                }
                Event::NetworkUp { .. } => l
                    .t("the browser is online again", "浏览器恢复联网")
                    .to_string(),
                _ => continue,
            };
            items.push((
                event_time(e),
                format!("{} {who}: {}", time_of_day(event_time(e)), text.trim()),
            ));
        }
    }
    items.sort_by_key(|(at, _)| *at);
    let omitted = items.len().saturating_sub(MAX_TIMELINE);
    (
        items.into_iter().skip(omitted).map(|(_, t)| t).collect(),
        omitted,
    )
}

fn build(l: Lang, rec: &Recording, findings: &[Finding]) -> Vec<Block> {
    let mut doc = Vec::new();
    doc.push(Block::Heading(
        l.t("ackscope report", "ackscope 报告").to_string(),
    ));
    let from = rec
        .started_at
        .map(|s| format!(" ({} {} UTC)", l.t("from", "起始"), date_time(s)))
        .unwrap_or_default();
    doc.push(Block::Para(format!(
        "{} {} UTC{from} · {} · {} {}",
        l.t("Recorded", "录制于"),
        date_time(rec.created_at),
        rec.page,
        rec.devices.len(),
        l.t("device(s)", "个设备"),
    )));

    doc.push(Block::Heading(l.t("Settings", "配置").to_string()));
    let rows = rec
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let s = &d.settings;
            let subs = d
                .session
                .as_ref()
                .map(|v| {
                    v.subscriptions
                        .iter()
                        .map(|x| format!("{} (QoS {}→{})", x.filter, x.requested, x.granted_attr()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            vec![
                (i + 1).to_string(),
                s.client_id.clone(),
                s.broker_url.clone(),
                s.broker_profile.clone(),
                s.auth_mode.clone(),
                s.username.clone(),
                if s.clean_session { "1" } else { "0" }.to_string(),
                s.keepalive.clone(),
                format!("{}/{}", d.sub_qos, d.pub_qos),
                subs,
            ]
        })
        .collect();
    doc.push(Block::Table(
        [
            "#",
            "ClientId",
            l.t("broker", "服务端"),
            l.t("profile", "服务端配置"),
            l.t("auth", "鉴权"),
            l.t("username", "用户名"),
            "cleanSession",
            "keepalive",
            l.t("sub/pub QoS", "订阅/发布 QoS"),
            l.t("subscriptions (asked→granted)", "订阅(请求→授予)"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    ));
    doc.push(Block::Para(
        l.t("No secrets: passwords, AccessKey secrets and tokens are never in a recording or a report.", "不含密钥:录制文件和报告中从不包含密码、AccessKey Secret 或令牌。").to_string(),
    ));

    doc.push(Block::Heading(
        l.t(
            "Timeline: connects, Session Present, closes",
            "时间线:连接、Session Present、断开",
        )
        .to_string(),
    ));
    let (items, omitted) = timeline(l, rec);
    if omitted > 0 {
        doc.push(Block::Para(format!(
            "{omitted} {}",
            l.t("earlier entries omitted.", "条更早的记录已省略。")
        )));
    }
    if items.is_empty() {
        doc.push(Block::Para(
            l.t("No connections were recorded.", "没有记录到连接。")
                .to_string(),
        ));
    } else {
        doc.push(Block::List(items));
    }

    doc.push(Block::Heading(format!(
        "{} ({})",
        l.t("Findings", "诊断发现"),
        findings.len()
    )));
    if findings.is_empty() {
        doc.push(Block::Para(l.t("No findings.", "无诊断发现。").to_string()));
    } else {
        doc.push(Block::List(
            findings
                .iter()
                .map(|f| {
                    let at =
                        f.at.map(|a| format!(" {}", time_of_day(a)))
                            .unwrap_or_default();
                    format!(
                        "[{}] {} · {} {}{at}: {} — {} {}",
                        crate::i18n::label(l, f.severity.as_str()),
                        f.rule,
                        l.t("device", "设备"),
                        f.device + 1,
                        l.text(&f.evidence),
                        l.text(&f.explanation),
                        l.text(&ackscope_core::diagnostics::fix_line(&f.fix)),
                    )
                })
                .collect(),
        ));
    }

    doc.push(Block::Heading(
        l.t("Messages received, by verdict", "收到的消息(按判定)")
            .to_string(),
    ));
    let verdicts = [
        VerdictKind::Live,
        VerdictKind::Offline,
        VerdictKind::Retained,
        VerdictKind::Redelivered,
        VerdictKind::Duplicate,
    ];
    let rows = rec
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut row = vec![device_name(l, i, &d.settings.client_id)];
            for v in verdicts {
                let n = d
                    .events
                    .iter()
                    .filter(|e| matches!(e, Event::Message(m) if m.verdict.kind == v))
                    .count();
                row.push(n.to_string());
            }
            row
        })
        .collect();
    let mut head = vec![l.t("device", "设备").to_string()];
    head.extend(
        verdicts
            .iter()
            .map(|v| crate::i18n::label(l, v.as_str()).to_string()),
    );
    doc.push(Block::Table(head, rows));

    doc.push(Block::Heading(
        l.t("Probe series (receiving side)", "探测序列(接收端)")
            .to_string(),
    ));
    let mut rows = Vec::new();
    for (i, d) in rec.devices.iter().enumerate() {
        let Some(view) = &d.session else { continue };
        for (series, s) in &view.probe_summaries {
            let latencies: Vec<i64> = d
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::Message(m) => m
                        .probe
                        .as_ref()
                        .filter(|p| p.0 == *series)
                        .map(|p| ackscope_core::probe::latency_ms(m.at, p.2)),
                    _ => None,
                })
                .collect();
            let latency = match (latencies.iter().min(), latencies.iter().max()) {
                (Some(lo), Some(hi)) => format!("{} – {}", l.duration(*lo), l.duration(*hi)),
                _ => String::new(),
            };
            let missing = if s.missing.is_empty() {
                s.missing_count.to_string()
            } else {
                format!("{} ({:?})", s.missing_count, s.missing)
            };
            rows.push(vec![
                device_name(l, i, &d.settings.client_id),
                series.clone(),
                s.received.to_string(),
                s.highest_seq.to_string(),
                missing,
                s.duplicates.to_string(),
                s.out_of_order.to_string(),
                latency,
            ]);
        }
    }
    if rows.is_empty() {
        doc.push(Block::Para(
            l.t("No probe series were received.", "没有收到探测序列。")
                .to_string(),
        ));
    } else {
        doc.push(Block::Table(
            [
                l.t("device", "设备"),
                l.t("series", "序列"),
                l.t("received", "已收到"),
                l.t("highest seq", "最大序号"),
                l.t("missing", "缺失"),
                l.t("duplicates", "重复"),
                l.t("out of order", "乱序"),
                l.t("latency", "延迟"),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows,
        ));
    }
    doc.extend(broker_checks(l, rec));
    let evicted: u64 = rec.devices.iter().map(|d| d.events_evicted).sum();
    if evicted > 0 {
        doc.push(Block::Para(format!(
            "{evicted} {}",
            l.t(
                "of the oldest events were no longer kept when this was recorded.",
                "条最早的事件在录制时已不再保留。"
            )
        )));
    }
    doc
}

/// The broker-check table of each device that ran one: every row's outcome with the first
/// line of its evidence (the full evidence and packets are in the recording).
fn broker_checks(l: Lang, rec: &Recording) -> Vec<Block> {
    let mut doc = Vec::new();
    for (i, d) in rec.devices.iter().enumerate() {
        let Some(c) = &d.broker_check else { continue };
        doc.push(Block::Heading(format!(
            "{}: {} · {}",
            l.t("Broker check", "服务端检测"),
            device_name(l, i, &d.settings.client_id),
            c.broker
        )));
        let took = c
            .elapsed_ms
            .map(|ms| l.duration(ms as i64))
            .unwrap_or_default();
        doc.push(Block::Para(format!(
            "{} {} · {took} · {} {} · {} {}",
            l.t("State:", "状态:"),
            c.state.as_str(),
            l.t("check connections", "检测连接"),
            c.client_ids
                .iter()
                .filter(|x| !x.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            l.t("topic prefix", "主题前缀"),
            c.topic_prefix
        )));
        let rows = c
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.outcome_cell(l == Lang::ZhCn),
                    l.text(&r.kind.title()),
                    r.why.first().map(|w| l.text(w)).unwrap_or_default(),
                ]
            })
            .collect();
        doc.push(Block::Table(
            [
                l.t("check", "检测"),
                l.t("outcome", "结果"),
                l.t("what is measured", "测量内容"),
                l.t("evidence", "依据"),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows,
        ));
    }
    doc
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The report in Markdown.
pub fn markdown(l: Lang, rec: &Recording, findings: &[Finding]) -> String {
    let mut out = String::new();
    for (i, b) in build(l, rec, findings).into_iter().enumerate() {
        match b {
            Block::Heading(h) => {
                out.push_str(&format!("{} {h}\n\n", if i == 0 { "#" } else { "##" }))
            }
            Block::Para(p) => out.push_str(&format!("{p}\n\n")),
            Block::List(items) => {
                for it in items {
                    out.push_str(&format!("- {}\n", it.replace('\n', " ")));
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                out.push_str(&format!(
                    "| {} |\n",
                    head.iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
                out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for r in rows {
                    out.push_str(&format!(
                        "| {} |\n",
                        r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push('\n');
            }
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The same report as one HTML file (no scripts, no outside resources).
pub fn html(l: Lang, rec: &Recording, findings: &[Finding]) -> String {
    let mut body = String::new();
    let mut title = String::new();
    for (i, b) in build(l, rec, findings).into_iter().enumerate() {
        match b {
            Block::Heading(h) => {
                if i == 0 {
                    title = h.clone();
                }
                let tag = if i == 0 { "h1" } else { "h2" };
                body.push_str(&format!("<{tag}>{}</{tag}>\n", esc(&h)));
            }
            Block::Para(p) => body.push_str(&format!("<p>{}</p>\n", esc(&p))),
            Block::List(items) => {
                body.push_str("<ul>\n");
                for it in items {
                    body.push_str(&format!("<li>{}</li>\n", esc(&it)));
                }
                body.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                body.push_str("<table><thead><tr>");
                for h in head {
                    body.push_str(&format!("<th>{}</th>", esc(&h)));
                }
                body.push_str("</tr></thead><tbody>\n");
                for r in rows {
                    body.push_str("<tr>");
                    for c in r {
                        body.push_str(&format!("<td>{}</td>", esc(&c)));
                    }
                    body.push_str("</tr>\n");
                }
                body.push_str("</tbody></table>\n");
            }
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>{}</title>\n<style>body{{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#1d2939}}table{{border-collapse:collapse;margin:.5em 0}}th,td{{border:1px solid #d0d5dd;padding:.25em .5em;text-align:left;vertical-align:top}}th{{background:#f2f4f7}}li{{margin:.2em 0}}</style></head>\n<body>\n{body}</body></html>\n",
        l.code(),
        esc(&title)
    )
}
