//! Keeps the page's running recording in the browser's store as it grows: four times a
//! second when the page is idle (at the latest a second later), and at once when the page
//! is hidden or closed (`pagehide`, `visibilitychange` to
//! hidden), so that a reload right after a burst of messages loses none of them.
//!
//! Design: while the page runs, a few writes at a time, each of a bounded number of lines.
//! What a write takes is marked as sent when it starts, so a write made while another is
//! still in flight (at pagehide, or under a flood) does not repeat its lines; a write that
//! fails gives them back unless a later write took more. IndexedDB runs transactions over
//! the same stores in the order they were made, so the lines land in order.

use super::clock::now;
use super::device::Device;
use super::recording_store::Store;
use crate::view::recording::Recorder;
use ackscope_core::time::Millis;
use gloo_timers::callback::{Interval, Timeout};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::IdleRequestOptions;
use yew::Callback;

/// How often the running recording is written while the page is in view. A write is one
/// task (the lines made into records and put): at 16,000 messages a second, writing
/// every second made 40 to 136 ms tasks, long frames (measured with tests/bench).
const EVERY_MS: u32 = 250;
/// A write waits for the page to be idle, at most this long: while messages pour in, their
/// handling and the screen go first (a drain of 10,000 spent 7 % of its time writing), and
/// the store is at most about a second behind. Leaving the page writes at once.
const IDLE_WAIT_MS: u32 = 1_000;
/// The most lines one write takes while the page is in view; a backlog goes out over the
/// next writes, a task each. 8,192 lines made 21 to 53 ms tasks with 8 devices at 2,000
/// msg/s each (long animation frames, measured with tests/bench). Leaving takes all.
const MOST_LINES: usize = 2_048;
/// Writes in flight at once while the page is in view. Under a flood a commit takes up to a
/// second here: one write at a time would fall behind what the page records.
const MOST_WRITING: u32 = 4;

/// The store's metadata JSON of the live devices at a moment.
pub type Meta = fn(&[Device], &Recorder, Millis) -> String;

struct Inner {
    store: Store,
    run: f64,
    recorder: Recorder,
    live: Callback<(), Vec<Device>>,
    meta: Meta,
    /// (next seq, first kept, devices) as of the last write started.
    sent: Cell<(u64, u64, usize)>,
    writing: Cell<u32>,
    /// A write waits for an idle moment (`when_idle`).
    waiting: Cell<bool>,
    /// The keeper was dropped: a write still waiting (for an idle moment, or a backlog's
    /// next step) is not made.
    stopped: Cell<bool>,
}

/// Writes while it lives; dropping it stops the timer and removes the listeners.
pub struct Keeper {
    inner: Rc<Inner>,
    _interval: Interval,
    hidden: Closure<dyn FnMut()>,
}

impl Keeper {
    pub fn start(
        store: Store,
        run: f64,
        recorder: Recorder,
        live: Callback<(), Vec<Device>>,
        meta: Meta,
    ) -> Keeper {
        let inner = Rc::new(Inner {
            store,
            run,
            recorder,
            live,
            meta,
            sent: Cell::new((1, 1, 0)),
            writing: Cell::new(0),
            waiting: Cell::new(false),
            stopped: Cell::new(false),
        });
        let every = inner.clone();
        let interval = Interval::new(EVERY_MS, move || when_idle(&every));
        let on_hidden = inner.clone();
        let hidden = Closure::<dyn FnMut()>::new(move || {
            // visibilitychange also fires when the page comes back into view.
            let shown = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| !d.hidden());
            if !shown {
                flush(&on_hidden, true);
            }
        });
        if let Some(w) = web_sys::window() {
            let f = hidden.as_ref().unchecked_ref();
            let _ = w.add_event_listener_with_callback("pagehide", f);
            if let Some(d) = w.document() {
                let _ = d.add_event_listener_with_callback("visibilitychange", f);
            }
        }
        Keeper {
            inner,
            _interval: interval,
            hidden,
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.inner.stopped.set(true);
        if let Some(w) = web_sys::window() {
            let f = self.hidden.as_ref().unchecked_ref();
            let _ = w.remove_event_listener_with_callback("pagehide", f);
            if let Some(d) = w.document() {
                let _ = d.remove_event_listener_with_callback("visibilitychange", f);
            }
        }
    }
}

/// Writes when the page is next idle, or after `IDLE_WAIT_MS` (at once where the browser has
/// no `requestIdleCallback`).
fn when_idle(inner: &Rc<Inner>) {
    if inner.waiting.replace(true) {
        return;
    }
    let next = inner.clone();
    let write = Closure::once_into_js(move || {
        next.waiting.set(false);
        flush(&next, false);
    });
    let options = IdleRequestOptions::new();
    options.set_timeout(IDLE_WAIT_MS);
    let asked = web_sys::window().is_some_and(|w| {
        w.request_idle_callback_with_options(write.unchecked_ref(), &options)
            .is_ok()
    });
    if !asked {
        inner.waiting.set(false);
        flush(inner, false);
    }
}

/// Writes what the store does not have yet. `leaving`: the page is being hidden or closed,
/// so it writes even while an earlier write is in flight.
fn flush(inner: &Rc<Inner>, leaving: bool) {
    if inner.stopped.get() {
        return;
    }
    let devices = inner.live.emit(());
    let state = (
        inner.recorder.next_seq(),
        inner.recorder.first_kept(),
        devices.len(),
    );
    let before = inner.sent.get();
    if state == before || state.0 == 1 || (inner.writing.get() >= MOST_WRITING && !leaving) {
        return;
    }
    let at = now();
    let meta = (inner.meta)(&devices, &inner.recorder, at);
    let most = if leaving { usize::MAX } else { MOST_LINES };
    let lines = inner.recorder.lines_from(before.0, most);
    // Taken up to its last line: the rest is the next write's, which comes at once (a task
    // of its own, so that frames and socket input get their turns in between).
    let backlog = lines.len() == most;
    let state = match lines.last() {
        Some(last) if backlog => (last.seq + 1, state.1, state.2),
        _ => state,
    };
    // The run's record counts the events the store holds once this write lands, not those
    // still waiting for the next writes.
    let (kept, _) = inner.recorder.counts();
    let waiting = inner.recorder.next_seq().saturating_sub(state.0);
    let stored = kept.saturating_sub(usize::try_from(waiting).unwrap_or(usize::MAX));
    let write = inner
        .store
        .save(inner.run, &meta, stored, &lines, state.1, at as f64);
    inner.sent.set(state);
    inner.writing.set(inner.writing.get() + 1);
    if backlog {
        let next = inner.clone();
        Timeout::new(0, move || flush(&next, false)).forget();
    }
    let inner = inner.clone();
    spawn_local(async move {
        // Given back unless a later write has taken more since (its lines would repeat).
        let written = write.await.is_ok();
        if !written && inner.sent.get() == state {
            inner.sent.set(before);
        }
        inner.writing.set(inner.writing.get().saturating_sub(1));
        // (A failed write waits for the next tick: no loop of failures.)
        if backlog && written {
            // The writes in flight may have held the follow-up back.
            flush(&inner, false);
        }
    });
}
