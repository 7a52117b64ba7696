//! One strip for every device at the top of the page: state, Session Present and the counts
//! since the last connect; each entry jumps to its device card.

use super::device_now;
use super::summary::state_words;
use crate::edge::device::Device;
use crate::i18n::Lang;
use crate::view::glance::Glance;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    pub devices: Vec<Device>,
    pub lang: Lang,
    /// The page's version: the strip follows every device.
    pub version: u64,
}

#[function_component(OverviewView)]
pub fn overview_view(p: &OverviewProps) -> Html {
    let l = p.lang;
    if p.devices.len() < 2 {
        return html! {};
    }
    html! {
        <nav class="overview" data-testid="overview" aria-label={l.t("All devices", "全部设备")}>
            { for p.devices.iter().enumerate().map(|(index, d)| {
                let snap = d.snapshot();
                let session = &snap.session;
                let (client_id, glance) = d.read(|s| (s.form.auth.client_id.clone(), Glance::of(&s.log.since_connect, &session.probe_summaries)));
                let missing = glance.missing_count();
                let sp = session.session_present.map(|b| if b { "1" } else { "0" }).unwrap_or("");
                let mut counts = vec![format!("{} {}", glance.offline, crate::i18n::label(l, "offline"))];
                for (n, id) in [(glance.live, "live"), (glance.redelivered, "redelivered"), (glance.duplicate, "duplicate")] {
                    if n > 0 {
                        counts.push(format!("{n} {}", crate::i18n::label(l, id)));
                    }
                }
                if glance.missing.is_some() {
                    counts.push(format!("{missing} {}", l.t("missing", "缺失")));
                }
                html! {
                    <a class={classes!("overview-device", (missing > 0).then_some("bad"))} href={format!("#device-{index}")}
                        data-testid="overview-device" data-index={index.to_string()} data-state={session.state.as_str()}
                        data-session-present={sp} data-offline={glance.offline.to_string()} data-missing={missing.to_string()}
                        title={l.t("Go to this device", "跳到该设备")}>
                        <b>{ index + 1 }</b>
                        <span class="ov-id">{ client_id }</span>
                        <span class="state"><span class={classes!("dot", session.state.as_str())}></span>{ state_words(l, session.state, device_now(d, &snap)) }</span>
                        if !sp.is_empty() { <span class="muted">{ format!("SP={sp}") }</span> }
                        <span>{ counts.join(" · ") }</span>
                    </a>
                }
            }) }
        </nav>
    }
}
