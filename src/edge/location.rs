//! The page's own address: the query it was opened with (`?broker=`), the fragment of a
//! share link (`#profile=`, or an old `?profile=`) and the address that share links are
//! built on.

use crate::view::profile::{param, without_param};
use wasm_bindgen::{JsCast, JsValue};

fn decode(v: &str) -> Option<String> {
    js_sys::decode_uri_component(v).ok()?.as_string()
}

/// A query parameter of the page's URL, percent-decoded.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    param(&search, name).and_then(decode)
}

/// A parameter of the page's URL fragment (`#profile=...`), percent-decoded.
pub fn fragment_param(name: &str) -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    param(&hash, name).and_then(decode)
}

/// Takes `name` out of the page's query and fragment without reloading or adding a history
/// entry (`history.replaceState`), so that a reload does not apply a share link twice.
pub fn forget_param(name: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let (Ok(search), Ok(hash)) = (location.search(), location.hash()) else {
        return;
    };
    if param(&search, name).is_none() && param(&hash, name).is_none() {
        return;
    }
    let url = format!(
        "{}{}{}",
        location.pathname().unwrap_or_default(),
        without_param(&search, '?', name),
        without_param(&hash, '#', name)
    );
    // `window.history` through Reflect: one call does not warrant another web-sys feature.
    let history = js_sys::Reflect::get(&window, &JsValue::from_str("history"));
    let replace = history
        .as_ref()
        .ok()
        .and_then(|h| js_sys::Reflect::get(h, &JsValue::from_str("replaceState")).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let (Ok(history), Some(replace)) = (history, replace) {
        let _ = replace.call3(
            &history,
            &JsValue::NULL,
            &JsValue::from_str(""),
            &JsValue::from_str(&url),
        );
    }
}

/// The page's address without its query or fragment (`http://host:port/path`); empty if
/// unknown.
pub fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split(['?', '#']).next().unwrap_or_default().to_string())
        .unwrap_or_default()
}
