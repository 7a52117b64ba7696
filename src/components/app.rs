//! The page: header, language, and the device panels side by side.

use super::device_panel::DevicePanel;
use super::diagnostics::DiagnosticsView;
use crate::edge::device::Device;
use crate::i18n::Lang;
use crate::view::DeviceForm;
use gloo_timers::callback::Interval;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// The most panels a page holds: each is its own connection.
const MAX_DEVICES: usize = 8;

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
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("broker="))
        .and_then(|v| js_sys::decode_uri_component(v).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "ws://127.0.0.1:9001/mqtt".to_string())
}

#[function_component(App)]
pub fn app() -> Html {
    let version = use_reducer(Version::default);
    let lang = use_state(Lang::default);
    let devices = use_mut_ref(Vec::<Device>::new);
    let next_id = use_mut_ref(|| 0u32);

    let redraw = {
        let dispatcher = version.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(()))
    };
    let add_device = {
        let devices = devices.clone();
        let next_id = next_id.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: ()| {
            let mut list = devices.borrow_mut();
            if list.len() >= MAX_DEVICES {
                return;
            }
            let id = *next_id.borrow();
            *next_id.borrow_mut() += 1;
            list.push(Device::new(
                id,
                DeviceForm::new(id as usize, &default_broker_url()),
                redraw.clone(),
            ));
            drop(list);
            redraw.emit(());
        })
    };
    {
        // One device to start with; the user adds the second (sender and receiver).
        let add_device = add_device.clone();
        use_effect_with((), move |_| add_device.emit(()));
    }
    {
        // Countdowns move on their own: redraw while any clock is running.
        let devices = devices.clone();
        let dispatcher = version.dispatcher();
        use_effect_with((), move |_| {
            let interval = Interval::new(250, move || {
                let ticking = devices.borrow().iter().any(|d| {
                    d.read(|s| {
                        !s.session.inflight_rows(0).is_empty()
                            || s.session.broker_notice(0).is_some()
                            || !matches!(s.session.state().as_str(), "disconnected")
                    })
                });
                if ticking {
                    dispatcher.dispatch(());
                }
            });
            move || drop(interval)
        });
    }
    let remove_device = {
        let devices = devices.clone();
        let redraw = redraw.clone();
        Callback::from(move |id: u32| {
            let removed = {
                let mut list = devices.borrow_mut();
                list.iter()
                    .position(|d| d.read(|s| s.id) == id)
                    .map(|i| list.remove(i))
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
            lang.set(Lang::from_code(&select.value()));
        })
    };
    let l = *lang;
    let list = devices.borrow().clone();
    let full = list.len() >= MAX_DEVICES;
    html! {
        <div class="app" lang={l.code()}>
            <header class="topbar">
                <h1>{"ackscope"}</h1>
                <span class="tagline">{ l.t("MQTT device sessions, made visible: offline messages, acks, verdicts", "MQTT 设备会话可视化:离线消息、确认、判定") }</span>
                <span class="spacer"></span>
                <label class="lang">
                    { l.t("Language", "语言") }
                    <select data-testid="lang" onchange={on_lang}>
                        <option value="en" selected={l == Lang::En}>{"English"}</option>
                        <option value="zh-CN" selected={l == Lang::ZhCn}>{"简体中文"}</option>
                    </select>
                </label>
                <button data-testid="device-add" disabled={full} onclick={add_device.reform(|_| ())}
                    title={ l.t("Add a device: its own MQTT connection", "添加设备:独立的 MQTT 连接") }>
                    { l.t("+ Add device", "+ 添加设备") }
                </button>
            </header>
            <DiagnosticsView devices={list.clone()} lang={l} version={version.0} />
            <main class="devices">
                { for list.into_iter().enumerate().map(|(index, device)| {
                    let key = device.read(|s| s.id);
                    html! {
                        <DevicePanel {key} {device} {index} lang={l} version={version.0}
                            on_remove={remove_device.clone()} />
                    }
                }) }
            </main>
        </div>
    }
}
