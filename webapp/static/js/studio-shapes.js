/* The process studio's problem markers: the diagram shape that shows a problem's element
 * (an element without a shape of its own, such as an event definition, is shown by the
 * nearest shape holding it) and the error and warning markers on the canvas.
 * window.dwStudioShapes(modeler, is) returns { shapeFor, markProblems, forget }. */
(function () {
  "use strict";

  window.dwStudioShapes = function (modeler, is) {
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    var marked = [];

    var byId = null;  // moddle id -> moddle element, for ids with no shape (event definitions…)

    function findModdle(id) {
      if (!byId) {
        byId = {};
        var seen = [];
        var walk = function (node) {
          if (!node || typeof node !== "object" || seen.indexOf(node) >= 0) { return; }
          seen.push(node);
          if (node.$type && node.id && !byId[node.id]) { byId[node.id] = node; }
          Object.keys(node).forEach(function (key) {
            if (key.charAt(0) === "$") { return; }
            var value = node[key];
            if (Array.isArray(value)) { value.forEach(walk); } else if (value && value.$type) { walk(value); }
          });
        };
        walk(modeler.getDefinitions());
      }
      return byId[id];
    }

    function shapeFor(id) {
      var shape = registry.get(id);
      if (shape) { return shape; }
      var node = findModdle(id);
      while (node) {
        if (node.id && registry.get(node.id)) { return registry.get(node.id); }
        if (is(node, "bpmn:Process")) {
          var owner = node;
          var participant = registry.filter(function (e) {
            return is(e, "bpmn:Participant") && e.businessObject.processRef === owner;
          })[0];
          if (participant) { return participant; }
        }
        node = node.$parent;
      }
      return null;
    }

    function markProblems(problems) {
      byId = null;
      marked.forEach(function (m) {
        if (registry.get(m[0])) { canvas.removeMarker(m[0], m[1]); }
      });
      marked = [];
      problems.forEach(function (p) {
        var shape = p.element_id ? shapeFor(p.element_id) : null;
        if (!shape) { return; }
        var cls = p.severity === "error" ? "dw-error" : "dw-warning";
        canvas.addMarker(shape, cls);
        marked.push([shape.id, cls]);
      });
    }

    // the diagram changed: ids are looked up afresh
    function forget() { byId = null; }

    return { shapeFor: shapeFor, markProblems: markProblems, forget: forget };
  };
})();
