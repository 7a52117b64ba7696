//! Every packet in and out, with time, decoded fields and a hex dump; filter and export.

use super::fields::{setter, toggled, SelectField, TextField};
use super::SectionProps;
use crate::edge::console;
use crate::edge::download::download;
use crate::view::clock::time_of_day;
use crate::view::export::packets_json;
use crate::view::PacketRow;
use yew::prelude::*;

/// Newest rows rendered; the rest stay in memory, in the count and in the export.
const RENDERED_ROWS: usize = 200;
/// Folded, the log keeps only its newest rows in the DOM (for automation and a quick open):
/// a drain adds hundreds of packets per frame, and nobody sees them.
const FOLDED_ROWS: usize = 20;
const TYPES: [&str; 14] = [
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
];

#[derive(Clone, PartialEq, Default)]
struct Filter {
    kind: String,
    dir: String,
    text: String,
}

impl Filter {
    fn keeps(&self, r: &PacketRow) -> bool {
        (self.kind.is_empty() || r.kind == self.kind)
            && (self.dir.is_empty() || (self.dir == "out") == r.outgoing)
            && (self.text.is_empty() || r.fields.contains(&self.text))
    }
}

#[function_component(PacketLogView)]
pub fn packet_log_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    let filter = use_state(Filter::default);
    let open = use_state(|| false);
    let shown = if *open { RENDERED_ROWS } else { FOLDED_ROWS };
    let evicted = d.read(|s| s.log.packets.evicted());
    // Rows with their absolute index: the key that lets a row stay put as others arrive.
    let (total, matching, rows): (usize, usize, Vec<(u64, PacketRow)>) = d.read(|s| {
        let all = &s.log.packets;
        let pick = |i: &usize| all.get(*i).map(|r| (all.absolute(*i), r.clone()));
        if *filter == Filter::default() {
            let from = all.len().saturating_sub(shown);
            let rows = (from..all.len()).filter_map(|i| pick(&i)).collect();
            return (all.len(), all.len(), rows);
        }
        let kept: Vec<usize> = (0..all.len())
            .filter(|i| all.get(*i).is_some_and(|r| filter.keeps(r)))
            .collect();
        let from = kept.len().saturating_sub(shown);
        let rows = kept[from..].iter().filter_map(pick).collect();
        (all.len(), kept.len(), rows)
    });
    let on_toggle = toggled(&open);
    let set = |f: fn(&mut Filter, String)| setter(&filter, f);
    let export = {
        let d = d.clone();
        let filter = (*filter).clone();
        Callback::from(move |_| {
            let text = d.read(|s| packets_json(s.log.packets.iter().filter(|r| filter.keeps(r))));
            if let Err(e) = download("ackscope-packets.json", "application/json", &text) {
                console::warn(&e);
            }
        })
    };
    let kinds: Vec<(AttrValue, AttrValue)> = std::iter::once((
        AttrValue::from(""),
        AttrValue::from(l.t("all types", "全部类型").to_string()),
    ))
    .chain(
        TYPES
            .iter()
            .map(|t| (AttrValue::from(*t), AttrValue::from(*t))),
    )
    .collect();
    let dirs: Vec<(AttrValue, AttrValue)> = [
        ("", l.t("both", "双向")),
        ("in", l.t("in ←", "收 ←")),
        ("out", l.t("out →", "发 →")),
    ]
    .into_iter()
    .map(|(v, t)| (AttrValue::from(v), AttrValue::from(t.to_string())))
    .collect();
    html! {
        <details class="card" ontoggle={on_toggle}>
            <summary><h3>{ l.t("Packet log", "报文日志") }<small data-testid="packet-count" data-total={total.to_string()} data-evicted={evicted.to_string()}>{ format!(" {total}") }
                if evicted > 0 { { format!(" · {evicted} {}", l.t("oldest dropped", "条最早的已移出")) } }</small></h3></summary>
            <div class="row">
                <SelectField testid="packet-filter-type" label={l.t("Type", "类型")} value={filter.kind.clone()} options={kinds} on_change={set(|f, v| f.kind = v)} />
                <SelectField testid="packet-filter-dir" label={l.t("Direction", "方向")} value={filter.dir.clone()} options={dirs} on_change={set(|f, v| f.dir = v)} />
                <TextField testid="packet-filter-text" label={l.t("Fields contain", "字段包含")} value={filter.text.clone()} on_change={set(|f, v| f.text = v)} />
                <button data-testid="packet-export" onclick={export}>{ l.t("Export JSON", "导出 JSON") }</button>
                if matching > RENDERED_ROWS { <small class="muted">{ format!("{} {RENDERED_ROWS} / {matching}", l.t("showing the newest", "显示最新")) }</small> }
            </div>
            <ol class="packets">
                // Open: keyed rows, so that a row already shown stays as it is. Folded: the rows
                // are for automation and change wholesale under a flood, so they are patched
                // in place (unkeyed) and carry no hex dump (with 8 devices at 2,000 msg/s each,
                // keyed rows and their dumps were a fifth of the render time; CPU profile).
                if *open {
                    { for rows.into_iter().map(|(key, row)| html! { <PacketLine {key} {row} hex=true /> }) }
                } else {
                    { for rows.into_iter().map(|(_, row)| html! { <PacketLine {row} hex=false /> }) }
                }
            </ol>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct PacketLineProps {
    row: PacketRow,
    /// Show the hex dump (only while the log is open: it is made for each row shown).
    hex: bool,
}

/// One packet. A component of its own, so that a row already shown is compared, not
/// rebuilt (its hex dump included), when newer packets arrive.
#[function_component(PacketLine)]
fn packet_line(p: &PacketLineProps) -> Html {
    let r = &p.row;
    html! {
        <li data-testid="packet-row" data-dir={if r.outgoing { "out" } else { "in" }} data-type={r.kind}>
            <span class="mono muted">{ time_of_day(r.at) }</span>
            <span class={classes!("dir", if r.outgoing { "out" } else { "in" })}>{ if r.outgoing { "→" } else { "←" } }</span>
            <b>{ r.kind }</b>
            if let Some(id) = r.packet_id { <span class="mono">{ format!("#{id}") }</span> }
            <span class="fields">{ &r.fields }</span>
            if p.hex { <code class="hex">{ r.hex() }</code> }
        </li>
    }
}
