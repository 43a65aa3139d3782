// Talking to the App's server: the token, JSON requests, media URLs, and dropping answers that came back late.
// Imports nothing.

// The URL launch_app opens carries ?token=; the server answers it with an HttpOnly cookie, and the page
// drops the token from the address bar. A page framed by another site (a notebook) may get no cookie:
// then it keeps the token for this tab and sends it itself (bearer header; ?token= on image URLs).
const AUTH = { token: null };

export async function setUpToken() {
  const params = new URLSearchParams(location.search);
  const fromURL = params.get("token");
  if (fromURL) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
  }
  const cookieWorks = (await fetch("/api/health", { credentials: "same-origin" })).ok;
  if (cookieWorks) { sessionStorage.removeItem("bakeoff-token"); return; }
  AUTH.token = fromURL || sessionStorage.getItem("bakeoff-token");
  if (AUTH.token) sessionStorage.setItem("bakeoff-token", AUTH.token);
}

/** an image's URL: with the token when the page has no cookie */
export function mediaURL(path) {
  return AUTH.token ? `${path}?token=${encodeURIComponent(AUTH.token)}` : path;
}

/** GET `path`, or send `body` as JSON (POST unless `method` says otherwise); a 4xx/5xx throws its detail */
export async function api(path, body, method) {
  const headers = { "X-Bakeoff-Request": "1" };  // a cross-site page cannot set it: writes need it
  if (AUTH.token) headers.Authorization = `Bearer ${AUTH.token}`;
  const init = body === undefined ? { method: method || "GET", headers }
    : { method: method || "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail || data);
    throw new Error(`${response.status}: ${detail}`);
  }
  return data;
}

// answers can come back out of order: only the newest request of each kind is drawn
export class Stale extends Error {}
const latest = {};

/** the answer of `promise`, or a thrown Stale when a newer request of the same `kind` started meanwhile */
export async function fresh(kind, promise) {
  const ticket = (latest[kind] = (latest[kind] || 0) + 1);
  const data = await promise;
  if (ticket !== latest[kind]) throw new Stale();
  return data;
}
