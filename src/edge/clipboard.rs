//! Copying text to the clipboard. The browser answers later (a Promise) and may refuse: no
//! permission, the page not focused, or not a secure context (https or localhost).

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// Copies `text`; `done` hears whether the browser really did, once it has answered.
pub fn copy_text(text: &str, done: impl FnOnce(Result<(), String>) + 'static) {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return done(Err("there is no window".into()));
    };
    // Outside a secure context `navigator.clipboard` is undefined: calling it would throw.
    let available = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|c| !c.is_undefined() && !c.is_null());
    if !available {
        return done(Err(
            "the browser offers no clipboard here (it needs https or localhost)".into(),
        ));
    }
    let promise = navigator.clipboard().write_text(text);
    spawn_local(async move {
        let copied = JsFuture::from(promise).await;
        done(copied.map(|_| ()).map_err(|e| reason(&e)));
    });
}

/// Why the browser refused: a DOMException's message, e.g. "Document is not focused.".
fn reason(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "the browser refused".into())
}
