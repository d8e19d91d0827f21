// The node stepper (autograd_core/stepper.py): one backward pass, node by node, on the graph's
// SVG. Each step marks its node (red), its parents (orange) and the nodes done (green); the panel
// beside the graph writes out the step's chain rule, one group of lines per edge however many the
// node has. The boxes keep short numbers: the panel's numbers show all their digits on hover or
// with "Full digits", and the readout gives the data and grad in full of the node under the
// pointer, or the one picked (clicked), else the current one. A graph too large to read whole
// gets a minimap: all of it, the marks, and a frame round the part in view, to click or drag.
var root = document.currentScript.closest(".ag-stepper");
var data = JSON.parse(root.querySelector(".ag-data").textContent);
var steps = data.steps, full = false;
var $ = function (selector) { return root.querySelector(selector); };
var byId = function (id) { return root.querySelector('[id="' + id + '"]'); };
var box = $(".ag-graph"), svg = box.querySelector("svg"), lines = $(".ag-lines");
// What step `position` shows: every node's grad [short, full], the nodes reached and done, the record.
var now = { position: 0, grads: data.start.grads, reached: {}, done: [], record: data.start };
var picked = null, pointed = null;  // the node clicked, and the node under the mouse

// Each node's grad is the last text of its box (centred on the box by the Python side).
var gradText = {};
Object.keys(data.start.grads).forEach(function (id) {
  var g = byId(id), texts = g ? g.querySelectorAll("text") : [];
  if (texts.length) gradText[id] = texts[texts.length - 1];
});

// Text as parts: a string, a number [as drawn, in full] shown short with the full value on hover,
// or {g: parts} kept on one line when the text wraps.
function render(el, parts) {
  el.textContent = "";
  parts.forEach(function (part) {
    if (typeof part === "string") { el.appendChild(document.createTextNode(part)); return; }
    var span = document.createElement("span");
    if (!Array.isArray(part)) {
      span.className = "ag-nowrap";
      render(span, part.g);
      el.appendChild(span);
      return;
    }
    span.className = "ag-num";
    span.title = part[1];
    span.textContent = full ? part[1] : part[0];
    el.appendChild(span);
  });
}

// Narrow a text to its box when the browser's font is wider than Graphviz assumed. Needs layout,
// so it runs when the graph is shown or resized, and for the grads that change.
function boxWidth(text) {
  var shape = text.parentNode.querySelector("path, polygon");
  return shape ? shape.getBBox().width - 6 : 0;
}
function fitText(text) {
  text.removeAttribute("textLength");
  text.removeAttribute("lengthAdjust");
  var width = boxWidth(text), length = text.getComputedTextLength();
  if (width > 0 && length > width) {
    text.setAttribute("textLength", String(width));
    text.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

function mark(ids, cls) {
  ids.forEach(function (id) { var el = byId(id); if (el) el.classList.add(cls); });
}

function show(position) {
  var grads = Object.assign({}, data.start.grads), reached = {}, done = [];
  reached[data.root] = true;
  for (var i = 0; i < position; i++) {
    done.push(steps[i].node);
    steps[i].parents.forEach(function (p, j) { grads[p] = steps[i].grads[j]; reached[p] = true; });
  }
  var marks = ["ag-current", "ag-parent", "ag-done", "ag-active", "ag-changed", "ag-pending"];
  root.querySelectorAll("." + marks.join(", .")).forEach(function (el) { el.classList.remove.apply(el.classList, marks); });
  var measurable = box.clientWidth > 0;
  Object.keys(gradText).forEach(function (id) {
    var t = gradText[id], text = "grad " + grads[id][0];  // always short: full digits live in the panel
    if (t.textContent !== text) { t.textContent = text; if (measurable) fitText(t); }
    if (!reached[id]) t.classList.add("ag-pending");
  });
  var record = position ? steps[position - 1] : data.start;
  mark(done.slice(0, -1), "ag-done");
  if (position) {
    mark([record.node], "ag-current");
    mark(record.parents, "ag-parent");
    mark(record.edges, "ag-active");
    record.parents.forEach(function (p) { if (gradText[p]) gradText[p].classList.add("ag-changed"); });
  }
  now = { position: position, grads: grads, reached: reached, done: done.slice(0, -1), record: record };
  explain(record);
  pick(picked);
  // At the start the pass begins at the root: bring it into view.
  return [position ? record.node : "", byId(position ? record.node : data.root)];
}

// The panel: the step's heading, then one group of lines per edge (its parent in data-parent).
function explain(record) {
  render($(".ag-heading"), record.heading);
  lines.textContent = "";
  record.lines.forEach(function (group, k) {
    var el = document.createElement("div");
    el.className = "ag-edge-text";
    if (record.parents) el.setAttribute("data-parent", record.parents[k]);
    group.forEach(function (parts) {
      var line = document.createElement("div");
      render(line, parts);
      el.appendChild(line);
    });
    lines.appendChild(el);
  });
  lines.scrollTop = 0;
}

// Pick a node (or none): outlined in the graph and the minimap, its lines in the panel highlighted
// and scrolled into the panel's view, its numbers in the readout.
function pick(id) {
  picked = id && data.nodes[id] ? id : null;
  root.querySelectorAll(".ag-picked").forEach(function (el) { el.classList.remove("ag-picked"); });
  if (picked) mark([picked], "ag-picked");
  var first = null;
  lines.querySelectorAll(".ag-edge-text").forEach(function (el) {
    if (!picked || el.getAttribute("data-parent") !== picked) return;
    el.classList.add("ag-picked");
    first = first || el;
  });
  if (first && (first.offsetTop < lines.scrollTop ||
                first.offsetTop + first.offsetHeight > lines.scrollTop + lines.clientHeight))
    lines.scrollTop = first.offsetTop - 4;
  readout();
  minimap.draw();
}

// The readout: the data and grad of one node in full.
function readout() {
  var id = pointed || picked || (now.position ? now.record.node : data.root), node = data.nodes[id];
  var el = $(".ag-readout");
  el.textContent = "";
  if (!node) return;
  var add = function (parent, tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    e.textContent = text;
    parent.appendChild(e);
    return e;
  };
  var head = add(el, "div", "", "");
  add(head, "b", "", node[0]);
  if (node[1]) add(head, "span", "", "  " + node[1]);
  add(head, "span", "ag-why", id === pointed ? "  · under the pointer" : id === picked ?
    "  · picked (click it again to let go)" : now.position ? "  · the current node" : "  · the root");
  var row = add(el, "div", "", "data ");
  add(row, "span", "ag-full", node[2]);
  row = add(el, "div", "", "grad ");
  add(row, "span", "ag-full", now.grads[id][1]);
  if (!now.reached[id]) add(row, "span", "ag-why", "  (not reached yet)");
  else if (now.position) add(row, "span", "ag-why", "  (after step " + now.position + ")");
}

// ---- the minimap ----------------------------------------------------------------------------

var minimap = (function () {
  var view = $(".ag-view"), el = $(".ag-minimap"), canvas = el.querySelector("canvas");
  var frame = el.querySelector(".ag-minimap-view"), vb = svg.viewBox.baseVal;
  var sx = 0, sy = 0;  // minimap px per SVG unit, across and down; 0 while hidden
  var fills = {};
  Object.keys(data.boxes).forEach(function (id) {
    var shape = byId(id) && byId(id).querySelector("path, polygon");
    fills[id] = shape ? shape.getAttribute("fill") : "#e2e8f0";
  });

  // Shown when the whole graph would be drawn below 60% (the zoom at which Fit is first on):
  // docked right of a graph taller than its box, below a wider one. It keeps the graph's shape,
  // but is at least 24 px across: a long chain becomes a strip, stretched across its length.
  function layout() {
    var W = view.clientWidth, H = view.clientHeight;
    if (!W || !H || !vb || !vb.width) return;
    var w = vb.width * 4 / 3, h = vb.height * 4 / 3;  // pt to px
    el.hidden = Math.min(W / w, H / h) >= 0.6;
    sx = sy = 0;
    if (el.hidden) return;
    var right = h / w > H / W;
    view.classList.toggle("ag-dock-bottom", !right);
    if (right) {
      sy = Math.min(150 / vb.width, (H - 2) / vb.height);
      sx = Math.max(sy, 24 / vb.width);
    } else {
      sx = Math.min((W - 2) / vb.width, 96 / vb.height);
      sy = Math.max(sx, 24 / vb.height);
    }
    var cw = Math.round(vb.width * sx), ch = Math.round(vb.height * sy);
    var ratio = window.devicePixelRatio || 1;
    canvas.style.width = cw + "px";
    canvas.style.height = ch + "px";
    canvas.width = Math.round(cw * ratio);
    canvas.height = Math.round(ch * ratio);
    draw();
    place();
  }

  // A box's own fill, darkened by a quarter, so the palest (#f1f5f9) still shows when tiny.
  function darker(fill) {
    var m = /^#([0-9a-f]{6})$/i.exec(fill || "");
    if (!m) return "#94a3b8";
    var n = parseInt(m[1], 16), channel = function (shift) { return Math.round(((n >> shift) & 255) * 0.75); };
    return "rgb(" + channel(16) + "," + channel(8) + "," + channel(0) + ")";
  }

  function rect(c, b, colour, least) {
    var w = Math.max(least, b[2] * sx), h = Math.max(least, b[3] * sy);
    c.fillStyle = colour;
    c.fillRect((b[0] + b[2] / 2) * sx - w / 2, (b[1] + b[3] / 2) * sy - h / 2, w, h);
  }

  function draw() {
    if (!sx) return;
    var c = canvas.getContext("2d"), ratio = canvas.width / parseFloat(canvas.style.width);
    c.setTransform(ratio, 0, 0, ratio, 0, 0);
    c.clearRect(0, 0, canvas.width, canvas.height);
    Object.keys(data.boxes).forEach(function (id) {
      var b = data.boxes[id];
      if (b[2] * sx < 5 || b[3] * sy < 5) { rect(c, b, darker(fills[id]), 1.5); return; }  // no room for an outline
      rect(c, b, "#64748b", 0);
      rect(c, [b[0] + 1 / sx, b[1] + 1 / sy, b[2] - 2 / sx, b[3] - 2 / sy], fills[id], 0);
    });
    var record = now.record;
    now.done.forEach(function (id) { if (data.boxes[id]) rect(c, data.boxes[id], "#16a34a", 2); });
    (now.position ? record.parents : []).forEach(function (id) { if (data.boxes[id]) rect(c, data.boxes[id], "#f59e0b", 4); });
    if (picked) rect(c, data.boxes[picked], "#2563eb", 6);
    var current = now.position ? record.node : data.root;
    if (data.boxes[current]) rect(c, data.boxes[current], "#dc2626", 7);
  }

  // The frame: the part of the graph in the scroll box, in SVG units, then minimap px.
  function place() {
    if (!sx) return;
    var s = svg.getBoundingClientRect(), b = box.getBoundingClientRect(), k = s.width / vb.width;
    if (!k) return;
    var x0 = Math.max(0, (b.left + box.clientLeft - s.left) / k), y0 = Math.max(0, (b.top + box.clientTop - s.top) / k);
    var x1 = Math.min(vb.width, x0 + box.clientWidth / k), y1 = Math.min(vb.height, y0 + box.clientHeight / k);
    var w = Math.max(6, (x1 - x0) * sx), h = Math.max(6, (y1 - y0) * sy);
    frame.style.left = ((x0 + x1) / 2 * sx - w / 2) + "px";
    frame.style.top = ((y0 + y1) / 2 * sy - h / 2) + "px";
    frame.style.width = w + "px";
    frame.style.height = h + "px";
  }

  // Centre the scroll box on the point of the graph under the pointer.
  function moveTo(e) {
    var c = canvas.getBoundingClientRect(), s = svg.getBoundingClientRect(), b = box.getBoundingClientRect();
    var k = s.width / vb.width, x = (e.clientX - c.left) / sx * k, y = (e.clientY - c.top) / sy * k;
    box.scrollLeft += s.left + x - (b.left + box.clientLeft + box.clientWidth / 2);
    box.scrollTop += s.top + y - (b.top + box.clientTop + box.clientHeight / 2);
    place();  // now, not at the scroll event (the next frame): the frame keeps up with the pointer
  }
  var dragging = null;
  el.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || !sx) return;
    dragging = e.pointerId;
    el.setPointerCapture(e.pointerId);
    moveTo(e);
    e.preventDefault();
  });
  el.addEventListener("pointermove", function (e) { if (dragging === e.pointerId) moveTo(e); });
  var stop = function () { dragging = null; };
  el.addEventListener("pointerup", stop);
  el.addEventListener("pointercancel", stop);
  el.addEventListener("wheel", function (e) {  // the wheel over the minimap scrolls the graph
    if (e.ctrlKey || e.metaKey) return;
    box.scrollLeft += e.deltaX;
    box.scrollTop += e.deltaY;
    e.preventDefault();
  }, { passive: false });
  box.addEventListener("scroll", place);
  if (window.ResizeObserver) new ResizeObserver(place).observe(svg);  // zoomed
  return { layout: layout, draw: draw, place: place };
})();

// ---- pointing and picking -------------------------------------------------------------------

var down = null;  // where a press on the graph began: a click that moved is a drag (a pan), not a pick
box.addEventListener("pointerdown", function (e) { down = { x: e.clientX, y: e.clientY }; });
box.addEventListener("click", function (e) {
  if (down && Math.abs(e.clientX - down.x) + Math.abs(e.clientY - down.y) > 6) return;
  var node = e.target.closest("g.node"), edge = e.target.closest("g.edge");
  if (node) { pick(node.id === picked ? null : node.id); return; }
  var k = edge ? (now.record.edges || []).indexOf(edge.id) : -1;
  pick(k >= 0 ? now.record.parents[k] : null);
});
box.addEventListener("pointermove", function (e) {
  if (e.pointerType !== "mouse") return;
  var node = e.target.closest("g.node"), id = node && data.nodes[node.id] ? node.id : null;
  if (id !== pointed) { pointed = id; readout(); }
});
box.addEventListener("pointerleave", function () { if (pointed) { pointed = null; readout(); } });
lines.addEventListener("click", function (e) {
  var group = e.target.closest(".ag-edge-text"), id = group && group.getAttribute("data-parent");
  if (!id) return;
  pick(id);
  var g = byId(id);
  if (g) g.scrollIntoView({ block: "nearest", inline: "nearest" });
});

var controls = agControls(root, steps.length, show, { canvas: box });
$(".ag-digits").addEventListener("click", function () {
  full = !full;
  $(".ag-digits").setAttribute("aria-pressed", full ? "true" : "false");
  var top = lines.scrollTop;
  controls.go(controls.position());
  lines.scrollTop = top;
});
function laidOut() {
  if (!box.clientWidth) return;  // hidden (display: none): wait until shown
  minimap.layout();
  controls.laidOut();
  root.querySelectorAll("g.node text").forEach(fitText);
  controls.reveal();
  minimap.place();
}
if (window.ResizeObserver) {
  var observer = new ResizeObserver(laidOut);
  observer.observe(box);
  observer.observe($(".ag-view"));
}
window.addEventListener("resize", laidOut);
window.addEventListener("load", laidOut);
if (document.fonts && document.fonts.ready) document.fonts.ready.then(laidOut);
controls.go(0);
laidOut();
