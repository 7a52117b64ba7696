//! The question asked before the first connect that would send credentials to a broker host
//! that came from a link or an imported file (`broker-confirm`).

use crate::i18n::Lang;
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BrokerConfirmProps {
    /// The broker's host and port, as the user will recognise it.
    pub host: AttrValue,
    /// The full broker URL, shown in full below the host.
    pub url: AttrValue,
    pub lang: Lang,
    /// Connect to this broker (and do not ask again for it).
    pub on_accept: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component(BrokerConfirm)]
pub fn broker_confirm(p: &BrokerConfirmProps) -> Html {
    let l = p.lang;
    let accept_ref = use_node_ref();
    {
        // The keyboard lands on the answer: Enter accepts, Escape or Tab-then-Enter cancels.
        let accept_ref = accept_ref.clone();
        use_effect_with((), move |_| {
            if let Some(button) = accept_ref.cast::<HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let on_keydown = {
        let cancel = p.on_cancel.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                cancel.emit(());
            }
        })
    };
    let accept = p.on_accept.reform(|_: MouseEvent| ());
    let cancel = p.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="broker-confirm" data-testid="broker-confirm" data-host={p.host.clone()}
            role="alertdialog" aria-labelledby="broker-confirm-title" onkeydown={on_keydown}>
            <p id="broker-confirm-title">
                { l.t("This device's broker came from a link or an imported file. Connecting sends your credentials to ",
                      "该设备的服务端来自链接或导入的文件。连接会把你的凭据发送到 ") }
                <strong class="mono">{ p.host.clone() }</strong>
                { l.t(". Connect only if you trust this host.", "。仅在你信任该主机时连接。") }
            </p>
            <p class="muted mono">{ p.url.clone() }</p>
            <div class="row actions">
                <button class="primary" type="button" data-testid="broker-confirm-accept" ref={accept_ref} onclick={accept}>
                    { format!("{} {}", l.t("Connect to", "连接到"), p.host) }</button>
                <button type="button" data-testid="broker-confirm-cancel" onclick={cancel}>{ l.t("Cancel", "取消") }</button>
            </div>
        </div>
    }
}
