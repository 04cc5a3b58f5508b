// "3 h 20 min", "2 d 4 h", "45 min" in the page's language, as web/presenting.py's
// short_duration writes them on the server; `units` are its words ({"day": "{} d", ...}).
window.shortDuration = function (ms, units) {
  "use strict";
  let minutes = Math.max(Math.floor(ms / 60000), 0);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const n = (unit, count) => unit.replace("{}", count);
  if (days) return hours ? n(units.day, days) + " " + n(units.hour, hours) : n(units.day, days);
  if (hours) return minutes ? n(units.hour, hours) + " " + n(units.minute, minutes) : n(units.hour, hours);
  return n(units.minute, minutes);
};
