// The eventshop storefront: a vanilla ES module, no build step, nothing fetched from other origins than the
// ones config.json names (the CSP's connect-src allows exactly those). Every value that came over the network
// is rendered with textContent, never as HTML.

import { LiveConnection } from "./live.js";

const TOKEN_KEY = "eventshop.idToken"; // sessionStorage: gone with the tab, never in localStorage
const HISTORY_PAGE = 10;
const FINAL_STATUSES = new Set(["SHIPPED", "PAYMENT_FAILED", "CANCELLED"]);

const state = {
  config: null,
  idToken: null,
  email: null,
  products: new Map(),
  cart: new Map(), // sku -> quantity
  cartId: null,
  currentOrder: null, // { orderId, status, updatedAt }
  latest: new Map(), // orderId -> { status, updatedAt }: the newest change pushed for each order
  pendingOrderKey: null, // Idempotency-Key of the order being placed, reused on retry
  historyCursor: null,
  live: null, // the LiveConnection of the signed-in customer
};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- small helpers ----------------------------------------------------------------------------------

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function money(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

function notify(message) {
  const notice = $("notice");
  notice.textContent = message;
  notice.hidden = !message;
}

function newId() {
  return crypto.randomUUID();
}

function tokenClaims(token) {
  // Only to show who is signed in and to drop an expired token; the API verifies the token itself.
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
  } catch {
    return null;
  }
}

function joinUrl(base, path) {
  return base.replace(/\/+$/, "") + path;
}

// --- the API ----------------------------------------------------------------------------------------

async function api(path, { method = "GET", body, headers = {}, signedIn = true } = {}) {
  const sent = { ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  // The storefront client's key, on every call (the catalog too): it identifies this client to the usage
  // plan's throttling. It ships in this page, so it is public by nature; the ID token is the credential.
  if (state.config.apiKey) sent["x-api-key"] = state.config.apiKey;
  if (signedIn) {
    if (!state.idToken) throw new ApiError(401, "Sign in first.");
    sent.Authorization = `Bearer ${state.idToken}`;
  }
  const response = await fetch(joinUrl(state.config.apiUrl, path), {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const details = data && Array.isArray(data.errors) && data.errors.length ? `: ${data.errors.join("; ")}` : "";
    const message = (data && data.message) || `${response.status} ${response.statusText}`;
    if (response.status === 401 && signedIn) signOut("Your session has ended; please sign in again.");
    throw new ApiError(response.status, `${message}${details}`);
  }
  return data;
}

// --- sign-in (Cognito's JSON protocol, USER_PASSWORD_AUTH through the public app client) -----------------

async function initiateAuth(email, password) {
  const response = await fetch(state.config.cognitoEndpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: state.config.userPoolClientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
    credentials: "omit",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || "").split("#").pop();
    if (type === "NotAuthorizedException" || type === "UserNotFoundException") {
      throw new Error("Incorrect email or password.");
    }
    throw new Error(data.message || `Sign-in failed (${response.status}).`);
  }
  if (!data.AuthenticationResult || !data.AuthenticationResult.IdToken) {
    throw new Error(`Sign-in needs a step this page does not offer (${data.ChallengeName || "unknown"}).`);
  }
  return data.AuthenticationResult.IdToken;
}

function signedIn(token) {
  const claims = tokenClaims(token);
  if (!claims || typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return false;
  }
  state.idToken = token;
  state.email = claims.email || "";
  sessionStorage.setItem(TOKEN_KEY, token);
  $("sign-in").hidden = true;
  $("account").hidden = false;
  $("account-email").textContent = state.email;
  renderCart();
  state.live = state.live || liveConnection();
  state.live.connect();
  loadHistory(true);
  return true;
}

function signOut(message = "") {
  state.idToken = null;
  state.email = null;
  sessionStorage.removeItem(TOKEN_KEY);
  state.live?.disconnect();
  state.cart.clear();
  state.cartId = null;
  state.currentOrder = null;
  state.latest.clear();
  state.historyCursor = null;
  $("sign-in").hidden = false;
  $("account").hidden = true;
  $("account-email").textContent = "";
  $("order-status").textContent = "No order placed yet.";
  $("history").hidden = true;
  $("history-rows").replaceChildren();
  $("history-more").hidden = true;
  $("history-state").textContent = "Sign in to see your orders.";
  renderCart();
  notify(message);
}

// --- products and cart ------------------------------------------------------------------------------

async function loadProducts() {
  const list = $("products");
  try {
    const products = await api("/products", { signedIn: false });
    list.replaceChildren();
    for (const product of products) {
      state.products.set(product.sku, product);
      const item = element("li", undefined, "product");
      item.append(element("span", product.name, "product-name"));
      item.append(element("span", money(product.price, product.currency), "product-price"));
      const soldOut = product.inStock === false;
      const add = element("button", soldOut ? "Sold out" : "Add to cart");
      add.type = "button";
      add.setAttribute("aria-label", soldOut ? `${product.name} is sold out` : `Add ${product.name} to cart`);
      add.disabled = soldOut;
      add.addEventListener("click", () => addToCart(product.sku));
      item.append(add);
      list.append(item);
    }
    $("products-state").textContent = products.length ? "" : "The catalog is empty.";
    $("products-state").hidden = products.length > 0;
  } catch (error) {
    $("products-state").textContent = `The catalog could not be loaded: ${error.message}`;
  }
}

async function addToCart(sku) {
  if (!state.idToken) {
    notify("Sign in to add items to your cart.");
    $("email").focus();
    return;
  }
  state.cartId = state.cartId || newId();
  try {
    await api(`/carts/${encodeURIComponent(state.cartId)}/items`, { method: "POST", body: { sku, quantity: 1 } });
    state.cart.set(sku, (state.cart.get(sku) || 0) + 1);
    notify("");
    renderCart();
  } catch (error) {
    notify(`Could not add the item: ${error.message}`);
  }
}

function renderCart() {
  const list = $("cart");
  list.replaceChildren();
  for (const [sku, quantity] of state.cart) {
    const product = state.products.get(sku);
    list.append(element("li", `${quantity} × ${product ? product.name : sku}`));
  }
  $("cart-empty").hidden = state.cart.size > 0;
  $("checkout").hidden = state.cart.size === 0 || !state.idToken;
}

async function placeOrder(event) {
  event.preventDefault();
  const items = [...state.cart].map(([sku, quantity]) => ({ sku, quantity }));
  if (!items.length) return;
  // One key per order: a retry after a lost answer places the same order, never a second one.
  state.pendingOrderKey = state.pendingOrderKey || newId();
  const button = $("checkout").querySelector("button");
  button.disabled = true;
  try {
    const placed = await api("/orders", {
      method: "POST",
      headers: { "Idempotency-Key": state.pendingOrderKey },
      body: { items, cartId: state.cartId, paymentToken: $("payment-token").value },
    });
    state.pendingOrderKey = null;
    state.cart.clear();
    state.cartId = null;
    renderCart();
    notify("");
    showOrderStatus(placed.orderId, placed.status, null);
    const pushed = state.latest.get(placed.orderId); // changes pushed before the answer arrived
    if (pushed) showOrderStatus(placed.orderId, pushed.status, pushed.updatedAt);
    reconcile(placed.orderId);
    loadHistory(true);
  } catch (error) {
    if (error.status && error.status < 500 && error.status !== 409) state.pendingOrderKey = null;
    notify(`The order was not placed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

// --- live status over the WebSocket -----------------------------------------------------------------

// Whether a change may replace what is shown: a final status is never undone, and an older change arriving
// late never overwrites a newer one.
function supersedes(shown, status, updatedAt) {
  if (!shown) return true;
  if (FINAL_STATUSES.has(shown.status) && !FINAL_STATUSES.has(status)) return false;
  return !(shown.updatedAt && updatedAt && updatedAt < shown.updatedAt);
}

function showOrderStatus(orderId, status, updatedAt) {
  const current = state.currentOrder;
  const shown = current && current.orderId === orderId ? current : null;
  if (!supersedes(shown, status, updatedAt)) return;
  state.currentOrder = { orderId, status, updatedAt };
  $("order-status").textContent = `Order ${orderId}: ${status}${FINAL_STATUSES.has(status) ? " (final)" : ""}`;
}

function statusFor(orderId, status) {
  const pushed = state.latest.get(orderId);
  return pushed && supersedes({ status, updatedAt: null }, pushed.status, pushed.updatedAt) ? pushed.status : status;
}

function updateHistoryRow(orderId, status) {
  for (const row of $("history-rows").children) {
    if (row.dataset.orderId === orderId) row.lastElementChild.textContent = statusFor(orderId, status);
  }
}

// Fetches an order's status once: after placing it, and after the live connection was down, so a change
// pushed while nobody listened is not missed.
async function reconcile(orderId) {
  try {
    const order = await api(`/orders/${encodeURIComponent(orderId)}`);
    const history = Array.isArray(order.history) ? order.history : [];
    const at = history.length ? String(history[history.length - 1].at || "") : null;
    showOrderStatus(orderId, String(order.status), at);
    updateHistoryRow(orderId, String(order.status));
  } catch {
    // The live updates still apply; a failed check is not worth interrupting the customer for.
  }
}

function liveConnection() {
  return new LiveConnection({
    url: state.config.websocketUrl || null,
    token: () => state.idToken,
    tokenValid: () => Boolean(state.idToken) && tokenClaims(state.idToken)?.exp * 1000 > Date.now(),
    onStatus: ({ orderId, status, updatedAt }) => {
      if (supersedes(state.latest.get(orderId), status, updatedAt)) state.latest.set(orderId, { status, updatedAt });
      if (state.currentOrder && state.currentOrder.orderId === orderId) showOrderStatus(orderId, status, updatedAt);
      updateHistoryRow(orderId, status);
    },
    onOpen: () => {
      const current = state.currentOrder;
      if (current && !FINAL_STATUSES.has(current.status)) reconcile(current.orderId);
    },
    onState: (text) => {
      $("live-state").textContent = text;
    },
    onExpired: () => signOut("Your session has ended; please sign in again."),
  });
}

// --- order history ----------------------------------------------------------------------------------

async function loadHistory(fromStart) {
  if (!state.idToken) return;
  if (fromStart) state.historyCursor = null;
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (state.historyCursor) query.set("cursor", state.historyCursor);
  try {
    const page = await api(`/orders?${query}`);
    const rows = $("history-rows");
    if (fromStart) rows.replaceChildren();
    for (const order of page.orders) {
      const row = element("tr");
      row.dataset.orderId = order.orderId;
      row.append(element("td", order.orderId, "order-id"));
      row.append(element("td", order.createdAt ? new Date(order.createdAt).toLocaleString() : ""));
      row.append(element("td", money(order.total, order.currency)));
      row.append(element("td", statusFor(order.orderId, order.status)));
      rows.append(row);
    }
    state.historyCursor = page.nextCursor || null;
    $("history").hidden = rows.children.length === 0;
    $("history-more").hidden = !state.historyCursor;
    $("history-state").textContent = rows.children.length ? "" : "No orders yet.";
  } catch (error) {
    $("history-state").textContent = `Your orders could not be loaded: ${error.message}`;
  }
}

// --- start ------------------------------------------------------------------------------------------

async function start() {
  try {
    const response = await fetch("config.json", { cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(`config.json answered ${response.status}`);
    state.config = await response.json();
  } catch (error) {
    notify(`The shop is not configured: ${error.message}`);
    return;
  }
  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const token = await initiateAuth($("email").value.trim(), $("password").value);
      $("password").value = "";
      notify("");
      signedIn(token);
    } catch (error) {
      notify(error.message);
    } finally {
      button.disabled = false;
    }
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("checkout").addEventListener("submit", placeOrder);
  $("history-more").addEventListener("click", () => loadHistory(false));
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signedIn(saved);
  await loadProducts();
  document.body.dataset.ready = "true";
}

start();
