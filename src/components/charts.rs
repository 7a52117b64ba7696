//! Message rate over the last minute and the probe latency histogram, as small SVG bars.

use super::fields::toggled;
use super::SectionProps;
use crate::view::charts::rate;
use yew::prelude::*;

fn bars(values: &[u32], width: f64, height: f64, class: &'static str) -> Html {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let w = width / values.len().max(1) as f64;
    html! {
        <svg class={classes!("chart", class)} viewBox={format!("0 0 {width} {height}")} preserveAspectRatio="none" role="img">
            { for values.iter().enumerate().map(|(i, v)| {
                let h = (*v as f64 / max) * (height - 2.0);
                html! { <rect x={format!("{:.1}", i as f64 * w + 0.5)} y={format!("{:.1}", height - h)} width={format!("{:.1}", (w - 1.0).max(0.5))} height={format!("{h:.1}")}><title>{ v.to_string() }</title></rect> }
            }) }
        </svg>
    }
}

#[function_component(ChartsView)]
pub fn charts_view(p: &SectionProps) -> Html {
    let l = p.lang;
    // Folded, nothing is drawn (or counted): the charts cost nothing until opened.
    let open = use_state(|| false);
    let on_toggle = toggled(&open);
    let total = p.device.read(|s| s.log.messages.len());
    if total == 0 {
        return html! {};
    }
    if !*open {
        return html! {
            <details class="card charts" ontoggle={on_toggle}>
                <summary><h3>{ l.t("Charts", "图表") }</h3></summary>
            </details>
        };
    }
    // The last minute before the page clock, or before a recording's moment.
    let now = p.now();
    let (per_second, histogram) = p.device.read(|s| {
        let m = &s.log.messages;
        (
            rate(m.iter().rev(), now, 1_000, 60),
            s.log.latency.buckets(),
        )
    });
    let probes: u32 = histogram.iter().map(|(_, c)| *c).sum();
    let labels: Vec<String> = histogram
        .iter()
        .map(|(b, _)| {
            if *b == i64::MAX {
                "more".to_string()
            } else if *b >= 1_000 {
                format!("≤{}s", b / 1_000)
            } else {
                format!("≤{b}")
            }
        })
        .collect();
    html! {
        <details class="card charts" open=true ontoggle={on_toggle}>
            <summary><h3>{ l.t("Charts", "图表") }</h3></summary>
            <div class="chart-row">
                <figure data-testid="chart-rate">
                    <figcaption>{ format!("{} · {} {}/s", l.t("Messages per second, last 60 s", "近 60 秒每秒消息数"), l.t("peak", "峰值"), per_second.iter().max().copied().unwrap_or(0)) }</figcaption>
                    { bars(&per_second, 300.0, 60.0, "rate") }
                </figure>
                if probes > 0 {
                    <figure data-testid="chart-latency">
                        <figcaption>{ format!("{} ({probes})", l.t("Probe latency, ms", "探测延迟(毫秒)")) }</figcaption>
                        { bars(&histogram.iter().map(|(_, c)| *c).collect::<Vec<_>>(), 300.0, 60.0, "latency") }
                        <div class="chart-labels">{ for labels.iter().map(|t| html! { <span>{ t }</span> }) }</div>
                    </figure>
                }
            </div>
        </details>
    }
}
