// mtls-ca console: busy states on forms, and a certificate's status kept current by polling while
// the worker finishes a revocation or reactivation. No framework, nothing fetched from elsewhere.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
  const button = form.querySelector("button[type=submit], button:not([type])");
  if (button) {
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    document.body.setAttribute("aria-busy", "true");
  }
});

// A form the browser restores from its back-forward cache must not stay busy.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("button[aria-busy]").forEach((b) => {
    b.removeAttribute("aria-busy");
    b.disabled = false;
  });
  document.body.removeAttribute("aria-busy");
});

function showStatus(el, status) {
  el.dataset.status = status;
  const badge = document.createElement("span");
  badge.className = `badge status-${status}`;
  badge.textContent = status.replace(/_/g, " ");
  el.replaceChildren(badge);
  document.querySelectorAll("[data-show-when]").forEach((node) => {
    node.hidden = !node.dataset.showWhen.split(" ").includes(status);
  });
}

function poll(el) {
  const tick = async () => {
    if (!el.dataset.status.startsWith("pending_")) {
      setTimeout(tick, 5000);
      return;
    }
    try {
      const res = await fetch(el.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (res.ok) {
        const body = await res.json();
        if (body.status !== el.dataset.status) showStatus(el, body.status);
      }
    } catch (_) {
      // The server is briefly away: try again at the next tick.
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}

document.querySelectorAll("[data-poll]").forEach(poll);
