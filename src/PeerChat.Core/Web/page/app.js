// The PeerChat web page: peerchat/1 frames over a WebSocket (subprotocol peerchat.v1), see
// docs/PROTOCOL.md. Plain script, no build step: the server's CSP allows only files it serves itself.
// Text from the server is only ever put into the page with textContent, never parsed as HTML.
'use strict';

const HISTORY_PAGE = 50;
const GAP_PAGE = 200;
// Enough pages to fill a long outage without letting a server that never says `complete` loop us.
const MAX_GAP_PAGES = 50;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 15000;
const MARK_READ_DELAY_MS = 150;

const ERROR_TEXT = {
  invalid_credentials: 'Wrong user name or password.',
  user_exists: 'That user name is taken.',
  invalid_username: 'A user name is 1 to 32 letters, digits, dots, dashes or underscores.',
  invalid_password: 'The password is too short (or longer than 1024 characters).',
  signup_disabled: 'This server does not take new accounts.',
  no_such_user: 'There is no user of that name.',
  invalid_room: 'A room name is 1 to 32 letters, digits, dots, dashes or underscores.',
  not_in_room: 'You are not in that room.',
  no_such_room: 'There is no room of that name.',
  too_many_rooms: 'You are in too many rooms already.',
  user_offline: 'That user is offline and this server keeps no messages.',
  store_unavailable: 'The server cannot store messages right now.',
  too_many_sessions: 'Too many sessions from your address.',
};

class ChatError extends Error {
  constructor(frame) {
    super(ERROR_TEXT[frame.code] || frame.message || frame.code);
    this.code = frame.code;
    this.retryAfterMs = frame.retryAfterMs;
  }
}

const $ = id => document.getElementById(id);

const state = {
  ws: null,
  // 'out' (login form), 'in' (logged in), 'reconnecting' (lost, trying again).
  session: 'out',
  credentials: null,
  me: null,
  hasStore: false,
  maxFrameBytes: 65536,
  nextId: 1,
  pending: new Map(),
  conversations: new Map(),
  active: '*',
  online: new Map(),
  retryDelay: RETRY_FIRST_MS,
  retryTimer: 0,
  offlineLeft: 0,
};

// ---- connection -------------------------------------------------------------------------------

function socketUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
}

// Opens a socket and resolves with the server's hello; later frames go to handleFrame.
function openSocket() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(), 'peerchat.v1');
    state.ws = ws;
    let greeted = false;
    ws.addEventListener('message', event => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (!frame || typeof frame.type !== 'string') return;
      if (!greeted) {
        if (frame.type === 'hello') { greeted = true; resolve(frame); }
        else if (frame.type === 'error') reject(new ChatError(frame));
        return;
      }
      if (ws === state.ws) handleFrame(frame);
    });
    ws.addEventListener('close', () => {
      rejectPending(ws);
      if (!greeted) reject(new Error('The server cannot be reached.'));
      else if (ws === state.ws) connectionLost();
    });
  });
}

function closeSocketQuietly() {
  const ws = state.ws;
  state.ws = null;
  if (ws) { rejectPending(ws); ws.close(); }
}

function request(frame) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('Not connected.'));
  frame.id = state.nextId++;
  const text = JSON.stringify(frame);
  if (new TextEncoder().encode(text).length > state.maxFrameBytes) {
    return Promise.reject(new Error('That message is too long for the server.'));
  }
  return new Promise((resolve, reject) => {
    state.pending.set(frame.id, { resolve, reject, ws });
    ws.send(text);
  });
}

function sendWithoutReply(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
}

function rejectPending(ws) {
  for (const [id, waiter] of state.pending) {
    if (waiter.ws !== ws) continue;
    state.pending.delete(id);
    waiter.reject(new Error('The connection was lost.'));
  }
}

function handleFrame(frame) {
  if (frame.re !== undefined && state.pending.has(frame.re)) {
    const waiter = state.pending.get(frame.re);
    state.pending.delete(frame.re);
    if (frame.type === 'error') waiter.reject(new ChatError(frame));
    else waiter.resolve(frame);
    return;
  }
  switch (frame.type) {
    case 'message': receiveMessage(frame); break;
    case 'presence': updatePresence(frame); break;
    case 'room_event': roomEvent(frame); break;
    case 'notice': notice(frame); break;
    case 'error': showChatStatus(new ChatError(frame).message); break;
    default: break; // pong and frames of later versions
  }
}

// ---- logging in, out and back in -----------------------------------------------------------------

async function logIn(signUp) {
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  if (!user || !password) { showLoginStatus('Enter a user name and a password.'); return; }
  setLoginBusy(true);
  showLoginStatus(signUp ? 'Signing up…' : 'Logging in…');
  try {
    const hello = await openSocket();
    if (signUp) await request({ type: 'signup', user, password });
    const welcome = await request({ type: 'login', user, password, presence: true });
    state.credentials = { user, password };
    $('login-password').value = '';
    showLoginStatus('');
    await startSession(hello, welcome, false);
  } catch (error) {
    if (state.session === 'out') { closeSocketQuietly(); showLoginStatus(error.message); }
  } finally {
    setLoginBusy(false);
  }
}

// Runs at once after welcome (before the offline messages that follow it are handled), then loads.
async function startSession(hello, welcome, again) {
  state.session = 'in';
  state.me = welcome.user;
  state.hasStore = Array.isArray(hello.extensions) && hello.extensions.includes('history');
  if (Number.isInteger(hello.maxFrameBytes)) state.maxFrameBytes = hello.maxFrameBytes;
  state.offlineLeft = welcome.queued || 0;
  state.retryDelay = RETRY_FIRST_MS;
  ensureConversation('everyone', null);
  showChat(again);
  try {
    await refresh(again);
  } catch (error) {
    if (state.session === 'in') showChatStatus(error.message);
  }
}

async function refresh(again) {
  const loads = [request({ type: 'list' }).then(reply => setOnline(reply.clients))];
  if (state.hasStore) {
    loads.push(request({ type: 'conversations' }).then(reply => setConversations(reply.conversations)));
    loads.push(request({ type: 'rooms' }).then(reply => setRoomNames(reply.rooms)));
  }
  await Promise.all(loads);
  if (again) {
    for (const conv of state.conversations.values()) if (conv.loaded) await fillGap(conv);
  }
  await openConversation(state.active);
}

function connectionLost() {
  if (state.session !== 'in') return;
  state.session = 'reconnecting';
  scheduleReconnect(0);
}

function scheduleReconnect(atLeastMs) {
  const delay = Math.max(atLeastMs, state.retryDelay * (0.75 + Math.random() * 0.5));
  state.retryDelay = Math.min(state.retryDelay * 2, RETRY_MAX_MS);
  setConnection(`Connection lost. Reconnecting in ${Math.ceil(delay / 1000)} s.`, true);
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(reconnect, delay);
}

async function reconnect() {
  clearTimeout(state.retryTimer);
  if (state.session !== 'reconnecting') return;
  setConnection('Reconnecting…', true);
  try {
    const hello = await openSocket();
    const welcome = await request({ type: 'login', ...state.credentials, presence: true });
    if (state.session !== 'reconnecting') { closeSocketQuietly(); return; }
    await startSession(hello, welcome, true);
  } catch (error) {
    if (state.session !== 'reconnecting') return;
    closeSocketQuietly();
    if (error.code === 'invalid_credentials') { logOut(error.message); return; }
    scheduleReconnect(error.retryAfterMs || 0);
  }
}

function logOut(why) {
  state.session = 'out';
  clearTimeout(state.retryTimer);
  // What was read just now still counts: the server takes these before the logout.
  for (const conv of state.conversations.values()) {
    if (!conv.markTimer) continue;
    clearTimeout(conv.markTimer);
    conv.markTimer = 0;
    const upTo = newestId(conv);
    if (upTo && upTo !== conv.readUpTo) sendWithoutReply({ type: 'mark_read', ...target(conv), upTo });
  }
  sendWithoutReply({ type: 'logout' });
  closeSocketQuietly();
  state.credentials = null;
  state.me = null;
  state.conversations.clear();
  state.online.clear();
  state.active = '*';
  $('messages').replaceChildren();
  $('chat-view').hidden = true;
  $('login-view').hidden = false;
  showLoginStatus(why || '');
  $('login-user').focus();
}

function notice(frame) {
  switch (frame.code) {
    case 'session_replaced':
      logOut('You logged in somewhere else, so this page was logged out.');
      break;
    case 'idle_timeout':
      // The server's idle rule ends quiet sessions: coming back by itself would defeat it.
      state.session = 'reconnecting';
      clearTimeout(state.retryTimer);
      setConnection('Disconnected after a long time without activity.', true);
      break;
    case 'offline_more':
      state.offlineLeft = frame.queued || 0;
      break;
    case 'offline_dropped':
      showChatStatus(`${frame.count} messages kept for you while offline were dropped (your queue was full).`);
      break;
    case 'broadcasts_dropped':
      showChatStatus(`${frame.dropped} messages were dropped on the way; reloading.`);
      reloadAfterDrop().catch(() => {});
      break;
    case 'server_shutdown':
      setConnection('The server is shutting down.', false);
      break;
    default:
      if (frame.message) showChatStatus(frame.message);
  }
}

async function reloadAfterDrop() {
  for (const conv of state.conversations.values()) if (conv.loaded) await fillGap(conv);
  if (state.hasStore) setConversations((await request({ type: 'conversations' })).conversations);
}

// ---- conversations ----------------------------------------------------------------------------

function keyOf(kind, name) {
  if (kind === 'everyone') return '*';
  return (kind === 'room' ? '#' : '@') + name.toLowerCase();
}

function ensureConversation(kind, name) {
  const key = keyOf(kind, name);
  let conv = state.conversations.get(key);
  if (!conv) {
    conv = {
      key, kind, name,
      messages: [], ids: new Set(), unread: 0,
      loaded: false, complete: false, readUpTo: null, markTimer: 0,
    };
    state.conversations.set(key, conv);
    renderConversationList();
  }
  return conv;
}

function titleOf(conv) {
  if (conv.kind === 'everyone') return 'everyone';
  return (conv.kind === 'room' ? '#' : '@') + conv.name;
}

// The fields that name a conversation in history, mark_read and broadcast/send.
function target(conv) {
  if (conv.kind === 'room') return { room: conv.name };
  if (conv.kind === 'direct') return { with: conv.name };
  return {};
}

function conversationOfMessage(frame) {
  if (frame.kind === 'room' && typeof frame.room === 'string') return ensureConversation('room', frame.room);
  if (frame.kind === 'direct') {
    const other = frame.from && state.me && frame.from.toLowerCase() === state.me.toLowerCase() ? frame.to : frame.from;
    if (typeof other === 'string') return ensureConversation('direct', other);
  }
  return ensureConversation('everyone', null);
}

function setConversations(list) {
  for (const entry of list || []) {
    const conv = typeof entry.room === 'string' ? ensureConversation('room', entry.room)
      : typeof entry.with === 'string' ? ensureConversation('direct', entry.with)
        : ensureConversation('everyone', null);
    if (typeof entry.room === 'string' || typeof entry.with === 'string') conv.name = entry.room || entry.with;
    conv.unread = conv.key === state.active ? 0 : Number(entry.unread) || 0;
    conv.readUpTo = entry.readUpTo || null;
  }
  renderConversationList();
}

function setRoomNames(rooms) {
  const options = (rooms || []).map(room => {
    const option = document.createElement('option');
    option.value = room.room;
    return option;
  });
  $('room-names').replaceChildren(...options);
}

async function openConversation(key) {
  const conv = state.conversations.get(key) || state.conversations.get('*');
  state.active = conv.key;
  conv.unread = 0;
  renderConversationList();
  renderConversation();
  if (state.hasStore && !conv.loaded) {
    try {
      await loadPage(conv, null);
    } catch (error) {
      if (conv.kind === 'direct' && error.code === 'no_such_user') {
        state.conversations.delete(conv.key);
        showChatStatus(`There is no user named ${conv.name}.`);
        await openConversation('*');
        return;
      }
      throw error;
    }
  }
  markRead(conv);
}

// One page of history: the latest (before = null) or the one before the oldest message held.
async function loadPage(conv, before) {
  const frame = { type: 'history', ...target(conv), limit: HISTORY_PAGE };
  if (before) frame.before = before;
  const log = $('messages');
  log.setAttribute('aria-busy', 'true');
  try {
    const reply = await request(frame);
    if (typeof reply.room === 'string') conv.name = reply.room;
    if (typeof reply.with === 'string') conv.name = reply.with;
    if (before) {
      // A page before the oldest message held precedes everything held, in the server's order:
      // by sentAt alone, messages of one millisecond could land after the ones they precede.
      const older = (reply.messages || []).filter((m) => m && typeof m.messageId === 'string' && !conv.ids.has(m.messageId));
      for (const message of older) conv.ids.add(message.messageId);
      conv.messages.unshift(...older);
    } else {
      for (const message of reply.messages || []) insertMessage(conv, message);
    }
    conv.complete = Boolean(reply.complete);
    conv.loaded = true;
  } finally {
    log.removeAttribute('aria-busy');
  }
  if (conv.key === state.active) renderConversation(Boolean(before));
  renderConversationList();
}

// After a reconnect: everything newer than the newest message held, page by page. Unread counts
// come from `conversations`, which counts these too.
async function fillGap(conv) {
  for (let page = 0; page < MAX_GAP_PAGES; page++) {
    const newest = newestId(conv);
    if (!newest) { await loadPage(conv, null); return; }
    let reply;
    try {
      reply = await request({ type: 'history', ...target(conv), after: newest, limit: GAP_PAGE });
    } catch (error) {
      // The cursor aged out of the server's history: the latest page is the best there is.
      if (error.code === 'no_such_message') { await loadPage(conv, null); return; }
      throw error;
    }
    const messages = reply.messages || [];
    for (const message of messages) insertMessage(conv, message);
    if (conv.key === state.active) renderConversation(false);
    if (reply.complete || messages.length === 0) return;
  }
}

function newestId(conv) {
  for (let i = conv.messages.length - 1; i >= 0; i--) if (conv.messages[i].messageId) return conv.messages[i].messageId;
  return null;
}

function isMine(message) {
  return Boolean(state.me && message.from && message.from.toLowerCase() === state.me.toLowerCase());
}

// Keeps the server's order (by sentAt, which the server assigns as it accepts); a messageId held
// already is dropped. Returns the index it went to, or -1.
function insertMessage(conv, message) {
  if (!message || typeof message.messageId !== 'string' || conv.ids.has(message.messageId)) return -1;
  conv.ids.add(message.messageId);
  let index = conv.messages.length;
  while (index > 0 && String(conv.messages[index - 1].sentAt) > String(message.sentAt)) index--;
  conv.messages.splice(index, 0, message);
  return index;
}

function receiveMessage(frame) {
  const conv = conversationOfMessage(frame);
  if (frame.offline) confirmOffline(frame.messageId);
  const index = insertMessage(conv, frame);
  if (index < 0) return;
  if (conv.key === state.active) {
    if (index === conv.messages.length - 1) appendMessageItem(frame); else renderConversation(false);
    markRead(conv);
  } else if (!isMine(frame)) {
    conv.unread++;
    renderConversationList();
  }
}

// Offline messages stay queued on the server until confirmed: once per batch, at its last one.
function confirmOffline(messageId) {
  state.offlineLeft--;
  if (state.offlineLeft <= 0) sendWithoutReply({ type: 'received', upTo: messageId });
}

function markRead(conv) {
  if (!state.hasStore || conv.key !== state.active) return;
  clearTimeout(conv.markTimer);
  conv.markTimer = setTimeout(() => {
    conv.markTimer = 0;
    const upTo = newestId(conv);
    if (!upTo || upTo === conv.readUpTo || conv.key !== state.active) return;
    if (conv.kind === 'room' && !conv.loaded) return;
    conv.readUpTo = upTo;
    request({ type: 'mark_read', ...target(conv), upTo }).catch(() => { conv.readUpTo = null; });
  }, MARK_READ_DELAY_MS);
}

function roomEvent(frame) {
  if (typeof frame.room !== 'string' || typeof frame.user !== 'string') return;
  const conv = state.conversations.get(keyOf('room', frame.room));
  if (!conv || conv.key !== state.active) return;
  appendSystemItem(`${frame.user} ${frame.event === 'left' ? 'left' : 'joined'} #${conv.name}`);
}

// ---- presence ---------------------------------------------------------------------------------

function setOnline(clients) {
  state.online.clear();
  for (const client of clients || []) addOnline(client.user, client.clientId);
  renderOnline();
}

function addOnline(user, clientId) {
  if (typeof user !== 'string') return;
  const key = user.toLowerCase();
  const entry = state.online.get(key) || { user, clients: new Set() };
  entry.clients.add(clientId);
  state.online.set(key, entry);
}

function updatePresence(frame) {
  if (frame.event === 'joined') addOnline(frame.user, frame.clientId);
  else if (frame.event === 'left' && typeof frame.user === 'string') {
    const entry = state.online.get(frame.user.toLowerCase());
    if (entry) {
      entry.clients.delete(frame.clientId);
      if (entry.clients.size === 0) state.online.delete(frame.user.toLowerCase());
    }
  }
  renderOnline();
}

// ---- sending ----------------------------------------------------------------------------------

async function sendMessage() {
  const box = $('compose-text');
  const text = box.value;
  if (!text.trim()) return;
  const conv = state.conversations.get(state.active);
  if (state.session !== 'in') { showChatStatus('Not connected: the message was not sent.'); return; }
  const frame = conv.kind === 'direct' ? { type: 'send', to: conv.name, text } : { type: 'broadcast', ...target(conv), text };
  box.value = '';
  try {
    const sent = await request(frame);
    const own = {
      type: 'message', kind: conv.kind === 'everyone' ? 'broadcast' : conv.kind,
      messageId: sent.messageId, from: state.me, text, sentAt: new Date().toISOString(), queued: Boolean(sent.queued),
    };
    if (conv.kind === 'room') own.room = conv.name;
    if (conv.kind === 'direct') own.to = conv.name;
    receiveMessage(own);
    showChatStatus('');
  } catch (error) {
    if (!box.value) box.value = text;
    showChatStatus(`Not sent: ${error.message}`);
  }
}

async function joinRoom() {
  const input = $('join-room');
  const room = input.value.trim();
  if (!room) return;
  try {
    const reply = await request({ type: 'join', room });
    input.value = '';
    const conv = ensureConversation('room', reply.room || room);
    conv.name = reply.room || room;
    await openConversation(conv.key);
    showChatStatus('');
  } catch (error) {
    showChatStatus(error.message);
  }
}

async function leaveRoom() {
  const conv = state.conversations.get(state.active);
  if (!conv || conv.kind !== 'room') return;
  try {
    await request({ type: 'leave', room: conv.name });
    state.conversations.delete(conv.key);
    await openConversation('*');
    $('compose-text').focus();
  } catch (error) {
    showChatStatus(error.message);
  }
}

function openDirect(user) {
  const name = user.trim();
  if (!name) return;
  const conv = ensureConversation('direct', name);
  openConversation(conv.key).then(() => $('compose-text').focus(), error => showChatStatus(error.message));
}

// ---- rendering --------------------------------------------------------------------------------

function showChat(again) {
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
  $('me').textContent = `Logged in as ${state.me}`;
  setConnection(again ? 'Connected again.' : 'Connected.', false);
  $('join-form').hidden = !state.hasStore;
  if (!again) $('compose-text').focus();
}

function setConnection(text, offerReconnect) {
  $('connection').textContent = text;
  $('reconnect-button').hidden = !offerReconnect;
}

function showLoginStatus(text) { $('login-status').textContent = text; }
function showChatStatus(text) { $('chat-status').textContent = text; }

function setLoginBusy(busy) {
  $('login-button').disabled = busy;
  $('signup-button').disabled = busy;
}

function renderConversationList() {
  const order = { everyone: 0, room: 1, direct: 2 };
  const conversations = [...state.conversations.values()].sort((a, b) =>
    order[a.kind] - order[b.kind] || titleOf(a).localeCompare(titleOf(b)));
  const items = conversations.map(conv => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'conversation-button';
    button.dataset.key = conv.key;
    const title = document.createElement('span');
    title.textContent = titleOf(conv);
    button.append(title);
    if (conv.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = ` ${conv.unread}`;
      const unread = document.createElement('span');
      unread.className = 'visually-hidden';
      unread.textContent = ' unread';
      badge.append(unread);
      button.append(badge);
    }
    if (conv.key === state.active) button.setAttribute('aria-current', 'true');
    const item = document.createElement('li');
    item.append(button);
    return item;
  });
  const list = $('conversation-list');
  const focusedKey = list.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  list.replaceChildren(...items);
  if (focusedKey) list.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
}

function renderOnline() {
  const users = [...state.online.values()].sort((a, b) => a.user.localeCompare(b.user));
  const items = users.map(entry => {
    const item = document.createElement('li');
    if (state.me && entry.user.toLowerCase() === state.me.toLowerCase()) {
      item.textContent = `${entry.user} (you)`;
    } else {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'user-button';
      button.textContent = entry.user;
      button.setAttribute('aria-label', `Message ${entry.user}`);
      button.addEventListener('click', () => openDirect(entry.user));
      item.append(button);
    }
    return item;
  });
  $('online-list').replaceChildren(...items);
}

function renderConversation(keepOffsetFromBottom) {
  const conv = state.conversations.get(state.active);
  if (!conv) return;
  const log = $('messages');
  const fromBottom = log.scrollHeight - log.scrollTop;
  $('conversation-title').textContent = titleOf(conv);
  $('leave-button').hidden = conv.kind !== 'room';
  $('older-button').hidden = !(state.hasStore && conv.loaded && !conv.complete);
  log.replaceChildren(...conv.messages.map(messageItem));
  log.scrollTop = keepOffsetFromBottom ? log.scrollHeight - fromBottom : log.scrollHeight;
}

function messageItem(message) {
  const item = document.createElement('li');
  item.className = isMine(message) ? 'message mine' : 'message';
  const head = document.createElement('p');
  head.className = 'meta';
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = message.from || '?';
  const time = document.createElement('time');
  const sent = new Date(message.sentAt);
  if (!Number.isNaN(sent.getTime())) {
    time.dateTime = sent.toISOString();
    time.textContent = sent.toLocaleString([], { hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric' });
  }
  head.append(from, ' ', time);
  if (message.offline) head.append(' (while you were away)');
  if (message.queued) head.append(' (kept until they log in)');
  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = message.text;
  item.append(head, text);
  return item;
}

function appendMessageItem(message) {
  const log = $('messages');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(messageItem(message));
  if (atBottom || isMine(message)) log.scrollTop = log.scrollHeight;
}

function appendSystemItem(text) {
  const item = document.createElement('li');
  item.className = 'system';
  item.textContent = text;
  $('messages').append(item);
}

// ---- wiring -----------------------------------------------------------------------------------

function wire() {
  $('login-form').addEventListener('submit', event => { event.preventDefault(); logIn(false); });
  $('signup-button').addEventListener('click', () => logIn(true));
  $('logout-button').addEventListener('click', () => logOut(''));
  $('reconnect-button').addEventListener('click', () => {
    state.session = 'reconnecting';
    state.retryDelay = RETRY_FIRST_MS;
    reconnect();
  });
  $('conversation-list').addEventListener('click', event => {
    const button = event.target.closest('button[data-key]');
    if (button) openConversation(button.dataset.key).catch(error => showChatStatus(error.message));
  });
  $('older-button').addEventListener('click', () => {
    const conv = state.conversations.get(state.active);
    const oldest = conv && conv.messages.length ? conv.messages[0].messageId : null;
    if (oldest) loadPage(conv, oldest).catch(error => showChatStatus(error.message));
  });
  $('leave-button').addEventListener('click', leaveRoom);
  $('join-form').addEventListener('submit', event => { event.preventDefault(); joinRoom(); });
  $('direct-form').addEventListener('submit', event => {
    event.preventDefault();
    openDirect($('direct-user').value);
    $('direct-user').value = '';
  });
  $('compose-form').addEventListener('submit', event => { event.preventDefault(); sendMessage(); });
  $('compose-text').addEventListener('keydown', event => {
    // Enter sends, Shift+Enter starts a new line.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendMessage();
    }
  });
}

wire();
