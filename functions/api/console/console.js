// Rules Applied console: one page, no framework, talking only to this service's public API with the
// API key the user typed, kept in this browser tab's session storage (docs/console.md).

const KEY = "lms.apiKey";
// Where the API is: this page's path without "/console" ("" locally, "/v1" behind an API Gateway stage).
const BASE = location.pathname.replace(/\/console(\/.*)?$/, "");
const RUNS = "lms.maintenanceRuns";
const timers = new Set();
const cache = {};

// ------------------------------------------------------------------ small helpers

const $ = (selector, root = document) => root.querySelector(selector);

/** An element: attributes (on* are listeners; hidden, disabled, checked, value, selected are properties),
 * children as nodes or text (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const svg = ["svg", "polyline", "line", "text", "g", "title", "desc", "circle"].includes(tag);
  const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (["hidden", "disabled", "checked", "value", "selected", "multiple"].includes(name)) node[name] = value;
    else node.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const fmt = {
  money: (v) => (v === null || v === undefined || v === "" ? "—" : Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })),
  time: (v) => (v ? new Date(v).toLocaleString() : "—"),
  text: (v) => (v === null || v === undefined || v === "" ? "—" : String(v)),
};

function toast(message, isError = false) {
  if (isError) {  // an error stays until it is closed, and is announced at once
    const line = el("p", { class: "error", role: "alert" }, message, " ",
      el("button", { type: "button", class: "small secondary", onclick: () => line.remove() }, "Close"));
    $("#alerts").append(line);
    return;
  }
  const line = el("p", {}, message);
  $("#toast").append(line);
  setTimeout(() => line.remove(), 4000);
}

function every(milliseconds, fn) {
  const id = setInterval(fn, milliseconds);
  timers.add(id);
  return () => { clearInterval(id); timers.delete(id); };
}

function debounce(fn, milliseconds) {
  let id;
  return (...args) => { clearTimeout(id); id = setTimeout(() => fn(...args), milliseconds); };
}

// ------------------------------------------------------------------ the API

class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `the service answered ${status}`);
    this.status = status;
    this.details = error.details || [];
  }
}

async function api(method, path, body, headers = {}) {
  const sent = { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}`, ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const answer = await fetch(BASE + path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (answer.status === 401 && path !== "/tenant") { logout("Your API key was refused: log in again."); }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

/** Every item of a listed path, page after page (at most `pages` pages of 500). */
async function all(path, pages = 10) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < pages; page += 1) {
    const joiner = path.includes("?") ? "&" : "?";
    const data = await api("GET", `${path}${joiner}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...data.items);
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return items;
}

async function once(name, load) {
  if (!(name in cache)) cache[name] = load();
  try { return await cache[name]; } catch (error) { delete cache[name]; throw error; }
}

const variables = () => once("variables", () => api("GET", "/variables").then((d) => d.items));
const openapi = () => once("openapi", () => fetch(`${BASE}/openapi.json`).then((r) => r.json()));

function problemText(error) {
  const details = (error.details || []).map((d) => `${d.field ? `${d.field}: ` : ""}${d.message}`).join("; ");
  return details ? `${error.message} (${details})` : error.message;
}

// ------------------------------------------------------------------ log in / out, routing

function logout(message) {
  rendering += 1;  // a page still loading must not draw over the login form
  sessionStorage.removeItem(KEY);
  for (const name of Object.keys(cache)) delete cache[name];
  if (message) toast(message, true);
  location.hash = "#/login";
  render();
}

function loginPage() {
  $("#nav").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  const input = el("input", { type: "password", id: "api-key", autocomplete: "off", required: true, "aria-describedby": "key-help" });
  const message = el("p", { id: "login-error", class: "error", role: "alert" });
  const form = el("form", { class: "panel login", id: "login", onsubmit: async (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    try {
      await api("GET", "/tenant");
      location.hash = "#/rules";
      render();
    } catch (error) {
      sessionStorage.removeItem(KEY);
      message.textContent = error.status === 401 ? "That API key is not known here." : problemText(error);
    }
  } },
  el("h1", {}, "Log in"),
  el("div", { class: "field" }, el("label", { for: "api-key" }, "API key"), input),
  el("p", { id: "key-help", class: "muted" }, "Your tenant's API key. It is kept in this browser tab only, until you log out or close the tab."),
  message,
  el("button", { type: "submit", id: "login-button" }, "Log in"));
  $("#main").replaceChildren(form);
  input.focus();
}

let rendering = 0;

const routes = [
  [/^#\/rules$/, () => rulesPage()],
  [/^#\/rules\/new$/, () => rulePage(null)],
  [/^#\/rules\/([^/]+)$/, (m) => rulePage(m[1])],
  [/^#\/customers$/, () => customersPage()],
  [/^#\/customers\/([^/]+)$/, (m) => customerPage(m[1])],
  [/^#\/loans$/, () => loansPage()],
  [/^#\/loans\/([^/]+)$/, (m) => loanPage(m[1])],
  [/^#\/webhooks$/, () => webhooksPage()],
  [/^#\/webhooks\/([^/]+)$/, (m) => webhookPage(m[1])],
  [/^#\/maintenance$/, () => maintenancePage()],
];


async function render() {
  if (location.hash && !location.hash.startsWith("#/")) return;  // an anchor within the page, not a page
  for (const id of timers) clearInterval(id);
  timers.clear();
  if (!sessionStorage.getItem(KEY)) return loginPage();
  const hash = location.hash && location.hash !== "#/login" ? location.hash : "#/rules";
  const turn = ++rendering;
  $("#nav").hidden = false;
  $("#logout").hidden = false;
  for (const link of document.querySelectorAll("#nav a")) {
    if (hash.startsWith(link.getAttribute("href"))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  once("tenant", () => api("GET", "/tenant")).then((t) => { $("#who").textContent = t.name; }).catch(() => {});
  const main = $("#main");
  main.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    try {
      const content = await page(match.map((part) => decodeURIComponent(part || "")));
      if (turn === rendering) {
        main.replaceChildren(...[content].flat());
        main.dataset.page = hash.split("/")[1];
        const heading = main.querySelector("h1");
        document.title = `${heading ? heading.textContent : "Rules Applied"} · Rules Applied console`;
        if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }  // where a screen reader starts
      }
    } catch (error) {
      if (turn === rendering) main.replaceChildren(el("h1", {}, "Something went wrong"), el("p", { class: "error", role: "alert" }, problemText(error)));
    }
    return;
  }
  main.replaceChildren(el("h1", {}, "Not found"), el("p", {}, "No page here. ", el("a", { href: "#/rules" }, "Rules")));
}

// ------------------------------------------------------------------ sortable lists (drag, or the buttons)

/** A list the user reorders by dragging an item or with its Up/Down buttons; onMove(from, to). */
function sortable(list, onMove) {
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.index);
  });
  list.addEventListener("dragend", () => { if (dragged) dragged.classList.remove("dragging"); dragged = null; });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li");
    if (!over || !dragged) return;
    event.preventDefault();
    for (const li of list.children) li.classList.toggle("over", li === over);
  });
  list.addEventListener("drop", (event) => {
    const over = event.target.closest("li");
    for (const li of list.children) li.classList.remove("over");
    if (!over || !dragged) return;
    event.preventDefault();
    onMove(Number(dragged.dataset.index), Number(over.dataset.index));
  });
}

function moved(items, from, to) {
  const copy = items.slice();
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

function moveButtons(index, count, label, onMove) {
  return [
    el("button", { type: "button", class: "small secondary move-up", disabled: index === 0, "aria-label": `Move ${label} up`, onclick: () => onMove(index, index - 1) }, "↑"),
    el("button", { type: "button", class: "small secondary move-down", disabled: index === count - 1, "aria-label": `Move ${label} down`, onclick: () => onMove(index, index + 1) }, "↓"),
  ];
}

// ------------------------------------------------------------------ rules

async function rulesPage() {
  let rules = (await all("/rules")).sort((a, b) => a.order - b.order);
  const list = el("ol", { class: "sortable", id: "rule-order", "aria-label": "Rules in the order they run" });
  const save = el("button", { type: "button", id: "save-order", disabled: true, onclick: async () => {
    try {
      const saved = await api("PUT", "/rules/order", { ruleIds: rules.map((r) => r.id) });
      rules = saved.items;
      save.disabled = true;
      toast("Rule order saved");
      draw();
    } catch (error) { toast(problemText(error), true); }
  } }, "Save order");
  const move = (from, to) => {
    if (to < 0 || to >= rules.length || from === to) return;
    rules = moved(rules, from, to);
    save.disabled = false;
    draw();
    list.querySelectorAll("li")[to]?.querySelector(to > from ? ".move-down" : ".move-up")?.focus();
  };
  function draw() {
    list.replaceChildren(...rules.map((rule, index) => el("li", { draggable: "true", "data-index": index, "data-rule": rule.id },
      el("div", { class: "item-head" },
        el("span", { class: "handle", "aria-hidden": "true" }, "⠿"),
        el("span", { class: "title" }, el("a", { href: `#/rules/${rule.id}` }, rule.name)),
        el("span", { class: rule.active ? "pill good" : "pill" }, rule.active ? "active" : "inactive"),
        rule.mode === "shadow" ? el("span", { class: "pill" }, "shadow") : null,
        el("span", { class: "muted" }, [rule.evalDaily ? "daily" : null, rule.evalRealTime ? "real time" : null].filter(Boolean).join(" · ")),
        moveButtons(index, rules.length, rule.name, move)),
      el("code", { class: "muted" }, rule.criteria.length > 140 ? `${rule.criteria.slice(0, 140)}…` : rule.criteria))));
  }
  draw();
  sortable(list, move);
  const findings = el("div", { id: "findings" }, el("p", { class: "muted" }, "Reading the rulebook…"));
  api("GET", "/rules/analysis").then((analysis) => findings.replaceChildren(findingList(analysis.findings, rules))).catch((error) => findings.replaceChildren(el("p", { class: "error" }, problemText(error))));
  return [
    el("div", { class: "row" }, el("h1", {}, "Rules"), el("a", { href: "#/rules/new", id: "new-rule", class: "button" }, "New rule")),
    el("div", { class: "grid" },
      el("section", { class: "panel", "aria-labelledby": "order-heading" },
        el("h2", { id: "order-heading" }, "Tenant-wide order"),
        el("p", { class: "muted" }, "Rules run top to bottom. Drag a rule, or use its arrows, then save."),
        rules.length ? list : el("p", {}, "No rules yet."), save),
      el("section", { class: "panel", "aria-labelledby": "findings-heading" }, el("h2", { id: "findings-heading" }, "Rulebook analysis"), findings)),
  ];
}

function findingList(found, rules, only = null) {
  const names = Object.fromEntries(rules.map((r) => [r.id, r.name]));
  const shown = only ? found.filter((f) => f.ruleIds.includes(only)) : found;
  if (!shown.length) return el("p", { class: "ok" }, "No findings.");
  return el("ul", { class: "problems findings" }, shown.map((f) => el("li", { class: "finding" },
    el("span", { class: "pill bad" }, f.kind), " ",
    f.ruleIds.map((id) => el("a", { href: `#/rules/${id}`, class: "pill" }, names[id] || id)), " ", f.why)));
}

// --- the criteria editor

const OPERATORS = ["and", "or", "not", "=", "not=", ">", ">=", "<", "<=", "contains?", "if", "+", "-", "*", "/", "count"];
const NUMBER = /^-?\d+(\.\d+)?$/;

function tokens(text) {
  const found = [];
  const pattern = /(;[^\n]*)|("(?:[^"\\]|\\.)*"?)|([()[\]{}])|(\s+)|([^\s()[\]{}";]+)/g;
  let match;
  while ((match = pattern.exec(text))) {
    const [whole, comment, string, paren, space, word] = match;
    let kind = null;
    if (comment) kind = "comment";
    else if (string) kind = "string";
    else if (paren) kind = "paren";
    else if (space) kind = null;
    else if (word && word.startsWith(":")) kind = "keyword";
    else if (word && NUMBER.test(word)) kind = "number";
    else if (word) kind = "word";
    found.push({ text: whole, start: match.index, kind });
  }
  return found;
}

function highlight(pre, text, problems, known) {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === "\n") lineStarts.push(i + 1);
  const marks = new Map();  // offset -> problem
  for (const problem of problems) {
    const start = (lineStarts[problem.line - 1] ?? text.length) + Math.max(0, problem.column - 1);
    if (!marks.has(start) || problem.severity === "error") marks.set(start, problem);
  }
  const nodes = [];
  const markAt = (offset, piece) => {
    const problem = marks.get(offset);
    marks.delete(offset);
    return el("span", { class: `mark-${problem.severity}`, "data-line": problem.line, "data-column": problem.column, title: problem.message }, piece);
  };
  for (const token of tokens(text)) {
    const cls = token.kind === "word" ? (known.has(token.text) ? "tok-var" : "tok-fn") : token.kind ? `tok-${token.kind}` : null;
    // A problem inside the token splits it: the marked part underlined, from its column to the token's end.
    const inside = [...marks.keys()].filter((o) => o >= token.start && o < token.start + token.text.length).sort((a, b) => a - b);
    if (!inside.length) { nodes.push(cls ? el("span", { class: cls }, token.text) : token.text); continue; }
    const at = inside[0] - token.start;
    if (at > 0) nodes.push(cls ? el("span", { class: cls }, token.text.slice(0, at)) : token.text.slice(0, at));
    const rest = token.text.slice(at);
    const mark = markAt(inside[0], rest);
    if (cls) mark.classList.add(cls);
    nodes.push(mark);
  }
  for (const offset of [...marks.keys()]) nodes.push(markAt(offset, " "));  // past the end of the text
  nodes.push("\n");
  pre.replaceChildren(...nodes);
}

function insertAt(textarea, snippet) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  const before = value.slice(0, start);
  const pad = before && !/[\s(]$/.test(before) ? " " : "";
  textarea.value = before + pad + snippet + value.slice(end);
  const caret = (before + pad + snippet).length - (snippet.endsWith(")") && snippet.includes(" )") ? 1 : 0);
  textarea.focus();
  textarea.setSelectionRange(caret, caret);
  textarea.dispatchEvent(new Event("input"));
}

function criteriaEditor(initial, onChange) {
  const pre = el("pre", { id: "criteria-highlight", "aria-hidden": "true" });
  const area = el("textarea", { id: "criteria", spellcheck: "false", autocomplete: "off", rows: 7, "aria-describedby": "problems" });
  area.value = initial;
  const problemsList = el("ul", { class: "problems", id: "problems" });
  const summary = el("p", { class: "visually-hidden", id: "problems-summary", "aria-live": "polite" });
  const state = { problems: [], known: new Set(), valid: null };
  const draw = () => highlight(pre, area.value, state.problems, state.known);
  const check = debounce(async () => {
    const text = area.value;
    if (!text.trim()) { state.problems = []; state.valid = null; problemsList.replaceChildren(); draw(); return; }
    try {
      const answer = await api("POST", "/rules/validate", { criteria: text });
      if (text !== area.value) return;  // typed on since
      state.valid = answer.valid;
      state.problems = [
        ...answer.errors.map((p) => ({ ...p, severity: "error" })),
        ...(answer.warnings || []).map((p) => ({ ...p, severity: "warning" })),
      ];
      problemsList.replaceChildren(...(state.problems.length ? state.problems.map((p) => el("li", { class: `problem ${p.severity}`, "data-line": p.line, "data-column": p.column },
        el("strong", {}, p.severity === "error" ? "Error" : "Warning"), ` at line ${p.line}, column ${p.column}: ${p.message}`, p.hint ? el("span", { class: "muted" }, ` (${p.hint})`) : null))
        : [el("li", { class: "ok", id: "criteria-ok" }, "The criteria read and check without a problem.")]));
      const errors = answer.errors.length, warnings = (answer.warnings || []).length;
      summary.textContent = errors || warnings ? `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}` : "no problem";
      draw();
    } catch (error) { problemsList.replaceChildren(el("li", { class: "error" }, problemText(error))); }
  }, 250);
  area.addEventListener("input", () => { state.problems = state.problems.filter(() => false); draw(); check(); onChange(area.value); });
  area.addEventListener("scroll", () => { pre.scrollTop = area.scrollTop; });
  variables().then((vars) => { state.known = new Set(vars.map((v) => v.name)); draw(); }).catch(() => {});
  draw();
  if (initial) check();
  const operators = el("div", { class: "operators", role: "group", "aria-label": "Insert an operator" },
    OPERATORS.map((op) => el("button", { type: "button", class: "small secondary op", "data-op": op, onclick: () => insertAt(area, `(${op} )`) }, op)));
  return { area, state, node: el("div", {},
    el("label", { for: "criteria" }, "Criteria"),
    operators,
    el("div", { class: "editor" }, pre, area),
    summary,
    problemsList) };
}

function variablePicker(area) {
  const search = el("input", { type: "search", id: "variable-search", placeholder: "days past due, status, balance…" });
  const list = el("ul", { id: "variable-list", "aria-label": "Variables" });
  let known = [];
  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = known.filter((v) => words.every((w) => `${v.name} ${v.description} ${v.type}`.toLowerCase().includes(w))).slice(0, 80);
    list.replaceChildren(...shown.map((v) => el("li", {}, el("button", { type: "button", class: "variable", "data-name": v.name, onclick: () => insertAt(area, v.name) },
      el("span", { class: "name" }, v.name), el("span", { class: "type" }, v.type), el("span", { class: "desc" }, v.description)))));
    if (!shown.length) list.replaceChildren(el("li", { class: "muted" }, "No variable matches."));
  };
  search.addEventListener("input", draw);
  variables().then((vars) => { known = vars; draw(); }).catch((error) => list.replaceChildren(el("li", { class: "error" }, problemText(error))));
  return el("section", { class: "panel picker", "aria-labelledby": "picker-heading" },
    el("h2", { id: "picker-heading" }, "Variables"),
    el("label", { for: "variable-search" }, "Search variables"), search, list);
}

// --- actions, their forms generated from the OpenAPI document

function resolve(doc, schema) {
  while (schema && schema.$ref) schema = doc.components.schemas[schema.$ref.split("/").pop()];
  return schema || {};
}

function plain(doc, schema) {
  const options = (schema.anyOf || []).map((s) => resolve(doc, s)).filter((s) => s.type !== "null");
  const nullable = (schema.anyOf || []).some((s) => s.type === "null");
  return { schema: options.length === 1 ? options[0] : options.length ? { oneOf: options } : resolve(doc, schema), nullable };
}

async function actionSchemas() {
  const doc = await openapi();
  const rule = doc.components.schemas.RuleCreate.properties.actions.items;
  return { doc, kinds: Object.fromEntries(Object.entries(rule.discriminator.mapping).map(([type, ref]) => [type, resolve(doc, { $ref: ref })])) };
}

function actionField(doc, action, name, property, id, onChange) {
  const { schema, nullable } = plain(doc, property);
  const title = name.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());
  const value = action[name];
  if (schema.type === "boolean") {
    return el("div", { class: "field" }, el("label", { class: "check", for: id },
      el("input", { type: "checkbox", id, checked: Boolean(value ?? property.default ?? false), onchange: (e) => onChange(name, e.target.checked) }), title));
  }
  let input;
  if (schema.enum) {
    input = el("select", { id, onchange: (e) => onChange(name, e.target.value || null) },
      nullable || !("default" in property) ? el("option", { value: "" }, "—") : null,
      schema.enum.map((option) => el("option", { value: option, selected: option === value }, option)));
  } else if (schema.type === "array" && resolve(doc, schema.items || {}).type === "string") {
    input = el("input", { type: "text", id, value: (value || []).join(", "), "aria-describedby": `${id}-help`,
      onchange: (e) => onChange(name, e.target.value.split(",").map((s) => s.trim()).filter(Boolean)) });
    return el("div", { class: "field" }, el("label", { for: id }, title), input, el("span", { class: "muted", id: `${id}-help` }, " comma-separated"));
  } else if (schema.type === "string" || schema.type === "number" || schema.type === "integer" || schema.oneOf) {
    if (schema.oneOf && !schema.oneOf.every((s) => ["string", "number", "integer"].includes(s.type))) {
      input = jsonInput(id, value, (parsed) => onChange(name, parsed));
    } else {
      input = el("input", { type: "text", id, value: value ?? "", inputmode: schema.type === "string" ? "text" : "decimal",
        onchange: (e) => onChange(name, e.target.value === "" ? null : schema.type === "integer" ? Number(e.target.value) : e.target.value) });
    }
  } else {
    input = jsonInput(id, value, (parsed) => onChange(name, parsed));
  }
  return el("div", { class: "field" }, el("label", { for: id }, title), input);
}

function jsonInput(id, value, onParsed) {
  const area = el("textarea", { id, rows: 2 });
  area.value = value === undefined || value === null ? "" : JSON.stringify(value);
  area.addEventListener("change", () => {
    try { onParsed(area.value.trim() ? JSON.parse(area.value) : null); area.removeAttribute("aria-invalid"); }
    catch { area.setAttribute("aria-invalid", "true"); toast(`${id}: not JSON`, true); }
  });
  return area;
}

function actionsEditor(initial) {
  const state = { actions: initial.map((a) => ({ ...a })) };
  const list = el("ol", { class: "sortable", id: "actions", "aria-label": "Actions, in the order they apply" });
  const type = el("select", { id: "action-type" });
  let schemas = null;
  const move = (from, to) => {
    if (to < 0 || to >= state.actions.length || from === to) return;
    state.actions = moved(state.actions, from, to);
    draw();
    list.querySelectorAll("li")[to]?.querySelector(to > from ? ".move-down" : ".move-up")?.focus();
  };
  function draw() {
    if (!schemas) return;
    list.replaceChildren(...state.actions.map((action, index) => {
      const schema = schemas.kinds[action.type] || { properties: {} };
      const fields = Object.entries(schema.properties || {}).filter(([name]) => name !== "type")
        .map(([name, property]) => actionField(schemas.doc, action, name, property, `action-${index}-${name}`, (key, value) => {
          if (value === null || (Array.isArray(value) && !value.length)) delete action[key]; else action[key] = value;
        }));
      return el("li", { class: "action", draggable: "true", "data-index": index, "data-type": action.type },
        el("div", { class: "item-head" },
          el("span", { class: "handle", "aria-hidden": "true" }, "⠿"),
          el("span", { class: "title" }, `${index + 1}. ${action.type}`),
          moveButtons(index, state.actions.length, `action ${index + 1} (${action.type})`, move),
          el("button", { type: "button", class: "small danger remove", "aria-label": `Remove action ${index + 1}`, onclick: () => {
            state.actions.splice(index, 1);
            draw();
            (list.querySelectorAll(".remove")[Math.min(index, state.actions.length - 1)] || $("#action-type")).focus();
          } }, "Remove")),
        el("div", { class: "action-fields" }, fields));
    }));
  }
  sortable(list, move);
  actionSchemas().then((loaded) => {
    schemas = loaded;
    type.replaceChildren(...Object.keys(loaded.kinds).map((kind) => el("option", { value: kind }, kind)));
    draw();
  }).catch((error) => list.replaceChildren(el("li", { class: "error" }, problemText(error))));
  const add = el("button", { type: "button", id: "add-action", class: "secondary", onclick: () => {
    const kind = schemas.kinds[type.value];
    const fresh = { type: type.value };
    for (const name of kind.required || []) if (name !== "type" && kind.properties[name]?.enum) fresh[name] = kind.properties[name].enum[0];
    state.actions.push(fresh);
    draw();
  } }, "Add action");
  return { state, node: el("section", { "aria-labelledby": "actions-heading" },
    el("h2", { id: "actions-heading" }, "Actions"),
    el("p", { class: "muted" }, "Applied top to bottom when the criteria hold. Drag an action, or use its arrows."),
    list,
    el("div", { class: "row" }, el("div", {}, el("label", { for: "action-type" }, "Action type"), type), add)) };
}

// --- the rule page

async function rulePage(ruleId) {
  const rule = ruleId ? await api("GET", `/rules/${encodeURIComponent(ruleId)}`) : {
    name: "", active: true, criteria: "", actions: [], evalDaily: true, evalRealTime: true, addToNewLoans: true, preactivation: false, mode: "live",
  };
  const name = el("input", { type: "text", id: "rule-name", value: rule.name, required: true });
  const flags = ["active", "evalDaily", "evalRealTime", "addToNewLoans", "preactivation"];
  const labels = { active: "Active", evalDaily: "Daily maintenance", evalRealTime: "Real time", addToNewLoans: "Enrol new loans", preactivation: "Before activation" };
  const boxes = Object.fromEntries(flags.map((f) => [f, el("input", { type: "checkbox", id: `rule-${f}`, checked: Boolean(rule[f]) })]));
  const mode = el("select", { id: "rule-mode" }, ["live", "shadow"].map((m) => el("option", { value: m, selected: (rule.mode || "live") === m }, m)));
  const criteria = criteriaEditor(rule.criteria, () => {});
  const actions = actionsEditor(rule.actions || []);
  const status = el("p", { id: "rule-status", role: "status" });
  const body = () => ({
    name: name.value.trim(), criteria: criteria.area.value, actions: actions.state.actions, mode: mode.value,
    ...Object.fromEntries(flags.map((f) => [f, boxes[f].checked])),
  });
  const save = el("button", { type: "button", id: "save-rule", onclick: async () => {
    status.textContent = "Saving…";
    status.className = "";
    try {
      const saved = ruleId
        ? await api("PUT", `/rules/${encodeURIComponent(ruleId)}`, body(), { "If-Match": `"${rule.version}"` })
        : await api("POST", "/rules", body());
      const warnings = (saved.warnings || []).map((w) => w.message || JSON.stringify(w));
      toast(`Saved: version ${saved.version}`);
      if (warnings.length) toast(`Saved, with warnings: ${warnings.join("; ")}`, true);
      if (!ruleId) { location.hash = `#/rules/${saved.id}`; return; }
      await render();
    } catch (error) {
      status.className = "error";
      status.textContent = `Not saved: ${problemText(error)}`;
    }
  } }, ruleId ? "Save new version" : "Create rule");
  const remove = ruleId ? el("button", { type: "button", class: "danger", id: "delete-rule", onclick: async () => {
    if (!confirm(`Delete the rule "${rule.name}"? Its versions stay in the audit log.`)) return;
    try { await api("DELETE", `/rules/${encodeURIComponent(ruleId)}`); toast("Rule deleted"); location.hash = "#/rules"; }
    catch (error) { toast(problemText(error), true); }
  } }, "Delete") : null;

  const side = [variablePicker(criteria.area), previewPanel(criteria.area, body)];
  if (ruleId) side.push(findingsPanel(ruleId), historyPanel(rule));
  return [
    el("p", {}, el("a", { href: "#/rules" }, "← Rules")),
    el("h1", {}, ruleId ? `Rule: ${rule.name}` : "New rule", ruleId ? el("span", { class: "muted" }, ` (version ${rule.version})`) : null),
    el("div", { class: "grid" },
      el("form", { class: "panel", id: "rule-form", onsubmit: (e) => e.preventDefault() },
        el("div", { class: "field" }, el("label", { for: "rule-name" }, "Name"), name),
        el("div", { class: "row" }, flags.map((f) => el("label", { class: "check", for: `rule-${f}` }, boxes[f], labels[f])),
          el("div", {}, el("label", { for: "rule-mode" }, "Mode"), mode)),
        criteria.node,
        actions.node,
        el("div", { class: "row" }, save, remove),
        status),
      el("div", {}, side)),
  ];
}

function previewPanel(area, body) {
  const result = el("div", { id: "preview-result", "aria-live": "polite" });
  const backtest = el("div", { id: "backtest-result", "aria-live": "polite" });
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const from = el("input", { type: "date", id: "backtest-from", value: iso(new Date(today.getTime() - 30 * 86400000)) });
  const to = el("input", { type: "date", id: "backtest-to", value: iso(today) });
  return el("section", { class: "panel", "aria-labelledby": "preview-heading" },
    el("h2", { id: "preview-heading" }, "Try it"),
    el("button", { type: "button", id: "preview-button", class: "secondary", onclick: async () => {
      result.replaceChildren(el("p", { class: "muted" }, "Running over every loan…"));
      try {
        const answer = await api("POST", "/rules/preview", { criteria: area.value, limit: 10 });
        result.replaceChildren(el("p", {}, `${answer.matched} of ${answer.evaluated} loans match now.`),
          el("ul", {}, answer.sample.map((s) => el("li", {}, el("a", { href: `#/loans/${s.loanId}` }, s.loanId), " ", el("span", { class: "muted" }, JSON.stringify(s.variables || {}))))));
      } catch (error) { result.replaceChildren(el("p", { class: "error" }, problemText(error))); }
    } }, "Preview on today's loans"),
    result,
    el("h3", {}, "Backtest on stored days"),
    el("div", { class: "row" }, el("div", {}, el("label", { for: "backtest-from" }, "From"), from), el("div", {}, el("label", { for: "backtest-to" }, "To"), to),
      el("button", { type: "button", id: "backtest-button", class: "secondary", onclick: async () => {
        backtest.replaceChildren(el("p", { class: "muted" }, "Replaying…"));
        try {
          const { name, ...rest } = body();
          const answer = await api("POST", "/rules/backtest", { rule: { name: name || "draft", ...rest }, from: from.value, to: to.value, sample: 500 });
          backtest.replaceChildren(el("p", {}, `${answer.loansMatched ?? 0} of ${answer.loansReplayed ?? 0} loans would have matched over ${answer.loanDays ?? 0} loan-days.`),
            el("ul", {}, (answer.matches || []).slice(0, 10).map((m) => el("li", {}, el("a", { href: `#/loans/${m.loanId}` }, m.loanId), m.firstMatch ? ` first on ${m.firstMatch}, ${m.daysMatched} day(s)` : ""))));
        } catch (error) { backtest.replaceChildren(el("p", { class: "error" }, problemText(error))); }
      } }, "Backtest")),
    backtest);
}

function findingsPanel(ruleId) {
  const box = el("div", { id: "rule-findings" }, el("p", { class: "muted" }, "Reading the rulebook…"));
  Promise.all([api("GET", "/rules/analysis"), all("/rules")])
    .then(([analysis, rules]) => box.replaceChildren(findingList(analysis.findings, rules, ruleId)))
    .catch((error) => box.replaceChildren(el("p", { class: "error" }, problemText(error))));
  return el("section", { class: "panel", "aria-labelledby": "rule-findings-heading" }, el("h2", { id: "rule-findings-heading" }, "Analysis findings"), box);
}

function ruleText(rule) {
  const shown = { name: rule.name, active: rule.active, mode: rule.mode, evalDaily: rule.evalDaily, evalRealTime: rule.evalRealTime, addToNewLoans: rule.addToNewLoans, preactivation: rule.preactivation };
  return [...Object.entries(shown).map(([k, v]) => `${k}: ${v}`), "criteria:", ...rule.criteria.split("\n"), "actions:", ...JSON.stringify(rule.actions, null, 2).split("\n")];
}

function lineDiff(a, b) {
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) for (let j = m - 1; j >= 0; j -= 1) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push([" ", a[i]]); i += 1; j += 1; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push(["-", a[i]]); i += 1; }
    else { out.push(["+", b[j]]); j += 1; }
  }
  while (i < n) out.push(["-", a[i++]]);
  while (j < m) out.push(["+", b[j++]]);
  return out;
}

function historyPanel(rule) {
  const older = el("select", { id: "diff-from" });
  const newer = el("select", { id: "diff-to" });
  const diff = el("div", { class: "diff", id: "diff" });
  const list = el("ol", { id: "history", reversed: true });
  let versions = [];
  const show = () => {
    const a = versions.find((v) => String(v.version) === older.value);
    const b = versions.find((v) => String(v.version) === newer.value);
    if (!a || !b) return;
    diff.replaceChildren(...lineDiff(ruleText(a), ruleText(b)).map(([sign, line]) => el("span", { class: sign === "+" ? "add" : sign === "-" ? "del" : "" }, `${sign} ${line}\n`)));
  };
  older.addEventListener("change", show);
  newer.addEventListener("change", show);
  all(`/rules/${encodeURIComponent(rule.id)}/versions`).then((found) => {
    versions = found;
    list.replaceChildren(...found.map((v) => el("li", { "data-version": v.version }, `version ${v.version}, ${fmt.time(v.updatedAt)}: `, el("code", {}, v.criteria.slice(0, 80)))));
    for (const select of [older, newer]) select.replaceChildren(...found.map((v) => el("option", { value: v.version }, `version ${v.version}`)));
    newer.value = String(found[0]?.version ?? "");
    older.value = String(found[1]?.version ?? found[0]?.version ?? "");
    show();
  }).catch((error) => list.replaceChildren(el("li", { class: "error" }, problemText(error))));
  return el("section", { class: "panel", "aria-labelledby": "history-heading" },
    el("h2", { id: "history-heading" }, "History"), list,
    el("div", { class: "row" }, el("div", {}, el("label", { for: "diff-from" }, "Compare"), older), el("div", {}, el("label", { for: "diff-to" }, "with"), newer)),
    diff);
}

// ------------------------------------------------------------------ customers

const customerName = (c) => [c.firstName, c.lastName].filter(Boolean).join(" ") || c.id;

async function customersPage() {
  const [customers, statuses] = await Promise.all([all("/customers", 4), all("/customer-statuses")]);
  const search = el("input", { type: "search", id: "customer-search" });
  const status = el("select", { id: "customer-status-filter" }, el("option", { value: "" }, "Any status"), statuses.map((s) => el("option", { value: s.title }, s.title)));
  const body = el("tbody");
  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = customers.filter((c) => (!status.value || c.status === status.value)
      && words.every((w) => `${customerName(c)} ${c.email || ""} ${c.id}`.toLowerCase().includes(w)));
    body.replaceChildren(...shown.slice(0, 500).map((c) => el("tr", { class: "clickable" },
      el("td", {}, el("a", { href: `#/customers/${c.id}` }, customerName(c))),
      el("td", {}, c.status), el("td", {}, fmt.text(c.email)), el("td", {}, c.customerType), el("td", {}, fmt.time(c.updatedAt)))));
    count.textContent = `${shown.length} of ${customers.length} customers`;
  };
  const count = el("p", { class: "muted", id: "customer-count", "aria-live": "polite" });
  search.addEventListener("input", draw);
  status.addEventListener("change", draw);
  draw();
  return [
    el("h1", {}, "Customers"),
    el("div", { class: "row" }, el("div", {}, el("label", { for: "customer-search" }, "Search"), search), el("div", {}, el("label", { for: "customer-status-filter" }, "Status"), status)),
    count,
    el("table", { id: "customers-table" }, el("thead", {}, el("tr", {}, ["Name", "Status", "E-mail", "Type", "Updated"].map((h) => el("th", { scope: "col" }, h)))), body),
  ];
}

function loanRows(entries) {
  return entries.map(({ loan, role }) => el("tr", { "data-loan": loan.id },
    el("td", {}, el("a", { href: `#/loans/${loan.id}` }, loan.displayId || loan.id)),
    role ? el("td", {}, role) : null,
    el("td", {}, loan.loanStatus, loan.loanSubStatus ? ` / ${loan.loanSubStatus}` : ""),
    el("td", { class: "portfolios" }, (loan.portfolios || []).map((p) => el("span", { class: "pill" }, p))),
    el("td", { class: "num" }, loan.values?.daysPastDue ?? 0),
    el("td", { class: "num" }, fmt.money(loan.values?.principalBalance)),
    el("td", {}, [loan.interestStopped ? "interest stopped" : null, loan.chargedOff ? "charged off" : null, loan.active ? null : "not active"].filter(Boolean).join(", ") || "—")));
}

async function customerPage(customerId) {
  let customer = await api("GET", `/customers/${encodeURIComponent(customerId)}`);
  const statuses = await all("/customer-statuses");
  const loansBody = el("tbody");
  let shown = null;
  const loadLoans = async () => {
    const links = await all(`/customers/${encodeURIComponent(customerId)}/loans`);
    const seen = JSON.stringify(links);
    if (seen === shown) return;  // unchanged: keep the rows (and the focus in them)
    shown = seen;
    loansBody.replaceChildren(...(links.length ? loanRows(links) : [el("tr", {}, el("td", { colspan: 7 }, "No loans."))]));
  };
  await loadLoans();
  const message = el("p", { id: "customer-message", role: "status" });
  const select = el("select", { id: "customer-status" }, statuses.filter((s) => s.active || s.title === customer.status).map((s) => el("option", { value: s.title, selected: s.title === customer.status }, s.title)));
  const saveStatus = el("button", { type: "button", id: "save-status", onclick: async () => {
    if (select.value === customer.status) { message.className = ""; message.textContent = `The status is ${customer.status} already.`; return; }
    saveStatus.disabled = true;
    try {
      customer = await api("PUT", `/customers/${encodeURIComponent(customerId)}`, { status: select.value }, { "If-Match": `"${customer.version}"` });
      message.className = "ok";
      message.textContent = `Status set to ${customer.status}. Rules run on each of the customer's loans; this list follows for 10 seconds.`;
      const started = Date.now();
      const stop = every(1000, () => { if (Date.now() - started > 10000) stop(); else loadLoans().catch(() => {}); });
    } catch (error) {
      message.className = "error";
      message.textContent = problemText(error);
      select.value = customer.status;
    } finally { saveStatus.disabled = false; }
  } }, "Save status");
  return [
    el("p", {}, el("a", { href: "#/customers" }, "← Customers")),
    el("h1", {}, customerName(customer)),
    el("div", { class: "grid" },
      el("section", { class: "panel", "aria-labelledby": "customer-heading" },
        el("h2", { id: "customer-heading" }, "Customer"),
        el("div", { class: "row field" }, el("div", {}, el("label", { for: "customer-status" }, "Status"), select), saveStatus),
        message,
        el("dl", { class: "values" }, [
          ["E-mail", fmt.text(customer.email)], ["Phone", fmt.text(customer.phone)], ["Type", customer.customerType],
          ["Credit score", fmt.text(customer.creditScore)], ["Version", customer.version], ["Updated", fmt.time(customer.updatedAt)],
        ].map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))),
      el("section", { class: "panel", "aria-labelledby": "customer-loans-heading" },
        el("h2", { id: "customer-loans-heading" }, "Loans, in every role"),
        el("table", { id: "customer-loans" }, el("thead", {}, el("tr", {}, ["Loan", "Role", "Status", "Portfolios", "DPD", "Principal", "Flags"].map((h) => el("th", { scope: "col", class: ["DPD", "Principal"].includes(h) ? "num" : null }, h)))), loansBody))),
  ];
}

// ------------------------------------------------------------------ loans

async function loansPage() {
  const loans = await all("/loans", 4);
  const search = el("input", { type: "search", id: "loan-search" });
  const unique = (values) => [...new Set(values.filter(Boolean))].sort();
  const status = el("select", { id: "loan-status-filter" }, el("option", { value: "" }, "Any status"), unique(loans.map((l) => l.loanStatus)).map((s) => el("option", { value: s }, s)));
  const portfolio = el("select", { id: "loan-portfolio-filter" }, el("option", { value: "" }, "Any portfolio"), unique(loans.flatMap((l) => l.portfolios || [])).map((p) => el("option", { value: p }, p)));
  const dpd = el("input", { type: "number", id: "loan-dpd-min", min: 0, value: "" });
  const body = el("tbody");
  const count = el("p", { class: "muted", id: "loan-count", "aria-live": "polite" });
  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const least = dpd.value === "" ? null : Number(dpd.value);
    const shown = loans.filter((l) => (!status.value || l.loanStatus === status.value)
      && (!portfolio.value || (l.portfolios || []).includes(portfolio.value))
      && (least === null || (l.values?.daysPastDue ?? 0) >= least)
      && words.every((w) => `${l.displayId || ""} ${l.id}`.toLowerCase().includes(w)));
    body.replaceChildren(...loanRows(shown.slice(0, 500).map((loan) => ({ loan }))));
    count.textContent = `${shown.length} of ${loans.length} loans`;
  };
  for (const input of [search, dpd]) input.addEventListener("input", draw);
  for (const select of [status, portfolio]) select.addEventListener("change", draw);
  draw();
  return [
    el("h1", {}, "Loans"),
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "loan-search" }, "Search"), search),
      el("div", {}, el("label", { for: "loan-status-filter" }, "Status"), status),
      el("div", {}, el("label", { for: "loan-portfolio-filter" }, "Portfolio"), portfolio),
      el("div", {}, el("label", { for: "loan-dpd-min" }, "Days past due at least"), dpd)),
    count,
    el("table", { id: "loans-table" }, el("thead", {}, el("tr", {}, ["Loan", "Status", "Portfolios", "DPD", "Principal", "Flags"].map((h) => el("th", { scope: "col", class: ["DPD", "Principal"].includes(h) ? "num" : null }, h)))), body),
  ];
}

function chart(snapshots) {
  const width = 800, height = 220, pad = 36;
  if (!snapshots.length) return el("p", { class: "muted", id: "snapshot-chart" }, "No snapshots yet: daily maintenance keeps one per loan per day.");
  const xs = (i) => pad + (snapshots.length === 1 ? 0 : (i * (width - 2 * pad)) / (snapshots.length - 1));
  const balance = snapshots.map((s) => Number(s.values.principalBalance || 0));
  const dpd = snapshots.map((s) => Number(s.values.daysPastDue || 0));
  const top = Math.max(...balance, 1), dpdTop = Math.max(...dpd, 1);
  const y = (v, max) => height - pad - (v / max) * (height - 2 * pad);
  const line = (values, max) => values.map((v, i) => `${xs(i).toFixed(1)},${y(v, max).toFixed(1)}`).join(" ");
  return el("svg", { class: "chart", id: "snapshot-chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title chart-desc" },
    el("title", { id: "chart-title" }, "Principal balance and days past due over time"),
    el("desc", { id: "chart-desc" }, `${snapshots.length} days from ${snapshots[0].date} to ${snapshots.at(-1).date}; balance from ${fmt.money(balance[0])} to ${fmt.money(balance.at(-1))}; days past due at most ${Math.max(...dpd)}.`),
    el("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "#8a94a1" }),
    el("polyline", { points: line(balance, top), fill: "none", stroke: "#1d4ed8", "stroke-width": 2 }),
    el("polyline", { points: line(dpd, dpdTop), fill: "none", stroke: "#b42318", "stroke-width": 2, "stroke-dasharray": "5 3" }),
    el("text", { x: pad, y: 14 }, `balance (blue, max ${fmt.money(top)})`),
    el("text", { x: width - pad - 190, y: 14 }, `days past due (red, max ${dpdTop})`),
    el("text", { x: pad, y: height - 10 }, snapshots[0].date),
    el("text", { x: width - pad - 70, y: height - 10 }, snapshots.at(-1).date));
}

function table(id, headings, rows) {
  return el("table", { id }, el("thead", {}, el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: headings.length }, "None."))));
}

async function loanPage(loanId) {
  const path = `/loans/${encodeURIComponent(loanId)}`;
  const [loan, rules] = await Promise.all([api("GET", path), all("/rules")]);
  const ruleNames = Object.fromEntries(rules.map((r) => [r.id, r.name]));
  const applications = el("div", { id: "applications" });
  const loadApplications = async () => {
    const page = await api("GET", `${path}/rule-applications?limit=50`);
    applications.replaceChildren(table("applications-table", ["When", "Rule", "Trigger", "Matched", "Actions", "Variables that decided"], page.items.map((a) => el("tr", { "data-rule": a.ruleId, "data-trigger": a.trigger },
      el("td", {}, fmt.time(a.time)), el("td", {}, ruleNames[a.ruleId] || a.ruleId, el("span", { class: "muted" }, ` v${a.ruleVersion}`)),
      el("td", {}, a.trigger), el("td", {}, a.error ? el("span", { class: "error" }, a.error) : a.matched ? "yes" : "no"),
      el("td", {}, (a.actionsApplied || []).map((x) => el("span", { class: "pill" }, x.type || JSON.stringify(x)))),
      el("td", {}, el("details", {}, el("summary", {}, `${Object.keys(a.variables || {}).length} variables`), el("pre", { class: "json" }, JSON.stringify(a.variables, null, 2))))))));
  };
  const labels = el("p", { id: "loan-labels" });
  const drawLabels = (current) => labels.replaceChildren(
    ...(current.portfolios || []).map((p) => el("span", { class: "pill" }, p)), ...(current.subPortfolios || []).map((p) => el("span", { class: "pill" }, p)),
    current.interestStopped ? el("span", { class: "pill bad" }, "interest stopped") : "", current.chargedOff ? el("span", { class: "pill bad" }, "charged off") : "",
    !(current.portfolios || []).length && !current.interestStopped && !current.chargedOff ? el("span", { class: "muted" }, "No portfolio.") : "");
  drawLabels(loan);
  const forceRule = el("select", { id: "force-rule" }, rules.map((r) => el("option", { value: r.id }, r.name)));
  const forceResult = el("div", { id: "force-result", "aria-live": "polite" });
  const force = el("button", { type: "button", id: "force-button", disabled: !rules.length, onclick: async () => {
    force.disabled = true;
    forceResult.replaceChildren(el("p", { class: "muted" }, "Running the rule on this loan…"));
    try {
      const result = await api("POST", `${path}/rules/${encodeURIComponent(forceRule.value)}/force`, { explain: true });
      forceResult.replaceChildren(
        el("p", { class: result.error ? "error" : result.matched ? "ok" : "" }, result.error ? `Error: ${result.error}` : result.matched ? `Matched: ${(result.actionsApplied || []).length} action(s) applied.` : "Did not match: nothing applied."),
        el("details", { open: true }, el("summary", {}, "Why (the variables it read)"), el("pre", { class: "json" }, JSON.stringify(result.variables, null, 2))));
      await loadApplications();
      drawLabels(await api("GET", path));
    } catch (error) { forceResult.replaceChildren(el("p", { class: "error" }, problemText(error))); }
    finally { force.disabled = false; }
  } }, "Force rule");
  const [schedule, transactions, snapshots] = await Promise.all([
    all(`${path}/schedule`, 2).catch((e) => e), all(`${path}/transactions`, 2).catch((e) => e), all(`${path}/snapshots`, 2).catch((e) => e),
    loadApplications().catch((e) => applications.replaceChildren(el("p", { class: "error" }, problemText(e))))]);
  const failed = (found, draw) => (found instanceof Error ? el("p", { class: "error" }, problemText(found)) : draw(found));
  const values = loan.values || {};
  return [
    el("p", {}, el("a", { href: "#/loans" }, "← Loans")),
    el("h1", {}, `Loan ${loan.displayId || loan.id}`, el("span", { class: "muted" }, ` ${loan.loanStatus}${loan.loanSubStatus ? ` / ${loan.loanSubStatus}` : ""}`)),
    el("div", { class: "grid" },
      el("div", {},
        el("section", { class: "panel", "aria-labelledby": "values-heading" },
          el("h2", { id: "values-heading" }, "Values"),
          el("dl", { class: "values", id: "loan-values" }, Object.entries(values).map(([k, v]) => [el("dt", {}, k.replace(/([A-Z])/g, " $1").toLowerCase()), el("dd", {}, fmt.text(v))])),
          el("h3", {}, "Labels"),
          labels,
          el("h3", {}, "Customers"),
          el("ul", {}, (loan.customers || []).map((c) => el("li", {}, el("a", { href: `#/customers/${c.customerId}` }, c.customerId), ` (${c.role})`)))),
        el("section", { class: "panel", "aria-labelledby": "chart-heading" }, el("h2", { id: "chart-heading" }, "Over time"), failed(snapshots, chart)),
        el("section", { class: "panel", "aria-labelledby": "apps-heading" }, el("h2", { id: "apps-heading" }, "Rule applications"), applications)),
      el("div", {},
        el("section", { class: "panel", "aria-labelledby": "force-heading" },
          el("h2", { id: "force-heading" }, "Force a rule"),
          el("p", { class: "muted" }, "Runs one rule on this loan now, whatever its schedule, and says why."),
          el("label", { for: "force-rule" }, "Rule"), forceRule, " ", force, forceResult),
        el("section", { class: "panel", "aria-labelledby": "tx-heading" }, el("h2", { id: "tx-heading" }, "Transactions"),
          failed(transactions, (found) => table("transactions", ["Date", "Type", "Amount", "Source"], found.map((t) => el("tr", {}, el("td", {}, t.date), el("td", {}, t.type, t.reversed ? " (reversed)" : ""), el("td", { class: "num" }, fmt.money(t.amount)), el("td", {}, fmt.text(t.source))))))),
        el("section", { class: "panel", "aria-labelledby": "schedule-heading" }, el("h2", { id: "schedule-heading" }, "Schedule"),
          failed(schedule, (found) => el("details", {}, el("summary", {}, `${found.length} payments`),
            table("schedule", ["#", "Due", "Payment", "Interest", "Principal", "Balance"], found.map((r) => el("tr", {}, el("td", {}, r.number), el("td", {}, r.dueDate), ...[r.payment, r.interest, r.principal, r.balance].map((v) => el("td", { class: "num" }, fmt.money(v))))))))))),
  ];
}

// ------------------------------------------------------------------ webhooks

const hookTable = (hooks) => table("webhooks-table", ["Name", "URL", "Events", "Active"], hooks.map((h) => el("tr", { "data-webhook": h.id },
  el("td", {}, el("a", { href: `#/webhooks/${h.id}` }, h.name)), el("td", {}, h.url), el("td", {}, h.events.map((e) => el("span", { class: "pill" }, e))), el("td", {}, h.active ? "yes" : "no"))));

async function webhooksPage() {
  const hooks = await all("/webhooks");
  let listing = hookTable(hooks);
  const name = el("input", { type: "text", id: "webhook-name", required: true });
  const url = el("input", { type: "url", id: "webhook-url", required: true, placeholder: "https://example.com/hooks" });
  const events = el("input", { type: "text", id: "webhook-events", value: "loan.updated", "aria-describedby": "events-help" });
  const created = el("div", { id: "webhook-created", role: "status" });
  const form = el("form", { class: "panel", id: "webhook-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const hook = await api("POST", "/webhooks", { name: name.value, url: url.value, events: events.value.split(",").map((s) => s.trim()).filter(Boolean) });
      created.replaceChildren(el("p", { class: "ok" }, `Created. Its signing secret, shown once: `, el("code", { id: "webhook-secret" }, hook.secret)), el("a", { href: `#/webhooks/${hook.id}` }, "Open it"));
      hooks.push(hook);
      listing.replaceWith(listing = hookTable(hooks));
    } catch (error) { created.replaceChildren(el("p", { class: "error" }, problemText(error))); }
  } },
  el("h2", {}, "New subscription"),
  el("div", { class: "field" }, el("label", { for: "webhook-name" }, "Name"), name),
  el("div", { class: "field" }, el("label", { for: "webhook-url" }, "URL"), url),
  el("div", { class: "field" }, el("label", { for: "webhook-events" }, "Events"), events, el("span", { class: "muted", id: "events-help" }, " comma-separated, for example loan.updated, customer.status-changed")),
  el("button", { type: "submit" }, "Create"), created);
  return [el("h1", {}, "Webhooks"), listing, form];
}

async function webhookPage(webhookId) {
  const path = `/webhooks/${encodeURIComponent(webhookId)}`;
  const hook = await api("GET", path);
  const log = el("div", { id: "deliveries" });
  const load = async () => {
    const page = await api("GET", `${path}/deliveries?limit=200`);
    const messages = new Map();
    for (const attempt of page.items) {
      if (!messages.has(attempt.messageId)) messages.set(attempt.messageId, []);
      messages.get(attempt.messageId).push(attempt);
    }
    log.replaceChildren(...(messages.size ? [...messages].map(([messageId, attempts]) => el("section", { class: "panel message", "data-message": messageId },
      el("div", { class: "item-head" }, el("span", { class: "title" }, `${attempts[0].event} `, el("code", { class: "muted" }, messageId)),
        el("button", { type: "button", class: "small secondary redeliver", onclick: async () => {
          try { await api("POST", `${path}/deliveries/${encodeURIComponent(messageId)}/redeliver`, {}); toast("Sent again: a new round of attempts"); setTimeout(() => load().catch(() => {}), 1500); }
          catch (error) { toast(problemText(error), true); }
        } }, "Redeliver")),
      table(`attempts-${messageId}`, ["Attempt", "Status", "Response", "Latency", "At", "Error"], attempts.map((a) => el("tr", { class: "attempt" },
        el("td", {}, a.attempt), el("td", {}, el("span", { class: a.status === "succeeded" ? "pill good" : a.status === "failed" ? "pill bad" : "pill" }, a.status)),
        el("td", {}, fmt.text(a.responseCode)), el("td", {}, a.latencyMs === null || a.latencyMs === undefined ? "—" : `${a.latencyMs} ms`), el("td", {}, fmt.time(a.at)), el("td", {}, fmt.text(a.error))))))) : [el("p", {}, "No deliveries yet.")]));
  };
  await load();
  return [
    el("p", {}, el("a", { href: "#/webhooks" }, "← Webhooks")),
    el("h1", {}, `Webhook: ${hook.name}`),
    el("p", {}, el("code", {}, `${hook.method} ${hook.url}`), " ", hook.events.map((e) => el("span", { class: "pill" }, e))),
    el("div", { class: "row" }, el("h2", {}, "Delivery log"), el("button", { type: "button", class: "small secondary", id: "refresh-deliveries", onclick: () => load().catch((e) => toast(problemText(e), true)) }, "Refresh")),
    log,
  ];
}

// ------------------------------------------------------------------ maintenance

async function maintenancePage() {
  const tenant = await api("GET", "/tenant");
  const date = el("input", { type: "date", id: "maintenance-date", value: tenant.businessDate || new Date().toISOString().slice(0, 10) });
  const runs = el("div", { id: "runs" });
  const known = () => JSON.parse(sessionStorage.getItem(RUNS) || "[]");
  const draw = async () => {
    const found = await Promise.all(known().map((id) => api("GET", `/maintenance/runs/${encodeURIComponent(id)}`).catch(() => null)));
    runs.replaceChildren(...(found.filter(Boolean).length ? found.filter(Boolean).map((run) => el("section", { class: "panel run", "data-run": run.runId, "data-state": run.state },
      el("h3", {}, `Business date ${run.businessDate}: ${run.state}`),
      el("label", { for: `progress-${run.runId}` }, `${run.loansDone} of ${run.loansQueued ?? "?"} loans maintained${run.loansFailed ? `, ${run.loansFailed} failed` : ""}`),
      el("progress", { id: `progress-${run.runId}`, max: run.loansQueued || 1, value: run.loansQueued === null ? undefined : run.loansDone }),
      el("p", { class: "muted" }, `started ${fmt.time(run.startedAt)}${run.finishedAt ? `, finished ${fmt.time(run.finishedAt)}` : ""}`))) : [el("p", {}, "No run started from this tab yet.")]));
    return found;
  };
  const start = el("button", { type: "button", id: "start-run", onclick: async () => {
    try {
      const started = await api("POST", "/maintenance/runs", { businessDate: date.value });
      sessionStorage.setItem(RUNS, JSON.stringify([started.runId, ...known().filter((id) => id !== started.runId)].slice(0, 10)));
      toast(`Run ${started.runId} started`);
      await draw();
    } catch (error) { toast(problemText(error), true); }
  } }, "Start a run");
  await draw();
  const stop = every(1500, () => {
    if (!runs.isConnected) { stop(); return; }  // the user left while this page loaded
    if (runs.querySelector(".run:not([data-state='completed']):not([data-state='failed'])")) draw().catch(() => {});
  });
  return [
    el("h1", {}, "Maintenance"),
    el("p", { class: "muted" }, `The tenant's business date is ${tenant.businessDate || "not set"} (${tenant.timezone}). A run maintains every active loan through the date: interest, fees, days past due, then the daily rules.`),
    el("div", { class: "row panel" }, el("div", {}, el("label", { for: "maintenance-date" }, "Business date"), date), start),
    el("h2", {}, "Runs"),
    runs,
  ];
}

// ------------------------------------------------------------------ start

$("#logout").addEventListener("click", () => logout());
$(".skip").addEventListener("click", (event) => { event.preventDefault(); $("#main").focus(); });
window.addEventListener("hashchange", render);
render();
