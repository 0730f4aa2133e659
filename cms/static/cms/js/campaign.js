// The campaign view refreshes its numbers from progress.json every few seconds (no htmx), and
// the not-yet-voted list prints from a button. No choice is ever in the data.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var root = document.getElementById("campaign");
  if (!root) { return; }
  var url = root.getAttribute("data-progress-url");
  var every = Math.max(2, parseInt(root.getAttribute("data-refresh"), 10) || 5) * 1000;
  var busy = false;

  function set(name, value) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = value; }
  }

  function render(data) {
    set("hp", data.hp);
    set("ap", data.ap);
    set("pending", data.pending);
    set("head_text", data.head.text);
    set("area_text", data.area.text);
    set("at_time", " · " + data.at_time);
    set("need_owners_text", data.need_owners_text);
    set("need_area_text", data.need_area_text);
    var meterH = root.querySelector('[data-field-meter="hp"]');
    if (meterH) { meterH.value = data.hp; }
    var meterA = root.querySelector('[data-field-meter="ap"]');
    if (meterA) { meterA.value = parseFloat(data.ap); }
    root.querySelector('[data-card="head"]').classList.toggle("met", data.head.met);
    root.querySelector('[data-card="area"]').classList.toggle("met", data.area.met);
    data.buildings.forEach(function (b) {
      var row = root.querySelector('tr[data-building="' + b.building + '"]');
      if (!row) { return; }
      row.querySelector('[data-col="owners"]').textContent = b.voted_owners + " / " + b.owners;
      row.querySelector('[data-col="share_owners"]').textContent = b.share_owners;
      row.querySelector('[data-col="area"]').textContent = b.voted_area + " / " + b.area;
      row.querySelector('[data-col="share_area"]').textContent = b.share_area;
      row.querySelector('[data-col="pending"]').textContent = b.pending_units;
      row.classList.toggle("met", b.reached);
    });
  }

  function tick() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  window.setInterval(tick, every);
}());
