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

  // htmx swaps nothing when the server refuses a request (4xx/5xx), so the person would see
  // nothing happen: say why in an error toast, in the server's own words when it sent them
  // (the error fragment's alert, or a problem document's detail).
  function refusalText(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    var text = "";
    if (type.indexOf("json") !== -1) {
      try { text = JSON.parse(xhr.responseText).detail || ""; } catch (e) { text = ""; }
    } else if (type.indexOf("text/html") !== -1) {
      var alert = new DOMParser().parseFromString(xhr.responseText, "text/html")
        .querySelector("[role=alert]");
      if (alert) text = alert.textContent.trim();
    }
    return text || "The server could not do that (HTTP " + xhr.status + "). Reload the page and try again.";
  }

  document.addEventListener("htmx:responseError", function (event) {
    var box = document.querySelector(".toasts");
    if (!box || !event.detail.xhr) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-error";
    toast.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.textContent = refusalText(event.detail.xhr);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { dismiss(toast); });
    toast.append(text, close);
    box.append(toast);
  });
})();
