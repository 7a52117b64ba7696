//! The session's story: connects, refusals, SUBACKs, drops, reconnects, broker closes.

use super::device_panel::SectionProps;
use yew::prelude::*;

const RENDERED_ROWS: usize = 8;

#[function_component(TimelineView)]
pub fn timeline_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let rows = p.device.read(|s| {
        let t = &s.log.timeline;
        t[t.len().saturating_sub(RENDERED_ROWS)..].to_vec()
    });
    if rows.is_empty() {
        return html! {};
    }
    html! {
        <ol class="timeline" aria-label={l.t("Session timeline", "会话时间线")}>
            { for rows.into_iter().map(|n| html! {
                <li data-testid="timeline-entry" class={classes!(n.error.then_some("bad"))}>{ l.pick(n.en, n.zh) }</li>
            }) }
        </ol>
    }
}
