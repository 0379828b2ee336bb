/* near-dups report, part 2 of 2: renders the data blob of the page (see dedup/_report/_data.py for its
   layout): summary, tabs, lists, routing and keys; what an opened item shows comes from details.js.
   No library, no network. Lists are rendered a page at a time; word diffs are computed when a
   cluster is opened; nothing is built for items no one looks at. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const PAGE = 50;
  const KINDS = D.kinds;
  const ids = D.docs.id, lens = D.docs.len, TX = D.docs.text, EX = D.docs.ex;
  const C = D.counts;

  // ---------------------------------------------------------------- helpers
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) for (const k in attrs) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids) if (c != null && c !== false) e.append(c);
    return e;
  }
  const fmt = (n) => (n == null ? "—" : Number(n).toLocaleString("en-US"));
  const plural = (n, word) => `${fmt(n)} ${word}${n === 1 ? "" : "s"}`;  // 1 document, 12,000 documents
  const ofAll = (shown, total) => (shown < total ? `${fmt(shown)} of ${fmt(total)}` : fmt(total));
  const f3 = (x) => (x == null ? "—" : x.toFixed(3));
  const text = (d) => TX[d];
  const idOf = (d) => String(ids[d]);
  function excerpt(d, n) {
    const t = TX[d] !== undefined ? TX[d] : EX[d];
    if (t === undefined) return "";
    const s = t.slice(0, (n || 120) * 4).replace(/\s+/g, " ").trim();
    return s.length > (n || 120) ? s.slice(0, (n || 120) - 1) + "…" : s;
  }
  const lowCache = new Map();
  function low(d) {
    let v = lowCache.get(d);
    if (v === undefined) {
      const t = TX[d] !== undefined ? TX[d] : (EX[d] || "");
      v = (idOf(d) + "\n" + t).toLowerCase();
      lowCache.set(d, v);
    }
    return v;
  }
  const panel = document.getElementById("panel");  // the document panel
  const { clusterDetail, groupDetail, passageDetail, diffSel, openDoc, settingsView } = nearDupsDetails(D, {
    h, fmt, plural, ofAll, f3, text, idOf, excerpt, docLink, renderList, go, clusterOf, removedInfo, passagesIn,
    closeDoc, panel });

  // ---------------------------------------------------------------- indexes built on demand
  let clusterOfDoc = null;
  function clusterOf(d) {
    if (!clusterOfDoc) {
      clusterOfDoc = new Map();
      D.clusters.forEach((c, k) => c.m.forEach((m, j) => clusterOfDoc.set(m, [k, j])));
    }
    return clusterOfDoc.get(d);
  }
  let removedOfDoc = null;
  function removedInfo(d) {
    if (!D.removed) return null;
    if (!removedOfDoc) {
      removedOfDoc = new Map();
      const r = D.removed.rd;
      for (let i = 0; i < r.length; i += 3) removedOfDoc.set(r[i], [r[i + 1], r[i + 2]]);
    }
    return removedOfDoc.get(d) || null;
  }
  let passagesOfDoc = null;
  function passagesIn(d) {
    if (!D.passages) return [];
    if (!passagesOfDoc) {
      passagesOfDoc = new Map();
      D.passages.forEach((g, k) => {
        const o = g[3];
        for (let i = 0; i < o.length; i += 3) {
          if (!passagesOfDoc.has(o[i])) passagesOfDoc.set(o[i], []);
          passagesOfDoc.get(o[i]).push([o[i + 1], o[i + 2], k]);
        }
      });
    }
    return passagesOfDoc.get(d) || [];
  }

  // ---------------------------------------------------------------- summary
  // A summary figure; `shown` is how many of `value` the page lists when it lists fewer ("2,000 of 2,378").
  function card(key, label, value, sub, shown) {
    const capped = shown != null && value != null && shown < value;
    return h("div", { class: "card" },
      h("div", { class: "v", "data-count": key, "data-value": value == null ? "" : value, "data-shown": capped ? shown : null,
        text: capped ? ofAll(shown, value) : fmt(value) }),
      h("div", { class: "k", text: label }), sub ? h("div", { class: "sub", text: sub }) : null);
  }
  const blocksTotal = () => (C.groups ? C.groups.repeat + C.groups.syndicated + C.groups.boilerplate : 0);
  function renderSummary() {
    const s = document.getElementById("summary");
    const t = D.times, ix = D.settings.index;
    s.append(card("documents", "documents", C.documents,
      (C.mb != null ? `${C.mb.toFixed(2)} MB, ` : "") + plural(C.characters, "character")));
    s.append(card("clusters", "clusters", C.clusters, `${plural(C.clustered, "document")} in clusters`));
    s.append(card("duplicates", "duplicates", C.duplicates, `would be dropped (keep ${ix.keep})`));
    s.append(card("pairs", "verified pairs", C.pairs, C.pairs == null ? "too many to list" : "exact Jaccard ≥ " + ix.threshold));
    if (C.removals != null) {
      const rc = C.removed_chars;
      const total = KINDS.reduce((a, k) => a + rc[k], 0);
      s.append(card("removals", "removals", C.removals, `in ${plural(C.removed_docs, "document")}`));
      s.append(card("removed_chars", "characters removed", total,
        KINDS.filter((k) => rc[k]).map((k) => `${k} ${fmt(rc[k])}`).join(", ") || "none"));
    }
    if (C.groups) {
      const g = C.groups;
      s.append(card("groups", "repeated blocks", blocksTotal(),
        `repeat ${fmt(g.repeat)}, syndicated ${fmt(g.syndicated)}, boilerplate ${fmt(g.boilerplate)}`, C.shown.groups));
    }
    if (C.passages != null) s.append(card("passages", "shared passages", C.passages,
      C.shown.passages < C.passages ? "most occurrences first" : null, C.shown.passages));
    const stages = ["read", "index", "collapse", "blocks", "passages", "report"].filter((k) => t[k] != null);
    s.append(card("time", "seconds in all", t.total != null ? t.total : null,
      stages.map((k) => `${k} ${t[k].toFixed(2)}`).join(", ")));
    const notes = h("div", { class: "note", style: "flex-basis:100%" });
    const cc = D.settings.collapse;
    notes.append(`threshold ${ix.threshold}, ${ix.ngram}-${ix.shingle} shingles, ${ix.num_perm} permutations, ` +
      `LSH ${ix["bands (used)"]} bands × ${ix["rows (used)"]} rows, seed ${ix.seed}` +
      (cc ? `; blocks: unit ${cc.unit}, mode ${cc.mode}, threshold ${cc.threshold}` : "; blocks not collapsed") +
      (D.docs.texts ? `. Full text embedded for ${plural(C.embedded, "document")} (${plural(C.embedded_chars, "character")}); ` +
        "other listed documents show an excerpt." : ". Made from an index alone: no texts were given, so no word diffs, " +
        "removals or repeated blocks (Index.report(path, texts) shows them).") + ` near-dups ${D.version}.`);
    if (D.pairs_error) notes.append(h("div", { class: "warn", text: "Pairs not listed: " + D.pairs_error }));
    s.append(notes);
  }

  // ---------------------------------------------------------------- tabs and lists
  const TABS = [];
  // cols: the labels of a list's three columns
  TABS.push({ key: "clusters", label: "Clusters", all: () => D.clusters.map((_, k) => k), match: matchCluster,
    row: clusterRow, detail: clusterDetail, route: "c", cols: ["cluster", "size, lowest J", "kept document"] });
  if (D.groups) TABS.push({ key: "blocks", label: "Repeated blocks", all: groupItems, match: matchGroup,
    row: groupRow, detail: groupDetail, route: "b", chips: true, cols: ["occurrences", "kind, documents", "text"] });
  if (D.removed || D.clusters.length) TABS.push({ key: "docs", label: "Documents", all: docItems, match: null,
    row: docRow, detail: null, route: "d", cols: ["characters", "removals, cluster", "document"] });
  if (D.passages) TABS.push({ key: "passages", label: "Shared passages", all: () => D.passages.map((_, k) => k),
    match: matchPassage, row: passageRow, detail: passageDetail, route: "p", cols: ["occurrences", "documents", "text"] });
  TABS.push({ key: "settings", label: "Settings", settings: true });
  const S = {};
  for (const t of TABS) S[t.key] = { page: 0, sel: 0, open: -1, kind: -1, items: null };
  // Start on the first list that has anything in it (a corpus without near-duplicates opens on its blocks).
  let cur = (TABS.find((t) => !t.settings && t.all().length) || TABS[0]).key, query = "";
  const listEl = document.getElementById("list");
  const tabsEl = document.getElementById("tabs");
  const search = document.getElementById("search");
  const tab = (k) => TABS.find((t) => t.key === k);

  function groupItems() {
    const st = S.blocks, out = [];
    D.groups.forEach((g, k) => { if (st.kind < 0 || g[0] === st.kind) out.push(k); });
    return out;
  }
  let remarkable = null;
  function docItems() {
    if (query) { // any document, by id or text
      const out = [];
      for (let d = 0; d < ids.length; d++) if (low(d).includes(query)) out.push(d);
      return out;
    }
    if (!remarkable) {
      remarkable = [];
      const seen = new Set();
      if (D.removed) for (let i = 0; i < D.removed.rd.length; i += 3) { remarkable.push(D.removed.rd[i]); seen.add(D.removed.rd[i]); }
      for (const c of D.clusters) for (const m of c.m) if (!seen.has(m)) { seen.add(m); remarkable.push(m); }
    }
    return remarkable;
  }
  function matchCluster(k) { return D.clusters[k].m.some((d) => low(d).includes(query)); }
  function matchGroup(k) {
    const g = D.groups[k];
    if (g[3].toLowerCase().includes(query)) return true;
    const o = g[4];
    for (let i = 0; i < o.length; i += 3) if (idOf(o[i]).toLowerCase().includes(query)) return true;
    return false;
  }
  function matchPassage(k) {
    const g = D.passages[k];
    if (g[2].toLowerCase().includes(query)) return true;
    const o = g[3];
    for (let i = 0; i < o.length; i += 3) if (idOf(o[i]).toLowerCase().includes(query)) return true;
    return false;
  }
  function items(t) {
    const st = S[t.key];
    if (!st.items) {
      const all = t.all();
      st.items = query && t.match ? all.filter(t.match) : all;
    }
    return st.items;
  }

  function renderTabs() {
    tabsEl.textContent = "";
    TABS.forEach((t, n) => {
      const count = t.settings ? null : items(t).length, all = t.settings || query ? count : listTotal(t.key);
      tabsEl.append(h("button", { role: "tab", "data-tab": t.key, "aria-selected": String(t.key === cur),
        title: `${t.label} (${n + 1})`, onclick: () => show(t.key) },
        t.label, count == null ? null : h("span", { class: "count", "data-total": count, "data-all": all,
          text: ` ${ofAll(count, all)}` })));
    });
  }
  // How many there are of what a tab lists (more than it lists for capped blocks and passages; unfiltered).
  function listTotal(key) {
    if (key === "blocks") return S.blocks.kind < 0 ? blocksTotal() : C.groups[KINDS[S.blocks.kind]];
    if (key === "passages") return C.passages;
    return items(tab(key)).length;
  }
  function show(key) {
    cur = key;
    renderTabs();
    renderList();
  }
  function applyQuery() {
    const q = search.value.trim().toLowerCase();
    if (q === query) return;
    query = q;
    for (const t of TABS) { const st = S[t.key]; st.items = null; st.page = 0; st.sel = 0; st.open = -1; }
    renderTabs();
    renderList();
  }

  function renderList() {
    const t = tab(cur);
    listEl.textContent = "";
    listEl.dataset.tab = cur;
    if (t.settings) { listEl.append(settingsView()); return; }
    const st = S[cur], all = items(t);
    if (t.chips) {
      const chips = h("div", { class: "chips" });
      [["all", -1], ["repeat", 0], ["syndicated", 1], ["boilerplate", 2]].forEach(([label, code]) => chips.append(
        h("button", { "aria-pressed": String(st.kind === code), "data-kind": label, onclick: () => {
          st.kind = code; st.items = null; st.page = 0; st.sel = 0; st.open = -1; renderTabs(); renderList();
        } }, label)));
      listEl.append(chips);
      if (C.groups) {
        const total = blocksTotal();
        if (D.groups.length < total) listEl.append(h("div", { class: "note capped",
          text: `Listing ${ofAll(D.groups.length, total)} repeated blocks, the most frequent ` +
            `(${plural(C.occurrences, "occurrence")} in all); near-dups blocks --format jsonl lists them all.` }));
      }
    }
    if (cur === "passages" && D.passages.length < C.passages) listEl.append(h("div", { class: "note capped",
      text: `Listing ${ofAll(D.passages.length, C.passages)} shared passages, those with the most occurrences; ` +
        "near-dups passages (at the same --min-words) lists them all." }));
    if (cur === "docs" && !query) listEl.append(h("div", { class: "note",
      text: "Documents with removals (most characters removed first), then the other cluster members. " +
        "Filter to find any document by id, or by its text where the report holds it." }));
    const pages = Math.max(1, Math.ceil(all.length / PAGE));
    st.page = Math.min(st.page, pages - 1);
    const lo = st.page * PAGE, hi = Math.min(all.length, lo + PAGE);
    const pager = h("div", { class: "pager" },
      h("button", { onclick: () => turn(-1), disabled: st.page === 0, title: "previous page (←)" }, "‹"),
      h("span", { class: "range", "data-total": all.length, text: all.length ? `${fmt(lo + 1)}–${fmt(hi)} of ${fmt(all.length)}` +
        (!query && listTotal(cur) > all.length ? ` listed (${fmt(listTotal(cur))} in all)` : "") : "0 of 0" }),
      h("button", { onclick: () => turn(1), disabled: st.page >= pages - 1, title: "next page (→)" }, "›"));
    listEl.append(pager);
    const rows = h("div", { class: "rows" });
    if (all.length) {
      rows.append(h("div", { class: "colhead" }, ...t.cols.map((c, i) => h("span", { class: ["n", "what", "txt"][i], text: c }))));
    }
    if (!all.length) rows.append(h("div", { class: "empty", text: query ? "Nothing matches the filter." :
      cur === "clusters" ? `No near-duplicate documents at threshold ${D.settings.index.threshold}.` : "None." }));
    for (let p = lo; p < hi; p++) {
      const k = all[p];
      const row = h("div", { class: "row" + (p - lo === st.sel ? " sel" : ""), "data-i": k, "data-p": p - lo });
      const head = t.row(k);
      head.classList.add("head");
      head.addEventListener("click", () => { st.sel = p - lo; toggle(k); });
      row.append(head);
      if (st.open === k && t.detail) row.append(t.detail(k));
      rows.append(row);
    }
    listEl.append(rows);
  }
  function turn(step) {
    const st = S[cur], t = tab(cur);
    if (!t || t.settings) return;
    const pages = Math.max(1, Math.ceil(items(t).length / PAGE));
    const p = Math.max(0, Math.min(pages - 1, st.page + step));
    if (p !== st.page) { st.page = p; st.sel = 0; renderList(); window.scrollTo(0, listEl.offsetTop - 60); }
  }
  function toggle(k) {
    const t = tab(cur), st = S[cur];
    if (!t.detail) { go(`d/${k}`); return; }
    if (st.open === k) { st.open = -1; renderList(); return; }
    go(`${t.route}/${k}`);
  }
  function openItem(key, k) { // route target: show tab `key`, page of item k, open it
    const t = tab(key);
    if (!t) return;
    cur = key;
    const st = S[key];
    let p = items(t).indexOf(k);
    if (p < 0 && query) { search.value = ""; query = ""; for (const x of TABS) S[x.key].items = null; p = items(t).indexOf(k); }
    if (p < 0) return;
    st.page = Math.floor(p / PAGE);
    st.sel = p % PAGE;
    st.open = k;
    renderTabs();
    renderList();
    const row = listEl.querySelector(`.row[data-p="${st.sel}"]`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }
  function moveSel(step) {
    const t = tab(cur), st = S[cur];
    if (!t || t.settings) return;
    const n = Math.min(PAGE, items(t).length - st.page * PAGE);
    if (!n) return;
    let s = st.sel + step;
    if (s < 0) { if (st.page > 0) { st.page--; st.sel = PAGE - 1; renderList(); } return; }
    if (s >= n) { if ((st.page + 1) * PAGE < items(t).length) { st.page++; st.sel = 0; renderList(); } return; }
    st.sel = s;
    listEl.querySelectorAll(".row").forEach((r) => r.classList.toggle("sel", +r.dataset.p === s));
    const row = listEl.querySelector(`.row[data-p="${s}"]`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }
  function openSel() {
    const t = tab(cur), st = S[cur];
    if (!t || t.settings) return;
    const k = items(t)[st.page * PAGE + st.sel];
    if (k !== undefined) toggle(k);
  }

  // ---------------------------------------------------------------- rows
  function docLink(d, label, span) {
    return h("a", { class: "id", href: `#d/${d}` + (span ? `/${span[0]}-${span[1]}` : ""), text: label || idOf(d) });
  }
  function clusterRow(k) {
    const c = D.clusters[k];
    let minS = 1;
    for (let j = 1; j < c.s.length; j++) minS = Math.min(minS, c.s[j]);
    return h("div", null, h("span", { class: "n", text: `#${k + 1}` }),
      h("span", { class: "what", text: `${plural(c.m.length, "document")}, J ≥ ${f3(minS)}` }),
      h("span", { class: "txt" }, h("span", { class: "id", text: idOf(c.m[0]) }), " — " + excerpt(c.m[0], 160)));
  }
  function groupRow(k) {
    const g = D.groups[k];
    return h("div", null, h("span", { class: "n", text: `${fmt(g[1])}×` }),
      h("span", { class: "what" }, h("span", { class: `badge k-${KINDS[g[0]]}`, text: KINDS[g[0]] }), ` ${plural(g[2], "document")}`),
      h("span", { class: "txt", text: g[3].replace(/\s+/g, " ") }));
  }
  function docRow(d) {
    const r = removedInfo(d), c = clusterOf(d);
    let what = r ? plural(r[0], "removal") : "";
    if (c) what += (what ? ", " : "") + (c[1] === 0 ? "kept" : "dropped");
    return h("div", null, h("span", { class: "n", text: fmt(lens[d]) }), h("span", { class: "what", text: what || "—" }),
      h("span", { class: "txt" }, h("span", { class: "id", text: idOf(d) }), " — " + excerpt(d, 160)));
  }
  function passageRow(k) {
    const g = D.passages[k];
    return h("div", null, h("span", { class: "n", text: `${fmt(g[0])}×` }), h("span", { class: "what", text: plural(g[1], "document") }),
      h("span", { class: "txt", text: g[2].replace(/\s+/g, " ") }));
  }

  // ---------------------------------------------------------------- document panel
  let listHash = "";
  function closeDoc() {
    panel.hidden = true;
    delete panel.dataset.doc;
    if (location.hash.startsWith("#d/")) history.pushState(null, "", listHash || location.pathname + location.search);
  }

  // ---------------------------------------------------------------- routing and keys
  function go(route) {
    if (location.hash === "#" + route) route_(route); else location.hash = route;
  }
  function route_(r) {
    const m = /^([cbpdt])\/([^/]+)(?:\/(\d+)-(\d+))?$/.exec(r);
    if (!m) return;
    const [, kind, a, s, e] = m;
    if (kind === "d") { const d = +a; if (d >= 0 && d < ids.length) openDoc(d, s != null ? [+s, +e] : null); return; }
    listHash = "#" + r;
    panel.hidden = true;
    if (kind === "t") { if (tab(a)) show(a); return; }
    const key = { c: "clusters", b: "blocks", p: "passages" }[kind];
    openItem(key, +a);
  }
  window.addEventListener("hashchange", () => route_(location.hash.slice(1)));
  let timer = 0;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(applyQuery, 120); });
  search.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { search.value = ""; applyQuery(); search.blur(); e.preventDefault(); }
    else if (e.key === "Enter" || e.key === "ArrowDown") { clearTimeout(timer); applyQuery(); search.blur(); e.preventDefault(); }
  });
  const help = document.getElementById("help");
  document.getElementById("help-button").addEventListener("click", () => { help.hidden = !help.hidden; });
  document.addEventListener("keydown", (e) => {
    if (e.target === search || e.ctrlKey || e.metaKey || e.altKey) return;
    const st = S[cur];
    switch (e.key) {
      case "/": search.focus(); search.select(); break;
      case "?": help.hidden = !help.hidden; break;
      case "j": case "ArrowDown": moveSel(1); break;
      case "k": case "ArrowUp": moveSel(-1); break;
      case "Enter": case "o": openSel(); break;
      case "ArrowRight": case "]": turn(1); break;
      case "ArrowLeft": case "[": turn(-1); break;
      case "n": case "p": {
        if (cur !== "clusters" || st.open < 0) return;
        const c = D.clusters[st.open], j = (diffSel.get(st.open) || 1) + (e.key === "n" ? 1 : -1);
        if (j >= 1 && j < c.m.length) { diffSel.set(st.open, j); renderList(); }
        break;
      }
      case "Escape":
        if (!help.hidden) help.hidden = true;
        else if (!panel.hidden) closeDoc();
        else if (st && st.open >= 0) { st.open = -1; renderList(); }
        else if (query) { search.value = ""; applyQuery(); }
        break;
      default:
        if (/^[1-9]$/.test(e.key) && TABS[+e.key - 1]) { show(TABS[+e.key - 1].key); break; }
        return;
    }
    e.preventDefault();
  });

  // ---------------------------------------------------------------- start
  renderSummary();
  renderTabs();
  renderList();
  if (location.hash.length > 1) route_(location.hash.slice(1));
  performance.mark("report-ready");
  document.body.dataset.ready = "1";
})();
