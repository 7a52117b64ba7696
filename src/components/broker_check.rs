//! The broker check section of a device card: start, cancel, progress, the table of measured
//! behaviour with each cell's evidence, and the exports. Outcomes come from the core's
//! `BrokerCheck` (through `edge::broker_check`), which the device owns; nothing here decides
//! one. A recorded device shows (and exports) the run its recording holds.

use super::fields::TextField;
use super::SectionProps;
use crate::edge::broker_check::CheckDriver;
use crate::edge::download::download;
use crate::i18n::Lang;
use ackscope_core::auth::AuthMode;
use ackscope_core::check::{
    CheckKind, CheckOptions, CheckRow, CheckView, RowStatus, RunState, DEFAULT_KEEPALIVE_SECS,
    DEFAULT_QUEUE_LIMIT,
};
use ackscope_core::profile::{BrokerKind, BrokerProfile};
use ackscope_core::text::Bilingual;
use yew::prelude::*;

/// The label of an outcome value in the page's language (`data-outcome` keeps the value).
fn outcome_label(l: Lang, value: &str) -> String {
    let zh = match value {
        "lost" => "丢失",
        "delivered" => "已送达",
        "not-delivered" => "未送达",
        "resent" => "重发",
        "not-resent" => "不重发",
        "dup" => "DUP 重投",
        "no-dup" => "重投无 DUP",
        "published" => "已发布",
        "not-published" => "未发布",
        "one" => "一份",
        "each" => "每个过滤器一份",
        "excluded" => "不匹配",
        "included" => "匹配",
        "accepted" => "接受",
        "refused" => "拒绝",
        "wiped" => "已清除",
        "kept" => "保留",
        "not-allowed" => "不允许",
        "error" => "出错",
        "cancelled" => "已取消",
        "unknown" => "未知",
        _ => return value.to_string(),
    };
    match l {
        Lang::En => value.to_string(),
        Lang::ZhCn => format!("{zh} ({value})"),
    }
}

fn state_text(l: Lang, state: RunState) -> &'static str {
    match state {
        RunState::Idle => l.t("not run yet", "尚未运行"),
        RunState::Running => l.t("running", "运行中"),
        RunState::Cancelling => l.t("cancelling: cleaning up", "正在取消:清理中"),
        RunState::Finished => l.t("finished", "已完成"),
        RunState::Cancelled => l.t("cancelled", "已取消"),
    }
}

/// The rows before any run: ids, what they measure, and the profile's `not-allowed`.
fn preview(profile: &BrokerProfile) -> Vec<(CheckKind, String, Option<Bilingual>)> {
    CheckKind::all()
        .into_iter()
        .map(|k| (k, k.id(), k.not_allowed(profile)))
        .collect()
}

#[function_component(BrokerCheckView)]
pub fn broker_check_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    // The device owns the run; its progress renders this card again (see edge::device).
    let driver: CheckDriver = d.check();
    let queue_n = use_state(|| DEFAULT_QUEUE_LIMIT.to_string());
    let keepalive = use_state(|| DEFAULT_KEEPALIVE_SECS.to_string());
    let recorded = d.is_recorded();
    let (broker, profile_kind) = d.read(|s| (s.form.broker_url.clone(), s.form.broker));
    let view: Option<CheckView> = d.check_view();
    let busy = driver.busy();

    let start = {
        let (driver, d, queue_n, keepalive) = (
            driver.clone(),
            d.clone(),
            queue_n.clone(),
            keepalive.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let (n, k) = match CheckOptions::parse(&queue_n, &keepalive) {
                Ok(v) => v,
                Err(e) => return driver.refuse(e.text()),
            };
            let prepared = d.read(|s| {
                if s.form.broker_needs_confirm {
                    return Err(Bilingual::new(
                        "This broker URL came from a link or a file: connect once and confirm it before the check sends credentials there.",
                        "该服务端 URL 来自链接或文件:请先连接一次并确认,检测才会向其发送凭据。",
                    ));
                }
                let config = s.form.session_config(0).map_err(|e| e.text())?;
                let aliyun = s.form.broker == BrokerKind::Aliyun || s.form.auth.mode.is_aliyun();
                // On Alibaba every topic starts with a parent topic of the instance: the
                // first level of the device's subscription.
                let root = s
                    .form
                    .sub_topic
                    .split('/')
                    .next()
                    .filter(|r| aliyun && !r.is_empty() && !r.contains(['+', '#', '$']))
                    .unwrap_or("ackscope-check")
                    .to_string();
                let auth = (s.form.auth.mode != AuthMode::None).then(|| s.form.auth.clone());
                Ok((config, auth, root))
            });
            match prepared {
                Ok((config, auth, topic_root)) => driver.start(
                    config,
                    auth,
                    CheckOptions {
                        queue_limit: n,
                        keepalive_secs: k,
                        topic_root,
                        ..CheckOptions::default()
                    },
                ),
                Err(why) => driver.refuse(why),
            }
        })
    };
    let cancel = {
        let driver = driver.clone();
        Callback::from(move |_: MouseEvent| driver.cancel())
    };
    let export = |markdown: bool| {
        let (driver, d) = (driver.clone(), d.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(report) = d.check_report() else {
                return;
            };
            let result = if markdown {
                download(
                    "ackscope-broker-check.md",
                    "text/markdown",
                    &report.to_markdown(l == Lang::ZhCn),
                )
            } else {
                download(
                    "ackscope-broker-check.json",
                    "application/json",
                    &report.to_json(),
                )
            };
            if let Err(e) = result {
                driver.refuse(Bilingual::new(
                    format!("Export failed: {e}"),
                    format!("导出失败:{e}"),
                ));
            }
        })
    };
    let (done, total, state, current, elapsed) = match &view {
        Some(v) => (v.done, v.total, v.state, v.current.clone(), v.elapsed_ms),
        None => {
            let rows = preview(&BrokerProfile::for_kind(profile_kind));
            let done = rows.iter().filter(|r| r.2.is_some()).count();
            (done, rows.len(), RunState::Idle, None, None)
        }
    };
    let progress_text = {
        let mut t = format!("{done}/{total} · {}", state_text(l, state));
        if let Some(c) = &current {
            t.push_str(&format!(" · {c}"));
        }
        if let (Some(ms), false) = (elapsed, busy) {
            t.push_str(&format!(" · {}", l.seconds(ms)));
        }
        t
    };
    let rows_html: Html = match &view {
        Some(v) => v.rows.iter().map(|r| row_html(l, r)).collect(),
        None => preview(&BrokerProfile::for_kind(profile_kind))
            .into_iter()
            .map(|(kind, id, why)| {
                let outcome = if why.is_some() { "not-allowed" } else { "" };
                html! {
                    <tr data-testid="broker-check-row" data-check={id.clone()} data-outcome={outcome}
                        data-status={if why.is_some() { "not-allowed" } else { "pending" }}>
                        <td><code>{ id }</code></td>
                        <td>{ l.text(&kind.title()) }</td>
                        <td class="outcome">{ if outcome.is_empty() { "–".to_string() } else { outcome_label(l, outcome) } }</td>
                        <td>{ why.map(|w| l.text(&w)).unwrap_or_default() }</td>
                    </tr>
                }
            })
            .collect(),
    };
    let on_n = {
        let queue_n = queue_n.clone();
        Callback::from(move |v: String| queue_n.set(v))
    };
    let on_k = {
        let keepalive = keepalive.clone();
        Callback::from(move |v: String| keepalive.set(v))
    };
    let client_ids = view.as_ref().map(|v| {
        v.client_ids
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    });
    html! {
        <details class="card broker-check" data-testid="broker-check" data-state={state.as_str()} open={view.is_some()}>
            <summary><h3>{ l.t("Broker check", "服务端检测") }
                <small>{ format!(" {done}/{total}") }</small></h3></summary>
            <p class="hint">{ l.t(
                "Measures how this device's broker really behaves (offline messages at each QoS, sessions, retained, will, limits, timings) with extra connections derived from its ClientId (-chk1, -chk2) on a private topic prefix. It cleans up after itself. Against a local mosquitto it takes about a minute.",
                "用从该设备 ClientId 派生的额外连接(-chk1、-chk2)在私有主题前缀下,实测该设备服务端的真实行为(各 QoS 的离线消息、会话、保留消息、遗嘱、上限、时序),并自行清理。对本地 mosquitto 约需一分钟。") }
                { format!(" {}", broker) }</p>
            <div class="row">
                <TextField testid="broker-check-queue-n" label={l.t("Queue-limit N", "队列上限 N")} value={(*queue_n).clone()} on_change={on_n} />
                <TextField testid="broker-check-keepalive" label={l.t("Keepalive-close K (s)", "保活关闭 K(秒)")} value={(*keepalive).clone()} on_change={on_k} />
                <button data-testid="broker-check-start" onclick={start} disabled={busy || recorded}
                    title={l.t("Run every check against this device's broker", "对该设备的服务端运行全部检测")}>
                    { l.t("Run broker check", "运行服务端检测") }</button>
                <button data-testid="broker-check-cancel" onclick={cancel} disabled={!busy}
                    title={l.t("Stop now; the running check cleans up (press again to drop every check connection)", "立即停止;正在运行的检测会清理(再按一次直接断开所有检测连接)")}>
                    { if state == RunState::Cancelling { l.t("Stop cleanup", "停止清理") } else { l.t("Cancel", "取消") } }</button>
                <button data-testid="broker-check-export" data-format="json" onclick={export(false)} disabled={view.is_none() || busy}
                    title={l.t("Download the results with their evidence as JSON", "将结果及依据下载为 JSON")}>{ l.t("Export JSON", "导出 JSON") }</button>
                <button data-testid="broker-check-export" data-format="markdown" onclick={export(true)} disabled={view.is_none() || busy}
                    title={l.t("Download a Markdown table for a ticket", "下载用于工单的 Markdown 表格")}>{ l.t("Export Markdown", "导出 Markdown") }</button>
            </div>
            <div class="progress-line" role="status" aria-live="polite">
                <progress data-testid="broker-check-progress" data-done={done.to_string()} data-total={total.to_string()}
                    data-state={state.as_str()} max={total.max(1).to_string()} value={done.to_string()}></progress>
                <span>{ progress_text }</span>
            </div>
            if let Some(e) = driver.error() {
                <p class="field-error" role="alert" data-testid="broker-check-error">{ l.text(&e) }</p>
            }
            if let Some(why) = driver.cleanup_failure() {
                <p class="field-error" role="alert" data-testid="broker-check-cleanup-failed">
                    { format!("{} {} {}", l.t("A cleanup could not finish:", "有一次清理未能完成:"), l.text(&why),
                        l.t("The broker may still hold the check connections' sessions and retained messages under the topic prefix.", "服务端可能仍保留检测连接的会话以及主题前缀下的保留消息。")) }</p>
            }
            if let Some(ids) = client_ids {
                <p class="hint">{ format!("{} {ids}", l.t("Check connections:", "检测连接:")) }
                    { format!(" · {} {}", l.t("topic prefix", "主题前缀"), view.as_ref().map(|v| v.topic_prefix.clone()).unwrap_or_default()) }</p>
            }
            <div class="messages-scroll">
            <table class="probe-summary check-table">
                <thead><tr>
                    <th>{ l.t("Check", "检测") }</th>
                    <th>{ l.t("What is measured", "测量内容") }</th>
                    <th>{ l.t("Outcome", "结果") }</th>
                    <th>{ l.t("Evidence", "依据") }</th>
                </tr></thead>
                <tbody>{ rows_html }</tbody>
            </table>
            </div>
        </details>
    }
}

fn row_html(l: Lang, r: &CheckRow) -> Html {
    let mut shown = if r.outcome.is_empty() {
        match r.status {
            RowStatus::Running => l.t("running…", "运行中…").to_string(),
            RowStatus::Skipped => l.t("not run", "未运行").to_string(),
            _ => "–".to_string(),
        }
    } else {
        outcome_label(l, &r.outcome)
    };
    if let Some(end) = r.dropped {
        shown.push_str(&match l {
            Lang::En => format!(" (dropped {end})"),
            Lang::ZhCn => format!("(丢弃{})", if end == "newest" { "最新" } else { "最旧" }),
        });
    }
    let class = match r.status {
        RowStatus::Error => Some("bad"),
        RowStatus::NotAllowed | RowStatus::Cancelled | RowStatus::Skipped => Some("muted"),
        RowStatus::Running => Some("running"),
        _ => None,
    };
    let summary = r.why.first().map(|w| l.text(w)).unwrap_or_default();
    html! {
        <tr data-testid="broker-check-row" data-check={r.id.clone()} data-outcome={r.outcome.clone()}
            data-status={r.status.as_str()} data-dropped={r.dropped} data-timeout-based={r.timeout_based.then_some("1")}
            class={classes!(class)}>
            <td><code>{ &r.id }</code></td>
            <td>{ l.text(&r.kind.title()) }</td>
            <td class="outcome"><strong>{ shown }</strong>
                if r.timeout_based {
                    <small class="muted" title={l.t("Decided by a deadline, not by a positive signal", "按超时判断,而非确定信号")}>
                        { l.t(" (deadline)", "(超时判断)") }</small>
                }
                if let Some(ms) = r.took_ms {
                    <small class="muted">{ format!(" {}", l.seconds(ms)) }</small>
                }
            </td>
            <td>
                if r.why.is_empty() && r.trace.is_empty() {
                    <span class="muted">{"–"}</span>
                } else {
                    <details data-testid="broker-check-evidence">
                        <summary>{ summary }</summary>
                        <div class="msg-detail">
                            <ul>{ for r.why.iter().skip(1).map(|w| html! { <li>{ l.text(w) }</li> }) }</ul>
                            if !r.trace.is_empty() {
                                <pre class="mono">{ r.trace.join("\n") }</pre>
                            }
                        </div>
                    </details>
                }
            </td>
        </tr>
    }
}
