/* Render the case's process with bpmn-js and mark completed and current elements. */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var marksNode = document.getElementById("diagram-marks");
  if (!container || !marksNode || !window.BpmnJS) { return; }
  var marks = JSON.parse(marksNode.textContent) || {};
  var viewer = new window.BpmnJS({ container: container });

  function mark(canvas, registry, ids, cls) {
    ids.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, cls); }
    });
  }

  fetch(container.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("diagram not available"); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      Object.keys(marks).forEach(function (key) {
        mark(canvas, registry, marks[key] || [], "dw-" + key);
      });
      // The whole collaboration is too small to read at once: show the current work at a
      // readable scale (officers can drag to pan and use Ctrl + scroll to zoom).
      var focus = (marks.current || []).map(function (id) { return registry.get(id); })
        .filter(function (el) { return el && el.type !== "bpmn:Participant" && el.width; });
      if (focus.length) {
        canvas.zoom(0.9);
        canvas.scrollToElement(focus[focus.length - 1]);
      } else {
        canvas.zoom("fit-viewport");
      }
      container.setAttribute("data-rendered", "true");
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be shown: " + err.message;
      container.setAttribute("data-rendered", "error");
    });
})();
