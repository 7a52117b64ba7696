//! A WebSocket carrying MQTT: subprotocol `mqtt`, binary frames (MQTT 3.1.1 section 6).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, MessageChannel, MessageEvent, MessagePort, WebSocket};

/// What a socket reports to its owner.
pub enum SocketInput {
    Open,
    Bytes(Vec<u8>),
    Closed { code: u16 },
}

thread_local! {
    /// Every socket not yet closed or dropped, so that a crash can close them (`edge::panic`).
    static OPEN: RefCell<Vec<WebSocket>> = const { RefCell::new(Vec::new()) };
}

/// Closes every open socket without a DISCONNECT; for the panic hook, so it never panics.
pub fn close_all() {
    let _ = OPEN.try_with(|open| {
        if let Ok(list) = open.try_borrow() {
            list.iter().for_each(detach_and_close);
        }
    });
}

fn detach_and_close(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    let _ = ws.close();
}

/// An outbox this full is sent at once: about a thousand PUBACKs, so that no ack waits
/// for the end of a long burst (one task of the browser can deliver thousands of messages).
const OUTBOX_BYTES: usize = 4096;

/// Packets given to [`BrowserSocket::send_batched`] while the socket is open, waiting for
/// the end of the burst of socket input the page is working through.
///
/// Why: a drain of queued QoS 1 messages arrives one WebSocket message per PUBLISH, and
/// one `WebSocket.send` per PUBACK was the largest single cost per message. A flush posted
/// through a `MessageChannel` runs after the input already queued (not a timer: those are
/// throttled in a hidden tab), and sends what gathered as one binary message; MQTT over
/// WebSocket lets a message hold several packets (MQTT 3.1.1 section 6).
struct Outbox {
    ws: WebSocket,
    bytes: RefCell<Vec<u8>>,
    /// A flush is posted and has not run yet.
    posted: Cell<bool>,
    /// The socket reported `open` and not `close`: only then is sending later safe.
    open: Cell<bool>,
}

impl Outbox {
    fn flush(&self) {
        self.posted.set(false);
        let bytes = std::mem::take(&mut *self.bytes.borrow_mut());
        if !bytes.is_empty() {
            // An open (or closing) socket does not throw: nothing is lost that `send` kept.
            let _ = self.ws.send_with_u8_array(&bytes);
        }
    }
}

/// A task posted through a `MessageChannel`: it runs after the input the page already has
/// queued, and lets the browser render in between. Not a timer: those are clamped, and
/// throttled in a hidden tab. Used for an outbox's flush and a device's drain steps.
pub struct PostedTask {
    channel: MessageChannel,
    _run: Closure<dyn FnMut()>,
}

impl PostedTask {
    /// `None` where the browser has no `MessageChannel`.
    pub fn new(run: impl FnMut() + 'static) -> Option<Self> {
        let channel = MessageChannel::new().ok()?;
        let run = Closure::<dyn FnMut()>::new(run);
        channel
            .port1()
            .set_onmessage(Some(run.as_ref().unchecked_ref()));
        Some(PostedTask { channel, _run: run })
    }

    /// Posts one run; `false` if the browser refused (the caller then runs it itself).
    pub fn post(&self) -> bool {
        self.channel.port2().post_message(&JsValue::NULL).is_ok()
    }
}

impl Drop for PostedTask {
    fn drop(&mut self) {
        let port: MessagePort = self.channel.port1();
        port.set_onmessage(None);
        port.close();
        self.channel.port2().close();
    }
}

/// An open (or opening) WebSocket and the closures that keep its handlers alive.
pub struct BrowserSocket {
    ws: WebSocket,
    out: Rc<Outbox>,
    /// The outbox's flush; `None` where the browser has no `MessageChannel`: every send
    /// goes at once.
    flusher: Option<PostedTask>,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl BrowserSocket {
    /// Opens `url`; `on_input` hears about it asynchronously. Errors (a malformed URL, a
    /// blocked port) come back as text for the page to show.
    pub fn open(url: &str, on_input: impl Fn(SocketInput) + 'static) -> Result<Self, String> {
        let ws = WebSocket::new_with_str(url, "mqtt")
            .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on_input = Rc::new(on_input);
        let out = Rc::new(Outbox {
            ws: ws.clone(),
            bytes: RefCell::new(Vec::new()),
            posted: Cell::new(false),
            open: Cell::new(false),
        });
        let flushed = out.clone();
        let flusher = PostedTask::new(move || flushed.flush());
        let (cb, opened) = (on_input.clone(), out.clone());
        let on_open = Closure::<dyn FnMut()>::new(move || {
            opened.open.set(true);
            cb(SocketInput::Open)
        });
        let cb = on_input.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            // MQTT is binary; a text frame is not MQTT and is passed on as its bytes so that
            // framing reports it as malformed rather than it vanishing.
            if let Ok(buf) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
                cb(SocketInput::Bytes(js_sys::Uint8Array::new(&buf).to_vec()));
            } else if let Some(text) = e.data().as_string() {
                cb(SocketInput::Bytes(text.into_bytes()));
            }
        });
        let (cb, closed) = (on_input, out.clone());
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            closed.open.set(false);
            cb(SocketInput::Closed { code: e.code() })
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        OPEN.with(|open| open.borrow_mut().push(ws.clone()));
        Ok(BrowserSocket {
            ws,
            out,
            flusher,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one MQTT packet as one binary message.
    pub fn send(&self, bytes: &[u8]) -> Result<(), String> {
        self.out.flush();
        self.ws
            .send_with_u8_array(bytes)
            .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))
    }

    /// Sends one MQTT packet, in order after those before it: on an open socket, together
    /// with the others sent until the page has handled the socket input queued now (see
    /// [`Outbox`]); otherwise at once, so that an error is reported as by `send`.
    pub fn send_batched(&self, bytes: &[u8]) -> Result<(), String> {
        let Some(flusher) = self.flusher.as_ref().filter(|_| self.out.open.get()) else {
            return self.send(bytes);
        };
        let full = {
            let mut out = self.out.bytes.borrow_mut();
            out.extend_from_slice(bytes);
            out.len() >= OUTBOX_BYTES
        };
        if full || (!self.out.posted.replace(true) && !flusher.post()) {
            self.out.flush();
        }
        Ok(())
    }

    /// Sends what the outbox holds now: the page has handled the input it had (the end of a
    /// drain step), so the acks waiting in it need not wait for the posted flush as well.
    pub fn flush_now(&self) {
        self.out.flush();
    }

    /// Closes without a DISCONNECT packet (what was sent before goes first); handlers are
    /// detached so nothing fires later.
    pub fn close(self) {
        self.out.flush();
        detach_and_close(&self.ws);
    }
}

impl Drop for BrowserSocket {
    fn drop(&mut self) {
        let _ = OPEN.try_with(|open| open.borrow_mut().retain(|ws| ws != &self.ws));
    }
}
