/* laporan.html: the searchable table of rows that need action. No library, no network. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("slrt-data").textContent);
  var S = data.strings, cols = data.columns, T = data.text;
  var CODED = { category: 1, kecamatan: 1, desa: 1, source_file: 1, source_sheet: 1, alasan: 1 };
  var ci = {};
  cols.forEach(function (c, i) { ci[c] = i; });
  var PAGE = 100;
  var nf = new Intl.NumberFormat(data.lang === "id" ? "id-ID" : "en-US");

  function val(row, c) {
    var v = row[ci[c]];
    return CODED[c] && v !== null ? S[v] : v;
  }
  // one lower-case haystack per row, built once
  var hay = data.rows.map(function (r) {
    return cols.map(function (c) { var v = val(r, c); return v === null ? "" : String(v); }).join(" \u0001 ").toLowerCase();
  });

  var q = document.getElementById("q"), fCat = document.getElementById("f-category"),
      fKec = document.getElementById("f-kecamatan"), fDesa = document.getElementById("f-desa"),
      status = document.getElementById("status"), thead = document.querySelector("#rows thead"),
      tbody = document.querySelector("#rows tbody"), prev = document.getElementById("prev"),
      next = document.getElementById("next");

  function option(sel, value, text) {
    var o = document.createElement("option");
    o.value = value; o.textContent = text; sel.appendChild(o);
  }
  function fill(sel, allText, values, labelOf) {
    var keep = sel.value;
    sel.textContent = "";
    option(sel, "", allText);
    values.forEach(function (v) { option(sel, v, labelOf ? labelOf(v) : v); });
    sel.value = values.indexOf(keep) >= 0 ? keep : "";
  }
  function distinct(c, rows) {
    var seen = {}, out = [];
    rows.forEach(function (r) { var v = val(r, c); if (v !== null && !seen[v]) { seen[v] = 1; out.push(v); } });
    return out.sort(function (a, b) { return a.localeCompare(b); });
  }
  var catCount = {};
  data.rows.forEach(function (r) { var k = val(r, "category"); catCount[k] = (catCount[k] || 0) + 1; });
  fill(fCat, T.all_categories, Object.keys(data.categories).filter(function (k) { return catCount[k]; }),
       function (k) { return data.categories[k].label + " (" + nf.format(catCount[k]) + ")"; });
  fill(fKec, T.all_kecamatan, distinct("kecamatan", data.rows));
  function refillDesa() {
    var k = fKec.value;
    fill(fDesa, T.all_desa, distinct("desa", data.rows.filter(function (r) { return !k || val(r, "kecamatan") === k; })));
  }
  refillDesa();

  // what is shown: one column per entry; "desa" also shows the kecamatan, "source_file" the sheet and row
  var VIEW = ["category", "nama", "nik", "no_kk", "desa", "source_file", "person_id", "score", "alasan"];
  var sortCol = null, sortDesc = false, page = 0, shown = [];
  var tr = document.createElement("tr");
  VIEW.forEach(function (c) {
    var th = document.createElement("th");
    th.textContent = data.titles[c] || c;
    th.dataset.col = c;
    th.addEventListener("click", function () {
      sortDesc = sortCol === c ? !sortDesc : false;
      sortCol = c;
      Array.prototype.forEach.call(thead.querySelectorAll("th"), function (h) {
        h.classList.toggle("sorted", h.dataset.col === c);
        h.classList.toggle("desc", h.dataset.col === c && sortDesc);
      });
      apply();
    });
    tr.appendChild(th);
  });
  thead.appendChild(tr);

  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var cat = fCat.value, kec = fKec.value, desa = fDesa.value;
    shown = [];
    for (var i = 0; i < data.rows.length; i++) {
      var r = data.rows[i];
      if (cat && val(r, "category") !== cat) continue;
      if (kec && val(r, "kecamatan") !== kec) continue;
      if (desa && val(r, "desa") !== desa) continue;
      var h = hay[i], ok = true;
      for (var w = 0; w < words.length && ok; w++) ok = h.indexOf(words[w]) >= 0;
      if (ok) shown.push(r);
    }
    if (sortCol) {
      var c = sortCol, sign = sortDesc ? -1 : 1;
      shown.sort(function (a, b) {
        var x = val(a, c), y = val(b, c);
        if (x === y && c === "source_file") { x = val(a, "source_row"); y = val(b, "source_row"); }
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * sign;
      });
    }
    page = 0;
    render();
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text === null || text === undefined ? "" : text;
    tr.appendChild(td);
    return td;
  }
  function small(td, text) {
    if (!text) return;
    var d = document.createElement("div");
    d.className = "small"; d.textContent = text;
    td.appendChild(d);
  }
  function render() {
    tbody.textContent = "";
    var from = page * PAGE, to = Math.min(shown.length, from + PAGE);
    for (var i = from; i < to; i++) {
      var r = shown[i], row = document.createElement("tr");
      VIEW.forEach(function (c) {
        var v = val(r, c), td;
        if (c === "category") {
          var cat = data.categories[v] || { label: v, color: "#999" };
          td = cell(row, "");
          var b = document.createElement("span");
          b.className = "badge"; b.style.borderLeftColor = cat.color; b.textContent = cat.label;
          td.appendChild(b);
        } else if (c === "score") {
          cell(row, v === null || val(r, "person_id") === null ? "" : v.toFixed(2), "num");
        } else if (c === "nik" || c === "no_kk" || c === "person_id") {
          cell(row, v, "id");
        } else if (c === "alasan") {
          cell(row, v, "why");
        } else if (c === "desa") {
          td = cell(row, v);
          small(td, val(r, "kecamatan"));
        } else if (c === "source_file") {
          td = cell(row, v === null ? "" : String(v).split("/").pop(), "src");
          if (v !== null) td.title = v;
          var where = [val(r, "source_sheet"), val(r, "source_row") === null ? null : T.row_word + " " + val(r, "source_row")];
          small(td, where.filter(function (x) { return x !== null && x !== ""; }).join(" · "));
        } else {
          cell(row, v);
        }
      });
      tbody.appendChild(row);
    }
    status.textContent = shown.length
      ? T.showing.replace("{from}", nf.format(from + 1)).replace("{to}", nf.format(to)).replace("{count}", nf.format(shown.length))
      : T.none;
    prev.disabled = page === 0;
    next.disabled = to >= shown.length;
  }

  var timer = null;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  fCat.addEventListener("change", apply);
  fKec.addEventListener("change", function () { refillDesa(); apply(); });
  fDesa.addEventListener("change", apply);
  prev.addEventListener("click", function () { if (page > 0) { page--; render(); } });
  next.addEventListener("click", function () { if ((page + 1) * PAGE < shown.length) { page++; render(); } });
  apply();
})();
