//! One device: its summary at the top (always in view), then connection, subscriptions,
//! publish, ack timers, messages, packet log; the card folds down to its summary.

use super::aliyun::AliyunView;
use super::broker_check::BrokerCheckView;
use super::charts::ChartsView;
use super::connection::ConnectionView;
use super::inflight::InflightView;
use super::messages::MessagesView;
use super::packet_log::PacketLogView;
use super::publish::PublishView;
use super::subscriptions::SubscriptionsView;
use super::summary::SummaryView;
use super::timeline::TimelineView;
use crate::edge::device::{Device, DeviceSnapshot};
use crate::edge::location;
use crate::i18n::Lang;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DevicePanelProps {
    pub device: Device,
    pub index: usize,
    pub lang: Lang,
    /// The session as shown; equal snapshots skip the render.
    pub snapshot: DeviceSnapshot,
    /// The page clock while a countdown runs on this device, else 0.
    pub tick: u64,
    pub on_remove: Callback<u32>,
    /// Hands up a share link (profile without secrets).
    pub on_share: Callback<String>,
}

/// In a recording, the controls that would reach a broker are disabled (a disabled
/// fieldset disables every control inside it); what only reads the log stays usable.
fn guarded(read_only: bool, inner: Html) -> Html {
    if read_only {
        html! { <fieldset disabled=true class="read-only" style="display:contents">{ inner }</fieldset> }
    } else {
        inner
    }
}

#[function_component(DevicePanel)]
pub fn device_panel(p: &DevicePanelProps) -> Html {
    let l = p.lang;
    let (id, client_id, role) = p
        .device
        .read(|s| (s.id, s.form.auth.client_id.clone(), s.form.role));
    // The offered role is spelled out until the device first connects.
    let fresh = p.snapshot.session.session_present.is_none()
        && p.snapshot.session.state == ackscope_core::session::ConnState::Disconnected;
    let hint = role
        .filter(|_| fresh)
        .map(|r| l.text(&p.device.read(|s| r.hint(&s.form))));
    let remove = p.on_remove.reform(move |_| id);
    let share = {
        let device = p.device.clone();
        p.on_share.reform(move |_: MouseEvent| {
            // In the fragment (`#profile=`): never sent to a server.
            let profile = device.read(|s| crate::view::profile::Profile::of(&s.form, false));
            crate::view::profile::share_link(&location::page_address(), &profile)
        })
    };
    let (snapshot, tick) = (p.snapshot.clone(), p.tick);
    let collapsed = use_state(|| false);
    let toggle = {
        let collapsed = collapsed.clone();
        Callback::from(move |_: MouseEvent| collapsed.set(!*collapsed))
    };
    let body_id = format!("device-body-{id}");
    let read_only = p.device.is_recorded();
    html! {
        <section class={classes!("device", collapsed.then_some("collapsed"))} data-testid="device" data-index={p.index.to_string()}
            id={format!("device-{}", p.index)} data-collapsed={if *collapsed { "1" } else { "0" }}
            data-role={role.map(|r| r.as_str())}
            aria-label={format!("{} {}", l.t("Device", "设备"), p.index + 1)}>
            <div class="device-top">
            <header class="device-head">
                <button class="ghost fold" data-testid="device-collapse" onclick={toggle}
                    aria-expanded={if *collapsed { "false" } else { "true" }} aria-controls={body_id.clone()}
                    title={ if *collapsed { l.t("Show this device's sections", "展开该设备") } else { l.t("Fold this device down to its summary", "将该设备折叠为概要") } }>
                    { if *collapsed { "▸" } else { "▾" } }</button>
                <h2>{ format!("{} {} · {}", l.t("Device", "设备"), p.index + 1, client_id) }
                    if let Some(r) = role { <span class="role-tag" data-testid="device-role">{ l.text(&r.name()) }</span> }</h2>
                <button class="ghost" data-testid="profile-share" onclick={share}
                    title={ l.t("Copy a link that opens this device's settings (never its secrets)", "复制打开该设备配置的链接(不含密钥)") }>{ l.t("Share link", "分享链接") }</button>
                if !read_only {
                <button class="ghost" data-testid="device-remove" onclick={remove}
                    title={ l.t("Remove this device (its connection is dropped)", "移除该设备(其连接被强制断开)") }
                    aria-label={ l.t("Remove this device", "移除该设备") }>{"✕"}</button>
                }
            </header>
            <SummaryView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            </div>
            // Folded, not removed: filters, selections and scroll positions survive.
            <div class="device-body" id={body_id} hidden={*collapsed}>
            if let Some(h) = hint { <p class="role-hint muted" data-testid="role-hint">{ h }</p> }
            { guarded(read_only, html! { <ConnectionView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} /> }) }
            <AliyunView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <TimelineView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            { guarded(read_only, html! { <SubscriptionsView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} /> }) }
            { guarded(read_only, html! { <PublishView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} /> }) }
            { guarded(read_only, html! { <InflightView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} /> }) }
            <MessagesView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <ChartsView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <PacketLogView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            { guarded(read_only, html! { <BrokerCheckView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} /> }) }
            </div>
        </section>
    }
}
