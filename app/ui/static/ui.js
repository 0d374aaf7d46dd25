// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A field that only matters for one choice of a select: <div data-show-when="reden=8">.
  function toggles(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (box) {
      var parts = box.getAttribute("data-show-when").split("=");
      var form = box.closest("form");
      var select = form && form.querySelector("[name='" + parts[0] + "']");
      if (!select) { return; }
      var update = function () { box.hidden = select.value !== parts[1]; };
      select.addEventListener("change", update);
      update();
    });
  }
  // Ask before a destructive action: <button data-confirm="Intrekken?">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    toggles(document);
    // After a refused action, move focus to the explanation so it is read first.
    var alert = document.querySelector(".notice.error[tabindex]");
    if (alert) { alert.focus(); }
  });
  document.addEventListener("htmx:afterSwap", function (event) { toggles(event.target); });
})();
