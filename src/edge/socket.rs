//! A WebSocket carrying MQTT: subprotocol `mqtt`, binary frames (MQTT 3.1.1 section 6).

use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

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

/// An open (or opening) WebSocket and the closures that keep its handlers alive.
pub struct BrowserSocket {
    ws: WebSocket,
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
        let on_input = std::rc::Rc::new(on_input);
        let cb = on_input.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || cb(SocketInput::Open));
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
        let cb = on_input;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            cb(SocketInput::Closed { code: e.code() })
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        OPEN.with(|open| open.borrow_mut().push(ws.clone()));
        Ok(BrowserSocket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one MQTT packet as one binary message.
    pub fn send(&self, bytes: &[u8]) -> Result<(), String> {
        self.ws
            .send_with_u8_array(bytes)
            .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))
    }

    /// Closes without a DISCONNECT packet; handlers are detached so nothing fires later.
    pub fn close(self) {
        detach_and_close(&self.ws);
    }
}

impl Drop for BrowserSocket {
    fn drop(&mut self) {
        let _ = OPEN.try_with(|open| open.borrow_mut().retain(|ws| ws != &self.ws));
    }
}
