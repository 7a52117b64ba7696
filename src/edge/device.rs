//! One device on the page: a core `Session` driven by the browser.
//!
//! Design: after every input (a user intent, socket bytes, a timer) the driver drains the
//! session in the documented order: actions (socket I/O), events (into the view log), then
//! (after a drain step, see below) the next timeout, which it arms as a single gloo
//! `Timeout`. It holds no protocol rules.
//! Components never see the session: they get a `DeviceSnapshot` (a version plus a
//! `SessionView`), taken once per render after the device changed, and the form and log
//! (view state) to read. Sockets and timers stay here, out of rendered state.
//!
//! Socket input is queued with its arrival time and handled in drain steps of about
//! `STEP_MS` each, so that a burst never holds a frame back; see [`Inbox`].
//!
//! The device also owns its broker check (`edge::broker_check`): its results outlive the
//! card's re-renders and feed the diagnostics, recordings and reports; removing the device
//! cancels a run that is busy (see [`Device::remove`]).

use super::broker_check::CheckDriver;
use super::clock::now;
use super::socket::{refused_text, send_failed_text, BrowserSocket, PostedTask, SocketInput};
use crate::view::payload::encode_input;
use crate::view::recording::{recorded_check_facts, Recorder, Replayed};
use crate::view::{DeviceForm, DeviceLog};
use ackscope_core::check::{BrokerFacts, CheckReport, CheckView};
use ackscope_core::diagnostics::DeviceHistory;
use ackscope_core::session::{Action, Session, SessionConfig, SessionView, SocketId};
use ackscope_core::text::Bilingual;
use ackscope_core::time::Millis;
use gloo_timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use yew::Callback;

/// The state of one device.
pub struct DeviceState {
    pub id: u32,
    pub form: DeviceForm,
    pub log: DeviceLog,
    /// What the diagnostics remember of this device.
    pub history: DeviceHistory,
    session: Session,
    /// Moves whenever anything this device shows changed.
    version: u64,
    /// The snapshot of `version`, taken on demand (at most once per render).
    snapshot: Option<DeviceSnapshot>,
    sockets: HashMap<SocketId, BrowserSocket>,
    timer: Option<(Millis, Timeout)>,
    redraw: Callback<()>,
    /// Where every event also goes (the page's running recording).
    recorder: Option<Recorder>,
    /// A device opened from a recording: read-only, its session as recorded.
    recorded: Option<Rc<SessionView>>,
    /// This device's broker check (live).
    check: CheckDriver,
    /// The broker check a recording holds for this device.
    recorded_check: Option<CheckReport>,
    /// Input not handled yet (shared with the sockets' handlers, which only queue).
    inbox: Rc<Inbox>,
    /// This device, for the handlers of the sockets and timers it makes.
    me: Weak<RefCell<DeviceState>>,
}

/// A drain step handles queued input for about this long, then yields so a frame can render.
const STEP_MS: Millis = 8;
/// Input that waited this long means the posted drain step is starved: the socket handler
/// runs one itself.
const STARVED_MS: Millis = 50;

/// Input for the session, in the order it arrived.
enum Input {
    Socket(SocketId, SocketInput),
    /// The timer fired while input that arrived earlier waited: it is handled after it.
    Timeout,
}

/// A device's input waiting for a drain step, each with its arrival time (the `now` the
/// session gets). Why: a drain step works for `STEP_MS` and yields so a frame can render;
/// what it did not reach waits here. One queue per device keeps the order across its
/// sockets; it is never borrowed across a call out.
struct Inbox {
    queue: RefCell<VecDeque<(Millis, Input)>>,
    /// A drain step is posted and has not run yet.
    posted: Cell<bool>,
    /// A `Timeout` is queued: no timer is armed until it is handled.
    timeout_queued: Cell<bool>,
    /// Runs one drain step; `None` without a `MessageChannel` (input is handled at once).
    step: Option<PostedTask>,
}

impl Inbox {
    fn push(&self, at: Millis, input: Input) {
        self.queue.borrow_mut().push_back((at, input));
    }

    fn pop(&self) -> Option<(Millis, Input)> {
        self.queue.borrow_mut().pop_front()
    }

    fn is_empty(&self) -> bool {
        self.queue.borrow().is_empty()
    }

    /// When the input waiting longest arrived.
    fn oldest(&self) -> Option<Millis> {
        self.queue.borrow().front().map(|(at, _)| *at)
    }

    /// Makes sure a drain step will run; `false` if none could be posted.
    fn schedule(&self) -> bool {
        if self.posted.get() {
            return true;
        }
        let ok = self.step.as_ref().is_some_and(PostedTask::post);
        self.posted.set(ok);
        ok
    }

    /// The session closed `socket`: what it delivered and was not handled yet goes too, as
    /// when the handlers were detached before it could arrive.
    fn forget(&self, socket: SocketId) {
        self.queue
            .borrow_mut()
            .retain(|(_, input)| !matches!(input, Input::Socket(id, _) if *id == socket));
    }
}

/// Check progress (a 2,000-message queue arrives in bursts) redraws at most this often.
const CHECK_REDRAW_MS: u32 = 100;

/// The check's redraw: after `CHECK_REDRAW_MS`, the device has changed (its panel renders
/// again) and the page redraws.
fn check_redraw(device: Weak<RefCell<DeviceState>>) -> Callback<()> {
    let pending: Rc<RefCell<Option<Timeout>>> = Rc::default();
    Callback::from(move |_| {
        if pending.borrow().is_some() {
            return;
        }
        let (slot, device) = (pending.clone(), device.clone());
        *pending.borrow_mut() = Some(Timeout::new(CHECK_REDRAW_MS, move || {
            slot.borrow_mut().take();
            let Some(rc) = device.upgrade() else { return };
            let redraw = match rc.try_borrow_mut() {
                Ok(mut s) => {
                    s.changed();
                    s.redraw.clone()
                }
                Err(_) => return,
            };
            redraw.emit(());
        }));
    })
}

/// What a device panel renders of the session, at one version of the device. Equal
/// snapshots mean nothing changed, so an idle device does not re-render.
#[derive(Clone, Debug)]
pub struct DeviceSnapshot {
    pub version: u64,
    pub session: Rc<SessionView>,
}

impl PartialEq for DeviceSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Rc::ptr_eq(&self.session, &other.session)
    }
}

/// A shared handle to a device; components hold clones of it to send intents.
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
        Device(Rc::new_cyclic(|weak| {
            RefCell::new(DeviceState {
                id,
                form,
                log: DeviceLog::default(),
                history: DeviceHistory::default(),
                session: Session::new(SessionConfig::default()),
                version: 0,
                snapshot: None,
                sockets: HashMap::new(),
                timer: None,
                redraw,
                recorder: None,
                recorded: None,
                check: CheckDriver::new(check_redraw(weak.clone())),
                recorded_check: None,
                inbox: Rc::new(Inbox {
                    queue: RefCell::new(VecDeque::new()),
                    posted: Cell::new(false),
                    timeout_queued: Cell::new(false),
                    step: {
                        let weak = weak.clone();
                        PostedTask::new(move || Device::step_task(&weak))
                    },
                }),
                me: weak.clone(),
            })
        }))
    }

    /// A read-only device from a recording: its view replayed from the recorded events, its
    /// session the recorded snapshot; commands do nothing and no socket is ever opened.
    pub fn recorded(id: u32, replayed: Replayed, redraw: Callback<()>) -> Self {
        let device = Device::new(id, replayed.form, redraw);
        {
            let mut s = device.0.borrow_mut();
            s.log = replayed.log;
            s.history = replayed.history;
            s.recorded = Some(Rc::new(replayed.session));
            s.recorded_check = replayed.broker_check;
        }
        device
    }

    /// This device's broker check, to start, cancel and read (live devices).
    pub fn check(&self) -> CheckDriver {
        self.0.borrow().check.clone()
    }

    /// The broker check table: the live run's, or the one a recording holds.
    pub fn check_view(&self) -> Option<CheckView> {
        let (recorded, check) = {
            let s = self.0.borrow();
            (s.recorded.is_some(), s.check.clone())
        };
        if recorded {
            return self.0.borrow().recorded_check.as_ref().map(|r| r.view());
        }
        check.view()
    }

    /// The broker check for a ticket or a recording: the live run's, or the recorded one.
    pub fn check_report(&self) -> Option<CheckReport> {
        self.0.borrow().check_report()
    }

    /// The device leaves the page: its socket closes, and a broker check that runs is
    /// cancelled and cleans up without the card (`tell` hears how that ended).
    pub fn remove(&self, tell: Callback<Bilingual>) {
        // Input not handled yet leaves with the device (draining it first could take long).
        let inbox = self.0.borrow().inbox.clone();
        inbox.queue.borrow_mut().clear();
        inbox.timeout_queued.set(false);
        self.drop_connection();
        let (check, name) = {
            let s = self.0.borrow();
            (s.check.clone(), s.form.auth.client_id.clone())
        };
        check.abandon(name, tell);
    }

    /// Whether this device was opened from a recording (read-only).
    pub fn is_recorded(&self) -> bool {
        self.0.borrow().recorded.is_some()
    }

    /// Hands every event of this device to `recorder` from now on.
    pub fn record_into(&self, recorder: Recorder) {
        self.0.borrow_mut().recorder = Some(recorder);
    }

    /// Borrows the device's state for as long as the guard lives (several devices at once).
    pub fn borrow(&self) -> std::cell::Ref<'_, DeviceState> {
        self.0.borrow()
    }

    /// Reads the device's view state (form, log, history).
    pub fn read<R>(&self, f: impl FnOnce(&DeviceState) -> R) -> R {
        f(&self.0.borrow())
    }

    /// The session as the page shows it now; taken again only after the device changed.
    pub fn snapshot(&self) -> DeviceSnapshot {
        let mut s = self.0.borrow_mut();
        if let Some(snap) = &s.snapshot {
            return snap.clone();
        }
        if let Some(view) = &s.recorded {
            let snap = DeviceSnapshot {
                version: s.version,
                session: view.clone(),
            };
            s.snapshot = Some(snap.clone());
            return snap;
        }
        let snap = DeviceSnapshot {
            version: s.version,
            session: Rc::new(s.session.view(now())),
        };
        s.snapshot = Some(snap.clone());
        snap
    }

    /// Changes a form field; nothing is sent.
    pub fn edit(&self, f: impl FnOnce(&mut DeviceForm)) {
        {
            let mut s = self.0.borrow_mut();
            f(&mut s.form);
            s.changed();
        }
        self.redraw();
    }

    fn redraw(&self) {
        let cb = self.0.borrow().redraw.clone();
        cb.emit(());
    }

    /// Runs a session command, records a refusal in the log, then drains the session.
    fn command(&self, f: impl FnOnce(&mut DeviceState, Millis) -> Result<(), Bilingual>) {
        if self.is_recorded() {
            return;
        }
        // The session hears of input that arrived before the command first.
        Device::drain(&self.0, None);
        {
            let mut s = self.0.borrow_mut();
            let at = now();
            if let Err(t) = f(&mut s, at) {
                s.log.fail(at, t.en, t.zh);
            }
        }
        self.pump();
    }

    /// Connects with the settings in the form; a live or silent connection keeps its own.
    pub fn connect(&self) {
        self.command(|s, at| {
            let config = s.form.session_config(random_seed()).map_err(|e| e.text())?;
            s.session.connect_with(config, at).map_err(|e| e.text())
        });
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
        self.command(|s, at| s.session.go_silent(at).map_err(|e| e.text()));
    }

    pub fn subscribe(&self) {
        self.command(|s, at| {
            let (topic, qos) = (s.form.sub_topic.trim().to_string(), s.form.sub_qos);
            s.session.subscribe(&topic, qos, at).map_err(|e| e.text())
        });
    }

    pub fn unsubscribe(&self, filter: String) {
        self.command(move |s, at| s.session.unsubscribe(&filter, at).map_err(|e| e.text()));
    }

    pub fn publish(&self) {
        self.command(|s, at| {
            let f = &s.form;
            let (topic, qos, retain) = (f.pub_topic.clone(), f.pub_qos, f.pub_retain);
            let payload = encode_input(&f.pub_payload, f.pub_format)
                .map_err(|(en, zh)| Bilingual::new(en, zh))?;
            s.session
                .publish(&topic, payload, qos, retain, at)
                .map(|_| ())
                .map_err(|e| e.text())
        });
    }

    pub fn ack(&self, packet_id: u16) {
        self.command(move |s, at| s.session.ack(packet_id, at).map_err(|e| e.text()));
    }

    pub fn set_manual_ack(&self, on: bool) {
        self.command(move |s, at| {
            s.form.manual_ack = on;
            s.session.set_manual_ack(on, at);
            Ok(())
        });
    }

    /// The browser went offline (`offline` on window).
    pub fn network_down(&self) {
        self.command(|s, at| {
            s.session.network_down(at);
            Ok(())
        });
    }

    /// The browser is online again.
    pub fn network_up(&self) {
        self.command(|s, at| {
            s.session.network_up(at);
            Ok(())
        });
    }

    /// Starts a numbered probe series on the publish topic (the session sends and times it).
    pub fn start_probe(&self) {
        self.command(|s, at| {
            let plan = s.form.probe_plan().map_err(|e| e.text())?;
            let (topic, qos) = (s.form.pub_topic.clone(), s.form.pub_qos);
            s.session
                .start_probe_series(&topic, qos, plan, random_seed(), at)
                .map(|_| ())
                .map_err(|e| {
                    e.text()
                        .prefixed("Probe series not started: ", "探测序列未开始:")
                })
        });
    }

    /// A socket's handler. The socket worker delivers input in batches (`edge::socket`), so
    /// a batch is handled at once, for `STEP_MS` at most (a posted step takes the rest): a
    /// posted step for every batch would add a task's wait to each ack's round trip, and a
    /// broker with 20 messages in flight sends the next ones only as acks come back. Input
    /// that arrives while a posted step waits queues behind it, unless that step is starved
    /// (a flood can keep the browser from running posted tasks for a second: measured with
    /// 8 devices at 2,000 msg/s each).
    fn socket_input(
        weak: &Weak<RefCell<DeviceState>>,
        inbox: &Inbox,
        socket: SocketId,
        input: SocketInput,
    ) {
        let at = now();
        inbox.push(at, Input::Socket(socket, input));
        let starved = inbox
            .oldest()
            .is_some_and(|oldest| at.saturating_sub(oldest) >= STARVED_MS);
        if inbox.posted.get() && !starved {
            return;
        }
        if let Some(rc) = weak.upgrade() {
            Device::drain(&rc, Some(STEP_MS));
        }
    }

    /// A posted drain step.
    fn step_task(weak: &Weak<RefCell<DeviceState>>) {
        let Some(rc) = weak.upgrade() else { return };
        let inbox = match rc.try_borrow() {
            Ok(s) => s.inbox.clone(),
            Err(_) => return,
        };
        inbox.posted.set(false);
        Device::drain(&rc, Some(STEP_MS));
    }

    /// Hands queued input to the session in arrival order, each with its arrival time, for
    /// `budget` ms of wall time (all of it with `None`), then posts a step for the rest and
    /// pumps (timer, redraw).
    fn drain(rc: &Rc<RefCell<DeviceState>>, budget: Option<Millis>) {
        let inbox = match rc.try_borrow() {
            Ok(s) => s.inbox.clone(),
            Err(_) => return,
        };
        if inbox.is_empty() {
            return;
        }
        let start = now();
        let mut budget = budget;
        while let Some((at, input)) = inbox.pop() {
            {
                let Ok(mut guard) = rc.try_borrow_mut() else {
                    // Not reachable (no caller holds the device); a later step takes it.
                    inbox.queue.borrow_mut().push_front((at, input));
                    inbox.schedule();
                    return;
                };
                let s = &mut *guard;
                match input {
                    Input::Socket(socket, SocketInput::Open) => {
                        s.session.handle_socket_open(socket, at)
                    }
                    Input::Socket(socket, SocketInput::Bytes(bytes)) => {
                        s.session.handle_bytes(socket, &bytes, at)
                    }
                    Input::Socket(socket, SocketInput::Closed { .. }) => {
                        s.sockets.remove(&socket);
                        s.session.handle_socket_closed(socket, at);
                    }
                    Input::Socket(socket, SocketInput::Refused(why)) => {
                        if let Some(ws) = s.sockets.remove(&socket) {
                            let t = refused_text(ws.url(), &why);
                            s.log.fail(at, t.en, t.zh);
                        }
                        s.session.handle_socket_closed(socket, at);
                    }
                    Input::Socket(_, SocketInput::SendFailed(why)) => {
                        let t = send_failed_text(&why);
                        s.log.fail(at, t.en, t.zh);
                    }
                    Input::Timeout => {
                        inbox.timeout_queued.set(false);
                        s.session.handle_timeout(at);
                    }
                }
                // Sends and closes go out after each input, as when input was handled at once.
                s.outputs();
            }
            if budget.is_some_and(|b| now().saturating_sub(start) >= b) {
                if inbox.is_empty() || inbox.schedule() {
                    break;
                }
                budget = None;
            }
        }
        Device(rc.clone()).pump();
    }

    /// Drains the session (see [`DeviceState::outputs`]), arms the timer, and redraws.
    fn pump(&self) {
        {
            let mut s = self.0.borrow_mut();
            s.outputs();
            s.changed();
            s.arm_timer();
        }
        self.redraw();
    }
}

impl DeviceState {
    /// Carries out what the session asked for: actions, then events. Loops while a socket
    /// failed synchronously, since that is one more input.
    fn outputs(&mut self) {
        loop {
            let mut failed: Vec<SocketId> = Vec::new();
            while let Some(action) = self.session.poll_action() {
                match action {
                    Action::Open { socket, url } => {
                        // The diagnostics compare brokers by the URL each connection used.
                        self.history.connecting_to(&url);
                        let (weak, inbox) = (self.me.clone(), self.inbox.clone());
                        match BrowserSocket::open(&url, move |input| {
                            Device::socket_input(&weak, &inbox, socket, input)
                        }) {
                            Ok(ws) => {
                                self.sockets.insert(socket, ws);
                            }
                            Err(e) => {
                                let t = refused_text(&url, &e);
                                self.log.fail(now(), t.en, t.zh);
                                failed.push(socket);
                            }
                        }
                    }
                    Action::Send { socket, bytes } => {
                        if let Some(ws) = self.sockets.get(&socket) {
                            if let Err(e) = ws.send_batched(&bytes) {
                                let t = send_failed_text(&e);
                                self.log.fail(now(), t.en, t.zh);
                            }
                        }
                    }
                    Action::Close { socket } => {
                        if let Some(ws) = self.sockets.remove(&socket) {
                            ws.close();
                        }
                        self.inbox.forget(socket);
                    }
                }
            }
            // What the actions sent goes now, in one message per socket: the acks of this
            // input go before its events are handled (the log, the recording, the
            // diagnostics: most of the page's work per message), and a broker with 20
            // messages in flight sends the next ones as soon as acks come back.
            for ws in self.sockets.values() {
                ws.flush_now();
            }
            while let Some(event) = self.session.poll_event() {
                self.history.observe(&event);
                if let Some(r) = &self.recorder {
                    r.record(self.id, &event);
                }
                self.log.apply(event);
            }
            if failed.is_empty() {
                return;
            }
            for socket in failed {
                self.session.handle_socket_closed(socket, now());
            }
        }
    }

    fn arm_timer(&mut self) {
        if self.inbox.timeout_queued.get() {
            // The queued `Timeout` is handled first; the step after it arms the timer again.
            return;
        }
        let next = self.session.poll_timeout();
        // A timer armed no later than the next deadline stays: firing early costs one empty
        // `handle_timeout`, while re-arming whenever a deadline moves later (the replay
        // timer moves with every stored message) costs a setTimeout and a clearTimeout each.
        match (self.timer.as_ref().map(|(at, _)| *at), next) {
            (Some(armed), Some(at)) if armed <= at => return,
            (Some(_), None) | (None, None) => return,
            _ => {}
        }
        self.timer = next.map(|at| {
            let delay = at.saturating_sub(now()).min(u64::from(u32::MAX)) as u32;
            let weak = self.me.clone();
            let timeout = Timeout::new(delay, move || {
                let Some(rc) = weak.upgrade() else { return };
                let inbox = match rc.try_borrow_mut() {
                    Ok(mut s) => {
                        s.timer = None;
                        s.inbox.clone()
                    }
                    Err(_) => return,
                };
                // In order after the input that arrived before it, with the time it fired.
                inbox.timeout_queued.set(true);
                inbox.push(now(), Input::Timeout);
                Device::drain(&rc, Some(STEP_MS));
            });
            (at, timeout)
        });
    }

    /// The broker check for a ticket or a recording: the live run's, or the recorded one.
    pub fn check_report(&self) -> Option<CheckReport> {
        match &self.recorded {
            Some(_) => self.recorded_check.clone(),
            None => self.check.report(),
        }
    }

    /// What this device's broker check measured, for the diagnostics (`None` before a run).
    pub fn broker_facts(&self) -> Option<BrokerFacts> {
        match &self.recorded {
            Some(_) => self
                .recorded_check
                .as_ref()
                .map(|r| recorded_check_facts(&self.form, r)),
            None => self.check.facts(),
        }
    }

    /// Something this device shows changed: a new version, and the snapshot is stale.
    fn changed(&mut self) {
        self.version = self.version.wrapping_add(1);
        self.snapshot = None;
    }
}
