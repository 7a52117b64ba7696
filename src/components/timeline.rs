//! The session's story on a time axis: CONNECT, CONNACK, SUBACK, messages, drops,
//! silence, reconnects and broker closes; the latest entries as text below it.

use super::SectionProps;
use crate::view::charts::axis_span;
use crate::view::clock::time_of_day;
use std::fmt::Write;
use yew::prelude::*;

const RENDERED_ROWS: usize = 8;
const WIDTH: f64 = 1000.0;

fn colour(kind: &str, error: bool) -> &'static str {
    match (kind, error) {
        (_, true) => "#c0362c",
        ("connect" | "connack", _) => "#0a7d5a",
        ("suback", _) => "#2f5fb3",
        ("silent" | "silent-closed", _) => "#7c3aed",
        ("closed", _) => "#667085",
        _ => "#b26b00",
    }
}

#[function_component(TimelineView)]
pub fn timeline_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let (all, message_times) = p.device.read(|s| {
        // Messages as ticks, at most 500 of them, evenly picked.
        let m = &s.log.messages;
        let step = (m.len() / 500).max(1);
        (
            s.log.timeline.iter().cloned().collect::<Vec<_>>(),
            m.iter().step_by(step).map(|m| m.at).collect::<Vec<_>>(),
        )
    });
    if all.is_empty() {
        return html! {};
    }
    // A recording's axis ends at its own moment, a live one at the page clock.
    let Some((start, end)) = axis_span(
        all.first().map(|n| n.at),
        message_times.first().copied(),
        p.now(),
    ) else {
        return html! {};
    };
    let x = |at: u64| (at.saturating_sub(start)) as f64 / (end - start).max(1) as f64 * WIDTH;
    let recent = &all[all.len().saturating_sub(RENDERED_ROWS)..];
    let mut ticks = String::with_capacity(message_times.len() * 14);
    let mut last = f64::NAN;
    for at in &message_times {
        // Ticks within a tenth of a unit (of 1,000) draw as one.
        let tick = (x(*at) * 10.0).round() / 10.0;
        if tick != last {
            let _ = write!(ticks, "M{tick:.1} 18V26");
            last = tick;
        }
    }
    html! {
        <div class="timeline card" aria-label={l.t("Session timeline", "会话时间线")}>
            <svg class="axis" viewBox={format!("0 0 {WIDTH} 28")} preserveAspectRatio="none" data-testid="timeline-axis">
                <line x1="0" y1="14" x2={WIDTH.to_string()} y2="14" stroke="#d0d5dd" />
                // One path for all ticks: one attribute to update per render, not 1,000.
                <path d={ticks} stroke="#98a2b3" fill="none" />
                { for all.iter().map(|n| html! {
                    <circle cx={format!("{:.1}", x(n.at))} cy="14" r="5" fill={colour(n.kind, n.error)} data-kind={n.kind}>
                        <title>{ format!("{} {}", time_of_day(n.at), l.pick(n.en.clone(), n.zh.clone())) }</title>
                    </circle>
                }) }
            </svg>
            <div class="axis-labels"><span>{ time_of_day(start) }</span><span>{ time_of_day(end) }</span></div>
            <ol start={(all.len() - recent.len() + 1).to_string()}>
                { for recent.iter().map(|n| html! {
                    <li data-testid="timeline-entry" data-kind={n.kind} class={classes!(n.error.then_some("bad"))}>
                        <span class="mono muted">{ time_of_day(n.at) }</span>{" "}{ l.pick(n.en.clone(), n.zh.clone()) }</li>
                }) }
            </ol>
        </div>
    }
}
