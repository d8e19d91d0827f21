// The layer stepper (nn/layer_stepper.py): one backward pass of an MLP over a batch, equation by
// equation. The numbers come as compact JSON (float64 arrays in base64; the scalar graph's numbers
// as int8 distances in ulps from the matrix view's); this script draws the pictures: small arrays
// as tables of numbers, larger ones as heatmaps, square-image axes as images. Any cell can be
// picked (click, tap, or the arrow keys on a focused picture) and is read out in full, with its
// node in the scalar graph and, for a weight, its chain rule.
var root = document.currentScript.closest(".ag-stepper");
var data = JSON.parse(root.querySelector(".ag-data").textContent);
var steps = data.steps, N = data.N, sample = data.sample, position = 0, picked = null;
var $ = function (selector) { return root.querySelector(selector); };
var SUPER = "⁰¹²³⁴⁵⁶⁷⁸⁹";

// ---- the numbers --------------------------------------------------------------------------
function bytes(b64) {
  var s = atob(b64), u = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}
var decoded = {};
function arr(id) {
  if (decoded[id]) return decoded[id];
  var e = data.arrays[id], v;
  if (e.f64) v = new Float64Array(bytes(e.f64).buffer);
  else {  // an update: W - lr * dW, the same two IEEE operations numpy does, so the same bits
    var old = arr(e.derive[0]).v, grad = arr(e.derive[1]).v, lr = e.derive[2];
    v = new Float64Array(old.length);
    for (var i = 0; i < v.length; i++) v[i] = old[i] - lr * grad[i];
  }
  var a = { id: id, shape: e.shape, v: v, scalar: null, largest: 0, low: Infinity, high: -Infinity };
  for (var k = 0; k < v.length; k++) {
    a.largest = Math.max(a.largest, Math.abs(v[k]));
    a.low = Math.min(a.low, v[k]);
    a.high = Math.max(a.high, v[k]);
  }
  if (e.ulps) {  // the scalar graph's numbers: neighbours of the matrix view's, as int64 bit patterns
    var s = new Float64Array(v), bits = new BigInt64Array(s.buffer), d = new Int8Array(bytes(e.ulps).buffer), f = 0;
    for (var j = 0; j < d.length; j++) {
      if (d[j] === -128) s[j] = e.far[f++];
      else if (d[j] !== 0) bits[j] += BigInt(d[j]);
    }
    a.scalar = s;
  }
  decoded[id] = a;
  return a;
}
// How a picture lays an array out: a vector as one row, a matrix as it is (r, c: rows and columns
// drawn; v(r, c): the number there; ij(r, c): its index in the array; rc(i, j): back).
function grid(a) {
  if (a.shape.length === 1) {
    return { r: 1, c: a.shape[0], v: function (r, c) { return a.v[c]; },
             ij: function (r, c) { return [c, 0]; }, rc: function (i) { return [0, i]; } };
  }
  return { r: a.shape[0], c: a.shape[1], v: function (r, c) { return at(a, r, c); },
           ij: function (r, c) { return [r, c]; }, rc: function (i, j) { return [i, j]; } };
}
function rowsOf(a) { return a.shape[0]; }
function colsOf(a) { return a.shape.length > 1 ? a.shape[1] : 1; }
function at(a, i, j) { return a.v[i * colsOf(a) + j]; }

// A number as Python writes it (repr), and as drawn (4 significant digits, as num_text).
function full(x) {
  if (x === 0) return 1 / x < 0 ? "-0.0" : "0.0";
  if (!isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
  var parts = x.toExponential().split("e"), exp = +parts[1], mant = parts[0];
  if (exp < -4 || exp >= 16) return mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
  var sign = x < 0 ? "-" : "", digits = mant.replace("-", "").replace(".", "");
  if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
  if (digits.length <= exp + 1) return sign + digits + "0".repeat(exp + 1 - digits.length) + ".0";
  return sign + digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
}
function strip(s) { return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, ""); }
function short(x) {
  if (x === 0) return "0";
  var parts = x.toExponential(3).split("e"), exp = +parts[1];
  if (exp < -4 || exp >= 4) return strip(parts[0]) + "e" + exp;
  return strip(x.toFixed(Math.max(0, 3 - exp)));
}

// One colour rule for signed numbers (nn/matrix_picture.py: signed_color), and grey for pixels.
function signed(v, largest) {
  if (!largest || !v) return "#ffffff";
  var t = Math.min(1, Math.abs(v) / largest), rgb = v > 0 ? data.pos : data.neg;
  return "#" + rgb.map(function (c) { return Math.round(255 + (c - 255) * t).toString(16).padStart(2, "0"); }).join("");
}
function gray(v, a) {
  var t = a.high > a.low ? (v - a.low) / (a.high - a.low) : 0, g = Math.round(255 * (1 - t));
  return "rgb(" + g + "," + g + "," + g + ")";
}
function colour(pic, a, v) { return pic.gray ? gray(v, a) : signed(v, a.largest); }

// ---- pictures: a table of numbers, a heatmap, or images; every cell can be picked --------------
var NUMBERS_ROWS = 24, NUMBERS_COLS = 16, CELL_W = 42;

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// The sample a cell belongs to (its index along the sample axis), or null.
function sampleOf(pic, i, j) { return pic.samples === null || pic.samples === undefined ? null : pic.samples === 0 ? i : j; }

// How a picture is drawn at a width: "numbers", "images" or "heat".
function modeOf(pic, a, maxW) {
  if (pic.image !== null && pic.image !== undefined) return "images";
  var G = grid(a);
  return G.r <= NUMBERS_ROWS && G.c <= NUMBERS_COLS && G.c * CELL_W <= maxW ? "numbers" : "heat";
}

function picture(pic, opts) {
  var a = arr(pic.a), fig = el("figure", "ag-pic ag-keys" + (opts.cls ? " " + opts.cls : ""));
  fig.tabIndex = 0;
  fig.dataset.array = pic.a;
  var shape = "(" + a.shape.join(", ") + (a.shape.length === 1 ? "," : "") + ")";
  var cap = el("figcaption", null, pic.sym + " ");
  cap.appendChild(el("span", "ag-shape", shape));
  fig.appendChild(cap);
  if (opts.pending) {
    fig.classList.add("ag-pending");
    fig.appendChild(el("div", "ag-later", "computed at step " + opts.pending));
    return fig;
  }
  var mode = modeOf(pic, a, opts.maxW), body;
  fig.dataset.mode = mode;
  if (mode === "numbers") body = numbersTable(pic, a);
  else body = canvasPicture(pic, a, mode, opts.maxW, opts.maxH);
  fig.appendChild(body);
  fig.addEventListener("keydown", function (e) { moveWithKeys(e, pic, a); });
  fig._pic = pic;
  return fig;
}

function numbersTable(pic, a) {
  var table = el("table", "ag-mat"), G = grid(a);
  for (var r = 0; r < G.r; r++) {
    var tr = table.insertRow();
    for (var c = 0; c < G.c; c++) {
      var v = G.v(r, c), td = tr.insertCell();
      td.textContent = short(v);
      td.style.background = colour(pic, a, v);
      if (pic.gray ? (v - a.low) > 0.55 * (a.high - a.low) : Math.abs(v) > 0.55 * a.largest) td.style.color = "#fff";
      td.dataset.r = r;
      td.dataset.c = c;
      td.title = full(v);
    }
  }
  table.addEventListener("click", function (e) {
    var td = e.target.closest("td");
    if (td) { var ij = G.ij(+td.dataset.r, +td.dataset.c); pick(pic, ij[0], ij[1]); }
  });
  table._mark = function () {
    var p = picked && picked.array === pic.a ? G.rc(picked.i, picked.j) : null;
    for (var r = 0; r < G.r; r++) for (var c = 0; c < G.c; c++) {
      var td = table.rows[r].cells[c], ij = G.ij(r, c);
      td.classList.toggle("ag-sel", sampleOf(pic, ij[0], ij[1]) === sample);
      td.classList.toggle("ag-picked", !!p && p[0] === r && p[1] === c);
    }
  };
  table._mark();
  return table;
}

// A canvas: one tile (a heatmap of the array), or one tile per index of the non-image axis (an
// image per sample, or per unit of ∂C/∂W¹); ``layout`` maps a canvas pixel to a cell and back.
function canvasPicture(pic, a, mode, maxW, maxH) {
  var r = rowsOf(a), c = colsOf(a), L;
  if (mode === "images") {
    var ia = pic.image, n = a.shape[ia], side = Math.round(Math.sqrt(n)), tiles = a.shape[1 - ia], gap = 3;
    var k = Math.max(1, Math.min(4, Math.floor((maxW + gap) / (Math.min(tiles, 10) * (side + gap)))));
    var perRow = Math.max(1, Math.min(tiles, Math.floor((maxW + gap) / (side * k + gap))));
    while (k > 1 && Math.ceil(tiles / perRow) * (side * k + gap) > maxH) {
      k -= 1;
      perRow = Math.max(1, Math.min(tiles, Math.floor((maxW + gap) / (side * k + gap))));
    }
    L = {
      w: perRow * (side * k + gap) - gap, h: Math.ceil(tiles / perRow) * (side * k + gap) - gap, k: k,
      cell: function (x, y) {
        var t = Math.floor(y / (side * k + gap)) * perRow + Math.floor(x / (side * k + gap));
        var px = Math.floor((x % (side * k + gap)) / k), py = Math.floor((y % (side * k + gap)) / k);
        if (t >= tiles || px >= side || py >= side) return null;
        var p = py * side + px;
        return ia === 0 ? [p, t] : [t, p];
      },
      box: function (i, j) {
        var t = ia === 0 ? j : i, p = ia === 0 ? i : j;
        var x0 = (t % perRow) * (side * k + gap), y0 = Math.floor(t / perRow) * (side * k + gap);
        return [x0 + (p % side) * k, y0 + Math.floor(p / side) * k, k, k];
      },
      tile: function (t) { return [(t % perRow) * (side * k + gap), Math.floor(t / perRow) * (side * k + gap), side * k, side * k]; },
      tileOf: function (i, j) { return ia === 0 ? j : i; },
      tileIsSample: pic.samples !== null && pic.samples !== undefined,
    };
  } else {
    var G = grid(a), s = Math.max(1, Math.min(G.r === 1 ? 28 : 14, Math.floor(maxW / G.c), Math.floor(maxH / G.r)));
    L = {
      w: G.c * s, h: G.r * s, k: s,
      cell: function (x, y) {
        var rr = Math.floor(y / s), cc = Math.floor(x / s);
        return rr < G.r && cc < G.c ? G.ij(rr, cc) : null;
      },
      box: function (i, j) { var rc = G.rc(i, j); return [rc[1] * s, rc[0] * s, s, s]; },
    };
  }
  var canvas = el("canvas", "ag-canvas");
  canvas.width = L.w;
  canvas.height = L.h;
  canvas.style.width = Math.min(L.w, maxW) + "px";
  var g = canvas.getContext("2d");
  function draw() {
    g.clearRect(0, 0, L.w, L.h);
    for (var i = 0; i < r; i++) for (var j = 0; j < c; j++) {
      var b = L.box(i, j);
      g.fillStyle = colour(pic, a, at(a, i, j));
      g.fillRect(b[0], b[1], b[2], b[3]);
    }
    g.strokeStyle = "#0f172a";
    g.lineWidth = 1;
    if (pic.samples !== null && pic.samples !== undefined) {  // the chosen sample
      if (L.tile && L.tileIsSample) { var tb = L.tile(sample); g.strokeRect(tb[0] + 0.5, tb[1] + 0.5, tb[2] - 1, tb[3] - 1); }
      else if (!L.tile) {
        var sb = pic.samples === 0 ? [0, sample * L.k, L.w, L.k] : [sample * L.k, 0, L.k, L.h];
        g.strokeRect(sb[0] + 0.5, sb[1] + 0.5, Math.max(1, sb[2] - 1), Math.max(1, sb[3] - 1));
      }
    }
    if (picked && picked.array === pic.a) {
      var pb = L.box(picked.i, picked.j);
      g.lineWidth = 2;
      g.strokeStyle = "#f59e0b";
      g.strokeRect(pb[0] - 1, pb[1] - 1, pb[2] + 2, pb[3] + 2);
    }
  }
  draw();
  canvas._mark = draw;
  canvas.addEventListener("click", function (e) {
    var rect = canvas.getBoundingClientRect(), scale = L.w / rect.width;
    var cell = L.cell((e.clientX - rect.left) * scale, (e.clientY - rect.top) * scale);
    if (cell) pick(pic, cell[0], cell[1]);
  });
  return canvas;
}

// On a focused picture, the arrow keys move the picked cell (Escape gives the keys back to stepping).
function moveWithKeys(e, pic, a) {
  var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  if (e.key === "Escape") { root.focus(); return; }
  if (!(e.key in moves)) return;
  e.preventDefault();
  var G = grid(a), m = moves[e.key];
  var here = picked && picked.array === pic.a ? G.rc(picked.i, picked.j) : [0, -m[1]];
  var r = Math.max(0, Math.min(G.r - 1, here[0] + m[0])), c = Math.max(0, Math.min(G.c - 1, here[1] + m[1]));
  var ij = G.ij(r, c);
  pick(pic, ij[0], ij[1]);
}

// ---- picking: the readout ----------------------------------------------------------------
function pick(pic, i, j, extra) {
  picked = { array: pic.a, pic: pic, i: i, j: j, extra: extra || null };
  remark();
  readout();
}

function remark() {
  root.querySelectorAll("table.ag-mat, canvas.ag-canvas").forEach(function (e) { if (e._mark) e._mark(); });
  markDiagram();
}

function index(a, i, j) { return a.shape.length === 1 ? "[" + i + "]" : "[" + i + "," + j + "]"; }

function nodeName(pic, i, j) {
  return pic.node.replace("{0}", i).replace("{1}", j);
}

function readout() {
  var box = $(".ag-readout");
  box.textContent = "";
  if (!picked) { box.textContent = "Pick a cell (click, tap, or the arrow keys on a picture) to read it in full."; return; }
  var pic = picked.pic, a = arr(pic.a), i = picked.i, j = picked.j, v = at(a, i, j);
  var s = sampleOf(pic, i, j), lines = [];
  lines.push(pic.sym + index(a, i, j) + " = " + full(v) + (s !== null ? "   (sample " + s + ")" : ""));
  if (pic.node) {
    var node = nodeName(pic, i, j) + "." + pic.what, of = s !== null ? " of sample " + s : "";
    if (a.scalar) {
      var sv = a.scalar[i * colsOf(a) + j];
      lines.push("scalar graph: " + node + of + " = " + full(sv) + "   (|Δ| = " + Math.abs(sv - v).toExponential(1) + ")");
    } else lines.push("scalar graph: " + node + of);
  }
  if (pic.chain) lines = lines.concat(chainRule(pic, a, i, j));
  lines.forEach(function (line, k) { box.appendChild(document.createTextNode((k ? "\n" : "") + line)); });
  if (picked.extra) box.appendChild(picked.extra);
}

// ∂C/∂W^l[j,k] = Σ_n δ^l[j,n] a^{l-1}[k,n] (+ 2λ W^l[j,k]): each term is one IEEE product, as numpy's.
function chainRule(pic, a, i, j) {
  var d = arr(pic.chain.d), x = arr(pic.chain.a), unit = data.inOut ? j : i, input = data.inOut ? i : j;
  var dAt = function (n) { return data.rows ? at(d, n, unit) : at(d, unit, n); };
  var xAt = function (n) { return data.rows ? at(x, n, input) : at(x, input, n); };
  var dName = pic.chain.dSym, lName = pic.chain.aSym;
  var terms = [], shown = N <= 12 ? N : 8;
  for (var n = 0; n < N; n++) terms.push(dAt(n) * xAt(n));
  var lines = [pic.sym + index(a, i, j) + " = Σₙ " + dName + idx(unit, "n") + " · " + lName + idx(input, "n") + "   (n = 0.." + (N - 1) + ")"];
  var text = "  = " + terms.slice(0, shown).map(function (t, k) { return k === 0 ? short(t) : (t < 0 ? " − " + short(-t) : " + " + short(t)); }).join("");
  if (shown < N) text += " + … (" + (N - shown) + " more terms)";
  lines.push(text);
  if (pic.chain.penalty) lines.push("  + 2λ W" + index(a, i, j) + " = " + full(at(arr(pic.chain.penalty), i, j)));
  lines.push("  = " + full(at(a, i, j)));
  lines.push("sample " + sample + ": " + dName + idx(unit, sample) + " · " + lName + idx(input, sample) + " = " +
    full(dAt(sample)) + " × " + full(xAt(sample)) + " = " + full(terms[sample]));
  return lines;
  function idx(u, n) { return "[" + (data.rows ? n + "," + u : u + "," + n) + "]"; }
}

// ---- the diagram: the neurons, or every layer's matrices ----------------------------------
var SVGNS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) {
  var e = document.createElementNS(SVGNS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}

// The δ of layer l for the chosen sample (and whether it is known at this step).
function deltaOf(l, j) {
  var d = arr(data.layers[l].delta);
  return data.rows ? at(d, sample, j) : at(d, j, sample);
}
function layerValue(l, key, j) {
  var a = arr(data.layers[l][key]);
  return data.rows ? at(a, sample, j) : at(a, j, sample);
}

function neuronDiagram(width) {
  var layers = data.layers, L = layers.length - 1, top = 40, boxW = 84, boxH = 20, gapY = 26;
  var H = Math.max(160, Math.min(440, Math.max.apply(null, layers.map(function (layer, l) {
    return l === 0 && layer.image ? 4 * layer.image : layer.n <= 16 ? layer.n * gapY : layer.n * 4;
  }))));
  var gap = Math.max(60, (width - boxW - 16) / L), colX = function (l) { return 8 + l * gap; };
  var svg = svgEl("svg", { class: "ag-net", width: width, height: H + top + 8, viewBox: "0 0 " + width + " " + (H + top + 8) });
  var spots = [], heads = [];  // per layer: the centre of each unit (y), and how it is drawn; its heading
  layers.forEach(function (layer, l) {
    var n = layer.n, boxes = n <= 16, x = colX(l), s;
    if (l === 0 && layer.image) {
      s = Math.max(1, Math.floor(Math.min(H, gap - 24) / layer.image));
      spots.push({ mode: "image", x: x, y0: top + (H - layer.image * s) / 2, s: s, n: n });
    } else if (boxes) {
      var y0 = top + (H - n * gapY) / 2;
      spots.push({ mode: "boxes", x: x, y0: y0, n: n, y: function (j) { return this.y0 + j * gapY + boxH / 2; } });
    } else {
      s = Math.max(2, Math.min(14, Math.floor(H / n)));
      spots.push({ mode: "cells", x: x, y0: top + (H - n * s) / 2, s: s, n: n, y: function (j) { return this.y0 + j * s + s / 2; } });
    }
    var cx = x + (l === 0 && layer.image ? layer.image * spots[l].s / 2 : spots[l].mode === "cells" ? spots[l].s / 2 : boxW / 2);
    var image = layer.image ? layer.image + "×" + layer.image + " image" : n + " inputs";
    heads.push({ cx: cx,
      long: l === 0 ? ["input x = a⁰", image] : ["layer " + l + " · " + layer.f, n + " unit" + (n > 1 ? "s" : "")],
      short: l === 0 ? ["x = a⁰", image] : ["layer " + l, n + " " + layer.f] });
  });
  // Each column's heading, centred over it; the short form when two would overlap (a narrow
  // picture), and anchored at an edge when centring would cut it. Widths are estimated from the
  // length (measuring text fails while the page is hidden).
  var half = function (text) { return 3.4 * text.length; };
  var crowded = heads.some(function (h, i) {
    return i > 0 && h.long.some(function (line, r) { return heads[i - 1].cx + half(heads[i - 1].long[r]) + 6 > h.cx - half(line); });
  });
  heads.forEach(function (h) {
    (crowded ? h.short : h.long).forEach(function (line, i) {
      var anchor = h.cx - half(line) < 2 ? "start" : h.cx + half(line) > width - 2 ? "end" : "middle";
      var t = svgEl("text", { x: anchor === "start" ? 2 : anchor === "end" ? width - 2 : h.cx, y: 13 + 14 * i, "text-anchor": anchor, class: "ag-col" });
      t.textContent = line;
      svg.appendChild(t);
    });
  });
  var largest = 0;
  for (var l = 1; l <= L; l++) if (position >= layers[l].dWStep) largest = Math.max(largest, arr(layers[l].dW.a).largest);
  for (var l2 = 1; l2 <= L; l2++) svg.appendChild(edges(l2, spots, largest));
  layers.forEach(function (layer, l) { svg.appendChild(units(l, spots[l])); });
  return svg;

  function edges(l, spots, largest) {
    var g = svgEl("g", { class: "ag-edges", "data-l": l }), from = spots[l - 1], to = spots[l];
    var known = position >= layers[l].dWStep, dW = arr(layers[l].dW.a), nIn = layers[l - 1].n, nOut = layers[l].n;
    var x1 = from.mode === "image" ? from.x + from.s * layers[0].image : from.x + (from.mode === "boxes" ? boxW : from.s);
    if (from.mode === "image" || nIn * nOut > 800) {  // too many to draw: a band, and the units to pick
      var y1a = from.y0, y1b = from.mode === "image" ? from.y0 + from.s * layers[0].image : from.y0 + nIn * (from.mode === "boxes" ? gapY : from.s);
      var y2a = to.y0, y2b = to.y0 + nOut * (to.mode === "boxes" ? gapY : to.s);
      var band = svgEl("polygon", { points: [x1, y1a, to.x, y2a, to.x, y2b, x1, y1b].join(" "), class: "ag-band" + (known ? " ag-known" : "") });
      var t = svgEl("title", {});
      t.textContent = nIn + " × " + nOut + " weights W" + SUPER[l] + ": pick a unit of layer " + l + " to see its row of ∂C/∂W" + SUPER[l] + (layers[0].image && l === 1 ? " as an image" : "");
      band.appendChild(t);
      g.appendChild(band);
      return g;
    }
    // widths on one scale for all layers (a vanishing gradient shows as thin edges), at most
    // 5 px where a unit has 16 edges or fewer, thinner where more meet, so they do not merge
    var widest = 4.4 * Math.min(1, 16 / Math.max(nIn, nOut));
    for (var j = 0; j < nOut; j++) for (var k = 0; k < nIn; k++) {
      var w = data.inOut ? at(dW, k, j) : at(dW, j, k);
      var e = svgEl("g", { class: "ag-edge", "data-l": l, "data-j": j, "data-k": k });
      var coords = { x1: x1, y1: from.y(k), x2: to.x, y2: to.y(j) };
      e.appendChild(svgEl("line", Object.assign({ class: "ag-hit" }, coords)));
      var line = svgEl("line", Object.assign({ class: "ag-line" }, coords));
      if (known) {
        line.style.stroke = w ? signed(w, Math.abs(w)) : "#94a3b8";
        line.style.strokeWidth = (0.6 + (largest ? widest * Math.abs(w) / largest : 0)).toFixed(2) + "px";
      }
      e.appendChild(line);
      g.appendChild(e);
    }
    return g;
  }

  function units(l, spot) {
    var layer = layers[l], g = svgEl("g", { class: "ag-layer", id: "ag-layer-" + l, "data-l": l });
    if (spot.mode === "image") {
      var a = arr(layer.pic.a), side = layer.image, c = document.createElement("canvas");
      c.width = side; c.height = side;
      var cg = c.getContext("2d");
      for (var p = 0; p < side * side; p++) {
        cg.fillStyle = gray(data.rows ? at(a, sample, p) : at(a, p, sample), a);
        cg.fillRect(p % side, Math.floor(p / side), 1, 1);
      }
      var img = svgEl("image", { x: spot.x, y: spot.y0, width: side * spot.s, height: side * spot.s, class: "ag-input-image", preserveAspectRatio: "none" });
      img.setAttribute("href", c.toDataURL());
      img.style.imageRendering = "pixelated";
      g.appendChild(img);
      return g;
    }
    var known = l > 0 && position >= layer.deltaStep;
    var biggest = 0;
    if (known) for (var q = 0; q < layer.n; q++) biggest = Math.max(biggest, Math.abs(deltaOf(l, q)));
    for (var j = 0; j < layer.n; j++) {
      var u = svgEl("g", { class: "ag-unit", "data-l": l, "data-j": j });
      var y = spot.y(j), d = known ? deltaOf(l, j) : 0;
      if (l > 0) {
        var fp = layerValue(l, "fp", j), dead = layer.f === "relu" && fp === 0;
        u.classList.toggle("ag-sat", layer.saturates && fp < data.saturated * layer.fp0);
        u.classList.toggle("ag-dead", dead);
        u.classList.toggle("ag-dead-always", dead && deadForAll(l, j));
      }
      if (spot.mode === "boxes") {
        u.appendChild(svgEl("rect", { x: spot.x, y: y - boxH / 2, width: boxW, height: boxH, rx: 4 }));
        var text = svgEl("text", { x: spot.x + boxW / 2, y: y + 4, "text-anchor": "middle", class: known || l === 0 ? "" : "ag-pending" });
        text.textContent = l === 0 ? short(layerValue0(j)) : known ? "δ " + short(d) : "δ ?";
        u.appendChild(text);
      } else {
        var r = svgEl("rect", { x: spot.x, y: y - spot.s / 2, width: spot.s, height: Math.max(1, spot.s - 1) });
        if (known) r.setAttribute("style", "fill:" + signed(d, biggest));
        u.appendChild(r);
      }
      g.appendChild(u);
    }
    return g;
  }
  function layerValue0(k) { var a = arr(layers[0].pic.a); return data.rows ? at(a, sample, k) : at(a, k, sample); }
}

// A ReLU unit whose f′(z) is 0 for every sample of the batch: dead for this batch.
function deadForAll(l, j) {
  var fp = arr(data.layers[l].fp);
  for (var n = 0; n < N; n++) if ((data.rows ? at(fp, n, j) : at(fp, j, n)) !== 0) return false;
  return true;
}

// A unit picked in the diagram: its numbers for the chosen sample, and for a unit whose inputs are
// an image, its row of ∂C/∂W as an image (what this unit's gradient looks like).
function pickUnit(l, j) {
  var layer = data.layers[l];
  if (l === 0) {
    pick(layer.pic, data.rows ? sample : j, data.rows ? j : sample);
    return;
  }
  var known = position >= layer.deltaStep, pic = { a: layer.delta, sym: layer.sym.d, samples: data.rows ? 0 : 1, node: layer.zNode, what: "grad" };
  var extra = el("div", "ag-unitinfo");
  extra.textContent = "\n" + layer.zNode.replace("{0}", j) + " of sample " + sample + ": z = " + full(layerValue(l, "z", j)) +
    ", a = " + full(layerValue(l, "a", j)) + ", f′(z) = " + full(layerValue(l, "fp", j)) + (known ? "" : "; δ not computed yet");
  if (l === 1 && data.layers[0].image && position >= layer.dWStep) {
    var row = { a: layer.dW.a, sym: layer.dW.sym, samples: null, image: layer.dW.image, node: layer.dW.node, what: "grad" };
    var a = arr(row.a), side = data.layers[0].image, c = document.createElement("canvas"), k = 4;
    c.width = c.height = side * k;
    var g = c.getContext("2d");
    for (var p = 0; p < side * side; p++) {
      g.fillStyle = signed(data.inOut ? at(a, p, j) : at(a, j, p), a.largest);
      g.fillRect((p % side) * k, Math.floor(p / side) * k, k, k);
    }
    var cap = el("div", "ag-unitcap", "its row of " + row.sym + " (" + side + "×" + side + "), the gradient of its weights:");
    extra.appendChild(cap);
    extra.appendChild(c);
  }
  if (known) pick(pic, data.rows ? sample : j, data.rows ? j : sample, extra);
  else { picked = null; remark(); $(".ag-readout").textContent = ""; $(".ag-readout").appendChild(extra); }
}

function markDiagram() {
  root.querySelectorAll(".ag-unit.ag-picked, .ag-edge.ag-picked").forEach(function (e) { e.classList.remove("ag-picked"); });
  if (!picked) return;
  var layer = null;
  data.layers.forEach(function (L, l) { if (l > 0 && (L.delta === picked.array)) layer = l; });
  if (layer !== null) {
    var j = data.rows ? picked.j : picked.i, u = root.querySelector('.ag-unit[data-l="' + layer + '"][data-j="' + j + '"]');
    if (u) u.classList.add("ag-picked");
  }
  data.layers.forEach(function (L, l) {
    if (l > 0 && L.dW.a === picked.array) {
      var jj = data.inOut ? picked.j : picked.i, kk = data.inOut ? picked.i : picked.j;
      var e = root.querySelector('.ag-edge[data-l="' + l + '"][data-j="' + jj + '"][data-k="' + kk + '"]');
      if (e) e.classList.add("ag-picked");
    }
  });
}

function matrixDiagram(width) {
  var box = el("div", "ag-matrices");
  for (var l = data.layers.length - 1; l >= 1; l--) {
    var row = el("div", "ag-mrow ag-layer"), layer = data.layers[l];
    row.id = "ag-layer-" + l;
    row.appendChild(el("div", "ag-mlabel", "layer " + l + " · " + layer.f));
    steps.forEach(function (s, k) {
      if (s.layer !== l || s.eq === "update") return;
      var done = position >= k + 1;
      row.appendChild(picture(s.result, { maxW: Math.max(120, (width - 90) / 3), maxH: 140, pending: done ? 0 : k + 1, cls: position === k + 1 ? "ag-now" : "" }));
    });
    box.appendChild(row);
  }
  return box;
}

function drawDiagram() {
  var holder = $(".ag-diagram"), width = Math.max(240, holder.clientWidth || root.clientWidth - 40);
  holder.textContent = "";
  holder.appendChild(data.view === "matrix" ? matrixDiagram(width) : neuronDiagram(width));
  var record = position ? steps[position - 1] : null;
  if (record) {
    var current = root.querySelector("#ag-layer-" + record.layer);
    if (current) current.classList.add("ag-active-layer");
  }
  markDiagram();
}

// ---- a step ---------------------------------------------------------------------------------
function show(k) {
  position = k;
  var record = k ? steps[k - 1] : null, focus = $(".ag-focus"), width = Math.max(200, focus.clientWidth || root.clientWidth - 32);
  var resultBox = $(".ag-result"), operands = $(".ag-operands"), side = $(".ag-side");
  resultBox.textContent = "";
  operands.textContent = "";
  side.textContent = "";
  if (!record) {
    $(".ag-stephead").textContent = "Start: the forward pass is done; the backward pass is next";
    $(".ag-formula").textContent = "C = " + data.loss + "   (" + data.reduction + " over the " + N + " sample" + (N > 1 ? "s" : "") + " of the batch)";
    var plan = el("ol", "ag-plan");
    data.plan.forEach(function (p) { var li = el("li"); li.appendChild(el("b", null, p.eq + " ")); li.appendChild(document.createTextNode(p.formula)); plan.appendChild(li); });
    resultBox.appendChild(plan);
    side.textContent = "Each step shows its equation, its result and its operands, with the same numbers read from the " +
      "scalar graph's grads. " + data.legend + ".";
  } else {
    $(".ag-stephead").textContent = record.heading;
    $(".ag-formula").textContent = record.formula;
    var maxH = Math.max(120, Math.min(320, window.innerHeight - $(".ag-bar").getBoundingClientRect().height - 190));
    var result = picture(record.result, { maxW: width, maxH: maxH, cls: "ag-current" });
    result.id = "ag-result-" + k;
    resultBox.appendChild(result);
    side.textContent = record.side + "; largest |matrix − scalar| in this step: " + record.diff.toExponential(1) +
      (record.ok ? " ✔ equal to 1e-12" : " ✘ differ by more than 1e-12");
    record.operands.forEach(function (o, i) {
      if (i) operands.appendChild(el("span", "ag-arrow", " "));
      operands.appendChild(picture(o, { maxW: Math.max(160, operands.clientWidth || width), maxH: 220 }));
    });
  }
  drawDiagram();
  readout();
  return [record ? "ag-result-" + k : "", record ? $(".ag-focus") : null];
}

// The pictures are drawn for the width they have: draw them again when it changes (not when the
// readout grows, which changes only the height).
var resizing = null, drawnWidth = $(".ag-focus").clientWidth;
if (window.ResizeObserver) new ResizeObserver(function () {
  var w = $(".ag-focus").clientWidth;
  if (w === drawnWidth) return;
  drawnWidth = w;
  if (resizing) cancelAnimationFrame(resizing);
  resizing = requestAnimationFrame(function () { show(position); });
}).observe($(".ag-focus"));

$(".ag-sample").addEventListener("change", function (e) { sample = +e.target.value; show(position); });
root.addEventListener("click", function (e) {
  var edge = e.target.closest && e.target.closest(".ag-edge");
  if (edge) {
    var l = +edge.dataset.l, j = +edge.dataset.j, kk = +edge.dataset.k, dW = data.layers[l].dW;
    pick(dW, data.inOut ? kk : j, data.inOut ? j : kk);
    return;
  }
  var unit = e.target.closest && e.target.closest(".ag-unit");
  if (unit) pickUnit(+unit.dataset.l, +unit.dataset.j);
});
agControls(root, steps.length, show).go(0);
