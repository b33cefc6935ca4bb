/* Live chat over a websocket, on top of a page that works without it.
   Without this file the form posts and the htmx poller fetches new messages
   every few seconds; with it, messages arrive at once. While the socket is
   down the poller runs again and sends go through the form's own URL. */
(function () {
  "use strict";
  var list = document.getElementById("messages");
  var form = document.getElementById("send-form");
  if (!list || !list.dataset.socket || !window.WebSocket || !window.fetch) { return; }
  var poller = document.getElementById("poller");
  var typingNote = document.getElementById("typing");
  var announcer = document.getElementById("announce");
  var text = form ? form.querySelector("textarea[name=body]") : null;
  var words = list.dataset;
  var socket = null;
  var live = false;
  var closedForGood = false;
  var retries = 0;
  var unacked = {};  /* client_id -> body, re-sent after a reconnect */
  var lastTyping = 0;
  var typingTimer = 0;
  var readSent = 0;

  /* The highest seq below which nothing is missing. Not simply the highest
     seq shown: our own message gets its seq from the ack, and someone
     else's message just before it may still be on its way; resuming after
     our own seq would skip theirs for good. */
  function lastSeq() {
    var seq = parseInt(list.dataset.lastSeq, 10) || 0;
    var shown = {};
    list.querySelectorAll("li[data-seq]").forEach(function (item) {
      shown[parseInt(item.dataset.seq, 10) || 0] = true;
    });
    while (shown[seq + 1]) { seq += 1; }
    return seq;
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /* Put one message item where its seq belongs; messages still being sent
     (no seq yet) stay at the end. Returns false if it was already there. */
  function place(item) {
    var seq = parseInt(item.dataset.seq, 10);
    var existing = document.getElementById(item.id);
    if (existing && existing !== item) { return false; }
    var before = null;
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      var other = items[i];
      if (other === item) { continue; }
      var otherSeq = parseInt(other.dataset.seq, 10);
      if (isNaN(otherSeq) || otherSeq > seq) { before = other; break; }
    }
    list.insertBefore(item, before);
    return true;
  }

  function announce(message) {
    if (announcer && message) { announcer.textContent = message; }
  }

  function parse(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return holder.content.querySelector("li[data-seq]");
  }

  function receive(items) {
    var fresh = 0;
    items.forEach(function (entry) {
      var item = parse(entry.html);
      if (item && place(item)) {
        fresh++;
        if (!item.classList.contains("mine")) { announce(item.textContent.replace(/\s+/g, " ").trim()); }
      }
    });
    list.dataset.lastSeq = String(lastSeq());
    if (fresh) { markRead(); }
  }

  function markRead() {
    var seq = lastSeq();
    if (document.visibilityState !== "visible" || seq <= readSent || !live) { return; }
    readSent = seq;
    socket.send(JSON.stringify({ type: "read", seq: seq }));
  }

  /* --- The poller: quiet while the socket is live -------------------------- */

  if (poller) {
    poller.addEventListener("htmx:beforeRequest", function (event) {
      if (live) { event.preventDefault(); }
    });
    /* Ask for what the page does not have yet, whatever the socket brought. */
    poller.addEventListener("htmx:configRequest", function (event) {
      var after = String(lastSeq());
      event.detail.path = event.detail.path.replace(/after=\d+/, "after=" + after);
      if (event.detail.parameters) { event.detail.parameters.after = after; }
    });
  }
  /* A poll may bring a message the socket brought first: keep one of each. */
  list.addEventListener("htmx:afterSwap", function () {
    var seen = {};
    list.querySelectorAll("li[id]").forEach(function (item) {
      if (seen[item.id]) { item.remove(); } else { seen[item.id] = true; }
    });
    list.dataset.lastSeq = String(lastSeq());
  });

  /* --- Sending -------------------------------------------------------------- */

  function pendingItem(clientId, body) {
    var item = document.createElement("li");
    item.id = "c-" + clientId;
    item.className = "message mine pending";
    var p = document.createElement("p");
    p.textContent = body;
    var state = document.createElement("small");
    state.className = "message-state";
    state.textContent = words.sending || "Sending\u2026";
    item.append(p, state);
    list.appendChild(item);
    return item;
  }

  function setState(clientId, seq, label) {
    var item = document.getElementById("c-" + clientId);
    if (!item) { return; }
    var state = item.querySelector(".message-state");
    if (state) { state.textContent = label; }
    if (seq) {
      item.classList.remove("pending");
      var copy = document.getElementById("m-" + seq);
      if (copy) { item.remove(); return; }
      item.id = "m-" + seq;
      item.dataset.seq = String(seq);
      place(item);
      list.dataset.lastSeq = String(lastSeq());
    }
  }

  function sendByForm(clientId, body) {
    var data = new FormData(form);
    data.set("body", body);
    data.set("client_id", clientId);
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok || response.status === 400) { return { ok: response.ok, html: html }; }
        throw new Error(String(response.status));
      });
    }).then(function (answer) {
      var holder = document.createElement("template");
      holder.innerHTML = answer.html;
      delete unacked[clientId];
      if (!answer.ok) {
        /* Refused (too long, chat ended...): say why, do not try again. */
        var why = holder.content.getElementById("send-status");
        setState(clientId, 0, why ? why.textContent : (words.notSent || "Not sent"));
        return;
      }
      var pending = document.getElementById("c-" + clientId);
      if (pending) { pending.remove(); }
      var item = holder.content.querySelector("li[data-seq]");
      if (item) { place(item); list.dataset.lastSeq = String(lastSeq()); }
    }).catch(function () {
      /* Still in unacked: it goes again, same client_id, once the socket is back. */
      setState(clientId, 0, words.notSent || "Not sent yet");
    });
  }

  if (form && text) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = text.value.trim();
      if (!body) { return; }
      var clientId = newClientId();
      unacked[clientId] = body;
      pendingItem(clientId, body);
      text.value = "";
      text.focus();
      if (live) {
        socket.send(JSON.stringify({ type: "send", client_id: clientId, body: body }));
      } else {
        sendByForm(clientId, body);
      }
    });
    text.addEventListener("input", function () {
      var now = Date.now();
      if (live && now - lastTyping > 3000) {
        lastTyping = now;
        socket.send(JSON.stringify({ type: "typing" }));
      }
    });
  }

  /* --- The socket ----------------------------------------------------------- */

  var handlers = {
    ack: function (data) {
      delete unacked[data.client_id];
      setState(data.client_id, data.seq, words.sent || "Sent");
    },
    error: function (data) {
      if (!data.client_id) { return; }
      delete unacked[data.client_id];
      setState(data.client_id, 0, data.message);
    },
    messages: function (data) { receive(data.items || []); },
    typing: function (data) {
      if (!typingNote) { return; }
      typingNote.textContent = (words.typing || "%s is typing\u2026").replace("%s", data.name);
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingNote.textContent = ""; }, 5000);
    },
    ended: function () {
      closedForGood = true;
      if (text) { text.disabled = true; }
      /* The other side ended the chat: show where to go next. */
      var next = document.getElementById("ended-next");
      if (next) { next.hidden = false; }
      if (socket) { socket.close(); }
    }
  };

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + list.dataset.socket);
    socket.addEventListener("open", function () {
      live = true;
      retries = 0;
      socket.send(JSON.stringify({ type: "resume", after: lastSeq() }));
      Object.keys(unacked).forEach(function (clientId) {
        socket.send(JSON.stringify({ type: "send", client_id: clientId, body: unacked[clientId] }));
      });
    });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (ignored) { return; }
      if (handlers[data.type]) { handlers[data.type](data); }
    });
    socket.addEventListener("close", function (event) {
      live = false;
      socket = null;
      /* 4401: signed out; 4403: not (or no longer) allowed. The page, polled
         again, shows what happened. */
      if (closedForGood || event.code === 4401 || event.code === 4403) { return; }
      var delay = Math.min(30000, 1000 * Math.pow(2, retries++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  document.addEventListener("visibilitychange", markRead);
  connect();
}());
