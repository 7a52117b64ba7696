//! Findings across every device: what went wrong, the evidence, and the fix.

use crate::edge::clock::now;
use crate::edge::device::Device;
use crate::i18n::Lang;
use crate::view::clock::{seconds, time_of_day};
use ackscope_core::diagnostics::{diagnose, DeviceFacts, DeviceSettings, Finding};
use gloo_timers::callback::Interval;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiagnosticsProps {
    pub devices: Vec<Device>,
    pub lang: Lang,
    pub version: u64,
}

/// Runs the rules over every device on the page.
fn findings(devices: &[Device]) -> Vec<Finding> {
    // Histories are borrowed, not copied: this runs on every render.
    let snapshots: Vec<_> = devices.iter().map(|d| d.snapshot()).collect();
    let states: Vec<_> = devices.iter().map(|d| d.borrow()).collect();
    let settings: Vec<DeviceSettings> = states
        .iter()
        .zip(&snapshots)
        .map(|(s, snap)| DeviceSettings {
            // What the sender knows of its probe series: how many went out.
            sending: snap.session.probe_series.clone(),
            ..s.form.diagnostic_settings(&snap.session.subscriptions)
        })
        .collect();
    let facts: Vec<DeviceFacts<'_>> = states
        .iter()
        .zip(&settings)
        .enumerate()
        .map(|(i, (s, settings))| DeviceFacts {
            device: i as u32,
            settings,
            history: &s.history,
        })
        .collect();
    diagnose(now(), &facts)
}

/// How often the findings are computed again with nothing else changing: some hold only
/// after a settle time (a replay judged complete, a probe tail called lost) or end with a
/// clock (an ack timeout after a takeover), while an idle page is not redrawn.
const REVIEW_MS: u32 = 1_000;

#[function_component(DiagnosticsView)]
pub fn diagnostics_view(p: &DiagnosticsProps) -> Html {
    let l = p.lang;
    let review = use_force_update();
    use_effect_with((), move |_| {
        let interval = Interval::new(REVIEW_MS, move || review.force_update());
        move || drop(interval)
    });
    let list = findings(&p.devices);
    html! {
        <section class="card diagnostics" aria-label={l.t("Diagnostics", "诊断")}>
            <h3>{ l.t("Diagnostics", "诊断") }<small>{ format!(" {}", list.len()) }</small></h3>
            if list.is_empty() {
                <p class="muted">{ l.t("No findings: nothing on this page explains missing offline messages right now.", "暂无发现:当前页面没有导致离线消息缺失的迹象。") }</p>
            }
            <ul class="findings">
                { for list.into_iter().map(|f| html! {
                    <li data-testid="diag-finding" data-rule={f.rule} data-severity={f.severity.as_str()}
                        data-device={f.device.to_string()} data-remaining-ms={f.remaining_ms.map(|r| r.to_string())}
                        class={classes!("finding", f.severity.as_str())}>
                        <div class="finding-head">
                            <span class={classes!("sev", f.severity.as_str())}>{ crate::i18n::label(l, f.severity.as_str()) }</span>
                            <code>{ f.rule }</code>
                            <span class="muted">{ format!("{} {}", l.t("device", "设备"), f.device + 1) }</span>
                            if let Some(at) = f.at { <span class="mono muted" title={l.t("when the evidence happened: find it in the timeline and packet log", "证据发生的时间:可在时间线和报文日志中查找")}>{ time_of_day(at) }</span> }
                            <span>{ l.pick(f.evidence.en, f.evidence.zh) }</span>
                            if let Some(r) = f.remaining_ms { <b class="mono">{ seconds(r) }</b> }
                        </div>
                        <div class="finding-body">{ l.pick(f.explanation.en, f.explanation.zh) }</div>
                        <div class="finding-fix">{ l.t("Fix: ", "修复:") }{ l.pick(f.fix.en, f.fix.zh) }</div>
                    </li>
                }) }
            </ul>
        </section>
    }
}
