//! Received messages: a virtualised list with verdicts, filters, formats, export, and the
//! gap and duplicate summary of each probe series.

use super::fields::{setter, CheckField, SelectField, TextField};
use super::probe_summary::ProbeSummaryView;
use super::SectionProps;
use crate::edge::console;
use crate::edge::download::download;
use crate::view::clock::time_of_day;
use crate::view::export::{messages_csv, messages_json};
use crate::view::list_window::list_window;
use crate::view::message_filter::{FilterCache, MessageFilter};
use crate::view::payload::{render, PayloadFormat};
use crate::view::MessageRow;
use web_sys::HtmlElement;
use yew::prelude::*;

/// Every row has this height (the facts on one line, the evidence on up to two more), so
/// that only the rows in view need to exist in the DOM.
const ROW_PX: i32 = 48;
const VIEW_PX: i32 = 336;
const OVERSCAN: usize = 8;

#[function_component(MessagesView)]
pub fn messages_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    let filter = use_state(MessageFilter::default);
    // The rows the filter keeps, kept up to date as rows arrive (of this device's list).
    let cache = use_mut_ref(|| (d.clone(), FilterCache::default()));
    let format = use_state(PayloadFormat::default);
    // Equal values do not re-render: while the list follows the newest row, the scroll
    // events its own growth causes change nothing (and the render stays paced).
    let scroll_top = use_state_eq(|| 0i32);
    let follow = use_state_eq(|| true);
    // The list's scroll position at the last scroll event: tells the user's moves apart.
    let last_top = use_mut_ref(|| 0i32);
    let selected = use_state(|| None::<u64>);
    let list_ref = use_node_ref();

    // The rows that pass the filter, and the window of them in view.
    let (total, matching, window, summaries) = d.read(|s| {
        let all = &s.log.messages;
        let mut cache = cache.borrow_mut();
        if cache.0 != d {
            *cache = (d.clone(), FilterCache::default());
        }
        let kept = (!filter.is_empty()).then(|| cache.1.kept(&filter, all));
        let count = kept.map_or(all.len(), |k| k.len());
        let w = list_window(
            count,
            *follow,
            f64::from(*scroll_top),
            f64::from(ROW_PX),
            f64::from(VIEW_PX),
            OVERSCAN,
        );
        let absolute = |k: usize| kept.map_or(all.absolute(k), |kept| kept[k]);
        // Rows carry their absolute index, so a selection survives evictions before it.
        let rows: Vec<(u64, MessageRow)> = (w.start..w.end)
            .filter_map(|k| Some((absolute(k), all.get_absolute(absolute(k))?.clone())))
            .collect();
        (
            all.len(),
            count,
            (w, rows),
            // Each series with its story, told from this device's events.
            p.snapshot
                .session
                .probe_summaries
                .iter()
                .map(|(id, sum)| (id.clone(), sum.clone(), s.log.probe_stories.story(id)))
                .collect::<Vec<_>>(),
        )
    });
    let (geometry, rows) = window;
    let evicted = d.read(|s| s.log.messages.evicted());
    let manual_ack = p.snapshot.session.manual_ack;
    let on_manual_ack = {
        let d = d.clone();
        Callback::from(move |v: bool| d.set_manual_ack(v))
    };
    // Back to the newest row: following again scrolls there after the render.
    let jump_latest = {
        let follow = follow.clone();
        let list_ref = list_ref.clone();
        Callback::from(move |_: MouseEvent| {
            follow.set(true);
            if let Some(el) = list_ref.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        })
    };

    {
        // Follow the newest row while the user has not scrolled up.
        let list_ref = list_ref.clone();
        let follow = *follow;
        // The list's height is known: no layout is read to find the bottom.
        let bottom = geometry.height_px as i32;
        use_effect(move || {
            if follow {
                if let Some(el) = list_ref.cast::<HtmlElement>() {
                    el.set_scroll_top(bottom);
                }
            }
        });
    }
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        let follow = follow.clone();
        let last_top = last_top.clone();
        Callback::from(move |e: Event| {
            let el: HtmlElement = e.target_unchecked_into();
            let top = el.scroll_top();
            // Only a move up is the user leaving the newest row: a list that grew under a
            // scroll event (rows arriving faster than frames) is not a reason to stop.
            let went_up = top < *last_top.borrow();
            *last_top.borrow_mut() = top;
            let at_bottom = top + el.client_height() >= el.scroll_height() - ROW_PX;
            let following = at_bottom || (*follow && !went_up);
            // The position only matters to a list that does not follow.
            if !following {
                scroll_top.set(top);
            }
            follow.set(following);
        })
    };
    let set = |f: fn(&mut MessageFilter, String)| setter(&filter, f);
    let export = |json: bool| {
        let d = d.clone();
        let filter = (*filter).clone();
        Callback::from(move |_| {
            let text = d.read(|s| {
                let matcher = filter.matcher();
                let rows = s.log.messages.iter().filter(|m| matcher.keeps(m));
                if json {
                    messages_json(rows)
                } else {
                    messages_csv(rows)
                }
            });
            let (name, mime) = if json {
                ("ackscope-messages.json", "application/json")
            } else {
                ("ackscope-messages.csv", "text/csv")
            };
            if let Err(e) = download(name, mime, &text) {
                console::warn(&e);
            }
        })
    };
    let verdicts: Vec<(AttrValue, AttrValue)> =
        std::iter::once(("", l.t("all verdicts", "全部判定")))
            .chain(
                ["live", "offline", "retained", "redelivered", "duplicate"]
                    .into_iter()
                    .map(|v| (v, crate::i18n::label(l, v))),
            )
            .map(|(v, t)| (AttrValue::from(v), AttrValue::from(t.to_string())))
            .collect();
    let formats: Vec<(AttrValue, AttrValue)> = [
        ("text", l.t("text", "文本")),
        ("json", "JSON"),
        ("hex", "hex"),
        ("base64", "Base64"),
    ]
    .into_iter()
    .map(|(v, t)| (AttrValue::from(v), AttrValue::from(t.to_string())))
    .collect();
    let detail = selected.and_then(|i| d.read(|s| s.log.messages.get_absolute(i).cloned()));
    html! {
        <div class="card">
            <h3>{ l.t("Messages", "消息") }<small data-testid="msg-count" data-total={total.to_string()} data-matching={matching.to_string()} data-evicted={evicted.to_string()}>
                { if filter.is_empty() { format!(" {total}") } else { format!(" {matching}/{total}") } }
                if evicted > 0 { { format!(" · {evicted} {}", l.t("oldest dropped from the page's history", "条最早的消息已移出页面历史")) } }</small></h3>
            <div class="row">
                <TextField testid="msg-filter-topic" label={l.t("Topic contains", "主题包含")} value={filter.topic.clone()} on_change={set(|f, v| f.topic = v)} />
                <SelectField testid="msg-filter-verdict" label={l.t("Verdict", "判定")} value={filter.verdict.clone()} options={verdicts} on_change={set(|f, v| f.verdict = v)} />
                <TextField testid="msg-filter-text" label={l.t("Payload contains", "消息体包含")} value={filter.text.clone()} on_change={set(|f, v| f.text = v)} />
                <SelectField testid="msg-format" label={l.t("Show payload as", "消息体显示为")} value={format.as_str()} options={formats}
                    on_change={{ let format = format.clone(); Callback::from(move |v: String| format.set(PayloadFormat::parse(&v))) }} />
                <button data-testid="msg-export-json" onclick={export(true)}>{ l.t("Export JSON", "导出 JSON") }</button>
                <button data-testid="msg-export-csv" onclick={export(false)}>{ l.t("Export CSV", "导出 CSV") }</button>
                <CheckField testid="manual-ack" label={l.t("Withhold acks", "暂不确认")} checked={manual_ack}
                    title={l.t("Withhold PUBACK/PUBREC of incoming messages until you press Ack", "收到消息后暂不发送 PUBACK/PUBREC,直到点击确认")}
                    on_change={on_manual_ack} />
            </div>
            <p class="legend muted" data-testid="msg-legend">
                { l.t("Verdict without a mark: certain (probe header or timestamp). ", "判定无标记:已证实(探测头或时间戳)。") }
                <b>{"?"}</b>{ l.t(": inferred from timing (the replay burst after Session Present = 1); the evidence line says why.", ":依据时序推断(Session Present = 1 之后的重放突发);证据行说明原因。") }
            </p>
            <div class="messages-wrap">
            <div class="messages-scroll" data-testid="msg-list" ref={list_ref} onscroll={on_scroll} style={format!("max-height:{VIEW_PX}px")} tabindex="0"
                aria-label={l.t("Messages, newest last", "消息列表,最新在下")}>
                <ol class="messages" style={format!("height:{}px;padding-top:{}px", geometry.height_px.round(), geometry.pad_top_px.round())}>
                    { for rows.into_iter().map(|(i, m)| {
                        let select = { let selected = selected.clone(); Callback::from(move |_| selected.set(Some(i))) };
                        let evidence = l.text(&m.evidence.text());
                        let select_key = {
                            let selected = selected.clone();
                            Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" || e.key() == " " { selected.set(Some(i)) })
                        };
                        html! {
                            <li data-testid="msg-row" data-topic={m.topic.clone()} data-qos={m.qos.to_string()}
                                data-verdict={m.verdict.as_str()} data-dup={if m.dup { "1" } else { "0" }}
                                data-retain={if m.retain { "1" } else { "0" }}
                                data-probe-seq={m.probe_seq.map(|s| s.to_string())}
                                data-dead={m.into_dead_connection.then_some("1")}
                                class={classes!(m.into_dead_connection.then_some("dead"), (*selected == Some(i)).then_some("selected"))}
                                onclick={select} onkeydown={select_key} tabindex="0">
                                <div class="msg-line">
                                <span class="mono time">{ time_of_day(m.at) }</span>
                                <span class={classes!("badge", m.verdict.as_str())} title={l.certainty(m.certain)}>
                                    { crate::i18n::label(l, m.verdict.as_str()) }{ if m.certain { "" } else { "?" } }</span>
                                <span class="badge qos">{ format!("QoS {}", m.qos) }</span>
                                if m.dup { <span class="badge dup">{"DUP"}</span> }
                                if m.retain { <span class="badge retain">{"RETAIN"}</span> }
                                if m.into_dead_connection { <span class="badge deadconn">{ l.t("pushed into a dead connection", "已推送到失效连接") }</span> }
                                <code class="topic">{ m.topic.to_string() }</code>
                                if let Some(seq) = m.probe_seq { <span class="mono">{ format!("#{seq}") }</span> }
                                if let Some(lat) = m.latency_ms { <span class="mono latency" data-latency-ms={lat.to_string()}>{ l.duration(lat) }</span> }
                                <span class="payload" data-testid="msg-payload">{ render(&m.payload, if *format == PayloadFormat::Json { PayloadFormat::Text } else { *format }) }</span>
                                </div>
                                <div class="evidence" title={evidence.clone()}>{ evidence }</div>
                            </li>
                        }
                    }) }
                </ol>
            </div>
            if !*follow && matching > 0 {
                <button class="jump-latest" data-testid="msg-jump-latest" onclick={jump_latest}
                    title={l.t("The list stopped following new messages when you scrolled; follow them again", "滚动后列表不再跟随新消息;点击恢复跟随")}>
                    { l.t("↓ Jump to latest", "↓ 跳到最新") }</button>
            }
            </div>
            if let Some(m) = detail {
                <div class="msg-detail" data-testid="msg-detail">
                    <div class="muted">{ format!("{} · {} · QoS {} · {} {} · {} · {}", time_of_day(m.at), m.topic, m.qos, m.payload.len(), l.t("bytes", "字节"),
                        crate::i18n::label(l, m.verdict.as_str()), l.certainty(m.certain)) }
                        if let Some(lat) = m.latency_ms { { format!(" · {} {}", l.t("latency", "延迟"), l.duration(lat)) } }</div>
                    <div class="muted">{ l.text(&m.evidence.text()) }</div>
                    <pre>{ render(&m.payload, *format) }</pre>
                </div>
            }
            <ProbeSummaryView lang={l} series={summaries} />
            if p.snapshot.session.probe_series_evicted > 0 {
                <p class="muted" data-testid="probe-series-evicted" data-count={p.snapshot.session.probe_series_evicted.to_string()}>
                    { format!("{} {}", p.snapshot.session.probe_series_evicted, l.t("older probe series no longer tracked (at most 64 at once)", "个较早的探测序列已不再跟踪(最多同时 64 个)")) }
                </p>
            }
        </div>
    }
}
