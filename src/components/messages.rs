//! Received messages with their verdicts, newest last.

use super::device_panel::SectionProps;
use crate::i18n::Lang;
use crate::view::MessageRow;
use ackscope_core::verdicts::Evidence;
use yew::prelude::*;

/// Rows rendered at most; older ones stay in memory and in the count.
const RENDERED_ROWS: usize = 300;

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

fn evidence_text(l: Lang, e: &Evidence) -> String {
    match e {
        Evidence::ProbeSeenBefore { series, seq } => format!(
            "{} {series}#{seq}",
            l.t("already received probe", "已收到过的探测")
        ),
        Evidence::Qos2IdAwaitingRelease { packet_id } => format!(
            "{} {packet_id}",
            l.t(
                "QoS 2 resend before PUBREL, id",
                "PUBREL 之前的 QoS 2 重发,id"
            )
        ),
        Evidence::PushedIntoDeadConnection { first_at, delay_ms } => format!(
            "{} {} · {} {:.1} s",
            l.t(
                "first pushed into the dead connection at",
                "首次推入已死连接于"
            ),
            clock(*first_at),
            l.t("delayed", "延迟"),
            *delay_ms as f64 / 1000.0
        ),
        Evidence::DupFlag => l.t("DUP=1", "DUP=1").into(),
        Evidence::RetainFlag => l
            .t(
                "RETAIN=1: stored message sent on subscribe",
                "RETAIN=1:订阅时下发的保留消息",
            )
            .into(),
        Evidence::SentBeforeConnect {
            sent_at,
            connack_at,
        } => format!(
            "{} {:.1} s {}",
            l.t("sent", "发送于"),
            (connack_at - sent_at) as f64 / 1000.0,
            l.t("before this connection's CONNACK", "本次连接 CONNACK 之前")
        ),
        Evidence::ReplayBurst { after_connack_ms } => format!(
            "{} {after_connack_ms} ms {}",
            l.t("in the replay burst", "处于重放突发中,"),
            l.t(
                "after CONNACK with Session Present = 1",
                "在 Session Present = 1 的 CONNACK 之后"
            )
        ),
        Evidence::NoReplaySign => String::new(),
    }
}

#[function_component(MessagesView)]
pub fn messages_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let (total, rows): (usize, Vec<MessageRow>) = p.device.read(|s| {
        let m = &s.log.messages;
        (m.len(), m[m.len().saturating_sub(RENDERED_ROWS)..].to_vec())
    });
    html! {
        <div class="card">
            <h3>{ l.t("Messages", "消息") }<small>{ format!(" {total}") }</small>
                if total > RENDERED_ROWS { <small>{ format!(" · {} {RENDERED_ROWS}", l.t("showing the newest", "显示最新")) }</small> }
            </h3>
            <ol class="messages">
                { for rows.iter().map(|m| html! {
                    <li data-testid="msg-row" data-topic={m.topic.clone()} data-qos={m.qos.to_string()}
                        data-verdict={m.verdict.as_str()} data-dup={if m.dup { "1" } else { "0" }}
                        data-retain={if m.retain { "1" } else { "0" }}
                        data-probe-seq={m.probe_seq.map(|s| s.to_string())}
                        data-dead={m.into_dead_connection.then_some("1")}
                        class={classes!(m.into_dead_connection.then_some("dead"))}>
                        <span class="mono time">{ clock(m.at) }</span>
                        <span class={classes!("badge", m.verdict.as_str())} title={if m.certain { l.t("certain", "确定") } else { l.t("inferred", "推断") }}>
                            { m.verdict.as_str() }{ if m.certain { "" } else { "?" } }</span>
                        <span class="badge qos">{ format!("QoS {}", m.qos) }</span>
                        if m.dup { <span class="badge dup">{"DUP"}</span> }
                        if m.retain { <span class="badge retain">{"RETAIN"}</span> }
                        if m.into_dead_connection { <span class="badge deadconn">{ l.t("into dead connection", "推入已死连接") }</span> }
                        <code class="topic">{ &m.topic }</code>
                        if let Some(seq) = m.probe_seq { <span class="mono">{ format!("#{seq}") }</span> }
                        if let Some(lat) = m.latency_ms { <span class="mono latency">{ format!("{lat} ms") }</span> }
                        <span class="payload" data-testid="msg-payload">{ &m.payload_text }</span>
                        <span class="evidence">{ evidence_text(l, &m.evidence) }</span>
                    </li>
                }) }
            </ol>
        </div>
    }
}
