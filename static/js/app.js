// Hearth's small client-side helpers. No inline scripts anywhere (strict CSP).
(function () {
  "use strict";

  function dismiss(toast) {
    toast.classList.add("toast-hide");
    setTimeout(function () { toast.remove(); }, 300);
  }

  function initToasts(root) {
    root.querySelectorAll(".toast").forEach(function (toast) {
      var close = toast.querySelector(".toast-close");
      if (close) close.addEventListener("click", function () { dismiss(toast); });
      if (!toast.classList.contains("toast-error")) {
        setTimeout(function () { dismiss(toast); }, 6000);
      }
    });
  }

  // Forms with data-confirm ask before submitting (destructive actions).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // Buttons with data-copy="#selector" copy that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    }
  });

  // Escape closes the navigation drawer on phones (the checkbox drives it, no inline code).
  document.addEventListener("keydown", function (event) {
    var toggle = document.getElementById("nav-toggle");
    if (event.key === "Escape" && toggle && toggle.checked) toggle.checked = false;
  });

  document.addEventListener("DOMContentLoaded", function () {
    initToasts(document);
    if (window.htmx) {
      window.htmx.config.indicatorClass = "htmx-request";
      document.body.setAttribute("hx-indicator", "#htmx-indicator");
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) { initToasts(event.target); });
})();
