// The review page: a small viewer of the papers (zoom, rotate, previous/next; a PDF opens
// in the browser's own viewer) and the keys A/R/X (open 通过/退回修改/驳回), N (next
// application), Ctrl+Enter (submit the open form). No inline script: CSP "script-src 'self'".
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function setupViewer() {
    var dialog = document.getElementById("rv-viewer");
    var links = Array.prototype.slice.call(document.querySelectorAll("a.rv-thumb[data-viewer-src]"));
    if (!dialog || !links.length || typeof dialog.showModal !== "function") return null;
    var img = dialog.querySelector(".rv-viewer-stage img");
    var title = dialog.querySelector(".rv-viewer-title");
    var state = { i: 0, zoom: 1, turn: 0 };
    function paint() {
      img.style.transform = "rotate(" + state.turn + "deg) scale(" + state.zoom + ")";
    }
    function show(i) {
      state.i = (i + links.length) % links.length;
      state.zoom = 1;
      state.turn = 0;
      var link = links[state.i];
      img.src = link.getAttribute("data-viewer-src");
      img.alt = link.getAttribute("data-viewer-title") || "";
      title.textContent = (link.getAttribute("data-viewer-title") || "") + "（" + (state.i + 1) + "/" + links.length + "）";
      paint();
      if (!dialog.open) dialog.showModal();
    }
    var act = {
      prev: function () { show(state.i - 1); },
      next: function () { show(state.i + 1); },
      "zoom-in": function () { state.zoom = Math.min(state.zoom * 1.25, 6); paint(); },
      "zoom-out": function () { state.zoom = Math.max(state.zoom / 1.25, 0.3); paint(); },
      rotate: function () { state.turn = (state.turn + 90) % 360; paint(); },
      close: function () { dialog.close(); }
    };
    links.forEach(function (link, i) {
      link.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return; // a new tab still works
        ev.preventDefault();
        show(i);
      });
    });
    dialog.addEventListener("click", function (ev) {
      var name = ev.target.getAttribute && ev.target.getAttribute("data-viewer");
      if (name && act[name]) act[name]();
    });
    dialog.addEventListener("keydown", function (ev) {
      var keys = { ArrowLeft: "prev", ArrowRight: "next", "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", r: "rotate", R: "rotate" };
      if (keys[ev.key]) { ev.preventDefault(); act[keys[ev.key]](); }
    });
    return dialog;
  }

  function openDecision(key) {
    var box = document.querySelector("details.rv-decision[data-key='" + key + "']");
    if (!box) return;
    document.querySelectorAll("details.rv-decision").forEach(function (d) { if (d !== box) d.open = false; });
    box.open = true;
    var field = box.querySelector("textarea") || box.querySelector("input[type=checkbox], input[type=text]");
    if (field) field.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = setupViewer();
    var error = document.getElementById("rv-decision-error") || document.querySelector(".rv-actions .errorlist");
    if (error && error.scrollIntoView) error.scrollIntoView({ block: "center" });
    document.addEventListener("keydown", function (ev) {
      if (dialog && dialog.open) return;
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter" && typing(ev.target)) {
        var form = ev.target.form;
        if (form && form.closest(".rv-decision")) { ev.preventDefault(); form.requestSubmit(); }
        return;
      }
      if (ev.altKey || ev.ctrlKey || ev.metaKey || typing(ev.target)) return;
      var key = { a: "approve", r: "return", x: "reject" }[ev.key.toLowerCase()];
      if (key) { ev.preventDefault(); openDecision(key); return; }
      if (ev.key.toLowerCase() === "n") {
        var next = document.getElementById("rv-next");
        if (next) { ev.preventDefault(); window.location.href = next.href; }
      }
    });
  });
})();
