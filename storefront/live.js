// Live order status over the WebSocket: one connection per signed-in tab, reconnecting with backoff and
// jitter. The page decides what a status change means (onStatus) and re-reads what may have changed while
// nobody listened when the connection opens (onOpen).

const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30000;

// One pushed message as { orderId, status, updatedAt }, or null for anything that is no order status change.
export function parseStatusMessage(data) {
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return null;
  }
  if (!message || message.type !== "orderStatus" || typeof message.orderId !== "string") return null;
  const updatedAt = message.updatedAt ? String(message.updatedAt) : null;
  return { orderId: message.orderId, status: String(message.status), updatedAt };
}

export class LiveConnection {
  // url: the WebSocket API's URL (null when the stack has none); token(): the current ID token or null;
  // tokenValid(): whether it has not expired; onStatus(change), onOpen(), onState(text), onExpired().
  constructor({ url, token, tokenValid, onStatus, onOpen, onState, onExpired }) {
    Object.assign(this, { url, token, tokenValid, onStatus, onOpen, onState, onExpired });
    this.socket = null;
    this.timer = null;
    this.delay = RECONNECT_FIRST_MS;
  }

  connect() {
    this.disconnect();
    if (!this.url) {
      this.onState("Live updates: not available.");
      return;
    }
    // Browsers cannot set headers on a WebSocket: the $connect authorizer reads the token from the query.
    const socket = new WebSocket(`${this.url}?token=${encodeURIComponent(this.token())}`);
    this.socket = socket;
    this.onState("Live updates: connecting…");
    socket.addEventListener("open", () => {
      this.delay = RECONNECT_FIRST_MS;
      this.onState("Live updates: connected.");
      this.onOpen();
    });
    socket.addEventListener("message", (event) => {
      const change = parseStatusMessage(event.data);
      if (change) this.onStatus(change);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return; // replaced or signed out
      this.socket = null;
      if (!this.token()) return;
      // Exponential backoff with jitter, so a restarted server is not hit by every page at once.
      const delay = this.delay * (0.5 + Math.random() / 2);
      this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
      this.onState(`Live updates: reconnecting in ${Math.round(delay / 1000)} s…`);
      this.timer = setTimeout(() => {
        if (this.tokenValid()) this.connect();
        else if (this.token()) this.onExpired();
      }, delay);
    });
  }

  disconnect() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close(1000, "signed out");
    this.delay = RECONNECT_FIRST_MS;
    this.onState("Live updates: signed out.");
  }
}
