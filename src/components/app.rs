//! The page: header, language, profiles, diagnostics, and the device panels side by side.

use super::device_panel::DevicePanel;
use super::diagnostics::DiagnosticsView;
use super::journey::JourneyView;
use super::overview::OverviewView;
use super::recording::{OpenedPage, RecordingBar};
use crate::edge::clipboard;
use crate::edge::device::Device;
use crate::edge::download::download;
use crate::edge::location::{forget_param, fragment_param, query_param};
use crate::edge::redraw::Redraw;
use crate::edge::storage;
use crate::i18n::Lang;
use crate::view::profile::{
    from_json, import_json, import_size_problem, to_json, unreadable_backup_key, Profile, LINK_KEY,
};
use crate::view::recording::{recorded_events, Recorder};
use crate::view::DeviceForm;
use gloo_timers::callback::Interval;
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

/// A `?broker=` link naming another machine is a broker from a link: confirm it before
/// credentials go there.
fn broker_from_link() -> bool {
    query_param("broker").is_some_and(|b| !crate::view::profile::is_loopback_broker(&b))
}

/// The devices and what the page needs to make more.
struct Devices {
    list: Vec<Device>,
    next_id: u32,
    redraw: Callback<()>,
    /// Behind `redraw`: told when each render is done.
    pacer: Redraw,
    saved: String,
    /// The saved profiles could not be read nor backed up: never save over them.
    save_blocked: bool,
    /// What the page says once it is up (unreadable saved profiles, a refused link).
    startup_notice: Option<(String, String)>,
    /// The page's running recording: every device's events.
    recorder: Recorder,
}

impl Devices {
    /// The saved profiles; unreadable ones are kept under a backup key, with a notice.
    fn load_saved(&mut self) -> Vec<Profile> {
        let Some(text) = storage::load(STORAGE_KEY) else {
            return Vec::new();
        };
        match from_json(&text) {
            Ok(profiles) => profiles,
            Err(e) => {
                let key = unreadable_backup_key(STORAGE_KEY, crate::edge::clock::now());
                self.startup_notice = Some(match storage::save(&key, &text) {
                    Ok(()) => (
                        format!("The saved device profiles could not be read ({e}). They are kept, unchanged, under the localStorage key \"{key}\"; the page starts with a fresh device."),
                        format!("无法读取已保存的设备配置({e})。原内容已原样保存在 localStorage 键“{key}”下;页面以新设备启动。"),
                    ),
                    Err(why) => {
                        self.save_blocked = true;
                        (
                            format!("The saved device profiles could not be read ({e}) nor copied to a backup ({why}). They are left as they are: this page will not save over them."),
                            format!("无法读取已保存的设备配置({e}),也无法备份({why})。原内容保持不变:本页面不会覆盖它们。"),
                        )
                    }
                });
                Vec::new()
            }
        }
    }
}

impl Devices {
    fn add(&mut self, profile: Option<&Profile>) -> bool {
        if self.list.len() >= MAX_DEVICES {
            return false;
        }
        let id = self.next_id;
        self.next_id += 1;
        let index = self.list.len();
        let form = match profile {
            Some(p) => {
                let mut form = DeviceForm::new(id as usize, &default_broker_url());
                form.broker_needs_confirm = broker_from_link();
                p.apply(&mut form);
                form
            }
            // A fresh device: the role it is offered, on the broker of the device before it.
            None => {
                let previous = self.list.last().map(|d| d.read(|s| s.form.clone()));
                let mut form = DeviceForm::for_new_device(
                    id as usize,
                    index,
                    &default_broker_url(),
                    previous.as_ref(),
                );
                // A broker that came in a link is confirmed on each device that goes there.
                if form.broker_url == default_broker_url() {
                    form.broker_needs_confirm |= broker_from_link();
                }
                form
            }
        };
        let device = Device::new(id, form, self.redraw.clone());
        device.record_into(self.recorder.clone());
        self.list.push(device);
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
    // A recording shown read-only instead of the live devices (which keep running).
    let opened = use_state(|| None::<Rc<OpenedPage>>);
    let devices = {
        let dispatcher = version.dispatcher();
        use_mut_ref(move || {
            // Bursts of socket input coalesce into paced renders in animation frames, so
            // that 10,000 messages a second do not mean 10,000 renders a second.
            let pacer = Redraw::new(Callback::from(move |_| dispatcher.dispatch(())));
            let mut d = Devices {
                list: Vec::new(),
                next_id: 0,
                redraw: pacer.callback(),
                pacer,
                saved: String::new(),
                save_blocked: false,
                startup_notice: None,
                recorder: Recorder::default(),
            };
            // Saved profiles first (their own broker URLs), then a shared link's profile:
            // `#profile=`, or `?profile=` from an older link. It is taken out of the address
            // once read, so that a reload does not add it twice (it is saved by then).
            let stored = d.load_saved();
            for p in &stored {
                d.add(Some(p));
            }
            if let Some(v) = fragment_param(LINK_KEY).or_else(|| query_param(LINK_KEY)) {
                forget_param(LINK_KEY);
                match Profile::from_link_param(&v) {
                    Ok(p) => {
                        d.add(Some(&p));
                    }
                    Err(e) => {
                        let (en, zh) = d.startup_notice.take().unwrap_or_default();
                        d.startup_notice = Some((
                            format!("{en} The link's device profile was not opened: {e}.")
                                .trim()
                                .to_string(),
                            format!("{zh} 未打开链接中的设备配置:{e}。")
                                .trim()
                                .to_string(),
                        ));
                    }
                }
            }
            if d.list.is_empty() {
                d.add(None);
            }
            d
        })
    };
    {
        // Once: what the page found while starting (unreadable profiles, a refused link).
        let devices = devices.clone();
        let notice = notice.clone();
        use_effect_with((), move |_| {
            let found = devices.borrow_mut().startup_notice.take();
            if let Some(n) = found {
                notice.set(Some(n));
            }
        });
    }
    {
        // Profiles are saved whenever they change; messages never are.
        let devices = devices.clone();
        use_effect(move || {
            let mut d = devices.borrow_mut();
            let json = to_json(d.profiles(true));
            if !d.save_blocked && json != d.saved && storage::save(STORAGE_KEY, &json).is_ok() {
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
        // The render is done: its cost paces the next (effects run after the render).
        let pacer = devices.borrow().pacer.clone();
        use_effect(move || pacer.rendered());
    }
    {
        // Countdowns move on their own: redraw while any clock is running.
        let devices = devices.clone();
        let redraw = devices.borrow().redraw.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(250, move || {
                let ticking = devices
                    .borrow()
                    .list
                    .iter()
                    .any(|d| d.snapshot().session.running_clocks);
                if ticking {
                    redraw.emit(());
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
        // A broker check still cleaning up after its device left says how that ended.
        let tell = {
            let notice = notice.clone();
            Callback::from(move |t: ackscope_core::text::Bilingual| notice.set(Some((t.en, t.zh))))
        };
        Callback::from(move |id: u32| {
            let removed = {
                let mut d = devices.borrow_mut();
                d.list
                    .iter()
                    .position(|x| x.read(|s| s.id) == id)
                    .map(|i| d.list.remove(i))
            };
            if let Some(device) = removed {
                device.remove(tell.clone());
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
            // A profile file is small: a big one is refused before it is read.
            storage::read_file_text_checked(&input, import_size_problem, move |text| {
                input2.set_value("");
                match text.and_then(|t| import_json(&t)) {
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
    let list = match &*opened {
        Some(o) => o.devices.clone(),
        None => devices.borrow().list.clone(),
    };
    let full = list.len() >= MAX_DEVICES || opened.is_some();
    let recorder = devices.borrow().recorder.clone();
    let live_devices = {
        let devices = devices.clone();
        Callback::from(move |_: ()| devices.borrow().list.clone())
    };
    let on_mode = {
        let opened = opened.clone();
        Callback::from(move |o: Option<Rc<OpenedPage>>| opened.set(o))
    };
    let (journey_load, journey_source) = match &*opened {
        Some(o) => {
            let o = o.clone();
            let source = format!("recording:{}:{}", o.name, o.recording.created_at);
            (Callback::from(move |_: ()| o.events()), source)
        }
        None => {
            let devices = devices.clone();
            let load = Callback::from(move |_: ()| {
                let d = devices.borrow();
                Rc::new(
                    d.list
                        .iter()
                        .map(|x| recorded_events(&d.recorder, x.read(|s| s.id)))
                        .collect::<Vec<_>>(),
                )
            });
            (load, "live".to_string())
        }
    };
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
            <RecordingBar lang={l} recorder={recorder} live={live_devices} opened={(*opened).clone()} on_mode={on_mode}
                redraw={redraw.clone()} version={version.0} />
            <OverviewView devices={list.clone()} lang={l} version={version.0} />
            <DiagnosticsView devices={list.clone()} lang={l} version={version.0}
                recorded={(*opened).as_ref().map(|o| o.diagnosis.clone())} />
            <JourneyView devices={list.clone()} lang={l} version={version.0} load={journey_load} source={journey_source}
                recorded_at={(*opened).as_ref().map(|o| o.recording.created_at)} />
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
