// The API docs page: Swagger UI (vendored from npm) over the schema the page names.
// No inline script: the strict CSP allows scripts from this site only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: true,
    // Requests made with "Try it out" send the session's CSRF token, like the pages do.
    requestInterceptor: function (request) {
      var token = root.dataset.csrfToken;
      if (token && request.method && request.method.toUpperCase() !== "GET") {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    },
  });
})();
