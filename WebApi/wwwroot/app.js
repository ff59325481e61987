// OrleansRaw's demo page: plain JavaScript, no build step. Every value from the server is shown through
// textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "orleansraw.token";
const USER_KEY = "orleansraw.user";
// The consistency token outlives the tab (localStorage, one per user: tokens are bound to their user), so a reload
// or a new tab still reads every post this browser made or saw.
const CONSISTENCY_KEY = "orleansraw.consistency.";
const MAX_LOGGED_READS = 12;
const ALERT_LAG_MS = 500;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: sessionStorage.getItem(USER_KEY),
  justPosted: null,
  devLag: false,
};

// ---- HTTP ---------------------------------------------------------------------------------------------------

function consistencyToken() {
  return state.user ? localStorage.getItem(CONSISTENCY_KEY + state.user) : null;
}

function keepConsistencyToken(token) {
  if (!state.user) return;
  if (token) localStorage.setItem(CONSISTENCY_KEY + state.user, token);
  else localStorage.removeItem(CONSISTENCY_KEY + state.user);
  showConsistencyToken();
}

function showConsistencyToken() {
  const token = consistencyToken();
  $("consistency-token").textContent = token || "none yet";
  $("consistency-token").title = token || "";
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const sentToken = state.token ? consistencyToken() : null;
  if (sentToken) headers["X-Consistency-Token"] = sentToken;
  const started = performance.now();
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const ms = Math.round(performance.now() - started);
  if (state.token && response.headers.get("X-Consistency-Token")) keepConsistencyToken(response.headers.get("X-Consistency-Token"));
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  // A token the API refuses (signed with another key, e.g. after the development key changed) is dropped and the
  // call made once more without it, rather than failing every call from now on.
  if (response.status === 400 && sentToken && data && data.title === "Invalid consistency token") {
    keepConsistencyToken(null);
    return api(method, path, body);
  }
  if (!response.ok) {
    const detail = data && (data.detail || data.title) ? (data.detail || data.title) : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return { data, ms, source: response.headers.get("X-Read-Source"), reason: response.headers.get("X-Consistency-Reason") };
}

function logRead(label, read) {
  if (!read.source) return;
  const row = document.createElement("tr");
  const cells = [new Date().toLocaleTimeString(), label, read.source, read.reason, String(read.ms)];
  cells.forEach((value, i) => {
    const cell = document.createElement("td");
    cell.textContent = value;
    if (i === 2) cell.className = read.source === "primary" ? "src-primary" : "src-replica";
    if (i === 4) cell.className = "num";
    row.appendChild(cell);
  });
  const log = $("read-log");
  log.prepend(row);
  while (log.rows.length > MAX_LOGGED_READS) log.deleteRow(log.rows.length - 1);
}

// ---- Signing in -----------------------------------------------------------------------------------------------

function showAccount() {
  const signedIn = Boolean(state.token);
  $("sign-in-form").hidden = signedIn;
  $("signed-in").hidden = !signedIn;
  $("current-user").textContent = signedIn ? "user " + state.user : "";
  showConsistencyToken();
  $("post-submit").disabled = !signedIn;
  $("refresh-posts").disabled = !signedIn;
  $("post-status").textContent = signedIn ? "" : "Sign in to post.";
}

async function signIn(event) {
  event.preventDefault();
  const userId = Number($("user-id").value);
  try {
    const { data } = await api("POST", "api/auth/dev-token", { userId });
    state.token = data.token;
    state.user = String(userId);
    sessionStorage.setItem(TOKEN_KEY, state.token);
    sessionStorage.setItem(USER_KEY, state.user);
    showAccount();
    route();
  } catch (error) {
    $("post-status").textContent = "Sign-in failed: " + error.message;
  }
}

function signOut() {
  state.token = null;
  state.user = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  $("my-posts").replaceChildren();
  $("last-read").replaceChildren();
  showAccount();
  location.hash = "#/compose";
}

// ---- Posting, then "my posts" ---------------------------------------------------------------------------------

async function submitPost(event) {
  event.preventDefault();
  const content = $("post-content").value.trim();
  if (!content) return;
  $("post-submit").disabled = true;
  $("post-status").textContent = "Posting…";
  try {
    const { data } = await api("POST", "api/posts", { content });
    state.justPosted = data.id;
    $("post-content").value = "";
    $("post-status").textContent = "";
    // The redirect of the story: straight to the list that must already show the post.
    location.hash = "#/my-posts";
  } catch (error) {
    $("post-status").textContent = "Could not post: " + error.message;
  } finally {
    $("post-submit").disabled = !state.token;
  }
}

async function loadMyPosts() {
  if (!state.token) {
    $("last-read").textContent = "Sign in to see your posts.";
    return;
  }
  try {
    const read = await api("GET", "api/posts");
    logRead("GET /api/posts", read);
    showLastRead(read);
    renderPosts(read.data);
  } catch (error) {
    $("last-read").textContent = "Read failed: " + error.message;
  }
}

function showLastRead(read) {
  const badge = $("last-read");
  badge.replaceChildren();
  const source = document.createElement("span");
  source.className = "badge " + (read.source === "primary" ? "on-primary" : "on-replica");
  source.id = "last-read-source";
  source.textContent = read.source;
  const reason = document.createElement("code");
  reason.id = "last-read-reason";
  reason.textContent = read.reason;
  const time = document.createElement("span");
  time.className = "small";
  time.textContent = read.ms + " ms";
  badge.append("Read from ", source, " because ", reason, " · ", time);
}

function renderPosts(posts) {
  const list = $("my-posts");
  list.replaceChildren();
  for (const post of posts) {
    const item = document.createElement("li");
    item.dataset.postId = String(post.id);
    if (post.id === state.justPosted) item.className = "new";
    const content = document.createElement("p");
    content.textContent = post.content;
    const meta = document.createElement("span");
    meta.className = "small";
    meta.textContent = `#${post.id} · ${new Date(post.createdAt).toLocaleString()}` + (post.id === state.justPosted ? " · just posted" : "");
    item.append(content, meta);
    list.appendChild(item);
  }
  $("no-posts").hidden = posts.length > 0;
  const found = state.justPosted === null || posts.some((p) => p.id === state.justPosted);
  list.dataset.state = found ? "complete" : "missing-new-post";
}

// ---- Views ----------------------------------------------------------------------------------------------------

function route() {
  const view = location.hash.startsWith("#/my-posts") ? "my-posts" : "compose";
  $("view-compose").hidden = view !== "compose";
  $("view-my-posts").hidden = view !== "my-posts";
  $("tab-compose").classList.toggle("active", view === "compose");
  $("tab-my-posts").classList.toggle("active", view === "my-posts");
  if (view === "my-posts") loadMyPosts();
}

// ---- Live panels ----------------------------------------------------------------------------------------------

async function pollReplicas() {
  try {
    const { data } = await api("GET", "api/replicas");
    $("replicas-error").hidden = true;
    renderReplicas(data.replicas);
    $("replicas-updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    $("replicas-error").hidden = false;
    $("replicas-error").textContent = "Replica monitor unavailable: " + error.message;
  }
}

function replicaItem(name) {
  const existing = document.querySelector(`#replicas li[data-replica="${CSS.escape(name)}"]`);
  if (existing) return existing;
  const item = $("replica-template").content.firstElementChild.cloneNode(true);
  item.dataset.replica = name;
  item.querySelector(".replica-name").textContent = name;
  const form = item.querySelector(".dev-lag");
  form.addEventListener("submit", (event) => setDevLag(event, name, form));
  $("replicas").appendChild(item);
  return item;
}

function renderReplicas(replicas) {
  for (const replica of replicas) {
    const item = replicaItem(replica.name);
    const health = item.querySelector(".replica-health");
    const lagging = replica.lagMs > ALERT_LAG_MS;
    health.textContent = !replica.healthy ? "unhealthy" : lagging ? "lagging" : "healthy";
    health.className = "badge replica-health " + (!replica.healthy ? "bad" : lagging ? "warn" : "good");
    item.querySelector(".replica-lag").textContent = `lag ${Math.round(replica.lagMs)} ms`;
    item.querySelector(".replica-bytes").textContent = `${replica.lagBytes} WAL bytes behind`;
    const fill = item.querySelector(".lag-fill");
    fill.style.width = Math.min(100, (replica.lagMs / (ALERT_LAG_MS * 4)) * 100) + "%";
    fill.className = "lag-fill " + (lagging ? "warn" : "good");
    item.querySelector(".dev-lag").hidden = !state.devLag;
  }
}

async function pollDevLags() {
  try {
    const { data } = await api("GET", "api/dev/replicas/lag");
    state.devLag = true;
    $("dev-lag-hint").hidden = false;
    for (const setting of data) {
      const input = replicaItem(setting.replica).querySelector(".dev-lag-input");
      if (document.activeElement !== input && setting.delayMs !== null) input.value = setting.delayMs;
      replicaItem(setting.replica).querySelector(".dev-lag").hidden = false;
    }
  } catch {
    state.devLag = false; // not a development server: the control stays hidden
  }
}

async function setDevLag(event, name, form) {
  event.preventDefault();
  const input = form.querySelector(".dev-lag-input");
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const { data } = await api("PUT", `api/dev/replicas/${encodeURIComponent(name)}/lag`, { delayMs: Number(input.value) });
    input.value = data.delayMs;
  } catch (error) {
    alert("Could not set the lag: " + error.message);
  } finally {
    button.disabled = false;
  }
}

// The panel reads the same counter Prometheus does (orleansraw_reads_total at /metrics), summed by where reads ran.
async function pollShare() {
  try {
    const response = await fetch("metrics");
    if (!response.ok) throw new Error(String(response.status));
    const counts = { primary: 0, replicas: 0 };
    for (const [, labels, value] of (await response.text()).matchAll(/^orleansraw_reads_total\{([^}]*)\}\s+(\S+)/gm)) {
      counts[/source="primary"/.test(labels) ? "primary" : "replicas"] += Number(value);
    }
    const total = counts.primary + counts.replicas;
    const primaryPct = total === 0 ? 0 : Math.round((counts.primary / total) * 1000) / 10;
    $("share-primary").style.width = primaryPct + "%";
    $("share-replicas").style.width = (total === 0 ? 0 : 100 - primaryPct) + "%";
    $("share-primary-text").textContent = `${reads(counts.primary)} · ${primaryPct}%`;
    $("share-replica-text").textContent = `${reads(counts.replicas)} · ${total === 0 ? 0 : Math.round((100 - primaryPct) * 10) / 10}%`;
    $("share-note").textContent = "All of this server's reads since it started (orleansraw_reads_total at /metrics). " +
      "Prometheus alerts when the primary serves more than 15% of reads for a minute.";
  } catch {
    $("share-note").textContent = "Read statistics unavailable: this server does not serve /metrics to the page.";
  }
}

function reads(n) {
  return n === 1 ? "1 read" : `${n} reads`;
}

function every(ms, task) {
  task();
  setInterval(task, ms);
}

// ---- Start ----------------------------------------------------------------------------------------------------

$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", signOut);
$("post-form").addEventListener("submit", submitPost);
$("refresh-posts").addEventListener("click", loadMyPosts);
window.addEventListener("hashchange", route);
showAccount();
route();
pollDevLags().then(() => every(1000, pollReplicas));
setInterval(pollDevLags, 5000);
every(2000, pollShare);
