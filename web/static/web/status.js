// The public status page keeps itself current: it asks the building's document whether
// anything changed (a cheap, cached answer), writes the states at once, and redraws the
// sections from the server when the document's version changes (or every few minutes, as
// the timelines move on). It says when it last heard from the server.
(function () {
  "use strict";
  const box = document.getElementById("sections");
  if (!box) return;
  const words = JSON.parse(document.getElementById("status-words").textContent);
  const heard = document.getElementById("heard");
  const refresh = Number(box.dataset.refresh) * 1000;
  const zone = box.dataset.timezone;
  const REDRAW_MS = 5 * 60 * 1000;
  // A server that hangs instead of refusing must not keep the page waiting for ever.
  const PATIENCE_MS = Math.max(2 * refresh, 10000);
  let lastHeard = new Date();
  let lastDrawn = Date.now();

  function clock(moment) {
    return moment.toLocaleTimeString(document.documentElement.lang, {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
  }

  function shortDuration(ms) {
    return window.shortDuration(ms, words.units);
  }

  function tick() {
    for (const lasted of box.querySelectorAll(".lasted[data-since]")) {
      lasted.textContent = shortDuration(Date.now() - Date.parse(lasted.dataset.since));
    }
  }

  function drawnAt() {
    return Date.parse(box.querySelector(".sections").dataset.generated);
  }

  function writeStates(doc) {
    // First, so that whoever reads data-state (a lobby screen's script) is right even if
    // the redraw below fails.
    for (const section of doc.sections) {
      const card = box.querySelector('[data-section="' + section.number + '"]');
      if (card && card.dataset.state !== section.state) {
        card.dataset.state = section.state;
        card.querySelector(".word").textContent = words.states[section.state];
      }
    }
  }

  async function ask(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), PATIENCE_MS);
    try {
      const answer = await fetch(url, { cache: "no-cache", signal: controller.signal });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      return answer;
    } finally {
      clearTimeout(timer);
    }
  }

  async function redraw() {
    const answer = await ask(location.pathname + "?part=sections");
    box.innerHTML = await answer.text();
    box.dataset.version = box.querySelector(".sections").dataset.version;
    lastDrawn = Date.now();
  }

  function say(state) {
    const text = state === "heard" ? words.heard : words.lost;
    heard.textContent = text.replace("%(clock)s", clock(lastHeard));
    heard.classList.toggle("stale", state !== "heard");
  }

  async function poll() {
    try {
      const doc = await (await ask(box.dataset.document)).json();
      // Each server process keeps its own copy for a few seconds: one older than what the page
      // shows says nothing new, and must not take a state back.
      if (Date.parse(doc.generated_at) >= drawnAt()) {
        writeStates(doc);
        if (doc.version !== box.dataset.version) await redraw();
      }
      if (Date.now() - lastDrawn > REDRAW_MS) await redraw();  // the timelines move on
      lastHeard = new Date();
      say("heard");
      tick();
    } catch (error) {
      say("lost");
    } finally {
      setTimeout(poll, refresh);
    }
  }

  // A tap, a click or the keyboard shows a segment's times under its timeline; a mouse's
  // hover shows them as its title.
  function show(event) {
    const part = event.target.closest("[title]");
    const figure = part && part.closest("figure");
    if (figure) figure.querySelector(".detail").textContent = part.title;
  }
  box.addEventListener("click", show);
  box.addEventListener("focusin", show);

  setInterval(tick, 30000);
  setTimeout(poll, refresh);
})();
