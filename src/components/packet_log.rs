//! Every packet in and out, with decoded fields and a hex dump.

use super::device_panel::SectionProps;
use crate::view::PacketRow;
use yew::prelude::*;

const RENDERED_ROWS: usize = 200;

#[function_component(PacketLogView)]
pub fn packet_log_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let (total, rows): (usize, Vec<PacketRow>) = p.device.read(|s| {
        let r = &s.log.packets;
        (r.len(), r[r.len().saturating_sub(RENDERED_ROWS)..].to_vec())
    });
    html! {
        <details class="card">
            <summary><h3>{ l.t("Packet log", "报文日志") }<small>{ format!(" {total}") }</small></h3></summary>
            <ol class="packets">
                { for rows.iter().map(|r| html! {
                    <li data-testid="packet-row" data-dir={if r.outgoing { "out" } else { "in" }} data-type={r.kind}>
                        <span class={classes!("dir", if r.outgoing { "out" } else { "in" })}>{ if r.outgoing { "→" } else { "←" } }</span>
                        <b>{ r.kind }</b>
                        if let Some(id) = r.packet_id { <span class="mono">{ format!("#{id}") }</span> }
                        <span class="fields">{ &r.fields }</span>
                        <code class="hex" title={r.hex.clone()}>{ &r.hex }</code>
                    </li>
                }) }
            </ol>
        </details>
    }
}
