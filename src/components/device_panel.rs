//! One device: connection, subscriptions, publish, ack timers, messages, packet log.

use super::aliyun::AliyunView;
use super::charts::ChartsView;
use super::connection::ConnectionView;
use super::inflight::InflightView;
use super::messages::MessagesView;
use super::packet_log::PacketLogView;
use super::publish::PublishView;
use super::subscriptions::SubscriptionsView;
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

#[function_component(DevicePanel)]
pub fn device_panel(p: &DevicePanelProps) -> Html {
    let l = p.lang;
    let (id, client_id) = p.device.read(|s| (s.id, s.form.auth.client_id.clone()));
    let remove = p.on_remove.reform(move |_| id);
    let share = {
        let device = p.device.clone();
        p.on_share.reform(move |_: MouseEvent| {
            let param =
                device.read(|s| crate::view::profile::Profile::of(&s.form, false).to_link_param());
            format!("{}?profile={param}", location::page_address())
        })
    };
    let (snapshot, tick) = (p.snapshot.clone(), p.tick);
    html! {
        <section class="device" data-testid="device" data-index={p.index.to_string()}
            aria-label={format!("{} {}", l.t("Device", "设备"), p.index + 1)}>
            <header class="device-head">
                <h2>{ format!("{} {} · {}", l.t("Device", "设备"), p.index + 1, client_id) }</h2>
                <button class="ghost" data-testid="profile-share" onclick={share}
                    title={ l.t("Copy a link that opens this device's settings (never its secrets)", "复制打开该设备配置的链接(不含密钥)") }>{ l.t("Share link", "分享链接") }</button>
                <button class="ghost" data-testid="device-remove" onclick={remove}
                    title={ l.t("Remove this device (its connection is dropped)", "移除该设备(其连接被掐断)") }>{"✕"}</button>
            </header>
            <ConnectionView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <AliyunView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <TimelineView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <SubscriptionsView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <PublishView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <InflightView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <MessagesView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <ChartsView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
            <PacketLogView device={p.device.clone()} snapshot={snapshot.clone()} lang={l} {tick} />
        </section>
    }
}
