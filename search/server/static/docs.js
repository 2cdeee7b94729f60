// Starts Swagger UI on /docs (kept out of the page: the Content-Security-Policy allows no inline script).
window.addEventListener("load", function () {
  if (typeof SwaggerUIBundle === "undefined") { return; }  // its assets could not be loaded
  SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
