// The page's only script: it loads nothing. Without it the page still
// reads (the charts are static SVG, values show as native tooltips).
(function () {
  "use strict";
  // A link to a run's row opens the All results box first.
  function openResults() { var d = document.getElementById("results-box"); if (d) { d.open = true; } }
  window.openResults = openResults;
  if (location.hash.indexOf("#r-") === 0) { openResults(); }

  // Hover: the <title> of each hover target (chart values, flame graph
  // frames) becomes a tooltip that shows at once and follows the pointer.
  var tip = document.createElement("div");
  tip.className = "tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.appendChild(tip);
  var targets = document.querySelectorAll("svg.chart g.hv > *, svg.flame g.f");
  for (var i = 0; i < targets.length; i++) {
    var t = targets[i].querySelector("title");
    if (t && t.parentNode === targets[i]) {
      targets[i].setAttribute("data-tip", t.textContent);
      targets[i].removeChild(t);
    }
  }
  var on = null;
  function hide() {
    tip.hidden = true;
    if (on) { on.classList.remove("on"); on = null; }
  }
  function place(ev) {
    var x = ev.clientX + 14, y = ev.clientY + 16;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 8) { x = Math.max(8, ev.clientX - w - 14); }
    if (y + h > window.innerHeight - 8) { y = Math.max(8, ev.clientY - h - 16); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  document.addEventListener("mouseover", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (!el) { hide(); return; }
    if (el !== on) {
      hide();
      on = el;
      el.classList.add("on");
      var lines = el.getAttribute("data-tip").split("\n");
      tip.textContent = "";
      var b = document.createElement("b");
      b.textContent = lines[0];
      tip.appendChild(b);
      for (var k = 1; k < lines.length; k++) {
        tip.appendChild(document.createElement("br"));
        tip.appendChild(document.createTextNode(lines[k]));
      }
      tip.hidden = false;
    }
    place(ev);
  });
  document.addEventListener("mousemove", function (ev) { if (on) { place(ev); } });
  document.addEventListener("scroll", hide, true);

  // Legend entries hide and show their series: every element of the same
  // figure with the same data-key. A double click shows that series alone
  // (or, when it already is alone, every series again).
  function legendOf(ev) { return ev.target.closest ? ev.target.closest("svg.chart g.lg") : null; }
  function setShown(svg, key, shown) {
    var els = svg.querySelectorAll("[data-key]");
    for (var k = 0; k < els.length; k++) {
      var el = els[k];
      if (el.getAttribute("data-key") !== key) { continue; }
      if (el.classList.contains("lg")) {
        el.classList.toggle("off", !shown);
        el.setAttribute("aria-pressed", shown ? "true" : "false");
      } else {
        el.style.display = shown ? "" : "none";
      }
    }
  }
  function toggle(lg) {
    setShown(lg.ownerSVGElement, lg.getAttribute("data-key"), lg.classList.contains("off"));
    hide();
  }
  function solo(lg) {
    var svg = lg.ownerSVGElement, key = lg.getAttribute("data-key");
    var all = svg.querySelectorAll("g.lg"), alone = true;
    for (var k = 0; k < all.length; k++) {
      if (all[k] !== lg && !all[k].classList.contains("off")) { alone = false; }
    }
    for (var j = 0; j < all.length; j++) {
      var other = all[j].getAttribute("data-key");
      setShown(svg, other, alone || other === key);
    }
  }
  // Series beyond the first eight of a chart start hidden, one click away.
  var folded = document.querySelectorAll("svg.chart g.lg[data-folded]");
  for (var f = 0; f !== folded.length; f++) {
    setShown(folded[f].ownerSVGElement, folded[f].getAttribute("data-key"), false);
  }
  document.addEventListener("click", function (ev) { var lg = legendOf(ev); if (lg) { toggle(lg); } });
  document.addEventListener("dblclick", function (ev) {
    var lg = legendOf(ev);
    if (lg) { ev.preventDefault(); solo(lg); }
  });
  document.addEventListener("keydown", function (ev) {
    var lg = legendOf(ev);
    if (lg && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); toggle(lg); }
  });

  // Says on the page that the script ran and how tall the page is (read
  // by the end-to-end test).
  window.addEventListener("load", function () {
    document.body.setAttribute("data-charts", String(document.querySelectorAll("svg.chart").length));
    document.body.setAttribute("data-height", String(document.documentElement.scrollHeight));
  });
})();
