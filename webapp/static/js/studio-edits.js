/* The process studio's model edits: reading and changing what the engine needs on a BPMN
 * element (SpiffWorkflow extension properties, conditions, timers, documentation). Every edit
 * goes through bpmn-js's command stack, so it can be undone (Ctrl+Z) and is exported.
 * window.dwStudioEdits(modeler) returns the functions studio.js uses. */
(function () {
  "use strict";

  var SPIFF = "spiffworkflow:";

  window.dwStudioEdits = function (modeler) {
    var registry = modeler.get("elementRegistry");
    var modeling = modeler.get("modeling");
    var moddle = modeler.get("moddle");
    var bpmnFactory = modeler.get("bpmnFactory");
    var commandStack = modeler.get("commandStack");

    function is(element, type) {
      var bo = element && (element.businessObject || element);
      return !!(bo && bo.$instanceOf && bo.$instanceOf(type));
    }

    function typeLabel(element) {
      var type = (element.type || "").replace(/^bpmn:/, "");
      var words = type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
      return words.charAt(0).toUpperCase() + words.slice(1);
    }

    function extension(bo, type) {
      var ext = bo.extensionElements;
      return ((ext && ext.get("values")) || []).filter(function (v) { return is(v, type); })[0];
    }

    function spiffProperty(bo, name) {
      var props = extension(bo, SPIFF + "Properties");
      var prop = ((props && props.get("properties")) || []).filter(function (p) {
        return p.name === name;
      })[0];
      return prop ? prop.value || "" : "";
    }

    function timerOf(bo) {
      return (bo.eventDefinitions || []).filter(function (d) {
        return is(d, "bpmn:TimerEventDefinition");
      })[0];
    }

    function laneName(element) {
      var bo = element.businessObject;
      var lanes = registry.filter(function (e) {
        return is(e, "bpmn:Lane") && (e.businessObject.flowNodeRef || []).indexOf(bo) >= 0;
      });
      // Nested lanes: the innermost one (the one without child lanes of its own that hold it).
      lanes.sort(function (a, b) { return depth(b.businessObject) - depth(a.businessObject); });
      return lanes.length ? lanes[0].businessObject.name || lanes[0].id : "";
    }

    function depth(node) {
      var n = 0;
      while (node && node.$parent) { n += 1; node = node.$parent; }
      return n;
    }

    // ---- undoable edits -----------------------------------------------------------------------

    // Several modeling calls as one command: one Ctrl+Z undoes the whole panel edit.
    commandStack.register("dw.batch", {
      preExecute: function (context) { context.run(); },
      execute: function () { return []; },
      revert: function () { return []; }
    });

    function batch(run) { commandStack.execute("dw.batch", { run: run }); }

    function ensureExtensions(element) {
      var bo = element.businessObject;
      if (!bo.extensionElements) {
        var ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
        ext.$parent = bo;
        modeling.updateProperties(element, { extensionElements: ext });
      }
      return bo.extensionElements;
    }

    function setExtensionBody(element, type, value) {
      var bo = element.businessObject;
      var existing = extension(bo, type);
      batch(function () {
        if (existing && !value) {
          var ext = bo.extensionElements;
          modeling.updateModdleProperties(element, ext, {
            values: ext.get("values").filter(function (v) { return v !== existing; })
          });
        } else if (existing) {
          modeling.updateModdleProperties(element, existing, { value: value });
        } else if (value) {
          var holder = ensureExtensions(element);
          var created = moddle.create(type, { value: value });
          created.$parent = holder;
          modeling.updateModdleProperties(element, holder, {
            values: holder.get("values").concat([created])
          });
        }
      });
    }

    function setSpiffProperty(element, name, value) {
      var bo = element.businessObject;
      batch(function () {
        var props = extension(bo, SPIFF + "Properties");
        var prop = ((props && props.get("properties")) || []).filter(function (p) {
          return p.name === name;
        })[0];
        if (!value) {
          if (prop) {
            modeling.updateModdleProperties(element, props, {
              properties: props.get("properties").filter(function (p) { return p !== prop; })
            });
          }
          return;
        }
        if (prop) {
          modeling.updateModdleProperties(element, prop, { value: value });
          return;
        }
        if (!props) {
          var holder = ensureExtensions(element);
          props = moddle.create(SPIFF + "Properties", { properties: [] });
          props.$parent = holder;
          modeling.updateModdleProperties(element, holder, {
            values: holder.get("values").concat([props])
          });
        }
        prop = moddle.create(SPIFF + "Property", { name: name, value: value });
        prop.$parent = props;
        modeling.updateModdleProperties(element, props, {
          properties: props.get("properties").concat([prop])
        });
      });
    }

    function expression(body, parent) {
      var expr = bpmnFactory.create("bpmn:FormalExpression", { body: body });
      expr.$parent = parent;
      return expr;
    }

    function setCondition(element, value) {
      var bo = element.businessObject;
      if (bo.conditionExpression && value) {
        modeling.updateModdleProperties(element, bo.conditionExpression, { body: value });
      } else {
        modeling.updateProperties(element, {
          conditionExpression: value ? expression(value, bo) : undefined
        });
      }
    }

    function setTimer(element, kind, value) {
      var timer = timerOf(element.businessObject);
      var props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      if (value) { props[kind] = expression(value, timer); }
      modeling.updateModdleProperties(element, timer, props);
    }

    function setDocumentation(element, value) {
      var bo = element.businessObject;
      var docs = bo.get("documentation");
      if (docs.length && value) {
        modeling.updateModdleProperties(element, docs[0], { text: value });
      } else if (docs.length) {
        modeling.updateModdleProperties(element, bo, { documentation: docs.slice(1) });
      } else if (value) {
        var doc = bpmnFactory.create("bpmn:Documentation", { text: value });
        doc.$parent = bo;
        modeling.updateModdleProperties(element, bo, { documentation: [doc] });
      }
    }

    return { is: is, typeLabel: typeLabel, extension: extension, spiffProperty: spiffProperty,
      timerOf: timerOf, laneName: laneName, batch: batch, setExtensionBody: setExtensionBody,
      setSpiffProperty: setSpiffProperty, setCondition: setCondition, setTimer: setTimer,
      setDocumentation: setDocumentation };
  };
})();
