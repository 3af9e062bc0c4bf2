/* The process studio's panel controls: plain DOM builders for labelled GOV.UK-style fields.
 * Used by studio.js; plain ES2015, no build step. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; } else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function field(id, label, control, hint) {
    var hintId = hint ? id + "-hint" : null;
    if (hintId) { control.setAttribute("aria-describedby", hintId); }
    return el("div", { class: "form-group" }, [
      el("label", { class: "label", for: id, text: label }),
      hint ? el("p", { class: "hint", id: hintId, text: hint }) : null,
      control]);
  }

  function input(id, value, onChange, extra) {
    var node = el("input", Object.assign({ class: "input", id: id, type: "text", value: value || "",
      spellcheck: "false", autocomplete: "off" }, extra || {}));
    if (onChange) {
      node.addEventListener("change", function () { onChange(node.value.trim()); });
    }
    return node;
  }

  function textarea(id, value, onChange, rows) {
    var node = el("textarea", { class: "textarea textarea--small", id: id, rows: rows || 4,
      spellcheck: "false" });
    node.value = value || "";
    node.addEventListener("change", function () { onChange(node.value.replace(/\s+$/, "")); });
    return node;
  }

  function select(id, options, value, onChange) {
    var node = el("select", { class: "select", id: id });
    options.forEach(function (opt) {
      node.appendChild(el("option", { value: opt[0], text: opt[1] }));
    });
    node.value = value;
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  window.dwStudioFields = { el: el, field: field, input: input, textarea: textarea, select: select };
})();
