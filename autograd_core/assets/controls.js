// The controls both step-through pages share, in the DOM contract of docs/architecture.md: the
// buttons .ag-prev, .ag-next and .ag-play, the slider .ag-slider, the position .ag-position
// ("k / n"), the keys ← → (Home / End: first / last), data-step and data-current on the root, and
// the current element brought into view below the sticky bar .ag-bar at every step.
//
// A page's own script calls agControls(root, count, show): show(k) draws step k (0 = the start)
// and returns [the id of the current element, or "" at the start; the element to bring into view,
// or null]. With options.canvas (a scroll box holding an SVG drawing), the page also zooms (.ag-zoom-in,
// .ag-zoom-out, the + and − keys, Ctrl + wheel), fits (.ag-fit-toggle) and pans (drag).
function agControls(root, count, show, options) {
  options = options || {};
  var note = root.querySelector(".ag-noscript");
  if (note) note.remove();  // the script runs
  var position = 0, timer = null;
  var $ = function (selector) { return root.querySelector(selector); };
  var slider = $(".ag-slider"), bar = $(".ag-bar"), canvas = options.canvas || null, revealed = null;

  // Bring el into view: first inside the canvas (when it holds el), then in the window, below the bar.
  function reveal(el) {
    revealed = el;
    if (!el || !root.clientWidth) return;
    var r;
    if (canvas && canvas.contains(el) && canvas.clientWidth) {
      var b = canvas.getBoundingClientRect(), m = 16;
      r = el.getBoundingClientRect();
      if (r.left < b.left + m || r.right > b.left + canvas.clientWidth - m)
        canvas.scrollLeft += r.left + r.width / 2 - (b.left + canvas.clientWidth / 2);
      if (r.top < b.top + m || r.bottom > b.top + canvas.clientHeight - m)
        canvas.scrollTop += r.top + r.height / 2 - (b.top + canvas.clientHeight / 2);
    } else {
      el.scrollIntoView({ block: "nearest", inline: "nearest" });  // inside any box that scrolls it
    }
    r = el.getBoundingClientRect();
    var top = bar.getBoundingClientRect().bottom + 4, bottom = window.innerHeight - 4;
    if (r.top < top) window.scrollBy(0, r.top - top);
    else if (r.bottom > bottom) window.scrollBy(0, Math.min(r.bottom - bottom, r.top - top));
  }

  function go(k) {
    position = Math.max(0, Math.min(count, k));
    var shown = show(position);
    $(".ag-position").textContent = position + " / " + count;
    slider.value = String(position);
    root.setAttribute("data-step", String(position));
    root.setAttribute("data-current", shown[0]);
    $(".ag-prev").disabled = position === 0;
    $(".ag-next").disabled = position === count;
    reveal(shown[1]);
  }

  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    $(".ag-play").textContent = "▶ Play";
  }
  function play() {
    if (position === count) go(0);
    $(".ag-play").textContent = "⏸ Pause";
    timer = setInterval(function () { if (position >= count) pause(); else go(position + 1); }, 900);
  }

  $(".ag-prev").addEventListener("click", function () { pause(); go(position - 1); });
  $(".ag-next").addEventListener("click", function () { pause(); go(position + 1); });
  $(".ag-play").addEventListener("click", function () { if (timer === null) play(); else pause(); });
  slider.addEventListener("input", function () { pause(); go(parseInt(slider.value, 10)); });
  var zoom = canvas ? agZoom(root, canvas, function () { reveal(revealed); }) : null;
  // A page of its own listens to the keys anywhere on it; a stepper inline in a notebook (where the
  // arrow keys move between cells) only while it has the focus (a click on it gives it the focus).
  var standalone = root.getAttribute("data-standalone") === "1";
  if (!standalone) root.addEventListener("mousedown", function (e) {
    if (!e.target.closest("input, select, button, .ag-keys")) root.focus({ preventScroll: true });
  });
  (standalone ? document : root).addEventListener("keydown", function (e) {
    // The slider, the page's own inputs and the pictures that take keys (.ag-keys) handle their
    // keys; with several steppers on a page, only the focused one listens.
    var tag = e.target.tagName;
    if (e.target === slider || tag === "SELECT" || tag === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target.closest && e.target.closest(".ag-keys")) return;
    if (document.querySelectorAll(".ag-stepper").length > 1 && !root.contains(document.activeElement)) return;
    if (zoom && (e.key === "+" || e.key === "=")) { zoom.by(1.25); return; }
    if (zoom && e.key === "-") { zoom.by(0.8); return; }
    var moves = { ArrowRight: position + 1, ArrowLeft: position - 1, Home: 0, End: count };
    if (!(e.key in moves)) return;
    e.preventDefault();
    pause();
    go(moves[e.key]);
  });
  return {
    go: go,
    position: function () { return position; },
    reveal: function () { reveal(revealed); },
    laidOut: zoom ? zoom.laidOut : function () {},
  };
}

// Zoom and pan: the canvas's SVG drawn at scale × its natural size, inside the scroll box. Fit
// (on while the whole drawing fits at 60% or more when first shown) follows the box's size.
function agZoom(root, box, moved) {
  var $ = function (selector) { return root.querySelector(selector); };
  var svg = box.querySelector("svg");
  var natural = { w: parseFloat(svg.getAttribute("width")) * 4 / 3,
                  h: parseFloat(svg.getAttribute("height")) * 4 / 3 };  // pt to px
  var scale = 1, fitting = false, seen = false;
  function fitScale() {
    if (!box.clientWidth || !box.clientHeight) return 0;
    return Math.min(1.25, (box.clientWidth - 4) / natural.w, (box.clientHeight - 4) / natural.h);
  }
  function setScale(s, anchor) {
    s = Math.max(0.05, Math.min(4, s));
    var b = box.getBoundingClientRect(), ax = anchor ? anchor.x - b.left : box.clientWidth / 2,
        ay = anchor ? anchor.y - b.top : box.clientHeight / 2;
    var fx = (box.scrollLeft + ax) / (natural.w * scale), fy = (box.scrollTop + ay) / (natural.h * scale);
    scale = s;
    svg.setAttribute("width", (natural.w * scale).toFixed(1) + "px");
    svg.setAttribute("height", (natural.h * scale).toFixed(1) + "px");
    box.scrollLeft = fx * natural.w * scale - ax;
    box.scrollTop = fy * natural.h * scale - ay;
    $(".ag-zoom-level").textContent = Math.round(scale * 100) + "%";
  }
  function setFitting(on) {
    fitting = on;
    $(".ag-fit-toggle").setAttribute("aria-pressed", on ? "true" : "false");
    if (on && fitScale()) setScale(fitScale());
  }
  function by(factor, anchor) { setFitting(false); setScale(scale * factor, anchor); moved(); }
  function laidOut() {
    if (!box.clientWidth) return;  // hidden (display: none): wait until shown
    if (!seen) {
      seen = true;
      setFitting(fitScale() >= 0.6);
      if (!fitting) setScale(1);
    } else if (fitting) setScale(fitScale());
    moved();
  }

  var drag = null;
  box.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop, id: e.pointerId };
    box.classList.add("ag-dragging");
  });
  box.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.id) return;
    box.scrollLeft = drag.left - (e.clientX - drag.x);
    box.scrollTop = drag.top - (e.clientY - drag.y);
  });
  var endDrag = function () { drag = null; box.classList.remove("ag-dragging"); };
  box.addEventListener("pointerup", endDrag);
  box.addEventListener("pointercancel", endDrag);
  box.addEventListener("pointerleave", endDrag);
  box.addEventListener("wheel", function (e) {
    if (!e.ctrlKey && !e.metaKey) return;  // a plain wheel scrolls; Ctrl + wheel (and pinch) zooms
    e.preventDefault();
    by(Math.exp(-e.deltaY / 300), { x: e.clientX, y: e.clientY });
  }, { passive: false });
  $(".ag-zoom-in").addEventListener("click", function () { by(1.25); });
  $(".ag-zoom-out").addEventListener("click", function () { by(0.8); });
  $(".ag-fit-toggle").addEventListener("click", function () {
    setFitting(!fitting);
    if (!fitting) setScale(1);
    moved();
  });
  return { by: by, laidOut: laidOut };
}
