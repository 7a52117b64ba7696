//! The page's own address: the query it was opened with (`?broker=`, `?profile=`) and the
//! address that share links are built on.

/// A query parameter of the page's URL, percent-decoded.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| {
            kv.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .and_then(|v| js_sys::decode_uri_component(v).ok())
        .and_then(|v| v.as_string())
}

/// The page's address without its query (`http://host:port/path`); empty if unknown.
pub fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('?').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}
