//! Small form controls that carry a `data-testid` and report their new value.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TextProps {
    pub testid: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub on_change: Callback<String>,
    #[prop_or_default]
    pub password: bool,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub wide: bool,
    /// Enter in this field runs this intent (for example Subscribe).
    #[prop_or_default]
    pub on_enter: Option<Callback<()>>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[function_component(TextField)]
pub fn text_field(p: &TextProps) -> Html {
    let on_input = p
        .on_change
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let on_keydown = p.on_enter.clone().map(|cb| {
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                cb.emit(());
            }
        })
    });
    html! {
        <label class={classes!("field", p.wide.then_some("wide"), p.error.is_some().then_some("invalid"))}>
            <span>{ p.label.clone() }</span>
            <input data-testid={p.testid.clone()} type={if p.password { "password" } else { "text" }}
                value={p.value.clone()} placeholder={p.placeholder.clone()} oninput={on_input}
                onkeydown={on_keydown} autocomplete="off" spellcheck="false"
                aria-invalid={p.error.is_some().then_some("true")} />
            if let Some(err) = &p.error { <small class="field-error" role="alert">{ err.clone() }</small> }
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckProps {
    pub testid: AttrValue,
    pub label: AttrValue,
    pub checked: bool,
    pub on_change: Callback<bool>,
    #[prop_or_default]
    pub title: AttrValue,
}

#[function_component(CheckField)]
pub fn check_field(p: &CheckProps) -> Html {
    let on_change = p
        .on_change
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
    html! {
        <label class="check" title={p.title.clone()}>
            <input data-testid={p.testid.clone()} type="checkbox" checked={p.checked} onchange={on_change} />
            <span>{ p.label.clone() }</span>
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    pub testid: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    /// (value, text)
    pub options: Vec<(AttrValue, AttrValue)>,
    pub on_change: Callback<String>,
}

#[function_component(SelectField)]
pub fn select_field(p: &SelectProps) -> Html {
    let on_change = p
        .on_change
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <label class="field">
            <span>{ p.label.clone() }</span>
            <select data-testid={p.testid.clone()} onchange={on_change}>
                { for p.options.iter().map(|(v, t)| html! {
                    <option value={v.clone()} selected={*v == p.value}>{ t.clone() }</option>
                }) }
            </select>
        </label>
    }
}

/// The QoS choices 0, 1, 2 for a select.
pub fn qos_options() -> Vec<(AttrValue, AttrValue)> {
    (0..=2)
        .map(|q: u8| {
            (
                AttrValue::from(q.to_string()),
                AttrValue::from(format!("QoS {q}")),
            )
        })
        .collect()
}

/// A callback that sets one field of a struct held in component state (the list filters).
pub fn setter<T: Clone + 'static>(
    state: &UseStateHandle<T>,
    set: fn(&mut T, String),
) -> Callback<String> {
    let state = state.clone();
    Callback::from(move |v: String| {
        let mut next = (*state).clone();
        set(&mut next, v);
        state.set(next);
    })
}

/// A `<details>` element's `ontoggle`: keeps `open` equal to whether it is open (sections
/// that draw nothing while folded).
pub fn toggled(open: &UseStateHandle<bool>) -> Callback<Event> {
    let open = open.clone();
    Callback::from(move |e: Event| {
        let el: web_sys::Element = e.target_unchecked_into();
        open.set(el.has_attribute("open"));
    })
}
