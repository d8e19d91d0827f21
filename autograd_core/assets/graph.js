// The node stepper (autograd_core/stepper.py): one backward pass, node by node, on the graph's
// SVG. Each step marks its node (red), its parents (orange) and the nodes done (green), and
// writes out its chain rule; the grads in the boxes follow the pass.
var root = document.currentScript.closest(".ag-stepper");
var data = JSON.parse(root.querySelector(".ag-data").textContent);
var steps = data.steps, full = false;
var $ = function (selector) { return root.querySelector(selector); };
var byId = function (id) { return root.querySelector('[id="' + id + '"]'); };
var box = $(".ag-graph");

// Each node's grad is the last text of its box (centred on the box by the Python side).
var gradText = {};
Object.keys(data.start.grads).forEach(function (id) {
  var g = byId(id), texts = g ? g.querySelectorAll("text") : [];
  if (texts.length) gradText[id] = texts[texts.length - 1];
});

// Text as parts: a string, or a number [as drawn, in full] shown short with the full value on hover.
function render(el, parts) {
  el.textContent = "";
  parts.forEach(function (part) {
    if (typeof part === "string") { el.appendChild(document.createTextNode(part)); return; }
    var span = document.createElement("span");
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
    var t = gradText[id], text = "grad " + grads[id][full ? 1 : 0];
    if (t.textContent !== text) { t.textContent = text; if (measurable) fitText(t); }
    t.setAttribute("data-full", grads[id][1]);
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
  render($(".ag-heading"), record.heading);
  var lines = $(".ag-lines");
  lines.textContent = "";
  record.lines.forEach(function (parts) {
    var line = document.createElement("div");
    render(line, parts);
    lines.appendChild(line);
  });
  // At the start the pass begins at the root: bring it into view.
  return [position ? record.node : "", byId(position ? record.node : data.root)];
}

var controls = agControls(root, steps.length, show, { canvas: box });
$(".ag-digits").addEventListener("click", function () {
  full = !full;
  $(".ag-digits").setAttribute("aria-pressed", full ? "true" : "false");
  controls.go(controls.position());
});
function laidOut() {
  if (!box.clientWidth) return;  // hidden (display: none): wait until shown
  controls.laidOut();
  root.querySelectorAll("g.node text").forEach(fitText);
  controls.reveal();
}
if (window.ResizeObserver) new ResizeObserver(laidOut).observe(box);
window.addEventListener("resize", laidOut);
window.addEventListener("load", laidOut);
if (document.fonts && document.fonts.ready) document.fonts.ready.then(laidOut);
controls.go(0);
laidOut();
