/* The process studio's draft editor: bpmn-js Modeler, a properties panel for what the engine
 * needs (lanes, forms, instructions, conditions, timers, called processes, documentation),
 * saving with the engine's check, and its problems marked on the diagram.
 *
 * Plain ES2015, no build step and no inline script (the page's CSP forbids them). Every edit
 * goes through bpmn-js's command stack, so it can be undone (Ctrl+Z) and is exported. The panel's
 * controls are in studio-fields.js, the model edits in studio-edits.js and the problem markers
 * in studio-shapes.js, loaded before this file.
 */
(function () {
  "use strict";

  var root = document.getElementById("studio");
  var container = document.getElementById("modeler");
  var panel = document.getElementById("properties");
  if (!root || !container || !panel || !window.BpmnJS) { return; }

  var SPIFF = "spiffworkflow:";
  var FORM = "formJsonSchemaFilename";
  var UI = "formUiSchemaFilename";
  var TIMER_KINDS = [["timeDuration", "Duration (e.g. \"PT24H\")"],
    ["timeDate", "Date and time (e.g. \"2030-01-31T09:00:00Z\")"],
    ["timeCycle", "Cycle (e.g. \"R3/PT1H\")"]];

  var saveButton = document.getElementById("save");
  var statusNode = document.getElementById("save-status");
  var problemsNode = document.getElementById("problems");
  var countNode = document.getElementById("problem-count");
  var nounNode = document.getElementById("problem-noun");
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
  var mainFile = root.getAttribute("data-file");
  var formAreas = Array.prototype.slice.call(document.querySelectorAll("textarea[data-form-file]"));
  var formNames = formAreas.map(function (area) {
    return area.getAttribute("data-form-file").replace(/^forms\//, "");
  });
  var schemaNames = formNames.filter(function (n) { return /\.schema\.json$/.test(n); });
  var uiNames = formNames.filter(function (n) { return /\.ui\.json$/.test(n); });

  var modeler = new window.BpmnJS({
    container: container,
    // keyboard: {bindTo: document} is no longer supported by diagram-js 15 (it logs an error);
    // the keyboard is bound to the canvas, which takes focus when clicked or tabbed to.
    moddleExtensions: { spiffworkflow: window.spiffworkflowModdle }
  });
  var canvas = modeler.get("canvas");
  var registry = modeler.get("elementRegistry");
  var modeling = modeler.get("modeling");
  var selection = modeler.get("selection");
  var commandStack = modeler.get("commandStack");
  var eventBus = modeler.get("eventBus");

  var problems = [];
  var dirty = false;
  var renderTimer = null;

  // The browser tests (and a curious policy lead's console) reach the modeler here.
  window.dwStudio = { modeler: modeler };

  var fieldsKit = window.dwStudioFields;
  var el = fieldsKit.el, field = fieldsKit.field, input = fieldsKit.input;
  var textarea = fieldsKit.textarea, select = fieldsKit.select;
  var edits = window.dwStudioEdits(modeler);
  var is = edits.is, typeLabel = edits.typeLabel, extension = edits.extension;
  var spiffProperty = edits.spiffProperty, timerOf = edits.timerOf, laneName = edits.laneName;
  var batch = edits.batch, setExtensionBody = edits.setExtensionBody;
  var setSpiffProperty = edits.setSpiffProperty, setCondition = edits.setCondition;
  var setTimer = edits.setTimer, setDocumentation = edits.setDocumentation;
  var shapes = window.dwStudioShapes(modeler, is);
  var shapeFor = shapes.shapeFor;

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // ---- the properties panel -----------------------------------------------------------------

  var staticHint = panel.querySelector("p.hint");  // the page's hint for browsers without JS
  if (staticHint) { staticHint.parentNode.removeChild(staticHint); }
  var chooser = el("select", { id: "prop-goto", class: "select" });
  var fields = el("div", { id: "properties-fields" });
  panel.appendChild(el("div", { class: "form-group" }, [
    el("label", { class: "label", for: "prop-goto", text: "Go to an element" }), chooser]));
  panel.appendChild(fields);
  chooser.addEventListener("change", function () {
    if (chooser.value) { reveal(chooser.value, false); }
  });

  // "Go to an element": named elements first, by name; then those without a name, described
  // by what they are and connect ("Sequence flow from 'A' to 'B'"), flows last.
  function quoted(element) {
    var name = element && element.businessObject && element.businessObject.name;
    return name ? "'" + name + "'" : (element ? "an unnamed " + typeLabel(element).toLowerCase() : "?");
  }

  function chooserText(e) {
    var name = e.businessObject.name;
    var where = e.host ? " on " + quoted(e.host) :
      (e.waypoints && (e.source || e.target) ? " from " + quoted(e.source) + " to " + quoted(e.target) : "");
    return name ? name + " – " + typeLabel(e) + where : typeLabel(e) + where;
  }

  function fillChooser() {
    var items = registry.filter(function (e) {
      return !e.labelTarget && e.type !== "bpmn:Collaboration" && e.type !== "bpmn:Process" &&
        e.type !== "label" && e.businessObject && e.businessObject.id;
    }).map(function (e) {
      var named = !!e.businessObject.name;
      return { id: e.id, text: chooserText(e), rank: named ? 0 : (e.waypoints ? 2 : 1) };
    }).sort(function (a, b) {
      return a.rank - b.rank || a.text.localeCompare(b.text, "en-GB", { numeric: true }) ||
        a.id.localeCompare(b.id);
    });
    var seen = {};
    items.forEach(function (item) { seen[item.text] = (seen[item.text] || 0) + 1; });
    chooser.textContent = "";
    chooser.appendChild(el("option", { value: "", text: "Choose an element…" }));
    var groups = [el("optgroup", { label: "Named elements" }),
      el("optgroup", { label: "Elements without a name" }), el("optgroup", { label: "Flows without a name" })];
    items.forEach(function (item) {
      // two elements described alike (four "Applicant withdraws" events…) are told apart by id
      var text = seen[item.text] > 1 ? item.text + " (" + item.id + ")" : item.text;
      groups[item.rank].appendChild(el("option", { value: item.id, text: text }));
    });
    groups.forEach(function (group) { if (group.children.length) { chooser.appendChild(group); } });
    var current = selection.get()[0];
    chooser.value = current && registry.get(current.id) ? current.id : "";
  }


  function formChooser(element, property, names, label, hint) {
    var current = spiffProperty(element.businessObject, property);
    var known = names.indexOf(current) >= 0;
    var options = [["", "None"]].concat(names.map(function (n) { return [n, n]; }))
      .concat([["__other__", "Another file (type its name)…"]]);
    var key = property === FORM ? "form" : "ui";
    var other = input("prop-" + key + "-other", known ? "" : current, function (value) {
      setSpiffProperty(element, property, value);
    });
    var otherGroup = field("prop-" + key + "-other", label + ": file name", other,
      "A file in forms/, such as enquiry.schema.json.");
    otherGroup.hidden = !current || known;
    var chosen = select("prop-" + key, options, current ? (known ? current : "__other__") : "",
      function (value) {
        if (value === "__other__") {
          otherGroup.hidden = false;
          other.focus();
          return;
        }
        otherGroup.hidden = true;
        if (property === FORM && value) {
          // A form's UI schema usually sits beside it: name it too when it exists.
          var ui = value.replace(/\.schema\.json$/, ".ui.json");
          batch(function () {
            setSpiffProperty(element, FORM, value);
            if (uiNames.indexOf(ui) >= 0 && !spiffProperty(element.businessObject, UI)) {
              setSpiffProperty(element, UI, ui);
            }
          });
        } else {
          setSpiffProperty(element, property, value);
        }
      });
    return [field("prop-" + key, label, chosen, hint), otherGroup];
  }

  function elementProblems(element) {
    return problems.filter(function (p) { return p.element_id && shapeFor(p.element_id) === element; });
  }

  function renderPanel() {
    renderTimer = null;
    var active = document.activeElement;
    var focusId = active && fields.contains(active) ? active.id : null;
    var selected = selection.get();
    fields.textContent = "";
    var owner = selected.length === 1 ? selected[0].labelTarget || selected[0] : null;
    chooser.value = owner && registry.get(owner.id) ? owner.id : "";
    if (selected.length !== 1) {
      fields.appendChild(el("p", { class: "hint", text: selected.length
        ? "Select one element to edit it." : "Select an element in the diagram (or choose one above) to edit what the engine needs." }));
      return;
    }
    var element = selected[0].labelTarget || selected[0];  // an external label: its owner
    var bo = element.businessObject;
    var own = elementProblems(element);
    var parts = [el("h3", { class: "properties__title", text: typeLabel(element) })];

    if (own.length) {
      parts.push(el("ul", { class: "problems problems--element", "aria-label": "Problems with this element" },
        own.map(function (p) {
          return el("li", { class: "problem problem--" + p.severity }, [
            el("strong", { text: p.severity === "error" ? "Error" : "Warning" }), " " + p.message]);
        })));
    }
    parts.push(field("prop-id", "ID", input("prop-id", element.id, null, { readonly: true })));
    if (!is(element, "bpmn:TextAnnotation") &&
        !is(element, "bpmn:Group")) {
      parts.push(field("prop-name", "Name", input("prop-name", bo.name, function (value) {
        modeling.updateProperties(element, { name: value || undefined });
      })));
    }
    if (is(element, "bpmn:UserTask")) {
      var lane = laneName(element);
      parts.push(field("prop-lane", "Lane (the role that does the work)",
        input("prop-lane", lane || "Not in a lane", null, { readonly: true }),
        "Drag the task into another lane to change who works it."));
      parts = parts.concat(formChooser(element, FORM, schemaNames, "Form",
        "The JSON Schema the officer fills in."));
      parts = parts.concat(formChooser(element, UI, uiNames, "Form layout (UI schema, optional)"));
      var instructions = extension(bo, SPIFF + "InstructionsForEndUser");
      parts.push(field("prop-instructions", "Instructions for the officer",
        textarea("prop-instructions", instructions ? instructions.value : "", function (value) {
          setExtensionBody(element, SPIFF + "InstructionsForEndUser", value);
        }, 5), "Shown above the form. Markdown and Jinja, e.g. {{ applicant.first_name }}."));
    }
    if (is(element, "bpmn:SequenceFlow")) {
      var condition = bo.conditionExpression;
      parts.push(field("prop-condition", "Condition expression",
        textarea("prop-condition", condition ? condition.body : "", function (value) {
          setCondition(element, value);
        }, 2), "A Python expression, e.g. decision == \"Disclose\". Empty: always taken."));
    }
    var timer = timerOf(bo);
    if (timer) {
      var kind = TIMER_KINDS.map(function (k) { return k[0]; }).filter(function (k) {
        return timer.get(k);
      })[0] || "timeDuration";
      var timerInput = textarea("prop-timer", timer.get(kind) ? timer.get(kind).body : "",
        function (value) { setTimer(element, kindSelect.value, value); }, 2);
      var kindSelect = select("prop-timer-kind", TIMER_KINDS, kind, function (value) {
        setTimer(element, value, timerInput.value.trim());
      });
      parts.push(field("prop-timer-kind", "Timer type", kindSelect));
      parts.push(field("prop-timer", "Timer expression", timerInput,
        "An ISO 8601 string in quotes, or a variable that holds one, e.g. \"P10D\" or limit_interview."));
    }
    if (is(element, "bpmn:CallActivity")) {
      var processes = registry.filter(function (e) { return is(e, "bpmn:Participant"); })
        .map(function (e) { return e.businessObject.processRef && e.businessObject.processRef.id; })
        .filter(Boolean);
      var called = input("prop-called", bo.calledElement, function (value) {
        modeling.updateProperties(element, { calledElement: value || undefined });
      }, { list: "prop-called-list" });
      parts.push(field("prop-called", "Called process (its id)", called,
        "One of: " + processes.join(", ") + "."));
      parts.push(el("datalist", { id: "prop-called-list" }, processes.map(function (id) {
        return el("option", { value: id });
      })));
    }
    var docs = bo.get ? bo.get("documentation") : [];
    parts.push(field("prop-documentation", "Documentation",
      textarea("prop-documentation", docs.length ? docs[0].text : "", function (value) {
        setDocumentation(element, value);
      }, 4)));
    parts.forEach(function (part) { fields.appendChild(part); });
    if (focusId && document.getElementById(focusId)) { document.getElementById(focusId).focus(); }
  }

  function schedulePanel() {
    // After the browser has moved focus (Tab out of a field fires "change" first), so the
    // field the user moved to keeps focus when the panel is drawn again.
    if (renderTimer === null) { renderTimer = window.setTimeout(renderPanel, 0); }
  }

  eventBus.on("selection.changed", schedulePanel);
  eventBus.on("commandStack.changed", function () {
    dirty = true;
    shapes.forget();
    setStatus("Unsaved changes.");
    schedulePanel();
    fillChooser();
  });

  // ---- problems -----------------------------------------------------------------------------


  function reveal(id, focusPanel) {
    var shape = shapeFor(id);
    if (!shape) { return false; }
    if (canvas.zoom() < 0.6) { canvas.zoom(0.8); }
    canvas.scrollToElement(shape, { top: 120, bottom: 120, left: 120, right: 120 });
    selection.select(shape);
    renderPanel();
    if (focusPanel) {
      var heading = panel.querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    return true;
  }

  function renderProblems(list) {
    problems = list || [];
    var errors = problems.filter(function (p) { return p.severity === "error"; }).length;
    countNode.textContent = String(errors);
    if (nounNode) { nounNode.textContent = errors === 1 ? "error" : "errors"; }
    problemsNode.textContent = "";
    if (!problems.length) {
      problemsNode.appendChild(el("li", { text: "No problems found." }));
    }
    problems.forEach(function (p) {
      var where = p.file + ":" + (p.line || 0);
      var item = el("li", { class: "problem problem--" + p.severity, "data-element": p.element_id || "" }, [
        el("strong", { text: p.severity === "error" ? "Error" : "Warning" }), " " + where + " "]);
      if (p.element_id && shapeFor(p.element_id)) {
        var shape = shapeFor(p.element_id);
        var name = shape.businessObject.name;
        var button = el("button", { type: "button", class: "link-button problem__element",
          "data-element": p.element_id }, [el("code", { text: p.element_id }),
          name ? " (" + name + ")" : null,
          el("span", { class: "visually-hidden", text: ": show in the diagram" })]);
        button.addEventListener("click", function () { reveal(p.element_id, true); });
        item.appendChild(button);
      } else if (p.element_id) {
        item.appendChild(el("code", { text: p.element_id }));
      }
      item.appendChild(document.createTextNode(": " + p.message));
      problemsNode.appendChild(item);
    });
    shapes.markProblems(problems);
    schedulePanel();
    return errors;
  }

  // ---- saving -------------------------------------------------------------------------------

  function setStatus(text, state) {
    statusNode.textContent = text;
    root.setAttribute("data-state", state || (dirty ? "dirty" : "clean"));
  }

  function clock(iso) {
    var at = iso ? new Date(iso) : new Date();
    if (isNaN(at.getTime())) { at = new Date(); }
    return ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
  }

  function save() {
    var directEditing = modeler.get("directEditing");
    if (directEditing.isActive()) { directEditing.complete(); }  // a label being typed on the canvas
    saveButton.disabled = true;
    setStatus("Saving and checking…", "saving");
    modeler.saveXML({ format: true }).then(function (result) {
      var files = {};
      files[mainFile] = result.xml;
      formAreas.forEach(function (area) {
        if (area.value !== area.defaultValue) { files[area.getAttribute("data-form-file")] = area.value; }
      });
      return fetch(root.getAttribute("data-save-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
          "X-CSRFToken": csrfInput ? csrfInput.value : "" },
        body: JSON.stringify({ files: files, if_saved_at: root.getAttribute("data-saved-at") })
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var detail = body.detail || ("the server answered " + response.status);
          var fieldErrors = body.field_errors || {};
          Object.keys(fieldErrors).forEach(function (name) {
            detail += " " + name + ": " + [].concat(fieldErrors[name]).join(" ");
          });
          throw new Error(detail);
        }
        formAreas.forEach(function (area) { area.defaultValue = area.value; });
        root.setAttribute("data-saved-at", body.saved_at);
        dirty = false;
        var errors = renderProblems(body.problems);
        setStatus("Saved at " + clock(body.saved_at) + " – " + plural(errors, "error"),
          errors ? "saved-with-errors" : "saved");
      });
    }).catch(function (err) {
      setStatus("Not saved: " + err.message, "failed");
    }).then(function () {
      saveButton.disabled = false;
    });
  }

  saveButton.addEventListener("click", save);
  formAreas.forEach(function (area) {
    area.addEventListener("input", function () { dirty = true; setStatus("Unsaved changes."); });
  });
  // Publishing takes the last saved files: do not let unsaved edits be silently left out.
  var publishButton = document.getElementById("publish");
  if (publishButton && publishButton.form) {
    publishButton.form.addEventListener("submit", function (event) {
      if (dirty) {
        event.preventDefault();
        setStatus("Save your changes before publishing (Save and check).", "dirty");
        saveButton.focus();
      }
    });
  }

  // ---- start --------------------------------------------------------------------------------

  // The canvas follows the window's size (its container's height is the screen's, in CSS).
  window.addEventListener("resize", function () { canvas.resized(); });

  var initial = document.getElementById("initial-problems");
  fetch(root.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("the diagram could not be loaded (" + response.status + ")"); }
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function (result) {
      canvas.resized();
      canvas.zoom("fit-viewport");
      renderProblems(initial ? JSON.parse(initial.textContent) || [] : []);
      fillChooser();
      renderPanel();
      commandStack.clear(false);
      dirty = false;
      var warnings = (result && result.warnings) || [];
      setStatus(warnings.length ? "Loaded with " + plural(warnings.length, "import warning") +
        ": " + warnings.map(function (w) { return w.message; }).join("; ") : "", "clean");
      root.setAttribute("data-ready", "true");
    })
    .catch(function (err) {
      setStatus("The diagram could not be opened: " + err.message, "failed");
      root.setAttribute("data-ready", "error");
    });
})();
