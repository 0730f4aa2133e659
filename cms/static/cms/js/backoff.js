/* When the live page tries again after its socket dropped: exponential back-off with full
 * jitter, the same schedule as meetings/reconnect.py (tests/meetings/test_reconnect.py runs both
 * on the same random numbers). A worker restart drops every socket of a meeting at once; waiting
 * a uniformly random time in [0, min(cap, base * 2^attempt)) spreads a thousand phones over the
 * whole window instead of sending them back together, and the cap brings everyone back within
 * seconds once the server is up. The page never gives up while it is open.
 */
(function (root) {
  "use strict";
  var BASE_MS = 500, CAP_MS = 5000;
  function ceiling(attempt, baseMs, capMs) {
    return Math.min(capMs, baseMs * Math.pow(2, Math.min(attempt, 32)));
  }
  // random: a function returning a number in [0, 1), like Math.random.
  function delay(attempt, random, baseMs, capMs) {
    return random() * ceiling(attempt, baseMs || BASE_MS, capMs || CAP_MS);
  }
  var api = { BASE_MS: BASE_MS, CAP_MS: CAP_MS, ceiling: ceiling, delay: delay };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.SifangBackoff = api;
})(this);
