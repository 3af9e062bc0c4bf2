/* Small DOM builders for the studio's form builder (form-builder.js): govuk-frontend text
 * inputs, selects, checkboxes and buttons with their labels and hints, and the snake_case name
 * a question's words suggest. Plain ES2015, no build step.
 */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function button(text, hidden, onClick, secondary) {
    var node = el("button", { type: "button", "class": "govuk-button" +
      (secondary === false ? "" : " govuk-button--secondary") }, [document.createTextNode(text)]);
    if (hidden) { node.appendChild(el("span", { "class": "govuk-visually-hidden", text: " " + hidden })); }
    node.addEventListener("click", onClick);
    return node;
  }

  function hintNode(id, text) {
    return text ? el("div", { id: id + "-hint", "class": "govuk-hint", text: text }) : null;
  }

  function textGroup(id, label, value, onInput, options) {
    options = options || {};
    var input = options.long
      ? el("textarea", { "class": "govuk-textarea", id: id, rows: "2" })
      : el("input", { "class": "govuk-input" + (options.width ? " " + options.width : ""), id: id,
        type: "text", spellcheck: options.code ? "false" : null });
    input.value = value || "";
    if (options.hint) { input.setAttribute("aria-describedby", id + "-hint"); }
    input.addEventListener("input", function () { onInput(input.value, input); });
    return el("div", { "class": "govuk-form-group" }, [
      el("label", { "class": "govuk-label", "for": id, text: label }), hintNode(id, options.hint), input]);
  }

  function selectGroup(id, label, choices, selected, onChange, hint) {
    var select = el("select", { "class": "govuk-select", id: id,
      "aria-describedby": hint ? id + "-hint" : null });
    fillSelect(select, choices, selected);
    select.addEventListener("change", function () { onChange(select.value, select); });
    return el("div", { "class": "govuk-form-group" }, [
      el("label", { "class": "govuk-label", "for": id, text: label }), hintNode(id, hint), select]);
  }

  function fillSelect(select, choices, selected) {
    select.textContent = "";
    choices.forEach(function (c) {
      var option = el("option", { value: c[0], text: c[1] });
      option.selected = c[0] === selected;
      select.appendChild(option);
    });
  }

  function checkbox(id, label, checked, onChange) {
    var input = el("input", { "class": "govuk-checkboxes__input", id: id, type: "checkbox" });
    input.checked = !!checked;
    input.addEventListener("change", function () { onChange(input.checked); });
    return el("div", { "class": "govuk-form-group" }, [
      el("div", { "class": "govuk-checkboxes govuk-checkboxes--small" }, [
        el("div", { "class": "govuk-checkboxes__item" }, [input,
          el("label", { "class": "govuk-label govuk-checkboxes__label", "for": id, text: label })])])]);
  }

  function snake(text) {
    var key = String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "").slice(0, 50).replace(/_+$/, "");
    return key && /^[a-z]/.test(key) ? key : (key ? "q_" + key : "");
  }

  window.dwFormFields = { el: el, button: button, textGroup: textGroup, selectGroup: selectGroup,
    fillSelect: fillSelect, checkbox: checkbox, snake: snake };
}());
