//! The probe series a device received: gaps and duplicates (the session's tracker), and each
//! series' story (the core's `SeriesStories`): its start, what happened to the receiver
//! meanwhile, messages per verdict, the latency range and copies counted honestly.

use crate::i18n::Lang;
use crate::view::clock::time_of_day;
use ackscope_core::probe::{SeriesStory, SeriesSummary};
use ackscope_core::verdicts::VerdictKind;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProbeSummaryProps {
    pub lang: Lang,
    /// (series, gaps and duplicates, story): the story is missing only when no event told it.
    pub series: Vec<(String, SeriesSummary, Option<SeriesStory>)>,
}

fn verdict_attr(s: Option<&SeriesStory>, kind: VerdictKind) -> Option<String> {
    s.map(|s| s.verdicts.get(kind).to_string())
}

fn story_lines(l: Lang, st: &SeriesStory) -> Html {
    let verdicts = st
        .verdicts
        .nonzero()
        .into_iter()
        .map(|(k, n)| {
            html! { <span class={classes!("badge", k.as_str())}>{ format!("{n} {}", crate::i18n::label(l, k.as_str())) }</span> }
        })
        .collect::<Html>();
    let latency = st.latency.map(|(lo, hi)| {
        if lo == hi {
            format!("{} {}", l.t("latency", "延迟"), l.duration(lo))
        } else {
            format!(
                "{} {} {} {}",
                l.t("latency", "延迟"),
                l.duration(lo),
                l.t("to", "至"),
                l.duration(hi)
            )
        }
    });
    html! {
        <>
            <tr class="probe-story">
                <td colspan="5" data-testid="probe-summary-label">
                    <span class="mono">{ format!("{} {}", l.t("started", "开始于"), time_of_day(st.started_at)) }</span>
                    { " · " }{ l.text(&st.label()) }
                </td>
            </tr>
            <tr class="probe-story">
                <td colspan="5" data-testid="probe-summary-counts">
                    { l.text(&st.copies_text()) }{ " " }{ verdicts }
                    if let Some(t) = latency { <span class="latency">{ format!(" · {t}") }</span> }
                </td>
            </tr>
        </>
    }
}

#[function_component(ProbeSummaryView)]
pub fn probe_summary_view(p: &ProbeSummaryProps) -> Html {
    let l = p.lang;
    if p.series.is_empty() {
        return Html::default();
    }
    html! {
        <table class="probe-summary">
            <thead><tr><th>{ l.t("Probe series", "探测序列") }</th><th>{ l.t("received", "收到") }</th><th>{ l.t("missing", "缺失") }</th><th>{ l.t("duplicates", "重复") }</th><th>{ l.t("out of order", "乱序") }</th></tr></thead>
            { for p.series.iter().map(|(series, s, story)| {
                let st = story.as_ref();
                html! {
                    // One body per series, its facts as data attributes (the automation contract).
                    <tbody data-testid="probe-summary" data-series={series.clone()} data-received={s.received.to_string()}
                        data-missing={s.missing_count.to_string()} data-duplicates={s.duplicates.to_string()}
                        data-started-at={st.map(|x| x.started_at.to_string())} data-story={st.map(|x| x.ids())}
                        data-messages={st.map(|x| x.messages.to_string())} data-copies={st.map(|x| x.copies.to_string())}
                        data-twice-via-dead={st.map(|x| x.twice_via_dead.to_string())} data-dead-only={st.map(|x| x.dead_only.to_string())}
                        data-extra-copies={st.map(|x| x.extra_copies.to_string())}
                        data-verdict-live={verdict_attr(st, VerdictKind::Live)} data-verdict-offline={verdict_attr(st, VerdictKind::Offline)}
                        data-verdict-retained={verdict_attr(st, VerdictKind::Retained)} data-verdict-redelivered={verdict_attr(st, VerdictKind::Redelivered)}
                        data-verdict-duplicate={verdict_attr(st, VerdictKind::Duplicate)}
                        data-min-latency-ms={st.and_then(|x| x.latency).map(|(lo, _)| lo.to_string())}
                        data-max-latency-ms={st.and_then(|x| x.latency).map(|(_, hi)| hi.to_string())}>
                        <tr>
                            <td><code>{ series }</code></td>
                            <td>{ format!("{} / {}", s.distinct, s.highest_seq) }</td>
                            <td class={classes!((s.missing_count > 0).then_some("bad"))}>{ if s.missing_count == 0 { "0".to_string() } else { format!("{} {:?}{}", s.missing_count, s.missing, if s.missing_count > s.missing.len() as u64 { " …" } else { "" }) } }</td>
                            <td class={classes!((s.duplicates > 0).then_some("warn"))}>{ s.duplicates }</td>
                            <td>{ s.out_of_order }</td>
                        </tr>
                        if let Some(st) = st { { story_lines(l, st) } }
                    </tbody>
                }
            }) }
        </table>
    }
}
