// Warns clinic staff before a support ticket that contains patient information is sent.
// The rules mirror kerato_core::phi_guard, hand-written and without regular expressions, so
// the two read side by side: Social Security numbers (123-45-6789 or 123 45 6789 anywhere,
// nine bare digits after a cue), cued medical record numbers, cued dates of birth, and cued or
// dotted ICD-10 codes. The rule that treats a date near a name as a date of birth is left out:
// it needs a list of common words to avoid false alarms, and the server applies it anyway when
// it redacts. Loaded with <script src>, no dependencies, no eval, so it runs under a strict CSP.
(function () {
  "use strict";
  var LABELS = { ssn: "a Social Security number", mrn: "a medical record number",
    dob: "a date of birth", dx: "a diagnosis code" };
  // A space in a cue matches any run (even empty) of spaces, dots, hyphens and underscores.
  var CUES = [["ssn", "ssn"], ["ss #", "ssn"], ["ss no", "ssn"], ["social security", "ssn"],
    ["soc sec", "ssn"], ["mrn", "mrn"], ["medical record number", "mrn"], ["medical record no", "mrn"],
    ["medical record #", "mrn"], ["chart number", "mrn"], ["chart no", "mrn"], ["chart #", "mrn"],
    ["patient id", "mrn"], ["patient number", "mrn"], ["patient no", "mrn"], ["patient #", "mrn"],
    ["acct", "mrn"], ["account", "mrn"], ["d o b", "dob"], ["date of birth", "dob"],
    ["birth date", "dob"], ["born", "dob"], ["b.", "dob"], ["dx", "dx"], ["diagnosis", "dx"],
    ["diagnoses", "dx"], ["diag", "dx"], ["icd", "dx"], ["icd 10", "dx"], ["code", "dx"], ["codes", "dx"]];
  var MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december"];
  function isDigit(c) { return c >= "0" && c <= "9"; }
  function isAlpha(c) { return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z"); }
  function isAlnum(c) { return isDigit(c) || isAlpha(c); }
  function isJoiner(c) { return c === "-" || c === "/" || c === "." || c === "_"; }
  function run(s, p, test) { var n = 0; while (p + n < s.length && test(s.charAt(p + n))) n++; return n; }
  function digits(s, p) { return run(s, p, isDigit); }
  function num(s, p, n) { return parseInt(s.substr(p, n), 10); }
  // A value must not be glued to a neighbouring token ("1-123-45-6789", "C43.9.1").
  function endsClean(s, e) { var c = s.charAt(e); return !isAlnum(c) && !(isJoiner(c) && isAlnum(s.charAt(e + 1))); }
  function startsClean(s, p) { var c = s.charAt(p - 1); return !isAlnum(c) && !(isJoiner(c) && isAlnum(s.charAt(p - 2))); }
  function wordStart(s, p) { return isAlnum(s.charAt(p)) && !isAlnum(s.charAt(p - 1)); }
  function spaces(s, p) { while (s.charAt(p) === " ") p++; return p; }
  // The SSA's rules: area not 000, 666 or 900-999, group not 00, serial not 0000.
  function ssnValid(a, g, n) { return a !== 0 && a !== 666 && a < 900 && g !== 0 && n !== 0; }
  function formattedSsn(s, p) {
    var sep = s.charAt(p + 3), e = p + 11;
    if (digits(s, p) !== 3 || (sep !== "-" && sep !== " ") || digits(s, p + 4) !== 2 ||
        s.charAt(p + 6) !== sep || digits(s, p + 7) !== 4 || !endsClean(s, e) || s.charAt(p - 1) === "$") return -1;
    if (sep === " " && ((s.charAt(p - 1) === " " && isDigit(s.charAt(p - 2))) ||
        (s.charAt(e) === " " && isDigit(s.charAt(e + 1))))) return -1;
    return ssnValid(num(s, p, 3), num(s, p + 4, 2), num(s, p + 7, 4)) ? e : -1;
  }
  function cuedSsn(s, p) {
    if (formattedSsn(s, p) >= 0) return formattedSsn(s, p);
    return digits(s, p) === 9 && endsClean(s, p + 9) &&
      ssnValid(num(s, p, 3), num(s, p + 3, 2), num(s, p + 5, 4)) ? p + 9 : -1;
  }
  function mrn(s, p) {
    var n = run(s, p, isAlnum), d = 0;
    for (var i = p; i < p + n; i++) if (isDigit(s.charAt(i))) d++;
    return n >= 5 && n <= 15 && d >= 4 && endsClean(s, p + n) ? p + n : -1;
  }
  // ICD-10-CM: a letter A-T or V-Z, two digits, optionally a dot and 1-4 letters or digits.
  // Outside a cue only the dotted form with a capital (not V, which reads as a version) counts.
  function icd(s, p, cued) {
    var L = s.charAt(p), U = L.toUpperCase(), e = p + 3, ext = run(s, e + 1, isAlnum);
    if (!isAlpha(L) || (!cued && L !== U) || U === "U" || (!cued && U === "V") || digits(s, p + 1) !== 2) return -1;
    if (s.charAt(e) === "." && ext >= 1 && ext <= 4) e += 1 + ext;
    return (cued || e > p + 3) && endsClean(s, e) ? e : -1;
  }
  function month(w) {
    w = w.toLowerCase();
    for (var i = 0; i < 12; i++) if (w === MONTHS[i] || (w.length === 3 && MONTHS[i].indexOf(w) === 0)) return i + 1;
    return w === "sept" ? 9 : 0;
  }
  function day(s, p) {
    var n = digits(s, p), suf = s.substr(p + n, 2).toLowerCase();
    if (n < 1 || n > 2 || num(s, p, n) < 1 || num(s, p, n) > 31) return -1;
    return suf === "st" || suf === "nd" || suf === "rd" || suf === "th" ? p + n + 2 : p + n;
  }
  function year(s, p) { return digits(s, p) === 4 && num(s, p, 4) >= 1880 && num(s, p, 4) <= 2099 ? p + 4 : -1; }
  // MM/DD/YYYY, M/D/YY (or with hyphens), YYYY-MM-DD, "March 3, 1961", "3 Mar 1961".
  function date(s, p) {
    var e = -1, a = digits(s, p), sep = s.charAt(p + a), q = p + a + 1, b = digits(s, q), r = q + b + 1, c = digits(s, r), w, m;
    if ((sep === "/" || sep === "-") && s.charAt(q + b) === sep) {
      if (a >= 1 && a <= 2 && b >= 1 && b <= 2 && (c === 2 || (c === 4 && year(s, r) >= 0)) &&
          num(s, p, a) >= 1 && num(s, p, a) <= 12 && num(s, q, b) >= 1 && num(s, q, b) <= 31) e = r + c;
      if (a === 4 && sep === "-" && year(s, p) >= 0 && b >= 1 && b <= 2 && c >= 1 && c <= 2 &&
          num(s, q, b) >= 1 && num(s, q, b) <= 12 && num(s, r, c) >= 1 && num(s, r, c) <= 31) e = r + c;
    } else if (a >= 1) {                          // "3 Mar 1961", "3rd March, 1961"
      q = day(s, p); m = q >= 0 ? spaces(s, q) : -1;
      if (m > q && (w = run(s, m, isAlpha)) && month(s.substr(m, w))) {
        r = m + w + (s.charAt(m + w) === "." || s.charAt(m + w) === "," ? 1 : 0);
        if (spaces(s, r) > r || s.charAt(r - 1) === ",") e = year(s, spaces(s, r));
      }
    } else if ((w = run(s, p, isAlpha)) && month(s.substr(p, w))) {  // "March 3, 1961"
      q = p + w + (s.charAt(p + w) === "." ? 1 : 0);
      if (spaces(s, q) > q && (r = day(s, spaces(s, q))) >= 0) {
        c = r + (s.charAt(r) === "," ? 1 : 0);
        if (spaces(s, c) > r) e = year(s, spaces(s, c));
      }
    }
    return e >= 0 && endsClean(s, e) ? e : -1;
  }
  var VALUE = { ssn: cuedSsn, mrn: mrn, dob: date, dx: function (s, p) { return icd(s, p, true); } };
  function cueEnd(s, p, cue) {
    var i = p, k, ch;
    for (k = 0; k < cue.length; k++) {
      if (cue.charAt(k) === " ") { while (i < s.length && " \t\r\n.-_".indexOf(s.charAt(i)) >= 0) i++; }
      else if (s.charAt(i).toLowerCase() === cue.charAt(k)) i++;
      else return -1;
    }
    ch = cue.charAt(cue.length - 1);
    return isAlnum(ch) && isAlnum(s.charAt(i)) ? -1 : i;
  }
  // The first word within four words and 40 characters of a cue that reads as its value.
  function cuedValue(s, from, kind) {
    for (var p = from, skipped = 0; p < s.length && p - from <= 40; p++) {
      if (!wordStart(s, p)) continue;
      if ((startsClean(s, p) || (p === from + 1 && isJoiner(s.charAt(from)))) && VALUE[kind](s, p) >= 0) return true;
      if (++skipped > 4) return false;
      p += run(s, p, isAlnum) - 1;
    }
    return false;
  }
  // The kinds of patient information in `s`, each listed once.
  function scan(s) {
    var kinds = [], p, k, e, add = function (kind) { if (kinds.indexOf(kind) < 0) kinds.push(kind); };
    for (p = 0; p < s.length; p++) {
      if (!wordStart(s, p)) continue;
      if (startsClean(s, p) && formattedSsn(s, p) >= 0) add("ssn");
      if (startsClean(s, p) && icd(s, p, false) >= 0) add("dx");
      for (k = 0; k < CUES.length; k++) {
        if ((e = cueEnd(s, p, CUES[k][0])) >= 0 && cuedValue(s, e, CUES[k][1])) add(CUES[k][1]);
      }
    }
    return kinds;
  }
  function message(kinds) {
    var list = kinds.map(function (k) { return LABELS[k]; });
    var last = list.pop();
    return "This looks like it contains " + (list.length ? list.join(", ") + " and " + last : last) +
      ". Remove patient information before you send it \u2014 we will redact it if you do not.";
  }
  function guard(form) {
    var warning = form.querySelector("[data-phi-warning]"), warned = false;
    if (!warning) return;
    warning.setAttribute("role", "alert");
    warning.setAttribute("tabindex", "-1");
    function check() {
      var kinds = [], fields = form.querySelectorAll("[data-phi-check]");
      for (var i = 0; i < fields.length; i++) {
        scan(fields[i].value || "").forEach(function (k) { if (kinds.indexOf(k) < 0) kinds.push(k); });
      }
      var text = kinds.length ? message(kinds) : "";
      // Only a change is written, so screen readers do not repeat the alert on every key.
      if (warning.textContent !== text) warning.textContent = text;
      warning.hidden = !text;
      return kinds.length > 0;
    }
    form.addEventListener("input", function (ev) {
      if (ev.target && ev.target.hasAttribute && ev.target.hasAttribute("data-phi-check")) check();
    });
    // The first submit with findings is held once so the warning is read; the second goes
    // through, because the server redacts whatever is left.
    form.addEventListener("submit", function (ev) {
      if (check() && !warned) { warned = true; ev.preventDefault(); warning.focus(); }
    });
  }
  function init() { Array.prototype.forEach.call(document.querySelectorAll("form[data-phi-guard]"), guard); }
  if (typeof document === "undefined") { module.exports = { scan: scan }; return; } // tests under Node
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
