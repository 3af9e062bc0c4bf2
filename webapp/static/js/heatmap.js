/* The heatmap's diagram: the version's BPMN drawn with bpmn-js, each task shaded by its colour
   band (its median time) and carrying a badge with its figures in words and, in red, its clock
   breaches. Text goes in with textContent, never as HTML. The stage buttons above the drawing
   bring each pool into view (the drawing is at a readable scale, not shrunk to fit); it opens
   on the pool of the step with the longest median. The
   table under the diagram has the same figures and the links to the cases. */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var dataNode = document.getElementById("heatmap-data");
  var stages = document.getElementById("heatmap-stages");
  if (!container || !dataNode || !window.BpmnJS) { return; }
  var data = JSON.parse(dataNode.textContent) || { elements: [] };
  var LOGO_BAND = 48, PAD = 30, MIN_SCALE = 0.7, HEIGHT = 560;
  var viewer = new window.BpmnJS({ container: container });
  var scale = 1;

  function badge(item) {
    var node = document.createElement("div");
    node.className = "heat-badge";
    node.setAttribute("data-badge", item.id);
    var time = document.createElement("span");
    time.className = "heat-badge__time";
    time.textContent = item.time;
    node.appendChild(time);
    if (item.breaches) {
      var breach = document.createElement("span");
      breach.className = "heat-badge__breach";
      breach.textContent = item.breach_words;
      node.appendChild(breach);
    }
    return node;
  }

  function show(canvas, box) {
    var outer = canvas.viewbox().outer;
    canvas.viewbox({ x: box.x - PAD, y: box.y - PAD,
                     width: outer.width / scale, height: outer.height / scale });
  }

  function stageButtons(canvas, pools) {
    if (!stages) { return; }
    pools.forEach(function (pool) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "govuk-button govuk-button--secondary heatmap-stage";
      button.textContent = pool.businessObject.name || "Process";
      button.addEventListener("click", function () { show(canvas, pool); container.focus(); });
      item.appendChild(button);
      stages.appendChild(item);
    });
  }

  // the element with the longest median (the first of the darkest band), to open on its pool
  function hottest(registry) {
    var best = null;
    data.elements.forEach(function (item) {
      if (item.band && (!best || item.band > best.band) && registry.get(item.id)) { best = item; }
    });
    return best ? registry.get(best.id) : null;
  }

  function poolOf(el) {
    for (var node = el; node; node = node.parent) {
      if (node.type === "bpmn:Participant") { return node; }
    }
    return null;
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
      var overlays = viewer.get("overlays");
      container.style.height = (HEIGHT + LOGO_BAND) + "px";
      var drawing = container.querySelector(".djs-container");
      if (drawing) { drawing.style.height = "calc(100% - " + LOGO_BAND + "px)"; }
      canvas.resized();
      var shown = 0;
      data.elements.forEach(function (item) {
        var el = registry.get(item.id);
        if (!el) { return; }
        canvas.addMarker(item.id, "heat-band-" + item.band);
        if (item.band || item.time !== "Not recorded") {
          overlays.add(item.id, "heat", { position: { top: el.height + 4, left: -10 },
                                          html: badge(item) });
          shown += 1;
        }
      });
      var pools = registry.filter(function (el) { return el.type === "bpmn:Participant"; });
      var widest = pools.reduce(function (w, p) { return Math.max(w, p.width); }, 0);
      var width = container.clientWidth || 800;
      scale = widest ? Math.max(MIN_SCALE, Math.min(1, width / (widest + 2 * PAD))) : 1;
      if (pools.length) {
        show(canvas, poolOf(hottest(registry)) || pools[0]);
        stageButtons(canvas, pools);
      } else {
        canvas.zoom("fit-viewport");
      }
      container.setAttribute("tabindex", "0");
      container.setAttribute("data-badges", String(shown));
      container.setAttribute("data-rendered", "true");
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be shown: " + err.message +
        ". The table below has every figure.";
      container.setAttribute("data-rendered", "error");
    });
})();
