// Calls to the admin listener. The session is a cookie the page cannot
// read; the CSRF token is a cookie it reads and sends back in a header on
// every call, as the server requires on unsafe methods.

function csrfToken() {
  for (const c of document.cookie.split(";")) {
    const [k, v] = c.trim().split("=");
    if (k === "crossgate_console_csrf") return v;
  }
  return "";
}

export class APIError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ("HTTP " + status));
    this.status = status;
    this.body = body;
  }
}

// call sends a JSON request and returns {status, etag, body}; a status
// outside 2xx throws an APIError.
export async function call(method, path, body, headers) {
  const init = {method, credentials: "same-origin", headers: {"X-CSRF-Token": csrfToken(), ...(headers || {})}};
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = {error: {message: text}}; }
  if (!r.ok) throw new APIError(r.status, parsed);
  return {status: r.status, etag: r.headers.get("ETag"), body: parsed};
}

export const get = (path) => call("GET", path).then((r) => r.body);
export const post = (path, body) => call("POST", path, body).then((r) => r.body);
