//! The words of a JavaScript exception or rejection, for the page to show.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// A thrown string, an `Error`'s message, any other object's `message` (a `DOMException`), or
/// else what the value prints as.
pub fn js_text(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|x| String::from(x.message()))
        })
        .or_else(|| {
            Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}
