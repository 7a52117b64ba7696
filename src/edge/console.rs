//! The browser console, for problems that have no better place on the page.

/// Logs `text` as a warning.
pub fn warn(text: &str) {
    web_sys::console::warn_1(&wasm_bindgen::JsValue::from_str(text));
}
