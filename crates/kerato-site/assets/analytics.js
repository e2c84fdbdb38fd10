// Counts one view of this page, first-party only: it sends the path (no identifier, no cookie)
// to this site's /analytics/pageview. The server includes this file only for visitors who
// agreed to analytics and whose browser sends no Global Privacy Control signal, and it refuses
// the count otherwise. Loaded with <script src>, no dependencies, so it runs under a strict CSP.
(function () {
  "use strict";
  var path = window.location.pathname;
  if (path.length > 200) {
    return;
  }
  var url = "/analytics/pageview";
  var body = JSON.stringify({ path: path });
  var sent = false;
  try {
    sent = !!(navigator.sendBeacon &&
      navigator.sendBeacon(url, new Blob([body], { type: "application/json" })));
  } catch (e) {
    // Some browsers refuse a JSON beacon; the fetch below is the same request.
    sent = false;
  }
  if (!sent && window.fetch) {
    window.fetch(url, {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: body
    }).catch(function () {});
  }
})();
