// The layer stepper (nn/layer_stepper.py): one backward pass of an MLP over a batch, equation by
// equation. Each step shows its equation, operands and result; the neuron diagram fills in each δ
// for the chosen sample and colours the edges by ∂C/∂W; a click on an edge writes its chain rule.
var root = document.currentScript.closest(".ag-stepper");
var data = JSON.parse(root.querySelector(".ag-data").textContent);
var steps = data.steps, position = 0, sample = data.sample, picked = null;
var $ = function (s) { return root.querySelector(s); };
var all = function (s) { return Array.prototype.slice.call(root.querySelectorAll(s)); };
var byId = function (id) { return root.querySelector('[id="' + id + '"]'); };
// indices as the conventions lay the arrays out: samples in columns or rows, W as (out, in) or (in, out)
var at = function (unit, n) { return "[" + (data.rows ? n + "," + unit : unit + "," + n) + "]"; };
var wAt = function (j, k) { return "[" + (data.inOut ? k + "," + j : j + "," + k) + "]"; };

function span(text, full) {
  var e = document.createElement("span");
  e.textContent = text;
  if (full !== undefined) e.title = String(full);
  return e;
}

function units() {
  all(".ag-unit").forEach(function (g) {
    var l = +g.dataset.l, j = +g.dataset.j, L = data.layers[l];
    var text = g.querySelector("text"), title = g.querySelector("title");
    if (l === 0) {
      text.textContent = L.a[j][sample];
      title.textContent = "input " + j + " of sample " + sample + ": a⁰" + at(j, sample) + " = " + L.af[j][sample];
      return;
    }
    var known = position >= data.deltaStep[l], mark = L.mark[j][sample];
    text.textContent = known ? "δ " + L.d[j][sample] : "δ ?";
    text.classList.toggle("ag-pending", !known);
    var deadAlways = L.mark[j].every(function (m) { return m === "d"; });
    g.classList.toggle("ag-sat", mark === "s");
    g.classList.toggle("ag-dead", mark === "d");
    g.classList.toggle("ag-dead-always", deadAlways);
    title.textContent = L.zl[j] + ", sample " + sample + ": z = " + L.z[j][sample] + ", a = " + L.a[j][sample] +
      ", f′(z) = " + L.fp[j][sample] + (mark === "s" ? " (saturated: small f′)" : "") +
      (mark === "d" ? " (dead ReLU: f′ = 0" + (deadAlways ? " for every sample of the batch)" : ")") : "") +
      (known ? "; δ = grad of " + L.zl[j] + " = " + L.df[j][sample] : "; δ not computed yet");
  });
}

function gradsTable(table) {
  var l = +table.dataset.layer, L = data.layers[l];
  table.textContent = "";
  var head = table.insertRow();
  ["node, sample " + sample, "grad", L.sym.d + at("j", sample), "|Δ|"].forEach(function (h) {
    var th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  });
  L.zl.forEach(function (label, j) {
    var row = table.insertRow();
    row.insertCell().textContent = label + ".grad";
    row.insertCell().appendChild(span(L.g[j][sample], L.gf[j][sample]));
    row.insertCell().appendChild(span(L.d[j][sample], L.df[j][sample]));
    row.insertCell().textContent = L.dd[j][sample];
  });
}

function chain() {
  var box = $(".ag-edge-info");
  all(".ag-edge.ag-picked").forEach(function (e) { e.classList.remove("ag-picked"); });
  if (!picked) { box.hidden = true; return; }
  picked.el.classList.add("ag-picked");
  var l = picked.l, j = picked.j, k = picked.k, L = data.layers[l], P = data.layers[l - 1];
  var d = L.sym.d, a = L.sym.a, w = L.sym.dW + wAt(j, k);
  box.hidden = false;
  box.querySelector(".ag-heading").textContent = L.wl[j][k] + ": its gradient by the chain rule";
  var pre = box.querySelector(".ag-chain"), add = function (t, full) { pre.appendChild(span(t, full)); };
  pre.textContent = "";
  add(w + " = Σₙ " + d + at(j, "n") + " · " + a + at(k, "n") + "   (n = 0.." + (data.N - 1) + ")\n  = ");
  var terms = L.t[j][k], shown = terms.length <= 12 ? terms.length : 8;
  for (var i = 0; i < shown; i++) {
    var t = terms[i], neg = t.charAt(0) === "-";
    add(i === 0 ? t : (neg ? " − " + t.slice(1) : " + " + t));
  }
  if (shown < terms.length) add(" + … (" + (terms.length - shown) + " more terms)");
  if (L.pen) add("\n  + 2λ " + L.sym.W + wAt(j, k) + " = " + L.pen[j][k]);
  add("\n  = ");
  add(L.dW[j][k], L.dWf[j][k]);
  add("\nsample " + sample + ": " + d + at(j, sample) + " · " + a + at(k, sample) + " = ");
  add(L.d[j][sample], L.df[j][sample]);
  add(" × " + P.a[k][sample] + " = " + terms[sample]);
  add("\nscalar graph: " + L.wl[j][k] + ".grad = " + L.gWf[j][k] + "   (|Δ| = " +
    Math.abs(L.gWf[j][k] - L.dWf[j][k]).toExponential(1) + ")");
}

function refresh() {
  units();
  all("td.ag-sel").forEach(function (e) { e.classList.remove("ag-sel"); });
  all("td.n" + sample).forEach(function (e) { e.classList.add("ag-sel"); });
  var table = $('.ag-step[data-k="' + position + '"] .ag-grads[data-layer]');
  if (table) gradsTable(table);
  chain();
}

function show(k) {
  position = k;
  var record = position ? steps[position - 1] : null;
  all(".ag-step").forEach(function (s) { s.hidden = +s.dataset.k !== position; });
  all(".ag-current, .ag-source").forEach(function (el) { el.classList.remove("ag-current", "ag-source"); });
  all(".ag-holder").forEach(function (h) { h.classList.toggle("ag-pending", +h.dataset.done > position); });
  all(".ag-edges").forEach(function (g) {
    var l = +g.dataset.l;
    g.classList.toggle("ag-known", position >= data.dWStep[l]);
    g.classList.toggle("ag-active", !!record && record.edges === l);
  });
  root.classList.toggle("ag-dim", !!(record && record.edges));
  var current = record ? byId(record.current) : null;
  if (current) current.classList.add("ag-current");
  if (record && record.source) byId(record.source).classList.add("ag-source");
  refresh();
  return [record ? record.current : "", current];
}

$(".ag-sample").addEventListener("change", function (e) { sample = +e.target.value; refresh(); });
root.addEventListener("click", function (e) {
  var edge = e.target.closest && e.target.closest(".ag-edge");
  if (!edge) return;
  picked = { el: edge, l: +edge.dataset.l, j: +edge.dataset.j, k: +edge.dataset.k };
  chain();
});
agControls(root, steps.length, show).go(0);
