//! The answer at a glance, at the top of every device card: state, Session Present in words,
//! what came in since the last connect, and the last close with its reason.

use super::SectionProps;
use crate::i18n::{label, Lang};
use crate::view::clock::time_of_day;
use crate::view::glance::{last_close, Glance};
use ackscope_core::session::ConnState;
use ackscope_core::time::{remaining, Millis};
use yew::prelude::*;

/// Session Present in words, as the summary and the overview say it.
pub fn session_present_words(l: Lang, sp: Option<bool>) -> &'static str {
    match sp {
        None => l.t("no session yet", "尚无会话"),
        Some(true) => l.t(
            "Session Present = 1: session kept",
            "Session Present = 1:会话已保留",
        ),
        Some(false) => l.t(
            "Session Present = 0: new session",
            "Session Present = 0:新会话",
        ),
    }
}

/// The connection state in words (with the reconnect countdown at `now`).
pub fn state_words(l: Lang, state: ConnState, now: Millis) -> String {
    match state {
        ConnState::Reconnecting { at } => format!(
            "{} {}",
            l.t("reconnecting in", "重连倒计时"),
            l.seconds(remaining(at, now))
        ),
        s => label(l, s.as_str()).to_string(),
    }
}

#[function_component(SummaryView)]
pub fn summary_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let session = &p.snapshot.session;
    let (glance, close) = p.device.read(|s| {
        (
            Glance::of(&s.log.since_connect, &session.probe_summaries),
            last_close(s.log.timeline.iter()).cloned(),
        )
    });
    let state = session.state;
    let missing = glance.missing_count();
    let bad = missing > 0 || glance.duplicate > 0;
    html! {
        <div class={classes!("device-summary", state.as_str(), glance.connack.is_none().then_some("idle"))} data-testid="device-summary"
            data-offline={glance.offline.to_string()} data-live={glance.live.to_string()}
            data-retained={glance.retained.to_string()}
            data-redelivered={glance.redelivered.to_string()} data-duplicate={glance.duplicate.to_string()}
            data-missing={missing.to_string()}
            data-max-latency-ms={glance.max_latency_ms.map(|m| m.to_string()).unwrap_or_default()}
            aria-label={l.t("At a glance", "概览")}>
            <div class="glance-head">
                <span class="state"><span class={classes!("dot", state.as_str())}></span>{ state_words(l, state, p.now()) }</span>
                <span class={classes!("glance-sp", session.session_present.map(|b| if b { "kept" } else { "new" }))}>
                    { session_present_words(l, session.session_present) }</span>
                if let Some((at, _)) = glance.connack {
                    <span class="muted">{ format!("{} {}", l.t("counted since the CONNACK at", "自此 CONNACK 起计数:"), time_of_day(at)) }</span>
                }
            </div>
            <div class={classes!("glance-line", bad.then_some("bad"))} data-testid="device-summary-line">{ l.text(&glance.line) }
                if let Some(max) = glance.max_latency_ms {
                    <span class="muted">{ format!(" · {} {}", l.t("max latency", "最大延迟"), l.duration(max)) }</span>
                }
            </div>
            if let Some(n) = close {
                <div class={classes!("glance-close", n.error.then_some("bad"))} data-testid="device-summary-close" data-kind={n.kind}>
                    <span class="muted">{ format!("{} {} ", l.t("Last close", "上次断开"), time_of_day(n.at)) }</span>
                    { l.pick(n.en, n.zh) }
                </div>
            }
        </div>
    }
}
