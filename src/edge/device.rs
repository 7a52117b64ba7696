//! One device on the page: a core `Session` driven by the browser.
//!
//! Design: after every input (a user intent, socket bytes, a timer) the driver drains the
//! session in the documented order: actions (socket I/O), events (into the view log), then
//! the next timeout, which it arms as a single gloo `Timeout`. It holds no protocol rules.

use super::clock::now;
use super::socket::{BrowserSocket, SocketInput};
use crate::view::payload::encode_input;
use crate::view::{DeviceForm, DeviceLog};
use ackscope_core::diagnostics::DeviceHistory;
use ackscope_core::probe::{series_id, Probe};
use ackscope_core::session::{Action, CommandError, Session, SessionConfig, SocketId};
use ackscope_core::time::Millis;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use yew::Callback;

/// A probe series being sent.
pub struct ProbeRun {
    pub series: String,
    pub sent: u32,
    pub total: u32,
    interval_ms: u32,
    topic: String,
    qos: u8,
    _timer: Option<Timeout>,
}

/// The state of one device.
pub struct DeviceState {
    pub id: u32,
    pub form: DeviceForm,
    pub session: Session,
    pub log: DeviceLog,
    /// What the diagnostics remember of this device.
    pub history: DeviceHistory,
    pub probe: Option<ProbeRun>,
    sockets: HashMap<SocketId, BrowserSocket>,
    timer: Option<(Millis, Timeout)>,
    redraw: Callback<()>,
}

/// A shared handle to a device; components hold clones of it.
#[derive(Clone)]
pub struct Device(Rc<RefCell<DeviceState>>);

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

fn random_seed() -> u64 {
    (js_sys::Math::random() * (u64::MAX as f64)) as u64
}

impl Device {
    pub fn new(id: u32, form: DeviceForm, redraw: Callback<()>) -> Self {
        Device(Rc::new(RefCell::new(DeviceState {
            id,
            form,
            session: Session::new(SessionConfig::default()),
            log: DeviceLog::default(),
            history: DeviceHistory::default(),
            probe: None,
            sockets: HashMap::new(),
            timer: None,
            redraw,
        })))
    }

    /// Borrows the device's state for as long as the guard lives (several devices at once).
    pub fn borrow(&self) -> std::cell::Ref<'_, DeviceState> {
        self.0.borrow()
    }

    /// Reads the device's state (for rendering).
    pub fn read<R>(&self, f: impl FnOnce(&DeviceState) -> R) -> R {
        f(&self.0.borrow())
    }

    /// Changes a form field; nothing is sent.
    pub fn edit(&self, f: impl FnOnce(&mut DeviceForm)) {
        f(&mut self.0.borrow_mut().form);
        self.redraw();
    }

    fn redraw(&self) {
        let cb = self.0.borrow().redraw.clone();
        cb.emit(());
    }

    /// Runs a session command, records a refusal in the log, then drains the session.
    fn command(&self, f: impl FnOnce(&mut DeviceState, Millis) -> Result<(), CommandError>) {
        {
            let mut s = self.0.borrow_mut();
            let at = now();
            if let Err(e) = f(&mut s, at) {
                s.log.fail(at, e.message_en(), e.message_zh());
            }
        }
        self.pump();
    }

    pub fn connect(&self) {
        {
            let mut s = self.0.borrow_mut();
            let at = now();
            match s.form.session_config(random_seed()) {
                Ok(config) => {
                    s.session.set_config(config);
                    if let Err(e) = s.session.connect(at) {
                        s.log.fail(at, e.message_en(), e.message_zh());
                    }
                }
                Err(e) => s.log.fail(at, e.message_en(), e.message_zh()),
            }
        }
        self.pump();
    }

    pub fn disconnect(&self) {
        self.command(|s, at| {
            s.session.disconnect(at);
            Ok(())
        });
    }

    pub fn drop_connection(&self) {
        self.command(|s, at| {
            s.session.drop_connection(at);
            Ok(())
        });
    }

    pub fn go_silent(&self) {
        self.command(|s, at| s.session.go_silent(at));
    }

    pub fn subscribe(&self) {
        self.command(|s, at| {
            let (topic, qos) = (s.form.sub_topic.trim().to_string(), s.form.sub_qos);
            s.session.subscribe(&topic, qos, at)
        });
    }

    pub fn unsubscribe(&self, filter: String) {
        self.command(move |s, at| s.session.unsubscribe(&filter, at));
    }

    pub fn publish(&self) {
        {
            let mut s = self.0.borrow_mut();
            let at = now();
            let f = &s.form;
            let (topic, qos, retain) = (f.pub_topic.clone(), f.pub_qos, f.pub_retain);
            let result = match encode_input(&f.pub_payload, f.pub_format) {
                Ok(payload) => s
                    .session
                    .publish(&topic, payload, qos, retain, at)
                    .map(|_| ())
                    .map_err(|e| (e.message_en(), e.message_zh())),
                Err(texts) => Err(texts),
            };
            if let Err((en, zh)) = result {
                s.log.fail(at, en, zh);
            }
        }
        self.pump();
    }

    pub fn ack(&self, packet_id: u16) {
        self.command(move |s, at| s.session.ack(packet_id, at));
    }

    pub fn set_manual_ack(&self, on: bool) {
        self.command(move |s, at| {
            s.form.manual_ack = on;
            s.session.set_manual_ack(on, at);
            Ok(())
        });
    }

    /// Starts a numbered probe series on the publish topic.
    pub fn start_probe(&self) {
        {
            let mut s = self.0.borrow_mut();
            let at = now();
            let count = s
                .form
                .probe_count
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|c| (1..=100_000).contains(c));
            let interval = s
                .form
                .probe_interval_ms
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|i| *i <= 60_000);
            let (Some(total), Some(interval_ms)) = (count, interval) else {
                s.log.fail(
                    at,
                    "Probe count must be 1 to 100000 and the interval 0 to 60000 ms.".into(),
                    "探测数量须为 1 到 100000,间隔须为 0 到 60000 毫秒。".into(),
                );
                drop(s);
                self.redraw();
                return;
            };
            let (topic, qos) = (s.form.pub_topic.clone(), s.form.pub_qos);
            s.probe = Some(ProbeRun {
                series: series_id(random_seed()),
                sent: 0,
                total,
                interval_ms,
                topic,
                qos,
                _timer: None,
            });
        }
        self.probe_tick();
    }

    fn probe_tick(&self) {
        {
            let mut s = self.0.borrow_mut();
            let at = now();
            let Some(run) = s.probe.as_mut() else { return };
            if run.sent >= run.total {
                return;
            }
            run.sent += 1;
            let probe = Probe {
                series: run.series.clone(),
                seq: run.sent,
                sent_at: at,
            };
            let (topic, qos, done, interval) = (
                run.topic.clone(),
                run.qos,
                run.sent >= run.total,
                run.interval_ms,
            );
            let result = s.session.publish(&topic, probe.encode(""), qos, false, at);
            if let Err(e) = result {
                s.log.fail(
                    at,
                    format!("Probe series stopped: {}", e.message_en()),
                    format!("探测序列已停止:{}", e.message_zh()),
                );
                if let Some(run) = s.probe.as_mut() {
                    run.total = run.sent - 1;
                    run.sent -= 1;
                }
            } else if !done {
                let weak = Rc::downgrade(&self.0);
                let timer = Timeout::new(interval, move || {
                    if let Some(rc) = weak.upgrade() {
                        Device(rc).probe_tick();
                    }
                });
                if let Some(run) = s.probe.as_mut() {
                    run._timer = Some(timer);
                }
            }
        }
        self.pump();
    }

    fn socket_input(weak: &Weak<RefCell<DeviceState>>, socket: SocketId, input: SocketInput) {
        let Some(rc) = weak.upgrade() else { return };
        {
            let mut s = rc.borrow_mut();
            let at = now();
            match input {
                SocketInput::Open => s.session.handle_socket_open(socket, at),
                SocketInput::Bytes(bytes) => s.session.handle_bytes(socket, &bytes, at),
                SocketInput::Closed { .. } => {
                    s.sockets.remove(&socket);
                    s.session.handle_socket_closed(socket, at);
                }
            }
        }
        Device(rc).pump();
    }

    /// Drains the session: actions, then events, then the timer. Loops while a socket
    /// failed synchronously, since that is one more input.
    fn pump(&self) {
        loop {
            let mut failed: Vec<SocketId> = Vec::new();
            {
                let mut guard = self.0.borrow_mut();
                let s = &mut *guard;
                while let Some(action) = s.session.poll_action() {
                    match action {
                        Action::Open { socket, url } => {
                            let weak = Rc::downgrade(&self.0);
                            match BrowserSocket::open(&url, move |input| {
                                Device::socket_input(&weak, socket, input)
                            }) {
                                Ok(ws) => {
                                    s.sockets.insert(socket, ws);
                                }
                                Err(e) => {
                                    let at = now();
                                    s.log.fail(
                                        at,
                                        format!("The browser refused to open {url}: {e}"),
                                        format!("浏览器拒绝打开 {url}:{e}"),
                                    );
                                    failed.push(socket);
                                }
                            }
                        }
                        Action::Send { socket, bytes } => {
                            if let Some(ws) = s.sockets.get(&socket) {
                                if let Err(e) = ws.send(&bytes) {
                                    s.log.fail(
                                        now(),
                                        format!("Send failed: {e}"),
                                        format!("发送失败:{e}"),
                                    );
                                }
                            }
                        }
                        Action::Close { socket } => {
                            if let Some(ws) = s.sockets.remove(&socket) {
                                ws.close();
                            }
                        }
                    }
                }
                while let Some(event) = s.session.poll_event() {
                    s.history.observe(&event);
                    s.log.apply(event);
                }
                if failed.is_empty() {
                    self.arm_timer(s);
                }
            }
            if failed.is_empty() {
                break;
            }
            let mut s = self.0.borrow_mut();
            for socket in failed {
                s.session.handle_socket_closed(socket, now());
            }
        }
        self.redraw();
    }

    fn arm_timer(&self, s: &mut DeviceState) {
        let next = s.session.poll_timeout();
        if next == s.timer.as_ref().map(|(at, _)| *at) {
            return;
        }
        s.timer = next.map(|at| {
            let delay = at.saturating_sub(now()).min(u64::from(u32::MAX)) as u32;
            let weak = Rc::downgrade(&self.0);
            let timeout = Timeout::new(delay, move || {
                let Some(rc) = weak.upgrade() else { return };
                {
                    let mut s = rc.borrow_mut();
                    s.timer = None;
                    s.session.handle_timeout(now());
                }
                Device(rc).pump();
            });
            (at, timeout)
        });
    }
}
