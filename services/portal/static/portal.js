// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Put the focus on the first field with an error, so it is read out and can be fixed.
  var invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) { invalid.focus(); }
  // A chart wider than a phone opens at its right end, where today and the latest values
  // are (it scrolls sideways, its left end the start of the window).
  document.querySelectorAll(".chart-box figure").forEach(function (figure) {
    figure.scrollLeft = figure.scrollWidth;
  });
  // Disable a submit button while its form is on its way (no double check-ins).
  document.querySelectorAll("form[method='post']").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type='submit']");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
