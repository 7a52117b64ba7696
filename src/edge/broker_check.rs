//! The broker check driven by the browser: a core `BrokerCheck` with its WebSockets and one
//! gloo `Timeout`, as `edge::device` drives a session.
//!
//! Design: after every input (start, cancel, socket bytes, a timer) the driver drains the
//! check's actions (socket I/O on the check connections), then arms the next timeout. It
//! holds no protocol rules and decides no outcome: rows, progress and evidence come from
//! `BrokerCheck::view`. The check connections are the check's own sockets, never the
//! device's; dropping the driver (the card goes away) closes them.

use super::clock::now;
use super::socket::{BrowserSocket, SocketInput};
use ackscope_core::auth::AuthInput;
use ackscope_core::check::{BrokerCheck, CheckOptions, CheckReport, CheckView, ClientIndex};
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
}

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
            let closed = matches!(input, SocketInput::Closed { .. });
            if closed {
                s.sockets.remove(&socket);
            }
            if let Some(check) = s.check.as_mut() {
                match input {
                    SocketInput::Open => check.handle_socket_open(client, socket, at),
                    SocketInput::Bytes(bytes) => check.handle_bytes(client, socket, &bytes, at),
                    SocketInput::Closed { .. } => check.handle_socket_closed(client, socket, at),
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
                                    s.error = Some(Bilingual::new(
                                        format!("The browser refused to open {url}: {e}"),
                                        format!("浏览器拒绝打开 {url}:{e}"),
                                    ));
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
