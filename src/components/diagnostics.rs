//! Findings across every device: what went wrong, the evidence, and the fix. The same list
//! for the live page (computed at the page clock) and for a recording (recomputed at its
//! moment, see view::recording::open).

use crate::edge::clock::now;
use crate::edge::device::Device;
use crate::i18n::Lang;
use crate::view::clock::{seconds, time_of_day};
use crate::view::recording::{findings_of, settings_of};
use ackscope_core::diagnostics::{DeviceHistory, DeviceSettings, Finding};
use ackscope_core::time::Millis;
use gloo_timers::callback::Interval;
use std::rc::Rc;
use yew::prelude::*;

/// Findings as of a moment: what the section lists.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    pub at: Millis,
    pub findings: Vec<Finding>,
}

#[derive(Properties, PartialEq)]
pub struct DiagnosticsProps {
    pub devices: Vec<Device>,
    pub lang: Lang,
    pub version: u64,
    /// A recording's findings at its moment; without it the section diagnoses the live
    /// devices at the page clock.
    #[prop_or_default]
    pub recorded: Option<Rc<Diagnosis>>,
}

/// The findings of live devices at `at`: what this section lists and what an export records.
pub fn live_findings(devices: &[Device], at: Millis) -> Vec<Finding> {
    // Histories are borrowed, not copied: this runs on every render.
    let snaps: Vec<_> = devices.iter().map(|d| d.snapshot()).collect();
    let states: Vec<_> = devices.iter().map(|d| d.borrow()).collect();
    let inputs: Vec<(DeviceSettings, &DeviceHistory)> = states
        .iter()
        .zip(&snaps)
        .map(|(s, snap)| {
            // What the device's broker check measured replaces the profile's assumptions.
            let mut settings = settings_of(&s.form, &snap.session);
            settings.broker_check = s.broker_facts();
            (settings, &s.history)
        })
        .collect();
    findings_of(at, &inputs)
}

/// How often the findings are computed again with nothing else changing: some hold only
/// after a settle time (a replay judged complete, a probe tail called lost) or end with a
/// clock (an ack timeout after a takeover), while an idle page is not redrawn.
const REVIEW_MS: u32 = 1_000;

#[function_component(DiagnosticsView)]
pub fn diagnostics_view(p: &DiagnosticsProps) -> Html {
    let l = p.lang;
    let review = use_force_update();
    let live = p.recorded.is_none();
    // A recording's findings do not move: only the live list is reviewed.
    use_effect_with(live, move |live| {
        let interval = live.then(|| Interval::new(REVIEW_MS, move || review.force_update()));
        move || drop(interval)
    });
    let (list, as_of) = match &p.recorded {
        Some(d) => (d.findings.clone(), Some(d.at)),
        None => (live_findings(&p.devices, now()), None),
    };
    html! {
        <section class="card diagnostics" aria-label={l.t("Diagnostics", "诊断")}>
            <h3>{ l.t("Diagnostics", "诊断") }<small>{ format!(" {}", list.len()) }
                if let Some(at) = as_of { { format!(" · {} {}", l.t("as of", "截至"), time_of_day(at)) } }</small></h3>
            if list.is_empty() {
                if live {
                    <p class="muted">{ l.t("No findings: nothing on this page explains missing offline messages right now.", "暂无发现:当前页面没有导致离线消息缺失的迹象。") }</p>
                } else {
                    <p class="muted">{ l.t("No findings: nothing in this recording explains missing offline messages.", "暂无发现:该录制中没有导致离线消息缺失的迹象。") }</p>
                }
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
                        <div class="finding-fix">{ l.text(&ackscope_core::diagnostics::fix_line(&f.fix)) }</div>
                    </li>
                }) }
            </ul>
        </section>
    }
}
