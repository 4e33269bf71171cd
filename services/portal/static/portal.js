// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Put the focus on the first field with an error, so it is read out and can be fixed.
  var invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  } else {  // a refusal of a whole form (nothing changed, changed meanwhile): read it out
    var refused = document.querySelector(".form-error, .banner.bad[role='alert']");
    if (refused) { refused.setAttribute("tabindex", "-1"); refused.focus(); }
  }
  // A chart wider than a phone scrolls sideways (its legend stays below it): it opens with
  // today in view, two thirds across, or at its right end when today is not on it.
  // Its value axis moves with the scroll, so its words stay at the left edge in view.
  document.querySelectorAll(".chart-scroll").forEach(function (box) {
    var chart = box.querySelector("svg.chart");
    var axis = box.querySelector("svg.chart .y-axis");
    function pin() {
      if (!chart || !axis) { return; }
      var units = chart.viewBox.baseVal.width / chart.getBoundingClientRect().width;
      axis.setAttribute("transform", "translate(" + box.scrollLeft * units + " 0)");
    }
    box.addEventListener("scroll", pin, { passive: true });
    var today = box.querySelector("line.today");
    if (!today) { box.scrollLeft = box.scrollWidth; pin(); return; }
    var at = today.getBoundingClientRect().left - box.getBoundingClientRect().left;
    box.scrollLeft = Math.max(0, at - box.clientWidth * 2 / 3);
    pin();
  });
  // Switching language reloads the page: what was typed in a form is kept for the page in
  // this tab, and put back once it comes back in the other language. Never a password, nor
  // a number written the language's way ("1.250" is 1250 in Italian, 1.25 in English).
  // Kept under the page the switch lands on: after a refused form that is the page the
  // form was on (the link's `next`), not the address the form was sent to.
  var key = "okr-typed:" + location.pathname;
  var fields = "form[method='post'] :is(input:not([type=hidden]):not([type=password])"
    + ":not([inputmode=decimal]), textarea, select)";
  var kept = sessionStorage.getItem(key);
  if (kept) {
    sessionStorage.removeItem(key);
    var typed = JSON.parse(kept);
    document.querySelectorAll(fields).forEach(function (field) {
      if (field.id && typed[field.id] !== undefined && typed[field.id] !== field.value) {
        field.value = typed[field.id];
        var folded = field.closest("details");  // a form folded away: open what was typed in
        if (folded) { folded.open = true; }
      }
    });
  }
  document.querySelectorAll("a.lang").forEach(function (link) {
    link.addEventListener("click", function () {
      var typed = {};
      document.querySelectorAll(fields).forEach(function (field) {
        if (field.id) { typed[field.id] = field.value; }
      });
      var next = new URL(link.href).searchParams.get("next") || location.pathname;
      var lands = new URL(next, location.href).pathname;
      sessionStorage.setItem("okr-typed:" + lands, JSON.stringify(typed));
    });
  });
  // Disable a submit button while its form is on its way (no double check-ins).
  document.querySelectorAll("form[method='post']").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type='submit']");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
