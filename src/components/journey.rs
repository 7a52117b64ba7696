//! A message's journey as a sequence chart: devices and the broker as lanes, time downwards,
//! one row per step with the time since the previous one. SVG; every step is focusable and
//! named, so the chart reads with a keyboard and a screen reader.

use crate::edge::clock::now;
use crate::edge::device::Device;
use crate::i18n::Lang;
use crate::view::clock::{time_of_day, view_now};
use crate::view::recording::journey::{
    build, offer, Candidate, Journey, Lane, SeriesSeen, Step, Target,
};
use ackscope_core::session::Event;
use ackscope_core::time::Millis;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// The offers in the picker follow the devices at most this often: under a flood every
/// render would replace all fifty "latest message" options (measured: a tenth of a render).
const OFFERS_EVERY_MS: Millis = 1_000;

/// The picker's offers as last made, and for which source and how many devices.
#[derive(Default)]
struct Offers {
    made_at: Millis,
    source: String,
    devices: usize,
    candidates: Vec<Candidate>,
}

const LEFT: f64 = 96.0;
const LANE_W: f64 = 190.0;
const TOP: f64 = 46.0;
const ROW: f64 = 34.0;
/// The column of notes right of the lanes (what each step means).
const NOTE_W: f64 = 360.0;

#[derive(Properties, PartialEq)]
pub struct JourneyProps {
    /// The devices shown (live or recorded): what can be followed comes from their views.
    pub devices: Vec<Device>,
    pub lang: Lang,
    pub version: u64,
    /// Each device's events (read when a message is picked or refreshed).
    pub load: Callback<(), Rc<Vec<Vec<Event>>>>,
    /// Which page the devices are (live, or a recording): a new source starts over.
    pub source: String,
    /// A recording's moment: what the chart is "as of" (the page clock for a live page).
    #[prop_or_default]
    pub recorded_at: Option<Millis>,
}

/// What the devices' views say can be followed.
fn offered(devices: &[Device]) -> Vec<Candidate> {
    let mut series: Vec<SeriesSeen> = Vec::new();
    let mut messages: Vec<(usize, String, Vec<u8>)> = Vec::new();
    for (index, d) in devices.iter().enumerate() {
        let snap = d.snapshot();
        if let Some(p) = &snap.session.probe_series {
            series.push(SeriesSeen {
                series: p.series.clone(),
                highest: p.sent,
            });
        }
        for (s, summary) in &snap.session.probe_summaries {
            series.push(SeriesSeen {
                series: s.clone(),
                highest: summary.highest_seq,
            });
        }
        d.read(|s| {
            let rows = &s.log.messages;
            for m in rows
                .iter()
                .rev()
                .take(200)
                .filter(|m| m.probe_seq.is_none())
                .take(50)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                messages.push((index, m.topic.to_string(), m.payload.to_vec()));
            }
        });
    }
    offer(&series, &messages)
}

fn lane_x(lanes: &[Lane], lane: Lane) -> f64 {
    let i = lanes.iter().position(|x| *x == lane).unwrap_or(0);
    LEFT + LANE_W * i as f64 + LANE_W / 2.0
}

fn kind_label(l: Lang, s: &Step) -> String {
    let mut t = match s.kind {
        "held" => l.t("held by the broker", "服务端保存").to_string(),
        "away" => l.t("away", "离开").to_string(),
        k => k.to_string(),
    };
    if let Some(seq) = s.probe_seq {
        t.push_str(&format!(" #{seq}"));
    }
    if let Some(id) = s.packet_id {
        t.push_str(&format!(" (id {id})"));
    }
    t
}

/// A note cut to `max` characters (the whole of it is in the step's name).
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn chart(l: Lang, j: &Journey, names: &[String]) -> Html {
    let notes_x = LEFT + LANE_W * j.lanes.len() as f64 + 10.0;
    let width = notes_x + NOTE_W;
    let height = TOP + ROW * j.steps.len() as f64 + 12.0;
    let row_y = |i: usize| TOP + ROW * i as f64 + ROW / 2.0;
    let broker_x = lane_x(&j.lanes, Lane::Broker);
    html! {
        <svg data-testid="journey" class="journey" role="list" viewBox={format!("0 0 {width} {height}")}
            width={format!("{width}")} style="max-width:100%;height:auto;font:12px system-ui,sans-serif"
            aria-label={l.t("Sequence chart: each step of the message, time downwards", "时序图:消息的每一步,时间自上而下")}>
            <style>{ ".jstep:focus{outline:none}.jstep:focus .hit,.jstep:hover .hit{fill:#eef2ff}.jstep .hit{fill:transparent}" }</style>
            <defs>
                <marker id="journey-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" fill="#344054" />
                </marker>
            </defs>
            { for j.lanes.iter().map(|lane| {
                let x = lane_x(&j.lanes, *lane);
                let name = match lane {
                    Lane::Broker => l.t("broker", "服务端").to_string(),
                    Lane::Device(i) => format!("{} {} · {}", l.t("device", "设备"), i + 1, names.get(*i).cloned().unwrap_or_default()),
                };
                let name: String = name.chars().take(28).collect();
                html! {
                    <g aria-hidden="true">
                        <text x={format!("{x}")} y="18" text-anchor="middle" font-weight="600" fill={if *lane == Lane::Broker { "#7c3aed" } else { "#14213d" }}>{ name }</text>
                        <line x1={format!("{x}")} x2={format!("{x}")} y1="28" y2={format!("{height}")} stroke="#d0d5dd" stroke-dasharray={if *lane == Lane::Broker { "" } else { "4 3" }} />
                    </g>
                }
            }) }
            { for j.steps.iter().enumerate().map(|(i, s)| {
                let y = row_y(i);
                let label = kind_label(l, s);
                let text = l.text(&s.text);
                let since = s.since_prev.map(|d| format!("+{}", l.duration(d as i64))).unwrap_or_default();
                let name = format!("{} {}: {label}. {text}{}", time_of_day(s.at), match s.lane {
                    Lane::Broker => l.t("broker", "服务端").to_string(),
                    Lane::Device(d) => format!("{} {}", l.t("device", "设备"), d + 1),
                }, if since.is_empty() { String::new() } else { format!(" ({since} {})", l.t("after the previous step", "距上一步")) });
                let x = lane_x(&j.lanes, s.lane);
                let body = match s.kind {
                    "held" => {
                        let end = s.until.and_then(|u| j.steps.iter().position(|t| t.at >= u && t.kind != "held")).unwrap_or(j.steps.len() - 1);
                        let y2 = row_y(end.max(i));
                        html! { <>
                            <rect x={format!("{}", x - 6.0)} y={format!("{}", y - 6.0)} width="12" height={format!("{}", (y2 - y + 12.0).max(12.0))} rx="4" fill="#ede9fe" stroke="#7c3aed" />
                            <text x={format!("{}", x + 12.0)} y={format!("{}", y + 4.0)} fill="#5b21b6">{ format!("{label} · {}", l.duration(s.until.unwrap_or(s.at).saturating_sub(s.at) as i64)) }</text>
                        </> }
                    }
                    "away" => html! { <>
                        <text x={format!("{x}")} y={format!("{}", y + 5.0)} text-anchor="middle" font-size="16" fill="#c0362c">{"✕"}</text>
                        <text x={format!("{}", x + 12.0)} y={format!("{}", y + 4.0)} fill="#c0362c">{ label }</text>
                    </> },
                    _ => {
                        let (x1, x2) = if s.outgoing { (x, broker_x) } else { (broker_x, x) };
                        let mid = (x1 + x2) / 2.0;
                        html! { <>
                            <line x1={format!("{x1}")} x2={format!("{x2}")} y1={format!("{}", y + 4.0)} y2={format!("{}", y + 4.0)} stroke="#344054" stroke-width="1.5" marker-end="url(#journey-arrow)" />
                            <text x={format!("{mid}")} y={format!("{}", y - 2.0)} text-anchor="middle" fill="#14213d">{ label }</text>
                        </> }
                    }
                };
                html! {
                    <g class="jstep" data-testid="journey-step" data-lane={s.lane.attr()} data-kind={s.kind}
                        data-at={s.at.to_string()} data-since-ms={s.since_prev.map(|d| d.to_string())}
                        data-until={s.until.map(|u| u.to_string())} tabindex="0" role="listitem" aria-label={name.clone()}>
                        <title>{ name }</title>
                        <rect class="hit" x="0" y={format!("{}", y - ROW / 2.0)} width={format!("{width}")} height={format!("{ROW}")} />
                        <text x="4" y={format!("{}", y + 4.0)} fill="#667085" class="mono">{ since }</text>
                        { body }
                        <text x={format!("{notes_x}")} y={format!("{}", y + 4.0)} fill="#475467" font-size="11">{ short(&text, 62) }</text>
                    </g>
                }
            }) }
        </svg>
    }
}

#[function_component(JourneyView)]
pub fn journey_view(p: &JourneyProps) -> Html {
    let l = p.lang;
    let target = use_state(|| None::<(String, Target)>);
    // (generation, events, loaded at)
    let events = use_state(|| None::<(u32, Rc<Vec<Vec<Event>>>, Millis)>);
    {
        let (target, events) = (target.clone(), events.clone());
        use_effect_with(p.source.clone(), move |_| {
            target.set(None);
            events.set(None);
        });
    }
    let reload = {
        let (events, load, recorded_at) = (events.clone(), p.load.clone(), p.recorded_at);
        Callback::from(move |_: ()| {
            let generation = events.as_ref().map_or(0, |e| e.0) + 1;
            events.set(Some((
                generation,
                load.emit(()),
                view_now(recorded_at, now()),
            )));
        })
    };
    // A render inside the pause sets a timer so that what arrived in it is offered once the
    // pause is over.
    let offers = use_mut_ref(Offers::default);
    let catch_up = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
    let refresh = use_force_update();
    let candidates = {
        let mut o = offers.borrow_mut();
        let at = now();
        let same_page = o.source == p.source && o.devices == p.devices.len();
        if !same_page || at.saturating_sub(o.made_at) >= OFFERS_EVERY_MS {
            *o = Offers {
                made_at: at,
                source: p.source.clone(),
                devices: p.devices.len(),
                candidates: offered(&p.devices),
            };
        } else if catch_up.borrow().is_none() {
            let wait = OFFERS_EVERY_MS - at.saturating_sub(o.made_at);
            let (slot, refresh) = (catch_up.clone(), refresh.clone());
            *catch_up.borrow_mut() = Some(gloo_timers::callback::Timeout::new(
                u32::try_from(wait).unwrap_or(0),
                move || {
                    slot.borrow_mut().take();
                    refresh.force_update();
                },
            ));
        }
        o.candidates.clone()
    };
    let on_pick = {
        let (target, reload, candidates) = (target.clone(), reload.clone(), candidates.clone());
        Callback::from(move |e: web_sys::Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            target.set(
                candidates
                    .iter()
                    .find(|c| c.value == value)
                    .map(|c| (c.value.clone(), c.target.clone())),
            );
            reload.emit(());
        })
    };
    let generation = events.as_ref().map_or(0, |e| e.0);
    let journey = {
        let events = events.clone();
        use_memo(((*target).clone(), generation), move |(t, _)| {
            let (_, t) = t.as_ref()?;
            let (_, ev, _) = events.as_ref()?;
            build(ev, t)
        })
    };
    let names: Vec<String> = p
        .devices
        .iter()
        .map(|d| d.read(|s| s.form.auth.client_id.clone()))
        .collect();
    let selected = (*target)
        .as_ref()
        .map(|(v, _)| v.clone())
        .unwrap_or_default();
    html! {
        <section class="card journey-card" data-testid="journey-card" aria-label={l.t("Message journey", "消息轨迹")} style="margin:12px 12px 0">
            <h3>{ l.t("Message journey", "消息轨迹") }</h3>
            <div style="display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-bottom:6px">
                <label>{ l.t("Follow ", "跟踪 ") }
                    <select data-testid="journey-pick" onchange={on_pick} aria-label={l.t("Message or probe series to follow", "要跟踪的消息或探测序列")}>
                        <option value="" selected={selected.is_empty()}>{ l.t("— a probe series, a probe or a message —", "— 选择探测序列、探测或消息 —") }</option>
                        { for candidates.iter().map(|c| html! {
                            <option key={c.value.clone()} value={c.value.clone()} selected={c.value == selected}>{ match l {
                                Lang::En => c.label.clone(),
                                Lang::ZhCn => c.label.replace("probe series", "探测序列").replace("probe", "探测").replace("device", "设备"),
                            } }</option>
                        }) }
                    </select>
                </label>
                if target.is_some() {
                    <button data-testid="journey-refresh" onclick={let r = reload.clone(); move |_: MouseEvent| r.emit(())}
                        title={l.t("Read the events again (the live page moves on)", "重新读取事件(实时页面在变化)")}>{ l.t("Refresh", "刷新") }</button>
                }
                if let Some((_, _, at)) = &*events {
                    <span class="muted">{ format!("{} {}", l.t("as of", "截至"), time_of_day(*at)) }</span>
                }
            </div>
            { match (&*journey, target.is_some()) {
                (Some(j), _) => html! { <>
                    { chart(l, j, &names) }
                    if j.hidden > 0 { <p class="muted">{ format!("{} {}", j.hidden, l.t("later steps not drawn", "个后续步骤未绘制")) }</p> }
                    <p class="muted" style="font-size:12px">{ l.t("The broker's steps are implied by both sides' packets: the broker itself is not observed.", "服务端的步骤由双方的报文推断:服务端本身不可观察。") }</p>
                </> },
                (None, true) => html! { <p class="muted">{ l.t("Nothing of it was seen by the devices on this page.", "本页面的设备没有看到它。") }</p> },
                (None, false) => html! { <p class="muted">{ l.t("Pick a probe series, a probe or a received message to see its way through the broker.", "选择一个探测序列、探测或收到的消息,查看它经过服务端的轨迹。") }</p> },
            } }
        </section>
    }
}
