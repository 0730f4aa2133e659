/* Sifang live meeting client: a small hand-written websocket client, no build step.
 *
 * - The page is rendered by the server and works without this script (plain forms).
 * - With it: one websocket to /ws/meetings/<id>/, reconnecting with jittered exponential
 *   back-off (backoff.js) and a visible "正在重新连接…" banner; every (re)connect starts from a fresh `state` frame.
 * - Frames carry whole sections with the meeting's `seq`; a section is replaced only when the
 *   frame is not older than what we hold, and a tally of the same poll never goes back to
 *   fewer ballots, so a counter never goes backwards (meetings/protocol.py: apply_frame).
 * - The ballot form is rebuilt only when the poll or its status changes: a push never clears
 *   a ballot being filled in.
 */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !("WebSocket" in window) || !window.JSON) return;
  var SECTIONS = ["meeting", "agenda", "poll", "tally", "speakers", "attendance"];
  var T = JSON.parse(document.getElementById("live-strings").textContent);
  var state = JSON.parse(document.getElementById("live-state").textContent);
  var seqs = {};
  SECTIONS.forEach(function (s) { seqs[s] = state.seq; });
  var view = root.getAttribute("data-view");
  var banner = document.getElementById("live-banner");
  var notice = document.getElementById("live-notice");
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  // Form targets come from the page ({% url %}), so this script builds no paths of its own.
  var actionUrl = root.getAttribute("data-action-url");
  var voteUrl = root.getAttribute("data-vote-url");
  var skew = state.server_time ? Date.parse(state.server_time) - Date.now() : 0;
  var ws = null, attempt = 0, nextRef = 1, pending = {}, pollKey = null, stopped = false;
  // Refs unique to this page: a ballot re-sent with its ref after a reconnect gets its original
  // receipt back (the server keeps it sealed under the ref), and no other page reuses the ref.
  var refBase = "c" + Math.random().toString(36).slice(2, 10) + "-";
  var voted = {}; // poll id -> true, from `state.you.voted` and `ballot.accepted`
  function noteVoted() { if (state.poll && state.you && state.you.voted) voted[state.poll.id] = true; }
  noteVoted();

  function fmt(s, values) {
    return s.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; }).replace("%%", "%");
  }
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k];
      else if (k === "className") el.className = attrs[k];
      else el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }
  function region(name) { return root.querySelectorAll('[data-region="' + name + '"]'); }
  function fill(name, build) {
    region(name).forEach(function (el) {
      var nodes = build();
      el.textContent = "";
      nodes.forEach(function (n) { if (n) el.appendChild(n); });
    });
  }
  function say(text) {
    if (!notice) return;
    notice.textContent = text;
    notice.hidden = !text;
  }

  // --- reducer (same rules as meetings/protocol.py apply_frame) -----------------------------
  function apply(frame) {
    if (frame.type === "state") {
      state = frame;
      noteVoted();
      SECTIONS.forEach(function (s) { seqs[s] = frame.seq; });
      if (frame.server_time) skew = Date.parse(frame.server_time) - Date.now();
      return SECTIONS.slice();
    }
    var changed = [];
    SECTIONS.forEach(function (name) {
      if (!(name in frame)) return;
      if (frame.seq < (seqs[name] || 0)) return;
      if (name === "tally" && tallyStale(frame)) return;
      state[name] = frame[name];
      seqs[name] = frame.seq;
      changed.push(name);
    });
    if (frame.seq > state.seq) state.seq = frame.seq;
    return changed;
  }
  function tallyStale(frame) {
    var incoming = frame.tally, held = state.tally;
    var poll = "poll" in frame ? frame.poll : state.poll;
    if (frame.type === "tally" && incoming && (!poll || poll.id !== incoming.poll)) return true;
    if (!held || !incoming || held.poll !== incoming.poll) return false;
    return (incoming.ballots || 0) < (held.ballots || 0);
  }

  // --- rendering -------------------------------------------------------------------------
  function currentItem() {
    var items = (state.agenda && state.agenda.items) || [];
    for (var i = 0; i < items.length; i++) if (items[i].id === state.agenda.current) return items[i];
    return null;
  }
  function render(changed) {
    var all = changed.length === SECTIONS.length;
    var item = currentItem();
    if (all || changed.indexOf("meeting") >= 0) {
      fill("status", function () { return [document.createTextNode(state.meeting.status_label)]; });
      root.classList.toggle("meeting-closed", state.meeting.status === "closed");
    }
    if (all || changed.indexOf("agenda") >= 0) {
      fill("current", function () { return [document.createTextNode(item ? item.title : T.not_started)]; });
      root.querySelectorAll("[data-current-item]").forEach(function (el) { if (item) el.value = item.id; });
      fill("positions", function () { return [positions(item)]; });
      fill("agenda-console", agendaConsole);
      fill("item-console", function () { return itemConsole(item); });
    }
    if (all || changed.indexOf("poll") >= 0 || changed.indexOf("agenda") >= 0) {
      fill("question", function () { return [document.createTextNode(state.poll ? state.poll.question : T.no_poll)]; });
      renderPoll();
    }
    if (all || changed.indexOf("tally") >= 0 || changed.indexOf("poll") >= 0) fill("tally", tally);
    if (all || changed.indexOf("speakers") >= 0) fill("speakers", speakers);
    if (all || changed.indexOf("attendance") >= 0) {
      fill("attendance", attendance);
      fill("attendance-console", attendanceConsole);
    }
    tick();
  }

  function renderPoll() {
    var poll = state.poll;
    var key = poll ? [poll.id, poll.status, !!voted[poll.id], state.role].join(":") : "none";
    if (key === pollKey) return; // keep whatever is being filled in
    pollKey = key;
    fill("poll", function () {
      if (!poll) return [h("p", { className: "empty", text: T.no_poll })];
      if (poll.status === "draft") return [h("p", { className: "muted", text: poll.question + " — " + T.poll_draft })];
      if (poll.status !== "open") return [h("p", { className: "muted", text: poll.question + " — " + T.poll_done })];
      if (state.role === "observer") return [h("p", { text: poll.question }), h("p", { className: "muted", text: T.observer })];
      if (voted[poll.id]) return [h("p", { text: poll.question }), h("p", { className: "ok-note", text: T.voted })];
      return [ballotForm(poll)];
    });
  }

  function ballotForm(poll) {
    var form = h("form", { method: "post", action: voteUrl, className: "ballot", "data-ws-ballot": poll.id, "data-method": poll.method });
    form.appendChild(h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }));
    form.appendChild(h("input", { type: "hidden", name: "poll", value: poll.id }));
    var fs = h("fieldset", {}, [h("legend", { className: "question", text: poll.question }),
      h("p", { className: "muted", text: poll.method_label + " · " + poll.rule_label })]);
    if (poll.method === "approval" || poll.method === "ranked") {
      if (poll.method === "ranked") form.appendChild(h("input", { type: "hidden", name: "ranking", value: "1" }));
      poll.options.forEach(function (o) {
        var input = poll.method === "approval"
          ? h("input", { type: "checkbox", name: "choices", value: o.id })
          : h("input", { type: "number", name: "rank-" + o.id, min: 1, max: poll.options.length, "aria-label": fmt(T.rank_of, { l: o.label }) });
        fs.appendChild(h("label", { className: "choice" }, poll.method === "approval" ? [input, " " + o.label] : [o.label + " ", input]));
      });
      fs.appendChild(h("button", { type: "submit", className: "big", text: T.submit }));
    } else {
      var box = h("div", { className: "options" });
      poll.options.forEach(function (o) {
        box.appendChild(h("button", { type: "submit", name: "choice", value: o.id, className: "option big", text: o.label }));
      });
      fs.appendChild(box);
    }
    if (poll.accepts_blank) {
      // 空白票: an explicit button, never inferred from an empty form.
      var key = poll.method === "approval" ? "choices" : poll.method === "ranked" ? "ranking" : "choice";
      fs.appendChild(h("button", { type: "submit", name: "blank", value: key, className: "option blank button-plain", text: T.blank }));
      fs.appendChild(h("p", { className: "muted", text: T.blank_help }));
    }
    form.appendChild(fs);
    return form;
  }

  function tally() {
    var t = state.tally, poll = state.poll, out = [];
    if (poll && t) {
      out.push(h("p", { className: "turnout", text: fmt(T.turnout, { n: t.ballots, total: t.eligible == null ? "—" : t.eligible }) }));
      if (t.visible) {
        var ul = h("ul", { className: "bars" });
        (t.bars || []).forEach(function (b) {
          var fillEl = h("span", { className: "bar-fill" });
          fillEl.style.width = b.percent + "%";
          ul.appendChild(h("li", { className: "bar" }, [h("span", { className: "bar-label", text: b.label }),
            h("span", { className: "bar-track" }, [fillEl]),
            h("span", { className: "bar-count", text: fmt(T.votes, { n: b.count, p: b.percent }) })]));
        });
        out.push(ul);
      } else out.push(h("p", { className: "muted", text: T.hidden }));
    }
    if (poll && poll.verdict) {
      out.push(h("p", { className: "verdict verdict-" + poll.verdict.key, text: T.verdict + poll.verdict.label }));
      (poll.verdict.reasons || []).forEach(function (r) { out.push(h("p", { className: "muted", text: r })); });
    }
    return out;
  }

  function speakers() {
    var sp = state.speakers, out = [];
    if (sp.current) {
      out.push(h("p", { className: "speaker-now" }, [h("strong", { text: T.speaking }),
        fmt(T.name_party, { name: sp.current.name, party: sp.current.party_label }),
        h("span", { className: "timer", "data-ends": sp.current.ends_at, "data-seconds": sp.speech_seconds })]));
    } else out.push(h("p", { className: "muted", text: T.nobody }));
    if (sp.queue.length) {
      var ol = h("ol", { className: "queue" });
      sp.queue.forEach(function (q) {
        ol.appendChild(h("li", { text: fmt(T.name_party, { name: q.name, party: q.party_label }) + (q.spoken ? " · " + fmt(T.spoken, { n: q.spoken }) : "") }));
      });
      out.push(ol);
    } else out.push(h("p", { className: "empty", text: T.queue_empty }));
    return out;
  }

  function attendance() {
    var a = state.attendance, q = a.quorum;
    var ul = h("ul", { className: "parties" });
    Object.keys(a.by_party).forEach(function (k) {
      var row = a.by_party[k];
      ul.appendChild(h("li", { text: row.label + T.colon + row.present + "/" + row.expected }));
    });
    return [h("p", { className: "quorum " + (q.met ? "quorum-met" : "quorum-short"),
      text: fmt(T.quorum, { p: q.present, e: q.expected, r: q.required }) + T.colon + (q.met ? T.quorum_met : T.quorum_short) }), ul];
  }

  function actionForm(type, fields, label, className, confirmText) {
    var form = h("form", { method: "post", action: actionUrl, "data-ws-type": type, className: "inline-form" });
    if (confirmText) form.setAttribute("data-confirm", confirmText);
    form.appendChild(h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }));
    form.appendChild(h("input", { type: "hidden", name: "type", value: type }));
    form.appendChild(h("input", { type: "hidden", name: "next", value: location.pathname }));
    Object.keys(fields).forEach(function (k) { form.appendChild(h("input", { type: "hidden", name: k, value: fields[k] })); });
    form.appendChild(h("button", { type: "submit", className: className || "", text: label }));
    return form;
  }

  function agendaConsole() {
    var ol = h("ol", { className: "agenda" }), live = state.meeting.status === "live";
    state.agenda.items.forEach(function (item) {
      var current = item.id === state.agenda.current;
      var actions = h("div", { className: "row-actions" });
      if (!current && live) actions.appendChild(actionForm("agenda.goto", { item: item.id }, T.goto, "button-plain"));
      if (item.poll && live) {
        var q = { q: item.poll_question || item.title };
        if (item.poll_status === "draft") actions.appendChild(actionForm("poll.open", { poll: item.poll }, T.open_poll));
        else if (item.poll_status === "open") actions.appendChild(actionForm("poll.close", { poll: item.poll }, T.close_poll, "danger", fmt(T.confirm_poll_close, q)));
        else {
          actions.appendChild(h("span", { className: "badge", text: T.poll_closed }));
          if (item.poll_reopenable) actions.appendChild(actionForm("poll.reopen", { poll: item.poll }, T.reopen_poll, "button-plain", fmt(T.confirm_poll_reopen, q)));
        }
      }
      var li = h("li", current ? { className: "agenda-current", "aria-current": "step" } : {},
        [h("strong", { text: item.title }), current ? h("span", { className: "badge", text: " " + T.current }) : null, actions]);
      ol.appendChild(li);
    });
    return [ol];
  }

  function attendanceConsole() {
    var ul = h("ul", { className: "members" });
    state.attendance.members.forEach(function (m) {
      ul.appendChild(h("li", {}, [h("span", { text: m.name }), " ", h("span", { className: "muted", text: m.party_label }), " ",
        m.present ? h("span", { className: "badge", text: T.present + (m.self_checked_in ? "(" + T.self + ")" : "") }) : null,
        actionForm("attendance.mark", { member: m.member, present: m.present ? "0" : "1" }, m.present ? T.mark_absent : T.mark_present, "button-plain")]));
    });
    return [ul];
  }

  function positions(item) {
    if (!item || !item.positions.length) return h("p", { className: "empty", text: T.positions_empty });
    var ul = h("ul", { className: "positions" });
    item.positions.forEach(function (p) {
      ul.appendChild(h("li", { className: "position stance-" + p.stance }, [h("strong", { text: p.party_label }),
        T.colon + p.stance_label + (p.statement ? " — " + p.statement : "")]));
    });
    return ul;
  }

  function itemConsole(item) {
    if (!item) return [h("p", { className: "empty", text: T.not_started })];
    var notes = item.notes.length ? h("ul", { className: "notes" }) : h("p", { className: "empty", text: T.notes_empty });
    item.notes.forEach(function (n) { notes.appendChild(h("li", {}, [n.text + " ", h("span", { className: "muted", text: "— " + n.author })])); });
    return [h("h3", { text: item.title }), positions(item), notes];
  }

  function tick() {
    root.querySelectorAll(".timer[data-ends]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-ends")) - (Date.now() + skew)) / 1000);
      var t = Math.abs(left), text = Math.floor(t / 60) + ":" + ("0" + (t % 60)).slice(-2);
      el.textContent = left >= 0 ? fmt(T.left, { t: text }) : fmt(T.over, { t: text });
      el.classList.toggle("overtime", left < 0);
    });
  }
  setInterval(tick, 1000);

  // --- the socket ------------------------------------------------------------------------
  function handle(frame) {
    if (frame.type === "error") {
      var p = pending[frame.ref];
      delete pending[frame.ref];
      if (p && p.restore) p.restore();
      if (p && p.form) p.form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      say(frame.message);
      return;
    }
    if (frame.type === "ballot.accepted") {
      delete pending[frame.ref];
      voted[frame.poll] = true;
      region("receipt").forEach(function (el) { el.textContent = T.receipt + frame.receipt; });
      say("");
      renderPoll();
      return;
    }
    if (frame.type === "meeting.closed") say(T.meeting_closed);
    render(apply(frame));
  }

  function connect() {
    if (stopped) return;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.getAttribute("data-ws");
    ws = new WebSocket(url);
    ws.onopen = function () {
      banner.hidden = true; root.classList.add("ws-on");
      // A ballot sent before the connection dropped and never answered: send it again with the
      // same ref; if it had been counted, the answer is its original receipt.
      Object.keys(pending).forEach(function (ref) {
        var p = pending[ref];
        if (p.frame && p.frame.type === "ballot.cast") ws.send(JSON.stringify(p.frame));
      });
    };
    ws.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (x) { return; }
      // Back to the shortest wait only once the server really served us: a socket that opens
      // and drops again at once must not retry in a tight loop.
      if (frame.type === "state") attempt = 0;
      handle(frame);
    };
    ws.onclose = function (e) {
      ws = null;
      root.classList.remove("ws-on");
      if (e.code === 4401) { stopped = true; banner.textContent = T.closed; banner.hidden = false; return; }
      banner.textContent = T.reconnecting;
      banner.hidden = false;
      // Full jitter, capped, never giving up (backoff.js, meetings/reconnect.py).
      var delay = window.SifangBackoff.delay(attempt++, Math.random,
        Number(root.getAttribute("data-backoff-base-ms")) || 0,
        Number(root.getAttribute("data-backoff-cap-ms")) || 0);
      setTimeout(connect, delay);
    };
  }

  function send(frame, extra) {
    if (!ws || ws.readyState !== 1) return false;
    frame.ref = refBase + nextRef++;
    pending[frame.ref] = extra || {};
    pending[frame.ref].frame = frame;
    ws.send(JSON.stringify(frame));
    return true;
  }

  // Closing a poll or the meeting, and reopening a poll, ask first in a dialog; once
  // confirmed the form goes on as below with `confirmed=1` (the server asks plain forms
  // without it on a page of its own).
  var dialog = document.getElementById("confirm-dialog");
  function confirmFirst(form, submitter) {
    if (!dialog || typeof dialog.showModal !== "function") return false;
    dialog.querySelector(".confirm-text").textContent = form.getAttribute("data-confirm");
    var ok = dialog.querySelector("[data-confirm-ok]"), cancel = dialog.querySelector("[data-confirm-cancel]");
    function done(yes) {
      ok.onclick = cancel.onclick = dialog.oncancel = null;
      dialog.close();
      if (!yes) return;
      form.setAttribute("data-confirmed", "1");
      var field = form.querySelector("input[name=confirmed]");
      if (!field) { field = h("input", { type: "hidden", name: "confirmed" }); form.appendChild(field); }
      field.value = "1";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
      form.removeAttribute("data-confirmed");
    }
    ok.onclick = function () { done(true); };
    cancel.onclick = function () { done(false); };
    dialog.oncancel = function () { ok.onclick = cancel.onclick = dialog.oncancel = null; };
    dialog.showModal();
    cancel.focus();
    return true;
  }

  // Forms go over the socket when it is open; otherwise they post as plain forms.
  root.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("data-confirm") && !form.hasAttribute("data-confirmed")) {
      if (confirmFirst(form, e.submitter)) { e.preventDefault(); return; }
    }
    var ballot = form.getAttribute("data-ws-ballot");
    var type = form.getAttribute("data-ws-type");
    if (!ws || ws.readyState !== 1 || (!ballot && !type)) return;
    var frame, extra = { form: form };
    if (ballot) {
      var method = form.getAttribute("data-method");
      frame = { type: "ballot.cast", poll: parseInt(ballot, 10) };
      if (e.submitter && e.submitter.name === "blank") {
        // A blank ballot: {"choice": null}, {"choices": []} or {"ranking": []}.
        frame[e.submitter.value] = e.submitter.value === "choice" ? null : [];
      } else if (method === "approval") {
        frame.choices = Array.prototype.map.call(form.querySelectorAll("input[name=choices]:checked"), function (i) { return parseInt(i.value, 10); });
        if (!frame.choices.length) frame.choices = null;  // nothing chosen: refused, not blank
      } else if (method === "ranked") {
        var ranks = [];
        form.querySelectorAll("input[type=number]").forEach(function (i) {
          if (i.value) ranks.push([parseInt(i.value, 10), parseInt(i.name.slice(5), 10)]);
        });
        ranks.sort(function (a, b) { return a[0] - b[0]; });
        frame.ranking = ranks.length ? ranks.map(function (r) { return r[1]; }) : null;
      } else {
        if (!e.submitter || !e.submitter.value) return;
        frame.choice = parseInt(e.submitter.value, 10);
      }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    } else {
      frame = { type: type };
      var data = new FormData(form);
      ["item", "poll", "member"].forEach(function (k) { if (data.has(k)) frame[k] = parseInt(data.get(k), 10); });
      if (data.has("reason") && data.get("reason")) frame.reason = data.get("reason");
      if (data.has("present")) frame.present = data.get("present") === "1";
      if (type === "note.add") {
        var area = form.querySelector("textarea");
        frame.text = area.value;
        extra.restore = function () { area.value = frame.text; };
        area.value = "";
      }
    }
    e.preventDefault();
    say("");
    send(frame, extra);
  });

  render(SECTIONS.slice());
  connect();
})();
