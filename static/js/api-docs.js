// The API docs page (/api/v1/docs): Swagger UI from our own static files, settings read from a JSON block.
const settings = JSON.parse(document.getElementById("swagger-settings").textContent);
settings.dom_id = "#swagger-ui";
settings.presets = [window.SwaggerUIBundle.presets.apis];
window.SwaggerUIBundle(settings);
