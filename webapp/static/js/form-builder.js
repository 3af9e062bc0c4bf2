/* The studio's form builder: a form's questions edited as a list (type, question, hint,
 * required, options, follow-ups, groups), previewed by the server with the officer's renderer
 * and saved into the draft as JSON Schema and UI schema (webapp/processes/form_builder_views.py).
 *
 * The model comes from the page (json_script "form-model"); what the builder does not edit rides
 * along in each question's "schema" and "ui" and is saved unchanged. Plain ES2015, no build step
 * and no inline script (the page's CSP forbids them).
 */
(function () {
  "use strict";

  var root = document.getElementById("form-builder");
  var mount = document.getElementById("form-builder-root");
  var dataNode = document.getElementById("form-model");
  if (!root || !mount || !dataNode || !window.dwFormFields) { return; }

  var TYPES = [["text", "Short text"], ["textarea", "Long text"], ["integer", "Whole number"],
    ["number", "Number"], ["date", "Date"], ["yesno", "Yes or no"], ["choice", "Choose one"],
    ["choices", "Choose one or more"], ["group", "Group of questions"],
    ["repeat", "Repeating group (for example, children)"],
    ["list", "List of short answers (for example, aliases)"]];
  var OTHER = ["other", "Kept as written (change it as JSON)"];
  var CONTROLLERS = { yesno: true, choice: true };

  var model = JSON.parse(dataNode.textContent);
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var savedAt = root.getAttribute("data-saved-at");
  var saveButton = document.getElementById("form-builder-save");
  var statusNode = document.getElementById("form-builder-status");
  var errorsNode = document.getElementById("form-builder-errors");
  var previewNode = document.getElementById("form-preview");
  var previewStatus = document.getElementById("form-preview-status");
  var refreshButton = document.getElementById("form-preview-refresh");
  var counter = 0;
  var dirty = false;
  var opened = new WeakSet();  // the questions shown open (new ones are)
  var idOf = new WeakMap();  // each question's id prefix in the latest drawing
  var previewTimer = null;
  var previewRun = 0;

  var fields = window.dwFormFields;
  var el = fields.el, button = fields.button, textGroup = fields.textGroup;
  var selectGroup = fields.selectGroup, fillSelect = fields.fillSelect;
  var checkbox = fields.checkbox, snake = fields.snake;

  function titleOf(field) { return field.title || field.key || "New question"; }

  // ---- the model ----------------------------------------------------------------------------

  function newField() {
    var field = { key: "", autoKey: true, type: "text", title: "", hint: "", required: false,
      show_when: null, schema: {}, ui: {} };
    opened.add(field);
    return field;
  }

  function typeName(type) {
    var found = TYPES.concat([OTHER]).filter(function (t) { return t[0] === type; })[0];
    return found ? found[1].replace(/ \(.*\)$/, "") : type;
  }

  function summaryText(field, index) {
    return "Question " + (index + 1) + ": " + titleOf(field) + " (" + typeName(field.type) +
      (field.show_when ? ", follow-up" : "") + ")";
  }

  function setType(field, type) {
    field.type = type;
    if ((type === "choice" || type === "choices") && !(field.options && field.options.length)) {
      field.options = [{ value: "", label: "", autoValue: true }];
    }
    if ((type === "group" || type === "repeat") && !(field.fields && field.fields.length)) {
      field.fields = [newField()];
    }
    if (type === "text" && field.schema && field.schema.maxLength > 300) { field.schema.maxLength = 300; }
  }

  function answersOf(controller) {
    if (controller.type === "yesno") { return [[true, "Yes"], [false, "No"]]; }
    return (controller.options || []).map(function (o) { return [o.value, o.label || String(o.value)]; });
  }

  function changed(structural, focusAfter) {
    dirty = true;
    if (structural) { render(); }
    if (focusAfter) { focusAfter(); }
    schedulePreview();
  }

  function focusFirst(ids) {
    var found = ids.map(function (id) { return id && document.getElementById(id); })
      .filter(Boolean)[0];
    if (found) { found.focus(); }
  }

  function renameKey(container, before, after) {
    container.fields.forEach(function (other) {
      if (before && other.show_when && other.show_when.field === before) { other.show_when.field = after; }
    });
  }

  // ---- rendering the builder ----------------------------------------------------------------

  function render() {
    var focused = document.activeElement && mount.contains(document.activeElement)
      ? document.activeElement.id : "";
    counter = 0;
    mount.textContent = "";
    mount.appendChild(textGroup("form-title", "Title of the form", model.title, function (v) {
      model.title = v; changed(false);
    }, { width: "govuk-!-width-full" }));
    mount.appendChild(textGroup("form-description", "Description under the title (optional)",
      model.description, function (v) { model.description = v; changed(false); }, { long: true }));
    mount.appendChild(questionList(model, null));
    if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
  }

  function questionList(container, owner) {
    var list = el("div", { "class": owner ? "form-builder__nested" : "form-builder__questions" });
    if (owner) {
      list.appendChild(el("h3", { "class": "govuk-heading-s", text: (owner.type === "repeat"
        ? "Questions asked for each item of ‘" : "Questions in ‘") + titleOf(owner) + "’" }));
    }
    container.fields.forEach(function (field, index) {
      list.appendChild(questionBox(container, index));
    });
    var add = button(owner ? "Add a question to ‘" + titleOf(owner) + "’" : "Add a question", null,
      function () {
        var added = newField();
        container.fields.push(added);
        changed(true, function () { focusFirst([idOf.get(added) + "-title"]); });
      });
    add.id = (owner ? idOf.get(owner) : "form") + "-add";
    list.appendChild(add);
    return list;
  }

  function questionBox(container, index) {
    var field = container.fields[index];
    var id = "q" + (++counter);
    idOf.set(field, id);
    var legend = el("legend", { "class": "govuk-visually-hidden",
      text: "Question " + (index + 1) + ": " + titleOf(field) });
    var box = el("fieldset", { "class": "govuk-fieldset form-builder__question" +
      (field.show_when ? " form-builder__question--follow-up" : ""), "data-question": field.key }, [legend]);
    var summary = el("summary", { "class": "govuk-details__summary", id: id + "-summary" }, [
      el("span", { "class": "govuk-details__summary-text", text: summaryText(field, index) })]);
    var details = el("details", { "class": "govuk-details form-builder__details",
      open: opened.has(field) }, [summary, el("div", { "class": "govuk-details__text" }, [box])]);
    details.addEventListener("toggle", function () {
      if (details.open) { opened.add(field); } else { opened.delete(field); }
    });
    var keyInput = null;
    box.appendChild(textGroup(id + "-title", "Question", field.title, function (v) {
      field.title = v;
      legend.textContent = "Question " + (index + 1) + ": " + titleOf(field);
      summary.firstChild.textContent = summaryText(field, index);
      if (field.autoKey && keyInput) {
        renameKey(container, field.key, snake(v));
        field.key = snake(v);
        keyInput.value = field.key;
      }
      changed(false);
    }, { width: "govuk-!-width-full" }));
    box.appendChild(textGroup(id + "-hint", "Hint (optional)", field.hint, function (v) {
      field.hint = v; changed(false);
    }, { long: true }));
    var keyGroup = textGroup(id + "-key", "Stored as", field.key, function (v) {
      renameKey(container, field.key, v);
      field.key = v; field.autoKey = false; changed(false);
    }, { code: true, hint: "The name the diagram's conditions and instructions use (change them too if you change it). Letters, digits and underscores, like date_of_birth." });
    keyInput = keyGroup.querySelector("input");
    box.appendChild(keyGroup);
    var types = field.type === "other" ? TYPES.concat([OTHER]) : TYPES;
    box.appendChild(selectGroup(id + "-type", "Type of answer", types, field.type, function (v) {
      setType(field, v); changed(true);
    }));
    if (field.show_when) {
      box.appendChild(el("p", { "class": "govuk-body-s", text: "A follow-up question: the officer must answer it when it is shown." }));
    } else {
      box.appendChild(checkbox(id + "-required", "The officer must answer it", field.required,
        function (v) { field.required = v; changed(false); }));
    }
    if (field.type === "choice" || field.type === "choices") { box.appendChild(optionsEditor(field, id)); }
    if (field.type === "repeat" || field.type === "list") {
      box.appendChild(textGroup(id + "-item", "Name of one item (for example, Child or Alias)",
        field.item_title, function (v) { field.item_title = v; changed(false); }));
    }
    box.appendChild(followUpEditor(container, field, id));
    if (field.type === "group" || field.type === "repeat") { box.appendChild(questionList(field, field)); }
    box.appendChild(moveButtons(container, index, field, id));
    return details;
  }

  function optionsEditor(field, id) {
    var part = el("div", { "class": "form-builder__options" }, [
      el("h3", { "class": "govuk-heading-s", text: "Options" })]);
    field.options.forEach(function (option, n) {
      var valueInput = null;
      var label = textGroup(id + "-option-" + n, "Option " + (n + 1), option.label, function (v) {
        option.label = v;
        if (option.autoValue && valueInput) { option.value = snake(v); valueInput.value = option.value; }
        changed(false);
      });
      var value = textGroup(id + "-value-" + n, "Stored as", String(option.value === undefined ? "" : option.value),
        function (v) { option.value = v; option.autoValue = false; changed(false); }, { code: true });
      valueInput = value.querySelector("input");
      var remove = button("Remove", "option " + (n + 1), function () {
        field.options.splice(n, 1);
        changed(true, function () {
          var at = idOf.get(field);
          focusFirst([at + "-option-" + Math.min(n, field.options.length - 1), at + "-add-option"]);
        });
      });
      part.appendChild(el("div", { "class": "form-builder__option" }, [label, value, remove]));
    });
    var add = button("Add an option", "to ‘" + titleOf(field) + "’", function () {
      field.options.push({ value: "", label: "", autoValue: true });
      changed(true, function () {
        focusFirst([idOf.get(field) + "-option-" + (field.options.length - 1)]);
      });
    });
    add.id = id + "-add-option";
    part.appendChild(add);
    return part;
  }

  function controllersFor(container, field) {
    return container.fields.filter(function (other) {
      return other !== field && CONTROLLERS[other.type] && !other.show_when && other.key;
    });
  }

  function followUpEditor(container, field, id) {
    var part = el("div", { "class": "form-builder__follow-up" });
    var when = field.show_when;
    function whenChoices() {
      return [["", "Always"]].concat(controllersFor(container, field).map(function (c) {
        return [c.key, "Only after an answer to ‘" + titleOf(c) + "’"];
      }));
    }
    var group = selectGroup(id + "-when", "Show this question", whenChoices(), when ? when.field : "",
      function (v) {
        if (!v) { field.show_when = null; } else {
          var controller = container.fields.filter(function (c) { return c.key === v; })[0];
          var first = answersOf(controller)[0];
          field.show_when = { field: v, values: [first ? first[0] : true] };
        }
        changed(true);
      }, "A follow-up question is shown under the answer it follows.");
    var select = group.querySelector("select");
    // Titles and names may have changed since the list was drawn.
    select.addEventListener("focus", function () { fillSelect(select, whenChoices(), select.value); });
    part.appendChild(group);
    if (when) {
      var controller = container.fields.filter(function (c) { return c.key === when.field; })[0];
      var answers = controller ? answersOf(controller) : [];
      var current = JSON.stringify((when.values || [])[0]);
      part.appendChild(selectGroup(id + "-when-value", "When the answer is",
        answers.map(function (a) { return [JSON.stringify(a[0]), a[1]]; }), current, function (v) {
          field.show_when = { field: when.field, values: [JSON.parse(v)] }; changed(false);
        }));
    }
    return part;
  }

  function moveButtons(container, index, field, id) {
    var list = container.fields;
    var name = "question " + (index + 1) + ", ‘" + titleOf(field) + "’";
    function move(by) {
      return function () {
        var moved = list.splice(index, 1)[0];
        list.splice(index + by, 0, moved);
        changed(true, function () {
          var at = idOf.get(moved);
          focusFirst([at + (by < 0 ? "-up" : "-down"), at + "-up", at + "-down", at + "-summary"]);
        });
      };
    }
    var up = index > 0 ? button("Move up", name, move(-1)) : null;
    var down = index < list.length - 1 ? button("Move down", name, move(1)) : null;
    if (up) { up.id = id + "-up"; }
    if (down) { down.id = id + "-down"; }
    return el("div", { "class": "form-builder__actions" }, [up, down,
      button("Remove", name, function () {
        list.splice(index, 1);
        list.forEach(function (other) {
          if (other.show_when && other.show_when.field === field.key) { other.show_when = null; }
        });
        var neighbour = list[index] || list[index - 1];
        var owner = container === model ? "form" : idOf.get(container);
        changed(true, function () {
          focusFirst([neighbour && idOf.get(neighbour) + "-summary", owner + "-add"]);
        });
      })]);
  }

  // ---- preview and save ---------------------------------------------------------------------

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body) }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function schedulePreview() {
    if (previewTimer) { clearTimeout(previewTimer); }
    previewTimer = setTimeout(refreshPreview, 600);
  }

  function refreshPreview() {
    var run = ++previewRun;
    previewStatus.textContent = "Updating the preview…";
    return post(root.getAttribute("data-preview-url"), { form: model }).then(function (result) {
      if (run !== previewRun) { return; }
      if (result.ok) {
        previewNode.innerHTML = result.data.html;  // server-rendered, every text escaped
        previewStatus.textContent = "Preview up to date.";
      } else {
        previewStatus.textContent = "The preview could not be shown: " +
          (result.data.detail || "try again.");
      }
    }, function () { previewStatus.textContent = "The preview could not be reached; try again."; });
  }

  function showErrors(detail, problems) {
    errorsNode.textContent = "";
    if (!detail) { return; }
    var items = [el("li", { text: detail })].concat((problems || []).map(function (p) {
      return el("li", { text: p.message });
    }));
    errorsNode.appendChild(el("div", { "class": "govuk-error-summary", role: "alert" }, [
      el("h2", { "class": "govuk-error-summary__title", text: "The form was not saved" }),
      el("div", { "class": "govuk-error-summary__body" }, [
        el("ul", { "class": "govuk-list govuk-error-summary__list" }, items)])]));
    errorsNode.focus();
  }

  function save() {
    saveButton.disabled = true;
    statusNode.textContent = "Saving and checking…";
    post(root.getAttribute("data-save-url"), { form: model, if_saved_at: savedAt }).then(function (result) {
      saveButton.disabled = false;
      if (!result.ok) {
        statusNode.textContent = "Not saved: your changes are still here.";
        showErrors(result.data.detail || "The form could not be saved; try again.", result.data.problems);
        return;
      }
      savedAt = result.data.saved_at;
      dirty = false;
      showErrors("");
      var initial = document.getElementById("form-problems-initial");
      if (initial) { initial.remove(); }
      var own = result.data.problems || [];
      statusNode.textContent = "Saved and checked. " + (own.length
        ? own.length + " warning" + (own.length === 1 ? "" : "s") + " about this form: " +
          own.map(function (p) { return p.message; }).join("; ")
        : "No problems in this form.") + " The draft has " + result.data.error_count + " error" +
        (result.data.error_count === 1 ? "" : "s") + " in all.";
    }, function () {
      saveButton.disabled = false;
      statusNode.textContent = "The server could not be reached: your changes are still here; try again.";
    });
  }

  saveButton.hidden = false;
  refreshButton.hidden = false;
  saveButton.addEventListener("click", save);
  refreshButton.addEventListener("click", refreshPreview);
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  render();
  // The browser tests (and a curious policy lead's console) reach the model here.
  window.dwFormBuilder = { model: function () { return model; } };
}());
