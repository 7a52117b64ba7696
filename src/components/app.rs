//! The page: header, language, profiles, diagnostics, and the device panels side by side.

use super::device_panel::DevicePanel;
use super::diagnostics::DiagnosticsView;
use crate::edge::clipboard;
use crate::edge::device::Device;
use crate::edge::download::download;
use crate::edge::location::query_param;
use crate::edge::storage;
use crate::i18n::Lang;
use crate::view::profile::{from_json, to_json, Profile};
use crate::view::DeviceForm;
use gloo_timers::callback::{Interval, Timeout};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The most panels a page holds: each is its own connection.
const MAX_DEVICES: usize = 8;
const STORAGE_KEY: &str = "ackscope.profiles";
const LANG_KEY: &str = "ackscope.lang";

/// Bumped whenever any device changed; panels re-render when it moves.
#[derive(Default, PartialEq)]
struct Version(u64);

impl Reducible for Version {
    type Action = ();
    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Version(self.0.wrapping_add(1)))
    }
}

/// The broker the page is pre-filled for: `?broker=` in the URL, else the local one.
fn default_broker_url() -> String {
    query_param("broker").unwrap_or_else(|| "ws://127.0.0.1:9001/mqtt".to_string())
}

/// The devices and what the page needs to make more.
struct Devices {
    list: Vec<Device>,
    next_id: u32,
    redraw: Callback<()>,
    saved: String,
}

impl Devices {
    fn add(&mut self, profile: Option<&Profile>) -> bool {
        if self.list.len() >= MAX_DEVICES {
            return false;
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut form = DeviceForm::new(id as usize, &default_broker_url());
        if let Some(p) = profile {
            p.apply(&mut form);
        }
        self.list.push(Device::new(id, form, self.redraw.clone()));
        true
    }

    fn profiles(&self, with_secrets: bool) -> Vec<Profile> {
        self.list
            .iter()
            .map(|d| d.read(|s| Profile::of(&s.form, with_secrets)))
            .collect()
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let version = use_reducer(Version::default);
    let lang = use_state(|| {
        storage::load(LANG_KEY)
            .map(|c| Lang::from_code(&c))
            .unwrap_or_default()
    });
    let notice = use_state(|| None::<(String, String)>);
    let devices = {
        let dispatcher = version.dispatcher();
        use_mut_ref(move || {
            // Bursts of socket input coalesce into one render per frame (16 ms), so that
            // 10,000 messages a second do not mean 10,000 renders a second.
            let pending: Rc<RefCell<Option<Timeout>>> = Rc::default();
            let redraw = Callback::from(move |_| {
                if pending.borrow().is_some() {
                    return;
                }
                let dispatcher = dispatcher.clone();
                let slot = pending.clone();
                *pending.borrow_mut() = Some(Timeout::new(16, move || {
                    slot.borrow_mut().take();
                    dispatcher.dispatch(());
                }));
            });
            let mut d = Devices {
                list: Vec::new(),
                next_id: 0,
                redraw,
                saved: String::new(),
            };
            // Saved profiles first (their own broker URLs), then a shared link's profile.
            let stored = storage::load(STORAGE_KEY)
                .and_then(|t| from_json(&t).ok())
                .unwrap_or_default();
            for p in &stored {
                d.add(Some(p));
            }
            if let Some(p) = query_param("profile").and_then(|v| Profile::from_link_param(&v).ok())
            {
                d.add(Some(&p));
            }
            if d.list.is_empty() {
                d.add(None);
            }
            d
        })
    };
    {
        // Profiles are saved whenever they change; messages never are.
        let devices = devices.clone();
        use_effect(move || {
            let mut d = devices.borrow_mut();
            let json = to_json(d.profiles(true));
            if json != d.saved && storage::save(STORAGE_KEY, &json).is_ok() {
                d.saved = json;
            }
        });
    }
    {
        // The browser knows when the network is gone: every device hears it at once.
        let devices = devices.clone();
        use_effect_with((), move |_| {
            let listener = crate::edge::network::listen(move |online| {
                let list = devices.borrow().list.clone();
                for d in list {
                    if online {
                        d.network_up();
                    } else {
                        d.network_down();
                    }
                }
            });
            move || drop(listener)
        });
    }
    {
        // Countdowns move on their own: redraw while any clock is running.
        let devices = devices.clone();
        let dispatcher = version.dispatcher();
        use_effect_with((), move |_| {
            let interval = Interval::new(250, move || {
                let ticking = devices
                    .borrow()
                    .list
                    .iter()
                    .any(|d| d.snapshot().session.running_clocks);
                if ticking {
                    dispatcher.dispatch(());
                }
            });
            move || drop(interval)
        });
    }
    let redraw = devices.borrow().redraw.clone();
    let add_device = {
        let devices = devices.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            if devices.borrow_mut().add(None) {
                redraw.emit(());
            }
        })
    };
    let remove_device = {
        let devices = devices.clone();
        let redraw = redraw.clone();
        Callback::from(move |id: u32| {
            let removed = {
                let mut d = devices.borrow_mut();
                d.list
                    .iter()
                    .position(|x| x.read(|s| s.id) == id)
                    .map(|i| d.list.remove(i))
            };
            if let Some(device) = removed {
                device.drop_connection();
            }
            redraw.emit(());
        })
    };
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let _ = storage::save(LANG_KEY, &select.value());
            lang.set(Lang::from_code(&select.value()));
        })
    };
    let export = {
        let devices = devices.clone();
        let notice = notice.clone();
        Callback::from(move |_: MouseEvent| {
            let json = to_json(devices.borrow().profiles(false));
            if let Err(e) = download("ackscope-profiles.json", "application/json", &json) {
                notice.set(Some((
                    format!("Export failed: {e}"),
                    format!("导出失败:{e}"),
                )));
            }
        })
    };
    let import = {
        let devices = devices.clone();
        let notice = notice.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let devices = devices.clone();
            let notice = notice.clone();
            let redraw = redraw.clone();
            let input2 = input.clone();
            storage::read_file_text(&input, move |text| {
                input2.set_value("");
                match text.and_then(|t| from_json(&t)) {
                    Ok(profiles) => {
                        let mut d = devices.borrow_mut();
                        let added = profiles.iter().filter(|p| d.add(Some(p))).count();
                        notice.set(Some((
                            format!("Imported {added} device profile(s)."),
                            format!("已导入 {added} 个设备配置。"),
                        )));
                    }
                    Err(e) => notice.set(Some((
                        format!("Import failed: {e}"),
                        format!("导入失败:{e}"),
                    ))),
                }
                redraw.emit(());
            });
        })
    };
    let share = {
        let notice = notice.clone();
        Callback::from(move |link: String| {
            // Say "copied" only once the browser has copied; if it refused, the link is
            // still shown, to copy by hand.
            let notice = notice.clone();
            let text = link.clone();
            clipboard::copy_text(&text, move |copied| {
                notice.set(Some(match copied {
                    Ok(()) => (
                        format!("Share link (no secrets) copied: {link}"),
                        format!("分享链接(不含密钥)已复制:{link}"),
                    ),
                    Err(e) => (
                        format!("Copying the share link failed ({e}); copy it by hand: {link}"),
                        format!("复制分享链接失败({e}),请手动复制:{link}"),
                    ),
                }));
            });
        })
    };
    let l = *lang;
    let list = devices.borrow().list.clone();
    let full = list.len() >= MAX_DEVICES;
    html! {
        <div class="app" lang={l.code()}>
            <header class="topbar">
                <h1>{"ackscope"}</h1>
                <span class="tagline">{ l.t("MQTT device sessions, made visible: offline messages, acks, verdicts", "MQTT 设备会话可视化:离线消息、确认、判定") }</span>
                <span class="spacer"></span>
                <button data-testid="profiles-export" onclick={export} title={l.t("Download every device's settings as JSON (never secrets)", "将所有设备配置下载为 JSON(不含密钥)")}>
                    { l.t("Export profiles", "导出配置") }</button>
                <label class="file-button" title={l.t("Add devices from an exported JSON file", "从导出的 JSON 文件添加设备")}>
                    { l.t("Import profiles", "导入配置") }
                    <input data-testid="profiles-import" type="file" accept=".json,application/json" onchange={import} />
                </label>
                <label class="lang">
                    { l.t("Language", "语言") }
                    <select data-testid="lang" onchange={on_lang}>
                        <option value="en" selected={l == Lang::En}>{"English"}</option>
                        <option value="zh-CN" selected={l == Lang::ZhCn}>{"简体中文"}</option>
                    </select>
                </label>
                <button data-testid="device-add" disabled={full} onclick={add_device}
                    title={ l.t("Add a device: its own MQTT connection", "添加设备:独立的 MQTT 连接") }>
                    { l.t("+ Add device", "+ 添加设备") }
                </button>
            </header>
            if let Some((en, zh)) = (*notice).clone() {
                <div class="page-notice" data-testid="page-notice" role="status">{ l.pick(en, zh) }
                    <button class="ghost" onclick={{ let notice = notice.clone(); Callback::from(move |_| notice.set(None)) }}>{"✕"}</button></div>
            }
            <DiagnosticsView devices={list.clone()} lang={l} version={version.0} />
            <main class="devices">
                { for list.into_iter().enumerate().map(|(index, device)| {
                    let key = device.read(|s| s.id);
                    let snapshot = device.snapshot();
                    // Only a device with a running countdown follows the page's clock.
                    let tick = if snapshot.session.running_clocks { version.0 } else { 0 };
                    html! {
                        <DevicePanel {key} {device} {snapshot} {tick} {index} lang={l}
                            on_remove={remove_device.clone()} on_share={share.clone()} />
                    }
                }) }
            </main>
        </div>
    }
}
