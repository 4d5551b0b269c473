/* Union picker: turns <select data-union-picker> into a search box with suggestions from the
   JSON endpoint (grassroots and township unions by name). Without JS the select still works. */
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-endpoint");
  function init(select) {
    if (!endpoint) return;
    var wrap = document.createElement("div");
    wrap.className = "picker";
    var input = document.createElement("input");
    input.type = "search";
    input.autocomplete = "off";
    input.placeholder = "输入工会名称搜索";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.id = select.id + "_search";
    var list = document.createElement("ul");
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.id = select.id + "_list";
    list.hidden = true;
    // A combobox says whether its list is open and which list it is (screen readers, axe).
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    function setOpen(open) { list.hidden = !open; input.setAttribute("aria-expanded", open ? "true" : "false"); }
    var chosen = select.options[select.selectedIndex];
    if (chosen && chosen.value) input.value = chosen.text;
    select.hidden = true;
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(select);
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) label.setAttribute("for", input.id);
    var timer = null, seq = 0, active = -1;

    function choose(item) {
      var opt = select.querySelector('option[value="' + item.id + '"]');
      if (!opt) { opt = new Option(item.name, item.id); select.add(opt); }
      select.value = String(item.id);
      input.value = item.name;
      setOpen(false);
    }
    function render(items) {
      list.innerHTML = "";
      active = -1;
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.textContent = item.name;
        if (item.parent) {
          var small = document.createElement("small");
          small.textContent = item.parent;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
        li._item = item;
        list.appendChild(li);
      });
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "没有找到，请换个关键词";
        list.appendChild(none);
      }
      setOpen(true);
    }
    function search() {
      var q = input.value.trim();
      select.value = "";
      if (!q) { setOpen(false); return; }
      var mine = ++seq;
      fetch(endpoint + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === seq) render(data.results || []); })
        .catch(function () { setOpen(false); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    input.addEventListener("keydown", function (e) {
      var items = list.querySelectorAll("li[role=option]");
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!items.length) return;
        active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        items.forEach(function (li, i) { li.classList.toggle("active", i === active); });
      } else if (e.key === "Enter" && active >= 0 && items[active]) {
        e.preventDefault();
        choose(items[active]._item);
      } else if (e.key === "Escape") {
        setOpen(false);
      }
    });
    input.addEventListener("blur", function () { setTimeout(function () { setOpen(false); }, 150); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-union-picker]").forEach(init);
  });
})();
