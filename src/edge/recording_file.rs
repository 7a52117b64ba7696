//! Recording files: gzip where the browser has CompressionStream, reading a chosen file back
//! (gzip or plain JSON), with a bound on what it may unpack to, and downloads of bytes.

use super::js_error::js_text;
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// `new CompressionStream("gzip")` or `new DecompressionStream("gzip")`, when the browser
/// has it. Design: web-sys marks these unstable, so they are made through `Reflect`.
fn gzip_transform(name: &str) -> Option<web_sys::ReadableWritablePair> {
    let ctor = Reflect::get(&js_sys::global(), &name.into()).ok()?;
    let ctor: js_sys::Function = ctor.dyn_into().ok()?;
    let stream = Reflect::construct(&ctor, &Array::of1(&"gzip".into())).ok()?;
    Some(stream.unchecked_into())
}

fn blob_of(bytes: &[u8]) -> Result<web_sys::Blob, String> {
    let parts = Array::of1(&Uint8Array::from(bytes).into());
    web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(js_text)
}

/// Whether bytes start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// The text gzip-compressed, or `None` when this browser cannot compress.
pub async fn gzip(text: &str) -> Result<Option<Vec<u8>>, String> {
    let Some(pair) = gzip_transform("CompressionStream") else {
        return Ok(None);
    };
    let stream = blob_of(text.as_bytes())?.stream().pipe_through(&pair);
    read_all(stream, usize::MAX).await.map(Some)
}

/// Unpacks gzip bytes, refusing to produce more than `limit` bytes.
pub async fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let pair = gzip_transform("DecompressionStream").ok_or(
        "this browser cannot unpack gzip (no DecompressionStream): unpack the file first (gunzip) and open the .json",
    )?;
    let stream = blob_of(bytes)?.stream().pipe_through(&pair);
    read_all(stream, limit).await
}

/// Reads a stream to its end, at most `limit` bytes.
async fn read_all(stream: web_sys::ReadableStream, limit: usize) -> Result<Vec<u8>, String> {
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
            let why = js_text(e);
            if why.contains("incorrect header") || why.contains("Junk") || why.contains("junk") {
                "the gzip data is damaged".to_string()
            } else {
                format!("the gzip data could not be unpacked ({why})")
            }
        })?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            == Some(true)
        {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(js_text)?;
        let bytes = Uint8Array::new(&value);
        if out.len() + bytes.length() as usize > limit {
            let _ = reader.cancel();
            return Err(format!(
                "it unpacks to more than {} MB",
                limit / (1024 * 1024)
            ));
        }
        out.extend(bytes.to_vec());
    }
    Ok(out)
}

/// The bytes of a chosen file.
pub async fn read_bytes(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(js_text)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
