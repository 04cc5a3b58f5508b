// The Telegram Mini App: the resident's own sections and settings. Who they are comes from
// Telegram's initData, sent with every request; the server checks it and answers 401 when it
// is missing, forged or too old.
(function () {
  "use strict";
  const root = document.getElementById("app");
  const words = JSON.parse(document.getElementById("app-words").textContent);
  const problem = document.getElementById("problem");
  const cards = document.getElementById("cards");
  const settings = document.getElementById("settings");
  const follow = document.getElementById("follow");
  const saved = document.getElementById("saved");
  const language = document.documentElement.lang;
  let buildings = [];
  let refused = false;

  function initData() {
    const telegram = window.Telegram && window.Telegram.WebApp;
    if (telegram && telegram.initData) return telegram.initData;
    // Telegram opens a Mini App with its launch parameters in the address's fragment.
    return new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  }
  const signed = initData();

  class Refused extends Error {}

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  async function call(method, url, body) {
    const answer = await fetch(url, {
      method: method,
      headers: { "X-Telegram-Init-Data": signed, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    let data = null;
    try { data = await answer.json(); } catch (error) { data = null; }
    if (answer.status === 401) {
      refused = true;
      root.dataset.refused = "true";
      say(words.refused.replace("%(reason)s", (data && data.message) || ""));
      throw new Refused();
    }
    if (!answer.ok) throw new Error((data && data.message) || "HTTP " + answer.status);
    return data;
  }

  function element(tag, attributes, text) {
    const made = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) made.setAttribute(name, value);
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function shortDuration(ms) {
    return window.shortDuration(ms, words.units);
  }

  function clock(iso, zone) {
    return new Date(iso).toLocaleTimeString(language, { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function sectionPath(section) {
    return root.dataset.sections + section.building.id + "/" + section.number + "/";
  }

  function card(section) {
    const item = element("li", {
      class: "section", "data-building": section.building.id, "data-section": section.number, "data-state": section.state,
    });
    item.append(element("h2", {}, section.building.name + ", " + section.name));
    const state = element("p", { class: "state" });
    state.append(element("span", { class: "mark", "aria-hidden": "true" }), " ", element("strong", { class: "word" }, section.state_text));
    if (section.since) {
      state.append(" " + words.since.replace("%(clock)s", clock(section.since, section.building.timezone)) + " · ");
      state.append(element("span", { class: "lasted", "data-since": section.since }, shortDuration(Date.now() - Date.parse(section.since))));
    }
    item.append(state);
    if (section.alert) item.append(element("p", { class: "alert " + section.alert.state }, section.alert.text));
    if (section.planned) {
      const planned = element("dl", { class: "planned" });
      for (const day of section.planned) {
        planned.append(element("dt", {}, new Date(day.date + "T12:00:00").toLocaleDateString(language, { weekday: "short", day: "numeric", month: "short" })));
        planned.append(element("dd", {}, day.text));
      }
      item.append(planned);
    }
    const toggle = element("label");
    const box = element("input", { type: "checkbox", name: "power_notifications" });
    box.checked = section.power_notifications;
    box.addEventListener("change", () => save(() => call("PATCH", sectionPath(section), { power_notifications: box.checked })));
    toggle.append(box, " " + words.power_notifications);
    const stop = element("button", { type: "button", class: "unfollow" }, words.unfollow);
    stop.addEventListener("click", () => save(() => call("DELETE", sectionPath(section))));
    item.append(toggle, stop);
    return item;
  }

  function render(me) {
    const wanted = new URLSearchParams(location.search).get("lang");
    if (me.language !== language && wanted !== me.language) {
      // The resident's language, not the browser's: the page is drawn again in it.
      location.replace(location.pathname + "?lang=" + me.language + location.hash);
      return;
    }
    document.getElementById("inactive").hidden = me.active;
    cards.replaceChildren(...me.sections.map(card));
    if (!me.sections.length) cards.append(element("li", { class: "empty" }, words.nothing_followed));
    for (const name of ["broadcasts", "schedule_notices", "alert_notices", "hold_in_quiet_hours"]) {
      settings.elements[name].checked = me[name];
    }
    const reminder = settings.elements.schedule_reminder;
    if (reminder.options.length === 1) {
      for (const minutes of me.reminder_choices) {
        reminder.append(element("option", { value: minutes }, words.minutes.replace("%(n)d", minutes)));
      }
    }
    reminder.value = me.schedule_reminder === null ? "" : String(me.schedule_reminder);
    settings.elements.quiet_on.checked = me.quiet_hours !== null;
    if (me.quiet_hours) {
      settings.elements.quiet_start.value = me.quiet_hours.start;
      settings.elements.quiet_end.value = me.quiet_hours.end;
    }
    settings.elements.language.value = me.language;
    root.dataset.loaded = "true";
  }

  // Saves go one at a time, in the order the resident made them, and only the last answer is
  // drawn: an earlier one would undo on screen what they have changed since.
  let saving = Promise.resolve();
  let waiting = 0;
  let saves = 0;  // a refresh asked before the latest save answers with what was before it

  function save(request) {
    waiting += 1;
    saves += 1;
    root.dataset.busy = "true";
    saved.textContent = "";
    saving = saving.then(async () => {
      let me = null;
      try {
        me = await request();
        saved.textContent = words.saved;
      } catch (error) {
        if (!(error instanceof Refused)) saved.textContent = words.not_saved.replace("%(reason)s", error.message);
        try { me = await call("GET", root.dataset.me); } catch (again) { /* said above */ }
      }
      waiting -= 1;
      if (waiting === 0) {
        if (me) render(me);
        root.dataset.busy = "false";
      }
    });
  }

  function change(event) {
    const field = event.target.name;
    const form = settings.elements;
    let body;
    if (field === "quiet_on" || field === "quiet_start" || field === "quiet_end") {
      body = { quiet_hours: form.quiet_on.checked ? { start: form.quiet_start.value, end: form.quiet_end.value } : null };
      if (field !== "quiet_on" && !form.quiet_on.checked) return;
    } else if (field === "schedule_reminder") {
      body = { schedule_reminder: form.schedule_reminder.value === "" ? null : Number(form.schedule_reminder.value) };
    } else if (field === "language") {
      body = { language: form.language.value };
    } else {
      body = { [field]: event.target.checked };
    }
    save(() => call("PATCH", root.dataset.me, body));
  }

  function fillSections() {
    const chosen = buildings.find((b) => String(b.id) === follow.elements[0].value);
    const sections = document.getElementById("follow-section");
    sections.replaceChildren(...(chosen ? chosen.sections : []).map((s) => element("option", { value: s.number }, s.name)));
  }

  async function start() {
    if (!signed) {
      say(words.no_init_data);
      root.dataset.refused = "true";
      return;
    }
    const telegram = window.Telegram && window.Telegram.WebApp;
    if (telegram) { telegram.ready(); telegram.expand(); }
    try {
      render(await call("GET", root.dataset.me));
      buildings = await call("GET", root.dataset.buildings);
      const select = document.getElementById("follow-building");
      select.replaceChildren(element("option", { value: "" }, words.choose), ...buildings.map((b) => element("option", { value: b.id }, b.name)));
      select.addEventListener("change", fillSections);
    } catch (error) {
      if (!(error instanceof Refused)) say(words.unreachable);
    }
  }

  settings.addEventListener("change", change);
  settings.addEventListener("submit", (event) => event.preventDefault());
  follow.addEventListener("submit", (event) => {
    event.preventDefault();
    const building = follow.elements[0].value;
    const number = document.getElementById("follow-section").value;
    if (building && number) save(() => call("PUT", root.dataset.sections + building + "/" + number + "/"));
  });
  setInterval(async () => {
    if (refused || !signed || waiting) return;
    const asked = saves;
    try {
      const me = await call("GET", root.dataset.me);
      if (!waiting && saves === asked) render(me);
      say("");
    } catch (error) {
      if (!(error instanceof Refused)) say(words.unreachable);
    }
  }, Number(root.dataset.refresh) * 2000);
  start();
})();
