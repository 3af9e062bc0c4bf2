/* Render the stage a case is in with bpmn-js: the process (pool) holding the current step,
   at a readable scale, the current steps marked and centred, completed steps and the path
   taken marked. A closed case shows its own process with the path it took. The studio's pages
   (no "processes" in the marks) show the whole definition with their own markers. The bpmn.io
   mark (its licence asks that it stay visible) sits in a band below the drawing, clear of
   shapes. */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var marksNode = document.getElementById("diagram-marks");
  if (!container || !marksNode || !window.BpmnJS) { return; }
  var marks = JSON.parse(marksNode.textContent) || {};
  var LOGO_BAND = 48;   // px under the drawing for the bpmn.io mark
  var PAD = 30;         // diagram units around the pool
  var MIN_SCALE = 0.7;  // below this the labels are too small to read
  var MIN_HEIGHT = 260;
  var MAX_HEIGHT = 620;
  var viewer = new window.BpmnJS({ container: container });

  function keepMarkClear() {
    var drawing = container.querySelector(".djs-container");
    var mark = container.querySelector(".bjs-powered-by");
    if (drawing) { drawing.style.height = "calc(100% - " + LOGO_BAND + "px)"; }
    if (mark) { mark.style.bottom = "10px"; mark.style.right = "10px"; }
  }

  function within(element, pool) {
    for (var el = element; el; el = el.parent) { if (el === pool) { return true; } }
    return !pool;
  }

  function findPool(registry) {
    var pools = registry.filter(function (el) { return el.type === "bpmn:Participant"; });
    var wanted = marks.processes || [];
    for (var i = 0; i < wanted.length; i++) {
      for (var j = 0; j < pools.length; j++) {
        var ref = pools[j].businessObject.processRef;
        if (ref && ref.id === wanted[i]) { return { pool: pools[j], pools: pools }; }
      }
    }
    return { pool: null, pools: pools };
  }

  function showOnly(canvas, registry, pool, pools) {
    if (!pool) { return; }
    pools.forEach(function (other) {
      if (other !== pool) { canvas.getGraphics(other).parentNode.style.display = "none"; }
    });
    registry.filter(function (el) { return el.type === "bpmn:MessageFlow"; })
      .forEach(function (flow) { canvas.getGraphics(flow).style.display = "none"; });
  }

  // Every key of the marks but "processes" names a marker ("completed", "current" on a case;
  // "added", "changed" on a studio comparison).
  function markAll(canvas, registry, pool) {
    var done = {};
    Object.keys(marks).forEach(function (key) {
      if (key === "processes" || key === "current") { return; }
      (marks[key] || []).forEach(function (id) {
        var el = registry.get(id);
        if (el && within(el, pool)) {
          canvas.addMarker(id, "dw-" + key);
          if (key === "completed") { done[id] = true; }
        }
      });
    });
    var focus = [];
    var path = [];
    Object.keys(done).forEach(function (id) {
      var el = registry.get(id);
      if (el.width && el.type !== "bpmn:Participant" && el.type !== "bpmn:Lane") { path.push(el); }
    });
    (marks.current || []).forEach(function (id) {
      var el = registry.get(id);
      if (el && within(el, pool)) {
        canvas.removeMarker(id, "dw-completed");
        canvas.addMarker(id, "dw-current");
        if (el.width) { focus.push(el); }
      }
    });
    // the path taken: flows from a step that ran to one that ran or is current
    registry.filter(function (el) { return el.type === "bpmn:SequenceFlow"; }).forEach(function (flow) {
      if (flow.source && flow.target && done[flow.source.id] &&
          (done[flow.target.id] || (marks.current || []).indexOf(flow.target.id) >= 0)) {
        var line = canvas.getGraphics(flow).querySelector(".djs-visual path");
        if (line) { line.style.stroke = "#00703c"; line.style.strokeWidth = "3px"; }
        canvas.addMarker(flow.id, "dw-taken");
      }
    });
    return focus.length ? focus : path;
  }

  function bounds(elements) {
    var x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    elements.forEach(function (el) {
      x1 = Math.min(x1, el.x); y1 = Math.min(y1, el.y);
      x2 = Math.max(x2, el.x + el.width); y2 = Math.max(y2, el.y + el.height);
    });
    return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
  }

  // Centre the pool where it fits in the view; where it does not, centre ``focus`` as far as
  // the pool's edges allow (no empty half-view beside the first or last step).
  function place(length, poolStart, poolLength, focusStart, focusLength) {
    if (poolLength <= length) { return poolStart - (length - poolLength) / 2; }
    var start = focusStart + focusLength / 2 - length / 2;
    return Math.max(poolStart - PAD, Math.min(start, poolStart + poolLength + PAD - length));
  }

  function frame(canvas, registry, pool, focus) {
    var box = pool ? bounds([pool]) : null;
    if (!box) {
      canvas.zoom("fit-viewport");
      box = canvas.viewbox().inner;
    }
    var width = container.clientWidth || 800;
    var scale = Math.max(MIN_SCALE, Math.min(1, width / (box.width + 2 * PAD)));
    var height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, (box.height + 2 * PAD) * scale + 4));
    container.style.height = (height + LOGO_BAND) + "px";
    canvas.resized();
    var outer = canvas.viewbox().outer;
    var w = outer.width / scale, h = outer.height / scale;
    var target = focus.length ? bounds(focus) : box;
    canvas.viewbox({ x: place(w, box.x, box.width, target.x, target.width),
                     y: place(h, box.y, box.height, target.y, target.height),
                     width: w, height: h });
  }

  fetch(container.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("diagram not available"); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      keepMarkClear();
      canvas.resized();
      var registry = viewer.get("elementRegistry");
      var found = findPool(registry);
      showOnly(canvas, registry, found.pool, found.pools);
      var focus = markAll(canvas, registry, found.pool);
      if (marks.processes) {
        frame(canvas, registry, found.pool, focus);
      } else {  // a whole definition (the studio): all of it, to be zoomed into
        canvas.zoom("fit-viewport");
      }
      if (found.pool) {
        container.setAttribute("data-process", found.pool.businessObject.processRef.id);
      }
      container.setAttribute("data-rendered", "true");
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be shown: " + err.message;
      container.setAttribute("data-rendered", "error");
    });
})();
