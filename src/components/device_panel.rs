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
use crate::edge::device::Device;
use crate::i18n::Lang;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DevicePanelProps {
    pub device: Device,
    pub index: usize,
    pub lang: Lang,
    /// Moves whenever any device changed, so that the panel re-renders.
    pub version: u64,
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
            let base = web_sys::window()
                .and_then(|w| w.location().href().ok())
                .map(|h| h.split('?').next().unwrap_or_default().to_string())
                .unwrap_or_default();
            format!("{base}?profile={param}")
        })
    };
    let common = (p.device.clone(), l, p.version);
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
            <ConnectionView device={common.0.clone()} lang={l} version={common.2} />
            <AliyunView device={common.0.clone()} lang={l} version={common.2} />
            <TimelineView device={common.0.clone()} lang={l} version={common.2} />
            <SubscriptionsView device={common.0.clone()} lang={l} version={common.2} />
            <PublishView device={common.0.clone()} lang={l} version={common.2} />
            <InflightView device={common.0.clone()} lang={l} version={common.2} />
            <MessagesView device={common.0.clone()} lang={l} version={common.2} />
            <ChartsView device={common.0.clone()} lang={l} version={common.2} />
            <PacketLogView device={common.0} lang={l} version={common.2} />
        </section>
    }
}

/// Props shared by every section of a device panel.
#[derive(Properties, PartialEq)]
pub struct SectionProps {
    pub device: Device,
    pub lang: Lang,
    pub version: u64,
}
