//! The browser's own knowledge of the network: `offline` and `online` on window.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Listens while it lives; dropping it removes the listeners.
pub struct NetworkListener {
    offline: Closure<dyn FnMut()>,
    online: Closure<dyn FnMut()>,
}

/// Calls `changed(false)` when the browser goes offline and `changed(true)` when it is
/// online again.
pub fn listen(changed: impl Fn(bool) + 'static) -> Option<NetworkListener> {
    let window = web_sys::window()?;
    let changed = std::rc::Rc::new(changed);
    let down = changed.clone();
    let offline = Closure::<dyn FnMut()>::new(move || down(false));
    let online = Closure::<dyn FnMut()>::new(move || changed(true));
    window
        .add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref())
        .ok()?;
    window
        .add_event_listener_with_callback("online", online.as_ref().unchecked_ref())
        .ok()?;
    Some(NetworkListener { offline, online })
}

impl Drop for NetworkListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "offline",
                self.offline.as_ref().unchecked_ref(),
            );
            let _ = window.remove_event_listener_with_callback(
                "online",
                self.online.as_ref().unchecked_ref(),
            );
        }
    }
}
