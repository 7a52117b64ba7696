//! A crash is visible: the panic hook closes the sockets and shows a banner.
//!
//! After a panic the page's Rust code cannot be trusted to run on (Yew is gone), so the
//! banner is plain DOM built here with web-sys, styled by `www/style.css`. It says what
//! happened (the panic message, with anything that looks like a secret taken out, and never
//! any form data), copies those details on request, and reloads the page: profiles are in
//! localStorage already, so they survive. The release build has `panic = "abort"`; on
//! wasm32 the hook still runs first, then the module traps.
//!
//! Test ids: `page-crash`, `page-crash-details`, `page-crash-copy`, `page-crash-reload`.

use std::panic::PanicHookInfo;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

/// The panic message is cut to this many characters (a message can quote a whole payload).
const MESSAGE_CHARS: usize = 2_000;

/// Installs the hook: console output as before (console_error_panic_hook), then the sockets
/// closed and the banner shown. First thing in `run()`. Through Yew, which otherwise sets
/// its own default hook (console output only) when the app is rendered.
pub fn install() {
    yew::set_custom_panic_hook(Box::new(|info: &PanicHookInfo| {
        console_error_panic_hook::hook(info);
        super::socket::close_all();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let details = crash_details(&message, &location, &environment());
        show_banner(&details);
    }));
}

/// The page's version, the browser and the time: no form data, no profile.
fn environment() -> String {
    let agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    let time = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    format!("ackscope {} · {time} · {agent}", env!("CARGO_PKG_VERSION"))
}

/// The text the banner shows and copies.
pub fn crash_details(message: &str, location: &str, environment: &str) -> String {
    let mut out = format!("panicked: {}", redact(message));
    if !location.is_empty() {
        out.push_str(&format!("\nat: {location}"));
    }
    if !environment.is_empty() {
        out.push_str(&format!("\npage: {environment}"));
    }
    out
}

/// Words after which a value is taken out of a panic message.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "signature",
    "credential",
    "authorization",
    "apikey",
    "api_key",
];

const REDACTED: &str = "[redacted]";

/// A panic message without what looks like a secret: values after words such as
/// `password` or `secret` (`password: "x"`, `secret=x`, `"token":"x"`), the `user:pass@` of
/// URLs, and long opaque strings of letters and digits (keys, signatures, Base64).
pub fn redact(message: &str) -> String {
    let cut: String = message.chars().take(MESSAGE_CHARS).collect();
    let mut s = redact_after_words(&cut);
    s = redact_userinfo(&s);
    s = redact_opaque(&s);
    if message.chars().count() > MESSAGE_CHARS {
        s.push_str(" …");
    }
    s
}

fn redact_after_words(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let word = SECRET_WORDS
            .iter()
            .find(|w| lower.as_bytes()[i..].starts_with(w.as_bytes()));
        let Some(word) = word else {
            let next = (i + 1..=b.len())
                .find(|&k| s.is_char_boundary(k))
                .unwrap_or(b.len());
            out.push_str(&s[i..next]);
            i = next;
            continue;
        };
        // The rest of the word (`secret` in `access_key_secret`, `passwords`), then the
        // separators (`": "`, `=`), then the value.
        let mut k = i + word.len();
        while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_' || b[k] == b'-') {
            k += 1;
        }
        let mut v = k;
        while v < b.len() && v - k < 8 && b" \t\"'`:=\\".contains(&b[v]) {
            v += 1;
        }
        let mut end = v;
        while end < b.len() && !b" \t\r\n\"'`,;&)}]".contains(&b[end]) {
            end += 1;
        }
        // A value follows only after `:`, `=` or a quote: "the password field" stays.
        let separated = b[k..v].iter().any(|c| b":=\"'`".contains(c));
        out.push_str(&s[i..v]);
        if end > v && separated {
            out.push_str(REDACTED);
            i = end;
        } else {
            i = v;
        }
    }
    out
}

/// `scheme://user:pass@host` -> `scheme://[redacted]@host`.
fn redact_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(userinfo_end) => {
                out.push_str(REDACTED);
                rest = &tail[userinfo_end..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Runs of 20 or more letters, digits and `+/=_-` with both letters and digits in them.
fn redact_opaque(s: &str) -> String {
    let opaque = |c: char| c.is_ascii_alphanumeric() || "+/=_-".contains(c);
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let letters = run.chars().any(|c| c.is_ascii_alphabetic());
        let digits = run.chars().any(|c| c.is_ascii_digit());
        if run.len() >= 20 && letters && digits {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if opaque(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The banner's words in the page's language (`ackscope.lang` in localStorage).
fn words() -> [&'static str; 5] {
    let zh = super::storage::load("ackscope.lang").as_deref() == Some("zh-CN");
    if zh {
        [
            "ackscope 出现内部错误(panic),已停止运行。所有连接已关闭;已保存的设备配置仍在。",
            "复制详情",
            "重新加载页面",
            "已复制",
            "无法复制:请选中上方文字手动复制",
        ]
    } else {
        [
            "ackscope stopped: an internal error (a panic). Every connection was closed; your saved device profiles are kept.",
            "Copy details",
            "Reload the page",
            "Copied",
            "Could not copy: select the text above",
        ]
    }
}

/// Shows the banner (or adds to it, after a second panic). Never panics: every DOM call
/// that can fail is allowed to.
fn show_banner(details: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(Some(pre)) = document.query_selector("[data-testid=\"page-crash-details\"]") {
        let before = pre.text_content().unwrap_or_default();
        pre.set_text_content(Some(&format!("{before}\n\n{details}")));
        return;
    }
    let _ = build_banner(&document, details);
}

fn element(document: &Document, tag: &str, testid: &str) -> Result<Element, JsValue> {
    let el = document.create_element(tag)?;
    if !testid.is_empty() {
        el.set_attribute("data-testid", testid)?;
    }
    Ok(el)
}

fn build_banner(document: &Document, details: &str) -> Result<(), JsValue> {
    let [headline, copy_label, reload_label, copied, not_copied] = words();
    let banner = element(document, "div", "page-crash")?;
    banner.set_class_name("page-crash");
    banner.set_attribute("role", "alert")?;
    let title = element(document, "strong", "")?;
    title.set_text_content(Some(headline));
    let pre = element(document, "pre", "page-crash-details")?;
    pre.set_text_content(Some(details));
    let copy = element(document, "button", "page-crash-copy")?;
    copy.set_attribute("type", "button")?;
    copy.set_text_content(Some(copy_label));
    let reload = element(document, "button", "page-crash-reload")?;
    reload.set_attribute("type", "button")?;
    reload.set_class_name("primary");
    reload.set_text_content(Some(reload_label));

    // The details are read from the banner when copying: after a second panic they hold both.
    let (copy_button, details_el) = (copy.clone(), pre.clone());
    let on_copy = Closure::<dyn FnMut()>::new(move || {
        let text = details_el.text_content().unwrap_or_default();
        let Some(clipboard) = web_sys::window()
            .map(|w| w.navigator())
            .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("clipboard")).ok())
            .filter(|c| !c.is_undefined() && !c.is_null())
            .and_then(|c| c.dyn_into::<web_sys::Clipboard>().ok())
        else {
            copy_button.set_text_content(Some(not_copied));
            return;
        };
        let (ok_button, err_button) = (copy_button.clone(), copy_button.clone());
        let ok = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            ok_button.set_text_content(Some(copied));
        });
        let err = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            err_button.set_text_content(Some(not_copied));
        });
        let _ = clipboard.write_text(&text).then2(&ok, &err);
        // The page is over: these few closures may live as long as it does.
        ok.forget();
        err.forget();
    });
    copy.add_event_listener_with_callback("click", on_copy.as_ref().unchecked_ref())?;
    on_copy.forget();
    let on_reload = Closure::<dyn FnMut()>::new(|| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    reload.add_event_listener_with_callback("click", on_reload.as_ref().unchecked_ref())?;
    on_reload.forget();

    let actions = element(document, "div", "")?;
    actions.set_class_name("actions");
    actions.append_child(&reload)?;
    actions.append_child(&copy)?;
    banner.append_child(&title)?;
    banner.append_child(&pre)?;
    banner.append_child(&actions)?;
    let body = document.body().ok_or(JsValue::NULL)?;
    body.insert_before(&banner, body.first_child().as_ref())?;
    // What the page behind shows is stale now (a "connected" that is not): grey it out.
    let _ = body.set_attribute("data-crashed", "");
    // The page behind is dead: keep the keyboard on the banner.
    if let Some(button) = reload.dyn_ref::<web_sys::HtmlElement>() {
        let _ = button.focus();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_taken_out_of_panic_messages() {
        let debug = r#"called `Result::unwrap()` on an `Err` value: AuthInput { mode: Password, client_id: "dev-1", username: "alice", password: "hunter2", access_key_secret: "abc/DEF+ghi", token_read: "R-tok" }"#;
        let r = redact(debug);
        for secret in ["hunter2", "abc/DEF+ghi", "R-tok"] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        assert!(
            r.contains("client_id: \"dev-1\"") && r.contains("username: \"alice\""),
            "{r}"
        );
        assert!(r.contains("password: \"[redacted]\""), "{r}");
        let r =
            redact(r#"bad JSON {"password":"p4ss","secret" : "s","x":1} and secret=abc&token=def"#);
        for secret in ["p4ss", "\"s\"", "abc", "def"] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        let r = redact("cannot open wss://admin:hunter2@broker.example:443/mqtt now");
        assert_eq!(
            r,
            "cannot open wss://[redacted]@broker.example:443/mqtt now"
        );
        let r = redact("signing failed for LTAI5tQ9xYz8AbCdEfGh12 with key");
        assert!(!r.contains("LTAI5tQ9xYz8AbCdEfGh12"), "{r}");
        assert!(r.contains("[redacted]"), "{r}");
    }

    #[test]
    fn ordinary_panic_messages_stay_readable() {
        let m = "attempt to subtract with overflow";
        assert_eq!(redact(m), m);
        let m = "index out of bounds: the len is 3 but the index is 7";
        assert_eq!(redact(m), m);
        let m = "already borrowed: BorrowMutError";
        assert_eq!(redact(m), m);
        // A word alone (no value after it) is kept.
        assert_eq!(redact("the password field"), "the password field");
        assert_eq!(redact("ok 中文 password"), "ok 中文 password");
    }

    #[test]
    fn details_are_bounded_and_say_where() {
        let long = "x".repeat(10_000);
        let d = crash_details(&long, "src/view/log.rs:42:9", "ackscope 0.1.0");
        assert!(d.len() < MESSAGE_CHARS + 200, "{}", d.len());
        assert!(d.contains("\nat: src/view/log.rs:42:9\npage: ackscope 0.1.0"));
        assert!(d.starts_with("panicked: xxx"));
    }
}
