/* cryokg pages: small enhancements on top of pages that work without JavaScript.
 *  - copy buttons beside every element marked data-copy (IRIs and CURIEs);
 *  - suggestions as you type under every search box marked data-suggest (the ARIA combobox pattern),
 *    from the JSON endpoint named by the attribute; the form still submits as before;
 *  - "collapse all / expand all" on the browse tree.
 * Served as a file (the Content-Security-Policy allows scripts from this site only); nothing here writes HTML
 * from data: every text goes in through textContent. */
(function () {
  "use strict";

  function copyText(text, button) {
    function done(ok) {
      var before = button.textContent;
      button.textContent = ok ? "Copied" : "Copy failed";
      window.setTimeout(function () { button.textContent = before; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var area = document.createElement("textarea");  // fallback for plain http on another host
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }

  function addCopyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (el) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy the " + el.getAttribute("data-copy") + " " + el.textContent);
      button.addEventListener("click", function () { copyText(el.textContent, button); });
      el.insertAdjacentElement("afterend", button);
    });
  }

  var counter = 0;

  function setupSuggestions(input) {
    var endpoint = input.getAttribute("data-suggest");
    var form = input.form;
    var list = document.createElement("ul");
    var id = "suggestions-" + (++counter);
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.insertAdjacentElement("afterend", list);
    if (input.parentElement) { input.parentElement.classList.add("has-suggestions"); }
    var timer = null, pending = null, active = -1, items = [];

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) { input.setAttribute("aria-activedescendant", items[index].id); }
      else { input.removeAttribute("aria-activedescendant"); }
    }
    function show(results) {
      list.textContent = "";
      items = [];
      results.forEach(function (r, i) {
        if (!r.href) { return; }
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        var a = document.createElement("a");
        a.href = r.href;
        a.tabIndex = -1;
        var label = document.createElement("span");
        label.className = "label";
        label.textContent = r.label;
        a.appendChild(label);
        if (r.code) {
          var code = document.createElement("span");
          code.className = "code";
          code.textContent = r.code;
          a.appendChild(document.createTextNode(" "));
          a.appendChild(code);
        }
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = r.type + (r.matched !== r.label ? " · " + r.how + ": " + r.matched : "");
        a.appendChild(document.createTextNode(" "));
        a.appendChild(kind);
        li.appendChild(a);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); window.location.href = r.href; });
        list.appendChild(li);
        items.push(li);
      });
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    }
    function fetchSuggestions() {
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var params = new URLSearchParams({ q: text.slice(0, 100) });
      var type = form ? form.querySelector("select[name=type]") : null;
      if (type && type.value) { params.set("type", type.value); }
      fetch(endpoint + "?" + params.toString(), { headers: { Accept: "application/json" }, signal: pending.signal })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() === text) { show(data.results || []); } })
        .catch(function () { /* aborted or offline: the form still works */ });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, -1)); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].querySelector("a").href;
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  function addTreeButtons() {
    var tree = document.querySelector("[data-tree]");
    if (!tree) { return; }
    var bar = document.createElement("p");
    bar.className = "tree-buttons";
    [["Collapse all", false], ["Expand all", true]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[0];
      button.addEventListener("click", function () {
        tree.querySelectorAll("details").forEach(function (d) { d.open = spec[1]; });
      });
      bar.appendChild(button);
    });
    tree.insertAdjacentElement("beforebegin", bar);
  }

  function start() {
    addCopyButtons();
    document.querySelectorAll("input[data-suggest]").forEach(setupSuggestions);
    addTreeButtons();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
