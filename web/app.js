// SPDX-License-Identifier: GPL-2.0-or-later
// vacmlab web: draws each lab from its status (server-sent events from
// /api/events), runs actions (/api/action, each a vacmlab verb) and opens
// serial consoles (/api/console: SSE down, POST up) in xterm.js terminals.
// Everything is built with DOM calls, never innerHTML: names from a
// topology are text, not markup.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
let links = {};          // "LAB/NODE[:ethN]" -> "down"|"up", set from this page
const consoles = {};     // "LAB/NODE/PORT" -> {es, term, el}

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined)
    e.append(k instanceof Node ? k : String(k));
  return e;
}

function s(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

function dur(sec) {
  if (sec === undefined || sec === null || sec < 0) return "-";
  sec = Math.floor(sec);
  if (sec < 120) return sec + "s";
  if (sec < 7200) return Math.floor(sec / 60) + "m";
  return Math.floor(sec / 3600) + "h" + Math.floor((sec % 3600) / 60) + "m";
}

function bytes(n) {
  if (!n) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

// A NIC's link: the status's (nics[].link, whoever pulled it: this page,
// the shell, a test), else what this page set (another machine's NICs).
function linkState(lab, node, i, nic) {
  return (nic && nic.link) || links[`${lab}/${node}:eth${i}`] || links[`${lab}/${node}`] || "up";
}

function setMsg(text, cls) {
  const m = document.getElementById("msg");
  m.textContent = text;
  m.className = "msg " + (cls || "");
}

// ---- actions: each one is a vacmlab verb, answered with its output

async function act(req, what) {
  setMsg("running: vacmlab " + what + " …", "");
  try {
    const r = await fetch("/api/action", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(req), credentials: "same-origin"});
    const j = await r.json();
    if (!r.ok) return setMsg(`vacmlab ${what}: refused: ${j.error}`, "err");
    setMsg(`vacmlab ${what}: ${j.ok ? "done" : "failed (exit " + j.code + ")"}` +
           (j.output ? "\n" + j.output.trim() : ""), j.ok ? "ok" : "err");
  } catch (e) {
    setMsg(`vacmlab ${what}: ${e}`, "err");
  }
}

function btn(label, req, what, id) {
  const a = {onclick: () => act(req, what), title: "vacmlab " + what};
  if (id) a.id = id;
  return h("button", a, label);
}

// ---- the drawing

function drawLab(st) {
  const lab = st.lab, lans = st.lans || [], nodes = st.nodes || [],
        hosts = st.hosts || [], away = st.away || [];
  const top = nodes.concat(away.map(a => ({name: a.name, away: a.machine})));
  const cols = Math.max(top.length, hosts.length, 1);
  const W = Math.max(cols * 170 + 40, 400), boxW = 140, boxH = 58;
  const yNode = 40, yLan0 = yNode + boxH + 40, lanGap = 34;
  const yHost = yLan0 + lans.length * lanGap + 30;
  const H = yHost + (hosts.length ? boxH + 20 : 0);
  const svg = s("svg", {class: "topo", viewBox: `0 0 ${W} ${H}`, width: W, height: H,
                        id: `svg-${lab}`});
  const lanY = {};
  lans.forEach((l, i) => {
    lanY[l.name] = yLan0 + i * lanGap;
    svg.append(s("rect", {class: "lan", x: 10, y: lanY[l.name] - 8, width: W - 20,
                          height: 16, rx: 4}));
    svg.append(s("text", {class: "lanlabel", x: 16, y: lanY[l.name] + 4},
                 `${l.name}  ${l.subnet || ""}${l.uplink ? "  uplink " + l.uplink : ""}`));
  });
  const pos = {};
  const place = (o, i, y, isHost) => {
    const x = 30 + i * 170;
    pos[o.name] = {x, y};
    (o.nics || []).forEach((n, k) => {
      if (lanY[n.lan] === undefined) return;
      const cx = x + 20 + k * 18;
      const down = linkState(lab, o.name, k, n) === "down";
      svg.append(s("line", {class: "wire" + (down ? " down" : ""), x1: cx,
                            y1: isHost ? y : y + boxH, x2: cx, y2: lanY[n.lan]}));
    });
    const state = o.away ? "away" : (o.state || "?");
    svg.append(s("rect", {class: `box st-${state}`, x, y, width: boxW, height: boxH}));
    svg.append(s("text", {class: "name", x: x + 8, y: y + 16}, o.name + (isHost ? " (host)" : "")));
    svg.append(s("text", {x: x + 8, y: y + 32, id: `svgstate-${lab}-${o.name}`},
                 o.away ? "on " + o.away : state));
    if (!o.away && !isHost)
      svg.append(s("text", {x: x + 8, y: y + 48}, `${o.accel || "-"} · up ${dur(o.uptime_s)}`));
  };
  top.forEach((o, i) => place(o, i, yNode, false));
  hosts.forEach((o, i) => place(o, i, yHost, true));
  // Serial cables: one arc per pair, drawn from the end that names the
  // other first.
  const seen = new Set();
  nodes.forEach(n => (n.ports || []).forEach(p => {
    if (p.kind !== "cable" || !p.peer) return;
    const [peer] = p.peer.split(":");
    const key = [n.name + ":" + p.port, p.peer].sort().join("|");
    if (seen.has(key) || !pos[peer]) return;
    seen.add(key);
    const a = pos[n.name], b = pos[peer];
    const x1 = a.x + boxW / 2, x2 = b.x + boxW / 2, y = yNode;
    svg.append(s("path", {class: "cable" + (p.plugged === false ? " down" : ""),
                          d: `M${x1},${y} C${x1},${y - 35} ${x2},${y - 35} ${x2},${y}`}));
  }));
  return svg;
}

// ---- the tables

function nodeRow(lab, n) {
  const nics = (n.nics || []).map((c, i) => {
    const ls = linkState(lab, n.name, i, c);
    return h("span", {class: "nic", id: `nic-${lab}-${n.name}-eth${i}`, "data-link": ls},
      `eth${i} ${c.lan || ""} ${c.address || "-"}${c.address6 ? " " + c.address6 : ""} `,
      h("span", {class: "link-" + ls}, "link " + ls), " ",
      ls === "down"
        ? btn("plug", {lab, verb: "link", op: "up", target: `${n.name}:eth${i}`},
              `link up ${lab} ${n.name}:eth${i}`, `link-up-${lab}-${n.name}-eth${i}`)
        : btn("pull", {lab, verb: "link", op: "down", target: `${n.name}:eth${i}`},
              `link down ${lab} ${n.name}:eth${i}`, `link-down-${lab}-${n.name}-eth${i}`));
  });
  const ports = (n.ports || []).map(p => {
    if (p.kind === "console")
      return h("button", {id: `console-btn-${lab}-${n.name}-${p.index}`,
                          onclick: () => openConsole(lab, n.name, p.index)}, p.port);
    if (p.kind === "cable") {
      const up = p.plugged !== false;
      return h("span", {class: "nic"}, `${p.port} ⇄ ${p.peer} `,
        h("span", {class: up ? "link-up" : "link-down"}, up ? "plugged" : "pulled"),
        ` ${bytes(p.bytes_sent)} out, ${bytes(p.bytes_received)} in `,
        btn(up ? "pull" : "plug", {lab, verb: "link", op: up ? "down" : "up",
                                   target: `${n.name}:${p.port}`},
            `link ${up ? "down" : "up"} ${lab} ${n.name}:${p.port}`));
    }
    return null;
  });
  const ops = ["stop", "start", "restart"].map(op =>
    btn(op, {lab, verb: "node", op, target: n.name}, `node ${op} ${lab} ${n.name}`,
        `node-${op}-${lab}-${n.name}`));
  return h("tr", {id: `node-${lab}-${n.name}`, "data-state": n.state || ""},
    h("td", {}, h("b", {}, n.name)),
    h("td", {}, h("span", {class: `state st-${n.state}`}, n.state || "?"),
      n.exit_status !== undefined ? ` (exit ${n.exit_status})` : ""),
    h("td", {}, n.accel || "-"), h("td", {}, dur(n.uptime_s)),
    h("td", {}, nics), h("td", {}, ports), h("td", {}, ops));
}

function labTables(st) {
  const lab = st.lab;
  const tNodes = h("table", {},
    h("tr", {}, ["node", "state", "accel", "uptime", "NICs (address, link)", "serial",
                 "actions"].map(t => h("th", {}, t))),
    (st.nodes || []).map(n => nodeRow(lab, n)),
    (st.hosts || []).map(o => h("tr", {id: `host-${lab}-${o.name}`},
      h("td", {}, h("b", {}, o.name), " (host)"),
      h("td", {}, h("span", {class: `state st-${o.state}`}, o.state)), h("td", {}, "-"),
      h("td", {}, "-"),
      h("td", {}, (o.nics || []).map((c, i) => h("span", {class: "nic"},
        `eth${i} ${c.lan} ${c.address || "-"} `,
        btn(linkState(lab, o.name, i, c) === "down" ? "plug" : "pull",
            {lab, verb: "link", op: linkState(lab, o.name, i, c) === "down" ? "up" : "down",
             target: `${o.name}:eth${i}`}, `link … ${lab} ${o.name}:eth${i}`)))),
      h("td", {}), h("td", {}))));
  // Leases per LAN: the NICs the lab's dnsmasq gave an address.
  const lanRows = (st.lans || []).map(l => {
    const leases = [];
    (st.nodes || []).concat(st.hosts || []).forEach(o => (o.nics || []).forEach((c, i) => {
      if (c.lan === l.name && c.address)
        leases.push(`${o.name}:eth${i} ${c.mac || ""} → ${c.address}${c.lease ? "" : " (fixed)"}`);
    }));
    return h("tr", {id: `lan-${lab}-${l.name}`}, h("td", {}, l.name),
      h("td", {}, l.subnet || "-"), h("td", {}, l.address || "-"),
      h("td", {}, leases.length ? leases.map(x => h("div", {}, x)) : "none"));
  });
  const fwd = [];
  (st.nodes || []).forEach(n => (n.forwards || []).forEach(f => fwd.push(
    h("tr", {}, h("td", {}, `${f.proto} ${f.listen}`), h("td", {}, `${n.name}:${f.guest_port}`),
      h("td", {}, f.proto === "udp"
        ? `${bytes(f.bytes_to_guest)} in, ${bytes(f.bytes_from_guest)} out`
        : `${bytes(f.bytes)}, ${f.connections || 0} conn, ${f.active || 0} open`)))));
  (st.tunnels || []).forEach(t => fwd.push(h("tr", {},
    h("td", {}, `tunnel ${t.device}`), h("td", {}, `LAN ${t.lan}`),
    h("td", {}, t.error ? t.error : `${bytes(t.rx_bytes)} in, ${bytes(t.tx_bytes)} out`))));
  const snap = h("input", {placeholder: "warm", size: 12, id: `snap-${lab}`});
  return [tNodes,
    h("table", {}, h("tr", {}, ["LAN", "subnet", "gateway", "leases"].map(t => h("th", {}, t))),
      lanRows),
    fwd.length ? h("table", {}, h("tr", {}, ["forward", "to", "traffic"].map(t => h("th", {}, t))),
      fwd) : null,
    h("p", {}, "Restore every node to snapshot ", snap, " ",
      h("button", {id: `restore-${lab}`, onclick: () => act(
        snap.value ? {lab, verb: "restore", snapshot: snap.value} : {lab, verb: "restore"},
        `restore ${lab} ${snap.value || ""}`)}, "restore"))];
}

function render(all) {
  links = all.links || {};
  const main = document.getElementById("labs");
  main.replaceChildren();
  if (!all.labs.length) main.append(h("p", {class: "empty"}, "No running lab."));
  for (const st of all.labs) {
    const sec = h("section", {class: "lab", id: `lab-${st.lab}`},
      h("h2", {}, st.lab, h("small", {}, st.error ? "" :
        `${st.state} · ${st.accel || "-"} · up ${dur(st.uptime_s)}` +
        (st.machine ? ` · machine ${st.machine}` : ""))));
    if (st.error) sec.append(h("p", {class: "err"}, st.error));
    else sec.append(drawLab(st), ...labTables(st).filter(Boolean));
    main.append(sec);
  }
}

// ---- consoles: several at once, the replay first

function openConsole(lab, node, port) {
  const key = `${lab}/${node}/${port}`;
  if (consoles[key]) { consoles[key].term.focus(); return; }
  const box = h("div", {class: "term"});
  const status = h("span", {}, "connecting");
  const el = h("div", {class: "console", id: `term-${lab}-${node}-${port}`},
    h("div", {class: "bar"}, h("span", {}, `${lab} ${node} ttyS${port} `, status),
      h("button", {onclick: () => close()}, "close")), box);
  document.getElementById("consoles").append(el);
  const term = new Terminal({cols: 100, rows: 24, scrollback: 5000});
  term.open(box);
  let id = null, queue = Promise.resolve();
  const es = new EventSource(`/api/console?lab=${encodeURIComponent(lab)}` +
                             `&node=${encodeURIComponent(node)}&port=${port}`);
  es.addEventListener("open", e => { id = e.data; status.textContent = "attached"; });
  es.addEventListener("data", e => {
    const bin = atob(e.data), b = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    term.write(b);
  });
  es.addEventListener("closed", () => { status.textContent = "closed by the lab"; es.close(); });
  es.onerror = () => { status.textContent = "disconnected"; es.close(); };
  // In order: one POST after the other.
  term.onData(d => {
    if (!id) return;
    queue = queue.then(() => fetch(`/api/console?id=${id}`, {method: "POST", body: d,
                                   credentials: "same-origin"})).catch(() => {});
  });
  function close() { es.close(); term.dispose(); el.remove(); delete consoles[key]; }
  consoles[key] = {es, term, el};
  term.focus();
}

// ---- the live status

// A redraw between a button's press and release would lose the click:
// while a pointer is down the newest status waits.
let held = false, pending = null;
document.addEventListener("pointerdown", () => { held = true; });
document.addEventListener("pointerup", () => {
  held = false;
  if (pending) setTimeout(() => { if (pending && !held) { render(pending); pending = null; } }, 0);
});

function connect() {
  const es = new EventSource("/api/events");
  const conn = document.getElementById("conn");
  es.addEventListener("status", e => {
    conn.textContent = "live";
    conn.className = "conn on";
    const all = JSON.parse(e.data);
    if (held) pending = all; else render(all);
  });
  es.onerror = () => { conn.textContent = "reconnecting…"; conn.className = "conn off"; };
}

connect();
