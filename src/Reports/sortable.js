(function () {
  "use strict";
  function key(cell, numeric) {
    if (!cell) return null;
    if (numeric) {
      var v = cell.getAttribute("data-v");
      return v === null || v === "" ? null : parseFloat(v);
    }
    var t = cell.textContent.trim();
    return t === "" || t === "\u2013" ? null : t.toLowerCase();
  }
  function sort(table, th, column) {
    var numeric = th.getAttribute("data-sort") === "num";
    var first = th.getAttribute("data-first") || "ascending";
    var current = th.getAttribute("aria-sort");
    var direction = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
    var heads = table.tHead.rows[0].cells;
    for (var h = 0; h < heads.length; h++) heads[h].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", direction);
    var body = table.tBodies[0];
    var groups = [];
    for (var r = 0; r < body.rows.length; r++) {
      var row = body.rows[r];
      if (row.classList.contains("detail-row") && groups.length) groups[groups.length - 1].rows.push(row);
      else groups.push({ rows: [row], order: groups.length, key: key(row.cells[column], numeric) });
    }
    var sign = direction === "ascending" ? 1 : -1;
    groups.sort(function (a, b) {
      if (a.key === null || b.key === null) return a.key === b.key ? a.order - b.order : a.key === null ? 1 : -1;
      if (a.key < b.key) return -sign;
      if (a.key > b.key) return sign;
      return a.order - b.order;
    });
    groups.forEach(function (g) { g.rows.forEach(function (row) { body.appendChild(row); }); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, column) {
      if (!th.hasAttribute("data-sort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = "Sort by this column";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sort(table, th, column); });
    });
    table.classList.add("sorting");
  });
})();
