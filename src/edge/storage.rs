//! localStorage and file reading: small wrappers that report failures instead of panicking.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// Stores `value`; a full or disabled storage is reported, not fatal.
pub fn save(key: &str, value: &str) -> Result<(), String> {
    storage()
        .ok_or("localStorage is not available")?
        .set_item(key, value)
        .map_err(|e| {
            e.as_string()
                .unwrap_or_else(|| "localStorage refused to store".into())
        })
}

/// Reads the first file of a file input as text and hands it to `done`.
pub fn read_file_text(
    input: &web_sys::HtmlInputElement,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    read_file_text_checked(input, |_| None, done);
}

/// Like [`read_file_text`], but first asks `refuse` about the file's size in bytes: a reason
/// from it is handed to `done` without reading the file at all.
pub fn read_file_text_checked(
    input: &web_sys::HtmlInputElement,
    refuse: impl FnOnce(f64) -> Option<String>,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    let Some(file) = input.files().and_then(|list| list.get(0)) else {
        return;
    };
    if let Some(why) = refuse(file.size()) {
        return done(Err(why));
    }
    let reader = match web_sys::FileReader::new() {
        Ok(r) => r,
        Err(_) => return done(Err("the browser cannot read files here".into())),
    };
    let r = reader.clone();
    let onload = Closure::once_into_js(move || {
        let text = r.result().ok().and_then(|v| v.as_string());
        done(text.ok_or_else(|| "the file is not text".to_string()));
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    if reader.read_as_text(&file).is_err() {
        reader.set_onload(None);
    }
}
