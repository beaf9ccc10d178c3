/* Search in the browser over assets/search-index.js (window.OPENDATA_SEARCH).
   No network, no library: results are built with textContent, never innerHTML, so
   nothing from a manifest is ever parsed as HTML. */
(function () {
  "use strict";
  var index = window.OPENDATA_SEARCH;
  var script = document.getElementById("search-script");
  var form = document.getElementById("search-form");
  if (!index || !script || !form) { return; }
  var root = script.getAttribute("data-root") || "";
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var words = Object.keys(index.words);
  var filters = ["organization", "theme", "licence", "format", "period"];

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function matches(term) {
    var found = {};
    for (var i = 0; i < words.length; i++) {
      if (words[i].lastIndexOf(term, 0) === 0) {
        var gaps = index.words[words[i]], doc = 0;  /* numbers stored as gaps */
        for (var j = 0; j < gaps.length; j++) { doc += gaps[j]; found[doc] = true; }
      }
    }
    return found;
  }

  function keep(doc, values) {
    var org = index.orgs[doc[3]][0], lic = index.licences[doc[5]][0];
    if (values.organization && org !== values.organization) { return false; }
    if (values.licence && lic !== values.licence) { return false; }
    if (values.theme && doc[4].indexOf(values.theme) < 0) { return false; }
    if (values.format && doc[6].indexOf(values.format) < 0) { return false; }
    if (values.period && doc[7] !== values.period) { return false; }
    return true;
  }

  function run() {
    var q = form.elements.q.value;
    var values = {};
    filters.forEach(function (name) {
      var el = form.elements[name];
      values[name] = el ? el.value : "";
    });
    var terms = fold(q).match(/[a-z0-9]+/g) || [];
    terms = terms.filter(function (w) { return w.length >= 2; });
    var hits = null;
    terms.forEach(function (term) {
      var found = matches(term);
      if (hits === null) { hits = found; return; }
      var both = {};
      Object.keys(hits).forEach(function (k) { if (found[k]) { both[k] = true; } });
      hits = both;
    });
    var ids = hits === null ? index.docs.map(function (_, i) { return i; })
                            : Object.keys(hits).map(Number).sort(function (a, b) { return a - b; });
    ids = ids.filter(function (i) { return keep(index.docs[i], values); });
    list.textContent = "";
    ids.slice(0, 100).forEach(function (i) {
      var doc = index.docs[i];
      var li = document.createElement("li");
      var h = document.createElement("h3");
      var a = document.createElement("a");
      a.href = root + "datasets/" + encodeURIComponent(doc[0]) + ".html";
      a.textContent = doc[1];
      h.appendChild(a);
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = index.orgs[doc[3]][1] + " · " + doc[6].join(", ").toUpperCase();
      var p = document.createElement("p");
      p.textContent = doc[2];
      li.appendChild(h); li.appendChild(meta); li.appendChild(p);
      list.appendChild(li);
    });
    status.textContent = ids.length ? ids.length + " " + script.getAttribute("data-count")
                                    : script.getAttribute("data-none");
  }

  var params = new URLSearchParams(window.location.search);
  if (params.get("q")) { form.elements.q.value = params.get("q"); }
  filters.forEach(function (name) {
    var el = form.elements[name];
    if (el && params.get(name)) { el.value = params.get(name); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  form.addEventListener("input", run);
  form.addEventListener("change", run);
  run();
}());
