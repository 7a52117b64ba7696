//! The broker check driven by the browser: a core `BrokerCheck` with its WebSockets and one
//! gloo `Timeout`, as `edge::device` drives a session.
//!
//! Design: after every input (start, cancel, socket bytes, a timer) the driver drains the
//! check's actions (socket I/O on the check connections), then arms the next timeout. It
//! holds no protocol rules and decides no outcome: rows, progress and evidence come from
//! `BrokerCheck::view`. The check connections are the check's own sockets, never the
//! device's. The device owns its driver (`edge::device`), so results outlive re-renders;
//! when the device is removed mid-run, `abandon` cancels the run and keeps the driver alive
//! until its cleanup ends (or closes its sockets after a deadline), then says how it ended.
//! Dropping the driver closes its sockets.

use super::clock::now;
use super::socket::{refused_text, BrowserSocket, SocketInput};
use ackscope_core::auth::AuthInput;
use ackscope_core::check::{
    BrokerCheck, BrokerFacts, CheckOptions, CheckReport, CheckView, ClientIndex, RunState,
};
use ackscope_core::session::{Action, SessionConfig, SocketId};
use ackscope_core::text::Bilingual;
use ackscope_core::time::Millis;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use yew::Callback;

struct CheckState {
    check: Option<BrokerCheck>,
    sockets: HashMap<SocketId, BrowserSocket>,
    timer: Option<(Millis, Timeout)>,
    /// Asks the view to render again (coalesced by the caller).
    redraw: Callback<()>,
    /// Why the last start was refused, or what the browser refused to do.
    error: Option<Bilingual>,
    /// Set while the run cleans up after its device was removed.
    orphan: Option<Orphan>,
}

/// A run whose device was removed: it keeps itself alive (`keep`, a deliberate cycle broken
/// when the cleanup ends) and tells the page how the cleanup ended.
struct Orphan {
    _keep: CheckDriver,
    device: String,
    tell: Callback<Bilingual>,
    /// The deadline passed: the connections were closed before the cleanup ended.
    forced: bool,
    _deadline: Timeout,
}

/// How long a removed device's check may clean up before its connections are closed.
const ORPHAN_CLEANUP_MS: u32 = 30_000;

impl Drop for CheckState {
    fn drop(&mut self) {
        for (_, ws) in self.sockets.drain() {
            ws.close();
        }
    }
}

/// A handle to one device's broker check; clones share it.
#[derive(Clone)]
pub struct CheckDriver(Rc<RefCell<CheckState>>);

impl PartialEq for CheckDriver {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl CheckDriver {
    pub fn new(redraw: Callback<()>) -> Self {
        CheckDriver(Rc::new(RefCell::new(CheckState {
            check: None,
            sockets: HashMap::new(),
            timer: None,
            redraw,
            error: None,
            orphan: None,
        })))
    }

    /// Starts a run against the device's broker with its settings (`base`), unless one runs.
    /// The topic prefix gets its randomness here.
    pub fn start(&self, base: SessionConfig, auth: Option<AuthInput>, mut options: CheckOptions) {
        options.seed = (js_sys::Math::random() * (u64::MAX as f64)) as u64;
        {
            let mut s = self.0.borrow_mut();
            if s.check.as_ref().is_some_and(|c| c.state().is_busy()) {
                return;
            }
            match BrokerCheck::new(base, auth, options) {
                Ok(mut check) => {
                    s.error = None;
                    check.start(now());
                    s.check = Some(check);
                }
                Err(e) => s.error = Some(e.text()),
            }
        }
        self.pump();
    }

    /// Refuses a start with a reason the view shows.
    pub fn refuse(&self, why: Bilingual) {
        self.0.borrow_mut().error = Some(why);
        self.redraw();
    }

    pub fn cancel(&self) {
        {
            let mut s = self.0.borrow_mut();
            if let Some(c) = s.check.as_mut() {
                c.cancel(now());
            }
        }
        self.pump();
    }

    /// The device (`device` names it) leaves the page: a run is cancelled as the cancel button
    /// does, and its cleanup (sessions wiped, retained messages cleared) goes on without the
    /// card. `tell` hears how it ended; after `ORPHAN_CLEANUP_MS` the connections are closed
    /// and it says what may be left on the broker. Nothing happens when no run is busy.
    pub fn abandon(&self, device: String, tell: Callback<Bilingual>) {
        if !self.busy() {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        let deadline = Timeout::new(ORPHAN_CLEANUP_MS, move || {
            let Some(rc) = weak.upgrade() else { return };
            let driver = CheckDriver(rc);
            if driver.busy() {
                if let Some(o) = driver.0.borrow_mut().orphan.as_mut() {
                    o.forced = true;
                }
                // A second cancel drops every check connection at once.
                driver.cancel();
            }
            driver.settle_orphan();
        });
        self.0.borrow_mut().orphan = Some(Orphan {
            _keep: self.clone(),
            device,
            tell,
            forced: false,
            _deadline: deadline,
        });
        // Already cancelling (the button was pressed): its cleanup goes on; a second cancel
        // would cut it short.
        let running = self
            .0
            .borrow()
            .check
            .as_ref()
            .is_some_and(|c| c.state() == RunState::Running);
        if running {
            self.cancel();
        }
    }

    /// Once an abandoned run is no longer busy: says how it ended and lets it go.
    fn settle_orphan(&self) {
        let orphan = {
            let mut s = self.0.borrow_mut();
            if s.check.as_ref().is_some_and(|c| c.state().is_busy()) {
                return;
            }
            s.orphan.take()
        };
        let Some(o) = orphan else { return };
        let (ids, prefix) = self
            .view()
            .map(|v| {
                let ids: Vec<String> = v.client_ids.into_iter().filter(|c| !c.is_empty()).collect();
                (ids.join(", "), v.topic_prefix)
            })
            .unwrap_or_default();
        let failed = self.cleanup_failure();
        let text = if let (Some(why), false) = (&failed, o.forced) {
            Bilingual::new(
                format!("Device {} was removed while its broker check ran: the check was cancelled, but a cleanup could not finish ({}): the broker may still hold sessions of {ids} and retained messages under {prefix}.", o.device, why.en),
                format!("设备 {} 在服务端检测运行时被移除:检测已取消,但有一次清理未能完成({}):服务端可能仍保留 {ids} 的会话以及 {prefix} 下的保留消息。", o.device, why.zh),
            )
        } else if o.forced {
            Bilingual::new(
                format!("Device {} was removed while its broker check ran. Its cleanup did not finish within {} s, so its connections were closed: the broker may still hold sessions of {ids} and retained messages under {prefix}.", o.device, ORPHAN_CLEANUP_MS / 1000),
                format!("设备 {} 在服务端检测运行时被移除。其清理未能在 {} 秒内完成,已关闭其连接:服务端可能仍保留 {ids} 的会话以及 {prefix} 下的保留消息。", o.device, ORPHAN_CLEANUP_MS / 1000),
            )
        } else {
            Bilingual::new(
                format!("Device {} was removed while its broker check ran: the check was cancelled and cleaned up after itself (the sessions of {ids} wiped, retained messages under {prefix} cleared).", o.device),
                format!("设备 {} 在服务端检测运行时被移除:检测已取消并完成清理({ids} 的会话已清除,{prefix} 下的保留消息已清空)。", o.device),
            )
        };
        o.tell.emit(text);
        // `o._keep` goes here: the run is freed once nothing else holds it.
    }

    /// A cleanup of the run that could not finish, and why.
    pub fn cleanup_failure(&self) -> Option<Bilingual> {
        self.0
            .borrow()
            .check
            .as_ref()
            .and_then(|c| c.cleanup_failure().cloned())
    }

    /// What the run measured so far, `None` before a run.
    pub fn facts(&self) -> Option<BrokerFacts> {
        self.0.borrow().check.as_ref().map(|c| c.facts())
    }

    /// Whether a run holds connections open now.
    pub fn busy(&self) -> bool {
        self.0
            .borrow()
            .check
            .as_ref()
            .is_some_and(|c| c.state().is_busy())
    }

    pub fn view(&self) -> Option<CheckView> {
        self.0.borrow().check.as_ref().map(|c| c.view(now()))
    }

    pub fn report(&self) -> Option<CheckReport> {
        self.0.borrow().check.as_ref().map(|c| c.report(now()))
    }

    pub fn error(&self) -> Option<Bilingual> {
        self.0.borrow().error.clone()
    }

    fn redraw(&self) {
        let cb = self.0.borrow().redraw.clone();
        cb.emit(());
    }

    fn socket_input(
        weak: &Weak<RefCell<CheckState>>,
        client: ClientIndex,
        socket: SocketId,
        input: SocketInput,
    ) {
        let Some(rc) = weak.upgrade() else { return };
        {
            let mut s = rc.borrow_mut();
            let at = now();
            let closed = matches!(input, SocketInput::Closed { .. } | SocketInput::Refused(_));
            let ws = if closed {
                s.sockets.remove(&socket)
            } else {
                None
            };
            if let (SocketInput::Refused(why), Some(ws)) = (&input, ws) {
                s.error = Some(refused_text(ws.url(), why));
            }
            if let Some(check) = s.check.as_mut() {
                match input {
                    SocketInput::Open => check.handle_socket_open(client, socket, at),
                    SocketInput::Bytes(bytes) => check.handle_bytes(client, socket, &bytes, at),
                    SocketInput::Closed { .. } | SocketInput::Refused(_) => {
                        check.handle_socket_closed(client, socket, at)
                    }
                    // A failed send shows up as the step's timeout or close.
                    SocketInput::SendFailed(_) => {}
                }
            }
        }
        CheckDriver(rc).pump();
    }

    /// Drains the check: actions, then the timer. Loops while a socket failed synchronously.
    fn pump(&self) {
        loop {
            let mut failed: Vec<(ClientIndex, SocketId)> = Vec::new();
            {
                let mut guard = self.0.borrow_mut();
                let s = &mut *guard;
                let Some(check) = s.check.as_mut() else {
                    break;
                };
                while let Some((client, action)) = check.poll_action() {
                    match action {
                        Action::Open { socket, url } => {
                            let weak = Rc::downgrade(&self.0);
                            match BrowserSocket::open(&url, move |input| {
                                CheckDriver::socket_input(&weak, client, socket, input)
                            }) {
                                Ok(ws) => {
                                    s.sockets.insert(socket, ws);
                                }
                                Err(e) => {
                                    s.error = Some(refused_text(&url, &e));
                                    failed.push((client, socket));
                                }
                            }
                        }
                        Action::Send { socket, bytes } => {
                            if let Some(ws) = s.sockets.get(&socket) {
                                // A failed send shows up as the step's timeout or close.
                                let _ = ws.send(&bytes);
                            }
                        }
                        Action::Close { socket } => {
                            if let Some(ws) = s.sockets.remove(&socket) {
                                ws.close();
                            }
                        }
                    }
                }
                if failed.is_empty() {
                    self.arm_timer(s);
                }
            }
            if failed.is_empty() {
                break;
            }
            let mut s = self.0.borrow_mut();
            if let Some(check) = s.check.as_mut() {
                for (client, socket) in failed {
                    check.handle_socket_closed(client, socket, now());
                }
            }
        }
        if self.0.borrow().orphan.is_some() {
            self.settle_orphan();
        }
        self.redraw();
    }

    fn arm_timer(&self, s: &mut CheckState) {
        let next = s.check.as_ref().and_then(|c| c.poll_timeout());
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
                    if let Some(check) = s.check.as_mut() {
                        check.handle_timeout(now());
                    }
                }
                CheckDriver(rc).pump();
            });
            (at, timeout)
        });
    }
}
